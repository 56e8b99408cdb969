-- B-tree indexes: natural keys (cpf, crm, cnpj, paciente+convenio) are indexed by their UNIQUE constraints;
-- here the foreign keys and the dates. No index on the open states (agendada, Pendente, no data_saida): every
-- new row would pay for one, while the stream finds its UPDATE targets by primary key and reads the open
-- states only when it (re)connects.
CREATE INDEX IF NOT EXISTS pacientes_data_cadastro_idx ON {schema}.pacientes (data_cadastro);
CREATE INDEX IF NOT EXISTS pacientes_convenios_convenio_idx ON {schema}.pacientes_convenios (convenio_id);
CREATE INDEX IF NOT EXISTS consultas_paciente_idx ON {schema}.consultas (paciente_id);
CREATE INDEX IF NOT EXISTS consultas_medico_idx ON {schema}.consultas (medico_id);
CREATE INDEX IF NOT EXISTS consultas_data_idx ON {schema}.consultas (data_consulta);
CREATE INDEX IF NOT EXISTS exames_paciente_idx ON {schema}.exames (paciente_id);
CREATE INDEX IF NOT EXISTS exames_data_idx ON {schema}.exames (data_exame);
CREATE INDEX IF NOT EXISTS internacoes_paciente_idx ON {schema}.internacoes (paciente_id);
CREATE INDEX IF NOT EXISTS internacoes_entrada_idx ON {schema}.internacoes (data_entrada);
