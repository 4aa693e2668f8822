-- Fixture for tests/db/test_codegen.py: problems found only after PostgreSQL described the queries.

-- name: one()
-- Declares the shared row type.
-- row: Shared
SELECT
    id,
    name
FROM cg_item;

-- name: two()
-- Claims the same row type with another shape.
-- row: Shared
SELECT id
FROM cg_item;

-- name: unmapped()
-- A result type nexus gen has no Python type for.
SELECT point(1, 2) AS p;

-- name: enum_array()
-- An enum array result (psycopg returns it as text).
SELECT array_agg(mood) AS moods
FROM cg_item;

-- name: unnamed()
-- An expression without an alias.
SELECT id + 1
FROM cg_item;

-- name: counted()^
-- count(*) without an alias: a row field cannot be named count (tuple method).
SELECT count(*)
FROM cg_item;
