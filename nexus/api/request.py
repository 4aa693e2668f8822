"""Request body rules for every JSON route (api.md §1.5), applied before any model validation.

An empty body means `{}`; a non-empty body needs a JSON content type (415); it must be UTF-8, JSON, nested at most
32 levels and free of NUL characters and lone surrogates (400). The guards (401/404/403) run before any of this.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException
from litestar.types import Empty

from nexus.domain.errors import ValidationFailed

MAX_DEPTH = 32


class UnsupportedMediaTypeError(HTTPException):
    status_code = 415


def _too_deep(body: bytes) -> bool:
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _bad_string(value: Any) -> str | None:
    """The reason a decoded JSON value cannot be stored in PostgreSQL text, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "Text must not contain NUL characters"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "Text must not contain unpaired surrogates"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def decode_json_body(body: bytes, content_type: str) -> Any:
    if not body.strip():
        return {}
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise UnsupportedMediaTypeError(detail="Request body must be application/json")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("Request body is not valid UTF-8", field="body") from None
    if _too_deep(body):
        raise ValidationFailed(f"JSON nested deeper than {MAX_DEPTH} levels", field="body")
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise ValidationFailed("Malformed JSON", field="body") from None
    problem = _bad_string(value)
    if problem:
        raise ValidationFailed(problem, field="body")
    return value


class NexusRequest(Request[Any, Any, Any]):
    """Litestar request whose JSON body follows the rules above (an empty body decodes as `{}`)."""

    async def json(self) -> Any:
        if self._json is Empty:
            body = await super().body()
            content_type, _ = self.content_type
            self._json = decode_json_body(body, content_type)
        return self._json

    async def body(self) -> bytes:
        raw = await super().body()
        # Litestar skips model parsing for an empty body; the contract says an empty JSON body means `{}`.
        return raw if raw.strip() else b"{}"
