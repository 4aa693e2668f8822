"""Throwaway databases for tooling (`nexus gen`, benchmarks): the configured server, a local one, or embedded."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

from nexus.config import DatabaseUrl, load_settings, parse_database_url
from nexus.db.admin import create_database, drop_database
from nexus.db.embedded import EmbeddedPostgres
from nexus.db.migrate import apply


def with_dbname(url: str, dbname: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def local_server_url() -> str | None:
    """`postgresql://` URL of the server at PGHOST/PGPORT (default 127.0.0.1:5432) if it answers, else None."""
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    url = f"postgresql://{user}@/postgres?" + urlencode({"host": host, "port": port})
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url
    except psycopg.OperationalError:
        return None


def maintenance_url() -> str:
    """A URL of the `postgres` database on the server tooling should use."""
    settings = load_settings()
    if settings.direct is not None:
        return with_dbname(settings.direct.conninfo, "postgres")
    local = local_server_url()
    if local is not None:
        return local
    embedded = EmbeddedPostgres(settings.data_dir)
    embedded.start()
    return embedded.url("postgres")


@contextmanager
def scratch_database(migrate: bool = True, prefix: str = "nexus_scratch") -> Iterator[DatabaseUrl]:
    """Create a fresh database (migrated to head unless `migrate=False`), yield its URL, drop it afterwards."""
    admin = maintenance_url()
    name = f"{prefix}_{secrets.token_hex(6)}"
    create_database(admin, name)
    try:
        url = parse_database_url("scratch", with_dbname(admin, name))
        if migrate:
            apply(url)
        yield url
    finally:
        drop_database(admin, name)
