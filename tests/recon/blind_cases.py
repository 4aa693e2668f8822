"""Blind labelled markup cases over ws-001 "Atlas" (demo-data §4.1, §5), written from the spec only (domain.md §8.2–8.3,
§9) without reading the engine or the engine author's labelled set.

Each case is a borrower's-counsel markup: a list of edits to clause bodies (`Edit(clause, find, replace)`, `find`
occurring once in the current body) plus the expected reconciliation items (`Expect`). Every case is rendered twice:
as a DOCX with tracked changes (w:del / w:ins, word-level like Word's compare, or character-level when `typed`) and
as a PDF of the edited text under its section headings. By default the document is the whole agreement (all twelve
clauses, unchanged ones verbatim); `scope` restricts it to an extract (a rider).

Labels follow the spec rules; where the spec is silent or ambiguous the label is the natural reading for a lawyer and
`note` says so ("AMBIGUOUS: ...").
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from fpdf import FPDF

from nexus.recon import ClauseRef, VariableRef
from nexus.seed.data import CLAUSES, VARIABLES

WS = "ws-001"
CLAUSE_REFS: tuple[ClauseRef, ...] = tuple(
    ClauseRef(id=c.id, title=c.title, body=c.body, order=c.order, type=c.type) for c in CLAUSES if c.workspace_id == WS
)
VARIABLE_REFS: tuple[VariableRef, ...] = tuple(
    VariableRef(
        id=v.id,
        clause_id=v.clause_id,
        label=v.label,
        type=v.type,
        value=v.value,
        unit=v.unit,
        baseline_value=v.baseline_value,
    )
    for v in VARIABLES
    if v.workspace_id == WS
)
BODY = {c.id: c.body for c in CLAUSE_REFS}
TITLE = {c.id: c.title for c in CLAUSE_REFS}
VAR = {v.id: v for v in VARIABLE_REFS}


@dataclass(frozen=True)
class Edit:
    """`find` (unique in the clause body) becomes `replace`; `typed` = character-level tracked change."""

    clause: str
    find: str
    replace: str
    typed: bool = False


@dataclass(frozen=True)
class Expect:
    """One expected item. `confidence` / `proposed` only where the spec determines them; `current_has` /
    `proposed_has` are substrings a clause-level item's currentValue / proposedValue must contain."""

    clause: str
    variable: str | None = None
    confidence: str | None = None
    proposed: str | None = None
    current_has: str | None = None
    proposed_has: str | None = None

    @property
    def pair(self) -> tuple[str, str | None]:
        return (self.clause, self.variable)


def high(clause: str, variable: str, proposed: str) -> Expect:
    return Expect(clause, variable, "HIGH", proposed)


def medium(clause: str, current_has: str | None = None, proposed_has: str | None = None) -> Expect:
    return Expect(clause, None, "MEDIUM", None, current_has, proposed_has)


@dataclass(frozen=True)
class Case:
    id: str
    what: str
    edits: tuple[Edit, ...]
    expected: tuple[Expect, ...]
    note: str = ""
    scope: tuple[str, ...] | None = None  # extract: only these clauses (None = whole agreement)
    headings: dict[str, str | None] = field(default_factory=dict)  # DOCX+PDF heading override (None = no heading)
    docx_headings: dict[str, str] = field(default_factory=dict)  # DOCX-only heading text, styled "Heading 1"
    tables: tuple[str, ...] = ()  # DOCX: these clause bodies laid out as a table, one sentence per row
    fragmented: tuple[str, ...] = ()  # DOCX: these clause bodies split into many small runs (Word rsid noise)
    tracked: bool = True  # False = clean DOCX (no tracked changes): section compare

    def new_body(self, clause: str) -> str:
        body = BODY[clause]
        for e in self.edits:
            if e.clause == clause:
                body = body.replace(e.find, e.replace, 1)
        return body


