"""HTTP tests of the workspace routes (api.md §3.2 rows 8–12, §1.11, §2 Workspace; domain.md §4.1–§4.2, §11.1).

Every test runs against the real app on its own freshly migrated database (`api` fixture). Rows the routes write are
read back with the named queries of tests/sql/workspaces_tests.sql over a sync connection to the same database.
The helpers here (register, create_workspace, add_member, ...) are shared with test_members.py and
test_governance.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.rows import dict_row

from nexus.services.workspaces import split_clauses

pytestmark = pytest.mark.anyio

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "workspaces_tests.sql", "psycopg")
Conn = psycopg.Connection[dict[str, Any]]
Client = AsyncTestClient  # type: ignore[type-arg]

WS = "/api/v1/workspaces"
PASSWORD = "correct horse battery"
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
GOVERNANCE_DEFAULTS = {
    "requireReasonForSensitiveEdits": True,
    "legalCanRevertDraft": False,
    "riskApprovalRequiredForOverride": False,
    "publishBlockedWhenHighDrift": True,
    "definitionsLockedAfterApproval": False,
    "externalCounselReadOnly": False,
}
WORKSPACE_KEYS = {
    "id",
    "name",
    "currency",
    "amount",
    "standard",
    "basePdfName",
    "createdAt",
    "createdById",
    "createdBy",
    "lastSyncAt",
    "governanceRules",
    "memberCount",
    "archivedAt",
    "updatedAt",
}
DETAIL_KEYS = WORKSPACE_KEYS | {"clauseCount", "driftCount", "integrityScore"}
MEMBER_KEYS = {
    "id",
    "workspaceId",
    "userId",
    "role",
    "isAdmin",
    "isExternal",
    "status",
    "invitedAt",
    "joinedAt",
    "user",
}
MEMBER_USER_KEYS = {"id", "email", "name", "avatarUrl"}
ARCHIVED = {"success": False, "error": {"code": "CONFLICT", "message": "Workspace is archived"}}
NOT_FOUND_CODE = "NOT_FOUND"


# ---------------------------------------------------------------------------------------------------------------
# helpers (shared with test_members.py and test_governance.py)
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    """A sync autocommit connection (superuser) to the database the app under test uses."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(api: Client, name: str) -> User:
    email = f"{name.lower()}@example.com"
    resp = await api.post("/api/v1/auth/register", json={"email": email, "name": name, "password": PASSWORD})
    assert resp.status_code == 201, resp.text
    data = resp.json()["data"]
    return User(data["user"]["id"], name, email, data["accessToken"])


async def create_workspace(api: Client, owner: User, **fields: Any) -> dict[str, Any]:
    """POST /workspaces; returns the created workspace object (asserts 201)."""
    body = {"name": "Project Atlas", "currency": "USD", "amount": 500000000, "standard": "LMA", **fields}
    resp = await api.post(WS, headers=owner.headers, json=body)
    assert resp.status_code == 201, resp.text
    workspace: dict[str, Any] = resp.json()["workspace"]
    return workspace


async def invite(
    api: Client, admin: User, ws_id: str, user: User, role: str = "legal", is_external: bool = False
) -> dict[str, Any]:
    resp = await api.post(
        f"{WS}/{ws_id}/members",
        headers=admin.headers,
        json={"email": user.email, "role": role, "isExternal": is_external},
    )
    assert resp.status_code == 201, resp.text
    member: dict[str, Any] = resp.json()["member"]
    return member


async def add_member(
    api: Client, admin: User, ws_id: str, user: User, role: str = "legal", is_external: bool = False
) -> dict[str, Any]:
    """Invite `user` and accept as them: an ACTIVE member."""
    await invite(api, admin, ws_id, user, role, is_external)
    resp = await api.post(f"{WS}/{ws_id}/accept-invitation", headers=user.headers)
    assert resp.status_code == 200, resp.text
    member: dict[str, Any] = resp.json()["member"]
    return member


