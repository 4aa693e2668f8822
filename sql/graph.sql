-- Graph state, nodes and edges (schema.md §4.3, §5.3-§5.4, domain.md §7).

-- name: insert_graph_state(workspace_id)!
-- POST /workspaces: the workspace's graph_state row (integrity 100, no nodes yet).
INSERT INTO graph_state (workspace_id, integrity_score)
VALUES (:workspace_id, 100);

-- name: ensure_graph_state(workspace_id)!
-- Build step 1a: create the workspace's graph_state row if missing (uq_graph_state_workspace_id); 0 = existed.
INSERT INTO graph_state (workspace_id, integrity_score)
VALUES (:workspace_id, 100)
ON CONFLICT (workspace_id) DO NOTHING;

-- name: lock_graph_state(workspace_id)^
-- Build step 1b / D10: the graph_state row FOR UPDATE, serialising builds (uq_graph_state_workspace_id).
-- row: GraphStateRow
SELECT
    id,
    workspace_id,
    integrity_score,
    node_count,
    edge_count,
    drift_node_count,
    warning_node_count,
    last_computed_at,
    updated_at
FROM graph_state
WHERE workspace_id = :workspace_id
FOR UPDATE;

-- name: get_graph_state(workspace_id)^
-- GET /graph/:workspaceId header: cached integrity, counts, last build time (uq_graph_state_workspace_id).
-- row: GraphStateRow
SELECT
    id,
    workspace_id,
    integrity_score,
    node_count,
    edge_count,
    drift_node_count,
    warning_node_count,
    last_computed_at,
    updated_at
FROM graph_state
WHERE workspace_id = :workspace_id;

-- name: list_build_clauses(workspace_id)
-- Build step 2 / issues report: every clause with its body, by order (uq_clauses_workspace_order).
SELECT
    id,
    title,
    body,
    type,
    "order",
    is_sensitive
FROM clauses
WHERE workspace_id = :workspace_id
ORDER BY "order";

-- name: list_build_variables(workspace_id)
-- Build step 2: every variable with its value and unit, by clause order, created_at, id (idx_variables_workspace_id).
SELECT
    v.id,
    v.clause_id,
    v.label,
    v.type,
    v.value,
    v.unit
FROM variables AS v
INNER JOIN clauses AS c ON v.workspace_id = c.workspace_id AND v.clause_id = c.id
WHERE v.workspace_id = :workspace_id
ORDER BY c."order", v.created_at, v.id;

-- name: list_build_open_drifts(workspace_id)
-- Build step 2 (flags, §7.5): the unresolved drift of the workspace, per clause and variable (idx_drift_unresolved).
SELECT
    id,
    clause_id,
    variable_id,
    severity
FROM drift_items
WHERE workspace_id = :workspace_id AND status = 'unresolved'
ORDER BY clause_id, variable_id NULLS FIRST, id;

-- name: upsert_nodes(workspace_id, ids, labels, types, clause_ids, variable_ids, node_values, has_drift, has_warning, built_at)!
-- Build step 3: all nodes from parallel arrays ('' = NULL); unchanged rows are not written (graph_nodes_pkey).
INSERT INTO graph_nodes AS n (
    id, workspace_id, label, type, clause_id, variable_id, value, has_drift, has_warning, created_at, updated_at
)
SELECT
    t.id,
    :workspace_id,
    t.label,
    t.type::node_type AS type,
    nullif(t.clause_id, '') AS clause_id,
    nullif(t.variable_id, '') AS variable_id,
    nullif(t.value, '') AS value,
    t.has_drift,
    t.has_warning,
    :built_at::timestamptz AS created_at,
    :built_at::timestamptz AS updated_at
FROM
    unnest(
        :ids::text[],
        :labels::text[],
        :types::text[],
        :clause_ids::text[],
        :variable_ids::text[],
        :node_values::text[],
        :has_drift::boolean[],
        :has_warning::boolean[]
    ) AS t (id, label, type, clause_id, variable_id, value, has_drift, has_warning)
