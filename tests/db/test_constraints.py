"""Constraint and trigger behaviour (schema.md §0, §3–§8): tenant FKs, SET NULL (col), partial uniques,
the deferrable clause order, CHECKs, updated_at, nexus_id(), append-only tables and the runtime role's limits.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from psycopg import errors
from psycopg.rows import dict_row

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "schema_tests.sql", "psycopg")

Conn = psycopg.Connection[dict[str, Any]]

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def conn(db_url: str) -> Iterator[Conn]:
    """Owner connection (autocommit) to a fresh database holding two seeded workspaces ws-a and ws-b."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        Q.seed_two_workspaces(c)
        yield c


# --- tenant safety ---------------------------------------------------------------------------------------


def test_variable_cannot_point_at_another_workspaces_clause(conn: Conn) -> None:
    Q.insert_variable(conn, id="var-ok", workspace_id="ws-a", clause_id="cl-a2")
    with pytest.raises(errors.ForeignKeyViolation, match="fk_variables_clause"):
        Q.insert_variable(conn, id="var-x", workspace_id="ws-a", clause_id="cl-b1")


def test_drift_cannot_point_at_another_workspaces_variable_or_clause(conn: Conn) -> None:
    Q.insert_drift(conn, id="d-ok", workspace_id="ws-b", clause_id="cl-b1", variable_id="var-b1", status="unresolved")
    with pytest.raises(errors.ForeignKeyViolation, match="fk_drift_items_variable"):
        Q.insert_drift(conn, id="d-x1", workspace_id="ws-a", clause_id="cl-a2", variable_id="var-b1", status="approved")
    with pytest.raises(errors.ForeignKeyViolation, match="fk_drift_items_clause"):
        Q.insert_drift(conn, id="d-x2", workspace_id="ws-a", clause_id="cl-b1", variable_id=None, status="approved")


def test_graph_edge_cannot_join_nodes_of_another_workspace(conn: Conn) -> None:
    Q.insert_graph_edge(conn, id="e-ok", workspace_id="ws-b", source_id="node-b1", target_id="node-b2", weight=2)
    with pytest.raises(errors.ForeignKeyViolation, match="fk_graph_edges_target"):
        Q.insert_graph_edge(conn, id="e-x1", workspace_id="ws-a", source_id="node-a1", target_id="node-b1", weight=1)
    with pytest.raises(errors.ForeignKeyViolation, match="fk_graph_edges_source"):
        Q.insert_graph_edge(conn, id="e-x2", workspace_id="ws-a", source_id="node-b2", target_id="node-a1", weight=1)


def test_graph_node_cannot_link_another_workspaces_clause_or_variable(conn: Conn) -> None:
    with pytest.raises(errors.ForeignKeyViolation, match="fk_graph_nodes_clause"):
        Q.insert_graph_node(conn, id="n-x1", workspace_id="ws-a", clause_id="cl-b1", variable_id=None)
    with pytest.raises(errors.ForeignKeyViolation, match="fk_graph_nodes_variable"):
        Q.insert_graph_node(conn, id="n-x2", workspace_id="ws-a", clause_id=None, variable_id="var-b1")


def test_recon_item_cannot_point_at_another_workspaces_session_clause_or_variable(conn: Conn) -> None:
    ok = {"workspace_id": "ws-a", "session_id": "rs-a", "target_clause_id": "cl-a2", "target_variable_id": None}
    Q.insert_recon_item(conn, id="ri-ok", **ok)
    cases = [
        ({"session_id": "rs-b"}, "fk_reconciliation_items_session"),
        ({"target_clause_id": "cl-b1"}, "fk_reconciliation_items_clause"),
        ({"target_variable_id": "var-b1"}, "fk_reconciliation_items_variable"),
    ]
    for i, (override, constraint) in enumerate(cases):
        with pytest.raises(errors.ForeignKeyViolation, match=constraint):
            Q.insert_recon_item(conn, id=f"ri-x{i}", **{**ok, **override})


