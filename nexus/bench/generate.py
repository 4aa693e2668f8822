"""`nexus bench generate`: fill an empty database at scale S, M or L with COPY, in one transaction.

The load (benchmarks/sql/generate.sql): TRUNCATE (so COPY FREEZE writes frozen, all-visible rows), drop the bulk
tables' secondary indexes, COPY every table with session_replication_role = replica (no trigger and no FK check
fires, for this transaction only: the rows are consistent by construction and the audit chain is computed here
with the trigger's canonical encoding), rebuild the indexes from their catalog definitions, commit, ANALYZE.
Afterwards `nexus audit verify --all` recomputes every chain (`verify=True` does it at the end of the run).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiosql
import psycopg
from tqdm import tqdm

from nexus.bench import data
from nexus.bench.data import Plan, Scale

BENCH_SQL: Final = Path(__file__).resolve().parents[2] / "benchmarks" / "sql"
BULK_TABLES: Final = [
    "audit_events", "clauses", "variables", "graph_nodes", "graph_edges", "drift_items", "workspace_members",
    "reconciliation_items", "sessions",
]  # fmt: skip
CHUNK_BYTES: Final = 1 << 20


class GenerateError(Exception):
    """The database cannot be filled (not empty, not a superuser, no source checkout); one line for the user."""


def bench_queries(name: str) -> Any:
    """aiosql queries of benchmarks/sql/<name> (sync psycopg adapter)."""
    path = BENCH_SQL / name
    if not path.is_file():
        raise GenerateError(f"{path} not found: `nexus bench` runs from a source checkout")
    return aiosql.from_path(path, "psycopg")


@dataclass
class LoadReport:
    scale: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    chains_verified: int | None = None
    chains_invalid: int | None = None


def _tables(plan: Plan, heads: dict[str, data.ChainHead]) -> list[tuple[str, str, Callable[[], Iterator[str]]]]:
    """(table, COPY query name, row generator) in load order; later generators read counts earlier ones filled."""
    return [
        ("users", "copy_users", lambda: data.users(plan)),
        ("sessions", "copy_sessions", lambda: data.sessions(plan)),
        ("workspaces", "copy_workspaces", lambda: data.workspaces(plan)),
        ("workspace_members", "copy_members", lambda: data.members(plan)),
        ("clauses", "copy_clauses", lambda: data.clauses(plan)),
        ("variables", "copy_variables", lambda: data.variables(plan)),
        ("graph_nodes", "copy_graph_nodes", lambda: data.graph_nodes(plan)),
        ("graph_edges", "copy_graph_edges", lambda: data.graph_edges(plan)),
        ("drift_items", "copy_drift_items", lambda: data.drift_items(plan)),
        ("graph_state", "copy_graph_state", lambda: data.graph_state(plan)),
        ("golden_records", "copy_golden_records", lambda: data.golden_records(plan)),
        ("golden_record_versions", "copy_golden_versions", lambda: data.golden_versions(plan)),
        ("downstream_connectors", "copy_connectors", lambda: data.connectors(plan)),
        ("connector_deliveries", "copy_deliveries", lambda: data.deliveries(plan)),
        ("covenants", "copy_covenants", lambda: data.covenants(plan)),
        ("reconciliation_sessions", "copy_recon_sessions", lambda: data.recon_sessions(plan)),
        ("reconciliation_items", "copy_recon_items", lambda: data.recon_items(plan)),
        ("audit_events", "copy_audit_events", lambda: data.audit_events(plan, heads)),
        ("audit_chain_heads", "copy_chain_heads", lambda: data.chain_heads(heads)),
    ]


def _expected_rows(scale: Scale) -> int:
    # Progress-bar total: the big tables (nodes ~ 3.7 x clauses, edges ~ 3.4 x clauses) plus the audit events.
    return int(scale.clauses * 11.2) + scale.audit_events


def _copy(cur: psycopg.Cursor[Any], statement: str, rows: Iterator[str], bar: Any) -> int:
    count = 0
    with cur.copy(statement) as copy:
        buf: list[str] = []
        size = 0
        for line in rows:
            buf.append(line)
            size += len(line)
            if size >= CHUNK_BYTES:
                copy.write("".join(buf).encode())
                count += len(buf)
                bar.update(len(buf))
                buf, size = [], 0
        if buf:
            copy.write("".join(buf).encode())
            count += len(buf)
            bar.update(len(buf))
    return count


def load(url: str, scale: Scale, progress: bool = True, say: Callable[[str], None] = print) -> LoadReport:
    """Fill the (migrated, empty) database at `url`; returns row counts and phase timings."""
    q = bench_queries("generate.sql")
    report = LoadReport(scale.name)
    started = time.perf_counter()
    plan = Plan.build(scale)
    heads: dict[str, data.ChainHead] = {}
    with psycopg.connect(url) as conn:
        if not q.is_superuser(conn):
            raise GenerateError("the generator needs a superuser connection (session_replication_role)")
        if q.count_existing_rows(conn):
            raise GenerateError("the database already holds users or workspaces; the generator fills empty ones")
        q.prepare_load(conn)
        q.truncate_for_freeze(conn)
        indexes = list(q.secondary_indexes(conn, table_names=BULK_TABLES))
        with conn.cursor() as cur:
            for drop, _create in indexes:
                cur.execute(drop)
            with tqdm(total=_expected_rows(scale), unit=" rows", unit_scale=True, disable=not progress) as bar:
                for table, query, rows in _tables(plan, heads):
                    bar.set_description(table)
                    t0 = time.perf_counter()
                    report.rows[table] = _copy(cur, getattr(q, query).sql, rows(), bar)
                    report.seconds[table] = time.perf_counter() - t0
            t0 = time.perf_counter()
            for _drop, create in tqdm(indexes, desc="indexes", unit=" idx", disable=not progress):
                cur.execute(create)
            report.seconds["(indexes)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.commit()
        report.seconds["(commit)"] = time.perf_counter() - t0
        conn.autocommit = True
        t0 = time.perf_counter()
        if progress:
            say("ANALYZE")
        q.analyze_all(conn)
        report.seconds["(analyze)"] = time.perf_counter() - t0
    report.total_seconds = time.perf_counter() - started
    return report


async def _verify(url: str) -> tuple[int, int]:
    from nexus.services import audit as audit_service

    async with await psycopg.AsyncConnection.connect(url) as conn:
        reports = await audit_service.verify_on(conn)
    return len(reports), sum(not r.valid for r in reports)


def verify_chains(url: str) -> tuple[int, int]:
    """(chains checked, chains invalid) by the same code as `nexus audit verify --all`."""
    return asyncio.run(_verify(url))


def summary(report: LoadReport) -> str:
    lines = [f"scale {report.scale}: {sum(report.rows.values()):,} rows in {report.total_seconds:.1f} s"]
    for table, n in report.rows.items():
        lines.append(f"  {table:24s} {n:>12,} rows  {report.seconds[table]:7.1f} s")
    for phase in ("(indexes)", "(commit)", "(analyze)"):
        lines.append(f"  {phase:24s} {'':>17}  {report.seconds.get(phase, 0.0):7.1f} s")
    if report.chains_verified is not None:
        lines.append(f"  audit verify: {report.chains_verified} chains, {report.chains_invalid} invalid")
    return "\n".join(lines)


def target_database(scale_name: str, database: str | None) -> str:
    """The URL to fill: `database` migrated to head, or a fresh `nexus_bench_<scale>` on the tooling server
    (dropped and recreated: it only ever holds generated data)."""
    from nexus.config import parse_database_url
    from nexus.db.admin import create_database, drop_database
    from nexus.db.migrate import apply
    from nexus.db.scratch import maintenance_url, with_dbname

    if database is None:
        admin = maintenance_url()
        name = f"nexus_bench_{scale_name.lower()}"
        drop_database(admin, name)
        create_database(admin, name)
        database = with_dbname(admin, name)
    url = parse_database_url("--database", database)
    apply(url)
    return url.conninfo


def run(scale_name: str, database: str | None, verify: bool = True, progress: bool = True) -> LoadReport:
    """`nexus bench generate`: the target database, the load, and (by default) the audit chain verification."""
    scale = data.SCALES[scale_name]
    url = target_database(scale_name, database)
    report = load(url, scale, progress=progress)
    if verify:
        report.chains_verified, report.chains_invalid = verify_chains(url)
    return report
