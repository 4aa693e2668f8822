"""Access and refresh tokens (domain.md §3.3): HS256 JWTs carrying the session id, opaque refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from nexus.domain.errors import InvalidToken

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "sid", "typ", "iat", "exp", "jti")


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str


def mint_access_token(secret: str, user_id: str, session_id: str, now: datetime, ttl_seconds: int) -> str:
    iat = int(now.timestamp())
    payload = {
        "sub": user_id,
        "sid": session_id,
        "typ": "access",
        "iat": iat,
        "exp": iat + ttl_seconds,
        "jti": secrets.token_hex(16),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_access_token(secret: str, token: str) -> AccessClaims:
    """Algorithm pinned to HS256, every claim required, `typ` must be `access`, no leeway; else INVALID_TOKEN."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": list(REQUIRED_CLAIMS), "verify_exp": True, "verify_iat": True},
            leeway=0,
        )
    except jwt.PyJWTError:
        raise InvalidToken() from None
    sub, sid, typ = claims.get("sub"), claims.get("sid"), claims.get("typ")
    if typ != "access" or not isinstance(sub, str) or not isinstance(sid, str) or not sub or not sid:
        raise InvalidToken()
    # NumericDate is a JSON number (RFC 7519 §2); PyJWT would also take a numeric string such as "1700000000".
    if not all(isinstance(claims.get(k), int) and not isinstance(claims.get(k), bool) for k in ("iat", "exp")):
        raise InvalidToken()
    return AccessClaims(user_id=sub, session_id=sid)


def new_refresh_token() -> str:
    """32 random bytes, base64url without padding (43 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def refresh_token_digest(token: str) -> str:
    """What is stored: the SHA-256 hex of the token, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def expiry(now: datetime, ttl_seconds: int) -> datetime:
    return now + timedelta(seconds=ttl_seconds)
