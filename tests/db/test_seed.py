"""`nexus seed`: the demo dataset (demo-data.md) loaded exactly, all-or-nothing, idempotently, with valid chains."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from argon2 import PasswordHasher
from psycopg.rows import dict_row

from nexus.domain import audit, golden
from nexus.domain.passwords import hash_password, hasher, verify_password
from nexus.seed import SeedConflict, database_is_empty, load_demo, run
from nexus.seed import data as demo

SQL = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "seed_checks.sql", "apsycopg")

Conn = psycopg.AsyncConnection[dict[str, Any]]

EXPECTED_COUNTS = {
    "users": 5,
    "sessions": 3,
    "refresh_tokens": 0,
    "workspaces": 3,
    "workspace_members": 10,
    "graph_state": 3,
    "clauses": 21,
    "variables": 17,
    "drift_items": 6,
    "reconciliation_sessions": 1,
    "reconciliation_items": 5,
    "golden_records": 3,
    "golden_record_versions": 1,  # grv-001 (demo-data §9)
    "downstream_connectors": 12,
    "connector_deliveries": 4,  # del-001..del-004
    "covenants": 5,
    "audit_events": 35,
    "audit_chain_heads": 4,
}
EXPECTED_CHAINS = {"ws-001": 22, "ws-002": 5, "ws-003": 5, "global": 3}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def ph() -> PasswordHasher:
    assert os.environ["NEXUS_PASSWORD_PROFILE"] == "test"
    return hasher("test")


@pytest.fixture
async def db(aconn: psycopg.AsyncConnection[Any]) -> AsyncIterator[Conn]:
    """The test's autocommit connection, returning dict rows to the aiosql check queries."""
    aconn.row_factory = dict_row
    yield aconn


@pytest.fixture
async def seeded(db: Conn, ph: PasswordHasher) -> Conn:
    assert await load_demo(db, ph) == "seeded"
    return db


async def counts(db: Conn) -> dict[str, int]:
    row = await SQL.row_counts(db)
    return dict(row)


async def fingerprint(db: Conn) -> dict[str, Any]:
    tables = dict(await SQL.table_fingerprints(db))
    return {"counts": await counts(db), "tables": tables, "audit": (await SQL.audit_hashes_digest(db))["digest"]}


async def rows(gen: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r async for r in gen]


# ------------------------------------------------------------------------------------------- loading


async def test_seed_loads_every_table_with_the_documented_counts(db: Conn, db_url: str, ph: PasswordHasher) -> None:
    assert await database_is_empty(db)
    assert await database_is_empty(db_url)  # `nexus up` passes a conninfo
    assert await load_demo(db, ph) == "seeded"
    assert await counts(db) == EXPECTED_COUNTS
    assert not await database_is_empty(db)
    assert not await database_is_empty(db_url)


async def test_audit_chains_are_gapless_valid_and_keep_the_fixed_timestamps(seeded: Conn) -> None:
    summaries = await rows(SQL.chain_summaries(seeded))
    assert {s["chain_id"]: s["max_seq"] for s in summaries} == EXPECTED_CHAINS
    for s in summaries:
        assert (s["min_seq"], s["max_seq"], s["last_seq"]) == (1, s["events"], s["events"])
        assert s["last_hash"] == s["tail_hash"]

    events = await rows(SQL.audit_events_in_chain_order(seeded))
    by_id = {e.id: e for e in demo.AUDIT_EVENTS}
    previous: dict[str, str] = {}
    for row in events:
        expected = by_id[row["id"]]
        assert row["timestamp"] == expected.timestamp, row["id"]
        assert row["prev_hash"] == previous.get(row["chain_id"], audit.GENESIS_HASH), row["id"]
        assert row["hash"] == row["recomputed_hash"] == audit.event_hash(row), row["id"]
        previous[row["chain_id"]] = row["hash"]
    # Each chain's events are numbered in timestamp order.
    for chain in EXPECTED_CHAINS:
        chain_rows = [r for r in events if r["chain_id"] == chain]
        assert [r["seq"] for r in chain_rows] == list(range(1, len(chain_rows) + 1))
        assert [r["timestamp"] for r in chain_rows] == sorted(r["timestamp"] for r in chain_rows)
    assert {r["id"] for r in events} == set(by_id)


