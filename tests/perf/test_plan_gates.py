"""Plan gates (DESIGN.md §7): every hot query keeps its plan shape as data grows. Never asserts wall time.

Scale S is generated once per session into a scratch database, and 2 x S into a second one (the same shape with
twice the workspaces, clauses, variables and audit events), both loaded then ANALYZEd. Each hot query of
nexus/bench/queries.py runs as `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` with the app's own SQL, and the test fails
when:

* it sequentially scans a table that is already large at S (audit events 100k+, graph, variables, clauses) under
  the planner's own choice (2 x S);
* with `enable_seqscan = off` it still scans a large-in-production table sequentially, or none of its intended
  indexes appears. Why seqscan off here: at S, tables such as workspaces (40 rows), workspace_members (~150) or
  reconciliation_sessions (~40) fit in one or two pages and a sequential scan is the right plan for them today;
  switching it off asks "is there an index path, and is it the intended one?", which is what breaks when an index
  is dropped or a predicate stops being sargable;
* its shared-buffer count at 2 x S grows with the table instead of with the rows it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from nexus.bench import generate, queries
from nexus.bench.data import SCALES
from nexus.bench.plans import LARGE_TABLES, PlanSummary, gate_problems, growth_problem, summarize
from tests.fix_db import PgServer, _unique

BIG_AT_S = frozenset({"audit_events", "clauses", "variables", "graph_nodes", "graph_edges"})
RUNS = 3


def _generate(pg_server: PgServer, migrated_template: str, factor: int) -> Iterator[str]:
    name = _unique("nexus_perf")
    janitor = pg_server.janitor(name, template=migrated_template)
    janitor.init()
    try:
        url = pg_server.url(name)
        scale = SCALES["S"] if factor == 1 else SCALES["S"].times(factor)
        generate.load(url, scale, progress=False)
        yield url
    finally:
        janitor.drop()


@pytest.fixture(scope="session")
def s_url(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    yield from _generate(pg_server, migrated_template, 1)


@pytest.fixture(scope="session")
def s2_url(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    yield from _generate(pg_server, migrated_template, 2)


def _plans(url: str, seqscan: bool) -> dict[str, PlanSummary]:
    app = queries._app_queries()
    params = queries.bench_queries("hot_params.sql")
    out: dict[str, PlanSummary] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        picks = queries.picks(conn)
        if not seqscan:
            params.disable_seqscan(conn)
        for hot in queries.HOT_QUERIES:
            sql = getattr(app[hot.file], hot.name).sql
            docs: list[Any] = [queries.explain(conn, sql, hot.params(picks)) for _ in range(RUNS)]
            out[hot.label] = summarize(docs[-1])
    return out


@pytest.fixture(scope="session")
def natural_plans(s_url: str, s2_url: str) -> tuple[dict[str, PlanSummary], dict[str, PlanSummary]]:
    return _plans(s_url, seqscan=True), _plans(s2_url, seqscan=True)


@pytest.fixture(scope="session")
def indexed_plans(s2_url: str) -> dict[str, PlanSummary]:
    return _plans(s2_url, seqscan=False)


LABELS = [h.label for h in queries.HOT_QUERIES]
INTENDED = {h.label: h.intended for h in queries.HOT_QUERIES}


def test_generated_chains_verify(s_url: str) -> None:
    """The bulk load computed the hash chain itself: `nexus audit verify --all` must accept every chain."""
    checked, invalid = generate.verify_chains(s_url)
    assert checked > SCALES["S"].workspaces // 2
    assert invalid == 0


@pytest.mark.parametrize("label", LABELS)
def test_no_seq_scan_on_tables_large_at_s(label: str, natural_plans: Any) -> None:
    _small, big = natural_plans
    assert gate_problems(big[label], frozenset(), large=BIG_AT_S) == []


@pytest.mark.parametrize("label", LABELS)
def test_intended_index_and_no_seq_scan_on_production_large_tables(label: str, indexed_plans: Any) -> None:
    assert gate_problems(indexed_plans[label], INTENDED[label], large=LARGE_TABLES) == []


@pytest.mark.parametrize("label", LABELS)
def test_buffers_follow_result_not_table(label: str, natural_plans: Any) -> None:
    small, big = natural_plans
    assert growth_problem(small[label], big[label]) is None
