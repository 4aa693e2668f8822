-- Test-only SQL of tests/db/test_q_reconciliation.py.

-- name: delete_clause(clause_id)!
-- Delete a clause; its reconciliation items go by the FK cascade (the app releases their counters first).
DELETE FROM clauses
WHERE id = :clause_id;

-- name: session_counters(session_id)^
-- A session's counters as stored.
SELECT
    s.total_items,
    s.applied_count,
    s.rejected_count,
    s.pending_count
FROM reconciliation_sessions AS s
WHERE s.id = :session_id;

-- name: item_rows(session_id)$
-- Number of item rows of a session.
SELECT count(*)
FROM reconciliation_items AS i
WHERE i.session_id = :session_id;
