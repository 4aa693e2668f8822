-- Downstream connectors (schema.md §6.3, domain.md §10.5).

-- name: insert_default_connectors(workspace_id)!
-- POST /workspaces: one DISCONNECTED connector per connector type, named after its type (enum order).
INSERT INTO downstream_connectors (workspace_id, name, type, status)
SELECT
    :workspace_id,
    t.type::text AS name,
    t.type,
    'DISCONNECTED'::connector_status AS status
FROM unnest(enum_range(NULL::connector_type)) AS t (type);

-- name: list_connectors(workspace_id)
-- GET /golden-records/:ws/connectors: stored rows by type enum order, name (idx_downstream_connectors_workspace_id).
-- row: ConnectorRow
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

-- name: get_connector(workspace_id, connector_id)^
-- One connector of a workspace; none for another workspace's id (downstream_connectors_pkey).
-- row: ConnectorRow
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
WHERE workspace_id = :workspace_id AND id = :connector_id;

-- name: get_connector_for_member(connector_id, user_id)^
-- /golden-records/connectors/:id gate: connector + caller's ACTIVE membership; none = 404 (downstream_connectors_pkey).
SELECT
    c.id,
    c.workspace_id,
    c.name,
    c.type,
    c.status,
    c.last_sync_at,
    c.endpoint_url,
    c.created_at,
    c.updated_at,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM downstream_connectors AS c
INNER JOIN workspace_members AS m
    ON c.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active' -- noqa: RF02
INNER JOIN workspaces AS w ON c.workspace_id = w.id
WHERE c.id = :connector_id; -- noqa: RF02

-- name: configure_connector(workspace_id, connector_id, endpoint_url, name)^
-- PATCH connector: endpoint_url (NULL clears it) and the name when given (downstream_connectors_pkey).
-- params: endpoint_url?, name?
-- row: ConnectorRow
UPDATE downstream_connectors
SET
    endpoint_url = :endpoint_url,
    name = coalesce(:name, name)
WHERE workspace_id = :workspace_id AND id = :connector_id
RETURNING
    id,
    workspace_id,
    name,
    type,
    status,
    last_sync_at,
    endpoint_url,
    created_at,
    updated_at;

-- name: set_connector_status(workspace_id, connector_id, status, synced)^
-- Worker outcome: the connector's status, last_sync_at = now when synced (downstream_connectors_pkey).
-- row: ConnectorRow
UPDATE downstream_connectors
SET
    status = :status,
    last_sync_at = CASE WHEN :synced THEN now() ELSE last_sync_at END
WHERE workspace_id = :workspace_id AND id = :connector_id
RETURNING
    id,
    workspace_id,
    name,
    type,
    status,
    last_sync_at,
    endpoint_url,
    created_at,
    updated_at;

-- name: mark_connectors_published(workspace_id)
-- Publish: with endpoint IN_REVIEW, else READY + last_sync_at = now (idx_downstream_connectors_workspace_id).
-- row: ConnectorRow
UPDATE downstream_connectors
SET
    status = CASE
        WHEN endpoint_url IS NULL THEN 'READY'::connector_status ELSE 'IN_REVIEW'::connector_status
    END,
    last_sync_at = CASE WHEN endpoint_url IS NULL THEN now() ELSE last_sync_at END
WHERE workspace_id = :workspace_id
RETURNING
    id,
    workspace_id,
    name,
    type,
    status,
    last_sync_at,
    endpoint_url,
    created_at,
    updated_at;

-- name: create_deliveries(workspace_id, version_id)
-- Publish: one delivery per connector, pending now if it has an endpoint else skipped (uq_connector_deliveries_*).
-- row: DeliveryRow
INSERT INTO connector_deliveries (workspace_id, connector_id, version_id, status, next_attempt_at)
SELECT
    c.workspace_id,
    c.id AS connector_id,
    v.id AS version_id,
    CASE WHEN c.endpoint_url IS NULL THEN 'skipped'::delivery_status ELSE 'pending'::delivery_status END AS status,
    CASE WHEN c.endpoint_url IS NULL THEN NULL ELSE now() END AS next_attempt_at
