-- Invariants checked after the concurrent-load test (tests/reliability/test_load_consistency.py). Each query returns
-- the rows that break its invariant, so an empty result is a pass.

-- name: clause_body(clause_id)$
-- A clause's body.
SELECT body FROM clauses WHERE id = :clause_id;

-- name: variables_with_several_open_drifts()
-- A variable may have at most one unresolved drift.
SELECT
    d.variable_id,
    count(*) AS open_drifts
FROM drift_items AS d
WHERE d.variable_id IS NOT NULL AND d.status = 'unresolved'
GROUP BY d.variable_id
HAVING count(*) > 1;

-- name: drift_not_mirroring_variable(variable_ids)
-- The edited variables' open drift mirrors the variable: present iff value differs from the baseline text, with
-- current_value = value.
SELECT
    v.id,
    v.value,
    v.baseline_value,
    d.current_value
FROM variables AS v
LEFT JOIN drift_items AS d
    ON v.workspace_id = d.workspace_id AND v.id = d.variable_id AND d.status = 'unresolved'
WHERE
    v.id = any(:variable_ids)
    AND (
        (v.value = v.baseline_value AND d.id IS NOT NULL)
        OR (v.value <> v.baseline_value AND (d.id IS NULL OR d.current_value <> v.value))
    );

-- name: sessions_with_wrong_counters()
-- Session counters equal the decisions of its items.
SELECT
    s.id,
    s.total_items,
    s.applied_count,
    s.rejected_count,
    s.pending_count,
    count(i.id) AS items,
    count(i.id) FILTER (WHERE i.decision = 'applied') AS applied,
    count(i.id) FILTER (WHERE i.decision = 'rejected') AS rejected,
    count(i.id) FILTER (WHERE i.decision = 'pending') AS pending
FROM reconciliation_sessions AS s
LEFT JOIN reconciliation_items AS i ON s.workspace_id = i.workspace_id AND s.id = i.session_id
GROUP BY s.id
HAVING
    s.total_items <> count(i.id)
    OR s.applied_count <> count(i.id) FILTER (WHERE i.decision = 'applied')
    OR s.rejected_count <> count(i.id) FILTER (WHERE i.decision = 'rejected')
    OR s.pending_count <> count(i.id) FILTER (WHERE i.decision = 'pending');

-- name: items_with_wrong_decision_events()
-- A decided item has exactly one RECON_APPLY/RECON_REJECT event matching its decision; a pending one has none.
SELECT
    i.id,
    i.decision::text AS decision,
    count(a.id) AS events,
    count(a.id) FILTER (
        WHERE a.event_type = CASE i.decision WHEN 'applied' THEN 'RECON_APPLY'::audit_event_type
        ELSE 'RECON_REJECT'::audit_event_type END
    ) AS matching
FROM reconciliation_items AS i
LEFT JOIN audit_events AS a
    ON
        a.target_type = 'reconciliation_item'
        AND a.target_id = i.id
        AND a.event_type IN ('RECON_APPLY', 'RECON_REJECT')
WHERE i.workspace_id = 'ws-001'
GROUP BY i.id
HAVING
    (i.decision = 'pending' AND count(a.id) > 0)
    OR (i.decision <> 'pending' AND (count(a.id) <> 1 OR count(a.id) FILTER (
        WHERE a.event_type = CASE i.decision WHEN 'applied' THEN 'RECON_APPLY'::audit_event_type
        ELSE 'RECON_REJECT'::audit_event_type END
    ) <> 1));
