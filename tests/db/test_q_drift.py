"""Generated drift queries (sql/drift.sql) run against the demo data (demo-data.md §6, §14): lists in API order,
counts, scoping, the membership gate, the single-statement upsert/close of D10, guarded transitions, recompute
helpers, clause-level drift, concurrency and the plans of the hot queries."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest

from nexus.db.queries import drift as q
from nexus.db.queries import variables as vq

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = aiosql.from_path(ROOT / "tests" / "sql" / "q_drift_support.sql", "apsycopg")
PLANS = aiosql.from_path(ROOT / "tests" / "sql" / "q_drift_plans.sql", "apsycopg")
PROD = aiosql.from_path(ROOT / "sql" / "drift.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
WS1_CREATED = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
SYSTEM_REVERT = "System: value returned to baseline"


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


def ids(rows: list[Any]) -> list[str]:
    return [r.id for r in rows]


async def open_drift_ids(conn: Conn, variable_id: str) -> list[str]:
    return [row[0] async for row in SUPPORT.open_drift_ids(conn, variable_id=variable_id)]


# ------------------------------------------------------------------------------------------- lists and counts


async def test_list_in_api_order_with_paging_and_counts(conn: Conn) -> None:
    rows = await q.list_drifts(conn, workspace_id="ws-001", page_size=50, page_offset=0)
    # All HIGH; current_modified_at desc (drift-006 12-20, 003 12-19 09:32, 002 09:31, 001 12-18, 004 12-05).
    assert ids(rows) == ["drift-006", "drift-003", "drift-002", "drift-001", "drift-004"]
    assert await q.count_drifts(conn, workspace_id="ws-001") == 5
    page2 = await q.list_drifts(conn, workspace_id="ws-001", page_size=2, page_offset=2)
    assert ids(page2) == ["drift-002", "drift-001"]
    assert await q.list_drifts(conn, workspace_id="ws-001", page_size=50, page_offset=5) == []
    assert await q.list_drifts(conn, workspace_id="ws-002", page_size=50, page_offset=0) == []
    assert await q.count_drifts(conn, workspace_id="ws-002") == 0


async def test_drift_001_has_the_api_example_values(conn: Conn) -> None:
    d = await q.get_drift(conn, workspace_id="ws-001", drift_id="drift-001")
    assert d is not None
    assert (d.workspace_id, d.clause_id, d.variable_id, d.title) == (
        "ws-001",
        "clause-003",
        "var-002",
        "Applicable Margin Increase",
    )
    assert (d.type, d.severity, d.baseline_value, d.current_value, d.unit) == ("financial", "HIGH", "250", "275", "bps")
    assert d.baseline_approved_at == WS1_CREATED
    assert d.current_modified_at == datetime(2024, 12, 18, 10, 1, tzinfo=UTC)
    assert d.current_modified_by == "user-002"
    assert (d.status, d.approved_by, d.approved_at, d.approval_reason) == ("unresolved", None, None, None)
    assert d.created_at == d.updated_at == d.current_modified_at


async def test_list_by_status_is_the_documented_test_vector(conn: Conn) -> None:
    # demo-data §14: GET /drifts?workspaceId=ws-001&status=unresolved → drift-002, drift-001.
    rows = await q.list_drifts_by_status(conn, workspace_id="ws-001", status="unresolved", page_size=50, page_offset=0)
    assert ids(rows) == ["drift-002", "drift-001"]
    assert await q.count_drifts_by_status(conn, workspace_id="ws-001", status="unresolved") == 2
    approved = await q.list_drifts_by_status(conn, workspace_id="ws-001", status="approved", page_size=1, page_offset=1)
    assert ids(approved) == ["drift-003"]  # page 2 of [drift-006, drift-003]
    assert await q.count_drifts_by_status(conn, workspace_id="ws-001", status="approved") == 2
    assert await q.count_drifts_by_status(conn, workspace_id="ws-001", status="overridden") == 1
    assert await q.count_drifts_by_status(conn, workspace_id="ws-002", status="unresolved") == 0


async def test_list_by_severity(conn: Conn) -> None:
    high = await q.list_drifts_by_severity(conn, workspace_id="ws-001", severity="HIGH", page_size=50, page_offset=0)
    assert ids(high) == ["drift-006", "drift-003", "drift-002", "drift-001", "drift-004"]
    assert await q.count_drifts_by_severity(conn, workspace_id="ws-001", severity="HIGH") == 5
    assert (
        await q.list_drifts_by_severity(conn, workspace_id="ws-001", severity="LOW", page_size=50, page_offset=0) == []
    )
    medium = await q.list_drifts_by_severity(
        conn, workspace_id="ws-003", severity="MEDIUM", page_size=50, page_offset=0
    )
    assert ids(medium) == ["drift-005"]
    assert await q.count_drifts_by_severity(conn, workspace_id="ws-003", severity="MEDIUM") == 1


async def filtered(conn: Conn, ws: str = "ws-001", **filters: Any) -> tuple[list[str], int | None]:
    args: dict[str, Any] = {
        "severity": None,
        "type": None,
        "status": None,
        "keyword": None,
        "variable_id": None,
        "clause_id": None,
        **filters,
    }
    rows = await q.list_drifts_filtered(conn, workspace_id=ws, page_size=50, page_offset=0, **args)
    return ids(rows), await q.count_drifts_filtered(conn, workspace_id=ws, **args)


async def test_filtered_list_combines_any_filters(conn: Conn) -> None:
    assert await filtered(conn) == (["drift-006", "drift-003", "drift-002", "drift-001", "drift-004"], 5)
    assert await filtered(conn, type="covenant") == (["drift-003", "drift-002"], 2)
    assert await filtered(conn, type="financial", status="unresolved") == (["drift-001"], 1)
    assert await filtered(conn, variable_id="var-006") == (["drift-003"], 1)
    assert await filtered(conn, clause_id="clause-006", severity="HIGH") == (["drift-003", "drift-002"], 2)
    # keyword: case-insensitive substring of the title, the values or the clause title.
    assert await filtered(conn, keyword="mARGIN") == (["drift-001"], 1)
    assert await filtered(conn, keyword="4.50") == (["drift-002"], 1)
    assert await filtered(conn, keyword="fees") == (["drift-004"], 1)  # clause "11. Fees" only
    assert await filtered(conn, keyword="100%") == ([], 0)  # % is a character, not a wildcard
    assert await filtered(conn, ws="ws-003", severity="MEDIUM", status="unresolved") == (["drift-005"], 1)
    # Tenant scoping: another workspace's variable/clause gives nothing.
    assert await filtered(conn, variable_id="var-014") == ([], 0)


async def test_unresolved_lists_and_dashboard_counts(conn: Conn) -> None:
    assert ids(await q.list_unresolved_drifts(conn, workspace_id="ws-001")) == ["drift-001", "drift-002"]
    assert ids(await q.list_unresolved_drifts(conn, workspace_id="ws-003")) == ["drift-005"]
    assert await q.count_unresolved_drifts(conn, workspace_id="ws-001") == 2
    assert await q.count_unresolved_drifts(conn, workspace_id="ws-002") == 0
    assert await q.count_unresolved_high(conn, workspace_id="ws-001") == 2
    assert await q.count_unresolved_high(conn, workspace_id="ws-003") == 0
    counts = await q.count_unresolved_by_severity(conn, workspace_id="ws-001")
    assert counts == q.CountUnresolvedBySeverityRow(high=2, medium=0, low=0, total=2)
    ws3 = await q.count_unresolved_by_severity(conn, workspace_id="ws-003")
    assert ws3 == q.CountUnresolvedBySeverityRow(high=0, medium=1, low=0, total=1)
    empty = await q.count_unresolved_by_severity(conn, workspace_id="ws-002")
    assert empty == q.CountUnresolvedBySeverityRow(high=0, medium=0, low=0, total=0)


# ------------------------------------------------------------------------------------------- point reads and the gate


async def test_get_is_scoped_to_the_workspace(conn: Conn) -> None:
    assert await q.get_drift(conn, workspace_id="ws-003", drift_id="drift-005") is not None
    assert await q.get_drift(conn, workspace_id="ws-001", drift_id="drift-005") is None
    assert await q.get_drift(conn, workspace_id="ws-001", drift_id="drift-404") is None


async def test_get_for_member_returns_the_guard_inputs_or_nothing(conn: Conn) -> None:
    maria = await q.get_drift_for_member(conn, drift_id="drift-001", user_id="user-003")
    assert maria is not None
    assert (maria.id, maria.workspace_id, maria.status) == ("drift-001", "ws-001", "unresolved")
    assert (maria.member_id, maria.member_role, maria.member_is_admin, maria.member_is_external) == (
        "wm-003",
        "risk",
        False,
        False,
    )
    assert maria.member_status == "active"
    assert isinstance(maria.governance_rules, dict)
    assert maria.governance_rules["riskApprovalRequiredForOverride"] is True
    assert maria.archived_at is None
    james = await q.get_drift_for_member(conn, drift_id="drift-005", user_id="user-002")
    assert james is not None and (james.member_role, james.member_is_external) == ("legal", True)
    # Emma is no member of ws-001; David is, until his membership is removed; unknown id.
    assert await q.get_drift_for_member(conn, drift_id="drift-001", user_id="user-005") is None
    assert await q.get_drift_for_member(conn, drift_id="drift-001", user_id="user-004") is not None
    await SUPPORT.set_member_status(conn, member_id="wm-004", status="removed")
    assert await q.get_drift_for_member(conn, drift_id="drift-001", user_id="user-004") is None
    await SUPPORT.set_member_status(conn, member_id="wm-004", status="pending")
    assert await q.get_drift_for_member(conn, drift_id="drift-001", user_id="user-004") is None
    assert await q.get_drift_for_member(conn, drift_id="drift-404", user_id="user-001") is None


async def test_open_and_last_approved_drift_of_a_variable(conn: Conn) -> None:
    open_ = await q.get_open_variable_drift(conn, workspace_id="ws-001", variable_id="var-005")
    assert open_ is not None and open_.id == "drift-002"
    assert await q.get_open_variable_drift(conn, workspace_id="ws-001", variable_id="var-004") is None
    assert await q.get_open_variable_drift(conn, workspace_id="ws-002", variable_id="var-005") is None
    approved = await q.last_approved_variable_drift(conn, workspace_id="ws-001", variable_id="var-006")
    assert approved is not None
    assert (approved.id, approved.baseline_value, approved.current_value) == ("drift-003", "3.50", "3.00")
    assert approved.approved_at == datetime(2024, 12, 20, 11, 0, tzinfo=UTC)
    assert await q.last_approved_variable_drift(conn, workspace_id="ws-001", variable_id="var-002") is None
    assert await q.last_approved_variable_drift(conn, workspace_id="ws-002", variable_id="var-006") is None


async def test_open_variable_drift_is_locked_until_commit(conn: Conn, other: Conn) -> None:
    async with conn.transaction():
        assert await q.get_open_variable_drift(conn, workspace_id="ws-001", variable_id="var-002") is not None
        with pytest.raises(psycopg.errors.LockNotAvailable):
            await SUPPORT.lock_drift_nowait(other, drift_id="drift-001")
    assert await SUPPORT.lock_drift_nowait(other, drift_id="drift-001") == "drift-001"


# ------------------------------------------------------------------------------------------- D10 upsert / close


async def test_upsert_on_a_mirrored_drift_writes_nothing(conn: Conn) -> None:
    # Recompute on demo data changes nothing (domain §8.6): drift-001 already mirrors var-002.
    before = await q.get_drift(conn, workspace_id="ws-001", drift_id="drift-001")
    same = await q.upsert_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id="var-002",
        title="Applicable Margin Increase",
        severity="HIGH",
        actor_id="user-001",
    )
    assert same is None
    assert await q.get_drift(conn, workspace_id="ws-001", drift_id="drift-001") == before


async def test_upsert_keeps_one_open_drift_and_close_then_upsert_opens_a_new_one(conn: Conn) -> None:
    await vq.set_variable_value(conn, workspace_id="ws-001", variable_id="var-002", value="300", modified_by="user-001")
    up = await q.upsert_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id="var-002",
        title="Applicable Margin Increase",
        severity="HIGH",
        actor_id="user-003",
    )
    assert up is not None and not up.inserted
    assert up.id == "drift-001"
    assert (up.current_value, up.baseline_value, up.unit, up.status) == ("300", "250", "bps", "unresolved")
    assert up.current_modified_by == "user-001"  # the variable's last_modified_by, not the fallback actor
    assert up.current_modified_at > datetime(2024, 12, 18, 10, 1, tzinfo=UTC)
    assert up.created_at == datetime(2024, 12, 18, 10, 1, tzinfo=UTC)
    assert await open_drift_ids(conn, "var-002") == ["drift-001"]

    closed = await q.close_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id="var-002",
        status="reverted",
        approved_by="user-001",
        reason=SYSTEM_REVERT,
    )
    assert closed is not None and closed.id == "drift-001"
    assert (closed.status, closed.approved_by, closed.approval_reason) == ("reverted", "user-001", SYSTEM_REVERT)
    assert closed.approved_at is not None
    assert closed.current_value == "300"  # history keeps the values as recorded
    again = await q.close_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id="var-002",
        status="reverted",
        approved_by="user-001",
        reason=SYSTEM_REVERT,
    )
    assert again is None

    new = await q.upsert_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id="var-002",
        title="Applicable Margin Increase",
        severity="HIGH",
        actor_id="user-003",
    )
    assert new is not None and new.inserted
    assert new.id != "drift-001"
    assert (new.workspace_id, new.clause_id, new.variable_id, new.type) == (
        "ws-001",
        "clause-003",
        "var-002",
        "financial",
    )
    assert (new.baseline_value, new.current_value, new.baseline_approved_at) == ("250", "300", WS1_CREATED)
    assert await open_drift_ids(conn, "var-002") == [new.id]
    assert await q.count_drifts(conn, workspace_id="ws-001") == 6


async def test_upsert_fills_fallbacks_and_ignores_foreign_variables(conn: Conn) -> None:
    var = await vq.insert_variable(
        conn,
        workspace_id="ws-001",
        clause_id="clause-008",
        label="Grace Period",
        type="definition",
        value="5 days",
        unit=None,
        baseline_value="3 days",
        modified_by="user-001",
    )
    assert var is not None
    # A variable without baseline_approved_at / last_modified_by: workspace creation and the actor fill in.
    await vq.update_variable(
        conn,
        workspace_id="ws-001",
        variable_id=var.id,
        label=var.label,
        type=var.type,
        value=var.value,
        unit=None,
        modified_by="user-002",
    )
    await SUPPORT.clear_variable_provenance(conn, variable_id=var.id)
    d = await q.upsert_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id=var.id,
        title="Grace Period Change",
        severity="MEDIUM",
        actor_id="user-003",
    )
    assert d is not None and d.inserted
    assert (d.type, d.severity, d.unit, d.baseline_approved_at, d.current_modified_by) == (
        "general",
        "MEDIUM",
        None,
        WS1_CREATED,
        "user-003",
    )
    # Another workspace's variable id: nothing inserted.
    foreign = await q.upsert_variable_drift(
        conn, workspace_id="ws-001", variable_id="var-014", title="x", severity="LOW", actor_id="user-001"
    )
    assert foreign is None


async def test_concurrent_upserts_leave_one_open_drift(conn: Conn, other: Conn) -> None:
    await q.close_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id="var-002",
        status="reverted",
        approved_by="user-001",
        reason=SYSTEM_REVERT,
    )
    args: dict[str, Any] = {
        "workspace_id": "ws-001",
        "variable_id": "var-002",
        "severity": "HIGH",
        "actor_id": "user-001",
    }
    async with conn.transaction():
        first = await q.upsert_variable_drift(conn, title="Applicable Margin Increase", **args)
        assert first is not None and first.inserted

        async def second() -> q.UpsertedDriftRow | None:
            async with other.transaction():
                return await q.upsert_variable_drift(other, title="Applicable Margin Change", **args)

        task = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not task.done()  # waits on the unique index entry of the uncommitted insert
    late = await asyncio.wait_for(task, 10)
    assert late is not None and not late.inserted and late.id == first.id
    assert late.title == "Applicable Margin Change"
    assert await open_drift_ids(conn, "var-002") == [first.id]


# ------------------------------------------------------------------------------------------- transitions


async def test_transition_is_guarded_by_the_from_status(conn: Conn) -> None:
    # Maria approves drift-001; a second approve finds it no longer unresolved.
    approved = await q.transition_drift(
        conn,
        workspace_id="ws-001",
        drift_id="drift-001",
        allowed=["unresolved"],
        status="approved",
        approved_by="user-003",
        reason="Within appetite",
    )
    assert approved is not None
    assert (approved.status, approved.approved_by, approved.approval_reason) == (
        "approved",
        "user-003",
        "Within appetite",
    )
    assert approved.approved_at is not None
    twice = await q.transition_drift(
        conn,
        workspace_id="ws-001",
        drift_id="drift-001",
        allowed=["unresolved"],
        status="approved",
        approved_by="user-003",
        reason="again",
    )
    assert twice is None
    # Override under riskApprovalRequiredForOverride: allowed from approved.
    overridden = await q.transition_drift(
        conn,
        workspace_id="ws-001",
        drift_id="drift-001",
        allowed=["approved"],
        status="overridden",
        approved_by="user-001",
        reason="Market standard",
    )
    assert overridden is not None and (overridden.status, overridden.approved_by) == ("overridden", "user-001")
    # Wrong workspace, unknown id, wrong from-status: nothing changes.
    for ws, drift_id, allowed in (
        ("ws-002", "drift-002", ["unresolved"]),
        ("ws-001", "drift-404", ["unresolved"]),
        ("ws-001", "drift-004", ["unresolved", "approved"]),
    ):
        none = await q.transition_drift(
            conn,
            workspace_id=ws,
            drift_id=drift_id,
            allowed=allowed,
            status="reverted",
            approved_by="user-001",
            reason="x",
        )
        assert none is None
    d4 = await q.get_drift(conn, workspace_id="ws-001", drift_id="drift-004")
    assert d4 is not None and d4.status == "overridden"


async def test_concurrent_transitions_change_the_status_once(conn: Conn, other: Conn) -> None:
    args: dict[str, Any] = {
        "workspace_id": "ws-001",
        "drift_id": "drift-002",
        "allowed": ["unresolved"],
        "approved_by": "user-003",
        "reason": "r",
    }
    async with conn.transaction():
        won = await q.transition_drift(conn, status="approved", **args)
        assert won is not None

        async def loser() -> q.DriftRow | None:
            async with other.transaction():
                return await q.transition_drift(other, status="reverted", **args)

        task = asyncio.create_task(loser())
        await asyncio.sleep(0.3)
        assert not task.done()
    assert await asyncio.wait_for(task, 10) is None
    final = await q.get_drift(conn, workspace_id="ws-001", drift_id="drift-002")
    assert final is not None and final.status == "approved"


# ------------------------------------------------------------------------------------------- recompute helpers


async def test_deviating_variables_carry_open_and_approved_drift(conn: Conn) -> None:
    rows = await q.list_deviating_variables(conn, workspace_id="ws-001")
    assert [(r.id, r.open_drift_id, r.approved_current_value, r.approved_baseline_value) for r in rows] == [
        ("var-002", "drift-001", None, None),
        ("var-004", None, "10,000,000", "5,000,000"),  # accepted deviation (drift-006)
        ("var-005", "drift-002", None, None),
        ("var-006", None, "3.00", "3.50"),  # accepted deviation (drift-003)
    ]
    v2 = rows[0]
    assert (v2.clause_id, v2.label, v2.type, v2.value, v2.unit, v2.baseline_value) == (
        "clause-003",
        "Applicable Margin",
        "financial",
        "275",
        "bps",
        "250",
    )
    assert (v2.clause_title, v2.clause_type, v2.last_modified_by) == ("3. Interest", "financial", "user-002")
    assert v2.baseline_approved_at == WS1_CREATED
    assert v2.last_modified_at == datetime(2024, 12, 18, 10, 1, tzinfo=UTC)
    assert [r.id for r in await q.list_deviating_variables(conn, workspace_id="ws-003")] == ["var-014"]
    assert await q.list_deviating_variables(conn, workspace_id="ws-002") == []


async def test_settled_open_drifts_appear_when_the_value_returns(conn: Conn) -> None:
    assert await q.list_settled_open_drifts(conn, workspace_id="ws-001") == []
    await vq.set_variable_value(conn, workspace_id="ws-001", variable_id="var-002", value="250", modified_by="user-001")
    settled = await q.list_settled_open_drifts(conn, workspace_id="ws-001")
    assert [(s.id, s.variable_id, s.value, s.baseline_value) for s in settled] == [
        ("drift-001", "var-002", "250", "250")
    ]
    assert [r.id for r in await q.list_deviating_variables(conn, workspace_id="ws-001")] == [
        "var-004",
        "var-005",
        "var-006",
    ]
    assert await q.list_settled_open_drifts(conn, workspace_id="ws-003") == []


async def test_recompute_helpers_lock_the_variables(conn: Conn, other: Conn) -> None:
    async with conn.transaction():
        await q.list_deviating_variables(conn, workspace_id="ws-001")
        await vq.set_variable_value(
            conn, workspace_id="ws-001", variable_id="var-005", value="4.00", modified_by="user-001"
        )
        await q.list_settled_open_drifts(conn, workspace_id="ws-001")
        for variable_id in ("var-006", "var-005"):  # one from each helper
            with pytest.raises(psycopg.errors.LockNotAvailable):
                async with other.transaction():
                    await SUPPORT.set_lock_timeout(other)
                    await vq.lock_variable(other, workspace_id="ws-001", variable_id=variable_id)


# ------------------------------------------------------------------------------------------- clause-level drift


async def test_clause_level_drift_upsert_update_close_and_recompute_list(conn: Conn) -> None:
    body = await SUPPORT.clause_body(conn, clause_id="clause-008")
    first = await q.upsert_clause_drift(
        conn,
        workspace_id="ws-001",
        clause_id="clause-008",
        title="Events of Default Text Change",
        severity="LOW",
        baseline_value="old body",
    )
    assert first is not None and first.inserted
    assert (first.variable_id, first.type, first.unit, first.severity) == (None, "general", None, "LOW")
    assert (first.baseline_value, first.current_value, first.baseline_approved_at) == ("old body", body, WS1_CREATED)
    assert first.current_modified_by == "user-001"
    # A later change keeps the highest severity and the first baseline.
    second = await q.upsert_clause_drift(
        conn, workspace_id="ws-001", clause_id="clause-008", title="T2", severity="HIGH", baseline_value="other"
    )
    third = await q.upsert_clause_drift(
        conn, workspace_id="ws-001", clause_id="clause-008", title="T3", severity="MEDIUM", baseline_value="other"
    )
    assert second is not None and third is not None
    assert (second.id, third.id) == (first.id, first.id)
    assert (third.inserted, third.severity, third.baseline_value, third.title) == (False, "HIGH", "old body", "T3")

    followed = await q.update_open_clause_drift(conn, workspace_id="ws-001", clause_id="clause-008", title="T4")
    assert followed is not None and (followed.id, followed.title, followed.current_value) == (first.id, "T4", body)
    assert await q.update_open_clause_drift(conn, workspace_id="ws-001", clause_id="clause-009", title="x") is None

    listed = await q.list_open_clause_drifts(conn, workspace_id="ws-001")
    assert [(r.id, r.clause_id, r.baseline_value, r.clause_body) for r in listed] == [
        (first.id, "clause-008", "old body", body)
    ]
    assert await q.list_open_clause_drifts(conn, workspace_id="ws-003") == []

    closed = await q.close_clause_drift(
        conn,
        workspace_id="ws-001",
        clause_id="clause-008",
        status="reverted",
        approved_by="user-001",
        reason=SYSTEM_REVERT,
    )
    assert closed is not None and (closed.id, closed.status) == (first.id, "reverted")
    assert await q.list_open_clause_drifts(conn, workspace_id="ws-001") == []
    assert (
        await q.close_clause_drift(
            conn, workspace_id="ws-001", clause_id="clause-008", status="reverted", approved_by="user-001", reason="x"
        )
        is None
    )
    # Variable drift of clause-003 is not a clause-level drift.
    assert (
        await q.close_clause_drift(
            conn, workspace_id="ws-001", clause_id="clause-003", status="reverted", approved_by="user-001", reason="x"
        )
        is None
    )
    assert (
        await q.upsert_clause_drift(
            conn, workspace_id="ws-002", clause_id="clause-008", title="x", severity="LOW", baseline_value="x"
        )
        is None
    )


async def test_delete_clause_drifts(conn: Conn) -> None:
    assert await q.delete_clause_drifts(conn, workspace_id="ws-002", clause_id="clause-006") == 0
    assert await q.delete_clause_drifts(conn, workspace_id="ws-001", clause_id="clause-006") == 2
    assert ids(await q.list_unresolved_drifts(conn, workspace_id="ws-001")) == ["drift-001"]


# ------------------------------------------------------------------------------------------- plans and coverage


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


PLAN_CASES: list[tuple[str, dict[str, Any], set[str], bool]] = [
    # (query, parameters, acceptable indexes, ordered by the index: no Sort node)
    ("list_drifts", {"workspace_id": "ws-001", "page_size": 50, "page_offset": 0}, {"idx_drift_list"}, True),
    (
        "list_drifts_by_status",
        {"workspace_id": "ws-001", "status": "approved", "page_size": 50, "page_offset": 0},
        {"idx_drift_list"},
        True,
    ),
    (
        "list_drifts_by_severity",
        {"workspace_id": "ws-001", "severity": "HIGH", "page_size": 50, "page_offset": 0},
        {"idx_drift_list"},
        True,
    ),
    ("count_drifts", {"workspace_id": "ws-001"}, {"idx_drift_items_workspace_id", "idx_drift_list"}, False),
    (
        "count_drifts_by_status",
        {"workspace_id": "ws-001", "status": "approved"},
        {"idx_drift_items_workspace_id", "idx_drift_list"},
        False,
    ),
    ("count_drifts_by_severity", {"workspace_id": "ws-001", "severity": "HIGH"}, {"idx_drift_list"}, False),
    ("list_unresolved_drifts", {"workspace_id": "ws-001"}, {"idx_drift_unresolved"}, False),
    ("count_unresolved_drifts", {"workspace_id": "ws-001"}, {"idx_drift_unresolved"}, False),
    ("count_unresolved_high", {"workspace_id": "ws-001"}, {"idx_drift_unresolved"}, False),
    ("count_unresolved_by_severity", {"workspace_id": "ws-001"}, {"idx_drift_unresolved"}, False),
]


def normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def test_plan_file_holds_the_production_queries_verbatim() -> None:
    explained = {name.removeprefix("explain_") for name in PLANS.available_queries if name.startswith("explain_")}
    assert explained == {case[0] for case in PLAN_CASES}
    for name in explained:
        text = getattr(PLANS, f"explain_{name}").sql
        assert text.startswith("EXPLAIN (FORMAT JSON)")
        assert normalized(text.removeprefix("EXPLAIN (FORMAT JSON)")) == normalized(getattr(PROD, name).sql), name


async def test_hot_query_plans_use_the_intended_index(conn: Conn) -> None:
    for name, params, indexes, ordered in PLAN_CASES:
        async with conn.transaction():
            await SUPPORT.disable_seqscan(conn)
            plan = await getattr(PLANS, f"explain_{name}")(conn, **params)
        nodes = list(plan_nodes(plan[0]["Plan"]))
        used = {n["Index Name"] for n in nodes if "Index Name" in n}
        assert used and used <= indexes, (name, used)
        assert not any(n["Node Type"] == "Seq Scan" for n in nodes), name
        if ordered:
            assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes), name


def test_every_generated_drift_query_is_exercised_here() -> None:
    generated = {n for n, f in inspect.getmembers(q, inspect.iscoroutinefunction) if f.__module__ == q.__name__}
    called = set(re.findall(r"\bq\.(\w+)\(", Path(__file__).read_text(encoding="utf-8")))
    assert generated <= called, generated - called
