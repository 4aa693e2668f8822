-- Audit trail: appends (the chain trigger computes seq/prev_hash/hash), reads and verification (domain.md §11).
--
-- Lists return the API's AuditEvent columns, states as their compact JSON text (api.md §2), newest first
-- (timestamp DESC, id DESC). A workspace list is one range scan of idx_audit_ws_keyset, already in list order; the
-- keyset cursor (timestamp, id) < (before_ts, before_id) is an index condition, so page 1000 costs what page 1 costs.
-- Without workspaceId one B-tree cannot order `workspace_id = ANY(...)`: each visible workspace gets its own LIMITed
-- keyset scan (LATERAL) plus the caller's global events (idx_audit_global_actor); the (timestamp, id) keys are merged,
-- cut to the page, and only the page's rows are fetched (audit_events_pkey).
-- Filtered lists serve both modes: keyset (before_ts/before_id set, page_offset 0) and `page=` (no cursor,
-- page_offset); an absent cursor is the (infinity, '') sentinel and absent date bounds are -infinity/infinity, which
-- keeps them index conditions under a generic plan. Hot filters have their own query; list_events_filtered covers
-- any combination. Keyword (domain.md §11.6): full callers match the whole search_vector; limited callers only
-- actor name and target, so filtering cannot leak what their projection hides.
-- sqlfluff:rules:references.qualification:ignore_words:workspace_id,workspace_ids,full_workspace_ids,limited_workspace_ids,user_id,actor_id,global_actor_id,event_id,event_type,target_type,target_id,start_at,end_at,keyword,before_ts,before_id,page_limit,page_offset,chain_id,after_seq,batch_size
-- (aiosql parameters: the placeholder templater renders `:name` as a bare word, which RF02 takes for a column)

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

-- name: list_workspace_events(workspace_id, page_limit)
-- First page of a workspace's events, newest first (idx_audit_ws_keyset range scan, no sort).
-- row: AuditEventRow
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

-- name: list_workspace_events_after(workspace_id, before_ts, before_id, page_limit)
-- Keyset page after the cursor row, cost independent of depth (idx_audit_ws_keyset).
-- row: AuditEventRow
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

-- name: list_workspace_events_page(workspace_id, page_limit, page_offset)
-- `page=` mode: a workspace's events by offset, newest first (idx_audit_ws_keyset).
-- row: AuditEventRow
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

-- name: count_workspace_events(workspace_id)$
-- Page-mode total of an unfiltered workspace list: the chain head's last_seq (audit_chain_heads_pkey).
SELECT coalesce(max(h.last_seq), 0) AS total
FROM audit_chain_heads AS h
WHERE h.chain_id = :workspace_id;

-- name: list_global_events(actor_id, page_limit)
-- First page of the caller's global events, newest first (idx_audit_global_actor).
-- row: AuditEventRow
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
WHERE e.workspace_id IS NULL AND e.actor_id = :actor_id
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit;

-- name: list_global_events_after(actor_id, before_ts, before_id, page_limit)
-- Keyset page of the caller's global events after the cursor row (idx_audit_global_actor).
-- row: AuditEventRow
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
    e.workspace_id IS NULL
    AND e.actor_id = :actor_id
    AND (e.timestamp, e.id) < (:before_ts, :before_id)
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit;

-- name: count_global_events(actor_id)$
-- Number of the caller's global events (idx_audit_global_actor).
SELECT count(*) AS total
FROM audit_events AS e
WHERE e.workspace_id IS NULL AND e.actor_id = :actor_id;

-- name: list_scoped_events(workspace_ids, actor_id, page_limit)
-- Unscoped first page: visible workspaces (LATERAL idx_audit_ws_keyset) + own globals (idx_audit_global_actor).
-- row: AuditEventRow
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

