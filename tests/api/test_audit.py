"""HTTP tests of `/audit` (api.md §3.8, routes 72–77; §1.7 pagination and keyset cursor; domain.md §11.5–§11.6)
on the demo data (demo-data.md §12, §14)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import msgspec
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.types.json import Jsonb

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "audit_tamper.sql", "psycopg")
Client = AsyncTestClient[Any]
Conn = psycopg.Connection[Any]
A = "/api/v1/audit"
SARAH = "sarah.chen@bankco.com"
JAMES = "james.wilson@legalfirm.com"
MARIA = "maria.garcia@bankco.com"
DAVID = "david.kim@investco.com"
EMMA = "emma.brown@bankco.com"
FULL_KEYS = {
    "id",
    "workspaceId",
    "timestamp",
    "actorId",
    "actorName",
    "eventType",
    "targetType",
    "targetId",
    "beforeState",
    "afterState",
    "reason",
    "reasonCategory",
    "seq",
    "hash",
    "limited",
}
HIDDEN = {"reason", "reasonCategory", "beforeState", "afterState"}


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    with psycopg.connect(seeded_db_url, autocommit=True) as conn:
        yield conn


async def login(api: Client, email: str) -> dict[str, str]:
    resp = await api.post("/api/v1/auth/login", json={"email": email, "password": "Password123"})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


def assert_error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is False and body["error"]["message"], body
    return body


# -- verify -----------------------------------------------------------------------------------------------------
async def test_verify_demo_chain(demo_api: Client) -> None:
    headers = await login(demo_api, SARAH)
    resp = await demo_api.get(f"{A}/verify", params={"workspaceId": "ws-001"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "success": True,
        "valid": True,
        "chainId": "ws-001",
        "checked": 22,
        "lastSeq": 22,
        "problems": [],
    }


async def test_verify_reports_a_deleted_row(demo_api: Client, db: Conn) -> None:
    Q.disable_audit_triggers(db)
    try:
        Q.delete_event(db, chain_id="ws-001", seq=5)
    finally:
        Q.enable_audit_triggers(db)
    headers = await login(demo_api, SARAH)
    body = (await demo_api.get(f"{A}/verify", params={"workspaceId": "ws-001"}, headers=headers)).json()
    assert body["valid"] is False and body["checked"] == 21
    assert [(p["kind"], p["seq"]) for p in body["problems"]] == [("missing", 5), ("broken_link", 6)]
    assert body["problems"][0]["eventId"] is None and body["problems"][1]["eventId"]


async def test_verify_guard_order(demo_api: Client) -> None:
    assert_error(await demo_api.get(f"{A}/verify", params={"workspaceId": "ws-001"}), 401)
    sarah = await login(demo_api, SARAH)
    assert_error(await demo_api.get(f"{A}/verify", headers=sarah), 400)
    emma = await login(demo_api, EMMA)
    assert_error(await demo_api.get(f"{A}/verify", params={"workspaceId": "ws-001"}, headers=emma), 404)
    david = await login(demo_api, DAVID)
    assert_error(await demo_api.get(f"{A}/verify", params={"workspaceId": "ws-001"}, headers=david), 403)


# -- list -------------------------------------------------------------------------------------------------------
async def test_list_first_page_matches_the_spec_example(demo_api: Client) -> None:
    headers = await login(demo_api, SARAH)
    resp = await demo_api.get(f"{A}/events", params={"workspaceId": "ws-001", "limit": 1}, headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    (event,) = body["events"]
    assert set(event) == FULL_KEYS
    assert event["id"] == "audit-035" and event["seq"] == 22 and event["limited"] is False
    assert event["timestamp"] == "2024-12-20T11:30:00.000Z"
    assert event["eventType"] == "GRAPH_SYNC" and event["beforeState"] == '{"integrityScore":89}'
    assert json.loads(event["afterState"]) == {
        "trigger": "sync",
        "integrityScore": 89,
        "nodeCount": 19,
        "edgeCount": 21,
        "driftCount": 2,
    }
    assert " " not in event["afterState"]
    assert len(event["hash"]) == 64
    page = body["pagination"]
    assert {k: v for k, v in page.items() if k != "nextCursor"} == {
        "page": 1,
        "limit": 1,
        "total": 22,
        "totalPages": 22,
        "hasNext": True,
        "hasPrev": False,
    }
    assert isinstance(page["nextCursor"], str)


async def test_list_pages_and_cursor_walk_agree(demo_api: Client) -> None:
    headers = await login(demo_api, SARAH)
    base: dict[str, Any] = {"workspaceId": "ws-001", "limit": 5}
    by_page: list[str] = []
    for page in range(1, 6):
        body = (await demo_api.get(f"{A}/events", params={**base, "page": page}, headers=headers)).json()
        by_page += [e["id"] for e in body["events"]]
    assert len(by_page) == 22 and len(set(by_page)) == 22

    by_cursor: list[str] = []
    body = (await demo_api.get(f"{A}/events", params=base, headers=headers)).json()
    by_cursor += [e["id"] for e in body["events"]]
    while body["pagination"]["nextCursor"]:
        cursor = body["pagination"]["nextCursor"]
        resp = await demo_api.get(f"{A}/events", params={**base, "cursor": cursor}, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["pagination"]["page"] is None and body["pagination"]["total"] is None
        assert body["pagination"]["hasPrev"] is True
        by_cursor += [e["id"] for e in body["events"]]
    assert by_cursor == by_page
    assert body["pagination"]["hasNext"] is False

    past = (await demo_api.get(f"{A}/events", params={**base, "page": 9}, headers=headers)).json()
    assert past["events"] == [] and past["pagination"]["total"] == 22


async def test_cursor_errors(demo_api: Client) -> None:
    headers = await login(demo_api, SARAH)
    base: dict[str, Any] = {"workspaceId": "ws-001", "limit": 2}
    cursor = (await demo_api.get(f"{A}/events", params=base, headers=headers)).json()["pagination"]["nextCursor"]
    assert_error(await demo_api.get(f"{A}/events", params={**base, "cursor": cursor, "page": 1}, headers=headers), 400)
    assert_error(await demo_api.get(f"{A}/events", params={**base, "cursor": "garbage!"}, headers=headers), 400)
    other = {**base, "eventType": "CLAUSE_EDIT"}
    assert_error(await demo_api.get(f"{A}/events", params={**other, "cursor": cursor}, headers=headers), 400)
    assert_error(await demo_api.get(f"{A}/events", params={**base, "limit": 0}, headers=headers), 400)
    assert_error(await demo_api.get(f"{A}/events", params={**base, "eventType": "NOPE"}, headers=headers), 400)
    bad_range = {**base, "startDate": "2024-12-20", "endDate": "2024-12-01"}
    assert_error(await demo_api.get(f"{A}/events", params=bad_range, headers=headers), 400)


async def test_investor_sees_the_limited_projection(demo_api: Client) -> None:
    headers = await login(demo_api, DAVID)
    resp = await demo_api.get(f"{A}/events", params={"workspaceId": "ws-001"}, headers=headers)
    assert resp.status_code == 200, resp.text
    events = resp.json()["events"]
    assert len(events) == 22
    for event in events:
        assert set(event) == FULL_KEYS - HIDDEN and event["limited"] is True
    one = await demo_api.get(f"{A}/events/audit-009", headers=headers)
    assert one.status_code == 200 and set(one.json()["event"]) == FULL_KEYS - HIDDEN
    # The keyword matches only actor name and target for limited callers: the reason text finds nothing.
    found = await demo_api.get(f"{A}/count", params={"workspaceId": "ws-001", "keyword": "Commitment"}, headers=headers)
    assert found.json()["count"] == 0
    sarah = await login(demo_api, SARAH)
    full = await demo_api.get(f"{A}/count", params={"workspaceId": "ws-001", "keyword": "Commitment"}, headers=sarah)
    assert full.json()["count"] == 2  # audit-009 and audit-010 share the reason


async def test_filters_and_count(demo_api: Client) -> None:
    headers = await login(demo_api, SARAH)
    params = {"workspaceId": "ws-001", "eventType": "VARIABLE_EDIT"}
    body = (await demo_api.get(f"{A}/events", params=params, headers=headers)).json()
    assert [e["id"] for e in body["events"]] == ["audit-026", "audit-025", "audit-019", "audit-010"]
    assert body["pagination"]["total"] == 4
    assert (await demo_api.get(f"{A}/count", params=params, headers=headers)).json() == {"success": True, "count": 4}
    day = {"workspaceId": "ws-001", "startDate": "2024-12-20", "endDate": "2024-12-20"}
    assert (await demo_api.get(f"{A}/count", params=day, headers=headers)).json()["count"] == 6
    ws = {"workspaceId": "ws-001"}
    assert (await demo_api.get(f"{A}/count", params=ws, headers=headers)).json()["count"] == 22


async def test_scoped_list_and_global_events(demo_api: Client) -> None:
    james = await login(demo_api, JAMES)  # user-002: own LOGIN events only among the globals
    body = (await demo_api.get(f"{A}/events", params={"limit": 200}, headers=james)).json()
    events = body["events"]
    assert {e["workspaceId"] for e in events} <= {"ws-001", "ws-002", "ws-003", None}
    globals_ = [e for e in events if e["workspaceId"] is None]
    assert globals_ and all(e["actorId"] == "user-002" for e in globals_)
    stamps = [(e["timestamp"], e["id"]) for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert body["pagination"]["total"] == len(events)
    # Another user's global event is invisible (404, not 403).
    assert_error(await demo_api.get(f"{A}/events/audit-023", headers=james), 404)
    sarah = await login(demo_api, SARAH)
    own = await demo_api.get(f"{A}/events/audit-023", headers=sarah)
    assert own.status_code == 200 and own.json()["event"]["limited"] is False


async def test_get_and_target(demo_api: Client) -> None:
    emma = await login(demo_api, EMMA)
    assert_error(await demo_api.get(f"{A}/events/audit-009", headers=emma), 404)
    assert_error(await demo_api.get(f"{A}/events/audit-nope", headers=emma), 404)
    assert_error(await demo_api.get(f"{A}/events", params={"workspaceId": "ws-001"}, headers=emma), 404)
    sarah = await login(demo_api, SARAH)
    resp = await demo_api.get(f"{A}/target/variable/var-002", headers=sarah)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [e["id"] for e in body["events"]] == ["audit-019"]
    assert body["pagination"]["total"] == 1 and body["pagination"]["nextCursor"] is None
    assert (await demo_api.get(f"{A}/target/variable/var-002", headers=emma)).json()["events"] == []


async def test_post_is_not_allowed_and_auth_is_required(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    body = assert_error(await demo_api.post(f"{A}/events", json={}, headers=sarah), 405)
    assert body["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert_error(await demo_api.get(f"{A}/events"), 401)
    assert_error(await demo_api.get(f"{A}/count"), 401)


# -- export -----------------------------------------------------------------------------------------------------
async def test_export_json_is_recorded_first_and_excludes_itself(demo_api: Client, db: Conn) -> None:
    headers = await login(demo_api, SARAH)
    resp = await demo_api.get(f"{A}/export", params={"workspaceId": "ws-001"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="audit_export_') and disposition.endswith('.json"')
    text = resp.text
    assert text.startswith("[") and text.endswith("]") and "},\n{" in text
    events = json.loads(text)
    assert len(events) == 22 and all(set(e) == FULL_KEYS for e in events)
    assert [e["seq"] for e in events] == list(range(22, 0, -1))
    assert isinstance(events[0]["afterState"], str)
    assert Q.chain_length(db, chain_id="ws-001") == 23  # the EXPORT_AUDIT event, committed, not exported
    latest = (await demo_api.get(f"{A}/events", params={"workspaceId": "ws-001", "limit": 1}, headers=headers)).json()
    event = latest["events"][0]
    assert event["eventType"] == "EXPORT_AUDIT" and event["targetType"] == "audit"
    assert json.loads(event["afterState"]) == {"format": "json", "eventCount": 22, "filter": {"workspaceId": "ws-001"}}


async def test_export_csv_and_empty_result(demo_api: Client) -> None:
    headers = await login(demo_api, SARAH)
    params = {"workspaceId": "ws-001", "format": "csv", "eventType": "VARIABLE_EDIT"}
    resp = await demo_api.get(f"{A}/export", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    lines = resp.text.split("\r\n")
    assert lines[0] == (
        "id,timestamp,workspaceId,actorId,actorName,eventType,targetType,targetId,beforeState,afterState,reason,"
        "reasonCategory,seq,hash"
    )
    assert lines[-1] == "" and len(lines) == 6
    assert lines[1].startswith('"audit-026","2024-12-19T09:32:00.000Z","ws-001"')
    empty = {"workspaceId": "ws-001", "keyword": "nothingmatchesthis"}
    resp = await demo_api.get(f"{A}/export", params=empty, headers=headers)
    assert resp.status_code == 200 and resp.text == "[]"
    count = await demo_api.get(
        f"{A}/count", params={"workspaceId": "ws-001", "eventType": "EXPORT_AUDIT"}, headers=headers
    )
    assert count.json()["count"] == 2


async def test_export_errors(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    assert_error(
        await demo_api.get(f"{A}/export", params={"workspaceId": "ws-001", "format": "xml"}, headers=sarah), 400
    )
    david = await login(demo_api, DAVID)
    assert_error(await demo_api.get(f"{A}/export", params={"workspaceId": "ws-001"}, headers=david), 403)
    assert_error(await demo_api.get(f"{A}/export", headers=david), 403)
    emma = await login(demo_api, EMMA)
    assert_error(await demo_api.get(f"{A}/export", params={"workspaceId": "ws-001"}, headers=emma), 404)


def test_csv_field_safety() -> None:
    from nexus.services.audit import csv_field

    assert csv_field(None) == ""
    assert csv_field('say "hi"') == '"say ""hi"""'
    assert csv_field("=SUM(A1)") == '"\'=SUM(A1)"'
    assert csv_field("-1") == '"\'-1"'
    assert csv_field("\tx") == '"\'\tx"'
    assert csv_field(7) == '"7"'


