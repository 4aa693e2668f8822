"""Small test documents for the upload routes: DOCX with tracked changes (python-docx + raw WordprocessingML),
plain DOCX and PDF (fpdf2)."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from fpdf import FPDF

# --------------------------------------------------------------------------------------------------
W_RUN = '<w:r {ns}><w:t xml:space="preserve">{text}</w:t></w:r>'
W_DEL = (
    '<w:del {ns} w:id="{id}" w:author="Borrower Counsel" w:date="2024-12-19T10:00:00Z">'
    '<w:r><w:delText xml:space="preserve">{text}</w:delText></w:r></w:del>'
)
W_INS = (
    '<w:ins {ns} w:id="{id}" w:author="Borrower Counsel" w:date="2024-12-19T10:00:00Z">'
    '<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:ins>'
)


def markup_docx(paragraphs: list[list[tuple[str, str]]]) -> bytes:
    """A DOCX whose paragraphs are runs of ("", text), ("del", text) or ("ins", text) (tracked changes)."""
    doc = Document()
    ns = nsdecls("w")
    change_id = 1
    for runs in paragraphs:
        p = doc.add_paragraph()
        for kind, text in runs:
            template = {"": W_RUN, "del": W_DEL, "ins": W_INS}[kind]
            p._p.append(parse_xml(template.format(ns=ns, id=change_id, text=text)))
            change_id += 1
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_of(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def plain_docx(paragraphs: list[str]) -> bytes:
    return markup_docx([[("", p)] for p in paragraphs])
