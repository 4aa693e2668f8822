"""Drift rules (domain.md §7.5, §8.2–§8.4, §8.7): quantity parsing, equality, severity, titles, integrity. Pure, no I/O.

Values are exact: a parsed quantity is a `Fraction` built from `Decimal` literals (a ratio `a:b` stays exact).
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Literal, NamedTuple

Severity = Literal["HIGH", "MEDIUM", "LOW"]

TITLE_MAX = 255
_ELLIPSIS = "…"

_NUM = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SCALE = r"(?i:k|thousand|mm|mn|million|m|bn|billion|b)"
_SCALES: dict[str, int] = {
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mm": 10**6,
    "mn": 10**6,
    "million": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
}
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}

_RATIO = re.compile(rf"({_NUM})\s*:\s*({_NUM})")
_MULTIPLE = re.compile(rf"({_NUM})\s*(?i:x|×|times)")
_PERCENT = re.compile(rf"({_NUM})\s*(?i:%|per\s+cent\.?|percent)")
_BPS = re.compile(rf"({_NUM})\s*(?i:bps|bp|basis\s+points?)")
_CCY_PREFIX = re.compile(rf"(?:([A-Z]{{3}})\s*|([$€£])\s*)({_NUM})(?:\s*({_SCALE}))?")
_CCY_SUFFIX = re.compile(rf"({_NUM})(?:\s*({_SCALE}))?\s*([A-Z]{{3}})")
_DURATION = re.compile(rf"({_NUM})\s*(?i:(days?)|(months?)|(years?))")
_BARE = re.compile(rf"({_NUM})(?:\s*({_SCALE}))?")
_WS = re.compile(r"\s+")
_NUMBERING = re.compile(r"^\s*\d+(\.\d+)*[.)]?\s+")


class Quantity(NamedTuple):
    """A parsed value: exact `value` in its class' base unit (bps, months, days, currency units, a multiple)."""

    value: Fraction
    cls: str  # multiple | rate-bps | currency:CCY | duration-months | duration-days | number


def _normalise(text: str) -> str:
    return _WS.sub(" ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def _num(text: str) -> Fraction:
    return Fraction(Decimal(text.replace(",", "")))


def _scaled(num: str, scale: str | None) -> Fraction:
    value = _num(num)
    return value * _SCALES[scale.lower()] if scale else value


def _parse_unitful(s: str) -> Quantity | None:
    if m := _RATIO.fullmatch(s):
        divisor = _num(m[2])
        return Quantity(_num(m[1]) / divisor, "multiple") if divisor != 0 else None
    if m := _MULTIPLE.fullmatch(s):
        return Quantity(_num(m[1]), "multiple")
    if m := _PERCENT.fullmatch(s):
        return Quantity(_num(m[1]) * 100, "rate-bps")
    if m := _BPS.fullmatch(s):
        return Quantity(_num(m[1]), "rate-bps")
    if m := _CCY_PREFIX.fullmatch(s):
        ccy = m[1] or _SYMBOLS[m[2]]
        return Quantity(_scaled(m[3], m[4]), f"currency:{ccy}")
    if m := _CCY_SUFFIX.fullmatch(s):
        return Quantity(_scaled(m[1], m[2]), f"currency:{m[3]}")
    if m := _DURATION.fullmatch(s):
        if m[2]:
            return Quantity(_num(m[1]), "duration-days")
        return Quantity(_num(m[1]) * (12 if m[4] else 1), "duration-months")
    return None


def parse_quantity(text: str, unit: str | None) -> Quantity | None:
    """§8.2: `(value, class)` of a value text, or None when it is not numeric."""
    s = _normalise(text)
    if not s:
        return None
    if bare := _BARE.fullmatch(s):
        u = _normalise(unit) if unit else ""
        if u:
            with_unit = _parse_unitful(f"{s} {u}")
            if with_unit is not None:
                return with_unit
        return Quantity(_scaled(bare[1], bare[2]), "number")
    return _parse_unitful(s)


def equal(a: str, b: str, unit: str | None) -> bool:
    """§8.3: trimmed texts identical, or both parse with the same class and equal values."""
    if a.strip() == b.strip():
        return True
    qa, qb = parse_quantity(a, unit), parse_quantity(b, unit)
    return qa is not None and qb is not None and qa.cls == qb.cls and qa.value == qb.value


def severity(baseline: str, current: str, unit: str | None, kind: str) -> Severity | None:
    """§8.4: severity of baseline → current for a variable type / clause type; None = no drift."""
    if equal(baseline, current, unit):
        return None
    if kind == "definition":
        return "MEDIUM"
    if kind in ("xref", "general"):
        return "LOW"
    qb, qc = parse_quantity(baseline, unit), parse_quantity(current, unit)
    if qb is None or qc is None or qb.cls != qc.cls:
        return "MEDIUM"
    if qb.value == 0:
        return "HIGH"
    r = abs(qc.value - qb.value) / abs(qb.value)
    if r >= Fraction(1, 10):
        return "HIGH"
    if r >= Fraction(1, 20):
        return "MEDIUM"
    return "LOW"


def _fit(label: str, suffix: str) -> str:
    room = TITLE_MAX - len(suffix)
    if len(label) > room:
        label = label[: room - len(_ELLIPSIS)] + _ELLIPSIS
    return label + suffix


def drift_title(label: str, baseline: str, current: str, unit: str | None) -> str:
    """§8.7: "<label> Increase|Decrease" for a numeric change within one class, else "<label> Change" (≤255)."""
    qb, qc = parse_quantity(baseline, unit), parse_quantity(current, unit)
    if qb is not None and qc is not None and qb.cls == qc.cls and qb.value != qc.value:
        suffix = " Increase" if qc.value > qb.value else " Decrease"
    else:
        suffix = " Change"
    return _fit(label, suffix)


def strip_numbering(title: str) -> str:
    """A clause title without its leading numbering (§7.1)."""
    return _NUMBERING.sub("", title, count=1)


def clause_drift_title(clause_title: str) -> str:
    """§8.7: "<clause title without numbering> Text Change" (≤255)."""
    return _fit(strip_numbering(clause_title), " Text Change")


def integrity(n: int, d: int, w: int) -> int:
    """§7.5: floor(100 − (30·d + 20·w)/n + 1/2), exact; 100 for an empty graph."""
    if n <= 0:
        return 100
    return floor(Fraction(100) - Fraction(30 * d + 20 * w, n) + Fraction(1, 2))


def variable_kind(variable_type: str) -> str:
    """Severity kind of a variable type: ratio counts as covenant (§8.4)."""
    return "covenant" if variable_type == "ratio" else variable_type


def node_value(value: str, unit: str | None) -> str:
    """§7.1: a variable node's value = value + (" " + unit when unit set)."""
    return f"{value} {unit}" if unit else value
