"""The audit hash chain trigger (schema.md §6.6–§6.7, domain.md §11.4): chain columns, gapless seq, links,
monotonic timestamps, forged values ignored, heads, concurrency, and agreement with nexus/domain/audit.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import msgspec
import psycopg
import pytest
from psycopg import errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb, set_json_loads

from nexus.config import DatabaseUrl, parse_database_url
from nexus.db import migrate
from nexus.domain.audit import GENESIS_HASH, canonical_encoding, event_hash
from nexus.services import audit as audit_service

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "schema_tests.sql", "psycopg")

Conn = psycopg.Connection[dict[str, Any]]

HEX64 = set("0123456789abcdef")


@pytest.fixture
def conn(db_url: str) -> Iterator[Conn]:
    """Owner connection (autocommit) to a fresh database with ws-a / ws-b seeded (one event each)."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        Q.seed_two_workspaces(c)
        yield c


def _assert_valid_chain(conn: Conn, chain_id: str, expected_length: int) -> list[dict[str, Any]]:
    rows = list(Q.audit_chain(conn, chain_id=chain_id))
    assert [r["seq"] for r in rows] == list(range(1, expected_length + 1))
    prev = GENESIS_HASH
    for row in rows:
        assert row["chain_id"] == chain_id
        assert row["prev_hash"] == prev
        assert row["hash"] == row["recomputed_hash"]
        assert row["hash"] == event_hash(row)
        assert canonical_encoding(row) == row["canonical"]
        prev = row["hash"]
    head = Q.audit_chain_head(conn, chain_id=chain_id)
    assert head is not None
    assert (head["last_seq"], head["last_hash"], head["last_timestamp"]) == (
        rows[-1]["seq"],
        rows[-1]["hash"],
        rows[-1]["timestamp"],
    )
    timestamps = [r["timestamp"] for r in rows]
    assert all(a < b for a, b in itertools.pairwise(timestamps))
    return rows


def test_plain_insert_fills_the_chain_columns(conn: Conn) -> None:
    Q.insert_workspace(conn, id="ws-c", created_by_id="u-a", currency="USD")
    row = Q.append_audit_event(conn, workspace_id="ws-c", actor_id="u-a", actor_name="Alice", event_type="CLAUSE_EDIT")
    assert row["chain_id"] == "ws-c"
    assert row["seq"] == 1
    assert row["prev_hash"] == "0" * 64
    assert len(row["hash"]) == 64 and set(row["hash"]) <= HEX64
    assert len(row["id"]) == 25
    full = _assert_valid_chain(conn, "ws-c", 1)[0]
    assert row["hash"] == hashlib.sha256(full["canonical"].encode()).hexdigest()


def test_global_chain_for_events_without_workspace(conn: Conn) -> None:
    first = Q.append_audit_event(conn, workspace_id=None, actor_id="u-a", actor_name="Alice", event_type="LOGIN")
    second = Q.append_audit_event(conn, workspace_id=None, actor_id="u-b", actor_name="Bob", event_type="LOGIN")
    assert (first["chain_id"], first["seq"]) == ("global", 1)
    assert (second["chain_id"], second["seq"], second["prev_hash"]) == ("global", 2, first["hash"])
    _assert_valid_chain(conn, "global", 2)


def test_seq_is_gapless_per_chain_when_chains_interleave(conn: Conn) -> None:
    for i in range(12):
        workspace = ["ws-a", "ws-b", None][i % 3]
        Q.append_audit_event(conn, workspace_id=workspace, actor_id="u-a", actor_name="Alice", event_type="GRAPH_SYNC")
    _assert_valid_chain(conn, "ws-a", 1 + 4)
    _assert_valid_chain(conn, "ws-b", 1 + 4)
    _assert_valid_chain(conn, "global", 4)


def test_multi_row_insert_chains_every_row(conn: Conn) -> None:
    assert Q.append_audit_events_bulk(conn, workspace_id="ws-a", actor_id="u-a", how_many=50) == 50
    _assert_valid_chain(conn, "ws-a", 51)


def test_client_supplied_chain_columns_are_ignored(conn: Conn) -> None:
    row = Q.append_audit_event_forged(
        conn, workspace_id="ws-b", actor_id="u-b", chain_id="ws-a", seq=999, prev_hash="f" * 64, hash="e" * 64
    )
    assert row["chain_id"] == "ws-b"
    assert row["seq"] == 2
    assert row["prev_hash"] != "f" * 64
    assert row["hash"] != "e" * 64
    _assert_valid_chain(conn, "ws-b", 2)
    _assert_valid_chain(conn, "ws-a", 1)


def test_timestamps_are_monotonic_per_chain(conn: Conn) -> None:
    future = datetime(2100, 1, 1, tzinfo=UTC)
    kept = Q.append_audit_event_at(conn, workspace_id="ws-a", actor_id="u-a", event_type="PUBLISH", ts=future)
    assert kept["timestamp"] == future  # an explicit, later timestamp is kept
    # The default clock_timestamp() is earlier than the head: raised to head + 1 µs.
    raised = Q.append_audit_event(conn, workspace_id="ws-a", actor_id="u-a", actor_name="Alice", event_type="PUBLISH")
    assert raised["timestamp"] == future + timedelta(microseconds=1)
    # So is an explicit earlier one.
    past = Q.append_audit_event_at(
        conn, workspace_id="ws-a", actor_id="u-a", event_type="PUBLISH", ts=datetime(2000, 1, 1, tzinfo=UTC)
    )
    assert past["timestamp"] == future + timedelta(microseconds=2)
    # Other chains are not affected.
    other = Q.append_audit_event(conn, workspace_id="ws-b", actor_id="u-b", actor_name="Bob", event_type="PUBLISH")
    assert other["timestamp"] < future
    _assert_valid_chain(conn, "ws-a", 4)


