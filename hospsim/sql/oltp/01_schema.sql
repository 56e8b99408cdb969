-- The OLTP hospital of the original simulator: seven tables, their natural keys, foreign keys and triggers.
-- Rendered by hospsim.oltp.schema: {schema} is the configured schema (params oltp.schema), quoted.
-- Idempotent: `hospsim oltp init` may run it again on a live schema.

CREATE SCHEMA IF NOT EXISTS {schema};

-- updated_at = the time of the transaction that last changed the row.
CREATE OR REPLACE FUNCTION {schema}.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TABLE IF NOT EXISTS {schema}.pacientes (
    id              BIGSERIAL PRIMARY KEY,
    cpf             VARCHAR(14) NOT NULL,
    nome            TEXT        NOT NULL,
    sexo            CHAR(1)     NOT NULL,
    data_nascimento DATE        NOT NULL,
    telefone        TEXT        NOT NULL,
    endereco        TEXT        NOT NULL,
    data_cadastro   TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pacientes_cpf_key UNIQUE (cpf),
    CONSTRAINT pacientes_cpf_format CHECK (cpf ~ '^[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}$'),
    CONSTRAINT pacientes_sexo_check CHECK (sexo IN ('F', 'M')),
    CONSTRAINT pacientes_nascimento_check CHECK (data_nascimento <= data_cadastro::date)
);

CREATE TABLE IF NOT EXISTS {schema}.medicos (
    id            BIGSERIAL PRIMARY KEY,
    crm           VARCHAR(12) NOT NULL,
    nome          TEXT        NOT NULL,
    especialidade TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT medicos_crm_key UNIQUE (crm),
    CONSTRAINT medicos_crm_format CHECK (crm ~ '^[0-9]{4,6}[A-Z]{2}$')
);

-- tipo = ANS operator modality; cobertura = ANS plan segmentation.
CREATE TABLE IF NOT EXISTS {schema}.convenios (
    id         BIGSERIAL PRIMARY KEY,
    cnpj       VARCHAR(18) NOT NULL,
    nome       TEXT        NOT NULL,
    tipo       TEXT        NOT NULL,
    cobertura  TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT convenios_cnpj_key UNIQUE (cnpj),
    CONSTRAINT convenios_cnpj_format CHECK (cnpj ~ '^[0-9]{2}\.[0-9]{3}\.[0-9]{3}/[0-9]{4}-[0-9]{2}$')
);

