"""HTTP tests of the graph routes (api.md §3.4, §2 GraphNode/GraphEdge; domain.md §7) on the demo data: the
expected graphs of demo-data.md §7 exactly, the ws-003 issues, impact (vectors of §7.7, depth limit, cycles, 400s),
node reads, the membership/permission gate, sync/recompute (GRAPH_SYNC, lastSyncAt, 409 archived), build
idempotency and the build run by workspace creation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from nexus.api.graph import GraphEnvelope

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "graph_api_tests.sql", "psycopg")
Client = AsyncTestClient  # type: ignore[type-arg]
Conn = psycopg.Connection[dict[str, Any]]

API = "/api/v1"
SARAH, JAMES, MARIA, DAVID, EMMA = (
    "sarah.chen@bankco.com",
    "james.wilson@legalfirm.com",
    "maria.garcia@bankco.com",
    "david.kim@investco.com",
    "emma.brown@bankco.com",
)
NODE_KEYS = {"id", "workspaceId", "label", "type", "clauseId", "variableId", "value", "hasDrift", "hasWarning"}
EDGE_KEYS = {"id", "workspaceId", "sourceId", "targetId", "weight", "kind"}
KIND = {5: "binding", 3: "definition", 2: "reference"}


def nid(short: str) -> str:
    """`c003` → node-c-clause-003, `v002` → node-v-var-002."""
    return f"node-c-clause-{short[1:]}" if short[0] == "c" else f"node-v-var-{short[1:]}"


def binding(*pairs: str) -> list[tuple[str, str, int]]:
    return [(p.split(">")[0], p.split(">")[1], 5) for p in pairs]


# demo-data.md §7 (source, target, weight)
EXPECTED: dict[str, dict[str, Any]] = {
    "ws-001": {
        "clauses": ["c001", "c002", "c003", "c004", "c005", "c006", "c007", "c010", "c011"],
        "variables": ["v001", "v002", "v003", "v004", "v005", "v006", "v007", "v008", "v009", "v010"],
        "edges": [
            *binding("v001>c002", "v002>c003", "v003>c004", "v004>c005", "v005>c006"),
            *binding("v006>c006", "v007>c007", "v008>c011", "v009>c001", "v010>c003"),
            *[("c001", t, 3) for t in ("c002", "c003", "c005", "c006", "c007", "c010", "c011")],
            ("c007", "c006", 3),
            ("c002", "c010", 2),
            ("c003", "c005", 2),
            ("c003", "c011", 2),
        ],
        "drift": ["c003", "c006", "v002", "v005"],
        "warning": ["c003", "c006", "v002", "v005"],
        "integrity": 89,
        "lastComputedAt": "2024-12-20T11:30:00.000Z",
    },
    "ws-002": {
        "clauses": ["c013", "c014", "c015", "c016"],
        "variables": ["v011", "v012", "v016", "v017"],
        "edges": [
            *binding("v011>c013", "v012>c016", "v016>c014", "v017>c014"),
            ("c015", "c013", 3),
            ("c015", "c014", 3),
            ("c015", "c016", 3),
        ],
        "drift": [],
        "warning": [],
        "integrity": 100,
        "lastComputedAt": "2024-12-17T16:00:00.000Z",
    },
    "ws-003": {
        "clauses": ["c017", "c018", "c019", "c020"],
        "variables": ["v013", "v014", "v015"],
        "edges": [
            *binding("v013>c018", "v014>c019", "v015>c020"),
            ("c017", "c019", 3),
            ("c017", "c020", 3),
            ("c019", "c017", 2),
        ],
        "drift": ["c019", "v014"],
        "warning": ["c019"],
        "integrity": 89,
        "lastComputedAt": "2024-12-10T10:00:00.000Z",
    },
}
NO_ISSUES = {"orphans": [], "cycles": [], "undefinedTerms": [], "unusedDefinitions": [], "brokenReferences": []}
WS3_ISSUES = {
    "orphans": [],
    "cycles": [["node-c-clause-017", "node-c-clause-019"]],
    "undefinedTerms": [{"clauseId": "clause-020", "term": "Relevant Period"}],
    "unusedDefinitions": [{"clauseId": "clause-017", "term": "Excess Cashflow"}],
    "brokenReferences": [{"clauseId": "clause-020", "reference": "Clause 12 (Mandatory Prepayment)"}],
}


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    """A sync autocommit connection to the demo database the app under test uses."""
    with psycopg.connect(seeded_db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


async def login(api: Client, email: str) -> dict[str, str]:
    resp = await api.post(f"{API}/auth/login", json={"email": email, "password": "Password123"})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


async def ok(api: Client, method: str, path: str, headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    resp = await api.request(method, f"{API}{path}", headers=headers, **kw)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is True
    return body


def assert_error(resp: Any, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["success"] is False and body["error"]["code"] == code


# ------------------------------------------------------------------------------------------- the demo graphs


@pytest.mark.parametrize("ws", ["ws-001", "ws-002", "ws-003"])
async def test_demo_graph_is_exactly_demo_data_section_7(demo_api: Client, ws: str) -> None:
    sarah = await login(demo_api, SARAH)  # Sarah is a member of all three
    graph = (await ok(demo_api, "GET", f"/graph/{ws}", sarah))["graph"]
    exp = EXPECTED[ws]
    assert set(graph) == {"nodes", "edges", "integrityScore", "lastComputedAt", "nodeCount", "edgeCount"}
    node_ids = sorted(nid(s) for s in exp["clauses"] + exp["variables"])
    assert [n["id"] for n in graph["nodes"]] == node_ids
    assert all(set(n) == NODE_KEYS and n["workspaceId"] == ws for n in graph["nodes"])
    edges = sorted((f"edge-{nid(s)}--{nid(t)}", nid(s), nid(t), w, KIND[w]) for s, t, w in exp["edges"])
    assert [(e["id"], e["sourceId"], e["targetId"], e["weight"], e["kind"]) for e in graph["edges"]] == edges
    assert all(set(e) == EDGE_KEYS and e["workspaceId"] == ws for e in graph["edges"])
    assert (graph["nodeCount"], graph["edgeCount"]) == (len(node_ids), len(edges))
    assert [n["id"] for n in graph["nodes"] if n["hasDrift"]] == sorted(nid(s) for s in exp["drift"])
    assert [n["id"] for n in graph["nodes"] if n["hasWarning"]] == sorted(nid(s) for s in exp["warning"])
    assert graph["integrityScore"] == exp["integrity"]
    assert graph["lastComputedAt"] == exp["lastComputedAt"]


async def test_node_values_labels_and_types(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    nodes = {n["id"]: n for n in (await ok(demo_api, "GET", "/graph/ws-001", sarah))["graph"]["nodes"]}
    assert nodes["node-c-clause-001"] == {
        "id": "node-c-clause-001",
        "workspaceId": "ws-001",
        "label": "Definitions",
        "type": "definition",
        "clauseId": "clause-001",
        "variableId": None,
        "value": None,
        "hasDrift": False,
        "hasWarning": False,
    }
    assert nodes["node-v-var-002"] == {
        "id": "node-v-var-002",
        "workspaceId": "ws-001",
        "label": "Applicable Margin",
        "type": "financial",
        "clauseId": "clause-003",
        "variableId": "var-002",
        "value": "275 bps",
        "hasDrift": True,
        "hasWarning": True,
    }
    assert nodes["node-v-var-009"]["value"] == "London and New York"  # no unit
    assert nodes["node-c-clause-010"]["type"] == "xref"


async def test_issues(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    for ws in ("ws-001", "ws-002"):
        body = await ok(demo_api, "GET", f"/graph/{ws}/issues", sarah)
        assert body["issues"] == NO_ISSUES
        assert body["counts"] == dict.fromkeys(NO_ISSUES, 0)
    body = await ok(demo_api, "GET", "/graph/ws-003/issues", sarah)
    assert body["issues"] == WS3_ISSUES
    assert body["counts"] == {
        "orphans": 0,
        "cycles": 1,
        "undefinedTerms": 1,
        "unusedDefinitions": 1,
        "brokenReferences": 1,
    }


# ------------------------------------------------------------------------------------------- node reads


async def test_node_get_locate_connected(demo_api: Client) -> None:
    david = await login(demo_api, DAVID)  # investor: graph:view
    node = (await ok(demo_api, "GET", "/graph/nodes/node-c-clause-003", david))["node"]
    assert (node["id"], node["label"], node["hasDrift"]) == ("node-c-clause-003", "Interest", True)
    assert await ok(demo_api, "GET", "/graph/nodes/node-v-var-002/locate", david) == {
        "success": True,
        "clauseId": "clause-003",
        "variableId": "var-002",
    }
    assert await ok(demo_api, "GET", "/graph/nodes/node-c-clause-010/locate", david) == {
        "success": True,
        "clauseId": "clause-010",
        "variableId": None,
    }
    body = await ok(demo_api, "GET", "/graph/nodes/node-c-clause-003/connected", david)
    assert [n["id"] for n in body["nodes"]] == [nid(s) for s in ("c001", "c005", "c011", "v002", "v010")]
    assert [e["id"] for e in body["edges"]] == sorted(
        f"edge-{nid(s)}--{nid(t)}"
        for s, t in [("c001", "c003"), ("c003", "c005"), ("c003", "c011"), ("v002", "c003"), ("v010", "c003")]
    )
    # trailing slash, no redirect (api.md §1.10)
    resp = await demo_api.get(f"{API}/graph/nodes/node-c-clause-003/", headers=david)
    assert resp.status_code == 200


async def test_literal_node_routes_win_over_workspace_routes(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    assert (await ok(demo_api, "GET", "/graph/nodes/node-c-clause-017", sarah))["node"]["workspaceId"] == "ws-003"
    assert_error(await demo_api.get(f"{API}/graph/nodes/issues", headers=sarah), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{API}/graph/nodes", headers=sarah), 404, "NOT_FOUND")  # workspace "nodes"


# ------------------------------------------------------------------------------------------- impact


async def impact(api: Client, headers: dict[str, str], node: str, **params: Any) -> dict[str, Any]:
    return await ok(api, "GET", f"/graph/nodes/{node}/impact", headers, params=params)


async def test_impact_vectors_of_section_7_7(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    body = await impact(demo_api, sarah, "node-v-var-002", direction="downstream", depth=3)
    assert (body["root"]["id"], body["direction"], body["depth"]) == ("node-v-var-002", "downstream", 3)
    assert [(n["id"], n["distance"], n["path"]) for n in body["nodes"]] == [
        ("node-c-clause-003", 1, ["node-v-var-002", "node-c-clause-003"]),
        ("node-c-clause-005", 2, ["node-v-var-002", "node-c-clause-003", "node-c-clause-005"]),
        ("node-c-clause-011", 2, ["node-v-var-002", "node-c-clause-003", "node-c-clause-011"]),
    ]
    assert all(set(n) == NODE_KEYS | {"distance", "path"} for n in body["nodes"])
    assert [e["id"] for e in body["edges"]] == [
        "edge-node-c-clause-003--node-c-clause-005",
        "edge-node-c-clause-003--node-c-clause-011",
        "edge-node-v-var-002--node-c-clause-003",
    ]
    default = await impact(demo_api, sarah, "node-v-var-002")  # downstream, depth 3 by default
    assert (default["direction"], default["depth"], default["nodes"]) == ("downstream", 3, body["nodes"])

    up = await impact(demo_api, sarah, "node-c-clause-006", direction="upstream", depth=2)
    assert [(n["id"], n["distance"]) for n in up["nodes"]] == [
        ("node-c-clause-001", 1),
        ("node-c-clause-007", 1),
        ("node-v-var-005", 1),
        ("node-v-var-006", 1),
        ("node-v-var-007", 2),
        ("node-v-var-009", 2),
    ]
    paths = {n["id"]: n["path"] for n in up["nodes"]}
    assert paths["node-v-var-007"] == ["node-c-clause-006", "node-c-clause-007", "node-v-var-007"]
    assert paths["node-v-var-009"] == ["node-c-clause-006", "node-c-clause-001", "node-v-var-009"]
    # c001 → c007 is among root ∪ result, so it is listed although no minimal path uses it
    assert "edge-node-c-clause-001--node-c-clause-007" in {e["id"] for e in up["edges"]}


async def test_impact_depth_limit_and_smallest_path(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    one = await impact(demo_api, sarah, "node-v-var-002", depth=1)
    assert [(n["id"], n["distance"]) for n in one["nodes"]] == [("node-c-clause-003", 1)]
    # v009 → c001 → {c002 … c011}; c006 is at distance 2 via c001 and 3 via c007: minimal distance wins.
    far = await impact(demo_api, sarah, "node-v-var-009", depth=10)
    got = {n["id"]: (n["distance"], n["path"]) for n in far["nodes"]}
    assert got["node-c-clause-006"] == (2, ["node-v-var-009", "node-c-clause-001", "node-c-clause-006"])
    # c005 is reachable at distance 2 from c001 directly (c001 → c005), not 3 via c003
    assert got["node-c-clause-005"][0] == 2
    assert got["node-c-clause-010"] == (2, ["node-v-var-009", "node-c-clause-001", "node-c-clause-010"])
    assert [d for d, _ in got.values()] == sorted(d for d, _ in got.values())
    leaf = await impact(demo_api, sarah, "node-c-clause-010", depth=10)
    assert leaf["nodes"] == [] and leaf["edges"] == []


async def test_impact_terminates_on_cycles(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    down = await impact(demo_api, sarah, "node-c-clause-017", depth=10)
    assert [(n["id"], n["distance"]) for n in down["nodes"]] == [("node-c-clause-019", 1), ("node-c-clause-020", 1)]
    up = await impact(demo_api, sarah, "node-c-clause-017", direction="upstream", depth=10)
    assert [(n["id"], n["distance"], n["path"]) for n in up["nodes"]] == [
        ("node-c-clause-019", 1, ["node-c-clause-017", "node-c-clause-019"]),
        ("node-v-var-014", 2, ["node-c-clause-017", "node-c-clause-019", "node-v-var-014"]),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"depth": 0},
        {"depth": 11},
        {"depth": "x"},
        {"depth": "-1"},
        {"depth": "2.5"},
        {"direction": "sideways"},
        {"direction": "DOWNSTREAM"},
    ],
)
async def test_impact_bad_params_are_400(demo_api: Client, params: dict[str, Any]) -> None:
    sarah = await login(demo_api, SARAH)
    resp = await demo_api.get(f"{API}/graph/nodes/node-v-var-002/impact", headers=sarah, params=params)
    assert_error(resp, 400, "VALIDATION_ERROR")


# ------------------------------------------------------------------------------------------- gate


async def test_non_members_get_404_and_permissions_403(demo_api: Client) -> None:
    emma = await login(demo_api, EMMA)  # not a member of ws-001
    for path in (
        "/graph/ws-001",
        "/graph/ws-001/issues",
        "/graph/nodes/node-c-clause-001",
        "/graph/nodes/node-c-clause-001/locate",
        "/graph/nodes/node-c-clause-001/connected",
        "/graph/nodes/node-c-clause-001/impact",
        "/graph/nodes/no-such-node",
        "/graph/no-such-ws",
    ):
        assert_error(await demo_api.get(f"{API}{path}", headers=emma), 404, "NOT_FOUND")
    for path in ("/workspaces/ws-001/sync", "/graph/ws-001/recompute"):
        assert_error(await demo_api.post(f"{API}{path}", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{API}/graph/ws-001"), 401, "UNAUTHORIZED")

    david = await login(demo_api, DAVID)  # investor: view yes, sync no
    await ok(demo_api, "GET", "/graph/ws-001", david)
    for path in ("/workspaces/ws-001/sync", "/graph/ws-001/recompute"):
        assert_error(await demo_api.post(f"{API}{path}", headers=david), 403, "PERMISSION_DENIED")
    maria = await login(demo_api, MARIA)  # risk: no graph:sync
    assert_error(await demo_api.post(f"{API}/workspaces/ws-001/sync", headers=maria), 403, "PERMISSION_DENIED")
    james = await login(demo_api, JAMES)  # external legal, read-only in ws-002 (externalCounselReadOnly)
    assert_error(await demo_api.post(f"{API}/graph/ws-002/recompute", headers=james), 403, "PERMISSION_DENIED")
    await ok(demo_api, "POST", "/graph/ws-001/recompute", james)


# ------------------------------------------------------------------------------------------- sync / recompute


async def test_sync_returns_counts_records_graph_sync_and_sets_last_sync_at(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    before = Q.workspace_sync(db, workspace_id="ws-001")
    seeded_events = list(Q.graph_events(db, workspace_id="ws-001"))
    body = await ok(demo_api, "POST", "/workspaces/ws-001/sync", sarah, json=None)
    assert body == {"success": True, "integrityScore": 89, "nodeCount": 19, "edgeCount": 21, "driftCount": 2}
    events = list(Q.graph_events(db, workspace_id="ws-001"))
    assert len(events) == len(seeded_events) + 1  # the seed's own build recorded nothing
    assert events[-1] == {
        "actor_id": "user-001",
        "actor_name": "Sarah Chen",
        "target_type": "workspace",
        "target_id": "ws-001",
        "before_state": {"integrityScore": 89},
        "after_state": {"trigger": "sync", "integrityScore": 89, "nodeCount": 19, "edgeCount": 21, "driftCount": 2},
        "reason": None,
    }
    after = Q.workspace_sync(db, workspace_id="ws-001")
    assert after["updated_at"] == before["updated_at"]  # a build does not move updated_at
    assert after["last_sync_at"] > before["last_sync_at"]
    assert (datetime.now(UTC) - after["last_sync_at"]).total_seconds() < 60
    state = Q.graph_state_row(db, workspace_id="ws-001")
    assert state["last_computed_at"] == after["last_sync_at"]
    ws = (await ok(demo_api, "GET", "/workspaces/ws-001", sarah))["workspace"]
    assert ws["lastSyncAt"] != "2024-12-20T11:30:00.000Z" and ws["integrityScore"] == 89

    emma = await login(demo_api, EMMA)
    resp = await demo_api.post(f"{API}/graph/ws-003/recompute", headers=emma)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"success": True, "integrityScore": 89, "nodeCount": 7, "edgeCount": 6, "driftCount": 1}
    (*_, last) = Q.graph_events(db, workspace_id="ws-003")
    assert last["after_state"] == {
        "trigger": "recompute",
        "integrityScore": 89,
        "nodeCount": 7,
        "edgeCount": 6,
        "driftCount": 1,
    }
    assert (last["actor_id"], last["actor_name"]) == ("user-005", "Emma Brown")


async def test_builds_are_idempotent(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    snapshots = []
    for _ in range(3):
        snapshots.append(
            {ws: (list(Q.node_rows(db, workspace_id=ws)), list(Q.edge_rows(db, workspace_id=ws))) for ws in EXPECTED}
        )
        for ws in EXPECTED:
            await ok(demo_api, "POST", f"/graph/{ws}/recompute", sarah)
    # The seed's rows (built with the fixed clock) survive any number of unchanged rebuilds, timestamps included.
    assert snapshots[0] == snapshots[1] == snapshots[2]
    seeded_at = datetime(2024, 12, 20, 11, 30, tzinfo=UTC)
    nodes, edges = snapshots[0]["ws-001"]
    assert {n["created_at"] for n in nodes} == {n["updated_at"] for n in nodes} == {seeded_at}
    assert {e["created_at"] for e in edges} == {seeded_at}


async def test_rebuild_follows_a_changed_body(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    # clause-011 stops referring to Clause 3 and stops using the defined terms: both its incoming edges go.
    Q.update_clause_body(db, clause_id="clause-011", body="A commitment fee of 40 per cent. is payable.")
    body = await ok(demo_api, "POST", "/graph/ws-001/recompute", sarah)
    assert (body["nodeCount"], body["edgeCount"]) == (19, 19)
    edges = {e["id"] for e in (await ok(demo_api, "GET", "/graph/ws-001", sarah))["graph"]["edges"]}
    assert "edge-node-c-clause-003--node-c-clause-011" not in edges
    assert "edge-node-c-clause-001--node-c-clause-011" not in edges
    assert "edge-node-v-var-008--node-c-clause-011" in edges


async def test_archived_workspace_sync_is_409_but_reads_work(demo_api: Client) -> None:
    emma = await login(demo_api, EMMA)
    resp = await demo_api.delete(f"{API}/workspaces/ws-003", headers=emma)
    assert resp.status_code == 204, resp.text
    for path in ("/workspaces/ws-003/sync", "/graph/ws-003/recompute"):
        assert_error(await demo_api.post(f"{API}{path}", headers=emma), 409, "CONFLICT")
    await ok(demo_api, "GET", "/graph/ws-003", emma)
    await ok(demo_api, "GET", "/graph/ws-003/issues", emma)


async def test_workspace_creation_builds_the_graph_without_graph_sync(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    text = (
        "1. Definitions\n"
        '"Margin" means 2 per cent. per annum.\n'
        "2. Interest\n"
        "Interest accrues at the Margin.\n"
        "3. Fees\n"
        "Fees are payable as set out in Clause 2 (Interest).\n"
    )
    resp = await demo_api.post(
        f"{API}/workspaces",
        headers=sarah,
        json={"name": "Built", "currency": "USD", "amount": 1000, "standard": "LMA", "clausesText": text},
    )
    assert resp.status_code == 201, resp.text
    ws = resp.json()["workspace"]
    assert ws["lastSyncAt"] == ws["createdAt"]
    graph = (await ok(demo_api, "GET", f"/graph/{ws['id']}", sarah))["graph"]
    assert graph["nodeCount"] == 3 and graph["integrityScore"] == 100
    assert graph["lastComputedAt"] == ws["createdAt"]
    kinds = sorted((e["kind"], e["weight"]) for e in graph["edges"])
    assert kinds == [("definition", 3), ("reference", 2)]
    assert list(Q.graph_events(db, workspace_id=ws["id"])) == []


async def test_graph_body_is_exactly_the_documented_model(demo_api: Client) -> None:
    """GET /graph/:ws is built as plain data for speed; it must still be exactly GraphEnvelope (extra keys are
    forbidden by the response models) and the OpenAPI document must still describe it with that model."""
    sarah = await login(demo_api, SARAH)
    for ws in ("ws-001", "ws-002", "ws-003"):
        body = await ok(demo_api, "GET", f"/graph/{ws}", sarah)
        assert GraphEnvelope.model_validate(body).model_dump(mode="json") == body
    doc = (await demo_api.get("/schema/openapi.json")).json()
    ok_schema = doc["paths"]["/api/v1/graph/{workspace_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok_schema["schema"] == {"$ref": "#/components/schemas/GraphEnvelope"}
