"""`/api/v1/audit`: list, get, count, target, verify (api.md §3.8, routes 72–77; domain.md §11.5–§11.6).

With `workspaceId` the list/count routes are guarded like any workspace route (404 non-member, then 403 without
audit:viewFull or audit:viewLimited); without it they are scoped to the caller's active memberships plus the
caller's own global events. `POST /audit/events` answers 405: audit is written only by the server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Final, Literal

from litestar import Controller, Request, get
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from nexus.api.auth import BEARER
from nexus.api.drift import drift_workspace_member
from nexus.api.openapi import errors_for
from nexus.api.schemas import ResponseModel
from nexus.api.security import AnyConnection, caller_of, context_of, require_possible_ids
from nexus.db.queries import audit as audit_q
from nexus.db.queries.enums import AuditEventType
from nexus.domain.errors import NotFound, PermissionDenied, ValidationFailed
from nexus.domain.permissions import Member, require
from nexus.services import audit as audit_service
from nexus.services import workspaces as workspace_service
from nexus.services.context import Context

MAX_KEYWORD: Final = 200
MAX_ID: Final = 64
VIEW: Final = ("audit:viewFull", "audit:viewLimited")


# -- guard ------------------------------------------------------------------------------------------------------
async def audit_scope(connection: AnyConnection, handler: BaseRouteHandler) -> None:
    """401 first; with a `workspaceId` query parameter: 404 non-member, 403 without any of the route's
    permissions, Member in `state["member"]`; without it `state["member"]` is None (scoped call)."""
    caller = await caller_of(connection)
    require_possible_ids(connection)
    value = connection.query_params.get("workspaceId")
    member: Member | None = None
    if isinstance(value, str) and value.strip():
        if "\x00" in value:
            raise NotFound("Workspace not found")
        found = await workspace_service.membership(context_of(connection), value.strip(), caller.user_id)
        member = require(found, *handler.opt.get("permission", VIEW))
    connection.state["member"] = member


# -- shapes -----------------------------------------------------------------------------------------------------
class AuditPaginationOut(ResponseModel):
    page: int | None
    limit: int
    total: int | None
    totalPages: int | None
    hasNext: bool
    hasPrev: bool
    nextCursor: str | None


class AuditListEnvelope(ResponseModel):
    success: Literal[True] = True
    events: list[dict[str, Any]]
    pagination: AuditPaginationOut


class AuditEventEnvelope(ResponseModel):
    success: Literal[True] = True
    event: dict[str, Any]


class AuditCountEnvelope(ResponseModel):
    success: Literal[True] = True
    count: int


class ProblemOut(ResponseModel):
    seq: int
    eventId: str | None
    kind: Literal["modified", "broken_link", "missing", "head_mismatch"]


class VerifyEnvelope(ResponseModel):
    success: Literal[True] = True
    valid: bool
    chainId: str
    checked: int
    lastSeq: int
    problems: list[ProblemOut]


def event_out(row: audit_q.AuditEventRow | audit_q.GetEventForUserRow, limited: bool) -> dict[str, Any]:
    """AuditEvent (api.md §2), limited projection for audit:viewLimited-only callers."""
    return audit_service.event_dict(row, limited)


def _ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


def _clean(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if "\x00" in value:
        raise ValidationFailed(f"{name} must not contain NUL characters", field=name)
    if len(value.strip()) > MAX_ID:
        raise ValidationFailed(f"{name} must be at most {MAX_ID} characters", field=name)
    return value.strip()


def _moment(value: str | None, name: str, end: bool) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), tzinfo=UTC)
            return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{name} must be an ISO date or date-time", field=name) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def build_filter(
    member: Member | None,
    event_type: AuditEventType | None,
    actor_id: str | None,
    target_type: str | None,
    target_id: str | None,
    start_date: str | None,
    end_date: str | None,
    keyword: str | None,
) -> audit_service.AuditFilter:
    start_at = _moment(start_date, "startDate", end=False)
    end_at = _moment(end_date, "endDate", end=True)
    if start_at is not None and end_at is not None and start_at > end_at:
        raise ValidationFailed("startDate must not be after endDate", field="startDate")
    if keyword is not None and "\x00" in keyword:
        raise ValidationFailed("keyword must not contain NUL characters", field="keyword")
    return audit_service.AuditFilter(
        workspace_id=None if member is None else member.workspace_id,
        event_type=event_type,
        actor_id=_clean(actor_id, "actorId"),
        target_type=_clean(target_type, "targetType"),
        target_id=_clean(target_id, "targetId"),
        start_at=start_at,
        end_at=end_at,
        keyword=keyword.strip() if keyword is not None and keyword.strip() else None,
    )


async def _scope(request: Request[Any, Any, Any], state: State) -> audit_service.Scope:
    member: Member | None = request.state["member"]
    if member is not None:
        return audit_service.scope_of_member(member)
    return await audit_service.caller_scope(_ctx(state), await caller_of(request))


def _pages(page: int, limit: int, total: int) -> AuditPaginationOut:
    pages = -(-total // limit) if total else 0
    return AuditPaginationOut(
        page=page,
        limit=limit,
        total=total,
        totalPages=pages,
        hasNext=page < pages,
        hasPrev=page > 1,
        nextCursor=None,
    )


GUARD: Final = [audit_scope]
WS_GUARD: Final = [drift_workspace_member]
EventTypeQ = Annotated[AuditEventType | None, QueryParameter(name="eventType")]
ActorQ = Annotated[str | None, QueryParameter(name="actorId")]
TargetTypeQ = Annotated[str | None, QueryParameter(name="targetType")]
TargetIdQ = Annotated[str | None, QueryParameter(name="targetId")]
StartQ = Annotated[str | None, QueryParameter(name="startDate")]
EndQ = Annotated[str | None, QueryParameter(name="endDate")]
KeywordQ = Annotated[str | None, QueryParameter(name="keyword", max_length=MAX_KEYWORD)]
WorkspaceQ = Annotated[str | None, QueryParameter(name="workspaceId", max_length=MAX_ID)]


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012
    security = BEARER

    @get(
        "/events",
        operation_id="audit_list",
        guards=GUARD,
        opt={"permission": VIEW},
        responses=errors_for(400, 401, 403, 404, 405),
    )
    async def list_events(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: WorkspaceQ = None,
        event_type: EventTypeQ = None,
        actor_id: ActorQ = None,
        target_type: TargetTypeQ = None,
        target_id: TargetIdQ = None,
        start_date: StartQ = None,
        end_date: EndQ = None,
        keyword: KeywordQ = None,
        page: Annotated[int | None, QueryParameter(name="page", ge=1)] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(name="cursor", max_length=512)] = None,
    ) -> AuditListEnvelope:
        """Audit events newest first (timestamp desc, id desc); `page` mode or keyset `cursor` mode."""
        if cursor is not None and page is not None:
            raise ValidationFailed("cursor and page cannot be combined", field="cursor")
        member: Member | None = request.state["member"]
        filters = build_filter(member, event_type, actor_id, target_type, target_id, start_date, end_date, keyword)
        scope = await _scope(request, state)
        result = await audit_service.list_events(_ctx(state), scope, filters, page or 1, limit, cursor)
        events = [event_out(r, scope.is_limited(r.workspace_id)) for r in result.rows]
        if result.total is None:
            pagination = AuditPaginationOut(
                page=None,
                limit=limit,
                total=None,
                totalPages=None,
                hasNext=result.has_next,
                hasPrev=True,
                nextCursor=result.next_cursor,
            )
        else:
            pagination = _pages(page or 1, limit, result.total)
            pagination.nextCursor = result.next_cursor
        return AuditListEnvelope(events=events, pagination=pagination)

    @get(
        "/events/{event_id:str}",
        operation_id="audit_get",
        guards=GUARD,
        responses=errors_for(401, 404),
    )
    async def get_event(
        self, state: State, request: Request[Any, Any, Any], event_id: FromPath[str]
    ) -> AuditEventEnvelope:
        """One event, if visible to the caller (else 404); limited projection for audit:viewLimited callers."""
        row, limited = await audit_service.get_event(_ctx(state), await caller_of(request), event_id)
        return AuditEventEnvelope(event=event_out(row, limited))

    @get(
        "/count",
        operation_id="audit_count",
        guards=GUARD,
        opt={"permission": VIEW},
        responses=errors_for(400, 401, 403, 404),
    )
    async def count_events(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: WorkspaceQ = None,
        event_type: EventTypeQ = None,
        actor_id: ActorQ = None,
        target_type: TargetTypeQ = None,
        target_id: TargetIdQ = None,
        start_date: StartQ = None,
        end_date: EndQ = None,
        keyword: KeywordQ = None,
    ) -> AuditCountEnvelope:
        """Number of events matching the filters in the caller's scope."""
        member: Member | None = request.state["member"]
        filters = build_filter(member, event_type, actor_id, target_type, target_id, start_date, end_date, keyword)
        scope = await _scope(request, state)
        return AuditCountEnvelope(count=await audit_service.count_events(_ctx(state), scope, filters))

    @get(
        "/target/{target_type:str}/{target_id:str}",
        operation_id="audit_by_target",
        guards=GUARD,
        responses=errors_for(400, 401, 404),
    )
    async def by_target(
        self,
        state: State,
        request: Request[Any, Any, Any],
        target_type: FromPath[str],
        target_id: FromPath[str],
        page: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> AuditListEnvelope:
        """One target's events in the caller's scope, newest first."""
        scope = await audit_service.caller_scope(_ctx(state), await caller_of(request))
        if len(target_type) > MAX_ID or len(target_id) > MAX_ID:
            raise ValidationFailed("target is too long", field="targetId")
        rows, total = await audit_service.target_events(_ctx(state), scope, target_type, target_id, page, limit)
        events = [event_out(r, scope.is_limited(r.workspace_id)) for r in rows]
        return AuditListEnvelope(events=events, pagination=_pages(page, limit, total))

    @get(
        "/verify",
        operation_id="audit_verify",
        guards=WS_GUARD,
        opt={"permission": ("audit:viewFull",)},
        responses=errors_for(400, 401, 403, 404),
    )
    async def verify(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: Annotated[str, QueryParameter(name="workspaceId", max_length=MAX_ID)],
    ) -> VerifyEnvelope:
        """Recompute the workspace's hash chain (domain.md §11.5)."""
        member: Member = request.state["member"]
        report = await audit_service.verify_workspace(_ctx(state), member.workspace_id)
        return VerifyEnvelope(
            valid=report.valid,
            chainId=report.chain_id,
            checked=report.checked,
            lastSeq=report.last_seq,
            problems=[ProblemOut(seq=p.seq, eventId=p.event_id, kind=p.kind) for p in report.problems],
        )

    @get(
        "/export",
        operation_id="audit_export",
        guards=GUARD,
        opt={"permission": ("audit:export",)},
        responses=errors_for(400, 401, 403, 404),
    )
    async def export(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: WorkspaceQ = None,
        event_type: EventTypeQ = None,
        actor_id: ActorQ = None,
        target_type: TargetTypeQ = None,
        target_id: TargetIdQ = None,
        start_date: StartQ = None,
        end_date: EndQ = None,
        keyword: KeywordQ = None,
        fmt: Annotated[Literal["json", "csv"], QueryParameter(name="format")] = "json",
    ) -> Stream:
        """The whole filtered result as a JSON array or CSV file, streamed from a read snapshot; EXPORT_AUDIT is
        committed first (even for 0 rows) and is not part of the file."""
        member: Member | None = request.state["member"]
        filters = build_filter(member, event_type, actor_id, target_type, target_id, start_date, end_date, keyword)
        caller = await caller_of(request)
        if member is not None:
            scope = audit_service.Scope([member.workspace_id], [], None)
        else:
            scope = await audit_service.caller_scope(_ctx(state), caller, "audit:export")
            if not scope.full:
                raise PermissionDenied("You do not have permission to perform this action (audit:export required)")
        export = await audit_service.start_export(_ctx(state), caller, scope, filters, fmt)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # Litestar appends "; charset=utf-8" to text/* types itself.
        media = "text/csv" if fmt == "csv" else "application/json; charset=utf-8"
        return Stream(
            export.chunks(),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="audit_export_{stamp}.{fmt}"'},
            background=BackgroundTask(export.close),
        )
