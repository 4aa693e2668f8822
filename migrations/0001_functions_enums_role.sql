-- Nexus 0001: shared functions, enum types, the nexus_app runtime role and schema-level grants.
-- Creates nexus_id(), nexus_set_updated_at(), nexus_reject_change(), the 16 enum types of schema.md §2,
-- role nexus_app (NOLOGIN, only if missing: roles are cluster-wide) and its schema/_yoyo_migration grants (§7).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

-- Id default: 'c' + 8 base36 chars of epoch milliseconds + 16 base36 chars of random bytes (schema.md §0).
-- Random bytes come from two core gen_random_uuid() values, skipping the version/variant bytes (6 and 8)
-- so every byte used is fully random; byte mod 36 gives ~5.17 bits per char, ~82 bits in total.
CREATE FUNCTION nexus_id() RETURNS text
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    WITH src AS (
        SELECT
            floor(extract(EPOCH FROM clock_timestamp()) * 1000)::bigint AS ms,
            uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) AS rnd
    )
    SELECT 'c'
        || (
            SELECT string_agg(
                substr('0123456789abcdefghijklmnopqrstuvwxyz', ((src.ms / (36::numeric ^ (7 - i))::bigint) % 36)::int + 1, 1),
                '' ORDER BY i
            )
            FROM generate_series(0, 7) AS i
        )
        || (
            SELECT string_agg(
                substr('0123456789abcdefghijklmnopqrstuvwxyz', get_byte(src.rnd, pos) % 36 + 1, 1),
                '' ORDER BY ord
            )
            FROM unnest(ARRAY[0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17]) WITH ORDINALITY AS u (pos, ord)
        )
    FROM src
$$;

-- Row trigger: keeps updated_at current on every UPDATE.
CREATE FUNCTION nexus_set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- Row (UPDATE/DELETE) and statement (TRUNCATE) trigger of append-only tables (domain.md §11.3).
CREATE FUNCTION nexus_reject_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0001';
END;
$$;

-- Enum types (schema.md §2). Declaration order matters; values are only ever appended.
CREATE TYPE member_role AS ENUM ('agent', 'legal', 'risk', 'investor');
CREATE TYPE member_status AS ENUM ('active', 'pending', 'removed');
CREATE TYPE clause_type AS ENUM ('financial', 'covenant', 'definition', 'xref', 'general');
CREATE TYPE variable_type AS ENUM ('financial', 'definition', 'covenant', 'ratio');
CREATE TYPE node_type AS ENUM ('financial', 'covenant', 'definition', 'xref');
CREATE TYPE drift_severity AS ENUM ('HIGH', 'MEDIUM', 'LOW');
CREATE TYPE drift_status AS ENUM ('unresolved', 'overridden', 'reverted', 'approved');
CREATE TYPE confidence_level AS ENUM ('HIGH', 'MEDIUM', 'LOW');
CREATE TYPE reconciliation_decision AS ENUM ('pending', 'applied', 'rejected');
CREATE TYPE reconciliation_file_type AS ENUM ('docx', 'pdf');
CREATE TYPE connector_status AS ENUM ('READY', 'IN_REVIEW', 'DISCONNECTED');
CREATE TYPE connector_type AS ENUM ('LoanIQ', 'Finastra', 'Allvue', 'CovenantTracker');
CREATE TYPE golden_record_status AS ENUM ('READY', 'IN_REVIEW');
CREATE TYPE audit_event_type AS ENUM (
    'LOGIN', 'LOGOUT', 'WORKSPACE_CREATE', 'INVITE_SENT', 'ROLE_CHANGED', 'MEMBER_REMOVED', 'CLAUSE_EDIT',
    'VARIABLE_EDIT', 'VARIABLE_BIND', 'GRAPH_SYNC', 'DRIFT_OVERRIDE', 'DRIFT_REVERT', 'DRIFT_APPROVE', 'RECON_APPLY',
    'RECON_REJECT', 'PUBLISH', 'EXPORT_JSON', 'EXPORT_AUDIT', 'GOVERNANCE_UPDATED', 'SECTION_LOCKED',
    'SECTION_UNLOCKED', 'RECON_UPLOAD'
);
CREATE TYPE reason_category AS ENUM (
    'borrower_request', 'market_conditions', 'credit_update', 'legal_requirement', 'other'
);
CREATE TYPE delivery_status AS ENUM ('pending', 'retrying', 'delivered', 'skipped', 'failed', 'superseded');

-- Runtime role (schema.md §7): cluster-wide, shared by every database on the server, so create it only if missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'nexus_app') THEN
        CREATE ROLE nexus_app NOLOGIN;
    END IF;
END;
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO nexus_app;
GRANT EXECUTE ON FUNCTION nexus_id() TO nexus_app;
-- /ready compares applied migration ids with the shipped ones (yoyo creates this table before 0001 runs).
GRANT SELECT ON TABLE _yoyo_migration TO nexus_app;
