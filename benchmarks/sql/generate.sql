-- Benchmark data generator (nexus/bench/generate.py): the COPY statements and the load bracket around them.
-- Loaded with aiosql ("psycopg"); the COPY texts are read from each query's `.sql` and run with `cursor.copy`.
-- Runs only against a database the generator owns (a fresh benchmark database, or an empty one named with
-- --database), as a superuser: the load sets session_replication_role (see prepare_load).
-- sqlfluff:rules:references.qualification:ignore_words:table_names

-- name: count_existing_rows()$
-- Refuse to fill a database that already holds users or workspaces (the generator only fills empty ones).
SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM workspaces) AS total;

-- name: is_superuser()$
-- session_replication_role (prepare_load) needs a superuser.
SELECT rolsuper
FROM pg_roles
WHERE rolname = current_user;

-- name: prepare_load()!
-- For this session's transaction only: no user trigger and no FK trigger fires (session_replication_role =
-- replica). The generator writes consistent rows by construction and computes the audit hash chain itself with
-- the trigger's own canonical encoding (nexus/domain/audit.py); `nexus audit verify --all` proves it afterwards.
-- Other sessions keep every trigger: nothing is ALTERed, the setting ends with the transaction.
SELECT
    set_config('session_replication_role', 'replica', TRUE) AS role,
    set_config('maintenance_work_mem', '512MB', TRUE) AS mem,
    set_config('synchronous_commit', 'off', TRUE) AS sync;

-- name: truncate_for_freeze()!
-- Empty (already empty) tables truncated in the load transaction, so `COPY ... FREEZE` writes frozen, all-visible
-- rows: no VACUUM pass, index-only scans work at once. The append-only TRUNCATE trigger is off (prepare_load).
TRUNCATE
users, sessions, refresh_tokens, login_attempts, workspaces, workspace_members, graph_state, clauses, variables,
graph_nodes, graph_edges, drift_items, reconciliation_sessions, reconciliation_items, golden_records,
golden_record_versions, downstream_connectors, connector_deliveries, covenants, audit_chain_heads, audit_events;

-- name: secondary_indexes(table_names)
-- Indexes of the bulk tables not backing a constraint: built once after the load (faster than row by row, GIN
-- above all). Returns the DROP text and the exact CREATE text from the catalog (pg_get_indexdef).
SELECT
    format('DROP INDEX %%I', c.relname) AS drop_statement,
    pg_get_indexdef(i.indexrelid) AS create_statement
FROM pg_index AS i
INNER JOIN pg_class AS c ON i.indexrelid = c.oid
INNER JOIN pg_class AS t ON i.indrelid = t.oid
WHERE
    t.relname = any(:table_names::text[])
    AND t.relnamespace = 'public'::regnamespace
    AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname;

-- name: analyze_all()!
-- Planner statistics for every loaded table.
ANALYZE;

-- name: copy_users()!
-- COPY target of users.
COPY users (id, email, name, password, created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_sessions()!
-- COPY target of sessions.
COPY sessions (id, user_id, created_at, expires_at, revoked_at, revoked_reason, user_agent, ip)
FROM STDIN WITH (FREEZE);

-- name: copy_workspaces()!
-- COPY target of workspaces (governance_rules: column default).
COPY workspaces (id, name, currency, amount, standard, base_pdf_name, created_by_id, created_at, last_sync_at,
    updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_members()!
-- COPY target of workspace_members.
COPY workspace_members (id, workspace_id, user_id, role, is_admin, is_external, status, invited_at, joined_at)
FROM STDIN WITH (FREEZE);

-- name: copy_graph_state()!
-- COPY target of graph_state.
COPY graph_state (id, workspace_id, integrity_score, node_count, edge_count, drift_node_count, warning_node_count,
    last_computed_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_clauses()!
-- COPY target of clauses (search_vector is generated).
COPY clauses (id, workspace_id, title, body, type, "order", is_sensitive, is_locked, locked_by, locked_at,
    last_modified_at, last_modified_by, created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_variables()!
-- COPY target of variables.
COPY variables (id, workspace_id, clause_id, label, type, value, unit, baseline_value, baseline_approved_at,
    created_at, last_modified_at, last_modified_by, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_graph_nodes()!
-- COPY target of graph_nodes.
COPY graph_nodes (id, workspace_id, label, type, clause_id, variable_id, value, has_drift, has_warning, created_at,
    updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_graph_edges()!
-- COPY target of graph_edges.
COPY graph_edges (id, workspace_id, source_id, target_id, weight, created_at) FROM STDIN WITH (FREEZE);

-- name: copy_drift_items()!
-- COPY target of drift_items.
COPY drift_items (id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value,
    baseline_approved_at, current_value, unit, current_modified_at, current_modified_by, status, approved_by,
    approved_at, approval_reason, created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_recon_sessions()!
-- COPY target of reconciliation_sessions.
COPY reconciliation_sessions (id, workspace_id, file_name, file_type, uploaded_at, uploaded_by, total_items,
    applied_count, rejected_count, pending_count, created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_recon_items()!
-- COPY target of reconciliation_items.
COPY reconciliation_items (id, workspace_id, session_id, incoming_snippet, target_clause_id, target_variable_id,
    confidence, baseline_value, current_value, proposed_value, decision, decision_reason, decided_by, decided_at,
    position, match_score, change_description, created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_golden_records()!
-- COPY target of golden_records.
COPY golden_records (id, workspace_id, status, integrity_score, unresolved_high_drift_count, last_export_at,
    last_publish_at, schema_json, created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_golden_versions()!
-- COPY target of golden_record_versions.
COPY golden_record_versions (id, workspace_id, golden_record_id, version, document, content_hash, integrity_score,
    published_by, published_at, reason, reason_category) FROM STDIN WITH (FREEZE);

-- name: copy_connectors()!
-- COPY target of downstream_connectors.
COPY downstream_connectors (id, workspace_id, name, type, status, last_sync_at, endpoint_url, created_at,
    updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_deliveries()!
-- COPY target of connector_deliveries.
COPY connector_deliveries (id, workspace_id, connector_id, version_id, status, attempts, next_attempt_at,
    last_attempt_at, delivered_at, last_status_code, created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_covenants()!
-- COPY target of covenants.
COPY covenants (id, workspace_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id,
    created_at, updated_at) FROM STDIN WITH (FREEZE);

-- name: copy_audit_events()!
-- COPY target of audit_events: chain columns computed by the generator (the chain trigger is off, prepare_load).
COPY audit_events (id, workspace_id, "timestamp", actor_id, actor_name, event_type, target_type, target_id,
    before_state, after_state, reason, reason_category, chain_id, seq, prev_hash, hash) FROM STDIN WITH (FREEZE);

-- name: copy_chain_heads()!
-- COPY target of audit_chain_heads: one head per chain, as the trigger would have left it.
COPY audit_chain_heads (chain_id, last_seq, last_hash, last_timestamp, updated_at) FROM STDIN WITH (FREEZE);