def events(db: Conn, ws_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = list(Q.audit_events_of(db, workspace_id=ws_id))
    return rows


def assert_error(resp: Any, status: int, code: str, message: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    if message is not None:
        assert body["error"]["message"] == message
    return body


def assert_workspace_shape(ws: dict[str, Any], detail: bool = False) -> None:
    assert set(ws) == (DETAIL_KEYS if detail else WORKSPACE_KEYS)
    assert set(ws["governanceRules"]) == set(GOVERNANCE_DEFAULTS)
    assert all(isinstance(v, bool) for v in ws["governanceRules"].values())
    for key in ("createdAt", "updatedAt"):
        assert TS.match(ws[key]), ws[key]
    for key in ("lastSyncAt", "archivedAt"):
        assert ws[key] is None or TS.match(ws[key])
    assert isinstance(ws["amount"], int | float) and not isinstance(ws["amount"], bool)
    assert isinstance(ws["memberCount"], int)
    assert ws["createdBy"] == ws["createdById"]


def assert_member_shape(member: dict[str, Any]) -> None:
    assert set(member) == MEMBER_KEYS
    assert set(member["user"]) == MEMBER_USER_KEYS
    assert member["user"]["id"] == member["userId"]
    assert TS.match(member["invitedAt"])
    assert member["joinedAt"] is None or TS.match(member["joinedAt"])


# ---------------------------------------------------------------------------------------------------------------
# create
# ---------------------------------------------------------------------------------------------------------------
async def test_create_returns_workspace_and_membership(api: Client) -> None:
    sarah = await register(api, "Sarah")
    resp = await api.post(
        WS,
        headers=sarah.headers,
        json={"name": "  Project Atlas  ", "currency": "usd", "amount": 500000000, "standard": " LMA 2024 "},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"success", "workspace", "membership"}
    assert body["success"] is True
    ws, member = body["workspace"], body["membership"]
    assert_workspace_shape(ws)
    assert_member_shape(member)
    assert ws["name"] == "Project Atlas"
    assert ws["currency"] == "USD"
    assert ws["amount"] == 500000000
    assert ws["standard"] == "LMA 2024"
    assert ws["basePdfName"] is None
    assert ws["createdById"] == sarah.id
    assert ws["governanceRules"] == GOVERNANCE_DEFAULTS
    assert ws["memberCount"] == 1
    assert ws["archivedAt"] is None
    assert member["workspaceId"] == ws["id"]
    assert member["userId"] == sarah.id
    assert (member["role"], member["isAdmin"], member["isExternal"], member["status"]) == (
        "agent",
        True,
        False,
        "active",
    )
    assert member["joinedAt"] is not None
    assert member["user"] == {"id": sarah.id, "email": sarah.email, "name": "Sarah", "avatarUrl": None}


async def test_create_writes_every_row_in_one_go(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah, basePdfName="Atlas.pdf")

    members = list(Q.members_of(db, workspace_id=ws["id"]))
    assert [(m["user_id"], m["role"], m["is_admin"], m["is_external"], m["status"]) for m in members] == [
        (sarah.id, "agent", True, False, "active")
    ]
    connectors = list(Q.connectors_of(db, workspace_id=ws["id"]))
    assert [(c["name"], c["type"], c["status"], c["last_sync_at"], c["endpoint_url"]) for c in connectors] == [
        ("LoanIQ", "LoanIQ", "DISCONNECTED", None, None),
        ("Finastra", "Finastra", "DISCONNECTED", None, None),
        ("Allvue", "Allvue", "DISCONNECTED", None, None),
        ("CovenantTracker", "CovenantTracker", "DISCONNECTED", None, None),
    ]
    golden = Q.golden_record_of(db, workspace_id=ws["id"])
    assert (golden["status"], golden["integrity_score"], golden["unresolved_high_drift_count"]) == ("IN_REVIEW", 100, 0)
    assert golden["last_export_at"] is None and golden["last_publish_at"] is None
    graph = Q.graph_state_of(db, workspace_id=ws["id"])
    assert graph == {
        "integrity_score": 100,
        "node_count": 0,
        "edge_count": 0,
        "drift_node_count": 0,
        "warning_node_count": 0,
    }
    stored = Q.workspace_row(db, workspace_id=ws["id"])
    assert stored["governance_rules"] == GOVERNANCE_DEFAULTS
    assert stored["amount"] == "500000000.00"

    (event,) = events(db, ws["id"])
    assert event["event_type"] == "WORKSPACE_CREATE"
    assert (event["actor_id"], event["actor_name"]) == (sarah.id, "Sarah")
    assert (event["target_type"], event["target_id"]) == ("workspace", ws["id"])
    assert event["before_state"] is None
    assert event["after_state"] == {
        "name": "Project Atlas",
        "currency": "USD",
        "amount": "500000000.00",
        "standard": "LMA",
        "basePdfName": "Atlas.pdf",
        "clauseCount": 0,
    }


CLAUSES_TEXT = """LOAN AGREEMENT dated 1 January 2025 (this preamble is ignored)

1. Definitions and Interpretation
"Borrower" means Atlas Holdings Ltd.

"Business Day" means a day on which banks are open.

2. The Facility
The Lenders make available a term loan facility.
  3. Financial Covenants
The Borrower shall maintain Leverage below 3.5x.
4. Guarantee
5. Miscellaneous
Notices are in writing.
6. Interest Periods\r
Each Interest Period is 3 Months.\r
7.No space after the dot, so this line is body text of clause 6
"""


async def test_clause_import_from_clauses_text(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah, clausesText=CLAUSES_TEXT)

    clauses = list(Q.clauses_of(db, workspace_id=ws["id"]))
    assert [(c["order"], c["title"], c["type"], c["is_sensitive"]) for c in clauses] == [
        (1, "1. Definitions and Interpretation", "definition", True),
        (2, "2. The Facility", "financial", True),
        (3, "3. Financial Covenants", "covenant", True),
        (4, "4. Guarantee", "xref", False),
        (5, "5. Miscellaneous", "general", False),
        (6, "6. Interest Periods", "financial", True),
    ]
    bodies = [c["body"] for c in clauses]
    assert bodies[0] == '"Borrower" means Atlas Holdings Ltd.\n\n"Business Day" means a day on which banks are open.'
    assert bodies[3] == "(no text)"
    assert bodies[5] == (
        "Each Interest Period is 3 Months.\n7.No space after the dot, so this line is body text of clause 6"
    )
    assert all(c["last_modified_by"] == sarah.id and not c["is_locked"] for c in clauses)

    (event,) = events(db, ws["id"])
    assert event["after_state"]["clauseCount"] == 6
    resp = await api.get(f"{WS}/{ws['id']}", headers=sarah.headers)
    assert resp.json()["workspace"]["clauseCount"] == 6


def test_split_clauses_rules() -> None:
    assert split_clauses("no headings here\njust text") == []
    assert split_clauses("") == []
    # A heading's text is 1..119 characters; a longer numbered line is body text.
    long_line = "2. " + "x" * 120
    (only,) = split_clauses(f"1. Fees\n{long_line}\n")
    assert (only.title, only.type, only.is_sensitive) == ("1. Fees", "financial", True)
    assert only.body == long_line
    (longest,) = split_clauses("1. " + "y" * 119)
    assert longest.title == "1. " + "y" * 119
    # First matching rule wins: "definition" before "facility"; "covenant" before "payment".
    assert [c.type for c in split_clauses("1. Facility Definitions\n2. Covenant on Payment\n3. Schedules\n")] == [
        "definition",
        "covenant",
        "xref",
    ]
    assert split_clauses("10.   Margin   \n  body  \n")[0].title == "10.   Margin"


async def test_failed_creation_leaves_nothing_behind(api: Client, db: Conn) -> None:
    """A failure half-way (here: the clause import) rolls back the workspace, membership, connectors, golden record,
    graph state and the audit event: one transaction."""
    sarah = await register(api, "Sarah")
    Q.forbid_boom_clause(db)
    resp = await api.post(
        WS,
        headers=sarah.headers,
        json={"name": "X", "currency": "USD", "amount": 1, "standard": "LMA", "clausesText": "1. Boom\nbody"},
    )
    assert_error(resp, 409, "CONFLICT")
    assert Q.workspace_count(db) == 0
    assert Q.count_member_rows(db) == 0
    assert Q.count_events_of_type(db, event_type="WORKSPACE_CREATE") == 0
    assert (await api.get(WS, headers=sarah.headers)).json()["workspaces"] == []


@pytest.mark.parametrize(
    ("literal", "rendered", "stored"),
    [
        ("500000000", "500000000", "500000000.00"),
        ("500000000.00", "500000000", "500000000.00"),
        ("1234.5", "1234.5", "1234.50"),
        ("1234.50", "1234.5", "1234.50"),
        ("0.01", "0.01", "0.01"),
        ("1E3", "1000", "1000.00"),
        ("999999999999999999.99", "999999999999999999.99", "999999999999999999.99"),
        ("123456789012345.67", "123456789012345.67", "123456789012345.67"),
    ],
)
async def test_amount_is_exact_and_rendered_as_a_number(
    api: Client, db: Conn, literal: str, rendered: str, stored: str
) -> None:
    sarah = await register(api, "Sarah")
    body = f'{{"name": "W", "currency": "EUR", "amount": {literal}, "standard": "LMA"}}'
    resp = await api.post(WS, headers={**sarah.headers, "Content-Type": "application/json"}, content=body.encode())
    assert resp.status_code == 201, resp.text
    assert f'"amount":{rendered},' in resp.text
    ws_id = resp.json()["workspace"]["id"]
    assert Q.workspace_row(db, workspace_id=ws_id)["amount"] == stored
    assert events(db, ws_id)[0]["after_state"]["amount"] == stored
    for url in (WS, f"{WS}/{ws_id}"):
        listed = await api.get(url, headers=sarah.headers)
        assert f'"amount":{rendered},' in listed.text
    assert Decimal(rendered) == Decimal(stored)


@pytest.mark.parametrize(
    "literal",
    ["0", "-1", "0.001", "1.234", "1e18", "1000000000000000000", "1e400", '"100"', "true", "null", "[1]"],
)
async def test_invalid_amount_is_400(api: Client, db: Conn, literal: str) -> None:
    sarah = await register(api, "Sarah")
    body = f'{{"name": "W", "currency": "EUR", "amount": {literal}, "standard": "LMA"}}'
    resp = await api.post(WS, headers={**sarah.headers, "Content-Type": "application/json"}, content=body.encode())
    err = assert_error(resp, 400, "VALIDATION_ERROR")
    assert any(d["field"] in ("amount", "body") for d in err["error"]["details"]), err
    assert Q.workspace_count(db) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 256),
        ("name", 5),
        ("currency", "US"),
        ("currency", "USDX"),
        ("currency", "U$D"),
        ("currency", None),
        ("standard", "x" * 51),
        ("standard", ""),
        ("basePdfName", "x" * 256),
        ("clausesText", 7),
    ],
)
async def test_create_validation(api: Client, field: str, value: Any) -> None:
    sarah = await register(api, "Sarah")
    body = {"name": "W", "currency": "EUR", "amount": 10, "standard": "LMA", field: value}
    resp = await api.post(WS, headers=sarah.headers, json=body)
    err = assert_error(resp, 400, "VALIDATION_ERROR")
    assert [d["field"] for d in err["error"]["details"]] == [field]


