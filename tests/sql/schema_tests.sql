-- SQL-level schema tests (tests/db/test_*.py, tests/unit/test_audit_canonical.py): catalog reads and the
-- small writes the tests make. Loaded with aiosql ("psycopg" adapter, sync connections).

-- ---------------------------------------------------------------------------------------------------------
-- Catalog
-- ---------------------------------------------------------------------------------------------------------

-- name: tables_in_public()
-- Every ordinary table in schema public (yoyo's included).
SELECT c.relname AS table_name
FROM pg_catalog.pg_class AS c
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname;

-- name: relations_in_public()
-- Every relation of any kind in schema public (tables, indexes, sequences, views ...).
SELECT c.relname AS relation_name, c.relkind::text AS kind
FROM pg_catalog.pg_class AS c
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
WHERE n.nspname = 'public'
ORDER BY c.relname;

-- name: columns_in_public()
-- Columns of the Nexus tables: type, NOT NULL, default (or generation) expression.
SELECT
    c.relname AS table_name,
    a.attname AS column_name,
    pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
    a.attnotnull AS not_null,
    pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr,
    a.attgenerated::text AS generated
FROM pg_catalog.pg_attribute AS a
INNER JOIN pg_catalog.pg_class AS c ON a.attrelid = c.oid
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
LEFT JOIN pg_catalog.pg_attrdef AS d ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE
    n.nspname = 'public' AND c.relkind = 'r' AND c.relname !~ 'yoyo'
    AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum;

-- name: enum_types()
-- Enum types in schema public with their labels in declaration order.
SELECT t.typname AS type_name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
FROM pg_catalog.pg_type AS t
INNER JOIN pg_catalog.pg_namespace AS n ON t.typnamespace = n.oid
INNER JOIN pg_catalog.pg_enum AS e ON t.oid = e.enumtypid
WHERE n.nspname = 'public'
GROUP BY t.typname
ORDER BY t.typname;

-- name: types_in_public()
-- Types left in schema public that are not a table's own row or array type (enums, domains, ranges,
-- free-standing composites, and their arrays).
SELECT t.typname AS type_name
FROM pg_catalog.pg_type AS t
INNER JOIN pg_catalog.pg_namespace AS n ON t.typnamespace = n.oid
LEFT JOIN pg_catalog.pg_type AS elem ON t.typelem = elem.oid AND t.typcategory = 'A'
LEFT JOIN pg_catalog.pg_class AS rel ON coalesce(elem.typrelid, t.typrelid) = rel.oid
WHERE n.nspname = 'public' AND (rel.oid IS NULL OR rel.relkind = 'c')
ORDER BY t.typname;

-- name: indexes_in_public()
-- Indexes of the Nexus tables with their full definitions.
SELECT tablename AS table_name, indexname AS index_name, indexdef AS definition
FROM pg_catalog.pg_indexes
WHERE schemaname = 'public' AND tablename !~ 'yoyo'
ORDER BY tablename, indexname;

-- name: constraints_in_public()
-- PK / UNIQUE / FK / CHECK constraints of the Nexus tables (PostgreSQL 18 NOT NULL rows excluded).
SELECT
    cl.relname AS table_name,
    co.conname AS constraint_name,
    co.contype::text AS kind,
    co.condeferrable AS is_deferrable,
    co.condeferred AS initially_deferred,
    pg_catalog.pg_get_constraintdef(co.oid) AS definition
FROM pg_catalog.pg_constraint AS co
INNER JOIN pg_catalog.pg_class AS cl ON co.conrelid = cl.oid
INNER JOIN pg_catalog.pg_namespace AS n ON cl.relnamespace = n.oid
WHERE n.nspname = 'public' AND co.contype IN ('p', 'u', 'f', 'c', 'x') AND cl.relname !~ 'yoyo'
ORDER BY cl.relname, co.conname;

-- name: triggers_in_public()
-- User triggers with their full definitions.
SELECT c.relname AS table_name, t.tgname AS trigger_name, pg_catalog.pg_get_triggerdef(t.oid) AS definition
FROM pg_catalog.pg_trigger AS t
INNER JOIN pg_catalog.pg_class AS c ON t.tgrelid = c.oid
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
WHERE n.nspname = 'public' AND NOT t.tgisinternal
ORDER BY c.relname, t.tgname;

