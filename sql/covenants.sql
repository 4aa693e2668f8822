-- Covenants (domain.md §10.6; api.md §3.7): lists with the bound variable (the effective threshold follows its value),
-- point reads, the membership-gated lookup, guarded create/update, delete and the inputs of extraction.

-- Lint only: sqlfluff renders a :param as its name, which RF02 reads as an unqualified column in joins.
-- sqlfluff:templater:placeholder:calculation_basis:'p'
-- sqlfluff:templater:placeholder:clause_id:'p'
-- sqlfluff:templater:placeholder:covenant_id:'p'
-- sqlfluff:templater:placeholder:name:'p'
-- sqlfluff:templater:placeholder:test_frequency:'p'
-- sqlfluff:templater:placeholder:threshold:'p'
-- sqlfluff:templater:placeholder:user_id:'p'
-- sqlfluff:templater:placeholder:variable_id:'p'
-- sqlfluff:templater:placeholder:workspace_id:'p'

-- name: list_covenants(workspace_id)
-- Covenant list/export by clause order, name, id + bound variable values (idx_covenants_workspace_id).
-- columns: variable_label?, variable_value?
-- row: CovenantRow
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

-- name: get_covenant(workspace_id, covenant_id)^
-- One covenant of a workspace with its bound variable; none for another workspace's id (covenants_pkey).
-- columns: variable_label?, variable_value?
-- row: CovenantRow
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
LEFT JOIN variables AS v ON cv.workspace_id = v.workspace_id AND cv.variable_id = v.id
WHERE cv.workspace_id = :workspace_id AND cv.id = :covenant_id;

-- name: get_covenant_for_member(covenant_id, user_id)^
-- /golden-records/covenants/:id gate: covenant + caller's ACTIVE membership; none = 404 (covenants_pkey).
-- columns: variable_label?, variable_value?
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
    v.baseline_value AS variable_baseline_value,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM covenants AS cv
INNER JOIN workspace_members AS m
    ON cv.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
INNER JOIN workspaces AS w ON cv.workspace_id = w.id
LEFT JOIN variables AS v ON cv.workspace_id = v.workspace_id AND cv.variable_id = v.id
WHERE cv.id = :covenant_id;

-- name: insert_covenant(workspace_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id)^
-- Create/extract: only if the clause is the workspace's and the variable the clause's (uq_clauses_workspace_id_id).
-- params: variable_id?
-- columns: variable_label?, variable_value?
-- row: CovenantRow
WITH inserted AS (
    INSERT INTO covenants (
        workspace_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id
    )
    SELECT
        c.workspace_id,
        :name::text AS name,
        :test_frequency::text AS test_frequency,
        :threshold::text AS threshold,
        :calculation_basis::text AS calculation_basis,
        c.id AS clause_id,
        v.id AS variable_id
    FROM clauses AS c
    LEFT JOIN variables AS v
        ON c.workspace_id = v.workspace_id AND c.id = v.clause_id AND v.id = :variable_id::text
    WHERE
        c.workspace_id = :workspace_id
        AND c.id = :clause_id
        AND (:variable_id::text IS NULL OR v.id IS NOT NULL)
    RETURNING
        id,
        workspace_id,
        name,
        test_frequency,
        threshold,
        calculation_basis,
        clause_id,
        variable_id,
        created_at,
        updated_at
)

SELECT
    i.id,
    i.workspace_id,
    i.name,
    i.test_frequency,
    i.threshold,
    i.calculation_basis,
    i.clause_id,
    i.variable_id,
    i.created_at,
    i.updated_at,
    v.label AS variable_label,
    v.value AS variable_value,
    v.unit AS variable_unit,
    v.baseline_value AS variable_baseline_value
FROM inserted AS i
LEFT JOIN variables AS v ON i.workspace_id = v.workspace_id AND i.variable_id = v.id;

-- name: update_covenant(workspace_id, covenant_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id)^
-- PATCH with merged fields, same clause/variable guard; none otherwise (covenants_pkey).
-- params: variable_id?
-- columns: variable_label?, variable_value?
-- row: CovenantRow
UPDATE covenants AS cv
SET
    name = :name,
    test_frequency = :test_frequency,
    threshold = :threshold,
    calculation_basis = :calculation_basis,
    clause_id = c.id,
    variable_id = v.id
FROM clauses AS c
LEFT JOIN variables AS v
    ON c.workspace_id = v.workspace_id AND c.id = v.clause_id AND v.id = :variable_id::text
WHERE
    cv.workspace_id = :workspace_id
    AND cv.id = :covenant_id
    AND c.workspace_id = cv.workspace_id
    AND c.id = :clause_id
    AND (:variable_id::text IS NULL OR v.id IS NOT NULL)
RETURNING
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
    v.baseline_value AS variable_baseline_value;

-- name: delete_covenant(workspace_id, covenant_id)!
-- DELETE /golden-records/covenants/:id (covenants_pkey).
DELETE FROM covenants
WHERE workspace_id = :workspace_id AND id = :covenant_id;

-- name: list_covenant_clauses(workspace_id)
-- Extraction input: covenant-type clauses with bodies, by order (idx_clauses_workspace_id).
SELECT
    id,
    title,
    body,
    "order"
FROM clauses
WHERE workspace_id = :workspace_id AND type = 'covenant'
ORDER BY "order";

-- name: list_covenant_clause_variables(workspace_id)
-- Extraction input: variables of covenant clauses in variable order (idx_variables_workspace_id).
SELECT
    v.id,
    v.clause_id,
    v.label,
    v.type,
    v.value,
    v.unit
FROM variables AS v
INNER JOIN clauses AS c ON v.workspace_id = c.workspace_id AND v.clause_id = c.id
WHERE v.workspace_id = :workspace_id AND c.type = 'covenant'
ORDER BY c."order", v.created_at, v.id;
