-- name: applied_migrations()
-- Ids of the applied migrations, oldest first (for /ready: the schema is at head when the last one is the
-- newest shipped migration). yoyo's own table holds a few rows; no index needed.
-- columns: migration_id!
SELECT migration_id
FROM _yoyo_migration
ORDER BY applied_at_utc, migration_id;
