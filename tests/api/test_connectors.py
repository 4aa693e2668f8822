"""HTTP tests of connectors (api.md §3.7; domain.md §10.5, §11.1) on the demo data (demo-data.md §9, §11): list,
configuration with its GOVERNANCE_UPDATED event, the connection test against a real local HTTP server, the
deliveries list, permissions, tenancy and archived workspaces."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
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
ALLVUE = "https://allvue.example.com/nexus/v1/golden-records"
CONNECTOR_KEYS = {"id", "workspaceId", "name", "type", "status", "lastSyncAt", "endpointConfigured", "endpointUrl"}
DELIVERY_KEYS = {
    "id",
    "connectorId",
    "versionId",
    "version",
    "status",
    "attempts",
    "nextAttemptAt",
    "lastAttemptAt",
    "lastStatusCode",
    "lastError",
    "deliveredAt",
    "createdAt",
}


class Endpoint:
    """A local HTTP server: `/status/<code>` answers that status; records method, path and User-Agent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None]] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(("GET", self.path, self.headers.get("User-Agent")))
                code = int(self.path.rsplit("/", 1)[-1])
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", "/status/200")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, code: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/status/{code}"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    ep.thread.start()
    try:
        yield ep
    finally:
        ep.server.shutdown()
        ep.server.server_close()
        ep.thread.join(timeout=5)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


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


async def configure(api: Client, connector_id: str, url: str | None, headers: dict[str, str]) -> dict[str, Any]:
    resp = await api.patch(f"{G}/connectors/{connector_id}", json={"endpointUrl": url}, headers=headers)
    assert resp.status_code == 200, resp.text
    connector: dict[str, Any] = resp.json()["connector"]
    return connector


async def run_test(api: Client, connector_id: str, headers: dict[str, str]) -> dict[str, Any]:
    resp = await api.post(f"{G}/connectors/{connector_id}/test", headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) == {"success", "message", "status", "httpStatus", "latencyMs", "testedAt"}
    return body


# -- list -------------------------------------------------------------------------------------------------------
async def test_list_shows_the_endpoint_to_admins_only(demo_api: Client) -> None:
    sarah, maria = await login(demo_api, SARAH), await login(demo_api, MARIA)
    resp = await demo_api.get(f"{G}/ws-002/connectors", headers=sarah)
    assert resp.status_code == 200, resp.text
    rows = resp.json()["connectors"]
    assert all(set(c) == CONNECTOR_KEYS for c in rows)
    assert [(c["id"], c["type"], c["status"]) for c in rows] == [
        ("conn-001", "LoanIQ", "READY"),
        ("conn-002", "Finastra", "READY"),
        ("conn-003", "Allvue", "DISCONNECTED"),
        ("conn-004", "CovenantTracker", "READY"),
    ]
    assert rows[0]["lastSyncAt"] == "2024-12-18T14:00:00.000Z" and rows[0]["name"] == "LoanIQ Production"
    assert (rows[2]["endpointConfigured"], rows[2]["endpointUrl"]) == (True, ALLVUE)
    as_risk = (await demo_api.get(f"{G}/ws-002/connectors", headers=maria)).json()["connectors"]
    assert (as_risk[2]["endpointConfigured"], as_risk[2]["endpointUrl"]) == (True, None)
    record = (await demo_api.get(f"{G}/ws-002", headers=maria)).json()["goldenRecord"]
    assert record["connectors"][2]["endpointUrl"] is None


# -- configuration ----------------------------------------------------------------------------------------------
async def test_configure_endpoint_and_name_with_an_event(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    url = "https://loaniq.example.com/hooks/nexus?tenant=beacon"
    connector = await configure(demo_api, "conn-001", url, sarah)
    assert (connector["endpointUrl"], connector["endpointConfigured"], connector["name"]) == (
        url,
        True,
        "LoanIQ Production",
    )
    (event,) = list(Q.events_of(db, workspace_id="ws-002", event_type="GOVERNANCE_UPDATED"))[-1:]
    assert (event["target_type"], event["target_id"], event["actor_id"]) == ("connector", "conn-001", "user-001")
    assert event["before_state"] == {"endpointUrl": None, "name": "LoanIQ Production"}
    assert event["after_state"] == {"endpointUrl": url, "name": "LoanIQ Production"}

    resp = await demo_api.patch(f"{G}/connectors/conn-001", json={"name": "  LoanIQ Prod  "}, headers=sarah)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["connector"]["name"], resp.json()["connector"]["endpointUrl"]) == ("LoanIQ Prod", url)
    cleared = await configure(demo_api, "conn-001", None, sarah)
    assert (cleared["endpointUrl"], cleared["endpointConfigured"]) == (None, False)
    assert Q.connector_row(db, connector_id="conn-001")["endpoint_url"] is None
    events = list(Q.events_of(db, workspace_id="ws-002", event_type="GOVERNANCE_UPDATED"))
    count = len(events)
    await configure(demo_api, "conn-001", None, sarah)  # no change, no event
    assert len(list(Q.events_of(db, workspace_id="ws-002", event_type="GOVERNANCE_UPDATED"))) == count
    upper = await configure(demo_api, "conn-002", "HTTPS://finastra.example.com/in", sarah)
    assert upper["endpointUrl"] == "https://finastra.example.com/in"


