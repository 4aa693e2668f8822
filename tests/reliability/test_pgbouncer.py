"""Pooled deployment (issue 9, part 6): the API behind PgBouncer in transaction mode (nexus/bench/pgbouncer.py).

Runs whenever `pgbouncer` is installed (skipped with the reason otherwise). The whole API suite can also run through
a bouncer: `NEXUS_TEST_PGBOUNCER=1 pytest tests/api` (tests/fix_api.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiosql
import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from nexus.api.app import create_app
from nexus.bench import pgbouncer
from nexus.config import load_settings
from tests.fix_api import JWT_SECRET
from tests.fix_db import PgServer

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "reliability_tests.sql", "psycopg")

API = "/api/v1"
DEMO_USERS = [
    "sarah.chen@bankco.com",
    "james.wilson@legalfirm.com",
    "maria.garcia@bankco.com",
    "david.kim@investco.com",
    "emma.brown@bankco.com",
]
SERVER_POOL = 4  # server connections the bouncer may open per database


@pytest.fixture(scope="module")
def bouncer(pg_server: PgServer) -> Iterator[pgbouncer.Bouncer]:
    if pgbouncer.executable() is None:
        pytest.skip("pgbouncer is not installed (apt-get install -y pgbouncer)")
    parts = urlsplit(pg_server.maintenance_url)
    query = dict(parse_qsl(parts.query))
    host, port = query.get("host", parts.hostname or ""), int(query.get("port", parts.port or 5432))
    if pg_server.embedded or host.startswith("/"):
        pytest.skip("the test server is the embedded one (Unix socket only); the bouncer needs a TCP server")
    running = pgbouncer.start(host, port, pool_size=SERVER_POOL)
    try:
        yield running
    finally:
        running.stop()


def test_the_app_sees_the_bouncer_as_a_pooler(bouncer: pgbouncer.Bouncer, db_url: str) -> None:
    url = bouncer.through(db_url)
    assert f":{bouncer.port}" in url or f"port={bouncer.port}" in url
    settings = load_settings({"DATABASE_URL": url, "NEXUS_JWT_SECRET": JWT_SECRET})
    assert settings.database is not None and settings.database.pooled  # → prepare_threshold=None, no SET ROLE
    assert "pgbouncer" not in settings.database.conninfo  # libpq never sees Nexus's own flag


@pytest.mark.slow
def test_200_concurrent_requests_through_the_bouncer_have_zero_errors(
    bouncer: pgbouncer.Bouncer, seeded_db_url: str
) -> None:
    """Four app instances (up to 40 client connections) share 4 server connections in transaction mode; 200 requests
    at once — logins (writes + audit), reads, clause edits (writes + audit) — all succeed, and the server never sees
    more connections for the database than the bouncer's pool."""
    env = {"DATABASE_URL": bouncer.through(seeded_db_url), "NEXUS_JWT_SECRET": JWT_SECRET, "NEXUS_ENV": "test"}
    env |= {"NEXUS_PASSWORD_PROFILE": "test", "NEXUS_DELIVERY_WORKER": "0"}
    settings = load_settings(env)
    total = 200
    barrier = threading.Barrier(50)
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        with psycopg.connect(seeded_db_url, autocommit=True) as conn:
            while not done.is_set():
                peak[0] = max(peak[0], int(Q.backends_of_database(conn) or 0))
                time.sleep(0.01)

    with ExitStack() as stack:
        apps: list[TestClient[Litestar]] = [
            stack.enter_context(TestClient(app=create_app(settings), base_url="http://testserver.local"))
            for _ in range(4)
        ]
        tokens: dict[str, str] = {}
        for email in DEMO_USERS[:3]:
            resp = apps[0].post(f"{API}/auth/login", json={"email": email, "password": "Password123"})
            assert resp.status_code == 200, resp.text
            tokens[email] = resp.json()["data"]["accessToken"]
        sarah = {"Authorization": f"Bearer {tokens[DEMO_USERS[0]]}"}
        maria = {"Authorization": f"Bearer {tokens[DEMO_USERS[2]]}"}

        def call(i: int) -> httpx.Response:
            api = apps[i % 4]
            if i < 50:
                barrier.wait()  # the first 50 leave together
            kind = i % 8
            if kind == 0:
                email = DEMO_USERS[(i // 8) % len(DEMO_USERS)]
                return api.post(f"{API}/auth/login", json={"email": email, "password": "Password123"})
            if kind == 1:
                return api.patch(f"{API}/drafts/clauses/clause-008", headers=sarah, json={"title": f"8. Defaults {i}"})
            if kind == 2:
                return api.get(f"{API}/workspaces/ws-001/clauses", headers=sarah)
            if kind == 3:
                return api.get(f"{API}/audit/events", params={"workspaceId": "ws-001"}, headers=maria)
            if kind == 4:
                return api.get(f"{API}/drifts", params={"workspaceId": "ws-001"}, headers=sarah)
            if kind == 5:
                return api.get(f"{API}/workspaces", headers=maria)
            if kind == 6:
                return api.get(f"{API}/auth/sessions", headers=sarah)
            return api.get(f"{API}/auth/me", headers=maria)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(50) as pool:
                responses = list(pool.map(call, range(total)))
        finally:
            done.set()
            watcher.join()

        errors = [(i, r.status_code, r.text[:200]) for i, r in enumerate(responses) if r.status_code >= 300]
        assert errors == [], errors
        assert len(responses) == total
        # the edits all landed, each with its audit event, and the chain still verifies through the bouncer
        verify = apps[1].get(f"{API}/audit/verify", params={"workspaceId": "ws-001"}, headers=sarah)
        assert verify.status_code == 200 and verify.json()["valid"] is True, verify.text
    assert 1 <= peak[0] <= SERVER_POOL, peak[0]  # multiplexed: never more server connections than the pool
