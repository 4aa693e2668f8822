"""Blind quality figure of the deterministic reconciliation matcher (issue 6) on blind_cases.py.

Every case is run as a tracked-change DOCX and as a PDF through parse_document → get_suggester("deterministic")
.suggest → validate_suggestions, with ws-001's clauses and variables (nexus/seed/data.py).

Metrics, per format, micro-averaged over all cases (a case's labels are a set of (clause, variable-or-None) pairs):

* Clause mapping — a predicted item is correct when its clause is one of the case's labelled clauses.
  precision = correct predicted items / predicted items; recall = labelled clauses (distinct per case) that some
  predicted item names / labelled clauses.
* Variable mapping — a predicted item is correct when its (clause, variable) pair is in the case's labels (a
  clause-level item is the pair (clause, None)). precision = correct predicted items / predicted items;
  recall = labelled pairs found / labelled pairs.

Cases labelled with no items (whitespace-only edits, an unchanged document) contribute only to precision.
Targets (issue 6): DOCX precision ≥ 0.95 and recall ≥ 0.9; PDF precision ≥ 0.85 and recall ≥ 0.8 — for both mappings.
Run with `-s` to print the per-case misses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest

from nexus.recon import (
    FileType,
    Suggestion,
    document_text,
    get_suggester,
    parse_document,
    validate_suggestions,
)
from tests.recon.blind_cases import CASES, CLAUSE_REFS, VAR, VARIABLE_REFS, Case, build_docx, build_pdf

TARGETS: dict[FileType, tuple[float, float]] = {"docx": (0.95, 0.9), "pdf": (0.85, 0.8)}
FORMATS: tuple[FileType, ...] = ("docx", "pdf")


def _predict(case: Case, file_type: FileType) -> list[Suggestion]:
    data = build_docx(case) if file_type == "docx" else build_pdf(case)
    doc = parse_document(file_type, data, CLAUSE_REFS)
    suggestions = get_suggester("deterministic").suggest(doc, CLAUSE_REFS, VARIABLE_REFS)
    return validate_suggestions(suggestions, CLAUSE_REFS, VARIABLE_REFS)


@cache
def predictions(file_type: FileType) -> dict[str, tuple[Suggestion, ...]]:
    return {case.id: tuple(_predict(case, file_type)) for case in CASES}


@dataclass
class Score:
    predicted: int = 0
    correct: int = 0
    labelled: int = 0
    found: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0


def scores(file_type: FileType) -> tuple[Score, Score]:
    clause, pair = Score(), Score()
    for case in CASES:
        got = predictions(file_type)[case.id]
        want_pairs = {e.pair for e in case.expected}
        want_clauses = {e.clause for e in case.expected}
        got_pairs = {(s.target_clause_id, s.target_variable_id) for s in got}
        got_clauses = {s.target_clause_id for s in got}
        clause.predicted += len(got)
        clause.correct += sum(s.target_clause_id in want_clauses for s in got)
        clause.labelled += len(want_clauses)
        clause.found += len(want_clauses & got_clauses)
        pair.predicted += len(got)
        pair.correct += sum((s.target_clause_id, s.target_variable_id) in want_pairs for s in got)
        pair.labelled += len(want_pairs)
        pair.found += len(want_pairs & got_pairs)
    return clause, pair


def _fmt(s: Suggestion) -> str:
    return f"{s.target_clause_id}/{s.target_variable_id or '-'} {s.confidence} {s.proposed_value[:40]!r}"


def misses(file_type: FileType) -> list[str]:
    """One line per case whose predicted pairs differ from the labels."""
    lines = []
    for case in CASES:
        got = predictions(file_type)[case.id]
        want = {e.pair for e in case.expected}
        have = {(s.target_clause_id, s.target_variable_id) for s in got}
        if want != have:
            wanted = ", ".join(f"{c}/{v or '-'}" for c, v in sorted(want, key=str)) or "(none)"
            came = "; ".join(_fmt(s) for s in got) or "(none)"
            lines.append(f"{file_type:4} {case.id:36} want {wanted:32} got {came}")
    return lines


def value_mismatches(file_type: FileType) -> list[str]:
    """Found labelled pairs whose confidence / values disagree with what the spec determines (§9.5)."""
    lines = []
    for case in CASES:
        got = predictions(file_type)[case.id]
        for e in case.expected:
            items = [s for s in got if (s.target_clause_id, s.target_variable_id) == e.pair]
            if not items:
                continue
            s = items[0]
            problems = []
            if e.confidence and s.confidence != e.confidence:
                problems.append(f"confidence {s.confidence} ≠ {e.confidence}")
            if e.proposed is not None and s.proposed_value != e.proposed:
                problems.append(f"proposed {s.proposed_value!r} ≠ {e.proposed!r}")
            if e.variable is not None:
                var = VAR[e.variable]
                if s.current_value != var.value:
                    problems.append(f"current {s.current_value!r} ≠ {var.value!r}")
                if s.baseline_value != (var.baseline_value or var.value):
                    problems.append(f"baseline {s.baseline_value!r} ≠ {var.baseline_value!r}")
            if e.current_has and e.current_has not in s.current_value:
                problems.append(f"current {s.current_value[:60]!r} lacks {e.current_has!r}")
            if e.proposed_has and e.proposed_has not in s.proposed_value:
                problems.append(f"proposed {s.proposed_value[:60]!r} lacks {e.proposed_has!r}")
            if problems:
                lines.append(f"{file_type:4} {case.id:36} {e.clause}/{e.variable or '-'}: " + "; ".join(problems))
    return lines


def test_the_set_is_big_and_varied() -> None:
    assert len(CASES) >= 40
    labelled = [e for case in CASES for e in case.expected]
    assert sum(e.variable is not None for e in labelled) >= 15
    assert sum(e.variable is None for e in labelled) >= 15
    assert sum(not case.expected for case in CASES) >= 3


@pytest.mark.parametrize("case", [c for c in CASES if c.edits], ids=lambda c: c.id)
def test_the_rendered_pdf_carries_the_edited_text(case: Case) -> None:
    """Builder sanity: the counterparty's new wording is in the PDF text (whitespace-normalised)."""
    text = " ".join(document_text("pdf", build_pdf(case)).replace("\u00a0", " ").split())
    for e in case.edits:
        assert " ".join(e.replace.split()) in text


