-- Golden records (schema.md §6.1, domain.md §10).

-- name: insert_golden_record(workspace_id)!
-- POST /workspaces: the workspace's golden record (IN_REVIEW, integrity 100, no high drift).
INSERT INTO golden_records (workspace_id, status, integrity_score, unresolved_high_drift_count)
VALUES (:workspace_id, 'IN_REVIEW', 100, 0);

-- name: get_golden_record(workspace_id)^
-- The workspace's golden record row: snapshot, export/publish times, document bytes (uq_golden_records_workspace_id).
-- row: GoldenRecordRow
SELECT
    id,
    workspace_id,
    status,
    integrity_score,
    unresolved_high_drift_count,
    last_export_at,
    last_publish_at,
    schema_json,
    created_at,
    updated_at
FROM golden_records
WHERE workspace_id = :workspace_id;

-- name: get_status_inputs(workspace_id)^
-- Live status/can-publish inputs in one round trip: integrity, open HIGH drift, rule, version (idx_drift_unresolved).
-- columns: integrity_score!, unresolved_high_drift_count!, publish_blocked_when_high_drift!, current_version?
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

-- name: get_export_workspace(workspace_id)^
-- Export workspace facts + generatedAt = max updated_at of it, clauses, variables, covenants, drift (*_workspace_id).
-- columns: generated_at!
SELECT
    w.id,
    w.name,
    w.currency,
    w.amount,
    w.standard,
    w.base_pdf_name,
    greatest(
        w.updated_at,
        (
            SELECT max(c.updated_at) FROM clauses AS c
            WHERE c.workspace_id = w.id
        ),
        (
            SELECT max(v.updated_at) FROM variables AS v
            WHERE v.workspace_id = w.id
        ),
        (
            SELECT max(cv.updated_at) FROM covenants AS cv
            WHERE cv.workspace_id = w.id
        ),
        (
            SELECT max(d.updated_at) FROM drift_items AS d
            WHERE d.workspace_id = w.id
        )
    ) AS generated_at
FROM workspaces AS w
WHERE w.id = :workspace_id;

-- name: list_export_clauses(workspace_id)
-- Export clauses by order (uq_clauses_workspace_order).
SELECT
    id,
    title,
    type,
    "order",
    is_sensitive
FROM clauses
WHERE workspace_id = :workspace_id
ORDER BY "order";

-- name: list_export_variables(workspace_id)
-- Export variables and baselines by clause order, created_at, id (idx_variables_workspace_id).
SELECT
    v.id,
    v.label,
    v.type,
    v.value,
    v.unit,
    v.clause_id,
    v.baseline_value,
    v.baseline_approved_at
FROM variables AS v
INNER JOIN clauses AS c ON v.workspace_id = c.workspace_id AND v.clause_id = c.id
WHERE v.workspace_id = :workspace_id -- noqa: RF02
ORDER BY c."order", v.created_at, v.id;

