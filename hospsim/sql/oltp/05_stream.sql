-- One stream batch in one statement: the inserts and updates of up to BATCH_SIZE events, and the batch's
-- marker row, in one transaction and one round trip. p_batch is JSON made by hospsim.oltp.generate:
--   {"pacientes": [{cpf, nome, sexo, data_nascimento, telefone, endereco}],
--    "consultas": [{paciente_id, medico_id, minutos}], "exames": [{paciente_id, tipo}],
--    "internacoes": [{paciente_id, motivo}],
--    "pacientes_upd": [{id, telefone, endereco}], "consultas_upd": [{id, status}],
--    "exames_upd": [{id, normal, qualitativo}], "tipos_qualitativos": [tipo, ...], "internacoes_upd": [{id}]}
-- An exame's result is `qualitativo` (Positivo/Negativo) when its tipo is listed, else `normal` (Normal/Alterado).
-- Times come from the server clock, never earlier than p_floor (the end of the seeded history), so a new
-- consulta is never before its paciente registered and an alta never before its entrada.
-- UPDATEs find their rows by primary key (id = ANY of the batch's ids), never by scanning the open rows:
-- the planner's statistics lag far behind a fast stream. A row that has already moved is skipped.
-- The batch ids come in sequence (stream_state.last_batch + 1): a batch that was already applied is refused.
-- Returns the ids inserted and updated, per table. stream_rows writes the tables (a block per streamed
-- table); apply_stream_batch checks the sequence and moves stream_state's totals by what stream_rows returned.
CREATE OR REPLACE FUNCTION {schema}.stream_rows(p_batch jsonb, p_at timestamptz)
RETURNS TABLE (tbl text, op text, ids bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    v_at     timestamptz := p_at;
    v_ins    bigint[];
    v_upd    bigint[];
    v_keys   bigint[];
BEGIN
    -- pacientes: new registrations; a phone or an address changes
    v_ins := '{}'; v_upd := '{}';
    IF p_batch ? 'pacientes' THEN
        WITH ins AS (
            INSERT INTO {schema}.pacientes (cpf, nome, sexo, data_nascimento, telefone, endereco, data_cadastro)
            SELECT r.cpf, r.nome, r.sexo, r.data_nascimento, r.telefone, r.endereco, v_at
            FROM jsonb_to_recordset(p_batch -> 'pacientes')
                 AS r(cpf text, nome text, sexo text, data_nascimento date, telefone text, endereco text)
            RETURNING id)
        SELECT coalesce(array_agg(ins.id), '{}') INTO v_ins FROM ins;
    END IF;
    IF p_batch ? 'pacientes_upd' THEN
        v_keys := ARRAY(SELECT (e ->> 'id')::bigint FROM jsonb_array_elements(p_batch -> 'pacientes_upd') e);
        WITH upd AS (
            UPDATE {schema}.pacientes p
            SET telefone = coalesce(r.telefone, p.telefone), endereco = coalesce(r.endereco, p.endereco)
            FROM jsonb_to_recordset(p_batch -> 'pacientes_upd') AS r(id bigint, telefone text, endereco text)
            WHERE p.id = ANY (v_keys) AND p.id = r.id
            RETURNING p.id)
        SELECT coalesce(array_agg(upd.id), '{}') INTO v_upd FROM upd;
    END IF;
    tbl := 'pacientes'; op := 'INSERT'; ids := v_ins; RETURN NEXT;
    op := 'UPDATE'; ids := v_upd; RETURN NEXT;

    -- consultas: booked 'agendada' for a 15-minute slot ahead; a realizada/faltou move happens now at the latest
    v_ins := '{}'; v_upd := '{}';
    IF p_batch ? 'consultas' THEN
        WITH ins AS (
            INSERT INTO {schema}.consultas (paciente_id, medico_id, data_consulta)
            SELECT r.paciente_id, r.medico_id,
                   date_bin('15 minutes', v_at + make_interval(mins => r.minutos), timestamptz '2000-01-01 00:00+00')
            FROM jsonb_to_recordset(p_batch -> 'consultas') AS r(paciente_id bigint, medico_id bigint, minutos integer)
            RETURNING id)
        SELECT coalesce(array_agg(ins.id), '{}') INTO v_ins FROM ins;
    END IF;
    IF p_batch ? 'consultas_upd' THEN
        v_keys := ARRAY(SELECT (e ->> 'id')::bigint FROM jsonb_array_elements(p_batch -> 'consultas_upd') e);
        WITH upd AS (
            UPDATE {schema}.consultas c
            SET status = r.status,
                data_consulta = CASE WHEN r.status IN ('realizada', 'faltou') THEN least(c.data_consulta, v_at)
                                     ELSE c.data_consulta END
            FROM jsonb_to_recordset(p_batch -> 'consultas_upd') AS r(id bigint, status text)
            WHERE c.id = ANY (v_keys) AND c.id = r.id AND c.status = 'agendada'
            RETURNING c.id)
        SELECT coalesce(array_agg(upd.id), '{}') INTO v_upd FROM upd;
    END IF;
    tbl := 'consultas'; op := 'INSERT'; ids := v_ins; RETURN NEXT;
    op := 'UPDATE'; ids := v_upd; RETURN NEXT;

    -- exames: collected now, 'Pendente' until a result arrives
    v_ins := '{}'; v_upd := '{}';
    IF p_batch ? 'exames' THEN
        WITH ins AS (
            INSERT INTO {schema}.exames (paciente_id, tipo, data_exame)
            SELECT r.paciente_id, r.tipo, v_at
            FROM jsonb_to_recordset(p_batch -> 'exames') AS r(paciente_id bigint, tipo text)
            RETURNING id)
        SELECT coalesce(array_agg(ins.id), '{}') INTO v_ins FROM ins;
    END IF;
    IF p_batch ? 'exames_upd' THEN
        v_keys := ARRAY(SELECT (e ->> 'id')::bigint FROM jsonb_array_elements(p_batch -> 'exames_upd') e);
        WITH upd AS (
            UPDATE {schema}.exames e
            SET resultado = CASE WHEN e.tipo IN (SELECT jsonb_array_elements_text(p_batch -> 'tipos_qualitativos'))
                                 THEN r.qualitativo ELSE r.normal END,
                data_resultado = greatest(e.data_exame, v_at)
            FROM jsonb_to_recordset(p_batch -> 'exames_upd') AS r(id bigint, normal text, qualitativo text)
            WHERE e.id = ANY (v_keys) AND e.id = r.id AND e.resultado = 'Pendente'
            RETURNING e.id)
        SELECT coalesce(array_agg(upd.id), '{}') INTO v_upd FROM upd;
    END IF;
    tbl := 'exames'; op := 'INSERT'; ids := v_ins; RETURN NEXT;
    op := 'UPDATE'; ids := v_upd; RETURN NEXT;

    -- internacoes: admitted now, discharged (data_saida) by a later UPDATE
    v_ins := '{}'; v_upd := '{}';
    IF p_batch ? 'internacoes' THEN
        WITH ins AS (
            INSERT INTO {schema}.internacoes (paciente_id, data_entrada, motivo)
            SELECT r.paciente_id, v_at, r.motivo
            FROM jsonb_to_recordset(p_batch -> 'internacoes') AS r(paciente_id bigint, motivo text)
            RETURNING id)
        SELECT coalesce(array_agg(ins.id), '{}') INTO v_ins FROM ins;
    END IF;
    IF p_batch ? 'internacoes_upd' THEN
        v_keys := ARRAY(SELECT (e ->> 'id')::bigint FROM jsonb_array_elements(p_batch -> 'internacoes_upd') e);
        WITH upd AS (
            UPDATE {schema}.internacoes i
            SET data_saida = greatest(i.data_entrada, v_at)
            WHERE i.id = ANY (v_keys) AND i.data_saida IS NULL
            RETURNING i.id)
        SELECT coalesce(array_agg(upd.id), '{}') INTO v_upd FROM upd;
    END IF;
    tbl := 'internacoes'; op := 'INSERT'; ids := v_ins; RETURN NEXT;
    op := 'UPDATE'; ids := v_upd; RETURN NEXT;
END $$;

CREATE OR REPLACE FUNCTION {schema}.apply_stream_batch(p_batch_id bigint, p_batch jsonb, p_floor timestamptz)
RETURNS TABLE (tbl text, op text, ids bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    v_last   bigint;
BEGIN
    SELECT last_batch INTO v_last FROM {schema}.stream_state;
    IF p_batch_id <> v_last + 1 THEN
        RAISE EXCEPTION 'stream batch % is out of sequence: the last batch applied is %', p_batch_id, v_last
            USING ERRCODE = 'unique_violation', HINT = 'a batch is applied once; reload the stream state';
    END IF;
    RETURN QUERY
    WITH applied AS MATERIALIZED (
        SELECT r.tbl, r.op, r.ids FROM {schema}.stream_rows(p_batch, greatest(now(), p_floor)) AS r
    ), state AS (
        UPDATE {schema}.stream_state s
        SET last_batch = p_batch_id, batches = s.batches + 1,
            events = s.events + (SELECT coalesce(sum(cardinality(a.ids)), 0) FROM applied a),
            counts = s.counts || (SELECT coalesce(jsonb_object_agg(a.tbl || '.' || a.op,
                                                                   coalesce((s.counts ->> (a.tbl || '.' || a.op))::bigint, 0)
                                                                   + cardinality(a.ids)), '{}')
                                  FROM applied a),
            updated_at = now()
        RETURNING 1)
    SELECT a.tbl, a.op, a.ids FROM applied a;
END $$;