FROM downstream_connectors AS c
INNER JOIN golden_record_versions AS v ON c.workspace_id = v.workspace_id AND v.id = :version_id
WHERE c.workspace_id = :workspace_id -- noqa: RF02
ORDER BY c.type, c.name, c.id
ON CONFLICT (connector_id, version_id) DO NOTHING
RETURNING
    id,
    workspace_id,
    connector_id,
    version_id,
    status,
    attempts,
    next_attempt_at,
    last_attempt_at,
    delivered_at,
    last_status_code,
    last_error,
    created_at,
    updated_at;

-- name: supersede_deliveries(workspace_id, version_id)
-- Publish: pending/retrying deliveries of other (older) versions -> superseded, never sent (idx_deliveries_connector).
UPDATE connector_deliveries
SET
    status = 'superseded',
    next_attempt_at = NULL
WHERE
    workspace_id = :workspace_id
    AND connector_id IN (
        SELECT c.id FROM downstream_connectors AS c
        WHERE c.workspace_id = :workspace_id
    )
    AND status IN ('pending', 'retrying')
    AND version_id <> :version_id
RETURNING id, connector_id, version_id;

-- name: claim_due_deliveries(lease, batch_size)
-- Worker: lease due deliveries (SKIP LOCKED), count the attempt, return what the POST needs (idx_deliveries_due).
-- columns: next_attempt_at!
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

-- name: mark_delivered(workspace_id, delivery_id, attempts, status_code)^
-- Worker 2xx: delivered, only under the current lease (attempts) and if not superseded (connector_deliveries_pkey).
-- row: DeliveryRow
UPDATE connector_deliveries
SET
    status = 'delivered',
    delivered_at = now(),
    next_attempt_at = NULL,
    last_status_code = :status_code,
    last_error = NULL
WHERE
    workspace_id = :workspace_id
    AND id = :delivery_id
    AND attempts = :attempts
    AND status IN ('pending', 'retrying')
RETURNING
    id,
    workspace_id,
    connector_id,
    version_id,
    status,
    attempts,
    next_attempt_at,
    last_attempt_at,
    delivered_at,
    last_status_code,
    last_error,
    created_at,
    updated_at;

-- name: mark_retrying(workspace_id, delivery_id, attempts, status_code, error)^
-- Worker 408/429/5xx/network: retrying in min(30 s * 2^(attempts-1), 1 h); lease guard (connector_deliveries_pkey).
-- params: status_code?
-- row: DeliveryRow
UPDATE connector_deliveries
SET
    status = 'retrying',
    next_attempt_at = now() + least(
        interval '30 seconds' * power(2, least(greatest(attempts - 1, 0), 7)), interval '1 hour'
    ),
    last_status_code = :status_code,
    last_error = left(:error, 1000)
WHERE
    workspace_id = :workspace_id
    AND id = :delivery_id
    AND attempts = :attempts
    AND status IN ('pending', 'retrying')
RETURNING
    id,
    workspace_id,
    connector_id,
    version_id,
    status,
    attempts,
    next_attempt_at,
    last_attempt_at,
    delivered_at,
    last_status_code,
    last_error,
    created_at,
    updated_at;

-- name: mark_failed(workspace_id, delivery_id, attempts, status_code, error)^
-- Worker other status or attempts spent: failed, terminal; error cut to 1000 chars (connector_deliveries_pkey).
-- params: status_code?
-- row: DeliveryRow
UPDATE connector_deliveries
SET
    status = 'failed',
    next_attempt_at = NULL,
    last_status_code = :status_code,
    last_error = left(:error, 1000)
WHERE
    workspace_id = :workspace_id
    AND id = :delivery_id
    AND attempts = :attempts
    AND status IN ('pending', 'retrying')
RETURNING
    id,
    workspace_id,
    connector_id,
    version_id,
    status,
    attempts,
    next_attempt_at,
    last_attempt_at,
    delivered_at,
    last_status_code,
    last_error,
    created_at,
    updated_at;

-- name: list_deliveries(workspace_id, connector_id, page_limit)
-- GET /golden-records/connectors/:id/deliveries: newest first, with version number (idx_deliveries_connector).
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
