"""The harness itself: each test gets its own database, cloned from a template at the migrations' head."""

from __future__ import annotations

import psycopg

from tests.fix_db import PgServer


def test_each_test_gets_a_distinct_fresh_database(db_url: str, pg_server: PgServer) -> None:
    with psycopg.connect(db_url) as conn:
        name = conn.info.dbname
    assert name.startswith("nexus_t_")
    assert db_url == pg_server.url(name)


async def test_async_connection_fixture_is_autocommit(
    aconn: psycopg.AsyncConnection[tuple[object, ...]],
) -> None:
    assert aconn.autocommit
    assert aconn.info.dbname.startswith("nexus_t_")
