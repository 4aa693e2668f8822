"""Global API conventions (api.md §1, §3.9, §4 items 1, 17, 18): the error envelope on every failure, request body
rules, X-Request-Id, security headers, CORS, health/readiness, the API index, OpenAPI and the docs page."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiosql
import httpx
import psycopg
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from nexus.api.app import create_app
from nexus.config import Settings
from tests.fix_api import api_settings

# See tests/api/test_auth.py: marking at collection keeps `parametrize` parameters of async tests.
pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "auth_tests.sql", "psycopg")
Conn = psycopg.Connection[dict[str, Any]]
Client = AsyncTestClient[Litestar]

LOGIN = "/api/v1/auth/login"
JSON = {"Content-Type": "application/json"}
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ORIGIN = "http://localhost:3000"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
REQUEST_HEADERS = {"content-type", "authorization", "if-match", "idempotency-key", "x-request-id"}
EXPOSED = {"etag", "retry-after", "content-disposition", "x-request-id"}
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def assert_error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    body = resp.json()
    assert set(body) == {"success", "error"} and body["success"] is False
    error = body["error"]
    assert set(error) <= {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in resp.text
    return error  # type: ignore[no-any-return]


def assert_body_error(resp: httpx.Response) -> None:
    """400 VALIDATION_ERROR whose details are `[{field, message}]`."""
    error = assert_error(resp, 400, "VALIDATION_ERROR")
    assert isinstance(error["details"], list) and error["details"]
    for item in error["details"]:
        assert set(item) == {"field", "message"}


def csv_set(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",") if part.strip()}


def nested(depth: int) -> str:
    """A login body whose deepest value sits `depth` levels down (the body object itself is level 1)."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    return '{"email": "ann@example.com", "password": "wrong password", "extra": ' + inner + "}"


# ---------------------------------------------------------------------------------------------------------------
# error envelope on framework errors
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/auth/nope", "/nope", "/schema/nope.json", "/api/v1/auth/me/extra", "/api"]
)
async def test_unknown_route_is_404_not_found(api: Client, path: str) -> None:
    assert_error(await api.get(path), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/auth/nope", "/api/v1/auth/login/extra", "/nope"])
async def test_unknown_route_is_404_for_a_post_too(api: Client, path: str) -> None:
    assert_error(await api.post(path, json={}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", LOGIN),
        ("DELETE", LOGIN),
        ("PUT", "/api/v1/auth/refresh"),
        ("POST", "/api/v1/auth/me"),
        ("PATCH", "/api/v1/auth/sessions"),
        ("POST", "/health"),
        ("DELETE", "/api/v1"),
    ],
)
async def test_known_path_with_wrong_method_is_405(api: Client, method: str, path: str) -> None:
    assert_error(await api.request(method, path), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"email": }', b"not json", b"{'email': 'a'}", b'{"a": 1} trailing', b"[1, 2", b'"unterminated'],
)
async def test_malformed_json_is_400(api: Client, db: Conn, body: bytes) -> None:
    assert_body_error(await api.post(LOGIN, content=body, headers=JSON))
    assert Q.login_attempt_count(db) == 0


@pytest.mark.parametrize("body", [b"null", b"[]", b"1", b'"ann@example.com"', b"true", b'[{"email": "a@b.co"}]'])
async def test_a_body_that_is_not_an_object_is_400(api: Client, db: Conn, body: bytes) -> None:
    assert_body_error(await api.post(LOGIN, content=body, headers=JSON))
    assert Q.login_attempt_count(db) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
async def test_non_json_content_type_with_a_body_is_415(api: Client, content_type: str) -> None:
    body = b'{"email": "ann@example.com", "password": "x"}'
    resp = await api.post(LOGIN, content=body, headers={"Content-Type": content_type})
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"],
)
async def test_json_content_type_variants_are_accepted(api: Client, content_type: str) -> None:
    body = b'{"email": "ann@example.com", "password": "wrong password"}'
    resp = await api.post(LOGIN, content=body, headers={"Content-Type": content_type})
    assert_error(resp, 401, "UNAUTHORIZED")  # reached the credential check


