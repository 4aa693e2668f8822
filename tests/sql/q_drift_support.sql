-- Test-only statements of tests/db/test_q_drift.py: planner switches, membership changes and lock probes.

-- name: disable_seqscan()!
-- Make the planner show its index choice on the tiny demo tables (this transaction only).
SET LOCAL enable_seqscan = off;

-- name: set_member_status(member_id, status)!
-- Turn a membership pending/removed (joined_at stays, which the CHECK allows for non-active rows).
UPDATE workspace_members SET status = :status::member_status
WHERE id = :member_id;

-- name: lock_drift_nowait(drift_id)$
-- Probe: take the drift row lock without waiting (raises LockNotAvailable while another transaction holds it).
SELECT id FROM drift_items
WHERE id = :drift_id
FOR UPDATE NOWAIT;

-- name: open_drift_ids(variable_id)
-- Every unresolved drift of a variable (I1: at most one).
SELECT id FROM drift_items
WHERE variable_id = :variable_id AND status = 'unresolved'
ORDER BY id;

-- name: set_lock_timeout()!
-- Fail fast instead of waiting for a row lock (this transaction only).
SET LOCAL lock_timeout = '100ms';

-- name: clear_variable_provenance(variable_id)!
-- A variable as an old bind or a deleted user leaves it: no baseline approval time, no last modifier.
UPDATE variables SET baseline_approved_at = NULL, last_modified_by = NULL
WHERE id = :variable_id;

-- name: clause_body(clause_id)$
-- The clause text a clause-level drift mirrors.
SELECT body FROM clauses
WHERE id = :clause_id;
