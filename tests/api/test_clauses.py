"""HTTP tests of the clause routes (api.md §3.3, route index rows 20–23 and 28–33; domain.md §5.1–§5.4, §11.1)
against the demo data (spec/demo-data.md; `demo_api` fixture). Rows are read back with the named queries of
tests/sql/drafting_tests.sql. The helpers here are shared with test_variables.py and test_search.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosql
import anyio
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from tests.api.race import Call, race

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "drafting_tests.sql", "psycopg")
Conn = psycopg.Connection[dict[str, Any]]
Client = AsyncTestClient[Any]

API = "/api/v1"
WS = f"{API}/workspaces"
CLAUSES = f"{API}/drafts/clauses"
SARAH = "sarah.chen@bankco.com"
JAMES = "james.wilson@legalfirm.com"
MARIA = "maria.garcia@bankco.com"
DAVID = "david.kim@investco.com"
EMMA = "emma.brown@bankco.com"
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ETAG = re.compile(r'^"[0-9a-f]{64}"$')
CLAUSE_KEYS = {
    "id",
    "workspaceId",
    "title",
    "body",
    "type",
    "order",
    "isSensitive",
    "isLocked",
    "lockedBy",
    "lockedAt",
    "lockKind",
    "lastModifiedAt",
    "lastModifiedBy",
    "createdAt",
}
OUTLINE_KEYS = {"id", "title", "type", "order", "isSensitive", "isLocked"}
REASON = {"reason": "Agreed with the borrower", "reasonCategory": "borrower_request"}


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    """A sync autocommit connection to the demo database the app under test uses."""
    with psycopg.connect(seeded_db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


async def auth(api: Client, email: str) -> dict[str, str]:
    """Log a demo user in (password Password123); the Authorization header."""
    resp = await api.post(f"{API}/auth/login", json={"email": email, "password": "Password123"})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


def assert_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body["error"]  # type: ignore[no-any-return]


def assert_clause_shape(clause: dict[str, Any]) -> None:
    assert set(clause) == CLAUSE_KEYS
    assert TS.match(clause["lastModifiedAt"]) and TS.match(clause["createdAt"])
    assert clause["lockedAt"] is None or TS.match(clause["lockedAt"])


def events(db: Conn, workspace_id: str) -> list[dict[str, Any]]:
    return list(Q.audit_events_of(db, workspace_id=workspace_id))


def orders(db: Conn, workspace_id: str) -> list[tuple[str, int]]:
    return [(r["id"], r["order"]) for r in Q.clause_orders(db, workspace_id=workspace_id)]


def assert_contiguous(db: Conn, workspace_id: str) -> list[str]:
    rows = orders(db, workspace_id)
    assert [o for _, o in rows] == list(range(1, len(rows) + 1))
    return [i for i, _ in rows]


# -- reads ------------------------------------------------------------------------------------------------------
async def test_outline_and_list(demo_api: Client) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.get(f"{WS}/ws-001/outline", headers=sarah)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"success", "outline"} and body["success"] is True
    assert [o["order"] for o in body["outline"]] == list(range(1, 13))
    assert all(set(o) == OUTLINE_KEYS for o in body["outline"])
    assert body["outline"][11]["id"] == "clause-012" and body["outline"][11]["isLocked"] is True

    resp = await demo_api.get(f"{WS}/ws-001/clauses", headers=sarah)
    body = resp.json()
    assert set(body) == {"success", "clauses"}
    assert [c["id"] for c in body["clauses"]][:3] == ["clause-001", "clause-002", "clause-003"]
    for clause in body["clauses"]:
        assert_clause_shape(clause)
    locked = body["clauses"][11]
    assert (locked["lockedBy"], locked["lockKind"], locked["lockedAt"]) == (
        "user-001",
        "user",
        "2024-12-18T10:30:00.000Z",
    )
    assert body["clauses"][0]["lockKind"] is None


async def test_get_clause_etag_and_non_member(demo_api: Client) -> None:
    resp = await demo_api.get(f"{CLAUSES}/clause-003", headers=await auth(demo_api, SARAH))
    assert resp.status_code == 200
    assert ETAG.match(resp.headers["etag"])
    clause = resp.json()["clause"]
    assert_clause_shape(clause)
    assert (clause["lastModifiedAt"], clause["lastModifiedBy"]) == ("2024-12-18T10:00:00.000Z", "user-002")
    # Emma is not a member of ws-001: 404, same as an unknown id
    emma = await auth(demo_api, EMMA)
    assert_error(await demo_api.get(f"{CLAUSES}/clause-003", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{CLAUSES}/nope", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{WS}/ws-001/clauses", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{CLAUSES}/clause-003"), 401, "UNAUTHORIZED")


# -- PATCH ------------------------------------------------------------------------------------------------------
async def test_external_counsel_read_only_gets_403(demo_api: Client) -> None:
    james = await auth(demo_api, JAMES)
    resp = await demo_api.patch(f"{CLAUSES}/clause-013", headers=james, json={"newBody": "x", **REASON})
    assert_error(resp, 403, "PERMISSION_DENIED")
    assert (await demo_api.get(f"{CLAUSES}/clause-013", headers=james)).status_code == 200


async def test_sensitive_clause_requires_reason(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    new_body = "The Applicable Margin shall be 300 basis points per annum."
    err = assert_error(
        await demo_api.patch(f"{CLAUSES}/clause-003", headers=sarah, json={"newBody": new_body}),
        400,
        "VALIDATION_ERROR",
    )
    assert {d["field"] for d in err["details"]} == {"reason", "reasonCategory"}
    resp = await demo_api.patch(f"{CLAUSES}/clause-003", headers=sarah, json={"newBody": new_body, "reason": "x"})
    assert_error(resp, 400, "VALIDATION_ERROR")
    before = await demo_api.get(f"{CLAUSES}/clause-003", headers=sarah)

    resp = await demo_api.patch(
        f"{CLAUSES}/clause-003",
        headers=sarah,
        json={"newBody": f"  {new_body}\n", "reason": "x", "reasonCategory": "other"},
    )
    assert resp.status_code == 200, resp.text
    clause = resp.json()["clause"]
    assert_clause_shape(clause)
    assert clause["body"] == new_body and clause["lastModifiedBy"] == "user-001"
    assert ETAG.match(resp.headers["etag"]) and resp.headers["etag"] != before.headers["etag"]
    event = events(db, "ws-001")[-1]
    assert event["event_type"] == "CLAUSE_EDIT"
    assert (event["actor_id"], event["actor_name"], event["target_type"], event["target_id"]) == (
        "user-001",
        "Sarah Chen",
        "clause",
        "clause-003",
    )
    assert event["before_state"] == {"body": before.json()["clause"]["body"]}
    assert event["after_state"] == {"body": new_body}
    assert (event["reason"], event["reason_category"]) == ("x", "other")


async def test_non_sensitive_patch_needs_no_reason_but_turning_sensitive_does(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.patch(f"{CLAUSES}/clause-008", headers=sarah, json={"title": "8. Defaults", "type": "xref"})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["clause"]["title"], resp.json()["clause"]["type"]) == ("8. Defaults", "xref")
    event = events(db, "ws-001")[-1]
    assert event["before_state"] == {"title": "8. Events of Default", "type": "general"}
    assert event["after_state"] == {"title": "8. Defaults", "type": "xref"}
    assert event["reason"] is None
    assert_error(
        await demo_api.patch(f"{CLAUSES}/clause-008", headers=sarah, json={"isSensitive": True}),
        400,
        "VALIDATION_ERROR",
    )
    resp = await demo_api.patch(f"{CLAUSES}/clause-008", headers=sarah, json={"isSensitive": True, **REASON})
    assert resp.status_code == 200 and resp.json()["clause"]["isSensitive"] is True


async def test_patch_validation(demo_api: Client) -> None:
    sarah = await auth(demo_api, SARAH)
    url = f"{CLAUSES}/clause-008"
    for body in (
        {},
        {"reason": "x"},
        {"newBody": ""},
        {"newBody": "   "},
        {"newBody": 5},
        {"title": "x" * 256},
        {"type": "nope"},
        {"isSensitive": "yes"},
        {"newBody": None},
        {"newBody": "ok", "reasonCategory": "bogus"},
        {"newBody": "ok", "expectedLastModifiedAt": "not a date"},
    ):
        assert_error(await demo_api.patch(url, headers=sarah, json=body), 400, "VALIDATION_ERROR")
    # investor: 403 before the body is looked at
    david = await auth(demo_api, DAVID)
    assert_error(await demo_api.patch(url, headers=david, json={}), 403, "PERMISSION_DENIED")


async def test_lock_holder_may_edit_others_get_locked(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.patch(f"{CLAUSES}/clause-012", headers=sarah, json={"newBody": "English law governs."})
    assert resp.status_code == 200, resp.text
    james = await auth(demo_api, JAMES)
    err = assert_error(
        await demo_api.patch(f"{CLAUSES}/clause-012", headers=james, json={"newBody": "Other."}), 409, "LOCKED"
    )
    assert err["details"] == {"lockedBy": "user-001", "lockedAt": "2024-12-18T10:30:00.000Z", "lockKind": "user"}


async def test_stale_write_by_etag_and_timestamp(demo_api: Client) -> None:
    sarah = await auth(demo_api, SARAH)
    got = await demo_api.get(f"{CLAUSES}/clause-009", headers=sarah)
    tag, modified = got.headers["etag"], got.json()["clause"]["lastModifiedAt"]
    resp = await demo_api.patch(f"{CLAUSES}/clause-009", headers={**sarah, "If-Match": tag}, json={"newBody": "First."})
    assert resp.status_code == 200, resp.text
    new_tag = resp.headers["etag"]
    err = assert_error(
        await demo_api.patch(f"{CLAUSES}/clause-009", headers={**sarah, "If-Match": tag}, json={"newBody": "Second."}),
        409,
        "STALE_WRITE",
    )
    assert err["details"] == {"currentEtag": new_tag, "currentLastModifiedAt": resp.json()["clause"]["lastModifiedAt"]}
    err = assert_error(
        await demo_api.patch(
            f"{CLAUSES}/clause-009", headers=sarah, json={"newBody": "Second.", "expectedLastModifiedAt": modified}
        ),
        409,
        "STALE_WRITE",
    )
    ok = await demo_api.patch(
        f"{CLAUSES}/clause-009",
        headers=sarah,
        json={"newBody": "Second.", "expectedLastModifiedAt": resp.json()["clause"]["lastModifiedAt"]},
    )
    assert ok.status_code == 200, ok.text


async def test_concurrent_patches_with_same_if_match(demo_api: Client, seeded_db_url: str) -> None:
    sarah = await auth(demo_api, SARAH)
    tag = (await demo_api.get(f"{CLAUSES}/clause-003", headers=sarah)).headers["etag"]
    headers = {**sarah, "If-Match": tag}
    first, second = await anyio.to_thread.run_sync(
        lambda: race(
            seeded_db_url,
            Call("PATCH", f"{CLAUSES}/clause-003", headers, {"newBody": "Body A.", **REASON}),
            Call("PATCH", f"{CLAUSES}/clause-003", headers, {"newBody": "Body B.", **REASON}),
        )
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["error"]["code"] == "STALE_WRITE"


# -- locks ------------------------------------------------------------------------------------------------------
async def test_lock_unlock_cycle(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    james = await auth(demo_api, JAMES)
    tag = (await demo_api.get(f"{CLAUSES}/clause-009", headers=sarah)).headers["etag"]
    resp = await demo_api.post(f"{CLAUSES}/clause-009/lock", headers=sarah)
    assert resp.status_code == 200, resp.text
    clause = resp.json()["clause"]
    assert (clause["isLocked"], clause["lockedBy"], clause["lockKind"]) == (True, "user-001", "user")
    after_lock = (await demo_api.get(f"{CLAUSES}/clause-009", headers=sarah)).headers["etag"]
    assert after_lock != tag  # the ETag changes on lock
    event = events(db, "ws-001")[-1]
    assert (event["event_type"], event["target_id"]) == ("SECTION_LOCKED", "clause-009")
    assert event["before_state"] == {"isLocked": False}
    assert event["after_state"] == {"isLocked": True, "lockedBy": "user-001", "lockKind": "user"}
    count = len(events(db, "ws-001"))

    # again by the holder: 200, no event
    assert (await demo_api.post(f"{CLAUSES}/clause-009/lock", headers=sarah)).status_code == 200
    assert len(events(db, "ws-001")) == count
    # James (legal, no lockSection) → 403; his unlock of Sarah's lock → 403; his edit → 409 LOCKED
    assert_error(await demo_api.post(f"{CLAUSES}/clause-009/lock", headers=james), 403, "PERMISSION_DENIED")
    assert_error(await demo_api.delete(f"{CLAUSES}/clause-009/lock", headers=james), 403, "PERMISSION_DENIED")
    assert_error(await demo_api.patch(f"{CLAUSES}/clause-009", headers=james, json={"newBody": "x"}), 409, "LOCKED")
    # stale unlock
    assert_error(
        await demo_api.delete(f"{CLAUSES}/clause-009/lock", headers={**sarah, "If-Match": tag}), 409, "STALE_WRITE"
    )
    resp = await demo_api.delete(f"{CLAUSES}/clause-009/lock", headers={**sarah, "If-Match": after_lock})
    assert resp.status_code == 200, resp.text
    assert resp.json()["clause"]["isLocked"] is False and resp.json()["clause"]["lockKind"] is None
    event = events(db, "ws-001")[-1]
    assert event["event_type"] == "SECTION_UNLOCKED"
    assert event["before_state"] == {"isLocked": True, "lockedBy": "user-001", "lockKind": "user"}
    assert event["after_state"] == {"isLocked": False}
    count = len(events(db, "ws-001"))
    # unlock of an unlocked clause: admin → 200 no event; James → 403
    assert (await demo_api.delete(f"{CLAUSES}/clause-009/lock", headers=sarah)).status_code == 200
    assert len(events(db, "ws-001")) == count
    assert_error(await demo_api.delete(f"{CLAUSES}/clause-009/lock", headers=james), 403, "PERMISSION_DENIED")


async def test_governance_lock_blocks_everyone_admin_unlocks(demo_api: Client, db: Conn) -> None:
    Q.lock_clause(db, clause_id="clause-009", locked_by=None)
    sarah = await auth(demo_api, SARAH)
    err = assert_error(
        await demo_api.patch(f"{CLAUSES}/clause-009", headers=sarah, json={"newBody": "x"}), 409, "LOCKED"
    )
    assert err["details"]["lockKind"] == "governance" and err["details"]["lockedBy"] is None
    assert_error(await demo_api.post(f"{CLAUSES}/clause-009/lock", headers=sarah), 409, "LOCKED")
    resp = await demo_api.delete(f"{CLAUSES}/clause-009/lock", headers=sarah)
    assert resp.status_code == 200
    assert events(db, "ws-001")[-1]["before_state"] == {"isLocked": True, "lockedBy": None, "lockKind": "governance"}


# -- structure: create / reorder / delete -----------------------------------------------------------------------
async def test_create_append_and_insert_keep_orders_contiguous(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.post(
        f"{WS}/ws-001/clauses",
        headers=sarah,
        json={"title": "13. Notices", "body": " Notices in writing. ", "type": "general"},
    )
    assert resp.status_code == 201, resp.text
    clause = resp.json()["clause"]
    assert_clause_shape(clause)
    assert (clause["order"], clause["body"], clause["isSensitive"]) == (13, "Notices in writing.", False)
    event = events(db, "ws-001")[-1]
    assert event["event_type"] == "CLAUSE_EDIT" and event["target_id"] == clause["id"]
    assert event["after_state"] == {
        "action": "create",
        "title": "13. Notices",
        "type": "general",
        "order": 13,
        "isSensitive": False,
    }

    resp = await demo_api.post(
        f"{WS}/ws-001/clauses",
        headers=sarah,
        json={
            "title": "2A. Purpose",
            "body": "For general purposes.",
            "type": "general",
            "order": 3,
            "isSensitive": True,
        },
    )
    assert resp.status_code == 201, resp.text
    inserted = resp.json()["clause"]["id"]
    ids = assert_contiguous(db, "ws-001")
    assert ids[:4] == ["clause-001", "clause-002", inserted, "clause-003"]
    assert len(ids) == 14
    for bad in ({"order": 0}, {"order": 16}, {"order": "2"}, {"type": "bad"}, {"title": ""}, {"body": ""}):
        body = {"title": "T", "body": "B", "type": "general", **bad}
        assert_error(await demo_api.post(f"{WS}/ws-001/clauses", headers=sarah, json=body), 400, "VALIDATION_ERROR")
    david = await auth(demo_api, DAVID)
    assert_error(
        await demo_api.post(f"{WS}/ws-001/clauses", headers=david, json={"title": "T", "body": "B", "type": "general"}),
        403,
        "PERMISSION_DENIED",
    )


async def test_reorder(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    ids = [i for i, _ in orders(db, "ws-002")]
    new = list(reversed(ids))
    resp = await demo_api.post(f"{WS}/ws-002/clauses/reorder", headers=sarah, json={"clauseIds": new})
    assert resp.status_code == 200, resp.text
    assert set(resp.json()) == {"success", "outline"}
    assert [o["id"] for o in resp.json()["outline"]] == new
    assert assert_contiguous(db, "ws-002") == new
    event = events(db, "ws-002")[-1]
    assert (event["event_type"], event["target_type"], event["target_id"]) == ("CLAUSE_EDIT", "workspace", "ws-002")
    assert event["before_state"] == {"order": ids}
    assert event["after_state"] == {"action": "reorder", "order": new}
    for bad in (new[:-1], [*new, "clause-001"], [new[0], *new[:-1]], [*new[:-1], "clause-001"], []):
        assert_error(
            await demo_api.post(f"{WS}/ws-002/clauses/reorder", headers=sarah, json={"clauseIds": bad}),
            400,
            "VALIDATION_ERROR",
        )
    assert_error(await demo_api.post(f"{WS}/ws-002/clauses/reorder", headers=sarah, json={}), 400, "VALIDATION_ERROR")
    # the GET of the sibling path is unaffected
    assert (await demo_api.get(f"{WS}/ws-002/clauses", headers=sarah)).status_code == 200


async def test_delete_clause(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    # sensitive under the rule: reason required (body or query)
    assert_error(await demo_api.delete(f"{CLAUSES}/clause-006", headers=sarah), 400, "VALIDATION_ERROR")
    # James (legal) lacks draft:deleteClause
    assert_error(
        await demo_api.delete(f"{CLAUSES}/clause-006", headers=await auth(demo_api, JAMES)), 403, "PERMISSION_DENIED"
    )
    resp = await demo_api.delete(
        f"{CLAUSES}/clause-006", headers=sarah, params={"reason": "Dropped", "reasonCategory": "other"}
    )
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert Q.count_clause_rows(db, clause_id="clause-006") == 0
    ids = assert_contiguous(db, "ws-001")
    assert len(ids) == 11 and "clause-006" not in ids
    assert not [
        n for n in Q.graph_nodes_of(db, workspace_id="ws-001") if n["id"] in ("node-c-clause-006", "node-v-var-005")
    ]
    event = events(db, "ws-001")[-1]
    assert (event["event_type"], event["target_id"]) == ("CLAUSE_EDIT", "clause-006")
    assert event["after_state"] == {"action": "delete"}
    assert set(event["before_state"]) == {"title", "type", "order", "isSensitive", "body"}
    assert event["before_state"]["order"] == 6
    assert (event["reason"], event["reason_category"]) == ("Dropped", "other")
    # a locked clause cannot be deleted by... the holder can; another agent cannot (none here), so check stale
    tag = (await demo_api.get(f"{CLAUSES}/clause-009", headers=sarah)).headers["etag"]
    await demo_api.patch(f"{CLAUSES}/clause-009", headers=sarah, json={"newBody": "Changed."})
    assert_error(await demo_api.delete(f"{CLAUSES}/clause-009", headers={**sarah, "If-Match": tag}), 409, "STALE_WRITE")
    assert_error(await demo_api.delete(f"{CLAUSES}/clause-006", headers=sarah), 404, "NOT_FOUND")


async def test_clause_variables(demo_api: Client) -> None:
    resp = await demo_api.get(f"{CLAUSES}/clause-003/variables", headers=await auth(demo_api, DAVID))
    assert resp.status_code == 200, resp.text
    assert set(resp.json()) == {"success", "variables"}
    assert [v["id"] for v in resp.json()["variables"]] == ["var-002", "var-010"]


async def test_archived_workspace_rejects_writes(demo_api: Client, db: Conn) -> None:
    Q.archive_workspace(db, workspace_id="ws-001")
    sarah = await auth(demo_api, SARAH)
    assert (await demo_api.get(f"{CLAUSES}/clause-008", headers=sarah)).status_code == 200
    for resp in (
        await demo_api.patch(f"{CLAUSES}/clause-008", headers=sarah, json={"newBody": "x"}),
        await demo_api.post(f"{CLAUSES}/clause-008/lock", headers=sarah),
        await demo_api.post(f"{WS}/ws-001/clauses", headers=sarah, json={"title": "T", "body": "B", "type": "general"}),
    ):
        err = assert_error(resp, 409, "CONFLICT")
        assert err["message"] == "Workspace is archived"


async def test_body_edit_follows_and_closes_clause_level_drift(demo_api: Client, db: Conn) -> None:
    original = Q.clause_body(db, clause_id="clause-009")
    assert original is not None
    Q.insert_clause_level_drift(
        db,
        id="drift-c9",
        workspace_id="ws-001",
        clause_id="clause-009",
        title="Representations Text Change",
        type="general",
        severity="LOW",
        baseline_value=original["body"],
        current_value="Edited.",
        current_modified_by="user-001",
    )
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.patch(f"{CLAUSES}/clause-009", headers=sarah, json={"newBody": "Edited again."})
    assert resp.status_code == 200, resp.text
    row = Q.drift_value_state(db, drift_id="drift-c9")
    assert row == {"status": "unresolved", "current_value": "Edited again."}

    resp = await demo_api.patch(f"{CLAUSES}/clause-009", headers=sarah, json={"newBody": original["body"]})
    assert resp.status_code == 200, resp.text
    row = Q.drift_approval_state(db, drift_id="drift-c9")
    assert row == {"status": "reverted", "approval_reason": "System: value returned to baseline"}
    tail = events(db, "ws-001")[-2:]
    assert [e["event_type"] for e in tail] == ["CLAUSE_EDIT", "DRIFT_REVERT"]
    assert tail[1]["target_id"] == "drift-c9"
    assert tail[1]["after_state"] == {"status": "reverted", "currentValue": original["body"], "system": True}
