"""`/api/v1/auth`: register, login, refresh, logout, logout-all, me, sessions (envelope `{success, data}`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody
from pydantic import AfterValidator

from nexus.api.openapi import errors_for
from nexus.api.schemas import (
    Password256,
    Password1024,
    RequestModel,
    ResponseModel,
    SessionOut,
    Text255,
    Token,
    UserOut,
    iso,
    iso_or_none,
)
from nexus.api.security import authenticated, context_of, live_session
from nexus.db.queries import sessions as sessions_q
from nexus.db.queries import users as users_q
from nexus.domain.errors import PermissionDenied
from nexus.services import auth as auth_service
from nexus.services.context import Context

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _valid_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be a valid email address (local@domain.tld)")
    return value


Email = Annotated[Text255, AfterValidator(_valid_email)]
# OpenAPI security requirement of the routes that need an access token (api.md §1.14).
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


class RegisterIn(RequestModel):
    email: Email
    name: Text255
    password: Password256


class LoginIn(RequestModel):
    email: Text255
    password: Password1024


class RefreshIn(RequestModel):
    refreshToken: Token


class AuthData(ResponseModel):
    user: UserOut
    accessToken: str
    refreshToken: str
    session: SessionOut
    expiresIn: int


class AuthEnvelope(ResponseModel):
    success: Literal[True] = True
    data: AuthData


class TokenPair(ResponseModel):
    accessToken: str
    refreshToken: str


class TokenEnvelope(ResponseModel):
    success: Literal[True] = True
    data: TokenPair


class RevokedData(ResponseModel):
    revokedSessions: int


class RevokedEnvelope(ResponseModel):
    success: Literal[True] = True
    data: RevokedData


class MeData(ResponseModel):
    session: SessionOut
    user: UserOut


class MeEnvelope(ResponseModel):
    success: Literal[True] = True
    data: MeData


class SessionsEnvelope(ResponseModel):
    success: Literal[True] = True
    data: list[SessionOut]


def user_out(user: users_q.UserRow) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        avatarUrl=user.avatar_url,
        createdAt=iso(user.created_at),
    )


def session_out(row: Any, current_id: str | None) -> SessionOut:
    return SessionOut(
        id=row.id,
        userId=row.user_id,
        createdAt=iso(row.created_at),
        expiresAt=iso(row.expires_at),
        revokedAt=iso_or_none(row.revoked_at),
        userAgent=row.user_agent,
        ip=row.ip,
        current=row.id == current_id,
    )


def client_info(request: Request[Any, Any, Any], ctx: Context) -> auth_service.ClientInfo:
    ip: str | None = request.client.host if request.client else None
    if ctx.settings.trust_proxy:
        forwarded = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",") if p.strip()]
        if forwarded:
            ip = forwarded[-1]
    if ip is not None and not _looks_like_ip(ip):
        ip = None
    return auth_service.ClientInfo(user_agent=request.headers.get("user-agent"), ip=ip)


def _looks_like_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


async def registration_open(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Guard: `NEXUS_REGISTRATION=closed` → 403, before the body is read (403 precedes 400, api.md §1.3)."""
    if not context_of(connection).settings.registration_open:
        raise PermissionDenied("Registration is closed")


def _auth_envelope(result: auth_service.AuthResult) -> AuthEnvelope:
    return AuthEnvelope(
        data=AuthData(
            user=user_out(result.user),
            accessToken=result.access_token,
            refreshToken=result.refresh_token,
            session=session_out(result.session, result.session.id),
            expiresIn=result.expires_in,
        )
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012

    @post(
        "/register",
        operation_id="auth_register",
        status_code=201,
        opt={"extension": True},
        guards=[registration_open],
        responses=errors_for(400, 403, 409),
    )
    async def register(self, state: State, request: Request[Any, Any, Any], data: JSONBody[RegisterIn]) -> AuthEnvelope:
        """Create an account and sign in (extension)."""
        ctx: Context = state.ctx
        result = await auth_service.register(ctx, data.email, data.name, data.password, client_info(request, ctx))
        return _auth_envelope(result)

    @post("/login", operation_id="auth_login", status_code=200, responses=errors_for(400, 401, 429))
    async def login(self, state: State, request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> AuthEnvelope:
        """Sign in with email and password."""
        ctx: Context = state.ctx
        result = await auth_service.login(ctx, data.email, data.password, client_info(request, ctx))
        return _auth_envelope(result)

    @post("/refresh", operation_id="auth_refresh", status_code=200, responses=errors_for(400, 401))
    async def refresh(self, state: State, data: JSONBody[RefreshIn]) -> TokenEnvelope:
        """Rotate a refresh token; a reused token revokes its whole session."""
        access, refresh = await auth_service.refresh(state.ctx, data.refreshToken)
        return TokenEnvelope(data=TokenPair(accessToken=access, refreshToken=refresh))

    @post("/logout", operation_id="auth_logout", status_code=200, responses=errors_for(400))
    async def logout(self, state: State, data: JSONBody[RefreshIn]) -> RevokedEnvelope:
        """Revoke the session of a refresh token (idempotent)."""
        return RevokedEnvelope(
            data=RevokedData(revokedSessions=await auth_service.logout(state.ctx, data.refreshToken))
        )

    @post(
        "/logout-all",
        operation_id="auth_logout_all",
        status_code=200,
        guards=[authenticated],
        security=BEARER,
        opt={"permission_name": "auth"},
        responses=errors_for(401),
    )
    async def logout_all(self, state: State, request: Request[Any, Any, Any]) -> RevokedEnvelope:
        """Revoke every live session of the caller."""
        live = await live_session(request)
        return RevokedEnvelope(data=RevokedData(revokedSessions=await auth_service.logout_all(state.ctx, live.caller)))

    @get(
        "/me",
        operation_id="auth_me",
        guards=[authenticated],
        security=BEARER,
        opt={"permission_name": "auth"},
        responses=errors_for(401),
    )
    async def me(self, request: Request[Any, Any, Any]) -> MeEnvelope:
        """The caller's session and user."""
        live = await live_session(request)
        row = live.row
        user = UserOut(
            id=row.user_id,
            email=row.email,
            name=row.name,
            avatarUrl=row.avatar_url,
            createdAt=iso(row.user_created_at),
        )
        return MeEnvelope(data=MeData(session=session_out(row, row.id), user=user))

    @get(
        "/sessions",
        operation_id="auth_sessions",
        guards=[authenticated],
        security=BEARER,
        opt={"permission_name": "auth"},
        responses=errors_for(401),
    )
    async def sessions(self, state: State, request: Request[Any, Any, Any]) -> SessionsEnvelope:
        """The caller's live sessions, newest first; `current` marks this token's session."""
        live = await live_session(request)
        rows: list[sessions_q.SessionRow] = await auth_service.live_sessions(state.ctx, live.caller)
        return SessionsEnvelope(data=[session_out(r, live.caller.session_id) for r in rows])
