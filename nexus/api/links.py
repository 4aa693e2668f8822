"""OpenAPI links: which response values feed which operations (create a workspace, then use its id).

They document the API's create-then-use chains for client authors and drive schemathesis' stateful run
(tests/api/test_schemathesis_stateful.py). `add_links` writes them into the served document's responses.
Values are OpenAPI runtime expressions (`$response.body#/<JSON pointer>`, `$request.path.<name>`) or literals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """`source` answering `status` links to `target`; `parameters` name the target's path/query parameters."""

    source: str
    status: str
    name: str
    target: str
    parameters: Mapping[str, str]
    request_body: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


def _fan_out(
    source: str, status: str, targets: tuple[str, ...], parameters: Mapping[str, str], noun: str
) -> list[Link]:
    """One link per target, named after the target operation."""
    description = f"The {noun} in this response."
    return [Link(source, status, target, target, parameters, description=description) for target in targets]


WORKSPACE = "$response.body#/workspace/id"
_WORKSPACE_PATH = (
    "workspace_get",
    "workspace_update",
    "workspace_archive",
    "member_list",
    "member_invite",
    "governance_update",
    "clause_outline",
    "clause_list",
    "clause_create",
    "clause_reorder",
    "clause_search",
    "variable_list",
    "graph_sync",
    "graph_get",
    "graph_issues",
    "graph_recompute",
    "golden_get",
    "golden_can_publish",
    "golden_export",
    "golden_publish",
    "golden_version_list",
    "covenant_list",
    "covenant_extract",
    "connector_list",
)
_WORKSPACE_QUERY = (
    "drift_list",
    "drift_high_count",
    "drift_publish_blocked",
    "recon_session_list",
    "audit_list",
    "audit_count",
    "audit_verify",
)
_CLAUSE_PATH = ("clause_get", "clause_update", "clause_delete", "clause_lock", "clause_unlock", "clause_variables")
_ITEM_PATH = ("recon_item_get", "recon_apply", "recon_reject")
_DRIFT_PATH = ("drift_get", "drift_override", "drift_revert", "drift_approve")
_NODE_PATH = ("graph_node_get", "graph_node_locate", "graph_node_connected", "graph_node_impact")
_CONNECTOR_PATH = ("connector_test", "connector_update", "connector_deliveries")


