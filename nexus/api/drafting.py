"""Drafting routes (api.md §3.3; route index rows 20–26 and 28–35): clauses, variables, search.

`/workspaces/:id/{outline,clauses,variables,search}` use the `workspace_member` guard; `/drafts/clauses/:id` and
`/drafts/variables/:id` the `resource_member` guard (one PK lookup joined to the caller's active membership).
`GET/PATCH` of a clause and `PATCH` of a variable answer with an `ETag` header (api.md §1.8).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Final, Literal

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import BeforeValidator, StringConstraints, ValidationError

from nexus.api.openapi import errors_for
from nexus.api.schemas import (
    NO_NUL,
    STRIP,
    OptionalFieldsModel,
    ReasonCategory,
    RequestModel,
    ResponseModel,
    Text255,
    iso,
    iso_or_none,
)
from nexus.api.security import (
    caller_of,
    member_of,
    register_resource,
    resource_member,
    resource_of,
    workspace_member,
)
from nexus.db.queries import clauses as clauses_q
from nexus.db.queries import variables as variables_q
from nexus.db.queries.enums import ClauseType, VariableType
from nexus.domain.errors import ValidationFailed
from nexus.services import clauses as clause_service
from nexus.services import variables as variable_service
from nexus.services.clauses import Expect, Reason, etag, lock_kind
from nexus.services.context import Context

MAX_BODY: Final = 200_000
MAX_VALUE: Final = 10_000
MAX_QUERY: Final = 200

register_resource("clause", "clause_id", clause_service.load_for_member)
register_resource("variable", "variable_id", variable_service.load_for_member)


# -- field types (api.md §1.5) ----------------------------------------------------------------------------------


def _json_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be a JSON boolean")
    return value


def _json_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    return value


def _json_str(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


_STR = BeforeValidator(_json_str)
JsonBool = Annotated[bool, BeforeValidator(_json_bool)]
JsonInt = Annotated[int, BeforeValidator(_json_int)]
ClauseBody = Annotated[str, STRIP, _STR, StringConstraints(min_length=1, max_length=MAX_BODY), NO_NUL]
Value = Annotated[str, STRIP, _STR, StringConstraints(min_length=1, max_length=MAX_VALUE), NO_NUL]
OptionalValue = Annotated[str, STRIP, _STR, StringConstraints(max_length=MAX_VALUE), NO_NUL]
Unit = Annotated[str, STRIP, _STR, StringConstraints(max_length=50), NO_NUL]
ReasonText = Annotated[str, STRIP, _STR, StringConstraints(max_length=2000), NO_NUL]
Timestamp = Annotated[str, STRIP, _STR, StringConstraints(min_length=1, max_length=64)]
ClauseIdIn = Annotated[str, STRIP, _STR, StringConstraints(min_length=1, max_length=64), NO_NUL]


# -- request bodies ---------------------------------------------------------------------------------------------
class ReasonFields(OptionalFieldsModel):
    reason: ReasonText | None = None
    reasonCategory: ReasonCategory | None = None
    expectedLastModifiedAt: Timestamp | None = None


class ClauseCreateIn(OptionalFieldsModel):
    NULLABLE: ClassVar[tuple[str, ...]] = ("order", "position")

    title: Text255
    body: ClauseBody
    type: ClauseType
    isSensitive: JsonBool = False
    order: JsonInt | None = None
    position: JsonInt | None = None


class ClauseReorderIn(RequestModel):
    clauseIds: list[ClauseIdIn]


class ClausePatchIn(ReasonFields):
    NULLABLE: ClassVar[tuple[str, ...]] = ("reason", "reasonCategory", "expectedLastModifiedAt")

    newBody: ClauseBody | None = None
    title: Text255 | None = None
    type: ClauseType | None = None
    isSensitive: JsonBool | None = None


class LockIn(RequestModel):
    expectedLastModifiedAt: Timestamp | None = None


class VariableBindIn(OptionalFieldsModel):
    NULLABLE: ClassVar[tuple[str, ...]] = ("unit", "baselineValue")

    clauseId: ClauseIdIn
    label: Text255
    type: VariableType
    value: Value
    unit: Unit | None = None
    baselineValue: OptionalValue | None = None


class VariablePatchIn(ReasonFields):
    NULLABLE: ClassVar[tuple[str, ...]] = ("unit", "reason", "reasonCategory", "expectedLastModifiedAt")

    label: Text255 | None = None
    type: VariableType | None = None
    value: Value | None = None
    unit: Unit | None = None


# -- response shapes (api.md §2) --------------------------------------------------------------------------------
class OutlineItemOut(ResponseModel):
    id: str
    title: str
    type: ClauseType
    order: int
    isSensitive: bool
    isLocked: bool


class ClauseOut(ResponseModel):
    id: str
    workspaceId: str
    title: str
    body: str
    type: ClauseType
    order: int
    isSensitive: bool
    isLocked: bool
    lockedBy: str | None
    lockedAt: str | None
    lockKind: Literal["user", "governance"] | None
    lastModifiedAt: str
    lastModifiedBy: str
    createdAt: str


class VariableOut(ResponseModel):
    id: str
    workspaceId: str
    clauseId: str
    label: str
    type: VariableType
    value: str
    unit: str | None
    baselineValue: str | None
    baselineApprovedAt: str | None
    createdAt: str
    lastModifiedAt: str
    lastModifiedBy: str | None


class SearchHitOut(ResponseModel):
    clauseId: str
    workspaceId: str
    title: str
    type: ClauseType
    order: int
    rank: float
    snippet: str


class OutlineEnvelope(ResponseModel):
    success: Literal[True] = True
    outline: list[OutlineItemOut]


class ClauseListEnvelope(ResponseModel):
    success: Literal[True] = True
    clauses: list[ClauseOut]


class ClauseEnvelope(ResponseModel):
    success: Literal[True] = True
    clause: ClauseOut


class VariableListEnvelope(ResponseModel):
    success: Literal[True] = True
    variables: list[VariableOut]


class VariableEnvelope(ResponseModel):
    success: Literal[True] = True
    variable: VariableOut


class SearchEnvelope(ResponseModel):
    success: Literal[True] = True
    query: str
    results: list[SearchHitOut]


# -- rendering --------------------------------------------------------------------------------------------------
def outline_out(row: clauses_q.ListOutlineRow) -> OutlineItemOut:
    return OutlineItemOut(
        id=row.id,
        title=row.title,
        type=row.type,
        order=row.order,
        isSensitive=row.is_sensitive,
        isLocked=row.is_locked,
    )


def clause_out(row: clause_service.ClauseLike) -> ClauseOut:
    kind = lock_kind(row.is_locked, row.locked_by)
    return ClauseOut(
        id=row.id,
        workspaceId=row.workspace_id,
        title=row.title,
        body=row.body,
        type=row.type,
        order=row.order,
        isSensitive=row.is_sensitive,
        isLocked=row.is_locked,
        lockedBy=row.locked_by,
        lockedAt=iso_or_none(row.locked_at),
        lockKind="user" if kind == "user" else "governance" if kind == "governance" else None,
        lastModifiedAt=iso(row.last_modified_at),
        lastModifiedBy=row.last_modified_by,
        createdAt=iso(row.created_at),
    )


def variable_out(row: variables_q.VariableRow | variables_q.GetVariableForMemberRow) -> VariableOut:
    return VariableOut(
        id=row.id,
        workspaceId=row.workspace_id,
        clauseId=row.clause_id,
        label=row.label,
        type=row.type,
        value=row.value,
        unit=row.unit,
        baselineValue=row.baseline_value,
        baselineApprovedAt=iso_or_none(row.baseline_approved_at),
        createdAt=iso(row.created_at),
        lastModifiedAt=iso(row.last_modified_at),
        lastModifiedBy=row.last_modified_by,
    )


def _clause_response(row: clause_service.ClauseLike) -> Response[ClauseEnvelope]:
    return Response(ClauseEnvelope(clause=clause_out(row)), headers={"ETag": etag(row.id, row.updated_at)})


# -- request helpers --------------------------------------------------------------------------------------------
def _ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


def _timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValidationFailed(
            "expectedLastModifiedAt must be an ISO-8601 timestamp", field="expectedLastModifiedAt"
        ) from None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _expect(request: Request[Any, Any, Any], expected: str | None) -> Expect:
    return Expect(if_match=request.headers.get("if-match"), last_modified_at=_timestamp(expected))


def _reason(fields: ReasonFields) -> Reason:
    return Reason(fields.reason or None, fields.reasonCategory)


async def _delete_fields(request: Request[Any, Any, Any]) -> ReasonFields:
    """DELETE routes read reason/reasonCategory/expectedLastModifiedAt from the JSON body or the query (body wins)."""
    merged: dict[str, Any] = {
        k: v
        for k, v in request.query_params.items()
        if k in ("reason", "reasonCategory", "expectedLastModifiedAt") and isinstance(v, str)
    }
    body = await request.json()
    if isinstance(body, dict):
        merged.update({k: v for k, v in body.items() if k in ("reason", "reasonCategory", "expectedLastModifiedAt")})
    elif body is not None:
        raise ValidationFailed("Request body must be a JSON object", field="body")
    try:
        return ReasonFields.model_validate(merged)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]} for err in exc.errors()
        ]
        raise ValidationFailed("Invalid request", details=details) from None


MEMBER: Final = {"permission_name": "member"}


# -- controllers ------------------------------------------------------------------------------------------------
class WorkspaceDraftingController(Controller):
    """Drafting routes under `/workspaces/:id` (rows 20–26)."""

    path = "/api/v1/workspaces"
    tags = ["drafting"]  # noqa: RUF012

    @get(
        "/{workspace_id:str}/outline",
        operation_id="clause_outline",
        guards=[workspace_member],
        opt=MEMBER,
        responses=errors_for(401, 404),
    )
    async def outline(self, state: State, workspace_id: FromPath[str]) -> OutlineEnvelope:
        """Clause headings by order."""
        rows = await clause_service.outline(_ctx(state), workspace_id)
        return OutlineEnvelope(outline=[outline_out(r) for r in rows])

    @get(
        "/{workspace_id:str}/clauses",
        operation_id="clause_list",
        guards=[workspace_member],
        opt=MEMBER,
        responses=errors_for(401, 404),
    )
    async def list_clauses(self, state: State, workspace_id: FromPath[str]) -> ClauseListEnvelope:
        """Full clauses by order."""
        rows = await clause_service.list_clauses(_ctx(state), workspace_id)
        return ClauseListEnvelope(clauses=[clause_out(r) for r in rows])

    @post(
        "/{workspace_id:str}/clauses",
        operation_id="clause_create",
        status_code=201,
        guards=[workspace_member],
        opt={"permission": ("draft:addClause",), "extension": True},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def create_clause(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], data: JSONBody[ClauseCreateIn]
    ) -> ClauseEnvelope:
        """Add a clause at `order` (1..n+1; later clauses shift down) or at the end (extension)."""
        data.reject_nulls()
        new = clause_service.NewClause(
            title=data.title,
            body=data.body,
            type=data.type,
            is_sensitive=data.isSensitive,
            order=data.order if data.order is not None else data.position,
        )
        row = await clause_service.create_clause(_ctx(state), await caller_of(request), member_of(request), new)
        return ClauseEnvelope(clause=clause_out(row))

    @post(
        "/{workspace_id:str}/clauses/reorder",
        operation_id="clause_reorder",
        status_code=200,
        guards=[workspace_member],
        opt={"permission": ("draft:addClause",), "extension": True},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def reorder_clauses(
        self,
        state: State,
        request: Request[Any, Any, Any],
        workspace_id: FromPath[str],
        data: JSONBody[ClauseReorderIn],
    ) -> OutlineEnvelope:
        """Set the clause order to the given exact permutation of the workspace's clause ids (extension)."""
        rows = await clause_service.reorder_clauses(
            _ctx(state), await caller_of(request), member_of(request), data.clauseIds
        )
        return OutlineEnvelope(outline=[outline_out(r) for r in rows])

    @get(
        "/{workspace_id:str}/variables",
        operation_id="variable_list",
        guards=[workspace_member],
        opt=MEMBER,
        responses=errors_for(401, 404),
    )
    async def list_variables(self, state: State, workspace_id: FromPath[str]) -> VariableListEnvelope:
        """Variables by clause order, creation time, id."""
        rows = await variable_service.list_variables(_ctx(state), workspace_id)
        return VariableListEnvelope(variables=[variable_out(r) for r in rows])

    @post(
        "/{workspace_id:str}/variables",
        operation_id="variable_bind",
        status_code=201,
        guards=[workspace_member],
        opt={"permission": ("variable:bind",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def bind_variable(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], data: JSONBody[VariableBindIn]
    ) -> VariableEnvelope:
        """Bind a variable to a clause of this workspace; baseline = baselineValue ?? value (no reason required)."""
        data.reject_nulls()
        new = variable_service.NewVariable(
            clause_id=data.clauseId,
            label=data.label,
            type=data.type,
            value=data.value,
            unit=data.unit or None,
            baseline_value=data.baselineValue,
        )
        row = await variable_service.bind_variable(_ctx(state), await caller_of(request), member_of(request), new)
        return VariableEnvelope(variable=variable_out(row))

    @get(
        "/{workspace_id:str}/search",
        operation_id="clause_search",
        guards=[workspace_member],
        opt={**MEMBER, "extension": True},
        responses=errors_for(400, 401, 404),
    )
    async def search(
        self,
        state: State,
        workspace_id: FromPath[str],
        q: Annotated[str, QueryParameter(name="q", max_length=MAX_QUERY)],
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=100)] = 20,
    ) -> SearchEnvelope:
        """Full-text search of the workspace's clauses (websearch syntax); snippets are HTML-escaped with
        matches in `<mark>` (extension)."""
        if "\x00" in q:
            raise ValidationFailed("q must not contain NUL characters", field="q")
        query = q.strip()
        hits = await clause_service.search(_ctx(state), workspace_id, query, limit)
        return SearchEnvelope(
            query=query,
            results=[
                SearchHitOut(
                    clauseId=h.clause_id,
                    workspaceId=h.workspace_id,
                    title=h.title,
                    type=h.type,
                    order=h.order,
                    rank=h.rank,
                    snippet=h.snippet,
                )
                for h in hits
            ],
        )


