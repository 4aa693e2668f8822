"""The role x endpoint matrix, generated from the permission table (domain.md §1, api.md §5 walking rule).

For every workspace-scoped route of the route index: strangers, pending and removed members get 404; each role x
isAdmin x isExternal, with `externalCounselReadOnly` off and on, gets 403 exactly when `effective_permissions`
lacks the route's permission, and otherwise is let through (anything but 401/403/404; 400 or 409 are fine, since
the matrix sends empty bodies and permission is checked before validation).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from nexus.domain.permissions import DEFAULT_GOVERNANCE, ROLES, ROUTES, Route, effective_permissions

Client = AsyncTestClient[Any]
PASSWORD = "password-123"

WORKSPACE_ROUTES = [r for r in ROUTES if "{id}" in r.path and r.permission not in (("pending invitee",),)]
# Deletions last: archiving the workspace or removing the target member must not mask the other routes' answers.
WORKSPACE_ROUTES.sort(key=lambda r: r.method == "DELETE")


async def _user(api: Client, name: str) -> str:
    response = await api.post(
        "/api/v1/auth/register", json={"email": f"{name}@matrix.test", "name": name.title(), "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["accessToken"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _workspace(api: Client, owner: str) -> str:
    response = await api.post(
        "/api/v1/workspaces",
        json={"name": "Matrix deal", "currency": "usd", "amount": 1000000, "standard": "LMA"},
        headers=_auth(owner),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["workspace"]["id"])


async def _invite(api: Client, owner: str, ws: str, name: str, role: str, external: bool = False) -> str:
    response = await api.post(
        f"/api/v1/workspaces/{ws}/members",
        json={"email": f"{name}@matrix.test", "role": role, "isExternal": external},
        headers=_auth(owner),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["member"]["id"])


async def _accept(api: Client, token: str, ws: str) -> None:
    response = await api.post(f"/api/v1/workspaces/{ws}/accept-invitation", headers=_auth(token))
    assert response.status_code == 200, response.text


async def _call(api: Client, token: str, route: Route, ws: str, member_id: str) -> int:
    path = "/api/v1" + route.path.replace("{id}", ws).replace("{memberId}", member_id)
    response = await api.request(route.method, path, json={}, headers=_auth(token))
    assert response.status_code == 204 or response.headers["content-type"].startswith("application/json")
    return response.status_code


async def test_non_members_get_404_on_every_workspace_route(api: Client) -> None:
    owner = await _user(api, "owner")
    stranger = await _user(api, "stranger")
    pending = await _user(api, "pending")
    removed = await _user(api, "removed")
    await _user(api, "target")
    ws = await _workspace(api, owner)
    target = await _invite(api, owner, ws, "target", "investor")
    await _invite(api, owner, ws, "pending", "agent")
    removed_id = await _invite(api, owner, ws, "removed", "agent")
    await _accept(api, removed, ws)
    response = await api.delete(f"/api/v1/workspaces/{ws}/members/{removed_id}", headers=_auth(owner))
    assert response.status_code == 204

    for route, (who, token) in itertools.product(
        WORKSPACE_ROUTES, [("stranger", stranger), ("pending", pending), ("removed", removed)]
    ):
        status = await _call(api, token, route, ws, target)
        assert status == 404, f"{who} {route.method} {route.path} -> {status}"


COMBOS = [
    (role, is_admin, is_external, read_only)
    for role in ROLES
    for is_admin in (False, True)
    for is_external in (False, True)
    for read_only in (False, True)
]


@pytest.mark.parametrize(("role", "is_admin", "is_external", "read_only"), COMBOS)
async def test_each_role_gets_403_exactly_when_the_table_says(
    api: Client, role: str, is_admin: bool, is_external: bool, read_only: bool
) -> None:
    owner = await _user(api, "owner")
    caller = await _user(api, "caller")
    await _user(api, "target")
    ws = await _workspace(api, owner)
    caller_id = await _invite(api, owner, ws, "caller", role, is_external)
    await _accept(api, caller, ws)
    target = await _invite(api, owner, ws, "target", "investor")
    if is_admin:
        response = await api.patch(
            f"/api/v1/workspaces/{ws}/members/{caller_id}", json={"isAdmin": True}, headers=_auth(owner)
        )
        assert response.status_code == 200, response.text
    governance = {**DEFAULT_GOVERNANCE, "externalCounselReadOnly": read_only}
    if read_only:
        response = await api.patch(
            f"/api/v1/workspaces/{ws}/governance", json={"externalCounselReadOnly": True}, headers=_auth(owner)
        )
        assert response.status_code == 200, response.text
    granted = effective_permissions(role, is_admin, is_external, governance)  # type: ignore[arg-type]

    for route in WORKSPACE_ROUTES:
        needed = [p for p in route.permission if p != "member"]
        allowed = not needed or any(p in granted for p in needed)
        status = await _call(api, caller, route, ws, target)
        label = f"{role} admin={is_admin} external={is_external} readOnly={read_only}: {route.method} {route.path}"
        if allowed:
            assert status not in (401, 403, 404), f"{label} -> {status}, expected to be let through"
        else:
            assert status == 403, f"{label} -> {status}, expected 403"
