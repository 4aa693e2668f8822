"""Drafting: clauses — order, edits, locks, optimistic concurrency, search (domain.md §5, api.md §3.3).

Every write is one transaction following the lock order of domain.md §6: the workspace row (structural operations
only: create, delete, reorder) → the clause row (`FOR UPDATE`; the If-Match / expectedLastModifiedAt check and the
lock check are decided under it) → its drift rows → `graph_state` → graph nodes → the audit event (last).
The guard (`nexus.api.security`) has already decided membership and the route permission.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from psycopg import AsyncConnection

from nexus.db.queries import clauses as clauses_q
from nexus.db.queries import drift as drift_q
from nexus.db.queries import graph as graph_q
from nexus.db.queries import reconciliation as recon_q
from nexus.db.queries import workspaces as workspaces_q
from nexus.db.queries.enums import AuditEventType, ClauseType, ReasonCategory
from nexus.domain.errors import Conflict, Locked, NotFound, PermissionDenied, StaleWrite, ValidationFailed
from nexus.domain.permissions import Member
from nexus.services import audit_log, consistency
from nexus.services.context import Caller, Context
from nexus.services.workspaces import ARCHIVED_MESSAGE, iso_ms

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
SYSTEM_BASELINE_REASON: Final = "System: value returned to baseline"
MAX_DRIFT_TITLE: Final = 255
_NUMBERING = re.compile(r"^\s*\d+(\.\d+)*\.?\s+")

ClauseLike = clauses_q.ClauseRow | clauses_q.GetClauseForMemberRow


# -- optimistic concurrency (api.md §1.8, domain.md §5.4) -------------------------------------------------------
def etag(row_id: str, updated_at: datetime) -> str:
    """Quoted hex sha256 of id + updated_at in epoch microseconds."""
    micros = (updated_at - _EPOCH) // timedelta(microseconds=1)
    return '"' + hashlib.sha256(f"{row_id}{micros}".encode()).hexdigest() + '"'


def _bare_tag(value: str) -> str:
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip().strip('"')


@dataclass(frozen=True)
class Expect:
    """The caller's concurrency precondition: If-Match header and/or expectedLastModifiedAt (either may be None)."""

    if_match: str | None = None
    last_modified_at: datetime | None = None


def _ms(ts: datetime) -> datetime:
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


def check_fresh(expect: Expect, row_id: str, updated_at: datetime, last_modified_at: datetime) -> None:
    """409 STALE_WRITE unless the precondition holds for the row locked FOR UPDATE."""
    current = etag(row_id, updated_at)
    stale = expect.if_match is not None and _bare_tag(expect.if_match) not in ("*", _bare_tag(current))
    if expect.last_modified_at is not None and _ms(expect.last_modified_at) != _ms(last_modified_at):
        stale = True
    if stale:
        raise StaleWrite(
            "The resource was modified by someone else; reload and retry",
            {"currentEtag": current, "currentLastModifiedAt": iso_ms(last_modified_at)},
        )


# -- shared rules -----------------------------------------------------------------------------------------------
def lock_kind(is_locked: bool, locked_by: str | None) -> str | None:
    if not is_locked:
        return None
    return "user" if locked_by is not None else "governance"


def check_unlocked_for(caller: Caller, is_locked: bool, locked_by: str | None, locked_at: datetime | None) -> None:
    """409 LOCKED when the clause is locked by another user or by governance (the holder may edit)."""
    if not is_locked or (locked_by is not None and locked_by == caller.user_id):
        return
    raise Locked(
        "This section is locked" + (" by governance" if locked_by is None else " by another user"),
        {
            "lockedBy": locked_by,
            "lockedAt": None if locked_at is None else iso_ms(locked_at),
            "lockKind": lock_kind(is_locked, locked_by),
        },
    )


def check_not_archived(member: Member) -> None:
    if member.archived:
        raise Conflict(ARCHIVED_MESSAGE)


@dataclass(frozen=True)
class Reason:
    text: str | None = None
    category: ReasonCategory | None = None


def require_reason(member: Member, sensitive: bool, reason: Reason) -> None:
    """domain.md §2 requireReasonForSensitiveEdits: non-blank reason AND a category for sensitive clauses."""
    if not sensitive or not member.governance.get("requireReasonForSensitiveEdits", False):
        return
    details = []
    if not reason.text:
        details.append({"field": "reason", "message": "A reason is required for edits to sensitive clauses"})
    if reason.category is None:
        details.append({"field": "reasonCategory", "message": "A reason category is required for sensitive clauses"})
    if details:
        raise ValidationFailed(
            "A reason and reason category are required for edits to sensitive clauses", details=details
        )


