"""A simulated month through the ingestor: exact row counts, views that agree with the simulation, idempotence."""
from __future__ import annotations

import shutil
import threading

import numpy as np
import pandas as pd
import pytest

from hospsim import filekinds, workforce
from hospsim.warehouse import Ingestor, schema
from tests.warehouse.conftest import copy_batch, csv_rows, warehouse_params

pytestmark = pytest.mark.services

TABLE_OF_KIND = {
    "people": "dim_person", "staff": "dim_staff", "reserve": "reserve_candidate", "staff_active": "fact_staff_active",
    "schedules": "fact_shift_assignment", "staff_events": "fact_staff_event", "census": "fact_census",
    "visitors": "fact_visit", "admissions": "fact_admission", "discharges": "fact_discharge",
    "transfers": "fact_transfer", "transports": "fact_emergency_transport", "births": "fact_birth",
    "deaths": "fact_death",
    "shift_changes": "fact_shift_change",
}


@pytest.fixture(scope="module")
def loaded(pg, month, tmp_path_factory):
    """The month ingested once into a schema of its own: (params, conn, outcomes, month result, source folder)."""
    _, result, source = month
    params = warehouse_params(tmp_path_factory.mktemp("loaded"), pg, "test_ingest.loaded")
    copy_batch(source, params)
    conn = pg.connect()
    told: list = []
    with Ingestor(params, conn, on_file=told.append) as ingestor:
        outcomes = ingestor.run_once()
    assert sorted(o.name for o in told) == sorted(o.name for o in outcomes), "on_file (the progress bar) hears of each file once"
    yield params, conn, outcomes, result, source
    schema.drop(conn, params)
    conn.close()


def query(conn, params, text: str, args=None) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(f"SET search_path TO {params.warehouse.schema}")
        cur.execute(text, args)
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        cur.execute("RESET search_path")
    conn.commit()
    return pd.DataFrame(rows, columns=cols)


def test_every_file_is_ingested_and_moved(loaded):
    params, conn, outcomes, _, source = loaded
    assert {o.status for o in outcomes} == {"ingested"}, [o.line() for o in outcomes if o.status != "ingested"]
    names = sorted(p.name for p in source.iterdir())
    assert sorted(o.name for o in outcomes) == names
    data = params.dirs.data_dir
    assert sorted(p.name for p in (data / "processed").iterdir()) == names
    assert list((data / "batch").iterdir()) == []
    ledger = query(conn, params, "SELECT file_name, kind, rows FROM ingest_ledger ORDER BY file_id")
    assert sorted(ledger["file_name"]) == names
    assert ledger.set_index("file_name")["rows"].to_dict() == {n: csv_rows(source / n) for n in names}


def test_dimensions_load_before_facts(loaded):
    _, _, outcomes, _, _ = loaded
    order = [filekinds.classify(o.name).kind.rank for o in outcomes]
    assert order == sorted(order)
    assert outcomes[0].name in ("people_data.csv", "staff_data.csv", "reserve_pool.csv")


def test_row_counts_equal_the_files(loaded):
    params, conn, _, result, source = loaded
    counts = schema.table_counts(conn, params)
    expected: dict[str, int] = {}
    for path in source.iterdir():
        kind = filekinds.classify(path.name).kind.kind
        if kind in TABLE_OF_KIND:
            expected[TABLE_OF_KIND[kind]] = expected.get(TABLE_OF_KIND[kind], 0) + csv_rows(path)
    expected["dim_person"] += len(result.births)     # a births file adds its newborns to the people
    assert {t: counts[t] for t in expected} == expected
    assert counts["dim_person"] == len(result.people) + len(result.births) \
        == csv_rows(source / "population_with_illnesses.csv") + len(result.births)
    flags = result.population_with_illnesses[[c.name for c in params.population.conditions]]
    assert counts["bridge_person_illness"] == int(flags.to_numpy().sum()) > 0
    assert counts["dim_hospital"] == len(params.region.hospitals)
    assert counts["dim_ward"] == sum(len(h.wards) for h in params.region.hospitals)