def test_covenant_cannot_point_at_another_workspaces_clause_or_variable(conn: Conn) -> None:
    Q.insert_covenant(conn, id="cov-ok", workspace_id="ws-b", clause_id="cl-b1", variable_id="var-b1")
    with pytest.raises(errors.ForeignKeyViolation, match="fk_covenants_clause"):
        Q.insert_covenant(conn, id="cov-x1", workspace_id="ws-a", clause_id="cl-b1", variable_id=None)
    with pytest.raises(errors.ForeignKeyViolation, match="fk_covenants_variable"):
        Q.insert_covenant(conn, id="cov-x2", workspace_id="ws-a", clause_id="cl-a1", variable_id="var-b1")


def test_delivery_cannot_mix_workspaces(conn: Conn) -> None:
    with pytest.raises(errors.ForeignKeyViolation, match="fk_connector_deliveries_version"):
        Q.insert_delivery(conn, id="del-x1", workspace_id="ws-a", connector_id="con-a", version_id="grv-b")
    with pytest.raises(errors.ForeignKeyViolation, match="fk_connector_deliveries_connector"):
        Q.insert_delivery(conn, id="del-x2", workspace_id="ws-b", connector_id="con-a", version_id="grv-b")


def test_refresh_token_must_belong_to_its_users_session(conn: Conn) -> None:
    Q.insert_refresh_token(conn, id="rt-ok", token="a" * 64, user_id="u-a", session_id="s-a")
    with pytest.raises(errors.ForeignKeyViolation, match="fk_refresh_tokens_session"):
        Q.insert_refresh_token(conn, id="rt-x", token="b" * 64, user_id="u-a", session_id="s-b")
    with pytest.raises(errors.UniqueViolation, match="uq_refresh_tokens_token"):
        Q.insert_refresh_token(conn, id="rt-dup", token="a" * 64, user_id="u-a", session_id="s-a")


def test_deleting_a_variable_nulls_only_the_variable_column(conn: Conn) -> None:
    Q.insert_covenant(conn, id="cov-v", workspace_id="ws-a", clause_id="cl-a2", variable_id="var-a1")
    # The app closes the open drift before deleting a variable (schema.md §5.5).
    Q.set_drift_status(conn, id="drift-a", status="reverted")
    Q.delete_variable(conn, id="var-a1")
    assert Q.graph_node_links(conn, id="node-a2") == {"workspace_id": "ws-a", "clause_id": None, "variable_id": None}
    assert Q.drift_links(conn, id="drift-a") == {"workspace_id": "ws-a", "clause_id": "cl-a1", "variable_id": None}


def test_deleting_a_clause_nulls_the_node_link_and_cascades_to_variables(conn: Conn) -> None:
    Q.delete_clause(conn, id="cl-a1")
    assert Q.graph_node_links(conn, id="node-a1") == {"workspace_id": "ws-a", "clause_id": None, "variable_id": None}
    # var-a1 belonged to cl-a1 and went with it; its node keeps the workspace.
    assert Q.graph_node_links(conn, id="node-a2") == {"workspace_id": "ws-a", "clause_id": None, "variable_id": None}
    assert Q.drift_links(conn, id="drift-a") is None


def test_workspace_with_audit_history_cannot_be_deleted(conn: Conn) -> None:
    Q.insert_workspace(conn, id="ws-c", created_by_id="u-a", currency="GBP")
    Q.append_audit_event(conn, workspace_id="ws-c", actor_id="u-a", actor_name="Alice", event_type="WORKSPACE_CREATE")
    # SQLSTATE 23503 up to PostgreSQL 17, 23001 (restrict_violation) for ON DELETE RESTRICT from 18 on.
    restrict = (errors.ForeignKeyViolation, errors.RestrictViolation)
    with pytest.raises(restrict, match="audit_events_workspace_id_fkey"):
        Q.delete_workspace(conn, id="ws-c")
    # Published versions pin their workspace too.
    with pytest.raises(restrict, match="golden_record_versions_workspace_id_fkey"):
        Q.delete_workspace(conn, id="ws-b")


def test_empty_workspace_delete_cascades_cleanly(conn: Conn) -> None:
    Q.insert_workspace(conn, id="ws-c", created_by_id="u-a", currency="GBP")
    Q.insert_clause(conn, id="cl-c1", workspace_id="ws-c", clause_order=1)
    Q.insert_variable(conn, id="var-c1", workspace_id="ws-c", clause_id="cl-c1")
    Q.insert_graph_node(conn, id="node-c1", workspace_id="ws-c", clause_id="cl-c1", variable_id="var-c1")
    assert Q.delete_workspace(conn, id="ws-c") == 1
    assert Q.graph_node_links(conn, id="node-c1") is None


