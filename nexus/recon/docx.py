"""DOCX reading below python-docx: ZIP limits, hardened XML, paragraphs with their tracked changes (§9.2)."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from lxml import etree

from nexus.recon.diff import Kind, Op, regions_from_ops, tokens
from nexus.recon.text import Budget, too_large, unreadable
from nexus.recon.types import Region

MAX_ENTRIES = 1000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
DOCUMENT_PART = "word/document.xml"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_P, _T, _DEL_TEXT = _W + "p", _W + "t", _W + "delText"
_DELETED = {_W + "del", _W + "moveFrom"}
_INSERTED = {_W + "ins", _W + "moveTo"}
_SPACES = {_W + "tab": " ", _W + "br": " ", _W + "cr": " ", _W + "noBreakHyphen": "-", _W + "ptab": " "}
_PSTYLE = f"{_W}pPr/{_W}pStyle"
# Properties, field instructions and the VML copy of text boxes carry no document text; paragraph-mark and
# table-row revision marks (pPr/rPr/w:del, trPr/w:ins) are not text revisions.
_SKIP = {_W + "pPr", _W + "trPr", _W + "instrText", _W + "delInstrText", _W + "sectPr", _MC_FALLBACK}
_EVENT_TAGS = (_P, _T, _DEL_TEXT, *_DELETED, *_INSERTED, *_SPACES, *_SKIP)
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u00ad]")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


@dataclass
class Paragraph:
    """One w:p: its text before (`old`) and after (`new`) the tracked changes, and the edit regions."""

    old: str
    new: str
    styled_heading: bool
    regions: tuple[Region, ...]

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class _Builder:
    styled_heading: bool = False
    segments: list[tuple[Kind, str]] = field(default_factory=list)

    def add(self, kind: Kind, text: str) -> None:
        text = _CONTROL.sub("", text.replace("\u00a0", " "))
        if text:
            self.segments.append((kind, text))

    def build(self) -> Paragraph:
        ops: list[Op] = [(kind, tok) for kind, text in self.segments for tok in tokens(text)]
        old = "".join(tok for kind, tok in ops if kind != "ins")
        new = "".join(tok for kind, tok in ops if kind != "del")
        return Paragraph(old, new, self.styled_heading, regions_from_ops(ops) if old != new else ())


def read_document_xml(data: bytes) -> bytes:
    """word/document.xml after the ZIP limits (checked on the central directory, before decompressing)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise unreadable() from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES or sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
            raise too_large()
        try:
            info = archive.getinfo(DOCUMENT_PART)
            with archive.open(info) as part:
                xml = part.read(MAX_UNCOMPRESSED + 1)
        except KeyError as exc:
            raise unreadable() from exc
        except (
            zipfile.BadZipFile,
            zlib.error,
            ValueError,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            raise unreadable() from exc  # corrupt data, bad CRC, unsupported compression, encrypted entry
    if len(xml) > MAX_UNCOMPRESSED:
        raise too_large()
    return xml


def parse_xml(xml: bytes) -> etree._Element:
    """Hardened parse: documents with a DTD or entity declarations are refused, never expanded."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise unreadable()
    try:
        root = etree.fromstring(xml, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise unreadable() from exc
    if root is None:
        raise unreadable()
    return root


def paragraphs(data: bytes, budget: Budget) -> list[Paragraph]:
    """Body paragraphs in document order (table cells and text boxes included)."""
    root = parse_xml(read_document_xml(data))
    body = root.find(_W + "body")
    if body is None:
        raise unreadable()
    builders: list[_Builder] = []
    open_paragraphs: list[_Builder] = []
    deleted = inserted = skipped = 0
    # Only the elements that matter produce events (C-level filtering): paragraphs, texts, revision wrappers and
    # the property/instruction containers whose contents are not document text.
    for event, el in etree.iterwalk(body, events=("start", "end"), tag=_EVENT_TAGS):
        tag = el.tag
        start = event == "start"
        if tag == _P:
            if start:
                budget.check()
                style = el.find(_PSTYLE)
                value = style.get(_W + "val", "") if style is not None else ""
                para = _Builder(styled_heading=value.replace(" ", "").lower().startswith("heading"))
                builders.append(para)
                open_paragraphs.append(para)
            else:
                open_paragraphs.pop()
        elif tag in _SKIP:
            skipped += 1 if start else -1
        elif tag in _DELETED:
            deleted += 1 if start else -1
        elif tag in _INSERTED:
            inserted += 1 if start else -1
        elif start and not skipped and open_paragraphs and not (deleted and inserted):
            para = open_paragraphs[-1]
            kind: Kind = "del" if deleted else "ins" if inserted else "same"
            if tag == _T:
                para.add(kind, el.text or "")
            elif tag == _DEL_TEXT:
                para.add("del", el.text or "")
            else:
                para.add(kind, _SPACES[tag])
    return [b.build() for b in builders]
