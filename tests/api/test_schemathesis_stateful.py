"""Stateful schemathesis run: call sequences that follow the OpenAPI links (nexus/api/links.py), so ids created by
one call (a workspace, clause, variable, covenant, invitation, published version, reconciliation session) are used
by the next ones, reaching handlers that random ids only ever answer with 404 (issue 9 §2).

schemathesis builds a hypothesis state machine from the served document's links (its link inference is off, so the
run follows exactly the documented links); each scenario is up to NEXUS_ST_STATEFUL_STEPS calls against a live
`nexus serve` on a fresh copy of the demo data, authenticated as Sarah (agent admin). Each scenario also starts
from a new workspace, a real reconciliation upload (a DOCX no generator builds) and the demo workspace's drift list
and graph, so every family of links has real ids to follow. Responses are checked like the stateless
run (tests/api/st_support.py: no 5xx, documented status, content type and schema, negative data rejected, the
global conventions), plus schemathesis' stateful checks: a resource just created is found, a deleted one is gone.

Budget: NEXUS_ST_STATEFUL_EXAMPLES scenarios (default 600 in CI: about 2,600 calls, a minute on two cores, ~40 per
operation beside the stateless run's 20-50; 1000 scenarios measured 4,323 calls / 61 operations / 116 s); raise it by
hand for a deeper run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import Flaky
from hypothesis.stateful import initialize
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.openapi.checks import UseAfterFree
from schemathesis.specs.openapi import checks as oa_checks

from nexus.api.links import LINKS
from tests.api.documents import markup_docx
from tests.api.st_support import (
    BASE_CHECKS,
    NEGATIVE_CHECKS,
    NEGATIVE_REJECTION_STATUSES,
    REPORT_LIMIT,
    Api,
    Finding,
    LiveServer,
    live_server,
)

pytestmark = pytest.mark.slow

SCENARIOS = int(os.environ.get("NEXUS_ST_STATEFUL_EXAMPLES", "600"))
STEPS = int(os.environ.get("NEXUS_ST_STATEFUL_STEPS", "10"))
MAX_SUITES = 100
SARAH = "sarah.chen@bankco.com"
DEMO_WORKSPACE = "ws-001"
MARKUP = [
    [("", "3. Interest")],
    [("", "The Applicable Margin shall be "), ("del", "275"), ("ins", "300"), ("", " basis points per annum.")],
]
ARCHIVE = "DELETE /api/v1/workspaces/{workspace_id}"


def use_after_free(ctx: Any, response: schemathesis.Response, case: Any) -> bool | None:
    """schemathesis' check, except after an archive: an archived workspace stays readable by its members
    (api.md §1.11; archive sets `archivedAt`, never a hard delete)."""
    try:
        return oa_checks.use_after_free(ctx, response, case)
    except UseAfterFree as failure:
        if failure.operation == ARCHIVE:
            return None
        raise


STATEFUL_CHECKS = [use_after_free, oa_checks.ensure_resource_availability]


@pytest.fixture
def server(seeded_db_url: str) -> Iterator[LiveServer]:
    with live_server(seeded_db_url) as srv:
        yield srv


def stateful_schema(url: str) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "checks": {"negative_data_rejection": {"expected-statuses": NEGATIVE_REJECTION_STATUSES}},
            "output": {"sanitization": {"enabled": False}},
            # Only the documented links: inferred ones would test schemathesis' guesses, not the contract.
            "phases": {"stateful": {"inference": {"algorithms": []}}},
        }
    )
    return schemathesis.openapi.from_url(url, config=config)


@dataclass
class Tally:
    """What the run did and found; failures are collected (not raised) so one run reports every distinct one."""

    scenarios: int = 0
    seeded: int = 0
    steps: int = 0
    linked_steps: int = 0
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    transitions: dict[str, int] = field(default_factory=dict)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)

    def record(self, case: Any, response: Any) -> None:
        per_op = self.statuses.setdefault(case.operation.label, {})
        per_op[response.status_code] = per_op.get(response.status_code, 0) + 1

    def fail(self, label: str, group: FailureGroup) -> None:
        for failure in group.exceptions:
            first_line = failure.message.splitlines()[0] if failure.message else ""
            title = f"{failure.title}: {first_line}"
            report = str(group)
            if len(report) > REPORT_LIMIT:
                report = report[:REPORT_LIMIT] + f"... [{len(report) - REPORT_LIMIT} more characters]"
            self.findings.setdefault((label, title), Finding(label, "stateful", title, report))

    def report(self, server: LiveServer) -> str:
        parts = [f"{len(self.findings)} distinct finding(s) in {self.steps} steps:"]
        parts += [f"\n=== {f.operation} {f.title}\n{f.report}" for f in self.findings.values()]
        parts.append(f"\n--- server log (tail) ---\n{server.log_tail()}")
        return "\n".join(parts)


def machine_for(schema: Any, server: LiveServer, tally: Tally) -> type[Any]:
    """schemathesis' state machine with Sarah's token, response checks that collect failures, and seeded state."""
    api = Api(server.base_url)
    sarah = api.login(SARAH)
    session = requests.Session()
    base = schema.as_state_machine()
    operations = {op.definition.raw["operationId"]: op for op in (r.ok() for r in schema.get_all_operations())}
    docx = markup_docx(MARKUP)

    class NexusWorkflow(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            tally.scenarios += 1
            self.direct: set[str] = set()  # ids of the cases `call` sends itself

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # A case whose headers are the negated part (a missing or malformed token) is sent as generated.
            negated = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
            headers = {} if negated else {"Authorization": f"Bearer {sarah}"}
            return {"base_url": server.base_url, "session": session, "headers": headers, "timeout": 15}

        def before_call(self, case: Any) -> None:
            op_id = case.operation.definition.raw["operationId"]
            positive = case.meta is None or case.meta.generation.mode.is_positive
            if op_id == "member_invite" and positive and isinstance(case.body, dict):
                # Only a registered user can be invited; no generator guesses one's email.
                case.body["email"] = api.register("invitee")["email"]

        def step(self, input: StepInput) -> StepOutput:
            tally.steps += 1
            if input.transition is not None:
                tally.linked_steps += input.is_applied
                tally.transitions[input.transition.id] = tally.transitions.get(input.transition.id, 0) + 1
            return super().step(input)  # type: ignore[no-any-return]

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            tally.record(case, response)
            checks = [*BASE_CHECKS, *NEGATIVE_CHECKS, *STATEFUL_CHECKS]
            try:
                case.validate_response(response, checks=checks, transport_kwargs=kwargs, recorder=self.recorder)
            except FailureGroup as group:
                tally.fail(case.operation.label, group)

        def call(self, case: Any, **kwargs: Any) -> Any:
            if case.id not in self.direct:
                return super().call(case, **kwargs)
            # schemathesis names a file part after its field and sniffed format (`document.zip` for a DOCX), and
            # the server decides the type from the name: the seeded upload goes out as a browser would send it.
            fields = dict(case.body)
            document = fields.pop("document")
            resp = session.post(
                f"{server.base_url}{case.formatted_path}",
                headers=kwargs["headers"],
                files={"document": ("Borrower markup.docx", document, "application/octet-stream")},
                data=fields,
                timeout=15,
            )
            return schemathesis.Response.from_requests(resp, verify=True)

        def _seed(self, case: Any) -> StepOutput:
            step = StepInput.initial(case)
            self.recorder.record_case(case=step.case)
            tally.seeded += 1
            return super().step(step)  # type: ignore[no-any-return]

        @initialize(target=base.bundles[operations["recon_upload"].label + " -> 201"])
        def upload_markup(self) -> StepOutput:
            """A real DOCX markup on the demo workspace: a fresh session with pending items to decide."""
            case = operations["recon_upload"].Case(
                body={"document": docx, "workspaceId": DEMO_WORKSPACE}, media_type="multipart/form-data"
            )
            self.direct.add(case.id)
            return self._seed(case)

        @initialize(target=base.bundles[operations["workspace_create"].label + " -> 201"])
        def new_workspace(self) -> StepOutput:
            """A workspace of Sarah's with two clauses: generated bodies rarely pass the business validation."""
            body = {
                "name": "Stateful",
                "currency": "usd",
                "amount": 1000000,
                "standard": "LMA",
                "clausesText": "1. Definitions\nAgreement.\n2. Financial Covenants\nLeverage < 3.5x.",
            }
            return self._seed(operations["workspace_create"].Case(body=body, media_type="application/json"))

        @initialize(target=base.bundles[operations["drift_list"].label + " -> 200"])
        def demo_drift(self) -> StepOutput:
            query = {"workspaceId": DEMO_WORKSPACE, "status": "unresolved"}
            return self._seed(operations["drift_list"].Case(query=query))

        @initialize(target=base.bundles[operations["graph_get"].label + " -> 200"])
        def demo_graph(self) -> StepOutput:
            return self._seed(operations["graph_get"].Case(path_parameters={"workspace_id": DEMO_WORKSPACE}))

    return NexusWorkflow


