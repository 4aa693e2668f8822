"""Document parsing (domain.md §9.2): tracked changes of a DOCX, or a section compare for plain DOCX and PDF."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from nexus.recon import docx, pdf
from nexus.recon.diff import regions_from_diff
from nexus.recon.mapping import ClauseIndex
from nexus.recon.text import (
    HEADING_MAX,
    PARAGRAPH_HEADING,
    SECTION_HEADING,
    Budget,
    clean,
    sentences,
    squash,
)
from nexus.recon.types import Change, ClauseRef, FileType, ParsedDocument

# A section whose heading names no clause is compared with the best-matching body only when it resembles it.
SECTION_MIN_SCORE = 60


def _is_heading(text: str, styled: bool) -> bool:
    s = text.strip()
    return bool(s) and (styled or (len(s) <= HEADING_MAX and PARAGRAPH_HEADING.match(s) is not None))


def _tracked(paragraphs: list[docx.Paragraph], budget: Budget) -> list[Change]:
    changes: list[Change] = []
    heading: str | None = None
    for i, p in enumerate(paragraphs):
        budget.check()
        text = p.new if p.new.strip() else p.old
        if _is_heading(text, p.styled_heading):
            heading = squash(text)  # an edited heading is context only: titles are not reconciled
            continue
        if p.changed and squash(p.old) != squash(p.new):
            changes.append(Change(p.old, p.new, heading, i, True, p.regions))
    return changes


def _join_lines(lines: Sequence[str]) -> str:
    """Wrapped lines back into running text (a line ending in "-" joins the next lower-case word directly)."""
    out = ""
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if out.endswith("-") and s[:1].islower():
            out += s
        else:
            out = f"{out} {s}" if out else s
    return out


def _sections(lines: Sequence[str]) -> list[tuple[str, str]]:
    """(heading, text) per section; text before the first heading is ignored (as the import does, §4.1)."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if SECTION_HEADING.match(line):
            out.append((squash(line), []))
        elif out:
            out[-1][1].append(line)
    return [(heading, _join_lines(body)) for heading, body in out]


def _compare(lines: Sequence[str], clauses: Sequence[ClauseRef], budget: Budget) -> list[Change]:
    index = ClauseIndex(clauses)
    changes: list[Change] = []
    for heading, text in _sections(lines):
        budget.check()
        clause = index.by_heading(heading)
        if clause is None:
            clause, score = index.fuzzy(text)
            if clause is None or score < SECTION_MIN_SCORE:
                continue  # a section with no counterpart in the workspace (e.g. a new clause)
        body, incoming = squash(clean(clause.body)), squash(clean(text))
        if body == incoming:
            continue
        a, b = sentences(body), sentences(incoming)
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            old, new = " ".join(a[i1:i2]), " ".join(b[j1:j2])
            if tag == "insert":  # anchor the inserted sentences on a neighbouring sentence of the body
                if i1 > 0:
                    old = a[i1 - 1]
                    new = f"{old} {new}"
                elif i1 < len(a):
                    old = a[i1]
                    new = f"{new} {old}"
            changes.append(Change(old, new, heading, len(changes), False, regions_from_diff(old, new)))
    return changes


def parse_document(
    file_type: FileType, data: bytes, clauses: Sequence[ClauseRef], *, deadline_s: float = 30.0
) -> ParsedDocument:
    """The changes of an uploaded document against the workspace clauses (raises ValidationFailed when the
    document cannot be read or is too large / too slow to process)."""
    budget = Budget(deadline_s)
    if file_type == "docx":
        paragraphs = docx.paragraphs(data, budget)
        accepted = tuple(squash(p.new) for p in paragraphs if p.new.strip())
        if any(p.changed for p in paragraphs):
            return ParsedDocument("docx", accepted, tuple(_tracked(paragraphs, budget)))
        return ParsedDocument("docx", accepted, tuple(_compare([p.new for p in paragraphs], clauses, budget)))
    lines = "\n".join(pdf.pages(data, budget)).splitlines()
    text_lines = tuple(s for s in (squash(x) for x in lines) if s)
    return ParsedDocument("pdf", text_lines, tuple(_compare(lines, clauses, budget)))


def document_text(file_type: FileType, data: bytes, *, deadline_s: float = 30.0) -> str:
    """Plain text for the clause import of workspace creation (§4.1): DOCX paragraphs (accepted text, table cells
    included) or PDF pages, joined by "\\n"."""
    budget = Budget(deadline_s)
    if file_type == "docx":
        return "\n".join(p.new.strip() for p in docx.paragraphs(data, budget) if p.new.strip())
    return "\n".join(pdf.pages(data, budget))
