-- SQL used by the drift HTTP tests (tests/api/test_drift.py): reads of the rows the /drifts routes write, and the
-- direct writes that set up a scenario. Loaded with aiosql ("psycopg" adapter, sync autocommit connections with
-- dict rows to the same database the app under test uses).

-- name: drift_row(drift_id)^
-- One drift item's identity, values and state.
SELECT
    id,
    variable_id,
    status::text AS status,
    baseline_value,
    current_value,
    approved_by,
    approval_reason
FROM drift_items
WHERE id = :drift_id;

-- name: variable_row(variable_id)^
-- One variable's clause, value and baseline.
SELECT
    id,
    clause_id,
    value,
    baseline_value,
    last_modified_by
FROM variables
WHERE id = :variable_id;

-- name: drift_events(drift_id)
-- The audit events targeting one drift item, in chain order.
SELECT
    event_type::text AS event_type,
    actor_id,
    target_id,
    before_state,
    after_state,
    reason,
    reason_category::text AS reason_category
FROM audit_events
WHERE target_type = 'drift' AND target_id = :drift_id
ORDER BY seq;

-- name: count_workspace_events(workspace_id)$
-- How many audit events one workspace has.
SELECT count(*) AS n
FROM audit_events
WHERE workspace_id = :workspace_id;

-- name: count_all_events()$
-- How many audit events there are in all.
SELECT count(*) AS n
FROM audit_events;

-- name: count_graph_nodes(workspace_id)$
-- How many graph nodes one workspace has (0 before its graph is built).
SELECT count(*) AS n
FROM graph_nodes
WHERE workspace_id = :workspace_id;

-- name: open_drifts_of_variable(variable_id)
-- The variable's unresolved drift items, oldest first.
SELECT
    id,
    type::text AS type
FROM drift_items
WHERE variable_id = :variable_id AND status = 'unresolved'
ORDER BY created_at, id;

-- name: drift_states()
-- Every drift item's status and last update, by id (a snapshot to compare).
SELECT
    id,
    status::text AS status,
    updated_at
FROM drift_items
ORDER BY id;

-- name: set_variable_value(variable_id, value)!
-- Overwrite a variable's value directly (no audit event, no drift recompute).
UPDATE variables
SET value = :value
WHERE id = :variable_id;

-- name: append_to_variable_value(variable_id, suffix)!
-- Append text to a variable's value directly.
UPDATE variables
SET value = value || :suffix
WHERE id = :variable_id;

-- name: lock_clause(clause_id, locked_by)!
-- Lock a clause directly: a user lock when locked_by is a user id, a governance lock when it is NULL.
UPDATE clauses
SET
    is_locked = true,
    locked_by = :locked_by,
    locked_at = now()
WHERE id = :clause_id;

-- name: clause_lock_state(clause_id)^
-- A clause's lock flag and holder.
SELECT
    is_locked,
    locked_by
FROM clauses
WHERE id = :clause_id;

-- name: section_lock_events(clause_id)
-- The SECTION_LOCKED audit events of one clause, in chain order.
SELECT
    actor_id,
    before_state,
    after_state,
    reason
FROM audit_events
WHERE event_type = 'SECTION_LOCKED' AND target_id = :clause_id
ORDER BY seq;

-- name: count_section_lock_events(clause_id)$
-- How many SECTION_LOCKED audit events one clause has.
SELECT count(*) AS n
FROM audit_events
WHERE event_type = 'SECTION_LOCKED' AND target_id = :clause_id;

-- name: clause_body(clause_id)^
-- A clause's body.
SELECT body
FROM clauses
WHERE id = :clause_id;

-- name: clause_body_and_author(clause_id)^
-- A clause's body and its last editor.
SELECT
    body,
    last_modified_by
FROM clauses
WHERE id = :clause_id;

-- name: set_clause_body(clause_id, body)!
-- Overwrite a clause's body directly (no audit event, no drift recompute).
UPDATE clauses
SET body = :body
WHERE id = :clause_id;

-- name: insert_clause_level_drift(workspace_id, clause_id, title, type, severity, baseline_value, baseline_approved_at, current_value, current_modified_by)^
-- Open a clause-level drift item (no variable) modified now; its id.
INSERT INTO drift_items (
    workspace_id,
    clause_id,
    variable_id,
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
    :workspace_id,
    :clause_id,
    null,
    :title,
    :type,
    :severity,
    :baseline_value,
    :baseline_approved_at,
    :current_value,
    now(),
    :current_modified_by
)
RETURNING id;
