"""The schema on a real PostgreSQL: tables, keys, triggers, status moves, CDC settings, drop with slots."""
from __future__ import annotations

import time

import psycopg2
import pytest

from hospsim.oltp import schema


@pytest.fixture
def cur(seeded, pg):
    """A cursor in a transaction that is rolled back, so tests leave the seeded data as it was."""
    conn = pg.connect()
    with conn.cursor() as c:
        c.execute(f"SET search_path TO {seeded.oltp.schema}")
        yield c
    conn.rollback()
    conn.close()


def fails(cur, sql, error, args=None):
    cur.execute("SAVEPOINT s")
    with pytest.raises(error) as err:
        cur.execute(sql, args)
    cur.execute("ROLLBACK TO SAVEPOINT s")
    return str(err.value)


def test_init_is_idempotent_and_makes_the_seven_tables(seeded, pg, cur):
    schema.init(seeded, pg)
    cur.execute("SELECT relname, relreplident FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r' "
                "ORDER BY relname", (seeded.oltp.schema,))
    tables = dict(cur.fetchall())
    assert set(tables) == {*schema.TABLES, "stream_state"}
    assert all(tables[t] == "f" for t in schema.TABLES), "REPLICA IDENTITY FULL on the seven tables"
    cur.execute("SELECT tablename FROM pg_publication_tables WHERE pubname = %s AND schemaname = %s",
                (seeded.oltp.publication, seeded.oltp.schema))
    assert {r[0] for r in cur.fetchall()} == set(schema.TABLES), "the stream's bookkeeping is not published"


def test_keys_indexes_and_foreign_key_actions(seeded, cur):
    cur.execute("""SELECT conrelid::regclass::text, confupdtype, confdeltype FROM pg_constraint
                   WHERE contype = 'f' AND connamespace = %s::regnamespace""", (seeded.oltp.schema,))
    fks = cur.fetchall()
    assert len(fks) == 6 and all((u, d) == ("c", "r") for _, u, d in fks), "ON UPDATE CASCADE ON DELETE RESTRICT"
    cur.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s", (seeded.oltp.schema,))
    defs = " | ".join(r[0] for r in cur.fetchall())
    for needle in ("UNIQUE INDEX pacientes_cpf_key", "UNIQUE INDEX medicos_crm_key", "UNIQUE INDEX convenios_cnpj_key",
                   "consultas USING btree (paciente_id)", "consultas USING btree (data_consulta)",
                   "exames USING btree (data_exame)", "internacoes USING btree (data_entrada)"):
        assert needle in defs


def test_updated_at_moves_on_update_only(cur):
    cur.connection.commit()
    cur.connection.autocommit = True
    cur.execute("SELECT created_at, updated_at FROM pacientes WHERE id = 1")
    created, before = cur.fetchone()
    assert created == before
    time.sleep(0.01)
    cur.execute("UPDATE pacientes SET telefone = telefone || '' WHERE id = 1 RETURNING created_at, updated_at")
    created_after, after = cur.fetchone()
    assert created_after == created and after > before
    cur.connection.autocommit = False


def test_constraints_reject_bad_rows(cur):
    cur.execute("SELECT cpf FROM pacientes WHERE id = 1")
    cpf = cur.fetchone()[0]
    insert = ("INSERT INTO pacientes (cpf, nome, sexo, data_nascimento, telefone, endereco, data_cadastro) "
              "VALUES (%s, 'X', 'F', '1990-01-01', '1', 'Rua', now())")
    assert "pacientes_cpf_key" in fails(cur, insert, psycopg2.errors.UniqueViolation, (cpf,))
    assert "pacientes_cpf_format" in fails(cur, insert, psycopg2.errors.CheckViolation, ("12345678900",))
    fails(cur, "INSERT INTO consultas (paciente_id, medico_id, data_consulta) VALUES (999999, 1, now())",
          psycopg2.errors.ForeignKeyViolation)
    fails(cur, "INSERT INTO exames (paciente_id, tipo, data_exame) VALUES (999999, 'x', now())",
          psycopg2.errors.ForeignKeyViolation)
    assert "violates RESTRICT setting" in fails(
        cur, "DELETE FROM pacientes WHERE id = (SELECT paciente_id FROM consultas LIMIT 1)",
        psycopg2.errors.RestrictViolation)
    fails(cur, "INSERT INTO internacoes (paciente_id, data_entrada, data_saida, motivo) "
               "VALUES (1, now(), now() - interval '1 day', 'x')", psycopg2.errors.CheckViolation)
    fails(cur, "UPDATE exames SET resultado = 'Normal' WHERE resultado = 'Pendente'",
          psycopg2.errors.CheckViolation)  # a result needs its data_resultado


