-- Variables: lists, point reads, the membership-gated lookup, bind/edit/delete and the locks D10 takes
-- (domain.md §5.5, §6; api.md §3.3).

-- Lint only: sqlfluff renders a :param as its name, which RF02 reads as an unqualified column in joins.
-- sqlfluff:templater:placeholder:user_id:'p'
-- sqlfluff:templater:placeholder:variable_id:'p'
-- sqlfluff:templater:placeholder:workspace_id:'p'

-- name: list_variables(workspace_id)
-- GET /workspaces/:id/variables: by clause order, created_at, id (idx_variables_workspace_id).
-- row: VariableRow
SELECT
    v.id,
    v.workspace_id,
    v.clause_id,
    v.label,
    v.type,
    v.value,
    v.unit,
    v.baseline_value,
    v.baseline_approved_at,
    v.created_at,
    v.last_modified_at,
    v.last_modified_by,
    v.updated_at
FROM variables AS v
INNER JOIN clauses AS c ON v.workspace_id = c.workspace_id AND v.clause_id = c.id
WHERE v.workspace_id = :workspace_id
ORDER BY c."order", v.created_at, v.id;

-- name: list_clause_variables(workspace_id, clause_id)
-- GET /drafts/clauses/:id/variables: one clause's variables by created_at, id (idx_variables_clause_id).
-- row: VariableRow
SELECT
    id,
    workspace_id,
    clause_id,
    label,
    type,
    value,
    unit,
    baseline_value,
    baseline_approved_at,
    created_at,
    last_modified_at,
    last_modified_by,
    updated_at
FROM variables
WHERE workspace_id = :workspace_id AND clause_id = :clause_id
ORDER BY created_at, id;

-- name: get_variable(workspace_id, variable_id)^
-- One variable of a workspace; none for another workspace's id (variables_pkey).
-- row: VariableRow
SELECT
    id,
    workspace_id,
    clause_id,
    label,
    type,
    value,
    unit,
    baseline_value,
    baseline_approved_at,
    created_at,
    last_modified_at,
    last_modified_by,
    updated_at
FROM variables
WHERE workspace_id = :workspace_id AND id = :variable_id;

-- name: get_variable_for_member(variable_id, user_id)^
-- /drafts/variables/:id gate: variable + caller's ACTIVE membership + governance; none = 404 (variables_pkey).
SELECT
    v.id,
    v.workspace_id,
    v.clause_id,
    v.label,
    v.type,
    v.value,
    v.unit,
    v.baseline_value,
    v.baseline_approved_at,
    v.created_at,
    v.last_modified_at,
    v.last_modified_by,
    v.updated_at,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM variables AS v
INNER JOIN workspace_members AS m
    ON v.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
INNER JOIN workspaces AS w ON v.workspace_id = w.id
WHERE v.id = :variable_id;

-- name: lock_variable(workspace_id, variable_id)^
-- D10 step 1 and the If-Match check: the variable row locked FOR UPDATE (variables_pkey).
-- row: VariableRow
SELECT
    id,
    workspace_id,
    clause_id,
    label,
    type,
    value,
    unit,
    baseline_value,
    baseline_approved_at,
    created_at,
    last_modified_at,
    last_modified_by,
    updated_at
FROM variables
WHERE workspace_id = :workspace_id AND id = :variable_id
FOR UPDATE;

-- name: lock_variable_clause(workspace_id, clause_id)^
-- Lock check of bind/edit/delete: the clause's lock state, held FOR NO KEY UPDATE (uq_clauses_workspace_id_id).
SELECT
    id,
    workspace_id,
    title,
    type,
    is_sensitive,
    is_locked,
    locked_by,
    locked_at
FROM clauses
WHERE workspace_id = :workspace_id AND id = :clause_id
FOR NO KEY UPDATE;

-- name: insert_variable(workspace_id, clause_id, label, type, value, unit, baseline_value, modified_by)^
-- POST /workspaces/:id/variables (bind): baseline = baselineValue ?? value, approved now (variables_pkey).
-- params: unit?, baseline_value?
-- row: VariableRow
INSERT INTO variables (
    workspace_id, clause_id, label, type, value, unit,
    baseline_value, baseline_approved_at, last_modified_by
)
VALUES (
    :workspace_id, :clause_id, :label, :type, :value, :unit,
    coalesce(:baseline_value, :value), now(), :modified_by
)
RETURNING
    id, workspace_id, clause_id, label, type, value, unit, baseline_value, baseline_approved_at, created_at,
    last_modified_at, last_modified_by, updated_at;

-- name: update_variable(workspace_id, variable_id, label, type, value, unit, modified_by)^
-- PATCH /drafts/variables/:id: merged label/type/value/unit + last_modified_* (variables_pkey).
-- params: unit?
-- row: VariableRow
UPDATE variables
SET
    label = :label,
    type = :type,
    value = :value,
    unit = :unit,
    last_modified_at = now(),
    last_modified_by = :modified_by
WHERE workspace_id = :workspace_id AND id = :variable_id
RETURNING
    id, workspace_id, clause_id, label, type, value, unit, baseline_value, baseline_approved_at, created_at,
    last_modified_at, last_modified_by, updated_at;

-- name: set_variable_value(workspace_id, variable_id, value, modified_by)^
-- Drift revert and reconciliation apply: new value + last_modified_* (variables_pkey).
-- row: VariableRow
UPDATE variables
SET
    value = :value,
    last_modified_at = now(),
    last_modified_by = :modified_by
WHERE workspace_id = :workspace_id AND id = :variable_id
RETURNING
    id, workspace_id, clause_id, label, type, value, unit, baseline_value, baseline_approved_at, created_at,
    last_modified_at, last_modified_by, updated_at;

-- name: set_variable_baseline(workspace_id, variable_id)^
-- Drift override: baseline := value, approved now; call under lock_variable (variables_pkey).
-- row: VariableRow
UPDATE variables
SET
    baseline_value = value,
    baseline_approved_at = now()
WHERE workspace_id = :workspace_id AND id = :variable_id
RETURNING
    id, workspace_id, clause_id, label, type, value, unit, baseline_value, baseline_approved_at, created_at,
    last_modified_at, last_modified_by, updated_at;

-- name: delete_variable(workspace_id, variable_id)!
-- DELETE /drafts/variables/:id after its open drift is closed (variables_pkey).
DELETE FROM variables
WHERE workspace_id = :workspace_id AND id = :variable_id;