ON CONFLICT (id) DO UPDATE
    SET
        label = excluded.label,
        type = excluded.type,
        clause_id = excluded.clause_id,
        variable_id = excluded.variable_id,
        value = excluded.value,
        has_drift = excluded.has_drift,
        has_warning = excluded.has_warning
    WHERE
    n.workspace_id = excluded.workspace_id
    AND (n.label, n.type, n.clause_id, n.variable_id, n.value, n.has_drift, n.has_warning)
    IS DISTINCT FROM (
        excluded.label,
        excluded.type,
        excluded.clause_id,
        excluded.variable_id,
        excluded.value,
        excluded.has_drift,
        excluded.has_warning
    );

-- name: delete_stale_nodes(workspace_id, keep_ids)!
-- Build step 3: drop the workspace's nodes not in the new set (their edges cascade) (idx_graph_nodes_workspace_id).
DELETE FROM graph_nodes
WHERE workspace_id = :workspace_id AND id <> all(:keep_ids::text[]);

-- name: upsert_edges(workspace_id, source_ids, target_ids, weights, built_at)!
-- Build step 3: edges from arrays, id edge-<src>--<tgt>, changed weights only (uq_graph_edges_workspace_source_target).
INSERT INTO graph_edges AS e (id, workspace_id, source_id, target_id, weight, created_at)
SELECT
    'edge-' || t.source_id || '--' || t.target_id AS id,
    :workspace_id,
    t.source_id,
    t.target_id,
    t.weight,
    :built_at::timestamptz AS created_at
FROM unnest(:source_ids::text[], :target_ids::text[], :weights::integer[]) AS t (source_id, target_id, weight)
ON CONFLICT (workspace_id, source_id, target_id) DO UPDATE
    SET weight = excluded.weight
    WHERE e.weight IS DISTINCT FROM excluded.weight;

-- name: delete_stale_edges(workspace_id, source_ids, target_ids)!
-- Build step 3: drop the edges whose (source, target) pair is not in the new set (idx_graph_edges_workspace_id).
DELETE FROM graph_edges AS e
WHERE
    e.workspace_id = :workspace_id
    AND NOT EXISTS (
        SELECT 1
        FROM unnest(:source_ids::text[], :target_ids::text[]) AS k (source_id, target_id)
        WHERE k.source_id = e.source_id AND k.target_id = e.target_id
    );

-- name: finish_graph_build(workspace_id, built_at)^
-- Build step 4: counts, integrity, last_computed_at, last_sync_at (uq_graph_state_workspace_id, workspaces_pkey).
-- row: GraphStateRow
WITH node_counts AS (
    SELECT
        count(*)::integer AS node_count,
        (count(*) FILTER (WHERE has_drift))::integer AS drift_node_count,
        (count(*) FILTER (WHERE has_warning))::integer AS warning_node_count
    FROM graph_nodes
    WHERE workspace_id = :workspace_id
),

edge_counts AS (
    SELECT count(*)::integer AS edge_count
    FROM graph_edges
    WHERE workspace_id = :workspace_id
),

synced AS (
    UPDATE workspaces
    SET last_sync_at = :built_at::timestamptz
    WHERE id = :workspace_id
    RETURNING id
)

UPDATE graph_state AS g
SET
    integrity_score = CASE
        WHEN n.node_count = 0 THEN 100
        ELSE (201 * n.node_count - 60 * n.drift_node_count - 40 * n.warning_node_count) / (2 * n.node_count)
    END,
    node_count = n.node_count,
    edge_count = e.edge_count,
    drift_node_count = n.drift_node_count,
    warning_node_count = n.warning_node_count,
    last_computed_at = :built_at::timestamptz
