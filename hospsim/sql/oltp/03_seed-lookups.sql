-- What the seeder and the stream look up, one round trip each.

-- Row counts of the registry's tables (hospsim.oltp.tables), in its order.
CREATE OR REPLACE FUNCTION {schema}.table_counts() RETURNS TABLE (tabela text, linhas bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY {tables} LOOP
        RETURN QUERY EXECUTE format('SELECT %L::text, count(*) FROM %I.%I', t, {schema_name}, t);
    END LOOP;
END $$;

-- The stream's caches: who may be referenced (pacientes, medicos) and who may still move
-- (agendada consultas, Pendente exames, open internacoes), plus the next batch id.
CREATE OR REPLACE FUNCTION {schema}.stream_lookups() RETURNS TABLE (name text, ids bigint[])
LANGUAGE sql STABLE AS $$
    SELECT 'pacientes', coalesce(array_agg(id ORDER BY id), '{}') FROM {schema}.pacientes
    UNION ALL SELECT 'medicos', coalesce(array_agg(id ORDER BY id), '{}') FROM {schema}.medicos
    UNION ALL SELECT 'consultas', coalesce(array_agg(id ORDER BY id), '{}')
        FROM {schema}.consultas WHERE status = 'agendada'
    UNION ALL SELECT 'exames', coalesce(array_agg(id ORDER BY id), '{}')
        FROM {schema}.exames WHERE resultado = 'Pendente'
    UNION ALL SELECT 'internacoes', coalesce(array_agg(id ORDER BY id), '{}')
        FROM {schema}.internacoes WHERE data_saida IS NULL
    UNION ALL SELECT 'next_batch', ARRAY[last_batch + 1] FROM {schema}.stream_state
$$;

-- After a COPY with explicit ids, the sequences continue after the largest id.
CREATE OR REPLACE FUNCTION {schema}.sync_sequences() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY {tables} LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), coalesce(max(id), 0) + 1, false) FROM %s',
                       format('%I.%I', {schema_name}, t), format('%I.%I', {schema_name}, t));
    END LOOP;
END $$;
