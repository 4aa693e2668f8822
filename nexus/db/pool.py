"""The connection pool: PgBouncer/Neon-safe, and holding only the runtime grants (schema.md §7)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from nexus.config import DatabaseUrl

log = logging.getLogger("nexus.db")

Pool = AsyncConnectionPool[AsyncConnection[Any]]


def create_pool(
    url: DatabaseUrl,
    *,
    min_size: int = 1,
    max_size: int = 10,
    timeout: float = 5.0,
    read_only: bool = False,
    name: str = "nexus",
) -> Pool:
    """A closed pool for `url` (open it with `await pool.open()`).

    Behind a pooler prepared statements are off (`prepare_threshold=None`) and no session state is set. On a direct
    connection as the schema owner or a superuser (embedded default, local dev, tests) each new connection drops to
    the `nexus_app` role so the grant layer is in force. `read_only` (the DATABASE_READ_URL pool) makes psycopg open
    every transaction READ ONLY (per transaction, so pooler-safe).
    """
    kwargs: dict[str, Any] = {"autocommit": False}
    if url.pooled:
        kwargs["prepare_threshold"] = None

    async def configure(conn: AsyncConnection[Any]) -> None:
        from nexus.db.queries import connection as meta

        if not url.pooled:
            role = await meta.login_role(conn)
            if role is not None and (role.is_superuser or role.owns_schema):
                await meta.set_app_role(conn)
            await conn.commit()
        if read_only:
            await conn.set_read_only(True)

    if url.pooled:
        log.warning("connection pooler in use: runtime grants rely on the login role being a member of nexus_app")

    sweeps: set[asyncio.Task[None]] = set()

    async def check(conn: AsyncConnection[Any]) -> None:
        """One empty round trip per checkout, so a connection that a server restart, a failover or a pooler's /
        serverless idle cut-off killed is replaced instead of failing the request (503). One dead connection
        usually means every idle one died with it: sweep them all at once rather than one backoff step each."""
        try:
            await AsyncConnectionPool.check_connection(conn)
        except Exception:
            if not sweeps:
                log.warning("a pooled connection was dead; checking every idle connection of pool %r", name)
                task = asyncio.get_running_loop().create_task(pool.check())
                sweeps.add(task)
                task.add_done_callback(sweeps.discard)
            raise

    pool: Pool = AsyncConnectionPool(
        url.conninfo,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        kwargs=kwargs,
        configure=None if url.pooled and not read_only else configure,
        check=check,
        open=False,
        name=name,
    )
    return pool
