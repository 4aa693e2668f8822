-- Sessions, refresh tokens and login throttling (schema.md §3.2-§3.4, domain.md §3).

-- name: insert_session(user_id, expires_at, user_agent, ip)^
-- Open a session at login/register; its id is the JWT `sid` claim.
-- params: user_agent?, ip?
-- row: SessionRow
INSERT INTO sessions (user_id, expires_at, user_agent, ip)
VALUES (:user_id, :expires_at, :user_agent, :ip::inet)
RETURNING id, user_id, created_at, expires_at, revoked_at, user_agent, host(ip) AS ip;

-- name: get_live_session(session_id, user_id)^
-- The per-request check: the token's session is live, with the user it belongs to (sessions_pkey, users_pkey).
SELECT
    s.id,
    s.user_id,
    s.created_at,
    s.expires_at,
    s.revoked_at,
    s.user_agent,
    host(s.ip) AS ip,
    u.email,
    u.name,
    u.avatar_url,
    u.created_at AS user_created_at
FROM sessions AS s
INNER JOIN users AS u ON s.user_id = u.id
WHERE
    s.id = :session_id
    AND s.user_id = :user_id
    AND s.revoked_at IS NULL
    AND s.expires_at > now();

-- name: list_live_sessions(user_id)
-- GET /auth/sessions: the user's live sessions, newest first (idx_sessions_live).
-- row: SessionRow
SELECT
    id,
    user_id,
    created_at,
    expires_at,
    revoked_at,
    user_agent,
    host(ip) AS ip
FROM sessions
WHERE user_id = :user_id AND revoked_at IS NULL AND expires_at > now()
ORDER BY created_at DESC, id DESC;

-- name: revoke_session(session_id, reason)$
-- Revoke one live session (logout, refresh reuse); returns its id, or NULL when already revoked (sessions_pkey).
UPDATE sessions SET revoked_at = now(), revoked_reason = :reason
WHERE id = :session_id AND revoked_at IS NULL
RETURNING id;

-- name: revoke_user_sessions(user_id, reason)
-- Logout-all: revoke every live session of the user and return their ids (idx_sessions_live).
UPDATE sessions SET revoked_at = now(), revoked_reason = :reason
WHERE user_id = :user_id AND revoked_at IS NULL AND expires_at > now()
RETURNING id;

-- name: revoke_session_tokens(session_ids)!
-- Revoke the live refresh tokens of the given sessions (idx_refresh_tokens_live).
UPDATE refresh_tokens SET revoked_at = now()
WHERE session_id = any(:session_ids::text[]) AND revoked_at IS NULL;

-- name: slide_session(session_id, expires_at)!
-- A refresh slides the live session's expiry to the new token's (sessions_pkey).
UPDATE sessions SET expires_at = :expires_at
WHERE id = :session_id AND revoked_at IS NULL;

-- name: insert_refresh_token(token, user_id, session_id, expires_at)$
-- Store a new refresh token (its SHA-256 hex only) for a session; returns its id.
INSERT INTO refresh_tokens (token, user_id, session_id, expires_at)
VALUES (:token, :user_id, :session_id, :expires_at)
RETURNING id;

-- name: get_refresh_token(token)^
-- Refresh/logout lookup by token digest with its session's state and owner (uq_refresh_tokens_token).
SELECT
    t.id,
    t.user_id,
    t.session_id,
    t.expires_at,
    t.revoked_at,
    t.replaced_by_id,
    s.revoked_at AS session_revoked_at,
    s.expires_at AS session_expires_at,
    u.email,
    u.name
FROM refresh_tokens AS t
INNER JOIN sessions AS s ON t.session_id = s.id
INNER JOIN users AS u ON t.user_id = u.id
WHERE t.token = :token;

-- name: claim_refresh_token(id)$
-- Rotation claim: revoke the token only if still current; NULL means it was already used (reuse) (pkey).
UPDATE refresh_tokens SET revoked_at = now()
WHERE id = :id AND revoked_at IS NULL
RETURNING id;

-- name: link_refresh_token(id, replaced_by_id)!
-- Record the rotation link once the new token exists (refresh_tokens_pkey).
UPDATE refresh_tokens SET replaced_by_id = :replaced_by_id
WHERE id = :id;

-- name: lock_login_key(key)!
-- Serialise the throttle check and the attempt insert per key ('account:<email_key>', 'ip:<ip>'), so a parallel
-- burst cannot pass the check before its failures are recorded; held until the end of the (short) transaction.
SELECT pg_advisory_xact_lock(hashtextextended(:key, 0));

-- name: insert_login_attempt(email_key, ip, user_id, succeeded)$
-- One row per evaluated login attempt (throttling window, last success); returns its id. Login records it as a
-- failure before the password check and marks it succeeded afterwards.
-- params: ip?, user_id?
INSERT INTO login_attempts (email_key, ip, user_id, succeeded)
VALUES (:email_key, :ip::inet, :user_id, :succeeded)
RETURNING id;

-- name: mark_login_attempt_succeeded(id)!
-- The password matched: the attempt recorded as a failure becomes the account's last success (login_attempts_pkey).
UPDATE login_attempts SET succeeded = TRUE
WHERE id = :id;

-- name: account_failures(email_key, window_start)
-- Failed attempts for an account in the window after its last success, newest first, at most the limit of 10
-- (idx_login_attempts_email_key).
SELECT f.attempted_at
FROM login_attempts AS f
WHERE
    f.email_key = :email_key
    AND NOT f.succeeded
    AND f.attempted_at > :window_start
    AND f.attempted_at > coalesce((
        SELECT max(s.attempted_at)
        FROM login_attempts AS s
        WHERE s.email_key = :email_key AND s.succeeded
    ), '-infinity'::timestamptz)
ORDER BY f.attempted_at DESC
LIMIT 10;

-- name: ip_failures(ip, window_start)
-- Failed attempts from one client IP in the window, newest first, at most the limit of 50 (partial IP index).
SELECT attempted_at
FROM login_attempts
WHERE ip = :ip::inet AND NOT succeeded AND attempted_at > :window_start
ORDER BY attempted_at DESC
LIMIT 50;

-- name: delete_old_login_attempts()$
-- Maintenance: forget attempts older than 24 hours (idx_login_attempts_attempted_at); returns the count.
WITH gone AS (
    DELETE FROM login_attempts
    WHERE attempted_at < now() - interval '24 hours'
    RETURNING 1
)

SELECT count(*) FROM gone;

-- name: delete_expired_sessions()$
-- Maintenance: drop sessions (and by cascade their tokens) expired for more than 7 days (idx_sessions_expires_at).
WITH gone AS (
    DELETE FROM sessions
    WHERE expires_at < now() - interval '7 days'
    RETURNING 1
)

SELECT count(*) FROM gone;
