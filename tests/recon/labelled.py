"""A labelled set of borrower markup edits over the demo deal (ws-001, final seed data) and the documents built
from it, for the precision / recall figures of clause and variable mapping (tests/recon/test_quality.py,
benchmarks/recon_quality.py).

Each edit replaces `before` (occurring exactly once in the clause body) by `after`. `variable` is the variable the
edit should be reconciled to (with `value` = the expected proposedValue), or None for a clause-level item.
`loose` edits appear in the tracked DOCX as excerpts under an unnumbered "Other amendments" heading, so only their
wording maps them (fuzzy); the others sit in the full agreement under the clause headings. The PDF is the full
agreement with every edit accepted (no tracked changes).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from nexus.recon import ClauseRef, Suggestion
from tests.recon.builders import TrackedDocx, pdf
from tests.recon.demo import current_clauses


@dataclass(frozen=True)
class Edit:
    clause: str
    before: str
    after: str
    variable: str | None = None
    value: str | None = None
    loose: bool = False
    excerpt: str | None = (
        None  # a loose edit's paragraph wording ("{edit}" = the marked-up edit); default: its sentence
    )


# fmt: off
EDITS: tuple[Edit, ...] = (
    Edit("clause-001", "London and New York", "London", "var-009", "London"),
    Edit("clause-001", "minus its share of the outstanding Loan", "minus its share of the outstanding Loans"),
    Edit("clause-001", "ending on a Quarter Date", "ending on the last day of a financial quarter", loose=True),
    Edit("clause-001", "in accordance with Schedule 4", "in accordance with Schedule 5"),
    Edit("clause-001", "the Agent, the Security Agent or a Lender",
         "the Agent, the Security Agent, a Lender or a Hedge Counterparty"),
    Edit("clause-002", "USD 500,000,000", "USD 550,000,000", "var-001", "550,000,000"),
    Edit("clause-002", "senior secured term loan facility", "senior secured term loan and revolving facility"),
    Edit("clause-002", "shall not exceed its Commitment", "shall not exceed its Commitment at any time"),
    Edit("clause-003", "275 basis points", "300 basis points", "var-002", "300"),
    Edit("clause-003", "Applicable Margin and SOFR", "Applicable Margin and EURIBOR", "var-010", "EURIBOR"),
    Edit("clause-003", "for each interest period", "for each Interest Period"),
    Edit("clause-004", "5 years after", "6 years after", "var-003", "6"),
    Edit("clause-004", "repay the Loan in full", "repay the Loan in instalments"),
    Edit("clause-004", "Any amount repaid may not be reborrowed.", "Any amount repaid may be reborrowed.", loose=True),
    Edit("clause-005", "USD 10,000,000", "USD 15,000,000", "var-004", "15,000,000", loose=True),
    Edit("clause-005", "five Business Days'", "ten Business Days'"),
    Edit("clause-005", "together with accrued interest", "together with accrued interest and Break Costs",
         loose=True),
    Edit("clause-006", "4.50:1.00", "4.75:1.00", "var-005", "4.75"),
    Edit("clause-006", "3.00:1.00", "2.75:1.00", "var-006", "2.75"),
    Edit("clause-006", "does not exceed", "does not at any time exceed"),
    Edit("clause-007", "before interest, tax, depreciation", "before interest, tax, rent, depreciation", "var-007",
         "the consolidated operating profit of the Group before interest, tax, rent, depreciation, amortisation and "
         "Exceptional Items"),
    Edit("clause-007", "shall be included only to the extent", "shall be excluded save to the extent", loose=True),
    Edit("clause-008", "any breach of Clause 6 (Financial Covenants)",
         "any breach of Clause 6 (Financial Covenants) which is not remedied within 15 days"),
    Edit("clause-008", "declare the Loan immediately due and payable",
         "declare the Loan immediately due and payable and cancel the Commitments", loose=True),
    Edit("clause-009", "on the first day of each interest period",
         "on each Utilisation Date and on the first day of each interest period"),
    Edit("clause-009", "to each Finance Party", "to each Finance Party and each Hedge Counterparty"),
    Edit("clause-009", "The Borrower makes the representations", "Each Obligor makes the representations"),
    Edit("clause-010", "within 90 days", "within 120 days"),
    Edit("clause-010", "described in Schedule 6", "described in Schedule 7", loose=True),
    Edit("clause-010", "on trust for each Finance Party", "on trust for the Secured Parties"),
    Edit("clause-011", "40 per cent.", "35 per cent.", "var-008", "35"),
    Edit("clause-011", "payable quarterly in arrears", "payable monthly in arrears", loose=True),
    Edit("clause-011", "on that Lender's Available Commitment",
         "on that Lender's Available Commitment for the Availability Period"),
    Edit("clause-012", "are governed by English law", "are governed by the laws of England and Wales"),
    Edit("clause-012", "have exclusive jurisdiction", "have non-exclusive jurisdiction", loose=True,
         excerpt="The English courts shall {edit} to settle any dispute under this Agreement."),
    Edit("clause-008", "to pay any amount when due", "to pay any amount within 3 Business Days of its due date"),
    Edit("clause-005", "prepay the whole or any part of the Loan",
         "prepay the whole or any part of the Loan (in integral multiples of USD 1,000,000)"),
    Edit("clause-002", "Each Lender's participation in the Loan", "Each Lender's participation in each Loan"),
    Edit("clause-003", "rate per annum equal", "rate per year equal"),
    Edit("clause-006", "ratio of Total Net Debt to EBITDA", "ratio of Consolidated Total Net Debt to EBITDA",
         loose=True),
    Edit("clause-011", "commitment fee is payable", "commitment fee shall be payable", loose=True,
         excerpt="The accrued {edit} quarterly in arrears."),
    Edit("clause-010", "The Agent shall hold", "The Security Agent shall hold"),
    Edit("clause-007", "attributable to a member of the Group", "attributable to a Subsidiary"),
    Edit("clause-001", "each period of twelve months", "each period of 12 months"),
    Edit("clause-004", '(the "Termination Date")', '(the "Final Maturity Date")'),
    Edit("clause-006", "in respect of any Relevant Period is not less than",
         "in respect of any Relevant Period (tested quarterly) is not less than", loose=True),
)
# fmt: on

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _markup(before: str, after: str) -> str:
    """Minimal word-level tracked markup turning `before` into `after` (as Word records a typical edit)."""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + "".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + "".join(b[j1:j2]) + "+}")
    return "".join(out)


def _sentence_of(body: str, fragment: str) -> str:
    at = body.index(fragment)
    start = max(body.rfind(". ", 0, at) + 2, 0) if body.rfind(". ", 0, at) >= 0 else 0
    end = body.find(". ", at + len(fragment))
    return body[start : (end + 1 if end >= 0 else len(body))]


def _apply(body: str, edits: Sequence[Edit], marked: bool) -> str:
    for edit in edits:
        if body.count(edit.before) != 1:
            raise ValueError(f"{edit.before!r} must occur once in {edit.clause}")
        body = body.replace(edit.before, _markup(edit.before, edit.after) if marked else edit.after)
    return body


def _clauses() -> list[ClauseRef]:
    return sorted(current_clauses(), key=lambda c: c.order)


def tracked_docx() -> bytes:
    """The full agreement with the in-place edits as tracked changes, then the loose edits as excerpts."""
    doc = TrackedDocx(split_runs=True)
    doc.heading("Facility Agreement (Borrower mark-up)", styled=True)
    for clause in _clauses():
        # Odd clauses carry a typed number; even ones a styled heading with Word's automatic numbering (title only).
        if clause.order % 2:
            doc.heading(clause.title)
        else:
            doc.heading(clause.title.split(". ", 1)[1], styled=True)
        doc.paragraph(_apply(clause.body, [e for e in EDITS if e.clause == clause.id and not e.loose], True))
    doc.heading("Other amendments", styled=True)
    for edit in EDITS:
        if not edit.loose:
            continue
        marked = _markup(edit.before, edit.after)
        if edit.excerpt is not None:
            doc.paragraph(edit.excerpt.format(edit=marked))
            continue
        body = next(c.body for c in _clauses() if c.id == edit.clause)
        sentence = _sentence_of(body, edit.before)
        words = sentence[: sentence.index(edit.before)].split()
        lead = ("…" + " ".join(words[-4:]) + " ") if len(words) > 4 else sentence[: sentence.index(edit.before)]
        doc.paragraph(lead + marked + sentence[sentence.index(edit.before) + len(edit.before) :])
    return doc.bytes()


def accepted_pdf() -> bytes:
    """The full agreement with every edit accepted, as a PDF."""
    lines: list[str] = ["Facility Agreement (Borrower mark-up)", PREAMBLE]
    for clause in _clauses():
        lines.append(clause.title)
        lines.append(_apply(clause.body, [e for e in EDITS if e.clause == clause.id], False))
    return pdf(lines, page_numbers=True)


PREAMBLE = (
    "THIS AGREEMENT is dated 19 December 2024 and made between Atlas Holdings plc as Borrower, the financial "
    "institutions listed in Schedule 1 as Lenders, and Nexus Bank plc as Agent and Security Agent. "
) * 12


@dataclass(frozen=True)
class Figures:
    expected: int
    predicted: int
    clause_hits: int
    variable_hits: int

    @property
    def precision(self) -> float:
        return self.variable_hits / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.variable_hits / self.expected if self.expected else 1.0

    @property
    def clause_precision(self) -> float:
        return self.clause_hits / self.predicted if self.predicted else 1.0

    @property
    def clause_recall(self) -> float:
        return self.clause_hits / self.expected if self.expected else 1.0


def _squash(text: str) -> str:
    return " ".join(text.split())


def _edit_part(edit: Edit) -> tuple[str, str]:
    """The changed words of an edit (old side, new side)."""
    a, b = _TOKEN.findall(edit.before), _TOKEN.findall(edit.after)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    blocks = [op for op in sm.get_opcodes() if op[0] != "equal"]
    old = "".join(a[blocks[0][1] : blocks[-1][2]]) if blocks else ""
    new = "".join(b[blocks[0][3] : blocks[-1][4]]) if blocks else ""
    return _squash(old), _squash(new)


def _explains(s: Suggestion, edit: Edit) -> bool:
    """Whether a suggestion carries the edit: a variable value, or (clause level) its changed words."""
    if edit.variable is not None and s.target_variable_id == edit.variable:
        return s.proposed_value == edit.value
    if s.target_variable_id is not None:
        return False
    old, new = _edit_part(edit)
    proposed, current = _squash(s.proposed_value), _squash(s.current_value)
    if new:
        return new in proposed and (not old or old in current or edit.before in current)
    return old in current


def score(suggestions: Sequence[Suggestion], edits: Sequence[Edit] = EDITS) -> Figures:
    """One-to-one matching of suggestions to edits. A variable hit = right clause, right variable (or none) and the
    suggestion carries the edit (value / changed words); a clause hit = right clause and the suggestion carries
    the edit at least loosely (its proposal or snippet shows the new words). Full matches are taken first."""
    unused = list(suggestions)
    pending: list[Edit] = []
    variable_hits = 0
    for edit in edits:
        match = next(
            (
                s
                for s in unused
                if s.target_clause_id == edit.clause and s.target_variable_id == edit.variable and _explains(s, edit)
            ),
            None,
        )
        if match is None:
            pending.append(edit)
        else:
            variable_hits += 1
            unused.remove(match)
    clause_hits = variable_hits
    for edit in pending:
        loose = next((s for s in unused if s.target_clause_id == edit.clause and _explains_loosely(s, edit)), None)
        if loose is not None:
            clause_hits += 1
            unused.remove(loose)
    return Figures(len(edits), len(suggestions), clause_hits, variable_hits)


def _explains_loosely(s: Suggestion, edit: Edit) -> bool:
    old, new = _edit_part(edit)
    text = _squash(s.proposed_value + " " + s.incoming_snippet)
    return (bool(new) and new in text) or (not new and old in _squash(s.current_value))


def missed(suggestions: Sequence[Suggestion], edits: Sequence[Edit] = EDITS) -> list[Edit]:
    """The edits without a fully matching suggestion (for diagnostics)."""
    unused = list(suggestions)
    out: list[Edit] = []
    for edit in edits:
        match = next(
            (
                s
                for s in unused
                if s.target_clause_id == edit.clause and s.target_variable_id == edit.variable and _explains(s, edit)
            ),
            None,
        )
        if match is None:
            out.append(edit)
        else:
            unused.remove(match)
    return out
