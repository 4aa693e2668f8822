"""`nexus bench queries`: the hot-query suite. Each hot query's SQL is the app's own (sql/*.sql through aiosql,
`query_fn.sql`), run as `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) <sql>` with parameters picked from the generated
data (benchmarks/sql/hot_params.sql), N times: plan shape, indexes, p50/p95 execution time, shared buffers.

Parameters are bound server-side (psycopg), so each run is a custom plan for those values, as the app's first
five executions of a statement are; the plan gates check the shape, not the time.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import aiosql
import psycopg

from nexus.bench.generate import BENCH_SQL, bench_queries
from nexus.bench.plans import PlanSummary, growth_problem, summarize
from nexus.services.audit import EXPORT_BATCH, EXPORT_MERGE_BATCH

APP_SQL: Final = BENCH_SQL.parents[1] / "sql"
EXPLAIN: Final = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
PAGE: Final = 50
TARGET_MS: Final = 1.0


@dataclass(frozen=True)
class HotQuery:
    """One hot query: the app query (`file`, `name`), how to build its parameters from the picks, the indexes
    it is meant to use (any of them), and whether the 1 ms target applies."""

    label: str
    file: str
    name: str
    params: Callable[[Mapping[str, Any]], dict[str, Any]]
    intended: frozenset[str]
    target: bool = True


def _q(*names: str) -> frozenset[str]:
    return frozenset(names)


HOT_QUERIES: Final[list[HotQuery]] = [
    HotQuery("login lookup", "users", "get_user_by_email", lambda p: {"email": p["email"]}, _q("idx_users_email")),
    HotQuery("session check", "sessions", "get_live_session",
             lambda p: {"session_id": p["session_id"], "user_id": p["user_id"]},
             _q("sessions_pkey", "idx_sessions_live")),
    HotQuery("workspace list", "workspaces", "list_workspaces_for_user",
             lambda p: {"user_id": p["user_id"], "include_archived": False},
             _q("idx_workspace_members_active", "idx_workspace_members_workspace_user")),
    HotQuery("membership gate", "members", "get_membership",
             lambda p: {"workspace_id": p["ws"], "user_id": p["user_id"]},
             _q("idx_workspace_members_workspace_user", "idx_workspace_members_active",
                "idx_workspace_members_workspace_id")),
    HotQuery("workspace detail", "workspaces", "get_workspace_detail", lambda p: {"workspace_id": p["ws"]},
             _q("workspaces_pkey")),
    HotQuery("member list", "members", "list_members", lambda p: {"workspace_id": p["ws"], "status": None},
             _q("idx_workspace_members_workspace_id")),
    HotQuery("clause list", "clauses", "list_clauses", lambda p: {"workspace_id": p["ws"]},
             _q("uq_clauses_workspace_order", "idx_clauses_workspace_id")),
    HotQuery("clause read (member gate)", "clauses", "get_clause_for_member",
             lambda p: {"clause_id": p["clause_id"], "user_id": p["user_id"]}, _q("clauses_pkey")),
    HotQuery("variable list", "variables", "list_variables", lambda p: {"workspace_id": p["ws"]},
             _q("idx_variables_workspace_id", "uq_variables_workspace_id_id")),
    HotQuery("variable read (member gate)", "variables", "get_variable_for_member",
             lambda p: {"variable_id": p["variable_id"], "user_id": p["user_id"]}, _q("variables_pkey")),
    HotQuery("clause search", "clauses", "search_clauses",
             lambda p: {"workspace_id": p["ws"], "search_query": "interest period", "result_limit": 20},
             _q("idx_clauses_search", "idx_clauses_workspace_id"), target=False),
    HotQuery("drift list page", "drift", "list_drifts",
             lambda p: {"workspace_id": p["ws"], "page_size": 20, "page_offset": 0},
             _q("idx_drift_list", "idx_drift_items_workspace_id")),
    HotQuery("drift count", "drift", "count_drifts", lambda p: {"workspace_id": p["ws"]}, _q("idx_drift_list")),
    HotQuery("open drift by severity", "drift", "count_unresolved_by_severity", lambda p: {"workspace_id": p["ws"]},
             _q("idx_drift_unresolved")),
    HotQuery("golden-record status", "golden_records", "get_status_inputs", lambda p: {"workspace_id": p["ws"]},
             _q("idx_drift_unresolved")),
    HotQuery("connector list", "connectors", "list_connectors", lambda p: {"workspace_id": p["ws"]},
             _q("idx_downstream_connectors_workspace_id", "uq_downstream_connectors_workspace_id_id")),
    HotQuery("reconciliation sessions", "reconciliation", "list_sessions",
             lambda p: {"workspace_id": p["ws"], "page_limit": 20, "page_offset": 0},
             _q("idx_reconciliation_sessions_list")),
    HotQuery("graph node edges", "graph", "list_node_edges",
             lambda p: {"workspace_id": p["ws"], "node_id": p["definition_node_id"]},
             _q("idx_graph_edges_source_id", "idx_graph_edges_target_id")),
    HotQuery("impact downstream depth 3", "graph", "impact_reach_downstream",
             lambda p: {"workspace_id": p["ws"], "node_id": p["definition_node_id"], "max_depth": 3},
             _q("uq_graph_edges_workspace_source_target", "idx_graph_edges_source_id"), target=False),
    HotQuery("audit first page (largest deal)", "audit", "list_workspace_events",
             lambda p: {"workspace_id": p["whale"], "page_limit": PAGE},
             _q("idx_audit_ws_keyset", "idx_audit_events_timestamp")),
    HotQuery("audit deep page via cursor", "audit", "list_workspace_events_after",
             lambda p: {"workspace_id": p["whale"], "before_ts": p["deep_ts"], "before_id": p["deep_id"],
                        "page_limit": PAGE}, _q("idx_audit_ws_keyset", "idx_audit_events_timestamp")),
    HotQuery("audit page total", "audit", "count_workspace_events", lambda p: {"workspace_id": p["whale"]},
             _q("audit_chain_heads_pkey")),
    HotQuery("audit unscoped first page", "audit", "list_scoped_events",
             lambda p: {"workspace_ids": p["member_ws"], "actor_id": p["user_id"], "page_limit": PAGE},
             _q("idx_audit_ws_keyset")),
    HotQuery("audit export batch (one deal)", "audit", "export_workspace_events_batch",
             lambda p: {"workspace_id": p["whale"], "event_type": None, "actor_id": None, "target_type": None,
                        "target_id": None, "start_at": None, "end_at": None, "keyword": None,
                        "before_ts": p["deep_ts"], "before_id": p["deep_id"], "batch_size": EXPORT_BATCH},
             _q("idx_audit_ws_keyset", "idx_audit_events_timestamp"), target=False),
    HotQuery("audit export batch (merged deals)", "audit", "export_events_batch",
             lambda p: {"workspace_ids": [p["whale"]], "global_actor_id": None, "event_type": None, "actor_id": None,
                        "target_type": None, "target_id": None, "start_at": None, "end_at": None, "keyword": None,
                        "before_ts": p["deep_ts"], "before_id": p["deep_id"], "batch_size": EXPORT_MERGE_BATCH},
             _q("idx_audit_ws_keyset"), target=False),
]  # fmt: skip


@dataclass
class QueryResult:
    label: str
    query: str
    target: bool
    runs: int
    p50_ms: float
    p95_ms: float
    planning_p50_ms: float
    shared_hit: int
    shared_read: int
    rows: int
    shape: str
    indexes: list[str]
    seq_scans: list[str]
    intended: list[str]
    plan: Any = None

    @property
    def buffers(self) -> int:
        return self.shared_hit + self.shared_read


@dataclass
class SuiteResult:
    scale: str
    database: str
    started_at: str
    picks: dict[str, Any] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)
    queries: list[QueryResult] = field(default_factory=list)


def _app_queries() -> dict[str, Any]:
    return {f: aiosql.from_path(APP_SQL / f"{f}.sql", "psycopg") for f in {h.file for h in HOT_QUERIES}}


def picks(conn: psycopg.Connection[Any], deep_depth: int = 500_000) -> dict[str, Any]:
    """Parameters from the data: typical deal `ws`, largest deal `whale`, its agent, rows, a deep cursor."""
    q = bench_queries("hot_params.sql")
    ws_row = q.pick_workspaces(conn)
    whale, typical = ws_row[0], ws_row[1]
    member = q.pick_member(conn, workspace_id=typical)
    rows = q.pick_rows(conn, workspace_id=typical)
    depth = deep_depth
    # Smaller scales: halve until a full page remains after the cursor (as deep as the largest deal goes).
    while depth > 1 and q.pick_cursor(conn, workspace_id=whale, depth=depth + 2 * PAGE) is None:
        depth //= 2
    cursor = q.pick_cursor(conn, workspace_id=whale, depth=depth)
    assert cursor is not None
    return {
        "ws": typical,
        "whale": whale,
        "user_id": member[0],
        "email": member[1],
        "session_id": member[2],
        "clause_id": rows[0],
        "variable_id": rows[1],
        "definition_node_id": rows[2],
        "recon_session_id": rows[3],
        "deep_ts": cursor[0],
        "deep_id": cursor[1],
        "deep_depth": depth,
        "member_ws": [r[0] for r in q.member_workspaces(conn, user_id=member[0])],
    }


def explain(conn: psycopg.Connection[Any], sql: str, params: Mapping[str, Any]) -> Any:
    row = conn.execute(EXPLAIN + sql, dict(params)).fetchone()
    assert row is not None
    doc = row[0]
    return json.loads(doc) if isinstance(doc, str) else doc


def run_query(conn: psycopg.Connection[Any], hot: HotQuery, sql: str, p: Mapping[str, Any], runs: int) -> QueryResult:
    params = hot.params(p)
    for _ in range(2):  # warm the cache and the catalog
        explain(conn, sql, params)
    plans = [explain(conn, sql, params) for _ in range(runs)]
    sums: list[PlanSummary] = [summarize(doc) for doc in plans]
    times = sorted(s.execution_ms for s in sums)
    last = sums[-1]
    return QueryResult(
        label=hot.label,
        query=f"{hot.file}.{hot.name}",
        target=hot.target,
        runs=runs,
        p50_ms=statistics.median(times),
        p95_ms=times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        planning_p50_ms=statistics.median(s.planning_ms for s in sums),
        shared_hit=last.shared_hit,
        shared_read=last.shared_read,
        rows=last.rows,
        shape=last.shape,
        indexes=last.indexes,
        seq_scans=last.seq_scans,
        intended=sorted(hot.intended),
        plan=plans[-1],
    )


def run_suite(url: str, scale: str, runs: int = 30) -> SuiteResult:
    app = _app_queries()
    result = SuiteResult(scale=scale, database=url.rsplit("/", 1)[-1].split("?")[0],
                         started_at=datetime.now(UTC).isoformat(timespec="seconds"))  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        p = picks(conn)
        result.picks = {k: (v if isinstance(v, str | int) else str(v)) for k, v in p.items() if k != "member_ws"}
        result.picks["member_workspaces"] = len(p["member_ws"])
        sizes = bench_queries("hot_params.sql").table_sizes(conn)
        result.table_rows = {name: int(n) for name, n, _bytes in sizes}
        for hot in HOT_QUERIES:
            sql = getattr(app[hot.file], hot.name).sql
            result.queries.append(run_query(conn, hot, sql, p, runs))
    return result


# -- reports ---------------------------------------------------------------------------------------------------
def to_json(results: list[SuiteResult]) -> str:
    def clean(r: SuiteResult) -> dict[str, Any]:
        d = asdict(r)
        for q in d["queries"]:
            q.pop("plan", None)
        d["plans"] = {q.label: q.plan for q in r.queries}
        return d

    return json.dumps([clean(r) for r in results], indent=1, default=str)


def markdown(results: list[SuiteResult]) -> str:
    """One row per hot query, one column group per scale: p50/p95 ms, buffers, rows; plan shape and index once."""
    scales = [r.scale for r in results]
    head = ["Hot query", "Index used"]
    for s in scales:
        head += [f"{s} p50 ms", f"{s} p95 ms", f"{s} buffers", f"{s} rows"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    last = results[-1]
    for i, q in enumerate(last.queries):
        cells = [q.label + ("" if q.target else " *"), ", ".join(q.indexes) or "-"]
        for r in results:
            x = r.queries[i]
            flag = " ⚠" if x.target and x.p50_ms >= TARGET_MS else ""
            cells += [f"{x.p50_ms:.3f}{flag}", f"{x.p95_ms:.3f}", f"{x.buffers}", f"{x.rows}"]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        "`*` = outside the 1 ms p50 target (search, impact, export); ⚠ = target missed. Times are the server's "
        "`Execution Time` of `EXPLAIN (ANALYZE, BUFFERS)` on warm cache; buffers = shared hit + read of the last run.",
    ]
    for r in results:
        notes.append(
            f"Scale {r.scale}: {r.table_rows.get('audit_events', 0):,} audit events, "
            f"{r.table_rows.get('clauses', 0):,} clauses, {r.table_rows.get('variables', 0):,} variables; "
            f"deep cursor {r.picks.get('deep_depth')} rows into the largest deal."
        )
    if len(results) >= 2:
        growth = [
            f"{q.label} ({problem})"
            for q, big in zip(results[0].queries, results[-1].queries, strict=True)
            if (problem := growth_problem(_summary(q), _summary(big))) is not None
        ]
        notes.append("Buffer growth with table size: " + ("; ".join(growth) if growth else "none"))
    return "\n".join(lines + notes) + "\n"


def _summary(q: QueryResult) -> PlanSummary:
    return PlanSummary(shared_hit=q.shared_hit, shared_read=q.shared_read, rows=q.rows)


def write_reports(results: list[SuiteResult], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    tag = "-".join(r.scale for r in results)
    json_path = out_dir / f"queries-{tag}-{stamp}.json"
    json_path.write_text(to_json(results))
    md_path = out_dir / "queries-latest.md"
    md_path.write_text(f"# Hot queries ({', '.join(r.scale for r in results)})\n\n" + markdown(results))
    return json_path, md_path


RESULTS_DIR: Final = BENCH_SQL.parent / "results"


def bench_database(scale: str) -> str:
    """URL of `nexus_bench_<scale>` on the tooling server, generated first if it does not exist."""
    from nexus.bench import generate
    from nexus.db.admin import database_exists
    from nexus.db.scratch import maintenance_url, with_dbname

    url = with_dbname(maintenance_url(), f"nexus_bench_{scale.lower()}")
    if not database_exists(url):
        generate.run(scale, None, verify=False)
    return url


def check(results: list[SuiteResult]) -> list[str]:
    """Plan gates over suite results: seq scans of large tables, intended index, buffer growth between scales."""
    from nexus.bench.plans import gate_problems

    by_label = {h.label: h for h in HOT_QUERIES}
    problems: list[str] = []
    for r in results:
        for q in r.queries:
            summary = PlanSummary(indexes=q.indexes, seq_scans=q.seq_scans)
            problems += [f"{r.scale} {q.label}: {p}" for p in gate_problems(summary, by_label[q.label].intended)]
    if len(results) >= 2:
        for small, big in zip(results[0].queries, results[-1].queries, strict=True):
            problem = growth_problem(_summary(small), _summary(big))
            if problem:
                problems.append(f"{small.label}: {problem}")
    return problems
