"""Generated clause queries (sql/clauses.sql) run against the demo data (demo-data.md §4, §14): outline and lists in
order, scoping, the membership gate, row locks, insert/shift/append, edits with optimistic concurrency, delete with
gap closing, reorder, section locks, full-text search with its sentinel-marked snippets, and the plans of the hot
queries."""

from __future__ import annotations

import asyncio
import html
import inspect
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest

from nexus.db.queries import clauses as q

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = aiosql.from_path(ROOT / "tests" / "sql" / "q_clauses_support.sql", "apsycopg")
PLANS = aiosql.from_path(ROOT / "tests" / "sql" / "q_clauses_plans.sql", "apsycopg")
PROD = aiosql.from_path(ROOT / "sql" / "clauses.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
WS1 = [f"clause-{i:03d}" for i in range(1, 13)]
WS2 = ["clause-015", "clause-013", "clause-016", "clause-014"]
START, STOP = "\x02", "\x03"


@pytest.fixture
async def conn(seeded_db_url: str) -> AsyncIterator[Conn]:
    """Autocommit connection to a fresh copy of the demo data."""
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def other(seeded_db_url: str) -> AsyncIterator[Conn]:
    """A second session on the same database, for concurrency."""
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


async def outline(conn: Conn, ws: str) -> list[tuple[str, int]]:
    return [(r.id, r.order) for r in await q.list_outline(conn, workspace_id=ws)]


def numbered(ids: list[str]) -> list[tuple[str, int]]:
    return [(cid, n) for n, cid in enumerate(ids, start=1)]


def mark(snippet: str) -> str:
    """What the service does with a snippet: escape the text, then turn the sentinels into <mark>."""
    return html.escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")


# ------------------------------------------------------------------------------------------- lists and reads


async def test_outline_is_by_order_with_flags(conn: Conn) -> None:
    rows = await q.list_outline(conn, workspace_id="ws-001")
    assert [(r.id, r.order) for r in rows] == numbered(WS1)
    first = rows[0]
    assert (first.title, first.type, first.is_sensitive, first.is_locked) == (
        "1. Definitions",
        "definition",
        True,
        False,
    )
    assert [r.id for r in rows if r.is_locked] == ["clause-012"]
    assert [r.id for r in rows if not r.is_sensitive] == [
        "clause-005",
        "clause-008",
        "clause-009",
        "clause-010",
        "clause-012",
    ]
    # ws-002's orders are not its id order.
    assert await outline(conn, "ws-002") == numbered(WS2)
    assert await q.list_outline(conn, workspace_id="ws-404") == []


async def test_full_list_and_count(conn: Conn) -> None:
    rows = await q.list_clauses(conn, workspace_id="ws-001")
    assert [(r.id, r.order) for r in rows] == numbered(WS1)
    assert {r.workspace_id for r in rows} == {"ws-001"}
    c3 = rows[2]
    assert c3.body.endswith("The Applicable Margin shall be 275 basis points per annum.")
    assert (c3.last_modified_at, c3.last_modified_by) == (datetime(2024, 12, 18, 10, 0, tzinfo=UTC), "user-002")
    c12 = rows[11]
    assert (c12.is_locked, c12.locked_by, c12.locked_at) == (
        True,
        "user-001",
        datetime(2024, 12, 18, 10, 30, tzinfo=UTC),
    )
    assert await q.count_clauses(conn, workspace_id="ws-001") == 12
    assert await q.count_clauses(conn, workspace_id="ws-002") == 4
    assert await q.count_clauses(conn, workspace_id="ws-404") == 0


async def test_get_clause_is_workspace_scoped(conn: Conn) -> None:
    c = await q.get_clause(conn, workspace_id="ws-001", clause_id="clause-003")
    assert c is not None
    assert (c.id, c.title, c.type, c.order, c.is_sensitive) == ("clause-003", "3. Interest", "financial", 3, True)
    assert c.updated_at == c.last_modified_at
    assert await q.get_clause(conn, workspace_id="ws-002", clause_id="clause-003") is None
    assert await q.get_clause(conn, workspace_id="ws-001", clause_id="clause-999") is None


async def test_member_lookup_returns_the_guard_fields_for_active_members_only(conn: Conn) -> None:
    sarah = await q.get_clause_for_member(conn, clause_id="clause-003", user_id="user-001")
    assert sarah is not None
    assert (sarah.id, sarah.workspace_id, sarah.title) == ("clause-003", "ws-001", "3. Interest")
    assert (sarah.member_id, sarah.member_role, sarah.member_is_admin, sarah.member_is_external) == (
        "wm-001",
        "agent",
        True,
        False,
    )
    assert sarah.member_status == "active"
    assert isinstance(sarah.governance_rules, dict) and len(sarah.governance_rules) == 6
    assert sarah.archived_at is None
    james = await q.get_clause_for_member(conn, clause_id="clause-013", user_id="user-002")
    assert james is not None and (james.member_role, james.member_is_external) == ("legal", True)
    assert isinstance(james.governance_rules, dict) and james.governance_rules["externalCounselReadOnly"] is True
    # Emma (user-005) is not a member of ws-001: same answer as a missing clause.
    assert await q.get_clause_for_member(conn, clause_id="clause-003", user_id="user-005") is None
    assert await q.get_clause_for_member(conn, clause_id="clause-999", user_id="user-001") is None
    # Pending or removed memberships do not pass the gate.
    await SUPPORT.set_member_status(conn, member_id="wm-004", status="pending")
    assert await q.get_clause_for_member(conn, clause_id="clause-001", user_id="user-004") is None
    await SUPPORT.set_member_status(conn, member_id="wm-004", status="removed")
    assert await q.get_clause_for_member(conn, clause_id="clause-001", user_id="user-004") is None
    await SUPPORT.set_member_status(conn, member_id="wm-004", status="active")
    assert await q.get_clause_for_member(conn, clause_id="clause-001", user_id="user-004") is not None


async def test_lock_clause_holds_the_row_until_commit(conn: Conn, other: Conn) -> None:
    async with conn.transaction():
        row = await q.lock_clause(conn, workspace_id="ws-001", clause_id="clause-003")
        assert row is not None and row.id == "clause-003"
        with pytest.raises(psycopg.errors.LockNotAvailable):
            async with other.transaction():
                await SUPPORT.set_lock_timeout(other)
                await q.lock_clause(other, workspace_id="ws-001", clause_id="clause-003")
    async with other.transaction():
        assert await q.lock_clause(other, workspace_id="ws-001", clause_id="clause-003") is not None
    assert await q.lock_clause(conn, workspace_id="ws-002", clause_id="clause-003") is None


# ------------------------------------------------------------------------------------------- create and order


async def test_append_goes_to_n_plus_1_and_to_1_in_an_empty_workspace(conn: Conn) -> None:
    row = await q.append_clause(
        conn,
        workspace_id="ws-002",
        title="5. Fees",
        body="The Borrower shall pay a commitment fee.",
        type="financial",
        is_sensitive=False,
        last_modified_by="user-001",
    )
    assert row is not None
    assert (row.workspace_id, row.order, row.title, row.type, row.is_sensitive, row.is_locked) == (
        "ws-002",
        5,
        "5. Fees",
        "financial",
        False,
        False,
    )
    assert (row.locked_by, row.locked_at, row.last_modified_by) == (None, None, "user-001")
    assert len(row.id) == 25 and row.created_at == row.updated_at == row.last_modified_at
    assert await outline(conn, "ws-002") == numbered([*WS2, row.id])

    await SUPPORT.insert_empty_workspace(conn, workspace_id="ws-new", created_by_id="user-001")
    first = await q.append_clause(
        conn,
        workspace_id="ws-new",
        title="1. Definitions",
        body="None.",
        type="definition",
        is_sensitive=True,
        last_modified_by="user-001",
    )
    assert first is not None and first.order == 1 and first.is_sensitive


async def test_import_numbers_clauses_in_array_order(conn: Conn) -> None:
    await SUPPORT.insert_empty_workspace(conn, workspace_id="ws-new", created_by_id="user-001")
    count = await q.insert_imported_clauses(
        conn,
        workspace_id="ws-new",
        titles=["1. Definitions", "2. Facility", "3. Law"],
        bodies=["a", "b", "c"],
        types=["definition", "financial", "general"],
        sensitive=[True, True, False],
        last_modified_by="user-001",
    )
    assert count == 3
    rows = await q.list_outline(conn, workspace_id="ws-new")
    assert [(r.title, r.order, r.type, r.is_sensitive) for r in rows] == [
        ("1. Definitions", 1, "definition", True),
        ("2. Facility", 2, "financial", True),
        ("3. Law", 3, "general", False),
    ]


async def test_insert_at_position_shifts_the_rest_in_one_update(conn: Conn) -> None:
    async with conn.transaction():
        moved = await q.shift_clauses_down(conn, workspace_id="ws-001", from_order=3)
        assert moved == 10  # clause-003 .. clause-012
        row = await q.insert_clause(
            conn,
            workspace_id="ws-001",
            clause_order=3,
            title="2A. Conditions Precedent",
            body="The Lenders need not fund until the conditions precedent are met.",
            type="general",
            is_sensitive=False,
            last_modified_by="user-001",
        )
    assert row is not None and (row.order, row.workspace_id, row.type) == (3, "ws-001", "general")
    assert await outline(conn, "ws-001") == numbered([*WS1[:2], row.id, *WS1[2:]])
    # Position n+1 needs no shift; the other workspaces are untouched.
    assert await q.shift_clauses_down(conn, workspace_id="ws-002", from_order=5) == 0
    assert await outline(conn, "ws-002") == numbered(WS2)
    # Without the shift the position is taken: the unique (workspace_id, "order") refuses a duplicate.
    with pytest.raises(psycopg.errors.UniqueViolation):
        await q.insert_clause(
            conn,
            workspace_id="ws-002",
            clause_order=2,
            title="x",
            body="x",
            type="general",
            is_sensitive=False,
            last_modified_by="user-001",
        )


async def test_reorder_is_one_update_of_an_exact_permutation(conn: Conn) -> None:
    reverse = list(reversed(WS2))
    assert await q.reorder_clauses(conn, workspace_id="ws-002", clause_ids=reverse) == 4
    assert await outline(conn, "ws-002") == numbered(reverse)
    # Only clauses whose position changes are written.
    swapped = [reverse[1], reverse[0], *reverse[2:]]
    assert await q.reorder_clauses(conn, workspace_id="ws-002", clause_ids=swapped) == 2
    assert await q.reorder_clauses(conn, workspace_id="ws-002", clause_ids=swapped) == 0
    assert await outline(conn, "ws-002") == numbered(swapped)
    # Anything but an exact permutation of the workspace's clauses writes nothing.
    for bad in (
        swapped[:3],
        [*swapped[:3], swapped[0]],
        [*swapped[:3], "clause-003"],
        [*swapped, "clause-003"],
        [*swapped[:3], "clause-999"],
        [],
    ):
        assert await q.reorder_clauses(conn, workspace_id="ws-002", clause_ids=bad) == 0, bad
        assert await outline(conn, "ws-002") == numbered(swapped)
    # Another workspace's clauses are not reordered through this one.
    assert await q.reorder_clauses(conn, workspace_id="ws-003", clause_ids=reverse) == 0
    assert [cid for cid, _ in await outline(conn, "ws-003")] == [f"clause-{i:03d}" for i in range(17, 22)]


# ------------------------------------------------------------------------------------------- edits and deletes


async def test_update_writes_content_and_provenance(conn: Conn) -> None:
    before = await q.get_clause(conn, workspace_id="ws-001", clause_id="clause-005")
    assert before is not None
    row = await q.update_clause(
        conn,
        workspace_id="ws-001",
        clause_id="clause-005",
        title="5. Voluntary Prepayment",
        body="The Borrower may prepay the Loan in a minimum amount of USD 10,000,000 with kangaroo notice.",
        type="covenant",
        is_sensitive=True,
        last_modified_by="user-003",
        expected_updated_at=None,
        expected_last_modified_at=None,
    )
    assert row is not None
    assert (row.title, row.type, row.is_sensitive, row.order, row.last_modified_by) == (
        "5. Voluntary Prepayment",
        "covenant",
        True,
        5,
        "user-003",
    )
    assert row.last_modified_at > before.last_modified_at and row.updated_at > before.updated_at
    assert row.created_at == before.created_at
    # The generated search vector follows the new body.
    hits = await q.search_clauses(conn, workspace_id="ws-001", search_query="kangaroo", result_limit=20)
    assert [h.clause_id for h in hits] == ["clause-005"]
    # Another workspace's id is not found.
    other_ws = await q.update_clause(
        conn,
        workspace_id="ws-002",
        clause_id="clause-005",
        title="x",
        body="x",
        type="general",
        is_sensitive=False,
        last_modified_by="user-001",
        expected_updated_at=None,
        expected_last_modified_at=None,
    )
    assert other_ws is None


async def test_optimistic_concurrency_is_decided_by_the_update(conn: Conn) -> None:
    seen = await q.get_clause(conn, workspace_id="ws-001", clause_id="clause-003")
    assert seen is not None

    async def patch(body: str, **expected: datetime | None) -> q.ClauseRow | None:
        args: dict[str, datetime | None] = {"expected_updated_at": None, "expected_last_modified_at": None, **expected}
        return await q.update_clause(
            conn,
            workspace_id="ws-001",
            clause_id="clause-003",
            title=seen.title,
            body=body,
            type=seen.type,
            is_sensitive=seen.is_sensitive,
            last_modified_by="user-002",
            **args,
        )

    # Two clients read the same version (same ETag): the first write wins, the second is stale.
    first = await patch("first", expected_updated_at=seen.updated_at)
    assert first is not None and first.body == "first"
    assert await patch("second", expected_updated_at=seen.updated_at) is None
    # expectedLastModifiedAt compares at millisecond precision.
    assert await patch("third", expected_last_modified_at=seen.last_modified_at) is None
    ms = first.last_modified_at.replace(microsecond=first.last_modified_at.microsecond // 1000 * 1000)
    third = await patch("third", expected_last_modified_at=ms + timedelta(microseconds=999))
    assert third is not None and third.body == "third"
    # Neither given: last writer wins.
    assert (await patch("fourth")) is not None
    current = await q.get_clause(conn, workspace_id="ws-001", clause_id="clause-003")
    assert current is not None and current.body == "fourth"


async def test_delete_closes_the_gap_in_the_same_statement(conn: Conn) -> None:
    assert await SUPPORT.count_clause_variables(conn, clause_id="clause-005") == 1
    gone = await q.delete_clause(
        conn, workspace_id="ws-001", clause_id="clause-005", expected_updated_at=None, expected_last_modified_at=None
    )
    assert gone is not None and (gone.id, gone.order, gone.shifted) == ("clause-005", 5, 7)
    remaining = [c for c in WS1 if c != "clause-005"]
    assert await outline(conn, "ws-001") == numbered(remaining)
    assert await SUPPORT.count_clause_variables(conn, clause_id="clause-005") == 0  # cascade
    # Deleting the last clause shifts nothing; a repeated or foreign delete finds nothing.
    last = await q.delete_clause(
        conn, workspace_id="ws-001", clause_id="clause-012", expected_updated_at=None, expected_last_modified_at=None
    )
    assert last is not None and (last.order, last.shifted) == (11, 0)
    for ws, cid in (("ws-001", "clause-005"), ("ws-002", "clause-001")):
        none = await q.delete_clause(
            conn, workspace_id=ws, clause_id=cid, expected_updated_at=None, expected_last_modified_at=None
        )
        assert none is None
    assert await outline(conn, "ws-001") == numbered(remaining[:-1])
    assert await q.count_clauses(conn, workspace_id="ws-001") == 10


async def test_stale_delete_changes_nothing(conn: Conn) -> None:
    c = await q.get_clause(conn, workspace_id="ws-002", clause_id="clause-013")
    assert c is not None
    stale = c.updated_at - timedelta(seconds=1)
    assert (
        await q.delete_clause(
            conn,
            workspace_id="ws-002",
            clause_id="clause-013",
            expected_updated_at=stale,
            expected_last_modified_at=None,
        )
        is None
    )
    assert (
        await q.delete_clause(
            conn,
            workspace_id="ws-002",
            clause_id="clause-013",
            expected_updated_at=None,
            expected_last_modified_at=stale,
        )
        is None
    )
    assert await outline(conn, "ws-002") == numbered(WS2)
    ok = await q.delete_clause(
        conn,
        workspace_id="ws-002",
        clause_id="clause-013",
        expected_updated_at=c.updated_at,
        expected_last_modified_at=c.last_modified_at,
    )
    assert ok is not None and ok.shifted == 2
    assert await outline(conn, "ws-002") == numbered(["clause-015", "clause-016", "clause-014"])


# ------------------------------------------------------------------------------------------- section locks


async def test_lock_and_unlock(conn: Conn) -> None:
    before = await q.get_clause(conn, workspace_id="ws-001", clause_id="clause-003")
    assert before is not None
    locked = await q.acquire_section_lock(
        conn,
        workspace_id="ws-001",
        clause_id="clause-003",
        locked_by="user-003",
        expected_updated_at=None,
        expected_last_modified_at=None,
    )
    assert locked is not None
    assert (locked.is_locked, locked.locked_by) == (True, "user-003") and locked.locked_at is not None
    # A lock is not a content change: last_modified_* stay, updated_at (the ETag) moves.
    assert (locked.last_modified_at, locked.last_modified_by) == (before.last_modified_at, before.last_modified_by)
    assert locked.updated_at > before.updated_at
    # Already locked (by anyone): no row, the caller answers LOCKED or "already yours".
    again = await q.acquire_section_lock(
        conn,
        workspace_id="ws-001",
        clause_id="clause-003",
        locked_by="user-001",
        expected_updated_at=None,
        expected_last_modified_at=None,
    )
    assert again is None
    locks = await q.list_locked_clauses(conn, workspace_id="ws-001")
    assert [(r.id, r.order, r.locked_by) for r in locks] == [
        ("clause-003", 3, "user-003"),
        ("clause-012", 12, "user-001"),
    ]
    assert locks[1].title == "12. Governing Law" and locks[1].locked_at == datetime(2024, 12, 18, 10, 30, tzinfo=UTC)

    released = await q.release_section_lock(
        conn, workspace_id="ws-001", clause_id="clause-003", expected_updated_at=None, expected_last_modified_at=None
    )
    assert released is not None and (released.is_locked, released.locked_by, released.locked_at) == (False, None, None)
    assert (
        await q.release_section_lock(
            conn,
            workspace_id="ws-001",
            clause_id="clause-003",
            expected_updated_at=None,
            expected_last_modified_at=None,
        )
        is None
    )
    assert [r.id for r in await q.list_locked_clauses(conn, workspace_id="ws-001")] == ["clause-012"]
    assert await q.list_locked_clauses(conn, workspace_id="ws-002") == []


async def test_governance_lock_and_stale_lock_requests(conn: Conn) -> None:
    c = await q.get_clause(conn, workspace_id="ws-002", clause_id="clause-015")
    assert c is not None
    stale = c.updated_at - timedelta(seconds=1)
    assert (
        await q.acquire_section_lock(
            conn,
            workspace_id="ws-002",
            clause_id="clause-015",
            locked_by="user-001",
            expected_updated_at=stale,
            expected_last_modified_at=None,
        )
        is None
    )
    gov = await q.acquire_section_lock(
        conn,
        workspace_id="ws-002",
        clause_id="clause-015",
        locked_by=None,
        expected_updated_at=c.updated_at,
        expected_last_modified_at=c.last_modified_at,
    )
    assert gov is not None and (gov.is_locked, gov.locked_by) == (True, None) and gov.locked_at is not None
    assert [(r.id, r.locked_by) for r in await q.list_locked_clauses(conn, workspace_id="ws-002")] == [
        ("clause-015", None)
    ]
    assert (
        await q.release_section_lock(
            conn,
            workspace_id="ws-002",
            clause_id="clause-015",
            expected_updated_at=c.updated_at,
            expected_last_modified_at=None,
        )
        is None
    )  # the lock itself moved updated_at
    assert (
        await q.release_section_lock(
            conn,
            workspace_id="ws-002",
            clause_id="clause-015",
            expected_updated_at=gov.updated_at,
            expected_last_modified_at=None,
        )
        is not None
    )


async def test_concurrent_lock_requests_one_wins(conn: Conn, other: Conn) -> None:
    async with conn.transaction():
        mine = await q.acquire_section_lock(
            conn,
            workspace_id="ws-001",
            clause_id="clause-004",
            locked_by="user-001",
            expected_updated_at=None,
            expected_last_modified_at=None,
        )
        assert mine is not None
        theirs = asyncio.create_task(
            q.acquire_section_lock(
                other,
                workspace_id="ws-001",
                clause_id="clause-004",
                locked_by="user-003",
                expected_updated_at=None,
                expected_last_modified_at=None,
            )
        )
        await asyncio.sleep(0.2)
        assert not theirs.done()  # waits for the row lock
    # After the commit the waiting UPDATE re-checks `NOT is_locked` on the new row version.
    assert await theirs is None
    row = await q.get_clause(conn, workspace_id="ws-001", clause_id="clause-004")
    assert row is not None and row.locked_by == "user-001"


# ------------------------------------------------------------------------------------------- search


async def test_search_applicable_margin(conn: Conn) -> None:
    hits = await q.search_clauses(conn, workspace_id="ws-001", search_query="Applicable Margin", result_limit=20)
    assert {h.clause_id for h in hits} == {"clause-001", "clause-003", "clause-011"}
    # rank desc, then order asc; 4 decimals.
    assert [h.clause_id for h in hits] == ["clause-003", "clause-001", "clause-011"]
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)
    assert all(h.rank == h.rank.quantize(Decimal("0.0001")) and h.rank > 0 for h in hits)
    assert hits[1].rank == hits[2].rank
    assert [(h.workspace_id, h.order) for h in hits] == [("ws-001", 3), ("ws-001", 1), ("ws-001", 11)]
    assert (hits[0].title, hits[0].type) == ("3. Interest", "financial")
    for h in hits:
        assert START in h.snippet and STOP in h.snippet
        assert "<" not in h.snippet
        assert h.snippet.count(START) == h.snippet.count(STOP)
    assert f"{START}Applicable{STOP} {START}Margin{STOP}" in hits[0].snippet
    assert "<mark>Applicable</mark> <mark>Margin</mark> shall be 275" in mark(hits[0].snippet)
    # limit
    top = await q.search_clauses(conn, workspace_id="ws-001", search_query="Applicable Margin", result_limit=1)
    assert [h.clause_id for h in top] == ["clause-003"]
    # Scoped to the workspace: ws-003 has its own "Applicable Margin".
    ws3 = await q.search_clauses(conn, workspace_id="ws-003", search_query="Applicable Margin", result_limit=20)
    assert [h.clause_id for h in ws3] == ["clause-019", "clause-017"]


async def test_search_websearch_syntax(conn: Conn) -> None:
    async def found(text: str) -> set[str]:
        rows = await q.search_clauses(conn, workspace_id="ws-001", search_query=text, result_limit=100)
        return {r.clause_id for r in rows}

    assert await found('"Applicable Margin" -SOFR') == {"clause-001", "clause-011"}
    assert await found("EBITDA or prepay") == {"clause-005", "clause-006", "clause-007"}
    assert await found("governing") == {"clause-012"}  # title word (weight A)


@pytest.mark.parametrize("text", ["", "   ", "the", "&&&", "!!! ()", "-", "or", '"', "'"])
async def test_queries_without_lexemes_match_nothing(conn: Conn, text: str) -> None:
    assert await q.search_clauses(conn, workspace_id="ws-001", search_query=text, result_limit=20) == []


async def test_snippet_is_safe_to_escape_then_mark(conn: Conn) -> None:
    row = await q.update_clause(
        conn,
        workspace_id="ws-001",
        clause_id="clause-009",
        title="9. Representations",
        body='Each Obligor confirms <script>alert("x")</script> & that the zebra covenant <mark> holds.',
        type="general",
        is_sensitive=False,
        last_modified_by="user-001",
        expected_updated_at=None,
        expected_last_modified_at=None,
    )
    assert row is not None
    (hit,) = await q.search_clauses(conn, workspace_id="ws-001", search_query="zebra", result_limit=20)
    assert hit.clause_id == "clause-009"
    out = mark(hit.snippet)
    assert "<mark>zebra</mark>" in out
    # ts_headline drops markup-like tokens; whatever text remains is escaped, so the only tags are the highlights.
    assert "<" not in out.replace("<mark>", "").replace("</mark>", "")
    assert "&amp;" in out and "&quot;x&quot;" in out
    assert out.count("<mark>") == out.count("</mark>") == 1


# ------------------------------------------------------------------------------------------- plans

WORKSPACE_INDEXES = {"uq_clauses_workspace_order", "idx_clauses_workspace_id"}
PLAN_CASES: list[tuple[str, dict[str, Any], set[str], str]] = [
    # (query, parameters, acceptable indexes, index that must appear)
    ("list_outline", {"workspace_id": "ws-001"}, WORKSPACE_INDEXES, ""),
    ("list_clauses", {"workspace_id": "ws-001"}, WORKSPACE_INDEXES, ""),
    ("list_locked_clauses", {"workspace_id": "ws-001"}, {"idx_clauses_locked"}, "idx_clauses_locked"),
    (
        "search_clauses",
        {"workspace_id": "ws-001", "search_query": "Applicable Margin", "result_limit": 20},
        {"idx_clauses_search", "idx_clauses_workspace_id"},
        "idx_clauses_search",
    ),
]


def normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def plan_nodes(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def test_plan_file_holds_the_production_queries_verbatim() -> None:
    explained = {name.removeprefix("explain_") for name in PLANS.available_queries if name.startswith("explain_")}
    assert explained == {case[0] for case in PLAN_CASES}
    for name in explained:
        text = getattr(PLANS, f"explain_{name}").sql
        assert text.startswith("EXPLAIN (FORMAT JSON)")
        assert normalized(text.removeprefix("EXPLAIN (FORMAT JSON)")) == normalized(getattr(PROD, name).sql), name


@pytest.mark.parametrize(("name", "params", "indexes", "required"), PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
async def test_hot_query_plans_use_the_intended_index(
    conn: Conn, name: str, params: dict[str, Any], indexes: set[str], required: str
) -> None:
    # A large deal (2000 clauses in ws-001) as autovacuum leaves it: statistics and GIN entry counts. On the
    # 21 demo rows one heap page beats any index, so the planner's choice there says nothing.
    await SUPPORT.add_filler_clauses(conn, workspace_id="ws-001", last_order=2000)
    await SUPPORT.vacuum_analyze_clauses(conn)
    async with conn.transaction():
        await SUPPORT.disable_seqscan(conn)
        plan = await getattr(PLANS, f"explain_{name}")(conn, **params)
    nodes = list(plan_nodes(plan[0]["Plan"]))
    used = {n["Index Name"] for n in nodes if "Index Name" in n}
    assert used and used <= indexes, (name, used)
    assert not required or required in used, (name, used)
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes)


def test_every_generated_clause_query_is_exercised_here() -> None:
    generated = {n for n, f in inspect.getmembers(q, inspect.iscoroutinefunction) if f.__module__ == q.__name__}
    called = set(re.findall(r"\bq\.(\w+)\(", Path(__file__).read_text(encoding="utf-8")))
    assert generated <= called, generated - called