@pytest.mark.parametrize("missing", ["name", "currency", "amount", "standard"])
async def test_create_requires_fields(api: Client, missing: str) -> None:
    sarah = await register(api, "Sarah")
    body = {"name": "W", "currency": "EUR", "amount": 10, "standard": "LMA"}
    del body[missing]
    assert_error(await api.post(WS, headers=sarah.headers, json=body), 400, "VALIDATION_ERROR")


async def test_create_edge_inputs(api: Client) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah, basePdfName="   ", unknownField="ignored", clausesText="")
    assert ws["basePdfName"] is None
    ws = await create_workspace(api, sarah, name="n" * 255, standard="s" * 50, basePdfName=" Atlas.pdf ")
    assert (len(ws["name"]), len(ws["standard"]), ws["basePdfName"]) == (255, 50, "Atlas.pdf")


async def test_create_needs_authentication_and_json(api: Client) -> None:
    resp = await api.post(WS, json={"name": "W", "currency": "EUR", "amount": 10, "standard": "LMA"})
    assert_error(resp, 401, "UNAUTHORIZED")
    sarah = await register(api, "Sarah")
    resp = await api.post(WS, headers={**sarah.headers, "Content-Type": "text/plain"}, content=b"name=W")
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")
    # multipart is the other accepted body (with an optional document): an empty form lacks the fields
    resp = await api.post(
        WS, headers={**sarah.headers, "Content-Type": "multipart/form-data; boundary=x"}, content=b"--x--"
    )
    assert_error(resp, 400, "VALIDATION_ERROR")


