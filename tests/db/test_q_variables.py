"""Generated variable queries (sql/variables.sql) run against the demo data (demo-data.md §5): lists in client
order, scoping, the membership gate, bind/edit/baseline/delete, the row and clause locks, and the hot plans."""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest

from nexus.db.queries import drift as dq
from nexus.db.queries import variables as q

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = aiosql.from_path(ROOT / "tests" / "sql" / "q_variables_support.sql", "apsycopg")
PLANS = aiosql.from_path(ROOT / "tests" / "sql" / "q_variables_plans.sql", "apsycopg")
PROD = aiosql.from_path(ROOT / "sql" / "variables.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
WS1_CREATED = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


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
    """A second session on the same database, for the lock tests."""
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


def ids(rows: list[Any]) -> list[str]:
    return [r.id for r in rows]


# ------------------------------------------------------------------------------------------- lists and reads


async def test_list_by_clause_order_then_created_at_and_id(conn: Conn) -> None:
    ws1 = await q.list_variables(conn, workspace_id="ws-001")
    assert ids(ws1) == [
        "var-009",  # clause-001
        "var-001",  # clause-002
        "var-002",  # clause-003, same created_at as var-010: by id
        "var-010",
        "var-003",  # clause-004
        "var-004",  # clause-005
        "var-005",  # clause-006
        "var-006",
        "var-007",  # clause-007
        "var-008",  # clause-011
    ]
    # ws-002 clause order is 015, 013, 016, 014 (not id order).
    assert ids(await q.list_variables(conn, workspace_id="ws-002")) == ["var-011", "var-012", "var-016", "var-017"]
    assert ids(await q.list_variables(conn, workspace_id="ws-003")) == ["var-013", "var-014", "var-015"]
    assert await q.list_variables(conn, workspace_id="ws-404") == []


async def test_list_of_one_clause_is_scoped(conn: Conn) -> None:
    assert ids(await q.list_clause_variables(conn, workspace_id="ws-001", clause_id="clause-003")) == [
        "var-002",
        "var-010",
    ]
    assert ids(await q.list_clause_variables(conn, workspace_id="ws-002", clause_id="clause-014")) == [
        "var-016",
        "var-017",
    ]
    assert await q.list_clause_variables(conn, workspace_id="ws-002", clause_id="clause-003") == []
    assert await q.list_clause_variables(conn, workspace_id="ws-001", clause_id="clause-012") == []


async def test_get_returns_the_demo_values_and_is_scoped(conn: Conn) -> None:
    v = await q.get_variable(conn, workspace_id="ws-001", variable_id="var-002")
    assert v is not None
    assert (v.workspace_id, v.clause_id, v.label, v.type) == ("ws-001", "clause-003", "Applicable Margin", "financial")
    assert (v.value, v.unit, v.baseline_value, v.baseline_approved_at) == ("275", "bps", "250", WS1_CREATED)
    assert (v.created_at, v.last_modified_by) == (WS1_CREATED, "user-002")
    assert v.last_modified_at == v.updated_at == datetime(2024, 12, 18, 10, 1, tzinfo=UTC)
    v8 = await q.get_variable(conn, workspace_id="ws-001", variable_id="var-008")
    assert v8 is not None and v8.baseline_approved_at == datetime(2024, 12, 9, 11, 30, tzinfo=UTC)
    v7 = await q.get_variable(conn, workspace_id="ws-001", variable_id="var-007")
    assert v7 is not None and (v7.unit, v7.baseline_value == v7.value) == (None, True)
    assert await q.get_variable(conn, workspace_id="ws-001", variable_id="var-011") is None  # ws-002's
    assert await q.get_variable(conn, workspace_id="ws-001", variable_id="var-404") is None


async def test_get_for_member_returns_the_guard_inputs_or_nothing(conn: Conn) -> None:
    sarah = await q.get_variable_for_member(conn, variable_id="var-002", user_id="user-001")
    assert sarah is not None
    assert (sarah.id, sarah.workspace_id, sarah.clause_id, sarah.value) == ("var-002", "ws-001", "clause-003", "275")
    assert (sarah.member_id, sarah.member_role, sarah.member_is_admin, sarah.member_is_external) == (
        "wm-001",
        "agent",
        True,
        False,
    )
    assert (sarah.member_status, sarah.archived_at) == ("active", None)
    assert isinstance(sarah.governance_rules, dict) and sarah.governance_rules["legalCanRevertDraft"] is True
    james = await q.get_variable_for_member(conn, variable_id="var-011", user_id="user-002")
    assert james is not None
    assert (james.workspace_id, james.member_role, james.member_is_external) == ("ws-002", "legal", True)
    assert isinstance(james.governance_rules, dict) and james.governance_rules["externalCounselReadOnly"] is True
    # Emma is no member of ws-001; Maria none of ws-003; unknown id.
    assert await q.get_variable_for_member(conn, variable_id="var-002", user_id="user-005") is None
    assert await q.get_variable_for_member(conn, variable_id="var-014", user_id="user-003") is None
    assert await q.get_variable_for_member(conn, variable_id="var-404", user_id="user-001") is None
    # Only an ACTIVE membership opens the gate.
    assert await q.get_variable_for_member(conn, variable_id="var-002", user_id="user-004") is not None
    for status in ("pending", "removed"):
        await SUPPORT.set_member_status(conn, member_id="wm-004", status=status)
        assert await q.get_variable_for_member(conn, variable_id="var-002", user_id="user-004") is None


# ------------------------------------------------------------------------------------------- writes


async def test_bind_defaults_the_baseline_to_the_value(conn: Conn) -> None:
    v = await q.insert_variable(
        conn,
        workspace_id="ws-001",
        clause_id="clause-003",
        label="Default Margin",
        type="financial",
        value="200",
        unit="bps",
        baseline_value=None,
        modified_by="user-002",
    )
    assert v is not None
    assert (v.workspace_id, v.clause_id, v.label, v.type, v.value, v.unit) == (
        "ws-001",
        "clause-003",
        "Default Margin",
        "financial",
        "200",
        "bps",
    )
    assert v.baseline_value == "200" and v.baseline_approved_at is not None
    assert v.last_modified_by == "user-002" and v.created_at == v.last_modified_at == v.baseline_approved_at
    assert len(v.id) == 25  # nexus_id()
    # Appended after the clause's older variables.
    assert ids(await q.list_clause_variables(conn, workspace_id="ws-001", clause_id="clause-003")) == [
        "var-002",
        "var-010",
        v.id,
    ]
    with_baseline = await q.insert_variable(
        conn,
        workspace_id="ws-001",
        clause_id="clause-003",
        label="Step-up",
        type="ratio",
        value="1.10x",
        unit=None,
        baseline_value="1.00x",
        modified_by="user-001",
    )
    assert with_baseline is not None
    assert (with_baseline.value, with_baseline.baseline_value, with_baseline.unit) == ("1.10x", "1.00x", None)


async def test_bind_to_another_workspaces_clause_is_rejected_by_the_tenant_fk(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        await q.insert_variable(
            conn,
            workspace_id="ws-001",
            clause_id="clause-013",  # ws-002's
            label="x",
            type="financial",
            value="1",
            unit=None,
            baseline_value=None,
            modified_by="user-001",
        )


async def test_update_writes_the_merged_fields_and_keeps_the_baseline(conn: Conn) -> None:
    v = await q.update_variable(
        conn,
        workspace_id="ws-001",
        variable_id="var-002",
        label="Margin",
        type="ratio",
        value="300",
        unit=None,
        modified_by="user-001",
    )
    assert v is not None
    assert (v.label, v.type, v.value, v.unit, v.baseline_value) == ("Margin", "ratio", "300", None, "250")
    assert v.last_modified_by == "user-001"
    assert v.last_modified_at > datetime(2024, 12, 18, 10, 1, tzinfo=UTC)
    assert v.updated_at >= v.last_modified_at
    assert v.baseline_approved_at == WS1_CREATED
    missing = await q.update_variable(
        conn,
        workspace_id="ws-002",
        variable_id="var-002",
        label="x",
        type="financial",
        value="1",
        unit=None,
        modified_by="user-001",
    )
    assert missing is None
    assert (await q.get_variable(conn, workspace_id="ws-001", variable_id="var-002")) == v


async def test_set_value_then_override_moves_the_baseline(conn: Conn) -> None:
    reverted = await q.set_variable_value(
        conn, workspace_id="ws-001", variable_id="var-005", value="4.00", modified_by="user-001"
    )
    assert reverted is not None
    assert (reverted.value, reverted.baseline_value, reverted.last_modified_by) == ("4.00", "4.00", "user-001")
    assert reverted.last_modified_at > datetime(2024, 12, 19, 9, 31, tzinfo=UTC)
    assert (
        await q.set_variable_value(
            conn, workspace_id="ws-003", variable_id="var-005", value="1", modified_by="user-001"
        )
        is None
    )

    before = await q.get_variable(conn, workspace_id="ws-001", variable_id="var-002")
    assert before is not None
    moved = await q.set_variable_baseline(conn, workspace_id="ws-001", variable_id="var-002")
    assert moved is not None
    assert (moved.value, moved.baseline_value) == ("275", "275")
    assert moved.baseline_approved_at is not None and moved.baseline_approved_at > WS1_CREATED
    # An override is not a value edit: last_modified_* stay.
    assert (moved.last_modified_at, moved.last_modified_by) == (before.last_modified_at, before.last_modified_by)
    assert await q.set_variable_baseline(conn, workspace_id="ws-002", variable_id="var-002") is None


async def test_delete_after_closing_the_open_drift(conn: Conn) -> None:
    closed = await dq.close_variable_drift(
        conn,
        workspace_id="ws-001",
        variable_id="var-005",
        status="reverted",
        approved_by="user-001",
        reason="System: variable deleted",
    )
    assert closed is not None and closed.id == "drift-002"
    assert await q.delete_variable(conn, workspace_id="ws-002", variable_id="var-005") == 0
    assert await q.delete_variable(conn, workspace_id="ws-001", variable_id="var-005") == 1
    assert await q.delete_variable(conn, workspace_id="ws-001", variable_id="var-005") == 0
    assert await q.get_variable(conn, workspace_id="ws-001", variable_id="var-005") is None
    # History stays; its variable reference is nulled (SET NULL (variable_id)).
    d2 = await dq.get_drift(conn, workspace_id="ws-001", drift_id="drift-002")
    assert d2 is not None and (d2.variable_id, d2.status, d2.clause_id) == (None, "reverted", "clause-006")


# ------------------------------------------------------------------------------------------- locks


async def test_lock_variable_holds_the_row_until_commit(conn: Conn, other: Conn) -> None:
    async with conn.transaction():
        v = await q.lock_variable(conn, workspace_id="ws-001", variable_id="var-002")
        assert v is not None and (v.id, v.value, v.updated_at) == (
            "var-002",
            "275",
            datetime(2024, 12, 18, 10, 1, tzinfo=UTC),
        )
        with pytest.raises(psycopg.errors.LockNotAvailable):
            await SUPPORT.lock_variable_nowait(other, variable_id="var-002")
    assert await SUPPORT.lock_variable_nowait(other, variable_id="var-002") == "var-002"
    assert await q.lock_variable(conn, workspace_id="ws-002", variable_id="var-002") is None


async def test_lock_variable_clause_reports_the_lock_and_blocks_lock_changes_only(conn: Conn, other: Conn) -> None:
    held = await q.lock_variable_clause(conn, workspace_id="ws-001", clause_id="clause-012")
    assert held is not None
    assert (held.id, held.workspace_id, held.title, held.type) == (
        "clause-012",
        "ws-001",
        "12. Governing Law",
        "general",
    )
    assert (held.is_locked, held.locked_by, held.is_sensitive) == (True, "user-001", False)
    assert held.locked_at == datetime(2024, 12, 18, 10, 30, tzinfo=UTC)
    free = await q.lock_variable_clause(conn, workspace_id="ws-001", clause_id="clause-003")
    assert free is not None and (free.is_locked, free.locked_by, free.locked_at, free.is_sensitive) == (
        False,
        None,
        None,
        True,
    )
    assert await q.lock_variable_clause(conn, workspace_id="ws-001", clause_id="clause-013") is None

    async with conn.transaction():
        assert await q.lock_variable_clause(conn, workspace_id="ws-001", clause_id="clause-003") is not None
        # A lock/unlock of the clause (FOR NO KEY UPDATE) must wait ...
        with pytest.raises(psycopg.errors.LockNotAvailable):
            await SUPPORT.lock_clause_nowait(other, clause_id="clause-003")
        # ... but a bind into the same clause elsewhere passes its FK check without waiting.
        async with other.transaction():
            await SUPPORT.set_lock_timeout(other)
            bound = await q.insert_variable(
                other,
                workspace_id="ws-001",
                clause_id="clause-003",
                label="x",
                type="financial",
                value="1",
                unit=None,
                baseline_value=None,
                modified_by="user-001",
            )
            assert bound is not None


# ------------------------------------------------------------------------------------------- plans and coverage


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


PLAN_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("list_variables", {"workspace_id": "ws-001"}, "idx_variables_workspace_id"),
    ("list_clause_variables", {"workspace_id": "ws-001", "clause_id": "clause-003"}, "idx_variables_clause_id"),
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
    for name, params, index in PLAN_CASES:
        async with conn.transaction():
            await SUPPORT.disable_seqscan(conn)
            plan = await getattr(PLANS, f"explain_{name}")(conn, **params)
        nodes = list(plan_nodes(plan[0]["Plan"]))
        variable_scans = {n.get("Index Name") for n in nodes if n.get("Relation Name") == "variables"}
        assert variable_scans == {index}, (name, variable_scans)
        assert not any(n["Node Type"] == "Seq Scan" for n in nodes), name


def test_every_generated_variable_query_is_exercised_here() -> None:
    generated = {n for n, f in inspect.getmembers(q, inspect.iscoroutinefunction) if f.__module__ == q.__name__}
    called = set(re.findall(r"\bq\.(\w+)\(", Path(__file__).read_text(encoding="utf-8")))
    assert generated <= called, generated - called
