-- SQL used by the auth HTTP tests (tests/api/test_auth.py): reads of the rows the auth routes write, and
-- back-dated login attempts to test the throttling window without sleeping. Loaded with aiosql ("psycopg" adapter,
-- sync autocommit connections to the same database the app under test uses).

-- name: audit_events_of_type(event_type)
-- Every audit event of one type, oldest first, with the JSONB after-state.
SELECT
    workspace_id,
    actor_id,
    actor_name,
    event_type::text AS event_type,
    target_type,
    target_id,
    before_state,
    after_state
FROM audit_events
WHERE event_type = :event_type::audit_event_type
ORDER BY seq;

-- name: login_attempts_for(email_key)
-- The recorded login attempts of one account key, oldest first.
SELECT
    email_key,
    host(ip) AS ip,
    user_id,
    succeeded,
    attempted_at
FROM login_attempts
WHERE email_key = :email_key
ORDER BY attempted_at, id;

-- name: login_attempt_count()$
-- How many login attempts are recorded at all.
SELECT count(*) FROM login_attempts;

-- name: insert_failed_attempts(email_key, ip, n, age_seconds)!
-- Record `n` failed attempts for `email_key` from `ip` (may be NULL), `age_seconds` ago (spaced 1 ms apart,
-- the newest being exactly `age_seconds` old).
INSERT INTO login_attempts (email_key, ip, user_id, succeeded, attempted_at)
SELECT
    :email_key AS attempt_email_key,
    :ip::inet AS ip,
    NULL AS user_id,
    FALSE AS succeeded,
    now() - make_interval(secs => :age_seconds) - make_interval(secs => (g.i - 1) / 1000.0) AS attempted_at
FROM generate_series(1, :n) AS g (i);

-- name: sessions_of_user(user_id)
-- Every session of a user (live or not), newest first.
SELECT
    id,
    created_at,
    expires_at,
    revoked_at,
    revoked_reason,
    user_agent,
    host(ip) AS ip
FROM sessions
WHERE user_id = :user_id
ORDER BY created_at DESC, id DESC;

-- name: session_by_id(id)^
-- One session row.
SELECT
    id,
    user_id,
    created_at,
    expires_at,
    revoked_at,
    revoked_reason,
    user_agent,
    host(ip) AS ip
FROM sessions
WHERE id = :id;

-- name: refresh_tokens_of_session(session_id)
-- The refresh tokens of a session, oldest first (token = stored SHA-256 hex digest).
SELECT
    id,
    token,
    expires_at,
    revoked_at,
    replaced_by_id
FROM refresh_tokens
WHERE session_id = :session_id
ORDER BY created_at, id;

-- name: expire_session(id)!
-- Make a session (and its refresh tokens) expired one second ago.
WITH s AS (
    UPDATE sessions SET expires_at = now() - interval '1 second'
    WHERE id = :id
    RETURNING id
)

UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
WHERE session_id IN (SELECT s.id FROM s);

-- name: user_password_hash(id)$
-- The stored password hash of a user.
SELECT password FROM users
WHERE id = :id;

-- name: set_user_password_hash(id, password)!
-- Overwrite a user's stored password hash (to test rehash-on-login).
UPDATE users SET password = :password
WHERE id = :id;

-- name: lock_refresh_token(token)$
-- Hold the row lock of a refresh token (by digest) until the caller's transaction ends.
SELECT id FROM refresh_tokens
WHERE token = :token FOR UPDATE;

-- name: lock_waiters()$
-- How many backends of this database are waiting for a lock.
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock';

-- name: forget_migration(migration_id)!
-- Make the schema look behind head for /ready (the migration's changes stay in place).
DELETE FROM _yoyo_migration
WHERE migration_id = :migration_id;