# --- uniqueness ------------------------------------------------------------------------------------------


def test_email_is_unique_case_insensitively(conn: Conn) -> None:
    Q.insert_user(conn, email="Carol@Example.com", name="Carol")
    with pytest.raises(errors.UniqueViolation, match="idx_users_email"):
        Q.insert_user(conn, email="carol@example.COM", name="Carol 2")


def test_one_open_drift_per_variable(conn: Conn) -> None:
    # drift-a is open on var-a1.
    with pytest.raises(errors.UniqueViolation, match="uq_drift_open_variable"):
        Q.insert_drift(conn, id="d2", workspace_id="ws-a", clause_id="cl-a1", variable_id="var-a1", status="unresolved")
    # Closed ones may pile up, and once drift-a is closed a new one may open.
    Q.insert_drift(conn, id="d3", workspace_id="ws-a", clause_id="cl-a1", variable_id="var-a1", status="approved")
    Q.set_drift_status(conn, id="drift-a", status="overridden")
    Q.insert_drift(conn, id="d4", workspace_id="ws-a", clause_id="cl-a1", variable_id="var-a1", status="unresolved")
    # Reopening the old one would make two.
    with pytest.raises(errors.UniqueViolation, match="uq_drift_open_variable"):
        Q.set_drift_status(conn, id="drift-a", status="unresolved")


def test_one_open_clause_level_drift_per_clause(conn: Conn) -> None:
    Q.insert_drift(conn, id="dc1", workspace_id="ws-a", clause_id="cl-a2", variable_id=None, status="unresolved")
    with pytest.raises(errors.UniqueViolation, match="uq_drift_open_clause"):
        Q.insert_drift(conn, id="dc2", workspace_id="ws-a", clause_id="cl-a2", variable_id=None, status="unresolved")
    # A variable-level open drift on the same clause is a different thing.
    Q.insert_variable(conn, id="var-a2", workspace_id="ws-a", clause_id="cl-a2")
    Q.insert_drift(conn, id="dc3", workspace_id="ws-a", clause_id="cl-a2", variable_id="var-a2", status="unresolved")
    Q.set_drift_status(conn, id="dc1", status="approved")
    Q.insert_drift(conn, id="dc4", workspace_id="ws-a", clause_id="cl-a2", variable_id=None, status="unresolved")


def test_clause_order_is_unique_per_workspace(conn: Conn) -> None:
    with pytest.raises(errors.UniqueViolation, match="uq_clauses_workspace_order"):
        Q.insert_clause(conn, id="cl-dup", workspace_id="ws-a", clause_order=2)
    # Same position in another workspace is fine.
    Q.insert_clause(conn, id="cl-b2", workspace_id="ws-b", clause_order=2)


def test_single_shifting_update_works_thanks_to_deferrable(conn: Conn) -> None:
    # Rows 1..3 become 2..4 in one statement; a non-deferrable unique index would fail on the first row.
    assert Q.shift_clauses_from(conn, workspace_id="ws-a", from_order=1) == 3
    Q.insert_clause(conn, id="cl-a0", workspace_id="ws-a", clause_order=1)
    orders = [(r["id"], r["clause_order"]) for r in Q.clause_orders(conn, workspace_id="ws-a")]
    assert orders == [("cl-a0", 1), ("cl-a1", 2), ("cl-a2", 3), ("cl-a3", 4)]


def test_clause_order_checked_per_statement_unless_deferred(conn: Conn) -> None:
    # Initially immediate: a swap in two statements fails at the first one ...
    with pytest.raises(errors.UniqueViolation), conn.transaction():
        Q.set_clause_order(conn, id="cl-a1", clause_order=2)
    # ... but can be deferred to commit explicitly.
    with conn.transaction():
        Q.defer_clause_order(conn)
        Q.set_clause_order(conn, id="cl-a1", clause_order=2)
        Q.set_clause_order(conn, id="cl-a2", clause_order=1)
    orders = [r["id"] for r in Q.clause_orders(conn, workspace_id="ws-a")]
    assert orders == ["cl-a2", "cl-a1", "cl-a3"]
    # A duplicate left at commit is still refused.
    with pytest.raises(errors.UniqueViolation), conn.transaction():
        Q.defer_clause_order(conn)
        Q.set_clause_order(conn, id="cl-a3", clause_order=1)


