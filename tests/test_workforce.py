"""Workforce: staff sized to nurse ratios, turnover through the reserve pool, schedules that cover and rest."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from hospsim import config, documents, sinks
from hospsim import workforce as wf
from hospsim.ages import age_on
from hospsim.config import ConfigError

HOSPITALS = [
    {"id": "H01", "name": "Central", "city": "São Paulo", "lat": -23.55, "lon": -46.63, "wards": {"emergency": 10, "icu": 6, "med_surg": 30, "maternity": 8},
     "specialties": ["cardiology", "oncology", "obstetrics"]},
    {"id": "H02", "name": "Norte", "city": "São Paulo", "lat": -23.48, "lon": -46.62, "wards": {"med_surg": 20, "pediatrics": 8, "psychiatry": 6}},
]


def make_params(tmp_path, **overrides) -> config.Params:
    base = {"region.hospitals": HOSPITALS, "simulation.start_date": "2025-01-01", "simulation.days": 95}
    return config.load(None, {**base, **overrides}, environ={}, dotenv=tmp_path / "no.env")


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("workforce")


@pytest.fixture(scope="module", params=["12x36", "3x8"])
def run(request, module_tmp):
    """A quarter and a bit with heavy turnover, so every kind of event happens."""
    params = make_params(module_tmp, **{"workforce.rotation": request.param, "workforce.annual_resignation_rate": 0.4,
                                        "workforce.annual_retirement_hazard": 0.5,
                                        "workforce.early_retirement_age": 50})
    return params, wf.simulate(params)


def schedules_of(out: dict) -> pd.DataFrame:
    return pd.concat([v for k, v in out.items() if k.startswith("schedules_")], ignore_index=True)


def test_plan_follows_california_ratios_at_target_occupancy(tmp_path):
    params = make_params(tmp_path, **{"workforce.staffing_rule": "california", "region.hospitals": [
        {"id": "H01", "name": "Hospital H01", "city": "São Paulo", "lat": -23.55, "lon": -46.63, "wards": {"emergency": 30, "icu": 20, "med_surg": 120, "psychiatry": 12}},
        {"id": "H02", "name": "Hospital H02", "city": "São Paulo", "lat": -23.55, "lon": -46.63, "wards": {"emergency": 10, "maternity": 16}}]})
    got = wf.staffing_plan(params).set_index(["hospital_id", "ward", "role"])
    # H01 ICU: 20 beds x 0.85 = 17 patients, 1:2 -> 9 nurses; med-surg 120 x 0.85 = 102, 1:5 -> 21
    assert got.loc[("H01", "icu", "nurse"), "per_shift"] == 9
    assert got.loc[("H01", "med_surg", "nurse"), "per_shift"] == 21
    assert got.loc[("H01", "med_surg", "nurse"), "team_size"] == 21 + 3
    assert got.loc[("H01", "med_surg", "nurse"), "headcount"] == 4 * 24
    assert got.loc[("H01", "med_surg", "physician"), "per_shift"] == 11
    assert got.loc[("H01", "psychiatry", "nurse"), "per_shift"] == 2  # 10.2 patients, 1:6
    assert got.loc[("H02", "maternity", "nurse"), "per_shift"] == 4  # 13.6 patients, our 1:4


def test_plan_follows_cofen_hours_per_patient_with_nurses_and_technicians(tmp_path):
    params = make_params(tmp_path, **{"region.hospitals": [
        {"id": "H01", "name": "Hospital H01", "city": "São Paulo", "lat": -23.55, "lon": -46.63,
         "wards": {"icu": 20, "med_surg": 120, "telemetry": 10}}]})
    assert params.workforce.staffing_rule == "cofen"
    got = wf.staffing_plan(params).set_index(["hospital_id", "ward", "role"])
    # ICU (intensive): 17 patients x 18 h / 24 h = 12.75 present, 52% nurses -> 6.63 -> 7, 48% -> 6.12 -> 7
    assert got.loc[("H01", "icu", "nurse"), "per_shift"] == 7
    assert got.loc[("H01", "icu", "nursing_technician"), "per_shift"] == 7
    # med-surg (intermediate): 102 x 6 / 24 = 25.5 present, 33% nurses -> 8.4 -> 9, 67% -> 17.1 -> 18
    assert got.loc[("H01", "med_surg", "nurse"), "per_shift"] == 9
    assert got.loc[("H01", "med_surg", "nursing_technician"), "per_shift"] == 18
    # telemetry (high dependency): 8.5 x 10 / 24 = 3.54 present, 36% -> 1.28 -> 2, 64% -> 2.27 -> 3
    assert got.loc[("H01", "telemetry", "nurse"), "per_shift"] == 2
    assert got.loc[("H01", "telemetry", "nursing_technician"), "per_shift"] == 3
    # nursing teams carry COFEN's 15% technical safety margin (above absence_slack's 10%); physicians 10%
    assert got.loc[("H01", "med_surg", "nursing_technician"), "team_size"] == 18 + 3
    assert got.loc[("H01", "med_surg", "physician"), "team_size"] == 11 + 2
    assert wf.patients_per_nurse(params)["icu"] == pytest.approx(24 / (18 * 0.52))


def test_care_levels_change_the_plan_and_the_rule_is_validated(tmp_path):
    base = wf.staffing_plan(make_params(tmp_path)).set_index(["hospital_id", "ward", "role"])["per_shift"]
    more = make_params(tmp_path, **{"workforce.cofen.hours_per_patient.intermediate": 12})
    doubled = wf.staffing_plan(more).set_index(["hospital_id", "ward", "role"])["per_shift"]
    assert doubled[("H01", "med_surg", "nurse")] > base[("H01", "med_surg", "nurse")]
    assert doubled[("H01", "icu", "nurse")] == base[("H01", "icu", "nurse")]
    with pytest.raises(ConfigError, match=r"workforce\.cofen\.safety_margin = 0\.1: must be >= 0\.15"):
        make_params(tmp_path, **{"workforce.cofen.safety_margin": 0.1})
    with pytest.raises(ConfigError, match=r"workforce\.staffing_rule = 'nhs': must be one of cofen, california"):
        make_params(tmp_path, **{"workforce.staffing_rule": "nhs"})


def test_ratio_fields_cover_every_ward_type():
    assert {f.name for f in dataclasses.fields(config.NurseRatios)} == set(config.WARD_TYPES)
    assert set(wf.WARD_SPECIALTIES) == set(config.WARD_TYPES)


def test_initial_staff_fills_every_team_with_people_of_working_age(tmp_path):
    params = make_params(tmp_path)
    staff, reserve = wf.initial_staff(params)
    plan = wf.staffing_plan(params).set_index(["hospital_id", "ward", "role"])["team_size"]
    counts = staff.groupby(["hospital_id", "ward", "role", "team"]).size()
    assert len(counts) == len(plan) * 4
    assert (counts.droplevel("team") == plan.reindex(counts.droplevel("team").index)).all()
    assert (staff["status"] == "active").all() and staff["exit_date"].isna().all()
    start = params.simulation.start_date
    age = age_on(staff["birth_date"], start)
    min_age = staff["role"].map(wf.MIN_AGE).to_numpy()
    assert (age < params.workforce.retirement_age).all() and (age >= min_age).all()
    assert (staff["hire_date"] <= start).all()
    tenure_days = (pd.Timestamp(start) - pd.to_datetime(staff["hire_date"])).dt.days
    years_at_hire = age - tenure_days.to_numpy() / 365.25
    assert (years_at_hire >= min_age - 1).all()
    assert staff["vacation_month"].between(1, 12).all()
    assert len(reserve) == params.workforce.reserve_pool_size
    assert set(reserve["role"]) == set(wf.ROLES)
    assert staff["sex"].isin(["F", "M"]).all() and 0.6 < (staff.loc[staff.role == "nurse", "sex"] == "F").mean()


def test_documents_are_unique_and_valid(run):
    params, out = run
    staff, reserve = out["staff_data.csv"], out["reserve_pool.csv"]
    people = pd.concat([staff, reserve])
    people = people.drop_duplicates("national_id")  # a hire appears in staff only; reserve keeps the rest
    assert len(people) == len(staff) + len(reserve)
    assert documents.valid_cpf(people["national_id"]).all()
    assert people["registration"].is_unique
    doctors = people["role"] == "physician"
    assert people.loc[doctors, "registration"].str.fullmatch(r"\d{6}SP").all()
    coren = people.loc[~doctors, "registration"]
    assert coren.str.fullmatch(r"COREN-SP \d{6}-(ENF|TE)").all()
    assert (coren.str.endswith("-ENF") == (people.loc[~doctors, "role"] == "nurse")).all()
    hospitals = {h.id: h for h in params.region.hospitals}
    for row in staff[staff["role"] == "physician"].itertuples():
        assert row.specialty in wf.ward_specialties(hospitals[row.hospital_id], row.ward)
    assert (people.loc[~doctors, "specialty"] == "").all()
    assert staff["staff_id"].is_unique


def test_files_cover_every_quarter_and_month_touched(run):
    _, out = run
    assert list(out) == ["staff_data.csv", "reserve_pool.csv", "staff_active_2025_Q1.csv", "staff_active_2025_Q2.csv",
                         "schedules_2025_01.csv", "schedules_2025_02.csv", "schedules_2025_03.csv",
                         "schedules_2025_04.csv", "staff_events.csv"]
    sched = out["schedules_2025_02.csv"]
    assert list(sched.columns) == list(wf.SCHEDULE_COLUMNS)
    assert sched["date"].min() == dt.date(2025, 2, 1) and sched["date"].max() == dt.date(2025, 2, 28)


def test_schedules_cover_the_expected_census_on_every_shift(run):
    params, out = run
    sched = schedules_of(out)
    days = pd.date_range("2025-01-01", "2025-04-30").date
    coverage = wf.staffing_coverage(params, sched, wf.expected_census(params, days))
    shifts = [s[0] for s in wf.SHIFTS[params.workforce.rotation]]
    assert len(coverage) == len(days) * 7 * len(shifts)
    assert coverage["met"].all(), coverage[~coverage["met"]].head()
    # the other roles are there on every shift too
    per_shift = sched.groupby(["date", "shift", "hospital_id", "ward", "role"]).size()
    need = wf.staffing_plan(params).set_index(["hospital_id", "ward", "role"])["per_shift"]
    assert len(per_shift) == len(days) * len(shifts) * len(need)
    assert (per_shift.to_numpy() >= need.reindex(per_shift.droplevel(["date", "shift"]).index).to_numpy()).all()


def test_rest_rules_hold_across_months_and_quarters(run):
    params, out = run
    w = params.workforce
    sched = schedules_of(out).sort_values(["staff_id", "shift_start"])
    assert not sched.duplicated(["staff_id", "date"]).any()  # one shift a day at most
    same = sched["staff_id"].eq(sched["staff_id"].shift())
    gap = (sched["shift_start"] - sched["shift_end"].shift())[same]
    assert (gap > pd.Timedelta(0)).all(), "an overlap or a back-to-back shift"
    assert gap.min() >= pd.Timedelta(hours=w.min_rest_hours)
    assert gap.min() == pd.Timedelta(hours=config.ROTATION_REST_HOURS[w.rotation])
    hours = (sched["shift_end"] - sched["shift_start"]).dt.total_seconds() / 3600
    starts = sched["shift_start"].dt.hour
    if w.rotation == "12x36":
        assert (hours == 12).all() and set(starts) == {7, 19}
        assert set(sched.loc[starts == 7, "shift"]) == {"day"} and set(sched.loc[starts == 19, "shift"]) == {"night"}
    else:
        assert (hours == 8).all() and set(starts) == {7, 15, 23}
        assert set(zip(sched["shift"], starts)) == {("morning", 7), ("afternoon", 15), ("night", 23)}


def test_turnover_events_are_consistent(run, module_tmp):
    params, out = run
    staff, events = out["staff_data.csv"], out["staff_events.csv"]
    assert set(events["event"]) == {"hire", "retirement", "resignation"}
    q2 = dt.date(2025, 4, 1)
    assert (events["date"] == q2).all()
    leavers = events[events["event"] != "hire"]
    left = staff.set_index("staff_id").loc[leavers["staff_id"]]
    assert (left["status"].to_numpy() == np.where(leavers["event"] == "retirement", "retired", "resigned")).all()
    assert (left["exit_date"] == q2).all()
    sched = schedules_of(out)
    later = sched[sched["date"] >= q2]
    assert not later["staff_id"].isin(leavers["staff_id"]).any()
    assert sched[sched["date"] < q2]["staff_id"].isin(leavers["staff_id"]).any()

    # hires come from the reserve as it stood before the quarter, and leave it
    _, reserve_before = wf.initial_staff(params)
    hires = staff.set_index("staff_id").loc[events.loc[events["event"] == "hire", "staff_id"]]
    assert len(hires) > 0 and (hires["candidate_id"] != "").all()
    before = reserve_before.set_index("candidate_id").loc[hires["candidate_id"]]
    assert (before["national_id"].to_numpy() == hires["national_id"].to_numpy()).all()
    assert (before["registration"].to_numpy() == hires["registration"].to_numpy()).all()
    assert (pd.to_datetime(before["available_from"]) <= pd.Timestamp(q2)).all()
    assert not out["reserve_pool.csv"]["candidate_id"].isin(hires["candidate_id"]).any()
    assert not out["reserve_pool.csv"]["national_id"].isin(staff["national_id"]).any()
    assert len(out["reserve_pool.csv"]) == params.workforce.reserve_pool_size
    assert later["staff_id"].isin(hires.index).any()

    # every team is back at its size; nobody at retirement age stays
    active = out["staff_active_2025_Q2.csv"]
    plan = wf.staffing_plan(params).set_index(["hospital_id", "ward", "role"])["team_size"]
    counts = active.groupby(["hospital_id", "ward", "role", "team"]).size().droplevel("team")
    assert (counts == plan.reindex(counts.index)).all() and len(counts) == 4 * len(plan)
    assert (age_on(active["birth_date"], q2) < params.workforce.retirement_age).all()
    assert set(active["staff_id"]) == set(staff.loc[staff["status"] == "active", "staff_id"])


def test_everyone_at_retirement_age_retires(tmp_path):
    params = make_params(tmp_path, **{"workforce.annual_resignation_rate": 0, "workforce.annual_retirement_hazard": 0})
    staff, reserve = wf.initial_staff(params)
    nurses = staff.index[staff["role"] == "nurse"]
    old, young = nurses[:10], nurses[10:20]
    staff.loc[old, "birth_date"] = dt.date(1960, 3, 31)  # 65 on the day before the quarter starts
    staff.loc[young, "birth_date"] = dt.date(1960, 4, 2)  # 65 a day after: stays
    due = age_on(staff["birth_date"], wf.quarter_start(2025, 2)) >= params.workforce.retirement_age
    staff2, reserve2, events = wf.quarterly_update(params, staff, reserve, 2025, 2)
    assert list(staff2.loc[old, "status"]) == ["retired"] * 10
    assert (staff2.loc[young, "status"] == "active").all()
    # the planted ones and whoever else turned 65 since the start (staff ages run up to retirement)
    assert sorted(events.loc[events["event"] == "retirement", "staff_id"]) == sorted(staff.loc[due, "staff_id"])
    assert due.sum() >= 10
    assert (events["event"] == "hire").sum() == due.sum() and "resignation" not in set(events["event"])
    assert len(reserve2) == len(reserve) and not reserve2["candidate_id"].isin(staff2["candidate_id"]).any()


def test_an_empty_reserve_leaves_vacancies_open(tmp_path):
    params = make_params(tmp_path, **{"workforce.reserve_pool_size": 0, "workforce.annual_resignation_rate": 0.9})
    staff, reserve = wf.initial_staff(params)
    assert reserve.empty
    staff2, reserve2, events = wf.quarterly_update(params, staff, reserve, 2025, 2)
    assert (events["event"] == "resignation").sum() > 0 and "hire" not in set(events["event"])
    assert len(staff2) == len(staff) and reserve2.empty
    assert (staff2["status"] == "active").sum() == len(staff) - len(events)


def test_hiring_lead_delays_the_first_shift(tmp_path):
    params = make_params(tmp_path, **{"workforce.hiring_lead_days": 10, "workforce.annual_resignation_rate": 0.5})
    out = wf.simulate(params)
    hires = out["staff_events.csv"].query("event == 'hire'")
    assert (hires["date"] == dt.date(2025, 4, 11)).all() and len(hires) > 0
    sched = schedules_of(out)
    first_shift = sched[sched["staff_id"].isin(hires["staff_id"])].groupby("staff_id")["date"].min()
    assert first_shift.min() >= dt.date(2025, 4, 11)


def test_vacations_take_people_off_only_where_the_team_can_spare_them(tmp_path):
    params = make_params(tmp_path, **{"simulation.days": 31})
    staff, _ = wf.initial_staff(params)
    sched = wf.monthly_schedule(params, staff, 2025, 1)
    off = staff.loc[~staff["staff_id"].isin(sched["staff_id"]), "vacation_month"]
    assert len(off) > 0 and (off == 1).all()
    # with no spare people, nobody may leave: vacations are cancelled
    tight = make_params(tmp_path, **{"simulation.days": 31, "workforce.absence_slack": 0,
                                     "workforce.staffing_rule": "california"})   # COFEN keeps a 15% margin
    staff, _ = wf.initial_staff(tight)
    assert (staff["vacation_month"] == 1).any()
    assert staff["staff_id"].isin(wf.monthly_schedule(tight, staff, 2025, 1)["staff_id"]).all()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    def files(seed, folder):
        out = wf.simulate(make_params(tmp_path, **{"seed": seed, "simulation.days": 40}))
        return {name: sinks.write_csv(df, tmp_path / folder / name).read_bytes() for name, df in out.items()}

    a, b, c = files(7, "a"), files(7, "b"), files(8, "c")
    assert a == b
    assert a.keys() == c.keys()
    for name in ("staff_data.csv", "reserve_pool.csv", "schedules_2025_01.csv", "schedules_2025_02.csv"):
        assert a[name] != c[name], name
    assert b"2025-01-01,day,2025-01-01T07:00:00,2025-01-01T19:00:00,S" in a["schedules_2025_01.csv"]


def test_coverage_counts_nurses_against_the_census(tmp_path):
    params = make_params(tmp_path, **{"workforce.staffing_rule": "california"})
    staff, _ = wf.initial_staff(params)
    sched = wf.monthly_schedule(params, staff, 2025, 1)
    day = dt.date(2025, 1, 2)
    icu_day_nurses = sched.index[(sched["date"] == day) & (sched["shift"] == "day") & (sched["ward"] == "icu")
                                 & (sched["hospital_id"] == "H01") & (sched["role"] == "nurse")]
    assert len(icu_day_nurses) >= 3
    sched = sched.drop(icu_day_nurses[1:])  # one ICU nurse left on the day shift
    census = pd.DataFrame({"date": [day] * 3, "hospital_id": ["H01", "H01", "H02"],
                           "ward": ["icu", "med_surg", "psychiatry"], "beds": [6, 30, 6], "occupied": [6, 30, 0]})
    cov = wf.staffing_coverage(params, sched, census).set_index(["hospital_id", "ward", "shift"])
    assert list(cov.columns) == ["date", "occupied", "nurses_scheduled", "nurses_required", "met",
                                 "technicians_scheduled", "technicians_required"]
    assert cov.loc[("H01", "icu", "day"), "nurses_required"] == 3  # 6 patients, 1:2
    assert cov.loc[("H01", "med_surg", "night"), "nurses_required"] == 6  # 30 patients, 1:5
    assert cov.loc[("H02", "psychiatry", "day"), "nurses_required"] == 0
    assert cov.loc[("H01", "icu", "day"), "nurses_scheduled"] == 1
    assert not cov.loc[("H01", "icu", "day"), "met"] and cov.loc[("H01", "icu", "night"), "met"]
    assert (cov["met"] == (cov["nurses_scheduled"] >= cov["nurses_required"])).all()
    assert cov["met"].sum() == 5
    # California: technicians_per_nurse (1.0) technicians per nurse required; all of the plan's are there
    assert (cov["technicians_required"] == cov["nurses_required"]).all()
    assert cov.loc[("H01", "icu", "day"), "technicians_scheduled"] >= 3


def test_cofen_coverage_counts_technicians_by_hours(tmp_path):
    params = make_params(tmp_path)
    sched = wf.monthly_schedule(params, wf.initial_staff(params)[0], 2025, 1)
    census = pd.DataFrame({"date": [dt.date(2025, 1, 2)] * 2, "hospital_id": ["H01", "H01"],
                           "ward": ["icu", "med_surg"], "beds": [6, 30], "occupied": [6, 30]})
    cov = wf.staffing_coverage(params, sched, census).set_index(["ward", "shift"])
    # ICU: 6 x 18 / 24 = 4.5 present: 2.34 -> 3 nurses, 2.16 -> 3 technicians; med-surg 30 x 6 / 24 = 7.5:
    # 2.475 -> 3 nurses, 5.025 -> 6 technicians
    assert cov.loc[("icu", "day"), ["nurses_required", "technicians_required"]].tolist() == [3, 3]
    assert cov.loc[("med_surg", "night"), ["nurses_required", "technicians_required"]].tolist() == [3, 6]
    team = sched[(sched["date"] == dt.date(2025, 1, 2)) & (sched["ward"] == "icu") & (sched["hospital_id"] == "H01")
                 & (sched["shift"] == "day")]
    assert cov.loc[("icu", "day"), "technicians_scheduled"] == (team["role"] == "nursing_technician").sum() > 0


@pytest.mark.parametrize("rule, full_house", [("cofen", 0.95), ("california", 0.9)])
def test_default_staff_meets_the_ratio_on_most_shifts_of_a_census_around_80_percent(tmp_path, rule, full_house):
    params = config.load(None, {"workforce.staffing_rule": rule}, environ={}, dotenv=tmp_path / "no.env")
    days = pd.date_range("2025-01-01", "2025-01-31").date
    sched = wf.monthly_schedule(params, wf.initial_staff(params)[0], 2025, 1)
    census = wf.expected_census(params, days)
    census["occupied"] = np.random.default_rng(1).binomial(census["beds"], 0.8)
    assert wf.staffing_coverage(params, sched, census)["met"].mean() >= 0.95
    census["occupied"] = census["beds"]  # every bed taken: beyond what the wards are staffed for
    assert wf.staffing_coverage(params, sched, census)["met"].mean() < full_house


def test_required_nurses_rejects_unknown_wards(tmp_path):
    params = make_params(tmp_path)
    census = pd.DataFrame({"date": [dt.date(2025, 1, 1)], "hospital_id": ["H01"], "ward": ["burns"], "beds": [4],
                           "occupied": [2]})
    with pytest.raises(ValueError, match="unknown ward type.*burns"):
        wf.required_nurses(params, census)
    with pytest.raises(ValueError, match="lacks column.*occupied"):
        wf.required_nurses(params, census.drop(columns="occupied"))


@pytest.mark.parametrize("overrides, message", [
    ({"workforce.rotation": "4x6"}, r"workforce\.rotation = '4x6': must be one of 12x36, 3x8"),
    ({"workforce.nurse_ratios.icu": 0}, r"workforce\.nurse_ratios\.icu = 0: must be > 0"),
    ({"workforce.nurse_ratios.med_surg": -5}, r"workforce\.nurse_ratios\.med_surg = -5: must be > 0"),
    ({"workforce.annual_resignation_rate": 1.5}, r"workforce\.annual_resignation_rate = 1\.5: must be <= 1"),
    ({"workforce.annual_retirement_hazard": 2}, r"workforce\.annual_retirement_hazard = 2: must be <= 1"),
    ({"workforce.target_occupancy": 1.2}, r"workforce\.target_occupancy = 1\.2: must be <= 1"),
    ({"workforce.rotation": "3x8", "workforce.min_rest_hours": 20},
     r"workforce\.min_rest_hours = 20.0: the 3x8 rotation leaves 16 h"),
    ({"workforce.early_retirement_age": 70}, r"workforce\.early_retirement_age = 70: must be <= retirement_age"),
    ({"workforce.nurse_ratio": {"icu": 2}}, r"workforce\.nurse_ratio: unknown key; did you mean workforce\.nurse_ratios"),
])
def test_bad_params_name_the_key(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_params(tmp_path, **overrides)


def test_bad_quarter_and_team_are_refused(tmp_path):
    params = make_params(tmp_path)
    staff, reserve = wf.initial_staff(params)
    with pytest.raises(ValueError, match="quarter = 5"):
        wf.quarterly_update(params, staff, reserve, 2025, 5)
    with pytest.raises(ValueError, match="unknown team.*'E'"):
        wf.monthly_schedule(params, staff.assign(team="E"), 2025, 1)


def test_headcount_matches_the_plan_and_schedules_name_real_staff(tmp_path):
    params = make_params(tmp_path, **{"simulation.days": 31})
    staff, _ = wf.initial_staff(params)
    assert len(staff) == wf.staffing_plan(params)["headcount"].sum()
    sched = wf.monthly_schedule(params, staff, 2025, 1)
    assert re.fullmatch(r"S\d{6}", sched["staff_id"].iloc[0])
    assert sched["staff_id"].isin(staff["staff_id"]).all()


def test_staff_ages_run_up_to_retirement(tmp_path):
    params = make_params(tmp_path, **{"simulation.population": 100_000})
    staff, _ = wf.initial_staff(params)
    age = age_on(staff["birth_date"], params.simulation.start_date)
    retire = params.workforce.retirement_age
    assert age.max() == retire - 1 and (age < retire).all()
    assert 0.03 < (age >= 60).mean() < 0.12                              # few past 60, as STAFF_AGE_SHARES say
    physicians = staff["role"] == "physician"
    assert age[physicians].mean() > age[~physicians].mean()             # physicians are the older ones
    for role in wf.ROLES:
        assert age[staff["role"] == role].min() >= wf.MIN_AGE[role]


def _day_census(params, day, share):
    census = wf.expected_census(params, [day])
    census["occupied"] = np.floor(census["beds"] * share).astype(int)
    return census


def test_the_days_census_sends_home_the_nursing_staff_it_does_not_need(tmp_path):
    params = make_params(tmp_path)
    rota = wf.monthly_schedule(params, wf.initial_staff(params)[0], 2025, 1)
    day = dt.date(2025, 1, 2)
    of_day = wf.day_rotas(params, rota)[day]
    low = wf.shift_changes(params, day, of_day, _day_census(params, day, 0.4))
    assert list(low.columns) == list(wf.CHANGE_COLUMNS) and set(low["change"]) == {"call_off"}
    assert set(low["role"]) == {"nurse", "nursing_technician"} and set(low["date"]) == {day}
    on_duty = wf.on_duty(rota, low)
    assert len(on_duty) == len(rota) - len(low) > 0
    cov = wf.staffing_coverage(params, on_duty[on_duty["date"] == day], _day_census(params, day, 0.4))
    assert cov["met"].all() and (cov["technicians_scheduled"] >= cov["technicians_required"]).all()
    # on duty: the minimum plus 15% of it in whole people, at least one of each
    keep = np.maximum(cov["nurses_required"] + np.floor(cov["nurses_required"] * 0.15 + 1e-9), 1)
    assert (cov["nurses_scheduled"] <= keep).all() and (cov["nurses_scheduled"] >= 1).all()
    # a fuller house sends fewer home; a full one with the plan's staff sends home almost nobody
    assert len(wf.shift_changes(params, day, of_day, _day_census(params, day, 0.8))) < len(low)
    off = dataclasses.replace(params, workforce=dataclasses.replace(params.workforce, census_staffing=False))
    assert wf.shift_changes(off, day, of_day, _day_census(params, day, 0.4)).empty
    assert wf.shift_changes(params, day, of_day, _day_census(params, day, 0.4)).equals(low), "one seed, one draw"


def test_on_duty_takes_out_only_the_called_off_shifts(tmp_path):
    params = make_params(tmp_path)
    rota = wf.monthly_schedule(params, wf.initial_staff(params)[0], 2025, 1)
    day = dt.date(2025, 1, 5)
    changes = wf.shift_changes(params, day, wf.day_rotas(params, rota)[day], _day_census(params, day, 0.3))
    as_text = changes.assign(shift_start=changes["shift_start"].dt.strftime("%Y-%m-%dT%H:%M:%S"))  # read back
    worked = wf.on_duty(rota, as_text)
    assert len(worked) == len(rota) - len(changes) > 0
    other_days = rota[rota["date"] != day]
    assert len(worked[worked["date"] != day]) == len(other_days)
    assert wf.on_duty(rota, None) is rota
    mixed = as_text.copy()           # a run's frames joined from files and memory: both ISO spellings at once
    mixed.loc[mixed.index[::2], "shift_start"] = changes["shift_start"].dt.strftime("%Y-%m-%d %H:%M:%S")
    assert len(wf.on_duty(rota, mixed)) == len(worked)


@pytest.mark.parametrize("rotation", ["12x36", "3x8"])
def test_a_census_above_the_rota_calls_in_off_duty_staff_of_the_ward_with_their_rest(tmp_path, rotation):
    params = make_params(tmp_path, **{"workforce.rotation": rotation})
    staff = wf.initial_staff(params)[0]
    rota = wf.monthly_schedule(params, staff, 2025, 1)
    rotas = wf.day_rotas(params, rota)
    days = sorted(rotas)
    changes = pd.concat([wf.shift_changes(params, d, rotas[d], _day_census(params, d, 1.3)) for d in days])
    calls = changes[changes["change"] == "call_in"]
    assert len(calls) > 0 and (changes["change"] == "call_off").any()
    home = staff.set_index("staff_id").loc[calls["staff_id"], ["hospital_id", "ward", "role"]].to_numpy()
    assert (home == calls[["hospital_id", "ward", "role"]].to_numpy()).all(), "called in to their own ward"
    worked = wf.on_duty(rota, changes).sort_values(["staff_id", "shift_start"])
    assert len(worked) == len(rota) - (changes["change"] == "call_off").sum() + len(calls)
    assert not worked.duplicated(["staff_id", "date"]).any()
    same = worked["staff_id"].eq(worked["staff_id"].shift())
    gap = (pd.to_datetime(worked["shift_start"]) - pd.to_datetime(worked["shift_end"]).shift())[same]
    assert gap.min() >= pd.Timedelta(hours=params.workforce.min_rest_hours)
    cov = pd.concat([wf.staffing_coverage(params, worked[worked["date"] == d], _day_census(params, d, 1.3))
                     for d in days])
    short = ~cov["met"]
    assert short.mean() < 0.5, "most short shifts found someone to call in"
