"""The role x endpoint matrix, generated from the permission table (domain.md §1, api.md §5 walking rule).

For every workspace-scoped route of the route index (workspace routes `/workspaces/{id}...`, child-id routes
`/drafts/clauses/{clauseId}...`, `/drafts/variables/{variableId}`, `/graph/{workspaceId}...`,
`/graph/nodes/{nodeId}...`, `/drifts/{driftId}...`, and the query/body-scoped `/drifts...` routes): strangers,
pending and removed members get 404; each role x isAdmin x isExternal, with `externalCounselReadOnly` off and on,
gets 403 exactly when `effective_permissions` lacks the route's permission, and otherwise is let through (anything
but 401/403/404; 400 or 409 are fine, since the matrix sends empty bodies and permission is checked before
validation).

Each combination runs against real resources the owner sets up through the API in a fresh workspace: clauses
imported from `clausesText`, a variable bound off its baseline (so an open drift exists) and a graph sync (so
nodes exist). Destructive routes run last, in a fixed order, so they cannot mask the other routes' answers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from nexus.domain.permissions import DEFAULT_GOVERNANCE, ROLES, ROUTES, Route, effective_permissions
from tests.api.documents import markup_docx

Client = AsyncTestClient[Any]
# Long: 32 role combinations over every workspace route (CI runs it once, on PostgreSQL 15).
pytestmark = pytest.mark.slow
PASSWORD = "password-123"
CLAUSES_TEXT = '1. Definitions\n"Margin" means the margin.\n2. Interest\nThe Margin is 200 basis points.'

NOT_WORKSPACE_SCOPED = {"public", "auth", "pending invitee"}
# Visibility-rule routes answer per event, not per workspace permission: an event the caller cannot see is 404 and
# a target list is scoped to what the caller may see (tests/api/test_audit.py covers both).
VISIBILITY_RULE = {"audit_get", "audit_by_target"}
WORKSPACE_ROUTES = [
    r for r in ROUTES if not NOT_WORKSPACE_SCOPED & set(r.permission) and r.operation_id not in VISIBILITY_RULE
]
# Destructive routes last, in this order: unlock while the clause is still unlocked (domain.md §5.3), then lock,
# then the deletions (variable, clause, member, and archiving the workspace last of all).
DESTRUCTIVE = [
    ("DELETE", "/drafts/clauses/{clauseId}/lock"),
    ("POST", "/drafts/clauses/{clauseId}/lock"),
    ("DELETE", "/golden-records/covenants/{covenantId}"),
    ("DELETE", "/drafts/variables/{variableId}"),
    ("DELETE", "/drafts/clauses/{clauseId}"),
    ("DELETE", "/workspaces/{id}/members/{memberId}"),
    ("DELETE", "/workspaces/{id}"),
]
WORKSPACE_ROUTES.sort(
    key=lambda r: DESTRUCTIVE.index((r.method, r.path)) + 1 if (r.method, r.path) in DESTRUCTIVE else 0
)
PLACEHOLDERS = (
    "{id}", "{workspaceId}", "{clauseId}", "{variableId}", "{nodeId}", "{driftId}", "{sessionId}", "{itemId}",
    "{connectorId}", "{covenantId}",
)  # fmt: skip
QUERY_SCOPED = ("/drifts", "/audit", "/reconciliations/sessions", "/reconciliations/upload")
MARKUP = markup_docx(
    [[("", "2. Interest")], [("", "The Margin is "), ("del", "200"), ("ins", "300"), ("", " basis points.")]]
)


def test_the_matrix_walks_every_workspace_scoped_route() -> None:
    """Every walked route names its workspace: a path placeholder, or `workspaceId` in the query/body (`/drifts`)."""
    for route in WORKSPACE_ROUTES:
        assert any(p in route.path for p in PLACEHOLDERS) or route.path.startswith(QUERY_SCOPED), route
    walked = {(r.method, r.path) for r in WORKSPACE_ROUTES}
    assert set(DESTRUCTIVE) <= walked
    prefixes = ("/workspaces/{id}", "/drafts/", "/graph/", "/drifts", "/audit", "/reconciliations", "/golden-records")
    for route in ROUTES:
        if (
            route.path.startswith(prefixes)
            and route.permission != ("pending invitee",)
            and route.operation_id not in VISIBILITY_RULE
        ):
            assert (route.method, route.path) in walked, route


@dataclass(frozen=True)
class Resources:
    ws: str
    member_id: str
    clause_id: str
    variable_id: str
    node_id: str
    drift_id: str
    session_id: str
    item_id: str
    connector_id: str
    covenant_id: str


async def _user(api: Client, name: str) -> str:
    response = await api.post(
        "/api/v1/auth/register", json={"email": f"{name}@matrix.test", "name": name.title(), "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["accessToken"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _workspace(api: Client, owner: str) -> str:
    response = await api.post(
        "/api/v1/workspaces",
        json={
            "name": "Matrix deal",
            "currency": "usd",
            "amount": 1000000,
            "standard": "LMA",
            "clausesText": CLAUSES_TEXT,
        },
        headers=_auth(owner),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["workspace"]["id"])


async def _resources(api: Client, owner: str, ws: str, member_id: str) -> Resources:
    """The owner's real resources in `ws`: the interest clause, a variable off its baseline (an open drift), the
    clause's graph node after a sync, and that drift."""
    response = await api.get(f"/api/v1/workspaces/{ws}/clauses", headers=_auth(owner))
    assert response.status_code == 200, response.text
    clauses = [c["id"] for c in response.json()["clauses"] if "basis points" in c["body"]]
    assert len(clauses) == 1, response.text
    clause_id = str(clauses[0])
    response = await api.post(
        f"/api/v1/workspaces/{ws}/variables",
        json={"clauseId": clause_id, "label": "Margin", "type": "financial", "value": "250", "baselineValue": "200"},
        headers=_auth(owner),
    )
    assert response.status_code == 201, response.text
    variable_id = str(response.json()["variable"]["id"])
    response = await api.post(f"/api/v1/workspaces/{ws}/sync", headers=_auth(owner))
    assert response.status_code == 200, response.text
    node_id = f"node-c-{clause_id}"
    response = await api.get(f"/api/v1/graph/nodes/{node_id}", headers=_auth(owner))
    assert response.status_code == 200, response.text
    response = await api.get("/api/v1/drifts", params={"workspaceId": ws}, headers=_auth(owner))
    assert response.status_code == 200, response.text
    drifts = [d for d in response.json()["driftItems"] if d["variableId"] == variable_id]
    assert len(drifts) == 1, response.text
    response = await api.post(
        "/api/v1/reconciliations/upload",
        files={"document": ("markup.docx", MARKUP)},
        data={"workspaceId": ws},
        headers=_auth(owner),
    )
    assert response.status_code == 201 and len(response.json()["items"]) == 1, response.text
    session_id, item_id = str(response.json()["session"]["id"]), str(response.json()["items"][0]["id"])
    response = await api.get(f"/api/v1/golden-records/{ws}/connectors", headers=_auth(owner))
    assert response.status_code == 200, response.text
    connector_id = str(response.json()["connectors"][0]["id"])
    response = await api.post(
        f"/api/v1/golden-records/{ws}/covenants",
        json={
            "name": "Leverage",
            "testFrequency": "Quarterly",
            "threshold": "≤ 4.50x",
            "calculationBasis": "Total Net Debt / EBITDA",
            "clauseId": clause_id,
        },
        headers=_auth(owner),
    )
    assert response.status_code == 201, response.text
    covenant_id = str(response.json()["covenant"]["id"])
    return Resources(
        ws, member_id, clause_id, variable_id, node_id, str(drifts[0]["id"]), session_id, item_id, connector_id,
        covenant_id,
    )  # fmt: skip


