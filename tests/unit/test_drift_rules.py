"""Drift rules (domain.md §7.5, §8.2–§8.4, §8.7): the §8.4 table verbatim, plus properties."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus.domain.drift import (
    Quantity,
    clause_drift_title,
    drift_title,
    equal,
    integrity,
    parse_quantity,
    severity,
)

EBITDA = (
    "the consolidated operating profit of the Group before interest, tax, depreciation, amortisation and "
    "Exceptional Items"
)
EBITDA_CUT = "the consolidated operating profit of the Group before interest, tax, depreciation, amortisation"

# domain.md §8.4, rows 1–26: baseline, current, unit, kind, severity (None = no drift).
TABLE: list[tuple[str, str, str | None, str, str | None]] = [
    ("250", "275", "bps", "financial", "HIGH"),
    ("250 bps", "275 bps", None, "financial", "HIGH"),
    ("4.00x", "4.50x", None, "covenant", "HIGH"),
    ("4.00:1.00", "4.50:1.00", None, "covenant", "HIGH"),
    ("USD 500,000,000", "USD 550,000,000", None, "financial", "HIGH"),
    ("SOFR", "EURIBOR", None, "financial", "MEDIUM"),
    ("0", "25", "bps", "financial", "HIGH"),
    ("0", "0.00", "bps", "financial", None),
    (EBITDA, EBITDA_CUT, None, "definition", "MEDIUM"),
    ("325", "350", "bps", "financial", "MEDIUM"),
    ("200 bps", "205 bps", None, "financial", "LOW"),
    ("5,000,000", "5,250,000", "USD", "financial", "MEDIUM"),
    ("5.00x", "4.80x", None, "covenant", "LOW"),
    ("EUR 250m", "EUR 250,000,000", None, "financial", None),
    ("USD 500m", "EUR 500m", None, "financial", "MEDIUM"),
    ("2.50%", "275 bps", None, "financial", "HIGH"),
    ("3.50", "3.00", "x", "ratio", "HIGH"),
    ("35", "40", "%", "financial", "HIGH"),
    ("5", "6", "years", "financial", "HIGH"),
    ("4.50x", "4.5:1", None, "covenant", None),
    ("within 90 days", "within 120 days", None, "xref", "LOW"),
    ("275 bps", "TBD", None, "financial", "MEDIUM"),
    ("1.25x", "1.30x", None, "covenant", "LOW"),
    ("USD 1.5bn", "USD 1,600,000,000", None, "financial", "MEDIUM"),
    ("5,000,000", "10,000,000", "USD", "financial", "HIGH"),
    ("London and New York", "London", None, "definition", "MEDIUM"),
]


@pytest.mark.parametrize(
    ("baseline", "current", "unit", "kind", "expected"),
    TABLE,
    ids=[f"row{i}" for i in range(1, len(TABLE) + 1)],
)
def test_severity_table(baseline: str, current: str, unit: str | None, kind: str, expected: str | None) -> None:
    assert severity(baseline, current, unit, kind) == expected
    # No drift is symmetric: equal values are equal either way round.
    assert (severity(current, baseline, unit, kind) is None) == (expected is None)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("4.50:1.00", None, Quantity(Fraction("4.5"), "multiple")),
        ("4.5 : 1", None, Quantity(Fraction("4.5"), "multiple")),
        ("4.5 times", None, Quantity(Fraction("4.5"), "multiple")),
        ("4.50×", None, Quantity(Fraction("4.5"), "multiple")),
        ("40 per cent.", None, Quantity(Fraction(4000), "rate-bps")),
        ("40 percent", None, Quantity(Fraction(4000), "rate-bps")),
        ("275 basis points", None, Quantity(Fraction(275), "rate-bps")),
        ("1 basis point", None, Quantity(Fraction(1), "rate-bps")),
        ("USD 500,000,000", None, Quantity(Fraction(500_000_000), "currency:USD")),
        ("€250m", None, Quantity(Fraction(250_000_000), "currency:EUR")),
        ("£ 1.5 million", None, Quantity(Fraction(1_500_000), "currency:GBP")),
        ("$10k", None, Quantity(Fraction(10_000), "currency:USD")),
        ("1.5bn USD", None, Quantity(Fraction(1_500_000_000), "currency:USD")),
        ("5 years", None, Quantity(Fraction(60), "duration-months")),
        ("60 months", None, Quantity(Fraction(60), "duration-months")),
        ("1 day", None, Quantity(Fraction(1), "duration-days")),
        ("500000000", None, Quantity(Fraction(500_000_000), "number")),
        ("-2.5", None, Quantity(Fraction("-2.5"), "number")),
        ("2 thousand", None, Quantity(Fraction(2000), "number")),
        ("4.50", "x", Quantity(Fraction("4.5"), "multiple")),
        ("40", "%", Quantity(Fraction(4000), "rate-bps")),
        ("500,000,000", "USD", Quantity(Fraction(500_000_000), "currency:USD")),
        ("7", "widgets", Quantity(Fraction(7), "number")),
        ("\u00a0 275\u00a0bps ", None, Quantity(Fraction(275), "rate-bps")),
        ("1/3:1", None, None),
        ("4:0", None, None),
        ("1,00", None, None),
        ("12,3456", None, None),
        ("usd 5", None, None),
        ("SOFR", None, None),
        ("TBD", None, None),
        ("", None, None),
        ("within 90 days", None, None),
    ],
)
def test_parse_quantity(text: str, unit: str | None, expected: Quantity | None) -> None:
    assert parse_quantity(text, unit) == expected


@pytest.mark.parametrize(
    ("a", "b", "unit"),
    [("4.50", "4.5", None), ("4.50x", "4.50:1.00", None), ("EUR 250m", "EUR 250,000,000", None), ("0", "0.00", None)],
)
def test_equal_examples(a: str, b: str, unit: str | None) -> None:
    assert equal(a, b, unit)


@pytest.mark.parametrize(
    ("label", "baseline", "current", "unit", "title"),
    [
        ("Applicable Margin", "250", "275", "bps", "Applicable Margin Increase"),
        ("Interest Cover Floor", "3.50", "3.00", "x", "Interest Cover Floor Decrease"),
        ("Reference Rate", "SOFR", "EURIBOR", None, "Reference Rate Change"),
        ("Facility", "USD 500m", "EUR 500m", None, "Facility Change"),
        ("Business Day Definition", "London and New York", "London", None, "Business Day Definition Change"),
    ],
)
def test_drift_title(label: str, baseline: str, current: str, unit: str | None, title: str) -> None:
    assert drift_title(label, baseline, current, unit) == title


def test_titles_are_cut_to_255_with_ellipsis() -> None:
    title = drift_title("L" * 255, "1", "2", None)
    assert len(title) == 255
    assert title.endswith("… Increase")
    assert drift_title("L" * 246, "1", "2", None) == "L" * 246 + " Increase"
    assert clause_drift_title("12.1 Conditions Subsequent") == "Conditions Subsequent Text Change"
    long_clause = clause_drift_title("3. " + "T" * 255)
    assert len(long_clause) == 255
    assert long_clause.endswith("… Text Change")


def test_integrity_demo_values() -> None:
    assert integrity(19, 4, 4) == 89
    assert integrity(7, 2, 1) == 89
    assert integrity(8, 0, 0) == 100
    assert integrity(0, 0, 0) == 100
    assert integrity(19, 2, 2) == 95


# ---- properties ---------------------------------------------------------------------------------------------------

_units = st.sampled_from([None, "bps", "x", "%", "USD", "years", "widgets"])
_texts = st.one_of(
    st.text(max_size=20),
    st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["4.50x", "4.5:1", "EUR 250m", "275 bps", "2.75%", "SOFR", "5 years", "60 months"]),
)
_amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


def _grouped(d: Decimal) -> str:
    return f"{d:,}"


@given(_texts, _texts, _units)
def test_equal_symmetric_reflexive(a: str, b: str, unit: str | None) -> None:
    assert equal(a, a, unit)
    assert equal(a, b, unit) == equal(b, a, unit)


@given(_amounts, st.integers(min_value=0, max_value=4), _units)
def test_thousands_separators_and_trailing_zeros_keep_equality(d: Decimal, zeros: int, unit: str | None) -> None:
    plain = f"{d:f}"
    grouped = _grouped(d)
    padded = plain + ("." if "." not in plain and zeros else "") + "0" * zeros
    assert equal(plain, grouped, unit)
    assert equal(plain, padded, unit)
    assert equal(f"USD {grouped}", f"USD {padded}", unit)


@given(_texts, _units, st.sampled_from(["financial", "covenant", "ratio", "definition", "xref", "general"]))
def test_no_change_is_no_drift(a: str, unit: str | None, kind: str) -> None:
    assert severity(a, a, unit, kind) is None
    assert severity(a, f"  {a} ", unit, kind) is None


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["financial", "covenant", "ratio"]),
)
def test_severity_thresholds(base: Decimal, cur: Decimal, kind: str) -> None:
    sev = severity(f"{base:f} bps", f"{cur:f} bps", None, kind)
    r = abs(Fraction(cur) - Fraction(base)) / Fraction(base)
    if r == 0:
        assert sev is None
    elif r >= Fraction(1, 10):
        assert sev == "HIGH"
    elif r >= Fraction(1, 20):
        assert sev == "MEDIUM"
    else:
        assert sev == "LOW"


@given(st.integers(min_value=0, max_value=10_000), st.data())
def test_integrity_range(n: int, data: st.DataObject) -> None:
    d = data.draw(st.integers(min_value=0, max_value=n))
    w = data.draw(st.integers(min_value=0, max_value=d))
    score = integrity(n, d, w)
    assert 50 <= score <= 100
    if n:
        exact = Fraction(100) - Fraction(30 * d + 20 * w, n)
        assert score - Fraction(1, 2) <= exact < score + Fraction(1, 2)
