-- The stream schema. Its event tables, their indexes and staging tables are made from the event registry
-- and the events' JSON schemas (hospsim.stream.tables.ddl); the files here hold what is shared.
-- Concurrent processors start together: the lock (held to COMMIT) lets one create, the others wait.
SELECT pg_advisory_xact_lock(hashtext('hospsim.stream.schema'));
CREATE SCHEMA IF NOT EXISTS {schema};
