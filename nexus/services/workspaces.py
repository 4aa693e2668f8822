"""Workspaces, members, invitations and governance (domain.md §2, §4; api.md §3.2).

Every write runs in one transaction that locks what decides it (the workspace row, then the workspace's member
rows), applies the rule, writes, and appends its audit event last. The guard (`nexus.api.security`) has already
decided membership and permission; these functions decide state (archived, removed, last admin, already member).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from psycopg import AsyncConnection

from nexus.db.queries import clauses as clauses_q
from nexus.db.queries import connectors as connectors_q
from nexus.db.queries import golden_records as golden_q
from nexus.db.queries import graph as graph_q
from nexus.db.queries import members as members_q
from nexus.db.queries import workspaces as workspaces_q
from nexus.db.queries.enums import AuditEventType, ClauseType, MemberRole, MemberStatus
from nexus.domain.errors import AlreadyMember, Conflict, NotFound, ValidationFailed
from nexus.domain.permissions import DEFAULT_GOVERNANCE, GOVERNANCE_KEYS, Member, effective_permissions
from nexus.services import audit_log
from nexus.services import graph as graph_service
from nexus.services.context import Caller, Context

MAX_ID_LENGTH: Final = 64
AMOUNT_LIMIT: Final = Decimal(10) ** 18
CENT: Final = Decimal("0.01")
ARCHIVED_MESSAGE: Final = "Workspace is archived"
LAST_ADMIN_MESSAGE: Final = "The workspace must keep at least one active member with workspace:admin"
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


# -- pure rules -------------------------------------------------------------------------------------------------
def governance_of(raw: object) -> dict[str, bool]:
    """The six rules from the stored JSONB (always complete; defaults fill anything missing)."""
    rules = dict(DEFAULT_GOVERNANCE)
    if isinstance(raw, Mapping):
        rules.update({k: bool(v) for k, v in raw.items() if k in rules and isinstance(v, bool)})
    return rules


def parse_amount(value: object) -> Decimal:
    """An exact amount > 0, < 10^18, with at most 2 decimals: an int or Decimal from an exact JSON decode (or a
    decimal string, for multipart); a binary float is refused."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValidationFailed("amount must be a number", field="amount")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationFailed("amount must be a number", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount >= AMOUNT_LIMIT:
        raise ValidationFailed("amount must be greater than 0 and less than 10^18", field="amount")
    if amount != amount.quantize(CENT):
        raise ValidationFailed("amount must have at most 2 decimal places", field="amount")
    return amount.quantize(CENT)


def parse_currency(value: str) -> str:
    """Three ASCII letters, upper-cased."""
    value = value.strip()
    if not _CURRENCY.match(value):
        raise ValidationFailed("currency must be 3 letters (ISO 4217)", field="currency")
    return value.upper()


def amount_text(amount: Decimal) -> str:
    """Money in audit states: a string with the stored scale (`"500000000.00"`, domain.md §11.2)."""
    return str(amount.quantize(CENT))


def iso_ms(ts: datetime) -> str:
    """Timestamps in audit states: ISO-8601 UTC with milliseconds and `Z`, as the API renders them."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def holds_admin(role: MemberRole, is_admin: bool, is_external: bool, governance: Mapping[str, bool]) -> bool:
    return "workspace:admin" in effective_permissions(role, is_admin, is_external, governance)


# Clause import (domain.md §4.1): a heading line starts a clause; the type comes from the title.
_HEADING = re.compile(r"^\s*(\d+)\.\s+(\S.{0,118})$")
_TYPE_WORDS: Final[tuple[tuple[ClauseType, tuple[str, ...]], ...]] = (
    ("definition", ("definition", "interpretation")),
    ("covenant", ("covenant",)),
    (
        "financial",
        ("facility", "interest", "margin", "fee", "repayment", "prepayment", "commitment", "payment"),
    ),
    ("xref", ("security", "guarantee", "schedule")),
)
_SENSITIVE_TYPES: Final[frozenset[ClauseType]] = frozenset({"definition", "financial", "covenant"})
MAX_TITLE = 255


@dataclass(frozen=True)
class ImportedClause:
    title: str
    body: str
    type: ClauseType
    is_sensitive: bool


def clause_type_of(title: str) -> ClauseType:
    lowered = title.lower()
    for clause_type, words in _TYPE_WORDS:
        if any(word in lowered for word in words):
            return clause_type
    return "general"


def split_clauses(text: str) -> list[ImportedClause]:
    """Clauses of a plain-text agreement: each heading line `N. Title` starts one; text before the first is
    ignored; body = the following lines, trimmed ("(no text)" when empty)."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if _HEADING.match(line):
            found.append((line.strip()[:MAX_TITLE], []))
        elif found:
            found[-1][1].append(line)
    clauses = []
    for title, lines in found:
        clause_type = clause_type_of(title)
        body = "\n".join(lines).strip() or "(no text)"
        clauses.append(ImportedClause(title, body, clause_type, clause_type in _SENSITIVE_TYPES))
    return clauses


