"""Reconciliation: counterparty markups into suggestions, decided exactly once (domain.md §9, api.md §3.6).

Upload: the document is typed by extension + magic bytes, parsed and matched off the event loop (at most
`PARSE_SLOTS` at a time, so a burst of 10 MiB uploads cannot exhaust memory or starve the loop), then the session,
its items and `RECON_UPLOAD` are written in one transaction; a failure anywhere writes nothing.

Apply/reject: the lock order of domain.md §6 — the target clause row, then the item (the decision statement moves it
out of `pending` only if it still is, so a second or concurrent decision sees 0 rows → 409 ALREADY_DECIDED and the
session counters move exactly once), then the variable row and the consistency rule. Any failure after the decision
(clause locked by someone else, clause text changed) rolls the decision back with it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

import anyio
from psycopg import AsyncConnection

from nexus import recon
from nexus.db.queries import clauses as clauses_q
from nexus.db.queries import drift as drift_q
from nexus.db.queries import reconciliation as recon_q
from nexus.db.queries import variables as variables_q
from nexus.db.queries.enums import ConfidenceLevel, ReconciliationDecision
from nexus.domain.drift import severity
from nexus.domain.errors import AlreadyDecided, Conflict, NotFound, StaleWrite, ValidationFailed
from nexus.domain.pagination import page_offset
from nexus.domain.permissions import Member
from nexus.services import consistency
from nexus.services.clauses import (
    SYSTEM_BASELINE_REASON,
    Reason,
    audit,
    check_not_archived,
    check_unlocked_for,
    clause_drift_title,
    require_reason,
    system_revert_event,
)
from nexus.services.context import Caller, Context
from nexus.services.workspaces import iso_ms

PARSE_SLOTS: Final = anyio.CapacityLimiter(2)
MAX_CHANGES: Final = 1000
NO_CLAUSES: Final = "The workspace has no clauses to reconcile against"


# -- resource loaders (one PK lookup joined to the caller's active membership) ----------------------------------
async def load_session_for_member(ctx: Context, session_id: str, user_id: str) -> recon_q.GetSessionForMemberRow | None:
    async with ctx.pool.connection() as conn:
        return await recon_q.get_session_for_member(conn, session_id=session_id, user_id=user_id)


async def load_item_for_member(ctx: Context, item_id: str, user_id: str) -> recon_q.GetItemForMemberRow | None:
    async with ctx.pool.connection() as conn:
        return await recon_q.get_item_for_member(conn, item_id=item_id, user_id=user_id)


# -- upload -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    file_name: str
    data: bytes


@dataclass(frozen=True)
class Uploaded:
    session: recon_q.ReconciliationSessionRow
    items: list[recon_q.ReconciliationItemRow]


def _refs(
    clauses: list[clauses_q.ClauseRow], variables: list[variables_q.VariableRow]
) -> tuple[list[recon.ClauseRef], list[recon.VariableRef]]:
    return (
        [recon.ClauseRef(id=c.id, title=c.title, body=c.body, order=c.order, type=c.type) for c in clauses],
        [
            recon.VariableRef(
                id=v.id,
                clause_id=v.clause_id,
                label=v.label,
                type=v.type,
                value=v.value,
                unit=v.unit,
                baseline_value=v.baseline_value,
            )
            for v in variables
        ],
    )


def _suggest(
    suggester_name: str,
    file_type: recon.FileType,
    data: bytes,
    clauses: list[recon.ClauseRef],
    variables: list[recon.VariableRef],
) -> list[recon.Suggestion]:
    """CPU-bound: parse, match and validate (runs in a worker thread)."""
    doc = recon.parse_document(file_type, data, clauses)
    if len(doc.changes) > MAX_CHANGES:  # matching costs up to ~30 ms per change without a heading
        raise ValidationFailed(f"Document too large to process (more than {MAX_CHANGES} changes)", field="document")
    suggestions = recon.get_suggester(suggester_name).suggest(doc, clauses, variables)
    return recon.validate_suggestions(suggestions, clauses, variables)


async def upload(ctx: Context, caller: Caller, member: Member, upload: Upload) -> Uploaded:
    """Type check (415/400), parse + match off the loop, then session + items + RECON_UPLOAD in one transaction."""
    check_not_archived(member)
    file_type = recon.detect_type(upload.file_name, upload.data)
    workspace_id = member.workspace_id
    async with ctx.pool.connection() as conn:
        clause_rows = await clauses_q.list_clauses(conn, workspace_id=workspace_id)
        variable_rows = await variables_q.list_variables(conn, workspace_id=workspace_id)
    if not clause_rows:
        raise Conflict(NO_CLAUSES)
    clauses, variables = _refs(clause_rows, variable_rows)
    suggestions = await anyio.to_thread.run_sync(
        _suggest, ctx.settings.recon_suggester, file_type, upload.data, clauses, variables, limiter=PARSE_SLOTS
    )

    by_confidence = Counter(s.confidence for s in suggestions)
    async with ctx.transaction() as conn:
        session = await recon_q.insert_session(
            conn,
            workspace_id=workspace_id,
            file_name=upload.file_name,
            file_type=file_type,
            uploaded_by=caller.user_id,
            total_items=len(suggestions),
        )
        assert session is not None
        items = await recon_q.insert_items(
            conn,
            workspace_id=workspace_id,
            session_id=session.id,
            incoming_snippets=[s.incoming_snippet for s in suggestions],
            target_clause_ids=[s.target_clause_id for s in suggestions],
            target_variable_ids=[s.target_variable_id or "" for s in suggestions],
            confidences=[s.confidence for s in suggestions],
            baseline_values=[s.baseline_value for s in suggestions],
            current_values=[s.current_value for s in suggestions],
            proposed_values=[s.proposed_value for s in suggestions],
            match_scores=[s.match_score for s in suggestions],
            change_descriptions=[s.change_description for s in suggestions],
        )
        await audit(
            conn,
            caller,
            workspace_id,
            "RECON_UPLOAD",
            "reconciliation_session",
            session.id,
            None,
            {
                "fileName": session.file_name,
                "fileType": session.file_type,
                "totalItems": session.total_items,
                "byConfidence": {level: by_confidence.get(level, 0) for level in ("HIGH", "MEDIUM", "LOW")},
            },
        )
    return Uploaded(session, _ordered(items))


def _ordered(items: list[recon_q.ReconciliationItemRow]) -> list[recon_q.ReconciliationItemRow]:
    rank = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}
    return sorted(items, key=lambda i: (rank[i.confidence], i.position, i.id))


# -- reads ------------------------------------------------------------------------------------------------------
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int


async def list_sessions(
    ctx: Context, workspace_id: str, page: int, limit: int
) -> Page[recon_q.ReconciliationSessionRow]:
    async with ctx.pool.connection() as conn:
        rows = await recon_q.list_sessions(
            conn, workspace_id=workspace_id, page_limit=limit, page_offset=page_offset(page, limit)
        )
        total = await recon_q.count_sessions(conn, workspace_id=workspace_id)
    return Page(rows, total or 0)


async def list_items(
    ctx: Context,
    workspace_id: str,
    session_id: str,
    decision: ReconciliationDecision | None,
    confidence: ConfidenceLevel | None,
    page: int,
    limit: int,
) -> Page[recon_q.ReconciliationItemRow]:
    async with ctx.pool.connection() as conn:
        rows = await recon_q.list_items(
            conn,
            workspace_id=workspace_id,
            session_id=session_id,
            decision=decision,
            confidence=confidence,
            page_limit=limit,
            page_offset=page_offset(page, limit),
        )
        total = await recon_q.count_items(
            conn, workspace_id=workspace_id, session_id=session_id, decision=decision, confidence=confidence
        )
    return Page(rows, total or 0)


# -- decisions --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    item: recon_q.DecideItemRow
    drift_created: bool
    drift_id: str | None


async def _decide(
    conn: AsyncConnection[Any],
    caller: Caller,
    workspace_id: str,
    item_id: str,
    decision: ReconciliationDecision,
    reason: Reason,
) -> recon_q.DecideItemRow:
    row = await recon_q.decide_item(
        conn,
        workspace_id=workspace_id,
        item_id=item_id,
        decision=decision,
        decided_by=caller.user_id,
        decision_reason=reason.text,
    )
    if row is not None:
        return row
    current = await recon_q.get_item(conn, workspace_id=workspace_id, item_id=item_id)
    if current is None:
        raise NotFound("Item not found")
    raise AlreadyDecided(
        f"This item has already been {current.decision}",
        {
            "decision": current.decision,
            "decidedBy": current.decided_by,
            "decidedAt": iso_ms(current.decided_at) if current.decided_at is not None else None,
        },
    )


async def _item(conn: AsyncConnection[Any], workspace_id: str, item_id: str) -> recon_q.GetItemRow:
    item = await recon_q.get_item(conn, workspace_id=workspace_id, item_id=item_id)
    if item is None:
        raise NotFound("Item not found")
    return item


async def reject_item(
    ctx: Context, caller: Caller, member: Member, item_id: str, reason: Reason
) -> recon_q.DecideItemRow:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        check_not_archived(member)
        decided = await _decide(conn, caller, workspace_id, item_id, "rejected", reason)
        await audit(
            conn,
            caller,
            workspace_id,
            "RECON_REJECT",
            "reconciliation_item",
            item_id,
            {"decision": "pending"},
            {"decision": "rejected"},
            reason if reason.text or reason.category else None,
        )
        return decided


async def apply_item(ctx: Context, caller: Caller, member: Member, item_id: str, reason: Reason) -> Applied:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        check_not_archived(member)
        item = await _item(conn, workspace_id, item_id)
        require_reason(member, item.clause_is_sensitive, reason)
        if item.target_variable_id is not None:
            return await _apply_variable(conn, caller, member, item, reason)
        return await _apply_clause(conn, caller, member, item, reason)


async def _apply_variable(
    conn: AsyncConnection[Any], caller: Caller, member: Member, item: recon_q.GetItemRow, reason: Reason
) -> Applied:
    workspace_id = member.workspace_id
    assert item.target_variable_id is not None
    clause = await variables_q.lock_variable_clause(conn, workspace_id=workspace_id, clause_id=item.target_clause_id)
    if clause is None:
        raise NotFound("Item not found")
    decided = await _decide(conn, caller, workspace_id, item.id, "applied", reason)
    check_unlocked_for(caller, clause.is_locked, clause.locked_by, clause.locked_at)
    var = await variables_q.lock_variable(conn, workspace_id=workspace_id, variable_id=item.target_variable_id)
    if var is None or var.clause_id != item.target_clause_id:
        raise StaleWrite("The target variable no longer exists in this clause")
    await variables_q.set_variable_value(
        conn, workspace_id=workspace_id, variable_id=var.id, value=item.proposed_value, modified_by=caller.user_id
    )
    outcome = await consistency.on_variable_change(
        conn,
        workspace_id=workspace_id,
        variable_id=var.id,
        actor_id=caller.user_id,
        actor_name=caller.name,
        emit_system_events=False,
    )
    await _apply_event(conn, caller, workspace_id, item, reason, outcome.drift_created, outcome.drift_id)
    if outcome.closed_drift_id is not None:
        assert outcome.closed_current_value is not None and outcome.closed_reason is not None
        await consistency.append_system_revert(
            conn,
            workspace_id=workspace_id,
            drift_id=outcome.closed_drift_id,
            current_value=outcome.closed_current_value,
            reason=outcome.closed_reason,
            actor_id=caller.user_id,
            actor_name=caller.name,
        )
    return Applied(decided, outcome.drift_created, outcome.drift_id)


async def _apply_clause(
    conn: AsyncConnection[Any], caller: Caller, member: Member, item: recon_q.GetItemRow, reason: Reason
) -> Applied:
    workspace_id = member.workspace_id
    clause = await clauses_q.lock_clause(conn, workspace_id=workspace_id, clause_id=item.target_clause_id)
    if clause is None:
        raise NotFound("Item not found")
    decided = await _decide(conn, caller, workspace_id, item.id, "applied", reason)
    check_unlocked_for(caller, clause.is_locked, clause.locked_by, clause.locked_at)
    at = clause.body.find(item.current_value) if item.current_value else -1
    if at < 0:
        raise StaleWrite(
            "The clause text changed since the upload: the text this item replaces is no longer in the clause",
            {"clauseId": clause.id},
        )
    new_body = clause.body[:at] + item.proposed_value + clause.body[at + len(item.current_value) :]
    updated = await clauses_q.update_clause(
        conn,
        workspace_id=workspace_id,
        clause_id=clause.id,
        title=clause.title,
        body=new_body,
        type=clause.type,
        is_sensitive=clause.is_sensitive,
        last_modified_by=caller.user_id,
        expected_updated_at=None,
        expected_last_modified_at=None,
    )
    assert updated is not None
    sev = severity(item.current_value, item.proposed_value, None, clause.type) or "LOW"
    drift = await drift_q.upsert_clause_drift(
        conn,
        workspace_id=workspace_id,
        clause_id=clause.id,
        title=clause_drift_title(clause.title),
        severity=sev,
        baseline_value=clause.body,
    )
    assert drift is not None
    closed: drift_q.DriftRow | None = None
    if not drift.inserted and drift.current_value == drift.baseline_value:
        closed = await drift_q.close_clause_drift(
            conn,
            workspace_id=workspace_id,
            clause_id=clause.id,
            status="reverted",
            approved_by=caller.user_id,
            reason=SYSTEM_BASELINE_REASON,
        )
    await consistency.refresh_after(conn, workspace_id=workspace_id, clause_ids=(clause.id,))
    drift_id = None if closed is not None else drift.id
    await _apply_event(conn, caller, workspace_id, item, reason, drift.inserted, drift_id)
    await system_revert_event(conn, caller, closed, SYSTEM_BASELINE_REASON)
    return Applied(decided, drift.inserted, drift_id)


async def _apply_event(
    conn: AsyncConnection[Any],
    caller: Caller,
    workspace_id: str,
    item: recon_q.GetItemRow,
    reason: Reason,
    drift_created: bool,
    drift_id: str | None,
) -> None:
    await audit(
        conn,
        caller,
        workspace_id,
        "RECON_APPLY",
        "reconciliation_item",
        item.id,
        {"decision": "pending", "value": item.current_value},
        {
            "decision": "applied",
            "value": item.proposed_value,
            "targetVariableId": item.target_variable_id,
            "driftCreated": drift_created,
            "driftId": drift_id,
        },
        reason if reason.text or reason.category else None,
    )
