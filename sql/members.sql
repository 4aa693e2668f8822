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

-- name: insert_owner(workspace_id, user_id)$
-- POST /workspaces: the creator's membership (agent, admin, active, joined now); returns its id.
INSERT INTO workspace_members (workspace_id, user_id, role, is_admin, is_external, status, joined_at)
VALUES (:workspace_id, :user_id, 'agent', TRUE, FALSE, 'active', now())
RETURNING id;

-- name: get_member(workspace_id, member_id)^
-- One member of a workspace with its user (workspace_members_pkey, users_pkey).
-- row: MemberRow
SELECT
    m.id,
    m.workspace_id,
    m.user_id,
    m.role,
    m.is_admin,
    m.is_external,
    m.status,
    m.invited_at,
    m.joined_at,
    u.email,
    u.name,
    u.avatar_url
FROM workspace_members AS m
INNER JOIN users AS u ON m.user_id = u.id
WHERE m.workspace_id = :workspace_id AND m.id = :member_id;

-- name: list_members(workspace_id, status)
-- GET /workspaces/:id/members: every member (or those of one status), admins first, then by invitation time
-- (idx_workspace_members_workspace_id).
-- params: status?
-- row: MemberRow
SELECT
    m.id,
    m.workspace_id,
    m.user_id,
    m.role,
    m.is_admin,
    m.is_external,
    m.status,
    m.invited_at,
    m.joined_at,
    u.email,
    u.name,
    u.avatar_url
FROM workspace_members AS m
INNER JOIN users AS u ON m.user_id = u.id
WHERE m.workspace_id = :workspace_id AND (:status::member_status IS NULL OR m.status = :status::member_status)
ORDER BY m.is_admin DESC, m.invited_at ASC, m.id ASC;

-- name: lock_members(workspace_id)
-- Member PATCH/DELETE: every membership of the workspace, locked until commit, so the last-admin rule is decided
-- on rows no concurrent change can alter (idx_workspace_members_workspace_id).
SELECT
    id,
    user_id,
    role,
    is_admin,
    is_external,
    status
FROM workspace_members
WHERE workspace_id = :workspace_id
ORDER BY id
FOR UPDATE;

-- name: find_invitee(email)^
-- Invite: the user to invite, by case-insensitive email (idx_users_email on lower(email)).
SELECT
    id,
    email
FROM users
WHERE lower(email) = lower(btrim(:email));

-- name: invite_member(workspace_id, user_id, role, is_external)^
-- Invite: a new pending membership, or a removed one back to pending (same row); no row when the user is
-- already active or pending. previous_status is NULL for a new row (idx_workspace_members_workspace_user).
-- columns: id!
WITH previous AS (
    SELECT status
    FROM workspace_members
    WHERE user_id = :user_id AND workspace_id = :workspace_id
)

INSERT INTO workspace_members AS m (workspace_id, user_id, role, is_admin, is_external, status, invited_at)
VALUES (:workspace_id, :user_id, :role, FALSE, :is_external, 'pending', now())
ON CONFLICT (user_id, workspace_id) DO UPDATE
    SET
        role = excluded.role,
        is_admin = FALSE,
        is_external = excluded.is_external,
        status = 'pending',
        invited_at = now(),
        joined_at = NULL
    WHERE m.status = 'removed'
RETURNING m.id, (SELECT p.status FROM previous AS p) AS previous_status;

-- name: update_member(workspace_id, member_id, role, is_admin, is_external)!
-- Member PATCH: write role and flags of a row locked by lock_members (workspace_members_pkey).
UPDATE workspace_members
SET role = :role, is_admin = :is_admin, is_external = :is_external
WHERE workspace_id = :workspace_id AND id = :member_id;

-- name: remove_member(workspace_id, member_id)!
-- Member DELETE: mark a row locked by lock_members removed and drop its admin flag (workspace_members_pkey).
UPDATE workspace_members
SET status = 'removed', is_admin = FALSE
WHERE workspace_id = :workspace_id AND id = :member_id;

-- name: accept_invitation(workspace_id, user_id)^
-- Accept: the caller's PENDING membership becomes active, unless the workspace is archived; no row otherwise
-- (idx_workspace_members_workspace_user, workspaces_pkey).
UPDATE workspace_members AS m
SET status = 'active', joined_at = now()
FROM workspaces AS w
WHERE
    m.user_id = :user_id
    AND m.workspace_id = :workspace_id
    AND m.status = 'pending'
    AND w.id = m.workspace_id
    AND w.archived_at IS NULL
RETURNING m.id, m.role;

-- name: list_invitations(user_id)
-- GET /invitations: the user's PENDING memberships in workspaces that are not archived, newest invitation first
-- (idx_workspace_members_user_id, workspaces_pkey).
SELECT
    m.id,
    m.workspace_id,
    m.user_id,
    m.role,
    m.is_admin,
    m.is_external,
    m.status,
    m.invited_at,
    m.joined_at,
    u.email,
    u.name,
    u.avatar_url,
    w.name AS workspace_name,
    w.currency AS workspace_currency,
    w.amount AS workspace_amount,
    w.standard AS workspace_standard
FROM workspace_members AS m
INNER JOIN users AS u ON m.user_id = u.id
INNER JOIN workspaces AS w ON m.workspace_id = w.id
WHERE m.user_id = :user_id AND m.status = 'pending' AND w.archived_at IS NULL
ORDER BY m.invited_at DESC, m.id DESC;
