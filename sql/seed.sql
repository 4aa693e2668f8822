-- Demo dataset loader (`nexus seed`, spec/demo-data.md): the idempotency check and one INSERT per table.
-- Every row is inserted with its final values and explicit timestamps, so no updated_at trigger fires; audit
-- events carry only their business columns (the chain trigger computes chain_id / seq / prev_hash / hash).

-- name: lock_seed()$
-- Serialise concurrent seed runs until commit (transaction advisory lock: safe behind a pooler).
SELECT pg_advisory_xact_lock(hashtextextended('nexus.seed', 0));

-- name: list_users_with_emails(emails)
-- Users whose email is one of `emails` (pass them lower-cased); idx_users_email on lower(email).
SELECT email
FROM users
WHERE lower(email) = any(:emails::text[])
ORDER BY lower(email);

-- name: list_workspaces_with_ids(ids)
-- Workspaces whose id is one of `ids` (workspaces_pkey).
SELECT id
FROM workspaces
WHERE id = any(:ids::text[])
ORDER BY id;

-- name: any_user_exists()$
-- True when the users table has a row: `nexus up` seeds only an empty database (one index probe).
SELECT exists(SELECT FROM users) AS present;

-- name: insert_user(id, email, name, password, avatar_url, created_at, updated_at)!
-- One demo user with its argon2id hash.
-- params: avatar_url?
INSERT INTO users (id, email, name, password, avatar_url, created_at, updated_at)
VALUES (:id, :email, :name, :password, :avatar_url, :created_at, :updated_at);

-- name: insert_workspace(id, name, currency, amount, standard, base_pdf_name, created_by_id, created_at, last_sync_at, governance_rules, archived_at, updated_at)!
-- One demo workspace with its governance rules.
-- params: base_pdf_name?, last_sync_at?, archived_at?
INSERT INTO workspaces (
    id, name, currency, amount, standard, base_pdf_name, created_by_id, created_at, last_sync_at,
    governance_rules, archived_at, updated_at
)
VALUES (
    :id, :name, :currency, :amount, :standard, :base_pdf_name, :created_by_id, :created_at, :last_sync_at,
    :governance_rules, :archived_at, :updated_at
);

-- name: insert_member(id, workspace_id, user_id, role, is_admin, is_external, status, invited_at, joined_at)!
-- One demo membership.
-- params: joined_at?
INSERT INTO workspace_members (
    id, workspace_id, user_id, role, is_admin, is_external, status, invited_at, joined_at
)
VALUES (
    :id, :workspace_id, :user_id, :role, :is_admin, :is_external, :status, :invited_at, :joined_at
);

-- name: insert_graph_state(workspace_id, integrity_score, node_count, edge_count, drift_node_count, warning_node_count, last_computed_at, updated_at)!
-- A workspace's graph_state row (id generated: demo-data lists none).
-- params: last_computed_at?
INSERT INTO graph_state (
    workspace_id, integrity_score, node_count, edge_count, drift_node_count, warning_node_count,
    last_computed_at, updated_at
)
VALUES (
    :workspace_id, :integrity_score, :node_count, :edge_count, :drift_node_count, :warning_node_count,
    :last_computed_at, :updated_at
);

-- name: insert_clause(id, workspace_id, title, body, type, clause_order, is_sensitive, is_locked, locked_by, locked_at, last_modified_at, last_modified_by, created_at, updated_at)!
-- One demo clause (search_vector is generated).
-- params: locked_by?, locked_at?
INSERT INTO clauses (
    id, workspace_id, title, body, type, "order", is_sensitive, is_locked, locked_by, locked_at,
    last_modified_at, last_modified_by, created_at, updated_at
)
VALUES (
    :id, :workspace_id, :title, :body, :type, :clause_order, :is_sensitive, :is_locked, :locked_by,
    :locked_at, :last_modified_at, :last_modified_by, :created_at, :updated_at
);

-- name: insert_variable(id, workspace_id, clause_id, label, type, value, unit, baseline_value, baseline_approved_at, created_at, last_modified_at, last_modified_by, updated_at)!
-- One demo variable, bound to a clause of its workspace.
-- params: unit?, baseline_value?, baseline_approved_at?, last_modified_by?
INSERT INTO variables (
    id, workspace_id, clause_id, label, type, value, unit, baseline_value, baseline_approved_at,
    created_at, last_modified_at, last_modified_by, updated_at
)
VALUES (
    :id, :workspace_id, :clause_id, :label, :type, :value, :unit, :baseline_value, :baseline_approved_at,
    :created_at, :last_modified_at, :last_modified_by, :updated_at
);

-- name: insert_drift_item(id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at, current_value, unit, current_modified_at, current_modified_by, status, approved_by, approved_at, approval_reason, created_at, updated_at)!
-- One demo drift item (open or resolved).
-- params: variable_id?, unit?, approved_by?, approved_at?, approval_reason?
INSERT INTO drift_items (
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by, status, approved_by, approved_at,
    approval_reason, created_at, updated_at
)
VALUES (
    :id, :workspace_id, :clause_id, :variable_id, :title, :type, :severity, :baseline_value,
    :baseline_approved_at, :current_value, :unit, :current_modified_at, :current_modified_by, :status,
    :approved_by, :approved_at, :approval_reason, :created_at, :updated_at
);

