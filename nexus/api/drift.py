"""`/api/v1/drifts`: list, counts, publish gate, recompute and the drift actions (api.md §3.5, routes 43–50).

The workspace routes take the workspace from the query (`workspaceId`) or, for recompute, from the body: a missing
locator is a 400 before the membership check (api.md §1.3), so they use `drift_workspace_member` below. The
`/drifts/{drift_id}` routes resolve the drift and the caller's membership in one lookup (`resource_member`).
Literal paths are registered before `/{drift_id}`.
"""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any, Final, Literal

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import StringConstraints

from nexus.api.auth import BEARER
from nexus.api.openapi import errors_for
from nexus.api.schemas import ReasonCategory, RequestModel, ResponseModel, iso, iso_or_none
from nexus.api.security import (
    AnyConnection,
    caller_of,
    context_of,
    member_of,
    register_resource,
    resource_member,
    resource_of,
)
from nexus.db.queries import drift as drift_q
from nexus.db.queries.enums import ClauseType, DriftSeverity, DriftStatus
from nexus.domain.errors import NotFound, ValidationFailed
from nexus.domain.permissions import Member, Permission, require
from nexus.services import drift as drift_service
from nexus.services import workspaces as workspace_service
from nexus.services.context import Context

MAX_REASON: Final = 2000
MAX_KEYWORD: Final = 200
MAX_ID: Final = 64

register_resource("drift", "drift_id", drift_service.load_for_member)


# -- the query/body workspace guard -----------------------------------------------------------------------------
async def _locator(connection: AnyConnection, handler: BaseRouteHandler) -> str:
    if handler.opt.get("workspace_from") == "body":
        body = await connection.json() if isinstance(connection, Request) else {}
        value = body.get("workspaceId") if isinstance(body, dict) else None
    else:
        value = connection.query_params.get("workspaceId")
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("workspaceId is required", field="workspaceId")
    if "\x00" in value:  # cannot exist (PostgreSQL text holds no U+0000): unknown like any other id
        raise NotFound("Workspace not found")
    return value.strip()


async def drift_workspace_member(connection: AnyConnection, handler: BaseRouteHandler) -> None:
    """401 without a live session, then 400 without `workspaceId` (query, or body with
    `opt={"workspace_from": "body"}`), then 404 for non-members, then 403 without the route's permission; the
    Member is `connection.state["member"]`."""
    caller = await caller_of(connection)  # 401 first (api.md §1.3): the locator's 400 precedes only the 404
    workspace_id = await _locator(connection, handler)
    member = await workspace_service.membership(context_of(connection), workspace_id, caller.user_id)
    permissions: tuple[Permission, ...] = handler.opt.get("permission", ())
    connection.state["member"] = require(member, *permissions)


# -- shapes -----------------------------------------------------------------------------------------------------
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_REASON, strict=True)]


class DriftActionIn(RequestModel):
    reason: Reason | None = None
    reasonCategory: ReasonCategory | None = None


class RecomputeIn(RequestModel):
    workspaceId: str


class DriftItemOut(ResponseModel):
    id: str
    workspaceId: str
    clauseId: str
    variableId: str | None
    title: str
    type: ClauseType
    severity: DriftSeverity
    baselineValue: str
    baselineApprovedAt: str
    currentValue: str
    currentModifiedAt: str
    currentModifiedBy: str
    status: DriftStatus
    approvedBy: str | None
    approvedAt: str | None
    approvalReason: str | None
    unit: str | None
    createdAt: str
    updatedAt: str


class PaginationOut(ResponseModel):
    page: int
    limit: int
    total: int
    totalPages: int
    hasNext: bool
    hasPrev: bool
    nextCursor: str | None


class DriftListEnvelope(ResponseModel):
    success: Literal[True] = True
    driftItems: list[DriftItemOut]
    pagination: PaginationOut


class DriftEnvelope(ResponseModel):
    success: Literal[True] = True
    drift: DriftItemOut


class CountEnvelope(ResponseModel):
    success: Literal[True] = True
    count: int


class PublishBlockedEnvelope(ResponseModel):
    success: Literal[True] = True
    blocked: bool
    reason: str | None
    integrityScore: int
    unresolvedHighDriftCount: int


class RecomputeEnvelope(ResponseModel):
    success: Literal[True] = True
    driftCount: int