@pytest.mark.parametrize("body", [b"", b"   ", b"\n"])
async def test_empty_body_with_json_content_type_means_an_empty_object(api: Client, body: bytes) -> None:
    resp = await api.post(LOGIN, content=body, headers=JSON)
    error = assert_error(resp, 400, "VALIDATION_ERROR")
    fields = {item["field"] for item in error["details"]}
    assert {"email", "password"} <= fields, error


async def test_json_nested_33_levels_is_400_and_32_levels_is_accepted(api: Client, db: Conn) -> None:
    assert_body_error(await api.post(LOGIN, content=nested(33).encode(), headers=JSON))
    assert Q.login_attempt_count(db) == 0
    assert_error(await api.post(LOGIN, content=nested(32).encode(), headers=JSON), 401, "UNAUTHORIZED")
    very_deep = "[" * 100_000 + "]" * 100_000
    assert_body_error(await api.post(LOGIN, content=very_deep.encode(), headers=JSON))


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "ann\\u0000@example.com", "password": "x"}',
        b'{"email": "ann@example.com", "password": "pass\\u0000word"}',
        b'{"email": "ann@example.com", "password": "x", "extra": {"k\\u0000": 1}}',
        b'{"email": "ann@example.com", "password": "x", "extra": ["\\u0000"]}',
    ],
)
async def test_nul_in_a_string_is_400(api: Client, db: Conn, body: bytes) -> None:
    assert_body_error(await api.post(LOGIN, content=body, headers=JSON))
    assert Q.login_attempt_count(db) == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "\\ud800@example.com", "password": "x"}',
        b'{"email": "ann@example.com", "password": "\\udfff"}',
        b'{"email": "ann@example.com", "password": "x\\ud83d"}',
    ],
)
async def test_lone_surrogate_escape_is_400(api: Client, body: bytes) -> None:
    assert_body_error(await api.post(LOGIN, content=body, headers=JSON))


async def test_a_surrogate_pair_escape_is_a_normal_character(api: Client) -> None:
    body = b'{"email": "ann@example.com", "password": "\\ud83d\\ude00\\ud83d\\ude00"}'
    assert_error(await api.post(LOGIN, content=body, headers=JSON), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "ann@example.com", "password": "\xff\xfe"}',
        b'{"email": "\xc3\x28@example.com", "password": "x"}',
        b'{"email": "ann@example.com", "password": "\xed\xa0\x80"}',  # CESU-style encoded surrogate
    ],
)
async def test_invalid_utf8_is_400(api: Client, body: bytes) -> None:
    assert_body_error(await api.post(LOGIN, content=body, headers=JSON))


async def test_body_over_one_mib_is_413(api: Client, db: Conn) -> None:
    big = json.dumps({"email": "ann@example.com", "password": "x", "pad": "a" * (1024 * 1024)}).encode()
    assert_error(await api.post(LOGIN, content=big, headers=JSON), 413, "PAYLOAD_TOO_LARGE")
    assert Q.login_attempt_count(db) == 0
    # just under the limit is read normally
    fits = json.dumps({"email": "ann@example.com", "password": "x", "pad": ""}).encode()
    fits = fits[:-3] + b'"' + b"a" * (1024 * 1024 - len(fits) - 1) + b'"}'
    assert len(fits) <= 1024 * 1024
    assert_error(await api.post(LOGIN, content=fits, headers=JSON), 401, "UNAUTHORIZED")


