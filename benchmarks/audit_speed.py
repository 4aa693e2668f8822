"""Audit trail speed figures (issue 7), reported as numbers (not tests):

* list: first page and the page `--depth`/50 deep via keyset cursor of the deal with most events, in a generated
  database (`nexus bench generate`; default nexus_bench_l, else the `--database` given), through the generated
  query functions (client wall time, p50/p95);
* append with the chain, in a scratch database migrated to head: one event per transaction (an API write; with
  synchronous_commit on, then off, to show the commit flush it is bound by), transactions of 100 events on one
  connection (one INSERT each, the >= 2,000/s target), the engine alone (one INSERT .. SELECT), then two
  connections at once on two workspaces and, as a control, on one (throughput; lock waiters sampled from
  pg_stat_activity every 2 ms);
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
from typing import Any, Literal

import aiosql
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.graph_build import BENCH as GRAPH_BENCH  # noqa: E402
from nexus.bench.queries import bench_queries  # noqa: E402
from nexus.config import load_settings, parse_database_url  # noqa: E402
from nexus.db.migrate import rollback  # noqa: E402
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


async def _append(url: str, ws: str, n: int, per_tx: int = 1, sync: str = "on") -> float:
    """Seconds to append n events to `ws` on one connection, `per_tx` per transaction, one INSERT each (as a
    service does: audit_q.append_event in the caller's transaction)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await SPEED.set_synchronous_commit(conn, setting=sync)
        t = time.perf_counter()
        for start in range(0, n, per_tx):
            async with conn.transaction():
                for i in range(start, min(n, start + per_tx)):
                    await audit_q.append_event(
                        conn, workspace_id=ws, actor_id="bench-user", actor_name="Bench", event_type="VARIABLE_EDIT",
                        target_type="variable", target_id=f"v{i}", before_state={"value": str(i)},
                        after_state={"value": str(i + 1)}, reason=None, reason_category=None,
                    )  # fmt: skip
        return time.perf_counter() - t


async def _pair(url: str, workspaces: tuple[str, str], n: int, per_tx: int) -> dict[str, Any]:
    """Two connections appending n events each at once: events/s in total, and how many pg_stat_activity samples
    (every 2 ms) saw a backend waiting on a chain's advisory lock, or on any other lock."""
    samples: list[tuple[int, int]] = []
    done = False

    async def sample() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as mon:
            while not done:
                row = await SPEED.lock_waiters(mon)
                samples.append((row[0], row[1]))
                await asyncio.sleep(0.002)

    monitor = asyncio.create_task(sample())
    t = time.perf_counter()
    await asyncio.gather(*(_append(url, ws, n, per_tx) for ws in workspaces))
    rate = 2 * n / (time.perf_counter() - t)
    done = True
    await monitor
    return {"rate": rate, "samples": len(samples), "advisory": sum(1 for a, _ in samples if a),
            "other": sum(1 for _, o in samples if o)}  # fmt: skip


async def appends(url: str, n: int) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await GRAPH_BENCH.insert_bench_user(conn, user_id="bench-user")
        for ws in ("ws-a", "ws-b"):
            await GRAPH_BENCH.insert_bench_workspace(conn, workspace_id=ws, user_id="bench-user")
        sync_setting = await SPEED.synchronous_commit(conn)
    await _append(url, "ws-a", 300, per_tx=100)  # warm-up (plans, caches)
    out: dict[str, Any] = {"synchronous_commit": sync_setting}
    few = max(n // 5, 200)  # one commit per event is slow: fewer of them
    out["tx1_sync_on"] = few / await _append(url, "ws-a", few, per_tx=1, sync="on")
    out["tx1_sync_off"] = few / await _append(url, "ws-a", few, per_tx=1, sync="off")
    out["tx100"] = n / await _append(url, "ws-a", n, per_tx=100)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        t = time.perf_counter()
        async with conn.transaction():
            await SPEED.append_events_in_one_statement(conn, workspace_id="ws-a", actor_id="bench-user", how_many=n)
        out["engine"] = n / (time.perf_counter() - t)
    out["two_ws"] = await _pair(url, ("ws-a", "ws-b"), n, 100)
    out["same_ws"] = await _pair(url, ("ws-a", "ws-a"), n, 100)  # control: one chain, so they must take turns
    return out


async def export(url: str, limit: int, fmt: Literal["json", "csv"]) -> dict[str, Any]:
    """The real export path over the largest deal: start_export (count, EXPORT_AUDIT) then every chunk, stopping
    after `limit` rows; rows are counted from the bytes (one line per event)."""
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
        exp = await audit_service.start_export(ctx, caller, scope, audit_service.AuditFilter(workspace_id=whale), fmt)
        size = newlines = 0
        async for chunk in exp.chunks():
            size += len(chunk)
            newlines += chunk.count(b"\n")
            if newlines >= limit:
                await exp.close()
                break
        seconds = time.perf_counter() - t
    finally:
        await pool.close()
    events = newlines + 1 if fmt == "json" and size > 2 else max(newlines - 1, 0)
    return {"events": events, "count": exp.count, "seconds": seconds, "rows_s": events / seconds, "mb": size / 1e6,
            "peak_rss_mb": rss_mb(), "peak_rss_growth_mb": rss_mb() - before}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", help="a generated database (default nexus_bench_l on the tooling server)")
    parser.add_argument("--depth", type=int, default=500_000, help="rows before the deep page (10,000 x 50)")
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--export", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--only", choices=("list", "append", "export"), help="run one part only")
    parser.add_argument(
        "--append-rollback",
        type=int,
        default=0,
        metavar="N",
        help="roll the append database back N migrations first (compare with an older trigger)",
    )
    args = parser.parse_args(argv)
    url = args.database or with_dbname(maintenance_url(), "nexus_bench_l")
    if args.only in (None, "list"):
        pages = asyncio.run(list_pages(url, args.depth, args.runs))
        print(f"audit list, deal {pages['workspace']}: first page p50 {pages['first_p50_ms']:.2f} ms "
              f"(p95 {pages['first_p95_ms']:.2f}); page {pages['page']:,} via cursor p50 {pages['deep_p50_ms']:.2f} ms "
              f"(p95 {pages['deep_p95_ms']:.2f}); target < 5 ms")  # fmt: skip
    if args.only in (None, "append"):
        with scratch_database(prefix="nexus_bench_append") as scratch:
            rolled = [m for _ in range(args.append_rollback) for m in rollback(scratch)]
            app = asyncio.run(appends(scratch.conninfo, args.appends))
        schema = f" (migrations rolled back: {', '.join(rolled)})" if rolled else ""
        print(f"audit append{schema}, one event per transaction (an API write): {app['tx1_sync_on']:,.0f} events/s "
              f"with synchronous_commit={app['synchronous_commit']} (bound by the commit's WAL flush), "
              f"{app['tx1_sync_off']:,.0f}/s with it off")  # fmt: skip
        print(f"audit append, transactions of 100, one INSERT per event, one connection: {app['tx100']:,.0f} "
              f"events/s (target >= 2,000); engine alone (one INSERT .. SELECT): "
              f"{app['engine']:,.0f} events/s")  # fmt: skip
        for label, key in (("two workspaces", "two_ws"), ("one workspace (control)", "same_ws")):
            pair = app[key]
            print(f"audit append, two connections, {label}: {pair['rate']:,.0f} events/s in total; of "
                  f"{pair['samples']} samples, {pair['advisory']} saw a backend waiting on a chain lock, "
                  f"{pair['other']} on another lock")  # fmt: skip
    if args.only in (None, "export"):
        for fmt in ("json", "csv"):
            exp = asyncio.run(export(url, args.export, fmt))
            print(f"audit export ({fmt}): {exp['events']:,} events in {exp['seconds']:.1f} s = "
                  f"{exp['rows_s']:,.0f} rows/s (target > 50,000), {exp['mb']:.0f} MB; peak RSS "
                  f"{exp['peak_rss_mb']:.0f} MB (growth during the export "
                  f"{exp['peak_rss_growth_mb']:.0f} MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
