-- Nexus 0007: the audit trail (schema.md §6.6–§6.7, domain.md §11.3–§11.4): audit_chain_heads, audit_events
-- (append-only, hash-chained per workspace / 'global'), nexus_audit_canonical(), the nexus_audit_chain() insert
-- trigger, append-only triggers, indexes and nexus_app grants.
-- depends: 0006_golden_records_connectors_covenants

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE TABLE audit_chain_heads (
    -- Workspace id, or 'global' for events without a workspace.
    chain_id text PRIMARY KEY,
    -- Also the chain's event count (page-mode total).
    last_seq bigint NOT NULL,
    last_hash char(64) NOT NULL,
    -- Monotonic guard: the next event's timestamp is at least this + 1 µs.
    last_timestamp timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER trg_audit_chain_heads_updated_at
BEFORE UPDATE ON audit_chain_heads
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE audit_events (
    id text PRIMARY KEY DEFAULT nexus_id(),
    -- RESTRICT: deleting a workspace must not rewrite audit rows; workspaces are archived.
    workspace_id text REFERENCES workspaces (id) ON DELETE RESTRICT,
    "timestamp" timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    -- Snapshot of users.name at the time of the event.
    actor_name varchar(255) NOT NULL,
    event_type audit_event_type NOT NULL,
    target_type varchar(255),
    target_id varchar(255),
    before_state jsonb,
    after_state jsonb,
    reason text,
    reason_category reason_category,
    -- Chain columns: always computed by nexus_audit_chain(); values supplied by the INSERT are overwritten.
    chain_id text NOT NULL,
    seq bigint NOT NULL,
    prev_hash char(64) NOT NULL,
    hash char(64) NOT NULL,
    -- Keyword search; only immutable functions (an enum-to-text cast is not, so event_type is left out).
    search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector(
            'simple',
            coalesce(actor_name, '') || ' ' || coalesce(target_type, '') || ' ' || coalesce(target_id, '') || ' '
            || coalesce(reason, '')
        )
        || jsonb_to_tsvector('simple', coalesce(before_state, '{}'), '["string", "numeric"]')
        || jsonb_to_tsvector('simple', coalesce(after_state, '{}'), '["string", "numeric"]')
    ) STORED,
    -- Append and verification scan by chain position.
    CONSTRAINT uq_audit_chain_seq UNIQUE (chain_id, seq),
    CONSTRAINT ck_audit_events_chain_id CHECK (chain_id = coalesce(workspace_id, 'global')),
    CONSTRAINT ck_audit_events_seq CHECK (seq >= 1)
);
-- Filter by workspace (and the workspaces FK RESTRICT check).
CREATE INDEX idx_audit_events_workspace_id ON audit_events (workspace_id);
-- Filter by actor (and the users FK RESTRICT check).
CREATE INDEX idx_audit_events_actor_id ON audit_events (actor_id);
-- Filter by event type.
CREATE INDEX idx_audit_events_event_type ON audit_events (event_type);
-- Chronological queries across workspaces.
CREATE INDEX idx_audit_events_timestamp ON audit_events ("timestamp");
-- Workspace list with keyset cursor (cost independent of depth) and export order.
CREATE INDEX idx_audit_ws_keyset ON audit_events (workspace_id, "timestamp" DESC, id DESC);
-- The caller's own global events (workspace_id IS NULL), newest first.
CREATE INDEX idx_audit_global_actor ON audit_events (actor_id, "timestamp" DESC, id DESC)
WHERE workspace_id IS NULL;
-- /audit/target/:t/:id and targetType/targetId filters, already in list order.
CREATE INDEX idx_audit_target ON audit_events (target_type, target_id, "timestamp" DESC, id DESC);
-- keyword filter (websearch_to_tsquery('simple', ...)).
CREATE INDEX idx_audit_search ON audit_events USING gin (search_vector);

-- Canonical encoding of an event (domain.md §11.4): the ::text of a jsonb object, i.e. keys ordered by byte
-- length then bytes, ", " and ": " separators. nexus/domain/audit.py reproduces it for verification.
CREATE FUNCTION nexus_audit_canonical(e audit_events) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
        'v', 1,
        'chainId', e.chain_id,
        'seq', e.seq,
        'prevHash', e.prev_hash::text,
        'id', e.id,
        'workspaceId', e.workspace_id,
        'timestamp', to_char(e."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actorId', e.actor_id,
        'actorName', e.actor_name::text,
        'eventType', e.event_type::text,
        'targetType', e.target_type::text,
        'targetId', e.target_id::text,
        'beforeState', e.before_state,
        'afterState', e.after_state,
        'reason', e.reason,
        'reasonCategory', e.reason_category::text
    )::text
$$;

-- BEFORE INSERT row trigger: appends the event to its chain (schema.md §6.6). Serialised per chain by a
-- transaction advisory lock, held until commit; the head row is upserted in the same statement.
CREATE FUNCTION nexus_audit_chain() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    head_timestamp timestamptz;
BEGIN
    NEW.chain_id := coalesce(NEW.workspace_id, 'global');
    PERFORM pg_advisory_xact_lock(hashtextextended('nexus.audit:' || NEW.chain_id, 0));

    SELECT h.last_seq, h.last_hash, h.last_timestamp
    INTO head_seq, head_hash, head_timestamp
    FROM audit_chain_heads AS h
    WHERE h.chain_id = NEW.chain_id;

    NEW."timestamp" := coalesce(NEW."timestamp", clock_timestamp());
    IF head_seq IS NULL THEN
        NEW.seq := 1;
        NEW.prev_hash := repeat('0', 64);
    ELSE
        NEW.seq := head_seq + 1;
        NEW.prev_hash := head_hash;
        NEW."timestamp" := greatest(NEW."timestamp", head_timestamp + interval '1 microsecond');
    END IF;
    NEW.hash := encode(sha256(convert_to(nexus_audit_canonical(NEW), 'UTF8')), 'hex');

    INSERT INTO audit_chain_heads AS h (chain_id, last_seq, last_hash, last_timestamp)
    VALUES (NEW.chain_id, NEW.seq, NEW.hash, NEW."timestamp")
    ON CONFLICT (chain_id) DO UPDATE
        SET last_seq = excluded.last_seq,
            last_hash = excluded.last_hash,
            last_timestamp = excluded.last_timestamp;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_audit_events_chain
BEFORE INSERT ON audit_events
FOR EACH ROW EXECUTE FUNCTION nexus_audit_chain();

-- Append-only (domain.md §11.3): no UPDATE, DELETE or TRUNCATE, even for the owner.
CREATE TRIGGER trg_audit_events_append_only
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION nexus_reject_change();

CREATE TRIGGER trg_audit_events_no_truncate
BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION nexus_reject_change();

GRANT SELECT, INSERT ON TABLE audit_events TO nexus_app;
GRANT SELECT, INSERT, UPDATE ON TABLE audit_chain_heads TO nexus_app;
