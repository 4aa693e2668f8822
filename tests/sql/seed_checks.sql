-- Reads and writes of tests/db/test_seed.py (the demo dataset loader). Loaded with aiosql ("apsycopg").

-- name: row_counts()^
-- Row count of every table the seed writes (and of those it leaves empty for now).
SELECT
    (SELECT count(*) FROM users) AS users,
    (SELECT count(*) FROM sessions) AS sessions,
    (SELECT count(*) FROM refresh_tokens) AS refresh_tokens,
    (SELECT count(*) FROM workspaces) AS workspaces,
    (SELECT count(*) FROM workspace_members) AS workspace_members,
    (SELECT count(*) FROM graph_state) AS graph_state,
    (SELECT count(*) FROM clauses) AS clauses,
    (SELECT count(*) FROM variables) AS variables,
    (SELECT count(*) FROM drift_items) AS drift_items,
    (SELECT count(*) FROM reconciliation_sessions) AS reconciliation_sessions,
    (SELECT count(*) FROM reconciliation_items) AS reconciliation_items,
    (SELECT count(*) FROM golden_records) AS golden_records,
    (SELECT count(*) FROM golden_record_versions) AS golden_record_versions,
    (SELECT count(*) FROM downstream_connectors) AS downstream_connectors,
    (SELECT count(*) FROM connector_deliveries) AS connector_deliveries,
    (SELECT count(*) FROM covenants) AS covenants,
    (SELECT count(*) FROM audit_events) AS audit_events,
    (SELECT count(*) FROM audit_chain_heads) AS audit_chain_heads;

-- name: table_fingerprints()^
-- md5 over the text of every row, per table: equal before/after = nothing changed.
SELECT
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM users AS t)
        AS users,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM sessions AS t)
        AS sessions,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM workspaces AS t)
        AS workspaces,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM workspace_members AS t)
        AS workspace_members,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.workspace_id), '')) FROM graph_state AS t)
        AS graph_state,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM clauses AS t)
        AS clauses,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM variables AS t)
        AS variables,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM drift_items AS t)
        AS drift_items,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM reconciliation_sessions AS t)
        AS reconciliation_sessions,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM reconciliation_items AS t)
        AS reconciliation_items,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM golden_records AS t)
        AS golden_records,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM golden_record_versions AS t)
        AS golden_record_versions,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM downstream_connectors AS t)
        AS downstream_connectors,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM connector_deliveries AS t)
        AS connector_deliveries,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM covenants AS t)
        AS covenants,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM audit_events AS t)
        AS audit_events,
    (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.chain_id), '')) FROM audit_chain_heads AS t)
        AS audit_chain_heads;

-- name: audit_hashes_digest()^
-- sha256 over every stored audit hash in chain order.
SELECT
    encode(sha256(convert_to(coalesce(string_agg(hash, '' ORDER BY chain_id, seq), ''), 'UTF8')), 'hex')
        AS digest
FROM audit_events;

-- name: chain_summaries()
-- Per chain: event count, lowest and highest seq, and the head row.
SELECT
    e.chain_id,
    count(*) AS events,
    min(e.seq) AS min_seq,
    max(e.seq) AS max_seq,
    h.last_seq,
    h.last_hash,
    (array_agg(e.hash ORDER BY e.seq DESC))[1] AS tail_hash
FROM audit_events AS e
INNER JOIN audit_chain_heads AS h ON e.chain_id = h.chain_id
GROUP BY e.chain_id, h.last_seq, h.last_hash
ORDER BY e.chain_id;

-- name: audit_events_in_chain_order()
-- Every audit event with all columns the hash covers, by chain and seq.
SELECT
    id,
    workspace_id,
    timestamp,
    actor_id,
    actor_name,
    event_type::text AS event_type,
    target_type,
    target_id,
    before_state,
    after_state,
    reason,
    reason_category::text AS reason_category,
    chain_id,
    seq,
    prev_hash,
    hash,
    encode(sha256(convert_to(nexus_audit_canonical(e), 'UTF8')), 'hex') AS recomputed_hash