async def test_create_accepts_large_clauses_text(api: Client, db: Conn) -> None:
    """POST /workspaces accepts bodies above the 1 MiB default (up to 4 MiB) for clausesText."""
    sarah = await register(api, "Sarah")
    text = "1. Definitions\n" + ("word " * 199_000)
    ws = await create_workspace(api, sarah, clausesText=text)
    (clause,) = list(Q.clauses_of(db, workspace_id=ws["id"]))
    assert len(clause["body"]) == len(("word " * 199_000).strip())
    too_long = "x" * 1_000_001
    resp = await api.post(
        WS,
        headers=sarah.headers,
        json={"name": "W", "currency": "EUR", "amount": 10, "standard": "LMA", "clausesText": too_long},
    )
    assert_error(resp, 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------------------------------------------
async def test_list_active_memberships_newest_first(api: Client) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    first = await create_workspace(api, sarah, name="First")
    second = await create_workspace(api, sarah, name="Second")
    third = await create_workspace(api, sarah, name="Third")
    jamesws = await create_workspace(api, james, name="James's")
    await invite(api, sarah, second["id"], james)  # pending: not listed for James

    resp = await api.get(WS, headers=sarah.headers)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "workspaces"} and body["success"] is True
    assert [w["name"] for w in body["workspaces"]] == ["Third", "Second", "First"]
    for ws in body["workspaces"]:
        assert_workspace_shape(ws)
    assert [w["memberCount"] for w in body["workspaces"]] == [1, 1, 1]  # a pending invite is not counted

    resp = await api.get(WS, headers=james.headers)
    assert [w["id"] for w in resp.json()["workspaces"]] == [jamesws["id"]]
    resp = await api.get(f"{WS}/", headers=james.headers)  # trailing slash: same route, no redirect
    assert resp.status_code == 200 and [w["id"] for w in resp.json()["workspaces"]] == [jamesws["id"]]
    await api.post(f"{WS}/{second['id']}/accept-invitation", headers=james.headers)
    resp = await api.get(WS, headers=james.headers)
    assert [w["id"] for w in resp.json()["workspaces"]] == [jamesws["id"], second["id"]]
    resp = await api.get(WS, headers=sarah.headers)
    assert [w["memberCount"] for w in resp.json()["workspaces"]] == [1, 2, 1]
    assert third["id"] != first["id"]


