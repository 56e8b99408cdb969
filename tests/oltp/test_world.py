"""World mode: the run's people, physicians, visits and admissions as OLTP changes (pure), and the Applier
against the real PostgreSQL (idempotent, any slice)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hospsim import simulate
from hospsim.errors import OltpError
from hospsim.oltp import schema, world
from tests.conftest import small_params
from tests.oltp.conftest import oltp_names

DAY = dt.date(2025, 2, 10)
T = pd.Timestamp


def test_internacao_ids_follow_the_contract_and_invert():
    iid = world.internacao_id("A20250210-000012", "H03")
    assert iid == 3 * 10**14 + 20250210 * 10**6 + 12
    assert world.admission_of(iid) == ("A20250210-000012", "H03")
    assert world.admission_of(world.internacao_id("A20241231-123456", "H12")) == ("A20241231-123456", "H12")
    for bad in (("V20250210-000012", "H01"), ("A2025021-1", "H01"), ("A20250210-000001", "hospital 1")):
        with pytest.raises(OltpError):
            world.internacao_id(*bad)
    with pytest.raises(OltpError):
        world.admission_of(12345)


def test_simulated_times_are_stored_as_utc_with_the_same_digits():
    assert world.stamp(T("2025-02-10T03:45:07")) == "2025-02-10 03:45:07+00"


def _setup():
    people = pd.DataFrame({
        "person_id": [0, 1, 2], "national_id": ["111.111.111-11", "222.222.222-22", "333.333.333-33"],
        "name": ["Ana", "Bruno", "Carla"], "sex": ["F", "M", "F"],
        "birth_date": ["1950-01-01T00:00:00", "1990-05-05T00:00:00", "1980-03-03T00:00:00"],
        "address": ["Rua A, 1", "Rua B, 2", None], "phone": ["+55 11 1", "+55 11 2", "+55 11 3"],
        "insurance": ["SUS", "Unimed", "SUS"]})
    staff = pd.DataFrame({
        "staff_id": ["S000007", "S000009", "S000011", "S000015"], "name": ["Dr ED", "Dr ICU", "Nurse", "Dr later"],
        "role": ["physician", "physician", "nurse", "physician"],
        "registration": ["123456SP", "65432SP", "COREN-1", "55555SP"],
        "specialty": ["emergency_medicine", "intensive_care", None, "emergency_medicine"],
        "hospital_id": ["H01", "H01", "H01", "H01"], "ward": ["emergency", "icu", "emergency", "emergency"],
        "hire_date": ["2020-01-01", "2019-01-01", "2020-01-01", "2025-03-01"]})
    return simulate.Setup(people, people, {"staff_data.csv": staff})


def _frames():
    visitors = pd.DataFrame({
        "visit_id": ["V20250210-000001", "V20250210-000002"], "person_id": [0, 1], "hospital_id": ["H01", "H01"],
        "arrival_time": [T("2025-02-10 10:00:00"), T("2025-02-10 10:30:00")],
        "departure_time": [T("2025-02-10 13:00:00"), T("2025-02-10 11:00:00")],
        "triage": [2, 5], "reason": ["cardiac", "other"], "disposition": ["admitted", "discharged"]})
    admissions = pd.DataFrame({
        "admission_id": ["A20250210-000001"], "person_id": [0], "visit_id": ["V20250210-000001"],
        "hospital_id": ["H01"], "ward": ["icu"], "admit_time": [T("2025-02-10 13:00:00")], "type": ["emergency"]})
    discharges = pd.DataFrame({
        "admission_id": ["A20250130-000004"], "person_id": [2], "hospital_id": ["H01"], "ward": ["med_surg"],
        "admit_time": [T("2025-01-30 08:00:00")], "discharge_time": [T("2025-02-10 09:00:00")]})
    return {"visitors": visitors, "admissions": admissions, "discharges": discharges,
            "census": pd.DataFrame({"date": [DAY.isoformat()]})}


@pytest.fixture
def params(tmp_path):
    return small_params(tmp_path, None, {"simulation.start_date": "2025-02-01", "oltp.source": "world"})


def _rows(changes, table, op):
    return [r for t, o, r in zip(changes["table"], changes["op"], changes["row"]) if (t, o) == (table, op)]


def test_a_day_of_visits_and_admissions_becomes_inserts_and_updates(params):
    changes = world.day_changes(params, _setup(), _frames())
    assert list(changes.columns) == world.CHANGE_COLUMNS
    assert changes["sim_time"].is_monotonic_increasing
    plans = next(i for i in params.population.insurance if i.locale == params.locale).private_plans
    assert [r["nome"] for r in _rows(changes, "convenios", "INSERT")] == list(plans), "the private plans, not SUS"
    assert {(r["id"], r["crm"]) for r in _rows(changes, "medicos", "INSERT")} == {(7, "123456SP"), (9, "65432SP")}, \
        "physicians on staff that day, not nurses nor later hires"
    pacientes = _rows(changes, "pacientes", "INSERT")
    assert {(r["id"], r["cpf"]) for r in pacientes} == {(1, "111.111.111-11"), (2, "222.222.222-22"),
                                                          (3, "333.333.333-33")}
    assert [r["paciente_id"] for r in _rows(changes, "pacientes_convenios", "INSERT")] == [2], "Bruno's Unimed"
    consultas = [r for r in _rows(changes, "consultas", "INSERT") if r["id"] < world.FOLLOWUP_BASE]
    assert [(r["id"] % 10**6, r["medico_id"], r["status"]) for r in consultas] == [(1, 7, "agendada"), (2, 7, "agendada")]
    assert [r["status"] for r in _rows(changes, "consultas", "UPDATE")] == ["realizada", "realizada"]
    exames = _rows(changes, "exames", "INSERT")
    assert [r["tipo"] for r in exames] == list(world.PANELS["cardiac"]), "triage 2: the whole panel; 5: none"
    assert all("2025-02-10 10:00:00+00" < r["data_exame"] < "2025-02-10 13:00:00+00" for r in exames)
    results = {r["id"]: r for r in _rows(changes, "exames", "UPDATE")}
    assert {r["id"] for r in exames} == set(results)
    assert all(results[r["id"]]["data_resultado"] > r["data_exame"] for r in exames)
    assert {r["resultado"] for r in results.values()} <= {"Normal", "Alterado", "Positivo", "Negativo"}


def test_a_visit_that_left_without_being_seen_ends_faltou_with_no_exames(params):
    frames = _frames()
    frames["visitors"].loc[0, "disposition"] = world.UNSEEN
    changes = world.day_changes(params, _setup(), frames)
    assert [r["status"] for r in _rows(changes, "consultas", "UPDATE")] == ["realizada", "faltou"]   # by time
    assert _rows(changes, "exames", "INSERT") == [], "the cardiac panel of visit 1 was never ordered: not seen"


def test_admissions_open_internacoes_and_discharges_close_them(params):
    changes = world.day_changes(params, _setup(), _frames())
    opened = _rows(changes, "internacoes", "INSERT")
    warm_up = world.internacao_id("A20250130-000004", "H01")
    assert [(r["id"], r["data_entrada"], r["data_saida"]) for r in opened] == [
        (warm_up, "2025-01-30 08:00:00+00", None),       # admitted before the run: registered at its discharge
        (world.internacao_id("A20250210-000001", "H01"), "2025-02-10 13:00:00+00", None)]
    assert opened[1]["motivo"] == f"{world.MOTIVOS['cardiac']} (icu)", "the visit's reason"
    assert _rows(changes, "internacoes", "UPDATE") == [{"id": warm_up, "data_saida": "2025-02-10 09:00:00+00"}]
    at = changes.set_index(["table", "op", "id"])["sim_time"]
    assert at[("internacoes", "UPDATE", warm_up)] == T("2025-02-10 09:00:00")
    assert at[("internacoes", "INSERT", opened[1]["id"])] == T("2025-02-10 13:00:00")


def test_day_changes_are_pure_and_a_quiet_day_still_has_its_reference_rows(params):
    setup = _setup()
    first, again = world.day_changes(params, setup, _frames()), world.day_changes(params, setup, _frames())
    pd.testing.assert_frame_equal(first, again)
    quiet = world.day_changes(params, setup, {"census": pd.DataFrame({"date": [DAY.isoformat()]})})
    assert set(quiet["table"]) == {"convenios", "medicos"} and (quiet["sim_time"] == T(DAY)).all()
    assert world.mix(first)["rows"].sum() == len(first)


def test_a_newborn_becomes_a_paciente_at_its_first_contact_like_anyone_else(params):
    base = world.prepare(params, _setup())
    births = pd.DataFrame({"person_id": [3], "national_id": ["444.444.444-44"], "name": ["Davi"], "sex": ["M"],
                           "birth_date": ["2025-02-01T00:00:00"], "address": ["Rua A, 1"], "phone": ["+55 11 1"],
                           "insurance": ["Unimed"], "mother_id": [0]})
    grown = world.with_births(base, births)
    assert world.with_births(grown, births) is grown, "a newborn is added once"
    frames = _frames()
    frames["visitors"] = frames["visitors"].assign(person_id=[0, 3])
    pacientes = {r["id"]: r for r in _rows(world.day_changes(params, grown, frames), "pacientes", "INSERT")}
    assert pacientes[4]["cpf"] == "444.444.444-44" and pacientes[4]["data_nascimento"] == "2025-02-01"
    assert pacientes[4]["endereco"] == "Rua A, 1"
    with pytest.raises(KeyError):
        world.day_changes(params, base, frames)


def test_staff_registrations_that_are_not_crms_are_refused(params):
    setup = _setup()
    setup.staff["staff_data.csv"].loc[0, "registration"] = "CRM-SP 1"
    with pytest.raises(OltpError, match="CRM"):
        world.day_changes(params, setup, _frames())


# --------------------------------------------------------------------------- a real run, a real database


RUN = {"simulation.population": 3000, "simulation.days": 4, "oltp.source": "world", **oltp_names("t_world"),
       "oltp.world.followup_min_days": 1, "oltp.world.followup_max_days": 2}   # follow-ups due within the run


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, pg):
    tmp = tmp_path_factory.mktemp("world")
    params = small_params(tmp, pg, RUN, params_file="params/workshop.yaml")
    simulate.run(params, progress=False)
    schema.drop(params, pg)
    yield params
    schema.drop(params, pg)


def _run_changes(params) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    from hospsim import run as runs
    the_run = runs.open_run(params)
    w = world.prepare(params, simulate.read_setup(the_run))
    days = simulate.read_days(the_run.files_dir, simulate.dates(params))
    per_day = [world.day_changes(params, w, simulate.read_days(the_run.files_dir, [d]), d)
               for d in simulate.dates(params)]
    return pd.concat(per_day, ignore_index=True), days


def test_every_admission_and_discharge_of_a_run_is_a_change(small_run):
    changes, days = _run_changes(small_run)
    ids = {(t, op): list(g) for (t, op), g in changes.groupby(["table", "op"])["id"]}
    admitted = {world.internacao_id(a, h) for a, h in zip(days["admissions"]["admission_id"],
                                                           days["admissions"]["hospital_id"])}
    discharged = [world.internacao_id(a, h) for a, h in zip(days["discharges"]["admission_id"],
                                                            days["discharges"]["hospital_id"])]
    assert len(admitted) == len(days["admissions"]) > 0 and len(discharged) > 0
    assert admitted <= set(ids[("internacoes", "INSERT")])
    assert sorted(ids[("internacoes", "UPDATE")]) == sorted(discharged)
    assert len(ids[("consultas", "INSERT")]) == len(set(ids[("consultas", "INSERT")])) == \
        len(days["visitors"]) + len(days["discharges"]), "an ED consulta per visit, a follow-up per discharge"
    assert sorted(ids[("exames", "INSERT")]) == sorted(ids[("exames", "UPDATE")])


def test_the_applier_applies_a_run_once_whatever_is_applied_again(small_run, pg):
    changes, days = _run_changes(small_run)
    schema.init(small_run, pg)
    with world.Applier(small_run, pg) as applier:
        half = len(changes) // 2
        first = applier.apply(changes.iloc[:half])
        second = applier.apply(changes.iloc[half // 2:])          # a resumed run: a quarter again
        assert sum(applier.apply(changes).values()) == 0, "everything again changes nothing"
    applied = first + second
    counts = dict(zip(*schema.counts(small_run, pg).to_dict("list").values()))
    for table in schema.TABLES:
        inserted = changes[(changes["table"] == table) & (changes["op"] == "INSERT")]
        assert counts[table] == applied[(table, "INSERT")] == inserted["id"].nunique(), table
    assert applied[("internacoes", "UPDATE")] == len(days["discharges"])
    assert applied[("consultas", "UPDATE")] == days["visitors"]["departure_time"].notna().sum()
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT id, data_entrada::text FROM {small_run.oltp.schema}.internacoes "
                    "WHERE data_saida IS NULL ORDER BY id")
        still_in = {world.admission_of(i)[0] for i, _ in cur.fetchall()}
        cur.execute(f"SELECT count(*) FROM {small_run.oltp.schema}.pacientes p JOIN "
                    f"(VALUES {','.join(['(%s, %s)'] * 3)}) AS v (id, cpf) ON p.id = v.id AND p.cpf = v.cpf",
                    [x for pid in days["visitors"]["person_id"][:3] for x in
                     (int(pid) + 1, _cpf_of(small_run, int(pid)))])
        assert cur.fetchone()[0] == 3, "pacientes.id = person_id + 1 with the person's CPF"
    assert still_in == set(days["admissions"]["admission_id"]) - set(days["discharges"]["admission_id"])


def _cpf_of(params, person_id: int) -> str:
    people = pd.read_csv(params.dirs.data_dir / "batch" / "people_data.csv", dtype=str)
    return people.loc[people["person_id"] == str(person_id), "national_id"].iloc[0]


def test_the_command_applies_the_run_and_a_second_time_changes_nothing(small_run, pg, capsys):
    from hospsim import cli
    p = small_run
    given = {**RUN, "postgres.embedded": False, "postgres.host": pg.host, "postgres.port": pg.port,
             "postgres.user": pg.user, "postgres.password": pg.password, "postgres.database": pg.database,
             **{f"paths.{k}": str(getattr(p.dirs, k)) for k in ("data_dir", "runs_dir", "state_dir", "logs_dir")}}
    flags = ["-f", "params/workshop.yaml", *[x for k, v in given.items() for x in ("-p", f"{k}={v}")]]
    assert cli.main(["oltp", "world", "--fresh", *flags]) == 0
    first = capsys.readouterr().out
    assert "internacoes UPDATE" in " ".join(first.split()) and first.count("rows changed") == 4
    assert cli.main(["oltp", "world", *flags]) == 0
    again = capsys.readouterr().out
    assert again.count(" 0 rows changed") == 4, again
    assert cli.main(["oltp", "stream", *flags]) == 1
    assert "oltp.source is world" in capsys.readouterr().err


def test_stays_open_at_the_start_are_opened_before_the_first_day(params):
    beds = pd.DataFrame({"admission_id": ["A20250129-000003"], "person_id": [2], "hospital_id": ["H01"],
                         "ward": ["icu"], "admit_time": [T("2025-01-29 22:10:00")]})
    day = world.day_changes(params, _setup(), _frames())
    first = world.opening_changes(params, _setup(), beds)
    stays = first[~first["table"].isin(["convenios", "medicos"])]
    assert list(zip(stays["table"], stays["op"], stays["id"])) == [
        ("pacientes", "INSERT", 3), ("internacoes", "INSERT", world.internacao_id("A20250129-000003", "H01"))]
    assert stays["row"].iloc[1]["data_entrada"] == "2025-01-29 22:10:00+00" and (first["sim_time"] < T(DAY)).all()
    assert set(first["table"][:len(first) - 2]) == {"convenios", "medicos"}, "the plans and physicians first"
    assert list(first.columns) == list(day.columns)


def test_the_midnight_census_of_the_files_is_the_open_internacoes_of_the_tables(small_run, pg):
    """Beds held at each midnight (census_<date>.csv, inpatient wards) = internacoes entered before it and not
    yet left, per hospital: the OLTP tables and the batch files describe the same stays."""
    schema.drop(small_run, pg)
    world.run_days(small_run, pg)
    days = simulate.read_days(simulate.batch_dir(small_run), simulate.dates(small_run))
    census = days["census"][days["census"]["ward"] != "emergency"]
    want = census.groupby(["date", "hospital_id"])["occupied"].sum().to_dict()
    got = {}
    with pg.connect() as conn, conn.cursor() as cur:
        for day in simulate.dates(small_run):
            cur.execute(f"SELECT id / {world.HOSPITAL_BASE}, count(*) FROM {small_run.oltp.schema}.internacoes "
                        "WHERE data_entrada < %(end)s AND (data_saida IS NULL OR data_saida >= %(end)s) GROUP BY 1",
                        {"end": f"{day + dt.timedelta(days=1)} 00:00:00+00"})
            got |= {(day.isoformat(), f"H{h:02d}"): n for h, n in cur.fetchall()}
    assert {k: v for k, v in want.items() if v} == got and sum(got.values()) > 0


@pytest.mark.parametrize(("admission", "hospital", "message"), [
    ("V20250210-000123", "H01", "is not an admission id"), ("A2025021-000123", "H01", "world mode needs ids like"),
    ("A20250210-000123", "X01", "world mode needs ids like"), ("A20250210-1234567", "H01", "world mode needs ids like")])
def test_ids_of_another_shape_are_refused(admission, hospital, message):
    with pytest.raises(OltpError, match=message):
        world.internacao_id(admission, hospital)


@pytest.mark.parametrize("number", [0, 20250210_000001, 10**14 + 20250210 * 10**6, 42])
def test_numbers_not_made_by_internacao_id_are_refused(number):
    with pytest.raises(OltpError, match="is not a world-mode id"):
        world.admission_of(number)


# --------------------------------------------------------------------------- follow-up appointments


def _discharges(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "admission_id": [f"A20250205-{i + 1:06d}" for i in range(n)], "person_id": [i % 3 for i in range(n)],
        "hospital_id": "H01", "ward": "icu", "admit_time": T("2025-02-05 08:00:00"),
        "discharge_time": [T("2025-02-10 06:00:00") + pd.Timedelta(minutes=i % 900) for i in range(n)]})


def test_a_discharge_books_one_follow_up_in_the_window_at_a_clinic_hour(params):
    changes = world.day_changes(params, _setup(), _frames())
    booked = [r for r in _rows(changes, "consultas", "INSERT") if r["id"] >= world.FOLLOWUP_BASE]
    assert len(booked) == 1 and booked[0]["status"] == "agendada" and booked[0]["paciente_id"] == 3
    assert booked[0]["id"] == world.followup_id("A20250130-000004", "H01")
    assert booked[0]["medico_id"] in (7, 9), "a physician of the discharging hospital on staff that day"
    at = changes.set_index(["table", "op", "id"])["sim_time"]
    assert at[("consultas", "INSERT", booked[0]["id"])] == T("2025-02-10 09:00:00"), "booked at the discharge"
    many = world.followups(params, _discharges(3000), DAY)
    days = (many["data_consulta"].dt.normalize() - T(DAY)).dt.days
    w = params.oltp.world
    assert days.between(w.followup_min_days, w.followup_max_days).all()
    assert set(days) == set(range(w.followup_min_days, w.followup_max_days + 1))
    minutes = many["data_consulta"].dt.hour * 60 + many["data_consulta"].dt.minute
    assert minutes.between(8 * 60, 17 * 60 - 30).all() and (many["moved"].dt.hour * 60 + many["moved"].dt.minute
                                                           <= 17 * 60).all()


def test_a_follow_up_moves_once_on_its_day_and_not_before(params):
    booked = world.followups(params, _discharges(40), DAY)
    quiet = {"census": pd.DataFrame({"date": []})}
    moved = []
    for k in range(1, 20):
        day = DAY + dt.timedelta(days=k)
        changes = world.day_changes(params, _setup(), quiet, day, booked)
        moves = changes[(changes["table"] == "consultas") & (changes["op"] == "UPDATE")]
        assert (moves["sim_time"].dt.date == day).all()
        moved += [(i, r["status"], t) for i, r, t in zip(moves["id"], moves["row"], moves["sim_time"])]
    want = sorted(zip(booked["id"], booked["status"], booked["moved"]))
    assert sorted(moved) == want and len(want) == 40, "each appointment moves once, on its day"


def test_follow_up_outcomes_hold_their_shares_and_draws_repeat(params):
    many = world.followups(params, _discharges(20000), DAY)
    share = many["status"].value_counts(normalize=True)
    w = params.oltp.world
    assert abs(share["faltou"] - w.followup_no_show) < 0.015
    assert abs(share["cancelada"] - w.followup_cancelled) < 0.008
    assert set(share.index) == {"faltou", "cancelada", "realizada"}
    pd.testing.assert_frame_equal(many, world.followups(params, _discharges(20000), DAY))
    other = world.followups(params, _discharges(20000), DAY + dt.timedelta(days=1))
    assert not (other["data_consulta"] - pd.Timedelta(days=1)).equals(many["data_consulta"]), "a day's own draws"


def test_follow_up_ids_are_disjoint_from_ed_consultas():
    fid = world.followup_id("A20250210-000012", "H03")
    assert fid == 50_000 * 10**14 + world.internacao_id("A20250210-000012", "H03") < 2**63
    assert fid > world.event_id("V99991231-999999", "H41999")
    with pytest.raises(OltpError, match="under 42000"):
        world.followup_id("A20250210-000012", "H50000")


def test_the_run_s_follow_ups_move_on_their_days_in_the_tables(small_run, pg):
    """run_days reads the earlier days' discharges from the run's files: follow-ups due within the run end
    realizada, faltou or cancelada; later ones stay agendada."""
    schema.drop(small_run, pg)
    world.run_days(small_run, pg)
    days = simulate.read_days(simulate.batch_dir(small_run), simulate.dates(small_run))
    last = simulate.dates(small_run)[-1]
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT data_consulta::date <= %s, status = 'agendada', count(*) FROM {small_run.oltp.schema}"
                    f".consultas WHERE id >= {world.FOLLOWUP_BASE} GROUP BY 1, 2", (last,))
        got = {(due, open_): n for due, open_, n in cur.fetchall()}
    assert sum(got.values()) == len(days["discharges"]) > 0
    assert got.get((True, True), 0) == 0 and got.get((True, False), 0) > 0 and got.get((False, True), 0) > 0
