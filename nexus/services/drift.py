"""Drift items: listing, counts, the publish gate and the three drift actions (domain.md §2, §6, §8.5–§8.7, §10.1;
api.md §3.5).

Each action is one transaction in the lock order of domain.md §6: the drift's variable (or clause) row first, then
the guarded status change of the drift, then the variable/clause write and the consistency rule (which finds the
acted-on drift already closed, so it never adds a system event for it), then node flags / cached integrity, and the
audit events last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection

from nexus.db.queries import clauses as clauses_q
from nexus.db.queries import drift as drift_q
from nexus.db.queries import golden_records as golden_q
from nexus.db.queries import variables as variables_q
from nexus.db.queries.enums import AuditEventType, ClauseType, DriftSeverity, DriftStatus, ReasonCategory
from nexus.domain.drift import equal
from nexus.domain.errors import Conflict, NotFound
from nexus.domain.pagination import page_offset
from nexus.domain.permissions import Member
from nexus.services import audit_log, consistency
from nexus.services.context import Caller, Context

ARCHIVED_MESSAGE: Final = "Workspace is archived"
RISK_APPROVAL_MESSAGE: Final = "Risk approval required before override"
VARIABLE_CHANGED_MESSAGE: Final = "Cannot override: variable changed after approval"
GOVERNANCE_LOCK_REASON: Final = "System: definitionsLockedAfterApproval"
INTEGRITY_THRESHOLD: Final = 90


# -- reads ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DriftFilter:
    severity: DriftSeverity | None = None
    type: ClauseType | None = None
    status: DriftStatus | None = None
    keyword: str | None = None
    variable_id: str | None = None
    clause_id: str | None = None


@dataclass(frozen=True)
class DriftPage:
    rows: list[drift_q.DriftRow]
    total: int


async def list_drifts(ctx: Context, workspace_id: str, filters: DriftFilter, page: int, limit: int) -> DriftPage:
    """One page in API order (severity HIGH→LOW, current_modified_at desc, id desc) and the filtered total.

    The stock client's calls (no filter, status only, severity only) use their own index-friendly queries.
    """
    offset = page_offset(page, limit)
    f = filters
    only_status = f.status is not None and not (f.severity or f.type or f.keyword or f.variable_id or f.clause_id)
    only_severity = f.severity is not None and not (f.status or f.type or f.keyword or f.variable_id or f.clause_id)
    unfiltered = not (f.severity or f.status or f.type or f.keyword or f.variable_id or f.clause_id)
    async with ctx.pool.connection() as conn:
        if unfiltered:
            rows = await drift_q.list_drifts(conn, workspace_id=workspace_id, page_size=limit, page_offset=offset)
            total = await drift_q.count_drifts(conn, workspace_id=workspace_id)
        elif only_status and f.status is not None:
            rows = await drift_q.list_drifts_by_status(
                conn, workspace_id=workspace_id, status=f.status, page_size=limit, page_offset=offset
            )
            total = await drift_q.count_drifts_by_status(conn, workspace_id=workspace_id, status=f.status)
        elif only_severity and f.severity is not None:
            rows = await drift_q.list_drifts_by_severity(
                conn, workspace_id=workspace_id, severity=f.severity, page_size=limit, page_offset=offset
            )
            total = await drift_q.count_drifts_by_severity(conn, workspace_id=workspace_id, severity=f.severity)
        else:
            rows = await drift_q.list_drifts_filtered(
                conn,
                workspace_id=workspace_id,
                severity=f.severity,
                type=f.type,
                status=f.status,
                keyword=f.keyword,
                variable_id=f.variable_id,
                clause_id=f.clause_id,
                page_size=limit,
                page_offset=offset,
            )
            total = await drift_q.count_drifts_filtered(
                conn,
                workspace_id=workspace_id,
                severity=f.severity,
                type=f.type,
                status=f.status,
                keyword=f.keyword,
                variable_id=f.variable_id,
                clause_id=f.clause_id,
            )
    return DriftPage(rows, total or 0)


async def high_drift_count(ctx: Context, workspace_id: str) -> int:
    async with ctx.pool.connection() as conn:
        return await drift_q.count_unresolved_high(conn, workspace_id=workspace_id) or 0


@dataclass(frozen=True)
class PublishGate:
    blocked: bool
    reason: str | None
    integrity_score: int
    unresolved_high_drift_count: int


def publish_gate(integrity_score: int, high: int, blocked_when_high_drift: bool) -> PublishGate:
    """§10.1: READY ⇔ integrity ≥ 90 ∧ (¬publishBlockedWhenHighDrift ∨ no unresolved HIGH); reasons joined by ". "."""
    reasons: list[str] = []
    if integrity_score < INTEGRITY_THRESHOLD:
        reasons.append(f"Integrity score ({integrity_score}%) is below {INTEGRITY_THRESHOLD}%")
    if blocked_when_high_drift and high > 0:
        reasons.append(f"{high} unresolved HIGH severity drift item(s)")
    return PublishGate(bool(reasons), ". ".join(reasons) or None, integrity_score, high)


async def publish_blocked(ctx: Context, workspace_id: str) -> PublishGate:
    async with ctx.pool.connection() as conn:
        row = await golden_q.get_status_inputs(conn, workspace_id=workspace_id)
    if row is None:
        raise NotFound("Workspace not found")
    return publish_gate(row.integrity_score, row.unresolved_high_drift_count, row.publish_blocked_when_high_drift)


async def get_drift(ctx: Context, workspace_id: str, drift_id: str) -> drift_q.DriftRow:
    async with ctx.pool.connection() as conn:
        row = await drift_q.get_drift(conn, workspace_id=workspace_id, drift_id=drift_id)
    if row is None:
        raise NotFound("Drift not found")
    return row


async def load_for_member(ctx: Context, drift_id: str, user_id: str) -> drift_q.GetDriftForMemberRow | None:
    """The `/drifts/:id` guard's loader: the drift joined to the caller's ACTIVE membership (None = 404)."""
    async with ctx.pool.connection() as conn:
        return await drift_q.get_drift_for_member(conn, drift_id=drift_id, user_id=user_id)


# -- recompute --------------------------------------------------------------------------------------------------
async def recompute(ctx: Context, caller: Caller, member: Member) -> int:
    """§8.6: reconcile every variable with its drift (no writes when consistent); unresolved count afterwards."""
    if member.archived:
        raise Conflict(ARCHIVED_MESSAGE)
    async with ctx.transaction() as conn:
        return await consistency.recompute_workspace(
            conn, workspace_id=member.workspace_id, actor_id=caller.user_id, actor_name=caller.name
        )


# -- actions ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reason:
    text: str
    category: ReasonCategory | None


async def _audit(
    conn: AsyncConnection[Any],
    caller: Caller,
    workspace_id: str,
    event_type: AuditEventType,
    target_type: str,
    target_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    reason: str,
    category: ReasonCategory | None,
) -> None:
    await audit_log.record(
        conn, caller, workspace_id, event_type, target_type, target_id, before, after, reason, category
    )


def _status_conflict(status: DriftStatus, action: str) -> Conflict:
    return Conflict(f"Cannot {action} a drift that is {status}")


async def _lock_subject(
    conn: AsyncConnection[Any], drift: drift_q.GetDriftForMemberRow, with_clause: bool = False
) -> tuple[variables_q.VariableRow | None, clauses_q.ClauseRow | None]:
    """Lock order step 1: the drift's variable row (variable-level) or clause row (clause-level). With
    `with_clause` (a governance lock will follow) the clause row is locked first, then the variable: the order
    of the variable write path (clause → variable → drift)."""
    clause: clauses_q.ClauseRow | None = None
    if with_clause or drift.variable_id is None:
        clause = await clauses_q.lock_clause(conn, workspace_id=drift.workspace_id, clause_id=drift.clause_id)
        if clause is None:
            raise NotFound("Drift not found")
    if drift.variable_id is not None:
        variable = await variables_q.lock_variable(conn, workspace_id=drift.workspace_id, variable_id=drift.variable_id)
        if variable is not None:
            return variable, clause
    if clause is None:  # the variable is gone: act on the clause like a clause-level drift
        clause = await clauses_q.lock_clause(conn, workspace_id=drift.workspace_id, clause_id=drift.clause_id)
        if clause is None:
            raise NotFound("Drift not found")
    return None, clause


async def _current(conn: AsyncConnection[Any], drift: drift_q.GetDriftForMemberRow) -> drift_q.DriftRow:
    """The drift as committed now (read after the subject lock: concurrent actions have finished by then)."""
    row = await drift_q.get_drift(conn, workspace_id=drift.workspace_id, drift_id=drift.id)
    if row is None:
        raise NotFound("Drift not found")
    return row


async def _transition(
    conn: AsyncConnection[Any],
    caller: Caller,
    drift: drift_q.DriftRow,
    allowed: list[DriftStatus],
    status: DriftStatus,
    reason: Reason,
    action: str,
) -> drift_q.DriftRow:
    updated = await drift_q.transition_drift(
        conn,
        workspace_id=drift.workspace_id,
        drift_id=drift.id,
        allowed=allowed,
        status=status,
        approved_by=caller.user_id,
        reason=reason.text,
    )
    if updated is None:
        raise _status_conflict(drift.status, action)
    return updated


async def _refresh(conn: AsyncConnection[Any], drift: drift_q.DriftRow) -> None:
    await consistency.refresh_after(
        conn,
        workspace_id=drift.workspace_id,
        clause_ids=(drift.clause_id,),
        variable_ids=(drift.variable_id,) if drift.variable_id is not None else (),
    )


async def _governance_lock(
    conn: AsyncConnection[Any], caller: Caller, drift: drift_q.DriftRow, clause: clauses_q.ClauseRow | None
) -> None:
    """§2 definitionsLockedAfterApproval: lock the drift's clause for governance (a user lock is replaced);
    already governance-locked → nothing. `clause` is the row locked at the start of the transaction."""
    if clause is None or (clause.is_locked and clause.locked_by is None):
        return
    before: dict[str, Any] = {"isLocked": False}
    if clause.is_locked:
        before = {"isLocked": True, "lockedBy": clause.locked_by, "lockKind": "user"}
        await clauses_q.release_section_lock(
            conn,
            workspace_id=drift.workspace_id,
            clause_id=clause.id,
            expected_updated_at=None,
            expected_last_modified_at=None,
        )
    locked = await clauses_q.acquire_section_lock(
        conn,
        workspace_id=drift.workspace_id,
        clause_id=clause.id,
        locked_by=None,
        expected_updated_at=None,
        expected_last_modified_at=None,
    )
    if locked is None:
        return
    await _audit(
        conn,
        caller,
        drift.workspace_id,
        "SECTION_LOCKED",
        "clause",
        clause.id,
        before,
        {"isLocked": True, "lockedBy": None, "lockKind": "governance", "driftId": drift.id},
        GOVERNANCE_LOCK_REASON,
        None,
    )


def _locks_definitions(member: Member, drift: drift_q.GetDriftForMemberRow) -> bool:
    return drift.type == "definition" and member.governance.get("definitionsLockedAfterApproval", False)


def _require_writable(member: Member) -> None:
    if member.archived:
        raise Conflict(ARCHIVED_MESSAGE)


async def override(
    ctx: Context, caller: Caller, member: Member, drift: drift_q.GetDriftForMemberRow, reason: Reason
) -> drift_q.DriftRow:
    """§8.5 override: from unresolved, or only from approved under riskApprovalRequiredForOverride; the variable's
    baseline becomes its value (which must still equal the drift's current value)."""
    _require_writable(member)
    risk_rule = member.governance.get("riskApprovalRequiredForOverride", False)
    allowed: list[DriftStatus] = ["approved"] if risk_rule else ["unresolved"]
    async with ctx.transaction() as conn:
        governed = _locks_definitions(member, drift)
        variable, clause = await _lock_subject(conn, drift, with_clause=governed)
        current = await _current(conn, drift)
        if current.status not in allowed:
            if risk_rule and current.status == "unresolved":
                raise Conflict(RISK_APPROVAL_MESSAGE)
            raise _status_conflict(current.status, "override")
        if variable is not None and not equal(current.current_value, variable.value, variable.unit):
            raise Conflict(VARIABLE_CHANGED_MESSAGE)
        old_baseline = variable.baseline_value if variable is not None else current.baseline_value
        updated = await _transition(conn, caller, current, allowed, "overridden", reason, "override")
        new_baseline = current.current_value
        if variable is not None:
            await variables_q.set_variable_baseline(conn, workspace_id=drift.workspace_id, variable_id=variable.id)
            new_baseline = variable.value
            await consistency.on_variable_change(
                conn,
                workspace_id=drift.workspace_id,
                variable_id=variable.id,
                actor_id=caller.user_id,
                actor_name=caller.name,
            )
        await _refresh(conn, updated)
        await _audit(
            conn,
            caller,
            drift.workspace_id,
            "DRIFT_OVERRIDE",
            "drift",
            drift.id,
            {"status": current.status, "baselineValue": old_baseline},
            {"status": "overridden", "baselineValue": new_baseline},
            reason.text,
            reason.category,
        )
        await _governance_lock(conn, caller, updated, clause if governed else None)
        return updated


async def revert(
    ctx: Context, caller: Caller, member: Member, drift: drift_q.GetDriftForMemberRow, reason: Reason
) -> drift_q.DriftRow:
    """§8.5 revert (from unresolved): the variable's value (or the clause body) goes back to the baseline."""
    _require_writable(member)
    async with ctx.transaction() as conn:
        variable, clause = await _lock_subject(conn, drift)
        current = await _current(conn, drift)
        if current.status != "unresolved":
            raise _status_conflict(current.status, "revert")
        updated = await _transition(conn, caller, current, ["unresolved"], "reverted", reason, "revert")
        if variable is not None:
            baseline = variable.baseline_value if variable.baseline_value is not None else current.baseline_value
            await variables_q.set_variable_value(
                conn,
                workspace_id=drift.workspace_id,
                variable_id=variable.id,
                value=baseline,
                modified_by=caller.user_id,
            )
            await consistency.on_variable_change(
                conn,
                workspace_id=drift.workspace_id,
                variable_id=variable.id,
                actor_id=caller.user_id,
                actor_name=caller.name,
            )
        elif clause is not None:
            baseline = current.baseline_value
            await clauses_q.update_clause(
                conn,
                workspace_id=drift.workspace_id,
                clause_id=clause.id,
                title=clause.title,
                body=baseline,
                type=clause.type,
                is_sensitive=clause.is_sensitive,
                last_modified_by=caller.user_id,
                expected_updated_at=None,
                expected_last_modified_at=None,
            )
        else:  # pragma: no cover - _lock_subject returns one of the two
            baseline = current.baseline_value
        await _refresh(conn, updated)
        await _audit(
            conn,
            caller,
            drift.workspace_id,
            "DRIFT_REVERT",
            "drift",
            drift.id,
            {"status": current.status, "currentValue": current.current_value},
            {"status": "reverted", "currentValue": baseline},
            reason.text,
            reason.category,
        )
        return updated


async def approve(
    ctx: Context, caller: Caller, member: Member, drift: drift_q.GetDriftForMemberRow, reason: Reason
) -> drift_q.DriftRow:
    """§8.5 approve (from unresolved): the deviation is accepted; the baseline is unchanged."""
    _require_writable(member)
    async with ctx.transaction() as conn:
        governed = _locks_definitions(member, drift)
        _variable, clause = await _lock_subject(conn, drift, with_clause=governed)
        current = await _current(conn, drift)
        if current.status != "unresolved":
            raise _status_conflict(current.status, "approve")
        updated = await _transition(conn, caller, current, ["unresolved"], "approved", reason, "approve")
        await _refresh(conn, updated)
        await _audit(
            conn,
            caller,
            drift.workspace_id,
            "DRIFT_APPROVE",
            "drift",
            drift.id,
            {"status": current.status},
            {"status": "approved"},
            reason.text,
            reason.category,
        )
        await _governance_lock(conn, caller, updated, clause if governed else None)
        return updated
