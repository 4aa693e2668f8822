"""Attacks on authentication (issue 9, part 5; domain.md §3): forged and confused tokens, dead sessions, stolen
refresh tokens, distributed brute force, the unknown-email timing side channel, and the argon2 cost floor.

tests/api/test_auth.py covers the contract of each route; this module plays the attacker. Every test runs against
the real app on its own freshly migrated database (`api` fixture).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiosql
import argon2
import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient, TestClient
from psycopg.rows import dict_row

from nexus.api.app import create_app
from nexus.domain.passwords import hasher
from tests.fix_api import JWT_SECRET, api_settings

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "reliability_tests.sql", "psycopg")
Conn = psycopg.Connection[dict[str, Any]]
Client = AsyncTestClient[Litestar]

AUTH = "/api/v1/auth"
PASSWORD = "correct horse battery"
INVALID_TOKEN = {"success": False, "error": {"code": "INVALID_TOKEN", "message": "Invalid or expired token"}}


@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A JWT with any header; signed HS256-style with `key`, or with an empty signature when `key` is None."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


async def register(api: Client, email: str = "ann@example.com", **headers: str) -> dict[str, Any]:
    resp = await api.post(
        f"{AUTH}/register", json={"email": email, "name": "Ann Lee", "password": PASSWORD}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


async def login(api: Client, email: str, password: str, **headers: str) -> httpx.Response:
    return await api.post(f"{AUTH}/login", json={"email": email, "password": password}, headers=headers)


async def refresh(api: Client, token: str) -> httpx.Response:
    return await api.post(f"{AUTH}/refresh", json={"refreshToken": token})


async def me_status(api: Client, access: str) -> int:
    return (await api.get(f"{AUTH}/me", headers=bearer(access))).status_code


def assert_invalid_token(resp: httpx.Response) -> None:
    assert resp.status_code == 401, resp.text
    assert resp.json() == INVALID_TOKEN


# -- forged access tokens ---------------------------------------------------------------------------------------
async def test_forged_headers_never_authenticate(api: Client) -> None:
    """alg=none in any spelling, algorithm confusion, key-location headers and stripped signatures: all 401."""
    data = await register(api)
    good = claims_of(data["accessToken"])
    real_signature = data["accessToken"].split(".")[2]
    secret = JWT_SECRET.encode()
    attacker = b"attacker-key-0123456789-0123456789-0123"
    forged = {
        **{f"alg-{alg}": forge({"alg": alg, "typ": "JWT"}, good, None) for alg in ("none", "None", "NONE", "nOnE")},
        "alg-none-with-real-signature": forge({"alg": "none"}, good, None) + real_signature,
        "no-alg": forge({"typ": "JWT"}, good, secret),
        "hs256-empty-signature": forge({"alg": "HS256", "typ": "JWT"}, good, None),
        "rs256-header-hmac-with-secret": forge({"alg": "RS256", "typ": "JWT"}, good, secret),
        "hs384-header-hs256-signature": forge({"alg": "HS384", "typ": "JWT"}, good, secret),
        "jku-kid-attacker-key": forge(
            {"alg": "HS256", "kid": "../../../../dev/null", "jku": "http://127.0.0.1:9/keys.json"}, good, attacker
        ),
        "empty-key": forge({"alg": "HS256", "typ": "JWT"}, good, b""),
        "signature-of-another-token": data["accessToken"].rsplit(".", 1)[0]
        + "."
        + (await register(api, "bob@example.com"))["accessToken"].split(".")[2],
        "truncated-signature": data["accessToken"][:-4],
        "two-tokens": f"{data['accessToken']} {data['accessToken']}",
        "not-base64": "%%%.%%%.%%%",
        "four-parts": data["accessToken"] + ".x",
    }
    for name, token in forged.items():
        for method, path in (("GET", "/me"), ("GET", "/sessions"), ("POST", "/logout-all")):
            resp = await api.request(method, f"{AUTH}{path}", headers=bearer(token))
            assert resp.status_code == 401, (name, path, resp.text)
            assert resp.json()["error"]["code"] in ("INVALID_TOKEN", "UNAUTHORIZED"), name
    assert await me_status(api, data["accessToken"]) == 200  # nothing was revoked by the attempts


async def test_claims_forged_with_the_real_key_still_need_a_live_matching_session(api: Client) -> None:
    """Even a correctly signed token (a leaked secret is out of scope) cannot name a session it does not own,
    or be used before `nbf`, or carry a non-numeric expiry."""
    ann = await register(api)
    bob = await register(api, "bob@example.com")
    secret = JWT_SECRET.encode()
    now = int(time.time())
    base = claims_of(ann["accessToken"])
    cases = {
        "bob-session-ann-sub": {**base, "sid": bob["session"]["id"]},
        "not-before-in-future": {**base, "nbf": now + 600},
        "exp-as-string": {**base, "exp": str(now + 600)},
        "sid-as-list": {**base, "sid": [ann["session"]["id"]]},
        "typ-uppercase": {**base, "typ": "ACCESS"},
    }
    for name, claims in cases.items():
        resp = await api.get(f"{AUTH}/me", headers=bearer(forge({"alg": "HS256", "typ": "JWT"}, claims, secret)))
        assert resp.status_code == 401, (name, resp.text)
        assert resp.json() == INVALID_TOKEN, name
    assert await me_status(api, bob["accessToken"]) == 200


# -- token type confusion ---------------------------------------------------------------------------------------
async def test_access_token_presented_as_refresh_token_is_refused_and_changes_nothing(api: Client, db: Conn) -> None:
    data = await register(api)
    assert_invalid_token(await refresh(api, data["accessToken"]))
    # logout with it: treated as an unknown refresh token (200, nothing revoked)
    resp = await api.post(f"{AUTH}/logout", json={"refreshToken": data["accessToken"]})
    assert resp.json() == {"success": True, "data": {"revokedSessions": 0}}
    assert Q.session_row(db, id=data["session"]["id"])["revoked_at"] is None
    assert await me_status(api, data["accessToken"]) == 200
    assert (await refresh(api, data["refreshToken"])).status_code == 200


async def test_refresh_token_presented_as_access_token_is_401(api: Client) -> None:
    data = await register(api)
    for path in ("/me", "/sessions"):
        assert_invalid_token(await api.get(f"{AUTH}{path}", headers=bearer(data["refreshToken"])))
    resp = await api.get("/api/v1/workspaces", headers=bearer(data["refreshToken"]))
    assert_invalid_token(resp)
    # the refresh token still works for what it is for
    assert (await refresh(api, data["refreshToken"])).status_code == 200


# -- dead sessions ----------------------------------------------------------------------------------------------
async def test_tokens_of_a_deleted_session_stop_working(api: Client, db: Conn) -> None:
    data = await register(api)
    other = await login(api, "ann@example.com", PASSWORD)
    assert Q.delete_session(db, id=data["session"]["id"]) == 1
    assert_invalid_token(await api.get(f"{AUTH}/me", headers=bearer(data["accessToken"])))
    assert_invalid_token(await refresh(api, data["refreshToken"]))
    assert await me_status(api, other.json()["data"]["accessToken"]) == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/workspaces", "/api/v1/auth/sessions", "/api/v1/audit/events", "/api/v1/drifts?workspaceId=x"]
)
async def test_a_revoked_session_is_401_on_every_route_family_not_404_or_403(api: Client, path: str) -> None:
    """After logout-all on another device, the old token is refused before any lookup (401 precedes 404/403)."""
    stolen = await register(api)
    owner = (await login(api, "ann@example.com", PASSWORD)).json()["data"]
    assert (await api.get(path, headers=bearer(stolen["accessToken"]))).status_code != 401
    assert (await api.post(f"{AUTH}/logout-all", headers=bearer(owner["accessToken"]))).status_code == 200
    assert_invalid_token(await api.get(path, headers=bearer(stolen["accessToken"])))


# -- stolen refresh tokens (reuse detection, domain.md §3.4) -----------------------------------------------------
async def test_thief_who_rotates_first_loses_everything_when_the_victim_comes_back(api: Client, db: Conn) -> None:
    victim = await register(api)
    thief_pair = (await refresh(api, victim["refreshToken"])).json()["data"]  # the thief uses the stolen token
    thief_next = (await refresh(api, thief_pair["refreshToken"])).json()["data"]
    assert await me_status(api, thief_next["accessToken"]) == 200

    # the victim's client presents the token it still holds: reuse → the whole family is revoked
    assert_invalid_token(await refresh(api, victim["refreshToken"]))
    for access in (thief_pair["accessToken"], thief_next["accessToken"], victim["accessToken"]):
        assert_invalid_token(await api.get(f"{AUTH}/me", headers=bearer(access)))
    for token in (thief_pair["refreshToken"], thief_next["refreshToken"]):
        assert_invalid_token(await refresh(api, token))
    session = Q.session_row(db, id=victim["session"]["id"])
    assert session["revoked_reason"] == "refresh_reuse"
    assert Q.live_refresh_tokens(db, session_id=victim["session"]["id"]) == 0
    assert [e["after_state"]["logoutType"] for e in Q.logout_events(db, target_id=session["id"])] == ["reuse_detected"]


async def test_reuse_of_a_token_several_generations_old_revokes_the_family(api: Client, db: Conn) -> None:
    data = await register(api)
    tokens = [data["refreshToken"]]
    for _ in range(4):
        tokens.append((await refresh(api, tokens[-1])).json()["data"]["refreshToken"])
    assert_invalid_token(await refresh(api, tokens[1]))  # three generations behind the current one
    assert_invalid_token(await refresh(api, tokens[-1]))
    assert Q.session_row(db, id=data["session"]["id"])["revoked_reason"] == "refresh_reuse"
    # presenting more old tokens records nothing more (one LOGOUT for the family)
    for token in tokens:
        assert_invalid_token(await refresh(api, token))
    assert len(list(Q.logout_events(db, target_id=data["session"]["id"]))) == 1


async def test_reuse_in_one_session_leaves_the_users_other_sessions_alone(api: Client, db: Conn) -> None:
    phone = await register(api)
    laptop = (await login(api, "ann@example.com", PASSWORD)).json()["data"]
    await refresh(api, phone["refreshToken"])
    assert_invalid_token(await refresh(api, phone["refreshToken"]))
    assert await me_status(api, laptop["accessToken"]) == 200
    assert (await refresh(api, laptop["refreshToken"])).status_code == 200
    assert Q.session_row(db, id=laptop["session"]["id"])["revoked_at"] is None


# -- brute force (domain.md §3.6) -------------------------------------------------------------------------------
async def test_rotating_forwarded_ips_does_not_bypass_the_account_limit(db_url: str) -> None:
    """A distributed guesser (a new client IP per try, through a trusted proxy) still meets the account limit."""
    async with AsyncTestClient(app=create_app(api_settings(db_url, NEXUS_TRUST_PROXY="1"))) as api:
        await register(api)
        for i in range(10):
            resp = await login(api, "ann@example.com", f"guess-{i}", **{"X-Forwarded-For": f"198.51.100.{i + 1}"})
            assert resp.status_code == 401
        resp = await login(api, "ann@example.com", PASSWORD, **{"X-Forwarded-For": "198.51.100.200"})
        assert resp.status_code == 429, resp.text
        assert resp.json()["error"]["code"] == "RATE_LIMITED"
        assert 1 <= int(resp.headers["Retry-After"]) <= 900


def test_throttling_holds_across_two_app_instances_under_a_parallel_burst(db_url: str) -> None:
    """Two instances on one database (a scaled-out deployment): a parallel burst split over both buys 10 guesses,
    not 20. (Threads over sync clients: each app serves its requests concurrently in its own portal loop.)"""
    settings = api_settings(db_url)
    burst = 24
    barrier = threading.Barrier(burst)
    with (
        TestClient(app=create_app(settings), base_url="http://testserver.local") as one,
        TestClient(app=create_app(settings), base_url="http://testserver.local") as two,
    ):
        body = {"email": "ann@example.com", "name": "Ann", "password": PASSWORD}
        assert one.post(f"{AUTH}/register", json=body).status_code == 201

        def guess(i: int) -> httpx.Response:
            barrier.wait()
            return (one, two)[i % 2].post(f"{AUTH}/login", json={"email": "ann@example.com", "password": f"g-{i}"})

        with ThreadPoolExecutor(burst) as pool:
            responses = list(pool.map(guess, range(burst)))
        codes = [r.status_code for r in responses]
        assert codes.count(401) == 10, codes
        assert codes.count(429) == burst - 10, codes
        assert all(int(r.headers["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
        right = two.post(f"{AUTH}/login", json={"email": "ann@example.com", "password": PASSWORD})
        assert right.status_code == 429  # even the right password, on either instance


# -- timing side channel (domain.md §3.2) -----------------------------------------------------------------------
async def test_unknown_and_known_emails_cost_the_same_within_noise(api: Client) -> None:
    """The median login time for an unknown email and for a known email with a wrong password are within 2x.

    This is not a wall-time assertion: no absolute duration is asserted, only the ratio of two medians measured
    interleaved on the same machine, so load slows both sides alike. The bound is generous on purpose: without the
    dummy-hash verification an unknown email skips argon2 entirely and is ~5-20x faster even with the cheap test
    profile (argon2 is most of a login's cost), so a regression lands far outside it, while scheduler noise on a
    shared 2-core machine is absorbed by the medians of 18 samples each.
    """
    known = [f"user{i}@example.com" for i in range(3)]
    for email in known:
        await register(api, email)
    # warm-up: the first unknown email computes the dummy hash once; connections and code paths get warm
    await login(api, "warmup-ghost@example.com", "wrong password")
    await login(api, known[0], "wrong password")

    async def timed(email: str) -> float:
        start = time.perf_counter()
        resp = await login(api, email, "wrong password")
        elapsed = time.perf_counter() - start
        assert resp.status_code == 401, resp.text  # never 429: ≤ 7 failures per account, < 50 per IP in total
        return elapsed

    unknown_times: list[float] = []
    known_times: list[float] = []
    for i in range(18):
        known_times.append(await timed(known[i % 3]))
        unknown_times.append(await timed(f"ghost{i}@example.com"))
    ratio = statistics.median(unknown_times) / statistics.median(known_times)
    assert 0.5 <= ratio <= 2.0, (ratio, unknown_times, known_times)


# -- password hashing cost --------------------------------------------------------------------------------------
# OWASP Password Storage Cheat Sheet, argon2id minimums (equivalent combinations): memory KiB → minimum time cost.
OWASP_ARGON2ID = {47104: 1, 19456: 2, 12288: 3, 9216: 4, 7168: 5}


def meets_owasp(memory_kib: int, time_cost: int, parallelism: int) -> bool:
    return parallelism >= 1 and any(memory_kib >= m and time_cost >= t for m, t in OWASP_ARGON2ID.items())


def test_production_password_profile_meets_owasp_argon2id_minimums() -> None:
    """The hashes production writes are argon2id with m ≥ 19 MiB, t ≥ 2, p ≥ 1 (or an OWASP-equivalent combo)."""
    params = argon2.extract_parameters(hasher("default").hash("any password"))
    assert params.type is argon2.Type.ID
    assert meets_owasp(params.memory_cost, params.time_cost, params.parallelism), params
    assert params.salt_len >= 16 and params.hash_len >= 32
    # the check itself can fail: the test profile is below the floor
    cheap = argon2.extract_parameters(hasher("test").hash("any password"))
    assert not meets_owasp(cheap.memory_cost, cheap.time_cost, cheap.parallelism)


def test_the_cheap_profile_is_refused_in_production() -> None:
    from nexus.config import ConfigError, load_settings

    env = {"NEXUS_ENV": "production", "NEXUS_PASSWORD_PROFILE": "test", "NEXUS_JWT_SECRET": JWT_SECRET}
    with pytest.raises(ConfigError, match="PASSWORD_PROFILE"):
        load_settings(env, dotenv=Path("/nonexistent"))
