"""Guards: authentication (401) and the workspace membership/permission gate (404, then 403).

Guards run before Litestar reads the request body, which gives the precedence api.md §1.3 requires:
401 → 404 → 403 → 400. The permission decision itself is `nexus.domain.permissions.require` — the one guard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from nexus.domain.errors import NotFound, Unauthorized
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


def require_possible_ids(connection: AnyConnection) -> None:
    """Path ids are opaque (api.md §1.5), but one holding U+0000 cannot exist (PostgreSQL text cannot store it,
    psycopg refuses to send it): 404 like any unknown id, never a database error. Runs after authentication (401
    first) and before any lookup."""
    if any(isinstance(value, str) and "\x00" in value for value in connection.path_params.values()):
        raise NotFound("Not found")


async def authenticated(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """Guard for `auth` routes: a valid access token whose session is live."""
    await live_session(connection)
    require_possible_ids(connection)


async def workspace_member(connection: AnyConnection, handler: BaseRouteHandler) -> None:
    """Guard for workspace routes: active membership (else 404), then the route's permission (else 403).

    The route declares `opt={"permission": (...)}`; an empty tuple means any active member.
    """
    caller = await caller_of(connection)
    require_possible_ids(connection)
    workspace_id = str(connection.path_params.get("workspace_id", ""))
    member = await workspace_service.membership(context_of(connection), workspace_id, caller.user_id)
    permissions: tuple[Permission, ...] = handler.opt.get("permission", ())
    connection.state["member"] = require(member, *permissions) if permissions else require_member(member)


def member_of(connection: AnyConnection) -> Member:
    return cast(Member, connection.state["member"])


# -- routes that carry only a child id (/drafts/clauses/:id, /drifts/:id, /graph/nodes/:id, ...) ----------------
# A loader does ONE primary-key lookup joined to the caller's active membership (the `*_for_member` queries) and
# returns the row, or None when the id is unknown or the caller is not an active member there (both 404).
ResourceLoader = Callable[[Context, str, str], Awaitable[Any]]
RESOURCE_LOADERS: dict[str, tuple[str, ResourceLoader]] = {}


def register_resource(kind: str, path_param: str, loader: ResourceLoader) -> None:
    """Declare how the `resource_member` guard resolves `kind` (e.g. "clause") from the path parameter."""
    RESOURCE_LOADERS[kind] = (path_param, loader)


def member_from_row(row: Any, user_id: str) -> Member:
    """The guard's Member from a `*_for_member` row (columns member_id, member_role, member_is_admin,
    member_is_external, member_status, governance_rules, archived_at, workspace_id)."""
    return Member(
        workspace_id=row.workspace_id,
        member_id=row.member_id,
        user_id=user_id,
        role=row.member_role,
        is_admin=row.member_is_admin,
        is_external=row.member_is_external,
        status=row.member_status,
        governance=workspace_service.governance_of(row.governance_rules),
        archived=row.archived_at is not None,
    )


async def resource_member(connection: AnyConnection, handler: BaseRouteHandler) -> None:
    """Guard for child-id routes: `opt={"resource": "clause", "permission": (...)}`.

    404 when the id is unknown or the caller is not an active member of its workspace, then 403 without the
    permission. The loaded row is `connection.state["resource"]`, the Member `connection.state["member"]`.
    """
    caller = await caller_of(connection)
    require_possible_ids(connection)
    param, loader = RESOURCE_LOADERS[handler.opt["resource"]]
    resource_id = str(connection.path_params.get(param, ""))
    what = str(handler.opt.get("resource_label", handler.opt["resource"].capitalize()))
    row = await loader(context_of(connection), resource_id, caller.user_id) if 0 < len(resource_id) <= 64 else None
    member = member_from_row(row, caller.user_id) if row is not None else None
    permissions: tuple[Permission, ...] = handler.opt.get("permission", ())
    connection.state["member"] = (
        require(member, *permissions, what=what) if permissions else require_member(member, what=what)
    )
    connection.state["resource"] = row


def resource_of(connection: AnyConnection) -> Any:
    return connection.state["resource"]
