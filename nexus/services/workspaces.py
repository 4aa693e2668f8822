"""Workspaces, members, invitations and governance (domain.md §4, §2)."""

from __future__ import annotations

from collections.abc import Mapping

from nexus.db.queries import members as members_q
from nexus.domain.permissions import DEFAULT_GOVERNANCE, Member
from nexus.services.context import Context


def governance_of(raw: object) -> dict[str, bool]:
    """The six rules from the stored JSONB (always complete; defaults fill anything missing)."""
    rules = dict(DEFAULT_GOVERNANCE)
    if isinstance(raw, Mapping):
        rules.update({k: bool(v) for k, v in raw.items() if k in rules and isinstance(v, bool)})
    return rules


async def membership(ctx: Context, workspace_id: str, user_id: str) -> Member | None:
    """The caller's membership in `workspace_id` (any status), or None; the guard decides what it allows."""
    if not workspace_id or len(workspace_id) > 64:
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
