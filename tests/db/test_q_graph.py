"""Generated graph queries (sql/graph.sql) run against the demo data: the expected graphs of demo-data.md §7 are
written through the build's own array upserts (which tests them), then the reads are checked: graph, node, member
gate, locate, 1-hop neighbours, and the transitive impact walk (domain.md §7.7: both directions, depth limit,
minimal distance, lexicographically smallest path, cycles, dense graphs), the D10 node updates and counters, build
serialisation and the plans of the traversal queries."""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import aiosql
import psycopg
import pytest

from nexus.db.queries import graph as q

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = aiosql.from_path(ROOT / "tests" / "sql" / "q_graph_support.sql", "apsycopg")
PLANS = aiosql.from_path(ROOT / "tests" / "sql" / "q_graph_plans.sql", "apsycopg")
PROD = aiosql.from_path(ROOT / "sql" / "graph.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
BUILT_AT = datetime(2024, 12, 20, 11, 30, tzinfo=UTC)  # ws-001 last_sync_at (demo-data §2)
NUMBERING = re.compile(r"^\s*\d+(\.\d+)*[.)]?\s+")
VARIABLE_NODE_TYPES = {
    "financial": "financial",
    "covenant": "covenant",
    "definition": "definition",
    "ratio": "covenant",
}

# demo-data.md §7, `cNNN` = node-c-clause-NNN, `vNNN` = node-v-var-NNN; (source, target, weight).
WS1_EDGES = [
    *((s, t, 5) for s, t in [("v001", "c002"), ("v002", "c003"), ("v003", "c004"), ("v004", "c005")]),
    *((s, t, 5) for s, t in [("v005", "c006"), ("v006", "c006"), ("v007", "c007"), ("v008", "c011")]),
    *((s, t, 5) for s, t in [("v009", "c001"), ("v010", "c003")]),
    *((s, t, 3) for s, t in [("c001", "c002"), ("c001", "c003"), ("c001", "c005"), ("c001", "c006")]),
    *((s, t, 3) for s, t in [("c001", "c007"), ("c001", "c010"), ("c001", "c011"), ("c007", "c006")]),
    *((s, t, 2) for s, t in [("c002", "c010"), ("c003", "c005"), ("c003", "c011")]),
]
WS2_EDGES = [
    *((s, t, 5) for s, t in [("v011", "c013"), ("v012", "c016"), ("v016", "c014"), ("v017", "c014")]),
    *((s, t, 3) for s, t in [("c015", "c013"), ("c015", "c014"), ("c015", "c016")]),
]
WS3_EDGES = [
    *((s, t, 5) for s, t in [("v013", "c018"), ("v014", "c019"), ("v015", "c020")]),
    *((s, t, 3) for s, t in [("c017", "c019"), ("c017", "c020")]),
    ("c019", "c017", 2),
]


def nid(short: str) -> str:
    """`c003` → node-c-clause-003, `v002` → node-v-var-002; full ids pass through."""
    if short.startswith("node-"):
        return short
    return f"node-c-clause-{short[1:]}" if short[0] == "c" else f"node-v-var-{short[1:]}"


def nids(*shorts: str) -> list[str]:
    return [nid(s) for s in shorts]


class Node(NamedTuple):
    id: str
    label: str
    type: str
    clause_id: str | None
    variable_id: str | None
    value: str | None
    has_drift: bool
    has_warning: bool


class Built(NamedTuple):
    nodes_written: int
    nodes_deleted: int
    edges_written: int
    edges_deleted: int
    state: q.GraphStateRow


@pytest.fixture
async def conn(seeded_db_url: str) -> AsyncIterator[Conn]:
    """Autocommit connection to a fresh copy of the demo data, without the graph the seed builds (these tests
    build it through the queries under test; tests/api/test_graph.py checks the seed's build)."""
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    await SUPPORT.forget_demo_graph(c)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def other(seeded_db_url: str) -> AsyncIterator[Conn]:
    """A second session on the same database, for concurrency."""
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


async def demo_nodes(conn: Conn, ws: str) -> list[Node]:
    """The nodes of domain.md §7.1/§7.5 computed from the build's three reads."""
    clauses = await q.list_build_clauses(conn, workspace_id=ws)
    variables = await q.list_build_variables(conn, workspace_id=ws)
    drifts = await q.list_build_open_drifts(conn, workspace_id=ws)
    drift_clauses = {d.clause_id for d in drifts}
    variable_severity = {d.variable_id: d.severity for d in drifts if d.variable_id is not None}
    nodes = []
    for c in clauses:
        if c.type != "general":
            drift = c.id in drift_clauses
            label = NUMBERING.sub("", c.title)
            nodes.append(Node(f"node-c-{c.id}", label, c.type, c.id, None, None, drift, drift and c.is_sensitive))
    for v in variables:
        severity = variable_severity.get(v.id)
        value = v.value + (f" {v.unit}" if v.unit else "")
        node_type = VARIABLE_NODE_TYPES[v.type]
        nodes.append(
            Node(
                f"node-v-{v.id}", v.label, node_type, v.clause_id, v.id, value, severity is not None, severity == "HIGH"
            )
        )
    return nodes


async def build(
    conn: Conn, ws: str, nodes: list[Node], edges: list[tuple[str, str, int]], built_at: datetime = BUILT_AT
) -> Built:
    """The build's write path (domain.md §7.6 steps 1, 3, 4) in one transaction."""
    async with conn.transaction():
        await q.ensure_graph_state(conn, workspace_id=ws)
        assert await q.lock_graph_state(conn, workspace_id=ws) is not None
        written = await q.upsert_nodes(
            conn,
            workspace_id=ws,
            ids=[n.id for n in nodes],
            labels=[n.label for n in nodes],
            types=[n.type for n in nodes],
            clause_ids=[n.clause_id or "" for n in nodes],
            variable_ids=[n.variable_id or "" for n in nodes],
            node_values=[n.value or "" for n in nodes],
            has_drift=[n.has_drift for n in nodes],
            has_warning=[n.has_warning for n in nodes],
            built_at=built_at,
        )
        deleted = await q.delete_stale_nodes(conn, workspace_id=ws, keep_ids=[n.id for n in nodes])
        sources, targets = [nid(s) for s, _, _ in edges], [nid(t) for _, t, _ in edges]
        edges_written = await q.upsert_edges(
            conn,
            workspace_id=ws,
            source_ids=sources,
            target_ids=targets,
            weights=[w for _, _, w in edges],
            built_at=built_at,
        )
        edges_deleted = await q.delete_stale_edges(conn, workspace_id=ws, source_ids=sources, target_ids=targets)
        state = await q.finish_graph_build(conn, workspace_id=ws, built_at=built_at)
    assert state is not None
    return Built(written, deleted, edges_written, edges_deleted, state)


async def build_demo(conn: Conn, ws: str, edges: list[tuple[str, str, int]]) -> Built:
    return await build(conn, ws, await demo_nodes(conn, ws), edges)


async def impact(
    conn: Conn, root: str, depth: int, *, upstream: bool = False, ws: str = "ws-001"
) -> list[tuple[str, int]]:
    walk = q.impact_upstream if upstream else q.impact_downstream
    return [(r.id, r.distance) for r in await walk(conn, workspace_id=ws, node_id=nid(root), max_depth=depth)]


# ------------------------------------------------------------------------------------------- build inputs


async def test_build_reads_return_the_inputs_in_build_order(conn: Conn) -> None:
    clauses = await q.list_build_clauses(conn, workspace_id="ws-002")
    assert [(c.id, c.order) for c in clauses] == [
        ("clause-015", 1),
        ("clause-013", 2),
        ("clause-016", 3),
        ("clause-014", 4),
    ]
    assert (clauses[0].title, clauses[0].type, clauses[0].is_sensitive) == ("1. Definitions", "definition", True)
    assert clauses[0].body.startswith('In this Agreement: "Available Facility" means')
    variables = await q.list_build_variables(conn, workspace_id="ws-001")
    # clause order, then created_at, then id (var-002 and var-010 share clause-003 and created_at).
    assert [v.id for v in variables] == [
        "var-009",
        "var-001",
        "var-002",
        "var-010",
        "var-003",
        "var-004",
        "var-005",
        "var-006",
        "var-007",
        "var-008",
    ]
    v2 = variables[2]
    assert (v2.clause_id, v2.label, v2.type, v2.value, v2.unit) == (
        "clause-003",
        "Applicable Margin",
        "financial",
        "275",
        "bps",
    )
    assert variables[8].unit is None
    drifts = await q.list_build_open_drifts(conn, workspace_id="ws-001")
    assert [(d.id, d.clause_id, d.variable_id, d.severity) for d in drifts] == [
        ("drift-001", "clause-003", "var-002", "HIGH"),
        ("drift-002", "clause-006", "var-005", "HIGH"),
    ]
    assert [(d.id, d.severity) for d in await q.list_build_open_drifts(conn, workspace_id="ws-003")] == [
        ("drift-005", "MEDIUM")
    ]
    assert await q.list_build_open_drifts(conn, workspace_id="ws-002") == []


# ------------------------------------------------------------------------------------------- build writes


async def test_ws001_build_gives_the_demo_graph(conn: Conn) -> None:
    before = await SUPPORT.workspace_sync_times(conn, workspace_id="ws-001")
    built = await build_demo(conn, "ws-001", WS1_EDGES)
    assert built[:4] == (19, 0, 21, 0)
    s = built.state
    assert (s.workspace_id, s.node_count, s.edge_count, s.drift_node_count, s.warning_node_count) == (
        "ws-001",
        19,
        21,
        4,
        4,
    )
    assert s.integrity_score == 89 and s.last_computed_at == BUILT_AT
    assert await q.get_graph_state(conn, workspace_id="ws-001") == s

    nodes = await q.list_nodes(conn, workspace_id="ws-001")
    clause_nodes = [n.id for n in nodes if n.variable_id is None]
    assert clause_nodes == nids("c001", "c002", "c003", "c004", "c005", "c006", "c007", "c010", "c011")
    assert len(nodes) == 19 and {n.workspace_id for n in nodes} == {"ws-001"}
    assert [n.id for n in nodes] == sorted(n.id for n in nodes)
    flagged = [n.id for n in nodes if n.has_drift]
    assert flagged == [n.id for n in nodes if n.has_warning] == nids("c003", "c006", "v002", "v005")
    by_id = {n.id: n for n in nodes}
    c1 = by_id[nid("c001")]
    assert (c1.label, c1.type, c1.clause_id, c1.variable_id, c1.value) == (
        "Definitions",
        "definition",
        "clause-001",
        None,
        None,
    )
    v2 = by_id[nid("v002")]
    assert (v2.label, v2.type, v2.clause_id, v2.variable_id, v2.value) == (
        "Applicable Margin",
        "financial",
        "clause-003",
        "var-002",
        "275 bps",
    )
    assert (by_id[nid("v007")].value or "").startswith("the consolidated operating profit")
    assert by_id[nid("c010")].type == "xref" and by_id[nid("c006")].label == "Financial Covenants"
    assert {(n.created_at, n.updated_at) for n in nodes} == {(BUILT_AT, BUILT_AT)}

    edges = await q.list_edges(conn, workspace_id="ws-001")
    assert [e.id for e in edges] == sorted(f"edge-{nid(s)}--{nid(t)}" for s, t, _ in WS1_EDGES)
    assert {(e.source_id, e.target_id, e.weight) for e in edges} == {(nid(s), nid(t), w) for s, t, w in WS1_EDGES}
    assert {(e.workspace_id, e.created_at) for e in edges} == {("ws-001", BUILT_AT)}

    # The build moves last_sync_at, never the workspace's updated_at (export watermark).
    after = await SUPPORT.workspace_sync_times(conn, workspace_id="ws-001")
    assert after == (BUILT_AT, before[1])


async def test_other_demo_workspaces_build(conn: Conn) -> None:
    ws2 = await build_demo(conn, "ws-002", WS2_EDGES)
    assert ws2.state[2:7] == (100, 8, 7, 0, 0)
    assert {
        n.type for n in await q.list_nodes(conn, workspace_id="ws-002") if n.variable_id in ("var-016", "var-017")
    } == {
        "covenant"  # ratio variables map to covenant nodes
    }
    ws3 = await build_demo(conn, "ws-003", WS3_EDGES)
    assert ws3.state[2:7] == (89, 7, 6, 2, 1)
    nodes = await q.list_nodes(conn, workspace_id="ws-003")
    assert [(n.id, n.has_drift, n.has_warning) for n in nodes if n.has_drift] == [
        (nid("c019"), True, True),
        (nid("v014"), True, False),  # MEDIUM
    ]


async def test_rebuild_without_changes_writes_nothing(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    nodes, edges = await q.list_nodes(conn, workspace_id="ws-001"), await q.list_edges(conn, workspace_id="ws-001")
    again = await build(conn, "ws-001", await demo_nodes(conn, "ws-001"), WS1_EDGES, datetime(2025, 1, 1, tzinfo=UTC))
    assert again[:4] == (0, 0, 0, 0)
    assert await q.list_nodes(conn, workspace_id="ws-001") == nodes  # same created_at/updated_at
    assert await q.list_edges(conn, workspace_id="ws-001") == edges
    assert again.state.last_computed_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert again.state.integrity_score == 89


async def test_rebuild_replaces_what_changed(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    nodes = [n for n in await demo_nodes(conn, "ws-001") if n.id != nid("v010")]
    nodes = [n._replace(label="Interest Period") if n.id == nid("c003") else n for n in nodes]
    edges = [(s, t, w) for s, t, w in WS1_EDGES if (s, t) != ("c002", "c010") and s != "v010"]
    edges = [(s, t, 4 if (s, t) == ("c003", "c005") else w) for s, t, w in edges]
    built = await build(conn, "ws-001", nodes, edges)
    # one label changed; v010 deleted with its edge (cascade); one weight changed; c002→c010 deleted.
    assert built[:4] == (1, 1, 1, 1)
    assert (built.state.node_count, built.state.edge_count) == (18, 19)
    stored = {n.id: n for n in await q.list_nodes(conn, workspace_id="ws-001")}
    assert nid("v010") not in stored and stored[nid("c003")].label == "Interest Period"
    assert stored[nid("c003")].updated_at > BUILT_AT  # written (trigger time), the others untouched
    assert stored[nid("c005")].updated_at == BUILT_AT
    weights = {(e.source_id, e.target_id): e.weight for e in await q.list_edges(conn, workspace_id="ws-001")}
    assert weights[(nid("c003"), nid("c005"))] == 4 and (nid("c002"), nid("c010")) not in weights
    # An empty build empties the graph.
    empty = await build(conn, "ws-001", [], [])
    assert empty[:4] == (0, 18, 0, 0)
    assert empty.state[2:7] == (100, 0, 0, 0, 0)


async def test_node_upsert_cannot_take_over_another_workspaces_node(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    stolen = await q.upsert_nodes(
        conn,
        workspace_id="ws-002",
        ids=[nid("c003")],
        labels=["Hijack"],
        types=["financial"],
        clause_ids=[""],
        variable_ids=[""],
        node_values=[""],
        has_drift=[False],
        has_warning=[False],
        built_at=BUILT_AT,
    )
    assert stolen == 0
    node = await q.get_node(conn, workspace_id="ws-001", node_id=nid("c003"))
    assert node is not None and node.label == "Interest"
    # Edges must join nodes of their own workspace (composite FKs).
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        await q.upsert_edges(
            conn,
            workspace_id="ws-002",
            source_ids=[nid("c002")],
            target_ids=[nid("c001")],
            weights=[3],
            built_at=BUILT_AT,
        )


async def test_graph_state_row_is_created_once_and_serialises_builds(conn: Conn, other: Conn) -> None:
    await SUPPORT.insert_empty_workspace(conn, workspace_id="ws-new", created_by_id="user-001")
    assert await q.get_graph_state(conn, workspace_id="ws-new") is None
    assert await q.ensure_graph_state(conn, workspace_id="ws-new") == 1
    assert await q.ensure_graph_state(conn, workspace_id="ws-new") == 0
    assert await q.ensure_graph_state(conn, workspace_id="ws-001") == 0  # the demo rows exist
    state = await q.get_graph_state(conn, workspace_id="ws-new")
    assert state is not None and state[2:8] == (100, 0, 0, 0, 0, None)
    built = await build(conn, "ws-new", [], [])
    assert built.state[2:8] == (100, 0, 0, 0, 0, BUILT_AT)

    async with conn.transaction():
        locked = await q.lock_graph_state(conn, workspace_id="ws-001")
        assert locked is not None and locked.integrity_score == 100
        with pytest.raises(psycopg.errors.LockNotAvailable):
            async with other.transaction():
                await SUPPORT.set_lock_timeout(other)
                await q.lock_graph_state(other, workspace_id="ws-001")
    async with other.transaction():
        assert await q.lock_graph_state(other, workspace_id="ws-001") is not None
    assert await q.lock_graph_state(conn, workspace_id="ws-404") is None


async def test_insert_graph_state_is_the_creation_row(conn: Conn) -> None:
    await SUPPORT.insert_empty_workspace(conn, workspace_id="ws-new", created_by_id="user-001")
    assert await q.insert_graph_state(conn, workspace_id="ws-new") == 1
    state = await q.get_graph_state(conn, workspace_id="ws-new")
    assert state is not None and (state.integrity_score, state.node_count, state.last_computed_at) == (100, 0, None)
    with pytest.raises(psycopg.errors.UniqueViolation):
        await q.insert_graph_state(conn, workspace_id="ws-new")


# ------------------------------------------------------------------------------------------- reads


async def test_node_reads_and_member_gate(conn: Conn) -> None:
    assert await q.list_nodes(conn, workspace_id="ws-001") == []  # not built yet: reads never write
    assert await q.get_node(conn, workspace_id="ws-001", node_id=nid("v002")) is None
    await build_demo(conn, "ws-001", WS1_EDGES)
    node = await q.get_node(conn, workspace_id="ws-001", node_id=nid("v002"))
    assert node is not None and (node.value, node.has_drift, node.has_warning) == ("275 bps", True, True)
    assert await q.get_node(conn, workspace_id="ws-002", node_id=nid("v002")) is None

    sarah = await q.get_node_for_member(conn, node_id=nid("v002"), user_id="user-001")
    assert sarah is not None and (sarah.id, sarah.workspace_id, sarah.label) == (
        nid("v002"),
        "ws-001",
        "Applicable Margin",
    )
    assert (sarah.member_id, sarah.member_role, sarah.member_is_admin, sarah.member_status) == (
        "wm-001",
        "agent",
        True,
        "active",
    )
    assert isinstance(sarah.governance_rules, dict) and sarah.archived_at is None
    david = await q.get_node_for_member(conn, node_id=nid("c003"), user_id="user-004")
    assert david is not None and (david.member_role, david.member_is_external) == ("investor", False)
    # Emma is not in ws-001; pending members do not pass; unknown node ids look the same.
    assert await q.get_node_for_member(conn, node_id=nid("v002"), user_id="user-005") is None
    await SUPPORT.set_member_status(conn, member_id="wm-004", status="pending")
    assert await q.get_node_for_member(conn, node_id=nid("c003"), user_id="user-004") is None
    assert await q.get_node_for_member(conn, node_id="node-c-clause-999", user_id="user-001") is None


async def test_locate(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    c3 = await q.locate_node(conn, workspace_id="ws-001", node_id=nid("c003"))
    assert c3 is not None and (c3.clause_id, c3.variable_id) == ("clause-003", None)
    v2 = await q.locate_node(conn, workspace_id="ws-001", node_id=nid("v002"))
    assert v2 is not None and (v2.clause_id, v2.variable_id) == ("clause-003", "var-002")
    assert await q.locate_node(conn, workspace_id="ws-002", node_id=nid("v002")) is None
    assert await q.locate_node(conn, workspace_id="ws-001", node_id="node-c-clause-999") is None
    # A node whose clause is gone (FKs set clause_id / variable_id NULL) cannot be located.
    await SUPPORT.delete_clause_row(conn, clause_id="clause-011")
    assert await q.get_node(conn, workspace_id="ws-001", node_id=nid("c011")) is not None
    assert await q.locate_node(conn, workspace_id="ws-001", node_id=nid("c011")) is None
    assert await q.locate_node(conn, workspace_id="ws-001", node_id=nid("v008")) is None


async def test_connected_is_one_hop_both_ways(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    near = await q.list_connected_nodes(conn, workspace_id="ws-001", node_id=nid("c003"))
    assert [n.id for n in near] == nids("c001", "c005", "c011", "v002", "v010")
    edges = await q.list_node_edges(conn, workspace_id="ws-001", node_id=nid("c003"))
    assert [(e.source_id, e.target_id) for e in edges] == [
        (nid("c001"), nid("c003")),
        (nid("c003"), nid("c005")),
        (nid("c003"), nid("c011")),
        (nid("v002"), nid("c003")),
        (nid("v010"), nid("c003")),
    ]
    assert [e.id for e in edges] == sorted(e.id for e in edges)
    assert [n.id for n in await q.list_connected_nodes(conn, workspace_id="ws-001", node_id=nid("v009"))] == nids(
        "c001"
    )
    assert await q.list_connected_nodes(conn, workspace_id="ws-002", node_id=nid("c003")) == []
    assert await q.list_node_edges(conn, workspace_id="ws-002", node_id=nid("c003")) == []


# ------------------------------------------------------------------------------------------- impact


async def test_impact_downstream_demo_vector(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    rows = await q.impact_downstream(conn, workspace_id="ws-001", node_id=nid("v002"), max_depth=3)
    assert [(r.id, r.distance, r.path) for r in rows] == [
        (nid("c003"), 1, nids("v002", "c003")),
        (nid("c005"), 2, nids("v002", "c003", "c005")),
        (nid("c011"), 2, nids("v002", "c003", "c011")),
    ]
    assert (rows[0].label, rows[0].workspace_id, rows[0].has_drift) == ("Interest", "ws-001", True)
    among = await q.list_edges_among(conn, workspace_id="ws-001", node_ids=[nid("v002"), *(r.id for r in rows)])
    assert [(e.source_id, e.target_id, e.weight) for e in among] == [
        (nid("c003"), nid("c005"), 2),
        (nid("c003"), nid("c011"), 2),
        (nid("v002"), nid("c003"), 5),
    ]
    assert await q.list_edges_among(conn, workspace_id="ws-002", node_ids=[nid("v002"), nid("c003")]) == []


async def test_impact_upstream_demo_vector(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    rows = await q.impact_upstream(conn, workspace_id="ws-001", node_id=nid("c006"), max_depth=2)
    assert [(r.id, r.distance, r.path) for r in rows] == [
        (nid("c001"), 1, nids("c006", "c001")),
        (nid("c007"), 1, nids("c006", "c007")),
        (nid("v005"), 1, nids("c006", "v005")),
        (nid("v006"), 1, nids("c006", "v006")),
        (nid("v007"), 2, nids("c006", "c007", "v007")),
        (nid("v009"), 2, nids("c006", "c001", "v009")),
    ]


async def test_impact_depth_limit_and_minimal_distance(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    assert await impact(conn, "v002", 1) == [(nid("c003"), 1)]
    assert await impact(conn, "v002", 0) == []
    two = await impact(conn, "v009", 2)
    assert two == [(nid("c001"), 1), *((nid(c), 2) for c in ("c002", "c003", "c005", "c006", "c007", "c010", "c011"))]
    # c010 is also 3 hops away (via c002) and c006 via c007: each node appears once, at its minimal distance.
    assert await impact(conn, "v009", 3) == two
    assert await impact(conn, "v009", 10) == two
    # Leaves and unknown or foreign roots reach nothing.
    assert await impact(conn, "c011", 3) == []
    assert await impact(conn, "v002", 3, upstream=True) == []
    assert await impact(conn, "node-x", 3) == []
    assert await impact(conn, "v002", 3, ws="ws-002") == []


async def test_impact_terminates_on_cycles(conn: Conn) -> None:
    await build_demo(conn, "ws-003", WS3_EDGES)  # c017 → c019 and c019 → c017
    assert await impact(conn, "c017", 10, ws="ws-003") == [(nid("c019"), 1), (nid("c020"), 1)]
    assert await impact(conn, "c017", 10, ws="ws-003", upstream=True) == [(nid("c019"), 1), (nid("v014"), 2)]
    rows = await q.impact_downstream(conn, workspace_id="ws-003", node_id=nid("c019"), max_depth=10)
    assert [(r.id, r.distance, r.path) for r in rows] == [
        (nid("c017"), 1, nids("c019", "c017")),
        (nid("c020"), 2, nids("c019", "c017", "c020")),
    ]


async def test_impact_path_is_the_lexicographically_smallest_shortest_path(conn: Conn) -> None:
    # Two shortest paths to c014: c015 → c013 → v017 → c014 and c015 → c016 → v016 → c014. The smallest path
    # goes through c013 although its last hop (v017) is the larger of the two.
    edges = [("c015", "c013", 3), ("c015", "c016", 3), ("c013", "v017", 2), ("c016", "v016", 2)]
    edges += [("v017", "c014", 5), ("v016", "c014", 5)]
    await build_demo(conn, "ws-002", edges)
    rows = await q.impact_downstream(conn, workspace_id="ws-002", node_id=nid("c015"), max_depth=5)
    assert [(r.id, r.distance, r.path) for r in rows] == [
        (nid("c013"), 1, nids("c015", "c013")),
        (nid("c016"), 1, nids("c015", "c016")),
        (nid("v016"), 2, nids("c015", "c016", "v016")),
        (nid("v017"), 2, nids("c015", "c013", "v017")),
        (nid("c014"), 3, nids("c015", "c013", "v017", "c014")),
    ]
    up = await q.impact_upstream(conn, workspace_id="ws-002", node_id=nid("c014"), max_depth=5)
    assert [(r.id, r.distance, r.path) for r in up][-1] == (nid("c015"), 3, nids("c014", "v016", "c016", "c015"))


async def test_impact_on_a_complete_graph_is_not_exponential(conn: Conn) -> None:
    # 14 nodes, every ordered pair an edge: 13^10 paths of length 10, but at most edges x depth walk rows.
    ids = [f"node-x-{i:02d}" for i in range(14)]
    nodes = [Node(i, i, "xref", None, None, None, False, False) for i in ids]
    edges = [(s, t, 1) for s in ids for t in ids if s != t]
    built = await build(conn, "ws-002", nodes, edges)
    assert (built.state.node_count, built.state.edge_count) == (14, 182)
    started = time.monotonic()
    down = await q.impact_downstream(conn, workspace_id="ws-002", node_id=ids[0], max_depth=10)
    up = await q.impact_upstream(conn, workspace_id="ws-002", node_id=ids[5], max_depth=10)
    assert time.monotonic() - started < 5
    assert [(r.id, r.distance, r.path) for r in down] == [(i, 1, [ids[0], i]) for i in ids[1:]]
    assert [r.id for r in up] == [i for i in ids if i != ids[5]] and {r.distance for r in up} == {1}


# ------------------------------------------------------------------------------------------- D10 node updates


async def test_node_flags_variable_node_and_counters(conn: Conn) -> None:
    await build_demo(conn, "ws-001", WS1_EDGES)
    assert (
        await q.set_node_flags(conn, workspace_id="ws-001", node_id=nid("c003"), has_drift=False, has_warning=False)
        == 1
    )
    assert (
        await q.set_node_flags(conn, workspace_id="ws-001", node_id=nid("c003"), has_drift=False, has_warning=False)
        == 0
    )
    assert (
        await q.set_node_flags(conn, workspace_id="ws-002", node_id=nid("c003"), has_drift=True, has_warning=True) == 0
    )
    assert await q.set_node_flags(conn, workspace_id="ws-001", node_id="node-x", has_drift=True, has_warning=True) == 0

    # d=3, w=3, n=19: floor(100 - 150/19 + 0.5) = 92.
    refreshed = await q.refresh_graph_state(conn, workspace_id="ws-001")
    assert refreshed is not None
    assert tuple(refreshed) == (92, 19, 21, 3, 3, BUILT_AT, True)
    again = await q.refresh_graph_state(conn, workspace_id="ws-001")
    assert again is not None and tuple(again) == (92, 19, 21, 3, 3, BUILT_AT, False)
    state = await q.get_graph_state(conn, workspace_id="ws-001")
    assert state is not None and (state.integrity_score, state.drift_node_count, state.last_computed_at) == (
        92,
        3,
        BUILT_AT,
    )

    args: dict[str, Any] = {
        "label": "Applicable Margin",
        "node_value": "300 bps",
        "has_drift": True,
        "has_warning": True,
    }
    assert await q.update_variable_node(conn, workspace_id="ws-001", variable_id="var-002", **args) == 1
    assert await q.update_variable_node(conn, workspace_id="ws-001", variable_id="var-002", **args) == 0
    assert await q.update_variable_node(conn, workspace_id="ws-002", variable_id="var-002", **args) == 0
    node = await q.get_node(conn, workspace_id="ws-001", node_id=nid("v002"))
    assert node is not None and (node.label, node.value) == ("Applicable Margin", "300 bps")
    renamed = {**args, "label": "Margin", "node_value": None}
    assert await q.update_variable_node(conn, workspace_id="ws-001", variable_id="var-002", **renamed) == 1
    node = await q.get_node(conn, workspace_id="ws-001", node_id=nid("v002"))
    assert node is not None and (node.label, node.value) == ("Margin", None)

    # Deleting nodes (their edges cascade), then recounting.
    assert await q.delete_variable_node(conn, workspace_id="ws-001", variable_id="var-010") == 1
    assert await q.delete_variable_node(conn, workspace_id="ws-002", variable_id="var-002") == 0
    assert await q.delete_clause_nodes(conn, workspace_id="ws-001", clause_id="clause-006") == 3  # c006, v005, v006
    assert await q.delete_clause_nodes(conn, workspace_id="ws-002", clause_id="clause-003") == 0
    # n=15, e=21-1-4=16, d=w=1 (v002): floor(100 - 50/15 + 0.5) = 97.
    final = await q.refresh_graph_state(conn, workspace_id="ws-001")
    assert final is not None and tuple(final) == (97, 15, 16, 1, 1, BUILT_AT, True)
    assert len(await q.list_edges(conn, workspace_id="ws-001")) == 16
    assert await q.refresh_graph_state(conn, workspace_id="ws-404") is None


# ------------------------------------------------------------------------------------------- plans

PLAN_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    # (query, parameters, indexes of which at least one must serve the edge steps)
    (
        "impact_downstream",
        {"workspace_id": "ws-001", "node_id": nid("v009"), "max_depth": 3},
        {"idx_graph_edges_source_id", "uq_graph_edges_workspace_source_target"},
    ),
    (
        "impact_upstream",
        {"workspace_id": "ws-001", "node_id": nid("c006"), "max_depth": 3},
        {"idx_graph_edges_target_id"},
    ),
    ("list_connected_nodes", {"workspace_id": "ws-001", "node_id": nid("c003")}, {"idx_graph_edges_target_id"}),
    ("list_node_edges", {"workspace_id": "ws-001", "node_id": nid("c003")}, {"idx_graph_edges_target_id"}),
]


def normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def plan_nodes(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def test_plan_file_holds_the_production_queries_verbatim() -> None:
    explained = {name.removeprefix("explain_") for name in PLANS.available_queries if name.startswith("explain_")}
    assert explained == {case[0] for case in PLAN_CASES}
    for name in explained:
        text = getattr(PLANS, f"explain_{name}").sql
        assert text.startswith("EXPLAIN (FORMAT JSON)")
        assert normalized(text.removeprefix("EXPLAIN (FORMAT JSON)")) == normalized(getattr(PROD, name).sql), name


@pytest.mark.parametrize(("name", "params", "indexes"), PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
async def test_traversal_plans_use_the_edge_indexes(
    conn: Conn, name: str, params: dict[str, Any], indexes: set[str]
) -> None:
    # A large deal's graph (2000 more nodes, 6000 more edges) as autovacuum leaves it: on the demo's 21 edges one
    # heap page beats any index, so the planner's choice there says nothing.
    await build_demo(conn, "ws-001", WS1_EDGES)
    await SUPPORT.add_synthetic_graph(conn, workspace_id="ws-001", node_count=2000)
    await SUPPORT.vacuum_analyze_graph(conn)
    async with conn.transaction():
        await SUPPORT.disable_seqscan(conn)
        plan = await getattr(PLANS, f"explain_{name}")(conn, **params)
    nodes = list(plan_nodes(plan[0]["Plan"]))
    used = {n["Index Name"] for n in nodes if "Index Name" in n}
    assert used & indexes, (name, used)
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes), name


# Queries whose behaviour is asserted through the service that owns them (tests/services/test_consistency.py for
# the consistency rule's node sync, tests/api/test_graph.py for the impact walk the API serves).
EXERCISED_BY_SERVICE_TESTS = {
    "sync_nodes",
    "sync_all_nodes",
    "adjust_graph_state",
    "impact_reach_downstream",
    "impact_reach_upstream",
    "list_edges_within",
}


def test_every_generated_graph_query_is_exercised_here() -> None:
    generated = {n for n, f in inspect.getmembers(q, inspect.iscoroutinefunction) if f.__module__ == q.__name__}
    called = set(re.findall(r"\bq\.(\w+)\(", Path(__file__).read_text(encoding="utf-8")))
    assert generated - EXERCISED_BY_SERVICE_TESTS <= called, generated - called - EXERCISED_BY_SERVICE_TESTS