async def test_413_also_for_a_streamed_body_without_content_length(settings: Settings) -> None:
    """Raw ASGI (the test client always sends a Content-Length): 17 chunks of 64 KiB, no length header."""
    app = create_app(settings)
    chunks = [b'{"email": "ann@example.com", "password": "x", "pad": "', *([b"a" * 65536] * 17), b'"}']
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": LOGIN,
        "raw_path": LOGIN.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver.local"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
        "state": {},
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413
    assert json.loads(body)["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_get_body_is_ignored(api: Client) -> None:
    resp = await api.request("GET", "/api/v1", content=b"{not json", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 200
    resp = await api.request("GET", "/health", content=b"{not json", headers=JSON)
    assert resp.status_code == 200


async def test_paths_match_with_a_trailing_slash_without_redirect(api: Client) -> None:
    resp = await api.get("/api/v1/health/", follow_redirects=False)
    assert resp.status_code == 200
    resp = await api.post(f"{LOGIN}/", json={"email": "ann@example.com", "password": "wrong"}, follow_redirects=False)
    assert_error(resp, 401, "UNAUTHORIZED")


# ---------------------------------------------------------------------------------------------------------------
# X-Request-Id and security headers
# ---------------------------------------------------------------------------------------------------------------
OUTSIDE_HANDLERS = (
    "nexus/api/app.py registers request_id_middleware as Litestar app middleware, which only wraps route handlers:"
    " router-level 404/405 and CORS preflight responses miss X-Request-Id and the security headers"
)


async def _handler_responses(api: Client, headers: dict[str, Any]) -> list[httpx.Response]:
    """Responses produced inside a route handler's stack: success, 401, 415, 400, 413."""
    return [
        await api.get("/health", headers=headers),
        await api.get("/api/v1", headers=headers),
        await api.post(LOGIN, json={"email": "ann@example.com", "password": "x"}, headers=headers),
        await api.get("/api/v1/auth/me", headers=headers),
        await api.post(LOGIN, content=b"x", headers={**headers, "Content-Type": "text/plain"}),
        await api.post(LOGIN, content=b"{", headers={**headers, **JSON}),
        await api.post(LOGIN, content=b"a" * (1024 * 1024 + 1), headers={**headers, **JSON}),
    ]


async def _router_responses(api: Client, headers: dict[str, Any]) -> list[httpx.Response]:
    """Responses the router or the CORS layer produce before any handler: 404, 405, preflight."""
    return [
        await api.get("/api/v1/nope", headers=headers),
        await api.get(LOGIN, headers=headers),
        await api.options(LOGIN, headers={**headers, **preflight_headers(ORIGIN)}),
    ]


def _check_request_ids(responses: list[httpx.Response], sent: str | None) -> None:
    seen = set()
    for resp in responses:
        rid = resp.headers.get("x-request-id")
        where = (resp.request.method, str(resp.request.url), resp.status_code)
        if sent is not None and REQUEST_ID.match(sent):
            assert rid == sent, where
        else:
            assert rid is not None and REQUEST_ID.match(rid) and rid != sent, where
            seen.add(rid)
    if sent is None or not REQUEST_ID.match(sent):
        assert len(seen) == len(responses), "a fresh id per request"


VALID_IDS: list[str | None] = ["abc-123", "A.b_c-9", "x" * 128, "0"]
INVALID_IDS: list[str | None] = [None, "", "x" * 129, "has space", "semi;colon", "a/b", "caf\u00e9"]


def _rid_headers(rid: str | None) -> dict[str, Any]:
    return {} if rid is None else {"X-Request-Id": rid.encode()}  # bytes: non-ASCII goes out as raw UTF-8


@pytest.mark.parametrize("rid", VALID_IDS + INVALID_IDS)
async def test_request_id_is_echoed_when_valid_and_generated_otherwise(api: Client, rid: str | None) -> None:
    _check_request_ids(await _handler_responses(api, _rid_headers(rid)), rid)


@pytest.mark.parametrize("rid", ["abc-123", None])
async def test_request_id_on_router_level_responses(api: Client, rid: str | None) -> None:
    _check_request_ids(await _router_responses(api, _rid_headers(rid)), rid)


async def test_security_headers_on_every_handler_response(api: Client) -> None:
    for resp in await _handler_responses(api, {}):
        for name, value in SECURITY_HEADERS.items():
            assert resp.headers.get(name) == value, (resp.request.url, resp.status_code, name)


async def test_security_headers_on_router_level_responses(api: Client) -> None:
    for resp in await _router_responses(api, {}):
        for name, value in SECURITY_HEADERS.items():
            assert resp.headers.get(name) == value, (resp.request.url, resp.status_code, name)


@get("/api/v1/test-only/boom", sync_to_thread=False)
def _boom() -> None:
    raise RuntimeError("secret internals: /etc/passwd")


@get("/api/v1/test-only/db-down", sync_to_thread=False)
def _db_down() -> None:
    raise psycopg.OperationalError("connection refused")


@get("/api/v1/test-only/timeout", sync_to_thread=False)
def _timeout() -> None:
    raise psycopg.errors.QueryCanceled("canceling statement due to statement timeout")


@get("/api/v1/test-only/unique", sync_to_thread=False)
def _unique() -> None:
    raise psycopg.errors.UniqueViolation("duplicate key value violates unique constraint")


@get("/api/v1/test-only/pooler", sync_to_thread=False)
def _pooler() -> None:
    raise psycopg.errors.InvalidSqlStatementName('prepared statement "_pg3_0" does not exist')


@pytest.fixture
async def faulty(settings: Settings) -> AsyncIterator[Client]:
    """The real app plus routes that fail in the ways the error handlers map."""
    app = create_app(settings, route_handlers=[_boom, _db_down, _timeout, _unique, _pooler])
    async with AsyncTestClient(app=app, raise_server_exceptions=False) as client:
        yield client


async def test_an_unexpected_error_is_a_500_envelope_with_the_request_id(faulty: Client) -> None:
    resp = await faulty.get("/api/v1/test-only/boom", headers={"X-Request-Id": "req-42"})
    error = assert_error(resp, 500, "INTERNAL_ERROR")
    assert error["message"] == "An unexpected error occurred"
    assert error["details"] == {"requestId": "req-42"}
    assert resp.headers["x-request-id"] == "req-42"
    assert "secret internals" not in resp.text and "RuntimeError" not in resp.text


async def test_a_generated_request_id_is_the_one_in_500_details(faulty: Client) -> None:
    resp = await faulty.get("/api/v1/test-only/boom")
    assert assert_error(resp, 500, "INTERNAL_ERROR")["details"] == {"requestId": resp.headers["x-request-id"]}


# pooler: prepared statements lost behind transaction pooling (DATABASE_URL without pgbouncer=true)
@pytest.mark.parametrize("path", ["/api/v1/test-only/db-down", "/api/v1/test-only/timeout", "/api/v1/test-only/pooler"])
async def test_database_unavailable_and_statement_timeout_are_503_with_retry_after(faulty: Client, path: str) -> None:
    resp = await faulty.get(path)
    assert_error(resp, 503, "DATABASE_UNAVAILABLE")
    assert resp.headers["retry-after"] == "5"
    assert "connection refused" not in resp.text and "canceling statement" not in resp.text
    assert "prepared statement" not in resp.text


async def test_a_unique_violation_is_a_409_conflict_without_sql_details(faulty: Client) -> None:
    resp = await faulty.get("/api/v1/test-only/unique")
    assert_error(resp, 409, "CONFLICT")
    assert "duplicate key" not in resp.text


# ---------------------------------------------------------------------------------------------------------------
# CORS (api.md §1.9; §4 item 18)
# ---------------------------------------------------------------------------------------------------------------
def preflight_headers(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type",
    }


PREFLIGHT_204 = "Litestar's CORS layer answers a successful preflight 204, api.md §1.9 says 200 (nexus/api/app.py)"
DISALLOWED_HEADERS = (
    "Litestar's CORS layer adds Access-Control-Allow-Credentials/-Expose-Headers/-Allow-Headers/-Allow-Methods (and"
    " a 400 text/plain body on preflight) for a disallowed origin; api.md §1.9 says no CORS headers (nexus/api/app.py)"
)


@pytest.mark.parametrize("origin", [ORIGIN, "http://127.0.0.1:3000"])
@pytest.mark.parametrize(
    ("path", "method"),
    [
        (LOGIN, "POST"),
        ("/api/v1/auth/me", "GET"),
        ("/api/v1/auth/logout-all", "POST"),
        ("/api/v1/auth/sessions", "GET"),
    ],
)
async def test_preflight_from_an_allowed_origin_grants_the_request(
    api: Client, origin: str, path: str, method: str
) -> None:
    resp = await api.options(path, headers=preflight_headers(origin, method))
    assert resp.status_code == 200, resp.text
    h = resp.headers
    assert h["access-control-allow-origin"] == origin
    assert h["access-control-allow-credentials"] == "true"
    assert h["access-control-max-age"] == "600"
    assert {m.upper() for m in csv_set(h["access-control-allow-methods"])} == METHODS
    assert csv_set(h["access-control-allow-headers"]) >= REQUEST_HEADERS
    assert "origin" in csv_set(h.get("vary", ""))


async def test_preflight_answers_200(api: Client) -> None:
    resp = await api.options(LOGIN, headers=preflight_headers(ORIGIN))
    assert resp.status_code == 200


async def test_preflight_needs_no_authentication_and_allows_every_listed_request_header(api: Client) -> None:
    headers = preflight_headers(ORIGIN, "PATCH")
    headers["Access-Control-Request-Headers"] = "Content-Type, Authorization, If-Match, Idempotency-Key, X-Request-Id"
    resp = await api.options("/api/v1/auth/me", headers=headers)
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == ORIGIN


async def test_actual_cross_origin_responses_expose_the_headers(api: Client) -> None:
    for resp in (
        await api.get("/health", headers={"Origin": ORIGIN}),
        await api.post(LOGIN, json={"email": "a@b.co", "password": "x"}, headers={"Origin": ORIGIN}),
        await api.get("/api/v1/nope", headers={"Origin": ORIGIN}),
    ):
        h = resp.headers
        assert h["access-control-allow-origin"] == ORIGIN
        assert h["access-control-allow-credentials"] == "true"
        assert csv_set(h["access-control-expose-headers"]) >= EXPOSED


async def test_a_disallowed_origin_is_not_granted_and_not_rejected(api: Client) -> None:
    resp = await api.get("/health", headers={"Origin": "https://evil.example"})
    assert resp.status_code == 200  # not rejected server-side
    assert "access-control-allow-origin" not in resp.headers
    resp = await api.options(LOGIN, headers=preflight_headers("https://evil.example"))
    assert "access-control-allow-origin" not in resp.headers


async def test_a_disallowed_origin_gets_no_cors_headers_at_all(api: Client) -> None:
    for resp in (
        await api.get("/health", headers={"Origin": "https://evil.example"}),
        await api.options(LOGIN, headers=preflight_headers("https://evil.example")),
    ):
        assert not [k for k in resp.headers if k.lower().startswith("access-control-")], resp.headers
        if resp.content:
            assert resp.headers["content-type"].startswith("application/json")


async def test_origin_matching_is_exact(api: Client) -> None:
    for origin in ("http://localhost:3000/", "http://localhost:30000", "https://localhost:3000", "http://localhost"):
        resp = await api.options(LOGIN, headers=preflight_headers(origin))
        assert "access-control-allow-origin" not in resp.headers, origin


async def test_cors_origins_setting_replaces_the_defaults(db_url: str) -> None:
    app = create_app(api_settings(db_url, CORS_ORIGINS="https://app.example.com, https://other.example.com"))
    async with AsyncTestClient(app=app) as client:
        resp = await client.options(LOGIN, headers=preflight_headers("https://other.example.com"))
        assert resp.status_code == 200
        assert resp.headers["access-control-allow-origin"] == "https://other.example.com"
        resp = await client.options(LOGIN, headers=preflight_headers(ORIGIN))
        assert "access-control-allow-origin" not in resp.headers


# ---------------------------------------------------------------------------------------------------------------
# health, readiness, index
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/health", "/api/v1/health"])
async def test_health_shape(api: Client, path: str) -> None:
    resp = await api.get(path)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "status", "version", "timestamp"}
    assert body["success"] is True and body["status"] == "ok"
    assert re.match(r"^\d+\.\d+\.\d+", body["version"])
    assert TS.match(body["timestamp"])


@pytest.mark.parametrize("path", ["/ready", "/api/v1/ready"])
async def test_ready_shape(api: Client, path: str) -> None:
    resp = await api.get(path)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "status", "database", "migrations"}
    assert body["success"] is True and body["status"] == "ready" and body["database"] == "ok"
    assert set(body["migrations"]) == {"current", "head"}
    assert body["migrations"]["current"] == body["migrations"]["head"]
    assert isinstance(body["migrations"]["head"], str) and body["migrations"]["head"]


