-- Nexus 0004: document, graph and drift tables (schema.md §5.1–§5.5): clauses, variables, graph_nodes,
-- graph_edges, drift_items, with composite tenant FKs, indexes, updated_at triggers and nexus_app grants.
-- depends: 0003_workspaces

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE TABLE clauses (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title varchar(255) NOT NULL,
    body text NOT NULL,
    type clause_type NOT NULL,
    "order" integer NOT NULL,
    is_sensitive boolean NOT NULL DEFAULT false,
    is_locked boolean NOT NULL DEFAULT false,
    -- NULL while locked = governance lock.
    locked_by text REFERENCES users (id) ON DELETE SET NULL,
    locked_at timestamptz,
    last_modified_at timestamptz NOT NULL DEFAULT now(),
    last_modified_by text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(body, '')), 'B')
    ) STORED,
    -- Ordered retrieval; checked at statement end so one UPDATE can shift/reorder (D9).
    CONSTRAINT uq_clauses_workspace_order UNIQUE (workspace_id, "order") DEFERRABLE INITIALLY IMMEDIATE,
    -- Target of the composite tenant FKs.
    CONSTRAINT uq_clauses_workspace_id_id UNIQUE (workspace_id, id),
    CONSTRAINT ck_clauses_order CHECK ("order" >= 1),
    CONSTRAINT ck_clauses_locked_at CHECK (is_locked = (locked_at IS NOT NULL)),
    CONSTRAINT ck_clauses_locked_by CHECK (is_locked OR locked_by IS NULL)
);
-- All clauses of a workspace.
CREATE INDEX idx_clauses_workspace_id ON clauses (workspace_id);
-- Filter by clause type.
CREATE INDEX idx_clauses_type ON clauses (type);
-- Find locked clauses (seed index).
CREATE INDEX idx_clauses_is_locked ON clauses (is_locked);
-- Lock listings and checks within a workspace.
CREATE INDEX idx_clauses_locked ON clauses (workspace_id) WHERE is_locked;
-- Full-text clause search (D11).
CREATE INDEX idx_clauses_search ON clauses USING gin (search_vector);

CREATE TRIGGER trg_clauses_updated_at
BEFORE UPDATE ON clauses
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE variables (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    clause_id text NOT NULL,
    label varchar(255) NOT NULL,
    type variable_type NOT NULL,
    value text NOT NULL,
    unit varchar(50),
    baseline_value text,
    baseline_approved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_modified_at timestamptz NOT NULL DEFAULT now(),
    last_modified_by text REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_variables_workspace_id_id UNIQUE (workspace_id, id),
    CONSTRAINT fk_variables_clause FOREIGN KEY (workspace_id, clause_id)
    REFERENCES clauses (workspace_id, id) ON DELETE CASCADE
);
-- All variables of a workspace.
CREATE INDEX idx_variables_workspace_id ON variables (workspace_id);
-- Variables bound to a clause (and the clause FK cascade).
CREATE INDEX idx_variables_clause_id ON variables (clause_id);
-- Filter by variable type.
CREATE INDEX idx_variables_type ON variables (type);

CREATE TRIGGER trg_variables_updated_at
BEFORE UPDATE ON variables
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE graph_nodes (
    -- Deterministic node-c-<clauseId> / node-v-<variableId>.
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    label varchar(255) NOT NULL,
    type node_type NOT NULL,
    clause_id text,
    variable_id text,
    value text,
    has_drift boolean NOT NULL DEFAULT false,
    has_warning boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_graph_nodes_workspace_id_id UNIQUE (workspace_id, id),
    CONSTRAINT fk_graph_nodes_clause FOREIGN KEY (workspace_id, clause_id)
    REFERENCES clauses (workspace_id, id) ON DELETE SET NULL (clause_id),
    CONSTRAINT fk_graph_nodes_variable FOREIGN KEY (workspace_id, variable_id)
    REFERENCES variables (workspace_id, id) ON DELETE SET NULL (variable_id)
);
-- All nodes of a workspace.
CREATE INDEX idx_graph_nodes_workspace_id ON graph_nodes (workspace_id);
-- Filter by node type.
CREATE INDEX idx_graph_nodes_type ON graph_nodes (type);
-- Node of a clause (and the clause FK SET NULL).
CREATE INDEX idx_graph_nodes_clause_id ON graph_nodes (clause_id);
-- Node of a variable (and the variable FK SET NULL).
CREATE INDEX idx_graph_nodes_variable_id ON graph_nodes (variable_id);

