-- Benchmark-only queries of benchmarks/audit_speed.py. Loaded with aiosql ("apsycopg"); read-only except the
-- setup of the scratch append database.

-- name: lock_waiters()^
-- Backends of this database waiting on a heavyweight lock right now: on a chain's advisory lock, or on another
-- lock (e.g. a tuple lock while two appenders' FK checks share the actor's users row).
SELECT
    count(*) FILTER (WHERE wait_event = 'advisory') AS advisory,
    count(*) FILTER (WHERE wait_event <> 'advisory') AS other
FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock';

-- name: synchronous_commit()$
-- The commit durability setting the one-event-per-transaction figure was measured with.
SELECT current_setting('synchronous_commit') AS setting;

-- name: set_synchronous_commit(setting)$
-- This session's synchronous_commit (the off run shows what the commit flush costs).
SELECT set_config('synchronous_commit', :setting, FALSE) AS setting;

-- name: append_events_in_one_statement(workspace_id, actor_id, how_many)!
-- The engine alone: how_many chained events in one INSERT .. SELECT (no client round trip per event).
INSERT INTO audit_events (
    workspace_id, actor_id, actor_name, event_type, target_type, target_id, before_state, after_state
)
SELECT
    :workspace_id,
    :actor_id,
    'Bench' AS actor_name,
    'VARIABLE_EDIT'::audit_event_type AS event_type,
    'variable' AS target_type,
    'v' || g.i::text AS target_id,
    jsonb_build_object('value', g.i::text) AS before_state,
    jsonb_build_object('value', (g.i + 1)::text) AS after_state
FROM generate_series(1, :how_many) AS g (i);
