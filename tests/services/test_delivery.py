"""The connector delivery worker (domain.md §10.4) against a real local HTTP receiver and a fresh demo database:
what is sent, exactly-once per Idempotency-Key, retries with backoff, terminal failures, superseded deliveries,
concurrent workers, a worker dying mid-POST, and the in-process worker of the API lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import namedtuple_row

from nexus.api.app import create_app
from nexus.config import parse_database_url
from nexus.db.pool import create_pool
from nexus.services import delivery
from nexus.services.context import Context
from nexus.services.delivery import Outcome, WorkerConfig
from tests.fix_api import api_settings
from tests.services.delivery_support import DOCUMENT, SQL, Conn, Receiver, point_connector, publish

FAST = WorkerConfig(poll_interval=0.05, lease=timedelta(seconds=2), request_timeout=1.0)
MakeCtx = Callable[[], AbstractAsyncContextManager[Context]]


@pytest.fixture
async def conn(seeded_db_url: str) -> AsyncIterator[Conn]:
    c = await psycopg.AsyncConnection.connect(seeded_db_url, autocommit=True, row_factory=namedtuple_row)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
def make_ctx(seeded_db_url: str) -> MakeCtx:
    """A worker's context (its own pool, as a separate instance would have) on the test's demo database."""

    @asynccontextmanager
    async def make() -> AsyncIterator[Context]:
        pool = create_pool(parse_database_url("DATABASE_URL", seeded_db_url), max_size=4)
        await pool.open(wait=True)
        try:
            yield Context.create(pool, api_settings(seeded_db_url))
        finally:
            await pool.close()

    return make


@pytest.fixture
async def ctx(make_ctx: MakeCtx) -> AsyncIterator[Context]:
    async with make_ctx() as context:
        yield context


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with delivery.http_client() as c:
        yield c


async def row(conn: Conn, delivery_id: str) -> Any:
    found = await SQL.get_delivery(conn, delivery_id=delivery_id)
    assert found is not None
    return found


async def connector(conn: Conn, connector_id: str = "conn-003") -> Any:
    return await SQL.get_connector_state(conn, connector_id=connector_id)


async def test_delivers_the_document_verbatim_once_with_its_headers(
    conn: Conn, ctx: Context, client: httpx.AsyncClient
) -> None:
    with Receiver().running() as receiver:
        await point_connector(conn, receiver.url)
        version, pending = await publish(conn)
        assert sorted(pending) == ["conn-003"]  # the other connectors have no endpoint: skipped, never sent
        assert (await connector(conn)).status == "IN_REVIEW"

        (outcome,) = await delivery.run_once(ctx, client, FAST)
        assert (outcome.delivery_id, outcome.result, outcome.status_code, outcome.recorded) == (
            pending["conn-003"],
            "delivered",
            200,
            True,
        )
        assert await delivery.run_once(ctx, client, FAST) == []  # nothing due any more

    (request,) = receiver.requests
    assert request.body == (DOCUMENT % version.version).encode("utf-8")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == pending["conn-003"]
    assert request.headers["X-Nexus-Workspace"] == "ws-002"
    assert request.headers["X-Nexus-Version"] == str(version.version)
    assert request.headers["X-Nexus-Content-Hash"] == version.content_hash
    assert receiver.recorded == [pending["conn-003"]]
    done = await row(conn, pending["conn-003"])
    assert (done.status, done.attempts, done.last_status_code, done.last_error, done.next_attempt_at) == (
        "delivered",
        1,
        200,
        None,
        None,
    )
    assert done.delivered_at is not None and done.last_attempt_at is not None
    state = await connector(conn)
    assert state.status == "READY" and state.last_sync_at == done.delivered_at


async def test_503s_are_retried_with_backoff_then_delivered_once(
    conn: Conn, ctx: Context, client: httpx.AsyncClient
) -> None:
    with Receiver([503, 503, 200]).running() as receiver:
        await point_connector(conn, receiver.url)
        _, pending = await publish(conn)
        key = pending["conn-003"]

        (first,) = await delivery.run_once(ctx, client, FAST)
        assert (first.result, first.attempts, first.status_code) == ("retrying", 1, 503)
        r = await row(conn, key)
        assert (r.status, r.attempts, r.last_status_code) == ("retrying", 1, 503)
        assert r.last_error == "HTTP 503 Service Unavailable: receiver says 503"
        assert r.wait == timedelta(seconds=30)
        assert await delivery.run_once(ctx, client, FAST) == []  # backing off: not due
        assert (await connector(conn)).status == "IN_REVIEW"

        await SQL.make_due(conn, delivery_id=key)
        (second,) = await delivery.run_once(ctx, client, FAST)
        assert (second.result, second.attempts) == ("retrying", 2)
        assert (await row(conn, key)).wait == timedelta(seconds=60)

        await SQL.make_due(conn, delivery_id=key)
        (third,) = await delivery.run_once(ctx, client, FAST)
        assert (third.result, third.attempts, third.status_code) == ("delivered", 3, 200)

    assert [r.key for r in receiver.requests] == [key, key, key]  # same Idempotency-Key on every attempt
    assert receiver.recorded == [key]
    r = await row(conn, key)
    assert (r.status, r.attempts, r.last_status_code, r.last_error) == ("delivered", 3, 200, None)
    assert (await connector(conn)).status == "READY"


async def test_eight_retryable_failures_fail_the_delivery_and_disconnect_the_connector(
    conn: Conn, ctx: Context, client: httpx.AsyncClient
) -> None:
    script: list[int | str] = [503, 500, 429, 408, 502, 504, 503, 503]
    with Receiver(list(script)).running() as receiver:
        await point_connector(conn, receiver.url)
        _, pending = await publish(conn)
        key = pending["conn-003"]
        waits = []
        for attempt in range(1, 9):
            (outcome,) = await delivery.run_once(ctx, client, FAST)
            assert (outcome.attempts, outcome.status_code) == (attempt, script[attempt - 1])
            r = await row(conn, key)
            waits.append(r.wait)
            await SQL.make_due(conn, delivery_id=key)
        assert await delivery.run_once(ctx, client, FAST) == []  # terminal: never claimed again

    assert waits == [timedelta(seconds=30 * 2**n) for n in range(7)] + [None]  # 30 s … 32 min, then none
    r = await row(conn, key)
    assert (r.status, r.attempts, r.last_status_code, r.next_attempt_at) == ("failed", 8, 503, None)
    assert r.last_error.startswith("HTTP 503 Service Unavailable")
    assert len(receiver.requests) == 8
    assert (await connector(conn)).status == "DISCONNECTED"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, "HTTP 404 Not Found: receiver says 404"),
        (400, "HTTP 400 Bad Request: receiver says 400"),
        (302, "HTTP 302 Found (redirects are not followed): receiver says 302"),
    ],
)
async def test_other_statuses_fail_at_once(
    conn: Conn, ctx: Context, client: httpx.AsyncClient, status: int, error: str
) -> None:
    with Receiver([status]).running() as receiver:
        await point_connector(conn, receiver.url)
        _, pending = await publish(conn)
        (outcome,) = await delivery.run_once(ctx, client, FAST)
        await SQL.make_due(conn, delivery_id=pending["conn-003"])  # no-op on a terminal row
        assert await delivery.run_once(ctx, client, FAST) == []
    assert (outcome.result, outcome.attempts) == ("failed", 1)
    assert [r.path for r in receiver.requests] == ["/hook"]  # the redirect's target was never requested
    r = await row(conn, pending["conn-003"])
    assert (r.status, r.attempts, r.last_status_code, r.last_error) == ("failed", 1, status, error)
    assert (await connector(conn)).status == "DISCONNECTED"


async def test_a_timeout_is_retried_and_the_receiver_records_the_key_once(
    conn: Conn, ctx: Context, client: httpx.AsyncClient
) -> None:
    config = WorkerConfig(lease=timedelta(seconds=2), request_timeout=0.5)
    # The receiver processes the first request but never answers it; the resend carries the same key.
    with Receiver(["hang", 200]).running() as receiver:
        await point_connector(conn, receiver.url)
        _, pending = await publish(conn)
        key = pending["conn-003"]
        (outcome,) = await delivery.run_once(ctx, client, config)
        assert (outcome.result, outcome.status_code, outcome.error) == ("retrying", None, "timeout after 0.5 s")
        r = await row(conn, key)
        assert (r.status, r.attempts, r.last_status_code, r.last_error) == (
            "retrying",
            1,
            None,
            "timeout after 0.5 s",
        )
        assert r.wait == timedelta(seconds=30)
        await SQL.make_due(conn, delivery_id=key)
        (outcome,) = await delivery.run_once(ctx, client, config)
        assert outcome.result == "delivered"
    assert [r.key for r in receiver.requests] == [key, key]
    assert receiver.recorded == [key]


async def test_a_network_error_is_retried(conn: Conn, ctx: Context, client: httpx.AsyncClient) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await point_connector(conn, f"http://127.0.0.1:{port}/hook")
    _, pending = await publish(conn)
    (outcome,) = await delivery.run_once(ctx, client, FAST)
    assert (outcome.result, outcome.status_code) == ("retrying", None)
    r = await row(conn, pending["conn-003"])
    assert (r.status, r.attempts, r.last_status_code) == ("retrying", 1, None)
    assert r.last_error.startswith("network error: ") and len(r.last_error) <= 1000
    assert r.wait == timedelta(seconds=30)


async def test_superseded_deliveries_are_never_sent(conn: Conn, ctx: Context, client: httpx.AsyncClient) -> None:
    with Receiver().running() as receiver:
        await point_connector(conn, receiver.url)
        _, first = await publish(conn)
        newest, second = await publish(conn)  # supersedes the first version's pending delivery
        outcomes = await delivery.run_once(ctx, client, FAST)
    assert [o.delivery_id for o in outcomes] == [second["conn-003"]]
    assert [(r.key, r.headers["X-Nexus-Version"]) for r in receiver.requests] == [
        (second["conn-003"], str(newest.version))
    ]
    old = await row(conn, first["conn-003"])
    assert (old.status, old.attempts, old.last_attempt_at) == ("superseded", 0, None)


async def test_a_delivery_superseded_during_its_post_keeps_superseded(
    conn: Conn, ctx: Context, client: httpx.AsyncClient
) -> None:
    config = WorkerConfig(lease=timedelta(seconds=5), request_timeout=3)
    with Receiver(["hang"]).running() as receiver:
        await point_connector(conn, receiver.url)
        _, first = await publish(conn)
        round_ = asyncio.create_task(delivery.run_once(ctx, client, config))
        await asyncio.to_thread(receiver.wait_for_requests, 1)
        await publish(conn)  # a newer version while the POST is in flight
        (outcome,) = await round_  # the receiver never answers: timeout
    assert (outcome.delivery_id, outcome.recorded) == (first["conn-003"], False)
    r = await row(conn, first["conn-003"])
    assert (r.status, r.attempts, r.last_error) == ("superseded", 1, None)  # the late result changed nothing
    assert (await connector(conn)).status == "IN_REVIEW"  # the new version's delivery is still pending


async def test_two_workers_at_once_never_send_a_delivery_twice(conn: Conn, make_ctx: MakeCtx) -> None:
    config = WorkerConfig(poll_interval=0.05, lease=timedelta(seconds=30), batch_size=5, request_timeout=20)
    # Every request is held until 10 are in flight: both workers' batches of 5 must be out at the same time.
    with Receiver(gate=10).running() as receiver:
        for cid in ("conn-001", "conn-002", "conn-003", "conn-004"):
            await point_connector(conn, f"{receiver.url}?c={cid}", connector_id=cid)
        due: set[str] = set()
        for _ in range(3):
            due |= set((await publish(conn, supersede=False))[1].values())
        assert len(due) == 12

        async def drain(context: Context) -> list[Outcome]:
            done: list[Outcome] = []
            async with delivery.http_client() as http:
                while outcomes := await delivery.run_once(context, http, config):
                    done += outcomes
            return done

        async with make_ctx() as one, make_ctx() as two:
            first, second = await asyncio.gather(drain(one), drain(two))

    assert receiver.max_in_flight >= 10
    keys = [r.key for r in receiver.requests]
    assert len(keys) == 12 and set(keys) == due  # each delivery sent exactly once
    assert sorted(o.delivery_id for o in first + second) == sorted(due)
    assert {o.result for o in first + second} == {"delivered"}
    for key in due:
        assert (await row(conn, key)).status == "delivered"


async def test_a_worker_killed_mid_post_is_resent_after_the_lease_with_the_same_key(
    conn: Conn, make_ctx: MakeCtx
) -> None:
    config = WorkerConfig(poll_interval=0.05, lease=timedelta(seconds=1.5), request_timeout=1.0)
    with Receiver(["hang", 200]).running() as receiver:
        await point_connector(conn, receiver.url)
        _, pending = await publish(conn)
        key = pending["conn-003"]
        async with make_ctx() as doomed_ctx:
            stop = asyncio.Event()
            doomed = asyncio.create_task(delivery.delivery_loop(doomed_ctx, stop, config))
            await asyncio.to_thread(receiver.wait_for_requests, 1)
            doomed.cancel()  # dies mid-POST: no result recorded
            with contextlib.suppress(asyncio.CancelledError):
                await doomed
        leased = await row(conn, key)
        assert (leased.status, leased.attempts, leased.last_error) == ("pending", 1, None)  # the attempt counted

        async with make_ctx() as fresh, delivery.http_client() as http:
            assert await delivery.run_once(fresh, http, config) == []  # still leased to the dead worker
            for _ in range(100):
                if outcomes := await delivery.run_once(fresh, http, config):
                    break
                await asyncio.sleep(0.05)
    assert [(o.delivery_id, o.result, o.attempts) for o in outcomes] == [(key, "delivered", 2)]
    assert [r.key for r in receiver.requests] == [key, key]
    assert receiver.recorded == [key]  # the receiver honoured the key: processed once, nothing lost
    assert (await row(conn, key)).status == "delivered"


async def test_the_api_process_runs_the_worker_when_enabled(conn: Conn, seeded_db_url: str) -> None:
    with Receiver().running() as receiver:
        await point_connector(conn, receiver.url)
        _, pending = await publish(conn)
        settings = api_settings(seeded_db_url, NEXUS_DELIVERY_WORKER="1")
        async with AsyncTestClient(app=create_app(settings)) as api:
            assert (await api.get("/health")).status_code == 200
            await asyncio.to_thread(receiver.wait_for_requests, 1)
            for _ in range(100):
                if (await row(conn, pending["conn-003"])).status == "delivered":
                    break
                await asyncio.sleep(0.05)
    assert receiver.recorded == [pending["conn-003"]]
    assert (await row(conn, pending["conn-003"])).status == "delivered"
    assert (await connector(conn)).status == "READY"


def test_the_lease_must_outlast_the_request() -> None:
    with pytest.raises(ValueError, match="lease"):
        WorkerConfig(lease=timedelta(seconds=10), request_timeout=10)
    assert WorkerConfig() == WorkerConfig(
        poll_interval=5, lease=timedelta(seconds=60), batch_size=10, request_timeout=10, max_attempts=8
    )
