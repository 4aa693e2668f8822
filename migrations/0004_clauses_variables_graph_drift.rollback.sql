-- Nexus 0004 rollback: drops the document, graph and drift tables (indexes, triggers and grants go with them).
-- squawk-ignore-file ban-drop-table

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

DROP TABLE drift_items;
DROP TABLE graph_edges;
DROP TABLE graph_nodes;
DROP TABLE variables;
DROP TABLE clauses;
