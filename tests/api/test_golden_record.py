"""HTTP tests of the golden record (api.md §3.7; domain.md §10.1–§10.3, §11.1) on the demo data (demo-data.md §9,
§14): live status and can-publish, export bytes and hash, publish with its versions and deliveries, permissions,
tenancy and archived workspaces."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "golden_api_tests.sql", "psycopg")
Client = AsyncTestClient[Any]
Conn = psycopg.Connection[dict[str, Any]]
G = "/api/v1/golden-records"
SARAH = "sarah.chen@bankco.com"
JAMES = "james.wilson@legalfirm.com"
MARIA = "maria.garcia@bankco.com"
DAVID = "david.kim@investco.com"
EMMA = "emma.brown@bankco.com"
REASON = {"reason": "Final terms approved by all parties", "reasonCategory": "other"}
GOLDEN_KEYS = {
    "workspaceId",
    "status",
    "integrityScore",
    "unresolvedHighDriftCount",
    "lastExportAt",
    "lastPublishAt",
    "connectors",
    "covenants",
    "schemaJson",
    "contentHash",
    "currentVersion",
    "blockers",
}
VERSION_KEYS = {
    "id",
    "workspaceId",
    "version",
    "contentHash",
    "integrityScore",
    "publishedAt",
    "publishedBy",
    "reason",
    "reasonCategory",
}


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


def state(db: Conn, workspace_id: str) -> dict[str, Any]:
    row: dict[str, Any] = Q.workspace_state(db, workspace_id=workspace_id)
    return row


async def golden(api: Client, workspace_id: str, headers: dict[str, str]) -> dict[str, Any]:
    resp = await api.get(f"{G}/{workspace_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is True and set(body["goldenRecord"]) == GOLDEN_KEYS
    return body["goldenRecord"]


# -- live status ------------------------------------------------------------------------------------------------
async def test_live_status_of_the_demo_workspaces_without_writing(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    before = {ws: state(db, ws) for ws in ("ws-001", "ws-002", "ws-003")}

    ws1 = await golden(demo_api, "ws-001", sarah)
    assert (ws1["status"], ws1["integrityScore"], ws1["unresolvedHighDriftCount"]) == ("IN_REVIEW", 89, 2)
    assert ws1["blockers"] == ["INTEGRITY_BELOW_THRESHOLD", "UNRESOLVED_HIGH_DRIFT"]
    assert (ws1["lastExportAt"], ws1["lastPublishAt"], ws1["currentVersion"]) == (
        "2024-12-19T16:00:00.000Z",
        None,
        None,
    )
    assert [c["id"] for c in ws1["covenants"]] == ["cov-002", "cov-001"]  # clause order, then name
    assert [c["id"] for c in ws1["connectors"]] == ["conn-005", "conn-006", "conn-007", "conn-008"]
    doc = json.loads(ws1["schemaJson"])
    assert doc["status"] == "IN_REVIEW" and doc["contentHash"] == ws1["contentHash"]
    assert [d["id"] for d in doc["drift"]["items"]] == ["drift-001", "drift-002"]  # severity, then id
    assert doc["drift"]["unresolved"] == {"HIGH": 2, "MEDIUM": 0, "LOW": 0, "total": 2}
    assert doc["drift"]["approvedDeviations"] == 2
    assert doc["generatedAt"] == "2024-12-20T11:05:00.000Z"  # drift-006 approved last

    ws2 = await golden(demo_api, "ws-002", sarah)
    assert (ws2["status"], ws2["integrityScore"], ws2["unresolvedHighDriftCount"]) == ("READY", 100, 0)
    assert (ws2["blockers"], ws2["currentVersion"], ws2["lastPublishAt"]) == ([], 1, "2024-12-18T14:00:00.000Z")
    assert ws2["schemaJson"] == Q.version_document(db, workspace_id="ws-002", version=1)  # unchanged since v1

    ws3 = await golden(demo_api, "ws-003", sarah)
    assert (ws3["status"], ws3["integrityScore"], ws3["unresolvedHighDriftCount"]) == ("IN_REVIEW", 89, 0)
    assert ws3["blockers"] == ["INTEGRITY_BELOW_THRESHOLD"]

    assert {ws: state(db, ws) for ws in before} == before  # GET never writes


async def test_can_publish_vectors(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    before = state(db, "ws-001")
    resp = await demo_api.get(f"{G}/ws-001/can-publish", headers=sarah)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "success": True,
        "allowed": False,
        "reason": "Integrity score (89%) is below 90%. 2 unresolved HIGH severity drift item(s)",
        "integrityScore": 89,
        "unresolvedHighDriftCount": 2,
        "blockers": ["INTEGRITY_BELOW_THRESHOLD", "UNRESOLVED_HIGH_DRIFT"],
    }
    ws2 = (await demo_api.get(f"{G}/ws-002/can-publish", headers=sarah)).json()
    assert (ws2["allowed"], ws2["reason"], ws2["blockers"]) == (True, None, [])
    ws3 = (await demo_api.get(f"{G}/ws-003/can-publish", headers=sarah)).json()
    assert (ws3["allowed"], ws3["reason"]) == (False, "Integrity score (89%) is below 90%")
    assert state(db, "ws-001") == before


async def test_resolving_drift_makes_ws_001_ready_then_publishable(demo_api: Client, db: Conn) -> None:
    sarah, maria = await login(demo_api, SARAH), await login(demo_api, MARIA)
    resolve = {"reason": "Agreed by the Lenders", "reasonCategory": "credit_update"}
    # Blocked: 422 with the reasons, and nothing written.
    before = state(db, "ws-001")
    blocked = assert_error(
        await demo_api.post(f"{G}/ws-001/publish", json=REASON, headers=sarah), 422, "PUBLISH_BLOCKED"
    )
    assert blocked["error"]["details"] == {
        "integrityScore": 89,
        "unresolvedHighDriftCount": 2,
        "reasons": ["Integrity score (89%) is below 90%", "2 unresolved HIGH severity drift item(s)"],
    }
    assert state(db, "ws-001") == before

    # Risk approves drift-001, the agent overrides it (ws-001 requires the approval first): integrity rises.
    assert (await demo_api.post("/api/v1/drifts/drift-001/approve", json=resolve, headers=maria)).status_code == 200
    assert (await demo_api.post("/api/v1/drifts/drift-001/override", json=resolve, headers=sarah)).status_code == 200
    ws1 = await golden(demo_api, "ws-001", sarah)
    assert (ws1["status"], ws1["integrityScore"], ws1["unresolvedHighDriftCount"]) == ("IN_REVIEW", 95, 1)
    assert ws1["blockers"] == ["UNRESOLVED_HIGH_DRIFT"]
    gate = (await demo_api.get(f"{G}/ws-001/can-publish", headers=sarah)).json()
    assert (gate["allowed"], gate["reason"]) == (False, "1 unresolved HIGH severity drift item(s)")

    assert (await demo_api.post("/api/v1/drifts/drift-002/approve", json=resolve, headers=maria)).status_code == 200
    ws1 = await golden(demo_api, "ws-001", sarah)
    assert (ws1["status"], ws1["integrityScore"], ws1["unresolvedHighDriftCount"]) == ("READY", 100, 0)
    assert json.loads(ws1["schemaJson"])["drift"]["items"] == []

    resp = await demo_api.post(f"{G}/ws-001/publish", json=REASON, headers=sarah)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and set(body["version"]) == VERSION_KEYS
    assert (body["version"]["version"], body["version"]["integrityScore"]) == (1, 100)
    assert body["goldenRecord"]["currentVersion"] == 1 and body["goldenRecord"]["lastPublishAt"] is not None
    # No ws-001 connector has an endpoint: every delivery is skipped and the connectors are READY.
    assert {(d["connector_id"], d["status"]) for d in Q.delivery_rows(db, workspace_id="ws-001")} == {
        (c, "skipped") for c in ("conn-005", "conn-006", "conn-007", "conn-008")
    }
    assert {c["status"] for c in body["goldenRecord"]["connectors"]} == {"READY"}
    assert all(c["lastSyncAt"] is not None for c in body["goldenRecord"]["connectors"])


# -- export -----------------------------------------------------------------------------------------------------
async def test_export_is_byte_identical_and_matches_the_published_hash(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    first = await demo_api.post(f"{G}/ws-002/export", headers={**sarah, "Content-Type": "application/json"})
    assert first.status_code == 200, first.text
    one = first.json()
    assert set(one) == {"success", "schemaJson", "filename", "contentHash"}
    two = (await demo_api.post(f"{G}/ws-002/export", headers=sarah)).json()
    assert one["schemaJson"] == two["schemaJson"]  # same state ⇒ same bytes
    versions = (await demo_api.get(f"{G}/ws-002/versions", headers=sarah)).json()["versions"]
    assert one["contentHash"] == versions[0]["contentHash"]  # content unchanged since version 1
    assert one["schemaJson"] == Q.version_document(db, workspace_id="ws-002", version=1)
    assert re.fullmatch(r"golden_record_Project_Beacon_-_Revolving_Credit_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json",
                        one["filename"])  # fmt: skip

    doc = json.loads(one["schemaJson"])
    assert doc["workspace"] == {
        "id": "ws-002",
        "name": "Project Beacon - Revolving Credit",
        "currency": "EUR",
        "amount": 250000000,
        "standard": "LMA-style v2024.1",
        "basePdfName": "Beacon_RCF_Draft.pdf",
    }
    assert one["schemaJson"] == json.dumps(doc, ensure_ascii=False, indent=2)
    assert "≥ 4.00x" in one["schemaJson"]  # non-ASCII kept as is

    record = Q.golden_record_row(db, workspace_id="ws-002")
    assert record["schema_json"] == one["schemaJson"] and record["status"] == "READY"
    stamp = two["filename"].removeprefix("golden_record_Project_Beacon_-_Revolving_Credit_").removesuffix(".json")
    exported_at = (await golden(demo_api, "ws-002", sarah))["lastExportAt"]
    assert stamp == exported_at[:10] + "T" + exported_at[11:23].replace(":", "-").replace(".", "-") + "Z"

    events = list(Q.events_of(db, workspace_id="ws-002", event_type="EXPORT_JSON"))
    assert len(events) == 3  # audit-021 + the two exports
    last = events[-1]
    assert (last["actor_id"], last["target_type"], last["target_id"]) == ("user-001", "golden_record", "gr-002")
    assert last["after_state"] == {
        "filename": two["filename"],
        "size": len(two["schemaJson"].encode("utf-8")),
        "contentHash": two["contentHash"],
    }
    assert events[0]["after_state"]["contentHash"] == one["contentHash"]  # the seeded export event


async def test_export_snapshots_the_state_and_the_hash_ignores_the_timestamp(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    one = (await demo_api.post(f"{G}/ws-001/export", headers=sarah)).json()
    record = Q.golden_record_row(db, workspace_id="ws-001")
    assert (record["status"], record["integrity_score"], record["unresolved_high_drift_count"]) == (
        "IN_REVIEW",
        89,
        2,
    )
    # A no-op edit moves updated_at (the watermark) but not the content: same hash, other bytes.
    resp = await demo_api.patch("/api/v1/drafts/clauses/clause-008", json={"title": "8. Events of Default"},
                                headers=sarah)  # fmt: skip
    assert resp.status_code == 200, resp.text
    two = (await demo_api.post(f"{G}/ws-001/export", headers=sarah)).json()
    if two["schemaJson"] != one["schemaJson"]:
        assert json.loads(two["schemaJson"])["generatedAt"] > json.loads(one["schemaJson"])["generatedAt"]
    assert two["contentHash"] == one["contentHash"]
    # A real change changes the hash.
    resp = await demo_api.patch("/api/v1/drafts/clauses/clause-008", json={"title": "8. Defaults"}, headers=sarah)
    assert resp.status_code == 200, resp.text
    three = (await demo_api.post(f"{G}/ws-001/export", headers=sarah)).json()
    assert three["contentHash"] != one["contentHash"]


# -- publish, versions, deliveries ------------------------------------------------------------------------------
async def test_publish_numbers_versions_and_queues_deliveries(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    assert_error(await demo_api.post(f"{G}/ws-002/publish", json={}, headers=sarah), 400, "VALIDATION_ERROR")
    assert_error(
        await demo_api.post(f"{G}/ws-002/publish", json={"reason": "   "}, headers=sarah), 400, "VALIDATION_ERROR"
    )
    resp = await demo_api.post(f"{G}/ws-002/publish", json=REASON, headers=sarah)
    assert resp.status_code == 200, resp.text
    v2 = resp.json()["version"]
    assert (v2["version"], v2["publishedBy"], v2["reason"], v2["reasonCategory"]) == (
        2,
        "user-001",
        "Final terms approved by all parties",
        "other",
    )
    record = resp.json()["goldenRecord"]
    assert (record["status"], record["currentVersion"], record["lastPublishAt"]) == ("READY", 2, v2["publishedAt"])
    # conn-003 has an endpoint: pending now, connector IN_REVIEW; the others are skipped and READY.
    deliveries = [d for d in Q.delivery_rows(db, workspace_id="ws-002") if d["version"] == 2]
    assert [(d["connector_id"], d["status"]) for d in deliveries] == [
        ("conn-001", "skipped"),
        ("conn-002", "skipped"),
        ("conn-003", "pending"),
        ("conn-004", "skipped"),
    ]
    assert deliveries[2]["next_attempt_at"] is not None and deliveries[0]["next_attempt_at"] is None
    statuses = {c["id"]: c["status"] for c in record["connectors"]}
    assert statuses == {"conn-001": "READY", "conn-002": "READY", "conn-003": "IN_REVIEW", "conn-004": "READY"}

    publish_events = list(Q.events_of(db, workspace_id="ws-002", event_type="PUBLISH"))
    assert len(publish_events) == 2
    event = publish_events[-1]
    assert (event["target_type"], event["target_id"], event["reason"], event["reason_category"]) == (
        "golden_record",
        "gr-002",
        "Final terms approved by all parties",
        "other",
    )
    assert event["before_state"] == {"lastVersion": 1}
    assert event["after_state"] == {
        "status": "READY",
        "integrityScore": 100,
        "version": 2,
        "contentHash": v2["contentHash"],
        "connectorCount": 4,
    }

    # Same content again still makes a new version; the pending delivery of v2 is superseded.
    v3 = (await demo_api.post(f"{G}/ws-002/publish", json={"reason": "Again"}, headers=sarah)).json()["version"]
    assert (v3["version"], v3["contentHash"], v3["reasonCategory"]) == (3, v2["contentHash"], None)
    by_version = {(d["version"], d["connector_id"]): d["status"] for d in Q.delivery_rows(db, workspace_id="ws-002")}
    assert by_version[2, "conn-003"] == "superseded" and by_version[3, "conn-003"] == "pending"
    assert by_version[1, "conn-003"] == "failed"  # terminal rows are left alone

    listed = (await demo_api.get(f"{G}/ws-002/versions", headers=sarah)).json()["versions"]
    assert [v["version"] for v in listed] == [3, 2, 1]
    assert all(set(v) == VERSION_KEYS for v in listed)
    one = (await demo_api.get(f"{G}/ws-002/versions/1", headers=sarah)).json()["version"]
    assert set(one) == VERSION_KEYS | {"schemaJson"}
    assert one["schemaJson"] == Q.version_document(db, workspace_id="ws-002", version=1)
    assert (one["id"], one["publishedAt"], one["reason"]) == (
        "grv-001",
        "2024-12-18T14:00:00.000Z",
        "Final terms approved by all parties",
    )
    three = (await demo_api.get(f"{G}/ws-002/versions/3", headers=sarah)).json()["version"]
    assert three["schemaJson"] == record["schemaJson"]


async def test_published_versions_are_immutable(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    original = Q.version_document(db, workspace_id="ws-002", version=1)
    resp = await demo_api.patch("/api/v1/drafts/variables/var-012", json={"value": "225"}, headers=sarah)
    assert resp.status_code == 200, resp.text
    with pytest.raises(psycopg.errors.RaiseException):
        Q.tamper_version(db, workspace_id="ws-002", version=1)
    assert Q.version_document(db, workspace_id="ws-002", version=1) == original
    listed = (await demo_api.get(f"{G}/ws-002/versions/1", headers=sarah)).json()["version"]
    assert listed["schemaJson"] == original
    live = await golden(demo_api, "ws-002", sarah)
    assert live["schemaJson"] != original and '"value": "225"' in live["schemaJson"]


async def test_version_numbers_are_validated(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    for bad in ("0", "-1", "abc", "1.5", "１"):
        assert_error(await demo_api.get(f"{G}/ws-002/versions/{bad}", headers=sarah), 400, "VALIDATION_ERROR")
    assert_error(await demo_api.get(f"{G}/ws-002/versions/2", headers=sarah), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{G}/ws-001/versions/1", headers=sarah), 404, "NOT_FOUND")


# -- permissions, tenancy, archived -----------------------------------------------------------------------------
async def test_permissions_follow_the_matrix(demo_api: Client, db: Conn) -> None:
    david, maria, james, emma = [await login(demo_api, e) for e in (DAVID, MARIA, JAMES, EMMA)]
    # Investor: member reads only.
    assert (await demo_api.get(f"{G}/ws-001", headers=david)).status_code == 200
    assert (await demo_api.get(f"{G}/ws-001/can-publish", headers=david)).status_code == 200
    assert_error(await demo_api.post(f"{G}/ws-001/export", headers=david), 403, "PERMISSION_DENIED")
    assert_error(await demo_api.post(f"{G}/ws-001/publish", json=REASON, headers=david), 403, "PERMISSION_DENIED")
    assert_error(await demo_api.get(f"{G}/ws-001/versions", headers=david), 403, "PERMISSION_DENIED")
    assert_error(await demo_api.get(f"{G}/ws-001/versions/1", headers=david), 403, "PERMISSION_DENIED")
    # Risk exports but does not publish; legal does neither.
    assert (await demo_api.post(f"{G}/ws-002/export", headers=maria)).status_code == 200
    assert (await demo_api.get(f"{G}/ws-002/versions", headers=maria)).status_code == 200
    before = state(db, "ws-002")
    assert_error(await demo_api.post(f"{G}/ws-002/publish", json=REASON, headers=maria), 403, "PERMISSION_DENIED")
    assert_error(await demo_api.post(f"{G}/ws-002/export", headers=james), 403, "PERMISSION_DENIED")
    assert state(db, "ws-002") == before
    # Non-members: 404, before the permission and the body.
    for path in ("", "/can-publish", "/versions", "/versions/1", "/covenants", "/connectors"):
        assert_error(await demo_api.get(f"{G}/ws-001{path}", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.post(f"{G}/ws-001/publish", json={}, headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{G}/ws-404", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{G}/ws-002"), 401, "UNAUTHORIZED")


async def test_archived_workspace_exports_but_does_not_publish(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    assert (await demo_api.delete("/api/v1/workspaces/ws-002", headers=sarah)).status_code == 204
    assert (await golden(demo_api, "ws-002", sarah))["status"] == "READY"
    exported = await demo_api.post(f"{G}/ws-002/export", headers=sarah)
    assert exported.status_code == 200, exported.text
    before = state(db, "ws-002")
    assert_error(await demo_api.post(f"{G}/ws-002/publish", json=REASON, headers=sarah), 409, "CONFLICT")
    assert_error(await demo_api.post(f"{G}/ws-002/publish", json={}, headers=sarah), 400, "VALIDATION_ERROR")
    assert state(db, "ws-002") == before
