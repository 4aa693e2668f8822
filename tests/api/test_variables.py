"""HTTP tests of the variable routes (api.md §3.3, route index rows 24, 25, 34, 35; domain.md §5.5, §6, §11.1)
against the demo data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.api.test_clauses import (
    API,
    DAVID,
    ETAG,
    JAMES,
    SARAH,
    TS,
    WS,
    Client,
    Conn,
    Q,
    assert_error,
    auth,
    events,
)

pytestmark = pytest.mark.anyio

VARS = f"{API}/drafts/variables"
VARIABLE_KEYS = {
    "id",
    "workspaceId",
    "clauseId",
    "label",
    "type",
    "value",
    "unit",
    "baselineValue",
    "baselineApprovedAt",
    "createdAt",
    "lastModifiedAt",
    "lastModifiedBy",
}


@pytest.fixture
def db(seeded_db_url: str) -> Iterator[Conn]:
    """A sync autocommit connection to the demo database the app under test uses."""
    with psycopg.connect(seeded_db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def assert_variable_shape(variable: dict[str, Any]) -> None:
    assert set(variable) == VARIABLE_KEYS
    assert TS.match(variable["createdAt"]) and TS.match(variable["lastModifiedAt"])


async def test_list_variables(demo_api: Client) -> None:
    resp = await demo_api.get(f"{WS}/ws-001/variables", headers=await auth(demo_api, DAVID))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"success", "variables"}
    for variable in body["variables"]:
        assert_variable_shape(variable)
    ids = [v["id"] for v in body["variables"]]
    # by clause order: clause-001 (var-009), clause-002 (var-001), clause-003 (var-002, var-010), ...
    assert ids[:4] == ["var-009", "var-001", "var-002", "var-010"]
    assert len(ids) == 10


async def test_patch_value_keeps_high_drift_open(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    # no reason needed even though clause-003 is sensitive (domain.md §2)
    resp = await demo_api.patch(f"{VARS}/var-002", headers=sarah, json={"value": " 300 "})
    assert resp.status_code == 200, resp.text
    assert ETAG.match(resp.headers["etag"])
    variable = resp.json()["variable"]
    assert_variable_shape(variable)
    assert (variable["value"], variable["baselineValue"], variable["lastModifiedBy"]) == ("300", "250", "user-001")
    open_drifts = list(Q.open_drifts_of_variable(db, variable_id="var-002"))
    assert len(open_drifts) == 1
    assert (open_drifts[0]["severity"], open_drifts[0]["current_value"]) == ("HIGH", "300")
    event = events(db, "ws-001")[-1]
    assert (event["event_type"], event["target_type"], event["target_id"]) == ("VARIABLE_EDIT", "variable", "var-002")
    assert event["before_state"] == {"value": "275"} and event["after_state"] == {"value": "300"}
    assert event["reason"] is None

    resp = await demo_api.patch(
        f"{VARS}/var-002", headers=sarah, json={"value": "310", "reason": "r", "reasonCategory": "other"}
    )
    assert resp.status_code == 200
    event = events(db, "ws-001")[-1]
    assert (event["reason"], event["reason_category"]) == ("r", "other")


async def test_patch_back_to_baseline_closes_drift(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.patch(f"{VARS}/var-002", headers=sarah, json={"value": "250"})
    assert resp.status_code == 200, resp.text
    assert list(Q.open_drifts_of_variable(db, variable_id="var-002")) == []
    tail = events(db, "ws-001")[-2:]
    assert [e["event_type"] for e in tail] == ["VARIABLE_EDIT", "DRIFT_REVERT"]
    assert tail[1]["after_state"]["system"] is True and tail[1]["reason"].startswith("System:")


async def test_patch_unit_label_and_validation(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.patch(f"{VARS}/var-003", headers=sarah, json={"label": "Tenor (years)", "unit": "  "})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["variable"]["label"], resp.json()["variable"]["unit"]) == ("Tenor (years)", None)
    event = events(db, "ws-001")[-1]
    assert event["before_state"] == {"label": "Tenor", "unit": "years"}
    assert event["after_state"] == {"label": "Tenor (years)", "unit": None}
    for body in ({}, {"value": ""}, {"value": 5}, {"type": "bogus"}, {"label": None}, {"unit": "u" * 51}):
        assert_error(await demo_api.patch(f"{VARS}/var-003", headers=sarah, json=body), 400, "VALIDATION_ERROR")
    assert_error(
        await demo_api.patch(f"{VARS}/var-003", headers=await auth(demo_api, DAVID), json={"value": "6"}),
        403,
        "PERMISSION_DENIED",
    )


async def test_variable_stale_and_locked(demo_api: Client) -> None:
    sarah = await auth(demo_api, SARAH)
    first = await demo_api.patch(f"{VARS}/var-003", headers=sarah, json={"value": "6"})
    tag = first.headers["etag"]
    await demo_api.patch(f"{VARS}/var-003", headers=sarah, json={"value": "7"})
    err = assert_error(
        await demo_api.patch(f"{VARS}/var-003", headers={**sarah, "If-Match": tag}, json={"value": "8"}),
        409,
        "STALE_WRITE",
    )
    assert set(err["details"]) == {"currentEtag", "currentLastModifiedAt"}
    # Sarah locks clause-004; James (legal, variable:edit) is blocked on its variable
    assert (await demo_api.post(f"{API}/drafts/clauses/clause-004/lock", headers=sarah)).status_code == 200
    james = await auth(demo_api, JAMES)
    err = assert_error(await demo_api.patch(f"{VARS}/var-003", headers=james, json={"value": "9"}), 409, "LOCKED")
    assert err["details"]["lockedBy"] == "user-001" and err["details"]["lockKind"] == "user"
    assert_error(await demo_api.delete(f"{VARS}/var-003", headers=james), 409, "LOCKED")
    body = {"clauseId": "clause-004", "label": "X", "type": "financial", "value": "1"}
    assert_error(await demo_api.post(f"{WS}/ws-001/variables", headers=james, json=body), 409, "LOCKED")


async def test_bind(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    body = {"clauseId": "clause-004", "label": "Grace Period", "type": "financial", "value": " 30 ", "unit": "days"}
    resp = await demo_api.post(f"{WS}/ws-001/variables", headers=sarah, json=body)
    assert resp.status_code == 201, resp.text
    variable = resp.json()["variable"]
    assert_variable_shape(variable)
    assert (variable["value"], variable["baselineValue"], variable["unit"]) == ("30", "30", "days")
    assert TS.match(variable["baselineApprovedAt"])
    event = events(db, "ws-001")[-1]
    assert (event["event_type"], event["target_id"]) == ("VARIABLE_BIND", variable["id"])
    assert event["after_state"] == {
        "label": "Grace Period",
        "type": "financial",
        "value": "30",
        "unit": "days",
        "baselineValue": "30",
        "clauseId": "clause-004",
    }
    assert list(Q.open_drifts_of_variable(db, variable_id=variable["id"])) == []

    # baselineValue ≠ value opens a drift
    resp = await demo_api.post(
        f"{WS}/ws-001/variables", headers=sarah, json={**body, "label": "Cure", "value": "40", "baselineValue": "30"}
    )
    assert resp.status_code == 201, resp.text
    assert len(list(Q.open_drifts_of_variable(db, variable_id=resp.json()["variable"]["id"]))) == 1

    # a clause of another workspace → 404; bad bodies → 400; investor → 403
    resp = await demo_api.post(f"{WS}/ws-001/variables", headers=sarah, json={**body, "clauseId": "clause-013"})
    assert_error(resp, 404, "NOT_FOUND")
    for bad in ({"type": "money"}, {"value": ""}, {"label": ""}, {"clauseId": None}):
        assert_error(
            await demo_api.post(f"{WS}/ws-001/variables", headers=sarah, json={**body, **bad}), 400, "VALIDATION_ERROR"
        )
    assert_error(
        await demo_api.post(f"{WS}/ws-001/variables", headers=await auth(demo_api, DAVID), json=body),
        403,
        "PERMISSION_DENIED",
    )


async def test_delete_closes_open_drift(demo_api: Client, db: Conn) -> None:
    sarah = await auth(demo_api, SARAH)
    resp = await demo_api.delete(f"{VARS}/var-005", headers=sarah)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    # the variable is gone (its drift rows keep variable_id NULL), so look the drift up by id
    assert list(Q.drifts_of_variable(db, variable_id="var-005")) == []
    row = Q.drift_approval_state(db, drift_id="drift-002")
    assert row == {"status": "reverted", "approval_reason": "System: variable deleted"}
    tail = events(db, "ws-001")[-2:]
    assert [e["event_type"] for e in tail] == ["VARIABLE_EDIT", "DRIFT_REVERT"]
    assert tail[0]["after_state"] == {"action": "delete"} and tail[0]["reason"] == "Variable deleted"
    assert tail[0]["before_state"]["value"] == "4.50"
    assert tail[1]["target_id"] == "drift-002" and tail[1]["reason"] == "System: variable deleted"
    resp = await demo_api.get(f"{API}/drafts/clauses/clause-006/variables", headers=sarah)
    assert [v["id"] for v in resp.json()["variables"]] == ["var-006"]
    assert_error(await demo_api.delete(f"{VARS}/var-005", headers=sarah), 404, "NOT_FOUND")
    # reason via JSON body is stored
    resp = await demo_api.request(
        "DELETE", f"{VARS}/var-006", headers=sarah, json={"reason": "Obsolete", "reasonCategory": "other"}
    )
    assert resp.status_code == 204, resp.text
    assert (events(db, "ws-001")[-1]["reason"], events(db, "ws-001")[-1]["reason_category"]) == ("Obsolete", "other")
