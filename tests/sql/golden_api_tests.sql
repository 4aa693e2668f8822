-- SQL used by the golden-record, covenant and connector HTTP tests (tests/api/test_golden_record.py,
-- test_covenants.py, test_connectors.py): reads of the rows those routes write. Loaded with aiosql ("psycopg"
-- adapter, sync autocommit connections with dict rows to the same database the app under test uses).

-- name: golden_record_row(workspace_id)^
-- The workspace's golden record as stored.
SELECT
    id,
    status::text AS status,
    integrity_score,
    unresolved_high_drift_count,
    last_export_at,
    last_publish_at,
    schema_json,
    updated_at
FROM golden_records
WHERE workspace_id = :workspace_id;

-- name: workspace_state(workspace_id)^
-- Digest of every row the golden-record routes could write for one workspace (equal = nothing written).
SELECT
    (
        SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM golden_records AS t
        WHERE t.workspace_id = :workspace_id
    ) AS golden_records,
    (
        SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM golden_record_versions AS t
        WHERE t.workspace_id = :workspace_id
    ) AS versions,
    (
        SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM downstream_connectors AS t
        WHERE t.workspace_id = :workspace_id
    ) AS connectors,
    (
        SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM connector_deliveries AS t
        WHERE t.workspace_id = :workspace_id
    ) AS deliveries,
    (
        SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM covenants AS t
        WHERE t.workspace_id = :workspace_id
    ) AS covenants,
    (
        SELECT count(*) FROM audit_events AS t
        WHERE t.workspace_id = :workspace_id
    ) AS events;

-- name: events_of(workspace_id, event_type)
-- A workspace's audit events of one type, in chain order.
SELECT
    id,
    actor_id,
    target_type,
    target_id,
    before_state,
    after_state,
    reason,
    reason_category::text AS reason_category
FROM audit_events
WHERE workspace_id = :workspace_id AND event_type = :event_type::audit_event_type
ORDER BY seq;

-- name: version_document(workspace_id, version)$
-- The stored bytes of one published version.
SELECT document
FROM golden_record_versions
WHERE workspace_id = :workspace_id AND version = :version;

-- name: tamper_version(workspace_id, version)!
-- Try to change a published version (the append-only trigger refuses).
UPDATE golden_record_versions
SET document = '{}'
WHERE workspace_id = :workspace_id AND version = :version;

-- name: delivery_rows(workspace_id)
-- A workspace's deliveries with their version number.
SELECT
    d.id,
    d.connector_id,
    v.version,
    d.status::text AS status,
    d.next_attempt_at,
    d.attempts
FROM connector_deliveries AS d
INNER JOIN golden_record_versions AS v ON d.version_id = v.id
WHERE d.workspace_id = :workspace_id
ORDER BY v.version, d.connector_id;

-- name: connector_row(connector_id)^
-- One connector as stored.
SELECT
    id,
    name,
    status::text AS status,
    last_sync_at,
    endpoint_url,
    updated_at
FROM downstream_connectors
WHERE id = :connector_id;

-- name: covenant_row(covenant_id)^
-- One covenant as stored (threshold = template text).
SELECT
    id,
    workspace_id,
    name,
    test_frequency,
    threshold,
    calculation_basis,
    clause_id,
    variable_id
FROM covenants
WHERE id = :covenant_id;
