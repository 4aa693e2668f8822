"""Value types of the reconciliation engine (domain.md §9): documents, changes, workspace references, suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

FileType = Literal["docx", "pdf"]
Confidence = Literal["HIGH", "MEDIUM", "LOW"]


@dataclass(frozen=True)
class ClauseRef:
    """A workspace clause as the engine sees it."""

    id: str
    title: str
    body: str
    order: int
    type: str


@dataclass(frozen=True)
class VariableRef:
    """A variable bound to a clause (`value` appears verbatim in the clause body)."""

    id: str
    clause_id: str
    label: str
    type: str
    value: str
    unit: str | None
    baseline_value: str | None


@dataclass(frozen=True)
class Region:
    """One edit inside a change: `old[old_start:old_end]` became `new[new_start:new_end]`."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int


@dataclass(frozen=True)
class Change:
    """One changed paragraph (tracked DOCX) or one changed sentence block (section compare, §9.2).

    `regions` are the author's edit spans (adjacent w:del/w:ins merged, widened to whole words) for tracked
    changes; empty means "the whole of `old` became `new`". `position` orders changes in the document.
    """

    old: str
    new: str
    heading: str | None
    position: int
    tracked: bool
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True)
class ParsedDocument:
    """Accepted paragraph texts (DOCX: with insertions, without deletions; PDF: text lines) and the changes."""

    file_type: FileType
    paragraphs: tuple[str, ...]
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Suggestion:
    """A proposed reconciliation item (domain.md §9.5); `position` = the change's document position."""

    incoming_snippet: str
    target_clause_id: str
    target_variable_id: str | None
    confidence: Confidence
    baseline_value: str
    current_value: str
    proposed_value: str
    match_score: int
    change_description: str
    position: int


class Suggester(Protocol):
    """Turns a parsed document into suggestions for a workspace (selected by NEXUS_RECON_SUGGESTER)."""

    def suggest(
        self, doc: ParsedDocument, clauses: Sequence[ClauseRef], variables: Sequence[VariableRef]
    ) -> list[Suggestion]: ...