FROM node_counts AS n
CROSS JOIN edge_counts AS e
CROSS JOIN synced AS s
WHERE g.workspace_id = s.id
RETURNING
    g.id,
    g.workspace_id,
    g.integrity_score,
    g.node_count,
    g.edge_count,
    g.drift_node_count,
    g.warning_node_count,
    g.last_computed_at,
    g.updated_at;

-- name: refresh_graph_state(workspace_id)^
-- D10 step 4: counts and integrity from the current nodes, written only if changed (uq_graph_state_workspace_id).
-- columns: integrity_score!, node_count!, edge_count!, drift_node_count!, warning_node_count!, changed!
WITH node_counts AS (
    SELECT
        count(*)::integer AS node_count,
        (count(*) FILTER (WHERE has_drift))::integer AS drift_node_count,
        (count(*) FILTER (WHERE has_warning))::integer AS warning_node_count
    FROM graph_nodes
    WHERE workspace_id = :workspace_id
),

computed AS (
    SELECT
        n.node_count,
        n.drift_node_count,
        n.warning_node_count,
        (
            SELECT count(*)::integer
            FROM graph_edges AS ge
            WHERE ge.workspace_id = :workspace_id
        ) AS edge_count,
        CASE
            WHEN n.node_count = 0 THEN 100
            ELSE (201 * n.node_count - 60 * n.drift_node_count - 40 * n.warning_node_count) / (2 * n.node_count)
        END AS integrity_score
    FROM node_counts AS n
),

written AS (
    UPDATE graph_state AS g
    SET
        integrity_score = c.integrity_score,
        node_count = c.node_count,
        edge_count = c.edge_count,
        drift_node_count = c.drift_node_count,
        warning_node_count = c.warning_node_count
    FROM computed AS c
    WHERE
        g.workspace_id = :workspace_id
        AND (g.integrity_score, g.node_count, g.edge_count, g.drift_node_count, g.warning_node_count)
        IS DISTINCT FROM (c.integrity_score, c.node_count, c.edge_count, c.drift_node_count, c.warning_node_count)
    RETURNING g.id
)

SELECT
    c.integrity_score,
    c.node_count,
    c.edge_count,
    c.drift_node_count,
    c.warning_node_count,
    g.last_computed_at,
    exists(SELECT 1 FROM written) AS changed
FROM graph_state AS g
CROSS JOIN computed AS c
WHERE g.workspace_id = :workspace_id;

-- name: list_nodes(workspace_id)
-- GET /graph/:workspaceId: every node of the workspace by id (idx_graph_nodes_workspace_id).
-- row: NodeRow
SELECT
    id,
    workspace_id,
    label,
    type,
    clause_id,
    variable_id,
    value,
    has_drift,
    has_warning,
    created_at,
    updated_at
FROM graph_nodes
WHERE workspace_id = :workspace_id
ORDER BY id;

-- name: list_edges(workspace_id)
-- GET /graph/:workspaceId: every edge of the workspace by id (idx_graph_edges_workspace_id).
-- row: EdgeRow
SELECT
    id,
    workspace_id,
    source_id,
    target_id,
    weight,
    created_at
FROM graph_edges
WHERE workspace_id = :workspace_id
ORDER BY id;

-- name: get_node(workspace_id, node_id)^
-- One node of a workspace; none for another workspace's id (graph_nodes_pkey).
-- row: NodeRow
SELECT
    id,
    workspace_id,
    label,
    type,
    clause_id,
    variable_id,
    value,
    has_drift,
    has_warning,
    created_at,
    updated_at
FROM graph_nodes
WHERE workspace_id = :workspace_id AND id = :node_id;

-- name: get_node_for_member(node_id, user_id)^
-- /graph/nodes/:id gate: node + caller's ACTIVE membership + governance; none = 404 (graph_nodes_pkey).
SELECT
    n.id,
    n.workspace_id,
    n.label,
    n.type,
    n.clause_id,
    n.variable_id,
    n.value,
    n.has_drift,
    n.has_warning,
    n.created_at,
    n.updated_at,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM graph_nodes AS n