-- name: functions_in_public()
-- Functions in schema public with identity arguments, result type and volatility.
SELECT
    p.proname AS function_name,
    pg_catalog.pg_get_function_identity_arguments(p.oid) AS arguments,
    pg_catalog.format_type(p.prorettype, NULL) AS result_type,
    p.provolatile::text AS volatility
FROM pg_catalog.pg_proc AS p
INNER JOIN pg_catalog.pg_namespace AS n ON p.pronamespace = n.oid
WHERE n.nspname = 'public'
ORDER BY p.proname;

-- name: role_attributes(role_name)^
-- Attributes of a cluster role (NULL row when the role does not exist).
SELECT rolname AS role_name, rolcanlogin AS can_login, rolsuper AS is_superuser
FROM pg_catalog.pg_roles
WHERE rolname = :role_name;

-- name: table_privileges_of(role_name)
-- Privileges granted directly to a role on relations of schema public (from the ACLs, grant by grant).
SELECT c.relname AS table_name, a.privilege_type
FROM pg_catalog.pg_class AS c
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a
INNER JOIN pg_catalog.pg_roles AS r ON a.grantee = r.oid
WHERE n.nspname = 'public' AND r.rolname = :role_name
ORDER BY c.relname, a.privilege_type;

-- name: table_privileges_of_public()
-- Privileges granted to PUBLIC (grantee 0) on relations of schema public.
SELECT c.relname AS table_name, a.privilege_type
FROM pg_catalog.pg_class AS c
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a
WHERE n.nspname = 'public' AND a.grantee = 0
ORDER BY c.relname, a.privilege_type;

-- name: schema_public_privileges()
-- Grants on schema public, grantee 'PUBLIC' for grantee 0.
SELECT coalesce(r.rolname, 'PUBLIC') AS grantee, a.privilege_type
FROM pg_catalog.pg_namespace AS n
CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) AS a
LEFT JOIN pg_catalog.pg_roles AS r ON a.grantee = r.oid
WHERE n.nspname = 'public'
ORDER BY 1, 2;

-- name: function_privileges_of(role_name)
-- Functions of schema public on which the role holds an explicit EXECUTE grant.
SELECT p.proname AS function_name, a.privilege_type
FROM pg_catalog.pg_proc AS p
INNER JOIN pg_catalog.pg_namespace AS n ON p.pronamespace = n.oid
CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) AS a
INNER JOIN pg_catalog.pg_roles AS r ON a.grantee = r.oid
WHERE n.nspname = 'public' AND r.rolname = :role_name
ORDER BY 1;

-- name: role_can_execute(role_name, signature)$
-- Whether the role may execute the function (through any grant, PUBLIC included).
SELECT pg_catalog.has_function_privilege(:role_name, :signature, 'EXECUTE');

-- name: set_role_app#
-- Act as the runtime role for the rest of the session.
SET ROLE nexus_app;

-- name: reset_role#
-- Back to the session user (the owner).
RESET ROLE;

-- ---------------------------------------------------------------------------------------------------------
-- Fixture data
-- ---------------------------------------------------------------------------------------------------------

