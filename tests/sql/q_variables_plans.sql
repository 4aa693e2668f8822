-- Plans of the hot variable queries for tests/db/test_q_variables.py: each body is the query of sql/variables.sql
-- verbatim (the test checks it), prefixed by EXPLAIN (FORMAT JSON).

-- Lint only: render the parameter as a literal (RF02 reads a bare :param in a join as a column).
-- sqlfluff:templater:placeholder:workspace_id:'p'

-- name: explain_list_variables(workspace_id)$
-- Plan of list_variables (must stay the same text as in sql/variables.sql).
EXPLAIN (FORMAT JSON)
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

-- name: explain_list_clause_variables(workspace_id, clause_id)$
-- Plan of list_clause_variables (must stay the same text as in sql/variables.sql).
EXPLAIN (FORMAT JSON)
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