async def test_list_hides_archived_unless_asked(api: Client) -> None:
    sarah = await register(api, "Sarah")
    kept = await create_workspace(api, sarah, name="Kept")
    gone = await create_workspace(api, sarah, name="Gone")
    assert (await api.delete(f"{WS}/{gone['id']}", headers=sarah.headers)).status_code == 204

    resp = await api.get(WS, headers=sarah.headers)
    assert [w["id"] for w in resp.json()["workspaces"]] == [kept["id"]]
    for flag in ("false", "0"):
        resp = await api.get(WS, headers=sarah.headers, params={"includeArchived": flag})
        assert [w["id"] for w in resp.json()["workspaces"]] == [kept["id"]]
    resp = await api.get(WS, headers=sarah.headers, params={"includeArchived": "true"})
    listed = resp.json()["workspaces"]
    assert [w["id"] for w in listed] == [gone["id"], kept["id"]]
    assert TS.match(listed[0]["archivedAt"]) and listed[1]["archivedAt"] is None
    resp = await api.get(WS, headers=sarah.headers, params={"includeArchived": "maybe"})
    assert_error(resp, 400, "VALIDATION_ERROR")


async def test_list_needs_authentication(api: Client) -> None:
    assert_error(await api.get(WS), 401, "UNAUTHORIZED")
    assert_error(await api.get(WS, headers={"Authorization": "Bearer nope"}), 401, "INVALID_TOKEN")


