-- Workspace memberships: the per-request gate, member lists, invitations and role changes (domain.md §1, §4.3).

-- name: get_membership(workspace_id, user_id)^
-- The membership gate: the caller's membership in a workspace with the workspace's governance and archive state
-- (idx_workspace_members_workspace_user, workspaces_pkey).
SELECT
    m.id,
    m.workspace_id,
    m.user_id,
    m.role,
    m.is_admin,
    m.is_external,
    m.status,
    w.governance_rules,
    w.archived_at
FROM workspace_members AS m
INNER JOIN workspaces AS w ON m.workspace_id = w.id
WHERE m.user_id = :user_id AND m.workspace_id = :workspace_id;
