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


def test_staffing_shows_each_short_ward_shift_and_names_its_census():
    cov = pd.DataFrame({"date": ["2025-01-02", "2025-01-02", "2025-01-01", "2025-01-01"],
                        "shift": ["day", "night", "day", "night"], "hospital_id": ["H01", "H01", "H02", "H02"],
                        "ward": "icu", "nurses_scheduled": [5, 3, 2, 2], "nurses_required": [4, 4, 4, 1],
                        "met": [True, False, False, True]})
    fig = plots.staffing(cov, "the run's census")
    z = np.array(fig.data[0].z)
    assert list(fig.data[0].y) == ["H01 icu", "H02 icu"] and list(fig.data[0].x) == sorted(fig.data[0].x)
    assert z.tolist() == [[0, 1], [2, 0]], "nurses short per unit and day, where they are short"
    assert fig.layout.title.text.endswith("against the run's census: 2 of 4 ward-shifts short")
    met = plots.staffing(cov.assign(nurses_scheduled=9, met=True), "the expected census")
    assert "0 of 4 ward-shifts short" in met.layout.title.text and met.layout.annotations
    ruled = plots.staffing(cov, "the run's census", "COFEN hours-per-patient")
    assert ruled.layout.title.text.startswith("Nurses short of the COFEN hours-per-patient minimum per ward and day")


def test_events_and_empty_inputs():
    ev = pd.DataFrame({"date": ["2025-04-02", "2025-01-01", "2025-04-03"], "event": ["hire", "hire", "retirement"]})
    fig = plots.staff_events(ev)
    assert sum(sum(t.y) for t in fig.data) == 3
    for fn in (plots.census, plots.stream_rate, plots.consumer_lag, plots.cdc_throughput):
        assert fn(pd.DataFrame()).layout.annotations, f"{fn.__name__} explains an empty input"


def trace_colors(fig) -> dict[str, str]:
    return {t.name: (t.marker.color if t.type == "bar" else t.line.color) for t in fig.data}


def test_a_category_has_one_colour_in_every_figure():
    """00's hires (from staff_events.csv) and 05's (from the warehouse view) share colours and order."""
    ev = pd.DataFrame({"date": ["2025-01-01", "2025-02-01", "2025-03-01"],
                       "event": ["resignation", "retirement", "hire"]})
    quarterly = pd.DataFrame({"year_quarter": ["2025-Q1"], "hires": [4], "retirements": [1], "resignations": [2]})
    setup, warehouse = plots.staff_events(ev), plots.hires_and_departures(quarterly)
    assert trace_colors(setup) == trace_colors(warehouse) == plots.PALETTE["event"]
    assert [t.name for t in setup.data] == [t.name for t in warehouse.data] == list(plots.EVENTS)
    one = plots.census(census_frame())
    other = plots.census(census_frame()[lambda d: d["ward"] == "med_surg"])
    assert trace_colors(other)["med_surg"] == trace_colors(one)["med_surg"] == plots.PALETTE["ward"]["med_surg"]
    what_if = plots.census_against_baseline(census_frame(), census_frame()[lambda d: d["hospital_id"] == "H02"], "x")
    assert {t.line.color for t in what_if.data if t.legendgroup.startswith("H02")} == {plots.hospital_color("H02")}
    assert plots.hospital_color("H01") != plots.hospital_color("H02")


def assert_truthful(fig) -> None:
    """Lines run left to right in x order, and no trace carries a NaN."""
    for trace in fig.data:
        if trace.type == "scatter" and trace.x is not None and "lines" in (trace.mode or "lines"):
            x = pd.Series(trace.x)
            assert x.is_monotonic_increasing, f"{fig.layout.title.text}: {trace.name} zig-zags"
        for axis in ("z",) if trace.type == "heatmap" else ("y",):
            values = np.array(getattr(trace, axis), dtype=float)
            assert not np.isnan(values).any(), f"{fig.layout.title.text}: NaN in {axis}"


