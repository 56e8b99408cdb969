"""The daily loop: beds never double-booked, transfers only to a free bed, census consistent, days reproducible."""
from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hospsim import config, daily, filekinds, population, simulate
from hospsim.daily import CensusState

WORKSHOP = "params/workshop.yaml"
# Far too few beds for 30k people: boarding, capacity transfers and cancelled electives every day.
TIGHT_REGION = [
    {"id": "H01", "name": "Big", "city": "Campinas", "lat": -22.83, "lon": -47.06,
     "wards": {"emergency": 4, "icu": 2, "med_surg": 9, "pediatrics": 2, "psychiatry": 1},
     "specialties": ["pediatrics", "psychiatry", "cardiology"]},
    {"id": "H02", "name": "Small", "city": "Campinas", "lat": -22.91, "lon": -47.06,
     "wards": {"emergency": 3, "icu": 1, "med_surg": 6, "maternity": 1}, "specialties": ["obstetrics"]},
]


def _run(params, days: int, state: CensusState | None = None):
    people = population.with_illnesses(params, population.generate(params))
    cohort = daily.prepare(params, people)
    state = state or CensusState.empty(params)
    results, states = [], [state]
    for i in range(days):
        result, state = daily.simulate_day(params, params.simulation.start_date + dt.timedelta(days=i), cohort, state)
        results.append(result)
        states.append(state)
    frames = {k: pd.concat([getattr(r, k) for r in results], ignore_index=True) for k in filekinds.DAILY}
    return SimpleNamespace(params=params, cohort=cohort, results=results, states=states, frames=frames)


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    from tests.conftest import small_params
    params = small_params(tmp_path_factory.mktemp("tight"), params_file=WORKSHOP,
                          overrides={"region.hospitals": TIGHT_REGION, "simulation.days": 30})
    return _run(params, 30)


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    from tests.conftest import small_params
    params = small_params(tmp_path_factory.mktemp("ws"), params_file=WORKSHOP, overrides={"simulation.days": 20})
    return _run(params, 20)


def _stays(frames: dict, final: CensusState, cohort) -> pd.DataFrame:
    """Every stay seen: admitted in the run, discharged in it, or still in a bed at the end."""
    lay = cohort.layout
    held = np.flatnonzero(final.bed_person >= 0)
    still = pd.DataFrame({"admission_id": final.bed_admission[held], "person_id": cohort.person_id[final.bed_person[held]],
                          "bed": lay.slot_label[held],
                          "admit_time": final.bed_admit[held].astype("datetime64[s]"),
                          "discharge_time": final.bed_discharge[held].astype("datetime64[s]")})
    adm = frames["admissions"].rename(columns={"planned_discharge_time": "discharge_time"})
    stays = pd.concat([adm[still.columns], frames["discharges"][still.columns], still], ignore_index=True)
    stays = stays.drop_duplicates("admission_id")
    stays["hospital_id"] = stays["bed"].str.split("-").str[0]
    stays["code"] = stays["bed"].str.split("-").str[1]
    return stays


def _capacity(cohort) -> dict:
    """(hospital id, ward) -> its beds plus its surge beds."""
    lay = cohort.layout
    keys = zip(lay.hospital_ids[lay.slot_hospital], np.array(config.WARD_TYPES)[lay.slot_ward])
    return pd.Series(list(keys)).value_counts().to_dict()


