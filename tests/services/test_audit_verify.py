"""Hash-chain verification (domain.md §11.4–§11.5): the demo chains are valid, and each superuser tampering kind
is reported (modified, missing + broken_link, broken_link/modified for inserted or reordered rows, head_mismatch);
plus `nexus audit verify` (one line per chain, exit 1 on problems)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest

from nexus import cli
from nexus.services import audit as audit_service

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "audit_tamper.sql", "psycopg")
Conn = psycopg.Connection[Any]
DEMO_CHAINS = {"ws-001": 22, "ws-002": 5, "ws-003": 5, "global": 3}


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    with psycopg.connect(seeded_db_url, autocommit=True) as conn:
        yield conn


def tamper(db: Conn, action: Callable[[], object]) -> None:
    Q.disable_audit_triggers(db)
    try:
        action()
    finally:
        Q.enable_audit_triggers(db)


async def verify(url: str, *chains: str) -> list[audit_service.ChainReport]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await audit_service.verify_on(conn, list(chains) or None)


def kinds(report: audit_service.ChainReport) -> set[tuple[str, int]]:
    return {(p.kind, p.seq) for p in report.problems}


async def test_demo_chains_are_valid(seeded_db_url: str) -> None:
    reports = await verify(seeded_db_url)
    assert {r.chain_id: (r.valid, r.checked, r.last_seq) for r in reports} == {
        chain: (True, n, n) for chain, n in DEMO_CHAINS.items()
    }
    assert all(not r.problems for r in reports)


async def test_small_batches_give_the_same_result(seeded_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(seeded_db_url) as conn:
        report = await audit_service.verify_chain(conn, "ws-001", batch_size=3)
    assert (report.valid, report.checked, report.last_seq) == (True, 22, 22)


async def test_modified_row(db: Conn, seeded_db_url: str) -> None:
    tamper(db, lambda: Q.modify_reason(db, chain_id="ws-001", seq=9, reason="rewritten"))
    (report,) = await verify(seeded_db_url, "ws-001")
    assert not report.valid
    assert kinds(report) == {("modified", 9)}
    assert report.problems[0].event_id is not None


async def test_deleted_row_is_missing_and_breaks_the_next_link(db: Conn, seeded_db_url: str) -> None:
    tamper(db, lambda: Q.delete_event(db, chain_id="ws-001", seq=5))
    (report,) = await verify(seeded_db_url, "ws-001")
    assert kinds(report) == {("missing", 5), ("broken_link", 6)}
    assert report.checked == 21 and report.last_seq == 22


async def test_inserted_row(db: Conn, seeded_db_url: str) -> None:
    def insert() -> None:
        Q.shift_seq_up(db, chain_id="ws-002", seq=3, by=1000)
        Q.shift_seq_down(db, chain_id="ws-002", seq=1003, by=999)
        Q.insert_copy(db, chain_id="ws-002", source_seq=2, new_seq=3, new_id="audit-forged")

    tamper(db, insert)
    (report,) = await verify(seeded_db_url, "ws-002")
    found = kinds(report)
    assert ("modified", 3) in found
    assert ("broken_link", 4) in found
    assert ("head_mismatch", 5) in found


async def test_reordered_rows(db: Conn, seeded_db_url: str) -> None:
    def swap() -> None:
        Q.set_seq(db, chain_id="ws-003", old_seq=2, new_seq=1000)
        Q.set_seq(db, chain_id="ws-003", old_seq=3, new_seq=2)
        Q.set_seq(db, chain_id="ws-003", old_seq=1000, new_seq=3)

    tamper(db, swap)
    (report,) = await verify(seeded_db_url, "ws-003")
    found = kinds(report)
    assert {("modified", 2), ("modified", 3), ("broken_link", 2), ("broken_link", 3), ("broken_link", 4)} <= found
    assert not any(kind == "missing" for kind, _ in found)


async def test_deleted_tail_is_a_head_mismatch(db: Conn, seeded_db_url: str) -> None:
    tamper(db, lambda: Q.delete_tail(db, chain_id="ws-001", seq=21))
    (report,) = await verify(seeded_db_url, "ws-001")
    assert kinds(report) == {("head_mismatch", 22)}
    assert report.checked == 20 and report.last_seq == 20


async def test_unknown_chain_is_valid_and_empty(seeded_db_url: str) -> None:
    (report,) = await verify(seeded_db_url, "ws-nope")
    assert (report.valid, report.checked, report.last_seq) == (True, 0, 0)


def test_cli_verify(db: Conn, seeded_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", seeded_db_url)
    monkeypatch.delenv("DIRECT_URL", raising=False)
    assert cli.main(["audit", "verify"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sorted(line.split(":")[0] for line in out) == sorted(DEMO_CHAINS)
    assert all(": valid" in line for line in out)

    assert cli.main(["audit", "verify", "--workspace", "ws-002"]) == 0
    assert capsys.readouterr().out.splitlines() == ["ws-002: valid (checked 5, last seq 5)"]

    tamper(db, lambda: Q.delete_event(db, chain_id="ws-001", seq=5))
    assert cli.main(["audit", "verify", "--all"]) == 1
    out = capsys.readouterr().out.splitlines()
    bad = [line for line in out if "INVALID" in line]
    assert len(bad) == 1 and bad[0].startswith("ws-001:")
    assert "missing at 5" in bad[0] and "broken_link at 6" in bad[0]
