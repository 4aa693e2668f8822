"""API fixtures: the real app (lifespan, pool, middleware) over an in-process ASGI client per test database.

`NEXUS_TEST_PGBOUNCER=1` runs every app under test through a private PgBouncer in transaction mode (started once
per test process by nexus/bench/pgbouncer.py, `pgbouncer=true` in the app's URL); migrations, seeding and the
tests' own connections stay direct.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import pytest
from litestar.testing import AsyncTestClient

from nexus.api.app import create_app
from nexus.config import Settings, load_settings

if TYPE_CHECKING:
    from nexus.bench.pgbouncer import Bouncer

JWT_SECRET = "test-secret-0123456789-0123456789-abcdef"
_BOUNCER: list[Bouncer] = []  # the running bouncer of this test process under NEXUS_TEST_PGBOUNCER=1


def app_database_url(db_url: str) -> str:
    """The URL an app under test gets for `db_url`: through the bouncer under NEXUS_TEST_PGBOUNCER=1, else as is."""
    return _BOUNCER[0].through(db_url) if _BOUNCER else db_url


@pytest.fixture(scope="session", autouse=True)
def _apps_through_pgbouncer(request: pytest.FixtureRequest) -> Iterator[None]:
    if os.environ.get("NEXUS_TEST_PGBOUNCER", "").strip().lower() not in ("1", "true", "yes"):
        yield
        return
    from nexus.bench import pgbouncer

    server = request.getfixturevalue("pg_server")
    parts = urlsplit(server.maintenance_url)
    query = dict(parse_qsl(parts.query))
    host, port = query.get("host", parts.hostname or ""), int(query.get("port", parts.port or 5432))
    if server.embedded or host.startswith("/"):
        raise pytest.UsageError("NEXUS_TEST_PGBOUNCER=1 needs a TCP PostgreSQL (not NEXUS_TEST_PG=embedded)")
    _BOUNCER.append(pgbouncer.start(host, port))
    try:
        yield
    finally:
        _BOUNCER.pop().stop()


def api_settings(db_url: str, **extra: str) -> Settings:
    env = {
        "DATABASE_URL": app_database_url(db_url),
        "NEXUS_JWT_SECRET": JWT_SECRET,
        "NEXUS_ENV": "test",
        "NEXUS_PASSWORD_PROFILE": "test",
        "NEXUS_DELIVERY_WORKER": "0",  # no stray worker claiming a test's deliveries; opt in with extra
        **extra,
    }
    return load_settings(env)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return api_settings(db_url)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """An HTTP client for a fresh app on the test's own database."""
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        yield client


@pytest.fixture
async def demo_api(seeded_db_url: str) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """An HTTP client for a fresh app on a fresh copy of the demo data."""
    async with AsyncTestClient(
        app=create_app(api_settings(seeded_db_url)), base_url="http://testserver.local"
    ) as client:
        yield client
