"""HTTP tests of covenants (api.md §3.7; domain.md §10.6, §11.1) on the demo data (demo-data.md §10): list order,
effective threshold, create / update / delete with their CLAUSE_EDIT events, extraction, permissions, tenancy and
archived workspaces."""

from __future__ import annotations

import json
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
COVENANT_KEYS = {
    "id",
    "workspaceId",
    "name",
    "testFrequency",
    "threshold",
    "calculationBasis",
    "clauseId",
    "variableId",
}
NEW = {
    "name": "Cashflow Cover",
    "testFrequency": "Annual",
    "threshold": "≥ 1.10x",
    "calculationBasis": "Cashflow / Debt Service",
    "clauseId": "clause-006",
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


async def covenants(api: Client, ws: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = await api.get(f"{G}/{ws}/covenants", headers=headers)
    assert resp.status_code == 200, resp.text
    rows: list[dict[str, Any]] = resp.json()["covenants"]
    assert all(set(c) == COVENANT_KEYS for c in rows)
    return rows


def covenant_events(db: Conn, ws: str) -> list[dict[str, Any]]:
    return [e for e in Q.events_of(db, workspace_id=ws, event_type="CLAUSE_EDIT") if e["target_type"] == "covenant"]


def content(c: dict[str, Any]) -> tuple[Any, ...]:
    return (c["name"], c["testFrequency"], c["threshold"], c["calculationBasis"], c["clauseId"], c["variableId"])


async def test_list_by_clause_order_and_name(demo_api: Client) -> None:
    david = await login(demo_api, DAVID)  # any member reads
    ws1 = await covenants(demo_api, "ws-001", david)
    assert [c["id"] for c in ws1] == ["cov-002", "cov-001"]
    assert ws1[1] == {
        "id": "cov-001",
        "workspaceId": "ws-001",
        "name": "Leverage Ratio",
        "testFrequency": "Quarterly",
        "threshold": "≤ 4.50x",
        "calculationBasis": "Total Net Debt / EBITDA",
        "clauseId": "clause-006",
        "variableId": "var-005",
    }
    sarah = await login(demo_api, SARAH)
    assert [c["id"] for c in await covenants(demo_api, "ws-002", sarah)] == ["cov-004", "cov-003"]
    assert [c["threshold"] for c in await covenants(demo_api, "ws-003", sarah)] == ["≤ 5.00x"]


async def test_threshold_follows_the_bound_variable(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    resp = await demo_api.patch("/api/v1/drafts/variables/var-005", json={"value": "4.75"}, headers=sarah)
    assert resp.status_code == 200, resp.text
    by_id = {c["id"]: c for c in await covenants(demo_api, "ws-001", sarah)}
    assert by_id["cov-001"]["threshold"] == "≤ 4.75x"
    assert by_id["cov-002"]["threshold"] == "≥ 3.00x"
    assert Q.covenant_row(db, covenant_id="cov-001")["threshold"] == "≤ 4.50x"  # stored text unchanged
    record = (await demo_api.get(f"{G}/ws-001", headers=sarah)).json()["goldenRecord"]
    assert {c["id"]: c["threshold"] for c in record["covenants"]}["cov-001"] == "≤ 4.75x"
    exported = {c["id"]: c for c in json.loads(record["schemaJson"])["covenants"]}
    assert exported["cov-001"]["threshold"] == "≤ 4.75x"
    assert exported["cov-001"]["variable"] == {
        "id": "var-005",
        "label": "Leverage Ratio Cap",
        "value": "4.75",
        "unit": "x",
        "baselineValue": "4.00",
    }
    # Unbound: the stored text again.
    resp = await demo_api.patch(f"{G}/covenants/cov-001", json={"variableId": None}, headers=sarah)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["covenant"]["threshold"], resp.json()["covenant"]["variableId"]) == ("≤ 4.50x", None)


async def test_create_update_delete_with_events(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    resp = await demo_api.post(f"{G}/ws-001/covenants", json={**NEW, "variableId": "var-006"}, headers=sarah)
    assert resp.status_code == 201, resp.text
    created = resp.json()["covenant"]
    assert content(created) == ("Cashflow Cover", "Annual", "≥ 3.00x", "Cashflow / Debt Service", "clause-006",
                                "var-006")  # fmt: skip
    cov_id = created["id"]
    assert Q.covenant_row(db, covenant_id=cov_id)["threshold"] == "≥ 1.10x"
    assert [c["id"] for c in await covenants(demo_api, "ws-001", sarah)] == [cov_id, "cov-002", "cov-001"]  # by name
    (event,) = covenant_events(db, "ws-001")
    assert (event["actor_id"], event["target_id"], event["before_state"]) == ("user-001", cov_id, None)
    assert event["after_state"] == {
        "action": "covenant_create",
        "name": "Cashflow Cover",
        "testFrequency": "Annual",
        "threshold": "≥ 1.10x",
        "calculationBasis": "Cashflow / Debt Service",
        "clauseId": "clause-006",
        "variableId": "var-006",
    }

    resp = await demo_api.patch(
        f"{G}/covenants/{cov_id}", json={"threshold": "≥ 1.25x", "variableId": None, "name": "Cashflow Cover"},
        headers=sarah,
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert (resp.json()["covenant"]["threshold"], resp.json()["covenant"]["variableId"]) == ("≥ 1.25x", None)
    update = covenant_events(db, "ws-001")[-1]
    assert update["before_state"] == {"threshold": "≥ 1.10x", "variableId": "var-006"}  # changed fields only
    assert update["after_state"] == {"threshold": "≥ 1.25x", "variableId": None}
    # Nothing changed: no event.
    same = await demo_api.patch(f"{G}/covenants/{cov_id}", json={"threshold": "≥ 1.25x"}, headers=sarah)
    assert same.status_code == 200 and len(covenant_events(db, "ws-001")) == 2

    resp = await demo_api.delete(f"{G}/covenants/{cov_id}", headers=sarah)
    assert resp.status_code == 204 and resp.content == b""
    deleted = covenant_events(db, "ws-001")[-1]
    assert deleted["after_state"] == {"action": "covenant_delete"}
    assert deleted["before_state"]["id"] == cov_id and deleted["before_state"]["threshold"] == "≥ 1.25x"
    assert [c["id"] for c in await covenants(demo_api, "ws-001", sarah)] == ["cov-002", "cov-001"]
    assert_error(await demo_api.delete(f"{G}/covenants/{cov_id}", headers=sarah), 404, "NOT_FOUND")
    assert_error(await demo_api.patch(f"{G}/covenants/{cov_id}", json={"name": "x"}, headers=sarah), 404, "NOT_FOUND")


async def test_create_and_update_validate_fields_and_references(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    url = f"{G}/ws-001/covenants"
    cases = [
        {**NEW, "clauseId": "clause-014"},  # another workspace's clause
        {**NEW, "clauseId": "clause-404"},
        {**NEW, "variableId": "var-002"},  # a variable of another clause
        {**NEW, "variableId": "var-017"},  # another workspace's variable
        {**NEW, "name": "  "},
        {**NEW, "threshold": "x" * 256},
        {**NEW, "calculationBasis": ""},
        {k: v for k, v in NEW.items() if k != "testFrequency"},
        {**NEW, "name": 5},
    ]
    for body in cases:
        assert_error(await demo_api.post(url, json=body, headers=sarah), 400, "VALIDATION_ERROR")
    body = assert_error(await demo_api.post(url, json={**NEW, "variableId": "var-002"}, headers=sarah), 400,
                        "VALIDATION_ERROR")  # fmt: skip
    assert body["error"]["details"][0]["field"] == "variableId"
    assert covenant_events(db, "ws-001") == []

    patch = f"{G}/covenants/cov-001"
    assert_error(await demo_api.patch(patch, json={}, headers=sarah), 400, "VALIDATION_ERROR")
    assert_error(await demo_api.patch(patch, json={"name": None}, headers=sarah), 400, "VALIDATION_ERROR")
    assert_error(await demo_api.patch(patch, json={"variableId": "var-002"}, headers=sarah), 400, "VALIDATION_ERROR")
    # Moving to another clause keeps the binding only if the variable belongs there.
    assert_error(await demo_api.patch(patch, json={"clauseId": "clause-003"}, headers=sarah), 400, "VALIDATION_ERROR")
    resp = await demo_api.patch(patch, json={"clauseId": "clause-003", "variableId": "var-002"}, headers=sarah)
    assert resp.status_code == 200, resp.text
    assert resp.json()["covenant"]["threshold"] == "≤ 275x"  # its first number follows var-002 now
    assert Q.covenant_row(db, covenant_id="cov-001")["threshold"] == "≤ 4.50x"


async def test_extraction_is_deterministic_and_idempotent(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    # Unchanged demo data: nothing to create anywhere.
    for ws, skipped in (("ws-001", 2), ("ws-002", 2), ("ws-003", 1)):  # Sarah is an agent in all three
        resp = await demo_api.post(f"{G}/{ws}/covenants/extract", headers=sarah)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"success": True, "covenants": [], "skipped": skipped}
    assert covenant_events(db, "ws-001") == []

    original = {c["id"]: content(c) for c in await covenants(demo_api, "ws-001", sarah)}
    for cov_id in ("cov-001", "cov-002"):
        assert (await demo_api.delete(f"{G}/covenants/{cov_id}", headers=sarah)).status_code == 204
    resp = await demo_api.post(f"{G}/ws-001/covenants/extract", headers=sarah)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["skipped"] == 0
    assert [content(c) for c in body["covenants"]] == [original["cov-001"], original["cov-002"]]
    assert sorted(content(c) for c in await covenants(demo_api, "ws-001", sarah)) == sorted(original.values())
    created_events = [e for e in covenant_events(db, "ws-001") if e["before_state"] is None]
    assert [e["after_state"]["name"] for e in created_events] == ["Leverage Ratio", "Interest Cover"]
    assert all(e["after_state"]["extracted"] is True for e in created_events)

    again = (await demo_api.post(f"{G}/ws-001/covenants/extract", headers=sarah)).json()
    assert (again["covenants"], again["skipped"]) == ([], 2)
    assert len(await covenants(demo_api, "ws-001", sarah)) == 2


async def test_permissions_tenancy_and_archived(demo_api: Client, db: Conn) -> None:
    sarah, james, maria, david, emma = [await login(demo_api, e) for e in (SARAH, JAMES, MARIA, DAVID, EMMA)]
    # legal holds variable:edit in ws-001 (not read-only there)
    resp = await demo_api.post(f"{G}/ws-001/covenants", json=NEW, headers=james)
    assert resp.status_code == 201, resp.text
    for who in (maria, david):
        assert_error(await demo_api.post(f"{G}/ws-001/covenants", json=NEW, headers=who), 403, "PERMISSION_DENIED")
        assert_error(await demo_api.patch(f"{G}/covenants/cov-001", json={"name": "x"}, headers=who), 403,
                     "PERMISSION_DENIED")  # fmt: skip
        assert_error(await demo_api.delete(f"{G}/covenants/cov-001", headers=who), 403, "PERMISSION_DENIED")
        assert_error(await demo_api.post(f"{G}/ws-001/covenants/extract", headers=who), 403, "PERMISSION_DENIED")
    # James is external counsel, read-only in ws-002.
    assert_error(await demo_api.patch(f"{G}/covenants/cov-003", json={"name": "x"}, headers=james), 403,
                 "PERMISSION_DENIED")  # fmt: skip
    # Emma is no member of ws-001: its covenants do not exist for her.
    assert_error(await demo_api.patch(f"{G}/covenants/cov-001", json={"name": "x"}, headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.delete(f"{G}/covenants/cov-001", headers=emma), 404, "NOT_FOUND")
    assert_error(await demo_api.post(f"{G}/ws-001/covenants", json=NEW, headers=emma), 404, "NOT_FOUND")
    assert Q.covenant_row(db, covenant_id="cov-001")["name"] == "Leverage Ratio"

    assert (await demo_api.delete("/api/v1/workspaces/ws-002", headers=sarah)).status_code == 204
    assert len(await covenants(demo_api, "ws-002", sarah)) == 2  # still readable
    body = {**NEW, "clauseId": "clause-014"}
    assert_error(await demo_api.post(f"{G}/ws-002/covenants", json=body, headers=sarah), 409, "CONFLICT")
    assert_error(await demo_api.patch(f"{G}/covenants/cov-003", json={"name": "x"}, headers=sarah), 409, "CONFLICT")
    assert_error(await demo_api.delete(f"{G}/covenants/cov-003", headers=sarah), 409, "CONFLICT")
    assert_error(await demo_api.post(f"{G}/ws-002/covenants/extract", headers=sarah), 409, "CONFLICT")
    assert Q.covenant_row(db, covenant_id="cov-003")["name"] == "Leverage Ratio"
