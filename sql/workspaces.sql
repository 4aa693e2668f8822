-- Workspaces: creation, the caller's list, detail, update, archive and governance rules (domain.md §2, §4).
-- Member counts count ACTIVE members only (idx_workspace_members_workspace_id).

-- name: insert_workspace(name, currency, amount, standard, base_pdf_name, created_by_id, governance_rules)$
-- POST /workspaces: the workspace row with the default governance rules; returns its id.
-- params: base_pdf_name?
INSERT INTO workspaces (name, currency, amount, standard, base_pdf_name, created_by_id, governance_rules)
VALUES (:name, :currency, :amount, :standard, :base_pdf_name, :created_by_id, :governance_rules)
RETURNING id;

-- name: list_workspaces_for_user(user_id, include_archived)
-- GET /workspaces: workspaces where the user is an ACTIVE member, newest first; archived ones only on request
-- (idx_workspace_members_active, workspaces_pkey).
-- columns: member_count!
-- row: WorkspaceRow
SELECT
    w.id,
    w.name,
    w.currency,
    w.amount,
    w.standard,
    w.base_pdf_name,
    w.created_by_id,
    w.created_at,
    w.last_sync_at,
    w.governance_rules,
    w.archived_at,
    w.updated_at,
    (
        SELECT count(*) FROM workspace_members AS a
        WHERE a.workspace_id = w.id AND a.status = 'active'
    ) AS member_count
FROM workspace_members AS m
INNER JOIN workspaces AS w ON m.workspace_id = w.id
WHERE
    m.user_id = :user_id
    AND m.status = 'active'
    AND (:include_archived OR w.archived_at IS NULL)
ORDER BY w.created_at DESC, w.id DESC;

-- name: get_workspace(workspace_id)^
-- One workspace in the list shape (responses of create, PATCH, governance PATCH) (workspaces_pkey).
-- columns: member_count!
-- row: WorkspaceRow
SELECT
    w.id,
    w.name,
    w.currency,
    w.amount,
    w.standard,
    w.base_pdf_name,
    w.created_by_id,
    w.created_at,
    w.last_sync_at,
    w.governance_rules,
    w.archived_at,
    w.updated_at,
    (
        SELECT count(*) FROM workspace_members AS a
        WHERE a.workspace_id = w.id AND a.status = 'active'
    ) AS member_count
FROM workspaces AS w
WHERE w.id = :workspace_id;

-- name: get_workspace_detail(workspace_id)^
-- GET /workspaces/:id: the workspace plus clause count, UNRESOLVED drift count and the cached integrity score
-- (workspaces_pkey, idx_clauses_workspace_id, idx_drift_unresolved, uq_graph_state_workspace_id).
-- columns: member_count!, clause_count!, drift_count!, integrity_score!
SELECT
    w.id,
    w.name,
    w.currency,
    w.amount,
    w.standard,
    w.base_pdf_name,
    w.created_by_id,
    w.created_at,
    w.last_sync_at,
    w.governance_rules,
    w.archived_at,
    w.updated_at,
    (
        SELECT count(*) FROM workspace_members AS a
        WHERE a.workspace_id = w.id AND a.status = 'active'
    ) AS member_count,
    (
        SELECT count(*) FROM clauses AS c
        WHERE c.workspace_id = w.id
    ) AS clause_count,
    (
        SELECT count(*) FROM drift_items AS d
        WHERE d.workspace_id = w.id AND d.status = 'unresolved'
    ) AS drift_count,
    coalesce(g.integrity_score, 100) AS integrity_score
FROM workspaces AS w
LEFT JOIN graph_state AS g ON w.id = g.workspace_id
WHERE w.id = :workspace_id;

-- name: lock_workspace_for_update(workspace_id)^
-- PATCH workspace / governance: the current values, row locked until commit so the diff decides the write
-- (workspaces_pkey).
SELECT
    id,
    name,
    currency,
    amount,
    standard,
    base_pdf_name,
    governance_rules,
    archived_at
FROM workspaces
WHERE id = :workspace_id
FOR NO KEY UPDATE;

-- name: lock_workspace_shared(workspace_id)^
-- Member writes: the archive state and governance rules, share-locked so an archive or governance change waits
-- for the member write to commit (workspaces_pkey).
SELECT
    id,
    governance_rules,
    archived_at
FROM workspaces
WHERE id = :workspace_id
FOR SHARE;

-- name: update_workspace(workspace_id, name, currency, amount, standard, base_pdf_name)!
-- PATCH workspace: write the merged fields of a row locked by lock_workspace_for_update (workspaces_pkey).
-- params: base_pdf_name?
UPDATE workspaces
SET
    name = :name,
    currency = :currency,
    amount = :amount,
    standard = :standard,
    base_pdf_name = :base_pdf_name
WHERE id = :workspace_id;

-- name: archive_workspace(workspace_id)$
-- DELETE workspace: set archived_at once; NULL when already archived (idempotent, no event) (workspaces_pkey).
UPDATE workspaces
SET archived_at = now()
WHERE id = :workspace_id AND archived_at IS NULL
RETURNING archived_at;

-- name: set_governance(workspace_id, governance_rules)!
-- PATCH governance: store the merged six rules of a row locked by lock_workspace_for_update (workspaces_pkey).
UPDATE workspaces
SET governance_rules = :governance_rules
WHERE id = :workspace_id;
