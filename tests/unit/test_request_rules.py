"""Request body rules (api.md §1.5) as `decode_json_body` applies them before any model validation: an empty body is
`{}`, a non-empty one needs a JSON content type (415), valid UTF-8, valid JSON, at most 32 levels of nesting, and no
NUL or lone surrogate in any string (400 VALIDATION_ERROR)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus.api.request import MAX_DEPTH, UnsupportedMediaTypeError, decode_json_body
from nexus.domain.errors import ValidationFailed

JSON = "application/json"


def _rejected(body: bytes, content_type: str = JSON) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        decode_json_body(body, content_type)
    error = info.value
    assert error.status == 400 and error.code == "VALIDATION_ERROR"
    assert isinstance(error.details, list) and error.details
    assert all(set(d) == {"field", "message"} for d in error.details)
    return error


def depth(value: Any) -> int:
    """Nesting level of a JSON value: scalars 0, `[]`/`{}` 1, `[[]]` 2, ..."""
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


def arrays(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# -- empty bodies and content types ----------------------------------------------------------------------------
@pytest.mark.parametrize("body", [b"", b" ", b"\n\t\r ", b"  \n"])
@pytest.mark.parametrize("content_type", [JSON, "", "text/plain", "multipart/form-data"])
def test_an_empty_body_is_an_empty_object(body: bytes, content_type: str) -> None:
    assert decode_json_body(body, content_type) == {}


@pytest.mark.parametrize("content_type", [JSON, "application/vnd.api+json", "application/problem+json"])
def test_json_content_types_are_decoded(content_type: str) -> None:
    assert decode_json_body(b'{"a": [1, "x", null, true]}', content_type) == {"a": [1, "x", None, True]}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/octet-stream",
        "application/jsonx",
    ],
)
def test_a_body_with_another_content_type_is_415(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as info:
        decode_json_body(b'{"a": 1}', content_type)
    assert info.value.status_code == 415


def test_the_content_type_is_checked_before_the_body() -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        decode_json_body(b"\xff not even utf-8", "text/plain")


# -- malformed JSON and UTF-8 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"}",
        b"{'a': 1}",
        b'{"a": }',
        b'{"a" 1}',
        b"[1, 2",
        b'{"a": 1} {"b": 2}',
        b"nul",
        b"NaN",
        b'"\\x41"',
        b"\xef\xbb\xbf{}",
        b'{"a": 01}',
        b'"tab\there"',
    ],
)
def test_malformed_json_is_400(body: bytes) -> None:
    _rejected(body)


@pytest.mark.parametrize(
    "body",
    [b'"\xff"', b'"\xc3\x28"', b'"\xe2\x82"', b'"\xed\xa0\x80"', b'"\xf8\x88\x80\x80\x80"', b'{"a": "\x80"}'],
)
def test_invalid_utf8_is_400(body: bytes) -> None:
    error = _rejected(body)
    assert "UTF-8" in error.message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"1", 1),
        (b'"x"', "x"),
        (b"null", None),
        (b"[]", []),
        ('{"name": "Zoë 😀"}'.encode(), {"name": "Zoë 😀"}),
        (b'{"e": "\\u00e9\\ud83d\\ude00"}', {"e": "é😀"}),
        (b'{"a": 1, "a": 2}', {"a": 2}),
        (b'{"big": 123456789012345678901234567890}', {"big": 123456789012345678901234567890}),
    ],
)
def test_valid_json_decodes(body: bytes, expected: Any) -> None:
    assert decode_json_body(body, JSON) == expected


# -- depth ------------------------------------------------------------------------------------------------------
def test_max_depth_is_32() -> None:
    assert MAX_DEPTH == 32


@pytest.mark.parametrize("levels", [1, 2, 31, 32])
def test_nesting_up_to_32_levels_is_accepted(levels: int) -> None:
    decode_json_body(arrays(levels), JSON)
    decode_json_body(b'{"a":' * levels + b"1" + b"}" * levels, JSON)


@pytest.mark.parametrize("levels", [33, 34, 100, 100_000])
def test_nesting_deeper_than_32_levels_is_400(levels: int) -> None:
    _rejected(arrays(levels))
    _rejected(b'{"a":' * levels + b"1" + b"}" * levels)


def test_depth_counts_mixed_objects_and_arrays() -> None:
    ok = b'{"a": [{"b": [' * 8 + b"1" + b"]}]}" * 8  # 32 levels
    decode_json_body(ok, JSON)
    _rejected(b"[" + ok + b"]")


def test_brackets_inside_strings_do_not_count() -> None:
    body = json.dumps({"s": "[" * 100 + "{" * 100, "t": 'quote \\" [[[[', "u": "\\\\"}).encode()
    assert decode_json_body(body, JSON)["s"] == "[" * 100 + "{" * 100


def test_escaped_quotes_do_not_end_a_string_for_the_depth_scan() -> None:
    body = b'{"s": "a\\"' + b"[" * 40 + b'"}'
    assert decode_json_body(body, JSON) == {"s": 'a"' + "[" * 40}
    body = b'{"s": "a\\\\", "t": ' + arrays(32) + b"}"  # an escaped backslash ends before the closing quote
    _rejected(body)


def test_depth_is_checked_before_parsing_a_huge_nest() -> None:
    error = _rejected(arrays(1_000_000))
    assert "32" in error.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=60,
)


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


def _deepen(value: Any, extra: int) -> Any:
    for _ in range(extra):
        value = [value]
    return value


@settings(max_examples=300)
@given(value=json_values, extra=st.integers(min_value=0, max_value=40))
def test_decoding_matches_json_or_rejects_exactly_the_bad_bodies(value: Any, extra: int) -> None:
    value = _deepen(value, extra)
    body = json.dumps(value, ensure_ascii=False).encode()
    if depth(value) > MAX_DEPTH or has_nul(value):
        _rejected(body)
    else:
        assert decode_json_body(body, JSON) == value


# -- strings PostgreSQL cannot store ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b'"\\u0000"',
        b'{"a": "x\\u0000y"}',
        b'{"a\\u0000": 1}',
        b'{"a": [{"b": ["\\u0000"]}]}',
        b'[1, 2, {"deep": {"deeper": "\\u0000"}}]',
    ],
)
def test_nul_anywhere_is_400(body: bytes) -> None:
    error = _rejected(body)
    assert "NUL" in error.message


@pytest.mark.parametrize(
    "body",
    [
        b'"\\ud800"',
        b'"\\udfff"',
        b'{"a": "x\\ud83d"}',
        b'{"a": "\\ude00\\ud83d"}',  # pair in the wrong order
        b'{"\\ud800": 1}',
        b'[[["\\udbff"]]]',
    ],
)
def test_lone_surrogate_escapes_are_400(body: bytes) -> None:
    _rejected(body)


@given(st.text(min_size=1, max_size=30))
def test_any_nul_free_text_round_trips(text: str) -> None:
    body = json.dumps({"t": text}).encode()  # ensure_ascii: non-ASCII as \\u escapes, astral as surrogate pairs
    if "\x00" in text:
        _rejected(body)
    else:
        assert decode_json_body(body, JSON) == {"t": text}


@given(st.integers(min_value=0xD800, max_value=0xDFFF))
def test_every_lone_surrogate_escape_is_400(code: int) -> None:
    _rejected(f'{{"t": "a\\u{code:04x}b"}}'.encode())