INNER JOIN workspace_members AS m
    ON n.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
INNER JOIN workspaces AS w ON n.workspace_id = w.id
WHERE n.id = :node_id;

-- name: locate_node(workspace_id, node_id)^
-- Locate: a node's clause (a variable node's: its variable's); none if node or clause gone (graph_nodes_pkey).
-- columns: variable_id?
SELECT
    c.id AS clause_id,
    v.id AS variable_id
FROM graph_nodes AS n
LEFT JOIN variables AS v ON n.workspace_id = v.workspace_id AND n.variable_id = v.id
INNER JOIN clauses AS c ON n.workspace_id = c.workspace_id AND coalesce(v.clause_id, n.clause_id) = c.id
WHERE n.workspace_id = :workspace_id AND n.id = :node_id;

-- name: list_connected_nodes(workspace_id, node_id)
-- Connected: distinct 1-hop neighbours both ways, root excluded, by id (idx_graph_edges_source_id, _target_id).
-- row: NodeRow
SELECT
    n.id,
    n.workspace_id,
    n.label,
    n.type,
    n.clause_id,
    n.variable_id,
    n.value,
    n.has_drift,
    n.has_warning,
    n.created_at,
    n.updated_at
FROM graph_nodes AS n
WHERE
    n.workspace_id = :workspace_id
    AND n.id <> :node_id
    AND n.id IN (
        SELECT e.target_id
        FROM graph_edges AS e
        WHERE e.workspace_id = :workspace_id AND e.source_id = :node_id
        UNION
        SELECT e.source_id
        FROM graph_edges AS e
        WHERE e.workspace_id = :workspace_id AND e.target_id = :node_id
    )
ORDER BY n.id;

-- name: list_node_edges(workspace_id, node_id)
-- Connected: the edges into and out of a node, by id (idx_graph_edges_source_id, idx_graph_edges_target_id).
-- row: EdgeRow
SELECT
    id,
    workspace_id,
    source_id,
    target_id,
    weight,
    created_at
FROM graph_edges
WHERE workspace_id = :workspace_id AND (source_id = :node_id OR target_id = :node_id)
ORDER BY id;

-- name: impact_downstream(workspace_id, node_id, max_depth)
-- Impact downstream to max_depth: cycle-safe walk, min distance, least path (uq_graph_edges_workspace_source_target).
-- columns: distance!, path!
-- row: ImpactNodeRow
WITH RECURSIVE walk (node_id, distance, via_id) AS (
    SELECT
        e.target_id,
        1,
        e.source_id
    FROM graph_edges AS e
    WHERE e.workspace_id = :workspace_id AND e.source_id = :node_id AND :max_depth::integer >= 1
    UNION
    SELECT
        e.target_id,
        w.distance + 1,
        e.source_id
    FROM walk AS w
    INNER JOIN graph_edges AS e ON w.node_id = e.source_id
    WHERE e.workspace_id = :workspace_id AND w.distance < :max_depth::integer
),

minimal AS (
    SELECT
        r.node_id,
        r.distance,
        r.via_id
    FROM (
        SELECT
            node_id,
            distance,
            via_id,
            min(distance) OVER (PARTITION BY node_id) AS best
        FROM walk
        WHERE node_id <> :node_id
    ) AS r
    WHERE r.distance = r.best
),

paths (node_id, distance, path, chosen) AS (
    SELECT
        node_id,
        distance,
        ARRAY[:node_id::text, node_id],
        TRUE
    FROM minimal
    WHERE distance = 1
    UNION ALL
    SELECT
        m.node_id,
        m.distance,
        p.path || m.node_id,
        p.path = min(p.path) OVER (PARTITION BY m.node_id)
    FROM paths AS p
    INNER JOIN minimal AS m ON p.node_id = m.via_id AND m.distance = p.distance + 1
    WHERE p.chosen
)

