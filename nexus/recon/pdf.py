"""PDF text extraction with pypdf (§9.2, api.md §1.12 limits)."""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import LimitReachedError

from nexus.domain.errors import DomainError
from nexus.recon.text import Budget, too_large, unreadable

MAX_PAGES = 2000
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.IGNORECASE)

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _open(data: bytes) -> tuple[PdfReader, int]:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        # Owner-password-only PDFs open in every viewer; one that needs a password is unreadable.
        raise unreadable()
    return reader, len(reader.pages)


def pages(data: bytes, budget: Budget) -> list[str]:
    """The text of each page; a bare page-number line at the top or bottom of a page is dropped."""
    try:
        reader, count = _open(data)
    except DomainError:
        raise
    except LimitReachedError as exc:
        raise too_large() from exc
    except Exception as exc:  # pypdf raises many exception types on broken files
        raise unreadable() from exc
    if count == 0:
        raise unreadable()
    if count > MAX_PAGES:
        raise too_large()
    out: list[str] = []
    for i in range(count):
        budget.check()
        try:
            text = reader.pages[i].extract_text() or ""
        except LimitReachedError as exc:
            raise too_large() from exc
        except Exception as exc:  # broken content streams
            raise unreadable() from exc
        lines = text.splitlines()
        if lines and _PAGE_NUMBER.match(lines[-1]):
            lines.pop()
        if lines and _PAGE_NUMBER.match(lines[0]):
            lines.pop(0)
        out.append("\n".join(lines))
    return out