def _links() -> list[Link]:
    links: list[Link] = []
    # A new workspace: everything scoped to it.
    links += _fan_out("workspace_create", "201", _WORKSPACE_PATH, {"workspace_id": WORKSPACE}, "workspace")
    links += _fan_out("workspace_create", "201", _WORKSPACE_QUERY, {"workspaceId": WORKSPACE}, "workspace")
    links.append(Link("workspace_create", "201", "drift_recompute", "drift_recompute", {}, {"workspaceId": WORKSPACE}))
    links.append(
        Link(
            "workspace_create",
            "201",
            "audit_by_target",
            "audit_by_target",
            {"target_type": "workspace", "target_id": WORKSPACE},
        )
    )
    # Members: an invitation, then its role change or removal.
    member = {"workspace_id": "$response.body#/member/workspaceId", "member_id": "$response.body#/member/id"}
    links += _fan_out("member_invite", "201", ("member_update", "member_remove"), member, "invited member")
    # Clauses: a new one (or the first listed) and what hangs off it.
    links += _fan_out("clause_create", "201", _CLAUSE_PATH, {"clause_id": "$response.body#/clause/id"}, "clause")
    in_clause = {"workspace_id": "$response.body#/clause/workspaceId"}
    clause_ref = {"clauseId": "$response.body#/clause/id"}
    links.append(Link("clause_create", "201", "variable_bind", "variable_bind", in_clause, clause_ref))
    links.append(Link("clause_create", "201", "covenant_create", "covenant_create", in_clause, clause_ref))
    links.append(
        Link(
            "clause_create",
            "201",
            "audit_by_target",
            "audit_by_target",
            {"target_type": "clause", "target_id": "$response.body#/clause/id"},
        )
    )
    first_clause = {"clause_id": "$response.body#/clauses/0/id"}
    links += _fan_out("clause_list", "200", _CLAUSE_PATH, first_clause, "first listed clause")
    links.append(Link("clause_lock", "200", "clause_unlock", "clause_unlock", {"clause_id": "$request.path.clause_id"}))
    # Variables: a bound one, its edit (which raises drift) and the drift list it feeds.
    variable = {"variable_id": "$response.body#/variable/id"}
    links += _fan_out("variable_bind", "201", ("variable_update", "variable_delete"), variable, "variable")
    variable_ws = {"workspaceId": "$response.body#/variable/workspaceId"}
    links.append(Link("variable_update", "200", "drift_list", "drift_list", variable_ws))
    links += _fan_out("drift_list", "200", _DRIFT_PATH, {"drift_id": "$response.body#/driftItems/0/id"}, "first drift")
    # Graph nodes.
    links += _fan_out("graph_get", "200", _NODE_PATH, {"node_id": "$response.body#/graph/nodes/0/id"}, "first node")
    # Reconciliation: an upload (or a listed session) and its items.
    session = {"session_id": "$response.body#/session/id"}
    links += _fan_out("recon_upload", "201", ("recon_session_get", "recon_item_list"), session, "new session")
    links += _fan_out("recon_upload", "201", _ITEM_PATH, {"item_id": "$response.body#/items/0/id"}, "first item")
    listed_session = {"session_id": "$response.body#/sessions/0/id"}
    links += _fan_out("recon_session_list", "200", ("recon_session_get", "recon_item_list"), listed_session, "session")
    links += _fan_out("recon_item_list", "200", _ITEM_PATH, {"item_id": "$response.body#/items/0/id"}, "first item")
    # Golden record: covenants, published versions, connectors.
    covenant = {"covenant_id": "$response.body#/covenant/id"}
    links += _fan_out("covenant_create", "201", ("covenant_update", "covenant_delete"), covenant, "covenant")
    published = {
        "workspace_id": "$response.body#/goldenRecord/workspaceId",
        "version": "$response.body#/version/version",
    }
    links.append(Link("golden_publish", "200", "golden_version_get", "golden_version_get", published))
    listed_version = {"workspace_id": "$request.path.workspace_id", "version": "$response.body#/versions/0/version"}
    links.append(Link("golden_version_list", "200", "golden_version_get", "golden_version_get", listed_version))
    connector = {"connector_id": "$response.body#/connectors/0/id"}
    links += _fan_out("connector_list", "200", _CONNECTOR_PATH, connector, "first connector")
    # Audit: the first listed event.
    links.append(Link("audit_list", "200", "audit_get", "audit_get", {"event_id": "$response.body#/events/0/id"}))
    # Sessions: a new user's refresh token, rotated, then revoked.
    refresh = {"refreshToken": "$response.body#/data/refreshToken"}
    for source, status in (("auth_register", "201"), ("auth_login", "200"), ("auth_refresh", "200")):
        links.append(Link(source, status, "auth_refresh", "auth_refresh", {}, refresh))
        links.append(Link(source, status, "auth_logout", "auth_logout", {}, refresh))
    return links


LINKS: tuple[Link, ...] = tuple(_links())


def add_links(schema: Mapping[str, Any]) -> None:
    """Write LINKS into the responses of the OpenAPI document `schema` (a dict, modified in place)."""
    operations = {
        operation["operationId"]: operation
        for item in schema.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for link in LINKS:
        response = operations[link.source]["responses"][link.status]
        definition: dict[str, Any] = {"operationId": link.target}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.request_body:
            definition["requestBody"] = dict(link.request_body)
        if link.description:
            definition["description"] = link.description
        response.setdefault("links", {})[link.name] = definition
