-- Plans of the graph traversal queries for tests/db/test_q_graph.py: each body is the query of sql/graph.sql
-- verbatim (the test checks it), prefixed by EXPLAIN (FORMAT JSON).

-- name: explain_impact_downstream(workspace_id, node_id, max_depth)$
-- Plan of impact_downstream (must stay the same text as in sql/graph.sql).
EXPLAIN (FORMAT JSON)
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

-- name: explain_impact_upstream(workspace_id, node_id, max_depth)$
-- Plan of impact_upstream (must stay the same text as in sql/graph.sql).
EXPLAIN (FORMAT JSON)
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

-- name: explain_list_connected_nodes(workspace_id, node_id)$
-- Plan of list_connected_nodes (must stay the same text as in sql/graph.sql).
EXPLAIN (FORMAT JSON)
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

-- name: explain_list_node_edges(workspace_id, node_id)$
-- Plan of list_node_edges (must stay the same text as in sql/graph.sql).
EXPLAIN (FORMAT JSON)
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
