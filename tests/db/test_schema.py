"""The migrated schema matches spec/schema.md: tables, columns, enums, indexes, constraints, triggers, role, grants.

Expected values are written here from the spec and compared with the catalogs of a database at head.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from psycopg.rows import dict_row

Q: Any = aiosql.from_path(Path(__file__).resolve().parents[1] / "sql" / "schema_tests.sql", "psycopg")

Conn = psycopg.Connection[dict[str, Any]]

YOYO_TABLES = {"_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock"}

TS = "timestamp with time zone"
NOW = f"{TS} NOT NULL = now()"

# schema.md §3–§6: "column type [NOT NULL] [= default]" in column order; GENERATED = generated stored column.
COLUMNS: dict[str, list[str]] = {
    "users": [
        "id text NOT NULL = nexus_id()",
        "email character varying(255) NOT NULL",
        "name character varying(255) NOT NULL",
        "password character varying(255) NOT NULL",
        "avatar_url text",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "sessions": [
        "id text NOT NULL = nexus_id()",
        "user_id text NOT NULL",
        f"created_at {NOW}",
        f"expires_at {TS} NOT NULL",
        f"revoked_at {TS}",
        "revoked_reason text",
        "user_agent character varying(512)",
        "ip inet",
    ],
    "refresh_tokens": [
        "id text NOT NULL = nexus_id()",
        "token character(64) NOT NULL",
        "user_id text NOT NULL",
        "session_id text NOT NULL",
        f"expires_at {TS} NOT NULL",
        f"created_at {NOW}",
        f"revoked_at {TS}",
        "replaced_by_id text",
    ],
    "login_attempts": [
        "id text NOT NULL = nexus_id()",
        "email_key character varying(255) NOT NULL",
        "ip inet",
        "user_id text",
        "succeeded boolean NOT NULL",
        f"attempted_at {NOW}",
    ],
    "workspaces": [
        "id text NOT NULL = nexus_id()",
        "name character varying(255) NOT NULL",
        "currency character varying(3) NOT NULL = 'USD'::character varying",
        "amount numeric(20,2) NOT NULL = 0",
        "standard character varying(50) NOT NULL = 'LMA'::character varying",
        "base_pdf_name character varying(255)",
        "created_by_id text NOT NULL",
        f"created_at {NOW}",
        f"last_sync_at {TS} = now()",
        "governance_rules jsonb NOT NULL = <governance defaults>",
        f"archived_at {TS}",
        f"updated_at {NOW}",
    ],
    "workspace_members": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "user_id text NOT NULL",
        "role member_role NOT NULL = 'investor'::member_role",
        "is_admin boolean NOT NULL = false",
        "is_external boolean NOT NULL = false",
        "status member_status NOT NULL = 'pending'::member_status",
        f"invited_at {NOW}",
        f"joined_at {TS}",
    ],
    "graph_state": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "integrity_score smallint NOT NULL = 100",
        "node_count integer NOT NULL = 0",
        "edge_count integer NOT NULL = 0",
        "drift_node_count integer NOT NULL = 0",
        "warning_node_count integer NOT NULL = 0",
        f"last_computed_at {TS}",
        f"updated_at {NOW}",
    ],
    "clauses": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "title character varying(255) NOT NULL",
        "body text NOT NULL",
        "type clause_type NOT NULL",
        "order integer NOT NULL",
        "is_sensitive boolean NOT NULL = false",
        "is_locked boolean NOT NULL = false",
        "locked_by text",
        f"locked_at {TS}",
        f"last_modified_at {NOW}",
        "last_modified_by text NOT NULL",
        f"created_at {NOW}",
        f"updated_at {NOW}",
        "search_vector tsvector GENERATED",
    ],
    "variables": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "clause_id text NOT NULL",
        "label character varying(255) NOT NULL",
        "type variable_type NOT NULL",
        "value text NOT NULL",
        "unit character varying(50)",
        "baseline_value text",
        f"baseline_approved_at {TS}",
        f"created_at {NOW}",
        f"last_modified_at {NOW}",
        "last_modified_by text",
        f"updated_at {NOW}",
    ],
    "graph_nodes": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "label character varying(255) NOT NULL",
        "type node_type NOT NULL",
        "clause_id text",
        "variable_id text",
        "value text",
        "has_drift boolean NOT NULL = false",
        "has_warning boolean NOT NULL = false",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "graph_edges": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "source_id text NOT NULL",
        "target_id text NOT NULL",
        "weight integer NOT NULL = 1",
        f"created_at {NOW}",
    ],
    "drift_items": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "clause_id text NOT NULL",
        "variable_id text",
        "title character varying(255) NOT NULL",
        "type clause_type NOT NULL",
        "severity drift_severity NOT NULL",
        "baseline_value text NOT NULL",
        f"baseline_approved_at {TS} NOT NULL",
        "current_value text NOT NULL",
        "unit character varying(50)",
        f"current_modified_at {TS} NOT NULL",
        "current_modified_by text NOT NULL",
        "status drift_status NOT NULL = 'unresolved'::drift_status",
        "approved_by text",
        f"approved_at {TS}",
        "approval_reason text",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "reconciliation_sessions": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "file_name character varying(255) NOT NULL",
        "file_type reconciliation_file_type NOT NULL",
        f"uploaded_at {NOW}",
        "uploaded_by text NOT NULL",
        "total_items integer NOT NULL = 0",
        "applied_count integer NOT NULL = 0",
        "rejected_count integer NOT NULL = 0",
        "pending_count integer NOT NULL = 0",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "reconciliation_items": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "session_id text NOT NULL",
        "incoming_snippet text NOT NULL",
        "target_clause_id text NOT NULL",
        "target_variable_id text",
        "confidence confidence_level NOT NULL",
        "baseline_value text NOT NULL",
        "current_value text NOT NULL",
        "proposed_value text NOT NULL",
        "decision reconciliation_decision NOT NULL = 'pending'::reconciliation_decision",
        "decision_reason text",
        "decided_by text",
        f"decided_at {TS}",
        "position integer NOT NULL = 0",
        "match_score smallint",
        "change_description text",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "golden_records": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "status golden_record_status NOT NULL = 'IN_REVIEW'::golden_record_status",
        "integrity_score smallint NOT NULL = 100",
        "unresolved_high_drift_count integer NOT NULL = 0",
        f"last_export_at {TS}",
        f"last_publish_at {TS}",
        "schema_json text NOT NULL = '{}'::text",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "golden_record_versions": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "golden_record_id text NOT NULL",
        "version integer NOT NULL",
        "document text NOT NULL",
        "content_hash character varying(80) NOT NULL",
        "integrity_score smallint NOT NULL",
        "published_by text NOT NULL",
        f"published_at {NOW}",
        "reason text NOT NULL",
        "reason_category reason_category",
    ],
    "downstream_connectors": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "name character varying(255) NOT NULL",
        "type connector_type NOT NULL",
        "status connector_status NOT NULL = 'DISCONNECTED'::connector_status",
        f"last_sync_at {TS}",
        "endpoint_url text",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "connector_deliveries": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "connector_id text NOT NULL",
        "version_id text NOT NULL",
        "status delivery_status NOT NULL = 'pending'::delivery_status",
        "attempts integer NOT NULL = 0",
        f"next_attempt_at {TS}",
        f"last_attempt_at {TS}",
        f"delivered_at {TS}",
        "last_status_code smallint",
        "last_error text",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "covenants": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text NOT NULL",
        "name character varying(255) NOT NULL",
        "test_frequency character varying(255) NOT NULL",
        "threshold character varying(255) NOT NULL",
        "calculation_basis text NOT NULL",
        "clause_id text NOT NULL",
        "variable_id text",
        f"created_at {NOW}",
        f"updated_at {NOW}",
    ],
    "audit_events": [
        "id text NOT NULL = nexus_id()",
        "workspace_id text",
        f"timestamp {TS} NOT NULL = clock_timestamp()",
        "actor_id text NOT NULL",
        "actor_name character varying(255) NOT NULL",
        "event_type audit_event_type NOT NULL",
        "target_type character varying(255)",
        "target_id character varying(255)",
        "before_state jsonb",
        "after_state jsonb",
        "reason text",
        "reason_category reason_category",
        "chain_id text NOT NULL",
        "seq bigint NOT NULL",
        "prev_hash character(64) NOT NULL",
        "hash character(64) NOT NULL",
        "search_vector tsvector GENERATED",
    ],
    "audit_chain_heads": [
        "chain_id text NOT NULL",
        "last_seq bigint NOT NULL",
        "last_hash character(64) NOT NULL",
        f"last_timestamp {TS} NOT NULL",
        f"updated_at {NOW}",
    ],
}

GOVERNANCE_DEFAULTS = {
    "requireReasonForSensitiveEdits": True,
    "legalCanRevertDraft": False,
    "riskApprovalRequiredForOverride": False,
    "publishBlockedWhenHighDrift": True,
    "definitionsLockedAfterApproval": False,
    "externalCounselReadOnly": False,
}

# schema.md §2, values in declaration order.
ENUMS: dict[str, list[str]] = {
    "member_role": ["agent", "legal", "risk", "investor"],
    "member_status": ["active", "pending", "removed"],
    "clause_type": ["financial", "covenant", "definition", "xref", "general"],
    "variable_type": ["financial", "definition", "covenant", "ratio"],
    "node_type": ["financial", "covenant", "definition", "xref"],
    "drift_severity": ["HIGH", "MEDIUM", "LOW"],
    "drift_status": ["unresolved", "overridden", "reverted", "approved"],
    "confidence_level": ["HIGH", "MEDIUM", "LOW"],
    "reconciliation_decision": ["pending", "applied", "rejected"],
    "reconciliation_file_type": ["docx", "pdf"],
    "connector_status": ["READY", "IN_REVIEW", "DISCONNECTED"],
    "connector_type": ["LoanIQ", "Finastra", "Allvue", "CovenantTracker"],
    "golden_record_status": ["READY", "IN_REVIEW"],
    "audit_event_type": [
        "LOGIN",
        "LOGOUT",
        "WORKSPACE_CREATE",
        "INVITE_SENT",
        "ROLE_CHANGED",
        "MEMBER_REMOVED",
        "CLAUSE_EDIT",
        "VARIABLE_EDIT",
        "VARIABLE_BIND",
        "GRAPH_SYNC",
        "DRIFT_OVERRIDE",
        "DRIFT_REVERT",
        "DRIFT_APPROVE",
        "RECON_APPLY",
        "RECON_REJECT",
        "PUBLISH",
        "EXPORT_JSON",
        "EXPORT_AUDIT",
        "GOVERNANCE_UPDATED",
        "SECTION_LOCKED",
        "SECTION_UNLOCKED",
        "RECON_UPLOAD",
    ],
    "reason_category": ["borrower_request", "market_conditions", "credit_update", "legal_requirement", "other"],
    "delivery_status": ["pending", "retrying", "delivered", "skipped", "failed", "superseded"],
}

# Every index: name -> (table, UNIQUE?, definition after "USING"). Seed names kept; schema.md names for the rest.
INDEXES: dict[str, tuple[str, bool, str]] = {
    # §3 identity
    "users_pkey": ("users", True, "btree (id)"),
    "idx_users_email": ("users", True, "btree (lower((email)::text))"),
    "sessions_pkey": ("sessions", True, "btree (id)"),
    "uq_sessions_user_id_id": ("sessions", True, "btree (user_id, id)"),
    "idx_sessions_user_id": ("sessions", False, "btree (user_id)"),
    "idx_sessions_expires_at": ("sessions", False, "btree (expires_at)"),
    "idx_sessions_live": ("sessions", False, "btree (user_id) WHERE (revoked_at IS NULL)"),
    "refresh_tokens_pkey": ("refresh_tokens", True, "btree (id)"),
    "uq_refresh_tokens_token": ("refresh_tokens", True, "btree (token)"),
    "idx_refresh_tokens_user_id": ("refresh_tokens", False, "btree (user_id)"),
    "idx_refresh_tokens_expires_at": ("refresh_tokens", False, "btree (expires_at)"),
    "idx_refresh_tokens_live": ("refresh_tokens", False, "btree (session_id) WHERE (revoked_at IS NULL)"),
    "login_attempts_pkey": ("login_attempts", True, "btree (id)"),
    "idx_login_attempts_email_key": ("login_attempts", False, "btree (email_key, attempted_at DESC)"),
    "idx_login_attempts_ip_failed": ("login_attempts", False, "btree (ip, attempted_at DESC) WHERE (NOT succeeded)"),
    "idx_login_attempts_attempted_at": ("login_attempts", False, "btree (attempted_at)"),
    # §4 workspaces
    "workspaces_pkey": ("workspaces", True, "btree (id)"),
    "idx_workspaces_created_by": ("workspaces", False, "btree (created_by_id)"),
    "idx_workspaces_governance": ("workspaces", False, "gin (governance_rules jsonb_path_ops)"),
    "workspace_members_pkey": ("workspace_members", True, "btree (id)"),
    "idx_workspace_members_workspace_user": ("workspace_members", True, "btree (user_id, workspace_id)"),
    "idx_workspace_members_workspace_id": ("workspace_members", False, "btree (workspace_id)"),
    "idx_workspace_members_user_id": ("workspace_members", False, "btree (user_id)"),
    "idx_workspace_members_status": ("workspace_members", False, "btree (status)"),
    "idx_workspace_members_active": (
        "workspace_members",
        False,
        "btree (user_id, workspace_id) WHERE (status = 'active'::member_status)",
    ),
    "graph_state_pkey": ("graph_state", True, "btree (id)"),
    "uq_graph_state_workspace_id": ("graph_state", True, "btree (workspace_id)"),
    # §5 clauses, variables, graph, drift, reconciliation
    "clauses_pkey": ("clauses", True, "btree (id)"),
    "uq_clauses_workspace_order": ("clauses", True, 'btree (workspace_id, "order")'),
    "uq_clauses_workspace_id_id": ("clauses", True, "btree (workspace_id, id)"),
    "idx_clauses_workspace_id": ("clauses", False, "btree (workspace_id)"),
    "idx_clauses_type": ("clauses", False, "btree (type)"),
    "idx_clauses_is_locked": ("clauses", False, "btree (is_locked)"),
    "idx_clauses_locked": ("clauses", False, "btree (workspace_id) WHERE is_locked"),
    "idx_clauses_search": ("clauses", False, "gin (search_vector)"),
    "variables_pkey": ("variables", True, "btree (id)"),
    "uq_variables_workspace_id_id": ("variables", True, "btree (workspace_id, id)"),
    "idx_variables_workspace_id": ("variables", False, "btree (workspace_id)"),
    "idx_variables_clause_id": ("variables", False, "btree (clause_id)"),
    "idx_variables_type": ("variables", False, "btree (type)"),
    "graph_nodes_pkey": ("graph_nodes", True, "btree (id)"),
    "uq_graph_nodes_workspace_id_id": ("graph_nodes", True, "btree (workspace_id, id)"),
    "idx_graph_nodes_workspace_id": ("graph_nodes", False, "btree (workspace_id)"),
    "idx_graph_nodes_type": ("graph_nodes", False, "btree (type)"),
    "idx_graph_nodes_clause_id": ("graph_nodes", False, "btree (clause_id)"),
    "idx_graph_nodes_variable_id": ("graph_nodes", False, "btree (variable_id)"),
    "graph_edges_pkey": ("graph_edges", True, "btree (id)"),
    "uq_graph_edges_workspace_source_target": ("graph_edges", True, "btree (workspace_id, source_id, target_id)"),
    "idx_graph_edges_workspace_id": ("graph_edges", False, "btree (workspace_id)"),
    "idx_graph_edges_source_id": ("graph_edges", False, "btree (source_id)"),
    "idx_graph_edges_target_id": ("graph_edges", False, "btree (target_id)"),
    "drift_items_pkey": ("drift_items", True, "btree (id)"),
    "idx_drift_items_workspace_id": ("drift_items", False, "btree (workspace_id)"),
    "idx_drift_items_clause_id": ("drift_items", False, "btree (clause_id)"),
    "idx_drift_items_variable_id": ("drift_items", False, "btree (variable_id)"),
    "idx_drift_items_severity": ("drift_items", False, "btree (severity)"),
    "idx_drift_items_status": ("drift_items", False, "btree (status)"),
    "uq_drift_open_variable": (
        "drift_items",
        True,
        "btree (variable_id) WHERE ((status = 'unresolved'::drift_status) AND (variable_id IS NOT NULL))",
    ),
    "uq_drift_open_clause": (
        "drift_items",
        True,
        "btree (clause_id) WHERE ((status = 'unresolved'::drift_status) AND (variable_id IS NULL))",
    ),
    "idx_drift_unresolved": (
        "drift_items",
        False,
        "btree (workspace_id, severity) WHERE (status = 'unresolved'::drift_status)",
    ),
    "idx_drift_list": ("drift_items", False, "btree (workspace_id, severity, current_modified_at DESC, id DESC)"),
    "reconciliation_sessions_pkey": ("reconciliation_sessions", True, "btree (id)"),
    "uq_reconciliation_sessions_workspace_id_id": ("reconciliation_sessions", True, "btree (workspace_id, id)"),
    "idx_reconciliation_sessions_workspace_id": ("reconciliation_sessions", False, "btree (workspace_id)"),
    "idx_reconciliation_sessions_uploaded_by": ("reconciliation_sessions", False, "btree (uploaded_by)"),
    "idx_reconciliation_sessions_file_type": ("reconciliation_sessions", False, "btree (file_type)"),
    "idx_reconciliation_sessions_list": (
        "reconciliation_sessions",
        False,
        "btree (workspace_id, uploaded_at DESC, id DESC)",
    ),
    "reconciliation_items_pkey": ("reconciliation_items", True, "btree (id)"),
    "idx_reconciliation_items_workspace_id": ("reconciliation_items", False, "btree (workspace_id)"),
    "idx_reconciliation_items_session_id": ("reconciliation_items", False, "btree (session_id)"),
    "idx_reconciliation_items_decision": ("reconciliation_items", False, "btree (decision)"),
    "idx_reconciliation_items_confidence": ("reconciliation_items", False, "btree (confidence)"),
    "idx_reconciliation_items_target_clause_id": ("reconciliation_items", False, "btree (target_clause_id)"),
    "idx_reconciliation_items_target_variable_id": ("reconciliation_items", False, "btree (target_variable_id)"),
    "idx_recon_items_pending": (
        "reconciliation_items",
        False,
        "btree (session_id) WHERE (decision = 'pending'::reconciliation_decision)",
    ),
    "idx_recon_items_list": ("reconciliation_items", False, 'btree (session_id, confidence, "position")'),
    # §6 golden record, connectors, covenants, audit
    "golden_records_pkey": ("golden_records", True, "btree (id)"),
    "uq_golden_records_workspace_id": ("golden_records", True, "btree (workspace_id)"),
    "uq_golden_records_workspace_id_id": ("golden_records", True, "btree (workspace_id, id)"),
    "golden_record_versions_pkey": ("golden_record_versions", True, "btree (id)"),
    "uq_golden_record_versions_workspace_version": ("golden_record_versions", True, "btree (workspace_id, version)"),
    "uq_golden_record_versions_workspace_id_id": ("golden_record_versions", True, "btree (workspace_id, id)"),
    "downstream_connectors_pkey": ("downstream_connectors", True, "btree (id)"),
    "uq_downstream_connectors_workspace_id_id": ("downstream_connectors", True, "btree (workspace_id, id)"),
    "idx_downstream_connectors_workspace_id": ("downstream_connectors", False, "btree (workspace_id)"),
    "idx_downstream_connectors_type": ("downstream_connectors", False, "btree (type)"),
    "idx_downstream_connectors_status": ("downstream_connectors", False, "btree (status)"),
    "connector_deliveries_pkey": ("connector_deliveries", True, "btree (id)"),
    "uq_connector_deliveries_connector_version": ("connector_deliveries", True, "btree (connector_id, version_id)"),
    "idx_deliveries_due": (
        "connector_deliveries",
        False,
        "btree (next_attempt_at) WHERE (status = ANY (ARRAY['pending'::delivery_status, 'retrying'::delivery_status]))",
    ),
    "idx_deliveries_connector": ("connector_deliveries", False, "btree (connector_id, created_at DESC)"),
    "covenants_pkey": ("covenants", True, "btree (id)"),
    "idx_covenants_workspace_id": ("covenants", False, "btree (workspace_id)"),
    "idx_covenants_clause_id": ("covenants", False, "btree (clause_id)"),
    "idx_covenants_variable_id": ("covenants", False, "btree (variable_id)"),
    "audit_events_pkey": ("audit_events", True, "btree (id)"),
    "idx_audit_events_workspace_id": ("audit_events", False, "btree (workspace_id)"),
    "idx_audit_events_actor_id": ("audit_events", False, "btree (actor_id)"),
    "idx_audit_events_event_type": ("audit_events", False, "btree (event_type)"),
    "idx_audit_events_timestamp": ("audit_events", False, 'btree ("timestamp")'),
    "idx_audit_ws_keyset": ("audit_events", False, 'btree (workspace_id, "timestamp" DESC, id DESC)'),
    "idx_audit_global_actor": (
        "audit_events",
        False,
        'btree (actor_id, "timestamp" DESC, id DESC) WHERE (workspace_id IS NULL)',
    ),
    "idx_audit_target": ("audit_events", False, 'btree (target_type, target_id, "timestamp" DESC, id DESC)'),
    "idx_audit_search": ("audit_events", False, "gin (search_vector)"),
    "uq_audit_chain_seq": ("audit_events", True, "btree (chain_id, seq)"),
    "audit_chain_heads_pkey": ("audit_chain_heads", True, "btree (chain_id)"),
}


def _fk(cols: str, parent: str, action: str) -> str:
    return f"FOREIGN KEY ({cols}) REFERENCES {parent} ON DELETE {action}"


WS = "workspaces(id)"
USERS = "users(id)"
# Every foreign key per table (schema.md; composite tenant FKs, SET NULL (col) for nullable workspace refs).
FOREIGN_KEYS: dict[str, set[str]] = {
    "sessions": {_fk("user_id", USERS, "CASCADE")},
    "refresh_tokens": {
        _fk("user_id", USERS, "CASCADE"),
        _fk("user_id, session_id", "sessions(user_id, id)", "CASCADE"),
        _fk("replaced_by_id", "refresh_tokens(id)", "SET NULL"),
    },
    "login_attempts": {_fk("user_id", USERS, "SET NULL")},
    "workspaces": {_fk("created_by_id", USERS, "RESTRICT")},
    "workspace_members": {_fk("workspace_id", WS, "CASCADE"), _fk("user_id", USERS, "CASCADE")},
    "graph_state": {_fk("workspace_id", WS, "CASCADE")},
    "clauses": {
        _fk("workspace_id", WS, "CASCADE"),
        _fk("locked_by", USERS, "SET NULL"),
        _fk("last_modified_by", USERS, "RESTRICT"),
    },
    "variables": {
        _fk("workspace_id", WS, "CASCADE"),
        _fk("workspace_id, clause_id", "clauses(workspace_id, id)", "CASCADE"),
        _fk("last_modified_by", USERS, "SET NULL"),
    },
    "graph_nodes": {
        _fk("workspace_id", WS, "CASCADE"),
        _fk("workspace_id, clause_id", "clauses(workspace_id, id)", "SET NULL (clause_id)"),
        _fk("workspace_id, variable_id", "variables(workspace_id, id)", "SET NULL (variable_id)"),
    },
    "graph_edges": {
        _fk("workspace_id", WS, "CASCADE"),
        _fk("workspace_id, source_id", "graph_nodes(workspace_id, id)", "CASCADE"),
        _fk("workspace_id, target_id", "graph_nodes(workspace_id, id)", "CASCADE"),
    },
    "drift_items": {
        _fk("workspace_id", WS, "CASCADE"),
        _fk("workspace_id, clause_id", "clauses(workspace_id, id)", "CASCADE"),
        _fk("workspace_id, variable_id", "variables(workspace_id, id)", "SET NULL (variable_id)"),
        _fk("current_modified_by", USERS, "RESTRICT"),
        _fk("approved_by", USERS, "SET NULL"),
    },
    "reconciliation_sessions": {_fk("workspace_id", WS, "CASCADE"), _fk("uploaded_by", USERS, "RESTRICT")},
    "reconciliation_items": {
        _fk("workspace_id", WS, "CASCADE"),
        _fk("workspace_id, session_id", "reconciliation_sessions(workspace_id, id)", "CASCADE"),
        _fk("workspace_id, target_clause_id", "clauses(workspace_id, id)", "CASCADE"),
        _fk("workspace_id, target_variable_id", "variables(workspace_id, id)", "SET NULL (target_variable_id)"),
        _fk("decided_by", USERS, "SET NULL"),
    },
    "golden_records": {_fk("workspace_id", WS, "CASCADE")},
    "golden_record_versions": {
        _fk("workspace_id", WS, "RESTRICT"),
        _fk("workspace_id, golden_record_id", "golden_records(workspace_id, id)", "RESTRICT"),
        _fk("published_by", USERS, "RESTRICT"),
    },
    "downstream_connectors": {_fk("workspace_id", WS, "CASCADE")},
    "connector_deliveries": {
        _fk("workspace_id, connector_id", "downstream_connectors(workspace_id, id)", "CASCADE"),
        _fk("workspace_id, version_id", "golden_record_versions(workspace_id, id)", "RESTRICT"),
    },
    "covenants": {
        _fk("workspace_id", WS, "CASCADE"),
        _fk("workspace_id, clause_id", "clauses(workspace_id, id)", "CASCADE"),
        _fk("workspace_id, variable_id", "variables(workspace_id, id)", "SET NULL (variable_id)"),
    },
    "audit_events": {_fk("workspace_id", WS, "RESTRICT"), _fk("actor_id", USERS, "RESTRICT")},
    "users": set(),
    "audit_chain_heads": set(),
}

# Every CHECK constraint, as PostgreSQL prints it back (schema.md notes column).
CHECKS: dict[str, set[str]] = {
    "users": {
        "CHECK (((email)::text = btrim((email)::text)))",
        "CHECK ((strpos((email)::text, '@'::text) > 0))",
        "CHECK ((btrim((name)::text) <> ''::text))",
    },
    "sessions": {
        "CHECK ((revoked_reason = ANY (ARRAY['logout'::text, 'logout_all'::text, 'refresh_reuse'::text, "
        "'admin'::text])))",
        "CHECK (((revoked_reason IS NULL) OR (revoked_at IS NOT NULL)))",
    },
    "refresh_tokens": {"CHECK (((replaced_by_id IS NULL) OR (revoked_at IS NOT NULL)))"},
    "workspaces": {
        "CHECK ((id <> 'global'::text))",
        "CHECK (((currency)::text ~ '^[A-Z]{3}$'::text))",
        "CHECK ((amount >= (0)::numeric))",
        "CHECK ((jsonb_typeof(governance_rules) = 'object'::text))",
    },
    "workspace_members": {"CHECK (((status <> 'active'::member_status) OR (joined_at IS NOT NULL)))"},
    "graph_state": {
        "CHECK (((integrity_score >= 0) AND (integrity_score <= 100)))",
        "CHECK ((node_count >= 0))",
        "CHECK ((edge_count >= 0))",
        "CHECK ((drift_node_count >= 0))",
        "CHECK ((warning_node_count >= 0))",
    },
    "clauses": {
        'CHECK (("order" >= 1))',
        "CHECK ((is_locked = (locked_at IS NOT NULL)))",
        "CHECK ((is_locked OR (locked_by IS NULL)))",
    },
    "graph_edges": {"CHECK (((weight >= 1) AND (weight <= 5)))", "CHECK ((source_id <> target_id))"},
    "drift_items": {"CHECK (((status = 'unresolved'::drift_status) OR (approved_at IS NOT NULL)))"},
    "reconciliation_sessions": {
        "CHECK ((total_items >= 0))",
        "CHECK ((applied_count >= 0))",
        "CHECK ((rejected_count >= 0))",
        "CHECK ((pending_count >= 0))",
        "CHECK ((((applied_count + rejected_count) + pending_count) = total_items))",
    },
    "reconciliation_items": {
        "CHECK (((decision = 'pending'::reconciliation_decision) = (decided_at IS NULL)))",
        "CHECK (((match_score >= 0) AND (match_score <= 100)))",
    },
    "golden_records": {
        "CHECK (((integrity_score >= 0) AND (integrity_score <= 100)))",
        "CHECK ((unresolved_high_drift_count >= 0))",
    },
    "golden_record_versions": {
        "CHECK ((version >= 1))",
        "CHECK (((integrity_score >= 0) AND (integrity_score <= 100)))",
    },
    "downstream_connectors": {"CHECK (((endpoint_url ~ '^https?://'::text) AND (length(endpoint_url) <= 2048)))"},
    "connector_deliveries": {"CHECK ((attempts >= 0))", "CHECK ((char_length(last_error) <= 1000))"},
    "audit_events": {"CHECK ((chain_id = COALESCE(workspace_id, 'global'::text)))", "CHECK ((seq >= 1))"},
}

# UNIQUE constraints (not indexes): table -> column lists.
UNIQUE_CONSTRAINTS: dict[str, set[str]] = {
    "sessions": {"UNIQUE (user_id, id)"},
    "refresh_tokens": {"UNIQUE (token)"},
    "graph_state": {"UNIQUE (workspace_id)"},
    "clauses": {'UNIQUE (workspace_id, "order") DEFERRABLE', "UNIQUE (workspace_id, id)"},
    "variables": {"UNIQUE (workspace_id, id)"},
    "graph_nodes": {"UNIQUE (workspace_id, id)"},
    "graph_edges": {"UNIQUE (workspace_id, source_id, target_id)"},
    "reconciliation_sessions": {"UNIQUE (workspace_id, id)"},
    "golden_records": {"UNIQUE (workspace_id)", "UNIQUE (workspace_id, id)"},
    "golden_record_versions": {"UNIQUE (workspace_id, version)", "UNIQUE (workspace_id, id)"},
    "downstream_connectors": {"UNIQUE (workspace_id, id)"},
    "connector_deliveries": {"UNIQUE (connector_id, version_id)"},
    "audit_events": {"UNIQUE (chain_id, seq)"},
}

UPDATED_AT_TABLES = [
    "users",
    "clauses",
    "variables",
    "graph_nodes",
    "graph_state",
    "drift_items",
    "reconciliation_sessions",
    "reconciliation_items",
    "golden_records",
    "downstream_connectors",
    "connector_deliveries",
    "covenants",
    "audit_chain_heads",
]
WORKSPACE_COLUMNS_BUT_LAST_SYNC = (
    "id, name, currency, amount, standard, base_pdf_name, created_by_id, created_at, governance_rules, archived_at, "
    "updated_at"
)

# schema.md §8: table -> {trigger name: definition}.
TRIGGERS: dict[str, dict[str, str]] = {
    **{
        t: {
            f"trg_{t}_updated_at": f"CREATE TRIGGER trg_{t}_updated_at BEFORE UPDATE ON public.{t} "
            "FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at()"
        }
        for t in UPDATED_AT_TABLES
    },
    "workspaces": {
        "trg_workspaces_updated_at": "CREATE TRIGGER trg_workspaces_updated_at BEFORE UPDATE OF "
        f"{WORKSPACE_COLUMNS_BUT_LAST_SYNC} ON public.workspaces FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at()"
    },
    "golden_record_versions": {
        "trg_golden_record_versions_append_only": "CREATE TRIGGER trg_golden_record_versions_append_only BEFORE "
        "DELETE OR UPDATE ON public.golden_record_versions FOR EACH ROW EXECUTE FUNCTION nexus_reject_change()",
        "trg_golden_record_versions_no_truncate": "CREATE TRIGGER trg_golden_record_versions_no_truncate BEFORE "
        "TRUNCATE ON public.golden_record_versions FOR EACH STATEMENT EXECUTE FUNCTION nexus_reject_change()",
    },
    "audit_events": {
        "trg_audit_events_chain": "CREATE TRIGGER trg_audit_events_chain BEFORE INSERT ON public.audit_events "
        "FOR EACH ROW EXECUTE FUNCTION nexus_audit_chain()",
        "trg_audit_events_append_only": "CREATE TRIGGER trg_audit_events_append_only BEFORE DELETE OR UPDATE ON "
        "public.audit_events FOR EACH ROW EXECUTE FUNCTION nexus_reject_change()",
        "trg_audit_events_no_truncate": "CREATE TRIGGER trg_audit_events_no_truncate BEFORE TRUNCATE ON "
        "public.audit_events FOR EACH STATEMENT EXECUTE FUNCTION nexus_reject_change()",
    },
}

# schema.md §7: the runtime role's table privileges, nothing more.
SID = {"SELECT", "INSERT"}
SIU = {"SELECT", "INSERT", "UPDATE"}
SIUD = {"SELECT", "INSERT", "UPDATE", "DELETE"}
APP_GRANTS: dict[str, set[str]] = {
    "audit_events": SID,
    "golden_record_versions": SID,
    **{
        t: SIU
        for t in (
            "audit_chain_heads",
            "users",
            "workspaces",
            "workspace_members",
            "golden_records",
            "downstream_connectors",
        )
    },
    **{
        t: SIUD
        for t in (
            "sessions",
            "refresh_tokens",
            "login_attempts",
            "clauses",
            "variables",
            "graph_nodes",
            "graph_edges",
            "graph_state",
            "drift_items",
            "reconciliation_sessions",
            "reconciliation_items",
            "connector_deliveries",
            "covenants",
        )
    },
    "_yoyo_migration": {"SELECT"},
}


@pytest.fixture
def conn(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        yield c


def _column_line(row: dict[str, Any]) -> str:
    line = f"{row['column_name']} {row['data_type']}"
    if row["not_null"]:
        line += " NOT NULL"
    if row["generated"] == "s":
        return line + " GENERATED"
    default = row["default_expr"]
    if default is not None:
        line += " = <governance defaults>" if row["column_name"] == "governance_rules" else f" = {default}"
    return line


def test_exactly_the_spec_tables_exist(conn: Conn) -> None:
    tables = {r["table_name"] for r in Q.tables_in_public(conn)}
    assert tables - YOYO_TABLES == set(COLUMNS)
    assert tables >= YOYO_TABLES


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_columns_types_nullability_and_defaults(conn: Conn, table: str) -> None:
    actual = [_column_line(r) for r in Q.columns_in_public(conn) if r["table_name"] == table]
    assert actual == COLUMNS[table]


def test_governance_rules_default_is_the_six_rules(conn: Conn) -> None:
    rows = [r for r in Q.columns_in_public(conn) if r["column_name"] == "governance_rules"]
    assert len(rows) == 1
    assert "::jsonb" in rows[0]["default_expr"]
    for key, value in GOVERNANCE_DEFAULTS.items():
        assert f'"{key}": {"true" if value else "false"}' in rows[0]["default_expr"]
    assert rows[0]["default_expr"].count('": ') == len(GOVERNANCE_DEFAULTS)


def test_generated_search_vectors(conn: Conn) -> None:
    generated = {
        (r["table_name"], r["column_name"]): r["default_expr"]
        for r in Q.columns_in_public(conn)
        if r["generated"] == "s"
    }
    assert set(generated) == {("clauses", "search_vector"), ("audit_events", "search_vector")}
    clause_expr = generated[("clauses", "search_vector")]
    assert "to_tsvector('english'::regconfig" in clause_expr
    assert "'A'::\"char\"" in clause_expr and "'B'::\"char\"" in clause_expr
    audit_expr = generated[("audit_events", "search_vector")]
    assert "to_tsvector('simple'::regconfig" in audit_expr
    assert audit_expr.count("jsonb_to_tsvector('simple'::regconfig") == 2
    assert "event_type" not in audit_expr


def test_enums_with_values_in_declaration_order(conn: Conn) -> None:
    actual = {r["type_name"]: list(r["labels"]) for r in Q.enum_types(conn)}
    assert actual == ENUMS


def test_severity_and_confidence_sort_high_first(conn: Conn) -> None:
    labels = {r["type_name"]: list(r["labels"]) for r in Q.enum_types(conn)}
    assert labels["drift_severity"][0] == "HIGH"
    assert labels["confidence_level"][0] == "HIGH"


def test_exactly_the_spec_indexes_exist(conn: Conn) -> None:
    actual: dict[str, tuple[str, bool, str]] = {}
    for r in Q.indexes_in_public(conn):
        definition: str = r["definition"]
        actual[r["index_name"]] = (
            r["table_name"],
            definition.startswith("CREATE UNIQUE INDEX"),
            definition.split(" USING ", 1)[1],
        )
    missing = sorted(set(INDEXES) - set(actual))
    unexpected = sorted(set(actual) - set(INDEXES))
    assert not missing, f"missing indexes: {missing}"
    assert not unexpected, f"indexes not in schema.md: {unexpected}"
    for name, expected in INDEXES.items():
        assert actual[name] == expected, name


def _constraints(conn: Conn, kind: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in Q.constraints_in_public(conn):
        if r["kind"] == kind:
            out.setdefault(r["table_name"], set()).add(r["definition"])
    return out


def test_foreign_keys(conn: Conn) -> None:
    actual = _constraints(conn, "f")
    for table in COLUMNS:
        assert actual.get(table, set()) == FOREIGN_KEYS[table], table


def test_check_constraints(conn: Conn) -> None:
    actual = _constraints(conn, "c")
    for table in COLUMNS:
        assert actual.get(table, set()) == CHECKS.get(table, set()), table


def test_unique_constraints(conn: Conn) -> None:
    actual = _constraints(conn, "u")
    for table in COLUMNS:
        assert actual.get(table, set()) == UNIQUE_CONSTRAINTS.get(table, set()), table


def test_every_table_has_a_primary_key(conn: Conn) -> None:
    actual = _constraints(conn, "p")
    assert set(actual) == set(COLUMNS)
    assert actual["audit_chain_heads"] == {"PRIMARY KEY (chain_id)"}
    assert all(defs == {"PRIMARY KEY (id)"} for t, defs in actual.items() if t != "audit_chain_heads")


def test_clause_order_constraint_is_deferrable_initially_immediate(conn: Conn) -> None:
    rows = [r for r in Q.constraints_in_public(conn) if r["constraint_name"] == "uq_clauses_workspace_order"]
    assert len(rows) == 1
    assert rows[0]["kind"] == "u"
    assert rows[0]["is_deferrable"] is True
    assert rows[0]["initially_deferred"] is False
    others = [
        r
        for r in Q.constraints_in_public(conn)
        if r["is_deferrable"] and r["constraint_name"] != rows[0]["constraint_name"]
    ]
    assert others == []


def test_parents_of_tenant_fks_carry_unique_workspace_id_id(conn: Conn) -> None:
    parents = {
        "clauses",
        "variables",
        "graph_nodes",
        "reconciliation_sessions",
        "golden_record_versions",
        "downstream_connectors",
        "golden_records",
    }
    unique = _constraints(conn, "u")
    for parent in parents:
        assert "UNIQUE (workspace_id, id)" in unique[parent], parent


def test_triggers(conn: Conn) -> None:
    actual: dict[str, dict[str, str]] = {}
    for r in Q.triggers_in_public(conn):
        actual.setdefault(r["table_name"], {})[r["trigger_name"]] = r["definition"]
    assert actual == TRIGGERS


def test_every_table_with_updated_at_has_the_trigger(conn: Conn) -> None:
    with_column = {r["table_name"] for r in Q.columns_in_public(conn) if r["column_name"] == "updated_at"}
    with_trigger = {
        t for t, triggers in TRIGGERS.items() if any("nexus_set_updated_at" in d for d in triggers.values())
    }
    assert with_column == with_trigger


def test_functions(conn: Conn) -> None:
    actual = {
        r["function_name"]: (r["arguments"], r["result_type"], r["volatility"]) for r in Q.functions_in_public(conn)
    }
    assert actual == {
        "nexus_id": ("", "text", "v"),
        "nexus_set_updated_at": ("", "trigger", "v"),
        "nexus_reject_change": ("", "trigger", "v"),
        "nexus_audit_canonical": ("e audit_events", "text", "s"),
        "nexus_audit_chain": ("", "trigger", "v"),
    }


def test_runtime_role_exists_without_login(conn: Conn) -> None:
    role = Q.role_attributes(conn, role_name="nexus_app")
    assert role is not None
    assert role["can_login"] is False
    assert role["is_superuser"] is False


def test_runtime_role_has_exactly_the_spec_table_grants(conn: Conn) -> None:
    actual: dict[str, set[str]] = {}
    for r in Q.table_privileges_of(conn, role_name="nexus_app"):
        actual.setdefault(r["table_name"], set()).add(r["privilege_type"])
    assert actual == APP_GRANTS
    everything = set().union(*actual.values())
    assert not everything & {"TRUNCATE", "REFERENCES", "TRIGGER"}
    assert not actual["audit_events"] & {"UPDATE", "DELETE"}
    assert not actual["golden_record_versions"] & {"UPDATE", "DELETE"}


def test_public_has_no_table_privileges(conn: Conn) -> None:
    assert list(Q.table_privileges_of_public(conn)) == []


def test_schema_public_privileges(conn: Conn) -> None:
    grants = {(r["grantee"], r["privilege_type"]) for r in Q.schema_public_privileges(conn)}
    assert ("PUBLIC", "CREATE") not in grants
    assert ("nexus_app", "USAGE") in grants
    assert ("nexus_app", "CREATE") not in grants


def test_runtime_role_may_execute_nexus_id(conn: Conn) -> None:
    explicit = {r["function_name"] for r in Q.function_privileges_of(conn, role_name="nexus_app")}
    assert explicit == {"nexus_id"}
    assert Q.role_can_execute(conn, role_name="nexus_app", signature="nexus_id()") is True
