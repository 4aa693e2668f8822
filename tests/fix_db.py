"""Database fixtures: one server per run, one migrated template per worker, a fresh copy of it per test.

The server is the one at PGHOST/PGPORT (default 127.0.0.1:5432) when it answers, else an embedded PostgreSQL
started in a temporary directory. `NEXUS_TEST_PG=embedded` forces the embedded one (CI runs the suite both ways).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from pytest_postgresql.janitor import DatabaseJanitor

from nexus.config import parse_database_url
from nexus.db.embedded import EmbeddedPostgres
from nexus.db.migrate import apply
from nexus.db.scratch import local_server_url, with_dbname


@dataclass(frozen=True)
class PgServer:
    """The server the tests run against; `maintenance_url` points at its `postgres` database."""

    maintenance_url: str
    embedded: bool

    def url(self, dbname: str) -> str:
        return with_dbname(self.maintenance_url, dbname)

    def janitor(self, dbname: str, template: str | None = None, as_template: bool = False) -> DatabaseJanitor:
        parts = urlsplit(self.maintenance_url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return DatabaseJanitor(
            user=parts.username or "postgres",
            host=query.get("host", parts.hostname or "127.0.0.1"),
            port=query.get("port", str(parts.port or 5432)),
            dbname=dbname,
            template_dbname=template,
            as_template=as_template,
        )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    local = None if os.environ.get("NEXUS_TEST_PG") == "embedded" else local_server_url()
    if local is not None:
        yield PgServer(local, embedded=False)
        return
    tmp = Path(tempfile.mkdtemp(prefix="nexus-test-pg-"))
    server = EmbeddedPostgres(tmp)
    server.start()
    try:
        yield PgServer(server.url("postgres"), embedded=True)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def migrated_template(pg_server: PgServer) -> Iterator[str]:
    """A database migrated to head, created once per worker and cloned for each test."""
    name = _unique("nexus_tpl")
    janitor = pg_server.janitor(name)
    janitor.init()
    try:
        apply(parse_database_url("template", pg_server.url(name)))
        yield name
    finally:
        janitor.drop()


@pytest.fixture
def db_url(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    """libpq URL of a fresh database at the migrated head, owned by the test's superuser; dropped afterwards."""
    name = _unique("nexus_t")
    janitor = pg_server.janitor(name, template=migrated_template)
    janitor.init()
    try:
        yield pg_server.url(name)
    finally:
        janitor.drop()


@pytest.fixture(scope="session")
def seeded_template(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    """The migrated template plus the demo data (spec/demo-data.md), created once per worker."""
    from nexus import seed

    name = _unique("nexus_seedtpl")
    janitor = pg_server.janitor(name, template=migrated_template)
    janitor.init()
    try:
        assert seed.run(pg_server.url(name), "test") == 0
        yield name
    finally:
        janitor.drop()


@pytest.fixture
def seeded_db_url(pg_server: PgServer, seeded_template: str) -> Iterator[str]:
    """libpq URL of a fresh copy of the seeded template; dropped afterwards."""
    name = _unique("nexus_s")
    janitor = pg_server.janitor(name, template=seeded_template)
    janitor.init()
    try:
        yield pg_server.url(name)
    finally:
        janitor.drop()


@pytest.fixture
def empty_db_url(pg_server: PgServer) -> Iterator[str]:
    """libpq URL of a fresh, empty database (for migration up/down tests)."""
    name = _unique("nexus_e")
    janitor = pg_server.janitor(name)
    janitor.init()
    try:
        yield pg_server.url(name)
    finally:
        janitor.drop()


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
    """An autocommit async connection to `db_url` as the owner."""
    conn = await psycopg.AsyncConnection.connect(db_url, autocommit=True)
    try:
        yield conn
    finally:
        await conn.close()
