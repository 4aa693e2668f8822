-- Plans of the hot connector/outbox queries for tests/db/test_q_connectors.py: each body is the query of
-- sql/connectors.sql verbatim (the test checks it), prefixed by EXPLAIN (FORMAT JSON).

-- name: explain_claim_due_deliveries(lease, batch_size)$
-- Plan of claim_due_deliveries (must stay the same text as in sql/connectors.sql).
EXPLAIN (FORMAT JSON)
UPDATE connector_deliveries AS d
SET
    next_attempt_at = now() + :lease::interval,
    attempts = d.attempts + 1,
    last_attempt_at = now()
FROM downstream_connectors AS c, golden_record_versions AS v
WHERE
    d.id IN (
        SELECT due.id
        FROM connector_deliveries AS due
        WHERE due.status IN ('pending', 'retrying') AND due.next_attempt_at <= now()
        ORDER BY due.next_attempt_at
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    )
    AND d.workspace_id = c.workspace_id
    AND d.connector_id = c.id
    AND d.workspace_id = v.workspace_id
    AND d.version_id = v.id
RETURNING
    d.id,
    d.workspace_id,
    d.connector_id,
    d.version_id,
    d.status,
    d.attempts,
    d.next_attempt_at,
    c.endpoint_url,
    v.version,
    v.content_hash,
    v.document;

-- name: explain_list_deliveries(workspace_id, connector_id, page_limit)$
-- Plan of list_deliveries (must stay the same text as in sql/connectors.sql).
EXPLAIN (FORMAT JSON)
SELECT
    d.id,
    d.connector_id,
    d.version_id,
    v.version,
    d.status,
    d.attempts,
    d.next_attempt_at,
    d.last_attempt_at,
    d.last_status_code,
    d.last_error,
    d.delivered_at,
    d.created_at
FROM connector_deliveries AS d
INNER JOIN golden_record_versions AS v ON d.workspace_id = v.workspace_id AND d.version_id = v.id
WHERE d.workspace_id = :workspace_id AND d.connector_id = :connector_id -- noqa: RF02
ORDER BY d.created_at DESC, d.id DESC
LIMIT :page_limit;

-- name: explain_list_connectors(workspace_id)$
-- Plan of list_connectors (must stay the same text as in sql/connectors.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    workspace_id,
    name,
    type,
    status,
    last_sync_at,
    endpoint_url,
    created_at,
    updated_at
FROM downstream_connectors
WHERE workspace_id = :workspace_id
ORDER BY type, name, id;
