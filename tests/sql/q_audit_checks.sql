-- Test-only SQL of tests/db/test_q_audit.py: plan checks (EXPLAIN of verbatim copies of sql/audit.sql queries;
-- the test asserts each copy still equals the production text), a naive reference union, membership edits.

-- name: explain_list_workspace_events(workspace_id, page_limit)$
-- EXPLAIN (FORMAT JSON) of audit.list_workspace_events.
EXPLAIN (FORMAT JSON)
SELECT
    e.id,
    e.workspace_id,
    e.timestamp,
    e.actor_id,
    e.actor_name,
    e.event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category,
    e.seq,
    e.hash
FROM audit_events AS e
WHERE e.workspace_id = :workspace_id
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit;

-- name: explain_list_workspace_events_after(workspace_id, before_ts, before_id, page_limit)$
-- EXPLAIN (FORMAT JSON) of audit.list_workspace_events_after.
EXPLAIN (FORMAT JSON)
SELECT
    e.id,
    e.workspace_id,
    e.timestamp,
    e.actor_id,
    e.actor_name,
    e.event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category,
    e.seq,
    e.hash
FROM audit_events AS e
WHERE
    e.workspace_id = :workspace_id
    AND (e.timestamp, e.id) < (:before_ts, :before_id)
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit;

-- name: explain_list_workspace_events_page(workspace_id, page_limit, page_offset)$
-- EXPLAIN (FORMAT JSON) of audit.list_workspace_events_page.
EXPLAIN (FORMAT JSON)
SELECT
    e.id,
    e.workspace_id,
    e.timestamp,
    e.actor_id,
    e.actor_name,
    e.event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category,
    e.seq,
    e.hash
FROM audit_events AS e
WHERE e.workspace_id = :workspace_id
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: explain_list_scoped_events(workspace_ids, actor_id, page_limit)$
-- EXPLAIN (FORMAT JSON) of audit.list_scoped_events.
EXPLAIN (FORMAT JSON)
SELECT
    e.id,
    e.workspace_id,
    e.timestamp,
    e.actor_id,
    e.actor_name,
    e.event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category,
    e.seq,
    e.hash
FROM (
    SELECT
        u.id,
        u.timestamp
    FROM (
        SELECT
            x.id,
            x.timestamp
        FROM unnest(:workspace_ids::text[]) AS w (id)
        CROSS JOIN
            LATERAL (
                SELECT
                    a.id,
                    a.timestamp
                FROM audit_events AS a
                WHERE a.workspace_id = w.id
                ORDER BY a.timestamp DESC, a.id DESC
                LIMIT :page_limit
            ) AS x
        UNION ALL
        (
            SELECT
                g.id,
                g.timestamp
            FROM audit_events AS g
            WHERE g.workspace_id IS NULL AND g.actor_id = :actor_id
            ORDER BY g.timestamp DESC, g.id DESC
            LIMIT :page_limit
        )
    ) AS u
    ORDER BY u.timestamp DESC, u.id DESC
    LIMIT :page_limit
) AS k
INNER JOIN audit_events AS e ON k.id = e.id
ORDER BY e.timestamp DESC, e.id DESC;

-- name: explain_list_target_events(target_type, target_id, workspace_ids, global_actor_id, before_ts, before_id, page_limit, page_offset)$
-- EXPLAIN (FORMAT JSON) of audit.list_target_events.
EXPLAIN (FORMAT JSON)
SELECT
    e.id,
    e.workspace_id,
    e.timestamp,
    e.actor_id,
    e.actor_name,
    e.event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category,
    e.seq,
    e.hash
FROM audit_events AS e
WHERE
    e.target_type = :target_type
    AND e.target_id = :target_id
    AND (
        e.workspace_id = any(:workspace_ids::text[])
        OR (e.workspace_id IS NULL AND e.actor_id = :global_actor_id)
    )
    AND (e.timestamp, e.id)
    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: explain_chain_events_batch(chain_id, after_seq, batch_size)$
-- EXPLAIN (FORMAT JSON) of audit.chain_events_batch.
EXPLAIN (FORMAT JSON)
SELECT
    e.chain_id,
    e.seq,
    e.id,
    e.workspace_id,
    e.timestamp,
    e.actor_id,
    e.actor_name,
    e.event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category,
    e.prev_hash,
    e.hash
FROM audit_events AS e
WHERE e.chain_id = :chain_id AND e.seq > :after_seq
ORDER BY e.seq
LIMIT :batch_size;

-- name: disable_seqscan()!
-- Make the planner show the index it would use on the tiny demo tables (session setting of the test connection).
SET enable_seqscan = off;

-- name: naive_scoped_ids(workspace_ids, actor_id)
-- Reference for the LATERAL union: every visible event id, ordered the plain way.
SELECT e.id
FROM audit_events AS e
WHERE e.workspace_id = any(:workspace_ids::text[]) OR (e.workspace_id IS NULL AND e.actor_id = :actor_id)
ORDER BY e.timestamp DESC, e.id DESC;

-- name: set_member_status(member_id, status)!
-- Move a membership out of (or back to) active.
UPDATE workspace_members SET status = :status::member_status
WHERE id = :member_id;
