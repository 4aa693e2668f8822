"""Who may do what: the role x permission table, governance effects and the one guard (domain.md §1-§2).

The route index (`ROUTES`) maps every API operation to the permission it needs; the API layer feeds it into the
OpenAPI document (`x-permission`) and the RBAC tests walk it. Nothing else decides permissions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from nexus.domain.errors import NotFound, PermissionDenied

Role = Literal["agent", "legal", "risk", "investor"]
ROLES: Final[tuple[Role, ...]] = ("agent", "legal", "risk", "investor")

Permission = Literal[
    "workspace:create",
    "workspace:invite",
    "workspace:changeRole",
    "workspace:removeMember",
    "workspace:admin",
    "draft:editText",
    "draft:addClause",
    "draft:deleteClause",
    "draft:lockSection",
    "variable:bind",
    "variable:edit",
    "graph:sync",
    "graph:view",
    "drift:view",
    "drift:viewFull",
    "drift:overrideBaseline",
    "drift:revertDraft",
    "drift:approve",
    "recon:upload",
    "recon:applyReject",
    "golden:export",
    "golden:publish",
    "audit:viewFull",
    "audit:viewLimited",
    "audit:export",
]

ROLE_PERMISSIONS: Final[Mapping[Role, frozenset[Permission]]] = {
    "agent": frozenset(
        {
            "workspace:create",
            "workspace:invite",
            "workspace:changeRole",
            "workspace:removeMember",
            "workspace:admin",
            "draft:editText",
            "draft:addClause",
            "draft:deleteClause",
            "draft:lockSection",
            "variable:bind",
            "variable:edit",
            "graph:sync",
            "graph:view",
            "drift:view",
            "drift:viewFull",
            "drift:overrideBaseline",
            "drift:revertDraft",
            "recon:upload",
            "recon:applyReject",
            "golden:export",
            "golden:publish",
            "audit:viewFull",
            "audit:export",
        }
    ),
    "legal": frozenset(
        {
            "draft:editText",
            "draft:addClause",
            "variable:bind",
            "variable:edit",
            "graph:sync",
            "graph:view",
            "drift:view",
            "drift:viewFull",
            "recon:upload",
            "recon:applyReject",
            "audit:viewFull",
        }
    ),
    "risk": frozenset(
        {
            "graph:view",
            "drift:view",
            "drift:viewFull",
            "drift:approve",
            "golden:export",
            "audit:viewFull",
            "audit:export",
        }
    ),
    "investor": frozenset({"graph:view", "drift:view", "audit:viewLimited"}),
}

ADMIN: Final[frozenset[Permission]] = frozenset(
    {
        "workspace:admin",
        "workspace:invite",
        "workspace:changeRole",
        "workspace:removeMember",
        "draft:lockSection",
    }
)
READ_ONLY: Final[frozenset[Permission]] = frozenset(
    {
        "graph:view",
        "drift:view",
        "drift:viewFull",
        "golden:export",
        "audit:viewFull",
        "audit:viewLimited",
        "audit:export",
    }
)
ALL_PERMISSIONS: Final[frozenset[Permission]] = frozenset().union(*ROLE_PERMISSIONS.values())
WRITE: Final[frozenset[Permission]] = ALL_PERMISSIONS - READ_ONLY

GOVERNANCE_KEYS: Final[tuple[str, ...]] = (
    "requireReasonForSensitiveEdits",
    "legalCanRevertDraft",
    "riskApprovalRequiredForOverride",
    "publishBlockedWhenHighDrift",
    "definitionsLockedAfterApproval",
    "externalCounselReadOnly",
)
DEFAULT_GOVERNANCE: Final[Mapping[str, bool]] = {
    "requireReasonForSensitiveEdits": True,
    "legalCanRevertDraft": False,
    "riskApprovalRequiredForOverride": False,
    "publishBlockedWhenHighDrift": True,
    "definitionsLockedAfterApproval": False,
    "externalCounselReadOnly": False,
}


@dataclass(frozen=True)
class Member:
    """The caller's membership in one workspace, as the guard needs it."""

    workspace_id: str
    member_id: str
    user_id: str
    role: Role
    is_admin: bool
    is_external: bool
    status: Literal["active", "pending", "removed"]
    governance: Mapping[str, bool]
    archived: bool = False

    @property
    def permissions(self) -> frozenset[Permission]:
        return effective_permissions(self.role, self.is_admin, self.is_external, self.governance)

    def can(self, permission: Permission) -> bool:
        return self.status == "active" and permission in self.permissions


def effective_permissions(
    role: Role, is_admin: bool, is_external: bool, governance: Mapping[str, bool]
) -> frozenset[Permission]:
    """`ROLE[role] ∪ ADMIN(is_admin) ∪ {revert for legal under legalCanRevertDraft} − WRITE(external read-only)`."""
    perms = set(ROLE_PERMISSIONS[role])
    if is_admin:
        perms |= ADMIN
    if role == "legal" and governance.get("legalCanRevertDraft", False):
        perms.add("drift:revertDraft")
    if is_external and governance.get("externalCounselReadOnly", False):
        perms -= WRITE
    return frozenset(perms)