CREATE TABLE IF NOT EXISTS {schema}.pacientes_convenios (
    id              BIGSERIAL PRIMARY KEY,
    paciente_id     BIGINT      NOT NULL REFERENCES {schema}.pacientes (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    convenio_id     BIGINT      NOT NULL REFERENCES {schema}.convenios (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    numero_carteira VARCHAR(20) NOT NULL,
    data_adesao     DATE        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pacientes_convenios_key UNIQUE (paciente_id, convenio_id)
);

CREATE TABLE IF NOT EXISTS {schema}.consultas (
    id            BIGSERIAL PRIMARY KEY,
    paciente_id   BIGINT      NOT NULL REFERENCES {schema}.pacientes (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    medico_id     BIGINT      NOT NULL REFERENCES {schema}.medicos (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    data_consulta TIMESTAMPTZ NOT NULL,
    status        TEXT        NOT NULL DEFAULT 'agendada',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT consultas_status_check CHECK (status IN ('agendada', 'realizada', 'cancelada', 'faltou'))
);

CREATE TABLE IF NOT EXISTS {schema}.exames (
    id             BIGSERIAL PRIMARY KEY,
    paciente_id    BIGINT      NOT NULL REFERENCES {schema}.pacientes (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    tipo           TEXT        NOT NULL,
    data_exame     TIMESTAMPTZ NOT NULL,
    resultado      TEXT        NOT NULL DEFAULT 'Pendente',
    data_resultado TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT exames_resultado_check CHECK (resultado IN ('Pendente', 'Normal', 'Alterado', 'Positivo', 'Negativo')),
    CONSTRAINT exames_resultado_data_check CHECK ((resultado = 'Pendente') = (data_resultado IS NULL)),
    CONSTRAINT exames_datas_check CHECK (data_resultado >= data_exame)
);

CREATE TABLE IF NOT EXISTS {schema}.internacoes (
    id           BIGSERIAL PRIMARY KEY,
    paciente_id  BIGINT      NOT NULL REFERENCES {schema}.pacientes (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    data_entrada TIMESTAMPTZ NOT NULL,
    data_saida   TIMESTAMPTZ,
    motivo       TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT internacoes_datas_check CHECK (data_saida >= data_entrada)
);

-- The stream's own bookkeeping, one row, updated by every batch in the batch's own transaction: the last
-- batch applied and the running totals. After a connection drops during COMMIT the stream reads it to
-- know whether its batch was applied (and apply_stream_batch refuses a batch id out of sequence, so
-- nothing is ever applied twice). One row, not one per batch: it does not grow. Not published.
-- counts: rows committed per streamed table and operation ("pacientes.INSERT": n); its keys, the
-- registry's (hospsim.oltp.tables), are all there from init on.
CREATE TABLE IF NOT EXISTS {schema}.stream_state (
    id         BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    last_batch BIGINT      NOT NULL DEFAULT 0,
    batches    BIGINT      NOT NULL DEFAULT 0,
    events     BIGINT      NOT NULL DEFAULT 0,
    counts     JSONB       NOT NULL DEFAULT '{}',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO {schema}.stream_state DEFAULT VALUES ON CONFLICT DO NOTHING;
ALTER TABLE {schema}.stream_state ADD COLUMN IF NOT EXISTS counts JSONB NOT NULL DEFAULT '{}';  -- a schema made
-- before counts (its per-table columns stay, no longer moved) takes init again
UPDATE {schema}.stream_state
SET counts = coalesce((SELECT jsonb_object_agg(k, 0) FROM unnest({counters}) AS k), '{}') || counts;

-- Status moves: a consulta leaves 'agendada' once, to realizada, cancelada or faltou; an exame leaves
-- 'Pendente' once, for a result; an internacao's data_saida (alta), once set, stays.
CREATE OR REPLACE FUNCTION {schema}.check_consulta_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status
       AND NOT (OLD.status = 'agendada' AND NEW.status IN ('realizada', 'cancelada', 'faltou')) THEN
        RAISE EXCEPTION 'consulta %: status cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', HINT = 'only agendada -> realizada, cancelada or faltou';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION {schema}.check_exame_resultado() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.resultado IS DISTINCT FROM OLD.resultado AND OLD.resultado <> 'Pendente' THEN
        RAISE EXCEPTION 'exame %: resultado cannot move from % to %', OLD.id, OLD.resultado, NEW.resultado
            USING ERRCODE = 'check_violation', HINT = 'only Pendente -> Normal, Alterado, Positivo or Negativo';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION {schema}.check_internacao_alta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.data_saida IS NOT NULL AND NEW.data_saida IS DISTINCT FROM OLD.data_saida THEN
        RAISE EXCEPTION 'internacao %: data_saida is already set (%)', OLD.id, OLD.data_saida
            USING ERRCODE = 'check_violation', HINT = 'only open internacoes get a data_saida';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER consultas_status_move BEFORE UPDATE OF status ON {schema}.consultas
    FOR EACH ROW EXECUTE FUNCTION {schema}.check_consulta_status();
CREATE OR REPLACE TRIGGER exames_resultado_move BEFORE UPDATE OF resultado ON {schema}.exames
    FOR EACH ROW EXECUTE FUNCTION {schema}.check_exame_resultado();
CREATE OR REPLACE TRIGGER internacoes_alta_once BEFORE UPDATE OF data_saida ON {schema}.internacoes
    FOR EACH ROW EXECUTE FUNCTION {schema}.check_internacao_alta();

CREATE OR REPLACE TRIGGER pacientes_updated_at BEFORE UPDATE ON {schema}.pacientes
    FOR EACH ROW EXECUTE FUNCTION {schema}.set_updated_at();
CREATE OR REPLACE TRIGGER medicos_updated_at BEFORE UPDATE ON {schema}.medicos
    FOR EACH ROW EXECUTE FUNCTION {schema}.set_updated_at();
CREATE OR REPLACE TRIGGER convenios_updated_at BEFORE UPDATE ON {schema}.convenios
    FOR EACH ROW EXECUTE FUNCTION {schema}.set_updated_at();
CREATE OR REPLACE TRIGGER pacientes_convenios_updated_at BEFORE UPDATE ON {schema}.pacientes_convenios
    FOR EACH ROW EXECUTE FUNCTION {schema}.set_updated_at();
CREATE OR REPLACE TRIGGER consultas_updated_at BEFORE UPDATE ON {schema}.consultas
    FOR EACH ROW EXECUTE FUNCTION {schema}.set_updated_at();
CREATE OR REPLACE TRIGGER exames_updated_at BEFORE UPDATE ON {schema}.exames
    FOR EACH ROW EXECUTE FUNCTION {schema}.set_updated_at();
CREATE OR REPLACE TRIGGER internacoes_updated_at BEFORE UPDATE ON {schema}.internacoes
    FOR EACH ROW EXECUTE FUNCTION {schema}.set_updated_at();
