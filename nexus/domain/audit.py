"""Audit hash chain in pure Python (domain.md §11.4): the canonical encoding of an event and its hash.

The database computes the same encoding in `nexus_audit_canonical()` (migration 0007) as the `::text` of a
jsonb object; this module reproduces jsonb's output form byte for byte so `nexus audit verify` can recompute
every hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64
"""`prev_hash` of the first event of a chain."""

GLOBAL_CHAIN = "global"
"""Chain id of events without a workspace."""

CANONICAL_VERSION = 1

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _encode_string(value: str) -> str:
    # jsonb escape_json(): the short escapes above, other control characters as lowercase \u00xx, the rest
    # (including all non-ASCII) verbatim.
    out = ['"']
    for ch in value:
        escaped = _ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key_order(key: str) -> tuple[int, bytes]:
    # jsonb stores object keys sorted by length, then bytewise (both on the UTF-8 bytes).
    raw = key.encode("utf-8")
    return (len(raw), raw)


def _encode_number(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    dec = value if isinstance(value, Decimal) else Decimal(repr(value))
    if not dec.is_finite():
        raise ValueError(f"JSON has no representation for {value!r}")
    if dec.is_zero():
        dec = dec.copy_abs()  # numeric has no negative zero
    # jsonb prints numbers with numeric_out: plain positional notation, the stored scale kept. Load jsonb with
    # Decimal (not float) to keep trailing zeros such as 1.50; Nexus states hold integers only (§11.2).
    return format(dec, "f")


def encode_jsonb(value: Any) -> str:
    """The text PostgreSQL prints for `value::jsonb::text` (value: JSON-like Python data)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, int | float | Decimal):
        return _encode_number(value)
    if isinstance(value, Mapping):
        items = []
        for key in sorted(value, key=_key_order):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
            items.append(f"{_encode_string(key)}: {encode_jsonb(value[key])}")
        return "{" + ", ".join(items) + "}"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "[" + ", ".join(encode_jsonb(item) for item in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def format_timestamp(value: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC (the database formats it with to_char, pattern `...US"Z"`)."""
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: object) -> str | None:
    # Enum members and similar arrive as objects with a string value; NULL stays None.
    if value is None:
        return None
    if isinstance(value, str):
        return value
    inner = getattr(value, "value", None)
    return inner if isinstance(inner, str) else str(value)


def canonical_document(event: Mapping[str, Any]) -> dict[str, Any]:
    """The object whose jsonb text is hashed, built from an `audit_events` row (column names as keys)."""
    timestamp = event["timestamp"]
    workspace_id = event.get("workspace_id")
    chain_id = event.get("chain_id") or (workspace_id if workspace_id is not None else GLOBAL_CHAIN)
    return {
        "v": CANONICAL_VERSION,
        "chainId": chain_id,
        "seq": int(event["seq"]),
        "prevHash": event["prev_hash"],
        "id": event["id"],
        "workspaceId": workspace_id,
        "timestamp": format_timestamp(timestamp) if isinstance(timestamp, datetime) else timestamp,
        "actorId": event["actor_id"],
        "actorName": event["actor_name"],
        "eventType": _text(event["event_type"]),
        "targetType": event.get("target_type"),
        "targetId": event.get("target_id"),
        "beforeState": event.get("before_state"),
        "afterState": event.get("after_state"),
        "reason": event.get("reason"),
        "reasonCategory": _text(event.get("reason_category")),
    }


def canonical_encoding(event: Mapping[str, Any]) -> str:
    """The canonical text of an `audit_events` row, equal to the database's `nexus_audit_canonical(row)`."""
    return encode_jsonb(canonical_document(event))


def event_hash(event: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical encoding (UTF-8): the `hash` the chain trigger stores for this row."""
    return hashlib.sha256(canonical_encoding(event).encode("utf-8")).hexdigest()