-- name: list_scoped_events_after(workspace_ids, actor_id, before_ts, before_id, page_limit)
-- Unscoped keyset page after the cursor row (LATERAL idx_audit_ws_keyset scans, idx_audit_global_actor).
-- row: AuditEventRow
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
                WHERE
                    a.workspace_id = w.id
                    AND (a.timestamp, a.id) < (:before_ts, :before_id)
                ORDER BY a.timestamp DESC, a.id DESC
                LIMIT :page_limit
            ) AS x
        UNION ALL
        (
            SELECT
                g.id,
                g.timestamp
            FROM audit_events AS g
            WHERE
                g.workspace_id IS NULL
                AND g.actor_id = :actor_id
                AND (g.timestamp, g.id) < (:before_ts, :before_id)
            ORDER BY g.timestamp DESC, g.id DESC
            LIMIT :page_limit
        )
    ) AS u
    ORDER BY u.timestamp DESC, u.id DESC
    LIMIT :page_limit
) AS k
INNER JOIN audit_events AS e ON k.id = e.id
ORDER BY e.timestamp DESC, e.id DESC;

-- name: list_scoped_events_page(workspace_ids, actor_id, page_limit, page_offset)
-- Unscoped `page=` mode, each scan keeps offset + limit keys (LATERAL idx_audit_ws_keyset, idx_audit_global_actor).
-- row: AuditEventRow
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
                LIMIT :page_limit::integer + :page_offset::integer
            ) AS x
        UNION ALL
        (
            SELECT
                g.id,
                g.timestamp
            FROM audit_events AS g
            WHERE g.workspace_id IS NULL AND g.actor_id = :actor_id
            ORDER BY g.timestamp DESC, g.id DESC
            LIMIT :page_limit::integer + :page_offset::integer
        )
    ) AS u
    ORDER BY u.timestamp DESC, u.id DESC
    LIMIT :page_limit OFFSET :page_offset
) AS k
INNER JOIN audit_events AS e ON k.id = e.id
ORDER BY e.timestamp DESC, e.id DESC;

-- name: count_scoped_events(workspace_ids, actor_id)$
-- Unscoped page-mode total: the chains' last_seq + own global events (audit_chain_heads_pkey, idx_audit_global_actor).
SELECT
    coalesce((
        SELECT sum(h.last_seq)
        FROM audit_chain_heads AS h
        WHERE h.chain_id = any(:workspace_ids::text[])
    ), 0)::bigint
    + (
        SELECT count(*)
        FROM audit_events AS g
        WHERE g.workspace_id IS NULL AND g.actor_id = :actor_id
    ) AS total;

-- name: list_audit_memberships(user_id)
-- The caller's active memberships + guard fields, to scope and project unscoped lists (idx_workspace_members_active).
SELECT
    m.workspace_id,
    m.role,
    m.is_admin,
    m.is_external,
    m.status,
    w.governance_rules,
    w.archived_at
FROM workspace_members AS m
INNER JOIN workspaces AS w ON m.workspace_id = w.id
WHERE m.user_id = :user_id AND m.status = 'active'
ORDER BY m.workspace_id;

-- name: list_workspace_events_by_type(workspace_id, event_type, before_ts, before_id, page_limit, page_offset)
-- A workspace's events of one type, newest first (idx_audit_ws_keyset range scan, event_type as filter).
-- params: before_ts?, before_id?
-- row: AuditEventRow
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
    AND e.event_type = :event_type
    AND (e.timestamp, e.id)
    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: count_workspace_events_by_type(workspace_id, event_type)$
-- Exact total of a workspace's events of one type (idx_audit_ws_keyset or idx_audit_events_event_type).
SELECT count(*) AS total
FROM audit_events AS e
WHERE e.workspace_id = :workspace_id AND e.event_type = :event_type;

-- name: list_workspace_events_by_actor(workspace_id, actor_id, before_ts, before_id, page_limit, page_offset)
-- A workspace's events by one actor, newest first (idx_audit_ws_keyset range scan, actor_id as filter).
-- params: before_ts?, before_id?
-- row: AuditEventRow
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
    AND e.actor_id = :actor_id
    AND (e.timestamp, e.id)
    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: count_workspace_events_by_actor(workspace_id, actor_id)$