async def audit(
    conn: AsyncConnection[Any],
    caller: Caller,
    workspace_id: str,
    event_type: AuditEventType,
    target_type: str,
    target_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    reason: Reason | None = None,
) -> None:
    await audit_log.record(
        conn,
        caller,
        workspace_id,
        event_type,
        target_type,
        target_id,
        before,
        after,
        reason.text if reason else None,
        reason.category if reason else None,
    )


async def system_revert_event(
    conn: AsyncConnection[Any], caller: Caller, drift: drift_q.DriftRow | None, reason: str
) -> None:
    """The system DRIFT_REVERT of a drift closed as a side effect (domain.md §11.1)."""
    if drift is None:
        return
    await audit(
        conn,
        caller,
        drift.workspace_id,
        "DRIFT_REVERT",
        "drift",
        drift.id,
        {"status": "unresolved", "currentValue": drift.current_value},
        {"status": "reverted", "currentValue": drift.current_value, "system": True},
        Reason(drift.approval_reason or reason, None),
    )


def clause_drift_title(title: str) -> str:
    """Clause-level drift title: "<title without numbering> Text Change", cut to 255 (domain.md §8.7)."""
    suffix = " Text Change"
    base = _NUMBERING.sub("", title).strip() or title.strip()
    room = MAX_DRIFT_TITLE - len(suffix)
    if len(base) > room:
        base = base[: room - 1] + "…"
    return base + suffix


# -- reads ------------------------------------------------------------------------------------------------------
async def load_for_member(ctx: Context, clause_id: str, user_id: str) -> clauses_q.GetClauseForMemberRow | None:
    """The `resource_member` loader of `/drafts/clauses/:id`."""
    async with ctx.pool.connection() as conn:
        return await clauses_q.get_clause_for_member(conn, clause_id=clause_id, user_id=user_id)


async def outline(ctx: Context, workspace_id: str) -> list[clauses_q.ListOutlineRow]:
    async with ctx.pool.connection() as conn:
        return await clauses_q.list_outline(conn, workspace_id=workspace_id)


async def list_clauses(ctx: Context, workspace_id: str) -> list[clauses_q.ClauseRow]:
    async with ctx.pool.connection() as conn:
        return await clauses_q.list_clauses(conn, workspace_id=workspace_id)


# -- create / reorder (structural: workspace row first) ---------------------------------------------------------
@dataclass(frozen=True)
class NewClause:
    title: str
    body: str
    type: ClauseType
    is_sensitive: bool
    order: int | None


async def _lock_workspace(conn: AsyncConnection[Any], workspace_id: str) -> None:
    ws = await workspaces_q.lock_workspace_for_update(conn, workspace_id=workspace_id)
    if ws is None:
        raise NotFound("Workspace not found")
    if ws.archived_at is not None:
        raise Conflict(ARCHIVED_MESSAGE)


async def create_clause(ctx: Context, caller: Caller, member: Member, new: NewClause) -> clauses_q.ClauseRow:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        count = await clauses_q.count_clauses(conn, workspace_id=workspace_id) or 0
        if new.order is not None and not 1 <= new.order <= count + 1:
            raise ValidationFailed(f"order must be between 1 and {count + 1}", field="order")
        check_not_archived(member)
        await _lock_workspace(conn, workspace_id)
        count = await clauses_q.count_clauses(conn, workspace_id=workspace_id) or 0
        if new.order is not None and not 1 <= new.order <= count + 1:
            raise ValidationFailed(f"order must be between 1 and {count + 1}", field="order")
        if new.order is None or new.order == count + 1:
            row = await clauses_q.append_clause(
                conn,
                workspace_id=workspace_id,
                title=new.title,
                body=new.body,
                type=new.type,
                is_sensitive=new.is_sensitive,
                last_modified_by=caller.user_id,
            )
        else:
            await clauses_q.shift_clauses_down(conn, workspace_id=workspace_id, from_order=new.order)
            row = await clauses_q.insert_clause(
                conn,
                workspace_id=workspace_id,
                clause_order=new.order,
                title=new.title,
                body=new.body,
                type=new.type,
                is_sensitive=new.is_sensitive,
                last_modified_by=caller.user_id,
            )
        assert row is not None
        await audit(
            conn,
            caller,
            workspace_id,
            "CLAUSE_EDIT",
            "clause",
            row.id,
            None,
            {
                "action": "create",
                "title": row.title,
                "type": row.type,
                "order": row.order,
                "isSensitive": row.is_sensitive,
            },
        )
        return row


