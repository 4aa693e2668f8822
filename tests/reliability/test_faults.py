"""Database faults under the API (issue 9, part 3; api.md §1.3 503 DATABASE_UNAVAILABLE, §1.15 statement timeout).

* PostgreSQL restarted while requests run: the requests caught by it answer 503 (never 500), the pool recovers by
  itself, and later requests succeed. This uses a PRIVATE embedded PostgreSQL (nexus/db/embedded.py) in a temporary
  directory, never the shared server.
* A transaction killed mid-write (pg_terminate_backend while the write is parked at its audit INSERT): nothing of it
  stays, no orphan audit row, the chain still verifies, the API answered 503.
* A statement timeout bounds a write stuck behind a row lock: 503 while the lock is still held, not a hang.

Writes are parked deterministically on a lock the app also takes (tests/sql/reliability_tests.sql), never by
sleeping; no test asserts a duration.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiosql
import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from psycopg.rows import dict_row

from nexus.api.app import create_app
from nexus.config import parse_database_url
from nexus.db.embedded import EmbeddedPostgres
from nexus.db.migrate import apply
from tests.fix_api import api_settings

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "reliability_tests.sql", "psycopg")
Conn = psycopg.Connection[dict[str, Any]]
Client = TestClient[Litestar]

API = "/api/v1"
CLAUSES = f"{API}/drafts/clauses"
SARAH = "sarah.chen@bankco.com"
PASSWORD = "correct horse battery"

# Litestar's AsyncTestClient runs each request to completion inside its (blocking) portal call, so requests from one
# event loop never overlap. These tests need a request parked in the database while the test acts, so they use the
# sync TestClient from worker threads: the app serves them concurrently in its portal's event loop.


def client(db_url: str, **env: str) -> Client:
    return TestClient(app=create_app(api_settings(db_url, **env)), base_url="http://testserver.local")


def assert_503(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert body["success"] is False and body["error"]["code"] == "DATABASE_UNAVAILABLE", body
    assert resp.headers["Retry-After"] == "5"


def auth(api: Client, email: str) -> dict[str, str]:
    """Log a demo user in (spec/demo-data.md password); the Authorization header."""
    resp = api.post(f"{API}/auth/login", json={"email": email, "password": "Password123"})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    with psycopg.connect(seeded_db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def waiting_backend(watcher: Conn, wait_event: str, deadline_s: float = 10.0) -> int:
    """The pid of the first backend found waiting on a lock (`wait_event`: 'advisory', 'transactionid', ...)."""
    deadline = time.monotonic() + deadline_s
    while True:
        rows = [r for r in Q.lock_waiter_pids(watcher) if r["wait_event"] == wait_event]
        if rows:
            return int(rows[0]["pid"])
        assert time.monotonic() < deadline, "the request never reached the lock"
        time.sleep(0.02)


# -- (b) a transaction killed mid-write -------------------------------------------------------------------------
def test_write_killed_at_its_audit_insert_leaves_nothing_and_answers_503(seeded_db_url: str, db: Conn) -> None:
    before = Q.clause_state(db, id="clause-008")
    chain_before = Q.chain_state(db, chain_id="ws-001")
    with client(seeded_db_url) as api, ThreadPoolExecutor(1) as pool:
        sarah = auth(api, SARAH)
        with psycopg.connect(seeded_db_url, row_factory=dict_row) as holder:  # a transaction holds the chain lock
            Q.hold_advisory(holder, key="nexus.audit:ws-001")
            patch = pool.submit(
                api.patch, f"{CLAUSES}/clause-008", headers=sarah, json={"title": "8. Killed mid-write"}
            )
            # parked at its audit INSERT: the clause UPDATE has already run in that transaction
            pid = waiting_backend(db, "advisory")
            assert Q.terminate_backend(db, pid=pid) is True
            resp = patch.result(timeout=30)
            holder.rollback()

        assert_503(resp)
        assert Q.clause_state(db, id="clause-008") == before  # the UPDATE rolled back with its transaction
        assert Q.chain_state(db, chain_id="ws-001") == chain_before  # no orphan audit row, head untouched
        verify = api.get(f"{API}/audit/verify", params={"workspaceId": "ws-001"}, headers=sarah)
        assert verify.status_code == 200, verify.text
        assert verify.json()["valid"] is True, verify.json()

        # the pool replaced the killed connection: the same edit now goes through, once, with its event
        resp = api.patch(f"{CLAUSES}/clause-008", headers=sarah, json={"title": "8. Killed mid-write"})
        assert resp.status_code == 200, resp.text
        assert Q.chain_state(db, chain_id="ws-001")["events"] == chain_before["events"] + 1


# -- (c) statement timeout ------------------------------------------------------------------------------------
def test_statement_timeout_answers_503_while_the_row_is_still_locked(seeded_db_url: str, db: Conn) -> None:
    """NEXUS_STATEMENT_TIMEOUT=300 ms and a clause row locked elsewhere: the PATCH gives up (503) by itself while
    the lock is still held — it neither hangs until the lock goes nor answers 500. The lock is released only after
    the answer arrived (or after 30 s, which fails the test)."""
    before = Q.clause_state(db, id="clause-008")
    chain_before = Q.chain_state(db, chain_id="ws-001")
    with client(seeded_db_url, NEXUS_STATEMENT_TIMEOUT="300") as api, ThreadPoolExecutor(1) as pool:
        sarah = auth(api, SARAH)
        with psycopg.connect(seeded_db_url, row_factory=dict_row) as holder:
            assert Q.lock_clause_row(holder, id="clause-008") == "clause-008"
            patch = pool.submit(api.patch, f"{CLAUSES}/clause-008", headers=sarah, json={"title": "8. Timed out"})
            waiting_backend(db, "transactionid")  # it is blocked on the row lock
            resp = patch.result(timeout=30)
            answered_while_locked = bool(Q.lock_waiter_pids(db)) or holder.info.transaction_status.name == "INTRANS"
            holder.rollback()
        assert answered_while_locked
        assert_503(resp)
        assert Q.clause_state(db, id="clause-008") == before
        assert Q.chain_state(db, chain_id="ws-001") == chain_before
        resp = api.patch(f"{CLAUSES}/clause-008", headers=sarah, json={"title": "8. After the lock"})
        assert resp.status_code == 200, resp.text


# -- (a) PostgreSQL restarted under traffic ----------------------------------------------------------------------
@pytest.fixture
def private_pg() -> Iterator[tuple[EmbeddedPostgres, str]]:
    """A private, migrated PostgreSQL in a temporary directory (Unix socket only), stopped and removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="nexus-reliability-pg-"))
    server = EmbeddedPostgres(tmp)
    try:
        url = server.start()
        apply(parse_database_url("private", url))
        yield server, url
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.slow
def test_postgres_restart_mid_traffic_gives_503s_then_recovers_without_a_manual_step(
    private_pg: tuple[EmbeddedPostgres, str],
) -> None:
    server, url = private_pg
    with client(url) as api:
        resp = api.post(f"{API}/auth/register", json={"email": "ann@example.com", "name": "Ann", "password": PASSWORD})
        assert resp.status_code == 201, resp.text
        headers = {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}
        statuses: list[tuple[str, int]] = []  # (phase, status) of every traffic request
        phase = ["before"]
        stop = threading.Event()

        def traffic(worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                if n % 3 == 0:  # a write: one transaction with an audit event
                    body = {"name": f"Deal {worker}-{n}", "currency": "USD", "amount": 1000, "standard": "LMA"}
                    r = api.post(f"{API}/workspaces", json=body, headers=headers)
                else:
                    r = api.get(f"{API}/auth/me", headers=headers)
                statuses.append((phase[0], r.status_code))
                time.sleep(0.01)

        def served_after() -> int:
            return sum(1 for p, s in statuses if p == "after" and s in (200, 201))

        with ThreadPoolExecutor(5) as pool:
            workers = [pool.submit(traffic, i) for i in range(4)]
            deadline = time.monotonic() + 20
            while len(statuses) < 20 and time.monotonic() < deadline:
                time.sleep(0.02)

            # one login parked inside the database (its throttle lock held elsewhere) when the server goes away
            holder = psycopg.connect(url)
            try:
                Q.hold_advisory(holder, key="account:ann@example.com")
                parked = pool.submit(
                    api.post, f"{API}/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
                )
                with psycopg.connect(url, autocommit=True, row_factory=dict_row) as watcher:
                    waiting_backend(watcher, "advisory")
                phase[0] = "outage"
                server.stop()  # fast shutdown: every backend is terminated, in-flight statements fail
            finally:
                holder.close()
            parked_resp = parked.result(timeout=30)
            time.sleep(1.0)
            server.start()
            phase[0] = "after"

            # no manual step: the same app and pool; wait (bounded) for the traffic to be served again
            deadline = time.monotonic() + 20
            while served_after() < 40 and time.monotonic() < deadline:
                time.sleep(0.05)
            stop.set()
            for w in workers:
                w.result(timeout=30)

        assert_503(parked_resp)  # in flight when the server stopped: 503, not 500
        assert {s for _, s in statuses} <= {200, 201, 503}, statuses  # never a 500, whatever the moment
        before = [s for p, s in statuses if p == "before"]
        assert before and set(before) <= {200, 201}
        after = [s for p, s in statuses if p == "after"]
        assert served_after() >= 40, after
        # once traffic is served again it stays served: the tail of the run has no error
        assert set(after[-20:]) <= {200, 201}, after
        ready = api.get("/ready")
        assert ready.status_code == 200, ready.text
        login = api.post(f"{API}/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text


@pytest.mark.slow
def test_first_request_after_a_restart_while_idle_is_served(private_pg: tuple[EmbeddedPostgres, str]) -> None:
    """The pool holds idle connections that a restart (or a pooler's / serverless database's idle cut-off) killed
    silently; the next request must get a live connection, not a 503 on a dead one."""
    server, url = private_pg
    with client(url) as api, ThreadPoolExecutor(10) as pool:
        resp = api.post(f"{API}/auth/register", json={"email": "ann@example.com", "name": "Ann", "password": PASSWORD})
        assert resp.status_code == 201, resp.text
        headers = {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}
        # concurrent requests leave up to 10 idle connections in the pool (its max_size)
        assert {r.status_code for r in pool.map(lambda _: api.get(f"{API}/auth/me", headers=headers), range(30))} == {
            200
        }
        server.stop()
        server.start()
        statuses = [api.get(f"{API}/auth/me", headers=headers).status_code for _ in range(6)]
        assert statuses == [200] * 6, statuses