async def test_ready_is_503_when_migrations_are_pending(api: Client, db: Conn) -> None:
    head = (await api.get("/ready")).json()["migrations"]["head"]
    Q.forget_migration(db, migration_id=head)
    for path in ("/ready", "/api/v1/ready"):
        resp = await api.get(path)
        error = assert_error(resp, 503, "DATABASE_UNAVAILABLE")
        assert resp.headers["retry-after"] == "5"
        assert error["details"]["reason"] == "migrations_pending"
        assert error["details"]["head"] == head and error["details"]["current"] != head


async def test_ready_is_503_when_the_database_is_unreachable(db_url: str) -> None:
    settings = api_settings("postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1")
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get("/health")).status_code == 200  # liveness needs no database
        resp = await client.get("/ready")
        error = assert_error(resp, 503, "DATABASE_UNAVAILABLE")
        assert resp.headers["retry-after"] == "5"
        assert error["details"] == {"reason": "unreachable"}
        # a route that needs the database answers 503 too, never a 500
        resp = await client.post(LOGIN, json={"email": "ann@example.com", "password": "x"})
        assert_error(resp, 503, "DATABASE_UNAVAILABLE")
        assert resp.headers["retry-after"] == "5"


async def test_api_index(api: Client) -> None:
    resp = await api.get("/api/v1")
    assert resp.status_code == 200
    body = resp.json()
    assert body == {
        "success": True,
        "message": "Nexus API v1",
        "version": body["version"],
        "documentation": "/api/v1/docs",
    }
    assert re.match(r"^\d+\.\d+\.\d+", body["version"])
    assert body["version"] == (await api.get("/health")).json()["version"]