# --------------------------------------------------------------------------------------------------------------------
# The cases. Abbreviations: c = clause-0NN, v = var-0NN.
def c(n: int) -> str:
    return f"clause-{n:03d}"


def v(n: int) -> str:
    return f"var-{n:03d}"


M = "The Applicable Margin shall be 275 basis points per annum."

CASES: tuple[Case, ...] = (
    # ---- Applicable Margin (clause-003 / var-002, 275 bps) ------------------------------------------------------
    Case("margin-bps", "margin 275 → 300 basis points", (Edit(c(3), "275", "300"),), (high(c(3), v(2), "300"),)),
    Case(
        "margin-bps-to-percent",
        "margin '275 basis points' → '3.00 per cent.'",
        (Edit(c(3), "275 basis points", "3.00 per cent."),),
        (high(c(3), v(2), "300"),),
        "§8.2: per cent. is a rate ×100 (bps) → 300 bps ≠ 275; §9.4 format like raw '275' (no decimals) → '300'",
    ),
    Case(
        "margin-percent-sign",
        "margin → '2.50% per annum'",
        (Edit(c(3), "275 basis points per annum", "2.50% per annum"),),
        (high(c(3), v(2), "250"),),
        "§8.2 % → bps; §9.4 → '250'",
    ),
    Case(
        "margin-bps-abbrev",
        "margin → '325 bps'",
        (Edit(c(3), "275 basis points", "325 bps"),),
        (high(c(3), v(2), "325"),),
    ),
    Case(
        "margin-typed-chars",
        "counsel overtypes one digit: 2[7→2]5 (character-level tracked change)",
        (Edit(c(3), "275", "225", typed=True),),
        (high(c(3), v(2), "225"),),
    ),
    Case(
        "margin-fragmented-runs",
        "margin 275 → 265 in a paragraph split into many runs",
        (Edit(c(3), "275", "265"),),
        (high(c(3), v(2), "265"),),
        fragmented=(c(3),),
    ),
    Case(
        "margin-moved-same-value",
        "margin sentence reworded, the number moves but stays 275",
        (Edit(c(3), M, "The Applicable Margin per annum shall be 275 basis points."),),
        (medium(c(3)),),
        "§8.3: 275 = 275 so no variable change (§9.4); text change → clause-level, heading score 100 → MEDIUM",
    ),
    Case(
        "margin-moved-and-changed",
        "margin sentence reworded and 275 → 300",
        (Edit(c(3), M, "The Applicable Margin per annum shall be 300 basis points."),),
        (high(c(3), v(2), "300"),),
    ),
    Case(
        "margin-ratchet-proviso",
        "proviso inserted after the margin: step-down to 250 bps below 3.00:1.00 leverage",
        (
            Edit(
                c(3),
                "275 basis points per annum.",
                "275 basis points per annum, provided that if the ratio of Total Net Debt to EBITDA in respect of any "
                "Relevant Period is less than 3.00:1.00, the Applicable Margin shall be 250 basis points per annum.",
            ),
        ),
        (medium(c(3), proposed_has="250 basis points"),),
        "§9.4: first rate quantity in old (275) and new (275) equal → no variable change; clause-level MEDIUM",
    ),
    Case(
        "sofr-floor-inserted-before-margin",
        "zero floor sentence inserted between the two sentences of clause 3",
        (
            Edit(
                c(3),
                "and SOFR. The",
                "and SOFR. If SOFR is less than 0.00 per cent., SOFR shall be deemed to be zero. The",
            ),
        ),
        (medium(c(3)),),
        "AMBIGUOUS §9.4 'same-index quantity': read positionally, new rate #0 is 0.00 per cent. (0 bps) ≠ 275 → a"
        " HIGH var-002 '0'; a lawyer sees a floor insertion and the margin untouched → clause-level",
    ),
    Case(
        "reference-rate-replaced",
        "reference rate SOFR → SONIA",
        (Edit(c(3), "and SOFR.", "and SONIA."),),
        (high(c(3), v(10), "SONIA"),),
        "§9.4 text variable: 'SOFR' in old, one replaced word span inside it → 'SONIA'",
    ),
    Case(
        "reference-rate-term-sofr",
        "reference rate SOFR → Term SOFR (word inserted before)",
        (Edit(c(3), "and SOFR.", "and Term SOFR."),),
        (high(c(3), v(10), "Term SOFR"),),
        "AMBIGUOUS §9.4 text variable: 'one replaced span inside that occurrence' — 'Term' is a pure insertion at"
        " the occurrence's start; a lawyer reads Reference Rate SOFR → Term SOFR. (First labelled clause-level by"
        " the strict reading; relabelled to the lawyer's reading as the brief asks for ambiguous rules.)",
    ),
    Case(
        "margin-defined-term-renamed",
        "defined term 'Applicable Margin' → 'Margin' (both uses in clause 3)",
        (
            Edit(c(3), "aggregate of the Applicable Margin", "aggregate of the Margin"),
            Edit(c(3), "The Applicable Margin shall", "The Margin shall"),
        ),
        (medium(c(3)),),
    ),
    # ---- Facility amount (clause-002 / var-001, USD 500,000,000) ------------------------------------------------
    Case(
        "amount-plain",
        "facility 500,000,000 → 600,000,000",
        (Edit(c(2), "500,000,000", "600,000,000"),),
        (high(c(2), v(1), "600,000,000"),),
    ),
    Case(
        "amount-scale-m",
        "facility → 'USD 450m'",
        (Edit(c(2), "USD 500,000,000", "USD 450m"),),
        (high(c(2), v(1), "450,000,000"),),
        "§8.2 scale m ×10⁶; §9.4 thousands commas like the raw value",
    ),
    Case(
        "amount-million-word",
        "facility → 'USD 750 million'",
        (Edit(c(2), "USD 500,000,000", "USD 750 million"),),
        (high(c(2), v(1), "750,000,000"),),
    ),
    Case(
        "amount-dollar-sign",
        "facility → '$550,000,000'",
        (Edit(c(2), "USD 500,000,000", "$550,000,000"),),
        (high(c(2), v(1), "550,000,000"),),
        "§8.2 $ prefix = USD",
    ),
    Case(
        "amount-currency-switch",
        "facility currency USD → EUR, same figure",
        (Edit(c(2), "USD 500,000,000", "EUR 500,000,000"),),
        (medium(c(2)),),
        "§9.4: no currency:USD quantity in new → no variable change (variable cannot express the currency) →"
        " clause-level",
    ),
    Case(
        "amount-replaced-by-words",
        "fixed amount replaced by 'the Total Commitments'",
        (Edit(c(2), "USD 500,000,000", "the Total Commitments"),),
        (medium(c(2), proposed_has="Total Commitments"),),
        "§9.4: no new quantity → no value to propose → clause-level",
    ),
    Case(
        "amount-in-table",
        "facility 500,000,000 → 400,000,000, clause laid out as a table",
        (Edit(c(2), "500,000,000", "400,000,000"),),
        (high(c(2), v(1), "400,000,000"),),
        tables=(c(2),),
    ),
    Case(
        "facility-unsecured",
        "'senior secured' → 'senior unsecured'",
        (Edit(c(2), "senior secured", "senior unsecured"),),
        (medium(c(2)),),
    ),
    # ---- Tenor (clause-004 / var-003, 5 years) -------------------------------------------------------------------
    Case("tenor-years", "tenor 5 → 6 years", (Edit(c(4), "5 years", "6 years"),), (high(c(4), v(3), "6"),)),
    Case(
        "tenor-months-same",
        "'5 years' → '60 months' (same tenor)",
        (Edit(c(4), "5 years", "60 months"),),
        (medium(c(4)),),
        "§8.2 durations in months: 60 months = 5 years → no variable change; text change → clause-level",
    ),
    Case(
        "tenor-months-changed",
        "'5 years' → '72 months'",
        (Edit(c(4), "5 years", "72 months"),),
        (high(c(4), v(3), "6"),),
        "§9.4 converted to the variable's unit (years): 72 months = 6",
    ),
    Case(
        "tenor-in-words",
        "'5 years' → 'seven years'",
        (Edit(c(4), "5 years", "seven years"),),
        (medium(c(4)),),
        "§8.2 'seven' is not a NUM → no new quantity, no proposable value → clause-level (a lawyer would call it a"
        " tenor change)",
    ),
    Case(
        "repayment-reborrow-deleted",
        "sentence 'Any amount repaid may not be reborrowed.' deleted",
        (Edit(c(4), " Any amount repaid may not be reborrowed.", ""),),
        (medium(c(4), current_has="reborrowed"),),
    ),
    # ---- Prepayment (clause-005 / var-004, USD 10,000,000) -------------------------------------------------------
    Case(
        "min-prepayment",
        "minimum prepayment 10,000,000 → 25,000,000",
        (Edit(c(5), "10,000,000", "25,000,000"),),
        (high(c(5), v(4), "25,000,000"),),
    ),
    Case(
        "min-prepayment-renumbered-heading",
        "rider: heading '4. Prepayment' (number of Repayment, title of Prepayment), minimum 10m → 5m",
        (Edit(c(5), "10,000,000", "5,000,000"),),
        (high(c(5), v(4), "5,000,000"),),
        "AMBIGUOUS §9.3 'heading number = a clause number, or heading title = a clause title': number says"
        " clause-004, title says clause-005; the text is the prepayment clause",
        scope=(c(5),),
        headings={c(5): "4. Prepayment"},
    ),
    Case(
        "prepayment-notice-words",
        "notice 'five' → 'three' Business Days",
        (Edit(c(5), "five Business", "three Business"),),
        (medium(c(5), "five", "three"),),
    ),
    Case(
        "prepayment-notice-digits",
        "notice 'five Business Days'' → '3 Business Days'' (a bare number before the minimum amount)",
        (Edit(c(5), "five Business", "3 Business"),),
        (medium(c(5)),),
        "AMBIGUOUS §8.2 bare NUM 're-parsed as NUM unit when unit is set': applied to free text, '3' would be"
        " USD 3 at index 0 of new ≠ 10,000,000 → HIGH var-004 '3'; a lawyer sees a notice-period change",
    ),
    Case(
        "prepayment-proviso",
        "proviso inserted after the minimum amount",
        (Edit(c(5), "USD 10,000,000.", "USD 10,000,000 (or, if less, the amount of the Loan then outstanding)."),),
        (medium(c(5), proposed_has="if less"),),
    ),
    # ---- Financial covenants (clause-006 / var-005 4.50, var-006 3.00) -------------------------------------------
    Case("leverage", "leverage 4.50 → 5.00", (Edit(c(6), "4.50:1.00", "5.00:1.00"),), (high(c(6), v(5), "5.00"),)),
    Case(
        "leverage-x",
        "leverage '4.50:1.00' → '4.75x'",
        (Edit(c(6), "4.50:1.00", "4.75x"),),
        (high(c(6), v(5), "4.75"),),
        "§8.3 4.75x multiple; formatted like '4.50'",
    ),
    Case(
        "leverage-typed",
        "leverage overtyped 4.[5→7]0",
        (Edit(c(6), "4.50:1.00", "4.70:1.00", typed=True),),
        (high(c(6), v(5), "4.70"),),
    ),
    Case(
        "leverage-times",
        "leverage '4.50:1.00' → '4.25 times'",
        (Edit(c(6), "4.50:1.00", "4.25 times"),),
        (high(c(6), v(5), "4.25"),),
    ),
    Case(
        "interest-cover",
        "interest cover 3.00 → 2.50",
        (Edit(c(6), "3.00:1.00", "2.50:1.00"),),
        (high(c(6), v(6), "2.50"),),
        "var-005 at index 0 unchanged; var-006 at index 1 changes",
    ),
    Case(
        "both-covenants",
        "leverage 4.50 → 5.00 and interest cover 3.00 → 2.75 in the same paragraph",
        (Edit(c(6), "4.50:1.00", "5.00:1.00"), Edit(c(6), "3.00:1.00", "2.75:1.00")),
        (high(c(6), v(5), "5.00"), high(c(6), v(6), "2.75")),
        "AMBIGUOUS §9.4 'first match wins' may mean one variable item per change; counsel changed two covenant"
        " levels and a reviewer needs both",
    ),
    Case(
        "covenant-table",
        "leverage 4.50 → 5.25 in a covenant table (one sentence per row)",
        (Edit(c(6), "4.50:1.00", "5.25:1.00"),),
        (high(c(6), v(5), "5.25"),),
        tables=(c(6),),
    ),
    Case(
        "leverage-covenant-deleted",
        "leverage covenant sentence deleted (covenant-lite)",
        (
            Edit(
                c(6),
                "The Borrower shall ensure that the ratio of Total Net Debt to EBITDA in respect of any "
                "Relevant Period does not exceed 4.50:1.00. ",
                "",
            ),
        ),
        (medium(c(6), current_has="4.50:1.00"),),
        "AMBIGUOUS §9.4 'same-index': positionally, old multiple #0 = 4.50 and new #0 = 3.00 → HIGH var-005"
        " '3.00', which misstates a deletion; a lawyer sees the covenant removed → clause-level",
    ),
    Case(
        "equity-cure-inserted",
        "equity cure sentence appended to clause 6",
        (
            Edit(
                c(6),
                "is not less than 3.00:1.00.",
                "is not less than 3.00:1.00. Any cure amount contributed to the Borrower shall be deemed to increase "
                "EBITDA for that Relevant Period.",
            ),
        ),
        (medium(c(6), proposed_has="cure amount"),),
    ),
    # ---- EBITDA (clause-007 / var-007 text) ----------------------------------------------------------------------
    Case(
        "ebitda-operating-to-net",
        "EBITDA: 'operating profit' → 'net profit'",
        (Edit(c(7), "consolidated operating profit", "consolidated net profit"),),
        (
            high(
                c(7),
                v(7),
                "the consolidated net profit of the Group before interest, tax, depreciation, amortisation and "
                "Exceptional Items",
            ),
        ),
        "§9.4 text variable: one replaced span inside the value",
    ),
    Case(
        "ebitda-addbacks-appended",
        "EBITDA add-backs appended after 'Exceptional Items'",
        (
            Edit(
                c(7),
                "Exceptional Items.",
                "Exceptional Items, and adding back any non-cash charges and pro forma cost savings.",
            ),
        ),
        (medium(c(7), proposed_has="cost savings"),),
        "§9.4 text variable needs a replaced span inside the occurrence; this is an insertion after it →"
        " clause-level (a lawyer may call it a change of the EBITDA definition variable)",
    ),
    Case(
        "ebitda-minority-sentence",
        "second EBITDA sentence: 'not wholly owned' → 'not a wholly-owned Subsidiary'",
        (Edit(c(7), "that is not wholly owned", "that is not a wholly-owned Subsidiary"),),
        (medium(c(7)),),
    ),
    # ---- Definitions (clause-001 / var-009 'London and New York') -----------------------------------------------
    Case(
        "business-day-centre-replaced",
        "Business Day: 'New York' → 'Frankfurt'",
        (Edit(c(1), "London and New York", "London and Frankfurt"),),
        (high(c(1), v(9), "London and Frankfurt"),),
    ),
    Case(
        "business-day-centre-added",
        "Business Day: 'London and New York' → 'London, New York and Frankfurt'",
        (Edit(c(1), "London and New York", "London, New York and Frankfurt"),),
        (medium(c(1)),),
        "§9.4 text variable needs exactly one replaced span; here there are two edits → clause-level",
    ),
    Case(
        "total-net-debt-definition",
        "Total Net Debt: adds Permitted Investments",
        (Edit(c(1), "less cash and cash equivalents", "less cash, cash equivalents and Permitted Investments"),),
        (medium(c(1), proposed_has="Permitted Investments"),),
    ),
    Case(
        "margin-definition-schedule-xref",
        "'Schedule 4' → 'Schedule 5' in the Applicable Margin definition",
        (Edit(c(1), "Schedule 4;", "Schedule 5;"),),
        (medium(c(1)),),
    ),
    Case(
        "new-definition-inserted",
        "new defined term inserted in clause 1",
        (
            Edit(
                c(1),
                "ending on a Quarter Date;",
                'ending on a Quarter Date; "Permitted Investments" means any investment approved by the Majority '
                "Lenders;",
            ),
        ),
        (medium(c(1), proposed_has="Permitted Investments"),),
    ),
    # ---- Clauses without variables -------------------------------------------------------------------------------
    Case(
        "security-perfection-days",
        "perfection period 90 → 120 days",
        (Edit(c(10), "90 days", "120 days"),),
        (medium(c(10), "90 days", "120 days"),),
    ),
    Case(
        "eod-grace-period",
        "grace period proviso inserted in the non-payment Event of Default",
        (
            Edit(
                c(8),
                "when due",
                "when due (unless such failure is remedied within three Business Days of its due date)",
            ),
        ),
        (medium(c(8), proposed_has="three Business Days"),),
    ),
    Case(
        "reps-repetition",
        "repeating representations: first day of interest period → each Utilisation Request",
        (Edit(c(9), "on the first day of each interest period", "on the date of each Utilisation Request"),),
        (medium(c(9), proposed_has="Utilisation Request"),),
    ),
    Case(
        "governing-law",
        "'English law' → 'the laws of England and Wales'",
        (Edit(c(12), "English law", "the laws of England and Wales"),),
        (medium(c(12), "English law", "England and Wales"),),
    ),
    Case(
        "fees-frequency",
        "commitment fee 'quarterly' → 'semi-annually'",
        (Edit(c(11), "quarterly", "semi-annually"),),
        (medium(c(11)),),
    ),
    Case(
        "fee-rate",
        "commitment fee 40 → 35 per cent.",
        (Edit(c(11), "40 per cent.", "35 per cent."),),
        (high(c(11), v(8), "35"),),
    ),
    Case(
        "fee-rate-percent-sign",
        "commitment fee '40 per cent.' → '30%'",
        (Edit(c(11), "40 per cent.", "30%"),),
        (high(c(11), v(8), "30"),),
        "§8.2 '40 per cent.' and '30%' are both rates; formatted like raw '40'",
    ),
    Case(
        "fee-termination-date-deleted",
        "' and on the Termination Date' deleted",
        (Edit(c(11), " and on the Termination Date", ""),),
        (medium(c(11), current_has="Termination Date"),),
    ),
    # ---- Headings ------------------------------------------------------------------------------------------------
    Case(
        "rider-no-heading-security",
        "rider without any heading: perfection 90 → 120 days",
        (Edit(c(10), "90 days", "120 days"),),
        (medium(c(10), "90 days", "120 days"),),
        "§9.3 fuzzy: the whole paragraph matches clause 10's body (score ≥ 80 → MEDIUM)",
        scope=(c(10),),
        headings={c(10): None},
    ),
    Case(
        "rider-no-heading-margin",
        "rider without any heading: margin 275 → 300",
        (Edit(c(3), "275", "300"),),
        (high(c(3), v(2), "300"),),
        scope=(c(3),),
        headings={c(3): None},
    ),
    Case(
        "wrong-heading-governing-law",
        "heading '12. Governing Law' lost, so the edited governing law text sits under '11. Fees'",
        (Edit(c(12), "English law", "the laws of England and Wales"),),
        (Expect(c(12)),),
        "§9.3 maps by the heading ('11. Fees' → clause-011, score 100); the text is clause 12's. Labelled by"
        " content: a spec-inherent miss",
        headings={c(12): None},
    ),
    Case(
        "heading-title-only-styled",
        "DOCX heading 'Interest' (Heading 1 style, auto-numbered): margin 275 → 250",
        (Edit(c(3), "275", "250"),),
        (high(c(3), v(2), "250"),),
        "§9.2 styled Heading*; §9.3 title match",
        docx_headings={c(3): "Interest"},
    ),
    Case(
        "heading-renumbered-title-matches",
        "rider under '13. Governing Law' (renumbered): English law change",
        (Edit(c(12), "English law", "the laws of England and Wales"),),
        (medium(c(12), "English law", "England"),),
        "§9.3 title match (numbering stripped)",
        scope=(c(12),),
        headings={c(12): "13. Governing Law"},
    ),
    # ---- Whitespace-only and no-op -------------------------------------------------------------------------------
    Case(
        "ws-double-space",
        "double space after a full stop in clause 4",
        (Edit(c(4), 'Termination Date"). Any', 'Termination Date").  Any', typed=True),),
        (),
        "§9.2 whitespace-only differences ignored (stated for section compare; expected also for tracked edits)",
    ),
    Case(
        "ws-nbsp",
        "space in 'USD 500,000,000' → non-breaking space",
        (Edit(c(2), "USD 500,000,000", "USD\u00a0500,000,000", typed=True),),
        (),
        "§8.2 NBSP = space",
    ),
    Case(
        "ws-trailing-space",
        "trailing space added to clause 12",
        (Edit(c(12), "this Agreement.", "this Agreement. ", typed=True),),
        (),
    ),
    Case("clean-unchanged", "clean (untracked) copy of the agreement, nothing changed", (), (), tracked=False),
    # ---- Clean markup and multi-change documents ------------------------------------------------------------------
    Case(
        "clean-margin",
        "clean DOCX (track changes off): margin 275 → 300",
        (Edit(c(3), "275", "300"),),
        (high(c(3), v(2), "300"),),
        "§9.2 DOCX without tracked changes → section compare",
        tracked=False,
    ),
    Case(
        "full-markup",
        "one markup: margin 275 → 300, leverage 4.50 → 5.00, perfection 90 → 120 days, governing law",
        (
            Edit(c(3), "275", "300"),
            Edit(c(6), "4.50:1.00", "5.00:1.00"),
            Edit(c(10), "90 days", "120 days"),
            Edit(c(12), "English law", "the laws of England and Wales"),
        ),
        (
            high(c(3), v(2), "300"),
            high(c(6), v(5), "5.00"),
            medium(c(10), "90 days", "120 days"),
            medium(c(12), "English law", "England and Wales"),
        ),
    ),
    Case(
        "clean-full-markup",
        "clean DOCX: minimum prepayment 10m → 20m and fee 40 → 45 per cent.",
        (Edit(c(5), "10,000,000", "20,000,000"), Edit(c(11), "40 per cent.", "45 per cent.")),
        (high(c(5), v(4), "20,000,000"), high(c(11), v(8), "45")),
        tracked=False,
    ),
)