SELECT
    n.id,
    n.workspace_id,
    n.label,
    n.type,
    n.clause_id,
    n.variable_id,
    n.value,
    n.has_drift,
    n.has_warning,
    n.created_at,
    n.updated_at,
    p.distance,
    p.path
FROM paths AS p
INNER JOIN graph_nodes AS n ON p.node_id = n.id
WHERE n.workspace_id = :workspace_id AND p.chosen
ORDER BY p.distance, n.id;

-- name: impact_upstream(workspace_id, node_id, max_depth)
-- Impact upstream (target→source) to max_depth: the walk of impact_downstream reversed (idx_graph_edges_target_id).
-- columns: distance!, path!
-- row: ImpactNodeRow
WITH RECURSIVE walk (node_id, distance, via_id) AS (
    SELECT
        e.source_id,
        1,
        e.target_id
    FROM graph_edges AS e
    WHERE e.workspace_id = :workspace_id AND e.target_id = :node_id AND :max_depth::integer >= 1
    UNION
    SELECT
        e.source_id,
        w.distance + 1,
        e.target_id
    FROM walk AS w
    INNER JOIN graph_edges AS e ON w.node_id = e.target_id
    WHERE e.workspace_id = :workspace_id AND w.distance < :max_depth::integer
),

minimal AS (
    SELECT
        r.node_id,
        r.distance,
        r.via_id
    FROM (
        SELECT
            node_id,
            distance,
            via_id,
            min(distance) OVER (PARTITION BY node_id) AS best
        FROM walk
        WHERE node_id <> :node_id
    ) AS r
    WHERE r.distance = r.best
),

paths (node_id, distance, path, chosen) AS (
    SELECT
        node_id,
        distance,
        ARRAY[:node_id::text, node_id],
        TRUE
    FROM minimal
    WHERE distance = 1
    UNION ALL
    SELECT
        m.node_id,
        m.distance,
        p.path || m.node_id,
        p.path = min(p.path) OVER (PARTITION BY m.node_id)
    FROM paths AS p
    INNER JOIN minimal AS m ON p.node_id = m.via_id AND m.distance = p.distance + 1
    WHERE p.chosen
)

SELECT
    n.id,
    n.workspace_id,
    n.label,
    n.type,
    n.clause_id,
    n.variable_id,
    n.value,
    n.has_drift,
    n.has_warning,
    n.created_at,
    n.updated_at,
    p.distance,
    p.path
FROM paths AS p
INNER JOIN graph_nodes AS n ON p.node_id = n.id
WHERE n.workspace_id = :workspace_id AND p.chosen
ORDER BY p.distance, n.id;

-- name: list_edges_among(workspace_id, node_ids)
-- Impact `edges`: the edges with both ends in the given node set (root + result), by id (idx_graph_edges_source_id).
-- row: EdgeRow
SELECT
    id,
    workspace_id,
    source_id,
    target_id,
    weight,
    created_at
FROM graph_edges
WHERE workspace_id = :workspace_id AND source_id = any(:node_ids::text[]) AND target_id = any(:node_ids::text[])
ORDER BY id;

-- name: set_node_flags(workspace_id, node_id, has_drift, has_warning)!
-- D10 step 3: one node's has_drift/has_warning, written only if different; 0 = unchanged/not built (graph_nodes_pkey).
UPDATE graph_nodes
SET has_drift = :has_drift::boolean, has_warning = :has_warning::boolean
WHERE
    workspace_id = :workspace_id
    AND id = :node_id
    AND (has_drift, has_warning) IS DISTINCT FROM (:has_drift::boolean, :has_warning::boolean);

-- name: update_variable_node(workspace_id, variable_id, label, node_value, has_drift, has_warning)!
-- D10 step 3 / variable edit: the variable node's label, value, flags if different (idx_graph_nodes_variable_id).
-- params: node_value?
UPDATE graph_nodes
SET label = :label, value = :node_value, has_drift = :has_drift::boolean, has_warning = :has_warning::boolean
WHERE
    workspace_id = :workspace_id
    AND variable_id = :variable_id
    AND (label, value, has_drift, has_warning)
    IS DISTINCT FROM (:label::text, :node_value::text, :has_drift::boolean, :has_warning::boolean);