FROM audit_events AS e
ORDER BY chain_id, seq;

-- name: clause_lock(id)^
-- Lock columns and timestamps of one clause.
SELECT
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at
FROM clauses
WHERE id = :id;

-- name: variable_baseline(id)^
-- Value, baseline and timestamps of one variable.
SELECT
    value,
    unit,
    baseline_value,
    baseline_approved_at,
    last_modified_at,
    last_modified_by,
    updated_at
FROM variables
WHERE id = :id;

-- name: workspace_row(id)^
-- One workspace as stored; amount also as text (exact NUMERIC).
SELECT
    name,
    currency,
    amount,
    amount::text AS amount_text,
    governance_rules,
    created_at,
    updated_at,
    last_sync_at,
    archived_at
FROM workspaces
WHERE id = :id;

-- name: drift_row(id)^
-- One drift item as stored.
SELECT
    workspace_id,
    clause_id,
    variable_id,
    title,
    type::text AS type,
    severity::text AS severity,
    baseline_value,
    baseline_approved_at,
    current_value,
    unit,
    current_modified_at,
    current_modified_by,
    status::text AS status,
    approved_by,
    approved_at,
    approval_reason,
    created_at,
    updated_at
FROM drift_items
WHERE id = :id;

-- name: variables_with_bodies()
-- Every variable with the body of its clause (tenant-safe join).
SELECT
    v.id,
    v.value,
    c.body
FROM variables AS v
INNER JOIN clauses AS c ON v.workspace_id = c.workspace_id AND v.clause_id = c.id
ORDER BY v.id;

-- name: updated_at_by_id()
-- (table, id, created_at, updated_at) of the rows whose updated_at the seed derives (demo-data §0).
SELECT
    'clauses' AS tbl,
    id,
    created_at,
    updated_at
FROM clauses
UNION ALL
SELECT
    'variables' AS tbl,
    id,
    created_at,
    updated_at
FROM variables
UNION ALL
SELECT
    'drift_items' AS tbl,
    id,
    created_at,
    updated_at
FROM drift_items
UNION ALL
SELECT
    'workspaces' AS tbl,
    id,
    created_at,
    updated_at
FROM workspaces
ORDER BY tbl, id;

-- name: user_passwords()
-- Email and stored password hash of every user.
SELECT
    email,
    password
FROM users
ORDER BY id;

-- name: insert_plain_user(id, email, name, password)!
-- A user that is not part of the seed (to create partial / conflicting states).
INSERT INTO users (id, email, name, password)
VALUES (:id, :email, :name, :password);

-- name: insert_plain_workspace(id, name, created_by_id)!
-- A workspace with defaults (to create partial / conflicting states).
INSERT INTO workspaces (id, name, created_by_id)
VALUES (:id, :name, :created_by_id);

-- name: golden_record_row(id)^
-- One golden record as stored (snapshot columns and document bytes).
SELECT
    workspace_id,
    status::text AS status,
    integrity_score,
    unresolved_high_drift_count,
    last_export_at,
    last_publish_at,
    schema_json,
    created_at,
    updated_at
FROM golden_records
WHERE id = :id;

-- name: version_rows()
-- Every published version as stored.
SELECT
    id,
    workspace_id,
    golden_record_id,
    version,
    document,
    content_hash,
    integrity_score,
    published_by,
    published_at,
    reason,
    reason_category::text AS reason_category
FROM golden_record_versions
ORDER BY id;

-- name: delivery_rows()
-- Every connector delivery as stored.
SELECT
    id,
    workspace_id,
    connector_id,
    version_id,
    status::text AS status,
    attempts,
    next_attempt_at,
    last_attempt_at,
    delivered_at,
    last_status_code,
    last_error,
    created_at,
    updated_at
FROM connector_deliveries
ORDER BY id;
