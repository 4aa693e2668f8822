"""Audit reads and chain verification (api.md §3.8, domain.md §11.4–§11.6).

Verification recomputes every hash in Python (`nexus.domain.audit`) over `chain_events_batch` batches read in one
REPEATABLE READ snapshot, so a concurrent append cannot look like a head mismatch. Lists project each row by the
caller's permission in its workspace (limited callers lose reason/reasonCategory/states); global events are seen
by their actor only, in full.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

import msgspec
from psycopg import AsyncConnection, IsolationLevel
from psycopg.pq import TransactionStatus

from nexus.db.queries import audit as audit_q
from nexus.db.queries.enums import AuditEventType
from nexus.domain.audit import GENESIS_HASH, GLOBAL_CHAIN, event_hash
from nexus.domain.errors import NotFound, ValidationFailed
from nexus.domain.pagination import page_offset
from nexus.domain.permissions import Member, Permission
from nexus.services import workspaces as workspace_service
from nexus.services.context import Caller, Context

BATCH_SIZE: Final = 1000
# Export batches: one deal is a plain range scan, so larger batches only save round trips; the per-workspace merge
# (several deals or global events) turns into a bitmap scan of whole deals above ~1,000 rows a workspace.
EXPORT_BATCH: Final = 5000
EXPORT_MERGE_BATCH: Final = 1000
MAX_REPORTED_PROBLEMS: Final = 1000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

ProblemKind = Literal["modified", "broken_link", "missing", "head_mismatch"]


# -- verification (domain.md §11.5) -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    seq: int
    kind: ProblemKind
    event_id: str | None = None


@dataclass
class ChainReport:
    chain_id: str
    checked: int = 0
    last_seq: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)


def _state(text: str | None) -> Any:
    # jsonb text back to JSON values; Decimal keeps numeric's scale (1.50 stays 1.50) for the canonical text.
    return None if text is None else json.loads(text, parse_float=Decimal)


def _canonical_input(row: audit_q.ChainEventsBatchRow) -> dict[str, Any]:
    values = row._asdict()
    values["before_state"] = _state(row.before_state)
    values["after_state"] = _state(row.after_state)
    return values


def check_rows(report: ChainReport, rows: Sequence[audit_q.ChainEventsBatchRow], prev_hash: str) -> str:
    """Check one batch (rows in seq order) continuing after a row whose stored hash is `prev_hash`; returns the
    stored hash of the batch's last row. `report.last_seq` is the seq of the previous row (0 before the first)."""
    for row in rows:
        expected = report.last_seq + 1
        if row.seq > expected:
            for seq in range(expected, row.seq):
                report.add(Problem(seq, "missing"))
        if row.prev_hash != prev_hash:
            report.add(Problem(row.seq, "broken_link", row.id))
        if event_hash(_canonical_input(row)) != row.hash:
            report.add(Problem(row.seq, "modified", row.id))
        report.checked += 1
        report.last_seq = row.seq
        prev_hash = row.hash
    return prev_hash


async def verify_chain(conn: AsyncConnection[Any], chain_id: str, batch_size: int = BATCH_SIZE) -> ChainReport:
    """Recompute one chain on `conn` (call it inside a REPEATABLE READ transaction for a consistent snapshot)."""
    report = ChainReport(chain_id)
    head = await audit_q.get_chain_head(conn, chain_id=chain_id)
    prev_hash = GENESIS_HASH
    while True:
        rows = await audit_q.chain_events_batch(
            conn, chain_id=chain_id, after_seq=report.last_seq, batch_size=batch_size
        )
        prev_hash = check_rows(report, rows, prev_hash)
        if len(rows) < batch_size:
            break
    if head is None:
        if report.checked:
            report.add(Problem(report.last_seq, "head_mismatch"))
    elif (head.last_seq, head.last_hash) != (report.last_seq, prev_hash if report.checked else None):
        report.add(Problem(head.last_seq, "head_mismatch"))
    return report


async def chain_ids(conn: AsyncConnection[Any]) -> list[str]:
    """Every chain with a head (`nexus audit verify --all`)."""
    return [h.chain_id for h in await audit_q.list_chain_heads(conn)]


