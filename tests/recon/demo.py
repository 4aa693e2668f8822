"""The demo deal (ws-001) as engine references, and the demo borrower markup reproducing recon-001..005.

demo-data §8 items were computed at upload time (2024-12-19T14:00Z): clause-005 still read "USD 5,000,000" and
var-004 was "5,000,000" (baseline "5,000,000"); it became 10,000,000 only when recon-002 was applied on 12-20.
Every other ws-001 clause/variable already had its final seed value then.
"""

from __future__ import annotations

from dataclasses import replace

from nexus.recon import ClauseRef, VariableRef
from nexus.seed.data import BODY_005_BEFORE, CLAUSES, VARIABLES
from tests.recon.builders import TrackedDocx

WORKSPACE = "ws-001"


def clauses_at_upload() -> list[ClauseRef]:
    out = [ClauseRef(c.id, c.title, c.body, c.order, c.type) for c in CLAUSES if c.workspace_id == WORKSPACE]
    return [replace(c, body=BODY_005_BEFORE) if c.id == "clause-005" else c for c in out]


def variables_at_upload() -> list[VariableRef]:
    out = [
        VariableRef(v.id, v.clause_id, v.label, v.type, v.value, v.unit, v.baseline_value)
        for v in VARIABLES
        if v.workspace_id == WORKSPACE
    ]
    return [replace(v, value="5,000,000", baseline_value="5,000,000") if v.id == "var-004" else v for v in out]


def current_clauses() -> list[ClauseRef]:
    """ws-001 clauses with their final seed bodies."""
    return [ClauseRef(c.id, c.title, c.body, c.order, c.type) for c in CLAUSES if c.workspace_id == WORKSPACE]


def current_variables() -> list[VariableRef]:
    return [
        VariableRef(v.id, v.clause_id, v.label, v.type, v.value, v.unit, v.baseline_value)
        for v in VARIABLES
        if v.workspace_id == WORKSPACE
    ]


# The borrower's counsel marked up an excerpt of their own copy. Sections 3, 5 and 6 carry the agreement's
# headings (score 100); the last two edits sit under an unnumbered "Other amendments" heading, so they are mapped
# by fuzzy match of their (older-draft) wording: 92 → MEDIUM for clause-010, 74 → LOW for clause-012.
DEMO_MARKUP: tuple[tuple[str, str], ...] = (
    ("heading", "3. Interest"),
    ("para", "The Applicable Margin shall be [-275-]{+300+} basis points per annum."),
    ("heading", "5. Prepayment"),
    ("para", "…provided that any partial prepayment is in a minimum amount of USD [-5,000,000-]{+10,000,000+}."),
    ("heading", "6. Financial Covenants"),
    ("para", "…in respect of any Relevant Period does not exceed [-4.50:1.00-]{+5.00:1.00 at any time+}."),
    ("styled", "Other amendments"),
    (
        "para",
        "…and the Borrower shall perfect [-within 90 days of the date of this Agreement-]"
        "{+within 120 days of the date of this Agreement+}.",
    ),
    (
        "para",
        "This Agreement and all disputes in connection with it [-are governed by English law-]"
        "{+are governed by the laws of England and Wales+}.",
    ),
)


def demo_markup_docx() -> bytes:
    """Borrower_Markup_v3.docx: tracked changes yielding recon-001..005 against the data at upload time."""
    doc = TrackedDocx()
    for kind, text in DEMO_MARKUP:
        if kind == "para":
            doc.paragraph(text)
        else:
            doc.heading(text, styled=kind == "styled")
    return doc.bytes()
