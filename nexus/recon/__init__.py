"""Reconciliation document engine (domain.md §9): type detection, parsing, suggestions. Pure: no DB, no network."""

from nexus.recon.detect import detect_type
from nexus.recon.parse import document_text, parse_document
from nexus.recon.suggest import DeterministicSuggester, get_suggester, validate_suggestions
from nexus.recon.types import (
    Change,
    ClauseRef,
    Confidence,
    FileType,
    ParsedDocument,
    Region,
    Suggester,
    Suggestion,
    VariableRef,
)

__all__ = [
    "Change",
    "ClauseRef",
    "Confidence",
    "DeterministicSuggester",
    "FileType",
    "ParsedDocument",
    "Region",
    "Suggester",
    "Suggestion",
    "VariableRef",
    "detect_type",
    "document_text",
    "get_suggester",
    "parse_document",
    "validate_suggestions",
]
