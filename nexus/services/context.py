"""What every service call needs: the pool(s), settings, password hasher, JWT secret, and the transaction helper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from psycopg import AsyncConnection

from nexus.config import Settings
from nexus.db.pool import Pool
from nexus.db.queries import connection as conn_q
from nexus.domain.passwords import hasher


@dataclass(frozen=True)
class Caller:
    """The authenticated user of a request (from the access token's live session)."""

    user_id: str
    session_id: str
    name: str
    email: str


@dataclass
class Context:
    pool: Pool
    settings: Settings
    hasher: PasswordHasher
    jwt_secret: str
    dummy_hash: str = ""
    read_pool: Pool | None = None

    @classmethod
    def create(cls, pool: Pool, settings: Settings, read_pool: Pool | None = None) -> Context:
        return cls(
            pool=pool,
            settings=settings,
            hasher=hasher(settings.password_profile),
            jwt_secret=settings.jwt_secret_or_generate(),
            read_pool=read_pool,
        )

    @property
    def reader(self) -> Pool:
        """Where heavy reads go (audit export, clause search): the DATABASE_READ_URL pool, else the primary."""
        return self.read_pool if self.read_pool is not None else self.pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A pooled connection inside one transaction, with the configured statement timeout (SET LOCAL)."""
        async with self.pool.connection() as conn, conn.transaction():
            if self.settings.statement_timeout_ms:
                await conn_q.set_statement_timeout(conn, timeout=str(self.settings.statement_timeout_ms))
            yield conn
