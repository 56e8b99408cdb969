"""Seed and stream data without a database: volumes, valid unique documents, coherent dates, the mix."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hospsim import documents
from hospsim.oltp import generate, seed
from hospsim.oltp.generate import ENTITIES


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    from tests.conftest import small_params
    return small_params(tmp_path_factory.mktemp("gen"))


@pytest.fixture(scope="module")
def tables(params):
    return generate.seed_tables(params)


def _csv(tables) -> bytes:
    return b"".join(seed.csv_buffer(df).getvalue().encode() for df in tables.values())


def test_volumes_follow_params(params, tables):
    s = params.oltp.seed
    assert {t: len(df) for t, df in tables.items()} == {
        "pacientes": s.pacientes, "medicos": s.medicos, "convenios": s.convenios,
        "pacientes_convenios": s.pacientes_convenios, "consultas": s.consultas, "exames": s.exames,
        "internacoes": s.internacoes}
    for df in tables.values():
        assert df["id"].tolist() == list(range(1, len(df) + 1))


def test_same_seed_same_bytes_other_seed_other_data(params, tables):
    from tests.conftest import small_params
    assert _csv(generate.seed_tables(params)) == _csv(tables)
    other = small_params(params.dirs.logs_dir.parent, overrides={"seed": params.seed + 1})
    assert _csv(generate.seed_tables(other)) != _csv(tables)


def test_documents_valid_unique_and_formatted(tables):
    cpf = tables["pacientes"]["cpf"]
    assert documents.valid_cpf(cpf.to_numpy()).all() and cpf.is_unique
    assert cpf.str.fullmatch(r"\d{3}\.\d{3}\.\d{3}-\d{2}").all()
    cnpj = tables["convenios"]["cnpj"]
    assert documents.valid_cnpj(cnpj.to_numpy()).all() and cnpj.is_unique
    assert cnpj.str.fullmatch(r"\d{2}\.\d{3}\.\d{3}/0001-\d{2}").all()
    crm = tables["medicos"]["crm"]
    assert crm.is_unique and crm.str.fullmatch(r"\d{6}(" + "|".join(documents.UF) + ")").all()
    assert (crm.str[-2:] == "SP").mean() > 0.7, "most doctors of a São Paulo region are registered in SP"


def test_dates_are_coherent(params, tables):
    end = generate.history_end(params)
    pac = tables["pacientes"].set_index("id")
    registered = pac["data_cadastro"]
    assert (registered < end).all() and registered.is_monotonic_increasing
    assert (pd.to_datetime(pac["data_nascimento"]) <= registered.dt.tz_convert(None)).all()
    c = tables["consultas"]
    assert (c["data_consulta"] >= registered.loc[c["paciente_id"]].to_numpy()).all()
    assert ((c["status"] == "agendada") == (c["data_consulta"] >= end)).all()
    assert set(c["status"]) == {"agendada", "realizada", "cancelada", "faltou"}
    e = tables["exames"]
    assert (e["data_exame"] >= registered.loc[e["paciente_id"]].to_numpy()).all()
    done = e["resultado"] != "Pendente"
    assert e["data_resultado"].isna().equals(~done)
    assert (e.loc[done, "data_resultado"] >= e.loc[done, "data_exame"]).all()
    assert (e.loc[done, "data_resultado"] < end).all()
    qualitative = e["tipo"].isin(generate.QUALITATIVE)
    assert set(e.loc[done & qualitative, "resultado"]) == {"Positivo", "Negativo"}
    assert set(e.loc[done & ~qualitative, "resultado"]) == {"Normal", "Alterado"}
    i = tables["internacoes"]
    assert (i["data_entrada"] >= registered.loc[i["paciente_id"]].to_numpy()).all()
    closed = i["data_saida"].notna()
    assert (i.loc[closed, "data_saida"] >= i.loc[closed, "data_entrada"]).all()
    assert 0 < (~closed).sum() < len(i) * 0.2, "a few stays are still open at as_of"
    los = (i.loc[closed, "data_saida"] - i.loc[closed, "data_entrada"]).dt.total_seconds().mean() / 86_400
    assert 3 < los < 7, f"mean length of stay {los:.1f} days"
    pc = tables["pacientes_convenios"]
    assert not pc.duplicated(["paciente_id", "convenio_id"]).any()
    assert (pd.to_datetime(pc["data_adesao"]) >= registered.loc[pc["paciente_id"]].dt.tz_convert(None).dt.normalize()
            .to_numpy()).all()


def test_references_are_all_valid(params, tables):
    s = params.oltp.seed
    for table in ("consultas", "exames", "internacoes", "pacientes_convenios"):
        assert tables[table]["paciente_id"].between(1, s.pacientes).all()
    assert tables["consultas"]["medico_id"].between(1, s.medicos).all()
    assert tables["pacientes_convenios"]["convenio_id"].between(1, s.convenios).all()


def _targets(pacientes=2000, medicos=200, consultas=300, exames=50, internacoes=20, last=2000):
    r = np.arange
    return generate.Targets(r(1, pacientes + 1), r(1, medicos + 1), r(1, consultas + 1), r(1, exames + 1),
                            r(1, internacoes + 1), last)


def test_mix_is_70_30_and_follows_the_table_weights(params):
    rng = np.random.default_rng(7)
    is_insert, entity = generate.plan(rng, 5000, params.oltp.stream, _targets(consultas=10**5, exames=10**5,
                                                                                internacoes=10**5))
    assert abs(is_insert.mean() - 0.7) < 0.02
    w = params.oltp.stream.inserts
    shares = np.bincount(entity[is_insert], minlength=4) / is_insert.sum()
    expected = np.array([w.pacientes, w.consultas, w.exames, w.internacoes])
    assert np.abs(shares - expected / expected.sum()).max() < 0.03


def test_updates_never_outnumber_open_rows_and_an_empty_database_gets_pacientes(params):
    rng = np.random.default_rng(1)
    is_insert, entity = generate.plan(rng, 2000, params.oltp.stream, _targets(consultas=3, exames=0, internacoes=1))
    upd = np.bincount(entity[~is_insert], minlength=4)
    assert upd[1] <= 3 and upd[2] == 0 and upd[3] <= 1 and upd[0] > 0
    is_insert, entity = generate.plan(rng, 500, params.oltp.stream, _targets(0, 0, 0, 0, 0, 0))
    assert is_insert.all() and (entity == 0).all(), "nothing to refer to or move: only new pacientes"


def test_stream_batch_continues_cpfs_and_picks_distinct_targets(params):
    targets = _targets(last=2000)
    people = generate.PeoplePool(params, 1)
    batch = generate.stream_batch(np.random.default_rng(3), params, targets, 400, dt.date(2026, 1, 1), people)
    new = batch.payload["pacientes"]
    cpfs = [row["cpf"] for row in new]
    assert cpfs == list(documents.cpf(generate.cpf_index(np.arange(2001, 2001 + len(new))), params.seed))
    assert documents.valid_cpf(cpfs).all()
    assert all(row["data_nascimento"] < "2026-01-01" for row in new)
    for entity, positions in batch.picked.items():
        assert len(set(positions.tolist())) == len(positions), entity
    statuses = {row["status"] for row in batch.payload["consultas_upd"]}
    assert statuses <= set(generate.STATUS_FINAL)
    assert batch.size == 400 == sum(len(batch.payload.get(k, ())) for k in (
        *ENTITIES, *(f"{e}_upd" for e in ENTITIES)))
    assert batch.new_pacientes == len(new)


def test_people_pool_is_reproducible_and_spans_blocks(params):
    a, b = generate.PeoplePool(params, 5), generate.PeoplePool(params, 5)
    first = a.take(generate.PeoplePool.BLOCK - 3)
    across = a.take(10)
    assert len(across["nome"]) == 10
    assert list(b.take(generate.PeoplePool.BLOCK - 3)["nome"]) == list(first["nome"])
    assert list(b.take(10)["telefone"]) == list(across["telefone"])
    assert list(generate.PeoplePool(params, 6).take(5)["nome"]) != list(first["nome"][:5])


def test_csv_buffer_writes_nulls_as_empty_fields_and_utc_offsets(tables):
    i = tables["internacoes"]
    line = seed.csv_buffer(i[i["data_saida"].isna()].iloc[:1]).getvalue()
    assert line.count("\n") == 1 and line.endswith("\n")
    fields = line.rstrip("\n").split(",")
    assert fields[3] == "" and fields[2].endswith("+00:00"), line