async def test_scoped_cursor_walk_matches_pages(demo_api: Client) -> None:
    headers = await login(demo_api, SARAH)
    first = (await demo_api.get(f"{A}/events", params={"limit": 200}, headers=headers)).json()
    everything = [e["id"] for e in first["events"]]
    assert first["pagination"]["total"] == len(everything)
    walked: list[str] = []
    body = (await demo_api.get(f"{A}/events", params={"limit": 7}, headers=headers)).json()
    walked += [e["id"] for e in body["events"]]
    while body["pagination"]["nextCursor"]:
        params = {"limit": 7, "cursor": body["pagination"]["nextCursor"]}
        body = (await demo_api.get(f"{A}/events", params=params, headers=headers)).json()
        walked += [e["id"] for e in body["events"]]
    assert walked == everything


# -- export bytes: the streamed file is exactly the per-event rendering (issue 7 kept the output) ------------------
SCHEMA_Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "schema_tests.sql", "psycopg")
_NUMERIC_JSON = msgspec.json.Encoder(decimal_format="number")
TRICKY_STATES: list[Any] = [
    {"value": 'q"b\\s/ \b\f\n\r\t \x01\x1f\x7f', "é": "€ 𝄞 \u2028", "nested": {"list": [1, True, None, "x", {}]}},
    {"amount": Decimal("1.50"), "big": -(2**70), "zero": Decimal("0.0"), "": "", "e": Decimal("1E+5")},
    ["=1+1", {"k": [[], {}]}],
    None,
]
# Texts as jsonb prints them (", " and ": " separators, escapes, numeric scale kept).
JSONB_TEXTS = [
    '{"a": 1, "b": "x, y: z", "c": [1, 2.50, -3, 12345678901234567890123], "d": null, "e": true}',
    '{"s": "q\\"b\\\\s/ \\b\\f\\n\\r\\t \\u0001\\u001f\x7f é € 𝄞 \u2028", "": {}, "l": [[], {"k": 0.000}]}',
    '"just a string"',
    "[]",
]