def drift_out(row: drift_q.DriftRow | drift_q.GetDriftForMemberRow, member: Member) -> DriftItemOut:
    """DriftItem (api.md §2); `approvalReason` only for callers holding drift:viewFull."""
    return DriftItemOut(
        id=row.id,
        workspaceId=row.workspace_id,
        clauseId=row.clause_id,
        variableId=row.variable_id,
        title=row.title,
        type=row.type,
        severity=row.severity,
        baselineValue=row.baseline_value,
        baselineApprovedAt=iso(row.baseline_approved_at),
        currentValue=row.current_value,
        currentModifiedAt=iso(row.current_modified_at),
        currentModifiedBy=row.current_modified_by,
        status=row.status,
        approvedBy=row.approved_by,
        approvedAt=iso_or_none(row.approved_at),
        approvalReason=row.approval_reason if member.can("drift:viewFull") else None,
        unit=row.unit,
        createdAt=iso(row.created_at),
        updatedAt=iso(row.updated_at),
    )


def pagination(page: int, limit: int, total: int) -> PaginationOut:
    pages = ceil(total / limit) if total else 0
    return PaginationOut(
        page=page,
        limit=limit,
        total=total,
        totalPages=pages,
        hasNext=page < pages,
        hasPrev=page > 1,
        nextCursor=None,
    )


def _reason(data: DriftActionIn) -> drift_service.Reason:
    if data.reason is None or not data.reason:
        raise ValidationFailed("reason is required", field="reason")
    return drift_service.Reason(data.reason, data.reasonCategory)


def _no_nul(value: str | None, name: str) -> str | None:
    if value is not None and "\x00" in value:
        raise ValidationFailed(f"{name} must not contain NUL characters", field=name)
    return value


def _keyword(value: str | None) -> str | None:
    value = _no_nul(value, "keyword")
    return value.strip() if value is not None and value.strip() else None


def _optional_id(value: str | None, name: str) -> str | None:
    _no_nul(value, name)
    if value is None or not value.strip():
        return None
    if len(value.strip()) > MAX_ID:
        raise ValidationFailed(f"{name} must be at most {MAX_ID} characters", field=name)
    return value.strip()


def _ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


WS_GUARD: Final = [drift_workspace_member]
DRIFT_GUARD: Final = [resource_member]


