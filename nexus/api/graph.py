"""Graph routes (api.md §3.4): `/api/v1/graph/...` and `POST /api/v1/workspaces/:id/sync`.

Envelope `{success:true, <named keys>}`. The literal `/graph/nodes/...` routes are declared before the
`/graph/{workspace_id}` ones (api.md §1.10); Litestar's router also prefers literal segments over parameters.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from nexus.api.openapi import errors_for
from nexus.api.schemas import ResponseModel, iso_or_none
from nexus.api.security import caller_of, member_of, register_resource, resource_member, resource_of, workspace_member
from nexus.db.queries import graph as graph_q
from nexus.domain.errors import ValidationFailed
from nexus.domain.graph import edge_kind
from nexus.services import graph as graph_service
from nexus.services.context import Context

NodeTypeOut = Literal["financial", "covenant", "definition", "xref"]
EdgeKindOut = Literal["binding", "definition", "reference"]


async def _load_node(ctx: Context, node_id: str, user_id: str) -> graph_q.GetNodeForMemberRow | None:
    async with ctx.pool.connection() as conn:
        return await graph_q.get_node_for_member(conn, node_id=node_id, user_id=user_id)


register_resource("graph_node", "node_id", _load_node)
NODE = {"resource": "graph_node", "resource_label": "Node", "permission": ("graph:view",)}


# -- response shapes (api.md §2) --------------------------------------------------------------------------------
class GraphNodeOut(ResponseModel):
    id: str
    workspaceId: str
    label: str
    type: NodeTypeOut
    clauseId: str | None
    variableId: str | None
    value: str | None
    hasDrift: bool
    hasWarning: bool


class ImpactNodeOut(GraphNodeOut):
    distance: int
    path: list[str]


class GraphEdgeOut(ResponseModel):
    id: str
    workspaceId: str
    sourceId: str
    targetId: str
    weight: int
    kind: EdgeKindOut


class GraphOut(ResponseModel):
    nodes: list[GraphNodeOut]
    edges: list[GraphEdgeOut]
    integrityScore: int
    lastComputedAt: str | None
    nodeCount: int
    edgeCount: int


class GraphEnvelope(ResponseModel):
    success: Literal[True] = True
    graph: GraphOut


class TermIssueOut(ResponseModel):
    clauseId: str
    term: str


class BrokenReferenceOut(ResponseModel):
    clauseId: str
    reference: str


class IssuesOut(ResponseModel):
    orphans: list[str]
    cycles: list[list[str]]
    undefinedTerms: list[TermIssueOut]
    unusedDefinitions: list[TermIssueOut]
    brokenReferences: list[BrokenReferenceOut]


class IssueCountsOut(ResponseModel):
    orphans: int
    cycles: int
    undefinedTerms: int
    unusedDefinitions: int
    brokenReferences: int


class IssuesEnvelope(ResponseModel):
    success: Literal[True] = True
    issues: IssuesOut
    counts: IssueCountsOut


class SyncEnvelope(ResponseModel):
    success: Literal[True] = True
    integrityScore: int
    nodeCount: int
    edgeCount: int
    driftCount: int


class NodeEnvelope(ResponseModel):
    success: Literal[True] = True
    node: GraphNodeOut


class LocateEnvelope(ResponseModel):
    success: Literal[True] = True
    clauseId: str
    variableId: str | None


class ConnectedEnvelope(ResponseModel):
    success: Literal[True] = True
    nodes: list[GraphNodeOut]
    edges: list[GraphEdgeOut]


class ImpactEnvelope(ResponseModel):
    success: Literal[True] = True
    root: GraphNodeOut
    direction: Literal["downstream", "upstream"]
    depth: int
    nodes: list[ImpactNodeOut]
    edges: list[GraphEdgeOut]


# -- rendering --------------------------------------------------------------------------------------------------
NodeLike = graph_q.NodeRow | graph_q.GetNodeForMemberRow | graph_q.ImpactReachRow


def _node_fields(row: NodeLike) -> dict[str, Any]:
    return {
        "id": row.id,
        "workspaceId": row.workspace_id,
        "label": row.label,
        "type": row.type,
        "clauseId": row.clause_id,
        "variableId": row.variable_id,
        "value": row.value,
        "hasDrift": row.has_drift,
        "hasWarning": row.has_warning,
    }


def node_out(row: NodeLike) -> GraphNodeOut:
    return GraphNodeOut(**_node_fields(row))


def _edge_fields(row: graph_q.EdgeRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "workspaceId": row.workspace_id,
        "sourceId": row.source_id,
        "targetId": row.target_id,
        "weight": row.weight,
        "kind": edge_kind(row.weight),
    }


def edge_out(row: graph_q.EdgeRow) -> GraphEdgeOut:
    return GraphEdgeOut(**_edge_fields(row))


def _ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


def _sync_out(result: graph_service.BuildResult) -> SyncEnvelope:
    return SyncEnvelope(
        integrityScore=result.integrity_score,
        nodeCount=result.node_count,
        edgeCount=result.edge_count,
        driftCount=result.drift_count,
    )


# -- controller -------------------------------------------------------------------------------------------------
class GraphController(Controller):
    path = "/api/v1"
    tags = ["graph"]  # noqa: RUF012

    # Literal /graph/nodes/... first (api.md §1.10).
    @get(
        "/graph/nodes/{node_id:str}",
        operation_id="graph_node_get",
        guards=[resource_member],
        opt=NODE,
        responses=errors_for(401, 403, 404),
    )
    async def get_node(self, request: Request[Any, Any, Any], node_id: FromPath[str]) -> NodeEnvelope:
        """One graph node."""
        return NodeEnvelope(node=node_out(resource_of(request)))

    @get(
        "/graph/nodes/{node_id:str}/locate",
        operation_id="graph_node_locate",
        guards=[resource_member],
        opt=NODE,
        responses=errors_for(401, 403, 404),
    )
    async def locate_node(
        self, state: State, request: Request[Any, Any, Any], node_id: FromPath[str]
    ) -> LocateEnvelope:
        """The clause a node stands for (a variable node: its variable's clause); 404 when that clause is gone."""
        found = await graph_service.locate(_ctx(state), member_of(request).workspace_id, node_id)
        return LocateEnvelope(clauseId=found.clause_id, variableId=found.variable_id)

    @get(
        "/graph/nodes/{node_id:str}/connected",
        operation_id="graph_node_connected",
        guards=[resource_member],
        opt=NODE,
        responses=errors_for(401, 403, 404),
    )
    async def connected_nodes(
        self, state: State, request: Request[Any, Any, Any], node_id: FromPath[str]
    ) -> ConnectedEnvelope:
        """Distinct 1-hop neighbours in both directions (root excluded, by id) and the edges used."""
        nodes, edges = await graph_service.connected(_ctx(state), member_of(request).workspace_id, node_id)
        return ConnectedEnvelope(nodes=[node_out(n) for n in nodes], edges=[edge_out(e) for e in edges])

    @get(
        "/graph/nodes/{node_id:str}/impact",
        operation_id="graph_node_impact",
        guards=[resource_member],
        opt={**NODE, "extension": True},
        responses=errors_for(400, 401, 403, 404),
    )
    async def node_impact(
        self,
        state: State,
        request: Request[Any, Any, Any],
        node_id: FromPath[str],
        direction: Annotated[str, QueryParameter(name="direction")] = "downstream",
        depth: Annotated[str, QueryParameter(name="depth")] = "3",
    ) -> ImpactEnvelope:
        """Transitive impact (extension): `direction` downstream (source→target, default) or upstream, `depth`
        1–10 (default 3). Each reachable node once, at its minimal distance, with the smallest minimal path."""
        if direction not in ("downstream", "upstream"):
            raise ValidationFailed("direction must be downstream or upstream", field="direction")
        if not depth.isascii() or not depth.isdigit() or not 1 <= int(depth) <= 10:
            raise ValidationFailed("depth must be an integer from 1 to 10", field="depth")
        result = await graph_service.impact(
            _ctx(state),
            member_of(request).workspace_id,
            node_id,
            "downstream" if direction == "downstream" else "upstream",
            int(depth),
        )
        return ImpactEnvelope(
            root=node_out(result.root),
            direction=result.direction,
            depth=result.depth,
            nodes=[ImpactNodeOut(**_node_fields(n.row), distance=n.row.distance, path=n.path) for n in result.nodes],
            edges=[edge_out(e) for e in result.edges],
        )

    @get(
        "/graph/{workspace_id:str}",
        operation_id="graph_get",
        guards=[workspace_member],
        opt={"permission": ("graph:view",)},
        responses=errors_for(401, 403, 404),
    )
    async def get_graph(self, state: State, workspace_id: FromPath[str]) -> Response[GraphEnvelope]:
        """Every node and edge of the workspace (by id), the cached integrity score and the last build time."""
        view = await graph_service.get_graph(_ctx(state), workspace_id)
        # The largest response of the API: built as plain data of exactly GraphEnvelope's shape (tests/api/
        # test_graph.py checks it against the model) and encoded by msgspec, instead of validating and dumping
        # one pydantic model per node and edge, which cost more than the database work (nexus bench api).
        body = {
            "success": True,
            "graph": {
                "nodes": [_node_fields(n) for n in view.nodes],
                "edges": [_edge_fields(e) for e in view.edges],
                "integrityScore": view.integrity_score,
                "lastComputedAt": iso_or_none(view.last_computed_at),
                "nodeCount": len(view.nodes),
                "edgeCount": len(view.edges),
            },
        }
        return Response(content=cast(GraphEnvelope, body))

    @get(
        "/graph/{workspace_id:str}/issues",
        operation_id="graph_issues",
        guards=[workspace_member],
        opt={"permission": ("graph:view",), "extension": True},
        responses=errors_for(401, 403, 404),
    )
    async def get_issues(self, state: State, workspace_id: FromPath[str]) -> IssuesEnvelope:
        """Orphans, cycles, undefined terms, unused definitions and broken references (extension)."""
        issues = await graph_service.get_issues(_ctx(state), workspace_id)
        return IssuesEnvelope(
            issues=IssuesOut(
                orphans=list(issues.orphans),
                cycles=[list(c) for c in issues.cycles],
                undefinedTerms=[TermIssueOut(clauseId=t.clause_id, term=t.term) for t in issues.undefined_terms],
                unusedDefinitions=[TermIssueOut(clauseId=t.clause_id, term=t.term) for t in issues.unused_definitions],
                brokenReferences=[
                    BrokenReferenceOut(clauseId=b.clause_id, reference=b.reference) for b in issues.broken_references
                ],
            ),
            counts=IssueCountsOut(
                orphans=len(issues.orphans),
                cycles=len(issues.cycles),
                undefinedTerms=len(issues.undefined_terms),
                unusedDefinitions=len(issues.unused_definitions),
                brokenReferences=len(issues.broken_references),
            ),
        )

    @post(
        "/graph/{workspace_id:str}/recompute",
        operation_id="graph_recompute",
        status_code=200,
        guards=[workspace_member],
        opt={"permission": ("graph:sync",)},
        responses=errors_for(401, 403, 404, 409),
    )
    async def recompute(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> SyncEnvelope:
        """Rebuild the graph (same implementation as sync); records GRAPH_SYNC with trigger "recompute"."""
        caller = await caller_of(request)
        return _sync_out(await graph_service.sync(_ctx(state), caller, workspace_id, "recompute"))

    @post(
        "/workspaces/{workspace_id:str}/sync",
        operation_id="graph_sync",
        status_code=200,
        guards=[workspace_member],
        opt={"permission": ("graph:sync",)},
        responses=errors_for(401, 403, 404, 409),
    )
    async def sync(self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]) -> SyncEnvelope:
        """Rebuild the graph of the workspace; records GRAPH_SYNC with trigger "sync" and sets lastSyncAt."""
        caller = await caller_of(request)
        return _sync_out(await graph_service.sync(_ctx(state), caller, workspace_id, "sync"))