async def _snapshot_verify(conn: AsyncConnection[Any], ids: Sequence[str] | None) -> list[ChainReport]:
    async with conn.transaction():
        wanted = list(ids) if ids is not None else await chain_ids(conn)
        return [await verify_chain(conn, chain_id) for chain_id in wanted]


async def verify_on(conn: AsyncConnection[Any], ids: Sequence[str] | None = None) -> list[ChainReport]:
    """Verify `ids` (None = every chain) in one read-only REPEATABLE READ snapshot on an idle connection."""
    assert conn.info.transaction_status == TransactionStatus.IDLE
    old_isolation, old_read_only = conn.isolation_level, conn.read_only
    await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
    await conn.set_read_only(True)
    try:
        return await _snapshot_verify(conn, ids)
    finally:
        await conn.set_isolation_level(old_isolation)
        await conn.set_read_only(old_read_only)


async def verify_workspace(ctx: Context, workspace_id: str) -> ChainReport:
    """`GET /audit/verify`: one workspace chain (the guard checked audit:viewFull)."""
    async with ctx.pool.connection() as conn:
        if conn.info.transaction_status != TransactionStatus.IDLE:  # pragma: no cover - pool hands idle ones
            await conn.rollback()
        return (await verify_on(conn, [workspace_id]))[0]


def chain_of(workspace_id: str | None) -> str:
    return workspace_id if workspace_id is not None else GLOBAL_CHAIN


# -- filters, scope, cursor -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditFilter:
    workspace_id: str | None = None
    event_type: AuditEventType | None = None
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    keyword: str | None = None

    @property
    def workspace_only(self) -> bool:
        return self.workspace_id is not None and not any(
            (
                self.event_type,
                self.actor_id,
                self.target_type,
                self.target_id,
                self.start_at,
                self.end_at,
                self.keyword,
            )
        )

    def fingerprint(self) -> str:
        raw = json.dumps(
            [
                self.workspace_id,
                self.event_type,
                self.actor_id,
                self.target_type,
                self.target_id,
                None if self.start_at is None else self.start_at.isoformat(),
                None if self.end_at is None else self.end_at.isoformat(),
                self.keyword,
            ]
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Scope:
    """Which workspaces the caller sees in full / limited, and whose global events (None = none)."""

    full: list[str]
    limited: list[str]
    global_actor: str | None

    def is_limited(self, workspace_id: str | None) -> bool:
        return workspace_id is not None and workspace_id in self.limited


def scope_of_member(member: Member) -> Scope:
    if member.can("audit:viewFull"):
        return Scope([member.workspace_id], [], None)
    return Scope([], [member.workspace_id], None)


async def caller_scope(ctx: Context, caller: Caller, permission: Permission | None = None) -> Scope:
    """Scope without `workspaceId`: active memberships (projection by permission there) + own global events.
    With `permission` (export), only workspaces where the caller holds it, all full."""
    async with ctx.transaction() as conn:
        rows = await audit_q.list_audit_memberships(conn, user_id=caller.user_id)
    full: list[str] = []
    limited: list[str] = []
    for row in rows:
        member = Member(
            workspace_id=row.workspace_id,
            member_id="",
            user_id=caller.user_id,
            role=row.role,
            is_admin=row.is_admin,
            is_external=row.is_external,
            status=row.status,
            governance=workspace_service.governance_of(row.governance_rules),
            archived=row.archived_at is not None,
        )
        if permission is not None:
            if member.can(permission):
                full.append(row.workspace_id)
        elif member.can("audit:viewFull"):
            full.append(row.workspace_id)
        elif member.can("audit:viewLimited"):
            limited.append(row.workspace_id)
    return Scope(full, limited, caller.user_id)


@dataclass(frozen=True)
class Cursor:
    timestamp: datetime
    id: str


def encode_cursor(row: audit_q.AuditEventRow, filters: AuditFilter) -> str:
    delta = row.timestamp - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    raw = json.dumps([micros, row.id, filters.fingerprint()], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(value: str, filters: AuditFilter) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        micros, event_id, fingerprint = json.loads(raw.decode("utf-8"))
        if not isinstance(micros, int) or not isinstance(event_id, str) or not isinstance(fingerprint, str):
            raise ValueError("bad cursor")
        timestamp = _EPOCH + timedelta(microseconds=micros)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise ValidationFailed("cursor is invalid", field="cursor") from None
    if "\x00" in event_id:
        raise ValidationFailed("cursor is invalid", field="cursor")
    if fingerprint != filters.fingerprint():
        raise ValidationFailed("cursor does not match the filters", field="cursor")
    return Cursor(timestamp, event_id)


# -- list / count / get / target --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    rows: list[audit_q.AuditEventRow]
    total: int | None
    has_next: bool
    next_cursor: str | None


def _filter_args(filters: AuditFilter) -> dict[str, Any]:
    return {
        "event_type": filters.event_type,
        "actor_id": filters.actor_id,
        "target_type": filters.target_type,
        "target_id": filters.target_id,
        "start_at": filters.start_at,
        "end_at": filters.end_at,
        "keyword": filters.keyword,
    }


async def _count(conn: AsyncConnection[Any], scope: Scope, filters: AuditFilter) -> int:
    if filters.workspace_only and filters.workspace_id is not None:
        return await audit_q.count_workspace_events(conn, workspace_id=filters.workspace_id) or 0
    total = await audit_q.count_events_filtered(
        conn,
        full_workspace_ids=scope.full,
        limited_workspace_ids=scope.limited,
        global_actor_id=scope.global_actor,
        **_filter_args(filters),
    )
    return total or 0


async def list_events(
    ctx: Context, scope: Scope, filters: AuditFilter, page: int, limit: int, cursor: str | None
) -> Page:
    """One page newest first; `cursor` mode (keyset, no total) or `page` mode (offset, exact total)."""
    position = decode_cursor(cursor, filters) if cursor is not None else None
    async with ctx.transaction() as conn:
        rows = await audit_q.list_events_filtered(
            conn,
            full_workspace_ids=scope.full,
            limited_workspace_ids=scope.limited,
            global_actor_id=scope.global_actor,
            **_filter_args(filters),
            before_ts=None if position is None else position.timestamp,
            before_id=None if position is None else position.id,
            page_limit=limit + 1,
            page_offset=0 if position is not None else page_offset(page, limit),
        )
        total = None if position is not None else await _count(conn, scope, filters)
    has_next = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1], filters) if has_next and rows else None
    return Page(rows, total, has_next, next_cursor)