-- Exact total of a workspace's events by one actor (idx_audit_ws_keyset or idx_audit_events_actor_id).
SELECT count(*) AS total
FROM audit_events AS e
WHERE e.workspace_id = :workspace_id AND e.actor_id = :actor_id;

-- name: list_workspace_events_in_range(workspace_id, start_at, end_at, before_ts, before_id, page_limit, page_offset)
-- A workspace's events with start_at <= timestamp <= end_at, newest first (idx_audit_ws_keyset range).
-- params: start_at?, end_at?, before_ts?, before_id?
-- row: AuditEventRow
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
    AND e.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
    AND e.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
    AND (e.timestamp, e.id)
    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: count_workspace_events_in_range(workspace_id, start_at, end_at)$
-- Exact total of a workspace's events in a date range (idx_audit_ws_keyset range).
-- params: start_at?, end_at?
SELECT count(*) AS total
FROM audit_events AS e
WHERE
    e.workspace_id = :workspace_id
    AND e.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
    AND e.timestamp <= coalesce(:end_at::timestamptz, 'infinity');

-- name: list_target_events(target_type, target_id, workspace_ids, global_actor_id, before_ts, before_id, page_limit, page_offset)
-- One target's events in the caller's scope, newest first (/audit/target, targetType+targetId; idx_audit_target).
-- params: global_actor_id?, before_ts?, before_id?
-- row: AuditEventRow
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

-- name: count_target_events(target_type, target_id, workspace_ids, global_actor_id)$
-- Exact total of one target's visible events (idx_audit_target).
-- params: global_actor_id?
SELECT count(*) AS total
FROM audit_events AS e
WHERE
    e.target_type = :target_type
    AND e.target_id = :target_id
    AND (
        e.workspace_id = any(:workspace_ids::text[])
        OR (e.workspace_id IS NULL AND e.actor_id = :global_actor_id)
    );

-- name: search_workspace_events(workspace_id, keyword, before_ts, before_id, page_limit, page_offset)
-- Keyword search of a workspace for audit:viewFull callers, newest first (idx_audit_search, idx_audit_ws_keyset).
-- params: before_ts?, before_id?
-- row: AuditEventRow
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
    AND e.search_vector @@ websearch_to_tsquery('simple', :keyword)
    AND (e.timestamp, e.id)
    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: count_search_workspace_events(workspace_id, keyword)$
-- Exact total of a full caller's keyword search in a workspace (idx_audit_search).
SELECT count(*) AS total
FROM audit_events AS e
WHERE
    e.workspace_id = :workspace_id
    AND e.search_vector @@ websearch_to_tsquery('simple', :keyword);

-- name: search_workspace_events_limited(workspace_id, keyword, before_ts, before_id, page_limit, page_offset)
-- Keyword search for audit:viewLimited callers: actor name and target only (idx_audit_ws_keyset scan).
-- params: before_ts?, before_id?
-- row: AuditEventRow
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
    AND to_tsvector(
        'simple',
        coalesce(e.actor_name, '') || ' ' || coalesce(e.target_type, '') || ' ' || coalesce(e.target_id, '')
    ) @@ websearch_to_tsquery('simple', :keyword)
    AND (e.timestamp, e.id)
    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: count_search_workspace_events_limited(workspace_id, keyword)$
-- Exact total of a limited caller's keyword search in a workspace (idx_audit_ws_keyset scan).
SELECT count(*) AS total
FROM audit_events AS e
WHERE
    e.workspace_id = :workspace_id
    AND to_tsvector(
        'simple',
        coalesce(e.actor_name, '') || ' ' || coalesce(e.target_type, '') || ' ' || coalesce(e.target_id, '')
    ) @@ websearch_to_tsquery('simple', :keyword);