async def test_configure_rejects_bad_urls_and_names(demo_api: Client, db: Conn) -> None:
    sarah = await login(demo_api, SARAH)
    before = Q.connector_row(db, connector_id="conn-003")
    bad_urls: list[Any] = [
        "ftp://files.example.com/x",
        "/relative/path",
        "example.com/x",
        "https://user:secret@example.com/x",
        "https://user@example.com/x",
        "https://" + "a" * 2048 + ".com",
        "",
        "https://",
        "https://exa mple.com",
        "https://example.com:99999/x",
        "javascript:alert(1)",
        42,
    ]
    for url in bad_urls:
        resp = await demo_api.patch(f"{G}/connectors/conn-003", json={"endpointUrl": url}, headers=sarah)
        assert_error(resp, 400, "VALIDATION_ERROR")
    for body in ({}, {"name": ""}, {"name": "x" * 256}, {"name": None}):
        resp = await demo_api.patch(f"{G}/connectors/conn-003", json=body, headers=sarah)
        assert_error(resp, 400, "VALIDATION_ERROR")
    assert Q.connector_row(db, connector_id="conn-003") == before


# -- connection test --------------------------------------------------------------------------------------------
async def test_connection_test_against_a_real_server(demo_api: Client, db: Conn, endpoint: Endpoint) -> None:
    sarah, maria = await login(demo_api, SARAH), await login(demo_api, MARIA)
    await configure(demo_api, "conn-001", endpoint.url(200), sarah)
    await configure(demo_api, "conn-002", endpoint.url(503), sarah)
    await configure(demo_api, "conn-004", f"http://127.0.0.1:{closed_port()}/nexus", sarah)
    before = {c: Q.connector_row(db, connector_id=c) for c in ("conn-001", "conn-002", "conn-004")}
    events = len(list(Q.events_of(db, workspace_id="ws-002", event_type="GOVERNANCE_UPDATED")))

    ok = await run_test(demo_api, "conn-001", maria)  # risk holds golden:export
    assert (ok["success"], ok["status"], ok["httpStatus"]) == (True, "ok", 200)
    assert re.fullmatch(r"Connection successful \(HTTP 200, \d+ ms\)", ok["message"])
    assert ok["message"] == f"Connection successful (HTTP 200, {ok['latencyMs']} ms)"
    assert endpoint.requests[-1] == ("GET", "/status/200", f"Nexus/{version('nexus')} connector-test")

    down = await run_test(demo_api, "conn-002", sarah)
    assert (down["success"], down["status"], down["httpStatus"], down["message"]) == (
        False,
        "failed",
        503,
        "Connection failed: HTTP 503",
    )
    unreachable = await run_test(demo_api, "conn-004", sarah)
    assert (unreachable["success"], unreachable["status"], unreachable["httpStatus"]) == (False, "failed", None)
    assert unreachable["message"].startswith("Connection failed: ")
    assert len(unreachable["message"]) > len("Connection failed: ") and "HTTP" not in unreachable["message"]

    # Redirects are not followed (3xx counts as reachable); 405 counts as reachable; 404 does not.
    await configure(demo_api, "conn-001", endpoint.url(302), sarah)
    seen = len(endpoint.requests)
    moved = await run_test(demo_api, "conn-001", sarah)
    assert (moved["success"], moved["httpStatus"]) == (True, 302)
    assert len(endpoint.requests) == seen + 1
    await configure(demo_api, "conn-001", endpoint.url(405), sarah)
    assert (await run_test(demo_api, "conn-001", sarah))["success"] is True
    await configure(demo_api, "conn-001", endpoint.url(404), sarah)
    assert (await run_test(demo_api, "conn-001", sarah))["message"] == "Connection failed: HTTP 404"

    # Tests write nothing and are not audited.
    assert Q.connector_row(db, connector_id="conn-002") == before["conn-002"]
    assert Q.connector_row(db, connector_id="conn-004") == before["conn-004"]
    assert len(list(Q.events_of(db, workspace_id="ws-002", event_type="GOVERNANCE_UPDATED"))) == events + 3


