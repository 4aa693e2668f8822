"""Support for the schemathesis run (tests/api/test_schemathesis.py): a real server, actors, checks and the runner.

The run is driven through schemathesis' Python API and hypothesis directly (its pytest plugin does not support
pytest 9). Per operation: schemathesis' coverage phase (`CoverageGenerator`: deterministic boundary, missing-field,
wrong-type and content-type cases), a few fixed valid bodies, then its fuzzing phase as one hypothesis `@given` test
per generation mode over `operation.as_strategy(mode, ...)`. Each case goes over HTTP to `nexus serve` (granian, the
production server) and is validated with `case.validate_response`. Failures are collected rather than raised, so one
run reports every distinct problem, each with a curl reproduction and the server log.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.core import NotSet
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.core.jsonschema import make_validator
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi import checks as oa_checks

from tests.fix_api import JWT_SECRET

AnyCase = Case[Any]
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}
DEMO_PASSWORD = "Password123"  # every demo user's (spec/demo-data.md), reused for the users registered here
REPORT_LIMIT = 4000  # characters of one failure report (a curl line can carry a multi-megabyte body)
# Operations callable without a token (api.md §5 "public"), for a document without `x-permission`.
PUBLIC = frozenset({"health", "ready", "meta_index", "auth_register", "auth_login", "auth_refresh", "auth_logout"})
# schemathesis' default statuses for a rejected negative case, plus 413: a negative case may carry a body over the
# documented size limit (JSON 1 MiB, POST /workspaces 4 MiB), and PAYLOAD_TOO_LARGE is a correct rejection (§1.3).
NEGATIVE_REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
NEGATIVE_REJECTION_STATUSES += ["5xx"]  # a 5xx is not_a_server_error's finding, not this check's


# -- the server ---------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace")
        return text[-chars:]


@contextmanager
def live_server(db_url: str, workers: int = 1, **env: str) -> Iterator[LiveServer]:
    """`python -m nexus serve` (granian, `workers` workers) on a free port against `db_url`; stopped with SIGINT."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="nexus-st-"))  # no stray .env in the server's working directory
    log_path = workdir / "server.log"
    server_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIRECT_URL", "DATABASE_READ_URL")}
    server_env.update(
        {
            "DATABASE_URL": db_url,
            "NEXUS_JWT_SECRET": JWT_SECRET,
            "NEXUS_ENV": "test",
            "NEXUS_PASSWORD_PROFILE": "test",
            "NEXUS_ACCESS_TTL": "3600",
            "NEXUS_DELIVERY_WORKER": "0",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
    )
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nexus",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=workdir,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(base_url, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nexus serve exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                if requests.get(f"{base_url}/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"nexus serve did not become ready:\n{server.log_tail()}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)


# -- actors and fixtures the cases use ------------------------------------------------------------------------------
class Api:
    """A small JSON client for setting up state (not fuzzed)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, json: Any = None, expect: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.http.request(method, f"{self.base_url}{path}", json=json, headers=headers, timeout=10)
        assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else None

    def login(self, email: str, password: str = DEMO_PASSWORD) -> str:
        body = self.call("POST", "/api/v1/auth/login", json={"email": email, "password": password})
        return str(body["data"]["accessToken"])

    def register(self, label: str = "user") -> dict[str, str]:
        """A new user with its own session: {userId, email, accessToken, refreshToken}."""
        email = f"st-{label}-{secrets.token_hex(6)}@example.com"
        body = self.call(
            "POST",
            "/api/v1/auth/register",
            json={"email": email, "name": f"ST {label}", "password": DEMO_PASSWORD},
            expect=201,
        )
        data = body["data"]
        return {
            "userId": data["user"]["id"],
            "email": email,
            "accessToken": data["accessToken"],
            "refreshToken": data["refreshToken"],
        }

    def workspace(self, token: str, name: str) -> tuple[str, str]:
        """A new workspace owned by the caller: (workspace id, the caller's member id)."""
        body = self.call(
            "POST",
            "/api/v1/workspaces",
            token,
            {
                "name": name,
                "currency": "usd",
                "amount": 1234.5,
                "standard": "LMA",
                "clausesText": "1. Definitions\nAgreement.\n2. Financial Covenants\nLeverage < 3.5x.",
            },
            expect=201,
        )
        return str(body["workspace"]["id"]), str(body["membership"]["id"])

    def invite(self, token: str, workspace_id: str, email: str, role: str = "legal") -> str:
        body = self.call(
            "POST", f"/api/v1/workspaces/{workspace_id}/members", token, {"email": email, "role": role}, expect=201
        )
        return str(body["member"]["id"])

    def accept(self, token: str, workspace_id: str) -> None:
        self.call("POST", f"/api/v1/workspaces/{workspace_id}/accept-invitation", token)


# -- checks ---------------------------------------------------------------------------------------------------------
def conventions(_ctx: Any, response: schemathesis.Response, case: AnyCase) -> bool | None:
    """api.md §1.3: every response carries X-Request-Id and the security headers; errors are JSON envelopes."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    missing = [name for name in ("x-request-id", *SECURITY_HEADERS) if name not in headers]
    if missing:
        raise AssertionError(f"Missing response headers: {', '.join(missing)}")
    for name, value in SECURITY_HEADERS.items():
        actual = headers[name][0] if isinstance(headers[name], list) else headers[name]
        if actual != value:
            raise AssertionError(f"{name}: {actual!r} != {value!r}")
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"{response.status_code} answered with a non-JSON body") from None
        if not (isinstance(body, dict) and body.get("success") is False and isinstance(body.get("error"), dict)):
            raise AssertionError("Error response is not the {success:false, error:{...}} envelope")
        if "Traceback" in response.text:
            raise AssertionError("Error response leaks a stack trace")
    return None


def requires_token(_ctx: Any, response: schemathesis.Response, case: AnyCase) -> bool | None:
    """Unauthenticated pass: a non-public operation answers 401 first (api.md §1.3 precedence; 413 may precede)."""
    raw = case.operation.definition.raw
    op_id = raw.get("operationId")
    if raw.get("x-permission", "public" if op_id in PUBLIC else "auth") == "public":
        if response.status_code == 401 and op_id not in ("auth_login", "auth_refresh"):
            raise AssertionError(f"Public operation {op_id} answered 401 without a token")
        return None
    if response.status_code not in (401, 413):
        raise AssertionError(f"Non-public operation {op_id} answered {response.status_code} without a token")
    return None


def load_schema(url: str | None = None, doc: dict[str, Any] | None = None) -> Any:
    """The OpenAPI document as a schemathesis schema, from the server (`url`) or a (modified) dict."""
    config = schemathesis.Config.from_dict(
        {
            "checks": {"negative_data_rejection": {"expected-statuses": NEGATIVE_REJECTION_STATUSES}},
            # Test tokens only: a reproduction needs the real Authorization header and refreshToken values.
            "output": {"sanitization": {"enabled": False}},
        }
    )
    if doc is not None:
        return schemathesis.openapi.from_dict(doc, config=config)
    assert url is not None
    return schemathesis.openapi.from_url(url, config=config)


def negative_data_rejection(ctx: Any, response: schemathesis.Response, case: AnyCase) -> bool | None:
    """schemathesis' check, except for a body the contract makes valid as the server reads it (api.md §1.5):

    * strings are trimmed before validation, so `"token" + 600 * "\\u0085"` satisfies `maxLength: 512`;
    * an empty or missing JSON body means `{}`, which is valid where the body schema requires no property
      (e.g. `POST /drafts/clauses/{id}/lock` with its optional `reason`), though Litestar marks every request
      body `required: true`.
    """
    try:
        return oa_checks.negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if _valid_as_the_server_reads_it(case):
            return None
        raise


def _valid_as_the_server_reads_it(case: AnyCase) -> bool:
    meta = case.meta
    if meta is None:
        return False
    others = (ParameterLocation.PATH, ParameterLocation.QUERY, ParameterLocation.HEADER, ParameterLocation.COOKIE)
    if any(meta.is_negative_at(location) for location in others):
        return False
    body = {} if isinstance(case.body, NotSet) else case.body
    if not isinstance(body, dict):
        return False
    alternative = case.operation.get_body_for_media_type(case.media_type or "application/json")
    if alternative is None:
        return False
    trimmed = {k: v.strip() if isinstance(v, str) else v for k, v in body.items()}
    validator = make_validator(alternative.optimized_schema, case.operation.schema.adapter.jsonschema_validator_cls)
    return bool(validator.is_valid(trimmed))


BASE_CHECKS: list[Callable[..., bool | None]] = [
    schemathesis.checks.not_a_server_error,
    oa_checks.status_code_conformance,
    oa_checks.content_type_conformance,
    oa_checks.response_schema_conformance,
    conventions,
]
NEGATIVE_CHECKS = [negative_data_rejection]


# -- the runner -----------------------------------------------------------------------------------------------------
@dataclass
class Finding:
    operation: str
    phase: str
    title: str
    report: str


@dataclass
class Plan:
    """How to send one operation's cases, besides the purely generated ones.

    `path_variants`: real (or deliberately odd) path parameters, each its own strategy; the first one is the real
    one, used by the coverage phase and the fixed bodies. `query`: fixed query parameters (e.g. `workspaceId`) sent
    with the variants. `body_variants`: valid bodies, each sent once on the real path. `headers`: per call.
    """

    path_variants: list[dict[str, str]] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    body_variants: list[Any] = field(default_factory=list)
    headers: Callable[[], dict[str, str]] = dict

    @property
    def real_path(self) -> dict[str, str]:
        return self.path_variants[0] if self.path_variants else {}


@dataclass
class Runner:
    """Sends cases to the server and validates each response; failures are collected, deduplicated per check."""

    base_url: str
    extra_checks: list[Callable[..., bool | None]] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)
    cases: int = 0
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    per_phase: dict[str, int] = field(default_factory=dict)

    def send(self, case: AnyCase, plan: Plan, phase: str) -> None:
        label = case.operation.label
        self.cases += 1
        self.per_phase[phase] = self.per_phase.get(phase, 0) + 1
        # A case whose headers are the negated part (e.g. a missing or malformed Authorization) is sent as generated:
        # adding the plan's token would undo the negation.
        negated_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
        headers = {} if negated_headers else plan.headers()
        try:
            response = case.call(base_url=self.base_url, session=self.session, headers=headers, timeout=15)
        except requests.RequestException as exc:
            title = f"transport error: {type(exc).__name__}"
            self.findings.setdefault((label, title), Finding(label, phase, title, repr(exc)))
            return
        if case.method.upper() == case.operation.method.upper():  # not the coverage phase's method probes
            per_op = self.statuses.setdefault(label, {})
            per_op[response.status_code] = per_op.get(response.status_code, 0) + 1
        try:
            # negative_data_rejection only looks at cases generated in negative mode.
            case.validate_response(response, checks=[*BASE_CHECKS, *NEGATIVE_CHECKS, *self.extra_checks])
        except FailureGroup as group:
            for failure in group.exceptions:
                first_line = failure.message.splitlines()[0] if failure.message else ""
                title = f"{failure.title}: {first_line}"
                report = str(group)
                if len(report) > REPORT_LIMIT:
                    report = report[:REPORT_LIMIT] + f"... [{len(report) - REPORT_LIMIT} more characters]"
                self.findings.setdefault((label, title), Finding(label, phase, title, report))

    def coverage(self, operation: Any, plan: Plan) -> None:
        """Schemathesis' coverage phase: deterministic boundary / missing / wrong-type cases, positive and negative."""
        started = time.monotonic()
        generator = CoverageGenerator(
            operation=operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=operation.schema.config.generation_for(operation=operation, phase="coverage"),
            auth_storage=None,
            override=Override(path_parameters=plan.real_path, query=plan.query),
            feedback=FeedbackSources(),
        )
        for case in generator:
            self.send(case, plan, "coverage")
        self._took(operation.label, started)

    def _took(self, label: str, started: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + time.monotonic() - started

    def explicit(self, operation: Any, plan: Plan) -> None:
        """The plan's valid bodies on the real path, each sent once (a fixed case would be drawn at most once by
        hypothesis, and maybe never)."""
        for body in plan.body_variants:
            case = operation.Case(
                path_parameters=plan.real_path, query=plan.query or None, body=body, media_type="application/json"
            )
            self.send(case, plan, "explicit")

    def fuzz(self, operation: Any, mode: GenerationMode, plan: Plan, max_examples: int) -> None:
        """Schemathesis' fuzzing phase through hypothesis: `max_examples` deterministic cases."""
        if mode is GenerationMode.NEGATIVE and not can_be_negated(operation):
            return
        started = time.monotonic()

        @hypothesis.settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @hypothesis.given(case=case_strategy(operation, mode, plan))
        def test(case: AnyCase) -> None:
            self.send(case, plan, f"fuzz/{mode.value}")

        try:
            test()
        except hypothesis.errors.Unsatisfiable:
            # Negative mode of an operation with nothing to negate (no parameters, no body): there are no cases.
            assert mode is GenerationMode.NEGATIVE, operation.label
            self.unsatisfiable.append(operation.label)
        self._took(operation.label, started)

    def report(self, server: LiveServer) -> str:
        parts = [f"{len(self.findings)} distinct finding(s) in {self.cases} cases:"]
        for finding in self.findings.values():
            parts.append(f"\n=== {finding.operation} [{finding.phase}] {finding.title}\n{finding.report}")
        parts.append(f"\n--- server log (tail) ---\n{server.log_tail()}")
        return "\n".join(parts)


def case_strategy(operation: Any, mode: GenerationMode, plan: Plan) -> st.SearchStrategy[AnyCase]:
    """Generated cases, and the same with each path variant (and the fixed query)."""
    query = plan.query or None
    strategies = [operation.as_strategy(generation_mode=mode)]
    strategies += [
        operation.as_strategy(generation_mode=mode, path_parameters=path, query=query)
        for path in plan.path_variants or ([{}] if query else [])
    ]
    return st.one_of(strategies)


def can_be_negated(operation: Any) -> bool:
    """Whether negative mode has anything to work on: a body, query/header/cookie parameters, a security scheme
    (a missing or malformed Authorization header), or a constrained path parameter. Otherwise hypothesis would
    spend seconds on each operation before reporting that no negative case exists."""
    if operation.body or operation.query or operation.headers or operation.cookies:
        return True
    if operation.definition.raw.get("security"):
        return True
    return any(p.definition.get("schema", {}) not in ({}, {"type": "string"}) for p in operation.path_parameters)
