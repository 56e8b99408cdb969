"""Figures carry the data they were given: traces, capacity lines, heatmap cells."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hospsim import plots


def census_frame():
    dates = pd.date_range("2025-01-01", periods=5)
    rows = [(d, h, w, beds, occ) for d in dates for h, w, beds, occ in
            (("H01", "icu", 10, 7), ("H01", "med_surg", 40, 30), ("H02", "icu", 6, 5))]
    return pd.DataFrame(rows, columns=["date", "hospital_id", "ward", "beds", "occupied"])


def test_census_has_a_line_per_ward_and_a_capacity_line_per_unit():
    fig = plots.census(census_frame())
    assert {t.name for t in fig.data} == {"icu", "med_surg"}
    capacity = sorted(s.y0 for s in fig.layout.shapes)
    assert capacity == [6, 10, 40]


def test_occupancy_heatmap_is_occupied_over_beds():
    fig = plots.occupancy_heatmap(census_frame())
    z = np.array(fig.data[0].z)
    assert z.shape == (3, 5)
    assert sorted(fig.data[0].y) == ["H01 icu", "H01 med_surg", "H02 icu"]
    assert np.allclose(sorted(z[:, 0]), sorted([0.7, 0.75, 5 / 6]))


def test_arrivals_heatmap_counts_per_hour_and_weekday():
    times = pd.to_datetime(["2025-01-06 10:15", "2025-01-06 10:45", "2025-01-07 19:05"])  # Mon, Mon, Tue
    fig = plots.arrivals_by_hour_and_weekday(pd.DataFrame({"arrival_time": times}))
    z = np.array(fig.data[0].z)
    assert z[0, 10] == 2 and z[1, 19] == 1 and z.sum() == 3


def test_staffing_and_events_and_empty_inputs():
    cov = pd.DataFrame({"date": ["2025-01-01"] * 2, "shift": ["day", "night"], "hospital_id": "H01", "ward": "icu",
                        "nurses_scheduled": [5, 3], "nurses_required": [4, 4], "met": [True, False]})
    fig = plots.staffing(cov)
    assert list(fig.data[0].y) == [5, 3] and "1 ward-shifts short" in fig.layout.title.text
    ev = pd.DataFrame({"date": ["2025-01-01", "2025-04-02", "2025-04-03"], "event": ["hire", "hire", "retirement"]})
    fig = plots.staff_events(ev)
    assert sum(sum(t.y) for t in fig.data) == 3
    for fn in (plots.census, plots.stream_rate, plots.consumer_lag, plots.cdc_throughput):
        assert fn(pd.DataFrame()).layout.annotations, f"{fn.__name__} explains an empty input"


def test_stream_and_cdc_figures_follow_the_metrics_frames():
    rates = pd.DataFrame({"second": pd.to_datetime(["2025-01-01 00:00:00", "2025-01-01 00:00:01"]),
                          "topic": "t.admissions", "produced_per_s": [10.0, 20.0], "consumed_per_s": [5.0, 25.0]})
    fig = plots.stream_rate(rates)
    assert sorted(y for t in fig.data for y in t.y) == [5.0, 10.0, 20.0, 25.0]
    lag = pd.DataFrame({"topic": ["a", "a"], "partition": [0, 1], "lag": [3, 4]})
    assert "total 7" in plots.consumer_lag(lag).layout.title.text
    tp = pd.DataFrame({"time_bucket": pd.to_datetime(["2025-01-01"] * 3), "table": ["pacientes", "pacientes", "exames"],
                       "op": ["c", "u", "c"], "per_second": [2.0, 1.0, 4.0]})
    fig = plots.cdc_throughput(tp)
    assert {t.name: list(t.y) for t in fig.data} == {"exames": [4.0], "pacientes": [3.0]}
