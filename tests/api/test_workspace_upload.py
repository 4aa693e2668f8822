"""`POST /workspaces` as multipart with a document (api.md §3.2, §1.12; domain.md §4.1): clauses imported from a DOCX
or PDF, the same field rules as JSON, and the upload limits; nothing is created when the document is refused."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.api.documents import markup_docx, pdf_of, plain_docx

pytestmark = pytest.mark.anyio

Client = AsyncTestClient[Any]
W = "/api/v1/workspaces"
FIELDS = {"name": "Delta Term Loan", "currency": "eur", "amount": "125000000.50", "standard": "LMA 2024"}
AGREEMENT = [
    "SENIOR FACILITIES AGREEMENT",
    "1. Definitions",
    '"Margin" means 3.25 per cent. per annum.',
    "2. The Facility",
    "The Lenders make available a term loan facility of EUR 125,000,000.",
    "3. Governing Law",
    "English law.",
]


async def register(api: Client) -> dict[str, str]:
    resp = await api.post(
        "/api/v1/auth/register", json={"email": "ana@bank.example", "name": "Ana", "password": "correct horse battery"}
    )
    assert resp.status_code == 201, resp.text
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


async def create(api: Client, headers: dict[str, str], fields: dict[str, str], doc: tuple[str, bytes] | None) -> Any:
    # Every field as its own multipart part (httpx sends a form without files url-encoded otherwise).
    parts: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
        (k, (None, v, None)) for k, v in fields.items()
    ]
    if doc is not None:
        parts.append(("document", (doc[0], doc[1], "application/octet-stream")))
    return await api.post(W, headers=headers, files=parts)


async def outline(api: Client, headers: dict[str, str], ws: str) -> list[tuple[str, str, bool]]:
    resp = await api.get(f"{W}/{ws}/outline", headers=headers)
    assert resp.status_code == 200, resp.text
    return [(c["title"], c["type"], c["isSensitive"]) for c in resp.json()["outline"]]


EXPECTED = [
    ("1. Definitions", "definition", True),
    ("2. The Facility", "financial", True),
    ("3. Governing Law", "general", False),
]


async def test_docx_document_becomes_the_clauses(api: Client) -> None:
    me = await register(api)
    resp = await create(api, me, FIELDS, ("deals/Delta SFA.docx", plain_docx(AGREEMENT)))
    assert resp.status_code == 201, resp.text
    ws = resp.json()["workspace"]
    assert (ws["name"], ws["currency"], ws["amount"], ws["basePdfName"]) == (
        "Delta Term Loan", "EUR", 125000000.5, "Delta SFA.docx",
    )  # fmt: skip
    assert await outline(api, me, ws["id"]) == EXPECTED
    clauses = (await api.get(f"{W}/{ws['id']}/clauses", headers=me)).json()["clauses"]
    assert clauses[1]["body"] == "The Lenders make available a term loan facility of EUR 125,000,000."


async def test_tracked_changes_import_the_accepted_text(api: Client) -> None:
    me = await register(api)
    doc = markup_docx(
        [[("", "1. Definitions")], [("", "Margin means "), ("del", "3.00"), ("ins", "3.25"), ("", " per cent.")]]
    )
    resp = await create(api, me, FIELDS, ("m.docx", doc))
    assert resp.status_code == 201, resp.text
    clauses = (await api.get(f"{W}/{resp.json()['workspace']['id']}/clauses", headers=me)).json()["clauses"]
    assert [c["body"] for c in clauses] == ["Margin means 3.25 per cent."]


async def test_pdf_document_and_explicit_base_name(api: Client) -> None:
    me = await register(api)
    resp = await create(api, me, {**FIELDS, "basePdfName": "Signed.pdf"}, ("scan.pdf", pdf_of(AGREEMENT)))
    assert resp.status_code == 201, resp.text
    ws = resp.json()["workspace"]
    assert ws["basePdfName"] == "Signed.pdf"
    assert await outline(api, me, ws["id"]) == EXPECTED


async def test_multipart_without_document_uses_clauses_text(api: Client) -> None:
    me = await register(api)
    resp = await create(api, me, {**FIELDS, "clausesText": "\n".join(AGREEMENT)}, None)
    assert resp.status_code == 201, resp.text
    assert await outline(api, me, resp.json()["workspace"]["id"]) == EXPECTED


@pytest.mark.parametrize(
    ("fields", "doc", "status", "field"),
    [
        ({**FIELDS, "amount": "12.345"}, None, 400, "amount"),
        ({**FIELDS, "amount": "lots"}, None, 400, "amount"),
        ({**FIELDS, "currency": "EURO"}, None, 400, "currency"),
        ({k: v for k, v in FIELDS.items() if k != "name"}, None, 400, "name"),
        (FIELDS, ("deal.txt", b"1. Definitions\nText"), 415, None),
        (FIELDS, ("deal.docx", b"PK\x03\x04broken"), 400, None),
        (FIELDS, ("deal.pdf", b"not a pdf"), 415, None),
    ],
)
async def test_bad_multipart_creates_nothing(
    api: Client, fields: dict[str, str], doc: tuple[str, bytes] | None, status: int, field: str | None
) -> None:
    me = await register(api)
    resp = await create(api, me, fields, doc)
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    if field is not None:
        assert field in [d["field"] for d in error["details"]], error
    listed = await api.get(W, headers=me)
    assert listed.json()["workspaces"] == []


async def test_oversized_document_is_413(api: Client) -> None:
    me = await register(api)
    resp = await create(api, me, FIELDS, ("big.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024)))
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_json_creation_still_works_and_is_limited_to_4_mib(api: Client) -> None:
    me = await register(api)
    ok = await api.post(W, headers=me, json={**FIELDS, "amount": 1000})
    assert ok.status_code == 201, ok.text
    big = await api.post(W, headers=me, json={**FIELDS, "amount": 1000, "clausesText": "x" * (4 * 1024 * 1024)})
    assert big.status_code == 413, big.text
    bad = await api.post(W, headers=me, json={**FIELDS, "amount": "1000"})
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["field"] == "amount"
