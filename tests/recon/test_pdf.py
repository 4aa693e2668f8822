"""PDF extraction (pypdf) and the section compare of §9.2."""

from __future__ import annotations

from nexus.recon import document_text, parse_document
from tests.recon.builders import pdf
from tests.recon.demo import current_clauses


def _agreement(edit: dict[str, tuple[str, str]] | None = None, extra: list[str] | None = None) -> list[str]:
    lines = ["FACILITY AGREEMENT", "This agreement is dated 19 December 2024."]
    for c in current_clauses():
        body = c.body
        if edit and c.id in edit:
            body = body.replace(*edit[c.id])
        lines += [c.title, body]
    return lines + (extra or [])


def test_unchanged_pdf_has_no_changes() -> None:
    doc = parse_document("pdf", pdf(_agreement(), page_numbers=True), current_clauses())
    assert doc.changes == ()
    assert doc.file_type == "pdf"
    assert "12. Governing Law" in doc.paragraphs


def test_changed_sentences_become_changes_with_their_heading() -> None:
    edits = {"clause-003": ("275 basis points", "300 basis points"), "clause-012": ("English law", "Scots law")}
    doc = parse_document("pdf", pdf(_agreement(edits)), current_clauses())
    assert [(c.heading, c.tracked) for c in doc.changes] == [("3. Interest", False), ("12. Governing Law", False)]
    assert doc.changes[0].old == "The Applicable Margin shall be 275 basis points per annum."
    assert doc.changes[0].new == "The Applicable Margin shall be 300 basis points per annum."


def test_inserted_and_deleted_sentences() -> None:
    clause = next(c for c in current_clauses() if c.id == "clause-004")
    added = "The Borrower may extend the Termination Date once by one year."
    edits = {
        "clause-004": (clause.body, clause.body + " " + added),
        "clause-009": (" Each representation is deemed to be repeated on the first day of each interest period.", ""),
    }
    doc = parse_document("pdf", pdf(_agreement(edits)), current_clauses())
    inserted, deleted = doc.changes
    assert inserted.old == "Any amount repaid may not be reborrowed."  # anchored on the previous sentence
    assert inserted.new == "Any amount repaid may not be reborrowed. " + added
    assert deleted.old.startswith("Each representation is deemed") and deleted.new == ""


def test_section_of_a_new_clause_is_not_compared() -> None:
    extra = ["13. Assignment", "No Obligor may assign any of its rights under the Finance Documents."]
    assert parse_document("pdf", pdf(_agreement(extra=extra)), current_clauses()).changes == ()


def test_document_text_joins_pages() -> None:
    text = document_text("pdf", pdf(_agreement(), page_numbers=True))
    assert text.startswith("FACILITY AGREEMENT\n")
    assert "\n1. Definitions\n" in text and "\n12. Governing Law\n" in text
    assert "Page 1" not in text
