-- Clauses (schema.md §5.1, domain.md §5).

-- name: insert_imported_clauses(workspace_id, titles, bodies, types, sensitive, last_modified_by)!
-- POST /workspaces clause import: one statement for all clauses, "order" = 1..n in array order
-- (uq_clauses_workspace_order).
INSERT INTO clauses (workspace_id, title, body, type, "order", is_sensitive, last_modified_by)
SELECT
    :workspace_id,
    t.title,
    t.body,
    t.type::clause_type AS type,
    t.ord,
    t.is_sensitive,
    :last_modified_by
FROM
    unnest(:titles::text[], :bodies::text[], :types::text[], :sensitive::boolean[])
    WITH ORDINALITY AS t (title, body, type, is_sensitive, ord);

-- name: list_outline(workspace_id)
-- GET /workspaces/:id/outline: the clause headings by order (uq_clauses_workspace_order).
SELECT
    id,
    title,
    type,
    "order",
    is_sensitive,
    is_locked
FROM clauses
WHERE workspace_id = :workspace_id
ORDER BY "order";

-- name: list_clauses(workspace_id)
-- GET /workspaces/:id/clauses: full clauses by order (uq_clauses_workspace_order).
-- row: ClauseRow
SELECT
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at
FROM clauses
WHERE workspace_id = :workspace_id
ORDER BY "order";

-- name: count_clauses(workspace_id)$
-- Clause count of a workspace: insert position bound n+1, reorder permutation size (idx_clauses_workspace_id).
SELECT count(*) AS total
FROM clauses
WHERE workspace_id = :workspace_id;

-- name: get_clause(workspace_id, clause_id)^
-- One clause of a workspace; none for another workspace's id (clauses_pkey).
-- row: ClauseRow
SELECT
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at
FROM clauses
WHERE workspace_id = :workspace_id AND id = :clause_id;

-- name: get_clause_for_member(clause_id, user_id)^
-- /drafts/clauses/:id gate: clause + caller's ACTIVE membership + governance; none = 404 (clauses_pkey).
SELECT
    c.id,
    c.workspace_id,
    c.title,
    c.body,
    c.type,
    c."order",
    c.is_sensitive,
    c.is_locked,
    c.locked_by,
    c.locked_at,
    c.last_modified_at,
    c.last_modified_by,
    c.created_at,
    c.updated_at,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM clauses AS c
INNER JOIN workspace_members AS m
    ON c.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
INNER JOIN workspaces AS w ON c.workspace_id = w.id
WHERE c.id = :clause_id;

-- name: lock_clause(workspace_id, clause_id)^
-- PATCH/DELETE/lock/unlock: the clause row FOR UPDATE, so lock and If-Match checks decide the write (clauses_pkey).
-- row: ClauseRow
SELECT
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at
FROM clauses
WHERE workspace_id = :workspace_id AND id = :clause_id
FOR UPDATE;

-- name: append_clause(workspace_id, title, body, type, is_sensitive, last_modified_by)^
-- POST clauses without `order`: insert at n+1, computed here under the workspace lock (uq_clauses_workspace_order).
-- row: ClauseRow
INSERT INTO clauses (workspace_id, title, body, type, "order", is_sensitive, last_modified_by)
SELECT
    :workspace_id,
    :title,
    :body,
    :type::clause_type AS type,
    coalesce(max(k."order"), 0) + 1 AS next_order,
    :is_sensitive,
    :last_modified_by
FROM clauses AS k
WHERE k.workspace_id = :workspace_id
RETURNING
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at;

-- name: shift_clauses_down(workspace_id, from_order)!
-- Insert at p, step 1: one UPDATE moves clauses at p.. down one (DEFERRABLE uq_clauses_workspace_order); count moved.
UPDATE clauses
SET "order" = "order" + 1
WHERE workspace_id = :workspace_id AND "order" >= :from_order;

-- name: insert_clause(workspace_id, clause_order, title, body, type, is_sensitive, last_modified_by)^
-- POST clauses at position p, step 2: the new clause at the freed position (uq_clauses_workspace_order).
-- row: ClauseRow
INSERT INTO clauses (workspace_id, title, body, type, "order", is_sensitive, last_modified_by)
VALUES (:workspace_id, :title, :body, :type::clause_type, :clause_order, :is_sensitive, :last_modified_by)
RETURNING
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at;

-- name: update_clause(workspace_id, clause_id, title, body, type, is_sensitive, last_modified_by, expected_updated_at, expected_last_modified_at)^
-- PATCH: content fields + last_modified_*; none if gone or stale (updated_at / last_modified_at ms) (clauses_pkey).
-- params: expected_updated_at?, expected_last_modified_at?
-- row: ClauseRow
UPDATE clauses
SET
    title = :title,
    body = :body,
    type = :type::clause_type,
    is_sensitive = :is_sensitive,
    last_modified_at = now(),
    last_modified_by = :last_modified_by
WHERE
    workspace_id = :workspace_id
    AND id = :clause_id
    AND (:expected_updated_at::timestamptz IS NULL OR updated_at = :expected_updated_at::timestamptz)
    AND (
        :expected_last_modified_at::timestamptz IS NULL
        OR date_trunc('milliseconds', last_modified_at)
        = date_trunc('milliseconds', :expected_last_modified_at::timestamptz)
    )
