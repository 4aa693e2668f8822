"""Test-document builders: DOCX (python-docx + raw WordprocessingML tracked changes), plain DOCX, PDF (fpdf2).

Markup mini-language for tracked paragraphs: "[-deleted-]" → w:del, "{+inserted+}" → w:ins, "[<moved away<]" →
w:moveFrom, "{>moved here>}" → w:moveTo; everything else is a plain run.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.oxml import parse_xml
from fpdf import FPDF
from pypdf import PdfWriter

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MARK = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}|\[<(.*?)<\]|\{>(.*?)>\}", re.S)
_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_DATE = "2024-12-19T12:00:00Z"


def _run(text: str, deleted: bool = False) -> str:
    tag = "w:delText" if deleted else "w:t"
    return f'<w:r><w:rPr><w:rFonts w:ascii="Arial"/></w:rPr><{tag} xml:space="preserve">{escape(text)}</{tag}></w:r>'


@dataclass
class _Ids:
    next: int = 100

    def take(self) -> int:
        self.next += 1
        return self.next


def markup_runs(text: str, ids: _Ids, split_runs: bool = False) -> str:
    """WordprocessingML runs for a marked-up string (split_runs: one run per word, like Word often writes)."""

    def runs(piece: str, deleted: bool = False) -> str:
        if not split_runs:
            return _run(piece, deleted)
        return "".join(_run(tok, deleted) for tok in re.findall(r"\S+\s*|\s+", piece))

    out: list[str] = []
    pos = 0
    for m in _MARK.finditer(text):
        if m.start() > pos:
            out.append(runs(text[pos : m.start()]))
        attrs = f'w:id="{ids.take()}" w:author="Borrower Counsel" w:date="{_DATE}"'
        if m[1] is not None:
            out.append(f"<w:del {attrs}>{runs(m[1], True)}</w:del>")
        elif m[2] is not None:
            out.append(f"<w:ins {attrs}>{runs(m[2])}</w:ins>")
        elif m[3] is not None:
            out.append(f"<w:moveFrom {attrs}>{runs(m[3], True).replace('w:delText', 'w:t')}</w:moveFrom>")
        else:
            out.append(f"<w:moveTo {attrs}>{runs(m[4])}</w:moveTo>")
        pos = m.end()
    if pos < len(text):
        out.append(runs(text[pos:]))
    return "".join(out)


def accepted(text: str) -> str:
    """The text after accepting every tracked change of a marked-up string."""
    return _MARK.sub(lambda m: m[2] or m[4] or "", text)


def original(text: str) -> str:
    """The text before the tracked changes of a marked-up string."""
    return _MARK.sub(lambda m: m[1] or m[3] or "", text)


@dataclass
class TrackedDocx:
    """A DOCX with tracked changes, built paragraph by paragraph."""

    split_runs: bool = False
    _doc: docx.document.Document = field(default_factory=docx.Document)
    _ids: _Ids = field(default_factory=_Ids)

    def _append(self, xml: str) -> None:
        body = self._doc.element.body
        body.insert(len(body) - 1, parse_xml(xml))  # before w:sectPr

    def heading(self, text: str, styled: bool = False) -> TrackedDocx:
        if styled:
            self._doc.add_heading(text, level=1)
        else:
            self.paragraph(text)
        return self

    def paragraph(self, text: str, style: str | None = None) -> TrackedDocx:
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        self._append(f'<w:p xmlns:w="{W_NS}">{ppr}{markup_runs(text, self._ids, self.split_runs)}</w:p>')
        return self

    def raw(self, inner_xml: str) -> TrackedDocx:
        """A paragraph from raw WordprocessingML (the w: prefix is bound)."""
        self._append(f'<w:p xmlns:w="{W_NS}">{inner_xml}</w:p>')
        return self

    def table(self, rows: Sequence[Sequence[str]]) -> TrackedDocx:
        cells = "".join(
            "<w:tr>"
            + "".join(
                f'<w:tc><w:tcPr><w:tcW w:w="4000" w:type="dxa"/></w:tcPr><w:p>{markup_runs(c, self._ids)}</w:p></w:tc>'
                for c in row
            )
            + "</w:tr>"
            for row in rows
        )
        self._append(f'<w:tbl xmlns:w="{W_NS}"><w:tblPr/><w:tblGrid/>{cells}</w:tbl>')
        return self

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self._doc.save(out)
        return out.getvalue()


def plain_docx(paragraphs: Iterable[str]) -> bytes:
    """A DOCX without tracked changes (python-docx only)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _NumberedPdf(FPDF):  # type: ignore[misc]
    def footer(self) -> None:
        self.set_y(-15)
        self.cell(0, 10, f"Page {self.page_no()}", align="C")


def pdf(paragraphs: Iterable[str], encrypt_with: str | None = None, page_numbers: bool = False) -> bytes:
    """A PDF with one block per paragraph (DejaVu Sans, A4, wrapped lines; optional "Page N" footers)."""
    doc = _NumberedPdf(format="A4") if page_numbers else FPDF(format="A4")
    doc.add_font("DejaVu", fname=str(_FONT))
    doc.set_font("DejaVu", size=10)
    doc.add_page()
    for text in paragraphs:
        doc.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    data = bytes(doc.output())
    if encrypt_with is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=encrypt_with, owner_password=encrypt_with + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf(pages: int) -> bytes:
    """A PDF of `pages` blank 1-inch pages (pypdf): cheap to build, counts only pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive of the given entries."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def docx_with_document_xml(document_xml: bytes) -> bytes:
    """A minimal DOCX package around a given word/document.xml."""
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
    )
    return zip_bytes({"[Content_Types].xml": types, "word/document.xml": document_xml})


def document_xml(paragraphs_xml: str) -> bytes:
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}">'
    return f"{head}<w:body>{paragraphs_xml}</w:body></w:document>".encode()