def test_time_series_are_drawn_in_time_order_from_shuffled_rows():
    shuffled = census_frame().sample(frac=1, random_state=3)
    assert_truthful(plots.census(shuffled))
    assert_truthful(plots.occupancy_heatmap(shuffled))
    assert list(plots.occupancy_heatmap(shuffled).data[0].x) == sorted(shuffled["date"].unique())
    assert_truthful(plots.census_against_baseline(shuffled, shuffled.sample(frac=1, random_state=4), "x"))
    rates = pd.DataFrame({"second": pd.to_datetime(["2025-01-01 00:00:02", "2025-01-01 00:00:00",
                                                    "2025-01-01 00:00:01"]), "topic": "t",
                          "produced_per_s": [1.0, 2.0, 3.0], "consumed_per_s": [1.0, 2.0, 3.0]})
    assert_truthful(plots.stream_rate(rates))


def test_a_heatmap_row_is_tall_enough_to_label():
    frame = pd.concat([census_frame().assign(hospital_id=f"H{i:02}") for i in range(1, 6)], ignore_index=True)
    fig = plots.occupancy_heatmap(frame)
    rows = len(fig.data[0].y)
    assert rows == 10 and list(fig.layout.yaxis.tickvals) == list(fig.data[0].y), "every row labelled"
    assert fig.layout.height >= 20 * rows


def queue_frame(days: int, growth: float) -> pd.DataFrame:
    dates = pd.date_range("2025-01-01", periods=days)
    return pd.DataFrame({"date": dates, "hospital_id": "H01", "ward": "emergency", "beds": 8,
                         "occupied": (6 + growth * np.arange(days)).round().astype(int)})


def test_a_queue_that_keeps_growing_is_named_in_the_what_if():
    baseline, climbing = queue_frame(30, 0.0), queue_frame(30, 5.0)
    fig = plots.census_against_baseline(baseline, climbing, "800 ED visits")
    (warning,) = fig.layout.meta["queue_warnings"]
    assert warning.startswith("what-if: H01 emergency: 151 for 8 places")
    assert any("grows without bound" in a.text for a in fig.layout.annotations)
    assert not plots.census_against_baseline(baseline, queue_frame(30, 0.05), "steady").layout.annotations
    assert not plots.growing_queues(queue_frame(7, 5.0)), "a week is too short to call it unbounded"


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


def test_reconciliation_has_a_line_per_source_and_marks_the_days_they_part():
    import datetime as dt
    days = [dt.date(2025, 2, 10)] * 3 + [dt.date(2025, 2, 11)] * 3
    counts = pd.DataFrame({"day": days * 2, "hospital_id": ["H01"] * 6 + ["H02"] * 6,
                           "measure": ["admissions", "discharges", "census"] * 4,
                           "warehouse": [1, 2, 3, 4, 5, 6] * 2, "stream": [1, 2, 3, 4, 5, 6] * 2,
                           "cdc": [1, 2, 3, 4, 5, 6] + [1, 2, 3, 4, 5, 9], "agree": [True] * 11 + [False]})
    fig = plots.reconciliation(counts, 3)
    lines = {(t.name, t.yaxis): list(t.y) for t in fig.data if t.name != "disagree"}
    assert lines[("cdc", "y")] == [6, 15] and lines[("stream", "y")] == [6, 12]   # census summed over hospitals
    (marked,) = [t for t in fig.data if t.name == "disagree"]
    assert marked.yaxis == "y" and list(marked.x) == [dt.date(2025, 2, 11)] and list(marked.y) == [15]
    assert "3 difference(s) on 1 day x measure" in fig.layout.title.text
    agreed = plots.reconciliation(counts.assign(cdc=counts["stream"], agree=True), 0)
    assert "disagree" not in {t.name for t in agreed.data} and "agree" in agreed.layout.title.text
    assert plots.reconciliation(counts.iloc[:0], 0).layout.annotations[0].text == "nothing to reconcile yet"


def test_the_pyramid_counts_exact_ages_on_the_day_before_a_birthday():
    """Days // 365 made the leap days count: 40 years less a day was 40. The pyramid uses hospsim.ages."""
    people = pd.DataFrame({"birth_date": ["1985-06-16", "2020-06-16", "2020-06-15"], "sex": ["F", "M", "M"]})
    fig = plots.population_pyramid(people, pd.Timestamp("2025-06-15"))
    women, men = fig.data[1], fig.data[0]
    assert dict(zip(women.y, women.x))["35-39"] == 1, "39 the day before turning 40"
    assert dict(zip(men.y, -np.asarray(men.x)))["0-4"] == 1 and dict(zip(men.y, -np.asarray(men.x)))["5-9"] == 1
