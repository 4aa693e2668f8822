-- Test-only statements of tests/db/test_q_variables.py: membership changes and lock probes.

-- name: set_member_status(member_id, status)!
-- Turn a membership pending/removed (joined_at stays, which the CHECK allows for non-active rows).
UPDATE workspace_members SET status = :status::member_status
WHERE id = :member_id;

-- name: lock_variable_nowait(variable_id)$
-- Probe: take the variable row lock without waiting (raises LockNotAvailable while another transaction holds it).
SELECT id FROM variables
WHERE id = :variable_id
FOR UPDATE NOWAIT;

-- name: lock_clause_nowait(clause_id)$
-- Probe: what a lock/unlock UPDATE of the clause needs (FOR NO KEY UPDATE), without waiting.
SELECT id FROM clauses
WHERE id = :clause_id
FOR NO KEY UPDATE NOWAIT;

-- name: set_lock_timeout()!
-- Fail instead of hanging if a statement unexpectedly waits for a lock (this transaction only).
SET LOCAL lock_timeout = '2s';

-- name: disable_seqscan()!
-- Make the planner show its index choice on the tiny demo tables (this transaction only).
SET LOCAL enable_seqscan = off;
