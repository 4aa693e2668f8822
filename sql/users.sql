-- Users: registration, login lookup, profile reads (schema.md §3.1).

-- name: get_user_by_email(email)^
-- Login/register lookup, case-insensitive on the trimmed email (idx_users_email on lower(email)).
SELECT
    id,
    email,
    name,
    password,
    avatar_url,
    created_at
FROM users
WHERE lower(email) = lower(btrim(:email));

-- name: insert_user(email, name, password)^
-- Register; NULL when the email is taken (idx_users_email arbitrates concurrent registrations).
-- row: UserRow
INSERT INTO users (email, name, password)
VALUES (:email, :name, :password)
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING id, email, name, avatar_url, created_at;

-- name: update_password_hash(id, password)!
-- Store a rehashed password after a successful login with outdated argon2 parameters (users_pkey).
UPDATE users SET password = :password
WHERE id = :id;
