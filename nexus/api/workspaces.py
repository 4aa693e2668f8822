"""`/api/v1/workspaces` (workspaces, members, governance) and `/api/v1/invitations` (api.md §3.2).

Envelope `{success:true, <named keys>}`. `amount` is exact end to end: read from the raw body with a decimal
decoder (never a binary float) and written as a JSON number without trailing zeros (`500000000`, `1234.5`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Final, Literal, TypeVar

import anyio
import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from nexus import recon
from nexus.api.openapi import errors_for
from nexus.api.schemas import STRIP, OptionalFieldsModel, RequestModel, ResponseModel, Text50, Text255, iso, iso_or_none
from nexus.api.security import authenticated, caller_of, workspace_member
from nexus.api.uploads import MAX_REQUEST, is_multipart, read_multipart
from nexus.db.queries import members as members_q
from nexus.db.queries import workspaces as workspaces_q
from nexus.db.queries.enums import MemberRole, MemberStatus
from nexus.domain.errors import PayloadTooLarge, ValidationFailed
from nexus.domain.permissions import GOVERNANCE_KEYS
from nexus.services import workspaces as workspace_service
from nexus.services.context import Context
from nexus.services.reconciliation import PARSE_SLOTS

CREATE_BODY_LIMIT: Final = 4 * 1024 * 1024  # room for clausesText (api.md §1.13)
_EXACT_JSON = msgspec.json.Decoder(float_hook=Decimal)
ModelT = TypeVar("ModelT", bound=BaseModel)


def _json_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be a JSON boolean")
    return value


def _json_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    return value


# Litestar validates request models with `strict=False`, so JSON types are enforced here, not by pydantic's
# strict mode (which would otherwise turn "yes" into True and "100" into 100.0).
JsonBool = Annotated[bool, BeforeValidator(_json_bool)]
Currency = Annotated[str, STRIP, StringConstraints(pattern=r"^[A-Za-z]{3}$", strict=True)]
OptionalName255 = Annotated[str, STRIP, StringConstraints(max_length=255, strict=True)]
ClausesText = Annotated[str, StringConstraints(max_length=1_000_000, strict=True)]
# Validated here only as a positive JSON number; the exact value is re-read from the raw body (_exact_amount).
AmountIn = Annotated[
    float,
    BeforeValidator(_json_number),
    Field(gt=0, description="Exact decimal > 0 and < 10^18 with at most 2 decimals"),
]
# Rendered as a JSON number (see _encode_exact); documented as a number, not as pydantic's decimal string.
AmountOut = Annotated[Decimal, Field(json_schema_extra={"type": "number"})]


# -- request bodies ---------------------------------------------------------------------------------------------
class WorkspaceCreateIn(RequestModel):
    name: Text255
    currency: Currency
    amount: AmountIn
    standard: Text50
    basePdfName: OptionalName255 | None = None
    clausesText: ClausesText | None = None


class WorkspaceCreateForm(RequestModel):
    """The multipart form of `POST /workspaces`: the same fields as text (`amount` a decimal string)."""

    name: Text255
    currency: Currency
    amount: Annotated[str, StringConstraints(min_length=1, max_length=40, strict=True)]
    standard: Text50
    basePdfName: OptionalName255 | None = None
    clausesText: ClausesText | None = None


class WorkspaceUpdateIn(OptionalFieldsModel):
    NULLABLE: ClassVar[tuple[str, ...]] = ("basePdfName",)

    name: Text255 | None = None
    currency: Currency | None = None
    amount: AmountIn | None = None
    standard: Text50 | None = None
    basePdfName: OptionalName255 | None = None


class MemberInviteIn(RequestModel):
    email: Text255
    role: MemberRole
    isExternal: JsonBool = False


class MemberUpdateIn(OptionalFieldsModel):
    NULLABLE: ClassVar[tuple[str, ...]] = ()

    role: MemberRole | None = None
    isAdmin: JsonBool | None = None
    isExternal: JsonBool | None = None


class GovernanceIn(OptionalFieldsModel):
    """Only the six rule keys; an unknown key is a 400 here (the one exception to "unknown fields are ignored")."""

    NULLABLE: ClassVar[tuple[str, ...]] = ()
    model_config = ConfigDict(extra="forbid", strict=True)

    requireReasonForSensitiveEdits: JsonBool | None = None
    legalCanRevertDraft: JsonBool | None = None
    riskApprovalRequiredForOverride: JsonBool | None = None
    publishBlockedWhenHighDrift: JsonBool | None = None
    definitionsLockedAfterApproval: JsonBool | None = None
    externalCounselReadOnly: JsonBool | None = None


# -- response shapes (api.md §2) --------------------------------------------------------------------------------
class GovernanceRulesOut(ResponseModel):
    requireReasonForSensitiveEdits: bool
    legalCanRevertDraft: bool
    riskApprovalRequiredForOverride: bool
    publishBlockedWhenHighDrift: bool
    definitionsLockedAfterApproval: bool
    externalCounselReadOnly: bool


class WorkspaceOut(ResponseModel):
    id: str
    name: str
    currency: str
    amount: AmountOut
    standard: str
    basePdfName: str | None
    createdAt: str
    createdById: str
    createdBy: str
    lastSyncAt: str | None
    governanceRules: GovernanceRulesOut
    memberCount: int
    archivedAt: str | None
    updatedAt: str


class WorkspaceDetailOut(WorkspaceOut):
    clauseCount: int
    driftCount: int
    integrityScore: int


class MemberUserOut(ResponseModel):
    id: str
    email: str
    name: str
    avatarUrl: str | None


class MemberOut(ResponseModel):
    id: str
    workspaceId: str
    userId: str
    role: MemberRole
    isAdmin: bool
    isExternal: bool
    status: MemberStatus
    invitedAt: str
    joinedAt: str | None
    user: MemberUserOut


class InvitationWorkspaceOut(ResponseModel):
    id: str
    name: str
    currency: str
    amount: AmountOut
    standard: str


class InvitationOut(ResponseModel):
    member: MemberOut
    workspace: InvitationWorkspaceOut


class WorkspaceListEnvelope(ResponseModel):
    success: Literal[True] = True
    workspaces: list[WorkspaceOut]


class WorkspaceCreatedEnvelope(ResponseModel):
    success: Literal[True] = True
    workspace: WorkspaceOut
    membership: MemberOut


class WorkspaceEnvelope(ResponseModel):
    success: Literal[True] = True
    workspace: WorkspaceOut


class WorkspaceDetailEnvelope(ResponseModel):
    success: Literal[True] = True
    workspace: WorkspaceDetailOut


class MemberListEnvelope(ResponseModel):
    success: Literal[True] = True
    members: list[MemberOut]


class MemberEnvelope(ResponseModel):
    success: Literal[True] = True
    member: MemberOut


class InvitationListEnvelope(ResponseModel):
    success: Literal[True] = True
    invitations: list[InvitationOut]


# -- rendering --------------------------------------------------------------------------------------------------
def amount_json(amount: Decimal) -> msgspec.Raw:
    """A NUMERIC as a JSON number literal without trailing zeros or exponent: 500000000, 1234.5."""
    return msgspec.Raw(format(amount.normalize(), "f").encode())


def _raw_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return amount_json(value)
    if isinstance(value, dict):
        return {k: _raw_decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_raw_decimals(v) for v in value]
    return value


def _encode_exact(model: BaseModel) -> Any:
    """Response models of this module: decimals become exact JSON numbers (pydantic's JSON mode makes strings)."""
    return _raw_decimals(model.model_dump(mode="python"))


def workspace_out(row: workspaces_q.WorkspaceRow) -> WorkspaceOut:
    return WorkspaceOut(**_workspace_fields(row))


def _workspace_fields(row: workspaces_q.WorkspaceRow | workspaces_q.GetWorkspaceDetailRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "currency": row.currency,
        "amount": row.amount,
        "standard": row.standard,
        "basePdfName": row.base_pdf_name,
        "createdAt": iso(row.created_at),
        "createdById": row.created_by_id,
        "createdBy": row.created_by_id,
        "lastSyncAt": iso_or_none(row.last_sync_at),
        "governanceRules": GovernanceRulesOut(**workspace_service.governance_of(row.governance_rules)),
        "memberCount": row.member_count,
        "archivedAt": iso_or_none(row.archived_at),
        "updatedAt": iso(row.updated_at),
    }


def member_out(row: members_q.MemberRow | members_q.ListInvitationsRow) -> MemberOut:
    return MemberOut(
        id=row.id,
        workspaceId=row.workspace_id,
        userId=row.user_id,
        role=row.role,
        isAdmin=row.is_admin,
        isExternal=row.is_external,
        status=row.status,
        invitedAt=iso(row.invited_at),
        joinedAt=iso_or_none(row.joined_at),
        user=MemberUserOut(id=row.user_id, email=row.email, name=row.name, avatarUrl=row.avatar_url),
    )


# -- request helpers --------------------------------------------------------------------------------------------
async def _exact_amount(request: Request[Any, Any, Any]) -> object:
    """`amount` of the JSON body decoded exactly (floats as Decimal); the body already passed the JSON rules."""
    try:
        body = _EXACT_JSON.decode(await request.body())
    except msgspec.DecodeError:
        raise ValidationFailed("Malformed JSON", field="body") from None
    return body.get("amount") if isinstance(body, dict) else None


def _create_request_body() -> dict[str, Any]:
    """`POST /workspaces` takes JSON or multipart (the handler reads the body itself; api.md §3.2)."""
    text = {"type": "string", "pattern": r"\S"}
    fields: dict[str, Any] = {
        "name": {**text, "minLength": 1, "maxLength": 255},
        "currency": {"type": "string", "pattern": r"^\s*[A-Za-z]{3}\s*$", "description": "ISO 4217, upper-cased"},
        "standard": {**text, "minLength": 1, "maxLength": 50},
        "basePdfName": {"oneOf": [{"type": "string", "maxLength": 255}, {"type": "null"}]},
        "clausesText": {
            "oneOf": [{"type": "string", "maxLength": 1_000_000}, {"type": "null"}],
            "description": "Clauses to import: numbered heading lines (`1. Definitions`) each start a clause",
        },
    }
    required = ["name", "currency", "amount", "standard"]
    amount = "Exact decimal > 0 and < 10^18 with at most 2 decimals"
    json_schema = {
        "type": "object",
        "required": required,
        "properties": {
            **fields,
            "amount": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1e18, "description": amount},
        },
    }
    form_schema = {
        "type": "object",
        "required": required,
        "properties": {
            **{k: v for k, v in fields.items() if k not in ("basePdfName", "clausesText")},
            "basePdfName": {"type": "string", "maxLength": 255},
            "clausesText": {"type": "string", "maxLength": 1_000_000},
            "amount": {"type": "string", "pattern": r"^\s*\d{1,18}(\.\d{1,2})?\s*$", "description": amount},
            "document": {
                "type": "string",
                "format": "binary",
                "description": "Optional .docx/.pdf (≤ 10 MiB) whose text is imported as clauses (domain.md §4.1)",
            },
        },
    }
    return {
        "required": True,
        "content": {"application/json": {"schema": json_schema}, "multipart/form-data": {"schema": form_schema}},
    }