@pytest.mark.parametrize("which", ["tight", "workshop"])
def test_no_bed_holds_two_patients_at_once(which, request):
    run = request.getfixturevalue(which)
    cohort, states, frames = run.cohort, run.states, run.frames
    stays = _stays(frames, states[-1], cohort).sort_values(["bed", "admit_time"])
    assert len(stays) > 50
    same_bed = stays["bed"].to_numpy()[1:] == stays["bed"].to_numpy()[:-1]
    next_in = stays["admit_time"].to_numpy()[1:]
    previous_out = stays["discharge_time"].to_numpy()[:-1]
    overlaps = same_bed & (next_in < previous_out)
    assert not overlaps.any(), stays.iloc[np.flatnonzero(overlaps)[:3]]
    assert (stays["discharge_time"] > stays["admit_time"]).all()
    # ...and nobody lies in two beds at once.
    by_person = stays.sort_values(["person_id", "admit_time"])
    same_person = by_person["person_id"].to_numpy()[1:] == by_person["person_id"].to_numpy()[:-1]
    assert not (same_person & (by_person["admit_time"].to_numpy()[1:]
                               < by_person["discharge_time"].to_numpy()[:-1])).any()


def test_the_tight_region_boards_transfers_and_cancels(tight):
    run = tight
    frames = run.frames
    census = frames["census"]
    assert census["boarding"].sum() > 0 and census["cancelled_electives"].sum() > 0
    assert (frames["transfers"]["reason"] == "capacity").sum() > 0
    inpatient = census[census["ward"] != "emergency"]
    capacity = _capacity(run.cohort)
    assert (inpatient["occupied"] <= [capacity[k] for k in zip(inpatient["hospital_id"], inpatient["ward"])]).all()
    assert (inpatient["occupied"] > inpatient["beds"]).any(), "a crowded hospital opens its surge beds"
    assert (inpatient["occupied"] >= inpatient["beds"]).mean() > 0.3, "the tight region should run full"
    # A boarder keeps the visit id and gets a bed on a later day, when it leaves the ED; every visit leaves.
    visits = frames["visitors"]
    assert visits["departure_time"].notna().all()
    boarded = visits[visits["disposition"].isin(["admitted", "transferred"])
                     & (visits["departure_time"].dt.normalize() > visits["arrival_time"].dt.normalize())]
    later = frames["admissions"].merge(boarded[["visit_id", "arrival_time", "departure_time", "disposition"]],
                                       on="visit_id")
    last_day = pd.Timestamp(census["date"].max())
    assert len(later) > 0 and set(boarded["visit_id"][boarded["departure_time"] < last_day]) <= set(later["visit_id"])
    assert (later["admit_time"].dt.normalize() > later["arrival_time"].dt.normalize()).all()
    home = later[later["disposition"] == "admitted"]
    assert len(home) > 0 and (home["admit_time"] == home["departure_time"]).all()
    # Nobody boards past the limit: the ED stay is at most its longest (20 h + 2 h) plus 24 h of boarding.
    assert ((visits["departure_time"] - visits["arrival_time"]).dt.total_seconds() <= 46 * 3600).all()


@pytest.mark.parametrize("which", ["tight", "workshop"])
def test_a_transfer_goes_to_a_free_bed(which, request):
    run = request.getfixturevalue(which)
    cohort, states, frames = run.cohort, run.states, run.frames
    stays = _stays(frames, states[-1], cohort)
    transfers = frames["transfers"].merge(frames["admissions"][["admission_id", "bed", "hospital_id", "ward"]],
                                          on="admission_id", suffixes=("", "_admitted"))
    assert len(transfers) > 0
    assert (transfers["hospital_id"] == transfers["destination_hospital_id"]).all()
    assert (transfers["ward"] == transfers["ward_admitted"]).all()
    assert (transfers["origin_hospital_id"] != transfers["destination_hospital_id"]).all()
    capacity = _capacity(cohort)
    for row in transfers.itertuples():   # a few dozen transfers: a readable check beats a clever one
        code = row.bed.split("-")[1]
        same_ward = stays[(stays["hospital_id"] == row.destination_hospital_id) & (stays["code"] == code)
                          & (stays["admission_id"] != row.admission_id)]
        census_at_arrival = ((same_ward["admit_time"] <= row.arrival_time)
                             & (same_ward["discharge_time"] > row.arrival_time)).sum()
        assert census_at_arrival < capacity[(row.destination_hospital_id, row.ward)]
    assert (transfers["arrival_time"] > transfers["departure_time"]).all()
    assert (transfers["departure_time"] > transfers["request_time"]).all()
    assert (transfers["distance_km"] > 0).all()


