-- SQL used by the reliability tests (tests/reliability/): park an API transaction on a lock, find and kill its
-- backend, and read back what it did or did not write. Loaded with aiosql ("psycopg" adapter, sync connections as
-- the superuser to the same database the app under test uses).

-- name: hold_advisory(key)$
-- Take a transaction advisory lock the app also takes, until the caller's transaction ends: 'nexus.audit:<chain>'
-- serialises appends to an audit chain (nexus_audit_chain(), 0007_audit.sql), so an API write parks at its audit
-- INSERT after its other changes; 'account:<email key>' parks a login (sql/sessions.sql lock_login_key).
SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))::text;

-- name: lock_clause_row(id)$
-- Hold the row lock of one clause until the caller's transaction ends.
SELECT id FROM clauses
WHERE id = :id FOR UPDATE;

-- name: lock_waiter_pids()
-- Backends of this database (other than the caller) waiting for a heavyweight lock, oldest wait first.
SELECT
    pid,
    wait_event
FROM pg_stat_activity
WHERE
    datname = current_database()
    AND wait_event_type = 'Lock'
    AND pid <> pg_backend_pid()
ORDER BY query_start;

-- name: terminate_backend(pid)$
-- Kill one backend (its transaction rolls back).
SELECT pg_terminate_backend(:pid);

-- name: clause_state(id)^
-- The stored state of one clause.
SELECT
    body,
    title,
    updated_at,
    last_modified_at
FROM clauses
WHERE id = :id;

-- name: chain_state(chain_id)^
-- How many events a chain holds and what its head says.
SELECT
    (
        SELECT count(*) FROM audit_events
        WHERE chain_id = :chain_id
    ) AS events,
    h.last_seq,
    h.last_hash
FROM audit_chain_heads AS h
WHERE h.chain_id = :chain_id;

-- name: delete_session(id)!
-- Remove a session row (and, by cascade, its refresh tokens).
DELETE FROM sessions
WHERE id = :id;

-- name: session_row(id)^
-- One session row.
SELECT
    id,
    revoked_at,
    revoked_reason
FROM sessions
WHERE id = :id;

-- name: live_refresh_tokens(session_id)$
-- How many refresh tokens of a session are still usable (not revoked).
SELECT count(*) FROM refresh_tokens
WHERE session_id = :session_id AND revoked_at IS NULL;

-- name: logout_events(target_id)
-- The LOGOUT events about one session, oldest first.
SELECT after_state
FROM audit_events
WHERE event_type = 'LOGOUT' AND target_id = :target_id
ORDER BY seq;

-- name: backends_of_database()$
-- How many server connections this database has right now, the caller's own excluded.
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid();
