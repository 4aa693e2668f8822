"""Upload type detection (api.md §1.12): the file name's extension AND the magic bytes must agree."""

from __future__ import annotations

import io
import zipfile

from nexus.domain.errors import UnsupportedMediaType
from nexus.recon.text import unreadable
from nexus.recon.types import FileType

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_PARTS = ("word/document.xml", "[Content_Types].xml")
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n\x0c\x00"
_SUPPORTED = "Only .docx (Word) and .pdf documents are supported"


def _pdf_magic(data: bytes) -> bool:
    head = data[:1024]
    i = 0
    while i < len(head):
        if head.startswith(_BOM, i):
            i += len(_BOM)
        elif head[i] in _WHITESPACE:
            i += 1
        else:
            break
    return head.startswith(PDF_MAGIC, i)


def detect_type(file_name: str, data: bytes) -> FileType:
    """ "docx" or "pdf"; 415 for anything else, 400 "Could not read document" for a .docx that is a broken ZIP."""
    name = file_name.strip().lower()
    if not data:
        raise UnsupportedMediaType(f"The file is empty. {_SUPPORTED}.")
    if name.endswith(".pdf"):
        if not _pdf_magic(data):
            raise UnsupportedMediaType(f"The file is named .pdf but is not a PDF document. {_SUPPORTED}.")
        return "pdf"
    if name.endswith(".docx"):
        if not data.startswith(ZIP_MAGIC):
            raise UnsupportedMediaType(f"The file is named .docx but is not a Word document. {_SUPPORTED}.")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
            raise unreadable() from exc
        if not all(part in names for part in DOCX_PARTS):
            raise UnsupportedMediaType(f"The file is a ZIP archive but not a Word document. {_SUPPORTED}.")
        return "docx"
    raise UnsupportedMediaType(f"Unsupported file type. {_SUPPORTED}.")
