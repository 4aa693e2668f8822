"""Reconciliation quality: precision / recall of clause and variable mapping on the labelled markup set.

Usage: .venv/bin/python benchmarks/recon_quality.py   (from the repository root; no database needed)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.recon.labelled import EDITS, accepted_pdf, tracked_docx
from tests.recon.test_quality import TARGETS, figures


def main() -> None:
    print(
        f"labelled edits: {len(EDITS)} ({sum(1 for e in EDITS if e.variable)} variable-level, "
        f"{sum(1 for e in EDITS if e.loose)} without heading context)"
    )
    header = f"{'document':<22}{'items':>6}{'clause P':>10}{'clause R':>10}{'var P':>8}{'var R':>8}{'target P/R':>12}"
    print(header)
    print("-" * len(header))
    for kind, name, data in (
        ("docx", "tracked-change DOCX", tracked_docx()),
        ("pdf", "PDF (untracked)", accepted_pdf()),
    ):
        f, misses = figures(f"markup.{kind}", data)
        target = "{:.2f}/{:.2f}".format(*TARGETS[kind])
        print(
            f"{name:<22}{f.predicted:>6}{f.clause_precision:>10.3f}{f.clause_recall:>10.3f}"
            f"{f.precision:>8.3f}{f.recall:>8.3f}{target:>12}"
        )
        for miss in misses:
            print(f"    missed: {miss}")


if __name__ == "__main__":
    main()
