-- Test-only statements of tests/services/test_delivery.py and tests/cli/test_worker.py: read a delivery and its
-- connector as the worker left them, and let a lease or backoff pass.

-- name: get_delivery(delivery_id)^
-- One delivery with the wait before its next attempt (NULL when terminal).
SELECT
    id,
    status,
    attempts,
    next_attempt_at,
    last_attempt_at,
    delivered_at,
    last_status_code,
    last_error,
    next_attempt_at - updated_at AS wait
FROM connector_deliveries
WHERE id = :delivery_id;

-- name: get_connector_state(connector_id)^
-- A connector's status and last sync.
SELECT
    status::text AS status,
    last_sync_at
FROM downstream_connectors
WHERE id = :connector_id;

-- name: make_due(delivery_id)!
-- Let a lease or backoff pass: due one second ago (terminal rows have no next attempt and stay so).
UPDATE connector_deliveries SET next_attempt_at = now() - interval '1 second'
WHERE id = :delivery_id AND status IN ('pending', 'retrying');

-- name: lease_left(delivery_id)$
-- Seconds until a leased delivery is due again.
SELECT extract(EPOCH FROM next_attempt_at - now())::float AS seconds
FROM connector_deliveries
WHERE id = :delivery_id;

-- name: clause_search_marker(clause_id, word)!
-- Put a word into one clause's body (so a search shows which database it read).
UPDATE clauses SET body = body || ' ' || :word
WHERE id = :clause_id;

-- name: count_events(chain_id, event_type)$
-- Audit events of one type in one chain.
SELECT count(*) FROM audit_events
WHERE chain_id = :chain_id AND event_type = :event_type::audit_event_type;