def require_member(member: Member | None, what: str = "Workspace") -> Member:
    """Active membership or 404 with the same body as a missing id (never reveal existence)."""
    if member is None or member.status != "active":
        raise NotFound(f"{what} not found")
    return member


def require(member: Member | None, *permissions: Permission, what: str = "Workspace") -> Member:
    """The guard every service calls: 404 for non-members, 403 unless the member holds ANY of `permissions`."""
    active = require_member(member, what)
    if permissions and not any(active.can(p) for p in permissions):
        raise PermissionDenied(_denied_message(permissions))
    return active


def _denied_message(permissions: tuple[Permission, ...]) -> str:
    return "You do not have permission to perform this action (" + " or ".join(permissions) + " required)"


# -- the route index (api.md §5) --------------------------------------------------------------------------------
RoutePermission = Permission | Literal["public", "auth", "member", "pending invitee", "holder or workspace:admin"]


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PATCH", "DELETE"]
    path: str
    operation_id: str
    permission: tuple[RoutePermission, ...]
    status: int
    extension: bool = False


def _r(method: str, path: str, op: str, perm: str, status: int, ext: bool = False) -> Route:
    return Route(method, path, op, tuple(perm.split("|")), status, ext)  # type: ignore[arg-type]


ROUTES: Final[tuple[Route, ...]] = (
    _r("POST", "/auth/register", "auth_register", "public", 201, True),
    _r("POST", "/auth/login", "auth_login", "public", 200),
    _r("POST", "/auth/refresh", "auth_refresh", "public", 200),
    _r("POST", "/auth/logout", "auth_logout", "public", 200),
    _r("POST", "/auth/logout-all", "auth_logout_all", "auth", 200),
    _r("GET", "/auth/me", "auth_me", "auth", 200),
    _r("GET", "/auth/sessions", "auth_sessions", "auth", 200),
    _r("GET", "/workspaces", "workspace_list", "auth", 200),
    _r("POST", "/workspaces", "workspace_create", "auth", 201),
    _r("GET", "/workspaces/{id}", "workspace_get", "member", 200),
    _r("PATCH", "/workspaces/{id}", "workspace_update", "workspace:admin", 200, True),
    _r("DELETE", "/workspaces/{id}", "workspace_archive", "workspace:admin", 204, True),
    _r("GET", "/workspaces/{id}/members", "member_list", "member", 200),
    _r("POST", "/workspaces/{id}/members", "member_invite", "workspace:invite", 201),
    _r("PATCH", "/workspaces/{id}/members/{memberId}", "member_update", "workspace:changeRole", 200),
    _r("DELETE", "/workspaces/{id}/members/{memberId}", "member_remove", "workspace:removeMember", 204),
    _r("POST", "/workspaces/{id}/accept-invitation", "member_accept", "pending invitee", 200, True),
    _r("GET", "/invitations", "invitation_list", "auth", 200, True),
    _r("PATCH", "/workspaces/{id}/governance", "governance_update", "workspace:admin", 200),
    _r("GET", "/workspaces/{id}/outline", "clause_outline", "member", 200),
    _r("GET", "/workspaces/{id}/clauses", "clause_list", "member", 200),
    _r("POST", "/workspaces/{id}/clauses", "clause_create", "draft:addClause", 201, True),
    _r("POST", "/workspaces/{id}/clauses/reorder", "clause_reorder", "draft:addClause", 200, True),
    _r("GET", "/workspaces/{id}/variables", "variable_list", "member", 200),
    _r("POST", "/workspaces/{id}/variables", "variable_bind", "variable:bind", 201),
    _r("GET", "/workspaces/{id}/search", "clause_search", "member", 200, True),
    _r("POST", "/workspaces/{id}/sync", "graph_sync", "graph:sync", 200),
    _r("GET", "/drafts/clauses/{clauseId}", "clause_get", "member", 200),
    _r("PATCH", "/drafts/clauses/{clauseId}", "clause_update", "draft:editText", 200),
    _r("DELETE", "/drafts/clauses/{clauseId}", "clause_delete", "draft:deleteClause", 204, True),
    _r("POST", "/drafts/clauses/{clauseId}/lock", "clause_lock", "draft:lockSection", 200),
    _r("DELETE", "/drafts/clauses/{clauseId}/lock", "clause_unlock", "holder or workspace:admin", 200),
    _r("GET", "/drafts/clauses/{clauseId}/variables", "clause_variables", "member", 200),
    _r("PATCH", "/drafts/variables/{variableId}", "variable_update", "variable:edit", 200),
    _r("DELETE", "/drafts/variables/{variableId}", "variable_delete", "variable:edit", 204),
    _r("GET", "/graph/nodes/{nodeId}", "graph_node_get", "graph:view", 200),
    _r("GET", "/graph/nodes/{nodeId}/locate", "graph_node_locate", "graph:view", 200),
    _r("GET", "/graph/nodes/{nodeId}/connected", "graph_node_connected", "graph:view", 200),
    _r("GET", "/graph/nodes/{nodeId}/impact", "graph_node_impact", "graph:view", 200, True),
    _r("GET", "/graph/{workspaceId}", "graph_get", "graph:view", 200),
    _r("GET", "/graph/{workspaceId}/issues", "graph_issues", "graph:view", 200, True),
    _r("POST", "/graph/{workspaceId}/recompute", "graph_recompute", "graph:sync", 200),
    _r("GET", "/drifts", "drift_list", "drift:view", 200),
    _r("GET", "/drifts/high-drift-count", "drift_high_count", "drift:view", 200),
    _r("GET", "/drifts/publish-blocked", "drift_publish_blocked", "drift:view", 200),
    _r("POST", "/drifts/recompute", "drift_recompute", "graph:sync", 200),
    _r("GET", "/drifts/{driftId}", "drift_get", "drift:view", 200),
    _r("POST", "/drifts/{driftId}/override", "drift_override", "drift:overrideBaseline", 200),
    _r("POST", "/drifts/{driftId}/revert", "drift_revert", "drift:revertDraft", 200),
    _r("POST", "/drifts/{driftId}/approve", "drift_approve", "drift:approve", 200),
    _r("POST", "/reconciliations/upload", "recon_upload", "recon:upload", 201),
    _r("GET", "/reconciliations/sessions", "recon_session_list", "recon:upload|recon:applyReject", 200),
    _r(
        "GET", "/reconciliations/sessions/{sessionId}", "recon_session_get", "recon:upload|recon:applyReject", 200, True
    ),
    _r("GET", "/reconciliations/sessions/{sessionId}/items", "recon_item_list", "recon:upload|recon:applyReject", 200),
    _r("GET", "/reconciliations/items/{itemId}", "recon_item_get", "recon:upload|recon:applyReject", 200),
    _r("POST", "/reconciliations/items/{itemId}/apply", "recon_apply", "recon:applyReject", 200),
    _r("POST", "/reconciliations/items/{itemId}/reject", "recon_reject", "recon:applyReject", 200),
    _r("POST", "/golden-records/connectors/{connectorId}/test", "connector_test", "golden:export", 200),
    _r("PATCH", "/golden-records/connectors/{connectorId}", "connector_update", "workspace:admin", 200, True),
    _r(
        "GET", "/golden-records/connectors/{connectorId}/deliveries", "connector_deliveries", "golden:export", 200, True
    ),
    _r("PATCH", "/golden-records/covenants/{covenantId}", "covenant_update", "variable:edit", 200, True),
    _r("DELETE", "/golden-records/covenants/{covenantId}", "covenant_delete", "variable:edit", 204, True),
    _r("GET", "/golden-records/{workspaceId}", "golden_get", "member", 200),
    _r("GET", "/golden-records/{workspaceId}/can-publish", "golden_can_publish", "member", 200),
    _r("POST", "/golden-records/{workspaceId}/export", "golden_export", "golden:export", 200),
    _r("POST", "/golden-records/{workspaceId}/publish", "golden_publish", "golden:publish", 200),
    _r("GET", "/golden-records/{workspaceId}/versions", "golden_version_list", "golden:export", 200, True),
    _r("GET", "/golden-records/{workspaceId}/versions/{version}", "golden_version_get", "golden:export", 200, True),
    _r("GET", "/golden-records/{workspaceId}/covenants", "covenant_list", "member", 200),
    _r("POST", "/golden-records/{workspaceId}/covenants", "covenant_create", "variable:edit", 201, True),
    _r("GET", "/golden-records/{workspaceId}/connectors", "connector_list", "member", 200),
    _r("POST", "/golden-records/{workspaceId}/covenants/extract", "covenant_extract", "variable:edit", 200, True),
    _r("GET", "/audit/events", "audit_list", "audit:viewFull|audit:viewLimited", 200),
    _r("GET", "/audit/events/{eventId}", "audit_get", "member", 200),
    _r("GET", "/audit/count", "audit_count", "audit:viewFull|audit:viewLimited", 200),
    _r("GET", "/audit/target/{targetType}/{targetId}", "audit_by_target", "member", 200),
    _r("GET", "/audit/export", "audit_export", "audit:export", 200),
    _r("GET", "/audit/verify", "audit_verify", "audit:viewFull", 200, True),
    _r("GET", "", "meta_index", "public", 200),
)

ROUTES_BY_OPERATION: Final[Mapping[str, Route]] = {r.operation_id: r for r in ROUTES}
