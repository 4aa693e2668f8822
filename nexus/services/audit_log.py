"""Appending the audit event of a change, in the change's own transaction (domain.md §11.1-§11.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg import AsyncConnection

from nexus.db.queries import audit as audit_q
from nexus.db.queries.enums import AuditEventType, ReasonCategory
from nexus.services.context import Caller


async def record(
    conn: AsyncConnection[Any],
    caller: Caller,
    workspace_id: str | None,
    event_type: AuditEventType,
    target_type: str,
    target_id: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    category: ReasonCategory | None = None,
) -> None:
    """Append one event as the caller (actor name = the caller's name now); the chain trigger does the rest."""
    await audit_q.append_event(
        conn,
        workspace_id=workspace_id,
        actor_id=caller.user_id,
        actor_name=caller.name,
        event_type=event_type,
        target_type=target_type,
        target_id=target_id,
        before_state=dict(before) if before is not None else None,
        after_state=dict(after) if after is not None else None,
        reason=reason,
        reason_category=category,
    )