async def reorder_clauses(
    ctx: Context, caller: Caller, member: Member, clause_ids: Sequence[str]
) -> list[clauses_q.ListOutlineRow]:
    workspace_id = member.workspace_id
    ids = list(clause_ids)
    async with ctx.transaction() as conn:
        current = await clauses_q.list_outline(conn, workspace_id=workspace_id)
        _check_permutation(ids, [c.id for c in current])
        check_not_archived(member)
        await _lock_workspace(conn, workspace_id)
        current = await clauses_q.list_outline(conn, workspace_id=workspace_id)
        old = [c.id for c in current]
        _check_permutation(ids, old)
        if ids != old:
            await clauses_q.reorder_clauses(conn, workspace_id=workspace_id, clause_ids=ids)
            await audit(
                conn,
                caller,
                workspace_id,
                "CLAUSE_EDIT",
                "workspace",
                workspace_id,
                {"order": old},
                {"action": "reorder", "order": ids},
            )
        return await clauses_q.list_outline(conn, workspace_id=workspace_id)


def _check_permutation(ids: list[str], current: list[str]) -> None:
    if len(ids) != len(current) or set(ids) != set(current) or len(set(ids)) != len(ids):
        raise ValidationFailed(
            "clauseIds must be an exact permutation of the workspace's clause ids", field="clauseIds"
        )


# -- PATCH ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClauseChanges:
    body: str | None = None
    title: str | None = None
    type: ClauseType | None = None
    is_sensitive: bool | None = None


async def _locked_clause(conn: AsyncConnection[Any], workspace_id: str, clause_id: str) -> clauses_q.ClauseRow:
    row = await clauses_q.lock_clause(conn, workspace_id=workspace_id, clause_id=clause_id)
    if row is None:
        raise NotFound("Clause not found")
    return row


async def update_clause(
    ctx: Context,
    caller: Caller,
    member: Member,
    clause_id: str,
    changes: ClauseChanges,
    reason: Reason,
    expect: Expect,
) -> clauses_q.ClauseRow:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        row = await _locked_clause(conn, workspace_id, clause_id)
        after_sensitive = row.is_sensitive if changes.is_sensitive is None else changes.is_sensitive
        require_reason(member, row.is_sensitive or after_sensitive, reason)
        check_not_archived(member)
        check_fresh(expect, row.id, row.updated_at, row.last_modified_at)
        check_unlocked_for(caller, row.is_locked, row.locked_by, row.locked_at)

        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for key, old, new in (
            ("body", row.body, changes.body),
            ("title", row.title, changes.title),
            ("type", row.type, changes.type),
            ("isSensitive", row.is_sensitive, changes.is_sensitive),
        ):
            if new is not None and new != old:
                before[key] = old
                after[key] = new
        if not after:
            return row
        updated = await clauses_q.update_clause(
            conn,
            workspace_id=workspace_id,
            clause_id=clause_id,
            title=after.get("title", row.title),
            body=after.get("body", row.body),
            type=after.get("type", row.type),
            is_sensitive=after.get("isSensitive", row.is_sensitive),
            last_modified_by=caller.user_id,
            expected_updated_at=None,
            expected_last_modified_at=None,
        )
        assert updated is not None
        closed: drift_q.DriftRow | None = None
        drift_changed = False
        if "body" in after:
            drift = await drift_q.update_open_clause_drift(
                conn, workspace_id=workspace_id, clause_id=clause_id, title=clause_drift_title(updated.title)
            )
            if drift is not None:
                drift_changed = True
                if drift.current_value == drift.baseline_value:
                    closed = await drift_q.close_clause_drift(
                        conn,
                        workspace_id=workspace_id,
                        clause_id=clause_id,
                        status="reverted",
                        approved_by=caller.user_id,
                        reason=SYSTEM_BASELINE_REASON,
                    )
        if drift_changed or "isSensitive" in after:
            await consistency.refresh_after(conn, workspace_id=workspace_id, clause_ids=(clause_id,))
        await audit(conn, caller, workspace_id, "CLAUSE_EDIT", "clause", clause_id, before, after, reason)
        await system_revert_event(conn, caller, closed, SYSTEM_BASELINE_REASON)
        return updated


