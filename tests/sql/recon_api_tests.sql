-- SQL used by the reconciliation HTTP tests (tests/api/test_reconciliation.py): reads of the rows the
-- /reconciliations routes write. Loaded with aiosql ("psycopg" adapter, sync autocommit connections, dict rows).

-- name: session_counters(session_id)^
-- One session's counters.
SELECT
    total_items,
    applied_count,
    rejected_count,
    pending_count
FROM reconciliation_sessions
WHERE id = :session_id;

-- name: item_row(item_id)^
-- One item's decision.
SELECT
    decision::text AS decision,
    decided_by,
    decision_reason
FROM reconciliation_items
WHERE id = :item_id;

-- name: workspace_counts(workspace_id)^
-- What an upload writes: sessions, items and audit events of one workspace.
SELECT
    (SELECT count(*) FROM reconciliation_sessions AS s WHERE s.workspace_id = :workspace_id) AS sessions,
    (SELECT count(*) FROM reconciliation_items AS i WHERE i.workspace_id = :workspace_id) AS items,
    (SELECT count(*) FROM audit_events AS a WHERE a.workspace_id = :workspace_id) AS events;

-- name: target_events(target_type, target_id)
-- The audit events of one target, in chain order.
SELECT
    event_type::text AS event_type,
    actor_id,
    before_state,
    after_state,
    reason,
    reason_category::text AS reason_category
FROM audit_events
WHERE target_type = :target_type AND target_id = :target_id
ORDER BY seq;

-- name: clause_body(clause_id)$
-- A clause's body.
SELECT body FROM clauses WHERE id = :clause_id;

-- name: variable_value(variable_id)$
-- A variable's value.
SELECT value FROM variables WHERE id = :variable_id;

-- name: open_clause_drift(clause_id)^
-- The open clause-level drift of a clause.
SELECT
    id,
    severity::text AS severity,
    baseline_value,
    current_value
FROM drift_items
WHERE clause_id = :clause_id AND variable_id IS NULL AND status = 'unresolved';

-- name: drift_current(drift_id)^
-- One drift's current value and severity.
SELECT
    current_value,
    severity::text AS severity,
    status::text AS status
FROM drift_items
WHERE id = :drift_id;