-- name: delete_variable_node(workspace_id, variable_id)!
-- Variable delete: its node (edges cascade) (idx_graph_nodes_variable_id).
DELETE FROM graph_nodes
WHERE workspace_id = :workspace_id AND variable_id = :variable_id;

-- name: delete_clause_nodes(workspace_id, clause_id)!
-- Clause delete, before the clause row: its node and its variables' nodes, edges cascade (idx_graph_nodes_clause_id).
DELETE FROM graph_nodes
WHERE workspace_id = :workspace_id AND clause_id = :clause_id;

-- name: sync_nodes(workspace_id, clause_ids, variable_ids)^
-- D10 step 3: value/label/flags of these variables' nodes and flags of these clauses' nodes from the current rows,
-- written only if different; returns the change of the drift/warning node counts (graph_nodes_pkey).
-- Targets are MATERIALIZED: planned once (~1 ms less planning than inlined EXISTS copies), index-driven from ids.
-- columns: drift_delta!, warning_delta!
WITH var_target AS MATERIALIZED (
    SELECT
        n.id,
        n.has_drift AS was_drift,
        n.has_warning AS was_warning,
        v.label,
        coalesce(d.id IS NOT NULL, FALSE) AS has_drift,
        coalesce(d.severity = 'HIGH', FALSE) AS has_warning,
        CASE WHEN v.unit IS NULL OR v.unit = '' THEN v.value ELSE v.value || ' ' || v.unit END AS node_value
    FROM unnest(:variable_ids::text[]) AS x (vid)
    INNER JOIN graph_nodes AS n ON 'node-v-' || x.vid = n.id
    INNER JOIN variables AS v ON x.vid = v.id AND n.variable_id = v.id
    LEFT JOIN drift_items AS d ON x.vid = d.variable_id AND d.status = 'unresolved'
    WHERE n.workspace_id = :workspace_id AND v.workspace_id = :workspace_id
),

clause_target AS MATERIALIZED (
    SELECT
        n.id,
        n.has_drift AS was_drift,
        n.has_warning AS was_warning,
        c.is_sensitive,
        exists(
            SELECT 1 FROM drift_items AS d
            WHERE d.clause_id = x.cid AND d.status = 'unresolved' AND d.workspace_id = :workspace_id
        ) AS has_drift
    FROM unnest(:clause_ids::text[]) AS x (cid)
    INNER JOIN graph_nodes AS n ON 'node-c-' || x.cid = n.id
    INNER JOIN clauses AS c ON x.cid = c.id AND n.clause_id = c.id
    WHERE n.workspace_id = :workspace_id AND c.workspace_id = :workspace_id
),

var_written AS (
    UPDATE graph_nodes AS g
    SET label = t.label, value = t.node_value, has_drift = t.has_drift, has_warning = t.has_warning
    FROM var_target AS t
    WHERE
        g.id = t.id
        AND (g.label, g.value, g.has_drift, g.has_warning)
        IS DISTINCT FROM (t.label::varchar, t.node_value, t.has_drift, t.has_warning)
    RETURNING t.was_drift, t.was_warning, t.has_drift, t.has_warning
),

clause_written AS (
    UPDATE graph_nodes AS g
    SET has_drift = t.has_drift, has_warning = (t.is_sensitive AND t.has_drift)
    FROM clause_target AS t
    WHERE
        g.id = t.id
        AND (g.has_drift, g.has_warning) IS DISTINCT FROM (t.has_drift, t.is_sensitive AND t.has_drift)
    RETURNING t.was_drift, t.was_warning, g.has_drift, g.has_warning
),

