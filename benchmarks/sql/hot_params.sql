-- Parameters of the hot-query suite (nexus/bench/queries.py), picked from a generated database: a typical deal
-- (median clause count), the largest deal, and rows inside them. Loaded with aiosql ("psycopg"); read-only.

-- name: pick_workspaces()^
-- The largest deal (most audit events) and a typical one (median clause count).
WITH sized AS (
    SELECT
        w.id,
        (SELECT count(*) FROM clauses AS c WHERE c.workspace_id = w.id) AS clauses,
        (SELECT h.last_seq FROM audit_chain_heads AS h WHERE h.chain_id = w.id) AS events
    FROM workspaces AS w
)

SELECT
    (SELECT s.id FROM sized AS s ORDER BY s.events DESC NULLS LAST, s.id LIMIT 1) AS whale_id,
    (
        SELECT s.id FROM sized AS s
        ORDER BY s.clauses, s.id
        OFFSET (SELECT count(*) / 2 FROM sized) LIMIT 1
    ) AS typical_id;

-- name: pick_member(workspace_id)^
-- The deal's agent (active admin) with its email and live session.
SELECT
    m.user_id,
    u.email,
    s.id AS session_id
FROM workspace_members AS m
INNER JOIN users AS u ON m.user_id = u.id
INNER JOIN sessions AS s ON s.user_id = u.id AND s.revoked_at IS NULL
WHERE m.workspace_id = :workspace_id AND m.status = 'active' AND m.is_admin
ORDER BY m.invited_at
LIMIT 1;

-- name: pick_rows(workspace_id)^
-- A clause (the one with most variables' drift, else the first), a variable, a graph node with outgoing edges,
-- a reconciliation session and a definition node (impact root) of the deal.
SELECT
    (SELECT c.id FROM clauses AS c WHERE c.workspace_id = :workspace_id ORDER BY c."order" LIMIT 1) AS clause_id,
    (SELECT v.id FROM variables AS v WHERE v.workspace_id = :workspace_id ORDER BY v.id LIMIT 1) AS variable_id,
    (
        SELECT e.source_id FROM graph_edges AS e
        WHERE e.workspace_id = :workspace_id AND e.weight = 3
        ORDER BY e.source_id LIMIT 1
    ) AS definition_node_id,
    (
        SELECT r.id FROM reconciliation_sessions AS r
        WHERE r.workspace_id = :workspace_id
        ORDER BY r.uploaded_at DESC LIMIT 1
    ) AS recon_session_id;

-- name: pick_cursor(workspace_id, depth)^
-- The keyset cursor (timestamp, id) of the row `depth` rows deep in a deal's audit list (page depth / 50 + 1).
SELECT
    e.timestamp,
    e.id
FROM audit_events AS e
WHERE e.workspace_id = :workspace_id
ORDER BY e.timestamp DESC, e.id DESC
OFFSET :depth LIMIT 1;

-- name: member_workspaces(user_id)
-- Every workspace the user is an active member of (unscoped audit list input).
SELECT m.workspace_id
FROM workspace_members AS m
WHERE m.user_id = :user_id AND m.status = 'active'
ORDER BY m.workspace_id;

-- name: table_sizes()
-- Live row estimates of the big tables after ANALYZE (report context).
SELECT
    c.relname AS table_name,
    c.reltuples::bigint AS row_estimate,
    pg_total_relation_size(c.oid) AS total_bytes
FROM pg_class AS c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname NOT LIKE '%%yoyo%%'
ORDER BY c.reltuples DESC;

-- name: disable_seqscan()!
-- Plan gates for tables small at scale S but large in production: is an index path available at all?
SELECT set_config('enable_seqscan', 'off', FALSE);

-- name: enable_seqscan()!
-- Back to the planner's own choice.
SELECT set_config('enable_seqscan', 'on', FALSE);
