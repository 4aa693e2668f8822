"""Guards: authentication (401) and the workspace membership/permission gate (404, then 403).

Guards run before Litestar reads the request body, which gives the precedence api.md §1.3 requires:
401 → 404 → 403 → 400. The permission decision itself is `nexus.domain.permissions.require` — the one guard.
"""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from nexus.domain.errors import Unauthorized
from nexus.domain.permissions import Member, Permission, require, require_member
from nexus.services import auth as auth_service
from nexus.services import workspaces as workspace_service
from nexus.services.context import Caller, Context

AnyConnection = ASGIConnection[Any, Any, Any, Any]


def context_of(connection: AnyConnection) -> Context:
    return cast(Context, connection.app.state.ctx)


def bearer_token(connection: AnyConnection) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authentication required")
    return token.strip()


async def live_session(connection: AnyConnection) -> auth_service.LiveSession:
    cached = connection.state.get("live_session")
    if cached is not None:
        return cast(auth_service.LiveSession, cached)
    live = await auth_service.authenticate(context_of(connection), bearer_token(connection))
    connection.state["live_session"] = live
    return live


async def caller_of(connection: AnyConnection) -> Caller:
    return (await live_session(connection)).caller


async def authenticated(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """Guard for `auth` routes: a valid access token whose session is live."""
    await live_session(connection)


async def workspace_member(connection: AnyConnection, handler: BaseRouteHandler) -> None:
    """Guard for workspace routes: active membership (else 404), then the route's permission (else 403).

    The route declares `opt={"permission": (...)}`; an empty tuple means any active member.
    """
    caller = await caller_of(connection)
    workspace_id = str(connection.path_params.get("workspace_id", ""))
    member = await workspace_service.membership(context_of(connection), workspace_id, caller.user_id)
    permissions: tuple[Permission, ...] = handler.opt.get("permission", ())
    connection.state["member"] = require(member, *permissions) if permissions else require_member(member)


def member_of(connection: AnyConnection) -> Member:
    return cast(Member, connection.state["member"])