written AS (
    SELECT
        vw.was_drift,
        vw.was_warning,
        vw.has_drift,
        vw.has_warning
    FROM var_written AS vw
    UNION ALL
    SELECT
        cw.was_drift,
        cw.was_warning,
        cw.has_drift,
        cw.has_warning
    FROM clause_written AS cw
)

SELECT
    (count(*) FILTER (WHERE w.has_drift) - count(*) FILTER (WHERE w.was_drift))::integer AS drift_delta,
    (count(*) FILTER (WHERE w.has_warning) - count(*) FILTER (WHERE w.was_warning))::integer AS warning_delta
FROM written AS w;

-- name: sync_all_nodes(workspace_id)$
-- Recompute (§8.6) step 3: every node's value/label/flags from the current rows, written only if different
-- (idx_graph_nodes_workspace_id); returns the number of nodes written.
WITH var_target AS (
    SELECT
        n.id,
        v.label,
        coalesce(d.id IS NOT NULL, FALSE) AS has_drift,
        coalesce(d.severity = 'HIGH', FALSE) AS has_warning,
        CASE WHEN v.unit IS NULL OR v.unit = '' THEN v.value ELSE v.value || ' ' || v.unit END AS node_value
    FROM graph_nodes AS n
    INNER JOIN variables AS v ON n.workspace_id = v.workspace_id AND n.variable_id = v.id
    LEFT JOIN drift_items AS d
        ON v.workspace_id = d.workspace_id AND v.id = d.variable_id AND d.status = 'unresolved'
    WHERE n.workspace_id = :workspace_id
),

clause_target AS (
    SELECT
        n.id,
        c.is_sensitive,
        exists(
            SELECT 1 FROM drift_items AS d
            WHERE d.workspace_id = c.workspace_id AND d.clause_id = c.id AND d.status = 'unresolved'
        ) AS has_drift
    FROM graph_nodes AS n
    INNER JOIN clauses AS c ON n.workspace_id = c.workspace_id AND n.clause_id = c.id
    WHERE n.workspace_id = :workspace_id AND n.variable_id IS NULL
),

var_written AS (
    UPDATE graph_nodes AS g
    SET label = t.label, value = t.node_value, has_drift = t.has_drift, has_warning = t.has_warning
    FROM var_target AS t
    WHERE
        g.id = t.id
        AND (g.label, g.value, g.has_drift, g.has_warning)
        IS DISTINCT FROM (t.label::varchar, t.node_value, t.has_drift, t.has_warning)
    RETURNING g.id
),

clause_written AS (
    UPDATE graph_nodes AS g
    SET has_drift = t.has_drift, has_warning = (t.is_sensitive AND t.has_drift)
    FROM clause_target AS t
    WHERE
        g.id = t.id
        AND (g.has_drift, g.has_warning) IS DISTINCT FROM (t.has_drift, t.is_sensitive AND t.has_drift)
    RETURNING g.id
)

SELECT ((SELECT count(*) FROM var_written) + (SELECT count(*) FROM clause_written))::integer AS written;

-- name: adjust_graph_state(workspace_id, drift_delta, warning_delta)!
-- D10 step 4 by difference: drift/warning node counts moved by the deltas, integrity from the cached counts
-- (§7.5, same formula as refresh_graph_state); call under lock_graph_state (uq_graph_state_workspace_id).
UPDATE graph_state
SET
    drift_node_count = drift_node_count + :drift_delta::integer,
    warning_node_count = warning_node_count + :warning_delta::integer,
    integrity_score = CASE
        WHEN node_count = 0 THEN 100
        ELSE
            (
                201 * node_count
                - 60 * (drift_node_count + :drift_delta::integer)
                - 40 * (warning_node_count + :warning_delta::integer)
            )
            / (2 * node_count)
    END
WHERE workspace_id = :workspace_id AND (:drift_delta::integer <> 0 OR :warning_delta::integer <> 0);

