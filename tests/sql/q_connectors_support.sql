-- Test-only statements of tests/db/test_q_connectors.py: planner switches, memberships and delivery clock changes.

-- name: disable_seqscan()!
-- Make the planner show its index choice on the tiny demo tables (this transaction only).
SET LOCAL enable_seqscan = off;

-- name: set_member_status(member_id, status)!
-- Turn a membership pending/removed (joined_at stays, which the CHECK allows for non-active rows).
UPDATE workspace_members SET status = :status::member_status
WHERE id = :member_id;

-- name: make_due(delivery_id)!
-- Let a leased or backed-off delivery's time pass: due one second ago.
UPDATE connector_deliveries SET next_attempt_at = now() - interval '1 second'
WHERE id = :delivery_id;

-- name: set_attempts(delivery_id, attempts)!
-- Jump a delivery's attempt counter (backoff cap).
UPDATE connector_deliveries SET attempts = :attempts
WHERE id = :delivery_id;

-- name: insert_workspace(workspace_id)!
-- A bare new workspace (no connectors yet), as POST /workspaces starts it.
INSERT INTO workspaces (id, name, created_by_id)
VALUES (:workspace_id, 'Project Delta', 'user-001');