-- name: list_events_filtered(full_workspace_ids, limited_workspace_ids, global_actor_id, event_type, actor_id, target_type, target_id, start_at, end_at, keyword, before_ts, before_id, page_limit, page_offset)
-- Any filter combination, in or across workspaces (LATERAL idx_audit_ws_keyset per workspace, idx_audit_global_actor).
-- params: global_actor_id?, event_type?, actor_id?, target_type?, target_id?, start_at?, end_at?, keyword?, before_ts?, before_id?
-- row: AuditEventRow
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
        FROM (
            SELECT
                f.id,
                FALSE AS limited
            FROM unnest(:full_workspace_ids::text[]) AS f (id)
            UNION ALL
            SELECT
                l.id,
                TRUE AS limited
            FROM unnest(:limited_workspace_ids::text[]) AS l (id)
        ) AS w
        CROSS JOIN
            LATERAL (
                SELECT
                    a.id,
                    a.timestamp
                FROM audit_events AS a
                WHERE
                    a.workspace_id = w.id
                    AND a.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
                    AND a.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
                    AND (a.timestamp, a.id)
                    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
                    AND (:event_type::audit_event_type IS NULL OR a.event_type = :event_type)
                    AND (:actor_id::text IS NULL OR a.actor_id = :actor_id)
                    AND (:target_type::text IS NULL OR a.target_type = :target_type)
                    AND (:target_id::text IS NULL OR a.target_id = :target_id)
                    AND (
                        :keyword::text IS NULL
                        OR CASE
                            WHEN w.limited
                                THEN to_tsvector(
                                    'simple',
                                    coalesce(a.actor_name, '') || ' ' || coalesce(a.target_type, '') || ' '
                                    || coalesce(a.target_id, '')
                                )
                            ELSE a.search_vector
                        END @@ websearch_to_tsquery('simple', :keyword)
                    )
                ORDER BY a.timestamp DESC, a.id DESC
                LIMIT :page_limit::integer + :page_offset::integer
            ) AS x
        UNION ALL
        (
            SELECT
                g.id,
                g.timestamp
            FROM audit_events AS g
            WHERE
                g.workspace_id IS NULL
                AND g.actor_id = :global_actor_id
                AND g.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
                AND g.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
                AND (g.timestamp, g.id)
                < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
                AND (:event_type::audit_event_type IS NULL OR g.event_type = :event_type)
                AND (:actor_id::text IS NULL OR g.actor_id = :actor_id)
                AND (:target_type::text IS NULL OR g.target_type = :target_type)
                AND (:target_id::text IS NULL OR g.target_id = :target_id)
                AND (:keyword::text IS NULL OR g.search_vector @@ websearch_to_tsquery('simple', :keyword))
            ORDER BY g.timestamp DESC, g.id DESC
            LIMIT :page_limit::integer + :page_offset::integer
        )
    ) AS u
    ORDER BY u.timestamp DESC, u.id DESC
    LIMIT :page_limit OFFSET :page_offset
) AS k
INNER JOIN audit_events AS e ON k.id = e.id
ORDER BY e.timestamp DESC, e.id DESC;

-- name: count_events_filtered(full_workspace_ids, limited_workspace_ids, global_actor_id, event_type, actor_id, target_type, target_id, start_at, end_at, keyword)$
-- Exact total of list_events_filtered (idx_audit_ws_keyset per workspace, idx_audit_global_actor).
-- params: global_actor_id?, event_type?, actor_id?, target_type?, target_id?, start_at?, end_at?, keyword?
SELECT
    coalesce(sum(x.n), 0)::bigint
    + (
        SELECT count(*)
        FROM audit_events AS g
        WHERE
            g.workspace_id IS NULL
            AND g.actor_id = :global_actor_id
            AND g.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
            AND g.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
            AND (:event_type::audit_event_type IS NULL OR g.event_type = :event_type)
            AND (:actor_id::text IS NULL OR g.actor_id = :actor_id)
            AND (:target_type::text IS NULL OR g.target_type = :target_type)
            AND (:target_id::text IS NULL OR g.target_id = :target_id)
            AND (:keyword::text IS NULL OR g.search_vector @@ websearch_to_tsquery('simple', :keyword))
    ) AS total
