"""Golden record, covenants and connectors (api.md §3.7): `/api/v1/golden-records/...`.

The literal `/golden-records/connectors/:id[...]` and `/golden-records/covenants/:id` routes are declared before
the `/golden-records/{workspace_id}[...]` ones (api.md §1.10); Litestar's router also prefers literal segments.
Envelope `{success:true, <named keys>}`; the connector test's `success` is the test outcome.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Final, Literal

from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import StringConstraints

from nexus.api.auth import BEARER
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
from nexus.db.queries import connectors as connectors_q
from nexus.db.queries import covenants as covenants_q
from nexus.db.queries import golden_records as golden_q
from nexus.db.queries.enums import ConnectorStatus, ConnectorType, DeliveryStatus
from nexus.domain.errors import ValidationFailed
from nexus.domain.permissions import Member
from nexus.services import connectors as connector_service
from nexus.services import covenants as covenant_service
from nexus.services import golden as golden_service
from nexus.services.context import Context

MAX_REASON: Final = 2000
MAX_BASIS: Final = 10_000
MAX_ID: Final = 64

register_resource("connector", "connector_id", connector_service.load_for_member)
register_resource("covenant", "covenant_id", covenant_service.load_for_member)


Basis = Annotated[
    str,
    STRIP,
    StringConstraints(min_length=1, max_length=MAX_BASIS, strict=True),
    NO_NUL,
]
Id = Annotated[str, STRIP, StringConstraints(min_length=1, max_length=MAX_ID, strict=True)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_REASON, strict=True)]
Url = Annotated[str, StringConstraints(max_length=4096, strict=True)]


# -- request shapes ---------------------------------------------------------------------------------------------
class PublishIn(RequestModel):
    reason: Reason | None = None
    reasonCategory: ReasonCategory | None = None


class ConnectorPatchIn(OptionalFieldsModel):
    NULLABLE: ClassVar[tuple[str, ...]] = ("endpointUrl",)

    endpointUrl: Url | None = None
    name: Text255 | None = None


class CovenantIn(RequestModel):
    name: Text255
    testFrequency: Text255
    threshold: Text255
    calculationBasis: Basis
    clauseId: Id
    variableId: Id | None = None


class CovenantPatchIn(OptionalFieldsModel):
    NULLABLE: ClassVar[tuple[str, ...]] = ("variableId",)

    name: Text255 | None = None
    testFrequency: Text255 | None = None
    threshold: Text255 | None = None
    calculationBasis: Basis | None = None
    clauseId: Id | None = None
    variableId: Id | None = None


# -- response shapes (api.md §2) --------------------------------------------------------------------------------
class ConnectorOut(ResponseModel):
    id: str
    workspaceId: str
    name: str
    type: ConnectorType
    status: ConnectorStatus
    lastSyncAt: str | None
    endpointConfigured: bool
    endpointUrl: str | None


class CovenantOut(ResponseModel):
    id: str
    workspaceId: str
    name: str
    testFrequency: str
    threshold: str
    calculationBasis: str
    clauseId: str
    variableId: str | None


class GoldenRecordOut(ResponseModel):
    workspaceId: str
    status: Literal["READY", "IN_REVIEW"]
    integrityScore: int
    unresolvedHighDriftCount: int
    lastExportAt: str | None
    lastPublishAt: str | None
    connectors: list[ConnectorOut]
    covenants: list[CovenantOut]
    schemaJson: str
    contentHash: str
    currentVersion: int | None
    blockers: list[str]


class VersionOut(ResponseModel):
    id: str
    workspaceId: str
    version: int
    contentHash: str
    integrityScore: int
    publishedAt: str
    publishedBy: str
    reason: str
    reasonCategory: str | None


class VersionDetailOut(VersionOut):
    schemaJson: str


class DeliveryOut(ResponseModel):
    id: str
    connectorId: str
    versionId: str
    version: int
    status: DeliveryStatus
    attempts: int
    nextAttemptAt: str | None
    lastAttemptAt: str | None
    lastStatusCode: int | None
    lastError: str | None
    deliveredAt: str | None
    createdAt: str


class GoldenEnvelope(ResponseModel):
    success: Literal[True] = True
    goldenRecord: GoldenRecordOut


class CanPublishEnvelope(ResponseModel):
    success: Literal[True] = True
    allowed: bool
    reason: str | None
    integrityScore: int
    unresolvedHighDriftCount: int
    blockers: list[str]


class ExportEnvelope(ResponseModel):
    success: Literal[True] = True
    schemaJson: str
    filename: str
    contentHash: str


class PublishEnvelope(ResponseModel):
    success: Literal[True] = True
    goldenRecord: GoldenRecordOut
    version: VersionOut


class VersionListEnvelope(ResponseModel):
    success: Literal[True] = True
    versions: list[VersionOut]


class VersionEnvelope(ResponseModel):
    success: Literal[True] = True
    version: VersionDetailOut


class CovenantListEnvelope(ResponseModel):
    success: Literal[True] = True
    covenants: list[CovenantOut]


class CovenantEnvelope(ResponseModel):
    success: Literal[True] = True
    covenant: CovenantOut


class ExtractEnvelope(ResponseModel):
    success: Literal[True] = True
    covenants: list[CovenantOut]
    skipped: int


class ConnectorListEnvelope(ResponseModel):
    success: Literal[True] = True
    connectors: list[ConnectorOut]


class ConnectorEnvelope(ResponseModel):
    success: Literal[True] = True
    connector: ConnectorOut


class DeliveryListEnvelope(ResponseModel):
    success: Literal[True] = True
    deliveries: list[DeliveryOut]


class ConnectorTestOut(ResponseModel):
    success: bool
    message: str
    status: Literal["ok", "failed", "not_configured"]
    httpStatus: int | None
    latencyMs: int | None
    testedAt: str


# -- rendering --------------------------------------------------------------------------------------------------
ConnectorLike = connectors_q.ConnectorRow | connectors_q.GetConnectorForMemberRow


def connector_out(row: ConnectorLike, member: Member) -> ConnectorOut:
    """Connector; `endpointUrl` only for callers holding workspace:admin."""
    return ConnectorOut(
        id=row.id,
        workspaceId=row.workspace_id,
        name=row.name,
        type=row.type,
        status=row.status,
        lastSyncAt=iso_or_none(row.last_sync_at),
        endpointConfigured=row.endpoint_url is not None,
        endpointUrl=row.endpoint_url if member.can("workspace:admin") else None,
    )


def covenant_out(row: covenants_q.CovenantRow | covenants_q.GetCovenantForMemberRow) -> CovenantOut:
    return CovenantOut(
        id=row.id,
        workspaceId=row.workspace_id,
        name=row.name,
        testFrequency=row.test_frequency,
        threshold=covenant_service.effective_threshold(row),
        calculationBasis=row.calculation_basis,
        clauseId=row.clause_id,
        variableId=row.variable_id,
    )


def golden_out(view: golden_service.GoldenView, member: Member) -> GoldenRecordOut:
    gate = view.live.gate
    return GoldenRecordOut(
        workspaceId=view.record.workspace_id,
        status=gate.status,
        integrityScore=gate.integrity_score,
        unresolvedHighDriftCount=gate.unresolved_high_drift_count,
        lastExportAt=iso_or_none(view.record.last_export_at),
        lastPublishAt=iso_or_none(view.record.last_publish_at),
        connectors=[connector_out(c, member) for c in view.connectors],
        covenants=[covenant_out(c) for c in view.covenants],
        schemaJson=view.live.document.schema_json,
        contentHash=view.live.document.content_hash,
        currentVersion=view.live.current_version,
        blockers=list(gate.blockers),
    )


def _version_fields(row: golden_q.VersionRow | golden_q.VersionDetailRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "workspaceId": row.workspace_id,
        "version": row.version,
        "contentHash": row.content_hash,
        "integrityScore": row.integrity_score,
        "publishedAt": iso(row.published_at),
        "publishedBy": row.published_by,
        "reason": row.reason,
        "reasonCategory": row.reason_category,
    }


def delivery_out(row: connectors_q.ListDeliveriesRow) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        connectorId=row.connector_id,
        versionId=row.version_id,
        version=row.version,
        status=row.status,
        attempts=row.attempts,
        nextAttemptAt=iso_or_none(row.next_attempt_at),
        lastAttemptAt=iso_or_none(row.last_attempt_at),
        lastStatusCode=row.last_status_code,
        lastError=row.last_error,
        deliveredAt=iso_or_none(row.delivered_at),
        createdAt=iso(row.created_at),
    )


def _ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


def _version_number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise ValidationFailed("version must be a positive integer", field="version")
    return int(text)


CONNECTOR: Final = {"resource": "connector"}
COVENANT: Final = {"resource": "covenant"}


class GoldenRecordController(Controller):
    path = "/api/v1/golden-records"
    tags = ["golden-record"]  # noqa: RUF012
    security = BEARER

    # -- /golden-records/connectors/:id ------------------------------------------------------------------------
    @post(
        "/connectors/{connector_id:str}/test",
        operation_id="connector_test",
        status_code=200,
        guards=[resource_member],
        opt={**CONNECTOR, "permission": ("golden:export",)},
        responses=errors_for(401, 403, 404),
    )
    async def test_connector(self, request: Request[Any, Any, Any], connector_id: FromPath[str]) -> ConnectorTestOut:
        """GET the connector's endpoint (5 s timeout, no redirects): `success` is the outcome (2xx, 3xx or 405).
        Not configured → `success:false`, status `not_configured`. Writes nothing; not audited."""
        row: connectors_q.GetConnectorForMemberRow = resource_of(request)
        result = await connector_service.check_connection(row.endpoint_url)
        return ConnectorTestOut(
            success=result.success,
            message=result.message,
            status=result.status,
            httpStatus=result.http_status,
            latencyMs=result.latency_ms,
            testedAt=iso(result.tested_at),
        )

    @patch(
        "/connectors/{connector_id:str}",
        operation_id="connector_update",
        guards=[resource_member],
        opt={**CONNECTOR, "permission": ("workspace:admin",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def update_connector(
        self,
        state: State,
        request: Request[Any, Any, Any],
        connector_id: FromPath[str],
        data: JSONBody[ConnectorPatchIn],
    ) -> ConnectorEnvelope:
        """Configure the endpoint URL (absolute http(s), ≤ 2048 characters, no userinfo; null clears it) and/or
        the name (1–255). Records GOVERNANCE_UPDATED when something changed."""
        if not {"endpointUrl", "name"} & data.model_fields_set:
            raise ValidationFailed("Provide endpointUrl and/or name", field="body")
        data.reject_nulls()
        url: str | connector_service.Unset | None = connector_service.UNSET
        if "endpointUrl" in data.model_fields_set:
            url = None if data.endpointUrl is None else connector_service.endpoint_url(data.endpointUrl)
        member = member_of(request)
        row = await connector_service.configure(
            _ctx(state), await caller_of(request), member, connector_id, url, data.name
        )
        return ConnectorEnvelope(connector=connector_out(row, member))

    @get(
        "/connectors/{connector_id:str}/deliveries",
        operation_id="connector_deliveries",
        guards=[resource_member],
        opt={**CONNECTOR, "permission": ("golden:export",)},
        responses=errors_for(400, 401, 403, 404),
    )
    async def list_deliveries(
        self,
        state: State,
        request: Request[Any, Any, Any],
        connector_id: FromPath[str],
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> DeliveryListEnvelope:
        """The connector's deliveries (one per published version), newest first."""
        member = member_of(request)
        rows = await connector_service.list_deliveries(_ctx(state), member.workspace_id, connector_id, limit)
        return DeliveryListEnvelope(deliveries=[delivery_out(r) for r in rows])

    # -- /golden-records/covenants/:id -------------------------------------------------------------------------
    @patch(
        "/covenants/{covenant_id:str}",
        operation_id="covenant_update",
        guards=[resource_member],
        opt={**COVENANT, "permission": ("variable:edit",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def update_covenant(
        self,
        state: State,
        request: Request[Any, Any, Any],
        covenant_id: FromPath[str],
        data: JSONBody[CovenantPatchIn],
    ) -> CovenantEnvelope:
        """Change any of name, testFrequency, threshold, calculationBasis, clauseId, variableId (null unbinds;
        the variable must belong to the covenant's clause)."""
        fields = {
            "name": "name",
            "testFrequency": "test_frequency",
            "threshold": "threshold",
            "calculationBasis": "calculation_basis",
            "clauseId": "clause_id",
            "variableId": "variable_id",
        }
        if not set(fields) & data.model_fields_set:
            raise ValidationFailed("Provide at least one covenant field", field="body")
        data.reject_nulls()
        changes = {attr: getattr(data, key) for key, attr in fields.items() if key in data.model_fields_set}
        row = await covenant_service.update_covenant(
            _ctx(state), await caller_of(request), member_of(request), covenant_id, changes
        )
        return CovenantEnvelope(covenant=covenant_out(row))

    @delete(
        "/covenants/{covenant_id:str}",
        operation_id="covenant_delete",
        status_code=204,
        guards=[resource_member],
        opt={**COVENANT, "permission": ("variable:edit",)},
        responses=errors_for(401, 403, 404, 409),
    )
    async def delete_covenant(self, state: State, request: Request[Any, Any, Any], covenant_id: FromPath[str]) -> None:
        """Delete a covenant."""
        await covenant_service.delete_covenant(_ctx(state), await caller_of(request), member_of(request), covenant_id)

    # -- /golden-records/:workspaceId --------------------------------------------------------------------------
    @get(
        "/{workspace_id:str}",
        operation_id="golden_get",
        guards=[workspace_member],
        responses=errors_for(401, 404),
    )
    async def get_golden_record(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> GoldenEnvelope:
        """The golden record computed live (status, integrity, the export document and its hash); read-only."""
        member = member_of(request)
        view = await golden_service.get_golden_record(_ctx(state), member.workspace_id)
        return GoldenEnvelope(goldenRecord=golden_out(view, member))

    @get(
        "/{workspace_id:str}/can-publish",
        operation_id="golden_can_publish",
        guards=[workspace_member],
        responses=errors_for(401, 404),
    )
    async def can_publish(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> CanPublishEnvelope:
        """Whether the golden record is READY (integrity ≥ 90 and, under publishBlockedWhenHighDrift, no unresolved
        HIGH drift); otherwise the reasons joined by ". " and the blockers."""
        gate = await golden_service.can_publish(_ctx(state), member_of(request).workspace_id)
        return CanPublishEnvelope(
            allowed=gate.allowed,
            reason=gate.reason,
            integrityScore=gate.integrity_score,
            unresolvedHighDriftCount=gate.unresolved_high_drift_count,
            blockers=list(gate.blockers),
        )

    @post(
        "/{workspace_id:str}/export",
        operation_id="golden_export",
        status_code=200,
        guards=[workspace_member],
        opt={"permission": ("golden:export",)},
        responses=errors_for(401, 403, 404),
    )
    async def export(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> ExportEnvelope:
        """The export document (same bytes for the same state; any status, archived workspaces too); records
        lastExportAt and EXPORT_JSON."""
        result = await golden_service.export(_ctx(state), await caller_of(request), member_of(request).workspace_id)
        return ExportEnvelope(schemaJson=result.schema_json, filename=result.filename, contentHash=result.content_hash)

    @post(
        "/{workspace_id:str}/publish",
        operation_id="golden_publish",
        status_code=200,
        guards=[workspace_member],
        opt={"permission": ("golden:publish",)},
        responses=errors_for(400, 401, 403, 404, 409, 422),
    )
    async def publish(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], data: JSONBody[PublishIn]
    ) -> PublishEnvelope:
        """Publish version n+1 (READY only, else 422 PUBLISH_BLOCKED) and queue one delivery per connector
        (pending with an endpoint, else skipped). `reason` required."""
        if data.reason is None or not data.reason:
            raise ValidationFailed("reason is required", field="reason")
        member = member_of(request)
        result = await golden_service.publish(
            _ctx(state), await caller_of(request), member, data.reason, data.reasonCategory
        )
        return PublishEnvelope(
            goldenRecord=golden_out(result.view, member), version=VersionOut(**_version_fields(result.version))
        )

    @get(
        "/{workspace_id:str}/versions",
        operation_id="golden_version_list",
        guards=[workspace_member],
        opt={"permission": ("golden:export",)},
        responses=errors_for(401, 403, 404),
    )
    async def list_versions(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> VersionListEnvelope:
        """Published versions, newest first (without the document)."""
        rows = await golden_service.list_versions(_ctx(state), member_of(request).workspace_id)
        return VersionListEnvelope(versions=[VersionOut(**_version_fields(r)) for r in rows])

    @get(
        "/{workspace_id:str}/versions/{version:str}",
        operation_id="golden_version_get",
        guards=[workspace_member],
        opt={"permission": ("golden:export",)},
        responses=errors_for(400, 401, 403, 404),
    )
    async def get_version(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], version: FromPath[str]
    ) -> VersionEnvelope:
        """One published version with its exact stored bytes (`schemaJson`)."""
        row = await golden_service.get_version(_ctx(state), member_of(request).workspace_id, _version_number(version))
        return VersionEnvelope(version=VersionDetailOut(**_version_fields(row), schemaJson=row.document))

    @get(
        "/{workspace_id:str}/covenants",
        operation_id="covenant_list",
        guards=[workspace_member],
        responses=errors_for(401, 404),
    )
    async def list_covenants(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> CovenantListEnvelope:
        """Covenants by clause order, name, id; `threshold` follows the bound variable."""
        rows = await covenant_service.list_covenants(_ctx(state), member_of(request).workspace_id)
        return CovenantListEnvelope(covenants=[covenant_out(r) for r in rows])

    @post(
        "/{workspace_id:str}/covenants",
        operation_id="covenant_create",
        status_code=201,
        guards=[workspace_member],
        opt={"permission": ("variable:edit",)},
        responses=errors_for(400, 401, 403, 404, 409),
    )
    async def create_covenant(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str], data: JSONBody[CovenantIn]
    ) -> CovenantEnvelope:
        """Create a covenant on a clause of this workspace, optionally bound to a variable of that clause."""
        new = covenant_service.CovenantFields(
            data.name, data.testFrequency, data.threshold, data.calculationBasis, data.clauseId, data.variableId
        )
        row = await covenant_service.create_covenant(_ctx(state), await caller_of(request), member_of(request), new)
        return CovenantEnvelope(covenant=covenant_out(row))

    @post(
        "/{workspace_id:str}/covenants/extract",
        operation_id="covenant_extract",
        status_code=200,
        guards=[workspace_member],
        opt={"permission": ("variable:edit",)},
        responses=errors_for(401, 403, 404, 409),
    )
    async def extract_covenants(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> ExtractEnvelope:
        """Create the covenants stated in the covenant clauses that the workspace does not have yet
        (deterministic, idempotent); `skipped` counts those already present."""
        result = await covenant_service.extract_covenants(_ctx(state), await caller_of(request), member_of(request))
        return ExtractEnvelope(covenants=[covenant_out(r) for r in result.created], skipped=result.skipped)

    @get(
        "/{workspace_id:str}/connectors",
        operation_id="connector_list",
        guards=[workspace_member],
        responses=errors_for(401, 404),
    )
    async def list_connectors(
        self, state: State, request: Request[Any, Any, Any], workspace_id: FromPath[str]
    ) -> ConnectorListEnvelope:
        """The workspace's connectors (stored rows) by type, name; `endpointUrl` only for admins."""
        member = member_of(request)
        rows = await connector_service.list_connectors(_ctx(state), member.workspace_id)
        return ConnectorListEnvelope(connectors=[connector_out(r, member) for r in rows])
