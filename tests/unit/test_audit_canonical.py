"""nexus/domain/audit.py reproduces the database's canonical encoding and hash byte for byte (domain.md §11.4).

Pure checks of the jsonb text form first, then a hypothesis test that inserts arbitrary events into audit_events
and compares the Python encoding and hash with `nexus_audit_canonical()` and the stored `hash`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from nexus.domain.audit import (
    GENESIS_HASH,
    canonical_document,
    canonical_encoding,
    encode_jsonb,
    event_hash,
    format_timestamp,
)

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "schema_tests.sql", "psycopg")

EVENT_TYPES = [
    "LOGIN", "LOGOUT", "WORKSPACE_CREATE", "INVITE_SENT", "ROLE_CHANGED", "MEMBER_REMOVED", "CLAUSE_EDIT",
    "VARIABLE_EDIT", "VARIABLE_BIND", "GRAPH_SYNC", "DRIFT_OVERRIDE", "DRIFT_REVERT", "DRIFT_APPROVE", "RECON_APPLY",
    "RECON_REJECT", "PUBLISH", "EXPORT_JSON", "EXPORT_AUDIT", "GOVERNANCE_UPDATED", "SECTION_LOCKED",
    "SECTION_UNLOCKED", "RECON_UPLOAD",
]  # fmt: skip
REASON_CATEGORIES = ["borrower_request", "market_conditions", "credit_update", "legal_requirement", "other"]


# --- pure encoding ---------------------------------------------------------------------------------------


def test_keys_sorted_by_byte_length_then_bytes() -> None:
    assert encode_jsonb({"bb": 1, "a": 2, "c": 3, "ab": 4}) == '{"a": 2, "c": 3, "ab": 4, "bb": 1}'
    # "é" is 2 UTF-8 bytes, so it sorts after the 1-byte "z" although it is one character.
    assert encode_jsonb({"é": 1, "z": 2, "aa": 3}) == '{"z": 2, "aa": 3, "é": 1}'
    assert encode_jsonb({"B": 1, "a": 2}) == '{"B": 1, "a": 2}'


def test_nested_values_and_separators() -> None:
    value = {"list": [1, True, None, "x", {"k": []}], "obj": {}}
    assert encode_jsonb(value) == '{"obj": {}, "list": [1, true, null, "x", {"k": []}]}'


def test_string_escapes_match_jsonb() -> None:
    assert encode_jsonb('q"b\\s/') == '"q\\"b\\\\s/"'
    assert encode_jsonb("\b\f\n\r\t") == '"\\b\\f\\n\\r\\t"'
    assert encode_jsonb("\x01\x1f\x7f") == '"\\u0001\\u001f\x7f"'
    assert encode_jsonb("€ 𝄞 \u2028") == '"€ 𝄞 \u2028"'


def test_numbers() -> None:
    assert encode_jsonb(-12345678901234567890) == "-12345678901234567890"
    assert encode_jsonb(Decimal("1.50")) == "1.50"
    assert encode_jsonb(1e20) == "100000000000000000000"
    assert encode_jsonb(Decimal("-0.0")) == "0.0"
    with pytest.raises(ValueError, match="no representation"):
        encode_jsonb(float("nan"))


def test_timestamp_format_is_utc_with_microseconds() -> None:
    ts = datetime(2024, 3, 5, 23, 30, 0, 7, tzinfo=timezone(timedelta(hours=-2)))
    assert format_timestamp(ts) == "2024-03-06T01:30:00.000007Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2024, 1, 1))


def test_canonical_document_keys_and_hash() -> None:
    row = {
        "id": "evt-1",
        "workspace_id": None,
        "timestamp": datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        "actor_id": "u-1",
        "actor_name": "Alice",
        "event_type": "LOGIN",
        "chain_id": "global",
        "seq": 1,
        "prev_hash": GENESIS_HASH,
    }
    doc = canonical_document(row)
    assert list(doc) == [
        "v", "chainId", "seq", "prevHash", "id", "workspaceId", "timestamp", "actorId", "actorName", "eventType",
        "targetType", "targetId", "beforeState", "afterState", "reason", "reasonCategory",
    ]  # fmt: skip
    text = canonical_encoding(row)
    assert text.startswith('{"v": 1, "id": "evt-1", "seq": 1, "reason": null, "actorId": "u-1", ')
    assert '"timestamp": "2024-01-02T03:04:05.600000Z"' in text
    assert event_hash(row) == hashlib.sha256(text.encode()).hexdigest()


# --- agreement with PostgreSQL ---------------------------------------------------------------------------

# PostgreSQL text cannot hold NUL, and UTF-8 cannot hold lone surrogates; everything else is fair game,
# with quotes, backslashes and control characters made likely.
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
_tricky = st.sampled_from(['"', "\\", "\n", "\t", "\x01", "\x1f", "\x7f", "é", "€", "𝄞", "\u2028", "/"])
text = st.lists(st.one_of(_chars, _tricky), max_size=20).map("".join)
short_text = st.lists(st.one_of(_chars, _tricky), max_size=12).map("".join)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(short_text, children, max_size=5),
    max_leaves=20,
)
states = st.none() | st.dictionaries(short_text, json_values, max_size=6)

events = st.fixed_dictionaries(
    {
        "workspace_id": st.sampled_from([None, "ws-a", "ws-b"]),
        "actor_id": st.sampled_from(["u-a", "u-b"]),
        "actor_name": text.filter(lambda s: len(s) <= 255),
        "event_type": st.sampled_from(EVENT_TYPES),
        "target_type": st.none() | text,
        "target_id": st.none() | text,
        "before_state": states,
        "after_state": states,
        "reason": st.none() | text,
        "reason_category": st.none() | st.sampled_from(REASON_CATEGORIES),
        "ts": st.none()
        | st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
    }
)


@pytest.fixture
def seeded_conn(db_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        Q.seed_two_workspaces(conn)
        yield conn


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events)
def test_python_encoding_equals_postgresql(
    seeded_conn: psycopg.Connection[dict[str, Any]], event: dict[str, Any]
) -> None:
    params = dict(event)
    for key in ("before_state", "after_state"):
        params[key] = None if event[key] is None else Jsonb(event[key])
    row = Q.append_full_audit_event(seeded_conn, **params)
    assert canonical_encoding(row) == row["canonical"]
    assert event_hash(row) == row["hash"]
    # The states read back are the ones written (jsonb keeps values; only key order is normalised).
    assert row["before_state"] == event["before_state"]
    assert row["after_state"] == event["after_state"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_encode_jsonb_equals_jsonb_text(seeded_conn: psycopg.Connection[dict[str, Any]], value: Any) -> None:
    row = Q.append_full_audit_event(
        seeded_conn,
        workspace_id=None,
        actor_id="u-a",
        actor_name="A",
        event_type="LOGIN",
        target_type=None,
        target_id=None,
        before_state=None,
        after_state=Jsonb({"v": value}),
        reason=None,
        reason_category=None,
        ts=None,
    )
    assert f'"afterState": {encode_jsonb({"v": value})}, ' in row["canonical"]
