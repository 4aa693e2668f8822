"""Generated reconciliation queries (nexus/db/queries/reconciliation.py) against the demo data (demo-data.md §8).

Every function of the module runs at least once with its result checked; decisions are exactly once (domain.md
§9.6): a second or concurrent decision of the same item gets no row and the session counters move once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest

from nexus.db.queries import reconciliation as q
from nexus.db.queries.enums import ReconciliationDecision

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CHECKS: Any = aiosql.from_path(ROOT / "tests" / "sql" / "q_recon_checks.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
WS = "ws-001"
SESSION = "recon-session-001"
ITEMS = ["recon-001", "recon-002", "recon-003", "recon-004", "recon-005"]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ids(rows: Any) -> list[str]:
    return [row.id for row in rows]


@pytest.fixture
async def conn(seeded_db_url: str) -> AsyncIterator[Conn]:
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


async def counters(conn: Conn) -> tuple[int, int, int, int]:
    row = await q.get_session(conn, workspace_id=WS, session_id=SESSION)
    assert row is not None
    return (row.total_items, row.applied_count, row.rejected_count, row.pending_count)


# --------------------------------------------------------------------------------------------------------- sessions


async def test_session_list_count_and_get(conn: Conn) -> None:
    sessions = await q.list_sessions(conn, workspace_id=WS, page_limit=50, page_offset=0)
    assert ids(sessions) == [SESSION]
    s = sessions[0]
    assert (s.workspace_id, s.file_name, s.file_type, s.uploaded_by) == (
        WS, "Borrower_Markup_v3.docx", "docx", "user-002",
    )  # fmt: skip
    assert s.uploaded_at == ts("2024-12-19T14:00:00+00:00")
    assert (s.total_items, s.applied_count, s.rejected_count, s.pending_count) == (5, 1, 1, 3)
    assert await q.list_sessions(conn, workspace_id=WS, page_limit=50, page_offset=1) == []
    assert await q.count_sessions(conn, workspace_id=WS) == 1
    assert await q.list_sessions(conn, workspace_id="ws-002", page_limit=50, page_offset=0) == []
    assert await q.count_sessions(conn, workspace_id="ws-002") == 0

    assert await q.get_session(conn, workspace_id=WS, session_id=SESSION) == s
    # Tenant filter first: the right id under another workspace is not found.
    assert await q.get_session(conn, workspace_id="ws-002", session_id=SESSION) is None


async def test_session_for_member_needs_an_active_membership(conn: Conn) -> None:
    james = await q.get_session_for_member(conn, session_id=SESSION, user_id="user-002")
    assert james is not None
    assert (james.id, james.total_items, james.pending_count) == (SESSION, 5, 3)
    assert (james.member_role, james.member_is_admin, james.member_is_external, james.member_status) == (
        "legal",
        False,
        True,
        "active",
    )
    assert isinstance(james.governance_rules, dict) and james.governance_rules["requireReasonForSensitiveEdits"]
    assert james.archived_at is None
    david = await q.get_session_for_member(conn, session_id=SESSION, user_id="user-004")
    assert david is not None and david.member_role == "investor"  # the guard decides; the query only resolves
    assert await q.get_session_for_member(conn, session_id=SESSION, user_id="user-005") is None  # Emma: no member
    assert await q.get_session_for_member(conn, session_id="recon-session-404", user_id="user-002") is None


# ------------------------------------------------------------------------------------------------------------ items


async def test_items_ordered_by_confidence_then_position(conn: Conn) -> None:
    async def listed(**kw: Any) -> list[str]:
        args: dict[str, Any] = {"decision": None, "confidence": None, "page_limit": 50, "page_offset": 0} | kw
        return ids(await q.list_items(conn, workspace_id=WS, session_id=SESSION, **args))

    async def counted(**kw: Any) -> int | None:
        args: dict[str, Any] = {"decision": None, "confidence": None} | kw
        return await q.count_items(conn, workspace_id=WS, session_id=SESSION, **args)

    rows = await q.list_items(
        conn, workspace_id=WS, session_id=SESSION, decision=None, confidence=None, page_limit=50, page_offset=0
    )
    assert ids(rows) == ITEMS
    assert [(r.confidence, r.position) for r in rows] == [
        ("HIGH", 0), ("HIGH", 1), ("HIGH", 2), ("MEDIUM", 3), ("LOW", 4),
    ]  # fmt: skip
    assert [r.decision for r in rows] == ["rejected", "applied", "pending", "pending", "pending"]
    r1, r2, r3, r4, _ = rows
    assert (r1.decided_by, r1.decided_at) == ("user-001", ts("2024-12-20T09:00:00+00:00"))
    assert r1.decision_reason == "Margin increase too aggressive for current market"
    assert (r2.target_clause_id, r2.target_variable_id, r2.proposed_value) == ("clause-005", "var-004", "10,000,000")
    assert (r3.baseline_value, r3.current_value, r3.proposed_value, r3.match_score) == ("4.00", "4.50", "5.00", 100)
    assert r3.decided_at is None and r3.decided_by is None and r3.decision_reason is None
    assert r3.change_description == "Leverage Ratio Cap: 4.50 → 5.00 x"
    assert (r4.target_variable_id, r4.match_score) == (None, 92)

    assert await listed(page_limit=2, page_offset=2) == ["recon-003", "recon-004"]
    assert await listed(decision="pending") == ["recon-003", "recon-004", "recon-005"]
    assert await listed(confidence="HIGH") == ["recon-001", "recon-002", "recon-003"]
    assert await listed(decision="pending", confidence="HIGH") == ["recon-003"]
    assert await listed(decision="applied", confidence="LOW") == []
    assert await counted() == 5
    assert await counted(decision="pending") == 3
    assert await counted(confidence="HIGH") == 3
    assert await counted(decision="rejected", confidence="HIGH") == 1
    assert await q.count_items(conn, workspace_id="ws-002", session_id=SESSION, decision=None, confidence=None) == 0


async def test_get_item_with_its_target(conn: Conn) -> None:
    item = await q.get_item(conn, workspace_id=WS, item_id="recon-003")
    assert item is not None
    assert (item.id, item.session_id, item.decision, item.confidence) == ("recon-003", SESSION, "pending", "HIGH")
    assert (item.target_clause_id, item.target_variable_id) == ("clause-006", "var-005")
    assert item.clause_title == "6. Financial Covenants"
    assert "does not exceed 4.50:1.00" in item.clause_body
    assert (item.clause_is_sensitive, item.clause_is_locked, item.clause_locked_by, item.clause_lock_kind) == (
        True, False, None, None,
    )  # fmt: skip
    assert (item.variable_label, item.variable_value, item.variable_unit, item.variable_baseline_value) == (
        "Leverage Ratio Cap", "4.50", "x", "4.00",
    )  # fmt: skip

    # Clause-level item on the clause Sarah locked: lock state for the LOCKED check, no variable.
    locked = await q.get_item(conn, workspace_id=WS, item_id="recon-005")
    assert locked is not None
    assert (locked.clause_is_locked, locked.clause_locked_by, locked.clause_lock_kind) == (True, "user-001", "user")
    assert locked.current_value in locked.clause_body
    assert (locked.variable_label, locked.variable_value, locked.variable_unit) == (None, None, None)

    assert await q.get_item(conn, workspace_id="ws-002", item_id="recon-003") is None
    assert await q.get_item(conn, workspace_id=WS, item_id="recon-404") is None


async def test_get_item_for_member(conn: Conn) -> None:
    james = await q.get_item_for_member(conn, item_id="recon-004", user_id="user-002")
    assert james is not None
    assert (james.id, james.workspace_id, james.target_clause_id, james.variable_value) == (
        "recon-004", WS, "clause-010", None,
    )  # fmt: skip
    assert james.current_value == "within 90 days of the date of this Agreement"
    assert james.current_value in james.clause_body
    assert (james.member_role, james.member_is_admin, james.member_is_external, james.member_status) == (
        "legal",
        False,
        True,
        "active",
    )
    assert isinstance(james.governance_rules, dict) and james.archived_at is None
    sarah = await q.get_item_for_member(conn, item_id="recon-002", user_id="user-001")
    assert sarah is not None and (sarah.member_role, sarah.member_is_admin, sarah.variable_value) == (
        "agent",
        True,
        "10,000,000",
    )
    assert await q.get_item_for_member(conn, item_id="recon-004", user_id="user-005") is None
    assert await q.get_item_for_member(conn, item_id="recon-404", user_id="user-002") is None


# ------------------------------------------------------------------------------------------------------- decisions


async def test_decide_exactly_once(conn: Conn) -> None:
    assert await counters(conn) == (5, 1, 1, 3)
    row = await q.decide_item(
        conn, workspace_id=WS, item_id="recon-003", decision="applied", decided_by="user-002",
        decision_reason="Agreed with the Lenders",
    )  # fmt: skip
    assert row is not None
    assert (row.id, row.decision, row.decided_by, row.decision_reason) == (
        "recon-003", "applied", "user-002", "Agreed with the Lenders",
    )  # fmt: skip
    assert row.decided_at is not None and row.proposed_value == "5.00"
    assert (row.session_total_items, row.session_applied_count, row.session_rejected_count) == (5, 2, 1)
    assert row.session_pending_count == 2
    assert await counters(conn) == (5, 2, 1, 2)

    # Twice: no row, nothing moves, the first decision stands.
    again = await q.decide_item(
        conn, workspace_id=WS, item_id="recon-003", decision="rejected", decided_by="user-001", decision_reason=None
    )
    assert again is None
    assert await counters(conn) == (5, 2, 1, 2)
    item = await q.get_item(conn, workspace_id=WS, item_id="recon-003")
    assert item is not None and (item.decision, item.decided_by) == ("applied", "user-002")
    # Already-decided seed items and other workspaces' ids are refused the same way.
    for workspace, item_id in ((WS, "recon-001"), (WS, "recon-002"), ("ws-002", "recon-004"), (WS, "recon-404")):
        assert (
            await q.decide_item(
                conn, workspace_id=workspace, item_id=item_id, decision="applied", decided_by="user-001",
                decision_reason=None,
            )
            is None
        )  # fmt: skip
    assert await counters(conn) == (5, 2, 1, 2)

    rejected = await q.decide_item(
        conn, workspace_id=WS, item_id="recon-004", decision="rejected", decided_by="user-001", decision_reason=None
    )
    assert rejected is not None and rejected.decision == "rejected" and rejected.decision_reason is None
    assert (rejected.session_applied_count, rejected.session_rejected_count, rejected.session_pending_count) == (
        2,
        2,
        1,
    )
    assert await counters(conn) == (5, 2, 2, 1)


async def _decide_in_own_transaction(url: str, item_id: str, decision: ReconciliationDecision) -> Any:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        async with conn.transaction():
            row = await q.decide_item(
                conn, workspace_id=WS, item_id=item_id, decision=decision, decided_by="user-002", decision_reason=None
            )
            # Hold the row lock a moment so the other attempt is certainly waiting on it.
            await asyncio.sleep(0.2)
        return row


async def test_concurrent_double_decision_has_one_winner(conn: Conn, seeded_db_url: str) -> None:
    results = await asyncio.gather(
        _decide_in_own_transaction(seeded_db_url, "recon-003", "applied"),
        _decide_in_own_transaction(seeded_db_url, "recon-003", "rejected"),
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    won = winners[0].decision
    item = await q.get_item(conn, workspace_id=WS, item_id="recon-003")
    assert item is not None and item.decision == won
    applied, rejected = (2, 1) if won == "applied" else (1, 2)
    assert await counters(conn) == (5, applied, rejected, 2)


async def test_concurrent_decisions_of_one_session_lose_no_update(conn: Conn, seeded_db_url: str) -> None:
    results = await asyncio.gather(
        _decide_in_own_transaction(seeded_db_url, "recon-004", "applied"),
        _decide_in_own_transaction(seeded_db_url, "recon-005", "rejected"),
    )
    assert all(r is not None for r in results)
    assert await counters(conn) == (5, 2, 2, 1)


async def test_pending_high_items(conn: Conn) -> None:
    pending = await q.list_pending_high_items(conn, workspace_id=WS, session_id=SESSION)
    assert ids(pending) == ["recon-003"]
    assert pending[0].target_variable_id == "var-005"
    assert await q.list_pending_high_items(conn, workspace_id="ws-002", session_id=SESSION) == []
    await q.decide_item(
        conn, workspace_id=WS, item_id="recon-003", decision="applied", decided_by="user-002", decision_reason=None
    )
    assert await q.list_pending_high_items(conn, workspace_id=WS, session_id=SESSION) == []


# ----------------------------------------------------------------------------------------------------------- upload


async def test_upload_inserts_a_session_and_its_items(conn: Conn) -> None:
    session = await q.insert_session(
        conn, workspace_id=WS, file_name="Markup_v4.pdf", file_type="pdf", uploaded_by="user-001", total_items=3
    )
    assert session is not None
    assert (session.workspace_id, session.file_name, session.file_type, session.uploaded_by) == (
        WS, "Markup_v4.pdf", "pdf", "user-001",
    )  # fmt: skip
    assert (session.total_items, session.applied_count, session.rejected_count, session.pending_count) == (3, 0, 0, 3)

    items = await q.insert_items(
        conn,
        workspace_id=WS,
        session_id=session.id,
        incoming_snippets=["The Applicable Margin shall be 325 basis points.", "within 60 days", "New law"],
        target_clause_ids=["clause-003", "clause-010", "clause-012"],
        target_variable_ids=["var-002", "", ""],
        confidences=["HIGH", "MEDIUM", "LOW"],
        baseline_values=["250", "within 90 days", "English law"],
        current_values=["275", "within 90 days", "English law"],
        proposed_values=["325", "within 60 days", "New law"],
        match_scores=[100, 88, 41],
        change_descriptions=["Applicable Margin: 275 → 325 bps", "Text change in 10. Security", "Best guess"],
    )
    assert len(items) == 3
    by_position = sorted(items, key=lambda r: r.position)
    assert [(r.position, r.confidence, r.target_variable_id) for r in by_position] == [
        (0, "HIGH", "var-002"), (1, "MEDIUM", None), (2, "LOW", None),
    ]  # fmt: skip
    assert all(r.decision == "pending" and r.decided_at is None and r.session_id == session.id for r in items)
    assert [r.match_score for r in by_position] == [100, 88, 41]

    listed = await q.list_items(
        conn, workspace_id=WS, session_id=session.id, decision=None, confidence=None, page_limit=50, page_offset=0
    )
    assert ids(listed) == ids(by_position)
    assert ids(await q.list_sessions(conn, workspace_id=WS, page_limit=50, page_offset=0)) == [session.id, SESSION]
    assert await q.count_sessions(conn, workspace_id=WS) == 2
    assert ids(await q.list_pending_high_items(conn, workspace_id=WS, session_id=session.id)) == [by_position[0].id]


async def test_upload_items_cannot_target_another_workspace(conn: Conn) -> None:
    session = await q.insert_session(
        conn, workspace_id=WS, file_name="x.docx", file_type="docx", uploaded_by="user-001", total_items=1
    )
    assert session is not None
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        await q.insert_items(
            conn, workspace_id=WS, session_id=session.id, incoming_snippets=["x"], target_clause_ids=["clause-013"],
            target_variable_ids=[""], confidences=["LOW"], baseline_values=["a"], current_values=["a"],
            proposed_values=["b"], match_scores=[10], change_descriptions=["c"],
        )  # fmt: skip


# ------------------------------------------------------------------------------------------------ clause deletion


async def test_release_clause_items_keeps_counters_equal_to_rows(conn: Conn) -> None:
    # clause-010 carries recon-004 (pending): release it, then the FK cascade deletes the row.
    assert await q.release_clause_items(conn, workspace_id=WS, clause_id="clause-010") == 1
    assert await counters(conn) == (4, 1, 1, 2)
    await CHECKS.delete_clause(conn, clause_id="clause-010")
    assert await CHECKS.item_rows(conn, session_id=SESSION) == 4
    assert await q.count_items(conn, workspace_id=WS, session_id=SESSION, decision=None, confidence=None) == 4
    # clause-003 carries the rejected recon-001; another workspace's clause id releases nothing.
    assert await q.release_clause_items(conn, workspace_id="ws-002", clause_id="clause-003") == 0
    assert await q.release_clause_items(conn, workspace_id=WS, clause_id="clause-003") == 1
    assert await counters(conn) == (3, 1, 0, 2)
    stored = await CHECKS.session_counters(conn, session_id=SESSION)
    assert tuple(stored) == (3, 1, 0, 2)
    assert await q.release_clause_items(conn, workspace_id=WS, clause_id="clause-007") == 0
