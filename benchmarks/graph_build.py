"""Graph build and impact timings (domain.md §7.6-§7.7 targets: full rebuild < 2 s, impact < 50 ms).

Creates a scratch database migrated to head on the server of `--dsn` (default: the one `nexus gen` uses), fills
one workspace from benchmarks/sql/graph_bench.sql (2,000 clauses of which 20 definitions with 25 terms each,
6,000 variables; clause 1 defines "Hot Term", used by 500 clauses), then times with the real service code:

* the first build (every node and edge inserted),
* an unchanged rebuild (every row compared, nothing written) and a rebuild after one body change,
* impact downstream from the "Hot Term" definition node (depth 3 and 10) and upstream from a leaf clause,
  exactly as `GET /graph/nodes/:id/impact` runs it (the recursive walk + the edges among the result).

    python benchmarks/graph_build.py [--dsn postgresql://postgres@127.0.0.1/postgres] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosql
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nexus.config import parse_database_url  # noqa: E402
from nexus.db.admin import create_database, drop_database  # noqa: E402
from nexus.db.migrate import apply  # noqa: E402
from nexus.db.queries import graph as graph_q  # noqa: E402
from nexus.db.scratch import maintenance_url, with_dbname  # noqa: E402
from nexus.services import graph as graph_service  # noqa: E402

BENCH = aiosql.from_path(ROOT / "benchmarks" / "sql" / "graph_bench.sql", "apsycopg")
WS = "bench-ws"
CLAUSES, DEFINITIONS, TERMS, HOT_EVERY, VARIABLES_PER_CLAUSE = 2000, 20, 25, 4, 3
BUILD_TARGET_S, IMPACT_TARGET_MS = 2.0, 50.0


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await call()
    return time.perf_counter() - start, result


async def run(url: str, runs: int) -> int:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await BENCH.insert_bench_user(conn, user_id="bench-user")
        await BENCH.insert_bench_workspace(conn, workspace_id=WS, user_id="bench-user")
        await BENCH.insert_bench_clauses(
            conn,
            workspace_id=WS,
            user_id="bench-user",
            clause_count=CLAUSES,
            definition_count=DEFINITIONS,
            terms_per_definition=TERMS,
            hot_every=HOT_EVERY,
        )
        await BENCH.insert_bench_variables(conn, workspace_id=WS, per_clause=VARIABLES_PER_CLAUSE)
        await conn.execute("ANALYZE")

        clock = datetime(2025, 1, 1, tzinfo=UTC)

        async def build() -> graph_service.BuildResult:
            nonlocal clock
            clock += timedelta(seconds=1)
            async with conn.transaction():
                return await graph_service.build(conn, workspace_id=WS, now=clock)

        first_s, first = await timed(build)
        await conn.execute("ANALYZE graph_nodes")
        await conn.execute("ANALYZE graph_edges")
        print(
            f"workspace: {CLAUSES} clauses ({DEFINITIONS} definitions x {TERMS} terms), "
            f"{CLAUSES * VARIABLES_PER_CLAUSE} variables -> {first.node_count} nodes, {first.edge_count} edges"
        )
        unchanged = [(await timed(build))[0] for _ in range(runs)]
        changed = []
        for i in range(runs):
            await BENCH.touch_bench_clause(conn, workspace_id=WS, clause_id=f"bc-{DEFINITIONS + 1 + i}")
            changed.append((await timed(build))[0])

        # The same compute step alone (pure Python), to separate it from the SQL.
        from nexus.domain import graph as rules

        clauses = await graph_q.list_build_clauses(conn, workspace_id=WS)
        variables = await graph_q.list_build_variables(conn, workspace_id=WS)
        start = time.perf_counter()
        rules.compute_graph(
            [rules.Clause(c.id, c.title, c.body, c.type, c.order, c.is_sensitive) for c in clauses],
            [rules.Variable(v.id, v.clause_id, v.label, v.type, v.value, v.unit) for v in variables],
            [],
        )
        compute_s = time.perf_counter() - start

        async def impact(node: str, direction: str, depth: int) -> tuple[list[float], int, int]:
            reach = graph_q.impact_reach_downstream if direction == "downstream" else graph_q.impact_reach_upstream
            times: list[float] = []
            nodes: list[Any] = []
            edges: list[Any] = []
            for _ in range(runs + 2):
                start = time.perf_counter()
                async with conn.transaction():  # what graph_service.impact runs, minus the pool checkout
                    await graph_q.get_node(conn, workspace_id=WS, node_id=node)
                    rows = await reach(conn, workspace_id=WS, node_id=node, max_depth=depth)
                    edges = await graph_q.list_edges_within(
                        conn, workspace_id=WS, node_ids=[node, *(r.id for r in rows)]
                    )
                nodes = graph_service.with_paths(node, rows)
                times.append((time.perf_counter() - start) * 1000)
            return times[2:], len(nodes), len(edges)  # first two: warm-up / plan

        hot = "node-c-bc-1"
        impacts = [
            (f"{hot} downstream depth 3", await impact(hot, "downstream", 3)),
            (f"{hot} downstream depth 10", await impact(hot, "downstream", 10)),
            ("node-c-bc-2000 upstream depth 3", await impact("node-c-bc-2000", "upstream", 3)),
        ]
        hot_users = sum(
            1 for e in await graph_q.list_node_edges(conn, workspace_id=WS, node_id=hot) if e.source_id == hot
        )

    med = statistics.median
    print(f"first build (all rows inserted):     {first_s * 1000:8.1f} ms")
    print(
        f"rebuild, unchanged (median of {runs}):   {med(unchanged) * 1000:8.1f} ms  (max {max(unchanged) * 1000:.1f})"
    )
    print(f"rebuild, one body changed (median):  {med(changed) * 1000:8.1f} ms  (max {max(changed) * 1000:.1f})")
    print(f"  of which compute_graph (Python):   {compute_s * 1000:8.1f} ms")
    print(f"'Hot Term' definition node {hot}: {hot_users} outgoing edges")
    worst_impact = 0.0
    for label, (times, n_nodes, n_edges) in impacts:
        p50 = med(times)
        worst_impact = max(worst_impact, p50)
        print(f"impact {label:38s} p50 {p50:6.1f} ms  max {max(times):6.1f} ms  ({n_nodes} nodes, {n_edges} edges)")
    worst_build = max(first_s, med(unchanged), med(changed))
    ok = worst_build < BUILD_TARGET_S and worst_impact < IMPACT_TARGET_MS
    print(
        f"targets: build < {BUILD_TARGET_S:.0f} s -> {'ok' if worst_build < BUILD_TARGET_S else 'MISSED'}; "
        f"impact < {IMPACT_TARGET_MS:.0f} ms -> {'ok' if worst_impact < IMPACT_TARGET_MS else 'MISSED'}"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dsn", help="URL of any database on the server to use (default: as nexus gen)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    admin = with_dbname(args.dsn, "postgres") if args.dsn else maintenance_url()
    name = f"nexus_bench_graph_{secrets.token_hex(4)}"
    create_database(admin, name)
    try:
        url = with_dbname(admin, name)
        apply(parse_database_url("bench", url))
        return asyncio.run(run(url, args.runs))
    finally:
        drop_database(admin, name)


if __name__ == "__main__":
    raise SystemExit(main())