async def published_document(db: Conn) -> demo.PublishedDocument:
    (version,) = await rows(SQL.version_rows(db))
    return demo.PublishedDocument(version["document"], version["content_hash"])


async def test_audit_states_are_stored_as_given(seeded: Conn) -> None:
    events = {r["id"]: r async for r in SQL.audit_events_in_chain_order(seeded)}
    for e in demo.audit_events(await published_document(seeded)):
        row = events[e.id]
        assert (row["workspace_id"], row["actor_id"], row["actor_name"]) == (e.workspace_id, e.actor_id, e.actor_name)
        assert (row["event_type"], row["target_type"], row["target_id"]) == (e.event_type, e.target_type, e.target_id)
        assert (row["before_state"], row["after_state"]) == (e.before_state, e.after_state)
        assert (row["reason"], row["reason_category"]) == (e.reason, e.reason_category)
    assert events["audit-001"]["after_state"]["amount"] == "500000000.00"
    assert events["audit-009"]["before_state"] == {"body": demo.BODY_011.replace("40 per cent.", "35 per cent.")}
    assert events["audit-024"]["before_state"]["body"].count("4.00:1.00") == 1
    assert events["audit-024"]["before_state"]["body"].count("3.50:1.00") == 1
    assert events["audit-006"]["after_state"]["externalCounselReadOnly"] is True
    assert events["audit-017"]["workspace_id"] is None
    # The export / publish events carry the version-1 document's real size and hash (demo-data §12).
    (version,) = await rows(SQL.version_rows(seeded))
    size = len(version["document"].encode("utf-8"))
    assert events["audit-021"]["after_state"] == {
        "filename": "golden_record_Project_Beacon_-_Revolving_Credit_2024-12-18T11-00-00-000Z.json",
        "size": size,
        "contentHash": version["content_hash"],
    }
    assert events["audit-022"]["after_state"] == {
        "status": "READY",
        "integrityScore": 100,
        "version": 1,
        "contentHash": version["content_hash"],
        "connectorCount": 4,
    }
    assert events["audit-022"]["before_state"] == {"lastVersion": None}
    assert "size" not in events["audit-028"]["after_state"]


async def test_the_published_version_is_the_export_builders_document(seeded: Conn) -> None:
    (version,) = await rows(SQL.version_rows(seeded))
    document = version.pop("document")
    assert version == {
        "id": "grv-001",
        "workspace_id": "ws-002",
        "golden_record_id": "gr-002",
        "version": 1,
        "content_hash": golden.content_hash(json.loads(document)),
        "integrity_score": 100,
        "published_by": "user-001",
        "published_at": ts("2024-12-18T14:00:00Z"),
        "reason": "Final terms approved by all parties",
        "reason_category": "other",
    }
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", version["content_hash"])
    doc = json.loads(document)
    assert list(doc) == [
        "version",
        "generatedAt",
        "workspace",
        "clauses",
        "variables",
        "covenants",
        "status",
        "integrityScore",
        "baselines",
        "drift",
        "contentHash",
    ]
    assert (doc["generatedAt"], doc["status"], doc["integrityScore"]) == ("2024-08-15T10:20:00.000Z", "READY", 100)
    assert doc["workspace"]["amount"] == 250000000 and doc["contentHash"] == version["content_hash"]
    assert [c["id"] for c in doc["clauses"]] == ["clause-015", "clause-013", "clause-016", "clause-014"]
    assert [c["id"] for c in doc["covenants"]] == ["cov-004", "cov-003"]  # clause-014: by name
    assert doc["drift"] == {"unresolved": {"HIGH": 0, "MEDIUM": 0, "LOW": 0, "total": 0}, "approvedDeviations": 0,
                            "items": []}  # fmt: skip
    assert document == json.dumps(doc, ensure_ascii=False, indent=2)  # exact bytes, no trailing newline

    gr_002 = await SQL.golden_record_row(seeded, id="gr-002")
    assert gr_002["schema_json"] == document
    assert (gr_002["status"], gr_002["integrity_score"], gr_002["unresolved_high_drift_count"]) == ("READY", 100, 0)
    assert (gr_002["last_export_at"], gr_002["last_publish_at"]) == (
        ts("2024-12-18T11:00:00Z"),
        ts("2024-12-18T14:00:00Z"),
    )
    gr_001 = await SQL.golden_record_row(seeded, id="gr-001")
    assert (gr_001["schema_json"], gr_001["integrity_score"], gr_001["unresolved_high_drift_count"]) == ("{}", 87, 3)


