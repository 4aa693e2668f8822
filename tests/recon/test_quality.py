"""Quality figure: precision / recall of clause and variable mapping on the labelled markup set (labelled.py)."""

from __future__ import annotations

import pytest

from nexus.recon import detect_type, get_suggester, parse_document
from tests.recon.demo import current_clauses, current_variables
from tests.recon.labelled import EDITS, Figures, accepted_pdf, missed, score, tracked_docx

TARGETS = {"docx": (0.95, 0.9), "pdf": (0.85, 0.8)}


def figures(name: str, data: bytes) -> tuple[Figures, list[str]]:
    clauses, variables = current_clauses(), current_variables()
    doc = parse_document(detect_type(name, data), data, clauses)
    suggestions = get_suggester("deterministic").suggest(doc, clauses, variables)
    return score(suggestions), [f"{e.clause}: {e.before!r} → {e.after!r}" for e in missed(suggestions)]


def test_labelled_set_is_large_enough() -> None:
    assert len(EDITS) >= 30
    assert sum(1 for e in EDITS if e.variable) >= 10 and sum(1 for e in EDITS if e.loose) >= 8


@pytest.mark.parametrize(
    ("kind", "name", "build"), [("docx", "markup.docx", tracked_docx), ("pdf", "markup.pdf", accepted_pdf)]
)
def test_mapping_quality_meets_targets(kind: str, name: str, build: object) -> None:
    result, misses = figures(name, build())  # type: ignore[operator]
    precision, recall = TARGETS[kind]
    assert result.clause_precision >= precision, misses
    assert result.clause_recall >= recall, misses
    assert result.precision >= precision, misses
    assert result.recall >= recall, misses
