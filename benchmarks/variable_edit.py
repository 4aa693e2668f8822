"""Single variable edit timing (issue target: 2,000 clauses / 6,000 variables, one edit with its drift, node and
integrity update < 20 ms at the database).

Creates a scratch database migrated to head (`nexus.db.scratch.scratch_database`, the server `nexus gen` uses),
fills one workspace exactly as benchmarks/graph_build.py does (benchmarks/sql/graph_bench.sql: 2,000 clauses,
6,000 variables, baseline = value), builds the graph with the real service, then times N edits on one connection
(loopback), alternating "open a drift" (value != baseline) and "close it" (value = baseline) on random variables.
Each edit is one transaction running the same calls, in the same order, as the PATCH path of
`nexus.services.variables.update_variable` (minus the pool checkout and the HTTP layer):

    SET LOCAL statement_timeout → lock clause row → lock variable row → update_variable
    → consistency.on_variable_change(emit_system_events=False) → VARIABLE_EDIT audit event
    → the system DRIFT_REVERT event when the edit closed a drift → COMMIT

Reported: client wall time per edit transaction (p50/p95/max), its round trips (statements + BEGIN + COMMIT), the
round-trip floor (`SELECT 1` timed the same way) and so the database share ≈ edit − round trips x floor; plus the
server's own mean from `pg_stat_database.active_time` (time backends spent executing statements in the scratch
database; flushed at disconnect, so read around a dedicated connection; includes the warm-up edits) and the
client's CPU per edit (`time.process_time`), which shows how much of the wall time is Python, not the database.

    python benchmarks/variable_edit.py [--edits N] [--seed S]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiosql
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.graph_build import (  # noqa: E402
    BENCH as GRAPH_BENCH,
)
from benchmarks.graph_build import (  # noqa: E402
    CLAUSES,
    DEFINITIONS,
    HOT_EVERY,
    TERMS,
    VARIABLES_PER_CLAUSE,
    WS,
)
from nexus.db.queries import audit as audit_q  # noqa: E402
from nexus.db.queries import connection as conn_q  # noqa: E402
from nexus.db.queries import variables as variables_q  # noqa: E402
from nexus.db.scratch import maintenance_url, scratch_database  # noqa: E402
from nexus.services import consistency  # noqa: E402
from nexus.services import graph as graph_service  # noqa: E402

BENCH = aiosql.from_path(ROOT / "benchmarks" / "sql" / "variable_edit_bench.sql", "apsycopg")
USER_ID, USER_NAME = "bench-user", "Bench"
STATEMENT_TIMEOUT_MS = "5000"  # what Context.transaction sets (NEXUS_STATEMENT_TIMEOUT default)
TARGET_MS = 20.0
WARMUP_EDITS = 20  # plan caches / prepared statements (psycopg prepares after 5 runs) before timing
FLOOR_CALLS = 2000


class CountingCursor(psycopg.AsyncCursor[Any]):
    """Counts statements sent through `cursor.execute` (every generated query goes through one)."""

    executed = 0

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.executed += 1
        return await super().execute(*args, **kwargs)


async def edit(conn: psycopg.AsyncConnection[Any], clause_id: str, variable_id: str, value: str) -> tuple[bool, bool]:
    """One variable PATCH transaction (value only, no reason); returns (drift opened, drift closed)."""
    async with conn.transaction():
        await conn_q.set_statement_timeout(conn, timeout=STATEMENT_TIMEOUT_MS)
        clause = await variables_q.lock_variable_clause(conn, workspace_id=WS, clause_id=clause_id)
        var = await variables_q.lock_variable(conn, workspace_id=WS, variable_id=variable_id)
        assert clause is not None and var is not None and var.value != value
        updated = await variables_q.update_variable(
            conn,
            workspace_id=WS,
            variable_id=variable_id,
            label=var.label,
            type=var.type,
            value=value,
            unit=var.unit,
            modified_by=USER_ID,
        )
        assert updated is not None
        outcome = await consistency.on_variable_change(
            conn,
            workspace_id=WS,
            variable_id=variable_id,
            actor_id=USER_ID,
            actor_name=USER_NAME,
            emit_system_events=False,
        )
        await audit_q.append_event(
            conn,
            workspace_id=WS,
            actor_id=USER_ID,
            actor_name=USER_NAME,
            event_type="VARIABLE_EDIT",
            target_type="variable",
            target_id=variable_id,
            before_state={"value": var.value},
            after_state={"value": value},
            reason=None,
            reason_category=None,
        )
        if outcome.closed_drift_id is not None:  # services.variables._system_events
            assert outcome.closed_current_value is not None and outcome.closed_reason is not None
            await consistency.append_system_revert(
                conn,
                workspace_id=WS,
                drift_id=outcome.closed_drift_id,
                current_value=outcome.closed_current_value,
                reason=outcome.closed_reason,
                actor_id=USER_ID,
                actor_name=USER_NAME,
            )
    return outcome.drift_created, outcome.closed_drift_id is not None


def plan(edits: int, seed: int) -> list[tuple[str, str, str, str]]:
    """(kind, clause id, variable id, new value): open/close pairs on random variables (baseline = order*1000+k)."""
    rng = random.Random(seed)
    steps: list[tuple[str, str, str, str]] = []
    while len(steps) < edits:
        c, k = rng.randint(1, CLAUSES), rng.randint(1, VARIABLES_PER_CLAUSE)
        baseline = c * 1000 + k
        steps.append(("open", f"bc-{c}", f"bc-{c}-v{k}", str(baseline + rng.randint(1, 500))))
        steps.append(("close", f"bc-{c}", f"bc-{c}-v{k}", str(baseline)))
    return steps[:edits] if edits % 2 == 0 else steps[: edits + 1]


async def active_time(admin: str, dbname: str) -> float:
    await asyncio.sleep(1.0)  # the closed backend flushes its session stats on exit
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
        return float(await BENCH.database_active_time(conn, dbname=dbname) or 0.0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(url: str, admin: str, edits: int, seed: int) -> int:
    dbname = urlsplit(url).path.lstrip("/")
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await GRAPH_BENCH.insert_bench_user(conn, user_id=USER_ID)
        await GRAPH_BENCH.insert_bench_workspace(conn, workspace_id=WS, user_id=USER_ID)
        await GRAPH_BENCH.insert_bench_clauses(
            conn,
            workspace_id=WS,
            user_id=USER_ID,
            clause_count=CLAUSES,
            definition_count=DEFINITIONS,
            terms_per_definition=TERMS,
            hot_every=HOT_EVERY,
        )
        await GRAPH_BENCH.insert_bench_variables(conn, workspace_id=WS, per_clause=VARIABLES_PER_CLAUSE)
        await BENCH.analyze_all(conn)
        async with conn.transaction():
            built = await graph_service.build(conn, workspace_id=WS, now=datetime(2025, 1, 1, tzinfo=UTC))
        await BENCH.analyze_all(conn)
    print(
        f"workspace: {CLAUSES} clauses, {CLAUSES * VARIABLES_PER_CLAUSE} variables -> "
        f"{built.node_count} nodes, {built.edge_count} edges (graph built)"
    )

    # Round-trip floor: SELECT 1 through a cursor, outside a transaction, on its own loopback connection.
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        floor: list[float] = []
        for _ in range(FLOOR_CALLS):
            start = time.perf_counter()
            await BENCH.round_trip_floor(conn)
            floor.append((time.perf_counter() - start) * 1000)
        floor = floor[FLOOR_CALLS // 10 :]

    steps = plan(WARMUP_EDITS + edits, seed)
    before = await active_time(admin, dbname)
    times: list[float] = []
    by_kind: dict[str, list[float]] = {"open": [], "close": []}
    trips: list[int] = []
    opened = closed = 0
    cpu_start = 0.0
    async with await psycopg.AsyncConnection.connect(url, autocommit=True, cursor_factory=CountingCursor) as conn:
        for i, (kind, clause_id, variable_id, value) in enumerate(steps):
            CountingCursor.executed = 0
            if i == WARMUP_EDITS:
                cpu_start = time.process_time()
            start = time.perf_counter()
            did_open, did_close = await edit(conn, clause_id, variable_id, value)
            elapsed = (time.perf_counter() - start) * 1000
            assert did_open == (kind == "open") and did_close == (kind == "close"), (kind, variable_id)
            if i >= WARMUP_EDITS:
                times.append(elapsed)
                by_kind[kind].append(elapsed)
                trips.append(CountingCursor.executed + 2)  # + BEGIN + COMMIT
                opened += did_open
                closed += did_close
    client_cpu_ms = (time.process_time() - cpu_start) * 1000 / len(times)
    server_ms = (await active_time(admin, dbname) - before) / len(steps)

    med = statistics.median
    floor_ms = med(floor)
    p50, p95, worst = med(times), pct(times, 0.95), max(times)
    rt = med(trips)
    print(
        f"{len(times)} timed edits ({opened} opened a drift, {closed} closed one + DRIFT_REVERT) after "
        f"{WARMUP_EDITS} warm-up edits; one connection over loopback TCP; round trips per edit: "
        f"{min(trips)}-{max(trips)} (median {rt:g})"
    )
    print()
    print("| measure | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    print(
        f"| edit transaction, client wall (mean {statistics.fmean(times):.2f}) | {p50:.2f} | {p95:.2f} | {worst:.2f} |"
    )
    for kind, label in (("open", "opening a drift"), ("close", "closing a drift")):
        part = by_kind[kind]
        print(f"| &nbsp;&nbsp;of which edits {label} | {med(part):.2f} | {pct(part, 0.95):.2f} | {max(part):.2f} |")
    print(f"| round-trip floor (`SELECT 1`) | {floor_ms:.3f} | {pct(floor, 0.95):.3f} | {max(floor):.3f} |")
    print(
        f"| edit − {rt:g} x floor (≈ database share) | {p50 - rt * floor_ms:.2f} | "
        f"{p95 - rt * floor_ms:.2f} | {worst - rt * floor_ms:.2f} |"
    )
    print(f"| server active_time (`pg_stat_database`), mean per edit | {server_ms:.2f} | | |")
    print(f"| client process CPU (Python + psycopg), mean per edit | {client_cpu_ms:.2f} | | |")
    print()
    ok = p95 < TARGET_MS
    verdict = {True: "ok", False: "MISSED"}
    print(
        f"target: one variable edit < {TARGET_MS:.0f} ms -> client wall p95 {p95:.1f} ms: {verdict[ok]}; "
        f"server active_time mean {server_ms:.1f} ms: {verdict[server_ms < TARGET_MS]}"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--edits", type=int, default=200, help="timed edits (open/close pairs)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with scratch_database(prefix="nexus_bench_varedit") as db:
        return asyncio.run(run(db.conninfo, maintenance_url(), args.edits, args.seed))


if __name__ == "__main__":
    raise SystemExit(main())