FROM (
    SELECT
        f.id,
        FALSE AS limited
    FROM unnest(:full_workspace_ids::text[]) AS f (id)
    UNION ALL
    SELECT
        l.id,
        TRUE AS limited
    FROM unnest(:limited_workspace_ids::text[]) AS l (id)
) AS w
CROSS JOIN LATERAL (
    SELECT count(*) AS n
    FROM audit_events AS a
    WHERE
        a.workspace_id = w.id
        AND a.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
        AND a.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
        AND (:event_type::audit_event_type IS NULL OR a.event_type = :event_type)
        AND (:actor_id::text IS NULL OR a.actor_id = :actor_id)
        AND (:target_type::text IS NULL OR a.target_type = :target_type)
        AND (:target_id::text IS NULL OR a.target_id = :target_id)
        AND (
            :keyword::text IS NULL
            OR CASE
                WHEN w.limited
                    THEN to_tsvector(
                        'simple',
                        coalesce(a.actor_name, '') || ' ' || coalesce(a.target_type, '') || ' '
                        || coalesce(a.target_id, '')
                    )
                ELSE a.search_vector
            END @@ websearch_to_tsquery('simple', :keyword)
        )
) AS x;

-- name: get_event_for_user(event_id, user_id)^
-- GET /audit/events/:id: PK lookup + caller's active membership; no row = 404 (idx_workspace_members_workspace_user).
-- columns: role?, is_admin?, is_external?, status?, governance_rules?
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
    e.hash,
    m.role,
    m.is_admin,
    m.is_external,
    m.status,
    w.governance_rules,
    w.archived_at
FROM audit_events AS e
LEFT JOIN workspace_members AS m
    ON e.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
LEFT JOIN workspaces AS w ON m.workspace_id = w.id
WHERE
    e.id = :event_id
    AND (m.id IS NOT NULL OR (e.workspace_id IS NULL AND e.actor_id = :user_id));

-- name: get_event(event_id)^
-- One event by id, no visibility check: server-side reads after an append (audit_events_pkey).
-- row: AuditEventRow
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
WHERE e.id = :event_id;

-- name: list_chain_heads()
-- Every chain head, for `nexus audit verify --all` (audit_chain_heads_pkey).
-- row: ChainHeadRow
SELECT
    h.chain_id,
    h.last_seq,
    h.last_hash,
    h.last_timestamp
FROM audit_chain_heads AS h
ORDER BY h.chain_id;

-- name: get_chain_head(chain_id)^
-- One chain's head: the seq and hash its last row must carry (audit_chain_heads_pkey).
-- row: ChainHeadRow
SELECT
    h.chain_id,
    h.last_seq,
    h.last_hash,
    h.last_timestamp
FROM audit_chain_heads AS h
WHERE h.chain_id = :chain_id;

-- name: chain_events_batch(chain_id, after_seq, batch_size)
-- Verification: a chain's next rows by seq, canonical-encoding columns + prev_hash/hash (uq_audit_chain_seq).
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

-- name: export_plan_settings()$
-- Export snapshot transaction only (SET LOCAL): no Incremental Sort. For a large deal the planner otherwise costs
-- idx_audit_events_timestamp + Incremental Sort on id below the idx_audit_ws_keyset range scan (the deal's rows are
-- a big share of the table), and that plan reads every deal's rows to keep this one's: about twice the time a batch.
SELECT set_config('enable_incremental_sort', 'off', TRUE) AS incremental_sort;

