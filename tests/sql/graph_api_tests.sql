-- SQL used by the graph HTTP tests (tests/api/test_graph.py): full snapshots of the graph rows (idempotency), the
-- graph_state row, the workspace sync columns and the audit events of a workspace. aiosql "psycopg" adapter over a
-- sync autocommit connection to the database the app under test uses.

-- name: node_rows(workspace_id)
-- Every column of the workspace's graph nodes, by id.
SELECT
    id,
    workspace_id,
    label,
    type::text AS type,
    clause_id,
    variable_id,
    value,
    has_drift,
    has_warning,
    created_at,
    updated_at
FROM graph_nodes
WHERE workspace_id = :workspace_id
ORDER BY id;

-- name: edge_rows(workspace_id)
-- Every column of the workspace's graph edges, by id.
SELECT
    id,
    workspace_id,
    source_id,
    target_id,
    weight,
    created_at
FROM graph_edges
WHERE workspace_id = :workspace_id
ORDER BY id;

-- name: graph_state_row(workspace_id)^
-- The workspace's graph_state row.
SELECT
    integrity_score,
    node_count,
    edge_count,
    drift_node_count,
    warning_node_count,
    last_computed_at
FROM graph_state
WHERE workspace_id = :workspace_id;

-- name: workspace_sync(workspace_id)^
-- The workspace's last_sync_at and updated_at.
SELECT
    last_sync_at,
    updated_at
FROM workspaces
WHERE id = :workspace_id;

-- name: graph_events(workspace_id)
-- The workspace's GRAPH_SYNC events in chain order.
SELECT
    actor_id,
    actor_name,
    target_type,
    target_id,
    before_state,
    after_state,
    reason
FROM audit_events
WHERE workspace_id = :workspace_id AND event_type = 'GRAPH_SYNC'
ORDER BY seq;

-- name: update_clause_body(clause_id, body)!
-- Test setup: change a clause body directly (a drafting route is not in this test's scope).
UPDATE clauses
SET body = :body
WHERE id = :clause_id;
