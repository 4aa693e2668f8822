-- The private PgBouncer's readiness probe (nexus/bench/pgbouncer.py).

-- name: server_version()$
-- Any round trip to the server (used to see that a pooler forwards queries).
SELECT current_setting('server_version');