async def count_events(ctx: Context, scope: Scope, filters: AuditFilter) -> int:
    async with ctx.transaction() as conn:
        return await _count(conn, scope, filters)


async def target_events(
    ctx: Context, scope: Scope, target_type: str, target_id: str, page: int, limit: int
) -> tuple[list[audit_q.AuditEventRow], int]:
    ids = scope.full + scope.limited
    async with ctx.transaction() as conn:
        rows = await audit_q.list_target_events(
            conn,
            target_type=target_type,
            target_id=target_id,
            workspace_ids=ids,
            global_actor_id=scope.global_actor,
            before_ts=None,
            before_id=None,
            page_limit=limit,
            page_offset=page_offset(page, limit),
        )
        total = await audit_q.count_target_events(
            conn, target_type=target_type, target_id=target_id, workspace_ids=ids, global_actor_id=scope.global_actor
        )
    return rows, total or 0


async def get_event(ctx: Context, caller: Caller, event_id: str) -> tuple[audit_q.GetEventForUserRow, bool]:
    """The event and whether the caller sees it limited; 404 when not visible."""
    row = None
    if 0 < len(event_id) <= 64 and "\x00" not in event_id:
        async with ctx.transaction() as conn:
            row = await audit_q.get_event_for_user(conn, event_id=event_id, user_id=caller.user_id)
    if row is None:
        raise NotFound("Audit event not found")
    if row.workspace_id is None:
        return row, False
    if row.role is None or row.is_admin is None or row.is_external is None or row.status is None:
        raise NotFound("Audit event not found")
    member = Member(
        workspace_id=row.workspace_id,
        member_id="",
        user_id=caller.user_id,
        role=row.role,
        is_admin=row.is_admin,
        is_external=row.is_external,
        status=row.status,
        governance=workspace_service.governance_of(row.governance_rules),
        archived=row.archived_at is not None,
    )
    if member.can("audit:viewFull"):
        return row, False
    if member.can("audit:viewLimited"):
        return row, True
    raise NotFound("Audit event not found")


