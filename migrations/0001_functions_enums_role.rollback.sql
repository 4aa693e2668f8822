-- Nexus 0001 rollback: removes the functions and enum types, and nexus_app's rights in this database.
-- The role itself is cluster-wide (other databases may use it) and is never dropped.
-- squawk-ignore-file ban-drop-type, ban-drop-function

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

-- Explicit revokes work for any owner; DROP OWNED BY also clears grants made by others, but needs the
-- privileges of nexus_app (superuser or member), so it runs only when the migrating role has them.
REVOKE ALL ON TABLE _yoyo_migration FROM nexus_app;
REVOKE ALL ON SCHEMA public FROM nexus_app;
DO $$
BEGIN
    IF pg_catalog.pg_has_role('nexus_app', 'USAGE') THEN
        EXECUTE 'DROP OWNED BY nexus_app';
    END IF;
END;
$$;

DROP TYPE delivery_status;
DROP TYPE reason_category;
DROP TYPE audit_event_type;
DROP TYPE golden_record_status;
DROP TYPE connector_type;
DROP TYPE connector_status;
DROP TYPE reconciliation_file_type;
DROP TYPE reconciliation_decision;
DROP TYPE confidence_level;
DROP TYPE drift_status;
DROP TYPE drift_severity;
DROP TYPE node_type;
DROP TYPE variable_type;
DROP TYPE clause_type;
DROP TYPE member_status;
DROP TYPE member_role;

DROP FUNCTION nexus_reject_change();
DROP FUNCTION nexus_set_updated_at();
DROP FUNCTION nexus_id();
