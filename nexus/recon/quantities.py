"""Quantities inside free text (§8.2 forms, scanned left to right) and value formatting like a variable (§9.4)."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from nexus.domain.drift import Quantity, parse_quantity

_NUM = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_N = rf"(?<![\w.,]){_NUM}(?![\d])"  # a whole number token (not the tail of a word or a longer number)
_SCALE = r"(?:\s*(?i:k|thousand|mm|mn|million|m|bn|billion|b)(?![A-Za-z]))"
_END = r"(?![A-Za-z])"
# §8.2 order: ratio, multiple, percent, bps, currency prefix, currency suffix, duration, bare number.
_FORMS = (
    re.compile(rf"{_N}\s*:\s*{_NUM}(?!\d)"),
    re.compile(rf"{_N}\s*(?i:x|×|times){_END}"),
    re.compile(rf"{_N}\s*(?i:%|per\s+cent\.?|percent{_END})"),
    re.compile(rf"{_N}\s*(?i:bps|bp|basis\s+points?){_END}"),
    re.compile(rf"(?<![A-Za-z])(?:[A-Z]{{3}}\s*|[$€£]\s*){_NUM}(?!\d){_SCALE}?"),
    re.compile(rf"{_N}{_SCALE}?\s*[A-Z]{{3}}{_END}"),
    re.compile(rf"{_N}\s*(?i:days?|months?|years?){_END}"),
    re.compile(rf"{_N}{_SCALE}?"),
)
_BARE_FORM = len(_FORMS) - 1
# A bare number right after one of these words is a reference ("Clause 3", "Schedule 4"), not a quantity.
_REFERENCE = re.compile(
    r"(?i:clause|clauses|schedule|schedules|section|sections|paragraph|paragraphs|article|articles|part|annex|"
    r"exhibit|appendix|page|pages|rule|no\.?)\s*$"
)
_FIRST_NUM = re.compile(rf"({_NUM}){_SCALE}?")
_RAW_RATIO = re.compile(rf"\s*({_NUM})\s*:\s*({_NUM})\s*")


class Found(NamedTuple):
    """A quantity found in a text, with its span."""

    start: int
    end: int
    text: str
    quantity: Quantity


def scan(text: str, unit: str | None) -> list[Found]:
    """All quantities of `text` left to right; overlaps resolved by position then §8.2 form order."""
    candidates: list[tuple[int, int, int]] = []
    for form, pattern in enumerate(_FORMS):
        for m in pattern.finditer(text):
            if form == _BARE_FORM and _REFERENCE.search(text, 0, m.start()):
                continue
            candidates.append((m.start(), form, m.end()))
    candidates.sort()
    out: list[Found] = []
    last_end = 0
    for start, _form, end in candidates:
        if start < last_end:
            continue
        piece = text[start:end]
        q = parse_quantity(piece, unit)
        if q is not None:
            out.append(Found(start, end, piece, q))
            last_end = end
    return out


def _decimals(num: str) -> int:
    return len(num.split(".", 1)[1]) if "." in num else 0


def _format(value: Fraction, decimals: int, commas: bool) -> str:
    places = decimals
    while places < 6 and (value * 10**places).denominator != 1:
        places += 1
    rounded = round(Decimal(value.numerator) / Decimal(value.denominator), places)
    return f"{rounded:,.{places}f}" if commas else f"{rounded:.{places}f}"


def format_like(raw: str, unit: str | None, value: Quantity) -> str | None:
    """`value` written like the variable's raw value `raw` (same decimals, commas iff `raw` has them).

    "300 basis points" for "275"/bps → "300"; "5.00:1.00" for "4.50"/x → "5.00"; "USD 10,000,000" for
    "5,000,000"/USD → "10,000,000". None when the value cannot be expressed in the variable's class.
    """
    own = parse_quantity(raw, unit)
    if own is None or own.cls != value.cls:
        return None
    if ratio := _RAW_RATIO.fullmatch(raw):
        divisor = Fraction(Decimal(ratio[2].replace(",", "")))
        numerator = _format(value.value * divisor, _decimals(ratio[1]), "," in ratio[1])
        return raw[: ratio.start(1)] + numerator + raw[ratio.end(1) :]
    m = _FIRST_NUM.search(raw)
    if m is None:
        return None
    template = (raw[: m.start(1)], raw[m.end(1) :])
    unit_value = parse_quantity(template[0] + "1" + template[1], unit)
    if unit_value is None or unit_value.cls != value.cls or unit_value.value == 0:
        return None
    number = _format(value.value / unit_value.value, _decimals(m[1]), "," in m[1])
    return template[0] + number + template[1]
