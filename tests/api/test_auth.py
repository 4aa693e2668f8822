"""HTTP tests of `/api/v1/auth/*` (api.md §3.1, §1.13, §4 items 2–6; domain.md §3, §11.1 LOGIN/LOGOUT).

Every test runs against the real app on its own freshly migrated database (`api` fixture). Rows the routes write are
read back with the named queries of tests/sql/auth_tests.sql over a sync connection to the same database.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosql
import httpx
import jwt
import psycopg
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient, TestClient
from psycopg.rows import dict_row

from nexus.api.app import create_app
from nexus.config import Settings
from tests.fix_api import JWT_SECRET, api_settings

# Module-level anyio mark: conftest adds the mark only after collection, and anyio's plugin then rebuilds each async
# item with a fresh callspec, which drops `@pytest.mark.parametrize` parameters. Marking at collection avoids that.
pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "auth_tests.sql", "psycopg")
Conn = psycopg.Connection[dict[str, Any]]
Client = AsyncTestClient[Litestar]

AUTH = "/api/v1/auth"
PASSWORD = "correct horse battery"
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
REFRESH = re.compile(r"^[A-Za-z0-9_-]{43}$")
USER_KEYS = {"id", "email", "name", "avatarUrl", "createdAt"}
SESSION_KEYS = {"id", "userId", "createdAt", "expiresAt", "revokedAt", "userAgent", "ip", "current"}
INVALID_CREDENTIALS = {"success": False, "error": {"code": "UNAUTHORIZED", "message": "Invalid email or password"}}


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    """A sync autocommit connection (superuser) to the database the app under test uses."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def assert_error(resp: httpx.Response, status: int, code: str, message: str | None = None) -> dict[str, Any]:
    """The response is the JSON error envelope with this status and code; returns `error`."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"success", "error"}
    assert body["success"] is False
    error = body["error"]
    assert set(error) <= {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if message is not None:
        assert error["message"] == message
    return error  # type: ignore[no-any-return]


def assert_field_error(resp: httpx.Response, field: str) -> None:
    error = assert_error(resp, 400, "VALIDATION_ERROR")
    details = error["details"]
    assert isinstance(details, list) and details
    for item in details:
        assert set(item) == {"field", "message"}
        assert isinstance(item["message"], str) and item["message"]
    assert any(field in item["field"] for item in details), details


async def register(
    api: Client, email: str = "ann@example.com", name: str = "Ann Lee", password: str = PASSWORD, **headers: str
) -> dict[str, Any]:
    resp = await api.post(
        f"{AUTH}/register", json={"email": email, "name": name, "password": password}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


async def login(
    api: Client, email: str = "ann@example.com", password: str = PASSWORD, **headers: str
) -> httpx.Response:
    return await api.post(f"{AUTH}/login", json={"email": email, "password": password}, headers=headers)


async def login_ok(
    api: Client, email: str = "ann@example.com", password: str = PASSWORD, **headers: str
) -> dict[str, Any]:
    resp = await login(api, email, password, **headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


async def me(api: Client, access: str) -> httpx.Response:
    return await api.get(f"{AUTH}/me", headers=bearer(access))


async def refresh(api: Client, token: str) -> httpx.Response:
    return await api.post(f"{AUTH}/refresh", json={"refreshToken": token})


def events(db: Conn, event_type: str) -> list[dict[str, Any]]:
    return list(Q.audit_events_of_type(db, event_type=event_type))


def app_client(db_url: str, **env: str) -> Client:
    """A client for an app built with other settings (use as `async with`)."""
    return AsyncTestClient(app=create_app(api_settings(db_url, **env)), base_url="http://testserver.local")


def make_token(claims: Mapping[str, Any], key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(dict(claims), key, algorithm=algorithm)


def valid_claims(user_id: str, session_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "sid": session_id,
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "jti": "0" * 32,
    }
    claims.update(overrides)
    return claims


# ---------------------------------------------------------------------------------------------------------------
# register
# ---------------------------------------------------------------------------------------------------------------
async def test_register_answers_201_with_user_tokens_session_and_expires_in(
    api: Client, settings: Settings, db: Conn
) -> None:
    resp = await api.post(
        f"{AUTH}/register",
        json={"email": "ann@example.com", "name": "Ann Lee", "password": PASSWORD},
        headers={"User-Agent": "NexusTest/1.0"},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"user", "accessToken", "refreshToken", "session", "expiresIn"}

    user = data["user"]
    assert set(user) == USER_KEYS
    assert user["email"] == "ann@example.com"
    assert user["name"] == "Ann Lee"
    assert user["avatarUrl"] is None
    assert TS.match(user["createdAt"])

    session = data["session"]
    assert set(session) == SESSION_KEYS
    assert session["userId"] == user["id"]
    assert session["current"] is True
    assert session["revokedAt"] is None
    assert session["userAgent"] == "NexusTest/1.0"
    assert TS.match(session["createdAt"]) and TS.match(session["expiresAt"])
    lifetime = ts(session["expiresAt"]) - ts(session["createdAt"])
    assert abs(lifetime - timedelta(seconds=settings.refresh_ttl)) < timedelta(seconds=5)

    assert data["expiresIn"] == settings.access_ttl == 900
    assert REFRESH.match(data["refreshToken"])
    claims = jwt.decode(data["accessToken"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == user["id"] and claims["sid"] == session["id"] and claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 900

    # The session is real: the access token works and the refresh token is stored as its SHA-256 only.
    assert (await me(api, data["accessToken"])).status_code == 200
    tokens = list(Q.refresh_tokens_of_session(db, session_id=session["id"]))
    assert [t["token"] for t in tokens] == [hashlib.sha256(data["refreshToken"].encode()).hexdigest()]

    (event,) = events(db, "LOGIN")
    assert event["workspace_id"] is None
    assert event["actor_id"] == user["id"] and event["actor_name"] == "Ann Lee"
    assert (event["target_type"], event["target_id"]) == ("session", session["id"])
    assert event["after_state"]["email"] == "ann@example.com"
    assert event["after_state"]["method"] == "register"
    assert event["after_state"]["userAgent"] == "NexusTest/1.0"
    assert "ip" in event["after_state"]


async def test_register_trims_email_and_name_and_keeps_the_email_case(api: Client) -> None:
    data = await register(api, email="  Ann.Lee@Example.COM \t", name="  Ann Lee  ")
    assert data["user"]["email"] == "Ann.Lee@Example.COM"
    assert data["user"]["name"] == "Ann Lee"
    me_body = (await me(api, data["accessToken"])).json()
    assert me_body["data"]["user"]["email"] == "Ann.Lee@Example.COM"


@pytest.mark.parametrize("again", ["ann@example.com", "ANN@EXAMPLE.COM", "  Ann@Example.com  "])
async def test_register_duplicate_email_case_insensitively_is_409_conflict(api: Client, again: str) -> None:
    await register(api, email="Ann@Example.com")
    resp = await api.post(f"{AUTH}/register", json={"email": again, "name": "Other", "password": PASSWORD})
    assert_error(resp, 409, "CONFLICT")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "name": "A", "password": PASSWORD}, "email"),
        ({"email": "a@b", "name": "A", "password": PASSWORD}, "email"),
        ({"email": "a b@example.com", "name": "A", "password": PASSWORD}, "email"),
        ({"email": "@example.com", "name": "A", "password": PASSWORD}, "email"),
        ({"email": "   ", "name": "A", "password": PASSWORD}, "email"),
        ({"email": "a" * 244 + "@example.com", "name": "A", "password": PASSWORD}, "email"),  # 256 chars
        ({"email": 42, "name": "A", "password": PASSWORD}, "email"),
        ({"name": "A", "password": PASSWORD}, "email"),
        ({"email": "ann@example.com", "name": "A", "password": "1234567"}, "password"),
        ({"email": "ann@example.com", "name": "A", "password": "é" * 7}, "password"),  # 14 bytes, 7 code points
        ({"email": "ann@example.com", "name": "A", "password": "p" * 257}, "password"),
        ({"email": "ann@example.com", "name": "A"}, "password"),
        ({"email": "ann@example.com", "name": "", "password": PASSWORD}, "name"),
        ({"email": "ann@example.com", "name": "   ", "password": PASSWORD}, "name"),
        ({"email": "ann@example.com", "name": "n" * 256, "password": PASSWORD}, "name"),
        ({"email": "ann@example.com", "password": PASSWORD}, "name"),
    ],
)
async def test_register_rejects_invalid_fields_with_400_details(
    api: Client, db: Conn, body: dict[str, Any], field: str
) -> None:
    resp = await api.post(f"{AUTH}/register", json=body)
    assert_field_error(resp, field)
    assert events(db, "LOGIN") == []


async def test_register_accepts_the_boundaries(api: Client) -> None:
    # name of 255 code points, password of 8 code points (multi-byte) and of 256, email of exactly 255 chars
    email = "b" * 243 + "@example.com"
    assert len(email) == 255
    await register(api, email=email, name="n" * 255, password="😀" * 8)
    await register(api, email="c@example.com", password="p" * 256)
    data = await login_ok(api, email=email, password="😀" * 8)
    assert data["user"]["name"] == "n" * 255


async def test_register_ignores_unknown_fields(api: Client) -> None:
    resp = await api.post(
        f"{AUTH}/register",
        json={"email": "ann@example.com", "name": "Ann", "password": PASSWORD, "role": "admin", "id": "u-1"},
    )
    assert resp.status_code == 201
    assert resp.json()["data"]["user"]["id"] != "u-1"


async def test_register_when_closed_is_403_and_creates_nothing(db_url: str, db: Conn) -> None:
    async with app_client(db_url, NEXUS_REGISTRATION="closed") as client:
        resp = await client.post(
            f"{AUTH}/register", json={"email": "ann@example.com", "name": "A", "password": PASSWORD}
        )
        assert_error(resp, 403, "PERMISSION_DENIED")
        # 403 wins over 400 (api.md §1.3 check precedence): a bad body still gets the 403.
        resp = await client.post(f"{AUTH}/register", json={"email": "nope", "password": "x"})
        assert_error(resp, 403, "PERMISSION_DENIED")
        assert_error(await login(client), 401, "UNAUTHORIZED")
    assert events(db, "LOGIN") == []


# ---------------------------------------------------------------------------------------------------------------
# login
# ---------------------------------------------------------------------------------------------------------------
async def test_login_answers_200_with_tokens_user_session_and_expires_in(api: Client, settings: Settings) -> None:
    registered = await register(api)
    resp = await login(api)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "data"} and body["success"] is True
    data = body["data"]
    assert set(data) == {"accessToken", "refreshToken", "user", "session", "expiresIn"}
    assert data["user"] == registered["user"]
    assert set(data["session"]) == SESSION_KEYS
    assert data["session"]["current"] is True
    assert data["session"]["userId"] == registered["user"]["id"]
    assert data["session"]["id"] != registered["session"]["id"]  # a new session per login
    assert data["expiresIn"] == settings.access_ttl
    assert REFRESH.match(data["refreshToken"])
    assert data["refreshToken"] != registered["refreshToken"]
    me_data = (await me(api, data["accessToken"])).json()["data"]
    assert me_data["session"]["id"] == data["session"]["id"]


@pytest.mark.parametrize("typed", ["ann.lee@example.com", "ANN.LEE@EXAMPLE.COM", "  Ann.Lee@example.com  "])
async def test_login_email_is_case_insensitive_and_trimmed(api: Client, typed: str) -> None:
    await register(api, email="Ann.Lee@Example.com")
    data = await login_ok(api, email=typed)
    assert data["user"]["email"] == "Ann.Lee@Example.com"


@pytest.mark.parametrize("password", ["abcdef", "abcdefg", "x", " "])
async def test_login_short_wrong_password_is_401_not_400(api: Client, password: str) -> None:
    await register(api)
    resp = await login(api, password=password)
    assert resp.status_code == 401
    assert resp.json() == INVALID_CREDENTIALS


async def test_login_password_is_not_trimmed(api: Client) -> None:
    await register(api, password="  spaced out  ")
    assert (await login(api, password="spaced out")).status_code == 401
    await login_ok(api, password="  spaced out  ")


async def test_unknown_email_and_wrong_password_get_identical_401_bodies(api: Client) -> None:
    await register(api)
    wrong_password = await login(api, password="wrong password")
    unknown_email = await login(api, email="nobody@example.com", password="wrong password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.content == unknown_email.content
    assert wrong_password.json() == INVALID_CREDENTIALS
    strip = {"x-request-id", "content-length"}
    assert {k: v for k, v in wrong_password.headers.items() if k not in strip} == {
        k: v for k, v in unknown_email.headers.items() if k not in strip
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "ann@example.com"}, "password"),
        ({"email": "", "password": PASSWORD}, "email"),
        ({"email": "   ", "password": PASSWORD}, "email"),
        ({"email": "ann@example.com", "password": ""}, "password"),
        ({"email": "ann@example.com", "password": 123456}, "password"),
        ({"email": ["ann@example.com"], "password": PASSWORD}, "email"),
        ({"email": "a" * 256, "password": PASSWORD}, "email"),
        ({"email": "ann@example.com", "password": "p" * 1025}, "password"),
        ({}, "email"),
    ],
)
async def test_login_with_missing_or_invalid_field_is_400_and_not_an_attempt(
    api: Client, db: Conn, body: dict[str, Any], field: str
) -> None:
    await register(api)
    resp = await api.post(f"{AUTH}/login", json=body)
    assert_field_error(resp, field)
    assert Q.login_attempt_count(db) == 0


async def test_login_accepts_a_1024_char_password_check(api: Client) -> None:
    await register(api)
    resp = await login(api, password="p" * 1024)
    assert resp.json() == INVALID_CREDENTIALS


async def test_login_records_a_login_event_and_attempt_rows(api: Client, db: Conn) -> None:
    registered = await register(api)
    user_id = registered["user"]["id"]
    assert_error(await login(api, email="ANN@example.com", password="wrong password"), 401, "UNAUTHORIZED")
    data = await login_ok(api, email=" Ann@Example.com ", **{"User-Agent": "Browser/2.0"})

    attempts = list(Q.login_attempts_for(db, email_key="ann@example.com"))
    assert [a["succeeded"] for a in attempts] == [False, True]
    assert attempts[1]["user_id"] == user_id

    login_events = events(db, "LOGIN")
    assert [e["after_state"]["method"] for e in login_events] == ["register", "password"]
    event = login_events[1]
    assert event["workspace_id"] is None and event["before_state"] is None
    assert event["actor_id"] == user_id and event["actor_name"] == "Ann Lee"
    assert (event["target_type"], event["target_id"]) == ("session", data["session"]["id"])
    assert event["after_state"] == {
        "email": "ann@example.com",
        "method": "password",
        "userAgent": "Browser/2.0",
        "ip": data["session"]["ip"],
    }


async def test_unknown_email_attempt_is_recorded_under_its_key(api: Client, db: Conn) -> None:
    assert_error(await login(api, email="  Ghost@Example.com ", password="whatever"), 401, "UNAUTHORIZED")
    (attempt,) = Q.login_attempts_for(db, email_key="ghost@example.com")
    assert attempt["succeeded"] is False and attempt["user_id"] is None
    assert events(db, "LOGIN") == []


async def test_login_truncates_the_user_agent_to_512_chars(api: Client, db: Conn) -> None:
    await register(api)
    data = await login_ok(api, **{"User-Agent": "U" * 600})
    assert data["session"]["userAgent"] == "U" * 512
    assert events(db, "LOGIN")[-1]["after_state"]["userAgent"] == "U" * 512


async def test_login_rehashes_a_password_stored_with_other_parameters(api: Client, db: Conn) -> None:
    user_id = (await register(api))["user"]["id"]
    old = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1).hash(PASSWORD)
    Q.set_user_password_hash(db, id=user_id, password=old)
    await login_ok(api)
    new = Q.user_password_hash(db, id=user_id)
    assert new != old and "t=1" in new
    await login_ok(api)
    assert Q.user_password_hash(db, id=user_id) == new


# ---------------------------------------------------------------------------------------------------------------
# throttling (D6; domain.md §3.6; api.md §1.13)
# ---------------------------------------------------------------------------------------------------------------
def assert_rate_limited(resp: httpx.Response) -> int:
    error = assert_error(resp, 429, "RATE_LIMITED")
    retry_after = resp.headers["Retry-After"]
    assert retry_after.isdigit()
    seconds = int(retry_after)
    assert 1 <= seconds <= 15 * 60
    assert error["details"] == {"retryAfter": seconds}
    assert error["message"] == f"Too many login attempts. Try again in {seconds} seconds."
    return seconds


async def test_eleventh_attempt_after_ten_failures_is_429_even_with_the_right_password(api: Client, db: Conn) -> None:
    await register(api)
    for i in range(10):
        email = "ann@example.com" if i % 2 else " ANN@Example.com"  # one account key however it is typed
        assert (await login(api, email=email, password=f"wrong-{i}")).json() == INVALID_CREDENTIALS
    seconds = assert_rate_limited(await login(api))
    assert seconds >= 15 * 60 - 30
    # throttled attempts are not recorded and do no password work
    assert len(list(Q.login_attempts_for(db, email_key="ann@example.com"))) == 10
    assert_rate_limited(await login(api, password="wrong again"))
    assert len(list(Q.login_attempts_for(db, email_key="ann@example.com"))) == 10
    assert [e["after_state"]["method"] for e in events(db, "LOGIN")] == ["register"]


async def test_nine_failures_do_not_throttle(api: Client) -> None:
    await register(api)
    for _ in range(9):
        assert (await login(api, password="wrong")).status_code == 401
    await login_ok(api)


async def test_unknown_emails_are_throttled_too(api: Client) -> None:
    for _ in range(10):
        assert (await login(api, email="ghost@example.com", password="wrong")).status_code == 401
    assert_rate_limited(await login(api, email="Ghost@Example.com", password="wrong"))
    await register(api)  # another account is not affected
    await login_ok(api)


async def test_a_successful_login_resets_the_account_window(api: Client) -> None:
    await register(api)
    for _ in range(9):
        assert (await login(api, password="wrong")).status_code == 401
    await login_ok(api)
    for _ in range(9):
        assert (await login(api, password="wrong")).status_code == 401
    await login_ok(api)  # 18 failures in the window, but only 9 since the last success
    for _ in range(10):
        assert (await login(api, password="wrong")).status_code == 401
    assert_rate_limited(await login(api))


async def test_failures_older_than_the_window_do_not_count(api: Client, db: Conn) -> None:
    await register(api)
    Q.insert_failed_attempts(db, email_key="ann@example.com", ip=None, n=30, age_seconds=15 * 60 + 5)
    Q.insert_failed_attempts(db, email_key="ann@example.com", ip=None, n=9, age_seconds=60)
    await login_ok(api)


async def test_retry_after_counts_from_the_tenth_most_recent_failure(api: Client, db: Conn) -> None:
    await register(api)
    # 10th most recent failure is 14 min old → a slot frees in about 60 s
    Q.insert_failed_attempts(db, email_key="ann@example.com", ip=None, n=5, age_seconds=14 * 60)
    Q.insert_failed_attempts(db, email_key="ann@example.com", ip=None, n=5, age_seconds=30)
    seconds = assert_rate_limited(await login(api))
    assert 55 <= seconds <= 61
    # once that failure leaves the window, the 11th attempt goes through (domain.md §3.6 "W after the window")
    Q.insert_failed_attempts(db, email_key="bob@example.com", ip=None, n=10, age_seconds=15 * 60 + 1)
    await register(api, email="bob@example.com")
    await login_ok(api, email="bob@example.com")


async def test_ip_limit_uses_the_right_most_forwarded_entry_when_trusting_the_proxy(db_url: str, db: Conn) -> None:
    # 50 failures from 203.0.113.9 (on other accounts) 10 min ago → that IP waits about 5 min
    Q.insert_failed_attempts(db, email_key="someone@example.com", ip="203.0.113.9", n=50, age_seconds=10 * 60)
    async with app_client(db_url, NEXUS_TRUST_PROXY="1") as client:
        await register(client)
        seconds = assert_rate_limited(
            await login(client, **{"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})  # proxy saw 203.0.113.9
        )
        assert 295 <= seconds <= 301
        # the left-most entries are client-supplied: spoofing them changes nothing
        data = await login_ok(client, **{"X-Forwarded-For": "203.0.113.9, 198.51.100.7"})
        assert data["session"]["ip"] == "198.51.100.7"
        assert events(db, "LOGIN")[-1]["after_state"]["ip"] == "198.51.100.7"
        (attempt,) = [a for a in Q.login_attempts_for(db, email_key="ann@example.com") if a["succeeded"]]
        assert attempt["ip"] == "198.51.100.7"


async def test_ip_limit_needs_fifty_failures(db_url: str, db: Conn) -> None:
    Q.insert_failed_attempts(db, email_key="someone@example.com", ip="203.0.113.9", n=49, age_seconds=60)
    async with app_client(db_url, NEXUS_TRUST_PROXY="1") as client:
        await register(client)
        await login_ok(client, **{"X-Forwarded-For": "203.0.113.9"})
        Q.insert_failed_attempts(db, email_key="else@example.com", ip="203.0.113.9", n=1, age_seconds=60)
        assert_rate_limited(await login(client, **{"X-Forwarded-For": "203.0.113.9"}))
        await login_ok(client, **{"X-Forwarded-For": "203.0.113.10"})


async def test_the_larger_wait_wins(db_url: str, db: Conn) -> None:
    Q.insert_failed_attempts(db, email_key="ann@example.com", ip=None, n=10, age_seconds=14 * 60)  # ~60 s
    Q.insert_failed_attempts(db, email_key="x@example.com", ip="203.0.113.9", n=50, age_seconds=5 * 60)  # ~600 s
    async with app_client(db_url, NEXUS_TRUST_PROXY="1") as client:
        await register(client)
        seconds = assert_rate_limited(await login(client, **{"X-Forwarded-For": "203.0.113.9"}))
        assert 595 <= seconds <= 601


async def test_forwarded_for_is_ignored_without_trust_proxy(api: Client, db: Conn) -> None:
    Q.insert_failed_attempts(db, email_key="someone@example.com", ip="203.0.113.9", n=50, age_seconds=60)
    await register(api)
    data = await login_ok(api, **{"X-Forwarded-For": "203.0.113.9"})
    assert data["session"]["ip"] != "203.0.113.9"


# ---------------------------------------------------------------------------------------------------------------
# access tokens
# ---------------------------------------------------------------------------------------------------------------
async def test_me_returns_the_token_session_and_user(api: Client) -> None:
    data = await register(api, **{"User-Agent": "Agent/1"})
    resp = await me(api, data["accessToken"])
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "data"} and body["success"] is True
    assert set(body["data"]) == {"session", "user"}
    assert body["data"]["user"] == data["user"]
    session = body["data"]["session"]
    assert set(session) == SESSION_KEYS
    assert session["id"] == data["session"]["id"]
    assert session["userId"] == data["user"]["id"]
    assert session["current"] is True
    assert session["createdAt"] == data["session"]["createdAt"]
    assert session["expiresAt"] == data["session"]["expiresAt"]


async def test_lowercase_bearer_scheme_is_accepted(api: Client) -> None:
    data = await register(api)
    resp = await api.get(f"{AUTH}/me", headers={"Authorization": f"bearer {data['accessToken']}"})
    assert resp.status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Bearer    ", "Basic YW5uOnB3", "Token abc", "abc.def.ghi"],
)
@pytest.mark.parametrize("path", ["/me", "/sessions"])
async def test_missing_or_malformed_authorization_header_is_401_unauthorized(
    api: Client, header: str | None, path: str
) -> None:
    headers = {} if header is None else {"Authorization": header}
    resp = await api.get(f"{AUTH}{path}", headers=headers)
    assert_error(resp, 401, "UNAUTHORIZED", "Authentication required")


async def test_logout_all_without_token_is_401_unauthorized(api: Client) -> None:
    assert_error(await api.post(f"{AUTH}/logout-all"), 401, "UNAUTHORIZED", "Authentication required")


def _bad_tokens(user_id: str, session_id: str, other_user_id: str) -> dict[str, str]:
    good = valid_claims(user_id, session_id)
    now = int(time.time())
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    none_payload = base64.urlsafe_b64encode(json.dumps(good).encode()).rstrip(b"=").decode()
    tokens = {
        "alg-none": f"{none_header}.{none_payload}.",
        "wrong-key": make_token(good, key="another-secret-0123456789-0123456789-xyz"),
        "hs512-same-key": make_token(good, algorithm="HS512"),
        "expired": make_token(valid_claims(user_id, session_id, iat=now - 700, exp=now - 1)),
        "expired-now": make_token(valid_claims(user_id, session_id, iat=now - 900, exp=now)),
        "typ-refresh": make_token(valid_claims(user_id, session_id, typ="refresh")),
        "typ-missing-value": make_token(valid_claims(user_id, session_id, typ="")),
        "sub-of-another-user": make_token(valid_claims(other_user_id, session_id)),
        "unknown-session": make_token(valid_claims(user_id, "no-such-session")),
        "sub-not-a-string": make_token(valid_claims(user_id, session_id, sub=123)),
        "garbage": "garbage",
        "three-garbage-parts": "a.b.c",
        "tampered-payload": _tamper(make_token(good), valid_claims(other_user_id, session_id)),
    }
    for claim in ("sub", "sid", "typ", "iat", "exp", "jti"):
        tokens[f"missing-{claim}"] = make_token({k: v for k, v in good.items() if k != claim})
    return tokens


def _tamper(token: str, claims: Mapping[str, Any]) -> str:
    header, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(dict(claims)).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


async def test_bad_access_tokens_are_401_invalid_token(api: Client) -> None:
    data = await register(api)
    other = await register(api, email="bob@example.com", name="Bob")
    user_id, session_id = data["user"]["id"], data["session"]["id"]
    # sanity: a hand-made token with all claims is accepted
    assert (await me(api, make_token(valid_claims(user_id, session_id)))).status_code == 200
    for name, token in _bad_tokens(user_id, session_id, other["user"]["id"]).items():
        for path in ("/me", "/sessions"):
            resp = await api.get(f"{AUTH}{path}", headers=bearer(token))
            assert resp.status_code == 401, (name, path, resp.text)
            assert resp.json() == {
                "success": False,
                "error": {"code": "INVALID_TOKEN", "message": "Invalid or expired token"},
            }, name
        resp = await api.post(f"{AUTH}/logout-all", headers=bearer(token))
        assert_error(resp, 401, "INVALID_TOKEN")
    # none of those revoked anything
    assert (await me(api, data["accessToken"])).status_code == 200


async def test_access_token_expires_after_the_configured_ttl(db_url: str) -> None:
    async with app_client(db_url, NEXUS_ACCESS_TTL="1") as client:
        data = await register(client)
        assert data["expiresIn"] == 1
        claims = jwt.decode(data["accessToken"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 1
        # exp is a whole second; wait until it has certainly passed (no leeway)
        await asyncio.sleep(max(0.0, claims["exp"] - time.time()) + 0.05)
        assert_error(await me(client, data["accessToken"]), 401, "INVALID_TOKEN")
        # the session itself is still live: a refresh gives a working token
        pair = (await refresh(client, data["refreshToken"])).json()["data"]
        assert (await me(client, pair["accessToken"])).status_code == 200


async def test_expired_session_is_401_invalid_token(api: Client, db: Conn) -> None:
    data = await register(api)
    Q.expire_session(db, id=data["session"]["id"])
    assert_error(await me(api, data["accessToken"]), 401, "INVALID_TOKEN", "Invalid or expired token")
    assert_error(await refresh(api, data["refreshToken"]), 401, "INVALID_TOKEN")
    assert events(db, "LOGOUT") == []


# ---------------------------------------------------------------------------------------------------------------
# refresh
# ---------------------------------------------------------------------------------------------------------------
async def test_refresh_rotates_the_pair_and_slides_the_session(api: Client, db: Conn) -> None:
    data = await register(api)
    session_id = data["session"]["id"]
    before = Q.session_by_id(db, id=session_id)
    resp = await refresh(api, data["refreshToken"])
    assert resp.status_code == 200
    body = resp.json()
    assert body == {
        "success": True,
        "data": {"accessToken": body["data"]["accessToken"], "refreshToken": body["data"]["refreshToken"]},
    }
    pair = body["data"]
    assert REFRESH.match(pair["refreshToken"]) and pair["refreshToken"] != data["refreshToken"]
    assert pair["accessToken"] != data["accessToken"]
    claims = jwt.decode(pair["accessToken"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sid"] == session_id and claims["sub"] == data["user"]["id"]

    new_me = (await me(api, pair["accessToken"])).json()["data"]
    assert new_me["session"]["id"] == session_id
    assert (await me(api, data["accessToken"])).status_code == 200  # same live session

    after = Q.session_by_id(db, id=session_id)
    assert after["expires_at"] >= before["expires_at"]
    old_row, new_row = Q.refresh_tokens_of_session(db, session_id=session_id)
    assert old_row["token"] == hashlib.sha256(data["refreshToken"].encode()).hexdigest()
    assert new_row["token"] == hashlib.sha256(pair["refreshToken"].encode()).hexdigest()
    assert old_row["revoked_at"] is not None and old_row["replaced_by_id"] == new_row["id"]
    assert new_row["revoked_at"] is None and new_row["expires_at"] == after["expires_at"]
    # refresh is not audited
    assert events(db, "LOGOUT") == [] and len(events(db, "LOGIN")) == 1

    again = (await refresh(api, pair["refreshToken"])).json()["data"]
    assert (await me(api, again["accessToken"])).status_code == 200


async def test_refresh_token_reuse_revokes_the_whole_session(api: Client, db: Conn) -> None:
    data = await register(api)
    other = await login_ok(api)  # another session of the same user is not touched
    pair = (await refresh(api, data["refreshToken"])).json()["data"]

    assert_error(await refresh(api, data["refreshToken"]), 401, "INVALID_TOKEN")

    # the whole session is dead: the new access token, the new refresh token, the old access token
    assert_error(await me(api, pair["accessToken"]), 401, "INVALID_TOKEN")
    assert_error(await me(api, data["accessToken"]), 401, "INVALID_TOKEN")
    assert_error(await refresh(api, pair["refreshToken"]), 401, "INVALID_TOKEN")
    assert (await me(api, other["accessToken"])).status_code == 200

    session = Q.session_by_id(db, id=data["session"]["id"])
    assert session["revoked_at"] is not None and session["revoked_reason"] == "refresh_reuse"
    assert all(t["revoked_at"] is not None for t in Q.refresh_tokens_of_session(db, session_id=session["id"]))
    (event,) = events(db, "LOGOUT")  # committed although the response was 401
    assert event["actor_id"] == data["user"]["id"] and event["actor_name"] == "Ann Lee"
    assert (event["target_type"], event["target_id"]) == ("session", data["session"]["id"])
    assert event["after_state"] == {"email": "ann@example.com", "logoutType": "reuse_detected"}

    # presenting it again changes nothing more
    assert_error(await refresh(api, data["refreshToken"]), 401, "INVALID_TOKEN")
    assert len(events(db, "LOGOUT")) == 1


@pytest.mark.parametrize("token", ["unknown-token", "A" * 43, "x" * 512])
async def test_refresh_with_an_unknown_token_is_401_invalid_token(api: Client, db: Conn, token: str) -> None:
    await register(api)
    assert_error(await refresh(api, token), 401, "INVALID_TOKEN")
    assert events(db, "LOGOUT") == []


@pytest.mark.parametrize(
    "body", [{}, {"refreshToken": ""}, {"refreshToken": "   "}, {"refreshToken": 5}, {"token": "x"}]
)
async def test_refresh_without_a_token_is_400(api: Client, body: dict[str, Any]) -> None:
    assert_field_error(await api.post(f"{AUTH}/refresh", json=body), "refreshToken")


async def test_refresh_after_logout_is_401_without_a_reuse_event(api: Client, db: Conn) -> None:
    data = await register(api)
    await api.post(f"{AUTH}/logout", json={"refreshToken": data["refreshToken"]})
    assert_error(await refresh(api, data["refreshToken"]), 401, "INVALID_TOKEN")
    assert [e["after_state"]["logoutType"] for e in events(db, "LOGOUT")] == ["session"]


def _race_refresh(settings: Settings, db: Conn, watcher: psycopg.Connection[Any], token: str) -> list[httpx.Response]:
    """Two refreshes of one token, both past their lookup before either claims it (a row lock holds them)."""
    barrier = threading.Barrier(2)
    with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:

        def call() -> httpx.Response:
            barrier.wait()
            return client.post(f"{AUTH}/refresh", json={"refreshToken": token})

        with ThreadPoolExecutor(2) as pool:
            with db.transaction():
                Q.lock_refresh_token(db, token=hashlib.sha256(token.encode()).hexdigest())
                futures = [pool.submit(call) for _ in range(2)]
                deadline = time.monotonic() + 4
                while Q.lock_waiters(watcher) < 2 and time.monotonic() < deadline:
                    time.sleep(0.02)
                waiting = Q.lock_waiters(watcher)
            # the transaction ended: the lock is released, one claims the token, the other finds it taken
            responses = [f.result(timeout=30) for f in futures]
    assert waiting == 2, "both refreshes should have waited on the token row"
    return responses


def test_two_concurrent_refreshes_of_one_token_exactly_one_succeeds(settings: Settings, db: Conn, db_url: str) -> None:
    with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        resp = client.post(f"{AUTH}/register", json={"email": "ann@example.com", "name": "Ann", "password": PASSWORD})
        data = resp.json()["data"]
    with psycopg.connect(db_url, autocommit=True) as watcher:
        responses = _race_refresh(settings, db, watcher, data["refreshToken"])
    assert sorted(r.status_code for r in responses) == [200, 401]
    (loser,) = [r for r in responses if r.status_code == 401]
    assert_error(loser, 401, "INVALID_TOKEN")
    # strict (no grace window): the loser counts as reuse, so the session is revoked
    session = Q.session_by_id(db, id=data["session"]["id"])
    assert session["revoked_reason"] == "refresh_reuse"
    assert [e["after_state"]["logoutType"] for e in events(db, "LOGOUT")] == ["reuse_detected"]


def test_concurrent_registrations_of_one_email_give_one_201_and_one_409(settings: Settings) -> None:
    barrier = threading.Barrier(4)
    with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:

        def call(i: int) -> int:
            barrier.wait()
            body = {"email": "Same@Example.com" if i % 2 else "same@example.com", "name": f"U{i}", "password": PASSWORD}
            return client.post(f"{AUTH}/register", json=body).status_code

        with ThreadPoolExecutor(4) as pool:
            codes = sorted(pool.map(call, range(4)))
    assert codes == [201, 409, 409, 409]


# ---------------------------------------------------------------------------------------------------------------
# logout / logout-all
# ---------------------------------------------------------------------------------------------------------------
async def test_logout_revokes_the_session_at_once(api: Client, db: Conn) -> None:
    data = await register(api)
    other = await login_ok(api)
    resp = await api.post(f"{AUTH}/logout", json={"refreshToken": data["refreshToken"]})
    assert resp.status_code == 200
    assert resp.json() == {"success": True, "data": {"revokedSessions": 1}}

    assert_error(await me(api, data["accessToken"]), 401, "INVALID_TOKEN", "Invalid or expired token")
    assert_error(await refresh(api, data["refreshToken"]), 401, "INVALID_TOKEN")
    assert (await me(api, other["accessToken"])).status_code == 200

    session = Q.session_by_id(db, id=data["session"]["id"])
    assert session["revoked_at"] is not None and session["revoked_reason"] == "logout"
    (event,) = events(db, "LOGOUT")
    assert event["workspace_id"] is None and event["actor_id"] == data["user"]["id"]
    assert (event["target_type"], event["target_id"]) == ("session", data["session"]["id"])
    assert event["after_state"] == {"email": "ann@example.com", "logoutType": "session"}

    # idempotent: again → 0, no second event
    again = await api.post(f"{AUTH}/logout", json={"refreshToken": data["refreshToken"]})
    assert again.json() == {"success": True, "data": {"revokedSessions": 0}}
    assert len(events(db, "LOGOUT")) == 1


async def test_logout_with_a_rotated_token_revokes_the_session(api: Client, db: Conn) -> None:
    data = await register(api)
    pair = (await refresh(api, data["refreshToken"])).json()["data"]
    resp = await api.post(f"{AUTH}/logout", json={"refreshToken": data["refreshToken"]})
    assert resp.json()["data"] == {"revokedSessions": 1}
    assert_error(await me(api, pair["accessToken"]), 401, "INVALID_TOKEN")
    assert_error(await refresh(api, pair["refreshToken"]), 401, "INVALID_TOKEN")
    assert [e["after_state"]["logoutType"] for e in events(db, "LOGOUT")] == ["session"]


async def test_logout_with_an_unknown_token_is_200_zero_and_no_event(api: Client, db: Conn) -> None:
    await register(api)
    resp = await api.post(f"{AUTH}/logout", json={"refreshToken": "never-issued"})
    assert resp.status_code == 200
    assert resp.json() == {"success": True, "data": {"revokedSessions": 0}}
    assert events(db, "LOGOUT") == []


@pytest.mark.parametrize("body", [{}, {"refreshToken": ""}, {"refreshToken": None}])
async def test_logout_without_a_token_is_400(api: Client, body: dict[str, Any]) -> None:
    assert_field_error(await api.post(f"{AUTH}/logout", json=body), "refreshToken")


async def test_logout_needs_no_access_token_and_ignores_a_bad_one(api: Client) -> None:
    data = await register(api)
    resp = await api.post(f"{AUTH}/logout", json={"refreshToken": data["refreshToken"]}, headers=bearer("garbage"))
    assert resp.json()["data"] == {"revokedSessions": 1}


async def test_logout_all_revokes_every_live_session_of_the_user(api: Client, db: Conn) -> None:
    first = await register(api)
    second = await login_ok(api)
    third = await login_ok(api)
    gone = await login_ok(api)
    await api.post(f"{AUTH}/logout", json={"refreshToken": gone["refreshToken"]})
    bob = await register(api, email="bob@example.com", name="Bob")

    resp = await api.post(f"{AUTH}/logout-all", headers=bearer(second["accessToken"]))
    assert resp.status_code == 200
    assert resp.json() == {"success": True, "data": {"revokedSessions": 3}}

    for data in (first, second, third):
        assert_error(await me(api, data["accessToken"]), 401, "INVALID_TOKEN")
        assert_error(await refresh(api, data["refreshToken"]), 401, "INVALID_TOKEN")
    assert (await me(api, bob["accessToken"])).status_code == 200

    logouts = events(db, "LOGOUT")
    assert [e["after_state"]["logoutType"] for e in logouts] == ["session", "all_sessions"]
    event = logouts[1]
    assert (event["target_type"], event["target_id"]) == ("user", first["user"]["id"])
    assert event["actor_id"] == first["user"]["id"] and event["actor_name"] == "Ann Lee"
    assert event["after_state"] == {"email": "ann@example.com", "logoutType": "all_sessions", "sessionCount": 3}
    reasons = {s["id"]: s["revoked_reason"] for s in Q.sessions_of_user(db, user_id=first["user"]["id"])}
    assert reasons == {
        first["session"]["id"]: "logout_all",
        second["session"]["id"]: "logout_all",
        third["session"]["id"]: "logout_all",
        gone["session"]["id"]: "logout",
    }


async def test_logout_all_accepts_a_json_content_type_with_no_body(api: Client) -> None:
    data = await register(api)
    resp = await api.post(
        f"{AUTH}/logout-all", headers={**bearer(data["accessToken"]), "Content-Type": "application/json"}
    )
    assert resp.json() == {"success": True, "data": {"revokedSessions": 1}}


# ---------------------------------------------------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------------------------------------------------
async def test_sessions_lists_live_sessions_newest_first_with_current_flag(api: Client, db: Conn) -> None:
    first = await register(api, **{"User-Agent": "first"})
    second = await login_ok(api, **{"User-Agent": "second"})
    revoked = await login_ok(api)
    expired = await login_ok(api)
    third = await login_ok(api, **{"User-Agent": "third"})
    await api.post(f"{AUTH}/logout", json={"refreshToken": revoked["refreshToken"]})
    Q.expire_session(db, id=expired["session"]["id"])
    await register(api, email="bob@example.com", name="Bob")

    resp = await api.get(f"{AUTH}/sessions", headers=bearer(second["accessToken"]))
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "data"} and body["success"] is True
    sessions = body["data"]
    assert isinstance(sessions, list)
    assert [s["id"] for s in sessions] == [third["session"]["id"], second["session"]["id"], first["session"]["id"]]
    assert [s["current"] for s in sessions] == [False, True, False]
    assert [s["userAgent"] for s in sessions] == ["third", "second", "first"]
    for s in sessions:
        assert set(s) == SESSION_KEYS
        assert s["userId"] == first["user"]["id"]
        assert s["revokedAt"] is None
        assert TS.match(s["createdAt"]) and TS.match(s["expiresAt"])
    created = [ts(s["createdAt"]) for s in sessions]
    assert created == sorted(created, reverse=True)


async def test_sessions_with_a_json_content_type_on_get(api: Client) -> None:
    data = await register(api)
    resp = await api.get(
        f"{AUTH}/sessions", headers={**bearer(data["accessToken"]), "Content-Type": "application/json"}
    )
    assert resp.status_code == 200
    assert [s["current"] for s in resp.json()["data"]] == [True]


def test_a_concurrent_burst_of_failures_cannot_exceed_the_account_limit(settings: Settings, db: Conn) -> None:
    """Throttling is checked before password work; a parallel burst must not buy more than 10 evaluated guesses."""
    burst = 20
    barrier = threading.Barrier(burst)
    with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        client.post(f"{AUTH}/register", json={"email": "ann@example.com", "name": "Ann", "password": PASSWORD})

        def call(i: int) -> int:
            barrier.wait()
            return client.post(f"{AUTH}/login", json={"email": "ann@example.com", "password": f"guess-{i}"}).status_code

        with ThreadPoolExecutor(burst) as pool:
            codes = list(pool.map(call, range(burst)))
    assert codes.count(401) == 10, codes
    assert codes.count(429) == burst - 10, codes
    assert len(list(Q.login_attempts_for(db, email_key="ann@example.com"))) == 10