async def test_deliveries_of_version_1(seeded: Conn) -> None:
    deliveries = await rows(SQL.delivery_rows(seeded))
    published = ts("2024-12-18T14:00:00Z")
    assert [(d["id"], d["connector_id"], d["version_id"], d["status"]) for d in deliveries] == [
        ("del-001", "conn-001", "grv-001", "skipped"),
        ("del-002", "conn-002", "grv-001", "skipped"),
        ("del-003", "conn-003", "grv-001", "failed"),
        ("del-004", "conn-004", "grv-001", "skipped"),
    ]
    for d in deliveries:
        assert (d["workspace_id"], d["created_at"], d["next_attempt_at"]) == ("ws-002", published, None)
    failed = deliveries[2]
    assert (failed["attempts"], failed["last_attempt_at"], failed["last_status_code"], failed["last_error"]) == (
        8,
        ts("2024-12-18T15:03:30Z"),
        503,
        "HTTP 503 Service Unavailable",
    )
    for skipped in (deliveries[0], deliveries[1], deliveries[3]):
        assert (skipped["attempts"], skipped["last_attempt_at"], skipped["last_error"]) == (0, None, None)


async def test_exact_values(seeded: Conn) -> None:
    lock = await SQL.clause_lock(seeded, id="clause-012")
    assert lock == {
        "is_locked": True,
        "locked_by": "user-001",
        "locked_at": ts("2024-12-18T10:30:00Z"),
        "last_modified_at": ts("2024-06-01T09:00:00Z"),
        "last_modified_by": "user-001",
        "created_at": ts("2024-06-01T09:00:00Z"),
        "updated_at": ts("2024-12-18T10:30:00Z"),
    }
    assert (await SQL.clause_lock(seeded, id="clause-011"))["is_locked"] is False

    var_008 = await SQL.variable_baseline(seeded, id="var-008")
    assert var_008 == {
        "value": "40",
        "unit": "%",
        "baseline_value": "40",
        "baseline_approved_at": ts("2024-12-09T11:30:00Z"),
        "last_modified_at": ts("2024-12-05T11:01:00Z"),
        "last_modified_by": "user-002",
        "updated_at": ts("2024-12-09T11:30:00Z"),
    }

    ws_002 = await SQL.workspace_row(seeded, id="ws-002")
    assert ws_002["governance_rules"] == {
        "requireReasonForSensitiveEdits": True,
        "legalCanRevertDraft": False,
        "riskApprovalRequiredForOverride": False,
        "publishBlockedWhenHighDrift": True,
        "definitionsLockedAfterApproval": True,
        "externalCounselReadOnly": True,
    }
    assert (ws_002["created_at"], ws_002["updated_at"], ws_002["last_sync_at"]) == (
        ts("2024-08-15T10:00:00Z"),
        ts("2024-08-15T10:20:00Z"),
        ts("2024-12-17T16:00:00Z"),
    )

    drift_001 = await SQL.drift_row(seeded, id="drift-001")
    assert drift_001 == {
        "workspace_id": "ws-001",
        "clause_id": "clause-003",
        "variable_id": "var-002",
        "title": "Applicable Margin Increase",
        "type": "financial",
        "severity": "HIGH",
        "baseline_value": "250",
        "baseline_approved_at": ts("2024-06-01T09:00:00Z"),
        "current_value": "275",
        "unit": "bps",
        "current_modified_at": ts("2024-12-18T10:01:00Z"),
        "current_modified_by": "user-002",
        "status": "unresolved",
        "approved_by": None,
        "approved_at": None,
        "approval_reason": None,
        "created_at": ts("2024-12-18T10:01:00Z"),
        "updated_at": ts("2024-12-18T10:01:00Z"),
    }
    drift_004 = await SQL.drift_row(seeded, id="drift-004")
    assert (drift_004["status"], drift_004["approved_by"], drift_004["updated_at"]) == (
        "overridden",
        "user-001",
        ts("2024-12-09T11:30:00Z"),
    )

    for ws_id, amount in (("ws-001", "500000000.00"), ("ws-002", "250000000.00"), ("ws-003", "175000000.00")):
        row = await SQL.workspace_row(seeded, id=ws_id)
        assert row["amount_text"] == amount
        assert row["amount"] == Decimal(amount)


