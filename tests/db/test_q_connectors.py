"""Generated connector and outbox queries (sql/connectors.sql) run against the demo data (demo-data.md §11,
domain.md §10.3-§10.5): connector reads, the membership gate, configuration and statuses, deliveries created per
connector at publish, superseding, the worker's SKIP LOCKED claim under a lease, settle transitions and the plans."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from psycopg import errors

from nexus.db.queries import connectors as q
from nexus.db.queries import golden_records as gq

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = aiosql.from_path(ROOT / "tests" / "sql" / "q_connectors_support.sql", "apsycopg")
PLANS = aiosql.from_path(ROOT / "tests" / "sql" / "q_connectors_plans.sql", "apsycopg")
PROD = aiosql.from_path(ROOT / "sql" / "connectors.sql", "apsycopg")

Conn = psycopg.AsyncConnection[Any]
ALLVUE = "https://allvue.example.com/nexus/v1/golden-records"
LEASE = timedelta(seconds=60)
WS2_CONNECTORS = ["conn-001", "conn-002", "conn-003", "conn-004"]


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


async def new_version(conn: Conn, ws: str = "ws-002") -> gq.VersionRow:
    """A published version of `ws` (the version part of domain.md §10.3), through the golden-record queries."""
    async with conn.transaction():
        assert await gq.lock_golden_record(conn, workspace_id=ws) is not None
        number = await gq.next_version_number(conn, workspace_id=ws)
        assert number is not None
        version = await gq.insert_version(
            conn,
            workspace_id=ws,
            version=number,
            document=f'{{"version": "1.0", "n": {number}}}',
            content_hash=f"sha256:{number:064x}",
            integrity_score=100,
            published_by="user-001",
            reason="Final terms approved by all parties",
            reason_category="other",
        )
        assert version is not None
        return version


async def pending_for_conn_003(conn: Conn) -> tuple[gq.VersionRow, q.DeliveryRow]:
    version = await new_version(conn)
    created = await q.create_deliveries(conn, workspace_id="ws-002", version_id=version.id)
    (pending,) = [d for d in created if d.connector_id == "conn-003"]
    return version, pending


# ------------------------------------------------------------------------------------------- connectors


async def test_list_connectors_by_type_order(conn: Conn) -> None:
    rows = await q.list_connectors(conn, workspace_id="ws-002")
    assert [(r.id, r.name, r.type, r.status, r.last_sync_at, r.endpoint_url) for r in rows] == [
        ("conn-001", "LoanIQ Production", "LoanIQ", "READY", utc("2024-12-18T14:00:00Z"), None),
        ("conn-002", "Finastra Fusion", "Finastra", "READY", utc("2024-12-18T14:00:00Z"), None),
        ("conn-003", "Allvue Systems", "Allvue", "DISCONNECTED", None, ALLVUE),
        ("conn-004", "CovenantTracker", "CovenantTracker", "READY", utc("2024-12-18T14:00:00Z"), None),
    ]
    ws1 = await q.list_connectors(conn, workspace_id="ws-001")
    assert [(r.id, r.name, r.status, r.endpoint_url) for r in ws1] == [
        ("conn-005", "LoanIQ", "DISCONNECTED", None),
        ("conn-006", "Finastra", "DISCONNECTED", None),
        ("conn-007", "Allvue", "DISCONNECTED", None),
        ("conn-008", "CovenantTracker", "DISCONNECTED", None),
    ]
    assert await q.list_connectors(conn, workspace_id="ws-404") == []


async def test_a_new_workspace_gets_the_four_default_connectors(conn: Conn) -> None:
    await SUPPORT.insert_workspace(conn, workspace_id="ws-004")
    assert await q.insert_default_connectors(conn, workspace_id="ws-004") == 4
    rows = await q.list_connectors(conn, workspace_id="ws-004")
    assert [(r.name, r.type, r.status, r.last_sync_at, r.endpoint_url) for r in rows] == [
        (t, t, "DISCONNECTED", None, None) for t in ("LoanIQ", "Finastra", "Allvue", "CovenantTracker")
    ]


async def test_get_connector_is_scoped_to_its_workspace(conn: Conn) -> None:
    row = await q.get_connector(conn, workspace_id="ws-002", connector_id="conn-003")
    assert row is not None
    assert (row.id, row.workspace_id, row.name, row.endpoint_url) == ("conn-003", "ws-002", "Allvue Systems", ALLVUE)
    assert await q.get_connector(conn, workspace_id="ws-001", connector_id="conn-003") is None
    assert await q.get_connector(conn, workspace_id="ws-002", connector_id="conn-404") is None


async def test_connector_for_member_is_gated_by_an_active_membership(conn: Conn) -> None:
    sarah = await q.get_connector_for_member(conn, connector_id="conn-003", user_id="user-001")
    assert sarah is not None
    assert sarah[:9] == await q.get_connector(conn, workspace_id="ws-002", connector_id="conn-003")
    assert (sarah.member_id, sarah.member_role, sarah.member_is_admin, sarah.member_is_external) == (
        "wm-005",
        "agent",
        True,
        False,
    )
    assert (sarah.member_status, sarah.archived_at) == ("active", None)
    assert isinstance(sarah.governance_rules, dict) and sarah.governance_rules["externalCounselReadOnly"] is True
    james = await q.get_connector_for_member(conn, connector_id="conn-003", user_id="user-002")
    assert james is not None and (james.member_role, james.member_is_admin, james.member_is_external) == (
        "legal",
        False,
        True,
    )
    # David (user-004) is no member of ws-002; a pending member is none either; an unknown id is nothing.
    assert await q.get_connector_for_member(conn, connector_id="conn-003", user_id="user-004") is None
    await SUPPORT.set_member_status(conn, member_id="wm-007", status="pending")
    assert await q.get_connector_for_member(conn, connector_id="conn-003", user_id="user-003") is None
    assert await q.get_connector_for_member(conn, connector_id="conn-404", user_id="user-001") is None
    david = await q.get_connector_for_member(conn, connector_id="conn-005", user_id="user-004")
    assert david is not None and (david.workspace_id, david.member_role) == ("ws-001", "investor")


async def test_configure_connector(conn: Conn) -> None:
    url = "https://loaniq.example.com/hook"
    row = await q.configure_connector(conn, workspace_id="ws-002", connector_id="conn-001", endpoint_url=url, name=None)
    assert row is not None
    assert (row.name, row.endpoint_url, row.status) == ("LoanIQ Production", url, "READY")  # name kept
    row = await q.configure_connector(
        conn, workspace_id="ws-002", connector_id="conn-001", endpoint_url=None, name="LoanIQ Prod"
    )
    assert row is not None and (row.name, row.endpoint_url) == ("LoanIQ Prod", None)  # NULL clears
    assert (
        await q.configure_connector(conn, workspace_id="ws-001", connector_id="conn-001", endpoint_url=url, name=None)
        is None
    )
    with pytest.raises(errors.CheckViolation):
        await q.configure_connector(
            conn, workspace_id="ws-002", connector_id="conn-001", endpoint_url="ftp://x", name=None
        )


async def test_set_connector_status(conn: Conn) -> None:
    row = await q.set_connector_status(
        conn, workspace_id="ws-002", connector_id="conn-003", status="READY", synced=True
    )
    assert row is not None
    assert row.status == "READY" and row.last_sync_at == row.updated_at  # now() of the statement
    synced_at = row.last_sync_at
    row = await q.set_connector_status(
        conn, workspace_id="ws-002", connector_id="conn-003", status="DISCONNECTED", synced=False
    )
    assert row is not None and (row.status, row.last_sync_at) == ("DISCONNECTED", synced_at)
    assert (
        await q.set_connector_status(conn, workspace_id="ws-001", connector_id="conn-003", status="READY", synced=True)
        is None
    )


async def test_mark_connectors_published(conn: Conn) -> None:
    rows = {r.id: r for r in await q.mark_connectors_published(conn, workspace_id="ws-002")}
    assert sorted(rows) == WS2_CONNECTORS
    assert (rows["conn-003"].status, rows["conn-003"].last_sync_at) == ("IN_REVIEW", None)  # delivery pending
    for cid in ("conn-001", "conn-002", "conn-004"):  # delivery skipped: READY, synced now
        assert (rows[cid].status, rows[cid].last_sync_at) == ("READY", rows[cid].updated_at)
    assert await q.mark_connectors_published(conn, workspace_id="ws-404") == []


# ------------------------------------------------------------------------------------------- outbox


async def test_create_deliveries_one_per_connector(conn: Conn) -> None:
    version = await new_version(conn)
    created = {d.connector_id: d for d in await q.create_deliveries(conn, workspace_id="ws-002", version_id=version.id)}
    assert sorted(created) == WS2_CONNECTORS
    pending = created["conn-003"]  # the only connector with an endpoint
    assert (pending.status, pending.attempts, pending.next_attempt_at) == ("pending", 0, pending.created_at)
    assert (pending.workspace_id, pending.version_id) == ("ws-002", version.id)
    for cid in ("conn-001", "conn-002", "conn-004"):
        assert (created[cid].status, created[cid].next_attempt_at, created[cid].attempts) == ("skipped", None, 0)
    assert (pending.last_attempt_at, pending.delivered_at, pending.last_status_code, pending.last_error) == (
        None,
        None,
        None,
        None,
    )
    # A repeat creates nothing; another workspace's version creates nothing.
    assert await q.create_deliveries(conn, workspace_id="ws-002", version_id=version.id) == []
    ws1_version = await new_version(conn, "ws-001")
    assert await q.create_deliveries(conn, workspace_id="ws-002", version_id=ws1_version.id) == []
    ws1 = await q.create_deliveries(conn, workspace_id="ws-001", version_id=ws1_version.id)
    assert [d.status for d in ws1] == ["skipped"] * 4


async def test_claim_leases_due_deliveries_with_what_the_post_needs(conn: Conn) -> None:
    version, pending = await pending_for_conn_003(conn)
    claimed = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)
    assert [c.id for c in claimed] == [pending.id]
    c = claimed[0]
    assert (c.workspace_id, c.connector_id, c.version_id, c.status, c.attempts) == (
        "ws-002",
        "conn-003",
        version.id,
        "pending",
        1,
    )
    assert (c.endpoint_url, c.version, c.content_hash) == (ALLVUE, version.version, version.content_hash)
    assert c.document == f'{{"version": "1.0", "n": {version.version}}}'
    (listed,) = [
        d
        for d in await q.list_deliveries(conn, workspace_id="ws-002", connector_id="conn-003", page_limit=50)
        if d.id == c.id
    ]
    assert listed.last_attempt_at is not None
    assert c.next_attempt_at == listed.next_attempt_at == listed.last_attempt_at + LEASE
    # Leased: not due again until the lease expires; then the same delivery comes back (same Idempotency-Key).
    assert await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10) == []
    await SUPPORT.make_due(conn, delivery_id=c.id)
    again = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)
    assert [(d.id, d.attempts) for d in again] == [(c.id, 2)]


async def test_retry_backoff_then_failure(conn: Conn) -> None:
    _, pending = await pending_for_conn_003(conn)
    (c,) = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)
    long_error = "HTTP 503 Service Unavailable " + "x" * 1500
    row = await q.mark_retrying(
        conn, workspace_id="ws-002", delivery_id=c.id, attempts=1, status_code=503, error=long_error
    )
    assert row is not None
    assert (row.status, row.attempts, row.last_status_code) == ("retrying", 1, 503)
    assert row.last_error == long_error[:1000]
    assert row.next_attempt_at is not None and row.next_attempt_at - row.updated_at == timedelta(seconds=30)
    # A stale lease holder (wrong attempts) or another workspace writes nothing.
    assert (
        await q.mark_retrying(conn, workspace_id="ws-002", delivery_id=c.id, attempts=2, status_code=503, error="x")
        is None
    )
    assert (
        await q.mark_failed(conn, workspace_id="ws-001", delivery_id=c.id, attempts=1, status_code=None, error="x")
        is None
    )
    # Second attempt: 60 s; the backoff doubles up to the 1 h cap.
    await SUPPORT.make_due(conn, delivery_id=c.id)
    (c2,) = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)
    assert (c2.id, c2.status, c2.attempts) == (c.id, "retrying", 2)
    row = await q.mark_retrying(
        conn, workspace_id="ws-002", delivery_id=c.id, attempts=2, status_code=None, error="timeout after 10 s"
    )
    assert row is not None and row.next_attempt_at is not None
    assert (row.last_status_code, row.last_error) == (None, "timeout after 10 s")
    assert row.next_attempt_at - row.updated_at == timedelta(seconds=60)
    await SUPPORT.set_attempts(conn, delivery_id=c.id, attempts=7)
    row = await q.mark_retrying(conn, workspace_id="ws-002", delivery_id=c.id, attempts=7, status_code=502, error="e")
    assert row is not None and row.next_attempt_at is not None
    assert row.next_attempt_at - row.updated_at == timedelta(minutes=32)  # 30 s * 2^6
    await SUPPORT.set_attempts(conn, delivery_id=c.id, attempts=8)
    row = await q.mark_retrying(conn, workspace_id="ws-002", delivery_id=c.id, attempts=8, status_code=502, error="e")
    assert row is not None and row.next_attempt_at is not None
    assert row.next_attempt_at - row.updated_at == timedelta(hours=1)  # 30 s * 2^7 = 64 min, capped at 1 h
    await SUPPORT.set_attempts(conn, delivery_id=c.id, attempts=1000)
    row = await q.mark_retrying(
        conn, workspace_id="ws-002", delivery_id=c.id, attempts=1000, status_code=502, error="e"
    )
    assert row is not None and row.next_attempt_at is not None
    assert row.next_attempt_at - row.updated_at == timedelta(hours=1)
    # Attempts spent (or a non-retryable status): failed, terminal, never claimed again.
    await SUPPORT.set_attempts(conn, delivery_id=c.id, attempts=8)
    await SUPPORT.make_due(conn, delivery_id=c.id)
    (c8,) = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)
    assert c8.attempts == 9
    failed = await q.mark_failed(
        conn, workspace_id="ws-002", delivery_id=c.id, attempts=9, status_code=None, error="e" * 2000
    )
    assert failed is not None
    assert (failed.status, failed.next_attempt_at, failed.last_status_code) == ("failed", None, None)
    assert failed.last_error == "e" * 1000 and failed.delivered_at is None
    assert await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10) == []
    assert (
        await q.mark_delivered(conn, workspace_id="ws-002", delivery_id=c.id, attempts=9, status_code=200) is None
    )  # terminal
    assert pending.id == c.id


async def test_delivered_is_terminal(conn: Conn) -> None:
    _, pending = await pending_for_conn_003(conn)
    (c,) = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)
    await q.mark_retrying(conn, workspace_id="ws-002", delivery_id=c.id, attempts=1, status_code=429, error="slow down")
    await SUPPORT.make_due(conn, delivery_id=c.id)
    (c,) = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)
    row = await q.mark_delivered(conn, workspace_id="ws-002", delivery_id=c.id, attempts=2, status_code=200)
    assert row is not None
    assert (row.id, row.status, row.attempts, row.last_status_code, row.last_error) == (
        pending.id,
        "delivered",
        2,
        200,
        None,
    )
    assert (row.delivered_at, row.next_attempt_at) == (row.updated_at, None)
    assert await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10) == []
    assert (
        await q.mark_failed(conn, workspace_id="ws-002", delivery_id=c.id, attempts=2, status_code=400, error="x")
        is None
    )


async def test_a_newer_version_supersedes_pending_and_retrying_deliveries(conn: Conn) -> None:
    v1, d1 = await pending_for_conn_003(conn)
    assert await q.supersede_deliveries(conn, workspace_id="ws-002", version_id=v1.id) == []  # its own version
    v2 = await new_version(conn)
    superseded = await q.supersede_deliveries(conn, workspace_id="ws-002", version_id=v2.id)
    assert superseded == [(d1.id, "conn-003", v1.id)]  # skipped deliveries are left alone
    created = {d.connector_id: d for d in await q.create_deliveries(conn, workspace_id="ws-002", version_id=v2.id)}
    d2 = created["conn-003"]
    # Only the newest version's delivery is due; the superseded one is never sent.
    assert [c.id for c in await q.claim_due_deliveries(conn, lease=LEASE, batch_size=10)] == [d2.id]
    # A retrying delivery is superseded too, and a late worker result cannot revive it.
    await q.mark_retrying(conn, workspace_id="ws-002", delivery_id=d2.id, attempts=1, status_code=500, error="boom")
    v3 = await new_version(conn)
    assert await q.supersede_deliveries(conn, workspace_id="ws-002", version_id=v3.id) == [(d2.id, "conn-003", v2.id)]
    assert await q.mark_delivered(conn, workspace_id="ws-002", delivery_id=d2.id, attempts=1, status_code=200) is None
    assert await q.supersede_deliveries(conn, workspace_id="ws-001", version_id=v3.id) == []

    rows = await q.list_deliveries(conn, workspace_id="ws-002", connector_id="conn-003", page_limit=50)
    mine = [r for r in rows if r.version_id in (v1.id, v2.id)]
    assert rows[: len(mine)] == mine  # newest first; any older (demo) deliveries follow
    assert [(r.id, r.version, r.status) for r in mine] == [
        (d2.id, v2.version, "superseded"),
        (d1.id, v1.version, "superseded"),
    ]
    assert (mine[0].attempts, mine[0].last_status_code, mine[0].last_error, mine[0].next_attempt_at) == (
        1,
        500,
        "boom",
        None,
    )
    assert [
        r.id for r in await q.list_deliveries(conn, workspace_id="ws-002", connector_id="conn-003", page_limit=1)
    ] == [d2.id]
    skipped = await q.list_deliveries(conn, workspace_id="ws-002", connector_id="conn-001", page_limit=50)
    assert [(r.version_id, r.status) for r in skipped[:2]] == [(v2.id, "skipped"), (v1.id, "skipped")]
    assert await q.list_deliveries(conn, workspace_id="ws-001", connector_id="conn-003", page_limit=50) == []


async def test_concurrent_claims_never_share_a_delivery(conn: Conn, other: Conn) -> None:
    for cid in WS2_CONNECTORS:
        await q.configure_connector(
            conn, workspace_id="ws-002", connector_id=cid, endpoint_url=f"https://{cid}.example.com/", name=None
        )
    due: set[str] = set()
    for _ in range(3):
        version = await new_version(conn)
        due |= {d.id for d in await q.create_deliveries(conn, workspace_id="ws-002", version_id=version.id)}
    assert len(due) == 12

    first_claimed = asyncio.Event()
    second_claimed = asyncio.Event()

    async def first_worker() -> list[str]:
        async with conn.transaction():  # holds its row locks, uncommitted, while the second worker claims
            rows = await q.claim_due_deliveries(conn, lease=LEASE, batch_size=8)
            first_claimed.set()
            await second_claimed.wait()
        return [r.id for r in rows]

    async def second_worker() -> list[str]:
        await first_claimed.wait()
        async with other.transaction():
            # SKIP LOCKED: neither waits for the first worker's locks nor takes its rows.
            rows = await asyncio.wait_for(q.claim_due_deliveries(other, lease=LEASE, batch_size=8), timeout=5)
            second_claimed.set()
        return [r.id for r in rows]

    first, second = await asyncio.gather(first_worker(), second_worker())
    assert (len(first), len(second)) == (8, 4)
    assert not set(first) & set(second)
    assert set(first) | set(second) == due
    assert await q.claim_due_deliveries(conn, lease=LEASE, batch_size=8) == []


# ------------------------------------------------------------------------------------------- plans and coverage


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


PLAN_CASES: list[tuple[str, dict[str, Any], set[str], bool]] = [
    # (query, parameters, indexes the plan must use, ordered by the index: no Sort node)
    ("claim_due_deliveries", {"lease": LEASE, "batch_size": 10}, {"idx_deliveries_due"}, True),
    (
        "list_deliveries",
        {"workspace_id": "ws-002", "connector_id": "conn-003", "page_limit": 50},
        {"idx_deliveries_connector"},
        False,
    ),
    ("list_connectors", {"workspace_id": "ws-002"}, {"idx_downstream_connectors_workspace_id"}, False),
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
    async with conn.transaction():
        await SUPPORT.disable_seqscan(conn)
        plan = await getattr(PLANS, f"explain_{name}")(conn, **params)
    nodes = list(plan_nodes(plan[0]["Plan"]))
    used = {n["Index Name"] for n in nodes if "Index Name" in n}
    assert indexes <= used, (name, used)
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes), name
    if ordered:  # the claim takes the oldest due rows straight from the index
        assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes), name


def test_every_generated_connector_query_is_exercised_here() -> None:
    generated = {n for n, f in inspect.getmembers(q, inspect.iscoroutinefunction) if f.__module__ == q.__name__}
    called = set(re.findall(r"\bq\.(\w+)\(", Path(__file__).read_text(encoding="utf-8")))
    assert generated <= called, generated - called