# --- CHECK constraints -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "name"),
    [(" dave@example.com", "Dave"), ("dave.example.com", "Dave"), ("dave@example.com", "   ")],
)
def test_user_checks(conn: Conn, email: str, name: str) -> None:
    with pytest.raises(errors.CheckViolation):
        Q.insert_user(conn, email=email, name=name)


def test_workspace_id_global_and_bad_currency_rejected(conn: Conn) -> None:
    with pytest.raises(errors.CheckViolation, match="ck_workspaces_id_not_global"):
        Q.insert_workspace(conn, id="global", created_by_id="u-a", currency="USD")
    with pytest.raises(errors.CheckViolation, match="ck_workspaces_currency"):
        Q.insert_workspace(conn, id="ws-x", created_by_id="u-a", currency="usd")


def test_graph_edge_weight_and_self_loop(conn: Conn) -> None:
    with pytest.raises(errors.CheckViolation, match="ck_graph_edges_weight"):
        Q.insert_graph_edge(conn, id="e-w", workspace_id="ws-b", source_id="node-b1", target_id="node-b2", weight=6)
    with pytest.raises(errors.CheckViolation, match="ck_graph_edges_no_self_loop"):
        Q.insert_graph_edge(conn, id="e-s", workspace_id="ws-b", source_id="node-b1", target_id="node-b1", weight=1)


def test_clause_lock_columns_must_agree(conn: Conn) -> None:
    Q.lock_clause(conn, id="cl-a1", locked_by="u-a")
    Q.lock_clause(conn, id="cl-a2", locked_by=None)  # governance lock
    with pytest.raises(errors.CheckViolation, match="ck_clauses_locked_at"):
        Q.lock_clause_without_time(conn, id="cl-a3")


def test_recon_session_counters_must_add_up(conn: Conn) -> None:
    Q.insert_recon_session(
        conn, id="rs-ok", workspace_id="ws-a", total_items=3, applied_count=1, rejected_count=1, pending_count=1
    )
    with pytest.raises(errors.CheckViolation, match="ck_reconciliation_sessions_counts"):
        Q.insert_recon_session(
            conn, id="rs-x", workspace_id="ws-a", total_items=3, applied_count=1, rejected_count=1, pending_count=0
        )
    with pytest.raises(errors.CheckViolation, match="ck_reconciliation_sessions_pending_count"):
        Q.insert_recon_session(
            conn, id="rs-y", workspace_id="ws-a", total_items=0, applied_count=1, rejected_count=0, pending_count=-1
        )


def test_recon_decision_needs_decided_at(conn: Conn) -> None:
    with pytest.raises(errors.CheckViolation, match="ck_reconciliation_items_decided"):
        Q.decide_recon_item_without_time(conn, id="ri-a")


def test_connector_endpoint_must_be_http(conn: Conn) -> None:
    Q.insert_connector(conn, id="con-ok", workspace_id="ws-a", endpoint_url="http://localhost:9000/x")
    with pytest.raises(errors.CheckViolation, match="ck_downstream_connectors_endpoint_url"):
        Q.insert_connector(conn, id="con-x", workspace_id="ws-a", endpoint_url="ftp://example.com")
    with pytest.raises(errors.CheckViolation, match="ck_downstream_connectors_endpoint_url"):
        Q.insert_connector(conn, id="con-y", workspace_id="ws-a", endpoint_url="https://e.com/" + "a" * 2040)


def test_session_revocation_reason_rules(conn: Conn) -> None:
    Q.insert_session_revoked(conn, id="s-ok", user_id="u-a", revoked_reason="logout", revoked=True)
    with pytest.raises(errors.CheckViolation, match="ck_sessions_revoked_reason"):
        Q.insert_session_revoked(conn, id="s-x", user_id="u-a", revoked_reason="bored", revoked=True)
    with pytest.raises(errors.CheckViolation, match="ck_sessions_reason_needs_revoked"):
        Q.insert_session_revoked(conn, id="s-y", user_id="u-a", revoked_reason="admin", revoked=False)


# --- updated_at ------------------------------------------------------------------------------------------


