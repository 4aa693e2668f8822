"""DOCX extraction (§9.2): tracked insertions/deletions/moves, nested runs, tables, headings, plain documents."""

from __future__ import annotations

from nexus.recon import document_text, parse_document
from tests.recon.builders import TrackedDocx, plain_docx
from tests.recon.demo import current_clauses

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _parse(data: bytes):  # type: ignore[no-untyped-def]
    return parse_document("docx", data, current_clauses())


def test_insertions_and_deletions_give_old_and_new_text() -> None:
    data = (
        TrackedDocx()
        .heading("3. Interest")
        .paragraph("The Applicable Margin shall be [-275-]{+300+} basis points per annum.")
        .paragraph("The rate of interest is unchanged.")
        .bytes()
    )
    doc = _parse(data)
    assert len(doc.changes) == 1
    change = doc.changes[0]
    assert change.old == "The Applicable Margin shall be 275 basis points per annum."
    assert change.new == "The Applicable Margin shall be 300 basis points per annum."
    assert change.heading == "3. Interest"
    assert change.tracked
    (region,) = change.regions
    assert change.old[region.old_start : region.old_end] == "275"
    assert change.new[region.new_start : region.new_end] == "300"
    assert doc.paragraphs == (
        "3. Interest",
        "The Applicable Margin shall be 300 basis points per annum.",
        "The rate of interest is unchanged.",
    )


def test_nested_runs_hyperlinks_and_split_words_are_read() -> None:
    # Word splits runs mid-word and nests runs in hyperlinks / smart tags / fields.
    inner = (
        '<w:r><w:t xml:space="preserve">Minimum amount of USD </w:t></w:r>'
        '<w:hyperlink><w:del w:id="1" w:author="a"><w:r><w:delText>5,0</w:delText></w:r>'
        "<w:r><w:delText>00,000</w:delText></w:r></w:del></w:hyperlink>"
        '<w:smartTag><w:ins w:id="2" w:author="a"><w:r><w:t>10,000,000</w:t></w:r></w:ins></w:smartTag>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r>'
        "<w:r><w:t>.</w:t></w:r>"
    )
    doc = _parse(TrackedDocx().heading("5. Prepayment").raw(inner).bytes())
    (change,) = doc.changes
    assert change.old == "Minimum amount of USD 5,000,000."
    assert change.new == "Minimum amount of USD 10,000,000."


def test_change_inside_a_table_cell() -> None:
    data = (
        TrackedDocx()
        .heading("6. Financial Covenants")
        .table([["Leverage", "does not exceed [-4.50:1.00-]{+5.00:1.00+}"], ["Interest Cover", "3.00:1.00"]])
        .bytes()
    )
    doc = _parse(data)
    (change,) = doc.changes
    assert (change.old, change.new) == ("does not exceed 4.50:1.00", "does not exceed 5.00:1.00")
    assert change.heading == "6. Financial Covenants"
    assert "Interest Cover" in doc.paragraphs


def test_moved_number_is_treated_as_deletion_and_insertion() -> None:
    data = (
        TrackedDocx()
        .heading("4. Repayment")
        .paragraph("The Borrower shall repay the Loan [<in 5 years<] in full.")
        .paragraph("Any amount repaid {>in 5 years>} may not be reborrowed.")
        .bytes()
    )
    doc = _parse(data)
    assert [(c.old, c.new) for c in doc.changes] == [
        ("The Borrower shall repay the Loan in 5 years in full.", "The Borrower shall repay the Loan  in full."),
        ("Any amount repaid  may not be reborrowed.", "Any amount repaid in 5 years may not be reborrowed."),
    ]


def test_insertion_later_deleted_by_another_author_is_in_neither_text() -> None:
    inner = (
        '<w:r><w:t xml:space="preserve">Governed by </w:t></w:r>'
        '<w:ins w:id="1" w:author="a"><w:del w:id="2" w:author="b"><w:r><w:delText>Scots </w:delText></w:r>'
        '</w:del></w:ins><w:del w:id="3" w:author="a"><w:r><w:delText>English</w:delText></w:r></w:del>'
        '<w:ins w:id="4" w:author="a"><w:r><w:t>New York</w:t></w:r></w:ins>'
        '<w:r><w:t xml:space="preserve"> law.</w:t></w:r>'
    )
    (change,) = _parse(TrackedDocx().heading("12. Governing Law").raw(inner).bytes()).changes
    assert (change.old, change.new) == ("Governed by English law.", "Governed by New York law.")


def test_heading_context_numbered_or_styled() -> None:
    data = (
        TrackedDocx()
        .paragraph("Preliminary text with a [-small-]{+tiny+} edit.")
        .heading("Security", styled=True)
        .paragraph("Perfected within [-90-]{+120+} days.")
        .heading("11) Fees")
        .paragraph("Payable [-quarterly-]{+monthly+} in arrears.")
        .bytes()
    )
    assert [c.heading for c in _parse(data).changes] == [None, "Security", "11) Fees"]


def test_defined_term_change() -> None:
    data = (
        TrackedDocx()
        .heading("1. Definitions")
        .paragraph(
            '"Business Day" means a day on which banks are open for general business in London[- and New York-].'
        )
        .bytes()
    )
    (change,) = _parse(data).changes
    assert change.old.endswith("in London and New York.") and change.new.endswith("in London.")


def test_plain_docx_is_compared_section_by_section() -> None:
    clauses = current_clauses()
    paragraphs: list[str] = ["FACILITY AGREEMENT", "dated 19 December 2024"]
    for c in clauses:
        paragraphs.append(c.title)
        body = c.body.replace("within 90 days", "within 120 days") if c.id == "clause-010" else c.body
        paragraphs.append(body)
    doc = parse_document("docx", plain_docx(paragraphs), clauses)
    (change,) = doc.changes
    assert not change.tracked
    assert change.heading == "10. Security"
    assert "within 90 days" in change.old and "within 120 days" in change.new
    assert change.old.startswith("The obligations of the Borrower")  # the changed sentence, not the clause


def test_whitespace_only_differences_are_not_changes() -> None:
    clauses = current_clauses()
    paragraphs: list[str] = []
    for c in clauses:
        paragraphs.append(c.title)
        paragraphs.append("  " + c.body.replace(". ", ".   \t"))
    assert parse_document("docx", plain_docx(paragraphs), clauses).changes == ()


def test_document_text_keeps_insertions_drops_deletions_and_reads_tables() -> None:
    data = (
        TrackedDocx()
        .heading("1. Definitions")
        .paragraph("Text with [-deleted-]{+inserted+} words.")
        .table([["cell one", "cell {+two+}"]])
        .bytes()
    )
    assert document_text("docx", data) == "1. Definitions\nText with inserted words.\ncell one\ncell two"
