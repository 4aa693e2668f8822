"""Golden record: live status and document, export, publish and versions (domain.md §10.1–§10.3; api.md §3.7).

Reads (GET, can-publish) run in one read-only REPEATABLE READ snapshot, so they can never write and every part of
the document comes from the same state. Export and publish lock the golden-record row FOR UPDATE first (one export
or publish per workspace at a time), compute the document in that transaction, write, and append their audit event
last. Publish also writes the outbox: one delivery per connector, consumed by the delivery worker (§10.4).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection, IsolationLevel
from psycopg.pq import TransactionStatus

from nexus.db.queries import connection as conn_q
from nexus.db.queries import connectors as connectors_q
from nexus.db.queries import covenants as covenants_q
from nexus.db.queries import golden_records as golden_q
from nexus.db.queries.enums import ReasonCategory
from nexus.domain import golden
from nexus.domain.errors import Conflict, NotFound, PublishBlocked
from nexus.domain.permissions import Member
from nexus.services import audit_log
from nexus.services.context import Caller, Context

ARCHIVED_MESSAGE: Final = "Workspace is archived"
NOT_FOUND: Final = "Workspace not found"


@asynccontextmanager
async def read_snapshot(ctx: Context) -> AsyncIterator[AsyncConnection[Any]]:
    """A pooled connection inside one read-only REPEATABLE READ transaction (statement timeout as usual)."""
    async with ctx.pool.connection() as conn:
        if conn.info.transaction_status != TransactionStatus.IDLE:  # pragma: no cover - the pool hands idle ones
            await conn.rollback()
        old_isolation, old_read_only = conn.isolation_level, conn.read_only
        await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
        await conn.set_read_only(True)
        try:
            async with conn.transaction():
                if ctx.settings.statement_timeout_ms:
                    await conn_q.set_statement_timeout(conn, timeout=str(ctx.settings.statement_timeout_ms))
                yield conn
        finally:
            if conn.info.transaction_status == TransactionStatus.IDLE:
                await conn.set_isolation_level(old_isolation)
                await conn.set_read_only(old_read_only)


# -- the live document ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Live:
    """The workspace's live status and export document, plus what the GoldenRecord shape shows with it."""

    inputs: golden.ExportInputs
    document: golden.Document
    current_version: int | None

    @property
    def gate(self) -> golden.Gate:
        return self.inputs.gate


def covenant_of(row: covenants_q.CovenantRow | golden_q.ListExportCovenantsRow) -> golden.DocCovenant:
    variable = None
    if row.variable_id is not None and row.variable_label is not None and row.variable_value is not None:
        variable = golden.DocCovenantVariable(
            row.variable_id, row.variable_label, row.variable_value, row.variable_unit, row.variable_baseline_value
        )
    return golden.DocCovenant(
        row.id, row.name, row.test_frequency, row.threshold, row.calculation_basis, row.clause_id, variable
    )


async def live(conn: AsyncConnection[Any], workspace_id: str) -> Live:
    """Status inputs and every part of the export document, read on `conn` (NotFound for an unknown workspace)."""
    status = await golden_q.get_status_inputs(conn, workspace_id=workspace_id)
    ws = await golden_q.get_export_workspace(conn, workspace_id=workspace_id)
    if status is None or ws is None:
        raise NotFound(NOT_FOUND)
    clauses = await golden_q.list_export_clauses(conn, workspace_id=workspace_id)
    variables = await golden_q.list_export_variables(conn, workspace_id=workspace_id)
    covenants = await golden_q.list_export_covenants(conn, workspace_id=workspace_id)
    summary = await golden_q.get_export_drift_summary(conn, workspace_id=workspace_id)
    items = await golden_q.list_export_drift_items(conn, workspace_id=workspace_id)
    counts = golden.DriftCounts(0, 0, 0, 0, 0) if summary is None else golden.DriftCounts(*summary)
    inputs = golden.ExportInputs(
        workspace=golden.DocWorkspace(
            ws.id, ws.name, ws.currency, ws.amount, ws.standard, ws.base_pdf_name, ws.generated_at
        ),
        clauses=[golden.DocClause(c.id, c.title, c.type, c.order, c.is_sensitive) for c in clauses],
        variables=[
            golden.DocVariable(
                v.id, v.label, v.type, v.value, v.unit, v.clause_id, v.baseline_value, v.baseline_approved_at
            )
            for v in variables
        ],
        covenants=[covenant_of(c) for c in covenants],
        gate=golden.gate(
            status.integrity_score, status.unresolved_high_drift_count, status.publish_blocked_when_high_drift
        ),
        drift=counts,
        drift_items=[
            golden.DocDrift(
                d.id, d.title, d.type, d.severity, d.clause_id, d.variable_id, d.baseline_value, d.current_value, d.unit
            )
            for d in items
        ],
    )
    return Live(inputs, golden.build_document(inputs), status.current_version)


@dataclass(frozen=True)
class GoldenView:
    """Everything `GoldenRecord` (api.md §2) shows."""

    record: golden_q.GoldenRecordRow
    live: Live
    connectors: list[connectors_q.ConnectorRow]
    covenants: list[covenants_q.CovenantRow]


async def _view(conn: AsyncConnection[Any], workspace_id: str, current: Live | None = None) -> GoldenView:
    record = await golden_q.get_golden_record(conn, workspace_id=workspace_id)
    if record is None:
        raise NotFound(NOT_FOUND)
    state = current if current is not None else await live(conn, workspace_id)
    connectors = await connectors_q.list_connectors(conn, workspace_id=workspace_id)
    covenants = await covenants_q.list_covenants(conn, workspace_id=workspace_id)
    return GoldenView(record, state, connectors, covenants)