# -- projection and export (domain.md §11.6–§11.7) --------------------------------------------------------------
def _iso(ts: datetime) -> str:
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


# msgspec's JSON is what json.dumps(separators=(",", ":"), ensure_ascii=False) writes (same string escapes, key
# order kept), several times faster; Decimal (numbers with a fraction, scale kept) is written as a string, as
# json.dumps(default=str) did. tests/api/test_audit.py pins the equivalence.
_STATE_DECODER: Final = msgspec.json.Decoder(float_hook=Decimal)
_encode_json: Final = msgspec.json.encode


def compact_state(text: str | None) -> str | None:
    """A state as compact JSON text (api.md §2.1): jsonb's key order, no spaces."""
    if text is None:
        return None
    return _encode_json(_STATE_DECODER.decode(text)).decode()


def event_dict(row: audit_q.AuditEventRow | audit_q.GetEventForUserRow, limited: bool) -> dict[str, Any]:
    """AuditEvent (api.md §2); the limited projection drops reason/reasonCategory/states (domain.md §11.6)."""
    out: dict[str, Any] = {
        "id": row.id,
        "workspaceId": row.workspace_id,
        "timestamp": _iso(row.timestamp),
        "actorId": row.actor_id,
        "actorName": row.actor_name,
        "eventType": row.event_type,
        "targetType": row.target_type,
        "targetId": row.target_id,
    }
    if not limited:
        out["beforeState"] = compact_state(row.before_state)
        out["afterState"] = compact_state(row.after_state)
        out["reason"] = row.reason
        out["reasonCategory"] = row.reason_category
    out["seq"] = row.seq
    out["hash"] = row.hash
    out["limited"] = limited
    return out


