-- Plans of the hot drift queries for tests/db/test_q_drift.py: each body is the query of sql/drift.sql verbatim
-- (the test checks it), prefixed by EXPLAIN (FORMAT JSON).

-- name: explain_list_drifts(workspace_id, page_size, page_offset)$
-- Plan of list_drifts (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    workspace_id,
    clause_id,
    variable_id,
    title,
    type,
    severity,
    baseline_value,
    baseline_approved_at,
    current_value,
    unit,
    current_modified_at,
    current_modified_by,
    status,
    approved_by,
    approved_at,
    approval_reason,
    created_at,
    updated_at
FROM drift_items
WHERE workspace_id = :workspace_id
ORDER BY severity ASC, current_modified_at DESC, id DESC
LIMIT :page_size OFFSET :page_offset;

-- name: explain_count_drifts(workspace_id)$
-- Plan of count_drifts (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id;

-- name: explain_list_drifts_by_status(workspace_id, status, page_size, page_offset)$
-- Plan of list_drifts_by_status (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    workspace_id,
    clause_id,
    variable_id,
    title,
    type,
    severity,
    baseline_value,
    baseline_approved_at,
    current_value,
    unit,
    current_modified_at,
    current_modified_by,
    status,
    approved_by,
    approved_at,
    approval_reason,
    created_at,
    updated_at
FROM drift_items
WHERE workspace_id = :workspace_id AND status = :status
ORDER BY severity ASC, current_modified_at DESC, id DESC
LIMIT :page_size OFFSET :page_offset;

-- name: explain_count_drifts_by_status(workspace_id, status)$
-- Plan of count_drifts_by_status (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = :status;

-- name: explain_list_drifts_by_severity(workspace_id, severity, page_size, page_offset)$
-- Plan of list_drifts_by_severity (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    workspace_id,
    clause_id,
    variable_id,
    title,
    type,
    severity,
    baseline_value,
    baseline_approved_at,
    current_value,
    unit,
    current_modified_at,
    current_modified_by,
    status,
    approved_by,
    approved_at,
    approval_reason,
    created_at,
    updated_at
FROM drift_items
WHERE workspace_id = :workspace_id AND severity = :severity
ORDER BY current_modified_at DESC, id DESC
LIMIT :page_size OFFSET :page_offset;

-- name: explain_count_drifts_by_severity(workspace_id, severity)$
-- Plan of count_drifts_by_severity (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND severity = :severity;

-- name: explain_list_unresolved_drifts(workspace_id)$
-- Plan of list_unresolved_drifts (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    workspace_id,
    clause_id,
    variable_id,
    title,
    type,
    severity,
    baseline_value,
    baseline_approved_at,
    current_value,
    unit,
    current_modified_at,
    current_modified_by,
    status,
    approved_by,
    approved_at,
    approval_reason,
    created_at,
    updated_at
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved'
ORDER BY severity, id;

-- name: explain_count_unresolved_drifts(workspace_id)$
-- Plan of count_unresolved_drifts (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved';

-- name: explain_count_unresolved_high(workspace_id)$
-- Plan of count_unresolved_high (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved' AND severity = 'HIGH';

-- name: explain_count_unresolved_by_severity(workspace_id)$
-- Plan of count_unresolved_by_severity (must stay the same text as in sql/drift.sql).
EXPLAIN (FORMAT JSON)
SELECT
    count(*) FILTER (WHERE severity = 'HIGH') AS high,
    count(*) FILTER (WHERE severity = 'MEDIUM') AS medium,
    count(*) FILTER (WHERE severity = 'LOW') AS low,
    count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved';