def test_census_counts_the_beds_held_at_midnight(tight):
    run = tight
    cohort, states, frames = run.cohort, run.states, run.frames
    stays = _stays(frames, states[-1], cohort)
    codes = {v: k for k, v in daily.WARD_CODES.items()}
    stays["ward"] = stays["code"].map(codes)
    census = frames["census"][frames["census"]["ward"] != "emergency"]
    for day in ("2025-02-03", "2025-02-17"):
        midnight = pd.Timestamp(day) + pd.Timedelta(days=1)
        held = stays[(stays["admit_time"] < midnight) & (stays["discharge_time"] >= midnight)]
        expected = held.groupby(["hospital_id", "ward"]).size()
        got = census[census["date"] == day].set_index(["hospital_id", "ward"])["occupied"]
        assert got.to_dict() == expected.reindex(got.index, fill_value=0).to_dict()


def test_a_ward_a_hospital_lacks_means_a_specialty_transfer(tight):
    run = tight
    params, frames = run.params, run.frames
    adm = frames["admissions"]
    assert not ((adm["hospital_id"] == "H02") & adm["ward"].isin(["pediatrics", "psychiatry"])).any()
    assert not ((adm["hospital_id"] == "H01") & (adm["ward"] == "maternity")).any()
    wards = {(h.id, w.type) for h in params.region.hospitals for w in h.wards}
    transfers = frames["transfers"]
    lacking = [(o, w) not in wards for o, w in zip(transfers["origin_hospital_id"], transfers["ward"])]
    assert sum(lacking) > 0
    assert set(transfers.loc[lacking, "reason"]) == {"specialty"}
    assert set(transfers.loc[lacking, "destination_hospital_id"]) == {"H01", "H02"}


def test_daily_files_have_their_columns_and_ids(workshop):
    run = workshop
    results, frames = run.results, run.frames
    first = results[0]
    assert list(first.files()) == ["daily_visitors_2025-02-01.csv", "admissions_2025-02-01.csv",
                                   "discharges_2025-02-01.csv", "transfers_2025-02-01.csv",
                                   "emergency_transports_2025-02-01.csv", "census_2025-02-01.csv",
                                   "births_2025-02-01.csv", "deaths_2025-02-01.csv"]
    for kind, columns in daily.COLUMNS.items():
        assert list(getattr(first, kind).columns) == columns
    visits = frames["visitors"]
    assert visits["visit_id"].is_unique and visits["visit_id"].str.fullmatch(r"V\d{8}-\d{6}").all()
    assert first.visitors["visit_id"].iloc[0] == "V20250201-000001"
    assert visits["triage"].between(1, 5).all() and set(visits["disposition"]) <= set(daily.DISPOSITIONS)
    assert (visits.groupby(visits["arrival_time"].dt.date)["person_id"].nunique()
            == visits.groupby(visits["arrival_time"].dt.date).size()).all(), "one visit a person a day"
    adm = frames["admissions"]
    assert adm["admission_id"].is_unique and set(adm["type"]) == {"emergency", "elective"}
    assert (adm.loc[adm["type"] == "elective", "visit_id"] == "").all()
    assert adm.loc[adm["type"] == "emergency", "visit_id"].isin(visits["visit_id"]).all()
    assert adm["length_of_stay_days"].between(daily.LOS_MIN_DAYS, daily.LOS_MAX_DAYS).all()
    trips = frames["transports"]
    assert len(trips) > 0 and trips["visit_id"].isin(visits.loc[visits["arrival_mode"] == "ambulance", "visit_id"]).all()
    assert ((trips["dispatch_time"] < trips["pickup_time"]) & (trips["pickup_time"] < trips["arrival_time"])).all()
    assert trips["priority"].between(1, 3).all()


