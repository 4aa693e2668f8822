-- Benchmark-only queries of benchmarks/audit_speed.py. Loaded with aiosql ("apsycopg"); read-only except the
-- setup of the scratch append database.

-- name: lock_waiters()$
-- Backends of this database waiting on a heavyweight lock (advisory chain locks included) right now.
SELECT count(*) AS waiting
FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock';