async def test_every_variable_value_occurs_verbatim_in_its_clause_body(seeded: Conn) -> None:
    found = await rows(SQL.variables_with_bodies(seeded))
    assert len(found) == 17
    for row in found:
        assert row["value"] in row["body"], row["id"]


async def test_updated_at_follows_the_loading_rules_so_no_trigger_fired(seeded: Conn) -> None:
    expected: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    for c in demo.CLAUSES:
        expected["clauses", c.id] = (c.created_at, c.updated_at)
    for v in demo.VARIABLES:
        expected["variables", v.id] = (v.created_at, v.updated_at)
    for d in demo.DRIFTS:
        expected["drift_items", d.id] = (d.created_at, d.updated_at)
    for w in demo.WORKSPACES:
        expected["workspaces", w.id] = (w.created_at, w.updated_at)
    stored = {(r["tbl"], r["id"]): (r["created_at"], r["updated_at"]) async for r in SQL.updated_at_by_id(seeded)}
    assert stored == expected
    assert stored["clauses", "clause-003"] == (ts("2024-06-01T09:00:00Z"), ts("2024-12-18T10:00:00Z"))
    assert stored["drift_items", "drift-006"] == (ts("2024-12-20T09:15:00Z"), ts("2024-12-20T11:05:00Z"))


async def test_passwords_are_argon2id_hashes_of_the_demo_password(seeded: Conn, ph: PasswordHasher) -> None:
    users = await rows(SQL.user_passwords(seeded))
    assert [u["email"] for u in users] == list(demo.DEMO_EMAILS)
    assert len({u["password"] for u in users}) == 5  # one salt per user
    for u in users:
        assert u["password"].startswith("$argon2id$")
        assert await verify_password(ph, u["password"], "Password123")
        assert not await verify_password(ph, u["password"], "Password124")


# ------------------------------------------------------------------------------------------- idempotency


async def test_second_run_changes_nothing(seeded: Conn, ph: PasswordHasher) -> None:
    before = await fingerprint(seeded)
    assert await load_demo(seeded, ph) == "already seeded"
    assert await fingerprint(seeded) == before
    assert before["counts"] == EXPECTED_COUNTS


async def test_concurrent_runs_seed_once(db_url: str, ph: PasswordHasher) -> None:
    async def one() -> str:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            return await load_demo(conn, ph)

    outcomes = await asyncio.gather(one(), one())
    assert sorted(outcomes) == ["already seeded", "seeded"]
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        assert await counts(conn) == EXPECTED_COUNTS


async def test_partial_state_is_a_conflict_and_writes_nothing(db: Conn, ph: PasswordHasher) -> None:
    # A user registered with a demo email (other case): the case-insensitive uniqueness makes it the same one.
    await SQL.insert_plain_user(db, id="someone", email="Maria.Garcia@BankCo.com", name="M", password="x")
    before = await fingerprint(db)
    with pytest.raises(SeedConflict, match=r"Maria\.Garcia@BankCo\.com") as info:
        await load_demo(db, ph)
    assert "ws-001" in str(info.value)  # named as missing
    assert await fingerprint(db) == before
    assert before["counts"] == {**dict.fromkeys(EXPECTED_COUNTS, 0), "users": 1}


