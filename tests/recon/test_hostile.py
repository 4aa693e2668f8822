"""Hostile uploads (api.md §1.12): encrypted/broken PDFs, corrupt ZIPs, ZIP bombs, XML entity expansion, slowness."""

from __future__ import annotations

import io
import random
import struct
import zipfile

import pytest

from nexus.domain.errors import DomainError, ValidationFailed
from nexus.recon import detect_type, document_text, get_suggester, parse_document
from nexus.recon.docx import MAX_ENTRIES
from tests.recon.builders import TrackedDocx, blank_pdf, document_xml, docx_with_document_xml, pdf, zip_bytes
from tests.recon.demo import clauses_at_upload, current_clauses, demo_markup_docx, variables_at_upload

UNREADABLE = "Could not read document"
TOO_LARGE = "Document too large to process"
_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def _fails(file_type: str, data: bytes, message: str, **kwargs: float) -> None:
    for call in (
        lambda: parse_document(file_type, data, current_clauses(), **kwargs),  # type: ignore[arg-type]
        lambda: document_text(file_type, data, **kwargs),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationFailed) as err:
            call()
        assert err.value.message == message
        assert err.value.details == [{"field": "document", "message": message}]


def test_encrypted_pdf_is_unreadable() -> None:
    _fails("pdf", pdf(["1. Definitions", "Secret"], encrypt_with="s3cret"), UNREADABLE)


def test_pdf_with_only_an_owner_password_is_read() -> None:
    data = pdf(["1. Definitions", "Open to every reader"], encrypt_with="")
    assert "Open to every reader" in document_text("pdf", data)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_broken_pdf_is_unreadable(cut: float) -> None:
    data = pdf(["1. Definitions", "Hello"])
    _fails("pdf", data[: int(len(data) * cut)], UNREADABLE)
    _fails("pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100, UNREADABLE)


def test_pdf_over_2000_pages_is_too_large() -> None:
    _fails("pdf", blank_pdf(2001), TOO_LARGE)


def test_corrupt_zip_data_is_unreadable() -> None:
    data = bytearray(TrackedDocx().paragraph("The Applicable Margin shall be [-275-]{+300+} basis points.").bytes())
    at = data.index(b"word/document.xml") + len(b"word/document.xml")  # compressed data follows the local name
    data[at + 10 : at + 60] = b"\xff" * 50
    _fails("docx", bytes(data), UNREADABLE)


def test_zip_with_too_many_entries_is_too_large() -> None:
    entries = {f"word/media/{i}.bin": b"" for i in range(MAX_ENTRIES)}
    entries |= {"[Content_Types].xml": _TYPES, "word/document.xml": document_xml("")}
    _fails("docx", zip_bytes(entries), TOO_LARGE)


def test_zip_bomb_is_refused_from_the_declared_sizes() -> None:
    huge = b" " * (100 * 1024 * 1024 + 1)  # compresses to ~100 KB
    bomb = zip_bytes({"[Content_Types].xml": _TYPES, "word/document.xml": document_xml("") + huge})
    assert len(bomb) < 1024 * 1024
    _fails("docx", bomb, TOO_LARGE)


def test_zip_entry_larger_than_declared_is_never_expanded_past_its_declared_size() -> None:
    data = bytearray(zip_bytes({"[Content_Types].xml": _TYPES, "word/document.xml": document_xml("<w:p/>" * 200_000)}))
    # Lie in every central-directory record: 100 bytes uncompressed. Reading stops there and the CRC fails.
    at = -1
    while (at := data.find(b"PK\x01\x02", at + 1)) >= 0:
        struct.pack_into("<I", data, at + 24, 100)
    _fails("docx", bytes(data), UNREADABLE)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_xml_with_entities_is_refused_not_expanded(xml: bytes) -> None:
    _fails("docx", docx_with_document_xml(xml), UNREADABLE)


def test_malformed_xml_is_unreadable() -> None:
    _fails("docx", docx_with_document_xml(b"<w:document><w:body><w:p>"), UNREADABLE)


def test_missing_document_part_is_unreadable() -> None:
    _fails("docx", zip_bytes({"[Content_Types].xml": _TYPES, "word/styles.xml": b"<x/>"}), UNREADABLE)


def test_work_beyond_the_deadline_is_too_large() -> None:
    data = TrackedDocx().paragraph("The Applicable Margin shall be [-275-]{+300+} basis points.").bytes()
    _fails("docx", data, TOO_LARGE, deadline_s=-1.0)
    _fails("pdf", pdf(["1. Definitions", "Hello"]), TOO_LARGE, deadline_s=-1.0)


def test_a_zip_entry_with_unsupported_compression_is_unreadable() -> None:
    data = bytearray(zip_bytes({"[Content_Types].xml": _TYPES, "word/document.xml": document_xml("")}))
    at = -1
    while (at := data.find(b"PK\x01\x02", at + 1)) >= 0:
        struct.pack_into("<H", data, at + 10, 99)  # AES / unknown method in the central directory
    at = -1
    while (at := data.find(b"PK\x03\x04", at + 1)) >= 0:
        struct.pack_into("<H", data, at + 8, 99)
    assert zipfile.is_zipfile(io.BytesIO(bytes(data)))
    _fails("docx", bytes(data), UNREADABLE)


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_randomly_damaged_documents_fail_only_with_domain_errors(kind: str) -> None:
    # The API never answers 500 for bad input: damage anywhere gives a result or a 4xx domain error.
    clauses, variables = clauses_at_upload(), variables_at_upload()
    base = demo_markup_docx() if kind == "docx" else pdf(["3. Interest", "The Applicable Margin shall be 300 bps."])
    rng = random.Random(20241219)
    for _ in range(60):
        data = bytearray(base)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        try:
            file_type = detect_type(f"upload.{kind}", bytes(data))
            doc = parse_document(file_type, bytes(data), clauses)
            get_suggester("deterministic").suggest(doc, clauses, variables)
            document_text(file_type, bytes(data))
        except DomainError:
            pass