def test_on_update_cascade_follows_a_renumbered_paciente(cur):
    cur.execute("SELECT paciente_id, count(*) FROM consultas GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
    pid, n = cur.fetchone()
    cur.execute("UPDATE pacientes SET id = 10000000 WHERE id = %s", (pid,))
    cur.execute("SELECT count(*) FROM consultas WHERE paciente_id = 10000000")
    assert cur.fetchone()[0] == n


def test_only_valid_status_moves(cur):
    cur.execute("SELECT id FROM consultas WHERE status = 'agendada' LIMIT 1")
    agendada = cur.fetchone()[0]
    cur.execute("UPDATE consultas SET status = 'realizada' WHERE id = %s", (agendada,))
    msg = fails(cur, "UPDATE consultas SET status = 'cancelada' WHERE id = %s", psycopg2.errors.CheckViolation,
                (agendada,))
    assert "cannot move from realizada to cancelada" in msg
    fails(cur, "UPDATE consultas SET status = 'agendada' WHERE status = 'faltou'", psycopg2.errors.CheckViolation)
    fails(cur, "UPDATE consultas SET status = 'perdida' WHERE id = (SELECT min(id) FROM consultas WHERE "
               "status = 'agendada')", psycopg2.errors.CheckViolation)

    cur.execute("SELECT id FROM exames WHERE resultado = 'Pendente' LIMIT 1")
    pendente = cur.fetchone()[0]
    cur.execute("UPDATE exames SET resultado = 'Alterado', data_resultado = data_exame WHERE id = %s", (pendente,))
    assert "cannot move from Alterado to Normal" in fails(
        cur, "UPDATE exames SET resultado = 'Normal' WHERE id = %s", psycopg2.errors.CheckViolation, (pendente,))

    cur.execute("SELECT id FROM internacoes WHERE data_saida IS NULL LIMIT 1")
    aberta = cur.fetchone()[0]
    cur.execute("UPDATE internacoes SET data_saida = data_entrada + interval '2 days' WHERE id = %s", (aberta,))
    assert "already set" in fails(cur, "UPDATE internacoes SET data_saida = data_saida + interval '1 day' "
                                       "WHERE id = %s", psycopg2.errors.CheckViolation, (aberta,))


def test_counts_on_a_missing_schema_explain_the_fix(params_factory, pg):
    params = params_factory({"oltp.schema": "t_never_made"}, pg_info=pg)
    with pytest.raises(ValueError, match="does not exist yet; run `hospsim oltp init`"):
        schema.counts(params, pg)


def test_drop_removes_schema_publication_and_only_our_slots(fresh, pg):
    params = fresh(seed_it=False)
    prefix = params.oltp.slot
    conn = pg.connect()
    conn.autocommit = True
    with conn, conn.cursor() as cur:
        for name in (prefix, f"{prefix}_throughput", "t_someone_elses_slot"):
            cur.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (name,))
        try:
            schema.drop(params, pg)
            cur.execute("SELECT slot_name FROM pg_replication_slots WHERE slot_name IN (%s, %s, %s)",
                        (prefix, f"{prefix}_throughput", "t_someone_elses_slot"))
            assert [r[0] for r in cur.fetchall()] == ["t_someone_elses_slot"]
            cur.execute("SELECT count(*) FROM pg_publication WHERE pubname = %s", (params.oltp.publication,))
            assert cur.fetchone()[0] == 0
            cur.execute("SELECT to_regnamespace(%s)", (params.oltp.schema,))
            assert cur.fetchone()[0] is None
        finally:
            cur.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                        "WHERE slot_name = 't_someone_elses_slot'")
    conn.close()


def test_a_stream_batch_applies_once_and_in_sequence(cur):
    state = "SELECT last_batch, batches, events, (counts ->> 'exames.INSERT')::bigint FROM stream_state"
    cur.execute(state)
    last, batches, events, exames_ins = cur.fetchone()
    payload = '{"exames": [{"paciente_id": 1, "tipo": "TSH"}]}'
    cur.execute("SELECT tbl, op, cardinality(ids) FROM apply_stream_batch(%s, %s, now()) WHERE cardinality(ids) > 0",
                (last + 1, payload))
    assert cur.fetchall() == [("exames", "INSERT", 1)]
    for again in (last + 1, last + 3):
        assert "out of sequence" in fails(cur, "SELECT * FROM apply_stream_batch(%s, %s, now())",
                                          psycopg2.errors.UniqueViolation, (again, payload))
    cur.execute(state)
    assert cur.fetchone() == (last + 1, batches + 1, events + 1, exames_ins + 1)