def test_failed_insert_does_not_advance_the_head(conn: Conn) -> None:
    head = Q.audit_chain_head(conn, chain_id="ws-a")
    with pytest.raises(errors.ForeignKeyViolation):
        Q.append_audit_event(conn, workspace_id="ws-a", actor_id="nobody", actor_name="X", event_type="LOGIN")
    assert Q.audit_chain_head(conn, chain_id="ws-a") == head
    row = Q.append_audit_event(conn, workspace_id="ws-a", actor_id="u-a", actor_name="Alice", event_type="LOGIN")
    assert row["seq"] == head["last_seq"] + 1
    _assert_valid_chain(conn, "ws-a", 2)


def test_rolled_back_append_leaves_no_gap(conn: Conn) -> None:
    with pytest.raises(RuntimeError), conn.transaction():
        Q.append_audit_event(conn, workspace_id="ws-a", actor_id="u-a", actor_name="Alice", event_type="LOGIN")
        raise RuntimeError("business change failed after the audit insert")
    row = Q.append_audit_event(conn, workspace_id="ws-a", actor_id="u-a", actor_name="Alice", event_type="LOGIN")
    assert row["seq"] == 2
    _assert_valid_chain(conn, "ws-a", 2)


def test_concurrent_appends_stay_gapless(db_url: str, conn: Conn) -> None:
    writers, per_writer = 6, 15
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
                barrier.wait()
                for _ in range(per_writer):
                    workspace = "ws-a" if n % 2 == 0 else None
                    Q.append_audit_event(c, workspace_id=workspace, actor_id="u-a", actor_name="A", event_type="LOGIN")
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    half = writers // 2 * per_writer
    _assert_valid_chain(conn, "ws-a", 1 + half)
    _assert_valid_chain(conn, "global", half)


# -- 0008: the cheaper trigger hashes exactly what 0007's did --------------------------------------------------
SPEED_MIGRATION = "0008_audit_append_speed"
TRICKY_STATES: list[dict[str, Any] | None] = [
    None,
    {},
    {"value": 'q"b\\s/ \b\f\n\r\t \x01\x1f\x7f', "é": "€ 𝄞 \u2028", "nested": {"list": [1, True, None, "x", {}]}},
    {"amount": Decimal("1.50"), "big": -(2**70), "zero": Decimal("-0.0"), "": ""},
]


_NUMERIC_JSON = msgspec.json.Encoder(decimal_format="number")


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(value, dumps=lambda v: _NUMERIC_JSON.encode(v).decode())  # Decimal("1.50") as the number 1.50


def _connect(url: str) -> Conn:
    conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
    set_json_loads(lambda text: json.loads(text, parse_float=Decimal), conn)  # keep numeric scale (1.50)
    return conn


def _append_tricky(conn: Conn, i: int) -> dict[str, Any]:
    state = TRICKY_STATES[i % len(TRICKY_STATES)]
    return Q.append_full_audit_event(
        conn,
        workspace_id=["ws-a", None][i % 2],
        actor_id="u-a",
        actor_name=f'Ann "{i}" \\ é\t',
        event_type="VARIABLE_EDIT",
        target_type=None if i % 3 == 0 else "variable",
        target_id=None if i % 3 == 1 else f"v-{i}\n",
        before_state=None if state is None else _jsonb(state),
        after_state=_jsonb({"i": i, "s": state}),
        reason=None if i % 2 else f"reason {i} =1+1 ",
        reason_category=None if i % 2 else "other",
        ts=None if i % 4 else datetime(2100, 1, 1, 0, 0, 0, i, tzinfo=UTC),
    )


def _applied(url: DatabaseUrl) -> set[str]:
    return {m.id for m in migrate.status(url) if m.applied}


async def _verify(url: str) -> dict[str, tuple[bool, int]]:
    async with await psycopg.AsyncConnection.connect(url) as aconn:
        return {r.chain_id: (r.valid, r.checked) for r in await audit_service.verify_on(aconn)}


def test_events_appended_before_and_after_0008_verify_as_one_chain(db_url: str) -> None:
    url = parse_database_url("test", db_url)
    while SPEED_MIGRATION in _applied(url):
        migrate.rollback(url)
    with _connect(db_url) as c:
        Q.seed_two_workspaces(c)
        before = [_append_tricky(c, i) for i in range(8)]
    migrate.apply(url)
    assert SPEED_MIGRATION in _applied(url)
    with _connect(db_url) as c:
        after = [_append_tricky(c, i) for i in range(8)]
        for row in before + after:
            # The 0008 trigger hashes the text nexus_audit_canonical() builds, which Python reproduces.
            assert canonical_encoding(row) == row["canonical"]
            assert row["hash"] == event_hash(row)
        # Same inputs, same chain position rules: each post-0008 row links to the pre-0008 tail.
        assert after[0]["prev_hash"] == before[-2]["hash"] and after[1]["prev_hash"] == before[-1]["hash"]
        _assert_valid_chain(c, "ws-a", 1 + 8)
        _assert_valid_chain(c, "global", 8)
    assert asyncio.run(_verify(db_url)) == {"ws-a": (True, 9), "ws-b": (True, 1), "global": (True, 8)}