CREATE_REQUEST_BODY: Final = _create_request_body()


def _validated(model: type[ModelT], value: Any) -> ModelT:
    """Validate a body the handler reads itself, with the same 400 details Litestar gives for `data` models."""
    try:
        return model.model_validate(value)
    except PydanticValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]} for err in exc.errors()
        ]
        raise ValidationFailed("Invalid request", details=details) from None


async def _json_workspace(request: Request[Any, Any, Any]) -> workspace_service.NewWorkspace:
    if len(await request.body()) > CREATE_BODY_LIMIT:
        raise PayloadTooLarge("Request body is too large")
    data = _validated(WorkspaceCreateIn, await request.json())
    return workspace_service.NewWorkspace(
        name=data.name,
        currency=workspace_service.parse_currency(data.currency),
        amount=workspace_service.parse_amount(await _exact_amount(request)),
        standard=data.standard,
        base_pdf_name=data.basePdfName or None,
        clauses_text=data.clausesText,
    )


async def _multipart_workspace(request: Request[Any, Any, Any]) -> workspace_service.NewWorkspace:
    form = await read_multipart(request, tuple(WorkspaceCreateForm.model_fields))
    data = _validated(WorkspaceCreateForm, form.fields)
    clauses_text = data.clausesText
    base_pdf_name = data.basePdfName or None
    if form.data is not None and form.file_name is not None:
        file_type = recon.detect_type(form.file_name, form.data)
        clauses_text = await anyio.to_thread.run_sync(recon.document_text, file_type, form.data, limiter=PARSE_SLOTS)
        base_pdf_name = base_pdf_name or form.file_name
    return workspace_service.NewWorkspace(
        name=data.name,
        currency=workspace_service.parse_currency(data.currency),
        amount=workspace_service.parse_amount(data.amount),
        standard=data.standard,
        base_pdf_name=base_pdf_name,
        clauses_text=clauses_text,
    )