-- name: export_events_batch(workspace_ids, global_actor_id, event_type, actor_id, target_type, target_id, start_at, end_at, keyword, before_ts, before_id, batch_size)
-- Export across workspaces: next batch in (timestamp, id) DESC keyset order, full projection with the timestamp
-- already in the file's form (LATERAL idx_audit_ws_keyset per workspace, idx_audit_global_actor).
-- params: global_actor_id?, event_type?, actor_id?, target_type?, target_id?, start_at?, end_at?, keyword?, before_ts?, before_id?
-- columns: at_iso!, event_type!
-- row: ExportEventRow
SELECT
    e.id,
    e.workspace_id,
    to_char(e.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_iso,
    e.actor_id,
    e.actor_name,
    e.event_type::text AS event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category::text AS reason_category,
    e.seq,
    e.hash,
    e.timestamp
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
                WHERE
                    a.workspace_id = w.id
                    AND a.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
                    AND a.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
                    AND (a.timestamp, a.id)
                    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
                    AND (:event_type::audit_event_type IS NULL OR a.event_type = :event_type)
                    AND (:actor_id::text IS NULL OR a.actor_id = :actor_id)
                    AND (:target_type::text IS NULL OR a.target_type = :target_type)
                    AND (:target_id::text IS NULL OR a.target_id = :target_id)
                    AND (:keyword::text IS NULL OR a.search_vector @@ websearch_to_tsquery('simple', :keyword))
                ORDER BY a.timestamp DESC, a.id DESC
                LIMIT :batch_size
            ) AS x
        UNION ALL
        (
            SELECT
                g.id,
                g.timestamp
            FROM audit_events AS g
            WHERE
                g.workspace_id IS NULL
                AND g.actor_id = :global_actor_id
                AND g.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
                AND g.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
                AND (g.timestamp, g.id)
                < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
                AND (:event_type::audit_event_type IS NULL OR g.event_type = :event_type)
                AND (:actor_id::text IS NULL OR g.actor_id = :actor_id)
                AND (:target_type::text IS NULL OR g.target_type = :target_type)
                AND (:target_id::text IS NULL OR g.target_id = :target_id)
                AND (:keyword::text IS NULL OR g.search_vector @@ websearch_to_tsquery('simple', :keyword))
            ORDER BY g.timestamp DESC, g.id DESC
            LIMIT :batch_size
        )
    ) AS u
    ORDER BY u.timestamp DESC, u.id DESC
    LIMIT :batch_size
) AS k
INNER JOIN audit_events AS e ON k.id = e.id
ORDER BY e.timestamp DESC, e.id DESC;

-- name: export_workspace_events_batch(workspace_id, event_type, actor_id, target_type, target_id, start_at, end_at, keyword, before_ts, before_id, batch_size)
-- Export of one workspace: next batch in (timestamp, id) DESC keyset order, one range scan of idx_audit_ws_keyset
-- that reads the rows on the way (no key merge, no second lookup).
-- params: event_type?, actor_id?, target_type?, target_id?, start_at?, end_at?, keyword?, before_ts?, before_id?
-- columns: at_iso!, event_type!
-- row: ExportEventRow
SELECT
    e.id,
    e.workspace_id,
    to_char(e.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_iso,
    e.actor_id,
    e.actor_name,
    e.event_type::text AS event_type,
    e.target_type,
    e.target_id,
    e.before_state::text AS before_state,
    e.after_state::text AS after_state,
    e.reason,
    e.reason_category::text AS reason_category,
    e.seq,
    e.hash,
    e.timestamp
FROM audit_events AS e
WHERE
    e.workspace_id = :workspace_id
    AND e.timestamp >= coalesce(:start_at::timestamptz, '-infinity')
    AND e.timestamp <= coalesce(:end_at::timestamptz, 'infinity')
    AND (e.timestamp, e.id)
    < (coalesce(:before_ts::timestamptz, 'infinity'), coalesce(:before_id::text, ''))
    AND (:event_type::audit_event_type IS NULL OR e.event_type = :event_type)
    AND (:actor_id::text IS NULL OR e.actor_id = :actor_id)
    AND (:target_type::text IS NULL OR e.target_type = :target_type)
    AND (:target_id::text IS NULL OR e.target_id = :target_id)
    AND (:keyword::text IS NULL OR e.search_vector @@ websearch_to_tsquery('simple', :keyword))
ORDER BY e.timestamp DESC, e.id DESC
LIMIT :batch_size;
