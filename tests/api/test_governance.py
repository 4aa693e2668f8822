"""HTTP tests of `PATCH /workspaces/:id/governance` (api.md §3.2 row 19, §1.5 unknown-key exception; domain.md §2,
§11.1 GOVERNANCE_UPDATED)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.api.test_workspaces import (
    GOVERNANCE_DEFAULTS,
    WS,
    Client,
    Conn,
    Q,
    add_member,
    assert_error,
    assert_workspace_shape,
    create_workspace,
    events,
    register,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    """A sync autocommit connection (superuser) to the database the app under test uses."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


async def test_patch_merges_and_records_full_rule_objects(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah)
    url = f"{WS}/{ws['id']}/governance"

    resp = await api.patch(
        url, headers=sarah.headers, json={"legalCanRevertDraft": True, "requireReasonForSensitiveEdits": False}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"success", "workspace"} and body["success"] is True
    assert_workspace_shape(body["workspace"])
    expected = {**GOVERNANCE_DEFAULTS, "legalCanRevertDraft": True, "requireReasonForSensitiveEdits": False}
    assert body["workspace"]["governanceRules"] == expected
    assert Q.workspace_row(db, workspace_id=ws["id"])["governance_rules"] == expected
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "GOVERNANCE_UPDATED"
    assert (event["actor_id"], event["actor_name"]) == (sarah.id, "Sarah")
    assert (event["target_type"], event["target_id"]) == ("workspace", ws["id"])
    assert event["before_state"] == GOVERNANCE_DEFAULTS
    assert event["after_state"] == expected

    # a second partial merges on top of the first
    resp = await api.patch(url, headers=sarah.headers, json={"externalCounselReadOnly": True})
    merged = {**expected, "externalCounselReadOnly": True}
    assert resp.json()["workspace"]["governanceRules"] == merged
    event = events(db, ws["id"])[-1]
    assert (event["before_state"], event["after_state"]) == (expected, merged)
    resp = await api.get(f"{WS}/{ws['id']}", headers=sarah.headers)
    assert resp.json()["workspace"]["governanceRules"] == merged


async def test_patch_without_change_records_nothing(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah)
    before = Q.workspace_row(db, workspace_id=ws["id"])
    resp = await api.patch(
        f"{WS}/{ws['id']}/governance",
        headers=sarah.headers,
        json={"requireReasonForSensitiveEdits": True, "legalCanRevertDraft": False},
    )
    assert resp.status_code == 200
    assert resp.json()["workspace"]["governanceRules"] == GOVERNANCE_DEFAULTS
    assert [e["event_type"] for e in events(db, ws["id"])] == ["WORKSPACE_CREATE"]
    assert Q.workspace_row(db, workspace_id=ws["id"])["updated_at"] == before["updated_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"unknownRule": True}, "unknownRule"),
        ({"legalCanRevertDraft": True, "unknownRule": True}, "unknownRule"),
        ({"legalcanrevertdraft": True}, "legalcanrevertdraft"),
        ({"legalCanRevertDraft": "true"}, "legalCanRevertDraft"),
        ({"legalCanRevertDraft": 1}, "legalCanRevertDraft"),
        ({"legalCanRevertDraft": 0}, "legalCanRevertDraft"),
        ({"legalCanRevertDraft": None}, "legalCanRevertDraft"),
        ({"legalCanRevertDraft": [True]}, "legalCanRevertDraft"),
    ],
)
async def test_patch_validation(api: Client, db: Conn, body: dict[str, Any], field: str) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah)
    resp = await api.patch(f"{WS}/{ws['id']}/governance", headers=sarah.headers, json=body)
    err = assert_error(resp, 400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in err["error"]["details"]], err
    assert len(events(db, ws["id"])) == 1
    assert Q.workspace_row(db, workspace_id=ws["id"])["governance_rules"] == GOVERNANCE_DEFAULTS


async def test_patch_body_must_be_a_json_object(api: Client) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah)
    url = f"{WS}/{ws['id']}/governance"
    headers = {**sarah.headers, "Content-Type": "application/json"}
    for raw in (b"", b"[]", b"true", b"{bad json"):
        assert_error(await api.patch(url, headers=headers, content=raw), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("role", ["legal", "risk", "investor"])
async def test_patch_needs_workspace_admin(api: Client, role: str) -> None:
    sarah = await register(api, "Sarah")
    other = await register(api, "Other")
    stranger = await register(api, "Stranger")
    ws = await create_workspace(api, sarah)
    await add_member(api, sarah, ws["id"], other, role=role)
    url = f"{WS}/{ws['id']}/governance"
    assert_error(
        await api.patch(url, headers=other.headers, json={"legalCanRevertDraft": True}), 403, "PERMISSION_DENIED"
    )
    # 404 before 403 before 400
    assert_error(await api.patch(url, headers=stranger.headers, json={"nope": 1}), 404, "NOT_FOUND")
    assert_error(await api.patch(url, headers=other.headers, json={"nope": 1}), 403, "PERMISSION_DENIED")
    assert_error(await api.patch(url, json={"legalCanRevertDraft": True}), 401, "UNAUTHORIZED")


async def test_rules_take_effect_on_the_next_request(api: Client) -> None:
    """externalCounselReadOnly removes an external admin's workspace:admin at once (domain.md §2)."""
    sarah = await register(api, "Sarah")
    ext = await register(api, "External")
    ws = await create_workspace(api, sarah)
    await add_member(api, sarah, ws["id"], ext, role="agent", is_external=True)
    url = f"{WS}/{ws['id']}/governance"

    resp = await api.patch(url, headers=ext.headers, json={"publishBlockedWhenHighDrift": False})
    assert resp.status_code == 200
    resp = await api.patch(url, headers=ext.headers, json={"externalCounselReadOnly": True})
    assert resp.status_code == 200
    assert_error(
        await api.patch(url, headers=ext.headers, json={"externalCounselReadOnly": False}), 403, "PERMISSION_DENIED"
    )
    assert (await api.get(f"{WS}/{ws['id']}", headers=ext.headers)).status_code == 200
    resp = await api.patch(url, headers=sarah.headers, json={"externalCounselReadOnly": False})
    assert resp.status_code == 200
    assert (await api.patch(url, headers=ext.headers, json={"publishBlockedWhenHighDrift": True})).status_code == 200