def _check_cases() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate case id"
    for case in CASES:
        for e in case.edits:
            assert BODY[e.clause].count(e.find) == 1, (case.id, e.find)


_check_cases()

# --------------------------------------------------------------------------------------------------------------------
# Rendering
_NS = nsdecls("w")
_DATE = "2025-01-14T09:00:00Z"


def _run(text: str) -> str:
    return f'<w:r {_NS}><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _del(text: str, n: int) -> str:
    return (
        f'<w:del {_NS} w:id="{n}" w:author="Borrower Counsel" w:date="{_DATE}">'
        f'<w:r><w:delText xml:space="preserve">{escape(text)}</w:delText></w:r></w:del>'
    )


def _ins(text: str, n: int) -> str:
    return (
        f'<w:ins {_NS} w:id="{n}" w:author="Borrower Counsel" w:date="{_DATE}">'
        f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:ins>'
    )


def _boundary(s: str, i: int) -> bool:
    return i == 0 or i == len(s) or s[i - 1].isspace() or s[i].isspace()


def _minimal(old: str, new: str, typed: bool) -> tuple[str, str, str, str]:
    """(prefix, deleted, inserted, suffix): the common ends kept as plain text, cut at word boundaries unless typed."""
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    if not typed:
        while p > 0 and not (_boundary(old, p) and _boundary(new, p)):
            p -= 1
    s = 0
    while s < min(len(old), len(new)) - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    if not typed:
        while s > 0 and not (_boundary(old, len(old) - s) and _boundary(new, len(new) - s)):
            s -= 1
    return old[:p], old[p : len(old) - s], new[p : len(new) - s], old[len(old) - s :]