def test_newborns_are_people_and_the_dead_are_known(loaded):
    params, conn, _, result, _ = loaded
    assert len(result.births) > 0 and len(result.deaths) > 0
    babies = query(conn, params, "SELECT b.person_id, b.mother_id, p.address = m.address AS same_home, "
                   "p.birth_date = b.birth_date AS born_that_day FROM fact_birth b "
                   "JOIN dim_person p ON p.person_id = b.person_id JOIN dim_person m ON m.person_id = b.mother_id")
    assert len(babies) == len(result.births) and babies["same_home"].all() and babies["born_that_day"].all()
    died = query(conn, params, "SELECT count(*) AS n FROM fact_discharge WHERE outcome = 'died'")
    assert died["n"][0] == (result.discharges["outcome"] == "died").sum()
    span = query(conn, params, "SELECT hi FROM key_span WHERE dim = 'person'")
    assert span["hi"][0] == len(result.people) + len(result.births) - 1, "newborns extend the gapless span"


def test_census_view_agrees_with_the_simulation(loaded):
    params, conn, _, result, _ = loaded
    view = query(conn, params, "SELECT census_date::text AS date, hospital_id, ward, beds, occupied, admitted, "
                               "discharged, transfers_in, transfers_out, boarding, occupancy FROM v_census_daily")
    sim = result.census.copy()
    sim["date"] = sim["date"].astype(str)
    cols = ["date", "hospital_id", "ward", "beds", "occupied", "admitted", "discharged", "transfers_in",
            "transfers_out", "boarding"]
    key = ["date", "hospital_id", "ward"]
    got = view.sort_values(key).reset_index(drop=True)
    want = sim.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[cols], want[cols].astype(got[cols].dtypes.to_dict()), check_dtype=False)
    np.testing.assert_allclose(got["occupancy"].astype(float), want["occupied"] / want["beds"])

    occ = query(conn, params, "SELECT census_date::text AS date, hospital_id, occupied, beds FROM v_occupancy_daily")
    inpatient = sim[sim["ward"] != "emergency"].groupby(["date", "hospital_id"])[["occupied", "beds"]].sum()
    occ = occ.set_index(["date", "hospital_id"]).sort_index()
    assert occ["occupied"].to_dict() == inpatient["occupied"].to_dict()
    assert occ["beds"].to_dict() == inpatient["beds"].to_dict()


def test_staffing_view_agrees_with_workforce_coverage(loaded):
    params, conn, _, result, _ = loaded
    view = query(conn, params, "SELECT shift_date::text AS date, shift, hospital_id, ward, occupied, nurses_scheduled, "
                               "nurses_required, met FROM v_staffing_shift")
    assert len(result.shift_changes) > 0, "the month's census sent some rota nurses home"
    coverage = workforce.staffing_coverage(params, result.schedules, result.census)
    coverage["date"] = coverage["date"].astype(str)
    key = ["date", "shift", "hospital_id", "ward"]
    cols = key + ["occupied", "nurses_scheduled", "nurses_required", "met"]
    got = view.sort_values(key).reset_index(drop=True)[cols]
    want = coverage.sort_values(key).reset_index(drop=True)[cols]
    assert len(got) == len(want) > 0
    for c in cols:
        assert got[c].tolist() == want[c].tolist(), c


def test_stays_admissions_and_transfers_views(loaded):
    params, conn, _, result, _ = loaded
    alos = query(conn, params, "SELECT discharges, avg_length_of_stay_days FROM v_average_length_of_stay "
                               "WHERE hospital_id IS NULL")
    assert alos["discharges"].item() == len(result.discharges) > 0
    assert alos["avg_length_of_stay_days"].item() == pytest.approx(result.discharges["length_of_stay_days"].mean())

    daily = query(conn, params, "SELECT day::text AS day, hospital_id, admissions, ed_visits, transfers_out, "
                                "transfers_in FROM v_admissions_transfers_daily").set_index(["day", "hospital_id"])

    def per_day(frame, time_col, hospital_col):
        days = pd.to_datetime(frame[time_col]).dt.date.astype(str)
        return frame.groupby([days.rename("day"), frame[hospital_col].rename("hospital_id")]).size().to_dict()

    def nonzero(col):
        return {k: v for k, v in daily[col].to_dict().items() if v}

    assert nonzero("admissions") == per_day(result.admissions, "admit_time", "hospital_id")
    assert nonzero("ed_visits") == per_day(result.visitors, "arrival_time", "hospital_id")
    assert nonzero("transfers_out") == per_day(result.transfers, "request_time", "origin_hospital_id")
    assert nonzero("transfers_in") == per_day(result.transfers, "request_time", "destination_hospital_id")


