"""Generated golden-record queries (sql/golden_records.sql) run against the demo data (demo-data.md §9-§10, §14): the
record rows, the live status inputs, the export document's reads, export/publish bookkeeping, version numbering under
the row lock, the unique version number, version reads and their membership gate, and the plans of the hot reads."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from psycopg import errors

from nexus.db.queries import golden_records as q

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = aiosql.from_path(ROOT / "tests" / "sql" / "q_golden_support.sql", "apsycopg")
PLANS = aiosql.from_path(ROOT / "tests" / "sql" / "q_golden_plans.sql", "apsycopg")
PROD = aiosql.from_path(ROOT / "sql" / "golden_records.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
DOCUMENT = '{\n  "version": "1.0",\n  "threshold": "≤ 4.50x"\n}'  # exact bytes: non-ASCII, no trailing newline
HASH = "sha256:" + "ab" * 32


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


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


async def publish(conn: Conn, ws: str, *, reason: str = "Final terms", category: Any = None) -> q.VersionRow:
    """The publish sequence of domain.md §10.3 (the version part), in one transaction."""
    async with conn.transaction():
        record = await q.lock_golden_record(conn, workspace_id=ws)
        assert record is not None
        number = await q.next_version_number(conn, workspace_id=ws)
        assert number is not None
        version = await q.insert_version(
            conn,
            workspace_id=ws,
            version=number,
            document=DOCUMENT,
            content_hash=HASH,
            integrity_score=100,
            published_by="user-001",
            reason=reason,
            reason_category=category,
        )
        assert version is not None
        return version


# ------------------------------------------------------------------------------------------- record and status


async def test_golden_record_rows_are_the_demo_rows(conn: Conn) -> None:
    gr1 = await q.get_golden_record(conn, workspace_id="ws-001")
    assert gr1 is not None
    assert (gr1.id, gr1.status, gr1.integrity_score, gr1.unresolved_high_drift_count) == ("gr-001", "IN_REVIEW", 87, 3)
    assert (gr1.last_export_at, gr1.last_publish_at, gr1.schema_json) == (utc("2024-12-19T16:00:00Z"), None, "{}")
    gr2 = await q.get_golden_record(conn, workspace_id="ws-002")
    assert gr2 is not None
    assert (gr2.id, gr2.status, gr2.integrity_score, gr2.unresolved_high_drift_count) == ("gr-002", "READY", 100, 0)
    assert (gr2.last_export_at, gr2.last_publish_at) == (utc("2024-12-18T11:00:00Z"), utc("2024-12-18T14:00:00Z"))
    gr3 = await q.get_golden_record(conn, workspace_id="ws-003")
    assert gr3 is not None
    assert (gr3.id, gr3.status, gr3.integrity_score, gr3.unresolved_high_drift_count) == ("gr-003", "IN_REVIEW", 100, 0)
    assert (gr3.last_export_at, gr3.last_publish_at, gr3.schema_json) == (None, None, "{}")
    assert await q.get_golden_record(conn, workspace_id="ws-404") is None


async def test_a_new_workspace_gets_its_golden_record(conn: Conn) -> None:
    await SUPPORT.insert_workspace(conn, workspace_id="ws-004")
    assert await q.insert_golden_record(conn, workspace_id="ws-004") == 1
    row = await q.get_golden_record(conn, workspace_id="ws-004")
    assert row is not None
    assert (row.status, row.integrity_score, row.unresolved_high_drift_count, row.schema_json) == (
        "IN_REVIEW",
        100,
        0,
        "{}",
    )
    assert (row.last_export_at, row.last_publish_at) == (None, None)
    # No graph_state row yet: the integrity at creation (100), not a missing row.
    inputs = await q.get_status_inputs(conn, workspace_id="ws-004")
    assert inputs == ("ws-004", 100, 0, True, None)
    with pytest.raises(errors.UniqueViolation):
        await q.insert_golden_record(conn, workspace_id="ws-004")  # one per workspace


async def test_status_inputs_follow_the_live_state(conn: Conn) -> None:
    ws1 = await q.get_status_inputs(conn, workspace_id="ws-001")
    assert ws1 is not None
    # 2 unresolved HIGH (drift-001, drift-002; 003/006 approved, 004 overridden), rule on, never published.
    assert (ws1.workspace_id, ws1.unresolved_high_drift_count, ws1.publish_blocked_when_high_drift) == (
        "ws-001",
        2,
        True,
    )
    assert ws1.integrity_score == await SUPPORT.graph_integrity(conn, workspace_id="ws-001")
    assert ws1.current_version is None
    ws3 = await q.get_status_inputs(conn, workspace_id="ws-003")
    assert ws3 is not None
    assert (ws3.unresolved_high_drift_count, ws3.current_version) == (0, None)  # drift-005 is MEDIUM

    # The graph build's cached integrity, an approval and the rule are read live (no snapshot).
    await SUPPORT.set_graph_integrity(conn, workspace_id="ws-001", integrity_score=89)
    await SUPPORT.approve_drift(conn, drift_id="drift-001")
    await SUPPORT.set_rule(conn, workspace_id="ws-001", rule="publishBlockedWhenHighDrift", enabled=False)
    ws1 = await q.get_status_inputs(conn, workspace_id="ws-001")
    assert ws1 is not None
    assert (ws1.integrity_score, ws1.unresolved_high_drift_count, ws1.publish_blocked_when_high_drift) == (89, 1, False)

    # current_version follows publishes.
    await publish(conn, "ws-003")
    await publish(conn, "ws-003")
    ws3 = await q.get_status_inputs(conn, workspace_id="ws-003")
    assert ws3 is not None and ws3.current_version == 2
    assert await q.get_status_inputs(conn, workspace_id="ws-404") is None


# ------------------------------------------------------------------------------------------- export document reads


async def test_export_workspace_facts_and_content_watermark(conn: Conn) -> None:
    ws2 = await q.get_export_workspace(conn, workspace_id="ws-002")
    assert ws2 is not None
    assert ws2 == (
        "ws-002",
        "Project Beacon - Revolving Credit",
        "EUR",
        Decimal("250000000.00"),
        "LMA-style v2024.1",
        "Beacon_RCF_Draft.pdf",
        utc("2024-08-15T10:20:00Z"),  # demo-data §9: grv-001's generatedAt = the workspace row's updated_at
    )
    ws1 = await q.get_export_workspace(conn, workspace_id="ws-001")
    assert ws1 is not None
    assert ws1.generated_at == utc("2024-12-20T11:05:00Z")  # drift-006 approval, the latest change in ws-001
    ws3 = await q.get_export_workspace(conn, workspace_id="ws-003")
    assert ws3 is not None
    assert ws3.generated_at == utc("2024-12-10T09:31:00Z")  # var-014 / drift-005
    # Any covenant change moves the watermark (the workspace row's own updated_at does not).
    moved = await SUPPORT.set_covenant(conn, covenant_id="cov-003", threshold="≤ 3.50x", variable_id="var-017")
    ws2 = await q.get_export_workspace(conn, workspace_id="ws-002")
    assert ws2 is not None and ws2.generated_at == moved
    assert await q.get_export_workspace(conn, workspace_id="ws-404") is None


async def test_export_clauses_by_order(conn: Conn) -> None:
    rows = await q.list_export_clauses(conn, workspace_id="ws-002")
    assert rows == [
        ("clause-015", "1. Definitions", "definition", 1, True),
        ("clause-013", "2. The Revolving Facility", "financial", 2, True),
        ("clause-016", "3. Interest", "financial", 3, True),
        ("clause-014", "4. Financial Covenants", "covenant", 4, True),
    ]
    assert [r.order for r in await q.list_export_clauses(conn, workspace_id="ws-003")] == [1, 2, 3, 4, 5]
    assert await q.list_export_clauses(conn, workspace_id="ws-404") == []


async def test_export_variables_by_clause_order_created_at_id(conn: Conn) -> None:
    rows = await q.list_export_variables(conn, workspace_id="ws-002")
    assert [(r.id, r.clause_id) for r in rows] == [
        ("var-011", "clause-013"),
        ("var-012", "clause-016"),
        ("var-016", "clause-014"),
        ("var-017", "clause-014"),
    ]
    assert rows[0][1:] == (
        "RCF Commitment",
        "financial",
        "250,000,000",
        "EUR",
        "clause-013",
        "250,000,000",
        utc("2024-08-15T10:00:00Z"),
    )
    ws1 = {r.id: r for r in await q.list_export_variables(conn, workspace_id="ws-001")}
    assert len(ws1) == 10
    var8 = ws1["var-008"]  # baseline moved by the drift-004 override
    assert (var8.value, var8.unit, var8.baseline_value) == ("40", "%", "40")
    assert var8.baseline_approved_at == utc("2024-12-09T11:30:00Z")
    assert (ws1["var-002"].value, ws1["var-002"].baseline_value) == ("275", "250")
    assert ws1["var-007"].unit is None


async def test_export_covenants_with_effective_thresholds(conn: Conn) -> None:
    rows = await q.list_export_covenants(conn, workspace_id="ws-002")
    # One clause (clause-014), then by name: Interest Cover before Leverage Ratio.
    assert [(r.id, r.name, r.threshold, r.effective_threshold) for r in rows] == [
        ("cov-004", "Interest Cover", "≥ 4.00x", "≥ 4.00x"),
        ("cov-003", "Leverage Ratio", "≤ 3.50x", "≤ 3.50x"),
    ]
    assert rows[1][5:] == (
        "Total Net Debt / EBITDA",
        "clause-014",
        "var-017",
        "Leverage Ratio Cap",
        "3.50",
        "x",
        "3.50",
    )
    assert rows[1].test_frequency == "Semi-Annual"

    # domain.md §10.6: var-005 := 4.75 → cov-001 "≤ 4.75x", the stored text unchanged.
    await SUPPORT.set_variable_value(conn, variable_id="var-005", value="4.75")
    # A value is inserted literally (a backslash is no back-reference); unbound or numberless → the stored text.
    await SUPPORT.set_variable_value(conn, variable_id="var-006", value=r"3\1&")
    await SUPPORT.set_covenant(conn, covenant_id="cov-005", threshold="n/a", variable_id="var-015")
    ws1 = await q.list_export_covenants(conn, workspace_id="ws-001")
    assert [(r.id, r.threshold, r.effective_threshold, r.variable_value) for r in ws1] == [
        ("cov-002", "≥ 3.00x", "≥ 3\\1&x", "3\\1&"),
        ("cov-001", "≤ 4.50x", "≤ 4.75x", "4.75"),
    ]
    ws3 = await q.list_export_covenants(conn, workspace_id="ws-003")
    assert [(r.id, r.threshold, r.effective_threshold) for r in ws3] == [("cov-005", "n/a", "n/a")]
    await SUPPORT.set_covenant(conn, covenant_id="cov-001", threshold="≤ 1,234.5x or less", variable_id=None)
    unbound = next(r for r in await q.list_export_covenants(conn, workspace_id="ws-001") if r.id == "cov-001")
    assert (unbound.effective_threshold, unbound.variable_id, unbound.variable_label) == (
        "≤ 1,234.5x or less",
        None,
        None,
    )
    assert (unbound.variable_value, unbound.variable_unit, unbound.variable_baseline_value) == (None, None, None)


async def test_export_drift_summary_and_items(conn: Conn) -> None:
    # (HIGH, MEDIUM, LOW, total unresolved, approved deviations)
    assert await q.get_export_drift_summary(conn, workspace_id="ws-001") == (2, 0, 0, 2, 2)
    assert await q.get_export_drift_summary(conn, workspace_id="ws-002") == (0, 0, 0, 0, 0)
    assert await q.get_export_drift_summary(conn, workspace_id="ws-003") == (0, 1, 0, 1, 0)
    items = await q.list_export_drift_items(conn, workspace_id="ws-001")
    assert items == [
        ("drift-001", "Applicable Margin Increase", "financial", "HIGH", "clause-003", "var-002", "250", "275", "bps"),
        ("drift-002", "Leverage Ratio Cap Increase", "covenant", "HIGH", "clause-006", "var-005", "4.00", "4.50", "x"),
    ]
    ws3 = await q.list_export_drift_items(conn, workspace_id="ws-003")
    assert [(r.id, r.severity) for r in ws3] == [("drift-005", "MEDIUM")]
    assert await q.list_export_drift_items(conn, workspace_id="ws-002") == []


# ------------------------------------------------------------------------------------------- export and publish


async def test_record_export_writes_the_snapshot(conn: Conn) -> None:
    row = await q.record_export(
        conn,
        workspace_id="ws-001",
        status="IN_REVIEW",
        integrity_score=89,
        unresolved_high_drift_count=2,
        schema_json=DOCUMENT,
    )
    assert row is not None
    assert (row.id, row.status, row.integrity_score, row.unresolved_high_drift_count) == ("gr-001", "IN_REVIEW", 89, 2)
    assert row.last_export_at == row.updated_at  # now() of the statement
    assert row.last_export_at is not None and row.last_export_at > utc("2024-12-19T16:00:00Z")
    assert (row.last_publish_at, row.schema_json) == (None, DOCUMENT)
    assert await q.get_golden_record(conn, workspace_id="ws-001") == row
    assert (
        await q.record_export(
            conn,
            workspace_id="ws-404",
            status="READY",
            integrity_score=100,
            unresolved_high_drift_count=0,
            schema_json="{}",
        )
        is None
    )


async def test_publishing_numbers_versions_and_records_the_publish(conn: Conn) -> None:
    async with conn.transaction():
        locked = await q.lock_golden_record(conn, workspace_id="ws-003")
        assert locked is not None and locked.id == "gr-003"
        assert await q.next_version_number(conn, workspace_id="ws-003") == 1
        v1 = await q.insert_version(
            conn,
            workspace_id="ws-003",
            version=1,
            document=DOCUMENT,
            content_hash=HASH,
            integrity_score=89,
            published_by="user-005",
            reason="Final terms approved by all parties",
            reason_category="other",
        )
        assert v1 is not None
        published = await q.record_publish(
            conn, workspace_id="ws-003", integrity_score=89, unresolved_high_drift_count=0, schema_json=DOCUMENT
        )
    assert (v1.workspace_id, v1.version, v1.content_hash, v1.integrity_score) == ("ws-003", 1, HASH, 89)
    assert (v1.published_by, v1.reason, v1.reason_category) == (
        "user-005",
        "Final terms approved by all parties",
        "other",
    )
    assert published is not None
    assert (published.status, published.integrity_score, published.schema_json) == ("READY", 89, DOCUMENT)
    assert published.last_publish_at == v1.published_at  # one transaction, one now()
    assert published.last_export_at is None

    v2 = await publish(conn, "ws-003", reason="Second", category=None)
    assert (v2.version, v2.reason, v2.reason_category) == (2, "Second", None)
    assert await q.next_version_number(conn, workspace_id="ws-003") == 3
    assert await q.next_version_number(conn, workspace_id="ws-001") == 1
    assert [v.version for v in await q.list_versions(conn, workspace_id="ws-003")] == [2, 1]
    assert (await q.list_versions(conn, workspace_id="ws-003"))[1] == v1
    assert await q.list_versions(conn, workspace_id="ws-001") == []

    detail = await q.get_version(conn, workspace_id="ws-003", version=1)
    assert detail is not None
    assert detail[:-1] == v1 and detail.document == DOCUMENT  # the exact bytes
    assert await q.get_version(conn, workspace_id="ws-003", version=3) is None
    assert await q.get_version(conn, workspace_id="ws-001", version=1) is None  # tenant scoping
    assert await q.lock_golden_record(conn, workspace_id="ws-404") is None
    assert (
        await q.record_publish(
            conn, workspace_id="ws-404", integrity_score=100, unresolved_high_drift_count=0, schema_json="{}"
        )
        is None
    )


async def test_a_taken_version_number_is_a_unique_violation(conn: Conn) -> None:
    v1 = await publish(conn, "ws-001")
    assert v1.version == 1
    with pytest.raises(errors.UniqueViolation) as exc:
        await q.insert_version(
            conn,
            workspace_id="ws-001",
            version=1,
            document="{}",
            content_hash=HASH,
            integrity_score=89,
            published_by="user-001",
            reason="again",
            reason_category=None,
        )
    assert exc.value.diag.constraint_name == "uq_golden_record_versions_workspace_version"
    assert [v.version for v in await q.list_versions(conn, workspace_id="ws-001")] == [1]


async def test_concurrent_publishes_wait_for_the_lock_and_take_the_next_number(conn: Conn, other: Conn) -> None:
    first_locked = asyncio.Event()
    release = asyncio.Event()

    async def first() -> int:
        async with conn.transaction():
            assert await q.lock_golden_record(conn, workspace_id="ws-001") is not None
            number = await q.next_version_number(conn, workspace_id="ws-001")
            first_locked.set()
            await release.wait()
            assert number is not None
            await q.insert_version(
                conn,
                workspace_id="ws-001",
                version=number,
                document=DOCUMENT,
                content_hash=HASH,
                integrity_score=89,
                published_by="user-001",
                reason="first",
                reason_category=None,
            )
            return number

    async def second() -> int:
        await first_locked.wait()
        async with other.transaction():
            assert await q.lock_golden_record(other, workspace_id="ws-001") is not None  # waits for `first`
            number = await q.next_version_number(other, workspace_id="ws-001")
            assert number is not None
            await q.insert_version(
                other,
                workspace_id="ws-001",
                version=number,
                document=DOCUMENT,
                content_hash=HASH,
                integrity_score=89,
                published_by="user-001",
                reason="second",
                reason_category=None,
            )
            return number

    first_task = asyncio.create_task(first())
    second_task = asyncio.create_task(second())
    await first_locked.wait()
    await asyncio.sleep(0.2)
    assert not second_task.done()  # blocked on the golden record row
    release.set()
    assert list(await asyncio.gather(first_task, second_task)) == [1, 2]
    versions = await q.list_versions(conn, workspace_id="ws-001")
    assert [(v.version, v.reason) for v in versions] == [(2, "second"), (1, "first")]


async def test_version_for_member_is_gated_by_an_active_membership(conn: Conn) -> None:
    published = await publish(conn, "ws-002", category="other")
    n = published.version
    sarah = await q.get_version_for_member(conn, workspace_id="ws-002", version=n, user_id="user-001")
    assert sarah is not None
    assert sarah[:10] == (*published, DOCUMENT)
    assert (sarah.member_id, sarah.member_role, sarah.member_is_admin) == ("wm-005", "agent", True)
    assert (sarah.member_is_external, sarah.member_status, sarah.archived_at) == (False, "active", None)
    assert isinstance(sarah.governance_rules, dict) and sarah.governance_rules["externalCounselReadOnly"] is True
    james = await q.get_version_for_member(conn, workspace_id="ws-002", version=n, user_id="user-002")
    assert james is not None and (james.member_role, james.member_is_external) == ("legal", True)
    # David is no member of ws-002; a pending member is none either; a missing number gives nothing.
    assert await q.get_version_for_member(conn, workspace_id="ws-002", version=n, user_id="user-004") is None
    await SUPPORT.set_member_status(conn, member_id="wm-007", status="pending")
    assert await q.get_version_for_member(conn, workspace_id="ws-002", version=n, user_id="user-003") is None
    assert await q.get_version_for_member(conn, workspace_id="ws-002", version=n + 1, user_id="user-001") is None
    assert await q.get_version_for_member(conn, workspace_id="ws-001", version=n, user_id="user-001") is None


# ------------------------------------------------------------------------------------------- plans and coverage


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


PLAN_CASES: list[tuple[str, dict[str, Any], set[str], bool]] = [
    # (query, parameters, indexes the plan must use, ordered by the index: no Sort node)
    (
        "get_status_inputs",
        {"workspace_id": "ws-001"},
        {"idx_drift_unresolved", "uq_golden_record_versions_workspace_version", "uq_graph_state_workspace_id"},
        False,
    ),
    ("list_export_drift_items", {"workspace_id": "ws-001"}, {"idx_drift_unresolved"}, False),
    ("next_version_number", {"workspace_id": "ws-002"}, {"uq_golden_record_versions_workspace_version"}, False),
    ("list_versions", {"workspace_id": "ws-002"}, {"uq_golden_record_versions_workspace_version"}, True),
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


@pytest.mark.parametrize(("name", "params", "indexes", "ordered"), PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
async def test_hot_query_plans_use_the_intended_index(
    conn: Conn, name: str, params: dict[str, Any], indexes: set[str], ordered: bool
) -> None:
    for _ in range(3):
        await publish(conn, "ws-002")
    await SUPPORT.analyze_versions(conn)
    async with conn.transaction():
        await SUPPORT.disable_seqscan(conn)
        plan = await getattr(PLANS, f"explain_{name}")(conn, **params)
    nodes = list(plan_nodes(plan[0]["Plan"]))
    used = {n["Index Name"] for n in nodes if "Index Name" in n}
    assert indexes <= used, (name, used)
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes), name
    if ordered:
        assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes), name


def test_every_generated_golden_query_is_exercised_here() -> None:
    generated = {n for n, f in inspect.getmembers(q, inspect.iscoroutinefunction) if f.__module__ == q.__name__}
    called = set(re.findall(r"\bq\.(\w+)\(", Path(__file__).read_text(encoding="utf-8")))
    assert generated <= called, generated - called