def test_report(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the figure and every miss (visible with -s); asserts nothing beyond running every case."""
    rows = []
    for file_type in FORMATS:
        clause, pair = scores(file_type)
        rows.append(
            f"{file_type:4} clause P {clause.precision:.3f} ({clause.correct}/{clause.predicted}) "
            f"R {clause.recall:.3f} ({clause.found}/{clause.labelled}) | variable P {pair.precision:.3f} "
            f"({pair.correct}/{pair.predicted}) R {pair.recall:.3f} ({pair.found}/{pair.labelled})"
        )
    with capsys.disabled():
        print(f"\nBlind reconciliation set: {len(CASES)} cases")
        print("\n".join(rows))
        print("Mapping misses:")
        print("\n".join(line for f in FORMATS for line in misses(f)) or "  none")
        print("Confidence / value mismatches on found items:")
        print("\n".join(line for f in FORMATS for line in value_mismatches(f)) or "  none")
    assert all(len(predictions(f)) == len(CASES) for f in FORMATS)


@pytest.mark.parametrize("file_type", FORMATS)
@pytest.mark.parametrize("mapping", ["clause", "variable"])
def test_precision_target(file_type: FileType, mapping: str) -> None:
    clause, pair = scores(file_type)
    score = clause if mapping == "clause" else pair
    assert score.precision >= TARGETS[file_type][0], misses(file_type)


@pytest.mark.parametrize("file_type", FORMATS)
@pytest.mark.parametrize("mapping", ["clause", "variable"])
def test_recall_target(file_type: FileType, mapping: str) -> None:
    clause, pair = scores(file_type)
    score = clause if mapping == "clause" else pair
    assert score.recall >= TARGETS[file_type][1], misses(file_type)


@pytest.mark.parametrize("file_type", FORMATS)
def test_found_items_carry_the_values_the_spec_determines(file_type: FileType) -> None:
    """§9.4–9.5: HIGH items propose the new value in the variable's format; clause-level items are MEDIUM under a
    matching heading and quote the old / new wording."""
    assert value_mismatches(file_type) == []
