"""Generated covenant queries (sql/covenants.sql) run against the demo data (demo-data.md §10): the list with the
effective-threshold inputs, scoping, the membership gate, guarded create/update, delete, extraction inputs, plans."""

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

from nexus.db.queries import covenants as q
from nexus.db.queries import variables as vq

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = aiosql.from_path(ROOT / "tests" / "sql" / "q_covenants_support.sql", "apsycopg")
PLANS = aiosql.from_path(ROOT / "tests" / "sql" / "q_covenants_plans.sql", "apsycopg")
PROD = aiosql.from_path(ROOT / "sql" / "covenants.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
WS1_CREATED = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
LEVERAGE = "Total Net Debt / EBITDA"


@pytest.fixture
async def conn(seeded_db_url: str) -> AsyncIterator[Conn]:
    """Autocommit connection to a fresh copy of the demo data."""
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


def ids(rows: list[Any]) -> list[str]:
    return [r.id for r in rows]


async def test_list_by_clause_order_name_id_with_the_bound_variable(conn: Conn) -> None:
    rows = await q.list_covenants(conn, workspace_id="ws-001")
    assert ids(rows) == ["cov-002", "cov-001"]  # same clause: "Interest Cover" < "Leverage Ratio"
    cov1 = rows[1]
    assert (cov1.workspace_id, cov1.name, cov1.test_frequency, cov1.threshold) == (
        "ws-001",
        "Leverage Ratio",
        "Quarterly",
        "≤ 4.50x",
    )
    assert (cov1.calculation_basis, cov1.clause_id, cov1.variable_id) == (LEVERAGE, "clause-006", "var-005")
    assert cov1.created_at == WS1_CREATED
    assert (cov1.variable_label, cov1.variable_value, cov1.variable_unit, cov1.variable_baseline_value) == (
        "Leverage Ratio Cap",
        "4.50",
        "x",
        "4.00",
    )
    assert (rows[0].threshold, rows[0].variable_id, rows[0].variable_value) == ("≥ 3.00x", "var-006", "3.00")
    ws2 = await q.list_covenants(conn, workspace_id="ws-002")
    assert [(c.id, c.test_frequency, c.variable_id) for c in ws2] == [
        ("cov-004", "Semi-Annual", "var-016"),
        ("cov-003", "Semi-Annual", "var-017"),
    ]
    assert ids(await q.list_covenants(conn, workspace_id="ws-003")) == ["cov-005"]
    assert await q.list_covenants(conn, workspace_id="ws-404") == []


async def test_effective_threshold_input_follows_the_variable(conn: Conn) -> None:
    # domain §10.6: var-005 := "4.75" → the effective threshold input moves, the stored text does not.
    await vq.set_variable_value(
        conn, workspace_id="ws-001", variable_id="var-005", value="4.75", modified_by="user-001"
    )
    cov = await q.get_covenant(conn, workspace_id="ws-001", covenant_id="cov-001")
    assert cov is not None and (cov.threshold, cov.variable_value) == ("≤ 4.50x", "4.75")


async def test_get_is_scoped_to_the_workspace(conn: Conn) -> None:
    cov = await q.get_covenant(conn, workspace_id="ws-003", covenant_id="cov-005")
    assert cov is not None
    assert (cov.name, cov.calculation_basis, cov.clause_id, cov.variable_id, cov.variable_value) == (
        "Leverage Ratio",
        "Senior Net Debt / EBITDA",
        "clause-020",
        "var-015",
        "5.00",
    )
    assert await q.get_covenant(conn, workspace_id="ws-001", covenant_id="cov-005") is None
    assert await q.get_covenant(conn, workspace_id="ws-001", covenant_id="cov-404") is None


async def test_get_for_member_returns_the_guard_inputs_or_nothing(conn: Conn) -> None:
    james = await q.get_covenant_for_member(conn, covenant_id="cov-003", user_id="user-002")
    assert james is not None
    assert (james.id, james.workspace_id, james.variable_id, james.variable_value) == (
        "cov-003",
        "ws-002",
        "var-017",
        "3.50",
    )
    assert (james.member_id, james.member_role, james.member_is_admin, james.member_is_external) == (
        "wm-006",
        "legal",
        False,
        True,
    )
    assert (james.member_status, james.archived_at) == ("active", None)
    assert isinstance(james.governance_rules, dict) and james.governance_rules["externalCounselReadOnly"] is True
    emma = await q.get_covenant_for_member(conn, covenant_id="cov-005", user_id="user-005")
    assert emma is not None and (emma.member_role, emma.member_is_admin) == ("agent", True)
    # David is no member of ws-002; Emma none of ws-001; unknown id; a removed membership.
    assert await q.get_covenant_for_member(conn, covenant_id="cov-003", user_id="user-004") is None
    assert await q.get_covenant_for_member(conn, covenant_id="cov-001", user_id="user-005") is None
    assert await q.get_covenant_for_member(conn, covenant_id="cov-404", user_id="user-001") is None
    await SUPPORT.set_member_status(conn, member_id="wm-006", status="removed")
    assert await q.get_covenant_for_member(conn, covenant_id="cov-003", user_id="user-002") is None


async def test_insert_checks_clause_and_variable_belong_together(conn: Conn) -> None:
    bound = await q.insert_covenant(
        conn,
        workspace_id="ws-001",
        name="Leverage Ratio",
        test_frequency="Quarterly",
        threshold="≤ 4.50x",
        calculation_basis=LEVERAGE,
        clause_id="clause-006",
        variable_id="var-005",
    )
    assert bound is not None and len(bound.id) == 25
    assert (bound.workspace_id, bound.name, bound.threshold, bound.clause_id, bound.variable_id) == (
        "ws-001",
        "Leverage Ratio",
        "≤ 4.50x",
        "clause-006",
        "var-005",
    )
    assert (bound.variable_label, bound.variable_value, bound.variable_unit) == ("Leverage Ratio Cap", "4.50", "x")
    assert bound.created_at == bound.updated_at
    unbound = await q.insert_covenant(
        conn,
        workspace_id="ws-001",
        name="Capex Cap",
        test_frequency="Annual",
        threshold="≤ 10,000,000",
        calculation_basis="Capital expenditure",
        clause_id="clause-006",
        variable_id=None,
    )
    assert unbound is not None
    assert (unbound.variable_id, unbound.variable_label, unbound.variable_value) == (None, None, None)
    rejected = [
        ("ws-001", "clause-006", "var-002"),  # variable of another clause
        ("ws-001", "clause-006", "var-017"),  # variable of another workspace
        ("ws-001", "clause-014", None),  # clause of another workspace
        ("ws-001", "clause-404", None),
    ]
    for ws, clause_id, variable_id in rejected:
        none = await q.insert_covenant(
            conn,
            workspace_id=ws,
            name="x",
            test_frequency="Quarterly",
            threshold="x",
            calculation_basis="x",
            clause_id=clause_id,
            variable_id=variable_id,
        )
        assert none is None, (clause_id, variable_id)
    assert len(await q.list_covenants(conn, workspace_id="ws-001")) == 4


async def test_update_writes_merged_fields_with_the_same_guard(conn: Conn) -> None:
    common: dict[str, Any] = {"name": "Leverage Ratio", "test_frequency": "Semi-Annual", "calculation_basis": LEVERAGE}
    rebound = await q.update_covenant(
        conn,
        workspace_id="ws-001",
        covenant_id="cov-001",
        threshold="≤ 3.00x",
        clause_id="clause-006",
        variable_id="var-006",
        **common,
    )
    assert rebound is not None
    assert (rebound.id, rebound.test_frequency, rebound.threshold, rebound.variable_id, rebound.variable_value) == (
        "cov-001",
        "Semi-Annual",
        "≤ 3.00x",
        "var-006",
        "3.00",
    )
    assert rebound.updated_at > rebound.created_at
    cleared = await q.update_covenant(
        conn,
        workspace_id="ws-001",
        covenant_id="cov-001",
        threshold="≤ 4.50x",
        clause_id="clause-003",  # moved to another clause of the workspace, unbound
        variable_id=None,
        **common,
    )
    assert cleared is not None
    assert (cleared.clause_id, cleared.variable_id, cleared.variable_value) == ("clause-003", None, None)
    for ws, cov, clause_id, variable_id in (
        ("ws-001", "cov-001", "clause-006", "var-002"),  # variable not of the clause
        ("ws-001", "cov-001", "clause-014", None),  # clause of another workspace
        ("ws-002", "cov-001", "clause-006", None),  # covenant of another workspace
        ("ws-001", "cov-404", "clause-006", None),
    ):
        none = await q.update_covenant(
            conn,
            workspace_id=ws,
            covenant_id=cov,
            threshold="x",
            clause_id=clause_id,
            variable_id=variable_id,
            **common,
        )
        assert none is None, (ws, cov, clause_id, variable_id)
    assert await q.get_covenant(conn, workspace_id="ws-001", covenant_id="cov-001") == cleared


async def test_delete_is_scoped(conn: Conn) -> None:
    assert await q.delete_covenant(conn, workspace_id="ws-002", covenant_id="cov-001") == 0
    assert await q.delete_covenant(conn, workspace_id="ws-001", covenant_id="cov-001") == 1
    assert await q.delete_covenant(conn, workspace_id="ws-001", covenant_id="cov-001") == 0
    assert ids(await q.list_covenants(conn, workspace_id="ws-001")) == ["cov-002"]


async def test_extraction_inputs(conn: Conn) -> None:
    clauses = await q.list_covenant_clauses(conn, workspace_id="ws-001")
    assert [(c.id, c.title, c.order) for c in clauses] == [("clause-006", "6. Financial Covenants", 6)]
    assert "does not exceed 4.50:1.00" in clauses[0].body
    ws2 = await q.list_covenant_clauses(conn, workspace_id="ws-002")
    assert [(c.id, c.order) for c in ws2] == [("clause-014", 4)]
    assert ids(await q.list_covenant_clauses(conn, workspace_id="ws-003")) == ["clause-020"]

    variables = await q.list_covenant_clause_variables(conn, workspace_id="ws-001")
    assert [(v.id, v.clause_id, v.label, v.type, v.value, v.unit) for v in variables] == [
        ("var-005", "clause-006", "Leverage Ratio Cap", "covenant", "4.50", "x"),
        ("var-006", "clause-006", "Interest Cover Floor", "covenant", "3.00", "x"),
    ]
    ws2_vars = await q.list_covenant_clause_variables(conn, workspace_id="ws-002")
    assert [(v.id, v.type, v.value) for v in ws2_vars] == [("var-016", "ratio", "4.00"), ("var-017", "ratio", "3.50")]
    assert await q.list_covenant_clause_variables(conn, workspace_id="ws-404") == []


# ------------------------------------------------------------------------------------------- plans and coverage


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def test_plan_file_holds_the_production_queries_verbatim() -> None:
    explained = {name.removeprefix("explain_") for name in PLANS.available_queries if name.startswith("explain_")}
    assert explained == {"list_covenants"}
    for name in explained:
        text = getattr(PLANS, f"explain_{name}").sql
        assert text.startswith("EXPLAIN (FORMAT JSON)")
        assert normalized(text.removeprefix("EXPLAIN (FORMAT JSON)")) == normalized(getattr(PROD, name).sql), name


async def test_list_plan_uses_the_workspace_index(conn: Conn) -> None:
    async with conn.transaction():
        await SUPPORT.disable_seqscan(conn)
        plan = await PLANS.explain_list_covenants(conn, workspace_id="ws-001")
    nodes = list(plan_nodes(plan[0]["Plan"]))
    assert {n.get("Index Name") for n in nodes if n.get("Relation Name") == "covenants"} == {
        "idx_covenants_workspace_id"
    }
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes)


def test_every_generated_covenant_query_is_exercised_here() -> None:
    generated = {n for n, f in inspect.getmembers(q, inspect.iscoroutinefunction) if f.__module__ == q.__name__}
    called = set(re.findall(r"\bq\.(\w+)\(", Path(__file__).read_text(encoding="utf-8")))
    assert generated <= called, generated - called