# ---------------------------------------------------------------------------------------------------------------
# OpenAPI and docs (api.md §1.14)
# ---------------------------------------------------------------------------------------------------------------
AUTH_OPERATIONS = {
    ("post", "/api/v1/auth/register"): ("auth_register", {400, 403, 409}, False),
    ("post", "/api/v1/auth/login"): ("auth_login", {400, 401, 429}, False),
    ("post", "/api/v1/auth/refresh"): ("auth_refresh", {400, 401}, False),
    ("post", "/api/v1/auth/logout"): ("auth_logout", {400}, False),
    ("post", "/api/v1/auth/logout-all"): ("auth_logout_all", {401}, True),
    ("get", "/api/v1/auth/me"): ("auth_me", {401}, True),
    ("get", "/api/v1/auth/sessions"): ("auth_sessions", {401}, True),
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


async def openapi(api: Client) -> dict[str, Any]:
    resp = await api.get("/schema/openapi.json")
    assert resp.status_code == 200
    return resp.json()  # type: ignore[no-any-return]


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield method, path, op


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/")
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def is_error_envelope(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = resolve(doc, schema)
    props = schema.get("properties", {})
    if set(props) != {"success", "error"}:
        return False
    error = resolve(doc, props["error"])
    return {"code", "message"} <= set(error.get("properties", {}))


async def test_openapi_is_served_byte_identical_at_both_urls(api: Client) -> None:
    a = await api.get("/schema/openapi.json")
    b = await api.get("/api/v1/schema/openapi.json")
    assert a.status_code == b.status_code == 200
    assert a.content == b.content
    assert a.headers["content-type"] == b.headers["content-type"]
    assert json.loads(a.content)["openapi"].startswith("3.1.")


async def test_every_operation_has_a_unique_operation_id(api: Client) -> None:
    doc = await openapi(api)
    ids = [op.get("operationId") for _, _, op in operations(doc)]
    assert ids and all(isinstance(i, str) and i for i in ids)
    assert len(ids) == len(set(ids))


def _check_error_responses(doc: dict[str, Any], ops: list[tuple[str, str, dict[str, Any]]]) -> None:
    for method, path, op in ops:
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert errors, (method, path)
        assert "500" in errors, (method, path)
        for code, response in errors.items():
            response = resolve(doc, response)
            assert response.get("description"), (method, path, code)
            schema = response["content"]["application/json"]["schema"]
            assert is_error_envelope(doc, schema), (method, path, code)


async def test_auth_operations_document_their_errors_with_the_envelope(api: Client) -> None:
    doc = await openapi(api)
    ops = [(m, p, op) for m, p, op in operations(doc) if p.startswith("/api/v1/auth/")]
    assert len(ops) == len(AUTH_OPERATIONS)
    _check_error_responses(doc, ops)


async def test_every_operation_documents_its_errors_with_the_envelope(api: Client) -> None:
    doc = await openapi(api)
    _check_error_responses(doc, list(operations(doc)))


async def test_auth_operations_ids_errors_and_security(api: Client) -> None:
    doc = await openapi(api)
    for (method, path), (op_id, statuses, secured) in AUTH_OPERATIONS.items():
        op = doc["paths"][path][method]
        assert op["operationId"] == op_id
        documented = {int(code) for code in op["responses"] if code[0] in "45"}
        assert statuses <= documented, (op_id, documented)
        for status in statuses:
            description = resolve(doc, op["responses"][str(status)])["description"]
            codes = {
                "400": "VALIDATION_ERROR",
                "401": "UNAUTHORIZED",
                "403": "PERMISSION_DENIED",
                "409": "CONFLICT",
                "429": "RATE_LIMITED",
            }[str(status)]
            assert codes in description, (op_id, status, description)
        assert bool(op.get("security")) is secured, op_id
    success = {("post", "/api/v1/auth/register"): "201"}
    for method, path in AUTH_OPERATIONS:
        op = doc["paths"][path][method]
        assert success.get((method, path), "200") in op["responses"]


async def test_refresh_documents_invalid_token(api: Client) -> None:
    doc = await openapi(api)
    description = resolve(doc, doc["paths"]["/api/v1/auth/refresh"]["post"]["responses"]["401"])["description"]
    assert "INVALID_TOKEN" in description


async def test_openapi_marks_extensions_and_permissions(api: Client) -> None:
    doc = await openapi(api)
    register = doc["paths"]["/api/v1/auth/register"]["post"]
    assert register.get("x-extension") is True
    assert doc["paths"]["/api/v1/auth/me"]["get"].get("x-permission") == "auth"


async def test_openapi_request_schemas_carry_the_validation_limits(api: Client) -> None:
    doc = await openapi(api)
    body = doc["paths"]["/api/v1/auth/register"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    props = resolve(doc, body)["properties"]
    password = resolve(doc, props["password"])
    assert (password.get("minLength"), password.get("maxLength")) == (8, 256)
    assert resolve(doc, props["email"]).get("maxLength") == 255


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


async def test_docs_page_loads_its_assets_from_this_server(api: Client) -> None:
    resp = await api.get("/api/v1/docs")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert "unpkg.com" not in html and "cdn" not in html.lower() and "jsdelivr" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no absolute asset URLs"
    parser = _Assets()
    parser.feed(html)
    assert any(u.endswith(".js") for u in parser.urls) and any(u.endswith(".css") for u in parser.urls)
    for url in parser.urls:
        asset = await api.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    # the page points the UI at the document this server serves
    spec_urls = re.findall(r"""url\s*:\s*["']([^"']+)["']""", html)
    assert spec_urls, html
    for url in spec_urls:
        assert (await api.get(url)).status_code == 200