# ---------------------------------------------------------------------------------------------------------------
# get
# ---------------------------------------------------------------------------------------------------------------
async def test_get_detail_counts(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah, clausesText="1. Fees\nA\n2. Margin\nB\n3. Guarantee\nC\n")
    Q.insert_drift(db, workspace_id=ws["id"], clause_order=1, actor_id=sarah.id, status="unresolved")
    Q.insert_drift(db, workspace_id=ws["id"], clause_order=2, actor_id=sarah.id, status="unresolved")
    Q.insert_drift(db, workspace_id=ws["id"], clause_order=3, actor_id=sarah.id, status="approved")
    Q.set_integrity_score(db, workspace_id=ws["id"], score=87)

    resp = await api.get(f"{WS}/{ws['id']}", headers=sarah.headers)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"success", "workspace"}
    detail = body["workspace"]
    assert_workspace_shape(detail, detail=True)
    assert (detail["clauseCount"], detail["driftCount"], detail["integrityScore"]) == (3, 2, 87)
    assert {k: detail[k] for k in WORKSPACE_KEYS - {"updatedAt"}} == {k: ws[k] for k in WORKSPACE_KEYS - {"updatedAt"}}


async def test_non_members_get_404(api: Client) -> None:
    sarah = await register(api, "Sarah")
    stranger = await register(api, "Stranger")
    pending = await register(api, "Pending")
    removed = await register(api, "Removed")
    ws = await create_workspace(api, sarah)
    await invite(api, sarah, ws["id"], pending)
    gone = await add_member(api, sarah, ws["id"], removed)
    assert (await api.delete(f"{WS}/{ws['id']}/members/{gone['id']}", headers=sarah.headers)).status_code == 204

    for user in (stranger, pending, removed):
        for method, path, body in (
            ("GET", "", None),
            ("PATCH", "", {"name": "Hijack"}),
            ("DELETE", "", None),
            ("GET", "/members", None),
            ("POST", "/members", {"email": user.email, "role": "agent"}),
            ("PATCH", "/governance", {"externalCounselReadOnly": True}),
        ):
            resp = await api.request(method, f"{WS}/{ws['id']}{path}", headers=user.headers, json=body)
            assert_error(resp, 404, NOT_FOUND_CODE, "Workspace not found")
    for ws_id in ("does-not-exist", "x" * 65):
        assert_error(await api.get(f"{WS}/{ws_id}", headers=sarah.headers), 404, NOT_FOUND_CODE)
    resp = await api.get(f"{WS}/{ws['id']}", headers=sarah.headers)
    assert resp.json()["workspace"]["memberCount"] == 1


