"""The deterministic suggester (§9.3–§9.5) on the demo deal, and validate_suggestions (§9.1)."""

from __future__ import annotations

import pytest

from nexus.domain.drift import parse_quantity
from nexus.recon import (
    Change,
    ClauseRef,
    ParsedDocument,
    Suggestion,
    VariableRef,
    detect_type,
    get_suggester,
    parse_document,
    validate_suggestions,
)
from nexus.recon.quantities import format_like, scan
from nexus.seed.data import RECON_ITEMS
from tests.recon.builders import TrackedDocx
from tests.recon.demo import (
    clauses_at_upload,
    current_clauses,
    current_variables,
    demo_markup_docx,
    variables_at_upload,
)


def _suggest(
    data: bytes, clauses: list[ClauseRef], variables: list[VariableRef], name: str = "x.docx"
) -> list[Suggestion]:
    file_type = detect_type(name, data)
    return get_suggester("deterministic").suggest(parse_document(file_type, data, clauses), clauses, variables)


def _tracked(*paragraphs: str) -> bytes:
    doc = TrackedDocx()
    for p in paragraphs:
        if p.startswith("#"):
            doc.heading(p[1:])
        else:
            doc.paragraph(p)
    return doc.bytes()


def test_demo_markup_reproduces_recon_001_to_005() -> None:
    got = _suggest(demo_markup_docx(), clauses_at_upload(), variables_at_upload(), "Borrower_Markup_v3.docx")
    fields = (
        "target_clause_id", "target_variable_id", "confidence", "baseline_value", "current_value",
        "proposed_value", "match_score", "change_description",
    )  # fmt: skip
    assert [tuple(getattr(s, f) for f in fields) for s in got] == [
        tuple(getattr(item, f) for f in fields) for item in RECON_ITEMS
    ]
    # Snippets: the paragraphs of 001–003 are the demo excerpts; 004/005 carry older-draft wording (see demo.py).
    assert [s.incoming_snippet for s in got[:3]] == [item.incoming_snippet for item in RECON_ITEMS[:3]]
    assert got[3].incoming_snippet == "…and the Borrower shall perfect within 120 days of the date of this Agreement."
    for s in got[3:]:
        assert s.current_value in next(c.body for c in clauses_at_upload() if c.id == s.target_clause_id)


def test_variable_value_formatted_like_the_variable() -> None:
    data = _tracked(
        "#3. Interest",
        "The Applicable Margin shall be [-275 basis points-]{+2.875 per cent.+} per annum.",
        "#6. Financial Covenants",
        "Leverage does not exceed [-4.50:1.00-]{+4.25x+}. Interest Cover is not less than [-3.00:1.00-]{+2.5:1+}.",
        "#2. The Facility",
        "in an aggregate amount equal to [-USD 500,000,000-]{+USD 0.6bn+}.",
        "#4. Repayment",
        "on the date falling [-5 years-]{+66 months+} after the date of this Agreement",
    )
    got = {
        (s.target_variable_id, s.proposed_value, s.change_description)
        for s in _suggest(data, current_clauses(), current_variables())
    }
    assert got == {
        ("var-002", "287.5", "Applicable Margin: 275 → 287.5 bps"),
        ("var-005", "4.25", "Leverage Ratio Cap: 4.50 → 4.25 x"),
        ("var-006", "2.50", "Interest Cover Floor: 3.00 → 2.50 x"),
        ("var-001", "600,000,000", "Facility Amount: 500,000,000 → 600,000,000 USD"),
        ("var-003", "5.5", "Tenor: 5 → 5.5 years"),
    }


def test_same_value_in_other_words_is_a_text_change_not_a_variable_change() -> None:
    data = _tracked("#3. Interest", "The Applicable Margin shall be [-275 basis points-]{+2.75 per cent.+} per annum.")
    (s,) = _suggest(data, current_clauses(), current_variables())
    assert s.target_variable_id is None and s.confidence == "MEDIUM"
    assert "275 basis points" in s.current_value and "2.75 per cent." in s.proposed_value


