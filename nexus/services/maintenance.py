"""Housekeeping (domain.md §3.6): forget login attempts after 24 h, expired sessions and tokens after 7 days."""

from __future__ import annotations

from dataclasses import dataclass

from nexus.db.queries import sessions as sessions_q
from nexus.services.context import Context


@dataclass(frozen=True)
class Swept:
    login_attempts: int
    sessions: int


async def sweep(ctx: Context) -> Swept:
    """One maintenance pass in one transaction; refresh tokens go with their sessions (FK cascade)."""
    async with ctx.transaction() as conn:
        attempts = await sessions_q.delete_old_login_attempts(conn) or 0
        sessions = await sessions_q.delete_expired_sessions(conn) or 0
    return Swept(login_attempts=attempts, sessions=sessions)
