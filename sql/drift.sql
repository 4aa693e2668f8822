-- Drift items (D13): paged lists in API order and their counts, point reads, the membership-gated lookup, the
-- dashboard counts, the single-statement open-drift upsert/close of D10, guarded transitions and the recompute
-- helpers (domain.md §6, §8; api.md §3.5).

-- Lint only: sqlfluff renders a :param as its name, which RF02 reads as an unqualified column in joins.
-- sqlfluff:templater:placeholder:actor_id:'p'
-- sqlfluff:templater:placeholder:baseline_value:'p'
-- sqlfluff:templater:placeholder:clause_id:'p'
-- sqlfluff:templater:placeholder:drift_id:'p'
-- sqlfluff:templater:placeholder:keyword:'p'
-- sqlfluff:templater:placeholder:severity:'p'
-- sqlfluff:templater:placeholder:title:'p'
-- sqlfluff:templater:placeholder:user_id:'p'
-- sqlfluff:templater:placeholder:variable_id:'p'
-- sqlfluff:templater:placeholder:workspace_id:'p'

-- name: list_drifts(workspace_id, page_size, page_offset)
-- GET /drifts?workspaceId (the stock client's call): one page in API order (idx_drift_list).
-- row: DriftRow
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

-- name: count_drifts(workspace_id)$
-- Pagination total of list_drifts (idx_drift_list, index-only).
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id;

-- name: list_drifts_by_status(workspace_id, status, page_size, page_offset)
-- GET /drifts?workspaceId&status: one page in API order (idx_drift_list, status filtered).
-- row: DriftRow
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

-- name: count_drifts_by_status(workspace_id, status)$
-- Total of list_drifts_by_status; the export's approvedDeviations (idx_drift_list).
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = :status;

-- name: list_drifts_by_severity(workspace_id, severity, page_size, page_offset)
-- GET /drifts?workspaceId&severity: one page in API order (idx_drift_list prefix).
-- row: DriftRow
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

-- name: count_drifts_by_severity(workspace_id, severity)$
-- Pagination total of list_drifts_by_severity (idx_drift_list prefix).
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND severity = :severity;

-- name: list_drifts_filtered(workspace_id, severity, type, status, keyword, variable_id, clause_id, page_size, page_offset)
-- Cold GET /drifts filter mixes (type, keyword, variableId, clauseId, several); NULL = any (idx_drift_list).
-- params: severity?, type?, status?, keyword?, variable_id?, clause_id?
-- row: DriftRow
SELECT
    d.id,
    d.workspace_id,
    d.clause_id,
    d.variable_id,
    d.title,
    d.type,
    d.severity,
    d.baseline_value,
    d.baseline_approved_at,
    d.current_value,
    d.unit,
    d.current_modified_at,
    d.current_modified_by,
    d.status,
    d.approved_by,
    d.approved_at,
    d.approval_reason,
    d.created_at,
    d.updated_at
FROM drift_items AS d
WHERE
    d.workspace_id = :workspace_id
    AND (:severity::drift_severity IS NULL OR d.severity = :severity)
    AND (:type::clause_type IS NULL OR d.type = :type)
    AND (:status::drift_status IS NULL OR d.status = :status)
    AND (:variable_id::text IS NULL OR d.variable_id = :variable_id)
    AND (:clause_id::text IS NULL OR d.clause_id = :clause_id)
    AND (
        :keyword::text IS NULL
        OR strpos(lower(d.title), lower(:keyword)) > 0
        OR strpos(lower(d.baseline_value), lower(:keyword)) > 0
        OR strpos(lower(d.current_value), lower(:keyword)) > 0
        OR d.clause_id IN (
            SELECT c.id FROM clauses AS c
            WHERE c.workspace_id = :workspace_id AND strpos(lower(c.title), lower(:keyword)) > 0
        )
    )
ORDER BY d.severity ASC, d.current_modified_at DESC, d.id DESC
LIMIT :page_size OFFSET :page_offset;

-- name: count_drifts_filtered(workspace_id, severity, type, status, keyword, variable_id, clause_id)$
-- Pagination total of list_drifts_filtered, same filters (idx_drift_list).
-- params: severity?, type?, status?, keyword?, variable_id?, clause_id?
SELECT count(*) AS total
FROM drift_items AS d
WHERE
    d.workspace_id = :workspace_id
    AND (:severity::drift_severity IS NULL OR d.severity = :severity)
    AND (:type::clause_type IS NULL OR d.type = :type)
    AND (:status::drift_status IS NULL OR d.status = :status)
    AND (:variable_id::text IS NULL OR d.variable_id = :variable_id)
    AND (:clause_id::text IS NULL OR d.clause_id = :clause_id)
    AND (
        :keyword::text IS NULL
        OR strpos(lower(d.title), lower(:keyword)) > 0
        OR strpos(lower(d.baseline_value), lower(:keyword)) > 0
        OR strpos(lower(d.current_value), lower(:keyword)) > 0
        OR d.clause_id IN (
            SELECT c.id FROM clauses AS c
            WHERE c.workspace_id = :workspace_id AND strpos(lower(c.title), lower(:keyword)) > 0
        )
    );

-- name: list_unresolved_drifts(workspace_id)
-- Every open drift by severity then id: export drift.items, node flags (idx_drift_unresolved).
-- row: DriftRow
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

-- name: count_unresolved_drifts(workspace_id)$
-- driftCount of workspace detail, sync and recompute: open drift (idx_drift_unresolved).
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved';

-- name: count_unresolved_high(workspace_id)$
-- GET /drifts/high-drift-count and the publish gate: open HIGH drift (idx_drift_unresolved).
SELECT count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved' AND severity = 'HIGH';

-- name: count_unresolved_by_severity(workspace_id)^
-- Dashboard/export drift.unresolved: open drift per severity and total, one row (idx_drift_unresolved).
-- columns: high!, medium!, low!, total!
SELECT
    count(*) FILTER (WHERE severity = 'HIGH') AS high,
    count(*) FILTER (WHERE severity = 'MEDIUM') AS medium,
    count(*) FILTER (WHERE severity = 'LOW') AS low,
    count(*) AS total
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved';

-- name: get_drift(workspace_id, drift_id)^
-- One drift of a workspace; none for another workspace's id (drift_items_pkey).
-- row: DriftRow
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
WHERE workspace_id = :workspace_id AND id = :drift_id;

-- name: get_drift_for_member(drift_id, user_id)^
-- /drifts/:id gate: the drift + caller's ACTIVE membership + governance; none = 404 (drift_items_pkey).
SELECT
    d.id,
    d.workspace_id,
    d.clause_id,
    d.variable_id,
    d.title,
    d.type,
    d.severity,
    d.baseline_value,
    d.baseline_approved_at,
    d.current_value,
    d.unit,
    d.current_modified_at,
    d.current_modified_by,
    d.status,
    d.approved_by,
    d.approved_at,
    d.approval_reason,
    d.created_at,
    d.updated_at,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM drift_items AS d
INNER JOIN workspace_members AS m
    ON d.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
INNER JOIN workspaces AS w ON d.workspace_id = w.id
WHERE d.id = :drift_id;

-- name: get_open_variable_drift(workspace_id, variable_id)^
-- D10 step 1: the variable's open drift, locked FOR UPDATE after the variable (uq_drift_open_variable).
-- row: DriftRow
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
WHERE workspace_id = :workspace_id AND variable_id = :variable_id AND status = 'unresolved'
FOR UPDATE;

-- name: last_approved_variable_drift(workspace_id, variable_id)^
-- D10 accepted-deviation test: the variable's latest approved drift (idx_drift_items_variable_id).
SELECT
    id,
    baseline_value,
    current_value,
    approved_at
FROM drift_items
WHERE workspace_id = :workspace_id AND variable_id = :variable_id AND status = 'approved'
ORDER BY approved_at DESC, id DESC
LIMIT 1;

-- name: upsert_variable_drift(workspace_id, variable_id, title, severity, actor_id)^
-- D10 open-or-mirror copying the variable row; none if it already mirrors (uq_drift_open_variable).
-- columns: inserted!
-- row: UpsertedDriftRow
INSERT INTO drift_items (
    workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by
)
SELECT
    v.workspace_id,
    v.clause_id,
    v.id AS variable_id,
    :title::text AS title,
    c.type,
    :severity::drift_severity AS severity,
    v.baseline_value,
    coalesce(v.baseline_approved_at, w.created_at) AS baseline_approved_at,
    v.value AS current_value,
    v.unit,
    v.last_modified_at AS current_modified_at,
    coalesce(v.last_modified_by, :actor_id::text) AS current_modified_by
FROM variables AS v
INNER JOIN clauses AS c ON v.workspace_id = c.workspace_id AND v.clause_id = c.id
INNER JOIN workspaces AS w ON v.workspace_id = w.id
WHERE v.workspace_id = :workspace_id AND v.id = :variable_id
-- Rewrite the open drift only when a mirrored column differs: a consistent recompute writes nothing (domain §8.6).
ON CONFLICT (variable_id) WHERE status = 'unresolved' AND variable_id IS NOT NULL
DO UPDATE
    SET
        title = excluded.title,
        severity = excluded.severity,
        baseline_value = excluded.baseline_value,
        baseline_approved_at = excluded.baseline_approved_at,
        current_value = excluded.current_value,
        unit = excluded.unit,
        current_modified_at = excluded.current_modified_at,
        current_modified_by = excluded.current_modified_by
    WHERE (
        drift_items.title, drift_items.severity, drift_items.baseline_value, drift_items.baseline_approved_at,
        drift_items.current_value, drift_items.unit, drift_items.current_modified_at, drift_items.current_modified_by
    ) IS DISTINCT FROM (
        excluded.title, excluded.severity, excluded.baseline_value, excluded.baseline_approved_at,
        excluded.current_value, excluded.unit, excluded.current_modified_at, excluded.current_modified_by
    )
RETURNING
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by, status, approved_by, approved_at,
    approval_reason, created_at, updated_at, (xmax = 0) AS inserted;

-- name: close_variable_drift(workspace_id, variable_id, status, approved_by, reason)^
-- D10 system close of the variable's open drift; none when none is open (uq_drift_open_variable).
-- row: DriftRow
UPDATE drift_items
SET
    status = :status,
    approved_by = :approved_by,
    approved_at = now(),
    approval_reason = :reason
WHERE workspace_id = :workspace_id AND variable_id = :variable_id AND status = 'unresolved'
RETURNING
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by, status, approved_by, approved_at,
    approval_reason, created_at, updated_at;

-- name: transition_drift(workspace_id, drift_id, allowed, status, approved_by, reason)^
-- Override/revert/approve: set status only from one of allowed; none = wrong status (drift_items_pkey).
-- row: DriftRow
UPDATE drift_items
SET
    status = :status,
    approved_by = :approved_by,
    approved_at = now(),
    approval_reason = :reason
WHERE workspace_id = :workspace_id AND id = :drift_id AND status = any(:allowed::drift_status[])
RETURNING
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by, status, approved_by, approved_at,
    approval_reason, created_at, updated_at;

-- name: list_deviating_variables(workspace_id)
-- Recompute: variables textually off baseline, locked in variable order (idx_variables_workspace_id).
-- columns: baseline_value!, open_drift_id?, approved_current_value?, approved_baseline_value?
SELECT
    v.id,
    v.clause_id,
    v.label,
    v.type,
    v.value,
    v.unit,
    v.baseline_value,
    v.baseline_approved_at,
    v.last_modified_at,
    v.last_modified_by,
    c.title AS clause_title,
    c.type AS clause_type,
    o.id AS open_drift_id,
    a.current_value AS approved_current_value,
    a.baseline_value AS approved_baseline_value
FROM variables AS v
INNER JOIN clauses AS c ON v.workspace_id = c.workspace_id AND v.clause_id = c.id
LEFT JOIN drift_items AS o
    ON v.workspace_id = o.workspace_id AND v.id = o.variable_id AND o.status = 'unresolved'
LEFT JOIN LATERAL (
    SELECT
        ad.current_value,
        ad.baseline_value
    FROM drift_items AS ad
    WHERE ad.workspace_id = v.workspace_id AND ad.variable_id = v.id AND ad.status = 'approved'
    ORDER BY ad.approved_at DESC, ad.id DESC
    LIMIT 1
) AS a ON TRUE
WHERE v.workspace_id = :workspace_id AND v.baseline_value IS NOT NULL AND v.baseline_value <> v.value
ORDER BY c."order", v.created_at, v.id
FOR UPDATE OF v;

-- name: list_settled_open_drifts(workspace_id)
-- Recompute: open drift whose variable is back at baseline, variables locked (idx_drift_unresolved).
SELECT
    d.id,
    d.variable_id,
    v.value,
    v.baseline_value
FROM drift_items AS d
INNER JOIN variables AS v ON d.workspace_id = v.workspace_id AND d.variable_id = v.id
WHERE
    d.workspace_id = :workspace_id
    AND d.status = 'unresolved'
    AND (v.baseline_value IS NULL OR v.baseline_value = v.value)
ORDER BY v.id
FOR UPDATE OF v;

-- name: upsert_clause_drift(workspace_id, clause_id, title, severity, baseline_value)^
-- Clause-level recon apply after the body write: open or follow the body (uq_drift_open_clause).
-- columns: inserted!
-- row: UpsertedDriftRow
INSERT INTO drift_items (
    workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by
)
SELECT
    c.workspace_id,
    c.id AS clause_id,
    NULL AS variable_id,
    :title::text AS title,
    c.type,
    :severity::drift_severity AS severity,
    :baseline_value::text AS baseline_value,
    w.created_at AS baseline_approved_at,
    c.body AS current_value,
    NULL AS unit,
    c.last_modified_at AS current_modified_at,
    c.last_modified_by AS current_modified_by
FROM clauses AS c
INNER JOIN workspaces AS w ON c.workspace_id = w.id
WHERE c.workspace_id = :workspace_id AND c.id = :clause_id
ON CONFLICT (clause_id) WHERE status = 'unresolved' AND variable_id IS NULL
DO UPDATE
    SET
        title = excluded.title,
        severity = least(drift_items.severity, excluded.severity),
        current_value = excluded.current_value,
        current_modified_at = excluded.current_modified_at,
        current_modified_by = excluded.current_modified_by
RETURNING
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by, status, approved_by, approved_at,
    approval_reason, created_at, updated_at, (xmax = 0) AS inserted;

-- name: update_open_clause_drift(workspace_id, clause_id, title)^
-- Clause body edit: the open clause-level drift follows the body; none if none (uq_drift_open_clause).
-- row: DriftRow
UPDATE drift_items AS d
SET
    title = :title,
    current_value = c.body,
    current_modified_at = c.last_modified_at,
    current_modified_by = c.last_modified_by
FROM clauses AS c
WHERE
    d.workspace_id = :workspace_id
    AND d.clause_id = :clause_id
    AND d.status = 'unresolved'
    AND d.variable_id IS NULL
    AND c.workspace_id = d.workspace_id
    AND c.id = d.clause_id
RETURNING
    d.id, d.workspace_id, d.clause_id, d.variable_id, d.title, d.type, d.severity, d.baseline_value,
    d.baseline_approved_at, d.current_value, d.unit, d.current_modified_at, d.current_modified_by, d.status,
    d.approved_by, d.approved_at, d.approval_reason, d.created_at, d.updated_at;

-- name: close_clause_drift(workspace_id, clause_id, status, approved_by, reason)^
-- System close of the clause's open clause-level drift; none when none is open (uq_drift_open_clause).
-- row: DriftRow
UPDATE drift_items
SET
    status = :status,
    approved_by = :approved_by,
    approved_at = now(),
    approval_reason = :reason
WHERE workspace_id = :workspace_id AND clause_id = :clause_id AND status = 'unresolved' AND variable_id IS NULL
RETURNING
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, unit, current_modified_at, current_modified_by, status, approved_by, approved_at,
    approval_reason, created_at, updated_at;

-- name: list_open_clause_drifts(workspace_id)
-- Recompute: open clause-level drift with the clause body, clauses locked (idx_drift_unresolved).
SELECT
    d.id,
    d.clause_id,
    d.title,
    d.severity,
    d.baseline_value,
    d.current_value,
    c.body AS clause_body
FROM drift_items AS d
INNER JOIN clauses AS c ON d.workspace_id = c.workspace_id AND d.clause_id = c.id
WHERE d.workspace_id = :workspace_id AND d.status = 'unresolved' AND d.variable_id IS NULL
ORDER BY c."order"
FOR NO KEY UPDATE OF c;

-- name: delete_clause_drifts(workspace_id, clause_id)!
-- Clause delete: drop its drift rows before the cascade (idx_drift_items_clause_id).
DELETE FROM drift_items
WHERE workspace_id = :workspace_id AND clause_id = :clause_id;