def test_staff_events_view(loaded):
    params, conn, _, result, _ = loaded
    events = result.staff["staff_events.csv"]
    assert len(events) > 0, "the month crosses a quarter start: hires and leavers happen"
    view = query(conn, params, "SELECT year_quarter, hospital_id, role, hires::int, retirements::int, "
                               "resignations::int FROM v_staff_events_quarterly")
    quarter = pd.to_datetime(events["date"]).dt.to_period("Q").astype(str).str.replace("Q", "-Q")
    want = (events.assign(year_quarter=quarter).groupby(["year_quarter", "hospital_id", "role", "event"]).size()
            .unstack(fill_value=0).reindex(columns=["hire", "retirement", "resignation"], fill_value=0))
    got = view.set_index(["year_quarter", "hospital_id", "role"]).sort_index()
    assert got.to_numpy().tolist() == want.sort_index().to_numpy().tolist()
    assert got.index.tolist() == want.sort_index().index.tolist()


def test_ingesting_again_changes_nothing(loaded):
    params, conn, _, _, _ = loaded
    before = schema.table_counts(conn, params)
    data = params.dirs.data_dir
    for path in (data / "processed").iterdir():
        shutil.copy2(path, data / "batch" / path.name)
    with Ingestor(params, conn) as ingestor:
        outcomes = ingestor.run_once()
    assert outcomes and {o.status for o in outcomes} == {"skipped"}
    assert schema.table_counts(conn, params) == before
    assert list((data / "batch").iterdir()) == []


def test_a_changed_file_under_a_loaded_name_is_rejected_not_merged(wh, month):
    params, conn = wh
    _, _, source = month
    copy_batch(source, params, {"people_data.csv", "census_2025-03-20.csv"})
    with Ingestor(params, conn) as ingestor:
        assert [o.status for o in ingestor.run_once()] == ["ingested", "ingested"]
        before = schema.table_counts(conn, params)
        census = pd.read_csv(source / "census_2025-03-20.csv")
        census.loc[0, "admitted"] += 1
        census.to_csv(ingestor.batch / "census_2025-03-20.csv", index=False)
        (outcome,) = ingestor.run_once()
    assert outcome.status == "rejected"
    assert "census_2025-03-20.csv was loaded before with other content" in outcome.reason
    assert "would overwrite its rows" in outcome.reason
    got = query(conn, params, "SELECT admitted FROM fact_census WHERE census_date = %s AND hospital_id = %s "
                              "AND ward = %s", ("2025-03-20", census.loc[0, "hospital_id"], census.loc[0, "ward"]))
    assert got["admitted"].item() == census.loc[0, "admitted"] - 1, "the old rows stay"
    after = schema.table_counts(conn, params)
    assert after.pop("ingest_rejection") == before.pop("ingest_rejection") + 1
    assert after == before
    rejected = params.dirs.data_dir / "rejected"
    assert "loaded before with other content" in (rejected / "census_2025-03-20.csv.reason.txt").read_text()


def test_facts_wait_for_their_people(wh, month):
    params, conn = wh
    _, _, source = month
    day = "2025-03-16"
    copy_batch(source, params, {f"daily_visitors_{day}.csv", "schedules_2025_03.csv", f"census_{day}.csv"})
    with Ingestor(params, conn) as ingestor:
        outcomes = {o.name: o for o in ingestor.run_once()}
        assert outcomes[f"census_{day}.csv"].status == "ingested"
        assert outcomes[f"daily_visitors_{day}.csv"].status == "waiting"
        assert "people_data.csv" in outcomes[f"daily_visitors_{day}.csv"].reason
        assert outcomes["schedules_2025_03.csv"].status == "waiting"
        assert sorted(p.name for p in ingestor.batch.iterdir()) == [f"daily_visitors_{day}.csv",
                                                                   "schedules_2025_03.csv"]
        copy_batch(source, params, {"people_data.csv", "staff_data.csv"})
        statuses = {o.name: o.status for o in ingestor.run_once()}
    assert set(statuses.values()) == {"ingested"} and len(statuses) == 4


