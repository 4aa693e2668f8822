-- Nexus 0005: reconciliation tables (schema.md §5.6–§5.7): reconciliation_sessions, reconciliation_items,
-- with composite tenant FKs, indexes, updated_at triggers and nexus_app grants.
-- depends: 0004_clauses_variables_graph_drift

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE TABLE reconciliation_sessions (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    file_name varchar(255) NOT NULL,
    file_type reconciliation_file_type NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    uploaded_by text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    total_items integer NOT NULL DEFAULT 0,
    applied_count integer NOT NULL DEFAULT 0,
    rejected_count integer NOT NULL DEFAULT 0,
    pending_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_reconciliation_sessions_workspace_id_id UNIQUE (workspace_id, id),
    CONSTRAINT ck_reconciliation_sessions_total_items CHECK (total_items >= 0),
    CONSTRAINT ck_reconciliation_sessions_applied_count CHECK (applied_count >= 0),
    CONSTRAINT ck_reconciliation_sessions_rejected_count CHECK (rejected_count >= 0),
    CONSTRAINT ck_reconciliation_sessions_pending_count CHECK (pending_count >= 0),
    CONSTRAINT ck_reconciliation_sessions_counts
    CHECK (applied_count + rejected_count + pending_count = total_items)
);
-- Sessions of a workspace.
CREATE INDEX idx_reconciliation_sessions_workspace_id ON reconciliation_sessions (workspace_id);
-- Sessions by uploader (and the users FK RESTRICT check).
CREATE INDEX idx_reconciliation_sessions_uploaded_by ON reconciliation_sessions (uploaded_by);
-- Filter by file type.
CREATE INDEX idx_reconciliation_sessions_file_type ON reconciliation_sessions (file_type);
-- Paged session list, newest first (keyset on uploaded_at, id).
CREATE INDEX idx_reconciliation_sessions_list ON reconciliation_sessions (workspace_id, uploaded_at DESC, id DESC);

CREATE TRIGGER trg_reconciliation_sessions_updated_at
BEFORE UPDATE ON reconciliation_sessions
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE reconciliation_items (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    session_id text NOT NULL,
    incoming_snippet text NOT NULL,
    target_clause_id text NOT NULL,
    target_variable_id text,
    confidence confidence_level NOT NULL,
    baseline_value text NOT NULL,
    current_value text NOT NULL,
    proposed_value text NOT NULL,
    decision reconciliation_decision NOT NULL DEFAULT 'pending',
    decision_reason text,
    decided_by text REFERENCES users (id) ON DELETE SET NULL,
    decided_at timestamptz,
    -- Order within the upload.
    position integer NOT NULL DEFAULT 0,
    match_score smallint,
    change_description text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fk_reconciliation_items_session FOREIGN KEY (workspace_id, session_id)
    REFERENCES reconciliation_sessions (workspace_id, id) ON DELETE CASCADE,
    -- The app adjusts the session counters before a clause delete cascades here.
    CONSTRAINT fk_reconciliation_items_clause FOREIGN KEY (workspace_id, target_clause_id)
    REFERENCES clauses (workspace_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_reconciliation_items_variable FOREIGN KEY (workspace_id, target_variable_id)
    REFERENCES variables (workspace_id, id) ON DELETE SET NULL (target_variable_id),
    CONSTRAINT ck_reconciliation_items_decided CHECK ((decision = 'pending') = (decided_at IS NULL)),
    CONSTRAINT ck_reconciliation_items_match_score CHECK (match_score BETWEEN 0 AND 100)
);
-- All items of a workspace.
CREATE INDEX idx_reconciliation_items_workspace_id ON reconciliation_items (workspace_id);
-- Items of a session (and the session FK cascade).
CREATE INDEX idx_reconciliation_items_session_id ON reconciliation_items (session_id);
-- Filter by decision.
CREATE INDEX idx_reconciliation_items_decision ON reconciliation_items (decision);
-- Filter by confidence.
CREATE INDEX idx_reconciliation_items_confidence ON reconciliation_items (confidence);
-- Items targeting a clause (and the clause FK cascade).
CREATE INDEX idx_reconciliation_items_target_clause_id ON reconciliation_items (target_clause_id);
-- Items targeting a variable (and the variable FK SET NULL).
CREATE INDEX idx_reconciliation_items_target_variable_id ON reconciliation_items (target_variable_id);
-- Pending counts of a session and "apply all HIGH".
CREATE INDEX idx_recon_items_pending ON reconciliation_items (session_id) WHERE decision = 'pending';
-- Ordered item list of a session.
CREATE INDEX idx_recon_items_list ON reconciliation_items (session_id, confidence, position);

CREATE TRIGGER trg_reconciliation_items_updated_at
BEFORE UPDATE ON reconciliation_items
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE reconciliation_sessions, reconciliation_items TO nexus_app;