RETURNING
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at;

-- name: delete_clause(workspace_id, clause_id, expected_updated_at, expected_last_modified_at)^
-- DELETE: remove the clause and close the gap in one statement; none if gone or stale (clauses_pkey, uq order).
-- params: expected_updated_at?, expected_last_modified_at?
-- columns: shifted!
WITH gone AS (
    DELETE FROM clauses
    WHERE
        workspace_id = :workspace_id
        AND id = :clause_id
        AND (:expected_updated_at::timestamptz IS NULL OR updated_at = :expected_updated_at::timestamptz)
        AND (
            :expected_last_modified_at::timestamptz IS NULL
            OR date_trunc('milliseconds', last_modified_at)
            = date_trunc('milliseconds', :expected_last_modified_at::timestamptz)
        )
    RETURNING id, "order"
),

closed AS (
    UPDATE clauses AS c
    SET "order" = c."order" - 1
    FROM gone AS g
    WHERE c.workspace_id = :workspace_id AND c."order" > g."order"
    RETURNING c.id
)

SELECT
    g.id,
    g."order",
    (SELECT count(*) FROM closed) AS shifted
FROM gone AS g;

-- name: reorder_clauses(workspace_id, clause_ids)!
-- Reorder: orders 1..n in array order in one UPDATE; no write unless an exact permutation (uq_clauses_workspace_order).
UPDATE clauses AS c
SET "order" = t.ord
FROM unnest(:clause_ids::text[]) WITH ORDINALITY AS t (id, ord)
WHERE
    c.workspace_id = :workspace_id
    AND c.id = t.id
    AND c."order" <> t.ord
    AND cardinality(:clause_ids::text[]) = (
        SELECT count(*) FROM clauses AS k
        WHERE k.workspace_id = :workspace_id
    )
    AND cardinality(:clause_ids::text[]) = (
        SELECT count(DISTINCT k.id) FROM clauses AS k
        WHERE k.workspace_id = :workspace_id AND k.id = any(:clause_ids::text[])
    );

-- name: acquire_section_lock(workspace_id, clause_id, locked_by, expected_updated_at, expected_last_modified_at)^
-- Lock an UNLOCKED clause (locked_by NULL = governance lock); none if locked, gone or stale (clauses_pkey).
-- params: locked_by?, expected_updated_at?, expected_last_modified_at?
-- row: ClauseRow
UPDATE clauses
SET is_locked = TRUE, locked_by = :locked_by, locked_at = now()
WHERE
    workspace_id = :workspace_id
    AND id = :clause_id
    AND NOT is_locked
    AND (:expected_updated_at::timestamptz IS NULL OR updated_at = :expected_updated_at::timestamptz)
    AND (
        :expected_last_modified_at::timestamptz IS NULL
        OR date_trunc('milliseconds', last_modified_at)
        = date_trunc('milliseconds', :expected_last_modified_at::timestamptz)
    )
RETURNING
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at;

-- name: release_section_lock(workspace_id, clause_id, expected_updated_at, expected_last_modified_at)^
-- Unlock a LOCKED clause (holder/admin checked on the lock_clause row); none if unlocked, gone or stale (clauses_pkey).
-- params: expected_updated_at?, expected_last_modified_at?
-- row: ClauseRow
UPDATE clauses
SET is_locked = FALSE, locked_by = NULL, locked_at = NULL
WHERE
    workspace_id = :workspace_id
    AND id = :clause_id
    AND is_locked
    AND (:expected_updated_at::timestamptz IS NULL OR updated_at = :expected_updated_at::timestamptz)
    AND (
        :expected_last_modified_at::timestamptz IS NULL
        OR date_trunc('milliseconds', last_modified_at)
        = date_trunc('milliseconds', :expected_last_modified_at::timestamptz)
    )
RETURNING
    id,
    workspace_id,
    title,
    body,
    type,
    "order",
    is_sensitive,
    is_locked,
    locked_by,
    locked_at,
    last_modified_at,
    last_modified_by,
    created_at,
    updated_at;

-- name: list_locked_clauses(workspace_id)
-- Locked clauses of a workspace with their holder (NULL = governance), by order (idx_clauses_locked).
SELECT
    id,
    title,
    "order",
    locked_by,
    locked_at
FROM clauses
WHERE workspace_id = :workspace_id AND is_locked
ORDER BY "order";

-- name: search_clauses(workspace_id, search_query, result_limit)
-- Search: websearch query by rank desc, order; U+0002/U+0003-marked snippet; no lexemes = no rows (idx_clauses_search).
-- columns: rank!, snippet!
SELECT
    c.id AS clause_id,
    c.workspace_id,
    c.title,
    c.type,
    c."order",
    round(ts_rank_cd(c.search_vector, q.query)::numeric, 4) AS rank,
    ts_headline(
        'english',
        c.body,
        q.query,
        'MaxFragments=2, MaxWords=30, MinWords=10, StartSel=' || chr(2) || ', StopSel=' || chr(3)
    ) AS snippet
FROM websearch_to_tsquery('english', :search_query) AS q (query)
INNER JOIN clauses AS c ON c.search_vector @@ q.query
WHERE c.workspace_id = :workspace_id
ORDER BY rank DESC, c."order" ASC
LIMIT :result_limit;