Runs = list[tuple[str, str]]  # ("", text) | ("del", text) | ("ins", text)


def runs_for(text: str, edits: list[Edit]) -> Runs:
    """Tracked runs turning `text` into its edited form (edits whose `find` lies inside `text`)."""
    located = sorted((text.index(e.find), e) for e in edits if e.find in text)
    runs: Runs = []
    at = 0
    for start, e in located:
        prefix, deleted, inserted, suffix = _minimal(e.find, e.replace, e.typed)
        runs.append(("", text[at:start] + prefix))
        if deleted:
            runs.append(("del", deleted))
        if inserted:
            runs.append(("ins", inserted))
        runs.append(("", suffix))
        at = start + len(e.find)
    runs.append(("", text[at:]))
    return [(k, t) for k, t in runs if t]


def _fragment(runs: Runs) -> Runs:
    out: Runs = []
    for kind, text in runs:
        if kind:
            out.append((kind, text))
        else:
            out.extend(("", text[i : i + 9]) for i in range(0, len(text), 9))
    return out


def _sentences(body: str) -> list[str]:
    return re.split(r"(?<=\.)\s+(?=[A-Z])", body)


def _clauses_of(case: Case) -> list[ClauseRef]:
    return [ref for ref in CLAUSE_REFS if case.scope is None or ref.id in case.scope]