def test_unedited_equal_quantity_is_not_mistaken_for_the_change() -> None:
    # The new text gains another USD amount before the minimum; the minimum itself is what changed.
    body = next(c.body for c in current_clauses() if c.id == "clause-005")
    marked = body.replace("part of the Loan,", "part of the Loan{+ (in multiples of USD 1,000,000)+},").replace(
        "USD 10,000,000", "USD [-10,000,000-]{+15,000,000+}"
    )
    got = _suggest(_tracked("#5. Prepayment", marked), current_clauses(), current_variables())
    assert [(s.target_variable_id, s.proposed_value) for s in got if s.target_variable_id] == [
        ("var-004", "15,000,000")
    ]
    (text,) = [s for s in got if s.target_variable_id is None]
    assert "USD 1,000,000" in text.proposed_value and "10,000,000" not in text.current_value


def test_text_variables() -> None:
    data = _tracked(
        "#1. Definitions",
        '"Business Day" means a day on which banks are open for general business in London[- and New York-].',
        "#3. Interest",
        "the aggregate of the Applicable Margin and [-SOFR-]{+Term SOFR+}.",
    )
    got = _suggest(data, current_clauses(), current_variables())
    assert [(s.target_variable_id, s.proposed_value, s.confidence) for s in got] == [
        ("var-009", "London", "HIGH"),
        ("var-010", "Term SOFR", "HIGH"),
    ]
    assert got[0].change_description == "Business Day Definition: London and New York → London"


def test_clause_level_fragments_are_unambiguous_in_the_body() -> None:
    # "Lender" occurs many times in clause 1: the fragment is widened until it occurs once.
    data = _tracked(
        "#1. Definitions", '"Finance Party" means the Agent, the Security Agent or a [-Lender-]{+Creditor+};'
    )
    (s,) = _suggest(data, current_clauses(), current_variables())
    body = next(c.body for c in current_clauses() if c.id == "clause-001")
    assert body.count(s.current_value) == 1
    assert body.replace(s.current_value, s.proposed_value).count("Security Agent or a Creditor;") == 1


def test_inserted_paragraph_is_appended_to_the_clause() -> None:
    data = _tracked("#9. Representations", "{+The Borrower shall also represent its sanctions compliance.+}")
    (s,) = _suggest(data, current_clauses(), current_variables())
    assert s.target_clause_id == "clause-009" and s.confidence == "MEDIUM"
    assert s.current_value == "Each representation is deemed to be repeated on the first day of each interest period."
    assert s.proposed_value.endswith("interest period. The Borrower shall also represent its sanctions compliance.")


def test_unrelated_text_gets_a_low_best_guess() -> None:
    data = _tracked("{+The weather in Luxembourg was pleasant throughout the signing ceremony.+}")
    got = _suggest(data, current_clauses(), current_variables())
    assert got and all(s.confidence == "LOW" and s.change_description.endswith("(best guess)") for s in got)


def test_edit_of_text_that_is_nowhere_in_the_clause_gives_no_item() -> None:
    # Mapped by heading, but the edited words do not resemble anything in the body: no safe span to replace.
    data = _tracked("#12. Governing Law", "Quantum mechanics [-forbids-]{+permits+} tunnelling through barriers.")
    assert _suggest(data, current_clauses(), current_variables()) == []


def test_heading_title_wins_over_a_stale_number() -> None:
    data = _tracked("#11. Security", "perfect within [-90-]{+120+} days of the date of this Agreement")
    (s,) = _suggest(data, current_clauses(), current_variables())
    assert s.target_clause_id == "clause-010" and s.match_score == 100


def test_number_with_a_similar_title_maps_but_a_renumbered_clause_does_not() -> None:
    data = _tracked(
        "#1. Definitions and Interpretation",
        '"Business Day" means a day on which banks are open for general business in London[- and New York-].',
        "#3. Conditions Precedent",
        "{+The Borrower may not deliver a Utilisation Request until the Agent has received the documents.+}",
    )
    first, second = _suggest(data, current_clauses(), current_variables())
    assert (first.target_clause_id, first.match_score) == ("clause-001", 100)
    assert second.target_clause_id != "clause-003" and second.match_score < 100


