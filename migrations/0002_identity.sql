-- Nexus 0002: identity and auth tables (schema.md §3): users, sessions, refresh_tokens, login_attempts,
-- their indexes, updated_at trigger and nexus_app grants.
-- depends: 0001_functions_enums_role

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE TABLE users (
    id text PRIMARY KEY DEFAULT nexus_id(),
    email varchar(255) NOT NULL,
    name varchar(255) NOT NULL,
    password varchar(255) NOT NULL,
    avatar_url text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_users_email_trimmed CHECK (email = btrim(email)),
    CONSTRAINT ck_users_email_at CHECK (strpos(email, '@') > 0),
    CONSTRAINT ck_users_name_not_blank CHECK (btrim(name) <> '')
);
-- Login/register lookup by email; case-insensitive uniqueness (D4).
CREATE UNIQUE INDEX idx_users_email ON users (lower(email));

CREATE TRIGGER trg_users_updated_at
BEFORE UPDATE ON users
FOR EACH ROW EXECUTE FUNCTION nexus_set_updated_at();

CREATE TABLE sessions (
    id text PRIMARY KEY DEFAULT nexus_id(),
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text,
    user_agent varchar(512),
    ip inet,
    CONSTRAINT uq_sessions_user_id_id UNIQUE (user_id, id),
    CONSTRAINT ck_sessions_revoked_reason
    CHECK (revoked_reason IN ('logout', 'logout_all', 'refresh_reuse', 'admin')),
    CONSTRAINT ck_sessions_reason_needs_revoked CHECK (revoked_reason IS NULL OR revoked_at IS NOT NULL)
);
-- Sessions of a user (FK cascade from users).
CREATE INDEX idx_sessions_user_id ON sessions (user_id);
-- Cleanup of expired sessions.
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);
-- Logout-all and GET /auth/sessions: a user's live sessions.
CREATE INDEX idx_sessions_live ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    id text PRIMARY KEY DEFAULT nexus_id(),
    token char(64) NOT NULL,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    replaced_by_id text REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    -- Refresh/logout lookup by SHA-256 hex of the opaque token.
    CONSTRAINT uq_refresh_tokens_token UNIQUE (token),
    CONSTRAINT fk_refresh_tokens_session FOREIGN KEY (user_id, session_id)
    REFERENCES sessions (user_id, id) ON DELETE CASCADE,
    CONSTRAINT ck_refresh_tokens_replaced_needs_revoked CHECK (replaced_by_id IS NULL OR revoked_at IS NOT NULL)
);
-- Tokens of a user (FK cascade from users).
CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens (user_id);
-- Cleanup of expired tokens.
CREATE INDEX idx_refresh_tokens_expires_at ON refresh_tokens (expires_at);
-- Session revocation: the live tokens of a session.
CREATE INDEX idx_refresh_tokens_live ON refresh_tokens (session_id) WHERE revoked_at IS NULL;

CREATE TABLE login_attempts (
    id text PRIMARY KEY DEFAULT nexus_id(),
    email_key varchar(255) NOT NULL,
    ip inet,
    user_id text REFERENCES users (id) ON DELETE SET NULL,
    succeeded boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
-- Login throttling: per-account window and last success (D6).
CREATE INDEX idx_login_attempts_email_key ON login_attempts (email_key, attempted_at DESC);
-- Login throttling: failed attempts per IP in the window.
CREATE INDEX idx_login_attempts_ip_failed ON login_attempts (ip, attempted_at DESC) WHERE NOT succeeded;
-- 24 h cleanup.
CREATE INDEX idx_login_attempts_attempted_at ON login_attempts (attempted_at);

GRANT SELECT, INSERT, UPDATE ON TABLE users TO nexus_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE sessions, refresh_tokens, login_attempts TO nexus_app;