-- name: list_export_covenants(workspace_id)
-- Export covenants by clause order, name, id; threshold's first number -> bound value (idx_covenants_workspace_id).
-- columns: effective_threshold!, variable_label?, variable_value?
SELECT
    cv.id,
    cv.name,
    cv.test_frequency,
    cv.threshold,
    coalesce(
        regexp_replace(cv.threshold, '\d[\d,]*(?:\.\d+)?', replace(v.value, '\', '\\')), cv.threshold
    ) AS effective_threshold,
    cv.calculation_basis,
    cv.clause_id,
    cv.variable_id,
    v.label AS variable_label,
    v.value AS variable_value,
    v.unit AS variable_unit,
    v.baseline_value AS variable_baseline_value
FROM covenants AS cv
INNER JOIN clauses AS c ON cv.workspace_id = c.workspace_id AND cv.clause_id = c.id
LEFT JOIN variables AS v ON cv.workspace_id = v.workspace_id AND cv.variable_id = v.id
WHERE cv.workspace_id = :workspace_id -- noqa: RF02
ORDER BY c."order", cv.name, cv.id;

-- name: get_export_drift_summary(workspace_id)^
-- Export drift counts: unresolved per severity + total, approved deviations (idx_drift_items_workspace_id).
-- columns: high!, medium!, low!, total!, approved_deviations!
SELECT
    count(*) FILTER (WHERE status = 'unresolved' AND severity = 'HIGH') AS high,
    count(*) FILTER (WHERE status = 'unresolved' AND severity = 'MEDIUM') AS medium,
    count(*) FILTER (WHERE status = 'unresolved' AND severity = 'LOW') AS low,
    count(*) FILTER (WHERE status = 'unresolved') AS total,
    count(*) FILTER (WHERE status = 'approved') AS approved_deviations
FROM drift_items
WHERE workspace_id = :workspace_id;

-- name: list_export_drift_items(workspace_id)
-- Export drift.items: the unresolved drift by severity then id (idx_drift_unresolved).
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

-- name: record_export(workspace_id, status, integrity_score, unresolved_high_drift_count, schema_json)^
-- Export: last_export_at = now + snapshot (status, integrity, HIGH count, bytes) (uq_golden_records_workspace_id).
-- row: GoldenRecordRow
UPDATE golden_records
SET
    last_export_at = now(),
    status = :status,
    integrity_score = :integrity_score,
    unresolved_high_drift_count = :unresolved_high_drift_count,
    schema_json = :schema_json
WHERE workspace_id = :workspace_id
RETURNING
    id,
    workspace_id,
    status,
    integrity_score,
    unresolved_high_drift_count,
    last_export_at,
    last_publish_at,
    schema_json,
    created_at,
    updated_at;

-- name: lock_golden_record(workspace_id)^
-- Publish step 1: lock the golden record row FOR UPDATE, one publish at a time (uq_golden_records_workspace_id).
-- row: GoldenRecordRow
SELECT
    id,
    workspace_id,
    status,
    integrity_score,
    unresolved_high_drift_count,
    last_export_at,
    last_publish_at,
    schema_json,
    created_at,
    updated_at
FROM golden_records
WHERE workspace_id = :workspace_id
FOR UPDATE;

-- name: next_version_number(workspace_id)$
-- Publish step 2 (own statement, after the lock): max(version) + 1 (uq_golden_record_versions_workspace_version).
-- columns: next_version!
SELECT coalesce(max(version), 0) + 1 AS next_version
FROM golden_record_versions
WHERE workspace_id = :workspace_id;

-- name: insert_version(workspace_id, version, document, content_hash, integrity_score, published_by, reason, reason_category)^
-- Publish: the immutable version row; a taken number is a unique error (uq_golden_record_versions_workspace_version).
-- params: reason_category?
-- row: VersionRow
INSERT INTO golden_record_versions (
    workspace_id,
    golden_record_id,
    version,
    document,
    content_hash,
    integrity_score,
    published_by,
    reason,
    reason_category
)
VALUES (
    :workspace_id,
    (
        SELECT gr.id FROM golden_records AS gr
        WHERE gr.workspace_id = :workspace_id
    ),
    :version,
    :document,
    :content_hash,
    :integrity_score,
    :published_by,
    :reason,
    :reason_category
)
RETURNING
    id,
    workspace_id,
    version,
    content_hash,
    integrity_score,
    published_by,
    published_at,
    reason,
    reason_category;

-- name: record_publish(workspace_id, integrity_score, unresolved_high_drift_count, schema_json)^
-- Publish: last_publish_at = now + READY snapshot with the published bytes (uq_golden_records_workspace_id).
-- row: GoldenRecordRow
UPDATE golden_records
SET
    last_publish_at = now(),
    status = 'READY',
    integrity_score = :integrity_score,
    unresolved_high_drift_count = :unresolved_high_drift_count,
    schema_json = :schema_json
WHERE workspace_id = :workspace_id
RETURNING
    id,
    workspace_id,
    status,
    integrity_score,
    unresolved_high_drift_count,
    last_export_at,
    last_publish_at,
    schema_json,
    created_at,
    updated_at;

-- name: list_versions(workspace_id)
-- GET /golden-records/:ws/versions: newest first, no document (uq_golden_record_versions_workspace_version).
-- row: VersionRow
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

-- name: get_version(workspace_id, version)^
-- GET /golden-records/:ws/versions/:n: one version, exact bytes (uq_golden_record_versions_workspace_version).
-- row: VersionDetailRow
SELECT
    id,
    workspace_id,
    version,
    content_hash,
    integrity_score,
    published_by,
    published_at,
    reason,
    reason_category,
    document
FROM golden_record_versions
WHERE workspace_id = :workspace_id AND version = :version;

-- name: get_version_for_member(workspace_id, version, user_id)^
-- Version by number + caller's ACTIVE membership; none = 404 (uq_golden_record_versions_workspace_version).
SELECT
    v.id,
    v.workspace_id,
    v.version,
    v.content_hash,
    v.integrity_score,
    v.published_by,
    v.published_at,
    v.reason,
    v.reason_category,
    v.document,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM golden_record_versions AS v
INNER JOIN workspace_members AS m
    ON v.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active' -- noqa: RF02
INNER JOIN workspaces AS w ON v.workspace_id = w.id
WHERE v.workspace_id = :workspace_id AND v.version = :version; -- noqa: RF02