-- name: seed_two_workspaces#
-- Two users with one workspace each, and one row of every workspace-owned kind in both workspaces
-- (fixed ids ending in -a / -b), plus an audit event per workspace so each chain has a head.
INSERT INTO users (id, email, name, password) VALUES
('u-a', 'alice@example.com', 'Alice', 'x'),
('u-b', 'bob@example.com', 'Bob', 'x');
INSERT INTO sessions (id, user_id, expires_at) VALUES
('s-a', 'u-a', now() + interval '1 day'),
('s-b', 'u-b', now() + interval '1 day');
INSERT INTO workspaces (id, name, created_by_id) VALUES ('ws-a', 'Atlas', 'u-a'), ('ws-b', 'Borealis', 'u-b');
INSERT INTO workspace_members (workspace_id, user_id, role, is_admin, status, joined_at) VALUES
('ws-a', 'u-a', 'agent', true, 'active', now()),
('ws-b', 'u-b', 'agent', true, 'active', now());
INSERT INTO graph_state (workspace_id) VALUES ('ws-a'), ('ws-b');
INSERT INTO clauses (id, workspace_id, title, body, type, "order", last_modified_by) VALUES
('cl-a1', 'ws-a', 'Facility', 'The Facility Amount is USD 500,000,000.', 'financial', 1, 'u-a'),
('cl-a2', 'ws-a', 'Margin', 'The Margin is 3.25 per cent per annum.', 'financial', 2, 'u-a'),
('cl-a3', 'ws-a', 'Leverage', 'Leverage shall not exceed 4.00x.', 'covenant', 3, 'u-a'),
('cl-b1', 'ws-b', 'Facility', 'The Facility Amount is EUR 100,000,000.', 'financial', 1, 'u-b');
INSERT INTO variables (id, workspace_id, clause_id, label, type, value, unit) VALUES
('var-a1', 'ws-a', 'cl-a1', 'Facility Amount', 'financial', '500000000', 'USD'),
('var-b1', 'ws-b', 'cl-b1', 'Facility Amount', 'financial', '100000000', 'EUR');
INSERT INTO graph_nodes (id, workspace_id, label, type, clause_id, variable_id) VALUES
('node-a1', 'ws-a', 'Facility', 'financial', 'cl-a1', NULL),
('node-a2', 'ws-a', 'Facility Amount', 'financial', NULL, 'var-a1'),
('node-b1', 'ws-b', 'Facility', 'financial', 'cl-b1', NULL),
('node-b2', 'ws-b', 'Facility Amount', 'financial', NULL, 'var-b1');
INSERT INTO graph_edges (id, workspace_id, source_id, target_id, weight) VALUES
('edge-a', 'ws-a', 'node-a1', 'node-a2', 3);
INSERT INTO drift_items (
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, current_modified_at, current_modified_by
) VALUES
('drift-a', 'ws-a', 'cl-a1', 'var-a1', 'Facility Amount', 'financial', 'HIGH', '400000000', now(),
    '500000000', now(), 'u-a');
INSERT INTO reconciliation_sessions (id, workspace_id, file_name, file_type, uploaded_by, total_items, pending_count)
VALUES ('rs-a', 'ws-a', 'markup.docx', 'docx', 'u-a', 1, 1), ('rs-b', 'ws-b', 'markup.pdf', 'pdf', 'u-b', 0, 0);
INSERT INTO reconciliation_items (
    id, workspace_id, session_id, incoming_snippet, target_clause_id, target_variable_id, confidence,
    baseline_value, current_value, proposed_value
) VALUES ('ri-a', 'ws-a', 'rs-a', 'USD 600,000,000', 'cl-a1', 'var-a1', 'HIGH', '400000000', '500000000', '600000000');
INSERT INTO golden_records (id, workspace_id) VALUES ('gr-a', 'ws-a'), ('gr-b', 'ws-b');
INSERT INTO golden_record_versions (
    id, workspace_id, golden_record_id, version, document, content_hash, integrity_score, published_by, reason
) VALUES
('grv-a', 'ws-a', 'gr-a', 1, '{}', 'sha256:00', 100, 'u-a', 'first'),
('grv-b', 'ws-b', 'gr-b', 1, '{}', 'sha256:00', 100, 'u-b', 'first');
INSERT INTO downstream_connectors (id, workspace_id, name, type, endpoint_url) VALUES
('con-a', 'ws-a', 'LoanIQ', 'LoanIQ', 'https://example.com/hook'),
('con-b', 'ws-b', 'Allvue', 'Allvue', NULL);
INSERT INTO connector_deliveries (id, workspace_id, connector_id, version_id) VALUES ('del-a', 'ws-a', 'con-a', 'grv-a');
INSERT INTO covenants (id, workspace_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id)
VALUES ('cov-a', 'ws-a', 'Leverage', 'Quarterly', '4.00x', 'Net debt / EBITDA', 'cl-a3', 'var-a1');
INSERT INTO audit_events (workspace_id, actor_id, actor_name, event_type) VALUES
('ws-a', 'u-a', 'Alice', 'WORKSPACE_CREATE'),
('ws-b', 'u-b', 'Bob', 'WORKSPACE_CREATE');

