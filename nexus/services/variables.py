"""Drafting: variables — list, bind, edit, delete (domain.md §5.5, §6; api.md §3.3).

Lock order (domain.md §6): the variable's clause row (`FOR NO KEY UPDATE`, its lock state decides 409 LOCKED) → the
variable row (`FOR UPDATE`; If-Match / expectedLastModifiedAt decided under it) → drift rows → `graph_state` →
graph nodes (both inside `consistency`) → the caller's audit event → any system `DRIFT_REVERT`.
Variable writes never require a reason, even on sensitive clauses (domain.md §2); a given one is stored on the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection

from nexus.db.queries import drift as drift_q
from nexus.db.queries import graph as graph_q
from nexus.db.queries import variables as variables_q
from nexus.db.queries.enums import VariableType
from nexus.domain.errors import NotFound
from nexus.domain.permissions import Member
from nexus.services import consistency
from nexus.services.clauses import (
    Expect,
    Reason,
    audit,
    check_fresh,
    check_not_archived,
    check_unlocked_for,
    system_revert_event,
)
from nexus.services.context import Caller, Context
from nexus.services.workspaces import iso_ms

DELETED_REASON: Final = "System: variable deleted"
DEFAULT_DELETE_REASON: Final = "Variable deleted"

_UNSET: Final = object()


async def load_for_member(ctx: Context, variable_id: str, user_id: str) -> variables_q.GetVariableForMemberRow | None:
    """The `resource_member` loader of `/drafts/variables/:id`."""
    async with ctx.pool.connection() as conn:
        return await variables_q.get_variable_for_member(conn, variable_id=variable_id, user_id=user_id)


async def list_variables(ctx: Context, workspace_id: str) -> list[variables_q.VariableRow]:
    async with ctx.pool.connection() as conn:
        return await variables_q.list_variables(conn, workspace_id=workspace_id)


async def list_clause_variables(ctx: Context, workspace_id: str, clause_id: str) -> list[variables_q.VariableRow]:
    async with ctx.pool.connection() as conn:
        return await variables_q.list_clause_variables(conn, workspace_id=workspace_id, clause_id=clause_id)


async def _clause_unlocked(
    conn: AsyncConnection[Any], caller: Caller, member: Member, clause_id: str
) -> variables_q.LockVariableClauseRow:
    clause = await variables_q.lock_variable_clause(conn, workspace_id=member.workspace_id, clause_id=clause_id)
    if clause is None:
        raise NotFound("Clause not found")
    return clause


async def _after_change(
    conn: AsyncConnection[Any],
    caller: Caller,
    workspace_id: str,
    variable_id: str,
) -> consistency.Outcome:
    return await consistency.on_variable_change(
        conn,
        workspace_id=workspace_id,
        variable_id=variable_id,
        actor_id=caller.user_id,
        actor_name=caller.name,
        emit_system_events=False,
    )


async def _system_events(
    conn: AsyncConnection[Any], caller: Caller, workspace_id: str, outcome: consistency.Outcome
) -> None:
    if outcome.closed_drift_id is None:
        return
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


# -- bind -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewVariable:
    clause_id: str
    label: str
    type: VariableType
    value: str
    unit: str | None
    baseline_value: str | None


async def bind_variable(ctx: Context, caller: Caller, member: Member, new: NewVariable) -> variables_q.VariableRow:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        clause = await _clause_unlocked(conn, caller, member, new.clause_id)
        check_not_archived(member)
        check_unlocked_for(caller, clause.is_locked, clause.locked_by, clause.locked_at)
        row = await variables_q.insert_variable(
            conn,
            workspace_id=workspace_id,
            clause_id=new.clause_id,
            label=new.label,
            type=new.type,
            value=new.value,
            unit=new.unit,
            baseline_value=new.baseline_value,
            modified_by=caller.user_id,
        )
        assert row is not None
        outcome = await _after_change(conn, caller, workspace_id, row.id)
        await audit(
            conn,
            caller,
            workspace_id,
            "VARIABLE_BIND",
            "variable",
            row.id,
            None,
            {
                "label": row.label,
                "type": row.type,
                "value": row.value,
                "unit": row.unit,
                "baselineValue": row.baseline_value,
                "clauseId": row.clause_id,
            },
        )
        await _system_events(conn, caller, workspace_id, outcome)
        return row


# -- PATCH ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VariableChanges:
    """Fields to change; `unit` is `_UNSET` when absent (None clears it)."""

    label: str | None = None
    type: VariableType | None = None
    value: str | None = None
    unit: object = _UNSET

    @classmethod
    def unset(cls) -> object:
        return _UNSET


async def _locked_variable(
    conn: AsyncConnection[Any], caller: Caller, member: Member, variable_id: str, clause_id: str
) -> tuple[variables_q.LockVariableClauseRow, variables_q.VariableRow]:
    clause = await _clause_unlocked(conn, caller, member, clause_id)
    var = await variables_q.lock_variable(conn, workspace_id=member.workspace_id, variable_id=variable_id)
    if var is None:
        raise NotFound("Variable not found")
    return clause, var


async def update_variable(
    ctx: Context,
    caller: Caller,
    member: Member,
    variable_id: str,
    clause_id: str,
    changes: VariableChanges,
    reason: Reason,
    expect: Expect,
) -> variables_q.VariableRow:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        clause, var = await _locked_variable(conn, caller, member, variable_id, clause_id)
        check_not_archived(member)
        check_fresh(expect, var.id, var.updated_at, var.last_modified_at)
        check_unlocked_for(caller, clause.is_locked, clause.locked_by, clause.locked_at)

        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        new_unit: str | None = var.unit if changes.unit is _UNSET else _as_unit(changes.unit)
        for key, old, new, given in (
            ("label", var.label, changes.label, changes.label is not None),
            ("type", var.type, changes.type, changes.type is not None),
            ("value", var.value, changes.value, changes.value is not None),
            ("unit", var.unit, new_unit, changes.unit is not _UNSET),
        ):
            if given and new != old:
                before[key] = old
                after[key] = new
        if not after:
            return var
        updated = await variables_q.update_variable(
            conn,
            workspace_id=workspace_id,
            variable_id=variable_id,
            label=after.get("label", var.label),
            type=after.get("type", var.type),
            value=after.get("value", var.value),
            unit=new_unit,
            modified_by=caller.user_id,
        )
        assert updated is not None
        outcome = await _after_change(conn, caller, workspace_id, variable_id)
        await audit(conn, caller, workspace_id, "VARIABLE_EDIT", "variable", variable_id, before, after, reason)
        await _system_events(conn, caller, workspace_id, outcome)
        return updated


def _as_unit(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# -- DELETE -----------------------------------------------------------------------------------------------------
async def delete_variable(
    ctx: Context,
    caller: Caller,
    member: Member,
    variable_id: str,
    clause_id: str,
    reason: Reason,
    expect: Expect,
) -> None:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        clause, var = await _locked_variable(conn, caller, member, variable_id, clause_id)
        check_not_archived(member)
        check_fresh(expect, var.id, var.updated_at, var.last_modified_at)
        check_unlocked_for(caller, clause.is_locked, clause.locked_by, clause.locked_at)

        closed = await drift_q.close_variable_drift(
            conn,
            workspace_id=workspace_id,
            variable_id=variable_id,
            status="reverted",
            approved_by=caller.user_id,
            reason=DELETED_REASON,
        )
        await graph_q.lock_graph_state(conn, workspace_id=workspace_id)
        await graph_q.delete_variable_node(conn, workspace_id=workspace_id, variable_id=variable_id)
        await variables_q.delete_variable(conn, workspace_id=workspace_id, variable_id=variable_id)
        await consistency.refresh_after(conn, workspace_id=workspace_id, clause_ids=(clause_id,))
        await audit(
            conn,
            caller,
            workspace_id,
            "VARIABLE_EDIT",
            "variable",
            variable_id,
            {
                "clauseId": var.clause_id,
                "label": var.label,
                "type": var.type,
                "value": var.value,
                "unit": var.unit,
                "baselineValue": var.baseline_value,
                "baselineApprovedAt": None if var.baseline_approved_at is None else iso_ms(var.baseline_approved_at),
            },
            {"action": "delete"},
            Reason(reason.text or DEFAULT_DELETE_REASON, reason.category),
        )
        await system_revert_event(conn, caller, closed, DELETED_REASON)
