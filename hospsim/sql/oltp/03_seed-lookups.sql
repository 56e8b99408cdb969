-- What the seeder and the stream look up, one round trip each.

-- Row counts of the seven tables, in the order of the schema.
CREATE OR REPLACE FUNCTION {schema}.table_counts() RETURNS TABLE (tabela text, linhas bigint)
LANGUAGE sql STABLE AS $$
    SELECT 'pacientes', count(*) FROM {schema}.pacientes
    UNION ALL SELECT 'medicos', count(*) FROM {schema}.medicos
    UNION ALL SELECT 'convenios', count(*) FROM {schema}.convenios
    UNION ALL SELECT 'pacientes_convenios', count(*) FROM {schema}.pacientes_convenios
    UNION ALL SELECT 'consultas', count(*) FROM {schema}.consultas
    UNION ALL SELECT 'exames', count(*) FROM {schema}.exames
    UNION ALL SELECT 'internacoes', count(*) FROM {schema}.internacoes
$$;

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
    FOREACH t IN ARRAY ARRAY['pacientes', 'medicos', 'convenios', 'pacientes_convenios', 'consultas', 'exames',
                             'internacoes'] LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), coalesce(max(id), 0) + 1, false) FROM %s',
                       format('%I.%I', {schema_name}, t), format('%I.%I', {schema_name}, t));
    END LOOP;
END $$;
