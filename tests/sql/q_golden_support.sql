-- Test-only statements of tests/db/test_q_golden.py: planner switches and the state changes the golden record reads
-- must follow (graph integrity, governance rule, drift, variables, covenants, memberships).

-- name: disable_seqscan()!
-- Make the planner show its index choice on the tiny demo tables (this transaction only).
SET LOCAL enable_seqscan = off;

-- name: graph_integrity(workspace_id)$
-- The cached integrity the status inputs must return.
SELECT integrity_score FROM graph_state
WHERE workspace_id = :workspace_id;

-- name: set_graph_integrity(workspace_id, integrity_score)!
-- A graph build's cached integrity.
UPDATE graph_state SET integrity_score = :integrity_score
WHERE workspace_id = :workspace_id;

-- name: set_rule(workspace_id, rule, enabled)!
-- Turn one governance rule on or off.
UPDATE workspaces SET governance_rules = jsonb_set(governance_rules, ARRAY[:rule::text], to_jsonb(:enabled::boolean))
WHERE id = :workspace_id;

-- name: approve_drift(drift_id)!
-- A risk approval closes an open drift.
UPDATE drift_items SET status = 'approved', approved_by = 'user-003', approved_at = now()
WHERE id = :drift_id;

-- name: set_variable_value(variable_id, value)!
-- A variable edit (the covenant's effective threshold follows it).
UPDATE variables SET value = :value
WHERE id = :variable_id;

-- name: set_covenant(covenant_id, threshold, variable_id)$
-- Rewrite a covenant's stored threshold and binding; returns its new updated_at (the export watermark).
UPDATE covenants SET threshold = :threshold, variable_id = :variable_id
WHERE id = :covenant_id
RETURNING updated_at;

-- name: set_member_status(member_id, status)!
-- Turn a membership pending/removed (joined_at stays, which the CHECK allows for non-active rows).
UPDATE workspace_members SET status = :status::member_status
WHERE id = :member_id;

-- name: insert_workspace(workspace_id)!
-- A bare new workspace (no golden record, graph state or connectors yet), as POST /workspaces starts it.
INSERT INTO workspaces (id, name, created_by_id)
VALUES (:workspace_id, 'Project Delta', 'user-001');

-- name: analyze_versions()!
-- Planner statistics for the versions a test just published (an empty table's estimates tie between indexes).
ANALYZE golden_record_versions;
