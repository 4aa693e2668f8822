"""The consistency rule D10 (domain.md §6) and drift recompute (§8.6), run inside the caller's transaction.

Lock order (§6): the caller has locked the variable row → its open drift (FOR UPDATE) → graph_state (FOR UPDATE) →
graph nodes → audit chain (the event INSERT, last).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from nexus.db.queries import audit as audit_q
from nexus.db.queries import drift as drift_q
from nexus.db.queries import graph as graph_q
from nexus.db.queries import variables as variables_q
from nexus.domain.drift import drift_title, equal, severity, variable_kind

REASON_BASELINE = "System: value returned to baseline"
REASON_ACCEPTED = "System: value returned to approved deviation"
REASON_CLAUSE_BASELINE = "System: clause returned to baseline"


@dataclass(frozen=True)
class Outcome:
    drift_id: str | None  # the open drift after the change (None if none)
    drift_created: bool
    closed_drift_id: str | None  # a drift the rule closed (system revert), if any
    # For callers that pass emit_system_events=False and append the DRIFT_REVERT themselves (append_system_revert).
    closed_current_value: str | None = None
    closed_reason: str | None = None


@dataclass(frozen=True)
class _Decision:
    close_reason: str | None  # close the open drift with this reason; None = keep/open one
    open_drift: bool  # upsert (open or mirror) a drift


def _decide(
    value: str,
    baseline: str | None,
    unit: str | None,
    approved_current: str | None,
    approved_baseline: str | None,
) -> _Decision:
    """§6 step 2 (the approved drift is consulted only when value differs from baseline)."""
    if baseline is None or equal(value, baseline, unit):
        return _Decision(REASON_BASELINE, False)
    if (
        approved_current is not None
        and approved_baseline is not None
        and equal(approved_current, value, unit)
        and equal(approved_baseline, baseline, unit)
    ):
        return _Decision(REASON_ACCEPTED, False)
    return _Decision(None, True)


async def append_system_revert(
    conn: AsyncConnection[Any],
    *,
    workspace_id: str,
    drift_id: str,
    current_value: str,
    reason: str,
    actor_id: str,
    actor_name: str,
) -> None:
    """The system `DRIFT_REVERT` of a drift closed by D10 (domain.md §11.1)."""
    await audit_q.append_event(
        conn,
        workspace_id=workspace_id,
        actor_id=actor_id,
        actor_name=actor_name,
        event_type="DRIFT_REVERT",
        target_type="drift",
        target_id=drift_id,
        before_state={"status": "unresolved", "currentValue": current_value},
        after_state={"status": "reverted", "currentValue": current_value, "system": True},
        reason=reason,
        reason_category=None,
    )


async def _sync_graph(
    conn: AsyncConnection[Any], workspace_id: str, clause_ids: Sequence[str], variable_ids: Sequence[str]
) -> None:
    """§6 steps 3–4 for a known set of nodes: flags rewritten if different, graph_state moved by difference."""
    state = await graph_q.lock_graph_state(conn, workspace_id=workspace_id)
    if state is None:  # graph never built: no nodes, nothing cached
        return
    delta = await graph_q.sync_nodes(
        conn, workspace_id=workspace_id, clause_ids=list(clause_ids), variable_ids=list(variable_ids)
    )
    if delta is not None and (delta.drift_delta or delta.warning_delta):
        await graph_q.adjust_graph_state(
            conn, workspace_id=workspace_id, drift_delta=delta.drift_delta, warning_delta=delta.warning_delta
        )


async def on_variable_change(
    conn: AsyncConnection[Any],
    *,
    workspace_id: str,
    variable_id: str,
    actor_id: str,
    actor_name: str,
    emit_system_events: bool = True,
) -> Outcome:
    """§6 steps 2-5 for ONE variable whose row the caller has already locked and written (value/baseline/unit/type
    as they are now). Opens/mirrors/closes its drift (system DRIFT_REVERT events when emit_system_events), then
    updates the variable node (value, flags) and its clause node flags and graph_state counters/integrity.

    The system DRIFT_REVERT is appended here, at the end; a caller that must put its own event first (§6 step 5)
    passes emit_system_events=False and calls append_system_revert with the Outcome after its own event.
    A variable that no longer exists yields an empty Outcome (the delete path closes its drift itself).
    """
    var = await variables_q.get_variable(conn, workspace_id=workspace_id, variable_id=variable_id)
    if var is None:
        return Outcome(None, False, None)
    open_drift = await drift_q.get_open_variable_drift(conn, workspace_id=workspace_id, variable_id=variable_id)

    approved_current: str | None = None
    approved_baseline: str | None = None
    if var.baseline_value is not None and not equal(var.value, var.baseline_value, var.unit):
        approved = await drift_q.last_approved_variable_drift(conn, workspace_id=workspace_id, variable_id=variable_id)
        if approved is not None:
            approved_current, approved_baseline = approved.current_value, approved.baseline_value
    decision = _decide(var.value, var.baseline_value, var.unit, approved_current, approved_baseline)

    outcome: Outcome
    if decision.close_reason is not None:
        closed = None
        if open_drift is not None:
            closed = await drift_q.close_variable_drift(
                conn,
                workspace_id=workspace_id,
                variable_id=variable_id,
                status="reverted",
                approved_by=actor_id,
                reason=decision.close_reason,
            )
        outcome = (
            Outcome(None, False, closed.id, closed.current_value, decision.close_reason)
            if closed is not None
            else Outcome(None, False, None)
        )
    else:
        assert var.baseline_value is not None  # _decide opens only against a baseline
        sev = severity(var.baseline_value, var.value, var.unit, variable_kind(var.type))
        assert sev is not None  # not equal, so a drift
        row = await drift_q.upsert_variable_drift(
            conn,
            workspace_id=workspace_id,
            variable_id=variable_id,
            title=drift_title(var.label, var.baseline_value, var.value, var.unit),
            severity=sev,
            actor_id=actor_id,
        )
        if row is not None:
            outcome = Outcome(row.id, row.inserted, None)
        else:  # already mirrors: the open drift is unchanged
            outcome = Outcome(open_drift.id if open_drift is not None else None, False, None)

    await _sync_graph(conn, workspace_id, (var.clause_id,), (variable_id,))

    if emit_system_events and outcome.closed_drift_id is not None:
        assert outcome.closed_current_value is not None and outcome.closed_reason is not None
        await append_system_revert(
            conn,
            workspace_id=workspace_id,
            drift_id=outcome.closed_drift_id,
            current_value=outcome.closed_current_value,
            reason=outcome.closed_reason,
            actor_id=actor_id,
            actor_name=actor_name,
        )
    return outcome


async def refresh_after(
    conn: AsyncConnection[Any],
    *,
    workspace_id: str,
    clause_ids: Sequence[str] = (),
    variable_ids: Sequence[str] = (),
) -> None:
    """§6 steps 3-4 only: node flags of these clauses/variables and graph_state counters + integrity (lock
    graph_state FOR UPDATE first per the lock order). No-op for nodes that do not exist (graph not built).

    The counters are recounted from the nodes (indexed), so this is also right after a node insert/delete.
    """
    state = await graph_q.lock_graph_state(conn, workspace_id=workspace_id)
    if state is None:
        return
    if clause_ids or variable_ids:
        await graph_q.sync_nodes(
            conn, workspace_id=workspace_id, clause_ids=list(clause_ids), variable_ids=list(variable_ids)
        )
    await graph_q.refresh_graph_state(conn, workspace_id=workspace_id)


def _mirrors(d: drift_q.DriftRow, v: drift_q.ListDeviatingVariablesRow, title: str, sev: str) -> bool:
    """The open drift already equals what upsert_variable_drift would write (conservative: unknown → False)."""
    return (
        v.baseline_approved_at is not None
        and v.last_modified_by is not None
        and (d.title, d.severity, d.baseline_value, d.current_value, d.unit)
        == (
            title,
            sev,
            v.baseline_value,
            v.value,
            v.unit,
        )
        and (d.baseline_approved_at, d.current_modified_at, d.current_modified_by)
        == (v.baseline_approved_at, v.last_modified_at, v.last_modified_by)
    )


async def recompute_workspace(conn: AsyncConnection[Any], *, workspace_id: str, actor_id: str, actor_name: str) -> int:
    """§8.6 idempotent recompute; returns the unresolved drift count; writes nothing on a consistent workspace."""
    # Lock every candidate variable (and clause) first, then touch drift rows, then graph_state (lock order §6).
    deviating = await drift_q.list_deviating_variables(conn, workspace_id=workspace_id)
    settled = await drift_q.list_settled_open_drifts(conn, workspace_id=workspace_id)
    clause_drifts = await drift_q.list_open_clause_drifts(conn, workspace_id=workspace_id)

    # Open drift rows, to skip the (no-op) upsert round trip of a drift that already mirrors its variable.
    open_by_id = {d.id: d for d in await drift_q.list_unresolved_drifts(conn, workspace_id=workspace_id)}

    reverts: list[tuple[str, str, str]] = []  # (drift id, current value, reason)
    for v in deviating:
        decision = _decide(v.value, v.baseline_value, v.unit, v.approved_current_value, v.approved_baseline_value)
        if decision.close_reason is not None:
            if v.open_drift_id is not None:
                closed = await drift_q.close_variable_drift(
                    conn,
                    workspace_id=workspace_id,
                    variable_id=v.id,
                    status="reverted",
                    approved_by=actor_id,
                    reason=decision.close_reason,
                )
                if closed is not None:
                    reverts.append((closed.id, closed.current_value, decision.close_reason))
            continue
        sev = severity(v.baseline_value, v.value, v.unit, variable_kind(v.type))
        assert sev is not None
        title = drift_title(v.label, v.baseline_value, v.value, v.unit)
        current = open_by_id.get(v.open_drift_id) if v.open_drift_id is not None else None
        if current is not None and _mirrors(current, v, title, sev):
            continue
        await drift_q.upsert_variable_drift(
            conn, workspace_id=workspace_id, variable_id=v.id, title=title, severity=sev, actor_id=actor_id
        )
    for s in settled:
        assert s.variable_id is not None
        closed = await drift_q.close_variable_drift(
            conn,
            workspace_id=workspace_id,
            variable_id=s.variable_id,
            status="reverted",
            approved_by=actor_id,
            reason=REASON_BASELINE,
        )
        if closed is not None:
            reverts.append((closed.id, closed.current_value, REASON_BASELINE))
    for c in clause_drifts:
        if c.clause_body == c.baseline_value:
            closed = await drift_q.close_clause_drift(
                conn,
                workspace_id=workspace_id,
                clause_id=c.clause_id,
                status="reverted",
                approved_by=actor_id,
                reason=REASON_CLAUSE_BASELINE,
            )
            if closed is not None:
                reverts.append((closed.id, closed.current_value, REASON_CLAUSE_BASELINE))

    state = await graph_q.lock_graph_state(conn, workspace_id=workspace_id)
    if state is not None:
        await graph_q.sync_all_nodes(conn, workspace_id=workspace_id)
        await graph_q.refresh_graph_state(conn, workspace_id=workspace_id)

    for drift_id, current_value, reason in reverts:
        await append_system_revert(
            conn,
            workspace_id=workspace_id,
            drift_id=drift_id,
            current_value=current_value,
            reason=reason,
            actor_id=actor_id,
            actor_name=actor_name,
        )
    count = await drift_q.count_unresolved_drifts(conn, workspace_id=workspace_id)
    return count or 0
