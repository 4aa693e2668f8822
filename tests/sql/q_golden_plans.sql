-- Plans of the hot golden-record queries for tests/db/test_q_golden.py: each body is the query of
-- sql/golden_records.sql verbatim (the test checks it), prefixed by EXPLAIN (FORMAT JSON).

-- name: explain_get_status_inputs(workspace_id)$
-- Plan of get_status_inputs (must stay the same text as in sql/golden_records.sql).
EXPLAIN (FORMAT JSON)
SELECT
    w.id AS workspace_id,
    coalesce(gs.integrity_score, 100) AS integrity_score,
    (
        SELECT count(*)
        FROM drift_items AS d
        WHERE d.workspace_id = w.id AND d.status = 'unresolved' AND d.severity = 'HIGH'
    ) AS unresolved_high_drift_count,
    coalesce((w.governance_rules ->> 'publishBlockedWhenHighDrift')::boolean, TRUE) AS publish_blocked_when_high_drift,
    (
        SELECT max(v.version)
        FROM golden_record_versions AS v
        WHERE v.workspace_id = w.id
    ) AS current_version
FROM workspaces AS w
LEFT JOIN graph_state AS gs ON w.id = gs.workspace_id
WHERE w.id = :workspace_id;

-- name: explain_list_export_drift_items(workspace_id)$
-- Plan of list_export_drift_items (must stay the same text as in sql/golden_records.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    title,
    type,
    severity,
    clause_id,
    variable_id,
    baseline_value,
    current_value,
    unit
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved'
ORDER BY severity, id;

-- name: explain_next_version_number(workspace_id)$
-- Plan of next_version_number (must stay the same text as in sql/golden_records.sql).
EXPLAIN (FORMAT JSON)
SELECT coalesce(max(version), 0) + 1 AS next_version
FROM golden_record_versions
WHERE workspace_id = :workspace_id;

-- name: explain_list_versions(workspace_id)$
-- Plan of list_versions (must stay the same text as in sql/golden_records.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    workspace_id,
    version,
    content_hash,
    integrity_score,
    published_by,
    published_at,
    reason,
    reason_category
FROM golden_record_versions
WHERE workspace_id = :workspace_id
ORDER BY version DESC;