-- name: insert_reconciliation_session(id, workspace_id, file_name, file_type, uploaded_at, uploaded_by, total_items, applied_count, rejected_count, pending_count, created_at, updated_at)!
-- One demo markup upload with its final counters.
INSERT INTO reconciliation_sessions (
    id, workspace_id, file_name, file_type, uploaded_at, uploaded_by, total_items, applied_count,
    rejected_count, pending_count, created_at, updated_at
)
VALUES (
    :id, :workspace_id, :file_name, :file_type, :uploaded_at, :uploaded_by, :total_items, :applied_count,
    :rejected_count, :pending_count, :created_at, :updated_at
);

-- name: insert_reconciliation_item(id, workspace_id, session_id, incoming_snippet, target_clause_id, target_variable_id, confidence, baseline_value, current_value, proposed_value, decision, decision_reason, decided_by, decided_at, position, match_score, change_description, created_at, updated_at)!
-- One demo reconciliation item with its decision.
-- params: target_variable_id?, decision_reason?, decided_by?, decided_at?, match_score?, change_description?
INSERT INTO reconciliation_items (
    id, workspace_id, session_id, incoming_snippet, target_clause_id, target_variable_id, confidence,
    baseline_value, current_value, proposed_value, decision, decision_reason, decided_by, decided_at,
    position, match_score, change_description, created_at, updated_at
)
VALUES (
    :id, :workspace_id, :session_id, :incoming_snippet, :target_clause_id, :target_variable_id, :confidence,
    :baseline_value, :current_value, :proposed_value, :decision, :decision_reason, :decided_by, :decided_at,
    :position, :match_score, :change_description, :created_at, :updated_at
);

-- name: insert_golden_record(id, workspace_id, status, integrity_score, unresolved_high_drift_count, last_export_at, last_publish_at, schema_json, created_at, updated_at)!
-- One demo golden record with its last export/publish snapshot.
-- params: last_export_at?, last_publish_at?
INSERT INTO golden_records (
    id, workspace_id, status, integrity_score, unresolved_high_drift_count, last_export_at, last_publish_at,
    schema_json, created_at, updated_at
)
VALUES (
    :id, :workspace_id, :status, :integrity_score, :unresolved_high_drift_count, :last_export_at,
    :last_publish_at, :schema_json, :created_at, :updated_at
);

-- name: insert_covenant(id, workspace_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id, created_at, updated_at)!
-- One demo covenant (threshold = stored template text).
-- params: variable_id?
INSERT INTO covenants (
    id, workspace_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id, created_at,
    updated_at
)
VALUES (
    :id, :workspace_id, :name, :test_frequency, :threshold, :calculation_basis, :clause_id, :variable_id,
    :created_at, :updated_at
);

-- name: insert_connector(id, workspace_id, name, type, status, last_sync_at, endpoint_url, created_at, updated_at)!
-- One demo downstream connector.
-- params: last_sync_at?, endpoint_url?
INSERT INTO downstream_connectors (
    id, workspace_id, name, type, status, last_sync_at, endpoint_url, created_at, updated_at
)
VALUES (
    :id, :workspace_id, :name, :type, :status, :last_sync_at, :endpoint_url, :created_at, :updated_at
);

-- name: insert_session(id, user_id, created_at, expires_at, user_agent, ip)!
-- One expired demo login session (never revoked, no refresh tokens).
-- params: user_agent?, ip?
INSERT INTO sessions (id, user_id, created_at, expires_at, user_agent, ip)
VALUES (:id, :user_id, :created_at, :expires_at, :user_agent, :ip);

-- name: insert_audit_event(id, timestamp, workspace_id, actor_id, actor_name, event_type, target_type, target_id, before_state, after_state, reason, reason_category)!
-- One demo audit event with its fixed id and timestamp; call in timestamp order (the trigger chains it).
-- params: workspace_id?, target_type?, target_id?, before_state?, after_state?, reason?, reason_category?
INSERT INTO audit_events (
    id, timestamp, workspace_id, actor_id, actor_name, event_type, target_type, target_id, before_state,
    after_state, reason, reason_category
)
VALUES (
    :id, :timestamp, :workspace_id, :actor_id, :actor_name, :event_type, :target_type, :target_id,
    :before_state, :after_state, :reason, :reason_category
);

-- name: insert_golden_record_version(id, workspace_id, golden_record_id, version, document, content_hash, integrity_score, published_by, published_at, reason, reason_category)!
-- One demo published version (the export builder's document bytes and hash, computed by the seed).
-- params: reason_category?
INSERT INTO golden_record_versions (
    id, workspace_id, golden_record_id, version, document, content_hash, integrity_score, published_by,
    published_at, reason, reason_category
)
VALUES (
    :id, :workspace_id, :golden_record_id, :version, :document, :content_hash, :integrity_score, :published_by,
    :published_at, :reason, :reason_category
);

-- name: insert_connector_delivery(id, workspace_id, connector_id, version_id, status, attempts, next_attempt_at, last_attempt_at, delivered_at, last_status_code, last_error, created_at, updated_at)!
-- One demo delivery of a published version to a connector (terminal states only: the worker never touches them).
-- params: next_attempt_at?, last_attempt_at?, delivered_at?, last_status_code?, last_error?
INSERT INTO connector_deliveries (
    id, workspace_id, connector_id, version_id, status, attempts, next_attempt_at, last_attempt_at, delivered_at,
    last_status_code, last_error, created_at, updated_at
)
VALUES (
    :id, :workspace_id, :connector_id, :version_id, :status, :attempts, :next_attempt_at, :last_attempt_at,
    :delivered_at, :last_status_code, :last_error, :created_at, :updated_at
);
