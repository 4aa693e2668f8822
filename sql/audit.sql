-- Audit trail: appends (the chain trigger computes seq/prev_hash/hash), reads and verification (domain.md §11).

-- name: append_event(workspace_id, actor_id, actor_name, event_type, target_type, target_id, before_state, after_state, reason, reason_category)$
-- Append one event in the caller's transaction; the BEFORE INSERT trigger chains it (uq_audit_chain_seq).
-- params: workspace_id?, target_type?, target_id?, before_state?, after_state?, reason?, reason_category?
INSERT INTO audit_events (
    workspace_id, actor_id, actor_name, event_type, target_type, target_id,
    before_state, after_state, reason, reason_category
)
VALUES (
    :workspace_id, :actor_id, :actor_name, :event_type, :target_type, :target_id,
    :before_state, :after_state, :reason, :reason_category
)
RETURNING id;
