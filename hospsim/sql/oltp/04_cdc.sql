-- What Debezium (pgoutput) needs from the tables: complete before-images of UPDATEs and a publication
-- made by the project (the connector runs with publication.autocreate.mode = disabled).
ALTER TABLE {schema}.pacientes REPLICA IDENTITY FULL;
ALTER TABLE {schema}.medicos REPLICA IDENTITY FULL;
ALTER TABLE {schema}.convenios REPLICA IDENTITY FULL;
ALTER TABLE {schema}.pacientes_convenios REPLICA IDENTITY FULL;
ALTER TABLE {schema}.consultas REPLICA IDENTITY FULL;
ALTER TABLE {schema}.exames REPLICA IDENTITY FULL;
ALTER TABLE {schema}.internacoes REPLICA IDENTITY FULL;

-- The seven tables only (not stream_state); re-running init resets the list.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = {publication_name}) THEN
        ALTER PUBLICATION {publication} SET TABLE
            {schema}.pacientes, {schema}.medicos, {schema}.convenios, {schema}.pacientes_convenios,
            {schema}.consultas, {schema}.exames, {schema}.internacoes;
    ELSE
        CREATE PUBLICATION {publication} FOR TABLE
            {schema}.pacientes, {schema}.medicos, {schema}.convenios, {schema}.pacientes_convenios,
            {schema}.consultas, {schema}.exames, {schema}.internacoes;
    END IF;
END $$;