async def get_golden_record(ctx: Context, workspace_id: str) -> GoldenView:
    """`GET /golden-records/:ws`: computed live, read-only."""
    async with read_snapshot(ctx) as conn:
        return await _view(conn, workspace_id)


async def can_publish(ctx: Context, workspace_id: str) -> golden.Gate:
    async with read_snapshot(ctx) as conn:
        status = await golden_q.get_status_inputs(conn, workspace_id=workspace_id)
    if status is None:
        raise NotFound(NOT_FOUND)
    return golden.gate(
        status.integrity_score, status.unresolved_high_drift_count, status.publish_blocked_when_high_drift
    )


# -- export -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Export:
    schema_json: str
    filename: str
    content_hash: str
    size: int


async def export(ctx: Context, caller: Caller, workspace_id: str) -> Export:
    """§10.2 export (any status, archived workspaces too): last_export_at + snapshot + EXPORT_JSON."""
    async with ctx.transaction() as conn:
        locked = await golden_q.lock_golden_record(conn, workspace_id=workspace_id)
        if locked is None:
            raise NotFound(NOT_FOUND)
        state = await live(conn, workspace_id)
        doc = state.document
        record = await golden_q.record_export(
            conn,
            workspace_id=workspace_id,
            status=state.gate.status,
            integrity_score=state.gate.integrity_score,
            unresolved_high_drift_count=state.gate.unresolved_high_drift_count,
            schema_json=doc.schema_json,
        )
        if record is None or record.last_export_at is None:  # pragma: no cover - the row is locked
            raise NotFound(NOT_FOUND)
        filename = golden.export_filename(state.inputs.workspace.name, record.last_export_at)
        await audit_log.record(
            conn,
            caller,
            workspace_id,
            "EXPORT_JSON",
            "golden_record",
            record.id,
            None,
            {"filename": filename, "size": doc.size, "contentHash": doc.content_hash},
        )
        return Export(doc.schema_json, filename, doc.content_hash, doc.size)


# -- publish ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    view: GoldenView
    version: golden_q.VersionRow
    deliveries: list[connectors_q.DeliveryRow]


def blocked_error(gate: golden.Gate) -> PublishBlocked:
    return PublishBlocked(
        f"Cannot publish: {gate.reason}",
        {
            "integrityScore": gate.integrity_score,
            "unresolvedHighDriftCount": gate.unresolved_high_drift_count,
            "reasons": list(gate.reasons),
        },
    )


async def publish(
    ctx: Context, caller: Caller, member: Member, reason: str, category: ReasonCategory | None
) -> Published:
    """§10.3: READY only (else 422, nothing written); one transaction writes the immutable version n+1, the
    snapshot, the deliveries (older pending/retrying ones superseded), connector statuses and PUBLISH."""
    if member.archived:
        raise Conflict(ARCHIVED_MESSAGE)
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        locked = await golden_q.lock_golden_record(conn, workspace_id=workspace_id)
        if locked is None:
            raise NotFound(NOT_FOUND)
        state = await live(conn, workspace_id)
        if not state.gate.allowed:
            raise blocked_error(state.gate)
        number = await golden_q.next_version_number(conn, workspace_id=workspace_id) or 1
        doc = state.document
        version = await golden_q.insert_version(
            conn,
            workspace_id=workspace_id,
            version=number,
            document=doc.schema_json,
            content_hash=doc.content_hash,
            integrity_score=state.gate.integrity_score,
            published_by=caller.user_id,
            reason=reason,
            reason_category=category,
        )
        if version is None:  # pragma: no cover - the golden record row is locked
            raise NotFound(NOT_FOUND)
        await golden_q.record_publish(
            conn,
            workspace_id=workspace_id,
            integrity_score=state.gate.integrity_score,
            unresolved_high_drift_count=state.gate.unresolved_high_drift_count,
            schema_json=doc.schema_json,
        )
        await connectors_q.supersede_deliveries(conn, workspace_id=workspace_id, version_id=version.id)
        deliveries = await connectors_q.create_deliveries(conn, workspace_id=workspace_id, version_id=version.id)
        await connectors_q.mark_connectors_published(conn, workspace_id=workspace_id)
        view = await _view(conn, workspace_id, Live(state.inputs, doc, number))
        await audit_log.record(
            conn,
            caller,
            workspace_id,
            "PUBLISH",
            "golden_record",
            locked.id,
            {"lastVersion": number - 1 if number > 1 else None},
            {
                "status": "READY",
                "integrityScore": state.gate.integrity_score,
                "version": number,
                "contentHash": doc.content_hash,
                "connectorCount": len(deliveries),
            },
            reason,
            category,
        )
        return Published(view, version, deliveries)


# -- versions ---------------------------------------------------------------------------------------------------
async def list_versions(ctx: Context, workspace_id: str) -> list[golden_q.VersionRow]:
    async with ctx.pool.connection() as conn:
        return await golden_q.list_versions(conn, workspace_id=workspace_id)


async def get_version(ctx: Context, workspace_id: str, number: int) -> golden_q.VersionDetailRow:
    async with ctx.pool.connection() as conn:
        row = await golden_q.get_version(conn, workspace_id=workspace_id, version=number)
    if row is None:
        raise NotFound("Version not found")
    return row
