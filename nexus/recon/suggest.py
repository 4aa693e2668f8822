"""The deterministic suggester (domain.md §9.3–§9.5) and the service-side validation of suggestions (§9.1)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nexus.domain.drift import parse_quantity
from nexus.recon.diff import OffsetMap
from nexus.recon.mapping import ClauseIndex
from nexus.recon.quantities import format_like, scan
from nexus.recon.text import ELLIPSIS, normalise, snippet, squash
from nexus.recon.types import (
    Change,
    ClauseRef,
    Confidence,
    ParsedDocument,
    Region,
    Suggester,
    Suggestion,
    VariableRef,
)

MEDIUM_SCORE = 80
MIN_FRAGMENT = 15  # a clause-level currentValue shorter than this is widened with context words
_CONFIDENCE_RANK = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}
_LAST_WORD = re.compile(r"\S+\s*$")
_FIRST_WORD = re.compile(r"\s*\S+")
_VALUE_CUT = 60
_CONTEXT_PUNCT = ".,;:"

Span = tuple[int, int]


def _overlaps(a: Span, b: Span) -> bool:
    if a[0] == a[1]:
        return b[0] <= a[0] <= b[1]
    if b[0] == b[1]:
        return a[0] <= b[0] <= a[1]
    return a[0] < b[1] and b[0] < a[1]


def _cut(text: str) -> str:
    text = squash(text)
    return text if len(text) <= _VALUE_CUT else text[: _VALUE_CUT - 1] + ELLIPSIS


@dataclass(frozen=True)
class _VariableHit:
    variable: VariableRef
    proposed: str
    old_span: Span
    new_span: Span


def _numeric_hit(change: Change, variable: VariableRef, diff: OffsetMap) -> _VariableHit | None:
    """§9.4: an edited quantity of `old` equal to the variable value whose counterpart in `new` (same class, at the
    place the word diff maps it to) differs."""
    own = parse_quantity(variable.value, variable.unit)
    if own is None:
        return None
    news = [f for f in scan(change.new, variable.unit) if f.quantity.cls == own.cls]
    for found in scan(change.old, variable.unit):
        if found.quantity.cls != own.cls or found.quantity.value != own.value:
            continue
        if not diff.touches(found.start, found.end):
            continue  # this occurrence was not edited
        lo, hi = diff.start(found.start), diff.end(found.end)
        counterpart = next((g for g in news if g.start < max(hi, lo + 1) and lo < g.end), None)
        if counterpart is None or counterpart.quantity.value == own.value:
            continue
        proposed = format_like(variable.value, variable.unit, counterpart.quantity)
        if proposed is not None:
            return _VariableHit(variable, proposed, (found.start, found.end), (counterpart.start, counterpart.end))
    return None


def _value_pattern(value: str) -> re.Pattern[str] | None:
    words = value.split()
    return re.compile(r"\s+".join(re.escape(w) for w in words)) if words else None


def _attachable(inserted: str) -> bool:
    """A short plain insertion (≤ 3 words, no clause punctuation) next to a text value extends the value."""
    return 0 < len(inserted.split()) <= 3 and not any(ch in inserted for ch in ",;:.()")


def _text_hit(change: Change, variable: VariableRef, diff: OffsetMap) -> _VariableHit | None:
    """§9.4 text variables: exactly one word-level diff hunk lies inside an occurrence of the value in `old`."""
    if parse_quantity(variable.value, variable.unit) is not None:
        return None
    pattern = _value_pattern(variable.value)
    if pattern is None:
        return None
    hunks = diff.hunks()
    for m in pattern.finditer(change.old):
        s, e = m.span()
        inside: list[tuple[int, int, int, int, bool]] = []
        for o1, o2, n1, n2 in hunks:
            if o1 == o2:  # insertion: within the value, or a few plain words added at its edge ("Term " SOFR)
                if s < o1 < e or (s <= o1 <= e and _attachable(change.new[n1:n2])):
                    inside.append((o1, o2, n1, n2, True))
            elif o1 < e and s < o2:
                inside.append((o1, o2, n1, n2, s <= o1 and o2 <= e))
        if len(inside) != 1 or not inside[0][4]:
            continue
        o1, o2, n1, n2, _ = inside[0]
        proposed = squash(change.old[s:o1] + change.new[n1:n2] + change.old[o2:e])
        if proposed and proposed != squash(variable.value):
            return _VariableHit(variable, proposed, (s, e), (n1, n2))
    return None


def _widen(change: Change, region: Region, lo: int, hi: int, body_norm: str) -> tuple[str, str]:
    """The region's old/new fragments, widened with shared context words (within old `[lo, hi)`) until the old
    fragment is at least MIN_FRAGMENT long, the new one is not empty and the old one is not ambiguous in the body."""
    os_, oe, ns, ne = region.old_start, region.old_end, region.new_start, region.new_end

    def needs_more() -> bool:
        frag = normalise(change.old[os_:oe])
        if len(frag) < MIN_FRAGMENT or not normalise(change.new[ns:ne]):
            return True
        return body_norm.count(frag) > 1

    left_turn = True
    while needs_more():
        left = _LAST_WORD.search(change.old, lo, os_) if os_ > lo else None
        right = _FIRST_WORD.match(change.old, oe, hi) if oe < hi else None
        if left is not None and (left_turn or right is None):
            k = os_ - left.start()
            os_, ns = os_ - k, ns - k
        elif right is not None:
            k = right.end() - oe
            oe, ne = oe + k, ne + k
        else:
            break
        left_turn = not left_turn
    old, new = change.old[os_:oe].strip(), change.new[ns:ne].strip()
    # Shared punctuation picked up as context ("Schedule 4;") is dropped when the fragment stays unambiguous.
    while len(old) > 1 and len(new) > 1 and old[-1] == new[-1] and old[-1] in _CONTEXT_PUNCT:
        shorter = old[:-1].rstrip()
        if len(normalise(shorter)) < MIN_FRAGMENT or body_norm.count(normalise(shorter)) > 1:
            break
        old, new = shorter, new[:-1].rstrip()
    return old, new


def _residual(
    region: Region, lo: int, hi: int, diff: OffsetMap, hits: Sequence[_VariableHit]
) -> tuple[Region, int, int] | None:
    """The part of a region that no variable hit explains (the word-diff hunks inside it that overlap no hit), with
    the bounds of the shared text around it; None when the hits explain everything."""
    old_span, new_span = (region.old_start, region.old_end), (region.new_start, region.new_end)
    if not any(_overlaps(old_span, h.old_span) or _overlaps(new_span, h.new_span) for h in hits):
        return region, lo, hi
    inside = [h for h in diff.hunks() if _overlaps((h[0], h[1]), old_span) and _overlaps((h[2], h[3]), new_span)]
    free = [
        h
        for h in inside
        if not any(_overlaps((h[0], h[1]), x.old_span) or _overlaps((h[2], h[3]), x.new_span) for x in hits)
    ]
    if not free:
        return None
    first, last = free[0], free[-1]
    taken = [h for h in inside if h not in free]
    lo = max([lo, *(h[1] for h in taken if h[1] <= first[0])])
    hi = min([hi, *(h[0] for h in taken if h[0] >= last[1])])
    return Region(first[0], last[1], first[2], last[3]), lo, hi


class DeterministicSuggester:
    """domain.md §9.3–§9.5: heading/fuzzy clause mapping, quantity and text variable mapping, confidence table."""

    def suggest(
        self, doc: ParsedDocument, clauses: Sequence[ClauseRef], variables: Sequence[VariableRef]
    ) -> list[Suggestion]:
        index = ClauseIndex(clauses)
        by_clause: dict[str, list[VariableRef]] = {}
        for variable in variables:
            by_clause.setdefault(variable.clause_id, []).append(variable)
        out: list[Suggestion] = []
        seen_variables: set[tuple[str, str]] = set()
        for change in doc.changes:
            needle = change.old if change.old.strip() else change.new
            clause, score = index.map(change.heading, needle)
            if clause is None:
                continue
            out.extend(self._for_change(change, clause, score, by_clause.get(clause.id, []), index, seen_variables))
        return validate_suggestions(out, clauses, variables)

    def _for_change(
        self,
        change: Change,
        clause: ClauseRef,
        score: int,
        variables: Sequence[VariableRef],
        index: ClauseIndex,
        seen: set[tuple[str, str]],
    ) -> list[Suggestion]:
        out: list[Suggestion] = []
        hits: list[_VariableHit] = []
        diff = OffsetMap(change.old, change.new)
        for variable in variables:
            hit = _numeric_hit(change, variable, diff) or _text_hit(change, variable, diff)
            if hit is None:
                continue
            hits.append(hit)  # a later duplicate still explains its edit, it just yields no second item
            if (clause.id, variable.id) in seen:
                continue
            seen.add((clause.id, variable.id))
            unit = f" {variable.unit}" if variable.unit else ""
            focus = hit.new_span[0]
            out.append(
                Suggestion(
                    incoming_snippet=snippet(change.new or change.old, focus),
                    target_clause_id=clause.id,
                    target_variable_id=variable.id,
                    confidence="HIGH",
                    baseline_value=variable.baseline_value if variable.baseline_value is not None else variable.value,
                    current_value=variable.value,
                    proposed_value=hit.proposed,
                    match_score=score,
                    change_description=f"{variable.label}: {_cut(variable.value)} → {_cut(hit.proposed)}{unit}",
                    position=change.position,
                )
            )
        regions = change.regions or (Region(0, len(change.old), 0, len(change.new)),)
        confidence: Confidence = "MEDIUM" if score >= MEDIUM_SCORE else "LOW"
        body_norm = index.body_norm(clause)
        for r, whole in enumerate(regions):
            lo = regions[r - 1].old_end if r > 0 else 0
            hi = regions[r + 1].old_start if r + 1 < len(regions) else len(change.old)
            residual = _residual(whole, lo, hi, diff, hits)
            if residual is None:
                continue
            region, lo, hi = residual
            old_frag, new_frag = _widen(change, region, lo, hi, body_norm)
            if squash(old_frag) == squash(new_frag):
                continue
            if old_frag:
                current, proposed = index.locate(clause, old_frag), new_frag
            else:  # a pure insertion without shared context (an inserted paragraph): append to the clause
                tail = _last_sentence(clause.body)
                current, proposed = tail, f"{tail} {new_frag}".strip()
            if not current:
                continue
            suffix = " (best guess)" if confidence == "LOW" else ""
            out.append(
                Suggestion(
                    incoming_snippet=snippet(change.new or change.old, region.new_start),
                    target_clause_id=clause.id,
                    target_variable_id=None,
                    confidence=confidence,
                    baseline_value=current,
                    current_value=current,
                    proposed_value=proposed,
                    match_score=score,
                    change_description=f"Text change in {clause.title}{suffix}",
                    position=change.position,
                )
            )
        return out


def _last_sentence(body: str) -> str:
    parts = re.split(r"(?<=[.;])\s+", body.strip())
    return parts[-1] if parts else ""


def validate_suggestions(
    suggestions: Sequence[Suggestion], clauses: Sequence[ClauseRef], variables: Sequence[VariableRef]
) -> list[Suggestion]:
    """§9.1: drop suggestions naming an unknown clause, a variable not bound to that clause, or (clause-level) a
    `current_value` absent from the body; one item per (clause, variable) — per (clause, current_value) for
    clause-level items — first wins; ordered HIGH → MEDIUM → LOW, then document position."""
    bodies = {c.id: c.body for c in clauses}
    bound = {(v.clause_id, v.id) for v in variables}
    seen: set[tuple[str, str | None, str]] = set()
    kept: list[Suggestion] = []
    for s in suggestions:
        if s.target_clause_id not in bodies or s.confidence not in _CONFIDENCE_RANK:
            continue
        if s.target_variable_id is not None:
            if (s.target_clause_id, s.target_variable_id) not in bound:
                continue
            key: tuple[str, str | None, str] = (s.target_clause_id, s.target_variable_id, "")
        else:
            if not s.current_value or s.current_value not in bodies[s.target_clause_id]:
                continue
            key = (s.target_clause_id, None, s.current_value)
        if key in seen:
            continue
        seen.add(key)
        kept.append(s)
    kept.sort(key=lambda s: (_CONFIDENCE_RANK[s.confidence], s.position))
    return kept


def get_suggester(name: str) -> Suggester:
    """The suggester named by NEXUS_RECON_SUGGESTER; only "deterministic" ships."""
    if name.strip().lower() == "deterministic":
        return DeterministicSuggester()
    raise ValueError(
        f"Unknown reconciliation suggester {name!r} (NEXUS_RECON_SUGGESTER): the only available one is 'deterministic'"
    )
