"""`nexus worker` as a process: delivers to a real local receiver, stops cleanly on SIGTERM (exit 0), finishes the
POST in flight first, and after a SIGKILL mid-POST a new worker resends the delivery once the lease expires, with the
same Idempotency-Key and nothing lost (domain.md §10.4)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import namedtuple_row

from tests.services.delivery_support import SQL, Conn, Receiver, point_connector, publish

Spawn = Callable[..., subprocess.Popen[str]]


@pytest.fixture
async def conn(seeded_db_url: str) -> AsyncIterator[Conn]:
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True, row_factory=namedtuple_row)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
def spawn(seeded_db_url: str) -> Iterator[Spawn]:
    """Start `nexus worker` processes on the test's database; any still running at the end are killed."""
    started: list[subprocess.Popen[str]] = []

    def start(*options: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DIRECT_URL"))}
        env["DATABASE_URL"] = seeded_db_url
        proc = subprocess.Popen(
            [sys.executable, "-m", "nexus", "worker", "--poll-interval", "0.1", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd="/",
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


async def until(check: Callable[[], Any], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def stop(proc: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> tuple[int, str]:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


async def status_of(conn: Conn, delivery_id: str) -> str:
    row = await SQL.get_delivery(conn, delivery_id=delivery_id)
    return str(row.status)


async def test_worker_delivers_and_exits_0_on_sigterm(conn: Conn, spawn: Spawn) -> None:
    with Receiver().running() as receiver:
        await point_connector(conn, receiver.url)
        version, pending = await publish(conn)
        key = pending["conn-003"]
        proc = spawn()

        async def delivered() -> bool:
            return await status_of(conn, key) == "delivered"

        await until(delivered, "the delivery")
        code, err = stop(proc)
    assert code == 0, err
    assert receiver.recorded == [key]
    lines = err.strip().splitlines()
    assert lines[0].startswith("nexus: worker started")
    assert f"nexus: delivery {key} (v{version.version} to conn-003, attempt 1): delivered (HTTP 200)" in lines
    assert lines[-2:] == ["nexus: SIGTERM: finishing the deliveries in flight, then stopping", "nexus: worker stopped"]
    assert "Traceback" not in err
    state = await SQL.get_connector_state(conn, connector_id="conn-003")
    assert state.status == "READY"


async def test_sigterm_lets_the_post_in_flight_finish_and_records_it(conn: Conn, spawn: Spawn) -> None:
    with Receiver(["hang"]).running() as receiver:
        await point_connector(conn, receiver.url)
        version, pending = await publish(conn)
        key = pending["conn-003"]
        proc = spawn("--timeout", "1", "--lease", "30")
        await asyncio.to_thread(receiver.wait_for_requests, 1)
        code, err = await asyncio.to_thread(stop, proc)
    assert code == 0, err
    assert f"nexus: delivery {key} (v{version.version} to conn-003, attempt 1): retrying: timeout after 1 s" in err
    row = await SQL.get_delivery(conn, delivery_id=key)
    assert (row.status, row.attempts, row.last_error) == ("retrying", 1, "timeout after 1 s")


async def test_sigkill_mid_post_then_a_new_worker_resends_after_the_lease(conn: Conn, spawn: Spawn) -> None:
    with Receiver(["hang", 200]).running() as receiver:
        await point_connector(conn, receiver.url)
        _, pending = await publish(conn)
        key = pending["conn-003"]
        doomed = spawn("--timeout", "2", "--lease", "3")
        await asyncio.to_thread(receiver.wait_for_requests, 1)
        doomed.kill()  # SIGKILL mid-POST: nothing is recorded but the attempt the lease counted
        doomed.communicate(timeout=10)
        row = await SQL.get_delivery(conn, delivery_id=key)
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, None)
        assert await SQL.lease_left(conn, delivery_id=key) > 0  # still leased to the dead worker

        fresh = spawn("--timeout", "2", "--lease", "3")  # claims it once the 3 s lease has run out

        async def delivered() -> bool:
            return await status_of(conn, key) == "delivered"

        await until(delivered, "the resent delivery")
        code, err = stop(fresh)
    assert code == 0, err
    assert [r.key for r in receiver.requests] == [key, key]  # resent with the same Idempotency-Key
    assert receiver.recorded == [key]  # the receiver honoured it: processed once, nothing lost
    row = await SQL.get_delivery(conn, delivery_id=key)
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 200)


def test_worker_rejects_a_lease_shorter_than_the_request() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nexus", "worker", "--lease", "5", "--timeout", "10"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres"},
        cwd="/",
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["nexus: error: the lease must be longer than the request timeout"]
