-- Nexus 0007 rollback: drops the audit tables and chain functions (indexes, triggers and grants go with them).
-- DROP TABLE does not fire the append-only TRUNCATE/DELETE triggers.
-- squawk-ignore-file ban-drop-table, ban-drop-function

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

DROP TRIGGER trg_audit_events_chain ON audit_events;
DROP FUNCTION nexus_audit_chain();
DROP FUNCTION nexus_audit_canonical(audit_events);
DROP TABLE audit_events;
DROP TABLE audit_chain_heads;
