"""Connector delivery worker: the outbox of published versions (domain.md §10.4) and the maintenance loop (§3.6).

Each round leases up to `batch_size` due deliveries in one short transaction (`FOR UPDATE SKIP LOCKED`; the lease
moves `next_attempt_at` forward and counts the attempt), commits, then POSTs them concurrently. Results are written
only under the lease that was taken (`attempts` must still match and the row must still be pending/retrying), so a
worker that lost its lease or a delivery superseded meanwhile changes nothing. A worker killed mid-POST leaves a
leased row that becomes due again when the lease expires and is resent with the same `Idempotency-Key`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version as package_version
from typing import Final, Literal

import httpx

from nexus.db.queries import connectors as q
from nexus.services import maintenance
from nexus.services.context import Context

log = logging.getLogger("nexus.delivery")

MAX_ERROR_CHARS: Final = 1000
_BODY_EXCERPT_BYTES: Final = 500
_USER_AGENT: Final = f"Nexus/{package_version('nexus')} delivery"

Result = Literal["delivered", "retrying", "failed"]


@dataclass(frozen=True)
class WorkerConfig:
    """Timings of the worker; the defaults are the spec's values, tests shrink them."""

    poll_interval: float = 5.0
    lease: timedelta = timedelta(seconds=60)
    batch_size: int = 10
    request_timeout: float = 10.0
    max_attempts: int = 8
    maintenance_interval: float = 600.0

    def __post_init__(self) -> None:
        if self.lease.total_seconds() <= self.request_timeout:
            raise ValueError("the lease must be longer than the request timeout")
        if self.batch_size < 1 or self.max_attempts < 1 or self.poll_interval <= 0:
            raise ValueError("batch size, attempts and poll interval must be positive")


@dataclass(frozen=True)
class Attempt:
    """What one POST gave: a status code (None when no response came) and the error text (None on 2xx)."""

    status_code: int | None
    error: str | None
    retryable: bool

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Outcome:
    """One settled delivery; `recorded` is False when the lease was lost (superseded, or re-leased elsewhere)."""

    delivery_id: str
    workspace_id: str
    connector_id: str
    version: int
    attempts: int
    result: Result
    status_code: int | None
    error: str | None
    recorded: bool

    def line(self) -> str:
        what = f"delivery {self.delivery_id} (v{self.version} to {self.connector_id}, attempt {self.attempts})"
        if not self.recorded:
            return f"{what}: result not recorded, the delivery was superseded or leased again"
        if self.result == "delivered":
            return f"{what}: delivered (HTTP {self.status_code})"
        return f"{what}: {self.result}: {self.error}"


def is_retryable(status_code: int) -> bool:
    """408, 429 and 5xx are worth another attempt; any other non-2xx status fails the delivery at once."""
    return status_code in (408, 429) or 500 <= status_code < 600


def _seconds(value: float) -> str:
    return f"{value:g}"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


async def _excerpt(response: httpx.Response) -> str:
    """The start of an error response's body (never the whole of an arbitrarily large body)."""
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= _BODY_EXCERPT_BYTES:
            break
    return " ".join(data[:_BODY_EXCERPT_BYTES].decode("utf-8", "replace").split())