def _heading(case: Case, clause: str) -> str | None:
    return case.headings.get(clause, TITLE[clause])


def build_docx(case: Case) -> bytes:
    doc = Document()
    counter = iter(range(1, 10_000))

    def fill(p: object, runs: Runs) -> None:
        for kind, text in runs:
            xml = _run(text) if not kind else _del(text, next(counter)) if kind == "del" else _ins(text, next(counter))
            p._p.append(parse_xml(xml))  # type: ignore[attr-defined]

    for ref in _clauses_of(case):
        if ref.id in case.docx_headings:
            doc.add_paragraph(case.docx_headings[ref.id], style="Heading 1")
        elif (heading := _heading(case, ref.id)) is not None:
            doc.add_paragraph(heading)
        edits = [e for e in case.edits if e.clause == ref.id]
        if not case.tracked:
            parts = [case.new_body(ref.id)]
            runs_list = [[("", part)] for part in parts]
        elif ref.id in case.tables:
            runs_list = [runs_for(sentence, edits) for sentence in _sentences(ref.body)]
        else:
            runs_list = [runs_for(ref.body, edits)]
        if ref.id in case.fragmented:
            runs_list = [_fragment(r) for r in runs_list]
        if ref.id in case.tables and case.tracked:
            table = doc.add_table(rows=len(runs_list), cols=1)
            for row, runs in zip(table.rows, runs_list, strict=True):
                fill(row.cells[0].paragraphs[0], runs)
        else:
            for runs in runs_list:
                fill(doc.add_paragraph(), runs)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build_pdf(case: Case) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for ref in _clauses_of(case):
        heading = _heading(case, ref.id)
        if heading is not None:
            pdf.set_font("Helvetica", style="B", size=11)
            pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, case.new_body(ref.id), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())
