"""The outermost ASGI layer: request ids, security headers and CORS on EVERY response (api.md §1.3, §1.9).

It wraps the whole application, not only route handlers, so router-level answers (404, 405), preflights and
errors carry the same headers. CORS: exact origin match, never `*`; a preflight from an allowed origin answers 200
without authentication; a disallowed origin gets no CORS headers at all and is not rejected server-side.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Message, Receive, Scope, Send

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Content-Type, Authorization, If-Match, Idempotency-Key, X-Request-Id"
EXPOSE_HEADERS = "ETag, Retry-After, Content-Disposition, X-Request-Id"
_SECURITY = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def edge(app: ASGIApp, origins: Iterable[str]) -> ASGIApp:
    allowed = {o.encode("latin-1") for o in origins}

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        sent_id = headers.get(b"x-request-id", b"")
        rid = sent_id if _REQUEST_ID.match(sent_id) else secrets.token_hex(16).encode()
        scope.setdefault("state", {})["request_id"] = rid.decode()
        origin = headers.get(b"origin")
        origin_ok = origin is not None and origin in allowed

        common = [(b"x-request-id", rid), *_SECURITY]
        if origin_ok:
            assert origin is not None
            common += [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-credentials", b"true"),
                (b"vary", b"Origin"),
            ]

        if scope.get("method") == "OPTIONS" and origin is not None and b"access-control-request-method" in headers:
            extra = (
                [
                    (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                    (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                    (b"access-control-max-age", b"600"),
                ]
                if origin_ok
                else []
            )
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 200,
                "headers": [*common, *extra, (b"content-length", b"0")],
            }
            await send(start)
            body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(body)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {b"x-request-id", *(name for name, _ in common)}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                extra = [(b"access-control-expose-headers", EXPOSE_HEADERS.encode())] if origin_ok else []
                message = {**message, "headers": [*kept, *common, *extra]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return handler