def test_schemathesis_stateful(server: LiveServer) -> None:
    started = time.monotonic()
    schema = stateful_schema(f"{server.base_url}/schema/openapi.json")
    tally = Tally()
    machine = machine_for(schema, server, tally)
    suites = run_suites(machine, tally)
    print_summary(tally, suites, time.monotonic() - started)
    assert not tally.findings, tally.report(server)
    # Depth: the links were followed, and every operation a link leads to was reached with a 2xx at least once.
    linked_targets = {link.target for link in LINKS}
    labels = {op.definition.raw["operationId"]: op.label for op in (r.ok() for r in schema.get_all_operations())}
    reached = {op for op in linked_targets if any(200 <= s < 300 for s in tally.statuses.get(labels[op], {}))}
    assert tally.linked_steps > tally.steps // 3, (tally.linked_steps, tally.steps)
    assert len(reached) >= len(linked_targets) * 2 // 3, sorted(linked_targets - reached)


def run_suites(machine: type[Any], tally: Tally) -> int:
    """Run SCENARIOS scenarios, in as many hypothesis runs ("suites") as it takes.

    The server's state moves on between scenarios, so hypothesis may find that replaying a prefix of choices drew
    differently (`Flaky`); like schemathesis' own engine, the run then goes on with a new suite under another seed.
    """
    suites = 0
    while tally.scenarios < SCENARIOS and suites < MAX_SUITES:
        settings = hypothesis.settings(
            max_examples=SCENARIOS - tally.scenarios,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # no shrinking: failures are collected, and the server's state moved on
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        seeded = hypothesis.seed(suites)(machine)  # reproducible choices (not responses) per suite
        seeded.rule_order_seed = suites
        suites += 1
        try:
            seeded.run(settings=settings)
        except Flaky:
            continue
        break
    return suites


def print_summary(tally: Tally, suites: int, seconds: float) -> None:
    ok = sum(1 for s in tally.statuses.values() if any(200 <= c < 300 for c in s))
    print(
        f"\nschemathesis (stateful): {tally.scenarios} scenarios in {suites} suite(s), {tally.seeded} seed calls,"
        f" {tally.steps} steps ({tally.linked_steps} through"
        f" links), {len(tally.statuses)} operations called ({ok} with a 2xx), {len(tally.transitions)} distinct"
        f" links followed, {seconds:.1f}s"
    )
    for label, statuses in sorted(tally.statuses.items()):
        print(f"  {label}: {dict(sorted(statuses.items()))}")
