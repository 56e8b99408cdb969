-- World mode (hospsim.oltp.world): the changes of the simulated days, applied idempotently.
-- {schema} is the configured schema; %s is psycopg2's VALUES list (execute_values); each returns the ids it changed.

-- name: insert_rows
-- A row that is already there (the same id) is left alone: a day applied again changes nothing.
INSERT INTO {table} ({columns}) VALUES %s ON CONFLICT (id) DO NOTHING RETURNING id;

-- name: update_consultas
-- A consulta moves once, from agendada.
UPDATE {schema}.consultas AS t SET status = v.status
FROM (VALUES %s) AS v (id, status)
WHERE t.id = v.id::bigint AND t.status = 'agendada'
RETURNING t.id;

-- name: update_exames
-- A result arrives once, for a Pendente exame.
UPDATE {schema}.exames AS t SET resultado = v.resultado, data_resultado = v.data_resultado::timestamptz
FROM (VALUES %s) AS v (id, resultado, data_resultado)
WHERE t.id = v.id::bigint AND t.resultado = 'Pendente'
RETURNING t.id;

-- name: update_internacoes
-- The discharge sets data_saida once, on an open internacao.
UPDATE {schema}.internacoes AS t SET data_saida = v.data_saida::timestamptz
FROM (VALUES %s) AS v (id, data_saida)
WHERE t.id = v.id::bigint AND t.data_saida IS NULL
RETURNING t.id;
