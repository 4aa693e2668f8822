"""Audit trail speed figures (issue 7), reported as numbers (not tests):

* list: first page and the page `--depth`/50 deep via keyset cursor of the deal with most events, in a generated
  database (`nexus bench generate`; default nexus_bench_l, else the `--database` given), through the generated
  query functions (client wall time, p50/p95);
* append with the chain: events/s on one connection (one transaction per event, as services append), then two
  connections on two workspaces at once (throughput and lock waits sampled from pg_stat_activity), in a scratch
  database migrated to head;
* export: the real streaming path (nexus.services.audit.start_export -> Export.chunks, JSON) of up to `--export`
  events of that deal: rows/s and peak RSS growth.

    python benchmarks/audit_speed.py [--database URL] [--depth 500000] [--appends 5000] [--export 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiosql
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.graph_build import BENCH as GRAPH_BENCH  # noqa: E402
from nexus.bench.queries import bench_queries  # noqa: E402
from nexus.config import load_settings, parse_database_url  # noqa: E402
from nexus.db.pool import create_pool  # noqa: E402
from nexus.db.queries import audit as audit_q  # noqa: E402
from nexus.db.scratch import maintenance_url, scratch_database, with_dbname  # noqa: E402
from nexus.services import audit as audit_service  # noqa: E402
from nexus.services.context import Caller, Context  # noqa: E402

SPEED = aiosql.from_path(ROOT / "benchmarks" / "sql" / "audit_speed.sql", "apsycopg")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


async def list_pages(url: str, depth: int, runs: int) -> dict[str, Any]:
    params = bench_queries("hot_params.sql")
    with psycopg.connect(url, autocommit=True) as sync:
        whale = params.pick_workspaces(sync)[0]
        cursor = params.pick_cursor(sync, workspace_id=whale, depth=depth)
        while cursor is None and depth > 1:
            depth //= 2
            cursor = params.pick_cursor(sync, workspace_id=whale, depth=depth)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        first, deep = [], []
        for i in range(runs + 5):
            t = time.perf_counter()
            rows = await audit_q.list_workspace_events(conn, workspace_id=whale, page_limit=50)
            t1 = time.perf_counter()
            rows2 = await audit_q.list_workspace_events_after(
                conn, workspace_id=whale, before_ts=cursor[0], before_id=cursor[1], page_limit=50
            )
            t2 = time.perf_counter()
            assert len(rows) == 50 and len(rows2) == 50
            if i >= 5:
                first.append((t1 - t) * 1000)
                deep.append((t2 - t1) * 1000)
    return {"workspace": whale, "depth_rows": depth, "page": depth // 50 + 1,
            "first_p50_ms": statistics.median(first), "first_p95_ms": pct(first, 0.95),
            "deep_p50_ms": statistics.median(deep), "deep_p95_ms": pct(deep, 0.95)}  # fmt: skip


async def _append(url: str, ws: str, n: int) -> float:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        t = time.perf_counter()
        for i in range(n):
            await audit_q.append_event(
                conn, workspace_id=ws, actor_id="bench-user", actor_name="Bench", event_type="VARIABLE_EDIT",
                target_type="variable", target_id=f"v{i}", before_state={"value": str(i)},
                after_state={"value": str(i + 1)}, reason=None, reason_category=None,
            )  # fmt: skip
        return time.perf_counter() - t


async def appends(url: str, n: int) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await GRAPH_BENCH.insert_bench_user(conn, user_id="bench-user")
        for ws in ("ws-a", "ws-b"):
            await GRAPH_BENCH.insert_bench_workspace(conn, workspace_id=ws, user_id="bench-user")
    await _append(url, "ws-a", 200)  # warm-up
    one = n / await _append(url, "ws-a", n)
    waits: list[int] = []
    done = False

    async def sample() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as mon:
            while not done:
                waits.append(await SPEED.lock_waiters(mon) or 0)
                await asyncio.sleep(0.005)

    monitor = asyncio.create_task(sample())
    t = time.perf_counter()
    await asyncio.gather(_append(url, "ws-a", n), _append(url, "ws-b", n))
    two = 2 * n / (time.perf_counter() - t)
    done = True
    await monitor
    return {"one_connection_events_s": one, "two_connections_events_s": two,
            "lock_wait_samples": sum(1 for w in waits if w), "samples": len(waits)}  # fmt: skip


async def export(url: str, limit: int) -> dict[str, Any]:
    params = bench_queries("hot_params.sql")
    with psycopg.connect(url, autocommit=True) as sync:
        whale = params.pick_workspaces(sync)[0]
        member = params.pick_member(sync, workspace_id=whale)
    settings = load_settings().with_database(url)
    pool = create_pool(parse_database_url("bench", url), min_size=1, max_size=2)
    await pool.open()
    try:
        ctx = Context.create(pool, settings)
        caller = Caller(user_id=member[0], session_id=member[2], name="Bench", email=member[1])
        scope = audit_service.Scope(full=[whale], limited=[], global_actor=None)
        before = rss_mb()
        t = time.perf_counter()
        exp = await audit_service.start_export(ctx, caller, scope, audit_service.AuditFilter(workspace_id=whale),
                                               "json")  # fmt: skip
        size = rows = 0
        async for chunk in exp.chunks():
            size += len(chunk)
            rows += 1
            if rows > limit:
                await exp.close()
                break
        seconds = time.perf_counter() - t
    finally:
        await pool.close()
    events = min(exp.count, limit)
    return {"events": events, "seconds": seconds, "rows_s": events / seconds, "mb": size / 1e6,
            "peak_rss_growth_mb": rss_mb() - before}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", help="a generated database (default nexus_bench_l on the tooling server)")
    parser.add_argument("--depth", type=int, default=500_000, help="rows before the deep page (10,000 x 50)")
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--export", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    url = args.database or with_dbname(maintenance_url(), "nexus_bench_l")
    pages = asyncio.run(list_pages(url, args.depth, args.runs))
    print(f"audit list, deal {pages['workspace']}: first page p50 {pages['first_p50_ms']:.2f} ms "
          f"(p95 {pages['first_p95_ms']:.2f}); page {pages['page']:,} via cursor p50 {pages['deep_p50_ms']:.2f} ms "
          f"(p95 {pages['deep_p95_ms']:.2f}); target < 5 ms")  # fmt: skip
    with scratch_database(prefix="nexus_bench_append") as scratch:
        app = asyncio.run(appends(scratch.conninfo, args.appends))
    print(f"audit append: {app['one_connection_events_s']:,.0f} events/s on one connection (target >= 2,000); "
          f"two connections, two workspaces: {app['two_connections_events_s']:,.0f} events/s total, "
          f"lock waits in {app['lock_wait_samples']} of {app['samples']} samples")  # fmt: skip
    exp = asyncio.run(export(url, args.export))
    print(f"audit export: {exp['events']:,} events in {exp['seconds']:.1f} s = {exp['rows_s']:,.0f} rows/s "
          f"(target > 50,000), {exp['mb']:.0f} MB JSON, "
          f"peak RSS growth {exp['peak_rss_growth_mb']:.0f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
