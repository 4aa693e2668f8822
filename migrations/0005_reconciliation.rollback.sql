-- Nexus 0005 rollback: drops the reconciliation tables (indexes, triggers and grants go with them).
-- squawk-ignore-file ban-drop-table

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

DROP TABLE reconciliation_items;
DROP TABLE reconciliation_sessions;
