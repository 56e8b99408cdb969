-- What Debezium (pgoutput) needs from the tables: complete before-images of UPDATEs and a publication
-- made by the project (the connector runs with publication.autocreate.mode = disabled).
-- The registry's tables (hospsim.oltp.tables), not stream_state; re-running init resets
-- the publication's list to it.
DO $$
DECLARE
    t    text;
    list text;
BEGIN
    FOREACH t IN ARRAY {tables} LOOP
        EXECUTE format('ALTER TABLE %I.%I REPLICA IDENTITY FULL', {schema_name}, t);
    END LOOP;
    SELECT string_agg(format('%I.%I', {schema_name}, u.t), ', ' ORDER BY u.n) INTO list
    FROM unnest({tables}) WITH ORDINALITY AS u(t, n);
    IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = {publication_name}) THEN
        EXECUTE format('ALTER PUBLICATION %I SET TABLE %s', {publication_name}, list);
    ELSE
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s', {publication_name}, list);
    END IF;
END $$;