# ---------------------------------------------------------------------------------------------------------------
# PATCH
# ---------------------------------------------------------------------------------------------------------------
async def test_patch_workspace_changes_and_audits_changed_fields(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah, basePdfName="Atlas.pdf")
    url = f"{WS}/{ws['id']}"

    resp = await api.patch(
        url,
        headers={**sarah.headers, "Content-Type": "application/json"},
        content=b'{"name": " Atlas II ", "amount": 1234.50, "currency": "eur", "standard": "LMA", "x": 1}',
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"success", "workspace"}
    updated = body["workspace"]
    assert_workspace_shape(updated)
    assert (updated["name"], updated["amount"], updated["currency"], updated["standard"]) == (
        "Atlas II",
        1234.5,
        "EUR",
        "LMA",
    )
    assert '"amount":1234.5,' in resp.text
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "GOVERNANCE_UPDATED"
    assert (event["target_type"], event["target_id"], event["actor_id"]) == ("workspace", ws["id"], sarah.id)
    assert event["before_state"] == {"name": "Project Atlas", "currency": "USD", "amount": "500000000.00"}
    assert event["after_state"] == {
        "name": "Atlas II",
        "currency": "EUR",
        "amount": "1234.50",
        "action": "workspace_update",
    }

    # basePdfName can be cleared with null (blank = null)
    resp = await api.patch(url, headers=sarah.headers, json={"basePdfName": None})
    assert resp.json()["workspace"]["basePdfName"] is None
    assert events(db, ws["id"])[-1]["after_state"] == {"basePdfName": None, "action": "workspace_update"}

    # same values again: 200, no write, no event
    count = len(events(db, ws["id"]))
    resp = await api.patch(url, headers=sarah.headers, json={"name": "Atlas II", "basePdfName": "  "})
    assert resp.status_code == 200
    assert len(events(db, ws["id"])) == count


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"unknown": "x"},
        {"name": None},
        {"currency": None},
        {"amount": None},
        {"standard": None},
        {"name": ""},
        {"currency": "EURO"},
        {"amount": "5"},
        {"amount": 0},
        {"amount": 1.005},
        {"standard": "x" * 51},
        {"basePdfName": "x" * 256},
    ],
)
async def test_patch_workspace_validation(api: Client, db: Conn, body: dict[str, Any]) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah)
    assert_error(await api.patch(f"{WS}/{ws['id']}", headers=sarah.headers, json=body), 400, "VALIDATION_ERROR")
    assert len(events(db, ws["id"])) == 1


@pytest.mark.parametrize(("role", "is_admin"), [("legal", False), ("risk", False), ("investor", False)])
async def test_patch_and_archive_need_workspace_admin(api: Client, role: str, is_admin: bool) -> None:
    sarah = await register(api, "Sarah")
    other = await register(api, "Other")
    ws = await create_workspace(api, sarah)
    await add_member(api, sarah, ws["id"], other, role=role)
    url = f"{WS}/{ws['id']}"
    assert_error(await api.patch(url, headers=other.headers, json={"name": "X"}), 403, "PERMISSION_DENIED")
    # 403 comes before body validation (api.md §1.3 precedence)
    assert_error(await api.patch(url, headers=other.headers, json={}), 403, "PERMISSION_DENIED")
    assert_error(await api.delete(url, headers=other.headers), 403, "PERMISSION_DENIED")


async def test_admin_flag_grants_workspace_admin(api: Client) -> None:
    sarah = await register(api, "Sarah")
    lena = await register(api, "Lena")
    ws = await create_workspace(api, sarah)
    member = await add_member(api, sarah, ws["id"], lena, role="risk")
    resp = await api.patch(f"{WS}/{ws['id']}/members/{member['id']}", headers=sarah.headers, json={"isAdmin": True})
    assert resp.status_code == 200
    resp = await api.patch(f"{WS}/{ws['id']}", headers=lena.headers, json={"name": "By Lena"})
    assert resp.status_code == 200 and resp.json()["workspace"]["name"] == "By Lena"


