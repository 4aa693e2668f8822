"""Reconciliation routes (api.md §3.6, routes 51–57): `/api/v1/reconciliations/...`. Envelope `{success:true, ...}`.

Upload takes the workspace from a multipart field, so its guard only authenticates; the handler then checks, in
order: the body (415/413/400), `workspaceId` (400), membership (404), `recon:upload` (403), the document (400/415),
the workspace (409 archived / no clauses) and finally the document's content (400 unreadable or too large).
The list of sessions takes `workspaceId` from the query (same guard as `/drifts`); session and item routes resolve
the id and the caller's membership in one lookup.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from nexus.api.auth import BEARER
from nexus.api.drift import PaginationOut, drift_workspace_member, pagination
from nexus.api.drift import Reason as ReasonText
from nexus.api.openapi import errors_for
from nexus.api.schemas import ReasonCategory, RequestModel, ResponseModel, iso, iso_or_none
from nexus.api.security import caller_of, member_of, register_resource, resource_member, resource_of
from nexus.api.uploads import MAX_REQUEST, read_multipart
from nexus.db.queries import reconciliation as recon_q
from nexus.db.queries.enums import ConfidenceLevel, ReconciliationDecision
from nexus.domain.errors import ValidationFailed
from nexus.domain.permissions import Permission, require
from nexus.services import reconciliation as recon_service
from nexus.services import workspaces as workspace_service
from nexus.services.clauses import Reason
from nexus.services.context import Context

MAX_ID: Final = 64
VIEW: Final[tuple[Permission, ...]] = ("recon:upload", "recon:applyReject")
DECIDE: Final[tuple[Permission, ...]] = ("recon:applyReject",)

register_resource("recon_session", "session_id", recon_service.load_session_for_member)
register_resource("recon_item", "item_id", recon_service.load_item_for_member)


# -- shapes (api.md §2) -----------------------------------------------------------------------------------------
class SessionOut(ResponseModel):
    id: str
    workspaceId: str
    fileName: str
    fileType: str
    uploadedAt: str
    uploadedBy: str
    totalItems: int
    appliedCount: int
    rejectedCount: int
    pendingCount: int


class ItemOut(ResponseModel):
    id: str
    workspaceId: str
    sessionId: str
    incomingSnippet: str
    targetClauseId: str
    targetVariableId: str | None
    confidence: ConfidenceLevel
    baselineValue: str
    currentValue: str
    proposedValue: str
    decision: ReconciliationDecision
    decisionReason: str | None
    decidedBy: str | None
    decidedAt: str | None
    position: int
    matchScore: int | None
    changeDescription: str | None


class UploadEnvelope(ResponseModel):
    success: bool = True
    session: SessionOut
    items: list[ItemOut]


class SessionListEnvelope(ResponseModel):
    success: bool = True
    sessions: list[SessionOut]
    pagination: PaginationOut


class SessionEnvelope(ResponseModel):
    success: bool = True
    session: SessionOut


class ItemListEnvelope(ResponseModel):
    success: bool = True
    items: list[ItemOut]
    pagination: PaginationOut


class ItemEnvelope(ResponseModel):
    success: bool = True
    item: ItemOut


class AppliedEnvelope(ResponseModel):
    success: bool = True
    item: ItemOut
    driftCreated: bool


class DecisionIn(RequestModel):
    reason: ReasonText | None = None
    reasonCategory: ReasonCategory | None = None


def session_out(row: Any) -> SessionOut:
    return SessionOut(
        id=row.id,
        workspaceId=row.workspace_id,
        fileName=row.file_name,
        fileType=row.file_type,
        uploadedAt=iso(row.uploaded_at),
        uploadedBy=row.uploaded_by,
        totalItems=row.total_items,
        appliedCount=row.applied_count,
        rejectedCount=row.rejected_count,
        pendingCount=row.pending_count,
    )


def item_out(row: Any) -> ItemOut:
    return ItemOut(
        id=row.id,
        workspaceId=row.workspace_id,
        sessionId=row.session_id,
        incomingSnippet=row.incoming_snippet,
        targetClauseId=row.target_clause_id,
        targetVariableId=row.target_variable_id,
        confidence=row.confidence,
        baselineValue=row.baseline_value,
        currentValue=row.current_value,
        proposedValue=row.proposed_value,
        decision=row.decision,
        decisionReason=row.decision_reason,
        decidedBy=row.decided_by,
        decidedAt=iso_or_none(row.decided_at),
        position=row.position,
        matchScore=row.match_score,
        changeDescription=row.change_description,
    )


def _reason(data: DecisionIn) -> Reason:
    return Reason(data.reason or None, data.reasonCategory)


def _ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


# The upload's multipart body in the OpenAPI document (Litestar cannot describe a body it does not parse itself).
UPLOAD_REQUEST_BODY: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["document", "workspaceId"],
                "properties": {
                    "document": {
                        "type": "string",
                        "format": "binary",
                        "description": "The markup: a .docx (ZIP with word/document.xml) or .pdf (%PDF-) of at most "
                        "10 MiB; the type is decided from the name and the bytes, never the sent MIME type.",
                    },
                    "workspaceId": {"type": "string", "minLength": 1, "maxLength": MAX_ID},
                },
            }
        }
    },
}


class ReconciliationController(Controller):
    path = "/api/v1/reconciliations"
    tags = ["reconciliation"]  # noqa: RUF012
    security = BEARER

    @post(
        "/upload",
        operation_id="recon_upload",
        status_code=201,
        request_max_body_size=MAX_REQUEST,
        responses=errors_for(400, 401, 403, 404, 409, 413, 415),
    )
    async def upload(self, state: State, request: Request[Any, Any, Any]) -> UploadEnvelope:
        """Upload a counterparty markup (multipart: file `document`, field `workspaceId`). Tracked changes of a
        DOCX, or the differences between a plain DOCX/PDF and the current clauses, become suggestions mapped to
        clauses and variables (deterministic, no network). Session, items and RECON_UPLOAD are written in one
        transaction; nothing is written when the document cannot be read."""
        caller = await caller_of(request)
        form = await read_multipart(request, ("workspaceId",))
        workspace_id = form.fields.get("workspaceId", "").strip()
        if not workspace_id:
            raise ValidationFailed("workspaceId is required", field="workspaceId")
        ctx = _ctx(state)
        member = require(await workspace_service.membership(ctx, workspace_id, caller.user_id), "recon:upload")
        if form.data is None or form.file_name is None:
            raise ValidationFailed("A document file is required (multipart field 'document')", field="document")
        uploaded = await recon_service.upload(
            ctx, caller, member, recon_service.Upload(file_name=form.file_name, data=form.data)
        )
        return UploadEnvelope(session=session_out(uploaded.session), items=[item_out(i) for i in uploaded.items])

    @get(
        "/sessions",
        operation_id="recon_session_list",
        guards=[drift_workspace_member],
        opt={"permission": VIEW},
        responses=errors_for(400, 401, 403, 404),
    )
    async def list_sessions(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: Annotated[str, QueryParameter(name="workspaceId", max_length=MAX_ID)],
        page: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> SessionListEnvelope:
        """A workspace's reconciliation sessions, newest upload first."""
        member = member_of(request)
        result = await recon_service.list_sessions(_ctx(state), member.workspace_id, page, limit)
        return SessionListEnvelope(
            sessions=[session_out(r) for r in result.rows], pagination=pagination(page, limit, result.total)
        )

    @get(
        "/sessions/{session_id:str}",
        operation_id="recon_session_get",
        guards=[resource_member],
        opt={"resource": "recon_session", "resource_label": "Session", "permission": VIEW},
        responses=errors_for(401, 403, 404),
    )
    async def get_session(self, request: Request[Any, Any, Any], session_id: FromPath[str]) -> SessionEnvelope:
        """One session with its decision counters."""
        row: recon_q.GetSessionForMemberRow = resource_of(request)
        return SessionEnvelope(session=session_out(row))

    @get(
        "/sessions/{session_id:str}/items",
        operation_id="recon_item_list",
        guards=[resource_member],
        opt={"resource": "recon_session", "resource_label": "Session", "permission": VIEW},
        responses=errors_for(400, 401, 403, 404),
    )
    async def list_items(
        self,
        state: State,
        request: Request[Any, Any, Any],
        session_id: FromPath[str],
        decision: Annotated[ReconciliationDecision | None, QueryParameter(name="decision")] = None,
        confidence: Annotated[ConfidenceLevel | None, QueryParameter(name="confidence")] = None,
        page: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> ItemListEnvelope:
        """A session's items: confidence HIGH→LOW, then document position."""
        row: recon_q.GetSessionForMemberRow = resource_of(request)
        result = await recon_service.list_items(
            _ctx(state), row.workspace_id, row.id, decision, confidence, page, limit
        )
        return ItemListEnvelope(
            items=[item_out(r) for r in result.rows], pagination=pagination(page, limit, result.total)
        )

    @get(
        "/items/{item_id:str}",
        operation_id="recon_item_get",
        guards=[resource_member],
        opt={"resource": "recon_item", "resource_label": "Item", "permission": VIEW},
        responses=errors_for(401, 403, 404),
    )
    async def get_item(self, request: Request[Any, Any, Any], item_id: FromPath[str]) -> ItemEnvelope:
        """One suggested change."""
        return ItemEnvelope(item=item_out(resource_of(request)))

    @post(
        "/items/{item_id:str}/apply",
        operation_id="recon_apply",
        status_code=200,
        guards=[resource_member],
        opt={"resource": "recon_item", "resource_label": "Item", "permission": DECIDE},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def apply(
        self, state: State, request: Request[Any, Any, Any], item_id: FromPath[str], data: JSONBody[DecisionIn]
    ) -> AppliedEnvelope:
        """Apply a suggestion exactly once: a variable item sets the variable (drift, graph and integrity follow);
        a clause item replaces its text in the clause body and opens or updates the clause's drift. A reason and
        category are required when the clause is sensitive and governance asks for them. A second or concurrent
        decision → 409 ALREADY_DECIDED; a clause locked by someone else → 409 LOCKED; changed text → 409 STALE_WRITE."""
        applied = await recon_service.apply_item(
            _ctx(state), await caller_of(request), member_of(request), item_id, _reason(data)
        )
        return AppliedEnvelope(item=item_out(applied.item), driftCreated=applied.drift_created)

    @post(
        "/items/{item_id:str}/reject",
        operation_id="recon_reject",
        status_code=200,
        guards=[resource_member],
        opt={"resource": "recon_item", "resource_label": "Item", "permission": DECIDE},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def reject(
        self, state: State, request: Request[Any, Any, Any], item_id: FromPath[str], data: JSONBody[DecisionIn]
    ) -> ItemEnvelope:
        """Reject a suggestion exactly once (409 ALREADY_DECIDED on a second or concurrent decision)."""
        row = await recon_service.reject_item(
            _ctx(state), await caller_of(request), member_of(request), item_id, _reason(data)
        )
        return ItemEnvelope(item=item_out(row))