async def post(client: httpx.AsyncClient, claim: q.ClaimDueDeliveriesRow, seconds: float) -> Attempt:
    """POST the version's document bytes verbatim to the connector (no redirects, `seconds` at most overall)."""
    if not claim.endpoint_url:
        return Attempt(None, "connector has no endpoint URL", retryable=False)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": claim.id,
        "X-Nexus-Workspace": claim.workspace_id,
        "X-Nexus-Version": str(claim.version),
        "X-Nexus-Content-Hash": claim.content_hash,
        "User-Agent": _USER_AGENT,
    }
    try:
        async with asyncio.timeout(seconds):
            async with client.stream(
                "POST", claim.endpoint_url, content=claim.document.encode("utf-8"), headers=headers, timeout=seconds
            ) as response:
                code = response.status_code
                if 200 <= code < 300:
                    return Attempt(code, None, retryable=False)
                error = f"HTTP {code} {response.reason_phrase}".rstrip()
                if 300 <= code < 400:
                    error += " (redirects are not followed)"
                body = await _excerpt(response)
                if body:
                    error += f": {body}"
                return Attempt(code, _cut(error), retryable=is_retryable(code))
    except (TimeoutError, httpx.TimeoutException):
        return Attempt(None, f"timeout after {_seconds(seconds)} s", retryable=True)
    except httpx.InvalidURL as exc:
        return Attempt(None, _cut(f"invalid endpoint URL: {exc}"), retryable=False)
    except (httpx.HTTPError, OSError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        return Attempt(None, _cut(f"network error: {reason}"), retryable=True)


async def settle(ctx: Context, claim: q.ClaimDueDeliveriesRow, attempt: Attempt, config: WorkerConfig) -> Outcome:
    """Record the attempt under the lease taken (2xx → delivered + connector READY; retryable → retrying or, with
    the attempts spent, failed + DISCONNECTED; anything else → failed + DISCONNECTED)."""
    ws, did, attempts = claim.workspace_id, claim.id, claim.attempts
    code, error = attempt.status_code, attempt.error or ""
    result: Result
    async with ctx.transaction() as conn:
        if attempt.ok and code is not None:
            result = "delivered"
            row = await q.mark_delivered(conn, workspace_id=ws, delivery_id=did, attempts=attempts, status_code=code)
        elif attempt.retryable and attempts < config.max_attempts:
            result = "retrying"
            row = await q.mark_retrying(
                conn, workspace_id=ws, delivery_id=did, attempts=attempts, status_code=code, error=error
            )
        else:
            result = "failed"
            row = await q.mark_failed(
                conn, workspace_id=ws, delivery_id=did, attempts=attempts, status_code=code, error=error
            )
        if row is not None and result != "retrying":
            await q.set_connector_status(
                conn,
                workspace_id=ws,
                connector_id=claim.connector_id,
                status="READY" if result == "delivered" else "DISCONNECTED",
                synced=result == "delivered",
            )
    return Outcome(
        delivery_id=claim.id,
        workspace_id=claim.workspace_id,
        connector_id=claim.connector_id,
        version=claim.version,
        attempts=claim.attempts,
        result=result,
        status_code=attempt.status_code,
        error=attempt.error,
        recorded=row is not None,
    )


async def _deliver(
    ctx: Context, client: httpx.AsyncClient, claim: q.ClaimDueDeliveriesRow, config: WorkerConfig
) -> Outcome:
    return await settle(ctx, claim, await post(client, claim, config.request_timeout), config)


async def claim(ctx: Context, config: WorkerConfig) -> list[q.ClaimDueDeliveriesRow]:
    """Lease up to `batch_size` due deliveries and commit the lease (attempt counted before any POST)."""
    async with ctx.transaction() as conn:
        return await q.claim_due_deliveries(conn, lease=config.lease, batch_size=config.batch_size)


async def run_once(ctx: Context, client: httpx.AsyncClient, config: WorkerConfig | None = None) -> list[Outcome]:
    """One round: claim, POST the batch concurrently, settle each; a settle that fails leaves its lease to expire."""
    config = config or WorkerConfig()
    claimed = await claim(ctx, config)
    results = await asyncio.gather(*(_deliver(ctx, client, c, config) for c in claimed), return_exceptions=True)
    outcomes: list[Outcome] = []
    for c, result in zip(claimed, results, strict=True):
        if isinstance(result, Outcome):
            outcomes.append(result)
        elif isinstance(result, Exception):
            log.error("delivery %s: could not record the attempt (resent after the lease): %s", c.id, result)
        else:
            raise result
    return outcomes


def http_client() -> httpx.AsyncClient:
    """The worker's HTTP client: redirects are never followed."""
    return httpx.AsyncClient(follow_redirects=False)


Report = Callable[[str], None]


def _log_info(line: str) -> None:
    log.info("%s", line)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def delivery_loop(
    ctx: Context, stop: asyncio.Event, config: WorkerConfig | None = None, report: Report = _log_info
) -> None:
    """Deliver until `stop` is set; the round in flight is finished first. A full batch is followed by another
    round at once; database trouble is reported and retried at the next poll."""
    config = config or WorkerConfig()
    async with http_client() as client:
        while not stop.is_set():
            outcomes: list[Outcome] = []
            try:
                outcomes = await run_once(ctx, client, config)
            except Exception as exc:  # a daemon loop reports and carries on
                report(f"delivery round failed, retrying in {_seconds(config.poll_interval)} s: {exc}")
            for outcome in outcomes:
                report(outcome.line())
            if len(outcomes) < config.batch_size:
                await _pause(stop, config.poll_interval)


async def maintenance_loop(
    ctx: Context, stop: asyncio.Event, config: WorkerConfig | None = None, report: Report = _log_info
) -> None:
    """`maintenance.sweep` now and every `maintenance_interval` seconds until `stop` is set."""
    config = config or WorkerConfig()
    while not stop.is_set():
        try:
            swept = await maintenance.sweep(ctx)
            if swept.login_attempts or swept.sessions:
                report(f"maintenance: forgot {swept.login_attempts} login attempt(s), {swept.sessions} session(s)")
        except Exception as exc:  # a daemon loop reports and carries on
            report(f"maintenance sweep failed: {exc}")
        await _pause(stop, config.maintenance_interval)


class Background:
    """The delivery and maintenance loops as tasks of the running event loop (API lifespan, `nexus worker`)."""

    def __init__(
        self,
        ctx: Context,
        config: WorkerConfig | None = None,
        report: Report = _log_info,
        maintenance: bool = True,
    ) -> None:
        self.stop_event = asyncio.Event()
        config = config or WorkerConfig()
        self.tasks = [asyncio.create_task(delivery_loop(ctx, self.stop_event, config, report), name="nexus-delivery")]
        if maintenance:
            self.tasks.append(
                asyncio.create_task(maintenance_loop(ctx, self.stop_event, config, report), name="nexus-maintenance")
            )

    async def wait(self) -> None:
        """Until both loops end (after `stop_event` is set)."""
        await asyncio.gather(*self.tasks)

    async def stop(self, grace: float = 3.0) -> None:
        """Let the round in flight finish for up to `grace` seconds, then abandon it: its leases expire and the
        deliveries are resent with the same Idempotency-Key."""
        self.stop_event.set()
        done, pending = await asyncio.wait(self.tasks, timeout=grace)
        for task in pending:
            task.cancel()
        for task in [*done, *pending]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