-- ---------------------------------------------------------------------------------------------------------
-- Writes used by the constraint tests
-- ---------------------------------------------------------------------------------------------------------

-- name: insert_user(email, name)$
-- A user with a placeholder password; returns the generated id.
INSERT INTO users (email, name, password) VALUES (:email, :name, 'x') RETURNING id;

-- name: insert_workspace(id, created_by_id, currency)!
-- A workspace with the given id and currency.
INSERT INTO workspaces (id, name, created_by_id, currency) VALUES (:id, 'W', :created_by_id, :currency);

-- name: insert_backdated_workspace(id, created_by_id)!
-- A workspace whose updated_at lies in 2000 (an INSERT does not fire the updated_at trigger).
INSERT INTO workspaces (id, name, created_by_id, updated_at) VALUES (:id, 'W', :created_by_id, '2000-01-01T00:00:00Z');

-- name: set_workspace_last_sync(id)!
-- What a graph build writes: last_sync_at only.
UPDATE workspaces SET last_sync_at = now() WHERE id = :id;

-- name: rename_workspace(id, name)!
-- A real workspace change.
UPDATE workspaces SET name = :name WHERE id = :id;

-- name: workspace_updated_at(id)$
-- updated_at of a workspace.
SELECT updated_at FROM workspaces WHERE id = :id;

-- name: delete_workspace(id)!
-- Hard delete of a workspace (the app archives instead).
DELETE FROM workspaces WHERE id = :id;

-- name: insert_clause(id, workspace_id, clause_order)!
-- A clause at the given position.
INSERT INTO clauses (id, workspace_id, title, body, type, "order", last_modified_by)
VALUES (:id, :workspace_id, 'T', 'B', 'general', :clause_order, 'u-a');

-- name: shift_clauses_from(workspace_id, from_order)!
-- Make room at from_order with one UPDATE (passes only because the unique constraint is checked at statement end).
UPDATE clauses SET "order" = "order" + 1 WHERE workspace_id = :workspace_id AND "order" >= :from_order;

-- name: set_clause_order(id, clause_order)!
-- Move one clause.
UPDATE clauses SET "order" = :clause_order WHERE id = :id;

-- name: defer_clause_order#
-- Postpone the clause order check to commit (inside a transaction).
SET CONSTRAINTS uq_clauses_workspace_order DEFERRED;

-- name: clause_orders(workspace_id)
-- Clause ids in order.
SELECT id, "order" AS clause_order FROM clauses WHERE workspace_id = :workspace_id ORDER BY "order";

-- name: lock_clause(id, locked_by)!
-- Set the lock columns as given (is_locked from locked_at).
UPDATE clauses SET is_locked = true, locked_by = :locked_by, locked_at = now() WHERE id = :id;

-- name: lock_clause_without_time(id)!
-- Inconsistent lock: is_locked without locked_at.
UPDATE clauses SET is_locked = true WHERE id = :id;

-- name: insert_variable(id, workspace_id, clause_id)!
-- A variable bound to a clause.
INSERT INTO variables (id, workspace_id, clause_id, label, type, value)
VALUES (:id, :workspace_id, :clause_id, 'L', 'financial', '1');

-- name: delete_variable(id)!
-- Delete a variable (referencing nodes/drift/items/covenants get their variable column nulled).
DELETE FROM variables WHERE id = :id;

-- name: delete_clause(id)!
-- Delete a clause.
DELETE FROM clauses WHERE id = :id;

-- name: insert_graph_node(id, workspace_id, clause_id, variable_id)!
-- A graph node linked to a clause and/or variable.
INSERT INTO graph_nodes (id, workspace_id, label, type, clause_id, variable_id)
VALUES (:id, :workspace_id, 'N', 'financial', :clause_id, :variable_id);

