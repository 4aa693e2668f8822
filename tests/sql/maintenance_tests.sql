-- name: age_login_attempts(email_key, hours)!
-- Make one account's attempts look `hours` old.
UPDATE login_attempts SET attempted_at = now() - make_interval(hours => :hours)
WHERE email_key = :email_key;

-- name: expire_session(session_id, days)!
-- Make a session look expired `days` ago.
UPDATE sessions SET expires_at = now() - make_interval(days => :days), created_at = now() - make_interval(days => :days + 7)
WHERE id = :session_id;

-- name: count_login_attempts(email_key)$
SELECT count(*) FROM login_attempts WHERE email_key = :email_key;

-- name: count_session_rows(session_id)$
SELECT (SELECT count(*) FROM sessions WHERE id = :session_id) + (SELECT count(*) FROM refresh_tokens WHERE session_id = :session_id);
