"""Clause mapping (domain.md §9.3): heading number/title → score 100, else rapidfuzz partial_ratio on bodies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import floor

from rapidfuzz import fuzz

from nexus.recon.text import heading_number, heading_title, normalise, normalise_with_map, raw_span
from nexus.recon.types import ClauseRef

LOCATE_MIN_SCORE = 60  # a fragment not found verbatim must align at least this well to give a currentValue
TITLE_SIMILARITY = 60  # a heading matched by number only must have a similar title (token_set_ratio)


def score_int(score: float) -> int:
    """A rapidfuzz score as the stored integer 0–100 (half rounds up)."""
    return max(0, min(100, floor(score + 0.5)))


@dataclass
class _Body:
    text: str
    norm: str
    index: list[int] | None = None

    def mapped(self) -> tuple[str, list[int]]:
        if self.index is None:
            norm, self.index = normalise_with_map(self.text)
            self.norm = norm
        return self.norm, self.index


@dataclass
class ClauseIndex:
    """The workspace clauses prepared for mapping (ordered by `order`)."""

    clauses: Sequence[ClauseRef]
    _ordered: list[ClauseRef] = field(init=False)
    _bodies: dict[str, _Body] = field(init=False)

    def __post_init__(self) -> None:
        self._ordered = sorted(self.clauses, key=lambda c: (c.order, c.id))
        self._bodies = {c.id: _Body(c.body, normalise(c.body)) for c in self._ordered}

    def by_heading(self, heading: str | None) -> ClauseRef | None:
        """The clause whose title (numbering stripped) equals the heading's, else whose number equals it."""
        if not heading:
            return None
        title = heading_title(heading)
        if title:
            for clause in self._ordered:
                if heading_title(clause.title) == title:
                    return clause
        number = heading_number(heading)
        if number is not None:
            for clause in self._ordered:
                if heading_number(clause.title) == number:
                    # A renumbered document ("3. Conditions Precedent" where 3 is Interest here) is not trusted.
                    own = heading_title(clause.title)
                    if not title or not own or fuzz.token_set_ratio(title, own) >= TITLE_SIMILARITY:
                        return clause
                    return None
        return None

    def fuzzy(self, text: str) -> tuple[ClauseRef | None, int]:
        """Best `partial_ratio` of the normalised text against each body; ties → lowest order."""
        needle = normalise(text)
        best: ClauseRef | None = None
        best_score = -1.0
        if not needle:
            return None, 0
        for clause in self._ordered:
            score = fuzz.partial_ratio(needle, self._bodies[clause.id].norm)
            if score > best_score:
                best, best_score = clause, score
        return best, score_int(best_score)

    def map(self, heading: str | None, text: str) -> tuple[ClauseRef | None, int]:
        clause = self.by_heading(heading)
        return (clause, 100) if clause is not None else self.fuzzy(text)

    def body_norm(self, clause: ClauseRef) -> str:
        return self._bodies[clause.id].norm

    def locate(self, clause: ClauseRef, fragment: str) -> str:
        """The body span matching `fragment`: verbatim (normalised) when present, else the partial_ratio alignment
        widened to whole words; always a substring of the raw body ("" when nothing matches)."""
        norm, index = self._bodies[clause.id].mapped()
        needle = normalise(fragment)
        if not needle or not norm:
            return ""
        at = norm.find(needle)
        if at >= 0:
            start, end = at, at + len(needle)
        else:
            alignment = fuzz.partial_ratio_alignment(needle, norm)
            if alignment is None or alignment.score < LOCATE_MIN_SCORE:
                return ""  # nothing in the body resembles the edited text: no safe span to replace
            start, end = alignment.dest_start, alignment.dest_end
            while start > 0 and norm[start - 1] != " ":
                start -= 1
            while end < len(norm) and norm[end] != " ":
                end += 1
            while start < end and norm[start] == " ":
                start += 1
            while end > start and norm[end - 1] == " ":
                end -= 1
        if end <= start:
            return ""
        raw_start, raw_end = raw_span(clause.body, index, start, end)
        return clause.body[raw_start:raw_end]
