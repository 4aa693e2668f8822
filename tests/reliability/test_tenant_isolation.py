"""Tenant isolation over HTTP (issue 9 §1): Emma, agent admin of ws-003 (she holds every permission there), tries
every route of the route index with the ids of workspaces she is not a member of — clause, variable, node, drift,
member, session, item, connector, covenant, version, audit event — and with other workspaces' ids inside request
bodies of her own workspace. Every answer is 404 (or a 400/404 for a foreign id in a body), and afterwards not one
row of any tenant table has changed. The SQL-level wall (composite foreign keys rejecting a cross-workspace
reference) is tested in tests/db/test_constraints.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from nexus.domain.permissions import ROUTES, Route
from tests.api.documents import markup_docx

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "seed_checks.sql", "psycopg")
Client = AsyncTestClient[Any]
Conn = psycopg.Connection[dict[str, Any]]
EMMA = "emma.brown@bankco.com"
# Ids of ws-001 (Atlas) and ws-002 (Beacon); Emma is a member of ws-003 only.
FOREIGN = {
    "{id}": "ws-001",
    "{workspaceId}": "ws-001",
    "{memberId}": "wm-002",
    "{clauseId}": "clause-003",
    "{variableId}": "var-002",
    "{nodeId}": "node-v-var-002",
    "{driftId}": "drift-001",
    "{sessionId}": "recon-session-001",
    "{itemId}": "recon-003",
    "{connectorId}": "conn-005",
    "{covenantId}": "cov-001",
    "{eventId}": "audit-001",
    "{targetType}": "clause",
    "{targetId}": "clause-003",
}
NO_WORKSPACE = {"public", "auth"}
COVENANT = {"name": "L", "testFrequency": "Quarterly", "threshold": "≤ 1x", "calculationBasis": "A / B"}
QUERY_SCOPED = {  # the workspace is named in the query string or the body
    "drift_list", "drift_high_count", "drift_publish_blocked", "drift_recompute", "recon_session_list",
    "audit_list", "audit_count", "audit_export", "audit_verify", "recon_upload",
}  # fmt: skip
MARKUP = markup_docx([[("", "3. Interest")], [("", "shall be "), ("del", "275"), ("ins", "300"), ("", " basis")]])
# Tables whose rows an attempt could change (sessions/login tracking change with every login).
WATCHED = (
    "users", "workspaces", "workspace_members", "graph_state", "clauses", "variables", "drift_items",
    "reconciliation_sessions", "reconciliation_items", "golden_records", "golden_record_versions",
    "downstream_connectors", "connector_deliveries", "covenants", "audit_events", "audit_chain_heads",
)  # fmt: skip


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    with psycopg.connect(seeded_db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def fingerprint(db: Conn) -> dict[str, str]:
    row = Q.table_fingerprints(db)
    return {table: row[table] for table in WATCHED}


def scoped_routes() -> list[Route]:
    return [r for r in ROUTES if not NO_WORKSPACE & set(r.permission)]


async def _call(api: Client, headers: dict[str, str], route: Route) -> Any:
    path = route.path
    for placeholder, value in FOREIGN.items():
        path = path.replace(placeholder, value)
    path = path.replace("/golden-records/ws-001/versions/{version}", "/golden-records/ws-002/versions/1")
    url = "/api/v1" + path
    if route.operation_id == "recon_upload":
        return await api.post(
            url, headers=headers, files={"document": ("m.docx", MARKUP)}, data={"workspaceId": "ws-001"}
        )
    if route.operation_id in QUERY_SCOPED:
        if route.method == "GET":
            return await api.get(url, headers=headers, params={"workspaceId": "ws-001"})
        return await api.request(route.method, url, headers=headers, json={"workspaceId": "ws-001"})
    body: dict[str, Any] = {"reason": "probe", "reasonCategory": "other", "value": "1", "newBody": "x"}
    return await api.request(route.method, url, headers=headers, json=body)


async def test_every_route_answers_404_for_another_workspaces_ids_and_changes_nothing(
    demo_api: Client, db: Conn
) -> None:
    login = await demo_api.post("/api/v1/auth/login", json={"email": EMMA, "password": "Password123"})
    emma = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
    before = fingerprint(db)
    failures = []
    routes = scoped_routes()
    assert {r.path.split("/")[1] for r in routes} >= {"workspaces", "drafts", "graph", "drifts", "reconciliations"}
    for route in routes:
        resp = await _call(demo_api, emma, route)
        if route.operation_id == "audit_by_target":  # a visibility-scoped list: nothing of ws-001 is visible
            if resp.status_code != 200 or resp.json()["events"] != []:
                failures.append(f"{route.method} {route.path}: {resp.status_code} {resp.text[:200]}")
        elif resp.status_code != 404:
            failures.append(f"{route.method} {route.path}: {resp.status_code} {resp.text[:200]}")
    assert not failures, "\n".join(failures)
    assert fingerprint(db) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/workspaces/ws-003/variables", {"clauseId": "clause-003", "label": "X", "type": "financial",
                                                  "value": "1"}),
        ("POST", "/workspaces/ws-003/clauses/reorder", {"clauseIds": ["clause-017", "clause-018", "clause-019",
                                                                      "clause-020", "clause-003"]}),
        ("POST", "/golden-records/ws-003/covenants", {**COVENANT, "clauseId": "clause-006"}),
        ("POST", "/golden-records/ws-003/covenants", {**COVENANT, "clauseId": "clause-020", "variableId": "var-005"}),
        ("PATCH", "/golden-records/covenants/cov-005", {"clauseId": "clause-006"}),
        ("PATCH", "/golden-records/covenants/cov-005", {"variableId": "var-005"}),
        ("POST", "/drifts/recompute", {"workspaceId": "ws-001"}),
    ],
)  # fmt: skip
async def test_foreign_ids_inside_a_body_are_refused_and_change_nothing(
    demo_api: Client, db: Conn, method: str, path: str, body: dict[str, Any]
) -> None:
    login = await demo_api.post("/api/v1/auth/login", json={"email": EMMA, "password": "Password123"})
    emma = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
    before = fingerprint(db)
    resp = await demo_api.request(method, "/api/v1" + path, headers=emma, json=body)
    assert resp.status_code in (400, 404), resp.text
    assert resp.json()["success"] is False
    assert fingerprint(db) == before
