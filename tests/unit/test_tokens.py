"""Access and refresh tokens (domain.md §3.3): HS256 JWTs pinned and strictly verified, opaque refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus.domain.errors import InvalidToken
from nexus.domain.tokens import (
    REQUIRED_CLAIMS,
    AccessClaims,
    mint_access_token,
    new_refresh_token,
    refresh_token_digest,
    verify_access_token,
)

SECRET = "unit-secret-0123456789-0123456789-abcdef"
OTHER_SECRET = "other-secret-0123456789-0123456789-abcdef"


def _now() -> datetime:
    return datetime.now(UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "u-1",
        "sid": "s-1",
        "typ": "access",
        "iat": now,
        "exp": now + 60,
        "jti": "ab" * 16,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _invalid(token: str, secret: str = SECRET) -> None:
    with pytest.raises(InvalidToken) as info:
        verify_access_token(secret, token)
    assert info.value.status == 401 and info.value.code == "INVALID_TOKEN"
    assert info.value.message == "Invalid or expired token"


# -- access tokens ---------------------------------------------------------------------------------------------
def test_mint_then_verify_round_trips() -> None:
    token = mint_access_token(SECRET, "user-1", "session-1", _now(), 900)
    assert verify_access_token(SECRET, token) == AccessClaims(user_id="user-1", session_id="session-1")


def test_minted_claims_and_header() -> None:
    now = _now()
    token = mint_access_token(SECRET, "user-1", "session-1", now, 900)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert set(claims) == set(REQUIRED_CLAIMS) == {"sub", "sid", "typ", "iat", "exp", "jti"}
    assert claims["sub"] == "user-1" and claims["sid"] == "session-1" and claims["typ"] == "access"
    assert claims["iat"] == int(now.timestamp())
    assert claims["exp"] == claims["iat"] + 900
    assert re.fullmatch(r"[0-9a-f]{32}", claims["jti"])  # 128-bit random hex


def test_every_token_has_its_own_jti() -> None:
    now = _now()
    tokens = {mint_access_token(SECRET, "u", "s", now, 60) for _ in range(50)}
    jtis = {jwt.decode(t, SECRET, algorithms=["HS256"])["jti"] for t in tokens}
    assert len(tokens) == len(jtis) == 50


@given(
    user_id=st.text(min_size=1, max_size=64).filter(lambda s: "\x00" not in s),
    session_id=st.text(min_size=1, max_size=64).filter(lambda s: "\x00" not in s),
    ttl=st.integers(min_value=5, max_value=10_000_000),
)
def test_round_trip_for_any_ids_and_ttl(user_id: str, session_id: str, ttl: int) -> None:
    token = mint_access_token(SECRET, user_id, session_id, _now(), ttl)
    assert verify_access_token(SECRET, token) == AccessClaims(user_id, session_id)


def test_wrong_secret_is_rejected() -> None:
    _invalid(mint_access_token(OTHER_SECRET, "u", "s", _now(), 60))


def test_tampered_payload_is_rejected() -> None:
    token = mint_access_token(SECRET, "user-1", "session-1", _now(), 60)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "user-2"
    _invalid(f"{header}.{_b64(json.dumps(claims).encode())}.{signature}")


def test_tampered_signature_is_rejected() -> None:
    token = mint_access_token(SECRET, "user-1", "session-1", _now(), 60)
    head, _, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    _invalid(f"{head}.{flipped}")
    _invalid(f"{head}.")


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_with_the_right_key_are_rejected(algorithm: str) -> None:
    _invalid(jwt.encode(_claims(), SECRET, algorithm=algorithm))


def test_alg_none_is_rejected() -> None:
    header = _b64(b'{"alg":"none","typ":"JWT"}')
    payload = _b64(json.dumps(_claims()).encode())
    _invalid(f"{header}.{payload}.")
    _invalid(f"{header}.{payload}.{_b64(b'x')}")


def test_a_hand_made_token_with_all_claims_is_accepted() -> None:
    assert verify_access_token(SECRET, jwt.encode(_claims(), SECRET, algorithm="HS256")) == AccessClaims("u-1", "s-1")


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_every_claim_is_required(claim: str) -> None:
    _invalid(jwt.encode(_claims(**{claim: None}), SECRET, algorithm="HS256"))


@pytest.mark.parametrize("typ", ["refresh", "Access", "ACCESS", "", "id"])
def test_typ_must_be_access(typ: str) -> None:
    _invalid(jwt.encode(_claims(typ=typ), SECRET, algorithm="HS256"))


@pytest.mark.parametrize(("claim", "value"), [("sub", ""), ("sid", ""), ("sub", 42), ("sid", 42), ("sid", ["s"])])
def test_sub_and_sid_must_be_non_empty_strings(claim: str, value: Any) -> None:
    _invalid(jwt.encode(_claims(**{claim: value}), SECRET, algorithm="HS256"))


def test_expiry_has_no_leeway() -> None:
    now = int(time.time())
    _invalid(jwt.encode(_claims(iat=now - 60, exp=now - 1), SECRET, algorithm="HS256"))
    _invalid(jwt.encode(_claims(iat=now - 60, exp=now), SECRET, algorithm="HS256"))  # exp <= now is expired
    assert verify_access_token(SECRET, jwt.encode(_claims(iat=now, exp=now + 5), SECRET, algorithm="HS256"))


def test_a_minted_token_expires_after_its_ttl() -> None:
    issued = _now() - timedelta(seconds=901)
    _invalid(mint_access_token(SECRET, "u", "s", issued, 900))
    fresh = _now() - timedelta(seconds=890)
    assert verify_access_token(SECRET, mint_access_token(SECRET, "u", "s", fresh, 900))


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b", "a.b.c", "a.b.c.d", "..", "Bearer x", "eyJhbGciOiJIUzI1NiJ9.e30.", "\u00e9.\u00e9.\u00e9"],
)
def test_garbage_is_rejected(token: str) -> None:
    _invalid(token)


@given(st.text(max_size=300))
def test_arbitrary_text_never_verifies_and_never_crashes(token: str) -> None:
    _invalid(token)


# -- refresh tokens --------------------------------------------------------------------------------------------
def test_refresh_token_is_43_chars_of_base64url_for_32_random_bytes() -> None:
    for _ in range(200):
        token = new_refresh_token()
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
        assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_refresh_tokens_are_unique() -> None:
    assert len({new_refresh_token() for _ in range(1000)}) == 1000


def test_refresh_digest_is_sha256_hex() -> None:
    token = new_refresh_token()
    digest = refresh_token_digest(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert refresh_token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@given(st.text())
def test_digest_is_deterministic_64_hex_and_never_the_token(token: str) -> None:
    digest = refresh_token_digest(token)
    assert digest == refresh_token_digest(token)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest != token