def test_compact_state_equals_the_json_module_rendering() -> None:
    from nexus.services.audit import compact_state

    for text in JSONB_TEXTS:
        reference = json.dumps(
            json.loads(text, parse_float=Decimal), separators=(",", ":"), ensure_ascii=False, default=str
        )
        assert compact_state(text) == reference


async def test_export_bytes_equal_the_listed_events_rendering(demo_api: Client, db: Conn) -> None:
    from nexus.services.audit import csv_header, csv_row

    headers = await login(demo_api, SARAH)
    listed = (await demo_api.get(f"{A}/events", params={"workspaceId": "ws-001", "limit": 1}, headers=headers)).json()
    actor_id = listed["events"][0]["actorId"]
    for i, state in enumerate(TRICKY_STATES):
        SCHEMA_Q.append_full_audit_event(
            db,
            workspace_id="ws-001",
            actor_id=actor_id,
            actor_name=f'Ann "{i}" \\ é\t',
            event_type="VARIABLE_EDIT",
            target_type="variable",
            target_id=f"=cmd|' /C calc'!A{i}",
            before_state=None if state is None else Jsonb(state, dumps=lambda v: _NUMERIC_JSON.encode(v).decode()),
            after_state=Jsonb({"i": i}),
            reason=f'-{i} "quoted"\r\nline',
            reason_category="other",
            ts=None,
        )
    page = await demo_api.get(f"{A}/events", params={"workspaceId": "ws-001", "limit": 100}, headers=headers)
    events = page.json()["events"]
    assert len(events) == 22 + len(TRICKY_STATES)
    resp = await demo_api.get(f"{A}/export", params={"workspaceId": "ws-001"}, headers=headers)
    assert resp.status_code == 200
    rendered = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in events]
    assert resp.content == ("[" + ",\n".join(rendered) + "]").encode()
    # The CSV file, after the JSON export's EXPORT_AUDIT event joined the list.
    page = await demo_api.get(f"{A}/events", params={"workspaceId": "ws-001", "limit": 100}, headers=headers)
    events = page.json()["events"]
    resp = await demo_api.get(f"{A}/export", params={"workspaceId": "ws-001", "format": "csv"}, headers=headers)
    assert resp.status_code == 200
    assert resp.content == (csv_header() + "".join(csv_row(e) for e in events)).encode()
    assert "\"'=cmd|' /C calc'!A0\"" in resp.text and '"\'-0 ""quoted""\r\nline"' in resp.text