def test_updated_at_moves_on_every_update(conn: Conn) -> None:
    Q.backdate_updated_at(conn)
    rows = list(Q.updated_at_by_table(conn))
    assert len(rows) == 14
    for row in rows:
        assert row["total"] > 0, f"{row['table_name']} has no row to test"
        assert row["stale"] == 0, f"{row['table_name']}.updated_at kept a client value: no trigger"


def test_workspace_updated_at_ignores_last_sync_at(conn: Conn) -> None:
    Q.insert_backdated_workspace(conn, id="ws-old", created_by_id="u-a")
    before = Q.workspace_updated_at(conn, id="ws-old")
    assert before == datetime(2000, 1, 1, tzinfo=UTC)
    assert Q.set_workspace_last_sync(conn, id="ws-old") == 1
    assert Q.workspace_updated_at(conn, id="ws-old") == before
    Q.rename_workspace(conn, id="ws-old", name="Renamed")
    assert Q.workspace_updated_at(conn, id="ws-old") > before


# --- nexus_id() ------------------------------------------------------------------------------------------


def test_nexus_id_format_and_uniqueness(conn: Conn) -> None:
    t0 = Q.clock_epoch_ms(conn)
    ids = [r["id"] for r in Q.new_ids(conn, how_many=2000)]
    t1 = Q.clock_epoch_ms(conn)
    assert len(set(ids)) == len(ids)
    for value in ids:
        assert re.fullmatch(r"c[0-9a-z]{24}", value), value
        ms = int(value[1:9], 36)
        assert t0 <= ms <= t1
    # The random part uses the whole alphabet (catches e.g. hex-only or digit-only encodings).
    assert set("".join(v[9:] for v in ids)) == set(BASE36)


def test_nexus_id_is_the_default_and_sorts_by_time(conn: Conn) -> None:
    first = Q.insert_user(conn, email="e1@example.com", name="E1")
    time.sleep(0.005)
    second = Q.insert_user(conn, email="e2@example.com", name="E2")
    assert re.fullmatch(r"c[0-9a-z]{24}", first)
    assert first[:9] < second[:9]


# --- append-only tables and the runtime role ------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "update", "delete", "truncate", "count"),
    [
        ("audit_events", "update_audit_events", "delete_audit_events", "truncate_audit_events", "count_audit_events"),
        (
            "golden_record_versions",
            "update_golden_record_versions",
            "delete_golden_record_versions",
            "truncate_golden_record_versions",
            "count_golden_record_versions",
        ),
    ],
)
def test_append_only_for_owner_and_runtime_role(
    conn: Conn, table: str, update: str, delete: str, truncate: str, count: str
) -> None:
    rows_before = getattr(Q, count)(conn)
    assert rows_before >= 2
    for op in (update, delete, truncate):
        with pytest.raises(errors.RaiseException) as info:
            getattr(Q, op)(conn)
        assert info.value.sqlstate == "P0001"
        assert info.value.diag.message_primary == f"{table} is append-only"
    Q.set_role_app(conn)
    try:
        for op in (update, delete, truncate):
            with pytest.raises(errors.InsufficientPrivilege, match=f"permission denied for table {table}"):
                getattr(Q, op)(conn)
    finally:
        Q.reset_role(conn)
    assert getattr(Q, count)(conn) == rows_before


def test_runtime_role_can_append_audit_events(conn: Conn) -> None:
    Q.set_role_app(conn)
    try:
        row = Q.append_audit_event(conn, workspace_id="ws-a", actor_id="u-a", actor_name="Alice", event_type="LOGIN")
    finally:
        Q.reset_role(conn)
    assert row["seq"] == 2
    assert Q.audit_chain_head(conn, chain_id="ws-a")["last_seq"] == 2


def test_runtime_role_cannot_hard_delete_users(conn: Conn) -> None:
    uid = Q.insert_user(conn, email="f@example.com", name="F")
    Q.set_role_app(conn)
    try:
        with pytest.raises(errors.InsufficientPrivilege):
            Q.delete_user(conn, id=uid)
        # ... but may delete sessions-like rows it owns the lifecycle of.
        assert Q.delete_variable(conn, id="no-such-variable") == 0
    finally:
        Q.reset_role(conn)
    assert Q.delete_user(conn, id=uid) == 1
