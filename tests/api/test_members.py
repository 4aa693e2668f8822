"""HTTP tests of members and invitations (api.md §3.2 rows 13–18, §2 Member; domain.md §1.3, §4.3, §11.1
INVITE_SENT / ROLE_CHANGED / MEMBER_REMOVED)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.rows import dict_row

from nexus.api.app import create_app
from nexus.config import Settings
from tests.api.test_workspaces import (
    PASSWORD,
    TS,
    WS,
    Client,
    Conn,
    Q,
    add_member,
    assert_error,
    assert_member_shape,
    create_workspace,
    events,
    invite,
    register,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    """A sync autocommit connection (superuser) to the database the app under test uses."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


AUTH_REGISTER = "/api/v1/auth/register"
LAST_ADMIN = "The workspace must keep at least one active member with workspace:admin"


# ---------------------------------------------------------------------------------------------------------------
# invite and accept
# ---------------------------------------------------------------------------------------------------------------
async def test_invite_accept_flow(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    ws = await create_workspace(api, sarah, name="Atlas", currency="EUR", amount=250000000.5)

    resp = await api.post(
        f"{WS}/{ws['id']}/members",
        headers=sarah.headers,
        json={"email": "  JAMES@Example.COM ", "role": "legal", "isExternal": True},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"success", "member"} and body["success"] is True
    member = body["member"]
    assert_member_shape(member)
    assert (member["workspaceId"], member["userId"], member["role"]) == (ws["id"], james.id, "legal")
    assert (member["isAdmin"], member["isExternal"], member["status"], member["joinedAt"]) == (
        False,
        True,
        "pending",
        None,
    )
    assert member["user"] == {"id": james.id, "email": james.email, "name": "James", "avatarUrl": None}
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "INVITE_SENT"
    assert (event["actor_id"], event["target_type"], event["target_id"]) == (sarah.id, "member", member["id"])
    assert event["before_state"] is None
    assert event["after_state"] == {
        "userId": james.id,
        "email": james.email,
        "role": "legal",
        "isExternal": True,
        "status": "pending",
    }

    # pending: listed among members, invisible to the invitee except through /invitations
    listed = (await api.get(f"{WS}/{ws['id']}/members", headers=sarah.headers)).json()["members"]
    assert [(m["userId"], m["status"]) for m in listed] == [(sarah.id, "active"), (james.id, "pending")]
    assert_error(await api.get(f"{WS}/{ws['id']}", headers=james.headers), 404, "NOT_FOUND")
    resp = await api.get("/api/v1/invitations", headers=james.headers)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "invitations"}
    (invitation,) = body["invitations"]
    assert set(invitation) == {"member", "workspace"}
    assert invitation["member"] == member
    assert invitation["workspace"] == {
        "id": ws["id"],
        "name": "Atlas",
        "currency": "EUR",
        "amount": 250000000.5,
        "standard": "LMA",
    }
    assert '"amount":250000000.5,' in resp.text
    assert (await api.get("/api/v1/invitations", headers=sarah.headers)).json()["invitations"] == []

    # accept
    resp = await api.post(
        f"{WS}/{ws['id']}/accept-invitation", headers={**james.headers, "Content-Type": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    accepted = resp.json()["member"]
    assert_member_shape(accepted)
    assert (accepted["id"], accepted["status"], accepted["role"]) == (member["id"], "active", "legal")
    assert TS.match(accepted["joinedAt"])
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "ROLE_CHANGED"
    assert (event["actor_id"], event["target_type"], event["target_id"]) == (james.id, "member", member["id"])
    assert event["before_state"] == {"status": "pending"}
    assert event["after_state"] == {"status": "active", "role": "legal", "action": "accept_invitation"}

    assert (await api.get("/api/v1/invitations", headers=james.headers)).json()["invitations"] == []
    resp = await api.get(f"{WS}/{ws['id']}", headers=james.headers)
    assert resp.status_code == 200
    assert resp.json()["workspace"]["memberCount"] == 2


async def test_invite_errors(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    lena = await register(api, "Lena")
    ws = await create_workspace(api, sarah)
    url = f"{WS}/{ws['id']}/members"

    err = assert_error(
        await api.post(url, headers=sarah.headers, json={"email": "nobody@example.com", "role": "legal"}),
        400,
        "VALIDATION_ERROR",
    )
    assert [d["field"] for d in err["error"]["details"]] == ["email"]
    for body in (
        {"email": james.email, "role": "admin"},
        {"email": james.email},
        {"role": "legal"},
        {"email": james.email, "role": "legal", "isExternal": "yes"},
        {"email": james.email, "role": "legal", "isExternal": None},
        {"email": "", "role": "legal"},
    ):
        assert_error(await api.post(url, headers=sarah.headers, json=body), 400, "VALIDATION_ERROR")

    await invite(api, sarah, ws["id"], james)  # pending
    await add_member(api, sarah, ws["id"], lena, role="risk")  # active
    count = len(events(db, ws["id"]))
    for user in (james, lena, sarah):
        resp = await api.post(url, headers=sarah.headers, json={"email": user.email, "role": "investor"})
        assert_error(resp, 409, "ALREADY_MEMBER")
    assert len(events(db, ws["id"])) == count


async def test_reinvite_removed_member_reuses_the_row(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    ws = await create_workspace(api, sarah)
    first = await add_member(api, sarah, ws["id"], james, role="agent")
    resp = await api.patch(f"{WS}/{ws['id']}/members/{first['id']}", headers=sarah.headers, json={"isAdmin": True})
    assert resp.status_code == 200
    assert (await api.delete(f"{WS}/{ws['id']}/members/{first['id']}", headers=sarah.headers)).status_code == 204

    again = await invite(api, sarah, ws["id"], james, role="investor", is_external=True)
    assert again["id"] == first["id"]
    assert (again["status"], again["role"], again["isAdmin"], again["isExternal"], again["joinedAt"]) == (
        "pending",
        "investor",
        False,
        True,
        None,
    )
    assert again["invitedAt"] > first["invitedAt"]
    row = Q.member_row(db, member_id=first["id"])
    assert (row["status"], row["role"], row["is_admin"], row["joined_at"]) == ("pending", "investor", False, None)
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "INVITE_SENT"
    assert event["target_id"] == first["id"]
    assert event["before_state"] == {"status": "removed"}
    assert event["after_state"]["status"] == "pending" and event["after_state"]["role"] == "investor"

    resp = await api.post(f"{WS}/{ws['id']}/accept-invitation", headers=james.headers)
    assert resp.status_code == 200 and resp.json()["member"]["role"] == "investor"


async def test_accept_errors(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    ws = await create_workspace(api, sarah)
    url = f"{WS}/{ws['id']}/accept-invitation"

    assert_error(await api.post(url), 401, "UNAUTHORIZED")
    assert_error(await api.post(url, headers=james.headers), 404, "NOT_FOUND")  # no invitation
    assert_error(await api.post(f"{WS}/nope/accept-invitation", headers=james.headers), 404, "NOT_FOUND")
    assert_error(await api.post(f"{WS}/{'x' * 65}/accept-invitation", headers=james.headers), 404, "NOT_FOUND")
    assert_error(await api.post(url, headers=sarah.headers), 409, "ALREADY_MEMBER")  # already active

    member = await add_member(api, sarah, ws["id"], james)
    assert_error(await api.post(url, headers=james.headers), 409, "ALREADY_MEMBER")
    assert (await api.delete(f"{WS}/{ws['id']}/members/{member['id']}", headers=sarah.headers)).status_code == 204
    count = len(events(db, ws["id"]))
    assert_error(await api.post(url, headers=james.headers), 404, "NOT_FOUND")  # removed is not invited
    assert len(events(db, ws["id"])) == count


# ---------------------------------------------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------------------------------------------
async def test_member_list_order_and_status_filter(api: Client) -> None:
    sarah = await register(api, "Sarah")
    users = [await register(api, name) for name in ("Ann", "Ben", "Cat", "Dan")]
    ws = await create_workspace(api, sarah)
    ann = await add_member(api, sarah, ws["id"], users[0], role="legal")
    ben = await invite(api, sarah, ws["id"], users[1], role="risk")
    cat = await add_member(api, sarah, ws["id"], users[2], role="investor")
    dan = await add_member(api, sarah, ws["id"], users[3], role="risk")
    base = f"{WS}/{ws['id']}/members"
    resp = await api.patch(f"{base}/{dan['id']}", headers=sarah.headers, json={"isAdmin": True})
    assert resp.status_code == 200
    assert (await api.delete(f"{base}/{cat['id']}", headers=sarah.headers)).status_code == 204

    # any active member may list (investor included)
    resp = await api.get(base, headers=users[0].headers)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "members"}
    for member in body["members"]:
        assert_member_shape(member)
    # admins first (invitation order among them), then the others by invitation time; all statuses
    assert [(m["userId"], m["status"]) for m in body["members"]] == [
        (sarah.id, "active"),
        (users[3].id, "active"),
        (users[0].id, "active"),
        (users[1].id, "pending"),
        (users[2].id, "removed"),
    ]
    for status, expected in (
        ("active", [sarah.id, users[3].id, ann["userId"]]),
        ("pending", [ben["userId"]]),
        ("removed", [cat["userId"]]),
    ):
        resp = await api.get(base, headers=sarah.headers, params={"status": status})
        assert [m["userId"] for m in resp.json()["members"]] == expected
    assert_error(await api.get(base, headers=sarah.headers, params={"status": "gone"}), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------------------------
# change
# ---------------------------------------------------------------------------------------------------------------
async def test_change_member_role_and_flags(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    pending = await register(api, "Pending")
    ws = await create_workspace(api, sarah)
    member = await add_member(api, sarah, ws["id"], james, role="legal")
    url = f"{WS}/{ws['id']}/members/{member['id']}"

    resp = await api.patch(url, headers=sarah.headers, json={"role": "risk", "isAdmin": True, "isExternal": False})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"success", "member"}
    changed = body["member"]
    assert_member_shape(changed)
    assert (changed["role"], changed["isAdmin"], changed["isExternal"], changed["status"]) == (
        "risk",
        True,
        False,
        "active",
    )
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "ROLE_CHANGED"
    assert (event["actor_id"], event["target_type"], event["target_id"]) == (sarah.id, "member", member["id"])
    assert event["before_state"] == {"role": "legal", "isAdmin": False}
    assert event["after_state"] == {"role": "risk", "isAdmin": True}

    resp = await api.patch(url, headers=sarah.headers, json={"isExternal": True})
    assert resp.json()["member"]["isExternal"] is True
    assert events(db, ws["id"])[-1]["before_state"] == {"isExternal": False}

    count = len(events(db, ws["id"]))
    resp = await api.patch(url, headers=sarah.headers, json={"role": "risk"})  # no change: no event
    assert resp.status_code == 200
    assert len(events(db, ws["id"])) == count

    # pending members can be changed too
    invited = await invite(api, sarah, ws["id"], pending, role="investor")
    resp = await api.patch(f"{WS}/{ws['id']}/members/{invited['id']}", headers=sarah.headers, json={"role": "legal"})
    assert resp.status_code == 200
    assert (resp.json()["member"]["role"], resp.json()["member"]["status"]) == ("legal", "pending")


async def test_change_member_errors(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    other_owner = await register(api, "Other")
    ws = await create_workspace(api, sarah)
    other_ws = await create_workspace(api, other_owner)
    member = await add_member(api, sarah, ws["id"], james)
    url = f"{WS}/{ws['id']}/members/{member['id']}"

    for body in ({}, {"role": "boss"}, {"isAdmin": "true"}, {"isExternal": 1}, {"role": None}, {"other": True}):
        assert_error(await api.patch(url, headers=sarah.headers, json=body), 400, "VALIDATION_ERROR")

    # a member of another workspace, an unknown id and an over-long id are all "not found" here
    other_members = (await api.get(f"{WS}/{other_ws['id']}/members", headers=other_owner.headers)).json()["members"]
    for member_id in (other_members[0]["id"], "nope", "x" * 65):
        resp = await api.patch(f"{WS}/{ws['id']}/members/{member_id}", headers=sarah.headers, json={"role": "risk"})
        assert_error(resp, 404, "NOT_FOUND")
        resp = await api.delete(f"{WS}/{ws['id']}/members/{member_id}", headers=sarah.headers)
        assert_error(resp, 404, "NOT_FOUND")

    assert (await api.delete(url, headers=sarah.headers)).status_code == 204
    count = len(events(db, ws["id"]))
    assert_error(await api.patch(url, headers=sarah.headers, json={"role": "risk"}), 409, "CONFLICT")
    assert len(events(db, ws["id"])) == count


# ---------------------------------------------------------------------------------------------------------------
# remove
# ---------------------------------------------------------------------------------------------------------------
async def test_remove_member(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    ws = await create_workspace(api, sarah)
    member = await add_member(api, sarah, ws["id"], james, role="legal")
    url = f"{WS}/{ws['id']}/members/{member['id']}"
    assert (await api.patch(url, headers=sarah.headers, json={"isAdmin": True})).status_code == 200

    resp = await api.delete(url, headers=sarah.headers)
    assert resp.status_code == 204 and resp.content == b""
    row = Q.member_row(db, member_id=member["id"])
    assert (row["status"], row["is_admin"], row["role"]) == ("removed", False, "legal")
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "MEMBER_REMOVED"
    assert (event["actor_id"], event["target_type"], event["target_id"]) == (sarah.id, "member", member["id"])
    assert event["before_state"] == {"role": "legal", "isAdmin": True, "status": "active"}
    assert event["after_state"] == {"status": "removed"}

    count = len(events(db, ws["id"]))
    assert (await api.delete(url, headers=sarah.headers)).status_code == 204  # already removed: no event
    assert len(events(db, ws["id"])) == count
    assert_error(await api.get(f"{WS}/{ws['id']}", headers=james.headers), 404, "NOT_FOUND")
    resp = await api.get(f"{WS}/{ws['id']}", headers=sarah.headers)
    assert resp.json()["workspace"]["memberCount"] == 1


async def test_remove_pending_invitation(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    ws = await create_workspace(api, sarah)
    invited = await invite(api, sarah, ws["id"], james, role="risk")
    assert (await api.delete(f"{WS}/{ws['id']}/members/{invited['id']}", headers=sarah.headers)).status_code == 204
    assert events(db, ws["id"])[-1]["before_state"] == {"role": "risk", "isAdmin": False, "status": "pending"}
    assert (await api.get("/api/v1/invitations", headers=james.headers)).json()["invitations"] == []
    assert_error(await api.post(f"{WS}/{ws['id']}/accept-invitation", headers=james.headers), 404, "NOT_FOUND")


# ---------------------------------------------------------------------------------------------------------------
# last admin
# ---------------------------------------------------------------------------------------------------------------
async def test_last_admin_cannot_leave_or_lose_admin(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    ws = await create_workspace(api, sarah)
    me = (await api.get(f"{WS}/{ws['id']}/members", headers=sarah.headers)).json()["members"][0]
    mine = f"{WS}/{ws['id']}/members/{me['id']}"
    count = len(events(db, ws["id"]))

    assert_error(await api.delete(mine, headers=sarah.headers), 409, "CONFLICT", LAST_ADMIN)
    for body in ({"role": "legal", "isAdmin": False}, {"role": "investor", "isAdmin": False}):
        assert_error(await api.patch(mine, headers=sarah.headers, json=body), 409, "CONFLICT", LAST_ADMIN)
    assert len(events(db, ws["id"])) == count
    assert Q.member_row(db, member_id=me["id"])["role"] == "agent"

    # the agent role itself holds workspace:admin (domain.md §1.3), so dropping the flag is fine
    resp = await api.patch(mine, headers=sarah.headers, json={"isAdmin": False})
    assert resp.status_code == 200 and resp.json()["member"]["isAdmin"] is False

    # a pending member does not count as an admin
    pending = await invite(api, sarah, ws["id"], james, role="agent")
    assert_error(await api.delete(mine, headers=sarah.headers), 409, "CONFLICT", LAST_ADMIN)

    # once another ACTIVE admin exists (legal + isAdmin), the last one may step down
    await api.post(f"{WS}/{ws['id']}/accept-invitation", headers=james.headers)
    other = f"{WS}/{ws['id']}/members/{pending['id']}"
    assert (await api.patch(other, headers=sarah.headers, json={"role": "legal", "isAdmin": True})).status_code == 200
    resp = await api.patch(mine, headers=sarah.headers, json={"role": "risk"})
    assert resp.status_code == 200
    # now James is the last admin: Sarah (risk, no admin) cannot act, and James cannot drop his flag
    assert_error(await api.delete(other, headers=sarah.headers), 403, "PERMISSION_DENIED")
    assert_error(await api.patch(other, headers=james.headers, json={"isAdmin": False}), 409, "CONFLICT")
    assert (await api.delete(mine, headers=james.headers)).status_code == 204


async def test_last_admin_counts_external_read_only(api: Client, db: Conn) -> None:
    """An external agent holds no workspace:admin while externalCounselReadOnly is on (domain.md §1.3)."""
    sarah = await register(api, "Sarah")
    ext = await register(api, "External")
    ws = await create_workspace(api, sarah)
    me = (await api.get(f"{WS}/{ws['id']}/members", headers=sarah.headers)).json()["members"][0]
    mine = f"{WS}/{ws['id']}/members/{me['id']}"
    await add_member(api, sarah, ws["id"], ext, role="agent", is_external=True)

    resp = await api.patch(f"{WS}/{ws['id']}/governance", headers=sarah.headers, json={"externalCounselReadOnly": True})
    assert resp.status_code == 200
    assert_error(await api.delete(mine, headers=sarah.headers), 409, "CONFLICT", LAST_ADMIN)
    resp = await api.patch(mine, headers=sarah.headers, json={"role": "legal", "isAdmin": False})
    assert_error(resp, 409, "CONFLICT", LAST_ADMIN)
    # legal + isAdmin still holds workspace:admin through the flag
    assert (await api.patch(mine, headers=sarah.headers, json={"role": "legal"})).status_code == 200
    # the external agent lost every write permission, including the admin ones
    resp = await api.patch(mine, headers=ext.headers, json={"role": "legal"})
    assert_error(resp, 403, "PERMISSION_DENIED")

    resp = await api.patch(
        f"{WS}/{ws['id']}/governance", headers=sarah.headers, json={"externalCounselReadOnly": False}
    )
    assert resp.status_code == 200
    assert (await api.delete(mine, headers=sarah.headers)).status_code == 204
    assert Q.member_row(db, member_id=me["id"])["status"] == "removed"


def test_two_admins_removing_each_other_at_once_keep_one(settings: Settings, db: Conn, db_url: str) -> None:
    """The last-admin rule is decided on locked rows: of two concurrent cross-removals exactly one wins.

    The test holds the member rows locked until both requests have passed their guards and wait on the lock, so
    they really run at once; decided in Python on unlocked reads, both would succeed and leave no admin."""
    with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        tokens = {}
        for name in ("Sarah", "James"):
            body = {"email": f"{name.lower()}@example.com", "name": name, "password": PASSWORD}
            tokens[name] = {
                "Authorization": f"Bearer {client.post(AUTH_REGISTER, json=body).json()['data']['accessToken']}"
            }
        body = {"name": "W", "currency": "USD", "amount": 1, "standard": "LMA"}
        created = client.post(WS, headers=tokens["Sarah"], json=body).json()
        ws_id, sarah_member = created["workspace"]["id"], created["membership"]["id"]
        invited = client.post(
            f"{WS}/{ws_id}/members", headers=tokens["Sarah"], json={"email": "james@example.com", "role": "agent"}
        ).json()["member"]
        assert client.post(f"{WS}/{ws_id}/accept-invitation", headers=tokens["James"]).status_code == 200
        base = f"{WS}/{ws_id}/members"
        calls = [(f"{base}/{invited['id']}", tokens["Sarah"]), (f"{base}/{sarah_member}", tokens["James"])]
        barrier = threading.Barrier(2)

        def call(url: str, headers: dict[str, str]) -> int:
            barrier.wait()
            return client.delete(url, headers=headers).status_code

        with ThreadPoolExecutor(2) as pool, psycopg.connect(db_url, row_factory=dict_row) as holder:
            list(Q.lock_member_rows(holder, workspace_id=ws_id))  # aiosql selects are lazy
            futures = [pool.submit(call, url, headers) for url, headers in calls]
            deadline = time.monotonic() + 4
            while Q.lock_waiters(db) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            waiting = Q.lock_waiters(db)
            holder.commit()
            codes = sorted(f.result(timeout=30) for f in futures)
    assert waiting == 2, "both removals should have waited on the member rows"
    assert codes == [204, 409]
    assert sorted(m["status"] for m in Q.members_of(db, workspace_id=ws_id)) == ["active", "removed"]
    assert [e["event_type"] for e in events(db, ws_id)].count("MEMBER_REMOVED") == 1


# ---------------------------------------------------------------------------------------------------------------
# permissions
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "is_admin", "allowed"),
    [
        ("agent", False, True),
        ("legal", False, False),
        ("risk", False, False),
        ("investor", False, False),
        ("legal", True, True),
        ("investor", True, True),
    ],
)
async def test_member_routes_permission_matrix(api: Client, role: str, is_admin: bool, allowed: bool) -> None:
    sarah = await register(api, "Sarah")
    actor = await register(api, "Actor")
    target = await register(api, "Target")
    newcomer = await register(api, "Newcomer")
    ws = await create_workspace(api, sarah)
    member = await add_member(api, sarah, ws["id"], actor, role=role)
    if is_admin:
        resp = await api.patch(f"{WS}/{ws['id']}/members/{member['id']}", headers=sarah.headers, json={"isAdmin": True})
        assert resp.status_code == 200
    victim = await add_member(api, sarah, ws["id"], target, role="investor")
    base = f"{WS}/{ws['id']}/members"

    calls = [
        ("POST", base, {"email": newcomer.email, "role": "risk"}, 201),
        ("PATCH", f"{base}/{victim['id']}", {"role": "risk"}, 200),
        ("DELETE", f"{base}/{victim['id']}", None, 204),
    ]
    for method, url, body, ok in calls:
        resp = await api.request(method, url, headers=actor.headers, json=body)
        if allowed:
            assert resp.status_code == ok, (method, resp.text)
        else:
            assert_error(resp, 403, "PERMISSION_DENIED")
    # reading the member list needs only membership
    assert (await api.get(base, headers=actor.headers)).status_code == 200


async def test_external_admin_loses_member_permissions_under_read_only(api: Client) -> None:
    sarah = await register(api, "Sarah")
    ext = await register(api, "External")
    newcomer = await register(api, "Newcomer")
    ws = await create_workspace(api, sarah)
    await add_member(api, sarah, ws["id"], ext, role="legal", is_external=True)
    members = (await api.get(f"{WS}/{ws['id']}/members", headers=sarah.headers)).json()["members"]
    ext_member = next(m for m in members if m["userId"] == ext.id)
    resp = await api.patch(f"{WS}/{ws['id']}/members/{ext_member['id']}", headers=sarah.headers, json={"isAdmin": True})
    assert resp.status_code == 200
    body: dict[str, Any] = {"email": newcomer.email, "role": "risk"}
    url = f"{WS}/{ws['id']}/members"

    await api.patch(f"{WS}/{ws['id']}/governance", headers=sarah.headers, json={"externalCounselReadOnly": True})
    assert_error(await api.post(url, headers=ext.headers, json=body), 403, "PERMISSION_DENIED")
    await api.patch(f"{WS}/{ws['id']}/governance", headers=sarah.headers, json={"externalCounselReadOnly": False})
    assert (await api.post(url, headers=ext.headers, json=body)).status_code == 201