# -- DELETE -----------------------------------------------------------------------------------------------------
async def delete_clause(
    ctx: Context, caller: Caller, member: Member, clause_id: str, reason: Reason, expect: Expect
) -> None:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        # A cheap pre-read decides the 400 (reason) before the structural lock is taken.
        peek = await clauses_q.get_clause(conn, workspace_id=workspace_id, clause_id=clause_id)
        if peek is None:
            raise NotFound("Clause not found")
        require_reason(member, peek.is_sensitive, reason)
        check_not_archived(member)
        await _lock_workspace(conn, workspace_id)
        row = await _locked_clause(conn, workspace_id, clause_id)
        require_reason(member, row.is_sensitive, reason)
        check_fresh(expect, row.id, row.updated_at, row.last_modified_at)
        check_unlocked_for(caller, row.is_locked, row.locked_by, row.locked_at)

        await recon_q.release_clause_items(conn, workspace_id=workspace_id, clause_id=clause_id)
        await drift_q.delete_clause_drifts(conn, workspace_id=workspace_id, clause_id=clause_id)
        await graph_q.lock_graph_state(conn, workspace_id=workspace_id)
        await graph_q.delete_clause_nodes(conn, workspace_id=workspace_id, clause_id=clause_id)
        gone = await clauses_q.delete_clause(
            conn,
            workspace_id=workspace_id,
            clause_id=clause_id,
            expected_updated_at=None,
            expected_last_modified_at=None,
        )
        if gone is None:
            raise NotFound("Clause not found")
        await consistency.refresh_after(conn, workspace_id=workspace_id, clause_ids=(clause_id,))
        await audit(
            conn,
            caller,
            workspace_id,
            "CLAUSE_EDIT",
            "clause",
            clause_id,
            {
                "title": row.title,
                "type": row.type,
                "order": row.order,
                "isSensitive": row.is_sensitive,
                "body": row.body,
            },
            {"action": "delete"},
            reason,
        )


# -- locks ------------------------------------------------------------------------------------------------------
async def lock_clause(
    ctx: Context, caller: Caller, member: Member, clause_id: str, expect: Expect
) -> clauses_q.ClauseRow:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        row = await _locked_clause(conn, workspace_id, clause_id)
        check_not_archived(member)
        check_fresh(expect, row.id, row.updated_at, row.last_modified_at)
        if row.is_locked:
            check_unlocked_for(caller, row.is_locked, row.locked_by, row.locked_at)
            return row  # already locked by the caller: 200, no event
        locked = await clauses_q.acquire_section_lock(
            conn,
            workspace_id=workspace_id,
            clause_id=clause_id,
            locked_by=caller.user_id,
            expected_updated_at=None,
            expected_last_modified_at=None,
        )
        assert locked is not None
        await audit(
            conn,
            caller,
            workspace_id,
            "SECTION_LOCKED",
            "clause",
            clause_id,
            {"isLocked": False},
            {"isLocked": True, "lockedBy": caller.user_id, "lockKind": "user"},
        )
        return locked


async def unlock_clause(
    ctx: Context, caller: Caller, member: Member, clause_id: str, expect: Expect
) -> clauses_q.ClauseRow:
    workspace_id = member.workspace_id
    async with ctx.transaction() as conn:
        row = await _locked_clause(conn, workspace_id, clause_id)
        admin = member.can("workspace:admin")
        if not row.is_locked:
            if not (admin or member.can("draft:lockSection")):
                raise PermissionDenied("You do not have permission to unlock this section")
        elif row.locked_by is None:
            if not admin:
                raise PermissionDenied("Only a workspace admin can remove a governance lock")
        elif row.locked_by != caller.user_id and not admin:
            raise PermissionDenied("Only the lock holder or a workspace admin can unlock this section")
        check_not_archived(member)
        check_fresh(expect, row.id, row.updated_at, row.last_modified_at)
        if not row.is_locked:
            return row  # 200, no event
        released = await clauses_q.release_section_lock(
            conn,
            workspace_id=workspace_id,
            clause_id=clause_id,
            expected_updated_at=None,
            expected_last_modified_at=None,
        )
        assert released is not None
        await audit(
            conn,
            caller,
            workspace_id,
            "SECTION_UNLOCKED",
            "clause",
            clause_id,
            {"isLocked": True, "lockedBy": row.locked_by, "lockKind": lock_kind(row.is_locked, row.locked_by)},
            {"isLocked": False},
        )
        return released


# -- search (domain.md §5.6) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchHit:
    clause_id: str
    workspace_id: str
    title: str
    type: ClauseType
    order: int
    rank: float
    snippet: str


def render_snippet(raw: str) -> str:
    """HTML-escape the headline, then turn the U+0002/U+0003 sentinels into <mark>…</mark>."""
    return html.escape(raw, quote=True).replace("\u0002", "<mark>").replace("\u0003", "</mark>")


async def search(ctx: Context, workspace_id: str, query: str, limit: int) -> list[SearchHit]:
    if not query.strip():
        return []
    async with ctx.reader.connection() as conn:  # the replica when DATABASE_READ_URL is set
        rows = await clauses_q.search_clauses(conn, workspace_id=workspace_id, search_query=query, result_limit=limit)
    return [
        SearchHit(r.clause_id, r.workspace_id, r.title, r.type, r.order, float(r.rank), render_snippet(r.snippet))
        for r in rows
    ]
