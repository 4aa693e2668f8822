-- Nexus 0006: golden record, connector and covenant tables (schema.md §6.1–§6.5): golden_records,
-- golden_record_versions (append-only), downstream_connectors, connector_deliveries (outbox), covenants,
-- with composite tenant FKs, indexes, updated_at/append-only triggers and nexus_app grants.
-- depends: 0005_reconciliation

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE TABLE golden_records (
    id text PRIMARY KEY DEFAULT nexus_id(),
    -- One per workspace, created with it.
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    status golden_record_status NOT NULL DEFAULT 'IN_REVIEW',
    integrity_score smallint NOT NULL DEFAULT 100,
    unresolved_high_drift_count integer NOT NULL DEFAULT 0,
    last_export_at timestamptz,
    last_publish_at timestamptz,
    -- Exact bytes of the last exported/published document.
    schema_json text NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_golden_records_workspace_id UNIQUE (workspace_id),
    -- Target of the versions' composite tenant FK.
    CONSTRAINT uq_golden_records_workspace_id_id UNIQUE (workspace_id, id),
    CONSTRAINT ck_golden_records_integrity_score CHECK (integrity_score BETWEEN 0 AND 100),
    CONSTRAINT ck_golden_records_high_drift_count CHECK (unresolved_high_drift_count >= 0)
);

CREATE TRIGGER trg_golden_records_updated_at
BEFORE UPDATE ON golden_records
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE golden_record_versions (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE RESTRICT,
    golden_record_id text NOT NULL,
    version integer NOT NULL,
    -- Exact published bytes (text, not jsonb: byte stability).
    document text NOT NULL,
    content_hash varchar(80) NOT NULL,
    integrity_score smallint NOT NULL,
    published_by text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    published_at timestamptz NOT NULL DEFAULT now(),
    reason text NOT NULL,
    reason_category reason_category,
    -- Version list and next version number of a workspace.
    CONSTRAINT uq_golden_record_versions_workspace_version UNIQUE (workspace_id, version),
    -- Target of the deliveries' composite tenant FK.
    CONSTRAINT uq_golden_record_versions_workspace_id_id UNIQUE (workspace_id, id),
    CONSTRAINT fk_golden_record_versions_golden_record FOREIGN KEY (workspace_id, golden_record_id)
    REFERENCES golden_records (workspace_id, id) ON DELETE RESTRICT,
    CONSTRAINT ck_golden_record_versions_version CHECK (version >= 1),
    CONSTRAINT ck_golden_record_versions_integrity_score CHECK (integrity_score BETWEEN 0 AND 100)
);

-- Append-only (domain.md §11.3): no UPDATE, DELETE or TRUNCATE, even for the owner.
CREATE TRIGGER trg_golden_record_versions_append_only
BEFORE UPDATE OR DELETE ON golden_record_versions
FOR EACH ROW EXECUTE FUNCTION nexus_reject_change();

CREATE TRIGGER trg_golden_record_versions_no_truncate
BEFORE TRUNCATE ON golden_record_versions
FOR EACH STATEMENT EXECUTE FUNCTION nexus_reject_change();

CREATE TABLE downstream_connectors (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name varchar(255) NOT NULL,
    type connector_type NOT NULL,
    status connector_status NOT NULL DEFAULT 'DISCONNECTED',
    last_sync_at timestamptz,
    endpoint_url text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_downstream_connectors_workspace_id_id UNIQUE (workspace_id, id),
    CONSTRAINT ck_downstream_connectors_endpoint_url
    CHECK (endpoint_url ~ '^https?://' AND length(endpoint_url) <= 2048)
);
-- Connectors of a workspace.
CREATE INDEX idx_downstream_connectors_workspace_id ON downstream_connectors (workspace_id);
-- Filter by connector type.
CREATE INDEX idx_downstream_connectors_type ON downstream_connectors (type);
-- Filter by connector status.
CREATE INDEX idx_downstream_connectors_status ON downstream_connectors (status);

CREATE TRIGGER trg_downstream_connectors_updated_at
BEFORE UPDATE ON downstream_connectors
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE connector_deliveries (
    -- Also the Idempotency-Key sent to the connector.
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL,
    connector_id text NOT NULL,
    version_id text NOT NULL,
    status delivery_status NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    -- Due time, or lease expiry while a worker holds the delivery.
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    delivered_at timestamptz,
    last_status_code smallint,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- One delivery per connector and published version.
    CONSTRAINT uq_connector_deliveries_connector_version UNIQUE (connector_id, version_id),
    CONSTRAINT fk_connector_deliveries_connector FOREIGN KEY (workspace_id, connector_id)
    REFERENCES downstream_connectors (workspace_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_connector_deliveries_version FOREIGN KEY (workspace_id, version_id)
    REFERENCES golden_record_versions (workspace_id, id) ON DELETE RESTRICT,
    CONSTRAINT ck_connector_deliveries_attempts CHECK (attempts >= 0),
    CONSTRAINT ck_connector_deliveries_last_error CHECK (char_length(last_error) <= 1000)
);
-- Worker poll: due deliveries.
CREATE INDEX idx_deliveries_due ON connector_deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
-- Deliveries list of a connector, newest first.
CREATE INDEX idx_deliveries_connector ON connector_deliveries (connector_id, created_at DESC);

CREATE TRIGGER trg_connector_deliveries_updated_at
BEFORE UPDATE ON connector_deliveries
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE covenants (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name varchar(255) NOT NULL,
    test_frequency varchar(255) NOT NULL,
    -- Template text; the effective value follows the variable.
    threshold varchar(255) NOT NULL,
    calculation_basis text NOT NULL,
    clause_id text NOT NULL,
    variable_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fk_covenants_clause FOREIGN KEY (workspace_id, clause_id)
    REFERENCES clauses (workspace_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_covenants_variable FOREIGN KEY (workspace_id, variable_id)
    REFERENCES variables (workspace_id, id) ON DELETE SET NULL (variable_id)
);
-- Covenants of a workspace.
CREATE INDEX idx_covenants_workspace_id ON covenants (workspace_id);
-- Covenants of a clause (and the clause FK cascade).
CREATE INDEX idx_covenants_clause_id ON covenants (clause_id);
-- Covenants following a variable (and the variable FK SET NULL).
CREATE INDEX idx_covenants_variable_id ON covenants (variable_id);

CREATE TRIGGER trg_covenants_updated_at
BEFORE UPDATE ON covenants
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

GRANT SELECT, INSERT ON TABLE golden_record_versions TO nexus_app;
GRANT SELECT, INSERT, UPDATE ON TABLE golden_records, downstream_connectors TO nexus_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE connector_deliveries, covenants TO nexus_app;
