"""The maintenance sweep forgets exactly what domain.md §3.6 says, and nothing younger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosql
import psycopg
from litestar.testing import AsyncTestClient

from nexus.services.maintenance import sweep

SQL = aiosql.from_path(Path(__file__).parents[1] / "sql" / "maintenance_tests.sql", "psycopg")


async def _login(api: AsyncTestClient[Any], email: str, password: str) -> Any:
    return await api.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_sweep_forgets_old_attempts_and_long_expired_sessions(api: AsyncTestClient[Any], db_url: str) -> None:
    old = (
        await api.post("/api/v1/auth/register", json={"email": "old@x.io", "name": "Old", "password": "password1"})
    ).json()
    new = (
        await api.post("/api/v1/auth/register", json={"email": "new@x.io", "name": "New", "password": "password1"})
    ).json()
    await _login(api, "old@x.io", "wrong-password")
    await _login(api, "new@x.io", "wrong-password")
    old_session = old["data"]["session"]["id"]
    new_session = new["data"]["session"]["id"]
    with psycopg.connect(db_url, autocommit=True) as conn:
        SQL.age_login_attempts(conn, email_key="old@x.io", hours=25)
        SQL.expire_session(conn, session_id=old_session, days=8)
        SQL.expire_session(conn, session_id=new_session, days=6)

    swept = await sweep(api.app.state.ctx)

    assert swept.login_attempts == 1
    assert swept.sessions == 1
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert SQL.count_login_attempts(conn, email_key="old@x.io") == 0
        assert SQL.count_login_attempts(conn, email_key="new@x.io") == 1
        assert SQL.count_session_rows(conn, session_id=old_session) == 0  # session and its refresh token
        assert SQL.count_session_rows(conn, session_id=new_session) == 2  # expired 6 days ago: kept
