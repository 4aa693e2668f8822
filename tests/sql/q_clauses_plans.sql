-- Plans of the hot clause queries for tests/db/test_q_clauses.py: each body is the query of sql/clauses.sql
-- verbatim (the test checks it), prefixed by EXPLAIN (FORMAT JSON).

-- name: explain_list_outline(workspace_id)$
-- Plan of list_outline (must stay the same text as in sql/clauses.sql).
EXPLAIN (FORMAT JSON)
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

-- name: explain_list_clauses(workspace_id)$
-- Plan of list_clauses (must stay the same text as in sql/clauses.sql).
EXPLAIN (FORMAT JSON)
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

-- name: explain_list_locked_clauses(workspace_id)$
-- Plan of list_locked_clauses (must stay the same text as in sql/clauses.sql).
EXPLAIN (FORMAT JSON)
SELECT
    id,
    title,
    "order",
    locked_by,
    locked_at
FROM clauses
WHERE workspace_id = :workspace_id AND is_locked
ORDER BY "order";

-- name: explain_search_clauses(workspace_id, search_query, result_limit)$
-- Plan of search_clauses (must stay the same text as in sql/clauses.sql).
EXPLAIN (FORMAT JSON)
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