-- name: graph_node_links(id)^
-- The workspace and links of a node.
SELECT workspace_id, clause_id, variable_id FROM graph_nodes WHERE id = :id;

-- name: insert_graph_edge(id, workspace_id, source_id, target_id, weight)!
-- An edge between two nodes.
INSERT INTO graph_edges (id, workspace_id, source_id, target_id, weight)
VALUES (:id, :workspace_id, :source_id, :target_id, :weight);

-- name: insert_drift(id, workspace_id, clause_id, variable_id, status)!
-- A drift item with the given status (approved_at set unless unresolved).
INSERT INTO drift_items (
    id, workspace_id, clause_id, variable_id, title, type, severity, baseline_value, baseline_approved_at,
    current_value, current_modified_at, current_modified_by, status, approved_at
) VALUES (
    :id, :workspace_id, :clause_id, :variable_id, 'D', 'financial', 'LOW', '1', now(), '2', now(), 'u-a',
    CAST(:status AS drift_status),
    CASE WHEN CAST(:status AS drift_status) = 'unresolved' THEN NULL ELSE now() END
);

-- name: set_drift_status(id, status)!
-- Close or reopen a drift item.
UPDATE drift_items
SET
    status = CAST(:status AS drift_status),
    approved_at = CASE WHEN CAST(:status AS drift_status) = 'unresolved' THEN NULL ELSE now() END
WHERE id = :id;

-- name: drift_links(id)^
-- The workspace and links of a drift item.
SELECT workspace_id, clause_id, variable_id FROM drift_items WHERE id = :id;

-- name: insert_recon_item(id, workspace_id, session_id, target_clause_id, target_variable_id)!
-- A pending reconciliation item.
INSERT INTO reconciliation_items (
    id, workspace_id, session_id, incoming_snippet, target_clause_id, target_variable_id, confidence,
    baseline_value, current_value, proposed_value
) VALUES (:id, :workspace_id, :session_id, 'S', :target_clause_id, :target_variable_id, 'LOW', '1', '2', '3');

-- name: decide_recon_item_without_time(id)!
-- Inconsistent decision: applied without decided_at.
UPDATE reconciliation_items SET decision = 'applied' WHERE id = :id;

-- name: insert_recon_session(id, workspace_id, total_items, applied_count, rejected_count, pending_count)!
-- A reconciliation session with the given counters.
INSERT INTO reconciliation_sessions (
    id, workspace_id, file_name, file_type, uploaded_by, total_items, applied_count, rejected_count, pending_count
) VALUES (:id, :workspace_id, 'f.docx', 'docx', 'u-a', :total_items, :applied_count, :rejected_count, :pending_count);

-- name: insert_covenant(id, workspace_id, clause_id, variable_id)!
-- A covenant on a clause, optionally following a variable.
INSERT INTO covenants (id, workspace_id, name, test_frequency, threshold, calculation_basis, clause_id, variable_id)
VALUES (:id, :workspace_id, 'C', 'Quarterly', '1x', 'B', :clause_id, :variable_id);

-- name: insert_refresh_token(id, token, user_id, session_id)!
-- A refresh token of a session.
INSERT INTO refresh_tokens (id, token, user_id, session_id, expires_at)
VALUES (:id, :token, :user_id, :session_id, now() + interval '1 day');

-- name: insert_delivery(id, workspace_id, connector_id, version_id)!
-- An outbox row for a connector and a published version.
INSERT INTO connector_deliveries (id, workspace_id, connector_id, version_id)
VALUES (:id, :workspace_id, :connector_id, :version_id);

-- name: insert_connector(id, workspace_id, endpoint_url)!
-- A connector with the given endpoint.
INSERT INTO downstream_connectors (id, workspace_id, name, type, endpoint_url)
VALUES (:id, :workspace_id, 'C', 'Finastra', :endpoint_url);

-- name: insert_session_revoked(id, user_id, revoked_reason, revoked)!
-- A session with a revocation reason, revoked or not.
INSERT INTO sessions (id, user_id, expires_at, revoked_at, revoked_reason)
VALUES (
    :id, :user_id, now() + interval '1 day', CASE WHEN :revoked THEN now() END, :revoked_reason
);

