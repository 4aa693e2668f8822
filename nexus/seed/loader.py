"""Load the demo dataset (demo-data.md) in one transaction: all of it, or nothing when any of it is present.

SQL lives in sql/seed.sql; this module only calls the generated functions of `nexus.db.queries.seed`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Literal

import psycopg
from argon2 import PasswordHasher

from nexus.db.queries import seed as q
from nexus.domain import passwords
from nexus.domain.passwords import PasswordProfile
from nexus.seed import data
from nexus.services import golden as golden_service
from nexus.services import graph as graph_service

SeedOutcome = Literal["seeded", "already seeded"]


class SeedConflict(Exception):
    """Some, but not all, of the demo users / workspaces exist, or a demo row collides with existing data.

    Nothing was written; the message names the conflicting emails / ids.
    """


async def database_is_empty(conn: psycopg.AsyncConnection[Any] | str) -> bool:
    """True when there is no user at all (`nexus up` seeds only then). `conn`: a connection or a conninfo."""
    if isinstance(conn, str):
        async with await psycopg.AsyncConnection.connect(conn, autocommit=True) as own:
            return not await q.any_user_exists(own)
    return not await q.any_user_exists(conn)


async def _present(conn: psycopg.AsyncConnection[Any]) -> tuple[list[str], list[str]]:
    """The demo emails (as stored) and demo workspace ids that already exist."""
    users = await q.list_users_with_emails(conn, emails=[e.lower() for e in data.DEMO_EMAILS])
    workspaces = await q.list_workspaces_with_ids(conn, ids=list(data.DEMO_WORKSPACE_IDS))
    return [r.email for r in users], [r.id for r in workspaces]


async def load_demo(conn: psycopg.AsyncConnection[Any], hasher: PasswordHasher) -> SeedOutcome:
    """Insert the whole demo dataset, or nothing.

    None of the demo emails and workspaces exist → everything is inserted ("seeded"); all exist → nothing
    changes ("already seeded"); only some exist → nothing changes and `SeedConflict` names them. Concurrent
    runs are serialised by a transaction advisory lock, so exactly one of them seeds.
    """
    async with conn.transaction():
        await q.lock_seed(conn)
        emails, workspace_ids = await _present(conn)
        if not emails and not workspace_ids:
            try:
                await _insert_all(conn, hasher)
            except psycopg.errors.IntegrityError as exc:
                # A demo id (not an email / workspace id) is taken by unrelated data; the transaction rolls back.
                detail = exc.diag.message_detail or exc.diag.message_primary or str(exc)
                raise SeedConflict(f"demo data conflicts with existing rows, nothing written: {detail}") from exc
            return "seeded"
        if len(emails) == len(data.DEMO_EMAILS) and len(workspace_ids) == len(data.DEMO_WORKSPACE_IDS):
            return "already seeded"
        found = {e.lower() for e in emails}
        missing = [e for e in data.DEMO_EMAILS if e.lower() not in found]
        missing += [w for w in data.DEMO_WORKSPACE_IDS if w not in workspace_ids]
        raise SeedConflict(
            "demo data is partly present, nothing written: "
            f"existing {', '.join([*emails, *workspace_ids])}; missing {', '.join(missing)}"
        )


async def _insert_all(conn: psycopg.AsyncConnection[Any], ph: PasswordHasher) -> None:
    for user in data.USERS:
        # One argon2id hash per user (own salt), one at a time: the default profile needs 64 MiB per hash.
        await q.insert_user(
            conn,
            id=user.id,
            email=user.email,
            name=user.name,
            password=await passwords.hash_password(ph, data.DEMO_PASSWORD),
            avatar_url=user.avatar_url,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )
    for s in data.SESSIONS:
        await q.insert_session(
            conn,
            id=s.id,
            user_id=s.user_id,
            created_at=s.created_at,
            expires_at=s.expires_at,
            user_agent=s.user_agent,
            ip=s.ip,
        )
    for w in data.WORKSPACES:
        await q.insert_workspace(
            conn,
            id=w.id,
            name=w.name,
            currency=w.currency,
            amount=w.amount,
            standard=w.standard,
            base_pdf_name=w.base_pdf_name,
            created_by_id=w.created_by_id,
            created_at=w.created_at,
            last_sync_at=w.last_sync_at,
            governance_rules=w.governance_rules,
            archived_at=w.archived_at,
            updated_at=w.updated_at,
        )
    for g in data.GRAPH_STATES:
        await q.insert_graph_state(
            conn,
            workspace_id=g.workspace_id,
            integrity_score=g.integrity_score,
            node_count=g.node_count,
            edge_count=g.edge_count,
            drift_node_count=g.drift_node_count,
            warning_node_count=g.warning_node_count,
            last_computed_at=g.last_computed_at,
            updated_at=g.updated_at,
        )
    for m in data.MEMBERS:
        await q.insert_member(
            conn,
            id=m.id,
            workspace_id=m.workspace_id,
            user_id=m.user_id,
            role=m.role,
            is_admin=m.is_admin,
            is_external=m.is_external,
            status=m.status,
            invited_at=m.invited_at,
            joined_at=m.joined_at,
        )
    for c in data.CLAUSES:
        await q.insert_clause(
            conn,
            id=c.id,
            workspace_id=c.workspace_id,
            title=c.title,
            body=c.body,
            type=c.type,
            clause_order=c.order,
            is_sensitive=c.is_sensitive,
            is_locked=c.is_locked,
            locked_by=c.locked_by,
            locked_at=c.locked_at,
            last_modified_at=c.last_modified_at,
            last_modified_by=c.last_modified_by,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
    for v in data.VARIABLES:
        await q.insert_variable(
            conn,
            id=v.id,
            workspace_id=v.workspace_id,
            clause_id=v.clause_id,
            label=v.label,
            type=v.type,
            value=v.value,
            unit=v.unit,
            baseline_value=v.baseline_value,
            baseline_approved_at=v.baseline_approved_at,
            created_at=v.created_at,
            last_modified_at=v.last_modified_at,
            last_modified_by=v.last_modified_by,
            updated_at=v.updated_at,
        )
    for d in data.DRIFTS:
        await q.insert_drift_item(
            conn,
            id=d.id,
            workspace_id=d.workspace_id,
            clause_id=d.clause_id,
            variable_id=d.variable_id,
            title=d.title,
            type=d.type,
            severity=d.severity,
            baseline_value=d.baseline_value,
            baseline_approved_at=d.baseline_approved_at,
            current_value=d.current_value,
            unit=d.unit,
            current_modified_at=d.current_modified_at,
            current_modified_by=d.current_modified_by,
            status=d.status,
            approved_by=d.approved_by,
            approved_at=d.approved_at,
            approval_reason=d.approval_reason,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )
    # The normal graph build per workspace, clock = its last_sync_at, no GRAPH_SYNC (demo-data.md §0, §7).
    for w in data.WORKSPACES:
        assert w.last_sync_at is not None
        await graph_service.build(conn, workspace_id=w.id, now=w.last_sync_at)
    for rs in data.RECON_SESSIONS:
        await q.insert_reconciliation_session(
            conn,
            id=rs.id,
            workspace_id=rs.workspace_id,
            file_name=rs.file_name,
            file_type=rs.file_type,
            uploaded_at=rs.uploaded_at,
            uploaded_by=rs.uploaded_by,
            total_items=rs.total_items,
            applied_count=rs.applied_count,
            rejected_count=rs.rejected_count,
            pending_count=rs.pending_count,
            created_at=rs.created_at,
            updated_at=rs.updated_at,
        )
    for ri in data.RECON_ITEMS:
        await q.insert_reconciliation_item(
            conn,
            id=ri.id,
            workspace_id=ri.workspace_id,
            session_id=ri.session_id,
            incoming_snippet=ri.incoming_snippet,
            target_clause_id=ri.target_clause_id,
            target_variable_id=ri.target_variable_id,
            confidence=ri.confidence,
            baseline_value=ri.baseline_value,
            current_value=ri.current_value,
            proposed_value=ri.proposed_value,
            decision=ri.decision,
            decision_reason=ri.decision_reason,
            decided_by=ri.decided_by,
            decided_at=ri.decided_at,
            position=ri.position,
            match_score=ri.match_score,
            change_description=ri.change_description,
            created_at=ri.created_at,
            updated_at=ri.updated_at,
        )
    for cov in data.COVENANTS:
        await q.insert_covenant(
            conn,
            id=cov.id,
            workspace_id=cov.workspace_id,
            name=cov.name,
            test_frequency=cov.test_frequency,
            threshold=cov.threshold,
            calculation_basis=cov.calculation_basis,
            clause_id=cov.clause_id,
            variable_id=cov.variable_id,
            created_at=cov.created_at,
            updated_at=cov.updated_at,
        )
    for conn_row in data.CONNECTORS:
        await q.insert_connector(
            conn,
            id=conn_row.id,
            workspace_id=conn_row.workspace_id,
            name=conn_row.name,
            type=conn_row.type,
            status=conn_row.status,
            last_sync_at=conn_row.last_sync_at,
            endpoint_url=conn_row.endpoint_url,
            created_at=conn_row.created_at,
            updated_at=conn_row.updated_at,
        )
    # The version-1 document of ws-002 is the export builder's output over the rows above (demo-data §9).
    published = await _published_document(conn)
    for gr in data.golden_records(published):
        await q.insert_golden_record(
            conn,
            id=gr.id,
            workspace_id=gr.workspace_id,
            status=gr.status,
            integrity_score=gr.integrity_score,
            unresolved_high_drift_count=gr.unresolved_high_drift_count,
            last_export_at=gr.last_export_at,
            last_publish_at=gr.last_publish_at,
            schema_json=gr.schema_json,
            created_at=gr.created_at,
            updated_at=gr.updated_at,
        )
    for version in data.VERSIONS:
        await q.insert_golden_record_version(
            conn,
            id=version.id,
            workspace_id=version.workspace_id,
            golden_record_id=version.golden_record_id,
            version=version.version,
            document=published.schema_json,
            content_hash=published.content_hash,
            integrity_score=version.integrity_score,
            published_by=version.published_by,
            published_at=version.published_at,
            reason=version.reason,
            reason_category=version.reason_category,
        )
    for delivery in data.DELIVERIES:
        await q.insert_connector_delivery(
            conn,
            id=delivery.id,
            workspace_id=delivery.workspace_id,
            connector_id=delivery.connector_id,
            version_id=delivery.version_id,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_attempt_at=delivery.last_attempt_at,
            delivered_at=delivery.delivered_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
        )
    # Last, in timestamp order: the chain trigger numbers and hashes each chain in insertion order.
    for e in sorted(data.audit_events(published), key=lambda event: event.timestamp):
        await q.insert_audit_event(
            conn,
            id=e.id,
            timestamp=e.timestamp,
            workspace_id=e.workspace_id,
            actor_id=e.actor_id,
            actor_name=e.actor_name,
            event_type=e.event_type,
            target_type=e.target_type,
            target_id=e.target_id,
            before_state=e.before_state,
            after_state=e.after_state,
            reason=e.reason,
            reason_category=e.reason_category,
        )


async def _published_document(conn: psycopg.AsyncConnection[Any]) -> data.PublishedDocument:
    """ws-002's export document as the export builder computes it now (demo-data §9): READY, integrity 100."""
    state = await golden_service.live(conn, data.PUBLISHED_WORKSPACE_ID)
    if state.gate.status != "READY" or state.gate.integrity_score != data.VERSIONS[0].integrity_score:
        raise RuntimeError(f"demo data: {data.PUBLISHED_WORKSPACE_ID} is not READY with integrity 100")
    return data.PublishedDocument(state.document.schema_json, state.document.content_hash)


async def _run(conninfo: str, profile: PasswordProfile) -> SeedOutcome:
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        return await load_demo(conn, passwords.hasher(profile))


def run(conninfo: str, profile: PasswordProfile) -> int:
    """`nexus seed`: one line (stdout; stderr on failure); exit code 0, or 1 on a conflict or no database."""
    try:
        outcome = asyncio.run(_run(conninfo, profile))
    except SeedConflict as exc:
        print(f"nexus seed: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        lines = str(exc).strip().splitlines()
        print(f"nexus seed: cannot reach the database: {lines[0] if lines else type(exc).__name__}", file=sys.stderr)
        return 1
    if outcome == "seeded":
        print(
            f"nexus seed: demo data loaded ({len(data.USERS)} users, {len(data.WORKSPACES)} workspaces); "
            f"log in as {data.DEMO_EMAILS[0]} / {data.DEMO_PASSWORD}"
        )
    else:
        print("nexus seed: already seeded, nothing changed")
    return 0
