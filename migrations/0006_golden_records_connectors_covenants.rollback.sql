-- Nexus 0006 rollback: drops the golden record, connector and covenant tables (indexes, triggers and grants go
-- with them). DROP TABLE does not fire the append-only TRUNCATE/DELETE triggers of golden_record_versions.
-- squawk-ignore-file ban-drop-table

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

DROP TABLE covenants;
DROP TABLE connector_deliveries;
DROP TABLE downstream_connectors;
DROP TABLE golden_record_versions;
DROP TABLE golden_records;
