-- Plans of the hot covenant queries for tests/db/test_q_covenants.py: each body is the query of sql/covenants.sql
-- verbatim (the test checks it), prefixed by EXPLAIN (FORMAT JSON).

-- Lint only: render the parameter as a literal (RF02 reads a bare :param in a join as a column).
-- sqlfluff:templater:placeholder:workspace_id:'p'

-- name: explain_list_covenants(workspace_id)$
-- Plan of list_covenants (must stay the same text as in sql/covenants.sql).
EXPLAIN (FORMAT JSON)
SELECT
    cv.id,
    cv.workspace_id,
    cv.name,
    cv.test_frequency,
    cv.threshold,
    cv.calculation_basis,
    cv.clause_id,
    cv.variable_id,
    cv.created_at,
    cv.updated_at,
    v.label AS variable_label,
    v.value AS variable_value,
    v.unit AS variable_unit,
    v.baseline_value AS variable_baseline_value
FROM covenants AS cv
INNER JOIN clauses AS c ON cv.workspace_id = c.workspace_id AND cv.clause_id = c.id
LEFT JOIN variables AS v ON cv.workspace_id = v.workspace_id AND cv.variable_id = v.id
WHERE cv.workspace_id = :workspace_id
ORDER BY c."order", cv.name, cv.id;
