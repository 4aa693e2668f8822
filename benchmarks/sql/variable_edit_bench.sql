-- Benchmark-only queries of benchmarks/variable_edit.py (the workspace itself comes from graph_bench.sql). Loaded
-- with aiosql ("apsycopg"); runs only against a scratch database.

-- name: analyze_all()!
-- Fresh planner statistics after the bulk load and the first graph build.
ANALYZE;

-- name: round_trip_floor()$
-- The cheapest statement: one round trip with (almost) no server work, the floor of every statement.
SELECT 1;

-- name: database_active_time(dbname)$
-- Milliseconds client backends spent executing statements in database `dbname` (flushed at each disconnect).
SELECT active_time
FROM pg_stat_database
WHERE datname = :dbname;
