"""Downstream connectors: list, configuration, the connection test and the deliveries list (domain.md §10.5;
api.md §3.7).

Configuration (admin) writes the endpoint URL / name and records GOVERNANCE_UPDATED (target connector). The test
is a real `GET` of the endpoint (5 s timeout, no redirects); it writes nothing and is not audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Final, Literal
from urllib.parse import urlsplit

import httpx

from nexus.db.queries import connectors as connectors_q
from nexus.domain.errors import Conflict, NotFound, ValidationFailed
from nexus.domain.permissions import Member
from nexus.services import audit_log
from nexus.services.context import Caller, Context

ARCHIVED_MESSAGE: Final = "Workspace is archived"
MAX_URL: Final = 2048
TEST_TIMEOUT_S: Final = 5
USER_AGENT: Final = f"Nexus/{version('nexus')} connector-test"
NOT_CONFIGURED_MESSAGE: Final = "Connector is not configured: no endpoint URL"


# -- reads ------------------------------------------------------------------------------------------------------
async def list_connectors(ctx: Context, workspace_id: str) -> list[connectors_q.ConnectorRow]:
    async with ctx.pool.connection() as conn:
        return await connectors_q.list_connectors(conn, workspace_id=workspace_id)


async def load_for_member(
    ctx: Context, connector_id: str, user_id: str
) -> connectors_q.GetConnectorForMemberRow | None:
    """The `/golden-records/connectors/:id` guard's loader (None = 404)."""
    async with ctx.pool.connection() as conn:
        return await connectors_q.get_connector_for_member(conn, connector_id=connector_id, user_id=user_id)


async def list_deliveries(
    ctx: Context, workspace_id: str, connector_id: str, limit: int
) -> list[connectors_q.ListDeliveriesRow]:
    async with ctx.pool.connection() as conn:
        return await connectors_q.list_deliveries(
            conn, workspace_id=workspace_id, connector_id=connector_id, page_limit=limit
        )


# -- configuration ----------------------------------------------------------------------------------------------
def endpoint_url(value: str) -> str:
    """An absolute http(s) URL of at most 2048 characters without userinfo (scheme lower-cased)."""
    url = value.strip()
    if not url:
        raise ValidationFailed("endpointUrl must not be empty (send null to clear it)", field="endpointUrl")
    if len(url) > MAX_URL:
        raise ValidationFailed(f"endpointUrl must be at most {MAX_URL} characters", field="endpointUrl")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ValidationFailed("endpointUrl must not contain whitespace or control characters", field="endpointUrl")
    try:
        parts = urlsplit(url)
        _ = parts.port  # a malformed port raises here
    except ValueError:
        raise ValidationFailed("endpointUrl is not a valid URL", field="endpointUrl") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url[len(scheme) :].startswith("://"):
        raise ValidationFailed("endpointUrl must be an absolute http or https URL", field="endpointUrl")
    if "@" in parts.netloc:
        raise ValidationFailed("endpointUrl must not contain credentials (userinfo)", field="endpointUrl")
    if not parts.hostname:
        raise ValidationFailed("endpointUrl must name a host", field="endpointUrl")
    return scheme + url[len(scheme) :]


@dataclass(frozen=True)
class Unset:
    """Marks a PATCH field that was not sent."""


UNSET: Final = Unset()


async def configure(
    ctx: Context,
    caller: Caller,
    member: Member,
    connector_id: str,
    url: str | Unset | None,
    name: str | None,
) -> connectors_q.ConnectorRow:
    """PATCH: endpoint URL (None clears, UNSET keeps) and name; a change records GOVERNANCE_UPDATED."""
    if member.archived:
        raise Conflict(ARCHIVED_MESSAGE)
    async with ctx.transaction() as conn:
        current = await connectors_q.get_connector(conn, workspace_id=member.workspace_id, connector_id=connector_id)
        if current is None:
            raise NotFound("Connector not found")
        new_url = current.endpoint_url if isinstance(url, Unset) else url
        new_name = current.name if name is None else name
        if (new_url, new_name) == (current.endpoint_url, current.name):
            return current
        row = await connectors_q.configure_connector(
            conn, workspace_id=member.workspace_id, connector_id=connector_id, endpoint_url=new_url, name=new_name
        )
        if row is None:  # pragma: no cover - read just above in this transaction
            raise NotFound("Connector not found")
        await audit_log.record(
            conn,
            caller,
            member.workspace_id,
            "GOVERNANCE_UPDATED",
            "connector",
            connector_id,
            {"endpointUrl": current.endpoint_url, "name": current.name},
            {"endpointUrl": row.endpoint_url, "name": row.name},
        )
        return row


# -- connection test --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectionCheck:
    success: bool
    status: Literal["ok", "failed", "not_configured"]
    message: str
    http_status: int | None
    latency_ms: int | None
    tested_at: datetime


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def check_connection(url: str | None) -> ConnectionCheck:
    """`GET url` (5 s timeout, no redirects): 2xx, 3xx and 405 count as reachable. No DB writes, no audit."""
    tested_at = datetime.now(UTC)
    if url is None:
        return ConnectionCheck(False, "not_configured", NOT_CONFIGURED_MESSAGE, None, None, tested_at)
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=TEST_TIMEOUT_S, follow_redirects=False, trust_env=False) as client:
            response = await client.get(url, headers={"User-Agent": USER_AGENT})
    except httpx.TimeoutException:
        latency = round((time.monotonic() - started) * 1000)
        message = f"Connection failed: timeout after {TEST_TIMEOUT_S} s"
        return ConnectionCheck(False, "failed", message, None, latency, tested_at)
    except (httpx.HTTPError, OSError, ValueError) as exc:
        latency = round((time.monotonic() - started) * 1000)
        return ConnectionCheck(False, "failed", f"Connection failed: {_error_text(exc)}", None, latency, tested_at)
    latency = round((time.monotonic() - started) * 1000)
    code = response.status_code
    if 200 <= code < 400 or code == 405:
        message = f"Connection successful (HTTP {code}, {latency} ms)"
        return ConnectionCheck(True, "ok", message, code, latency, tested_at)
    return ConnectionCheck(False, "failed", f"Connection failed: HTTP {code}", code, latency, tested_at)