def test_a_day_recomputed_from_its_seed_and_the_saved_state_is_the_same(workshop, tmp_path):
    run = workshop
    params, cohort, results, states = run.params, run.cohort, run.results, run.states
    k = 12
    path = simulate.save_state(states[k], tmp_path / "state.npz")
    loaded = simulate.load_state(path)
    assert loaded.equals(states[k])
    again, after = daily.simulate_day(params, results[k].day, cohort, loaded)
    for name, df in results[k].files().items():
        pd.testing.assert_frame_equal(again.files()[name], df, obj=name)
    assert after.equals(states[k + 1])


def test_another_seed_gives_another_day(workshop):
    run = workshop
    params, cohort, results, states = run.params, run.cohort, run.results, run.states
    other = dataclasses.replace(params, seed=params.seed + 1)
    result, _ = daily.simulate_day(other, results[3].day, cohort, states[3])
    assert not result.visitors.equals(results[3].visitors)


def test_a_state_from_another_bed_layout_is_refused(workshop):
    run = workshop
    params, cohort, results = run.params, run.cohort, run.results
    wrong = CensusState.empty(params)
    wrong = dataclasses.replace(wrong, bed_person=wrong.bed_person[:-1])
    with pytest.raises(ValueError, match="bed layout changed"):
        daily.simulate_day(params, results[0].day, cohort, wrong)


def test_people_without_the_needed_columns_are_refused(workshop):
    params = workshop.params
    with pytest.raises(ValueError, match="population.with_illnesses"):
        daily.prepare(params, pd.DataFrame({"person_id": [1]}))


def test_newborns_are_new_people_in_their_mothers_household(workshop):
    from hospsim import documents
    from hospsim.config import clinical_rules
    run = workshop
    births, people = run.frames["births"], population.generate(run.params)
    assert len(births) > 5
    assert documents.valid_cpf(births["national_id"]).all()
    assert not births["national_id"].isin(people["national_id"]).any() and births["national_id"].is_unique
    assert list(births["person_id"]) == list(range(len(people), len(people) + len(births))), "ids go on in order"
    mothers = people.set_index("person_id").loc[births["mother_id"]]
    for column in ("address", "city", "lat", "lon", "insurance", "home_hospital"):
        assert list(births[column]) == list(mothers[column]), column
    assert (births["birth_date"] == births["birth_time"].dt.normalize()).all()
    visits = run.frames["visitors"].set_index("visit_id").loc[births["visit_id"]]
    assert (visits["reason"] == "obstetric").all()
    sent_home = visits[visits["disposition"] == "discharged"]     # no bed anywhere within the boarding limit
    waited = sent_home["departure_time"] - sent_home["arrival_time"]
    assert (waited >= pd.Timedelta(hours=clinical_rules(run.params).boarding_limit_hours)).all()
    assert len(sent_home) <= 0.05 * len(visits), "a woman in labour is admitted (or transferred) as a rule"
    assert (visits["person_id"].to_numpy() == births["mother_id"].to_numpy()).all()


def test_the_dead_make_no_later_visit_or_admission(workshop):
    frames = workshop.frames
    deaths = frames["deaths"]
    assert set(frames["discharges"]["outcome"]) <= {"alive", "died"} and set(frames["visitors"]["outcome"]) <= {
        "alive", "died"}
    died_in_bed = frames["discharges"][frames["discharges"]["outcome"] == "died"]
    assert set(died_in_bed["person_id"]) <= set(deaths["person_id"]) and deaths["person_id"].is_unique
    when = deaths.set_index("person_id")["death_time"]
    for kind, column in (("visitors", "arrival_time"), ("admissions", "admit_time")):
        later = frames[kind][frames[kind]["person_id"].isin(when.index)]
        assert (later[column].to_numpy() <= when.loc[later["person_id"]].to_numpy()).all(), kind
    assert set(deaths["place"]) <= {"home", "emergency", *daily.WARD_CODES}