async def _invite(api: Client, owner: str, ws: str, name: str, role: str, external: bool = False) -> str:
    response = await api.post(
        f"/api/v1/workspaces/{ws}/members",
        json={"email": f"{name}@matrix.test", "role": role, "isExternal": external},
        headers=_auth(owner),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["member"]["id"])


async def _accept(api: Client, token: str, ws: str) -> None:
    response = await api.post(f"/api/v1/workspaces/{ws}/accept-invitation", headers=_auth(token))
    assert response.status_code == 200, response.text


async def _call(api: Client, token: str, route: Route, res: Resources) -> int:
    path = route.path
    for placeholder, value in (
        ("{id}", res.ws),
        ("{workspaceId}", res.ws),
        ("{memberId}", res.member_id),
        ("{clauseId}", res.clause_id),
        ("{variableId}", res.variable_id),
        ("{nodeId}", res.node_id),
        ("{driftId}", res.drift_id),
        ("{sessionId}", res.session_id),
        ("{itemId}", res.item_id),
        ("{connectorId}", res.connector_id),
        ("{covenantId}", res.covenant_id),
        ("{version}", "0"),  # not a valid version: 400, after the permission check
    ):
        path = path.replace(placeholder, value)
    if route.operation_id == "recon_upload":  # multipart, workspace in a form field
        response = await api.post(
            "/api/v1" + path,
            files={"document": ("markup.docx", MARKUP)},
            data={"workspaceId": res.ws},
            headers=_auth(token),
        )
        return response.status_code
    body: dict[str, str] = {}
    params: dict[str, str] = {}
    if "{" not in route.path:  # /drifts..., POST /drifts/recompute, /audit/events|count|export|verify
        if route.method == "GET":
            params["workspaceId"] = res.ws
        else:
            body["workspaceId"] = res.ws
    response = await api.request(route.method, "/api/v1" + path, params=params, json=body, headers=_auth(token))
    assert response.status_code == 204 or response.headers["content-type"].startswith("application/json")
    return response.status_code


