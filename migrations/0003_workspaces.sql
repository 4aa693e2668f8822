-- Nexus 0003: workspace tables (schema.md §4): workspaces, workspace_members, graph_state,
-- their indexes, updated_at triggers and nexus_app grants.
-- depends: 0002_identity

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE TABLE workspaces (
    id text PRIMARY KEY DEFAULT nexus_id(),
    name varchar(255) NOT NULL,
    currency varchar(3) NOT NULL DEFAULT 'USD',
    amount numeric(20, 2) NOT NULL DEFAULT 0,
    standard varchar(50) NOT NULL DEFAULT 'LMA',
    base_pdf_name varchar(255),
    created_by_id text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_sync_at timestamptz DEFAULT now(),
    governance_rules jsonb NOT NULL DEFAULT '{
        "requireReasonForSensitiveEdits": true,
        "legalCanRevertDraft": false,
        "riskApprovalRequiredForOverride": false,
        "publishBlockedWhenHighDrift": true,
        "definitionsLockedAfterApproval": false,
        "externalCounselReadOnly": false
    }'::jsonb,
    archived_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- 'global' is the audit chain id of events without a workspace.
    CONSTRAINT ck_workspaces_id_not_global CHECK (id <> 'global'),
    CONSTRAINT ck_workspaces_currency CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT ck_workspaces_amount CHECK (amount >= 0),
    CONSTRAINT ck_workspaces_governance_object CHECK (jsonb_typeof(governance_rules) = 'object')
);
-- Workspaces created by a user (FK RESTRICT check on user delete).
CREATE INDEX idx_workspaces_created_by ON workspaces (created_by_id);
-- Containment queries on governance rules, e.g. governance_rules @> '{"externalCounselReadOnly": true}'.
CREATE INDEX idx_workspaces_governance ON workspaces USING gin (governance_rules jsonb_path_ops);

-- A graph build only touches last_sync_at, which must not move updated_at (export watermark, domain.md §10.2).
CREATE TRIGGER trg_workspaces_updated_at
BEFORE UPDATE OF
id, name, currency, amount, standard, base_pdf_name, created_by_id, created_at, governance_rules, archived_at,
updated_at
ON workspaces
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE workspace_members (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role member_role NOT NULL DEFAULT 'investor',
    is_admin boolean NOT NULL DEFAULT false,
    is_external boolean NOT NULL DEFAULT false,
    status member_status NOT NULL DEFAULT 'pending',
    invited_at timestamptz NOT NULL DEFAULT now(),
    joined_at timestamptz,
    CONSTRAINT ck_workspace_members_joined CHECK (status <> 'active' OR joined_at IS NOT NULL)
);
-- One membership per user per workspace; membership lookup by user.
CREATE UNIQUE INDEX idx_workspace_members_workspace_user ON workspace_members (user_id, workspace_id);
-- Members of a workspace.
CREATE INDEX idx_workspace_members_workspace_id ON workspace_members (workspace_id);
-- Workspaces of a user.
CREATE INDEX idx_workspace_members_user_id ON workspace_members (user_id);
-- Filter members by status.
CREATE INDEX idx_workspace_members_status ON workspace_members (status);
-- Per-request membership gate and GET /workspaces (active memberships only).
CREATE INDEX idx_workspace_members_active ON workspace_members (user_id, workspace_id) WHERE status = 'active';

CREATE TABLE graph_state (
    id text PRIMARY KEY DEFAULT nexus_id(),
    -- One row per workspace, locked FOR UPDATE by graph builds.
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    integrity_score smallint NOT NULL DEFAULT 100,
    node_count integer NOT NULL DEFAULT 0,
    edge_count integer NOT NULL DEFAULT 0,
    drift_node_count integer NOT NULL DEFAULT 0,
    warning_node_count integer NOT NULL DEFAULT 0,
    last_computed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_graph_state_workspace_id UNIQUE (workspace_id),
    CONSTRAINT ck_graph_state_integrity_score CHECK (integrity_score BETWEEN 0 AND 100),
    CONSTRAINT ck_graph_state_node_count CHECK (node_count >= 0),
    CONSTRAINT ck_graph_state_edge_count CHECK (edge_count >= 0),
    CONSTRAINT ck_graph_state_drift_node_count CHECK (drift_node_count >= 0),
    CONSTRAINT ck_graph_state_warning_node_count CHECK (warning_node_count >= 0)
);

CREATE TRIGGER trg_graph_state_updated_at
BEFORE UPDATE ON graph_state
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

GRANT SELECT, INSERT, UPDATE ON TABLE workspaces, workspace_members TO nexus_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE graph_state TO nexus_app;
