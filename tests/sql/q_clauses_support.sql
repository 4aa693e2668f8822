-- Test-only statements of tests/db/test_q_clauses.py: planner switch, membership changes, lock probes, fixtures.

-- name: disable_seqscan()!
-- Make the planner show its index choice on the tiny demo tables (this transaction only).
SET LOCAL enable_seqscan = off;

-- name: set_lock_timeout()!
-- Fail fast instead of waiting for a row lock (this transaction only).
SET LOCAL lock_timeout = '100ms';

-- name: set_member_status(member_id, status)!
-- Turn a membership pending/removed (joined_at stays, which the CHECK allows for non-active rows).
UPDATE workspace_members SET status = :status::member_status
WHERE id = :member_id;

-- name: insert_empty_workspace(workspace_id, created_by_id)!
-- A workspace with no clauses (for the import and append-to-empty cases).
INSERT INTO workspaces (id, name, created_by_id)
VALUES (:workspace_id, 'Test workspace', :created_by_id);

-- name: count_clause_variables(clause_id)$
-- Variables still bound to a clause (the delete cascade).
SELECT count(*) FROM variables
WHERE clause_id = :clause_id;

-- name: vacuum_analyze_clauses()!
-- Production-like planner inputs: table statistics and the GIN metapage counts that only VACUUM fills in
-- (autocommit only: VACUUM cannot run in a transaction).
VACUUM (ANALYZE) clauses;

-- name: add_filler_clauses(workspace_id, last_order)!
-- A large deal: boilerplate clauses after the workspace's last one up to last_order, no search term in common
-- with the demo vectors.
INSERT INTO clauses (workspace_id, title, body, type, "order", is_sensitive, last_modified_by)
SELECT
    :workspace_id,
    g.n || '. Schedule ' || g.n AS title,
    'The Obligors shall comply with undertaking ' || g.n || ' at all times.' AS body,
    'general' AS type,
    g.n,
    FALSE AS is_sensitive,
    'user-001' AS last_modified_by
FROM generate_series(
    (
        SELECT max(k."order") + 1 FROM clauses AS k
        WHERE k.workspace_id = :workspace_id
    ),
    :last_order::integer
) AS g (n);
