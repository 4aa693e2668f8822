"""Reconciliation parse timing: detect + parse + suggest of a 200-page agreement mark-up on one core.

Generates a DOCX of 100 clauses (a heading and 14 paragraphs each, ~1,500 paragraphs, ~125,000 words, about 200
pages) with 100 tracked changes (40 to bound variables, 50 text edits, 10 excerpts under an unnumbered heading that
need the fuzzy clause mapping) and a workspace of the same 100 clauses with 200 variables. The timed part runs in a
child process pinned to one CPU; its peak RSS is reported. Targets: < 5 s and < 500 MB.

    .venv/bin/python benchmarks/recon_parse.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus.recon import ClauseRef, VariableRef, detect_type, get_suggester, parse_document
from tests.recon.builders import TrackedDocx

CLAUSES = 100
PARAGRAPHS_PER_CLAUSE = 14
WORDS = (  # noqa: SIM905 - reads better as prose
    "the Borrower shall ensure that each Obligor procures that no member of the Group creates or permits to subsist "
    "any Security over any of its assets save for Permitted Security and the Agent may by notice to the Company "
    "require prompt delivery of such information as any Finance Party may reasonably request in connection with "
    "the Finance Documents including without limitation financial statements compliance certificates and budgets"
).split()


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def build(seed: int = 7) -> tuple[bytes, list[ClauseRef], list[VariableRef]]:
    rng = random.Random(seed)
    doc = TrackedDocx(split_runs=True)
    clauses: list[ClauseRef] = []
    variables: list[VariableRef] = []
    excerpts: list[str] = []
    changed = 0
    for n in range(1, CLAUSES + 1):
        title = f"{n}. Clause Number {n} Undertakings"
        paragraphs = [
            " ".join(_sentence(rng, rng.randint(12, 20)) for _ in range(5)) for _ in range(PARAGRAPHS_PER_CLAUSE)
        ]
        margin, amount = 100 + n, f"{(n * 1_000_000):,}"
        paragraphs[2] = (
            f"The Applicable Margin for Facility {n} shall be {margin} basis points per annum. " + paragraphs[2]
        )
        paragraphs[5] = f"Facility {n} has an aggregate amount of USD {amount}. " + paragraphs[5]
        clauses.append(ClauseRef(f"clause-{n:03d}", title, "\n".join(paragraphs), n, "financial"))
        variables.append(
            VariableRef(f"var-m{n}", f"clause-{n:03d}", f"Margin {n}", "financial", str(margin), "bps", str(margin))
        )
        variables.append(VariableRef(f"var-a{n}", f"clause-{n:03d}", f"Amount {n}", "financial", amount, "USD", amount))
        marked = list(paragraphs)
        if n <= 20:  # 40 variable changes
            marked[2] = marked[2].replace(f"{margin} basis", f"[-{margin}-]{{+{margin + 25}+}} basis", 1)
            marked[5] = marked[5].replace(f"USD {amount}", f"USD [-{amount}-]{{+{(n + 1) * 1_000_000:,}+}}", 1)
            changed += 2
        elif n <= 70:  # 50 text edits
            words = marked[8].split(" ")
            i = rng.randrange(3, len(words) - 3)
            words[i] = f"[-{words[i]}-]{{+{words[i]} and its Subsidiaries+}}"
            marked[8] = " ".join(words)
            changed += 1
        elif n <= 80:  # 10 loose excerpts
            sentence = paragraphs[10].split(". ")[1] + "."
            words = sentence.split(" ")
            words[4] = f"[-{words[4]}-]{{+promptly {words[4]}+}}"
            excerpts.append(" ".join(words))
            changed += 1
        doc.heading(title)
        for p in marked:
            doc.paragraph(p)
    doc.heading("Other amendments", styled=True)
    for text in excerpts:
        doc.paragraph(text)
    assert changed == 100
    return doc.bytes(), clauses, variables


def measure(path: str, clauses_path: str, runs: int) -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    data = Path(path).read_bytes()
    refs = json.loads(Path(clauses_path).read_text())
    clauses = [ClauseRef(**c) for c in refs["clauses"]]
    variables = [VariableRef(**v) for v in refs["variables"]]
    timings: list[float] = []
    counts: tuple[int, int, int] = (0, 0, 0)
    for _ in range(runs):
        started = time.perf_counter()
        file_type = detect_type("agreement-markup.docx", data)
        doc = parse_document(file_type, data, clauses)
        suggestions = get_suggester("deterministic").suggest(doc, clauses, variables)
        timings.append(time.perf_counter() - started)
        counts = (len(doc.paragraphs), len(doc.changes), len(suggestions))
    high = sum(1 for s in suggestions if s.confidence == "HIGH")
    print(json.dumps({
        "seconds": timings, "paragraphs": counts[0], "changes": counts[1], "suggestions": counts[2], "high": high,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure[0], args.measure[1], args.runs)
        return
    data, clauses, variables = build()
    with tempfile.TemporaryDirectory() as tmp:
        path, refs = Path(tmp) / "markup.docx", Path(tmp) / "refs.json"
        path.write_bytes(data)
        refs.write_text(
            json.dumps({"clauses": [c.__dict__ for c in clauses], "variables": [v.__dict__ for v in variables]})
        )
        out = subprocess.run(
            [sys.executable, __file__, "--runs", str(args.runs), "--measure", str(path), str(refs)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    result = json.loads(out)
    words = sum(len(c.body.split()) for c in clauses)
    print(
        f"document: {len(data) / 1024:.0f} KiB DOCX, {result['paragraphs']} paragraphs, {words:,} words "
        f"(~{words // 600} pages), {result['changes']} tracked changes"
    )
    print(f"suggestions: {result['suggestions']} ({result['high']} HIGH)")
    best, worst = min(result["seconds"]), max(result["seconds"])
    print(
        f"detect + parse + suggest, one core: best {best:.2f} s, worst {worst:.2f} s over {args.runs} runs "
        f"(target < 5 s)"
    )
    print(f"peak RSS of the measuring process: {result['peak_rss_mb']:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