-- name: backdate_updated_at#
-- Set updated_at far in the past on every row of every table that has the column; the updated_at trigger must
-- replace it with now() on each of them.
UPDATE users SET updated_at = '2000-01-01T00:00:00Z';
UPDATE workspaces SET updated_at = '2000-01-01T00:00:00Z';
UPDATE graph_state SET updated_at = '2000-01-01T00:00:00Z';
UPDATE clauses SET updated_at = '2000-01-01T00:00:00Z';
UPDATE variables SET updated_at = '2000-01-01T00:00:00Z';
UPDATE graph_nodes SET updated_at = '2000-01-01T00:00:00Z';
UPDATE drift_items SET updated_at = '2000-01-01T00:00:00Z';
UPDATE reconciliation_sessions SET updated_at = '2000-01-01T00:00:00Z';
UPDATE reconciliation_items SET updated_at = '2000-01-01T00:00:00Z';
UPDATE golden_records SET updated_at = '2000-01-01T00:00:00Z';
UPDATE downstream_connectors SET updated_at = '2000-01-01T00:00:00Z';
UPDATE connector_deliveries SET updated_at = '2000-01-01T00:00:00Z';
UPDATE covenants SET updated_at = '2000-01-01T00:00:00Z';
UPDATE audit_chain_heads SET updated_at = '2000-01-01T00:00:00Z';

-- name: updated_at_by_table()
-- Per table with updated_at: row count and how many rows still carry a pre-2001 updated_at.
SELECT 'users' AS table_name, count(*) AS total, count(*) FILTER (WHERE updated_at < '2001-01-01') AS stale
FROM users
UNION ALL
SELECT 'workspaces', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM workspaces
UNION ALL
SELECT 'graph_state', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM graph_state
UNION ALL
SELECT 'clauses', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM clauses
UNION ALL
SELECT 'variables', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM variables
UNION ALL
SELECT 'graph_nodes', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM graph_nodes
UNION ALL
SELECT 'drift_items', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM drift_items
UNION ALL
SELECT
    'reconciliation_sessions', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01')
FROM reconciliation_sessions
UNION ALL
SELECT
    'reconciliation_items', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01')
FROM reconciliation_items
UNION ALL
SELECT 'golden_records', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM golden_records
UNION ALL
SELECT
    'downstream_connectors', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01')
FROM downstream_connectors
UNION ALL
SELECT
    'connector_deliveries', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01')
FROM connector_deliveries
UNION ALL
SELECT 'covenants', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM covenants
UNION ALL
SELECT 'audit_chain_heads', count(*), count(*) FILTER (WHERE updated_at < '2001-01-01') FROM audit_chain_heads;

-- name: new_ids(how_many)
-- how_many fresh ids from the column default function.
SELECT nexus_id() AS id FROM generate_series(1, :how_many);

-- name: clock_epoch_ms()$
-- The database clock in epoch milliseconds.
SELECT floor(extract(EPOCH FROM clock_timestamp()) * 1000)::bigint;

-- ---------------------------------------------------------------------------------------------------------
-- Append-only tables
-- ---------------------------------------------------------------------------------------------------------

-- name: update_audit_events()!
-- Tamper with every audit event.
UPDATE audit_events SET reason = 'tampered';

-- name: delete_audit_events()!
-- Delete every audit event.
DELETE FROM audit_events;

-- name: truncate_audit_events#
-- Empty the audit table.
TRUNCATE audit_events;

-- name: count_audit_events()$
-- Number of audit events.
SELECT count(*) FROM audit_events;

-- name: update_golden_record_versions()!
-- Tamper with every published version.
UPDATE golden_record_versions SET reason = 'tampered';

-- name: delete_golden_record_versions()!
-- Delete every published version.
DELETE FROM golden_record_versions;

-- name: truncate_golden_record_versions#
-- Empty the versions table (CASCADE: connector_deliveries references it, and a plain TRUNCATE would be refused
-- by that FK before the append-only trigger runs).
TRUNCATE golden_record_versions CASCADE;

