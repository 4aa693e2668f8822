-- Test-only statements of tests/db/test_q_graph.py: planner switch, lock timeout, fixtures and probes.

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
-- A workspace with no graph_state row, no clauses and no nodes.
INSERT INTO workspaces (id, name, created_by_id)
VALUES (:workspace_id, 'Test workspace', :created_by_id);

-- name: workspace_sync_times(workspace_id)^
-- The workspace's last_sync_at and updated_at (a build moves the first only).
SELECT
    last_sync_at,
    updated_at
FROM workspaces
WHERE id = :workspace_id;

-- name: delete_clause_row(clause_id)!
-- Remove a clause directly, leaving its nodes with clause_id/variable_id set NULL by the FKs.
DELETE FROM clauses
WHERE id = :clause_id;

-- name: add_synthetic_graph(workspace_id, node_count)!
-- A large deal's graph: node-x-00000.. with edges i → i+1, i+7, i+31 (mod node_count), so the edge indexes are
-- worth using.
WITH nodes AS (
    INSERT INTO graph_nodes (id, workspace_id, label, type)
    SELECT
        'node-x-' || lpad(g.n::text, 5, '0') AS id,
        :workspace_id,
        'x' AS label,
        'xref'::node_type AS type
    FROM generate_series(0, :node_count::integer - 1) AS g (n)
    RETURNING id
)

INSERT INTO graph_edges (id, workspace_id, source_id, target_id, weight)
SELECT
    'edge-x-' || g.n || '-' || k.step AS id,
    :workspace_id,
    'node-x-' || lpad(g.n::text, 5, '0') AS source_id,
    'node-x-' || lpad(mod(g.n + k.step, :node_count::integer)::text, 5, '0') AS target_id,
    1 AS weight
FROM generate_series(0, :node_count::integer - 1) AS g (n)
CROSS JOIN (VALUES (1), (7), (31)) AS k (step)
WHERE (SELECT count(*) FROM nodes) > 0;

-- name: vacuum_analyze_graph()!
-- Production-like planner inputs for the graph tables (autocommit only: VACUUM cannot run in a transaction).
VACUUM (ANALYZE) graph_nodes, graph_edges;

-- name: forget_demo_graph()!
-- These query tests build the demo graph themselves: start from the seed as it was before the build existed.
DELETE FROM graph_edges;
DELETE FROM graph_nodes;
UPDATE graph_state SET
    integrity_score = 100, node_count = 0, edge_count = 0, drift_node_count = 0, warning_node_count = 0,
    last_computed_at = NULL;
UPDATE workspaces SET last_sync_at = created_at;