class DraftsController(Controller):
    """`/drafts/clauses/:id[...]` and `/drafts/variables/:id` (rows 28–35)."""

    path = "/api/v1/drafts"
    tags = ["drafting"]  # noqa: RUF012

    @get(
        "/clauses/{clause_id:str}",
        operation_id="clause_get",
        guards=[resource_member],
        opt={"resource": "clause", **MEMBER},
        responses=errors_for(401, 404),
    )
    async def get_clause(self, request: Request[Any, Any, Any], clause_id: FromPath[str]) -> Response[ClauseEnvelope]:
        """One clause, with its ETag."""
        return _clause_response(resource_of(request))

    @patch(
        "/clauses/{clause_id:str}",
        operation_id="clause_update",
        guards=[resource_member],
        opt={"resource": "clause", "permission": ("draft:editText",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def update_clause(
        self, state: State, request: Request[Any, Any, Any], clause_id: FromPath[str], data: JSONBody[ClausePatchIn]
    ) -> Response[ClauseEnvelope]:
        """Edit body (`newBody`), title, type or sensitivity; reason + category required for sensitive clauses
        under governance; If-Match / expectedLastModifiedAt → 409 STALE_WRITE on mismatch."""
        if not {"newBody", "title", "type", "isSensitive"} & data.model_fields_set:
            raise ValidationFailed("Provide at least one of newBody, title, type, isSensitive", field="body")
        data.reject_nulls()
        changes = clause_service.ClauseChanges(
            body=data.newBody, title=data.title, type=data.type, is_sensitive=data.isSensitive
        )
        row = await clause_service.update_clause(
            _ctx(state),
            await caller_of(request),
            member_of(request),
            clause_id,
            changes,
            _reason(data),
            _expect(request, data.expectedLastModifiedAt),
        )
        return _clause_response(row)

    @delete(
        "/clauses/{clause_id:str}",
        operation_id="clause_delete",
        status_code=204,
        guards=[resource_member],
        opt={"resource": "clause", "permission": ("draft:deleteClause",), "extension": True},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def delete_clause(self, state: State, request: Request[Any, Any, Any], clause_id: FromPath[str]) -> None:
        """Delete a clause with its variables, drift, reconciliation items, covenants and graph nodes; later
        clauses shift up (extension)."""
        fields = await _delete_fields(request)
        await clause_service.delete_clause(
            _ctx(state),
            await caller_of(request),
            member_of(request),
            clause_id,
            _reason(fields),
            _expect(request, fields.expectedLastModifiedAt),
        )

    @post(
        "/clauses/{clause_id:str}/lock",
        operation_id="clause_lock",
        status_code=200,
        guards=[resource_member],
        opt={"resource": "clause", "permission": ("draft:lockSection",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def lock_clause(
        self, state: State, request: Request[Any, Any, Any], clause_id: FromPath[str], data: JSONBody[LockIn]
    ) -> ClauseEnvelope:
        """Lock the section for the caller; already locked by the caller → 200 without an event."""
        row = await clause_service.lock_clause(
            _ctx(state),
            await caller_of(request),
            member_of(request),
            clause_id,
            _expect(request, data.expectedLastModifiedAt),
        )
        return ClauseEnvelope(clause=clause_out(row))

    @delete(
        "/clauses/{clause_id:str}/lock",
        operation_id="clause_unlock",
        status_code=200,
        guards=[resource_member],
        opt={"resource": "clause", "permission_name": "holder or workspace:admin"},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def unlock_clause(
        self, state: State, request: Request[Any, Any, Any], clause_id: FromPath[str]
    ) -> ClauseEnvelope:
        """Unlock (lock holder or workspace admin; governance locks: admin only); not locked → 200, no event."""
        fields = await _delete_fields(request)
        row = await clause_service.unlock_clause(
            _ctx(state),
            await caller_of(request),
            member_of(request),
            clause_id,
            _expect(request, fields.expectedLastModifiedAt),
        )
        return ClauseEnvelope(clause=clause_out(row))

    @get(
        "/clauses/{clause_id:str}/variables",
        operation_id="clause_variables",
        guards=[resource_member],
        opt={"resource": "clause", **MEMBER},
        responses=errors_for(401, 404),
    )
    async def clause_variables(
        self, state: State, request: Request[Any, Any, Any], clause_id: FromPath[str]
    ) -> VariableListEnvelope:
        """The clause's variables by creation time, id."""
        row = resource_of(request)
        rows = await variable_service.list_clause_variables(_ctx(state), row.workspace_id, row.id)
        return VariableListEnvelope(variables=[variable_out(r) for r in rows])

    @patch(
        "/variables/{variable_id:str}",
        operation_id="variable_update",
        guards=[resource_member],
        opt={"resource": "variable", "permission": ("variable:edit",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def update_variable(
        self,
        state: State,
        request: Request[Any, Any, Any],
        variable_id: FromPath[str],
        data: JSONBody[VariablePatchIn],
    ) -> Response[VariableEnvelope]:
        """Edit label, type, value or unit (null/blank unit clears it); drift, graph and integrity follow in the
        same transaction. No reason required (a given one is stored on the event)."""
        if not {"label", "type", "value", "unit"} & data.model_fields_set:
            raise ValidationFailed("Provide at least one of label, type, value, unit", field="body")
        data.reject_nulls()
        row = resource_of(request)
        changes = variable_service.VariableChanges(
            label=data.label,
            type=data.type,
            value=data.value,
            unit=(data.unit or None) if "unit" in data.model_fields_set else variable_service.VariableChanges.unset(),
        )
        updated = await variable_service.update_variable(
            _ctx(state),
            await caller_of(request),
            member_of(request),
            variable_id,
            row.clause_id,
            changes,
            _reason(data),
            _expect(request, data.expectedLastModifiedAt),
        )
        return Response(
            VariableEnvelope(variable=variable_out(updated)), headers={"ETag": etag(updated.id, updated.updated_at)}
        )

    @delete(
        "/variables/{variable_id:str}",
        operation_id="variable_delete",
        status_code=204,
        guards=[resource_member],
        opt={"resource": "variable", "permission": ("variable:edit",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def delete_variable(self, state: State, request: Request[Any, Any, Any], variable_id: FromPath[str]) -> None:
        """Delete a variable: its open drift closes (system revert), its graph node goes, integrity follows."""
        fields = await _delete_fields(request)
        row = resource_of(request)
        await variable_service.delete_variable(
            _ctx(state),
            await caller_of(request),
            member_of(request),
            variable_id,
            row.clause_id,
            _reason(fields),
            _expect(request, fields.expectedLastModifiedAt),
        )