-- name: count_golden_record_versions()$
-- Number of published versions.
SELECT count(*) FROM golden_record_versions;

-- name: delete_user(id)!
-- Hard delete of a user (nexus_app has no DELETE on users).
DELETE FROM users WHERE id = :id;

-- ---------------------------------------------------------------------------------------------------------
-- Audit chain
-- ---------------------------------------------------------------------------------------------------------

-- name: append_audit_event(workspace_id, actor_id, actor_name, event_type)<!
-- A plain append with only business columns (as the app, the seed or psql write it); returns the chain columns.
INSERT INTO audit_events (workspace_id, actor_id, actor_name, event_type)
VALUES (:workspace_id, :actor_id, :actor_name, CAST(:event_type AS audit_event_type))
RETURNING id, chain_id, seq, prev_hash, hash, "timestamp";

-- name: append_audit_event_at(workspace_id, actor_id, event_type, ts)<!
-- An append with an explicit timestamp (seed / generator style); returns the stored timestamp.
INSERT INTO audit_events (workspace_id, actor_id, actor_name, event_type, "timestamp")
VALUES (:workspace_id, :actor_id, 'A', CAST(:event_type AS audit_event_type), :ts)
RETURNING id, seq, "timestamp";

-- name: append_audit_event_forged(workspace_id, actor_id, chain_id, seq, prev_hash, hash)<!
-- An append that tries to choose its own chain columns; the trigger must overwrite all of them.
INSERT INTO audit_events (workspace_id, actor_id, actor_name, event_type, chain_id, seq, prev_hash, hash)
VALUES (:workspace_id, :actor_id, 'A', 'CLAUSE_EDIT', :chain_id, :seq, :prev_hash, :hash)
RETURNING id, chain_id, seq, prev_hash, hash;

-- name: append_audit_events_bulk(workspace_id, actor_id, how_many)!
-- how_many events in one INSERT ... SELECT statement.
INSERT INTO audit_events (workspace_id, actor_id, actor_name, event_type, target_type, target_id)
SELECT :workspace_id, :actor_id, 'A', 'CLAUSE_EDIT', 'clause', 'c-' || g::text
FROM generate_series(1, :how_many) AS g;

-- name: append_full_audit_event(workspace_id, actor_id, actor_name, event_type, target_type, target_id, before_state, after_state, reason, reason_category, ts)<!
-- An append with every business column; returns the stored row and the database's canonical text.
INSERT INTO audit_events AS e (
    workspace_id, actor_id, actor_name, event_type, target_type, target_id, before_state, after_state, reason,
    reason_category, "timestamp"
) VALUES (
    :workspace_id, :actor_id, :actor_name, CAST(:event_type AS audit_event_type), :target_type, :target_id,
    :before_state, :after_state, :reason, CAST(:reason_category AS reason_category), :ts
)
RETURNING
    e.id, e.workspace_id, e."timestamp", e.actor_id, e.actor_name, e.event_type::text AS event_type,
    e.target_type, e.target_id, e.before_state, e.after_state, e.reason, e.reason_category::text AS reason_category,
    e.chain_id, e.seq, e.prev_hash, e.hash, nexus_audit_canonical(e) AS canonical;

-- name: audit_chain(chain_id)
-- One chain in seq order, with every column the hash covers.
SELECT
    id, workspace_id, "timestamp", actor_id, actor_name, event_type::text AS event_type, target_type, target_id,
    before_state, after_state, reason, reason_category::text AS reason_category, chain_id, seq, prev_hash, hash,
    nexus_audit_canonical(audit_events) AS canonical,
    encode(sha256(convert_to(nexus_audit_canonical(audit_events), 'UTF8')), 'hex') AS recomputed_hash
FROM audit_events
WHERE chain_id = :chain_id
ORDER BY seq;

-- name: audit_chain_head(chain_id)^
-- The head row of a chain.
SELECT chain_id, last_seq, last_hash, last_timestamp FROM audit_chain_heads WHERE chain_id = :chain_id;

-- name: user_name(id)$
-- Name of a user (audit actor snapshot).
SELECT name FROM users WHERE id = :id;