# ---------------------------------------------------------------------------------------------------------------
# archive
# ---------------------------------------------------------------------------------------------------------------
async def test_archive_is_idempotent_and_audited_once(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    ws = await create_workspace(api, sarah)
    url = f"{WS}/{ws['id']}"

    resp = await api.delete(url, headers=sarah.headers)
    assert resp.status_code == 204
    assert resp.content == b""
    event = events(db, ws["id"])[-1]
    assert event["event_type"] == "GOVERNANCE_UPDATED"
    assert (event["target_type"], event["target_id"]) == ("workspace", ws["id"])
    assert event["before_state"] == {"archivedAt": None}
    assert event["after_state"]["action"] == "archive"
    assert TS.match(event["after_state"]["archivedAt"])

    count = len(events(db, ws["id"]))
    resp = await api.delete(url, headers={**sarah.headers, "Content-Type": "application/json"})
    assert resp.status_code == 204
    assert len(events(db, ws["id"])) == count

    resp = await api.get(url, headers=sarah.headers)
    assert resp.status_code == 200
    assert resp.json()["workspace"]["archivedAt"] == event["after_state"]["archivedAt"]
    assert Q.workspace_row(db, workspace_id=ws["id"])["archived_at"] is not None


async def test_archived_workspace_is_read_only(api: Client, db: Conn) -> None:
    sarah = await register(api, "Sarah")
    james = await register(api, "James")
    pending = await register(api, "Pending")
    newcomer = await register(api, "Newcomer")
    ws = await create_workspace(api, sarah)
    member = await add_member(api, sarah, ws["id"], james)
    await invite(api, sarah, ws["id"], pending)
    assert (await api.delete(f"{WS}/{ws['id']}", headers=sarah.headers)).status_code == 204
    count = len(events(db, ws["id"]))
    base = f"{WS}/{ws['id']}"

    writes = [
        ("PATCH", base, {"name": "Renamed"}, sarah),
        ("PATCH", f"{base}/governance", {"legalCanRevertDraft": True}, sarah),
        ("POST", f"{base}/members", {"email": newcomer.email, "role": "risk"}, sarah),
        ("PATCH", f"{base}/members/{member['id']}", {"role": "risk"}, sarah),
        ("DELETE", f"{base}/members/{member['id']}", None, sarah),
        ("POST", f"{base}/accept-invitation", None, pending),
    ]
    for method, url, body, user in writes:
        resp = await api.request(method, url, headers=user.headers, json=body)
        assert resp.status_code == 409, (method, url, resp.text)
        assert resp.json() == ARCHIVED
    assert len(events(db, ws["id"])) == count

    # reads stay available
    assert (await api.get(base, headers=sarah.headers)).status_code == 200
    assert (await api.get(f"{base}/members", headers=james.headers)).status_code == 200
    # the pending invitation to an archived workspace is no longer offered
    resp = await api.get("/api/v1/invitations", headers=pending.headers)
    assert resp.json()["invitations"] == []
    # body validation and unknown ids still come first (400/404 before 409)
    assert_error(await api.patch(base, headers=sarah.headers, json={}), 400, "VALIDATION_ERROR")
    resp = await api.patch(f"{base}/members/nope", headers=sarah.headers, json={"role": "risk"})
    assert_error(resp, 404, NOT_FOUND_CODE)
    assert_error(await api.delete(f"{base}/members/nope", headers=sarah.headers), 404, NOT_FOUND_CODE)
    resp = await api.post(
        f"{base}/members", headers=sarah.headers, json={"email": "nobody@example.com", "role": "risk"}
    )
    assert_error(resp, 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------------------------------
async def test_openapi_documents_every_route(api: Client) -> None:
    doc = (await api.get("/schema/openapi.json")).json()
    operations = {
        op["operationId"]: (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    expected = {
        "workspace_list": ("get", {"200", "401"}),
        "workspace_create": ("post", {"201", "400", "401", "413", "415"}),
        "workspace_get": ("get", {"200", "401", "404"}),
        "workspace_update": ("patch", {"200", "400", "401", "403", "404", "409"}),
        "workspace_archive": ("delete", {"204", "401", "403", "404"}),
        "member_list": ("get", {"200", "401", "404"}),
        "member_invite": ("post", {"201", "400", "401", "403", "404", "409"}),
        "member_update": ("patch", {"200", "400", "401", "403", "404", "409"}),
        "member_remove": ("delete", {"204", "401", "403", "404", "409"}),
        "member_accept": ("post", {"200", "401", "404", "409"}),
        "invitation_list": ("get", {"200", "401"}),
        "governance_update": ("patch", {"200", "400", "401", "403", "404", "409"}),
    }
    for op_id, (method, statuses) in expected.items():
        assert op_id in operations, op_id
        _path, got_method, op = operations[op_id]
        assert got_method == method, op_id
        assert statuses <= set(op["responses"]), (op_id, sorted(op["responses"]))
    workspace_schema = doc["components"]["schemas"]["WorkspaceOut"]
    assert workspace_schema["properties"]["amount"]["type"] == "number"
