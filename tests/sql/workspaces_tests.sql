-- SQL used by the workspace, member and governance HTTP tests (tests/api/test_workspaces.py, test_members.py,
-- test_governance.py): reads of the rows those routes write, and a few direct writes that set up state no route
-- in their scope can create (drift items, a graph score). Loaded with aiosql ("psycopg" adapter, sync autocommit
-- connections to the same database the app under test uses).

-- name: audit_events_of(workspace_id)
-- Every audit event of one workspace in chain order, with the JSONB states.
SELECT
    event_type::text AS event_type,
    actor_id,
    actor_name,
    target_type,
    target_id,
    before_state,
    after_state,
    reason,
    reason_category::text AS reason_category
FROM audit_events
WHERE workspace_id = :workspace_id
ORDER BY seq;

-- name: workspace_row(workspace_id)^
-- The stored workspace row.
SELECT
    id,
    name,
    currency,
    amount::text AS amount,
    standard,
    base_pdf_name,
    created_by_id,
    governance_rules,
    archived_at,
    updated_at
FROM workspaces
WHERE id = :workspace_id;

-- name: workspace_count()$
-- How many workspaces exist at all.
SELECT count(*) AS n FROM workspaces;

-- name: member_row(member_id)^
-- One stored membership.
SELECT
    id,
    workspace_id,
    user_id,
    role::text AS role,
    is_admin,
    is_external,
    status::text AS status,
    invited_at,
    joined_at
FROM workspace_members
WHERE id = :member_id;

-- name: members_of(workspace_id)
-- Every stored membership of a workspace.
SELECT
    id,
    user_id,
    role::text AS role,
    is_admin,
    is_external,
    status::text AS status
FROM workspace_members
WHERE workspace_id = :workspace_id
ORDER BY invited_at, id;

-- name: connectors_of(workspace_id)
-- The workspace's connectors in type enum order.
SELECT
    c.name,
    c.type::text AS type,
    c.status::text AS status,
    c.last_sync_at,
    c.endpoint_url
FROM downstream_connectors AS c
WHERE c.workspace_id = :workspace_id
ORDER BY c.type, c.name;

-- name: golden_record_of(workspace_id)^
-- The workspace's golden record row.
SELECT
    status::text AS status,
    integrity_score,
    unresolved_high_drift_count,
    last_export_at,
    last_publish_at,
    schema_json
FROM golden_records
WHERE workspace_id = :workspace_id;

-- name: graph_state_of(workspace_id)^
-- The workspace's graph_state row.
SELECT
    integrity_score,
    node_count,
    edge_count,
    drift_node_count,
    warning_node_count
FROM graph_state
WHERE workspace_id = :workspace_id;

-- name: clauses_of(workspace_id)
-- The workspace's clauses in order.
SELECT
    title,
    body,
    type::text AS type,
    "order",
    is_sensitive,
    is_locked,
    last_modified_by
FROM clauses
WHERE workspace_id = :workspace_id
ORDER BY "order";

-- name: set_integrity_score(workspace_id, score)!
-- Pretend a graph build computed another integrity score.
UPDATE graph_state SET integrity_score = :score
WHERE workspace_id = :workspace_id;

-- name: insert_drift(workspace_id, clause_order, actor_id, status)!
-- One drift item on the clause at `clause_order` with the given status (approved-like statuses get approved_at).
INSERT INTO drift_items (
    workspace_id, clause_id, title, type, severity, baseline_value, baseline_approved_at, current_value,
    current_modified_at, current_modified_by, status, approved_at
)
SELECT
    c.workspace_id,
    c.id,
    c.title,
    c.type,
    'HIGH' AS severity,
    '1' AS baseline_value,
    now() AS baseline_approved_at,
    '2' AS current_value,
    now() AS current_modified_at,
    :actor_id,
    :status::drift_status AS status,
    CASE WHEN :status::drift_status = 'unresolved' THEN NULL ELSE now() END AS approved_at
FROM clauses AS c
WHERE c.workspace_id = :workspace_id AND c."order" = :clause_order;

-- name: forbid_boom_clause()!
-- Make any clause titled "1. Boom" violate a CHECK, to fail a workspace creation half-way (test databases only).
ALTER TABLE clauses ADD CONSTRAINT ck_test_no_boom CHECK (title <> '1. Boom');

-- name: count_events_of_type(event_type)$
-- How many audit events of one type exist in any chain.
SELECT count(*) AS n
FROM audit_events
WHERE event_type = :event_type::audit_event_type;

-- name: count_member_rows()$
-- How many memberships exist at all.
SELECT count(*) AS n FROM workspace_members;

-- name: lock_member_rows(workspace_id)
-- Hold the member rows of a workspace (in the caller's transaction) so concurrent requests queue behind it.
SELECT id
FROM workspace_members
WHERE workspace_id = :workspace_id
ORDER BY id
FOR UPDATE;

-- name: lock_waiters()$
-- How many sessions of this database are waiting for a lock.
SELECT count(*) AS n
FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock';