class DriftController(Controller):
    path = "/api/v1/drifts"
    tags = ["drift"]  # noqa: RUF012
    security = BEARER

    @get(
        "/",
        operation_id="drift_list",
        guards=WS_GUARD,
        opt={"permission": ("drift:view",)},
        responses=errors_for(400, 401, 403, 404),
    )
    async def list_drifts(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: Annotated[str, QueryParameter(name="workspaceId", max_length=MAX_ID)],
        severity: Annotated[DriftSeverity | None, QueryParameter(name="severity")] = None,
        clause_type: Annotated[ClauseType | None, QueryParameter(name="type")] = None,
        status: Annotated[DriftStatus | None, QueryParameter(name="status")] = None,
        keyword: Annotated[str | None, QueryParameter(name="keyword", max_length=MAX_KEYWORD)] = None,
        variable_id: Annotated[str | None, QueryParameter(name="variableId")] = None,
        clause_id: Annotated[str | None, QueryParameter(name="clauseId")] = None,
        page: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> DriftListEnvelope:
        """Drift items of a workspace: severity HIGH→LOW, newest change first, id desc; filters combine (AND)."""
        member = member_of(request)
        filters = drift_service.DriftFilter(
            severity=severity,
            type=clause_type,
            status=status,
            keyword=_keyword(keyword),
            variable_id=_optional_id(variable_id, "variableId"),
            clause_id=_optional_id(clause_id, "clauseId"),
        )
        result = await drift_service.list_drifts(_ctx(state), member.workspace_id, filters, page, limit)
        return DriftListEnvelope(
            driftItems=[drift_out(r, member) for r in result.rows], pagination=pagination(page, limit, result.total)
        )

    @get(
        "/high-drift-count",
        operation_id="drift_high_count",
        guards=WS_GUARD,
        opt={"permission": ("drift:view",)},
        responses=errors_for(400, 401, 403, 404),
    )
    async def high_drift_count(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: Annotated[str, QueryParameter(name="workspaceId", max_length=MAX_ID)],
    ) -> CountEnvelope:
        """Number of unresolved HIGH severity drift items."""
        member = member_of(request)
        return CountEnvelope(count=await drift_service.high_drift_count(_ctx(state), member.workspace_id))

    @get(
        "/publish-blocked",
        operation_id="drift_publish_blocked",
        guards=WS_GUARD,
        opt={"permission": ("drift:view",)},
        responses=errors_for(400, 401, 403, 404),
    )
    async def publish_blocked(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: Annotated[str, QueryParameter(name="workspaceId", max_length=MAX_ID)],
    ) -> PublishBlockedEnvelope:
        """Whether publishing is blocked (the golden record is not READY: integrity below 90, or unresolved HIGH
        drift while publishBlockedWhenHighDrift is on), with the reasons joined by ". " (null when not blocked)."""
        member = member_of(request)
        gate = await drift_service.publish_blocked(_ctx(state), member.workspace_id)
        return PublishBlockedEnvelope(
            blocked=gate.blocked,
            reason=gate.reason,
            integrityScore=gate.integrity_score,
            unresolvedHighDriftCount=gate.unresolved_high_drift_count,
        )

    @post(
        "/recompute",
        operation_id="drift_recompute",
        status_code=200,
        guards=WS_GUARD,
        opt={"permission": ("graph:sync",), "workspace_from": "body"},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def recompute(
        self, state: State, request: Request[Any, Any, Any], data: JSONBody[RecomputeIn]
    ) -> RecomputeEnvelope:
        """Reconcile every variable of the workspace with its drift (idempotent: a consistent workspace gets no
        writes); returns the unresolved drift count."""
        member = member_of(request)
        count = await drift_service.recompute(_ctx(state), await caller_of(request), member)
        return RecomputeEnvelope(driftCount=count)

    @get(
        "/{drift_id:str}",
        operation_id="drift_get",
        guards=DRIFT_GUARD,
        opt={"resource": "drift", "permission": ("drift:view",)},
        responses=errors_for(401, 403, 404),
    )
    async def get_drift(self, request: Request[Any, Any, Any], drift_id: FromPath[str]) -> DriftEnvelope:
        """One drift item."""
        row: drift_q.GetDriftForMemberRow = resource_of(request)
        return DriftEnvelope(drift=drift_out(row, member_of(request)))

    @post(
        "/{drift_id:str}/override",
        operation_id="drift_override",
        status_code=200,
        guards=DRIFT_GUARD,
        opt={"resource": "drift", "permission": ("drift:overrideBaseline",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def override(
        self, state: State, request: Request[Any, Any, Any], drift_id: FromPath[str], data: JSONBody[DriftActionIn]
    ) -> DriftEnvelope:
        """Accept the current value as the new baseline (from unresolved; from approved only when
        riskApprovalRequiredForOverride is on). `reason` required."""
        reason = _reason(data)
        member = member_of(request)
        row = await drift_service.override(_ctx(state), await caller_of(request), member, resource_of(request), reason)
        return DriftEnvelope(drift=drift_out(row, member))

    @post(
        "/{drift_id:str}/revert",
        operation_id="drift_revert",
        status_code=200,
        guards=DRIFT_GUARD,
        opt={"resource": "drift", "permission": ("drift:revertDraft",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def revert(
        self, state: State, request: Request[Any, Any, Any], drift_id: FromPath[str], data: JSONBody[DriftActionIn]
    ) -> DriftEnvelope:
        """Put the variable value (or the clause body) back to the baseline (from unresolved). `reason` required."""
        reason = _reason(data)
        member = member_of(request)
        row = await drift_service.revert(_ctx(state), await caller_of(request), member, resource_of(request), reason)
        return DriftEnvelope(drift=drift_out(row, member))

    @post(
        "/{drift_id:str}/approve",
        operation_id="drift_approve",
        status_code=200,
        guards=DRIFT_GUARD,
        opt={"resource": "drift", "permission": ("drift:approve",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def approve(
        self, state: State, request: Request[Any, Any, Any], drift_id: FromPath[str], data: JSONBody[DriftActionIn]
    ) -> DriftEnvelope:
        """Accept the deviation without moving the baseline (from unresolved). `reason` required."""
        reason = _reason(data)
        member = member_of(request)
        row = await drift_service.approve(_ctx(state), await caller_of(request), member, resource_of(request), reason)
        return DriftEnvelope(drift=drift_out(row, member))