async def test_non_members_get_404_on_every_workspace_route(api: Client) -> None:
    owner = await _user(api, "owner")
    stranger = await _user(api, "stranger")
    pending = await _user(api, "pending")
    removed = await _user(api, "removed")
    await _user(api, "target")
    ws = await _workspace(api, owner)
    target = await _invite(api, owner, ws, "target", "investor")
    await _invite(api, owner, ws, "pending", "agent")
    removed_id = await _invite(api, owner, ws, "removed", "agent")
    await _accept(api, removed, ws)
    response = await api.delete(f"/api/v1/workspaces/{ws}/members/{removed_id}", headers=_auth(owner))
    assert response.status_code == 204
    res = await _resources(api, owner, ws, target)

    failures = []
    for route, (who, token) in itertools.product(
        WORKSPACE_ROUTES, [("stranger", stranger), ("pending", pending), ("removed", removed)]
    ):
        status = await _call(api, token, route, res)
        if status != 404:
            failures.append(f"{who} {route.method} {route.path} -> {status}, expected 404")
    assert not failures, "\n".join(failures)


COMBOS = [
    (role, is_admin, is_external, read_only)
    for role in ROLES
    for is_admin in (False, True)
    for is_external in (False, True)
    for read_only in (False, True)
]


def _allowed(route: Route, granted: frozenset[str]) -> bool:
    if route.permission == ("holder or workspace:admin",):
        # The caller never holds the lock; unlocking an unlocked clause is 200 for callers holding
        # workspace:admin or draft:lockSection, 403 for everyone else (domain.md §5.3).
        return "workspace:admin" in granted or "draft:lockSection" in granted
    needed = [p for p in route.permission if p != "member"]
    return not needed or any(p in granted for p in needed)


@pytest.mark.parametrize(("role", "is_admin", "is_external", "read_only"), COMBOS)
async def test_each_role_gets_403_exactly_when_the_table_says(
    api: Client, role: str, is_admin: bool, is_external: bool, read_only: bool
) -> None:
    owner = await _user(api, "owner")
    caller = await _user(api, "caller")
    await _user(api, "target")
    ws = await _workspace(api, owner)
    caller_id = await _invite(api, owner, ws, "caller", role, is_external)
    await _accept(api, caller, ws)
    target = await _invite(api, owner, ws, "target", "investor")
    if is_admin:
        response = await api.patch(
            f"/api/v1/workspaces/{ws}/members/{caller_id}", json={"isAdmin": True}, headers=_auth(owner)
        )
        assert response.status_code == 200, response.text
    governance = {**DEFAULT_GOVERNANCE, "externalCounselReadOnly": read_only}
    if read_only:
        response = await api.patch(
            f"/api/v1/workspaces/{ws}/governance", json={"externalCounselReadOnly": True}, headers=_auth(owner)
        )
        assert response.status_code == 200, response.text
    granted = effective_permissions(role, is_admin, is_external, governance)  # type: ignore[arg-type]
    res = await _resources(api, owner, ws, target)

    failures = []
    for route in WORKSPACE_ROUTES:
        status = await _call(api, caller, route, res)
        label = f"{role} admin={is_admin} external={is_external} readOnly={read_only}: {route.method} {route.path}"
        if _allowed(route, granted):
            if status in (401, 403, 404):
                failures.append(f"{label} -> {status}, expected to be let through")
        elif status != 403:
            failures.append(f"{label} -> {status}, expected 403")
    assert not failures, "\n".join(failures)
