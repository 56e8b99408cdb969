"""The realism report: the workshop run lands inside every reference range; the figures are computed right."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hospsim import cli, realism, simulate
from tests.conftest import small_params

WORKSHOP = "params/workshop.yaml"


@pytest.fixture(scope="module")
def workshop_run(tmp_path_factory):
    """The whole workshop: 30k people, 120 days from February (off-season) into May (the season)."""
    tmp = tmp_path_factory.mktemp("realism")
    params = small_params(tmp, params_file=WORKSHOP)
    return SimpleNamespace(tmp=tmp, params=params, result=simulate.run(params, progress=False))


def test_the_workshop_run_is_inside_every_reference_range(workshop_run):
    params = workshop_run.params
    table = realism.from_run(params)                 # from the files the run wrote
    assert list(table.columns) == realism.COLUMNS
    assert list(table.index) == list(realism.REFERENCES)
    measured = table.drop(index=list(realism.SAMPLED))     # ~100 births and ~80 ICU stays: too few to judge
    assert measured["value"].notna().all(), measured[measured["value"].isna()]
    assert measured["inside"].all(), "\n" + realism.format_table(table)
    assert realism.all_inside(table)


def test_the_cli_reads_the_run_and_exits_1_when_a_figure_is_outside(workshop_run, capsys):
    tmp = workshop_run.tmp
    paths = ["-p", f"paths.data_dir={tmp / 'data'}", "-p", f"paths.state_dir={tmp / 'state'}",
             "-p", f"paths.runs_dir={tmp / 'runs'}"]
    assert cli.main(["realism", "--from-run", "-f", WORKSHOP, *paths]) == 0
    out = capsys.readouterr().out
    assert "bed occupancy" in out and "NO" not in out
    # Twice the ED visits with the same beds cannot stay inside the ED-rate range (simulated in memory).
    assert cli.main(["realism", "--no-progress", "-f", WORKSHOP, *paths, "-p", "simulation.days=21",
                     "-p", "simulation.ed_visits_per_1000_year=900"]) == 1
    assert "NO" in capsys.readouterr().out


def _fake(visits: pd.DataFrame, days: list[dt.date]):
    census = pd.DataFrame({"date": [d.isoformat() for d in days], "hospital_id": "H01", "ward": "med_surg",
                           "beds": 10, "occupied": 7})
    admissions = pd.DataFrame({"length_of_stay_days": [4.0, 6.0]})
    return SimpleNamespace(visitors=visits, admissions=admissions, census=census, schedules=pd.DataFrame())


def _visits(times: list[pd.Timestamp], reasons: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"arrival_time": pd.to_datetime(times), "disposition": "discharged",
                         "reason": reasons or ["trauma"] * len(times)})


def test_weekday_ratios_use_whole_weeks(workshop_run):
    params = workshop_run.params
    days = [dt.date(2025, 3, 3) + dt.timedelta(days=i) for i in range(21)]   # three weeks from a Monday
    per_day = {0: 12, 1: 10, 2: 10, 3: 10, 4: 10, 5: 10, 6: 8}              # Monday busiest, Sunday quietest
    times = [pd.Timestamp(d) + pd.Timedelta(hours=11) for d in days for _ in range(per_day[d.weekday()])]
    figures = realism.figures(params, _fake(_visits(times), days))
    assert figures["busiest_weekday"] == pytest.approx(12 / 10 * 100)
    assert figures["day_off"] == pytest.approx(8 / 10 * 100)
    assert figures["peak_hour"] == 11 and figures["overnight_share"] == 0
    assert figures["bed_occupancy"] == pytest.approx(70) and figures["alos"] == pytest.approx(5)
    assert np.isnan(figures["staffing_met"])
    assert np.isnan(figures["med_surg_shifts_short"]) and np.isnan(figures["technician_shifts_short"])
    short = realism.figures(params, _fake(_visits(times[:50]), days[:10]))
    assert np.isnan(short["busiest_weekday"]) and np.isnan(short["day_off"])


def test_respiratory_uplift_needs_a_season_month_and_an_off_season_month(workshop_run):
    params = workshop_run.params   # southern hemisphere: season Apr-Jul, off-season Nov-Feb
    days = [dt.date(2025, 2, 1) + dt.timedelta(days=i) for i in range(120)]
    per_day = {2: 2, 3: 3, 4: 4, 5: 6}   # respiratory visits a day by month
    times = [pd.Timestamp(d) + pd.Timedelta(hours=10) for d in days for _ in range(per_day[d.month])]
    result = _fake(_visits(times, ["respiratory"] * len(times)), days)
    assert realism.figures(params, result)["respiratory_uplift"] == pytest.approx(6 / 2)
    march_only = [d for d in days if d.month == 3]
    result = _fake(_visits([t for t in times if t.month == 3], ["respiratory"] * 31 * 3), march_only)
    table = realism.report(params, result)
    assert np.isnan(table.loc["respiratory_uplift", "value"])
    assert table.loc["respiratory_uplift", "inside"] is pd.NA


def test_a_figure_outside_its_range_is_flagged():
    table = pd.DataFrame({"inside": pd.array([True, pd.NA, False], dtype="boolean")})
    assert not realism.all_inside(table)
    assert realism.all_inside(table.iloc[:2])


def test_the_impossible_records_are_counted_from_the_files_frames():
    """One of each: an admission at 00:00:00 more than at any other second, a visit without departure, an
    'admitted' visit without an admission, a 'discharged' one with one, an age one year too high the day
    before a birthday."""
    days = [dt.date(2025, 3, 3) + dt.timedelta(days=i) for i in range(14)]
    census = pd.DataFrame({"date": [d.isoformat() for d in days], "hospital_id": "H01", "ward": "med_surg",
                           "beds": 10, "occupied": 7})
    arrival = pd.to_datetime(["2025-03-04 10:00", "2025-03-04 11:00", "2025-03-05 12:00", "2025-03-06 09:00"])
    visitors = pd.DataFrame({"visit_id": ["V1", "V2", "V3", "V4"], "person_id": [1, 2, 3, 4],
                             "arrival_time": arrival, "departure_time": arrival + pd.Timedelta(hours=3),
                             "disposition": ["admitted", "admitted", "discharged", "transferred"],
                             "age": [40, 30, 20, 50], "reason": "trauma"})
    visitors.loc[3, "departure_time"] = pd.NaT
    admissions = pd.DataFrame({"visit_id": ["V1", "V3", ""], "admit_time": pd.to_datetime(
        ["2025-03-04 13:00", "2025-03-06 00:00", "2025-03-07 00:00"]), "length_of_stay_days": [3.0, 5.0, 4.0]})
    people = pd.DataFrame({"person_id": [1, 2, 3, 4], "birth_date": pd.to_datetime(
        ["1985-03-05", "1995-01-01", "2005-01-01", "1975-01-01"])})     # person 1 turns 40 the day after
    discharges = pd.DataFrame({"discharge_time": pd.to_datetime(["2025-03-08 11:00", "2025-03-10 02:00"])})
    result = SimpleNamespace(visitors=visitors, admissions=admissions, census=census, discharges=discharges,
                             transfers=pd.DataFrame({"visit_id": ["V4"]}), people=people, schedules=pd.DataFrame())
    got = realism.figures(realism.config.load(WORKSHOP), result)
    assert got["admissions_at_midnight"] == 1, "two at 00:00:00, one at the busiest other second"
    assert got["visits_without_departure"] == 1
    assert got["dispositions_contradicted"] == 2, "V2 admitted without an admission, V3 discharged with one"
    assert got["ages_not_exact"] == 1 and got["max_ed_stay"] == 3
    assert got["discharges_10_16"] == 50 and got["discharges_22_06"] == 50
    assert np.isnan(got["jan_feb_admissions"]), "no whole January or February in the run"
    table = realism.report(realism.config.load(WORKSHOP), result)
    assert not table.loc["admissions_at_midnight", "inside"] and not realism.all_inside(table)
    winter = pd.date_range("2025-01-01", "2025-04-30").date
    result.census = pd.DataFrame({"date": [d.isoformat() for d in winter], "hospital_id": "H01",
                                  "ward": "med_surg", "beds": 10, "occupied": 7})
    result.admissions = pd.DataFrame({"visit_id": "", "length_of_stay_days": 3.0, "admit_time": pd.to_datetime(
        [pd.Timestamp(d) + pd.Timedelta(hours=9) for d in winter for _ in range(9 if d.month <= 2 else 10)])})
    assert realism.figures(realism.config.load(WORKSHOP), result)["jan_feb_admissions"] == pytest.approx(90)
    north = realism.config.load(WORKSHOP, ["simulation.hemisphere=north"])
    assert np.isnan(realism.figures(north, result)["jan_feb_admissions"]), "the SUS dip is a southern figure"


def test_population_figures_from_the_written_frames(params_factory):
    """Households by address, phones and postcodes of the state, staff registrations: counted as written."""
    params = params_factory({"region.state": "MG", "region.area_code": 31})
    people = pd.DataFrame({
        "address": ["Rua A, 1 - X, 30100-000", "Rua A, 1 - X, 30100-000", "Rua B, 2 - X, 01000-000",
                    "Rua C, 3 - X, 31000-000"],
        "birth_date": ["1980-01-01", "2015-01-01", "1950-01-01", "2016-05-05"],
        "phone": ["+55 31 91234-5678", "+55 31 91234-5679", "+55 11 91234-5670", "+55 31 91234-5671"]})
    staff = pd.DataFrame({"registration": ["123456MG", "COREN-MG 123456-ENF", "COREN-SP 654321-TE", "654321SP"]})
    got = realism.population_figures(params, people, staff)
    assert got["household_size"] == pytest.approx(4 / 3)
    assert got["one_person_households"] == pytest.approx(200 / 3)
    assert got["children_only_households"] == 1                       # the 9-year-old at Rua C
    assert got["phones_region_ddd"] == 75 and got["postcodes_in_state"] == 75
    assert got["staff_registration_state"] == 50
    us = realism.population_figures(params_factory({"locale": "en_US"}), people, staff)
    assert np.isnan(us["phones_region_ddd"]) and us["household_size"] == pytest.approx(4 / 3)


def test_return_figures_count_comebacks_inside_their_windows_only():
    t = pd.Timestamp("2025-03-01 10:00")
    census = pd.DataFrame({"date": ["2025-03-01", "2025-05-31"]})
    discharges = pd.DataFrame({"person_id": [1, 2, 3, 4], "discharge_time": [t, t, t, t + pd.Timedelta(days=80)],
                               "outcome": ["alive", "alive", "died", "alive"]})
    # 1 back on day 29, 2 on day 31 (outside the window); 3 died; 4's window runs past the run's end.
    admissions = pd.DataFrame({"person_id": [1, 2, 3], "admit_time": [t + pd.Timedelta(days=29),
                                                                    t + pd.Timedelta(days=31), t - pd.Timedelta(days=1)]})
    visits = pd.DataFrame({"person_id": [1, 1, 2, 5], "arrival_time": [t, t + pd.Timedelta(hours=50), t, t],
                           "departure_time": [t + pd.Timedelta(hours=3), t + pd.Timedelta(hours=55),
                                              t + pd.Timedelta(hours=2), t + pd.Timedelta(hours=1)],
                           "disposition": ["discharged", "admitted", "discharged", "left_without_being_seen"]})
    got = realism.return_figures(SimpleNamespace(visitors=visits, admissions=admissions, discharges=discharges,
                                                 census=census))
    assert got["readmission_30d"] == pytest.approx(50.0)
    assert got["ed_return_72h"] == pytest.approx(50.0)
    assert got["lwbs_share"] == pytest.approx(25.0)
    assert np.isnan(realism.return_figures(SimpleNamespace(visitors=visits, census=census))["lwbs_share"])


def test_staffing_figures_count_shifts_under_the_rules_minimum(workshop_run):
    params = workshop_run.params          # COFEN: med-surg 6 h a patient, 33% nurses
    day = dt.date(2025, 3, 3)
    census = pd.DataFrame({"date": [day] * 2, "hospital_id": "H01", "ward": ["med_surg", "icu"], "beds": [26, 4],
                           "occupied": [26, 4]})   # med-surg: 3 nurses, 5 technicians; ICU: 2 and 2
    staff = [("med_surg", "nurse", 3), ("med_surg", "nursing_technician", 5), ("icu", "nurse", 2),
             ("icu", "nursing_technician", 1)]
    rows = [{"date": day, "shift": shift, "hospital_id": "H01", "ward": ward, "role": role, "staff_id": f"S{i}"}
            for shift, n_short in (("day", 0), ("night", 1)) for ward, role, n in staff
            for i in range(n - (n_short if ward == "med_surg" and role == "nurse" else 0))]
    got = realism.staffing_figures(params, pd.DataFrame(rows), census)
    assert got["med_surg_shifts_short"] == pytest.approx(50)         # the night is a nurse short
    assert got["technician_shifts_short"] == pytest.approx(50)       # ICU's two shifts of four ward-shifts
    assert got["icu_nurse_load"] == pytest.approx(4 / 2 / (24 / (18 * 0.52)) * 100)
    assert np.isnan(got["nursing_census_correlation"]), "one day: no ward's staff changes"


def test_the_census_correlation_is_taken_within_each_ward(workshop_run):
    params = workshop_run.params
    days = [dt.date(2025, 3, 3) + dt.timedelta(days=i) for i in range(4)]
    occupied = {"med_surg": [10, 20, 10, 20], "icu": [1, 3, 1, 3]}
    census = pd.DataFrame([{"date": d, "hospital_id": "H01", "ward": w, "beds": 26, "occupied": occupied[w][i]}
                           for i, d in enumerate(days) for w in occupied])
    on_duty = {"med_surg": [5, 8, 5, 8], "icu": [4, 2, 4, 2]}   # follows med-surg's census, against the ICU's
    rows = [{"date": d, "shift": shift, "hospital_id": "H01", "ward": w, "role": "nurse", "staff_id": f"S{k}"}
            for i, d in enumerate(days) for shift in ("day", "night") for w in on_duty for k in range(on_duty[w][i])]
    got = realism.staffing_figures(params, pd.DataFrame(rows), census)
    assert got["nursing_census_correlation"] == pytest.approx(0.0)   # (1 + -1) / 2: not the pooled figure
