-- SQL used by the drafting HTTP tests (tests/api/test_clauses.py, test_variables.py, test_search.py): reads of the
-- rows those routes write, and the direct writes that set up a scenario. Loaded with aiosql ("psycopg" adapter, sync
-- autocommit connections with dict rows to the same database the app under test uses).

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

-- name: clause_body(clause_id)^
-- A clause's body.
SELECT body
FROM clauses
WHERE id = :clause_id;

-- name: drift_value_state(drift_id)^
-- One drift item's status and current value.
SELECT
    status::text AS status,
    current_value
FROM drift_items
WHERE id = :drift_id;

-- name: drift_approval_state(drift_id)^
-- One drift item's status and approval reason (looked up by id: a deleted variable leaves variable_id NULL).
SELECT
    status::text AS status,
    approval_reason
FROM drift_items
WHERE id = :drift_id;

-- name: lock_clause(clause_id, locked_by)!
-- Lock a clause directly: a user lock when locked_by is a user id, a governance lock when it is NULL.
UPDATE clauses
SET
    is_locked = true,
    locked_by = :locked_by,
    locked_at = now()
WHERE id = :clause_id;

-- name: archive_workspace(workspace_id)!
-- Archive a workspace directly (no audit event).
UPDATE workspaces
SET archived_at = now()
WHERE id = :workspace_id;

-- name: insert_clause_level_drift(id, workspace_id, clause_id, title, type, severity, baseline_value, current_value, current_modified_by)!
-- Open a clause-level drift item (no variable) approved and modified now.
INSERT INTO drift_items (
    id,
    workspace_id,
    clause_id,
    title,
    type,
    severity,
    baseline_value,
    baseline_approved_at,
    current_value,
    current_modified_at,
    current_modified_by
)
VALUES (
    :id,
    :workspace_id,
    :clause_id,
    :title,
    :type,
    :severity,
    :baseline_value,
    now(),
    :current_value,
    now(),
    :current_modified_by
);
