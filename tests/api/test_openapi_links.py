"""The OpenAPI links (nexus/api/links.py) in the served document: each names real operations and parameters, and
each of its runtime expressions resolves in a real response of its source operation, to a value its target accepts."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient

from nexus.api.links import LINKS
from tests.api.documents import markup_docx

pytestmark = pytest.mark.anyio

Client = AsyncTestClient[Any]
SARAH = "sarah.chen@bankco.com"
PASSWORD = "Password123"
MARKUP = [
    [("", "3. Interest")],
    [("", "The Applicable Margin shall be "), ("del", "275"), ("ins", "300"), ("", " basis points per annum.")],
]


async def served_operations(api: Client) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId → (method, path template, operation object) of the served document."""
    doc = (await api.get("/schema/openapi.json")).json()
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }


def pointer(document: Any, ref: str) -> Any:
    """RFC 6901 JSON pointer lookup; KeyError/IndexError when it does not resolve."""
    value = document
    for token in ref.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


async def test_every_link_names_real_operations_and_parameters(demo_api: Client) -> None:
    ops = await served_operations(demo_api)
    assert len(LINKS) > 50
    for link in LINKS:
        where = f"{link.source} -> {link.target}"
        assert link.source in ops and link.target in ops, where
        _, _, source = ops[link.source]
        _, _, target = ops[link.target]
        served = source["responses"][link.status]["links"][link.name]
        assert served["operationId"] == link.target, where
        params = {p["name"]: p for p in target.get("parameters", [])}
        assert set(link.parameters) <= set(params), (where, set(link.parameters) - set(params))
        required_path = {name for name, p in params.items() if p["in"] == "path"}
        assert required_path <= set(link.parameters), (where, "path parameters left to chance")
        source_path = {p["name"] for p in source.get("parameters", []) if p["in"] == "path"}
        for expression in [*link.parameters.values(), *link.request_body.values()]:
            if expression.startswith("$request.path."):
                assert expression.removeprefix("$request.path.") in source_path, (where, expression)
            elif expression.startswith("$"):
                assert expression.startswith("$response.body#/"), (where, expression)
        if link.request_body:
            schema_ref = target["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            doc = (await demo_api.get("/schema/openapi.json")).json()
            properties = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]["properties"]
            assert set(link.request_body) <= set(properties), where


class Recorder:
    """Calls operations by id as Sarah and keeps each one's last 2xx (path parameters, response body)."""

    def __init__(self, api: Client, ops: dict[str, tuple[str, str, dict[str, Any]]], token: str) -> None:
        self.api, self.ops, self.headers = api, ops, {"Authorization": f"Bearer {token}"}
        self.seen: dict[str, tuple[dict[str, str], Any]] = {}

    def url(self, op_id: str, path: dict[str, Any]) -> str:
        _, template, _ = self.ops[op_id]
        for name, value in path.items():
            template = template.replace("{" + name + "}", quote(str(value), safe=""))
        return template

    async def __call__(self, op_id: str, path: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        method = self.ops[op_id][0]
        resp = await self.api.request(method, self.url(op_id, path or {}), headers=self.headers, **kwargs)
        assert 200 <= resp.status_code < 300, (op_id, resp.status_code, resp.text)
        body = resp.json() if resp.content else None
        self.seen[op_id] = ({k: str(v) for k, v in (path or {}).items()}, body)
        return body


async def produce_every_source(call: Recorder) -> None:
    """A real 2xx response of every operation a link starts from."""
    created = await call(
        "workspace_create",
        json={"name": "Links", "currency": "usd", "amount": 10, "standard": "LMA", "clausesText": "1. A\nText."},
    )
    ws = created["workspace"]["id"]
    # Published before the variable edit below raises a high drift, which blocks publishing.
    await call("golden_publish", {"workspace_id": ws}, json={"reason": "Links test", "reasonCategory": "other"})
    await call("golden_version_list", {"workspace_id": ws})
    await call("clause_list", {"workspace_id": ws})
    clause = (await call("clause_create", {"workspace_id": ws}, json={"title": "T", "body": "B", "type": "general"}))[
        "clause"
    ]["id"]
    await call("clause_lock", {"clause_id": clause}, json={})
    await call("clause_unlock", {"clause_id": clause})
    variable = {"clauseId": clause, "label": "Margin", "type": "financial", "value": "250", "unit": "bps"}
    bound = (await call("variable_bind", {"workspace_id": ws}, json=variable))["variable"]["id"]
    await call("variable_update", {"variable_id": bound}, json={"value": "275", "reason": "Agreed with the lenders"})
    await call(
        "covenant_create",
        {"workspace_id": ws},
        json={**variable, "name": "C", "testFrequency": "Quarterly", "threshold": "3.5x", "calculationBasis": "Net"},
    )
    await call("connector_list", {"workspace_id": ws})
    invitee = await call("auth_register", json={"email": "links@example.com", "name": "L", "password": PASSWORD})
    await call("auth_refresh", json={"refreshToken": invitee["data"]["refreshToken"]})
    await call("auth_login", json={"email": SARAH, "password": PASSWORD})
    await call("member_invite", {"workspace_id": ws}, json={"email": "links@example.com", "role": "legal"})
    # The demo workspace has drift, a graph, a reconciliation session and audit events (demo-data.md).
    await call("drift_list", params={"workspaceId": "ws-001"})
    await call("graph_get", {"workspace_id": "ws-001"})
    await call("recon_session_list", params={"workspaceId": "ws-001"})
    await call("recon_item_list", {"session_id": "recon-session-001"})
    await call("audit_list", params={"workspaceId": "ws-001"})
    docx = markup_docx(MARKUP)
    await call(
        "recon_upload",
        files={"document": ("markup.docx", docx, "application/octet-stream")},
        data={"workspaceId": "ws-001"},
    )


def resolve(expression: str, path: dict[str, str], body: Any) -> Any:
    if expression.startswith("$response.body#"):
        return pointer(body, expression.removeprefix("$response.body#"))
    if expression.startswith("$request.path."):
        return path[expression.removeprefix("$request.path.")]
    return expression  # a literal


async def test_every_link_resolves_in_a_real_response_and_reaches_its_target(demo_api: Client) -> None:
    ops = await served_operations(demo_api)
    login = await demo_api.post("/api/v1/auth/login", json={"email": SARAH, "password": PASSWORD})
    call = Recorder(demo_api, ops, login.json()["data"]["accessToken"])
    await produce_every_source(call)
    assert {link.source for link in LINKS} <= set(call.seen), {link.source for link in LINKS} - set(call.seen)
    for link in LINKS:
        path, body = call.seen[link.source]
        values = {name: resolve(expr, path, body) for name, expr in link.parameters.items()}
        body_values = {name: resolve(expr, path, body) for name, expr in link.request_body.items()}
        for name, value in {**values, **body_values}.items():
            assert isinstance(value, str | int) and str(value), (link.source, link.target, name, value)
        method, _, target = ops[link.target]
        if method != "GET":
            continue
        # Following a link to a read answers 200 with the linked values (plus a query for the search).
        in_path = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        query = {k: v for k, v in values.items() if k not in in_path}
        query |= {"q": "Text"} if link.target == "clause_search" else {}
        url = call.url(link.target, {k: v for k, v in values.items() if k in in_path})
        resp = await demo_api.get(url, params=query, headers=call.headers)
        assert resp.status_code == 200, (link.source, link.target, url, resp.status_code, resp.text)