async def test_a_demo_workspace_id_alone_is_a_conflict(db: Conn, ph: PasswordHasher) -> None:
    await SQL.insert_plain_user(db, id="owner", email="owner@example.com", name="Owner", password="x")
    await SQL.insert_plain_workspace(db, id="ws-002", name="Not the demo", created_by_id="owner")
    before = await fingerprint(db)
    with pytest.raises(SeedConflict, match="ws-002"):
        await load_demo(db, ph)
    assert await fingerprint(db) == before


async def test_a_taken_demo_id_rolls_everything_back(db: Conn, ph: PasswordHasher) -> None:
    # Neither a demo email nor a demo workspace, but user-003's id: the insert fails and nothing remains.
    await SQL.insert_plain_user(db, id="user-003", email="other@example.com", name="Other", password="x")
    before = await fingerprint(db)
    with pytest.raises(SeedConflict, match="user-003"):
        await load_demo(db, ph)
    assert await fingerprint(db) == before


# ------------------------------------------------------------------------------------------- CLI entry


def test_run_prints_one_line_and_exits_0_then_0_again(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(db_url, "test") == 0
    first = capsys.readouterr()
    assert first.out.count("\n") == 1 and "demo data loaded" in first.out
    assert run(db_url, "test") == 0
    second = capsys.readouterr()
    assert second.out == "nexus seed: already seeded, nothing changed\n"


async def test_run_exits_1_on_a_conflict(db: Conn, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    await SQL.insert_plain_user(db, id="x", email="david.kim@investco.com", name="D", password="x")
    code = await asyncio.to_thread(run, db_url, "test")
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "david.kim@investco.com" in err


# ------------------------------------------------------------------------------------------- data + hashing


def test_demo_data_is_self_consistent() -> None:
    for v in demo.VARIABLES:
        assert v.value in demo.CLAUSE_BY_ID[v.clause_id].body, v.id
        assert demo.CLAUSE_BY_ID[v.clause_id].workspace_id == v.workspace_id
    for item in demo.RECON_ITEMS:
        if item.target_variable_id is None:
            assert item.current_value in demo.CLAUSE_BY_ID[item.target_clause_id].body, item.id
    stamps = [e.timestamp for e in demo.AUDIT_EVENTS]
    assert stamps == sorted(stamps)
    assert [e.id for e in demo.AUDIT_EVENTS] == [f"audit-{i:03d}" for i in range(1, 36)]
    completed = demo.audit_events(demo.PublishedDocument('{"x": "é"}', "sha256:" + "0" * 64))
    assert [e.id for e in completed] == [e.id for e in demo.AUDIT_EVENTS]
    assert completed[20].after_state == {**(demo.AUDIT_EVENTS[20].after_state or {}), "size": 11,
                                         "contentHash": "sha256:" + "0" * 64}  # fmt: skip
    for e in demo.AUDIT_EVENTS:
        for state in (e.before_state, e.after_state):
            assert state is None or _json_leaves_ok(state), e.id


def _json_leaves_ok(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_leaves_ok(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_leaves_ok(v) for v in value)
    return value is None or isinstance(value, str | int | bool)


async def test_password_profiles_and_hashing() -> None:
    cheap = hasher("test")
    assert (cheap.time_cost, cheap.memory_cost, cheap.parallelism) == (1, 8192, 1)
    default = hasher("default")
    assert (default.time_cost, default.memory_cost, default.parallelism) == (
        PasswordHasher().time_cost,
        PasswordHasher().memory_cost,
        PasswordHasher().parallelism,
    )
    encoded = await hash_password(cheap, "Password123")
    assert encoded.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert await verify_password(cheap, encoded, "Password123")
    assert not await verify_password(cheap, encoded, "password123")
    assert not await verify_password(cheap, "not a hash", "Password123")