async def test_unconfigured_connector(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    result = await run_test(demo_api, "conn-005", sarah)
    assert (result["success"], result["status"], result["message"], result["httpStatus"], result["latencyMs"]) == (
        False,
        "not_configured",
        "Connector is not configured: no endpoint URL",
        None,
        None,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", result["testedAt"])


# -- deliveries -------------------------------------------------------------------------------------------------
async def test_deliveries_newest_first(demo_api: Client) -> None:
    sarah = await login(demo_api, SARAH)
    resp = await demo_api.get(f"{G}/connectors/conn-003/deliveries", headers=sarah)
    assert resp.status_code == 200, resp.text
    (failed,) = resp.json()["deliveries"]
    assert set(failed) == DELIVERY_KEYS
    assert (failed["id"], failed["versionId"], failed["version"], failed["status"], failed["attempts"]) == (
        "del-003",
        "grv-001",
        1,
        "failed",
        8,
    )
    assert (failed["lastStatusCode"], failed["lastError"], failed["nextAttemptAt"]) == (
        503,
        "HTTP 503 Service Unavailable",
        None,
    )
    publish = await demo_api.post(f"{G}/ws-002/publish", json={"reason": "Updated terms"}, headers=sarah)
    assert publish.status_code == 200, publish.text
    rows = (await demo_api.get(f"{G}/connectors/conn-003/deliveries", headers=sarah)).json()["deliveries"]
    assert [(d["version"], d["status"]) for d in rows] == [(2, "pending"), (1, "failed")]
    assert rows[0]["nextAttemptAt"] is not None and rows[0]["attempts"] == 0
    limited = await demo_api.get(f"{G}/connectors/conn-003/deliveries", params={"limit": 1}, headers=sarah)
    assert [d["version"] for d in limited.json()["deliveries"]] == [2]
    skipped = (await demo_api.get(f"{G}/connectors/conn-001/deliveries", headers=sarah)).json()["deliveries"]
    assert [(d["version"], d["status"]) for d in skipped] == [(2, "skipped"), (1, "skipped")]
    for bad in ("0", "201", "x", "-1"):
        resp = await demo_api.get(f"{G}/connectors/conn-003/deliveries", params={"limit": bad}, headers=sarah)
        assert_error(resp, 400, "VALIDATION_ERROR")
    resp = await demo_api.get(f"{G}/connectors/conn-005/deliveries", headers=sarah)
    assert resp.json()["deliveries"] == []


# -- permissions, tenancy, archived -----------------------------------------------------------------------------
async def test_permissions_tenancy_and_archived(demo_api: Client, db: Conn) -> None:
    sarah, james, maria, david, emma = [await login(demo_api, e) for e in (SARAH, JAMES, MARIA, DAVID, EMMA)]
    url = "https://example.com/in"
    # Configuration needs workspace:admin: risk, legal and investors are refused.
    for who, connector in ((maria, "conn-001"), (james, "conn-001"), (david, "conn-005"), (james, "conn-005")):
        resp = await demo_api.patch(f"{G}/connectors/{connector}", json={"endpointUrl": url}, headers=who)
        assert_error(resp, 403, "PERMISSION_DENIED")
    # The test and deliveries need golden:export.
    for who, connector in ((david, "conn-005"), (james, "conn-001")):
        assert_error(await demo_api.post(f"{G}/connectors/{connector}/test", headers=who), 403, "PERMISSION_DENIED")
        resp = await demo_api.get(f"{G}/connectors/{connector}/deliveries", headers=who)
        assert_error(resp, 403, "PERMISSION_DENIED")
    assert (await demo_api.get(f"{G}/ws-001/connectors", headers=david)).status_code == 200  # member read
    # Other workspaces' connectors do not exist for the caller.
    assert_error(await demo_api.post(f"{G}/connectors/conn-001/test", headers=david), 404, "NOT_FOUND")
    assert_error(await demo_api.get(f"{G}/connectors/conn-003/deliveries", headers=emma), 404, "NOT_FOUND")
    resp = await demo_api.patch(f"{G}/connectors/conn-005", json={"endpointUrl": url}, headers=emma)
    assert_error(resp, 404, "NOT_FOUND")
    assert_error(await demo_api.post(f"{G}/connectors/conn-404/test", headers=sarah), 404, "NOT_FOUND")
    assert Q.connector_row(db, connector_id="conn-005")["endpoint_url"] is None

    # Archived: configuration is a write (409); the test and reads stay allowed.
    assert (await demo_api.delete("/api/v1/workspaces/ws-002", headers=sarah)).status_code == 204
    resp = await demo_api.patch(f"{G}/connectors/conn-001", json={"endpointUrl": url}, headers=sarah)
    assert_error(resp, 409, "CONFLICT")
    assert (await run_test(demo_api, "conn-001", sarah))["status"] == "not_configured"
    assert (await demo_api.get(f"{G}/connectors/conn-003/deliveries", headers=sarah)).status_code == 200
    assert (await demo_api.get(f"{G}/ws-002/connectors", headers=sarah)).status_code == 200
