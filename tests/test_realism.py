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
    params, result = workshop_run.params, workshop_run.result
    table = realism.report(params, result)
    assert list(table.columns) == realism.COLUMNS
    assert list(table.index) == list(realism.REFERENCES)
    assert table["value"].notna().all(), table[table["value"].isna()]
    assert table["inside"].all(), "\n" + realism.format_table(table)
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