CSV_COLUMNS: Final = (
    "id",
    "timestamp",
    "workspaceId",
    "actorId",
    "actorName",
    "eventType",
    "targetType",
    "targetId",
    "beforeState",
    "afterState",
    "reason",
    "reasonCategory",
    "seq",
    "hash",
)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_field(value: object) -> str:
    """Null → empty; else double-quoted, inner quotes doubled, formula starts prefixed with `'` (§11.7)."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    if '"' in text:
        text = text.replace('"', '""')
    return '"' + text + '"'


def csv_line(values: Sequence[object]) -> str:
    return ",".join(csv_field(v) for v in values) + "\r\n"


def csv_header() -> str:
    return ",".join(CSV_COLUMNS) + "\r\n"


def csv_row(event: dict[str, Any]) -> str:
    return csv_line([event[c] for c in CSV_COLUMNS])


def _filter_summary(filters: AuditFilter) -> dict[str, Any]:
    raw = {
        "workspaceId": filters.workspace_id,
        "eventType": filters.event_type,
        "actorId": filters.actor_id,
        "targetType": filters.target_type,
        "targetId": filters.target_id,
        "startDate": None if filters.start_at is None else _iso(filters.start_at),
        "endDate": None if filters.end_at is None else _iso(filters.end_at),
        "keyword": filters.keyword,
    }
    return {k: v for k, v in raw.items() if v is not None}


class Export:
    """An open read snapshot (REPEATABLE READ, read only) over the export's rows; `chunks()` streams the file and
    releases the connection; `close()` releases it if streaming never started."""

    def __init__(self, ctx: Context, scope: Scope, filters: AuditFilter, fmt: Literal["json", "csv"]) -> None:
        self.ctx, self.scope, self.filters, self.fmt = ctx, scope, filters, fmt
        self.count = 0
        self._stack = AsyncExitStack()
        self._conn: AsyncConnection[Any] | None = None
        self._closed = False

    async def open(self, caller: Caller) -> None:
        try:
            # The snapshot is read from the replica when DATABASE_READ_URL is set; EXPORT_AUDIT goes to the primary.
            conn = await self._stack.enter_async_context(self.ctx.reader.connection())
            if conn.info.transaction_status != TransactionStatus.IDLE:  # pragma: no cover
                await conn.rollback()
            old_isolation, old_read_only = conn.isolation_level, conn.read_only
            await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
            await conn.set_read_only(True)

            async def restore() -> None:
                if conn.info.transaction_status == TransactionStatus.IDLE:
                    await conn.set_isolation_level(old_isolation)
                    await conn.set_read_only(old_read_only)

            self._stack.push_async_callback(restore)
            await self._stack.enter_async_context(conn.transaction())
            await audit_q.export_plan_settings(conn)
            self._conn = conn
            # The count takes the snapshot; the EXPORT_AUDIT event committed next is not in it.
            self.count = (
                await audit_q.count_events_filtered(
                    conn,
                    full_workspace_ids=self.scope.full,
                    limited_workspace_ids=[],
                    global_actor_id=self.scope.global_actor,
                    **_filter_args(self.filters),
                )
                or 0
            )
            async with self.ctx.transaction() as write:
                await audit_q.append_event(
                    write,
                    workspace_id=self.filters.workspace_id,
                    actor_id=caller.user_id,
                    actor_name=caller.name,
                    event_type="EXPORT_AUDIT",
                    target_type="audit",
                    target_id=None,
                    before_state=None,
                    after_state={
                        "format": self.fmt,
                        "eventCount": self.count,
                        "filter": _filter_summary(self.filters),
                    },
                    reason=None,
                    reason_category=None,
                )
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._stack.aclose()

    async def _batches(self) -> AsyncIterator[list[audit_q.ExportEventRow]]:
        """The rows in (timestamp, id) DESC keyset batches: one workspace is a plain idx_audit_ws_keyset range scan,
        several (or the caller's global events) merge per-workspace scans."""
        assert self._conn is not None
        single = len(self.scope.full) == 1 and self.scope.global_actor is None
        batch = EXPORT_BATCH if single else EXPORT_MERGE_BATCH
        before: audit_q.ExportEventRow | None = None
        while True:
            cursor: dict[str, Any] = {
                "before_ts": None if before is None else before.timestamp,
                "before_id": None if before is None else before.id,
                "batch_size": batch,
            }
            if single:
                rows = await audit_q.export_workspace_events_batch(
                    self._conn, workspace_id=self.scope.full[0], **_filter_args(self.filters), **cursor
                )
            else:
                rows = await audit_q.export_events_batch(
                    self._conn,
                    workspace_ids=self.scope.full,
                    global_actor_id=self.scope.global_actor,
                    **_filter_args(self.filters),
                    **cursor,
                )
            if rows:
                yield rows
            if len(rows) < batch:
                return
            before = rows[-1]

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file, one chunk per batch of rows (UTF-8)."""
        try:
            if self.fmt == "csv":
                yield csv_header().encode()
                async for rows in self._batches():
                    yield "".join(map(_export_csv_line, rows)).encode()
            else:
                yield b"["
                separator = b""
                async for rows in self._batches():
                    yield separator + b",\n".join(map(_export_json_line, rows))
                    separator = b",\n"
                yield b"]"
        finally:
            await self.close()


def _export_json_line(row: audit_q.ExportEventRow) -> bytes:
    """`event_dict(row, False)` as compact JSON."""
    return _encode_json(
        {
            "id": row.id,
            "workspaceId": row.workspace_id,
            "timestamp": row.at_iso,
            "actorId": row.actor_id,
            "actorName": row.actor_name,
            "eventType": row.event_type,
            "targetType": row.target_type,
            "targetId": row.target_id,
            "beforeState": compact_state(row.before_state),
            "afterState": compact_state(row.after_state),
            "reason": row.reason,
            "reasonCategory": row.reason_category,
            "seq": row.seq,
            "hash": row.hash,
            "limited": False,
        }
    )


def _export_csv_line(row: audit_q.ExportEventRow) -> str:
    """`csv_row(event_dict(row, False))`."""
    return csv_line(
        (
            row.id,
            row.at_iso,
            row.workspace_id,
            row.actor_id,
            row.actor_name,
            row.event_type,
            row.target_type,
            row.target_id,
            compact_state(row.before_state),
            compact_state(row.after_state),
            row.reason,
            row.reason_category,
            row.seq,
            row.hash,
        )
    )


async def start_export(
    ctx: Context, caller: Caller, scope: Scope, filters: AuditFilter, fmt: Literal["json", "csv"]
) -> Export:
    """Count, commit EXPORT_AUDIT, and hold the snapshot the file is streamed from."""
    export = Export(ctx, scope, filters, fmt)
    await export.open(caller)
    return export
