"""The audit export of 1,000,000 events streams in constant memory (issue 7): peak RSS growth is bounded while the
whole file goes through the real path (start_export -> Export.chunks). Measures RSS, never time."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import psycopg
import pytest

from nexus.bench import generate, queries
from nexus.bench.data import Scale
from nexus.config import load_settings, parse_database_url
from nexus.db.pool import create_pool
from nexus.services import audit as audit_service
from nexus.services.context import Caller, Context
from tests.fix_db import PgServer, _unique

EVENTS = 1_000_000
ONE_DEAL = Scale("export", workspaces=2, clauses=200, audit_events=EVENTS + 1_010, users=20, whale_events=EVENTS,
                 global_events=0)  # fmt: skip
MAX_GROWTH_MB = 64  # a 1M-event JSON file is ~480 MB: holding it, or its rows, would blow far past this


@pytest.fixture
def export_db(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    name = _unique("nexus_perf_export")
    janitor = pg_server.janitor(name, template=migrated_template)
    janitor.init()
    try:
        url = pg_server.url(name)
        generate.load(url, ONE_DEAL, progress=False)
        yield url
    finally:
        janitor.drop()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.slow
async def test_export_of_a_million_events_runs_in_constant_memory(export_db: str) -> None:
    params = queries.bench_queries("hot_params.sql")
    with psycopg.connect(export_db, autocommit=True) as conn:
        whale = params.pick_workspaces(conn)[0]
        user_id, email, session_id = params.pick_member(conn, workspace_id=whale)
    pool = create_pool(parse_database_url("test", export_db), min_size=1, max_size=2)
    await pool.open()
    try:
        ctx = Context.create(pool, load_settings().with_database(export_db))
        caller = Caller(user_id=user_id, session_id=session_id, name="Bench", email=email)
        scope = audit_service.Scope(full=[whale], limited=[], global_actor=None)
        export = await audit_service.start_export(
            ctx, caller, scope, audit_service.AuditFilter(workspace_id=whale), "json"
        )
        before = _rss_mb()
        chunks = size = newlines = 0
        async for chunk in export.chunks():
            chunks += 1
            size += len(chunk)
            newlines += chunk.count(b"\n")  # events are separated by ",\n"; JSON strings escape newlines
        growth = _rss_mb() - before
    finally:
        await pool.close()
    assert export.count == EVENTS and newlines + 1 == EVENTS
    assert chunks > 100  # streamed in batches, not built whole
    assert size > 100 * EVENTS  # the whole file went through
    assert growth < MAX_GROWTH_MB
