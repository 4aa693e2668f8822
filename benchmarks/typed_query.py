"""Cost of the generated typed layer over a raw psycopg call (DESIGN.md §4: at most +10%).

Creates a scratch database on the server of `--dsn` (default: the one `nexus gen` uses), loads the codegen
test schema, generates the typed module for `tests/sql/codegen_items.sql`, then times one hot point query by
primary key (`get_item_brief`, a `^` query) through the generated function and through
`cursor.execute(sql, params)` + `fetchone()` with the same SQL on the same connection, alternating rounds so
drift hits both sides equally.

    python benchmarks/typed_query.py [--dsn postgresql://postgres@127.0.0.1/postgres] [--rounds N] [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nexus.db.admin import create_database, drop_database  # noqa: E402
from nexus.db.codegen import generate  # noqa: E402
from nexus.db.scratch import maintenance_url, with_dbname  # noqa: E402

SETUP = ROOT / "tests" / "sql" / "codegen_setup.sql"
QUERIES = ROOT / "tests" / "sql" / "codegen_items.sql"


async def _time(n: int, call: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - start) / n * 1e6


async def bench(url: str, module: Any, rounds: int, calls: int) -> tuple[list[float], list[float]]:
    sql = module._Q["get_item_brief"]
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:

        async def typed() -> Any:
            return await module.get_item_brief(conn, id=1)

        async def raw() -> Any:
            cur = conn.cursor()
            await cur.execute(sql, {"id": 1})
            return await cur.fetchone()

        assert tuple(await typed()) == await raw()
        await _time(calls, typed)  # warm-up: both reach psycopg's prepared-statement path
        await _time(calls, raw)
        typed_us: list[float] = []
        raw_us: list[float] = []
        for i in range(rounds):
            order = [(typed, typed_us), (raw, raw_us)]
            for fn, out in order if i % 2 == 0 else reversed(order):
                out.append(await _time(calls, fn))
        return typed_us, raw_us


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="URL of any database on the server to use (default: as nexus gen)")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)

    admin = with_dbname(args.dsn, "postgres") if args.dsn else maintenance_url()
    name = f"nexus_bench_{secrets.token_hex(4)}"
    create_database(admin, name)
    try:
        url = with_dbname(admin, name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SETUP.read_bytes())
        with tempfile.TemporaryDirectory() as tmp:
            pkg = Path(tmp) / "bench_queries"
            pkg.mkdir()
            (pkg / "__init__.py").write_text("")
            for path, text in generate([QUERIES], url, out_dir=pkg, package="bench_queries").items():
                path.write_text(text)
            sys.path.insert(0, tmp)
            module = importlib.import_module("bench_queries.codegen_items")
            typed_us, raw_us = asyncio.run(bench(url, module, args.rounds, args.calls))
    finally:
        drop_database(admin, name)

    t, r = statistics.median(typed_us), statistics.median(raw_us)
    print(f"{args.rounds} rounds x {args.calls} calls of get_item_brief (primary-key lookup, 2 columns)")
    print(f"typed (generated) : median {t:7.2f} us/call   min {min(typed_us):7.2f}")
    print(f"raw execute+fetch : median {r:7.2f} us/call   min {min(raw_us):7.2f}")
    best = min(typed_us) / min(raw_us)
    print(f"ratio typed/raw   : {t / r:.3f} (median)   {best:.3f} (min); target <= 1.10")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
