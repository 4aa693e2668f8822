"""Graph use cases (domain.md §7): the transactional, idempotent build shared by sync / recompute / workspace
creation / the seed, and the reads (graph, issues, node, locate, connected, impact)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from psycopg import AsyncConnection

from nexus.db.queries import audit as audit_q
from nexus.db.queries import graph as graph_q
from nexus.db.queries import workspaces as workspaces_q
from nexus.domain import graph as rules
from nexus.domain.errors import Conflict, NotFound
from nexus.services.context import Caller, Context

Trigger = Literal["sync", "recompute"]
Direction = Literal["downstream", "upstream"]
ARCHIVED_MESSAGE: Final = "Workspace is archived"
LOCATE_MESSAGE: Final = "Could not locate clause for this node"


@dataclass(frozen=True)
class BuildResult:
    integrity_score: int
    node_count: int
    edge_count: int
    drift_count: int  # unresolved drift items of the workspace
    previous_integrity_score: int
    last_computed_at: datetime


@dataclass(frozen=True)
class GraphView:
    nodes: list[graph_q.NodeRow]
    edges: list[graph_q.EdgeRow]
    integrity_score: int
    last_computed_at: datetime | None


@dataclass(frozen=True)
class ImpactNode:
    row: graph_q.ImpactReachRow
    path: list[str]


@dataclass(frozen=True)
class Impact:
    root: graph_q.NodeRow
    direction: Direction
    depth: int
    nodes: list[ImpactNode]
    edges: list[graph_q.EdgeRow]


# -- build (§7.6) -----------------------------------------------------------------------------------------------
async def build(
    conn: AsyncConnection[Any],
    *,
    workspace_id: str,
    now: datetime,
    actor_id: str | None = None,
    actor_name: str | None = None,
    trigger: Trigger | None = None,
) -> BuildResult:
    """One full build in the caller's transaction. Lock order: graph_state FOR UPDATE first (serialises builds;
    no variable/drift row locks), then nodes/edges by static array statements, then the audit event (only when
    `trigger` is given: sync / recompute; the seed and workspace creation build silently)."""
    await graph_q.ensure_graph_state(conn, workspace_id=workspace_id)
    state = await graph_q.lock_graph_state(conn, workspace_id=workspace_id)
    if state is None:
        raise NotFound("Workspace not found")
    clauses = await graph_q.list_build_clauses(conn, workspace_id=workspace_id)
    variables = await graph_q.list_build_variables(conn, workspace_id=workspace_id)
    drifts = await graph_q.list_build_open_drifts(conn, workspace_id=workspace_id)
    graph = rules.compute_graph(
        [rules.Clause(c.id, c.title, c.body, c.type, c.order, c.is_sensitive) for c in clauses],
        [rules.Variable(v.id, v.clause_id, v.label, v.type, v.value, v.unit) for v in variables],
        [rules.OpenDrift(d.clause_id, d.variable_id, d.severity) for d in drifts],
    )
    nodes = graph.nodes
    await graph_q.upsert_nodes(
        conn,
        workspace_id=workspace_id,
        ids=[n.id for n in nodes],
        labels=[n.label for n in nodes],
        types=[n.type for n in nodes],
        clause_ids=[n.clause_id or "" for n in nodes],
        variable_ids=[n.variable_id or "" for n in nodes],
        node_values=[n.value or "" for n in nodes],
        has_drift=[n.has_drift for n in nodes],
        has_warning=[n.has_warning for n in nodes],
        built_at=now,
    )
    await graph_q.delete_stale_nodes(conn, workspace_id=workspace_id, keep_ids=[n.id for n in nodes])
    sources = [e.source_id for e in graph.edges]
    targets = [e.target_id for e in graph.edges]
    await graph_q.upsert_edges(
        conn,
        workspace_id=workspace_id,
        source_ids=sources,
        target_ids=targets,
        weights=[e.weight for e in graph.edges],
        built_at=now,
    )
    await graph_q.delete_stale_edges(conn, workspace_id=workspace_id, source_ids=sources, target_ids=targets)
    finished = await graph_q.finish_graph_build(conn, workspace_id=workspace_id, built_at=now)
    if finished is None:
        raise NotFound("Workspace not found")
    result = BuildResult(
        integrity_score=finished.integrity_score,
        node_count=finished.node_count,
        edge_count=finished.edge_count,
        drift_count=len(drifts),
        previous_integrity_score=state.integrity_score,
        last_computed_at=now,
    )
    if trigger is not None:
        assert actor_id is not None and actor_name is not None, "a triggered build records its actor"
        await audit_q.append_event(
            conn,
            workspace_id=workspace_id,
            actor_id=actor_id,
            actor_name=actor_name,
            event_type="GRAPH_SYNC",
            target_type="workspace",
            target_id=workspace_id,
            before_state={"integrityScore": result.previous_integrity_score},
            after_state={
                "trigger": trigger,
                "integrityScore": result.integrity_score,
                "nodeCount": result.node_count,
                "edgeCount": result.edge_count,
                "driftCount": result.drift_count,
            },
            reason=None,
            reason_category=None,
        )
    return result


async def sync(ctx: Context, caller: Caller, workspace_id: str, trigger: Trigger) -> BuildResult:
    """POST /workspaces/:id/sync and POST /graph/:id/recompute: archived → 409, else a build with GRAPH_SYNC."""
    async with ctx.transaction() as conn:
        workspace = await workspaces_q.get_workspace(conn, workspace_id=workspace_id)
        if workspace is None:
            raise NotFound("Workspace not found")
        if workspace.archived_at is not None:
            raise Conflict(ARCHIVED_MESSAGE)
        return await build(
            conn,
            workspace_id=workspace_id,
            now=datetime.now(UTC),
            actor_id=caller.user_id,
            actor_name=caller.name,
            trigger=trigger,
        )


# -- reads (§7.7, §7.8) -----------------------------------------------------------------------------------------
async def get_graph(ctx: Context, workspace_id: str) -> GraphView:
    async with ctx.pool.connection() as conn, conn.transaction():
        state = await graph_q.get_graph_state(conn, workspace_id=workspace_id)
        nodes = await graph_q.list_nodes(conn, workspace_id=workspace_id)
        edges = await graph_q.list_edges(conn, workspace_id=workspace_id)
    return GraphView(
        nodes=nodes,
        edges=edges,
        integrity_score=state.integrity_score if state is not None else 100,
        last_computed_at=state.last_computed_at if state is not None else None,
    )


async def get_issues(ctx: Context, workspace_id: str) -> rules.Issues:
    """Structure (orphans, cycles) of the built graph; text issues from the current clauses."""
    async with ctx.pool.connection() as conn, conn.transaction():
        clauses = await graph_q.list_build_clauses(conn, workspace_id=workspace_id)
        nodes = await graph_q.list_nodes(conn, workspace_id=workspace_id)
        edges = await graph_q.list_edges(conn, workspace_id=workspace_id)
    return rules.issues_report(
        [rules.Clause(c.id, c.title, c.body, c.type, c.order, c.is_sensitive) for c in clauses],
        [n.id for n in nodes],
        [(e.source_id, e.target_id) for e in edges],
    )


async def get_node(ctx: Context, workspace_id: str, node_id: str) -> graph_q.NodeRow:
    async with ctx.pool.connection() as conn:
        node = await graph_q.get_node(conn, workspace_id=workspace_id, node_id=node_id)
    if node is None:
        raise NotFound("Node not found")
    return node


async def locate(ctx: Context, workspace_id: str, node_id: str) -> graph_q.LocateNodeRow:
    async with ctx.pool.connection() as conn:
        found = await graph_q.locate_node(conn, workspace_id=workspace_id, node_id=node_id)
    if found is None:
        raise NotFound(LOCATE_MESSAGE)
    return found


async def connected(
    ctx: Context, workspace_id: str, node_id: str
) -> tuple[list[graph_q.NodeRow], list[graph_q.EdgeRow]]:
    async with ctx.pool.connection() as conn, conn.transaction():
        nodes = await graph_q.list_connected_nodes(conn, workspace_id=workspace_id, node_id=node_id)
        edges = await graph_q.list_node_edges(conn, workspace_id=workspace_id, node_id=node_id)
    return nodes, edges


async def impact(ctx: Context, workspace_id: str, node_id: str, direction: Direction, depth: int) -> Impact:
    """Reachable nodes within `depth` (one recursive CTE over (node, distance, via) rows combined with UNION, so
    cycle-safe), each once at its minimal distance; `path` is rebuilt here from the via links of the
    minimal-distance rows, taking the lexicographically smallest; `edges` = edges among root ∪ result."""
    async with ctx.pool.connection() as conn, conn.transaction():
        root = await graph_q.get_node(conn, workspace_id=workspace_id, node_id=node_id)
        if root is None:
            raise NotFound("Node not found")
        if direction == "downstream":
            rows = await graph_q.impact_reach_downstream(
                conn, workspace_id=workspace_id, node_id=node_id, max_depth=depth
            )
        else:
            rows = await graph_q.impact_reach_upstream(
                conn, workspace_id=workspace_id, node_id=node_id, max_depth=depth
            )
        edges = await graph_q.list_edges_within(
            conn, workspace_id=workspace_id, node_ids=[node_id, *(r.id for r in rows)]
        )
    return Impact(root=root, direction=direction, depth=depth, nodes=with_paths(node_id, rows), edges=edges)


def with_paths(root_id: str, rows: list[graph_q.ImpactReachRow]) -> list[ImpactNode]:
    """Rows come by (distance, id); every via of a row at distance d is at minimal distance d − 1 (or is the
    root), so one pass in that order gives each node min(path(via)) + [node]."""
    paths: dict[str, list[str]] = {root_id: [root_id]}
    out: list[ImpactNode] = []
    for row in rows:
        path = [*min(paths[v] for v in row.vias if v in paths), row.id]
        paths[row.id] = path
        out.append(ImpactNode(row, path))
    return out
