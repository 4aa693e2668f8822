"""Text helpers shared by extraction and suggestion: normalisation, headings, sentences, clause numbers, budget."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field

from nexus.domain.errors import ValidationFailed

ELLIPSIS = "…"
SNIPPET_MAX = 500

# §9.2 heading context (DOCX paragraphs) and section headings (PDF / plain DOCX, same as the import of §4.1).
PARAGRAPH_HEADING = re.compile(r"^\s*(\d+)[.)]?\s+\S")
SECTION_HEADING = re.compile(r"^\s*(\d+)\.\s+(\S.{0,118})$")
HEADING_MAX = 120
_SENTENCE_SPLIT = re.compile(r"(?<=[.;])\s+")
_LEADING_NUMBER = re.compile(r"^\s*(\d+)(?:\.\d+)*[.)]?\s+")
_WORD = re.compile(r"\S+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\u202f": " "})


def too_large() -> ValidationFailed:
    return ValidationFailed("Document too large to process", field="document")


def unreadable() -> ValidationFailed:
    return ValidationFailed("Could not read document", field="document")


@dataclass
class Budget:
    """Cooperative wall-clock limit: call `check()` between paragraphs / pages."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise too_large()


def clean(text: str) -> str:
    """NFKC, typographic quotes/NBSP made plain; length-preserving except for NFKC compositions."""
    return unicodedata.normalize("NFKC", text).translate(_QUOTES)


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces and trimmed."""
    return " ".join(text.split())


def normalise(text: str) -> str:
    """Comparison form: cleaned (per character), whitespace collapsed, lower case."""
    if text.isascii():
        return squash(text).lower()
    return normalise_with_map(text)[0]


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` plus, for each output character, the index of its source character in `text`."""
    if text.isascii() or (unicodedata.is_normalized("NFKC", text) and len(text.lower()) == len(text)):
        # Fast path: characters map one to one, only whitespace runs shrink.
        plain = text.translate(_QUOTES).lower()
        words = list(_WORD.finditer(plain))
        index: list[int] = []
        for i, m in enumerate(words):
            if i:
                index.append(m.start() - 1)
            index.extend(range(m.start(), m.end()))
        return " ".join(m[0] for m in words), index
    return _normalise_slow(text)


def _normalise_slow(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        c = unicodedata.normalize("NFKC", ch).translate(_QUOTES).lower()
        if not c or c.isspace():
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            index.append(i - 1)
            pending_space = False
        for part in c:
            out.append(part)
            index.append(i)
    return "".join(out), index


def raw_span(text: str, index: list[int], start: int, end: int) -> tuple[int, int]:
    """The span of `text` covering normalised characters `[start, end)` (see `normalise_with_map`)."""
    if end <= start:
        return index[start] if start < len(index) else len(text), index[start] if start < len(index) else len(text)
    return index[start], index[end - 1] + 1


def sentences(text: str) -> list[str]:
    """§9.2 sentence split of whitespace-normalised text."""
    s = squash(text)
    return [part for part in _SENTENCE_SPLIT.split(s) if part] if s else []


def heading_number(title: str) -> str | None:
    """The leading clause number of a heading/title ("10. Security" → "10")."""
    m = _LEADING_NUMBER.match(title)
    return m[1] if m else None


def heading_title(title: str) -> str:
    """A heading/title without numbering, normalised for comparison ("10. Security." → "security")."""
    return normalise(_LEADING_NUMBER.sub("", title, count=1)).rstrip(" .:;")


def snippet(text: str, focus: int = 0) -> str:
    """≤500 characters of `text` (trimmed), a window around `focus` with "…" where cut."""
    s = squash(text)
    if len(s) <= SNIPPET_MAX:
        return s
    focus = min(max(focus, 0), len(s))
    start = max(0, min(focus - SNIPPET_MAX // 3, len(s) - SNIPPET_MAX))
    room = SNIPPET_MAX - (1 if start > 0 else 0)
    end = start + room
    if end < len(s):
        end -= 1
    body = s[start:end]
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(s) else "")
