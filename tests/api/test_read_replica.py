"""DATABASE_READ_URL (api.md §1.15): audit export and clause search read from the replica when it is set, from the
primary otherwise; the export's EXPORT_AUDIT event is always written to the primary (domain.md §11.7).

The "replica" is a second copy of the demo data that differs from the primary: one clause mentions a word the
primary's clauses do not, and its ws-002 audit chain has one more event."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import namedtuple_row

from nexus.api.app import create_app
from nexus.db.queries import audit as audit_q
from tests.fix_api import api_settings
from tests.fix_db import PgServer
from tests.services.delivery_support import SQL

Client = AsyncTestClient[Any]
SARAH = "sarah.chen@bankco.com"
WORD = "zanzibar"
REPLICA_REASON = "written on the replica only"


@pytest.fixture
def replica_url(pg_server: PgServer, seeded_template: str) -> Iterator[str]:
    """A second, separate copy of the demo data standing in for the read replica."""
    name = f"nexus_r_{os.getpid()}_{secrets.token_hex(4)}"
    janitor = pg_server.janitor(name, template=seeded_template)
    janitor.init()
    try:
        yield pg_server.url(name)
    finally:
        janitor.drop()


@pytest.fixture
async def replica(replica_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    conn = await psycopg.AsyncConnection.connect(replica_url, autocommit=True, row_factory=namedtuple_row)
    try:
        await SQL.clause_search_marker(conn, clause_id="clause-016", word=WORD)
        await audit_q.append_event(
            conn,
            workspace_id="ws-002",
            actor_id="user-001",
            actor_name="Sarah Chen",
            event_type="CLAUSE_EDIT",
            target_type="clause",
            target_id="clause-016",
            before_state=None,
            after_state={"note": "replica"},
            reason=REPLICA_REASON,
            reason_category="other",
        )
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def primary(seeded_db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    conn = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True, row_factory=namedtuple_row)
    try:
        yield conn
    finally:
        await conn.close()


async def login(api: Client) -> dict[str, str]:
    resp = await api.post("/api/v1/auth/login", json={"email": SARAH, "password": "Password123"})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


async def search_and_export(api: Client) -> tuple[list[str], list[dict[str, Any]]]:
    headers = await login(api)
    found = await api.get("/api/v1/workspaces/ws-002/search", params={"q": WORD}, headers=headers)
    assert found.status_code == 200, found.text
    exported = await api.get("/api/v1/audit/export", params={"workspaceId": "ws-002"}, headers=headers)
    assert exported.status_code == 200, exported.text
    return [hit["clauseId"] for hit in found.json()["results"]], json.loads(exported.text)


async def test_export_and_search_read_the_replica_and_the_export_is_recorded_on_the_primary(
    seeded_db_url: str, replica_url: str, replica: Any, primary: Any
) -> None:
    before = await SQL.count_events(primary, chain_id="ws-002", event_type="EXPORT_AUDIT")
    settings = api_settings(seeded_db_url, DATABASE_READ_URL=replica_url)
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as api:
        ctx = api.app.state.ctx
        assert ctx.reader is ctx.read_pool and ctx.reader is not ctx.pool
        async with ctx.reader.connection() as conn:
            assert conn.read_only  # every transaction on the replica pool is READ ONLY
        hits, events = await search_and_export(api)
    assert hits == ["clause-016"]  # the word exists only in the replica's copy of the clause
    assert REPLICA_REASON in [e["reason"] for e in events]  # the replica's extra audit event is exported
    # EXPORT_AUDIT went to the primary (the replica is read only and never written).
    assert await SQL.count_events(primary, chain_id="ws-002", event_type="EXPORT_AUDIT") == before + 1
    assert await SQL.count_events(replica, chain_id="ws-002", event_type="EXPORT_AUDIT") == before


async def test_without_a_read_url_export_and_search_read_the_primary(
    seeded_db_url: str, replica: Any, primary: Any
) -> None:
    before = await SQL.count_events(primary, chain_id="ws-002", event_type="EXPORT_AUDIT")
    async with AsyncTestClient(app=create_app(api_settings(seeded_db_url)), base_url="http://testserver.local") as api:
        assert api.app.state.ctx.reader is api.app.state.ctx.pool
        hits, events = await search_and_export(api)
    assert hits == []
    assert REPLICA_REASON not in [e["reason"] for e in events]
    assert await SQL.count_events(primary, chain_id="ws-002", event_type="EXPORT_AUDIT") == before + 1
