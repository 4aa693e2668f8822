-- Benchmark data for benchmarks/graph_build.py: one scratch workspace with generated clauses (definitions with
-- many terms, clauses using them and cross-referencing each other) and variables. Loaded with aiosql
-- ("apsycopg"); runs only against a scratch database.

-- name: insert_bench_user(user_id)!
-- The owner of the benchmark workspace.
INSERT INTO users (id, email, name, password)
VALUES (:user_id, :user_id || '@bench.example', 'Bench', 'x');

-- name: insert_bench_workspace(workspace_id, user_id)!
-- The benchmark workspace and its graph_state row.
WITH ws AS (
    INSERT INTO workspaces (id, name, created_by_id)
    VALUES (:workspace_id, 'Graph benchmark', :user_id)
    RETURNING id
)

INSERT INTO graph_state (workspace_id, integrity_score)
SELECT
    id,
    100 AS integrity_score
FROM ws;

-- name: insert_bench_clauses(workspace_id, user_id, clause_count, definition_count, terms_per_definition, hot_every)!
-- Clauses 1..definition_count define `terms_per_definition` terms each ("Term <d> <t>"); clause 1 also defines
-- "Hot Term", used by every `hot_every`-th later clause. Later clauses cycle through the other types, use two
-- terms and cross-reference two earlier clauses by number and title.
INSERT INTO clauses (id, workspace_id, title, body, type, "order", is_sensitive, last_modified_by)
SELECT
    'bc-' || i AS id,
    :workspace_id,
    i || '. Section ' || i AS title,
    CASE
        WHEN i <= :definition_count
            THEN
                'In this Agreement: '
                || CASE WHEN i = 1 THEN '"Hot Term" means the hot term; ' ELSE '' END
                || (
                    SELECT string_agg(format('"Term %%s %%s" means item %%s of list %%s', i, t, t, i), '; ')
                    FROM generate_series(1, :terms_per_definition::integer) AS t
                )
                || '.'
        ELSE
            format(
                'The Borrower shall comply with Term %%s %%s and Term %%s %%s at all times. The Agent may rely on '
                'Clause %%s (Section %%s) and Clause %%s. Each Lender confirms the Relevant Amount for the '
                'Interest Period ending on the Quarter Date, as notified in writing by the Agent to the '
                'Borrower not later than five Business Days before that date, in accordance with the terms '
                'of this Agreement.',
                1 + mod(i * 7, :definition_count::integer),
                1 + mod(i * 13, :terms_per_definition::integer),
                1 + mod(i * 11, :definition_count::integer),
                1 + mod(i * 3, :terms_per_definition::integer),
                1 + mod(i * 37, i - 1),
                1 + mod(i * 37, i - 1),
                1 + mod(i * 53, i - 1)
            )
            || CASE WHEN mod(i, :hot_every::integer) = 0 THEN ' The Hot Term applies.' ELSE '' END
    END AS body,
    (
        CASE
            WHEN i <= :definition_count THEN 'definition'
            WHEN mod(i, 4) = 0 THEN 'financial'
            WHEN mod(i, 4) = 1 THEN 'covenant'
            WHEN mod(i, 4) = 2 THEN 'xref'
            ELSE 'general'
        END
    )::clause_type AS type,
    i AS "order",
    mod(i, 3) = 0 AS is_sensitive,
    :user_id
FROM generate_series(1, :clause_count::integer) AS i;

-- name: insert_bench_variables(workspace_id, per_clause)!
-- `per_clause` variables on every clause of the benchmark workspace.
INSERT INTO variables (id, workspace_id, clause_id, label, type, value, unit, baseline_value)
SELECT
    c.id || '-v' || k AS id,
    :workspace_id,
    c.id AS clause_id,
    'Amount ' || k || ' of ' || c.id AS label,
    (CASE mod(k, 3) WHEN 0 THEN 'financial' WHEN 1 THEN 'covenant' ELSE 'ratio' END)::variable_type AS type,
    (c."order" * 1000 + k)::text AS value,
    'USD' AS unit,
    (c."order" * 1000 + k)::text AS baseline_value
FROM clauses AS c
CROSS JOIN generate_series(1, :per_clause::integer) AS k
WHERE c.workspace_id = :workspace_id;

-- name: touch_bench_clause(workspace_id, clause_id)!
-- One body change (a rebuild then has real work: edges of that clause change).
UPDATE clauses
SET body = body || ' Term 1 1 now applies as well.'
WHERE workspace_id = :workspace_id AND id = :clause_id;
