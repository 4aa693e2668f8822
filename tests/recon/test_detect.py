"""api.md §1.12 type detection: extension AND magic bytes."""

from __future__ import annotations

import pytest

from nexus.domain.errors import UnsupportedMediaType, ValidationFailed
from nexus.recon import detect_type
from tests.recon.builders import TrackedDocx, pdf, zip_bytes


@pytest.fixture(scope="module")
def a_docx() -> bytes:
    return TrackedDocx().paragraph("Hello").bytes()


@pytest.fixture(scope="module")
def a_pdf() -> bytes:
    return pdf(["1. Definitions", "Hello"])


def test_docx_and_pdf_are_recognised_case_insensitively(a_docx: bytes, a_pdf: bytes) -> None:
    assert detect_type("Markup.DOCX", a_docx) == "docx"
    assert detect_type("markup.docx", a_docx) == "docx"
    assert detect_type("Agreement.PDF", a_pdf) == "pdf"


def test_pdf_magic_may_follow_whitespace_and_bom(a_pdf: bytes) -> None:
    assert detect_type("a.pdf", b"\xef\xbb\xbf \r\n" + a_pdf) == "pdf"
    with pytest.raises(UnsupportedMediaType):
        detect_type("a.pdf", b" " * 1100 + a_pdf)  # not within the first 1024 bytes


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.pdf", b""),
        ("empty.docx", b""),
        ("notes.pdf", b"This is a plain text file, not a PDF.\n"),
        ("notes.txt", b"%PDF-1.7 looks like a pdf but the name says txt"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
        ("fake.docx", b"%PDF-1.4\n"),
        ("agreement", b"%PDF-1.4\n"),
    ],
)
def test_unsupported_files_are_415(name: str, data: bytes) -> None:
    with pytest.raises(UnsupportedMediaType) as err:
        detect_type(name, data)
    assert "docx" in err.value.message and "pdf" in err.value.message


def test_renamed_files_are_415(a_docx: bytes, a_pdf: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        detect_type("markup.pdf", a_docx)
    with pytest.raises(UnsupportedMediaType):
        detect_type("agreement.docx", a_pdf)


def test_zip_without_word_parts_is_415() -> None:
    archive = zip_bytes({"readme.txt": b"hello", "word/other.xml": b"<x/>"})
    with pytest.raises(UnsupportedMediaType, match="not a Word document"):
        detect_type("archive.docx", archive)
    with pytest.raises(UnsupportedMediaType):
        detect_type("archive.docx", zip_bytes({"word/document.xml": b"<x/>"}))  # no [Content_Types].xml


def test_corrupt_zip_with_docx_name_is_unreadable(a_docx: bytes) -> None:
    with pytest.raises(ValidationFailed) as err:
        detect_type("broken.docx", a_docx[: len(a_docx) // 2])
    assert err.value.message == "Could not read document"
    assert err.value.details == [{"field": "document", "message": "Could not read document"}]
