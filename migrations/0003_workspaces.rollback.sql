-- Nexus 0003 rollback: drops the workspace tables (their indexes, triggers and grants go with them).
-- squawk-ignore-file ban-drop-table

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

DROP TABLE graph_state;
DROP TABLE workspace_members;
DROP TABLE workspaces;