def test_unknown_people_are_rejected_once_people_are_loaded(wh, month):
    params, conn = wh
    _, _, source = month
    copy_batch(source, params, {"people_data.csv"})
    batch = params.dirs.data_dir / "batch"
    visitors = pd.read_csv(source / "daily_visitors_2025-03-16.csv")
    visitors.loc[1, "person_id"] = 10_000_000
    visitors.to_csv(batch / "daily_visitors_2025-03-16.csv", index=False)
    (batch / "notes.txt").write_text("not a simulation file\n")
    (batch / ".admissions_2025-03-16.csv.x1.tmp").write_text("being written\n")
    with Ingestor(params, conn) as ingestor:
        outcomes = {o.name: o for o in ingestor.run_once()}
    assert outcomes["people_data.csv"].status == "ingested"
    bad = outcomes["daily_visitors_2025-03-16.csv"]
    assert bad.status == "rejected" and "person_id" in bad.reason and "10000000" in bad.reason
    assert outcomes["notes.txt"].status == "rejected" and "not a file kind" in outcomes["notes.txt"].reason
    rejected = params.dirs.data_dir / "rejected"
    assert "person_id" in (rejected / "daily_visitors_2025-03-16.csv.reason.txt").read_text()
    assert (rejected / "daily_visitors_2025-03-16.csv").exists() and (rejected / "notes.txt.reason.txt").exists()
    assert sorted(p.name for p in batch.iterdir()) == [".admissions_2025-03-16.csv.x1.tmp"], "temporaries are left"
    assert schema.table_counts(conn, params)["fact_visit"] == 0
    assert query(conn, params, "SELECT count(*) AS n FROM ingest_rejection")["n"].item() == 2


def test_watch_picks_up_files_as_they_arrive(wh, month):
    params, conn = wh
    _, _, source = month
    stop = threading.Event()
    seen: list[str] = []
    passes = {"n": 0}

    def on_pass(outcomes):
        passes["n"] += 1
        seen.extend(o.name for o in outcomes if o.status == "ingested")
        if passes["n"] == 1:
            copy_batch(source, params, {"people_data.csv", "admissions_2025-03-17.csv"})
        elif passes["n"] >= 3:
            stop.set()

    with Ingestor(params, conn) as ingestor:
        ingestor.watch(interval=0.05, stop=stop, on_pass=on_pass)
    assert seen == ["people_data.csv", "admissions_2025-03-17.csv"]
    assert schema.table_counts(conn, params)["fact_admission"] == csv_rows(source / "admissions_2025-03-17.csv")


def test_people_into_an_empty_warehouse_load_directly_and_are_still_checked(wh, month):
    params, conn = wh
    _, _, source = month
    batch = params.dirs.data_dir / "batch"
    batch.mkdir(parents=True)
    people = pd.read_csv(source / "people_data.csv", dtype=str, keep_default_na=False)
    bad_cases = {
        "duplicate key": pd.concat([people.head(5), people.head(1)]),
        'invalid input syntax for type bigint: "x" | at file line 4, column person_id':
            people.head(5).assign(person_id=["1", "2", "x", "4", "5"]),
        "home_hospital is not a hospital of params region.hospitals (5 rows, e.g. H99)":
            people.head(5).assign(home_hospital="H99"),
    }
    with Ingestor(params, conn, workers=1) as ingestor:
        for expected, frame in bad_cases.items():
            frame.to_csv(batch / "people_data.csv", index=False)
            (outcome,) = ingestor.run_once()
            assert outcome.status == "rejected" and expected in outcome.reason, outcome.reason
            assert schema.table_counts(conn, params)["dim_person"] == 0
        shutil.copy2(source / "people_data.csv", batch / "people_data.csv")
        (outcome,) = ingestor.run_once()
        assert outcome.status == "ingested"
        ids = query(conn, params, "SELECT DISTINCT p.file_id, l.file_id AS ledger_id FROM dim_person p "
                                  "JOIN ingest_ledger l ON l.file_name = 'people_data.csv'")
        assert len(ids) == 1 and ids["file_id"].item() == ids["ledger_id"].item()
        changed = people.assign(name=people["name"] + " Jr")     # not the run's file: not merged over the rows
        changed.to_csv(batch / "people_data.csv", index=False)
        (outcome,) = ingestor.run_once()
        assert outcome.status == "rejected" and "loaded before with other content" in outcome.reason
    names = query(conn, params, "SELECT count(*) AS n FROM dim_person WHERE name LIKE '%%Jr'")
    assert names["n"].item() == 0 and schema.table_counts(conn, params)["dim_person"] == len(people)


def test_a_stopped_pass_leaves_the_files_in_batch(wh, month):
    params, conn = wh
    _, _, source = month
    copy_batch(source, params, {"people_data.csv", "census_2025-03-20.csv", "census_2025-03-21.csv"})
    stop = threading.Event()
    stop.set()
    with Ingestor(params, conn) as ingestor:
        assert ingestor.run_once(stop) == []
        assert len(list(ingestor.batch.iterdir())) == 3
        assert [o.status for o in ingestor.run_once()] == ["ingested"] * 3


