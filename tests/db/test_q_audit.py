"""Generated audit queries (nexus/db/queries/audit.py) against the demo data (demo-data.md §12, domain.md §11).

Every function of the module runs at least once and its result is checked against the dataset: keyset pages
continue exactly where the previous page ended, the LATERAL union equals the naive ordered union, keyword search and
visibility follow domain.md §11.6, the verification stream recomputes every hash, and the hot page queries plan on
idx_audit_ws_keyset.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest

from nexus.db.queries import audit as q
from nexus.domain import audit as chain

# Marked at collection time so anyio keeps the parametrize ids (the conftest's late marker would drop them).
pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CHECKS: Any = aiosql.from_path(ROOT / "tests" / "sql" / "q_audit_checks.sql", "apsycopg")
PROD: Any = aiosql.from_path(ROOT / "sql" / "audit.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
Row = q.AuditEventRow

# demo-data.md §12, newest first.
WS1 = [
    "audit-035", "audit-034", "audit-033", "audit-031", "audit-030", "audit-029", "audit-028", "audit-027",
    "audit-026", "audit-025", "audit-024", "audit-020", "audit-019", "audit-018", "audit-012", "audit-011",
    "audit-010", "audit-009", "audit-004", "audit-003", "audit-002", "audit-001",
]  # fmt: skip
WS2 = ["audit-022", "audit-021", "audit-016", "audit-006", "audit-005"]
WS3 = ["audit-015", "audit-014", "audit-013", "audit-008", "audit-007"]
GLOBAL = {"user-002": ["audit-017"], "user-001": ["audit-023"], "user-003": ["audit-032"]}
SARAH_WS = ["ws-001", "ws-002", "ws-003"]
CHAINS = {"global": 3, "ws-001": 22, "ws-002": 5, "ws-003": 5}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ids(rows: Iterable[Any]) -> list[str]:
    return [row.id for row in rows]


@pytest.fixture
async def conn(seeded_db_url: str) -> AsyncIterator[Conn]:
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


async def walk(fetch: Callable[[Row | None], Awaitable[list[Row]]], page: int) -> list[Row]:
    """Follow a keyset cursor to the end: each page must continue exactly where the previous one ended."""
    rows: list[Row] = []
    last: Row | None = None
    while True:
        batch = await fetch(last)
        assert len(batch) <= page
        if rows and batch:
            assert (batch[0].timestamp, batch[0].id) < (rows[-1].timestamp, rows[-1].id)
        rows += batch
        if len(batch) < page:
            return rows
        last = batch[-1]


def assert_newest_first(rows: list[Row]) -> None:
    keys = [(r.timestamp, r.id) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert len(set(keys)) == len(keys)


# ---------------------------------------------------------------------------------------------------------- append


async def test_append_event_chains_and_moves_the_head(conn: Conn) -> None:
    event_id = await q.append_event(
        conn,
        workspace_id="ws-003",
        actor_id="user-005",
        actor_name="Emma Brown",
        event_type="CLAUSE_EDIT",
        target_type="clause",
        target_id="clause-021",
        before_state={"body": "old"},
        after_state={"body": "new", "count": 2},
        reason="Test append",
        reason_category="other",
    )
    assert event_id is not None
    row = await q.get_event(conn, event_id=event_id)
    assert row is not None
    assert (row.workspace_id, row.seq, row.event_type, row.reason_category) == ("ws-003", 6, "CLAUSE_EDIT", "other")
    assert row.after_state is not None and json.loads(row.after_state) == {"body": "new", "count": 2}
    head = await q.get_chain_head(conn, chain_id="ws-003")
    assert head is not None and (head.last_seq, head.last_hash) == (6, row.hash)
    assert await q.count_workspace_events(conn, workspace_id="ws-003") == 6
    first = await q.list_workspace_events(conn, workspace_id="ws-003", page_limit=1)
    assert ids(first) == [event_id]

    global_id = await q.append_event(
        conn,
        workspace_id=None,
        actor_id="user-005",
        actor_name="Emma Brown",
        event_type="LOGIN",
        target_type=None,
        target_id=None,
        before_state=None,
        after_state=None,
        reason=None,
        reason_category=None,
    )
    assert ids(await q.list_global_events(conn, actor_id="user-005", page_limit=10)) == [global_id]
    assert await q.count_global_events(conn, actor_id="user-005") == 1


# ------------------------------------------------------------------------------------------------- workspace list


async def test_workspace_first_page_is_the_newest_events(conn: Conn) -> None:
    rows = await q.list_workspace_events(conn, workspace_id="ws-001", page_limit=5)
    assert ids(rows) == WS1[:5]
    newest = rows[0]
    assert newest.timestamp == ts("2024-12-20T11:30:00+00:00")
    assert (newest.actor_id, newest.actor_name, newest.event_type) == ("user-001", "Sarah Chen", "GRAPH_SYNC")
    assert (newest.target_type, newest.target_id, newest.seq) == ("workspace", "ws-001", 22)
    assert newest.before_state is not None and json.loads(newest.before_state) == {"integrityScore": 89}
    assert newest.after_state is not None and json.loads(newest.after_state)["nodeCount"] == 19
    assert re.fullmatch(r"[0-9a-f]{64}", newest.hash)
    all_rows = await q.list_workspace_events(conn, workspace_id="ws-001", page_limit=200)
    assert ids(all_rows) == WS1
    assert [r.seq for r in all_rows] == list(range(22, 0, -1))
    assert await q.list_workspace_events(conn, workspace_id="ws-404", page_limit=5) == []


async def test_workspace_keyset_pages_continue_where_the_last_ended(conn: Conn) -> None:
    first = await q.list_workspace_events(conn, workspace_id="ws-001", page_limit=10)
    second = await q.list_workspace_events_after(
        conn, workspace_id="ws-001", before_ts=first[-1].timestamp, before_id=first[-1].id, page_limit=10
    )
    assert ids(first) == WS1[:10]
    assert ids(second) == WS1[10:20]

    async def page(last: Row | None) -> list[Row]:
        if last is None:
            return await q.list_workspace_events(conn, workspace_id="ws-001", page_limit=4)
        return await q.list_workspace_events_after(
            conn, workspace_id="ws-001", before_ts=last.timestamp, before_id=last.id, page_limit=4
        )

    walked = await walk(page, 4)
    assert ids(walked) == WS1
    assert_newest_first(walked)
    oldest = walked[-1]
    assert (
        await q.list_workspace_events_after(
            conn, workspace_id="ws-001", before_ts=oldest.timestamp, before_id=oldest.id, page_limit=10
        )
        == []
    )


async def test_workspace_offset_pages_and_total(conn: Conn) -> None:
    assert (
        ids(await q.list_workspace_events_page(conn, workspace_id="ws-001", page_limit=10, page_offset=0)) == WS1[:10]
    )
    assert (
        ids(await q.list_workspace_events_page(conn, workspace_id="ws-001", page_limit=10, page_offset=20)) == WS1[20:]
    )
    assert await q.list_workspace_events_page(conn, workspace_id="ws-001", page_limit=10, page_offset=30) == []
    assert await q.count_workspace_events(conn, workspace_id="ws-001") == 22
    assert await q.count_workspace_events(conn, workspace_id="ws-002") == 5
    assert await q.count_workspace_events(conn, workspace_id="ws-404") == 0


# ---------------------------------------------------------------------------------------------- global + unscoped


async def test_global_events_are_only_the_actors_own(conn: Conn) -> None:
    for actor, expected in GLOBAL.items():
        rows = await q.list_global_events(conn, actor_id=actor, page_limit=10)
        assert ids(rows) == expected
        assert all(r.workspace_id is None and r.actor_id == actor and r.event_type == "LOGIN" for r in rows)
        assert await q.count_global_events(conn, actor_id=actor) == 1
        last = rows[-1]
        assert (
            await q.list_global_events_after(
                conn, actor_id=actor, before_ts=last.timestamp, before_id=last.id, page_limit=10
            )
            == []
        )
    assert await q.list_global_events(conn, actor_id="user-004", page_limit=10) == []
    assert await q.count_global_events(conn, actor_id="user-004") == 0
    # The cursor is exclusive: starting just after the event returns it.
    after = await q.list_global_events_after(
        conn, actor_id="user-001", before_ts=ts("2024-12-19T08:50:00.000001+00:00"), before_id="", page_limit=10
    )
    assert ids(after) == ["audit-023"]


async def test_audit_memberships_scope_the_unscoped_list(conn: Conn) -> None:
    sarah = await q.list_audit_memberships(conn, user_id="user-001")
    assert [(m.workspace_id, m.role, m.is_admin) for m in sarah] == [
        ("ws-001", "agent", True),
        ("ws-002", "agent", True),
        ("ws-003", "agent", False),
    ]
    assert all(m.status == "active" and m.archived_at is None for m in sarah)
    assert isinstance(sarah[0].governance_rules, dict) and sarah[0].governance_rules["legalCanRevertDraft"] is True
    david = await q.list_audit_memberships(conn, user_id="user-004")
    assert [(m.workspace_id, m.role, m.is_external) for m in david] == [("ws-001", "investor", False)]
    await CHECKS.set_member_status(conn, member_id="wm-004", status="removed")
    assert await q.list_audit_memberships(conn, user_id="user-004") == []


@pytest.mark.parametrize(
    ("actor", "workspaces", "total"),
    [("user-001", SARAH_WS, 33), ("user-003", ["ws-001", "ws-002"], 28), ("user-004", ["ws-001"], 22)],
)
async def test_lateral_union_equals_the_naive_ordered_union(
    conn: Conn, actor: str, workspaces: list[str], total: int
) -> None:
    assert [m.workspace_id for m in await q.list_audit_memberships(conn, user_id=actor)] == workspaces
    naive = [r[0] async for r in CHECKS.naive_scoped_ids(conn, workspace_ids=workspaces, actor_id=actor)]
    per_workspace = {"ws-001": WS1, "ws-002": WS2, "ws-003": WS3}
    visible = {i for w in workspaces for i in per_workspace[w]} | set(GLOBAL.get(actor, []))
    assert len(naive) == total and set(naive) == visible

    first = await q.list_scoped_events(conn, workspace_ids=workspaces, actor_id=actor, page_limit=7)
    assert ids(first) == naive[:7]
    everything = await q.list_scoped_events(conn, workspace_ids=workspaces, actor_id=actor, page_limit=200)
    assert ids(everything) == naive
    assert_newest_first(everything)

    async def page(last: Row | None) -> list[Row]:
        if last is None:
            return await q.list_scoped_events(conn, workspace_ids=workspaces, actor_id=actor, page_limit=6)
        return await q.list_scoped_events_after(
            conn, workspace_ids=workspaces, actor_id=actor, before_ts=last.timestamp, before_id=last.id, page_limit=6
        )

    assert ids(await walk(page, 6)) == naive
    for offset in (0, 6, 30):
        rows = await q.list_scoped_events_page(
            conn, workspace_ids=workspaces, actor_id=actor, page_limit=6, page_offset=offset
        )
        assert ids(rows) == naive[offset : offset + 6]
    assert await q.count_scoped_events(conn, workspace_ids=workspaces, actor_id=actor) == total


async def test_unscoped_list_without_workspaces_is_the_callers_global_events(conn: Conn) -> None:
    rows = await q.list_scoped_events(conn, workspace_ids=[], actor_id="user-002", page_limit=50)
    assert ids(rows) == ["audit-017"]
    assert await q.count_scoped_events(conn, workspace_ids=[], actor_id="user-002") == 1
    assert await q.count_scoped_events(conn, workspace_ids=[], actor_id="user-004") == 0


# -------------------------------------------------------------------------------------------------------- filters


async def test_filter_by_event_type(conn: Conn) -> None:
    expected = ["audit-026", "audit-025", "audit-019", "audit-010"]
    rows = await q.list_workspace_events_by_type(
        conn, workspace_id="ws-001", event_type="VARIABLE_EDIT", before_ts=None, before_id=None, page_limit=50,
        page_offset=0,
    )  # fmt: skip
    assert ids(rows) == expected
    assert all(r.event_type == "VARIABLE_EDIT" for r in rows)
    first = await q.list_workspace_events_by_type(
        conn, workspace_id="ws-001", event_type="VARIABLE_EDIT", before_ts=None, before_id=None, page_limit=2,
        page_offset=0,
    )  # fmt: skip
    nxt = await q.list_workspace_events_by_type(
        conn, workspace_id="ws-001", event_type="VARIABLE_EDIT", before_ts=first[-1].timestamp,
        before_id=first[-1].id, page_limit=2, page_offset=0,
    )  # fmt: skip
    by_offset = await q.list_workspace_events_by_type(
        conn, workspace_id="ws-001", event_type="VARIABLE_EDIT", before_ts=None, before_id=None, page_limit=2,
        page_offset=2,
    )  # fmt: skip
    assert ids(first) == expected[:2] and ids(nxt) == ids(by_offset) == expected[2:]
    assert await q.count_workspace_events_by_type(conn, workspace_id="ws-001", event_type="VARIABLE_EDIT") == 4
    assert await q.count_workspace_events_by_type(conn, workspace_id="ws-002", event_type="VARIABLE_EDIT") == 0


async def test_filter_by_actor(conn: Conn) -> None:
    rows = await q.list_workspace_events_by_actor(
        conn, workspace_id="ws-001", actor_id="user-003", before_ts=None, before_id=None, page_limit=50, page_offset=0
    )
    assert ids(rows) == ["audit-034", "audit-033"]
    assert all(r.actor_name == "Maria Garcia" for r in rows)
    nxt = await q.list_workspace_events_by_actor(
        conn, workspace_id="ws-001", actor_id="user-003", before_ts=rows[0].timestamp, before_id=rows[0].id,
        page_limit=50, page_offset=0,
    )  # fmt: skip
    assert ids(nxt) == ["audit-033"]
    assert await q.count_workspace_events_by_actor(conn, workspace_id="ws-001", actor_id="user-003") == 2
    assert await q.count_workspace_events_by_actor(conn, workspace_id="ws-001", actor_id="user-002") == 5


async def test_filter_by_date_range(conn: Conn) -> None:
    day_start, day_end = ts("2024-12-19T00:00:00+00:00"), ts("2024-12-19T23:59:59.999999+00:00")
    rows = await q.list_workspace_events_in_range(
        conn, workspace_id="ws-001", start_at=day_start, end_at=day_end, before_ts=None, before_id=None,
        page_limit=50, page_offset=0,
    )  # fmt: skip
    assert ids(rows) == ["audit-028", "audit-027", "audit-026", "audit-025", "audit-024"]
    assert await q.count_workspace_events_in_range(conn, workspace_id="ws-001", start_at=day_start, end_at=day_end) == 5
    # Bounds are inclusive and each may be open.
    since = ts("2024-12-20T09:00:00+00:00")
    rows = await q.list_workspace_events_in_range(
        conn, workspace_id="ws-001", start_at=since, end_at=None, before_ts=None, before_id=None, page_limit=50,
        page_offset=0,
    )  # fmt: skip
    assert ids(rows) == WS1[:6] and rows[-1].id == "audit-029"
    until = ts("2024-06-01T09:11:00+00:00")
    assert await q.count_workspace_events_in_range(conn, workspace_id="ws-001", start_at=None, end_at=until) == 3
    rows = await q.list_workspace_events_in_range(
        conn, workspace_id="ws-001", start_at=None, end_at=until, before_ts=ts("2024-06-01T09:11:00+00:00"),
        before_id="audit-003", page_limit=50, page_offset=0,
    )  # fmt: skip
    assert ids(rows) == ["audit-002", "audit-001"]


async def test_target_events_stay_in_the_callers_scope(conn: Conn) -> None:
    async def target(t: str, i: str, workspaces: list[str], actor: str | None, **kw: Any) -> list[str]:
        opts: dict[str, Any] = {"before_ts": None, "before_id": None, "page_limit": 50, "page_offset": 0} | kw
        return ids(
            await q.list_target_events(
                conn, target_type=t, target_id=i, workspace_ids=workspaces, global_actor_id=actor, **opts
            )
        )

    assert await target("clause", "clause-003", ["ws-001"], None) == ["audit-018"]
    assert await target("clause", "clause-003", ["ws-002", "ws-003"], "user-001") == []
    assert await target("workspace", "ws-002", SARAH_WS, "user-001") == ["audit-016", "audit-006", "audit-005"]
    assert await target("workspace", "ws-002", SARAH_WS, None, page_limit=2, page_offset=1) == [
        "audit-006",
        "audit-005",
    ]
    assert await target(
        "workspace", "ws-002", ["ws-002"], None, before_ts=ts("2024-08-15T10:20:00+00:00"), before_id="audit-006"
    ) == ["audit-005"]
    # Global events: only the actor's own.
    assert await target("session", "sess-002", [], "user-001") == ["audit-023"]
    assert await target("session", "sess-002", SARAH_WS, "user-002") == []
    assert await target("session", "sess-002", SARAH_WS, None) == []

    assert await q.count_target_events(
        conn, target_type="workspace", target_id="ws-002", workspace_ids=SARAH_WS, global_actor_id="user-001"
    ) == 3  # fmt: skip
    assert await q.count_target_events(
        conn, target_type="session", target_id="sess-002", workspace_ids=[], global_actor_id="user-001"
    ) == 1  # fmt: skip
    assert await q.count_target_events(
        conn, target_type="session", target_id="sess-002", workspace_ids=SARAH_WS, global_actor_id=None
    ) == 0  # fmt: skip


async def test_keyword_search_full_and_limited(conn: Conn) -> None:
    async def full(keyword: str) -> list[str]:
        return ids(
            await q.search_workspace_events(
                conn, workspace_id="ws-001", keyword=keyword, before_ts=None, before_id=None, page_limit=50,
                page_offset=0,
            )
        )  # fmt: skip

    async def limited(keyword: str) -> list[str]:
        return ids(
            await q.search_workspace_events_limited(
                conn, workspace_id="ws-001", keyword=keyword, before_ts=None, before_id=None, page_limit=50,
                page_offset=0,
            )
        )  # fmt: skip

    # Reason words (audit-029: "Margin increase too aggressive for current market").
    assert await full("aggressive") == ["audit-029"]
    assert await full("Margin increase") == ["audit-029", "audit-019", "audit-018"]
    assert await full('"too aggressive" OR "latest markup"') == ["audit-029", "audit-019", "audit-018"]
    assert await full('"increase requested"') == ["audit-019", "audit-018"]
    # Clause bodies in the states count too: clause-011 (audit-009) mentions the Applicable Margin.
    assert await full("Margin -aggressive") == ["audit-019", "audit-018", "audit-009"]
    # State values: var-005 4.00 -> 4.50 (audit-025) and the clause-006 body (audit-024).
    assert await full("4.50") == ["audit-025", "audit-024"]
    assert await q.count_search_workspace_events(conn, workspace_id="ws-001", keyword="Margin increase") == 3
    page2 = await q.search_workspace_events(
        conn, workspace_id="ws-001", keyword="Margin increase", before_ts=ts("2024-12-20T09:00:00+00:00"),
        before_id="audit-029", page_limit=50, page_offset=0,
    )  # fmt: skip
    assert ids(page2) == ["audit-019", "audit-018"]

    # Limited callers: reasons and states never match; actor name and target do.
    assert await limited("aggressive") == []
    assert await limited("4.50") == []
    assert await limited("Maria") == ["audit-034", "audit-033"]
    assert await limited("clause-012") == ["audit-020"]
    assert await q.count_search_workspace_events_limited(conn, workspace_id="ws-001", keyword="aggressive") == 0
    assert await q.count_search_workspace_events_limited(conn, workspace_id="ws-001", keyword="Maria") == 2
    by_offset = await q.search_workspace_events_limited(
        conn, workspace_id="ws-001", keyword="Maria", before_ts=None, before_id=None, page_limit=1, page_offset=1
    )
    assert ids(by_offset) == ["audit-033"]


async def test_filtered_list_any_combination(conn: Conn) -> None:
    none: dict[str, Any] = {
        "event_type": None, "actor_id": None, "target_type": None, "target_id": None, "start_at": None,
        "end_at": None, "keyword": None,
    }  # fmt: skip

    async def listed(full: list[str], limited: list[str], actor: str | None, **kw: Any) -> list[Row]:
        args = none | {"before_ts": None, "before_id": None, "page_limit": 50, "page_offset": 0} | kw
        return await q.list_events_filtered(
            conn, full_workspace_ids=full, limited_workspace_ids=limited, global_actor_id=actor, **args
        )

    async def counted(full: list[str], limited: list[str], actor: str | None, **kw: Any) -> int | None:
        args = none | kw
        return await q.count_events_filtered(
            conn, full_workspace_ids=full, limited_workspace_ids=limited, global_actor_id=actor, **args
        )

    # No filter: the unscoped list, in both modes.
    naive = [r[0] async for r in CHECKS.naive_scoped_ids(conn, workspace_ids=SARAH_WS, actor_id="user-001")]
    assert ids(await listed(SARAH_WS, [], "user-001", page_limit=200)) == naive
    assert await counted(SARAH_WS, [], "user-001") == 33

    async def page(last: Row | None) -> list[Row]:
        cursor = {} if last is None else {"before_ts": last.timestamp, "before_id": last.id}
        return await listed(SARAH_WS, [], "user-001", page_limit=5, **cursor)

    assert ids(await walk(page, 5)) == naive
    assert ids(await listed(SARAH_WS, [], "user-001", page_limit=5, page_offset=10)) == naive[10:15]

    # Combinations.
    assert ids(await listed(SARAH_WS, [], "user-001", event_type="LOGIN")) == ["audit-023"]
    rows = await listed(["ws-001"], [], None, event_type="VARIABLE_EDIT", actor_id="user-001")
    assert ids(rows) == ["audit-026", "audit-025"]
    assert await counted(["ws-001"], [], None, event_type="VARIABLE_EDIT", actor_id="user-001") == 2
    rows = await listed(
        SARAH_WS, [], "user-001", start_at=ts("2024-12-18T00:00:00+00:00"), end_at=ts("2024-12-19T09:00:00+00:00")
    )
    assert ids(rows) == ["audit-023", "audit-022", "audit-021", "audit-020", "audit-019", "audit-018"]
    assert await counted(SARAH_WS, [], "user-001", target_type="workspace", target_id="ws-003") == 3
    rows = await listed(SARAH_WS, [], "user-001", target_type="golden_record", keyword="approved")
    assert ids(rows) == ["audit-022"]
    # Keyword by projection: the same workspace as full or limited scope.
    assert ids(await listed(["ws-001"], [], None, keyword="aggressive")) == ["audit-029"]
    assert ids(await listed([], ["ws-001"], None, keyword="aggressive")) == []
    assert await counted([], ["ws-001"], None, keyword="aggressive") == 0
    maria = await listed(["ws-002"], ["ws-001"], "user-003", keyword="Maria")
    assert ids(maria) == ["audit-034", "audit-033", "audit-032"]
    assert await counted(["ws-002"], ["ws-001"], "user-003", keyword="Maria") == 3


async def test_export_batches_walk_the_whole_scope(conn: Conn) -> None:
    none: dict[str, Any] = {
        "event_type": None, "actor_id": None, "target_type": None, "target_id": None, "start_at": None,
        "end_at": None, "keyword": None,
    }  # fmt: skip
    scope = ["ws-001", "ws-002"]
    naive = [r[0] async for r in CHECKS.naive_scoped_ids(conn, workspace_ids=scope, actor_id="user-001")]
    assert len(naive) == 28

    async def batch(last: Row | None) -> list[Row]:
        cursor = (
            {"before_ts": None, "before_id": None}
            if last is None
            else {"before_ts": last.timestamp, "before_id": last.id}
        )
        return await q.export_events_batch(
            conn, workspace_ids=scope, global_actor_id="user-001", batch_size=10, **none, **cursor
        )

    exported = await walk(batch, 10)
    assert ids(exported) == naive
    assert all(r.before_state is None or isinstance(json.loads(r.before_state), dict) for r in exported)
    filtered = await q.export_events_batch(
        conn, workspace_ids=scope, global_actor_id=None, batch_size=10, before_ts=None, before_id=None,
        **(none | {"event_type": "RECON_APPLY"}),
    )  # fmt: skip
    assert ids(filtered) == ["audit-030"]
    assert filtered[0].reason == "Acceptable operational change"
    assert filtered[0].reason_category == "borrower_request"


# ----------------------------------------------------------------------------------------------- single events


async def test_get_event_follows_visibility(conn: Conn) -> None:
    david = await q.get_event_for_user(conn, event_id="audit-029", user_id="user-004")
    assert david is not None
    assert (david.id, david.workspace_id, david.role, david.status, david.is_admin) == (
        "audit-029", "ws-001", "investor", "active", False,
    )  # fmt: skip
    assert david.reason == "Margin increase too aggressive for current market"
    assert isinstance(david.governance_rules, dict) and david.archived_at is None
    # Not a member of ws-001: not visible.
    assert await q.get_event_for_user(conn, event_id="audit-029", user_id="user-005") is None
    # Global events: the actor only, without membership fields.
    own = await q.get_event_for_user(conn, event_id="audit-023", user_id="user-001")
    assert own is not None and own.workspace_id is None and own.role is None and own.governance_rules is None
    assert await q.get_event_for_user(conn, event_id="audit-023", user_id="user-002") is None
    assert await q.get_event_for_user(conn, event_id="audit-404", user_id="user-001") is None
    # Only an ACTIVE membership counts.
    await CHECKS.set_member_status(conn, member_id="wm-004", status="removed")
    assert await q.get_event_for_user(conn, event_id="audit-029", user_id="user-004") is None
    await CHECKS.set_member_status(conn, member_id="wm-004", status="pending")
    assert await q.get_event_for_user(conn, event_id="audit-029", user_id="user-004") is None

    row = await q.get_event(conn, event_id="audit-001")
    assert row is not None
    assert (row.workspace_id, row.seq, row.event_type, row.timestamp) == (
        "ws-001", 1, "WORKSPACE_CREATE", ts("2024-06-01T09:00:00+00:00"),
    )  # fmt: skip
    assert row.after_state is not None and json.loads(row.after_state)["amount"] == "500000000.00"
    assert await q.get_event(conn, event_id="audit-404") is None


# ------------------------------------------------------------------------------------------------- verification


def _parse_state(text: str | None) -> Any:
    return None if text is None else json.loads(text, parse_float=Decimal)


async def test_verification_stream_recomputes_every_hash(conn: Conn) -> None:
    heads = await q.list_chain_heads(conn)
    assert {h.chain_id: h.last_seq for h in heads} == CHAINS
    assert [h.chain_id for h in heads] == sorted(CHAINS)
    for chain_id, length in CHAINS.items():
        head = await q.get_chain_head(conn, chain_id=chain_id)
        assert head is not None and head.last_seq == length
        rows: list[q.ChainEventsBatchRow] = []
        after = 0
        while batch := await q.chain_events_batch(conn, chain_id=chain_id, after_seq=after, batch_size=4):
            assert len(batch) <= 4
            rows += batch
            after = batch[-1].seq
        assert [r.seq for r in rows] == list(range(1, length + 1))
        previous = chain.GENESIS_HASH
        for r in rows:
            event = r._asdict() | {
                "before_state": _parse_state(r.before_state),
                "after_state": _parse_state(r.after_state),
            }
            assert chain.event_hash(event) == r.hash, (chain_id, r.seq)
            assert r.prev_hash == previous
            assert r.chain_id == chain_id and r.workspace_id == (None if chain_id == "global" else chain_id)
            previous = r.hash
        assert (rows[-1].seq, rows[-1].hash) == (head.last_seq, head.last_hash)
        assert head.last_timestamp == rows[-1].timestamp
    assert await q.get_chain_head(conn, chain_id="ws-404") is None
    assert await q.chain_events_batch(conn, chain_id="ws-001", after_seq=22, batch_size=10) == []


# -------------------------------------------------------------------------------------------------------- plans


def _nodes(plan: Any) -> Iterable[dict[str, Any]]:
    if isinstance(plan, list):
        for item in plan:
            yield from _nodes(item)
    elif isinstance(plan, dict):
        if "Node Type" in plan:
            yield plan
        for key in ("Plan", "Plans"):
            if key in plan:
                yield from _nodes(plan[key])


def _normalise(sql: str) -> str:
    return " ".join(sql.replace("EXPLAIN (FORMAT JSON)", "", 1).split()).rstrip(";").strip()


@pytest.mark.parametrize(
    "name",
    [
        "list_workspace_events",
        "list_workspace_events_after",
        "list_workspace_events_page",
        "list_scoped_events",
        "list_target_events",
        "chain_events_batch",
    ],
)
def test_explained_copies_are_the_production_queries(name: str) -> None:
    assert _normalise(getattr(CHECKS, f"explain_{name}").sql) == _normalise(getattr(PROD, name).sql)


async def test_hot_page_queries_plan_on_the_keyset_index(conn: Conn) -> None:
    await CHECKS.disable_seqscan(conn)
    cursor_ts, cursor_id = ts("2024-12-19T09:31:00+00:00"), "audit-025"

    for plan in (
        await CHECKS.explain_list_workspace_events(conn, workspace_id="ws-001", page_limit=50),
        await CHECKS.explain_list_workspace_events_after(
            conn, workspace_id="ws-001", before_ts=cursor_ts, before_id=cursor_id, page_limit=50
        ),
        await CHECKS.explain_list_workspace_events_page(conn, workspace_id="ws-001", page_limit=50, page_offset=50),
    ):
        nodes = list(_nodes(plan))
        scans = [n for n in nodes if "Index Name" in n]
        assert [n["Index Name"] for n in scans] == ["idx_audit_ws_keyset"], nodes
        assert scans[0]["Node Type"] in ("Index Scan", "Index Only Scan")
        # The index already yields list order: no sort, no sequential scan.
        assert not any(n["Node Type"] in ("Sort", "Seq Scan", "Bitmap Heap Scan") for n in nodes), nodes

    after = list(_nodes(await CHECKS.explain_list_workspace_events_after(
        conn, workspace_id="ws-001", before_ts=cursor_ts, before_id=cursor_id, page_limit=50
    )))  # fmt: skip
    cond = next(n["Index Cond"] for n in after if n.get("Index Name") == "idx_audit_ws_keyset")
    assert "ROW(" in cond and "workspace_id" in cond  # the cursor is an index condition, not a filter

    scoped = list(_nodes(await CHECKS.explain_list_scoped_events(
        conn, workspace_ids=SARAH_WS, actor_id="user-001", page_limit=50
    )))  # fmt: skip
    used = {n.get("Index Name") for n in scoped}
    assert {"idx_audit_ws_keyset", "idx_audit_global_actor", "audit_events_pkey"} <= used, scoped
    assert not any(n["Node Type"] == "Seq Scan" for n in scoped)

    target = list(_nodes(await CHECKS.explain_list_target_events(
        conn, target_type="workspace", target_id="ws-001", workspace_ids=SARAH_WS, global_actor_id="user-001",
        before_ts=None, before_id=None, page_limit=50, page_offset=0,
    )))  # fmt: skip
    assert "idx_audit_target" in {n.get("Index Name") for n in target}, target
    assert not any(n["Node Type"] in ("Sort", "Seq Scan") for n in target)

    stream = list(
        _nodes(await CHECKS.explain_chain_events_batch(conn, chain_id="ws-001", after_seq=0, batch_size=1000))
    )
    assert "uq_audit_chain_seq" in {n.get("Index Name") for n in stream}, stream
    assert not any(n["Node Type"] in ("Sort", "Seq Scan") for n in stream)