CREATE TRIGGER trg_graph_nodes_updated_at
BEFORE UPDATE ON graph_nodes
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE graph_edges (
    -- Deterministic edge-<source>--<target>.
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_id text NOT NULL,
    target_id text NOT NULL,
    weight integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Edge upsert key; no duplicate edges.
    CONSTRAINT uq_graph_edges_workspace_source_target UNIQUE (workspace_id, source_id, target_id),
    CONSTRAINT fk_graph_edges_source FOREIGN KEY (workspace_id, source_id)
    REFERENCES graph_nodes (workspace_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_graph_edges_target FOREIGN KEY (workspace_id, target_id)
    REFERENCES graph_nodes (workspace_id, id) ON DELETE CASCADE,
    CONSTRAINT ck_graph_edges_weight CHECK (weight BETWEEN 1 AND 5),
    CONSTRAINT ck_graph_edges_no_self_loop CHECK (source_id <> target_id)
);
-- All edges of a workspace.
CREATE INDEX idx_graph_edges_workspace_id ON graph_edges (workspace_id);
-- Downstream step of the impact CTE (edges out of a node).
CREATE INDEX idx_graph_edges_source_id ON graph_edges (source_id);
-- Upstream step of the impact CTE (edges into a node, 1-hop).
CREATE INDEX idx_graph_edges_target_id ON graph_edges (target_id);

CREATE TABLE drift_items (
    id text PRIMARY KEY DEFAULT nexus_id(),
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    clause_id text NOT NULL,
    -- NULL = clause-level drift.
    variable_id text,
    title varchar(255) NOT NULL,
    type clause_type NOT NULL,
    severity drift_severity NOT NULL,
    baseline_value text NOT NULL,
    baseline_approved_at timestamptz NOT NULL,
    current_value text NOT NULL,
    unit varchar(50),
    current_modified_at timestamptz NOT NULL,
    current_modified_by text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status drift_status NOT NULL DEFAULT 'unresolved',
    approved_by text REFERENCES users (id) ON DELETE SET NULL,
    approved_at timestamptz,
    approval_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fk_drift_items_clause FOREIGN KEY (workspace_id, clause_id)
    REFERENCES clauses (workspace_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_drift_items_variable FOREIGN KEY (workspace_id, variable_id)
    REFERENCES variables (workspace_id, id) ON DELETE SET NULL (variable_id),
    CONSTRAINT ck_drift_items_approved_at CHECK (status = 'unresolved' OR approved_at IS NOT NULL)
);
-- All drift items of a workspace.
CREATE INDEX idx_drift_items_workspace_id ON drift_items (workspace_id);
-- Drift items of a clause (and the clause FK cascade).
CREATE INDEX idx_drift_items_clause_id ON drift_items (clause_id);
-- Drift items of a variable (and the variable FK SET NULL).
CREATE INDEX idx_drift_items_variable_id ON drift_items (variable_id);
-- Filter by severity.
CREATE INDEX idx_drift_items_severity ON drift_items (severity);
-- Filter by status.
CREATE INDEX idx_drift_items_status ON drift_items (status);
-- D13: at most one open drift per variable.
CREATE UNIQUE INDEX uq_drift_open_variable ON drift_items (variable_id)
WHERE status = 'unresolved' AND variable_id IS NOT NULL;
-- At most one open clause-level drift per clause.
CREATE UNIQUE INDEX uq_drift_open_clause ON drift_items (clause_id)
WHERE status = 'unresolved' AND variable_id IS NULL;
-- HIGH count, publish gate, dashboard list and node flags (open drift only).
CREATE INDEX idx_drift_unresolved ON drift_items (workspace_id, severity) WHERE status = 'unresolved';
-- Paged drift list in API order.
CREATE INDEX idx_drift_list ON drift_items (workspace_id, severity, current_modified_at DESC, id DESC);

CREATE TRIGGER trg_drift_items_updated_at
BEFORE UPDATE ON drift_items
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE clauses, variables, graph_nodes, graph_edges, drift_items TO nexus_app;
