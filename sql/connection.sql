-- Per-connection and per-transaction settings used by the pool and the services (schema.md §7, api.md §1.15).

-- name: login_role()^
-- Is the login a superuser or the schema owner? Then the pool drops to nexus_app (catalog lookups only).
-- columns: is_superuser!, owns_schema!
SELECT
    r.rolsuper AS is_superuser,
    coalesce(c.relowner = r.oid, false) AS owns_schema
FROM pg_catalog.pg_roles AS r
LEFT JOIN pg_catalog.pg_class AS c
    ON c.relname = 'audit_events' AND c.relnamespace = 'public'::regnamespace
WHERE r.rolname = current_user;

-- name: set_app_role()!
-- Hold only the runtime grants for the rest of this (direct, unpooled) connection.
SET ROLE nexus_app;

-- name: set_statement_timeout(timeout)!
-- Bound every statement of the current transaction (SET LOCAL semantics, pooler-safe); '0' turns it off.
SELECT set_config('statement_timeout', :timeout, true);