# -- inputs -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewWorkspace:
    name: str
    currency: str
    amount: Decimal
    standard: str
    base_pdf_name: str | None
    clauses_text: str | None


WORKSPACE_FIELDS: Final = ("name", "currency", "amount", "standard", "basePdfName")
MEMBER_FIELDS: Final = ("role", "isAdmin", "isExternal")


# -- helpers ----------------------------------------------------------------------------------------------------
async def _audit(
    conn: AsyncConnection[Any],
    caller: Caller,
    workspace_id: str,
    event_type: AuditEventType,
    target_type: str,
    target_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    await audit_log.record(conn, caller, workspace_id, event_type, target_type, target_id, before, after)


async def _workspace(conn: AsyncConnection[Any], workspace_id: str) -> workspaces_q.WorkspaceRow:
    row = await workspaces_q.get_workspace(conn, workspace_id=workspace_id)
    if row is None:
        raise NotFound("Workspace not found")
    return row


async def _member(conn: AsyncConnection[Any], workspace_id: str, member_id: str) -> members_q.MemberRow:
    row = await members_q.get_member(conn, workspace_id=workspace_id, member_id=member_id)
    if row is None:
        raise NotFound("Member not found")
    return row


def _keeps_admin(
    rows: Sequence[members_q.LockMembersRow],
    governance: Mapping[str, bool],
    changed_id: str,
    role: MemberRole,
    is_admin: bool,
    is_external: bool,
    status: MemberStatus,
) -> bool:
    """Whether ≥1 ACTIVE member holds workspace:admin once member `changed_id` has the given values."""
    for row in rows:
        if row.id == changed_id:
            values = (role, is_admin, is_external, status)
        else:
            values = (row.role, row.is_admin, row.is_external, row.status)
        if values[3] == "active" and holds_admin(values[0], values[1], values[2], governance):
            return True
    return False


async def _lock_member(
    conn: AsyncConnection[Any], workspace_id: str, member_id: str
) -> tuple[dict[str, bool], list[members_q.LockMembersRow], members_q.LockMembersRow]:
    """Lock order: the workspace row (shared), then all its member rows. Unknown member → 404, then archived →
    409 (api.md §1.3 precedence). Returns the governance rules, every member row and the target row."""
    ws = await workspaces_q.lock_workspace_shared(conn, workspace_id=workspace_id)
    if ws is None:
        raise NotFound("Workspace not found")
    rows = await members_q.lock_members(conn, workspace_id=workspace_id)
    target = next((r for r in rows if r.id == member_id), None)
    if target is None:
        raise NotFound("Member not found")
    if ws.archived_at is not None:
        raise Conflict(ARCHIVED_MESSAGE)
    return governance_of(ws.governance_rules), rows, target


# -- membership gate --------------------------------------------------------------------------------------------
async def membership(ctx: Context, workspace_id: str, user_id: str) -> Member | None:
    """The caller's membership in `workspace_id` (any status), or None; the guard decides what it allows."""
    if not workspace_id or len(workspace_id) > MAX_ID_LENGTH:
        return None
    async with ctx.pool.connection() as conn:
        row = await members_q.get_membership(conn, workspace_id=workspace_id, user_id=user_id)
    if row is None:
        return None
    return Member(
        workspace_id=row.workspace_id,
        member_id=row.id,
        user_id=row.user_id,
        role=row.role,
        is_admin=row.is_admin,
        is_external=row.is_external,
        status=row.status,
        governance=governance_of(row.governance_rules),
        archived=row.archived_at is not None,
    )


# -- workspaces -------------------------------------------------------------------------------------------------
async def list_workspaces(ctx: Context, caller: Caller, include_archived: bool) -> list[workspaces_q.WorkspaceRow]:
    async with ctx.pool.connection() as conn:
        return await workspaces_q.list_workspaces_for_user(
            conn, user_id=caller.user_id, include_archived=include_archived
        )


async def create_workspace(
    ctx: Context, caller: Caller, new: NewWorkspace
) -> tuple[workspaces_q.WorkspaceRow, members_q.MemberRow]:
    """One transaction: workspace → creator membership → connectors → golden record → graph state → imported
    clauses → WORKSPACE_CREATE. Any failure creates nothing."""
    clauses = split_clauses(new.clauses_text) if new.clauses_text else []
    async with ctx.transaction() as conn:
        workspace_id = await workspaces_q.insert_workspace(
            conn,
            name=new.name,
            currency=new.currency,
            amount=new.amount,
            standard=new.standard,
            base_pdf_name=new.base_pdf_name,
            created_by_id=caller.user_id,
            governance_rules=dict(DEFAULT_GOVERNANCE),
        )
        assert workspace_id is not None
        member_id = await members_q.insert_owner(conn, workspace_id=workspace_id, user_id=caller.user_id)
        assert member_id is not None
        await connectors_q.insert_default_connectors(conn, workspace_id=workspace_id)
        await golden_q.insert_golden_record(conn, workspace_id=workspace_id)
        await graph_q.insert_graph_state(conn, workspace_id=workspace_id)
        if clauses:
            await clauses_q.insert_imported_clauses(
                conn,
                workspace_id=workspace_id,
                titles=[c.title for c in clauses],
                bodies=[c.body for c in clauses],
                types=[c.type for c in clauses],
                sensitive=[c.is_sensitive for c in clauses],
                last_modified_by=caller.user_id,
            )
        created = await _workspace(conn, workspace_id)
        await graph_service.build(conn, workspace_id=workspace_id, now=created.created_at)  # no GRAPH_SYNC (§4.1)
        workspace = await _workspace(conn, workspace_id)
        member = await _member(conn, workspace_id, member_id)
        await _audit(
            conn,
            caller,
            workspace_id,
            "WORKSPACE_CREATE",
            "workspace",
            workspace_id,
            None,
            {
                "name": workspace.name,
                "currency": workspace.currency,
                "amount": amount_text(workspace.amount),
                "standard": workspace.standard,
                "basePdfName": workspace.base_pdf_name,
                "clauseCount": len(clauses),
            },
        )
    return workspace, member


async def get_workspace(ctx: Context, workspace_id: str) -> workspaces_q.GetWorkspaceDetailRow:
    async with ctx.pool.connection() as conn:
        row = await workspaces_q.get_workspace_detail(conn, workspace_id=workspace_id)
    if row is None:
        raise NotFound("Workspace not found")
    return row


def _audit_value(field: str, value: Any) -> Any:
    return amount_text(value) if field == "amount" else value


async def update_workspace(
    ctx: Context, caller: Caller, workspace_id: str, changes: Mapping[str, Any]
) -> workspaces_q.WorkspaceRow:
    """PATCH: `changes` holds validated values keyed by API field name (basePdfName may be None). Only fields
    whose value differs are written and audited; no difference → no write, no event."""
    async with ctx.transaction() as conn:
        current = await workspaces_q.lock_workspace_for_update(conn, workspace_id=workspace_id)
        if current is None:
            raise NotFound("Workspace not found")
        if current.archived_at is not None:
            raise Conflict(ARCHIVED_MESSAGE)
        old: dict[str, Any] = {
            "name": current.name,
            "currency": current.currency,
            "amount": current.amount,
            "standard": current.standard,
            "basePdfName": current.base_pdf_name,
        }
        new = {**old, **{k: v for k, v in changes.items() if k in old}}
        changed = [k for k in WORKSPACE_FIELDS if new[k] != old[k]]
        if not changed:
            return await _workspace(conn, workspace_id)
        await workspaces_q.update_workspace(
            conn,
            workspace_id=workspace_id,
            name=new["name"],
            currency=new["currency"],
            amount=new["amount"],
            standard=new["standard"],
            base_pdf_name=new["basePdfName"],
        )
        result = await _workspace(conn, workspace_id)
        await _audit(
            conn,
            caller,
            workspace_id,
            "GOVERNANCE_UPDATED",
            "workspace",
            workspace_id,
            {k: _audit_value(k, old[k]) for k in changed},
            {**{k: _audit_value(k, new[k]) for k in changed}, "action": "workspace_update"},
        )
        return result


async def archive_workspace(ctx: Context, caller: Caller, workspace_id: str) -> None:
    """DELETE = archive, idempotent: only the call that sets archived_at records an event."""
    async with ctx.transaction() as conn:
        archived_at = await workspaces_q.archive_workspace(conn, workspace_id=workspace_id)
        if archived_at is None:
            return
        await _audit(
            conn,
            caller,
            workspace_id,
            "GOVERNANCE_UPDATED",
            "workspace",
            workspace_id,
            {"archivedAt": None},
            {"archivedAt": iso_ms(archived_at), "action": "archive"},
        )


async def update_governance(
    ctx: Context, caller: Caller, workspace_id: str, patch: Mapping[str, bool]
) -> workspaces_q.WorkspaceRow:
    """Merge the given rules; a change records GOVERNANCE_UPDATED with the full rule objects before and after."""
    async with ctx.transaction() as conn:
        current = await workspaces_q.lock_workspace_for_update(conn, workspace_id=workspace_id)
        if current is None:
            raise NotFound("Workspace not found")
        if current.archived_at is not None:
            raise Conflict(ARCHIVED_MESSAGE)
        before = governance_of(current.governance_rules)
        after = {key: patch.get(key, before[key]) for key in GOVERNANCE_KEYS}
        if after != before:
            await workspaces_q.set_governance(conn, workspace_id=workspace_id, governance_rules=after)
            await _audit(conn, caller, workspace_id, "GOVERNANCE_UPDATED", "workspace", workspace_id, before, after)
        return await _workspace(conn, workspace_id)


# -- members ----------------------------------------------------------------------------------------------------
async def list_members(ctx: Context, workspace_id: str, status: MemberStatus | None) -> list[members_q.MemberRow]:
    async with ctx.pool.connection() as conn:
        return await members_q.list_members(conn, workspace_id=workspace_id, status=status)


async def invite_member(
    ctx: Context, caller: Caller, workspace_id: str, email: str, role: MemberRole, is_external: bool
) -> members_q.MemberRow:
    """A new pending membership, or a removed one back to pending (same row); active/pending → ALREADY_MEMBER."""
    async with ctx.transaction() as conn:
        user = await members_q.find_invitee(conn, email=email)
        if user is None:
            raise ValidationFailed("No user is registered with this email", field="email")
        ws = await workspaces_q.lock_workspace_shared(conn, workspace_id=workspace_id)
        if ws is None:
            raise NotFound("Workspace not found")
        if ws.archived_at is not None:
            raise Conflict(ARCHIVED_MESSAGE)
        invited = await members_q.invite_member(
            conn, workspace_id=workspace_id, user_id=user.id, role=role, is_external=is_external
        )
        if invited is None:
            raise AlreadyMember("This user is already a member of the workspace or has a pending invitation")
        member = await _member(conn, workspace_id, invited.id)
        await _audit(
            conn,
            caller,
            workspace_id,
            "INVITE_SENT",
            "member",
            invited.id,
            {"status": "removed"} if invited.previous_status == "removed" else None,
            {"userId": user.id, "email": user.email, "role": role, "isExternal": is_external, "status": "pending"},
        )
        return member


async def update_member(
    ctx: Context, caller: Caller, workspace_id: str, member_id: str, changes: Mapping[str, Any]
) -> members_q.MemberRow:
    """Change role / isAdmin / isExternal of an active or pending member, keeping ≥1 active admin."""
    if len(member_id) > MAX_ID_LENGTH:
        raise NotFound("Member not found")
    async with ctx.transaction() as conn:
        governance, rows, target = await _lock_member(conn, workspace_id, member_id)
        if target.status == "removed":
            raise Conflict("Member has been removed")
        old: dict[str, Any] = {"role": target.role, "isAdmin": target.is_admin, "isExternal": target.is_external}
        new = {**old, **{k: v for k, v in changes.items() if k in old}}
        changed = [k for k in MEMBER_FIELDS if new[k] != old[k]]
        if not changed:
            return await _member(conn, workspace_id, member_id)
        if not _keeps_admin(rows, governance, target.id, new["role"], new["isAdmin"], new["isExternal"], target.status):
            raise Conflict(LAST_ADMIN_MESSAGE)
        await members_q.update_member(
            conn,
            workspace_id=workspace_id,
            member_id=member_id,
            role=new["role"],
            is_admin=new["isAdmin"],
            is_external=new["isExternal"],
        )
        member = await _member(conn, workspace_id, member_id)
        await _audit(
            conn,
            caller,
            workspace_id,
            "ROLE_CHANGED",
            "member",
            member_id,
            {k: old[k] for k in changed},
            {k: new[k] for k in changed},
        )
        return member


async def remove_member(ctx: Context, caller: Caller, workspace_id: str, member_id: str) -> None:
    """Status removed and admin flag dropped; already removed → nothing; the last admin cannot be removed."""
    if len(member_id) > MAX_ID_LENGTH:
        raise NotFound("Member not found")
    async with ctx.transaction() as conn:
        governance, rows, target = await _lock_member(conn, workspace_id, member_id)
        if target.status == "removed":
            return
        if not _keeps_admin(rows, governance, target.id, target.role, False, target.is_external, "removed"):
            raise Conflict(LAST_ADMIN_MESSAGE)
        await members_q.remove_member(conn, workspace_id=workspace_id, member_id=member_id)
        await _audit(
            conn,
            caller,
            workspace_id,
            "MEMBER_REMOVED",
            "member",
            member_id,
            {"role": target.role, "isAdmin": target.is_admin, "status": target.status},
            {"status": "removed"},
        )


async def accept_invitation(ctx: Context, caller: Caller, workspace_id: str) -> members_q.MemberRow:
    """The caller's pending membership becomes active. No pending invitation → 404; already active → 409."""
    if not workspace_id or len(workspace_id) > MAX_ID_LENGTH:
        raise NotFound("Invitation not found")
    async with ctx.transaction() as conn:
        accepted = await members_q.accept_invitation(conn, workspace_id=workspace_id, user_id=caller.user_id)
        if accepted is None:
            current = await members_q.get_membership(conn, workspace_id=workspace_id, user_id=caller.user_id)
            if current is None or current.status == "removed":
                raise NotFound("Invitation not found")
            if current.status == "active":
                raise AlreadyMember("You are already a member of this workspace")
            raise Conflict(ARCHIVED_MESSAGE)
        member = await _member(conn, workspace_id, accepted.id)
        await _audit(
            conn,
            caller,
            workspace_id,
            "ROLE_CHANGED",
            "member",
            accepted.id,
            {"status": "pending"},
            {"status": "active", "role": accepted.role, "action": "accept_invitation"},
        )
        return member


async def list_invitations(ctx: Context, caller: Caller) -> list[members_q.ListInvitationsRow]:
    async with ctx.pool.connection() as conn:
        return await members_q.list_invitations(conn, user_id=caller.user_id)