-- name: impact_reach_downstream(workspace_id, node_id, max_depth)
-- Impact (§7.7) downstream: each reachable node once at its minimal distance with every predecessor (`vias`) at
-- that distance; the service rebuilds the smallest path from them. One cycle-safe UNION walk (graph_edges index).
-- columns: distance!, vias!
-- row: ImpactReachRow
WITH RECURSIVE walk (node_id, distance, via_id) AS (
    SELECT
        e.target_id,
        1,
        e.source_id
    FROM graph_edges AS e
    WHERE e.workspace_id = :workspace_id AND e.source_id = :node_id AND :max_depth::integer >= 1
    UNION
    SELECT
        e.target_id,
        w.distance + 1,
        e.source_id
    FROM walk AS w
    INNER JOIN graph_edges AS e ON w.node_id = e.source_id
    WHERE e.workspace_id = :workspace_id AND w.distance < :max_depth::integer
),

best AS (
    SELECT
        node_id,
        min(distance) AS distance
    FROM walk
    WHERE node_id <> :node_id
    GROUP BY node_id
)

SELECT
    n.id,
    n.workspace_id,
    n.label,
    n.type,
    n.clause_id,
    n.variable_id,
    n.value,
    n.has_drift,
    n.has_warning,
    n.created_at,
    n.updated_at,
    b.distance,
    array_agg(w.via_id ORDER BY w.via_id) AS vias
FROM best AS b
INNER JOIN walk AS w ON b.node_id = w.node_id AND b.distance = w.distance
INNER JOIN graph_nodes AS n ON b.node_id = n.id
WHERE n.workspace_id = :workspace_id
GROUP BY n.id, b.distance
ORDER BY b.distance, n.id;

-- name: impact_reach_upstream(workspace_id, node_id, max_depth)
-- Impact (§7.7) upstream (target→source): impact_reach_downstream with the edges reversed (idx_graph_edges_target_id).
-- columns: distance!, vias!
-- row: ImpactReachRow
WITH RECURSIVE walk (node_id, distance, via_id) AS (
    SELECT
        e.source_id,
        1,
        e.target_id
    FROM graph_edges AS e
    WHERE e.workspace_id = :workspace_id AND e.target_id = :node_id AND :max_depth::integer >= 1
    UNION
    SELECT
        e.source_id,
        w.distance + 1,
        e.target_id
    FROM walk AS w
    INNER JOIN graph_edges AS e ON w.node_id = e.target_id
    WHERE e.workspace_id = :workspace_id AND w.distance < :max_depth::integer
),

best AS (
    SELECT
        node_id,
        min(distance) AS distance
    FROM walk
    WHERE node_id <> :node_id
    GROUP BY node_id
)

SELECT
    n.id,
    n.workspace_id,
    n.label,
    n.type,
    n.clause_id,
    n.variable_id,
    n.value,
    n.has_drift,
    n.has_warning,
    n.created_at,
    n.updated_at,
    b.distance,
    array_agg(w.via_id ORDER BY w.via_id) AS vias
FROM best AS b
INNER JOIN walk AS w ON b.node_id = w.node_id AND b.distance = w.distance
INNER JOIN graph_nodes AS n ON b.node_id = n.id
WHERE n.workspace_id = :workspace_id
GROUP BY n.id, b.distance
ORDER BY b.distance, n.id;

-- name: list_edges_within(workspace_id, node_ids)
-- Impact `edges`: edges with both ends in a large node set, the set hashed once (hash semi-joins instead of
-- `= any(array)` per row) (idx_graph_edges_workspace_id).
-- row: EdgeRow
WITH ids AS (
    SELECT DISTINCT t.id
    FROM unnest(:node_ids::text[]) AS t (id)
)

SELECT
    e.id,
    e.workspace_id,
    e.source_id,
    e.target_id,
    e.weight,
    e.created_at
FROM graph_edges AS e
WHERE
    e.workspace_id = :workspace_id
    AND e.source_id IN (SELECT ids.id FROM ids)
    AND e.target_id IN (SELECT ids.id FROM ids)
ORDER BY e.id;