def test_one_item_per_clause_and_variable() -> None:
    data = _tracked(
        "#3. Interest",
        "The Applicable Margin shall be [-275-]{+300+} basis points.",
        "The margin is [-275-]{+325+} bps.",
    )
    got = _suggest(data, current_clauses(), current_variables())
    assert [(s.target_variable_id, s.proposed_value) for s in got] == [("var-002", "300")]


def test_snippet_is_cut_to_500_characters_around_the_change() -> None:
    filler = "The Borrower shall comply with each of its obligations under the Finance Documents. " * 10
    data = _tracked("#3. Interest", filler + "The Applicable Margin shall be [-275-]{+300+} basis points. " + filler)
    (s,) = _suggest(data, current_clauses(), current_variables())
    assert len(s.incoming_snippet) <= 500 and s.incoming_snippet.startswith("…") and s.incoming_snippet.endswith("…")
    assert "300 basis points" in s.incoming_snippet


def _s(clause: str, variable: str | None, confidence: str, current: str, position: int) -> Suggestion:
    return Suggestion(
        incoming_snippet="x", target_clause_id=clause, target_variable_id=variable, confidence=confidence,  # type: ignore[arg-type]
        baseline_value=current, current_value=current, proposed_value="y", match_score=90,
        change_description="d", position=position,
    )  # fmt: skip


def test_validate_drops_invalid_and_duplicate_suggestions_and_orders_them() -> None:
    clauses, variables = current_clauses(), current_variables()
    given = [
        _s("clause-010", None, "LOW", "within 90 days", 0),
        _s("clause-999", None, "MEDIUM", "x", 1),  # unknown clause
        _s("clause-003", "var-005", "HIGH", "4.50", 2),  # variable bound to another clause
        _s("clause-012", None, "MEDIUM", "not in the body", 3),
        _s("clause-003", "var-002", "HIGH", "275", 4),
        _s("clause-003", "var-002", "HIGH", "275", 5),  # duplicate (clause, variable)
        _s("clause-012", None, "MEDIUM", "English law", 6),
        _s("clause-010", None, "MEDIUM", "within 90 days", 7),  # duplicate clause-level span
        _s("clause-012", None, "MEDIUM", "", 8),
    ]
    kept = validate_suggestions(given, clauses, variables)
    assert [(s.target_clause_id, s.target_variable_id, s.position) for s in kept] == [
        ("clause-003", "var-002", 4),
        ("clause-012", None, 6),
        ("clause-010", None, 0),
    ]


def test_get_suggester() -> None:
    assert get_suggester("deterministic").suggest(ParsedDocument("pdf", (), ()), current_clauses(), []) == []
    with pytest.raises(ValueError, match="NEXUS_RECON_SUGGESTER"):
        get_suggester("llm")


def test_suggester_accepts_hand_built_changes() -> None:
    change = Change("it are governed by English law.", "it are governed by Scots law.", "12. Governing Law", 0, False)
    (s,) = get_suggester("deterministic").suggest(ParsedDocument("pdf", (), (change,)), current_clauses(), [])
    # No regions: the whole of `old` became `new` (shared trailing punctuation aside).
    assert (s.current_value, s.proposed_value, s.match_score) == (
        "it are governed by English law",
        "it are governed by Scots law",
        100,
    )


def test_scan_and_format_helpers() -> None:
    found = scan("Clause 3 requires USD 10,000,000 and 4.50:1.00 within 90 days", "x")
    assert [f.text for f in found] == ["USD 10,000,000", "4.50:1.00", "90 days"]  # "Clause 3" is a reference
    q = parse_quantity("USD 12.5m", None)
    assert q is not None and format_like("10,000,000", "USD", q) == "12,500,000"
    q = parse_quantity("45 per cent.", None)
    assert q is not None and format_like("40", "%", q) == "45"
    assert format_like("40", "%", q._replace(cls="multiple")) is None
