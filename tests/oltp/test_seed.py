"""The seed on a real PostgreSQL: counts equal params, documents valid and unique, dates coherent, one load."""
from __future__ import annotations

import numpy as np
import pytest

from hospsim import documents
from hospsim.oltp import generate, schema, seed


def rows(pg, sql, args=None):
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_counts_after_seed_equal_params(seeded, pg):
    s = seeded.oltp.seed
    counts = schema.counts(seeded, pg)
    assert dict(zip(counts["tabela"], counts["linhas"])) == {
        "pacientes": s.pacientes, "medicos": s.medicos, "convenios": s.convenios,
        "pacientes_convenios": s.pacientes_convenios, "consultas": s.consultas, "exames": s.exames,
        "internacoes": s.internacoes}


def test_documents_in_the_database_are_valid_and_unique(seeded, pg):
    sch = seeded.oltp.schema
    cpfs = np.array([r[0] for r in rows(pg, f"SELECT cpf FROM {sch}.pacientes")])
    cnpjs = np.array([r[0] for r in rows(pg, f"SELECT cnpj FROM {sch}.convenios")])
    assert documents.valid_cpf(cpfs).all() and len(set(cpfs)) == len(cpfs) == seeded.oltp.seed.pacientes
    assert documents.valid_cnpj(cnpjs).all() and len(set(cnpjs)) == len(cnpjs)


def test_dates_and_references_are_coherent_in_the_database(seeded, pg):
    sch = seeded.oltp.schema
    (bad,) = rows(pg, f"""
        SELECT (SELECT count(*) FROM {sch}.consultas c JOIN {sch}.pacientes p ON p.id = c.paciente_id
                WHERE c.data_consulta < p.data_cadastro)
             + (SELECT count(*) FROM {sch}.exames e JOIN {sch}.pacientes p ON p.id = e.paciente_id
                WHERE e.data_exame < p.data_cadastro OR e.data_resultado < e.data_exame)
             + (SELECT count(*) FROM {sch}.internacoes i JOIN {sch}.pacientes p ON p.id = i.paciente_id
                WHERE i.data_entrada < p.data_cadastro OR i.data_saida < i.data_entrada)
             + (SELECT count(*) FROM {sch}.pacientes_convenios pc JOIN {sch}.pacientes p ON p.id = pc.paciente_id
                WHERE pc.data_adesao < p.data_cadastro::date)""")
    assert bad == (0,)
    (open_stays, pending, agendadas), = rows(pg, f"""SELECT
        (SELECT count(*) FROM {sch}.internacoes WHERE data_saida IS NULL),
        (SELECT count(*) FROM {sch}.exames WHERE resultado = 'Pendente'),
        (SELECT count(*) FROM {sch}.consultas WHERE status = 'agendada')""")
    assert open_stays > 0 and pending > 0 and agendadas > 0, "the stream has rows to move from the start"


def test_sequences_continue_after_the_seeded_ids(seeded, pg):
    sch = seeded.oltp.schema
    (nextval,), = rows(pg, f"SELECT nextval(pg_get_serial_sequence('{sch}.pacientes', 'id'))")
    assert nextval == seeded.oltp.seed.pacientes + 1


def test_seed_refuses_a_schema_that_holds_data(seeded, pg):
    with pytest.raises(ValueError, match=r"already holds data \(pacientes: 2000.*hospsim oltp reset"):
        seed.seed(seeded, pg)


def test_the_load_is_one_transaction(fresh, pg):
    params = fresh(seed_it=False)
    tables = generate.seed_tables(params)
    tables["internacoes"].loc[0, "paciente_id"] = 10**9  # the last table fails: nothing may stay behind
    with pytest.raises(Exception, match="foreign key"):
        seed.seed(params, pg, tables=tables)
    counts = schema.counts(params, pg)
    assert counts["linhas"].sum() == 0
