-- Fixture for tests/db/test_codegen.py: one broken query per failure kind nexus gen must report.

-- name: bad_syntax()
-- Syntax error.
SELEC id FROM cg_item;

-- name: bad_column()^
-- Unknown column.
SELECT nope FROM cg_item;

-- name: bad_undeclared()^
-- Uses a parameter it does not declare.
SELECT id FROM cg_item WHERE id = :id;

-- name: bad_unused(id)
-- Declares a parameter it does not use.
SELECT id FROM cg_item;

-- name: bad_override()
-- Overrides a column the query does not return.
-- columns: ghost!
SELECT id FROM cg_item;

-- name: bad_param_type(value)$
-- A parameter whose type PostgreSQL cannot infer.
SELECT :value IS NULL AS v;

-- name: good_one()$
-- A correct query next to the broken ones.
SELECT count(*) AS n FROM cg_item;