def _ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


# -- controllers ------------------------------------------------------------------------------------------------
ADMIN: Final = {"permission": ("workspace:admin",)}


class WorkspaceController(Controller):
    path = "/api/v1/workspaces"
    tags = ["workspaces"]  # noqa: RUF012
    type_encoders = {BaseModel: _encode_exact}  # noqa: RUF012

    @get(
        "/",
        operation_id="workspace_list",
        guards=[authenticated],
        opt={"permission_name": "auth"},
        responses=errors_for(400, 401),
    )
    async def list_workspaces(
        self,
        state: State,
        request: Request[Any, Any, Any],
        include_archived: Annotated[bool, QueryParameter(name="includeArchived")] = False,
    ) -> WorkspaceListEnvelope:
        """Workspaces where the caller is an ACTIVE member, newest first (archived ones with includeArchived)."""
        caller = await caller_of(request)
        rows = await workspace_service.list_workspaces(_ctx(state), caller, include_archived)
        return WorkspaceListEnvelope(workspaces=[workspace_out(r) for r in rows])

    @post(
        "/",
        operation_id="workspace_create",
        status_code=201,
        guards=[authenticated],
        opt={"permission_name": "auth"},
        request_max_body_size=MAX_REQUEST,
        responses=errors_for(400, 401, 413, 415),
    )
    async def create_workspace(self, state: State, request: Request[Any, Any, Any]) -> WorkspaceCreatedEnvelope:
        """Create a workspace from a JSON body, or from multipart fields with an optional `document` (.docx/.pdf,
        ≤ 10 MiB) whose text is imported as clauses: the caller becomes its agent admin; default connectors,
        golden record and graph state are created and clauses are imported from the document or `clausesText`
        (domain.md §4.1)."""
        caller = await caller_of(request)
        new = await (_multipart_workspace(request) if is_multipart(request) else _json_workspace(request))
        workspace, member = await workspace_service.create_workspace(_ctx(state), caller, new)
        return WorkspaceCreatedEnvelope(workspace=workspace_out(workspace), membership=member_out(member))

    @get(
        "/{workspace_id:str}",
        operation_id="workspace_get",
        guards=[workspace_member],
        opt={"permission_name": "member"},
        responses=errors_for(401, 404),
    )
    async def get_workspace(self, state: State, workspace_id: FromPath[str]) -> WorkspaceDetailEnvelope:
        """One workspace with clause count, unresolved drift count and integrity score."""
        row = await workspace_service.get_workspace(_ctx(state), workspace_id)
        return WorkspaceDetailEnvelope(
            workspace=WorkspaceDetailOut(
                **_workspace_fields(row),
                clauseCount=row.clause_count,
                driftCount=row.drift_count,
                integrityScore=row.integrity_score,
            )
        )

    @patch(
        "/{workspace_id:str}",
        operation_id="workspace_update",
        guards=[workspace_member],
        opt={**ADMIN, "extension": True},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def update_workspace(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: FromPath[str],
        data: JSONBody[WorkspaceUpdateIn],
    ) -> WorkspaceEnvelope:
        """Change name, currency, amount, standard or basePdfName (at least one; extension)."""
        present = data.model_fields_set
        if not present:
            raise ValidationFailed(
                "Provide at least one of name, currency, amount, standard, basePdfName", field="body"
            )
        data.reject_nulls()
        changes: dict[str, Any] = {}
        if data.name is not None:
            changes["name"] = data.name
        if data.currency is not None:
            changes["currency"] = workspace_service.parse_currency(data.currency)
        if "amount" in present:
            changes["amount"] = workspace_service.parse_amount(await _exact_amount(request))
        if data.standard is not None:
            changes["standard"] = data.standard
        if "basePdfName" in present:
            changes["basePdfName"] = data.basePdfName or None
        caller = await caller_of(request)
        row = await workspace_service.update_workspace(_ctx(state), caller, workspace_id, changes)
        return WorkspaceEnvelope(workspace=workspace_out(row))

    @delete(
        "/{workspace_id:str}",
        operation_id="workspace_archive",
        status_code=204,
        guards=[workspace_member],
        opt={**ADMIN, "extension": True},
        responses=errors_for(401, 403, 404),
    )
    async def archive_workspace(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> None:
        """Archive (never delete); idempotent (extension)."""
        await workspace_service.archive_workspace(_ctx(state), await caller_of(request), workspace_id)

    @patch(
        "/{workspace_id:str}/governance",
        operation_id="governance_update",
        guards=[workspace_member],
        opt=ADMIN,
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def update_governance(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], data: JSONBody[GovernanceIn]
    ) -> WorkspaceEnvelope:
        """Merge a flat partial of the six governance rules (JSON booleans, at least one key)."""
        if not data.model_fields_set:
            raise ValidationFailed("Provide at least one governance rule: " + ", ".join(GOVERNANCE_KEYS), field="body")
        data.reject_nulls()
        patch_rules = {k: bool(getattr(data, k)) for k in GOVERNANCE_KEYS if k in data.model_fields_set}
        caller = await caller_of(request)
        row = await workspace_service.update_governance(_ctx(state), caller, workspace_id, patch_rules)
        return WorkspaceEnvelope(workspace=workspace_out(row))

    @get(
        "/{workspace_id:str}/members",
        operation_id="member_list",
        guards=[workspace_member],
        opt={"permission_name": "member"},
        responses=errors_for(400, 401, 404),
    )
    async def list_members(
        self,
        state: State,
        workspace_id: FromPath[str],
        status: Annotated[MemberStatus | None, QueryParameter(name="status")] = None,
    ) -> MemberListEnvelope:
        """Every member (all statuses unless `status` is given): admins first, then by invitation time."""
        rows = await workspace_service.list_members(_ctx(state), workspace_id, status)
        return MemberListEnvelope(members=[member_out(r) for r in rows])

    @post(
        "/{workspace_id:str}/members",
        operation_id="member_invite",
        status_code=201,
        guards=[workspace_member],
        opt={"permission": ("workspace:invite",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def invite_member(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], data: JSONBody[MemberInviteIn]
    ) -> MemberEnvelope:
        """Invite a registered user by email (pending); a removed member is re-invited on the same row."""
        row = await workspace_service.invite_member(
            _ctx(state), await caller_of(request), workspace_id, data.email, data.role, data.isExternal
        )
        return MemberEnvelope(member=member_out(row))

    @patch(
        "/{workspace_id:str}/members/{member_id:str}",
        operation_id="member_update",
        guards=[workspace_member],
        opt={"permission": ("workspace:changeRole",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def update_member(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: FromPath[str],
        member_id: FromPath[str],
        data: JSONBody[MemberUpdateIn],
    ) -> MemberEnvelope:
        """Change role, isAdmin or isExternal (at least one); the workspace keeps at least one active admin."""
        if not data.model_fields_set:
            raise ValidationFailed("Provide at least one of role, isAdmin, isExternal", field="body")
        data.reject_nulls()
        changes = {k: getattr(data, k) for k in data.model_fields_set}
        row = await workspace_service.update_member(
            _ctx(state), await caller_of(request), workspace_id, member_id, changes
        )
        return MemberEnvelope(member=member_out(row))

    @delete(
        "/{workspace_id:str}/members/{member_id:str}",
        operation_id="member_remove",
        status_code=204,
        guards=[workspace_member],
        opt={"permission": ("workspace:removeMember",)},
        responses=errors_for(401, 403, 404, 409),
    )
    async def remove_member(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], member_id: FromPath[str]
    ) -> None:
        """Remove a member (status removed, admin flag dropped); already removed → 204 without an event."""
        await workspace_service.remove_member(_ctx(state), await caller_of(request), workspace_id, member_id)

    @post(
        "/{workspace_id:str}/accept-invitation",
        operation_id="member_accept",
        status_code=200,
        guards=[authenticated],
        opt={"permission_name": "pending invitee", "extension": True},
        responses=errors_for(401, 404, 409),
    )
    async def accept_invitation(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> MemberEnvelope:
        """Accept the caller's pending invitation to this workspace (extension)."""
        row = await workspace_service.accept_invitation(_ctx(state), await caller_of(request), workspace_id)
        return MemberEnvelope(member=member_out(row))


class InvitationController(Controller):
    path = "/api/v1/invitations"
    tags = ["workspaces"]  # noqa: RUF012
    type_encoders = {BaseModel: _encode_exact}  # noqa: RUF012

    @get(
        "/",
        operation_id="invitation_list",
        guards=[authenticated],
        opt={"permission_name": "auth", "extension": True},
        responses=errors_for(401),
    )
    async def list_invitations(self, state: State, request: Request[Any, Any, Any]) -> InvitationListEnvelope:
        """The caller's pending invitations (workspaces that are not archived), newest first (extension)."""
        rows = await workspace_service.list_invitations(_ctx(state), await caller_of(request))
        return InvitationListEnvelope(
            invitations=[
                InvitationOut(
                    member=member_out(r),
                    workspace=InvitationWorkspaceOut(
                        id=r.workspace_id,
                        name=r.workspace_name,
                        currency=r.workspace_currency,
                        amount=r.workspace_amount,
                        standard=r.workspace_standard,
                    ),
                )
                for r in rows
            ]
        )
