-- SQL used by the drafting HTTP tests (tests/api/test_clauses.py, test_variables.py, test_search.py): reads of the
-- rows those routes write. Loaded with aiosql ("psycopg" adapter, sync autocommit connections to the same database
-- the app under test uses).

-- name: audit_events_of(workspace_id)
-- Every audit event of one workspace in chain order, with the JSONB states.
SELECT
    event_type::text AS event_type,
    actor_id,
    actor_name,
    target_type,
    target_id,
    before_state,
    after_state,
    reason,
    reason_category::text AS reason_category
FROM audit_events
WHERE workspace_id = :workspace_id
ORDER BY seq;

-- name: clause_orders(workspace_id)
-- The workspace's clauses as (id, order) by order.
SELECT
    id,
    "order"
FROM clauses
WHERE workspace_id = :workspace_id
ORDER BY "order";

-- name: open_drifts_of_variable(variable_id)
-- The variable's unresolved drift rows.
SELECT
    id,
    severity::text AS severity,
    baseline_value,
    current_value,
    status::text AS status
FROM drift_items
WHERE variable_id = :variable_id AND status = 'unresolved';

-- name: drifts_of_variable(variable_id)
-- Every drift row of a variable, oldest first.
SELECT
    id,
    status::text AS status,
    approval_reason
FROM drift_items
WHERE variable_id = :variable_id
ORDER BY created_at, id;

-- name: count_clause_rows(clause_id)$
-- 1 when the clause exists.
SELECT count(*) AS total
FROM clauses
WHERE id = :clause_id;

-- name: graph_nodes_of(workspace_id)
-- The workspace's graph node ids.
SELECT id
FROM graph_nodes
WHERE workspace_id = :workspace_id
ORDER BY id;
