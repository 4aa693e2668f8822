"""HTTP tests of `/reconciliations` (api.md §3.6, routes 51–57; §1.12 uploads; domain.md §9) on the demo data
(demo-data.md §8, §14): upload validation and atomicity, listing, and exactly-once decisions."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosql
import anyio
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from tests.api.documents import markup_docx, pdf_of
from tests.api.race import Call, race

pytestmark = pytest.mark.anyio

MARGIN_MARKUP = [
    [("", "3. Interest")],
    [
        ("", "The Applicable Margin shall be "),
        ("del", "275"),
        ("ins", "300"),
        ("", " basis points per annum."),
    ],
]

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "recon_api_tests.sql", "psycopg")
Client = AsyncTestClient[Any]
Conn = psycopg.Connection[dict[str, Any]]
R = "/api/v1/reconciliations"
SARAH = "sarah.chen@bankco.com"
MARIA = "maria.garcia@bankco.com"
DAVID = "david.kim@investco.com"
JAMES = "james.wilson@legalfirm.com"
EMMA = "emma.brown@bankco.com"
SESSION = "recon-session-001"
REASON = {"reason": "Agreed with the borrower", "reasonCategory": "borrower_request"}
ITEM_KEYS = {
    "id", "workspaceId", "sessionId", "incomingSnippet", "targetClauseId", "targetVariableId", "confidence",
    "baselineValue", "currentValue", "proposedValue", "decision", "decisionReason", "decidedBy", "decidedAt",
    "position", "matchScore", "changeDescription",
}  # fmt: skip
SESSION_KEYS = {
    "id", "workspaceId", "fileName", "fileType", "uploadedAt", "uploadedBy", "totalItems", "appliedCount",
    "rejectedCount", "pendingCount",
}  # fmt: skip


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    with psycopg.connect(seeded_db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


async def login(api: Client, email: str) -> dict[str, str]:
    resp = await api.post("/api/v1/auth/login", json={"email": email, "password": "Password123"})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['data']['accessToken']}"}


def assert_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body


async def upload(
    api: Client, headers: dict[str, str], name: str, data: bytes, workspace_id: str | None = "ws-001"
) -> Any:
    fields = {"workspaceId": workspace_id} if workspace_id is not None else {}
    return await api.post(
        f"{R}/upload", headers=headers, files={"document": (name, data, "application/octet-stream")}, data=fields
    )


# -- upload -----------------------------------------------------------------------------------------------------
async def test_upload_tracked_docx_creates_session_items_and_event(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    resp = await upload(demo_api, sarah, "C:\\Users\\me\\Borrower markup v4.docx", markup_docx(MARGIN_MARKUP))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["success"] is True and set(body["session"]) == SESSION_KEYS
    session = body["session"]
    assert (session["fileName"], session["fileType"], session["uploadedBy"]) == (
        "Borrower markup v4.docx", "docx", "user-001",
    )  # fmt: skip
    assert session["totalItems"] == session["pendingCount"] == len(body["items"]) == 1
    (item,) = body["items"]
    assert set(item) == ITEM_KEYS
    assert (item["targetClauseId"], item["targetVariableId"], item["confidence"]) == ("clause-003", "var-002", "HIGH")
    assert (item["baselineValue"], item["currentValue"], item["proposedValue"]) == ("250", "275", "300")
    assert item["decision"] == "pending" and item["position"] == 0

    events = list(Q.target_events(db, target_type="reconciliation_session", target_id=session["id"]))
    assert [e["event_type"] for e in events] == ["RECON_UPLOAD"]
    assert events[0]["after_state"] == {
        "fileName": "Borrower markup v4.docx",
        "fileType": "docx",
        "totalItems": 1,
        "byConfidence": {"HIGH": 1, "MEDIUM": 0, "LOW": 0},
    }
    listed = (await demo_api.get(f"{R}/sessions", params={"workspaceId": "ws-001"}, headers=sarah)).json()
    assert [s["id"] for s in listed["sessions"]] == [session["id"], SESSION]  # newest upload first


async def test_upload_plain_pdf_compares_sections_with_the_clauses(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    pdf = pdf_of(
        [
            "3. Interest",
            "The rate of interest on the Loan for each interest period is the percentage rate per annum equal to the "
            "aggregate of the Applicable Margin and SOFR. The Applicable Margin shall be 300 basis points per annum.",
        ]
    )
    resp = await upload(demo_api, sarah, "markup.PDF", pdf)
    assert resp.status_code == 201, resp.text
    items = resp.json()["items"]
    assert resp.json()["session"]["fileType"] == "pdf"
    assert [(i["targetClauseId"], i["targetVariableId"], i["proposedValue"]) for i in items] == [
        ("clause-003", "var-002", "300")
    ]


async def test_a_document_without_changes_gives_an_empty_session(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    body = (
        "The rate of interest on the Loan for each interest period is the percentage rate per annum equal to the "
        "aggregate of the Applicable Margin and SOFR. The Applicable Margin shall be 275 basis points per annum."
    )
    resp = await upload(demo_api, sarah, "same.docx", markup_docx([[("", "3. Interest")], [("", body)]]))
    assert resp.status_code == 201, resp.text
    assert resp.json()["items"] == [] and resp.json()["session"]["totalItems"] == 0


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("notes.txt", b"The Applicable Margin shall be 300 basis points.", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("markup.doc", b"\xd0\xcf\x11\xe0 old word", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("empty.docx", b"", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("text.pdf", b"just text, not a PDF", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("pdf-named.docx", b"%PDF-1.7\n%%EOF", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("corrupt.docx", b"PK\x03\x04" + b"\x00" * 200, 400, "VALIDATION_ERROR"),
        ("broken.pdf", b"%PDF-1.7\nthis is not a pdf body", 400, "VALIDATION_ERROR"),
    ],
)
async def test_bad_documents_are_refused_and_nothing_is_written(
    demo_api: Client, db: Conn, name: str, data: bytes, status: int, code: str
) -> None:
    sarah = await login(demo_api, SARAH)
    before = Q.workspace_counts(db, workspace_id="ws-001")
    body = assert_error(await upload(demo_api, sarah, name, data), status, code)
    assert body["error"]["message"]
    assert Q.workspace_counts(db, workspace_id="ws-001") == before


async def test_renamed_zip_is_not_a_docx(demo_api: Client) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    sarah = await login(demo_api, SARAH)
    assert_error(await upload(demo_api, sarah, "archive.docx", out.getvalue()), 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_upload_request_errors(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    doc = markup_docx(MARGIN_MARKUP)
    before = Q.workspace_counts(db, workspace_id="ws-001")
    assert_error(
        await demo_api.post(f"{R}/upload", files={"document": ("m.docx", doc)}, data={"workspaceId": "ws-001"}),
        401,
        "UNAUTHORIZED",
    )
    assert_error(await upload(demo_api, sarah, "m.docx", doc, workspace_id=None), 400, "VALIDATION_ERROR")
    no_file = await demo_api.post(f"{R}/upload", headers=sarah, files=[("workspaceId", (None, "ws-001", None))])
    assert_error(no_file, 400, "VALIDATION_ERROR")
    form = await demo_api.post(f"{R}/upload", headers=sarah, data={"workspaceId": "ws-001"})
    assert_error(form, 415, "UNSUPPORTED_MEDIA_TYPE")  # url-encoded: no file can be in it
    resp = await demo_api.post(f"{R}/upload", headers=sarah, json={"workspaceId": "ws-001"})
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")
    two = await demo_api.post(
        f"{R}/upload",
        headers=sarah,
        files=[("document", ("a.docx", doc)), ("document", ("b.docx", doc))],
        data={"workspaceId": "ws-001"},
    )
    assert_error(two, 400, "VALIDATION_ERROR")
    too_big = doc + b"\x00" * (10 * 1024 * 1024)
    assert_error(await upload(demo_api, sarah, "big.docx", too_big), 413, "PAYLOAD_TOO_LARGE")
    assert_error(await upload(demo_api, sarah, "x" * 300 + ".docx", doc), 400, "VALIDATION_ERROR")
    assert Q.workspace_counts(db, workspace_id="ws-001") == before


async def test_upload_membership_and_permission(demo_api: Client) -> None:
    doc = markup_docx(MARGIN_MARKUP)
    emma, maria, david = [await login(demo_api, e) for e in (EMMA, MARIA, DAVID)]
    assert_error(await upload(demo_api, emma, "m.docx", doc), 404, "NOT_FOUND")
    assert_error(await upload(demo_api, maria, "m.docx", doc), 403, "PERMISSION_DENIED")
    assert_error(await upload(demo_api, david, "m.docx", doc), 403, "PERMISSION_DENIED")
    sarah = await login(demo_api, SARAH)
    assert_error(await upload(demo_api, sarah, "m.docx", doc, workspace_id="ws-404"), 404, "NOT_FOUND")


async def test_upload_to_a_workspace_without_clauses_or_archived_is_a_conflict(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    created = await demo_api.post(
        "/api/v1/workspaces",
        headers=sarah,
        json={"name": "Empty deal", "currency": "USD", "amount": 1000, "standard": "LMA"},
    )
    assert created.status_code == 201, created.text
    ws = created.json()["workspace"]["id"]
    body = assert_error(await upload(demo_api, sarah, "m.docx", markup_docx(MARGIN_MARKUP), ws), 409, "CONFLICT")
    assert "no clauses" in body["error"]["message"]
    assert (await demo_api.delete("/api/v1/workspaces/ws-002", headers=sarah)).status_code == 204
    assert_error(await upload(demo_api, sarah, "m.docx", markup_docx(MARGIN_MARKUP), "ws-002"), 409, "CONFLICT")


# -- reads ------------------------------------------------------------------------------------------------------
async def test_session_list_get_and_items(demo_api: Client) -> None:
    james = await login(demo_api, JAMES)
    listed = await demo_api.get(f"{R}/sessions", params={"workspaceId": "ws-001"}, headers=james)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["success"] is True and [s["id"] for s in body["sessions"]] == [SESSION]
    assert body["pagination"] == {
        "page": 1, "limit": 50, "total": 1, "totalPages": 1, "hasNext": False, "hasPrev": False, "nextCursor": None,
    }  # fmt: skip
    session = (await demo_api.get(f"{R}/sessions/{SESSION}", headers=james)).json()["session"]
    assert (session["totalItems"], session["appliedCount"], session["rejectedCount"], session["pendingCount"]) == (
        5, 1, 1, 3,
    )  # fmt: skip
    assert session["uploadedAt"] == "2024-12-19T14:00:00.000Z"

    items = (await demo_api.get(f"{R}/sessions/{SESSION}/items", headers=james)).json()["items"]
    assert [(i["id"], i["confidence"]) for i in items] == [
        ("recon-001", "HIGH"), ("recon-002", "HIGH"), ("recon-003", "HIGH"), ("recon-004", "MEDIUM"),
        ("recon-005", "LOW"),
    ]  # fmt: skip
    pending_high = await demo_api.get(
        f"{R}/sessions/{SESSION}/items", params={"decision": "pending", "confidence": "HIGH"}, headers=james
    )
    assert [i["id"] for i in pending_high.json()["items"]] == ["recon-003"]
    paged = (await demo_api.get(f"{R}/sessions/{SESSION}/items", params={"limit": 2, "page": 3}, headers=james)).json()
    assert [i["id"] for i in paged["items"]] == ["recon-005"] and paged["pagination"]["totalPages"] == 3
    assert_error(
        await demo_api.get(f"{R}/sessions/{SESSION}/items", params={"decision": "maybe"}, headers=james),
        400,
        "VALIDATION_ERROR",
    )
    item = (await demo_api.get(f"{R}/items/recon-002", headers=james)).json()["item"]
    assert (item["decision"], item["decidedBy"], item["proposedValue"]) == ("applied", "user-001", "10,000,000")
    assert item["changeDescription"] == "Minimum Prepayment: 5,000,000 → 10,000,000 USD"


async def test_reads_need_a_recon_permission_and_membership(demo_api: Client) -> None:
    maria, david, emma = [await login(demo_api, e) for e in (MARIA, DAVID, EMMA)]
    for who in (maria, david):
        assert_error(
            await demo_api.get(f"{R}/sessions", params={"workspaceId": "ws-001"}, headers=who), 403, "PERMISSION_DENIED"
        )
        assert_error(await demo_api.get(f"{R}/items/recon-003", headers=who), 403, "PERMISSION_DENIED")
    assert_error(await demo_api.get(f"{R}/sessions", params={"workspaceId": "ws-001"}, headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{R}/sessions/{SESSION}", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{R}/items/recon-003", headers=emma), 404, "NOT_FOUND")
    sarah = await login(demo_api, SARAH)
    assert_error(await demo_api.get(f"{R}/sessions", headers=sarah), 400, "VALIDATION_ERROR")
    assert_error(await demo_api.get(f"{R}/items/recon-404", headers=sarah), 404, "NOT_FOUND")


# -- decisions --------------------------------------------------------------------------------------------------
async def test_demo_vector_locked_then_apply_exactly_once(demo_api: Client, db: Conn) -> None:
    """demo-data §14: James apply recon-005 → 409 LOCKED (Sarah's lock); James apply recon-003 with a reason →
    200, drift-002 current "5.00"; again → 409 ALREADY_DECIDED; counters move once."""
    james = await login(demo_api, JAMES)
    body = assert_error(await demo_api.post(f"{R}/items/recon-005/apply", headers=james, json={}), 409, "LOCKED")
    assert body["error"]["details"]["lockedBy"] == "user-001"
    assert Q.item_row(db, item_id="recon-005")["decision"] == "pending"

    no_reason = await demo_api.post(f"{R}/items/recon-003/apply", headers=james, json={})
    assert_error(no_reason, 400, "VALIDATION_ERROR")  # clause-006 is sensitive, ws-001 requires a reason

    resp = await demo_api.post(f"{R}/items/recon-003/apply", headers=james, json=REASON)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and body["driftCreated"] is False  # drift-002 was already open
    assert (body["item"]["decision"], body["item"]["decidedBy"]) == ("applied", "user-002")
    assert body["item"]["decisionReason"] == REASON["reason"]
    assert Q.variable_value(db, variable_id="var-005") == "5.00"
    assert Q.drift_current(db, drift_id="drift-002") == {
        "current_value": "5.00",
        "severity": "HIGH",
        "status": "unresolved",
    }
    assert Q.session_counters(db, session_id=SESSION) == {
        "total_items": 5, "applied_count": 2, "rejected_count": 1, "pending_count": 2,
    }  # fmt: skip

    again = assert_error(
        await demo_api.post(f"{R}/items/recon-003/apply", headers=james, json=REASON), 409, "ALREADY_DECIDED"
    )
    assert again["error"]["details"]["decision"] == "applied" and again["error"]["details"]["decidedBy"] == "user-002"
    assert_error(await demo_api.post(f"{R}/items/recon-003/reject", headers=james, json={}), 409, "ALREADY_DECIDED")
    assert Q.session_counters(db, session_id=SESSION)["applied_count"] == 2

    (event,) = list(Q.target_events(db, target_type="reconciliation_item", target_id="recon-003"))
    assert event["event_type"] == "RECON_APPLY" and event["actor_id"] == "user-002"
    assert event["before_state"] == {"decision": "pending", "value": "4.50"}
    assert event["after_state"] == {
        "decision": "applied", "value": "5.00", "targetVariableId": "var-005", "driftCreated": False,
        "driftId": "drift-002",
    }  # fmt: skip
    assert (event["reason"], event["reason_category"]) == (REASON["reason"], REASON["reasonCategory"])


async def test_concurrent_applies_one_wins_and_counters_move_once(
    demo_api: Client, db: Conn, seeded_db_url: str
) -> None:
    sarah, james = await login(demo_api, SARAH), await login(demo_api, JAMES)
    first, second = await anyio.to_thread.run_sync(
        lambda: race(
            seeded_db_url,
            Call("POST", f"{R}/items/recon-003/apply", sarah, REASON),
            Call("POST", f"{R}/items/recon-003/apply", james, REASON),
        )
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    assert loser.json()["error"]["code"] == "ALREADY_DECIDED"
    assert Q.session_counters(db, session_id=SESSION) == {
        "total_items": 5, "applied_count": 2, "rejected_count": 1, "pending_count": 2,
    }  # fmt: skip
    assert len(list(Q.target_events(db, target_type="reconciliation_item", target_id="recon-003"))) == 1


async def test_concurrent_apply_and_reject_decide_once(demo_api: Client, db: Conn, seeded_db_url: str) -> None:
    sarah = await login(demo_api, SARAH)
    results = await anyio.to_thread.run_sync(
        lambda: race(
            seeded_db_url,
            Call("POST", f"{R}/items/recon-004/apply", sarah),
            Call("POST", f"{R}/items/recon-004/reject", sarah),
        )
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    counters = Q.session_counters(db, session_id=SESSION)
    assert counters["pending_count"] == 2 and counters["applied_count"] + counters["rejected_count"] == 3


async def test_clause_level_apply_rewrites_the_body_and_opens_a_drift(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    before = Q.clause_body(db, clause_id="clause-010")
    resp = await demo_api.post(f"{R}/items/recon-004/apply", headers=sarah, json={})
    assert resp.status_code == 200, resp.text
    assert resp.json()["driftCreated"] is True
    after = Q.clause_body(db, clause_id="clause-010")
    assert after == before.replace(
        "within 90 days of the date of this Agreement", "within 120 days of the date of this Agreement", 1
    )
    drift = Q.open_clause_drift(db, clause_id="clause-010")
    assert (drift["baseline_value"], drift["current_value"], drift["severity"]) == (before, after, "LOW")
    (event,) = list(Q.target_events(db, target_type="reconciliation_item", target_id="recon-004"))
    assert event["after_state"]["driftCreated"] is True and event["after_state"]["driftId"] == drift["id"]
    assert event["after_state"]["targetVariableId"] is None


async def test_clause_level_apply_on_changed_text_is_stale_and_writes_nothing(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    clause = (await demo_api.get("/api/v1/drafts/clauses/clause-010", headers=sarah)).json()["clause"]
    new_body = clause["body"].replace("within 90 days", "within sixty days")
    edit = await demo_api.patch("/api/v1/drafts/clauses/clause-010", headers=sarah, json={"newBody": new_body})
    assert edit.status_code == 200, edit.text
    body = assert_error(await demo_api.post(f"{R}/items/recon-004/apply", headers=sarah, json={}), 409, "STALE_WRITE")
    assert body["error"]["details"] == {"clauseId": "clause-010"}
    assert Q.item_row(db, item_id="recon-004")["decision"] == "pending"
    assert Q.session_counters(db, session_id=SESSION)["pending_count"] == 3
    assert Q.clause_body(db, clause_id="clause-010") == new_body
    assert list(Q.target_events(db, target_type="reconciliation_item", target_id="recon-004")) == []


async def test_reject_records_the_decision_and_reason(demo_api: Client, db: Conn) -> None:
    james = await login(demo_api, JAMES)
    resp = await demo_api.post(
        f"{R}/items/recon-005/reject",
        headers=james,
        json={"reason": "Keep English law wording", "reasonCategory": "legal_requirement"},
    )
    assert resp.status_code == 200, resp.text
    item = resp.json()["item"]
    assert (item["decision"], item["decidedBy"], item["decisionReason"]) == (
        "rejected", "user-002", "Keep English law wording",
    )  # fmt: skip
    (event,) = list(Q.target_events(db, target_type="reconciliation_item", target_id="recon-005"))
    assert (event["event_type"], event["before_state"], event["after_state"]) == (
        "RECON_REJECT", {"decision": "pending"}, {"decision": "rejected"},
    )  # fmt: skip
    assert event["reason_category"] == "legal_requirement"
    assert Q.session_counters(db, session_id=SESSION)["rejected_count"] == 2


async def test_decisions_need_apply_permission_and_a_live_workspace(demo_api: Client) -> None:
    maria, david = await login(demo_api, MARIA), await login(demo_api, DAVID)
    for who in (maria, david):
        assert_error(await demo_api.post(f"{R}/items/recon-004/apply", headers=who, json={}), 403, "PERMISSION_DENIED")
        assert_error(await demo_api.post(f"{R}/items/recon-004/reject", headers=who, json={}), 403, "PERMISSION_DENIED")
    sarah = await login(demo_api, SARAH)
    assert_error(await demo_api.post(f"{R}/items/recon-404/apply", headers=sarah, json={}), 404, "NOT_FOUND")
    bad = await demo_api.post(f"{R}/items/recon-004/reject", headers=sarah, json={"reasonCategory": "whim"})
    assert_error(bad, 400, "VALIDATION_ERROR")
    assert (await demo_api.delete("/api/v1/workspaces/ws-001", headers=sarah)).status_code == 204
    assert_error(await demo_api.post(f"{R}/items/recon-004/reject", headers=sarah, json={}), 409, "CONFLICT")
