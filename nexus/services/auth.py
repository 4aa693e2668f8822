"""Authentication and sessions (domain.md §3): register, login with throttling, refresh rotation with reuse
detection, logout, logout-all, the per-request session check and session listing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from nexus.db.queries import audit as audit_q
from nexus.db.queries import sessions as sessions_q
from nexus.db.queries import users as users_q
from nexus.domain.errors import Conflict, InvalidToken, PermissionDenied, RateLimited, Unauthorized
from nexus.domain.passwords import hash_password, verify_password
from nexus.domain.tokens import (
    mint_access_token,
    new_refresh_token,
    refresh_token_digest,
    verify_access_token,
)
from nexus.services.context import Caller, Context

THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 10
IP_LIMIT = 50


@dataclass(frozen=True)
class ClientInfo:
    user_agent: str | None
    ip: str | None


@dataclass(frozen=True)
class AuthResult:
    user: users_q.UserRow
    session: sessions_q.SessionRow
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class LiveSession:
    caller: Caller
    row: sessions_q.GetLiveSessionRow


def email_key(email: str) -> str:
    return email.strip().lower()


def _now() -> datetime:
    return datetime.now(UTC)


async def dummy_hash(ctx: Context) -> str:
    """A fixed hash with the live parameters, so unknown emails cost what a wrong password costs."""
    if not ctx.dummy_hash:
        ctx.dummy_hash = await hash_password(ctx.hasher, "nexus-dummy-password-for-unknown-emails")
    return ctx.dummy_hash


async def _open_session(
    ctx: Context, conn: AsyncConnection[Any], user: users_q.UserRow, client: ClientInfo, method: str
) -> AuthResult:
    now = _now()
    ttl = ctx.settings.refresh_ttl
    user_agent = client.user_agent[:512] if client.user_agent else None
    session = await sessions_q.insert_session(
        conn, user_id=user.id, expires_at=now + timedelta(seconds=ttl), user_agent=user_agent, ip=client.ip
    )
    assert session is not None
    refresh = new_refresh_token()
    await sessions_q.insert_refresh_token(
        conn,
        token=refresh_token_digest(refresh),
        user_id=user.id,
        session_id=session.id,
        expires_at=session.expires_at,
    )
    await audit_q.append_event(
        conn,
        workspace_id=None,
        actor_id=user.id,
        actor_name=user.name,
        event_type="LOGIN",
        target_type="session",
        target_id=session.id,
        before_state=None,
        after_state={"email": user.email, "method": method, "userAgent": user_agent, "ip": client.ip},
        reason=None,
        reason_category=None,
    )
    access = mint_access_token(ctx.jwt_secret, user.id, session.id, now, ctx.settings.access_ttl)
    return AuthResult(user, session, access, refresh, ctx.settings.access_ttl)


async def register(ctx: Context, email: str, name: str, password: str, client: ClientInfo) -> AuthResult:
    if not ctx.settings.registration_open:
        raise PermissionDenied("Registration is closed")
    password_hash = await hash_password(ctx.hasher, password)
    async with ctx.transaction() as conn:
        user = await users_q.insert_user(conn, email=email.strip(), name=name, password=password_hash)
        if user is None:
            raise Conflict("An account with this email already exists")
        return await _open_session(ctx, conn, user, client, "register")


def _retry_after(failures: list[datetime], limit: int, now: datetime) -> int | None:
    if len(failures) < limit:
        return None
    kth = failures[limit - 1]
    return max(1, math.ceil((kth + THROTTLE_WINDOW - now).total_seconds()))


async def login(ctx: Context, email: str, password: str, client: ClientInfo) -> AuthResult:
    """Throttle check and attempt row first (one short transaction, serialised per account and per IP, so a parallel
    burst cannot outrun the limits), then the password check outside any transaction, then the session."""
    key = email_key(email)
    now = _now()
    window_start = now - THROTTLE_WINDOW
    async with ctx.transaction() as conn:
        await sessions_q.lock_login_key(conn, key=f"account:{key}")
        if client.ip:
            await sessions_q.lock_login_key(conn, key=f"ip:{client.ip}")
        account = [
            r.attempted_at for r in await sessions_q.account_failures(conn, email_key=key, window_start=window_start)
        ]
        by_ip = (
            [r.attempted_at for r in await sessions_q.ip_failures(conn, ip=client.ip, window_start=window_start)]
            if client.ip
            else []
        )
        waits = [w for w in (_retry_after(account, ACCOUNT_LIMIT, now), _retry_after(by_ip, IP_LIMIT, now)) if w]
        if waits:
            raise RateLimited(max(waits))  # throttled attempts are not recorded (the transaction rolls back)
        user_row = await users_q.get_user_by_email(conn, email=key)
        # Recorded as a failure until the password is known to match: concurrent attempts already count it.
        attempt_id = await sessions_q.insert_login_attempt(
            conn, email_key=key, ip=client.ip, user_id=user_row.id if user_row else None, succeeded=False
        )
    assert attempt_id is not None

    stored = user_row.password if user_row is not None else await dummy_hash(ctx)
    ok = await verify_password(ctx.hasher, stored, password) and user_row is not None
    if not ok or user_row is None:
        raise Unauthorized("Invalid email or password")

    rehashed = await hash_password(ctx.hasher, password) if ctx.hasher.check_needs_rehash(user_row.password) else None
    async with ctx.transaction() as conn:
        await sessions_q.mark_login_attempt_succeeded(conn, id=attempt_id)
        if rehashed is not None:
            await users_q.update_password_hash(conn, id=user_row.id, password=rehashed)
        user = users_q.UserRow(
            id=user_row.id,
            email=user_row.email,
            name=user_row.name,
            avatar_url=user_row.avatar_url,
            created_at=user_row.created_at,
        )
        return await _open_session(ctx, conn, user, client, "password")


async def authenticate(ctx: Context, token: str) -> LiveSession:
    """Verify the access token, then one indexed lookup of its live session and user; else INVALID_TOKEN."""
    claims = verify_access_token(ctx.jwt_secret, token)
    async with ctx.pool.connection() as conn:
        row = await sessions_q.get_live_session(conn, session_id=claims.session_id, user_id=claims.user_id)
    if row is None:
        raise InvalidToken()
    return LiveSession(Caller(row.user_id, row.id, row.name, row.email), row)


async def refresh(ctx: Context, token: str) -> tuple[str, str]:
    """Rotate: claim the presented token, issue a new one in the same session, slide the session."""
    digest = refresh_token_digest(token)
    now = _now()
    reuse: sessions_q.GetRefreshTokenRow | None = None
    async with ctx.transaction() as conn:
        row = await sessions_q.get_refresh_token(conn, token=digest)
        if row is None or row.expires_at <= now:
            raise InvalidToken()
        if row.session_revoked_at is not None or row.session_expires_at <= now:
            raise InvalidToken()
        claimed = None if row.revoked_at is not None else await sessions_q.claim_refresh_token(conn, id=row.id)
        if claimed is None:
            reuse = row
        else:
            new = new_refresh_token()
            expires_at = now + timedelta(seconds=ctx.settings.refresh_ttl)
            new_id = await sessions_q.insert_refresh_token(
                conn,
                token=refresh_token_digest(new),
                user_id=row.user_id,
                session_id=row.session_id,
                expires_at=expires_at,
            )
            assert new_id is not None
            await sessions_q.link_refresh_token(conn, id=row.id, replaced_by_id=new_id)
            await sessions_q.slide_session(conn, session_id=row.session_id, expires_at=expires_at)
            access = mint_access_token(ctx.jwt_secret, row.user_id, row.session_id, now, ctx.settings.access_ttl)
    if reuse is not None:
        await _revoke_for_reuse(ctx, reuse)
        raise InvalidToken()
    return access, new


async def _revoke_for_reuse(ctx: Context, row: sessions_q.GetRefreshTokenRow) -> None:
    """A rotated token came back: revoke the whole session and record it, committed before the 401."""
    async with ctx.transaction() as conn:
        revoked = await sessions_q.revoke_session(conn, session_id=row.session_id, reason="refresh_reuse")
        await sessions_q.revoke_session_tokens(conn, session_ids=[row.session_id])
        if revoked is not None:
            await audit_q.append_event(
                conn,
                workspace_id=None,
                actor_id=row.user_id,
                actor_name=row.name,
                event_type="LOGOUT",
                target_type="session",
                target_id=row.session_id,
                before_state=None,
                after_state={"email": row.email, "logoutType": "reuse_detected"},
                reason=None,
                reason_category=None,
            )


async def logout(ctx: Context, token: str) -> int:
    """Revoke the session of a (current or rotated) refresh token; unknown token → 0, no event."""
    async with ctx.transaction() as conn:
        row = await sessions_q.get_refresh_token(conn, token=refresh_token_digest(token))
        if row is None:
            return 0
        revoked = await sessions_q.revoke_session(conn, session_id=row.session_id, reason="logout")
        await sessions_q.revoke_session_tokens(conn, session_ids=[row.session_id])
        if revoked is None:
            return 0
        await audit_q.append_event(
            conn,
            workspace_id=None,
            actor_id=row.user_id,
            actor_name=row.name,
            event_type="LOGOUT",
            target_type="session",
            target_id=row.session_id,
            before_state=None,
            after_state={"email": row.email, "logoutType": "session"},
            reason=None,
            reason_category=None,
        )
        return 1


async def logout_all(ctx: Context, caller: Caller) -> int:
    async with ctx.transaction() as conn:
        ids = [r.id for r in await sessions_q.revoke_user_sessions(conn, user_id=caller.user_id, reason="logout_all")]
        await sessions_q.revoke_session_tokens(conn, session_ids=ids)
        await audit_q.append_event(
            conn,
            workspace_id=None,
            actor_id=caller.user_id,
            actor_name=caller.name,
            event_type="LOGOUT",
            target_type="user",
            target_id=caller.user_id,
            before_state=None,
            after_state={"email": caller.email, "logoutType": "all_sessions", "sessionCount": len(ids)},
            reason=None,
            reason_category=None,
        )
        return len(ids)


async def live_sessions(ctx: Context, caller: Caller) -> list[sessions_q.SessionRow]:
    async with ctx.pool.connection() as conn:
        return await sessions_q.list_live_sessions(conn, user_id=caller.user_id)