def visits_of(visits: pd.DataFrame, people: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The visits made by these people instead: their ids, and the sex and age each has (an unknown id keeps
    the visit's own)."""
    by_id = people.set_index("person_id")
    known = [i in by_id.index for i in ids]
    sex = [by_id.at[i, "sex"] if k else s for i, k, s in zip(ids, known, visits["sex"])]
    age = [str(int((pd.Timestamp(a[:10]) - pd.Timestamp(by_id.at[i, "birth_date"][:10])).days / 365.2425)) if k
           else g for i, k, a, g in zip(ids, known, visits["arrival_time"], visits["age"])]
    return visits.assign(person_id=ids, sex=sex, age=age)


def test_person_checks_skip_the_index_only_inside_a_gapless_span(wh, month):
    params, conn = wh
    _, result, source = month
    batch = params.dirs.data_dir / "batch"
    batch.mkdir(parents=True)
    people = pd.read_csv(source / "people_data.csv", dtype=str, keep_default_na=False)
    gappy = people[people["person_id"].astype(int).isin([*range(10), *range(20, 30)])]
    gappy.to_csv(batch / "people_data.csv", index=False)
    visits = pd.read_csv(source / "daily_visitors_2025-03-16.csv", dtype=str, keep_default_na=False).head(2)
    with Ingestor(params, conn, workers=1) as ingestor:
        assert [o.status for o in ingestor.run_once()] == ["ingested"]
        assert query(conn, params, "SELECT count(*) AS n FROM key_span")["n"].item() == 0, "ids 10-19 are missing"
        visits_of(visits, people, ["25", "15"]).to_csv(batch / "daily_visitors_2025-03-16.csv", index=False)
        (bad,) = ingestor.run_once()
        assert bad.status == "rejected" and "person_id is not in the warehouse (people_data.csv) (1 row, e.g. 15)" in bad.reason
        shutil.copy2(source / "population_with_illnesses.csv", batch)  # all of them now: one run 0..N-1
        assert [o.status for o in ingestor.run_once()] == ["ingested"]
        span = query(conn, params, "SELECT lo, hi FROM key_span WHERE dim = 'person'")
        assert (span["lo"].item(), span["hi"].item()) == (0, len(result.people) - 1)
        visits_of(visits, people, ["15", str(len(result.people))]).to_csv(
            batch / "daily_visitors_2025-03-17.csv", index=False)
        (bad,) = ingestor.run_once()
        assert bad.status == "rejected" and f"(1 row, e.g. {len(result.people)})" in bad.reason
        visits_of(visits, people, ["15", "16"]).to_csv(batch / "daily_visitors_2025-03-17.csv", index=False)
        assert [o.status for o in ingestor.run_once()] == ["ingested"]


def test_a_grown_run_replaces_its_setup_files_but_a_changed_file_is_still_refused(pg, tmp_path):
    """A longer simulation.days rewrites the run's cumulative setup files (staff_data.csv, reserve_pool.csv,
    staff_events.csv): those new versions, the run's own, are loaded over the old ones; an edited file is not."""
    from hospsim import simulate
    params = warehouse_params(tmp_path, pg, "test_ingest.grown", {"simulation.population": 3000,
                                                                  "simulation.days": 10})
    simulate.run(params, progress=False)
    conn = pg.connect()
    try:
        with Ingestor(params, conn, workers=1) as ingestor:
            first = ingestor.run_once()
            assert {o.status for o in first} == {"ingested"}
            loaded = {o.name: o.sha256 for o in first}
            longer = simulate.with_days(params, 40)
            simulate.run(longer, progress=False)
        with Ingestor(longer, conn, workers=1) as ingestor:
            second = {o.name: o for o in ingestor.run_once()}
            assert {o.status for o in second.values()} == {"ingested"}, \
                [o.line() for o in second.values() if o.status != "ingested"]
            regrown = sorted(n for n, o in second.items() if n in loaded and o.sha256 != loaded[n])
            assert "staff_data.csv" in regrown and all(filekinds.classify(n).kind.grows_with_run for n in regrown)
            staff = pd.read_csv(params.dirs.data_dir / "processed" / "staff_data.csv")
            assert schema.table_counts(conn, longer)["dim_staff"] == len(staff)
            edited = staff.assign(name=staff["name"] + " Jr")
            edited.to_csv(ingestor.batch / "staff_data.csv", index=False)
            (outcome,) = ingestor.run_once()
            assert outcome.status == "rejected" and "loaded before with other content" in outcome.reason
    finally:
        conn.rollback()
        schema.drop(conn, params)
        conn.close()
