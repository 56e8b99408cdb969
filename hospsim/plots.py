"""Plotly figures for the notebooks. Each function takes DataFrames and returns a go.Figure; none shows it.

Colours come from one palette (PALETTE): a hire, a ward type or a hospital has the same colour in every
figure of the course. Time series are sorted by their x before drawing, whatever order the rows came in.
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from hospsim.ages import age_on
from hospsim.config import WARD_TYPES

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

EVENTS = ("hire", "retirement", "resignation")
PALETTE = {
    "event": dict(zip(EVENTS, ("#2a9d8f", "#e9a23b", "#d1495b"))),
    "ward": dict(zip(WARD_TYPES, px.colors.qualitative.D3)),
}
HOSPITAL_COLORS = px.colors.qualitative.Dark24
"""Hospital H07 gets HOSPITAL_COLORS[6] in every figure (ids without a number: a stable hash of the id)."""

HEATMAP_ROW_PX = 24
"""Height per heatmap row, so every label shows at the chart's size."""


def hospital_color(hospital_id: str) -> str:
    digits = "".join(ch for ch in str(hospital_id) if ch.isdigit())
    index = int(digits) - 1 if digits else zlib.crc32(str(hospital_id).encode())
    return HOSPITAL_COLORS[index % len(HOSPITAL_COLORS)]


def colors(kind: str, names) -> dict[str, str]:
    """Colour per category name of a kind ("event", "ward", "hospital"): the same in every figure."""
    if kind == "hospital":
        return {n: hospital_color(n) for n in names}
    fixed = PALETTE[kind]
    spare = [c for c in px.colors.qualitative.Pastel if c not in fixed.values()]
    return {n: fixed.get(n, spare[zlib.crc32(str(n).encode()) % len(spare)]) for n in names}


def use_offline_renderer() -> None:
    """Figures as plotly's mimetype: JupyterLab renders it with its plotly extension, and the run's report
    (pipeline.write_report) adds plotly.js once for all of them, so no notebook carries its own copy."""
    pio.renderers.default = "plotly_mimetype"


def _empty(title: str, why: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, annotations=[{"text": why, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper",
                                                     "yref": "paper"}], xaxis_visible=False, yaxis_visible=False)
    return fig


def _unit_heatmap(grid: pd.DataFrame, **trace) -> go.Figure:
    """A heatmap with one row per hospital-ward unit, every row labelled and tall enough to read."""
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(dtype=float), x=list(grid.columns), y=list(grid.index), **trace))
    fig.update_yaxes(tickmode="array", tickvals=list(grid.index), ticktext=list(grid.index), autorange="reversed",
                     automargin=True)
    fig.update_layout(height=max(300, 140 + HEATMAP_ROW_PX * len(grid)))
    return fig


def _units(df: pd.DataFrame) -> pd.Series:
    return df["hospital_id"].astype(str) + " " + df["ward"].astype(str)


def census(census_df: pd.DataFrame, hospital_id: str | None = None) -> go.Figure:
    """Occupied beds per ward over time, one panel per hospital, with each ward's capacity as a dashed line."""
    df = census_df if hospital_id is None else census_df[census_df["hospital_id"] == hospital_id]
    if df.empty:
        return _empty("Census", "no census rows")
    df = df.assign(date=pd.to_datetime(df["date"])).sort_values(["hospital_id", "ward", "date"], ignore_index=True)
    hospitals = sorted(df["hospital_id"].unique())
    wards = [w for w in dict.fromkeys(WARD_TYPES) if w in set(df["ward"])] + sorted(set(df["ward"]) - set(WARD_TYPES))
    ward_colors = colors("ward", wards)
    fig = px.line(df, x="date", y="occupied", color="ward", facet_row="hospital_id", height=260 * len(hospitals),
                  category_orders={"hospital_id": hospitals, "ward": wards}, color_discrete_map=ward_colors,
                  labels={"occupied": "occupied beds"}, title="Census per hospital and ward (dashed: capacity)")
    capacity = df.groupby(["hospital_id", "ward"], as_index=False)["beds"].max()
    for row in capacity.itertuples():
        fig.add_hline(y=row.beds, line_dash="dash", line_width=1, line_color=ward_colors[row.ward],
                      row=len(hospitals) - hospitals.index(row.hospital_id), col=1)
    fig.update_yaxes(matches=None)
    return fig


def occupancy_heatmap(census_df: pd.DataFrame) -> go.Figure:
    """Occupancy (occupied / beds) per hospital-ward and day: where and when the region runs hot."""
    if census_df.empty:
        return _empty("Occupancy", "no census rows")
    df = census_df.assign(unit=_units(census_df), date=pd.to_datetime(census_df["date"]),
                          occupancy=census_df["occupied"] / census_df["beds"].where(census_df["beds"] > 0))
    grid = df.pivot_table(index="unit", columns="date", values="occupancy", aggfunc="mean").sort_index()
    grid = grid.reindex(columns=sorted(grid.columns))
    fig = _unit_heatmap(grid, zmin=0, zmax=1, colorscale="RdYlGn_r", colorbar_title="occupancy",
                        hovertemplate="%{y}<br>%{x|%Y-%m-%d}<br>occupancy %{z:.0%}<extra></extra>")
    fig.update_layout(title="Bed occupancy per hospital and ward (above 1: more patients than beds)")
    return fig


def arrivals_by_hour_and_weekday(visitors: pd.DataFrame) -> go.Figure:
    """Mean ED arrivals per hour and weekday: the bimodal daily shape and the Monday peak."""
    if visitors.empty:
        return _empty("Arrivals", "no visits")
    t = pd.to_datetime(visitors["arrival_time"])
    counts = pd.DataFrame({"weekday": t.dt.day_of_week, "hour": t.dt.hour, "day": t.dt.normalize()})
    per_day = counts.groupby(["weekday", "hour", "day"]).size().groupby(["weekday", "hour"]).mean()
    grid = per_day.unstack("hour").reindex(index=range(7), columns=range(24)).fillna(0)
    fig = go.Figure(go.Heatmap(z=grid.values, x=list(range(24)), y=WEEKDAYS, colorscale="Blues",
                               colorbar_title="arrivals/h"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title="ED arrivals by hour and weekday", xaxis_title="hour of day",
                      height=140 + 7 * HEATMAP_ROW_PX * 2)
    return fig


def staffing(coverage: pd.DataFrame, against: str, rule: str = "") -> go.Figure:
    """Nurses short per ward and day (summed over the day's shifts) judged against a named census.

    `against` names the census the minimum is applied to: 00 has only the expected one (beds x target occupancy,
    what the staff was sized for); 01 and 05 judge the run's simulated census, so their counts agree.
    `rule` names the minimum (workforce.rule_label: COFEN hours per patient or California ratios)."""
    if coverage.empty:
        return _empty("Staffing", "no shifts")
    df = coverage.assign(unit=_units(coverage), date=pd.to_datetime(coverage["date"]),
                         short=(coverage["nurses_required"] - coverage["nurses_scheduled"]).clip(lower=0),
                         short_shift=~coverage["met"].astype(bool))
    grid = df.pivot_table(index="unit", columns="date", values="short", aggfunc="sum", fill_value=0).sort_index()
    shifts = df.pivot_table(index="unit", columns="date", values="short_shift", aggfunc="sum", fill_value=0)
    grid = grid.reindex(columns=sorted(grid.columns))
    shifts = shifts.reindex(index=grid.index, columns=grid.columns)
    n_short = int(df["short_shift"].sum())
    fig = _unit_heatmap(grid, zmin=0, zmax=max(1.0, float(grid.to_numpy().max())),
                        colorscale=[[0, "#f7f7f7"], [0.01, "#fcbba1"], [1, "#a50f15"]], colorbar_title="nurses short",
                        customdata=shifts.to_numpy(),
                        hovertemplate="%{y}<br>%{x|%Y-%m-%d}<br>%{z} nurses short over %{customdata} shift(s)"
                                      "<extra></extra>")
    of_rule = f" of the {rule} minimum" if rule else ""
    fig.update_layout(title=f"Nurses short{of_rule} per ward and day, against {against}: "
                            f"{n_short:,} of {len(df):,} ward-shifts short")
    if n_short == 0:
        fig.add_annotation(text="every ward-shift has the nurses its staffing rule requires", showarrow=False,
                           x=0, y=1.0, xref="paper", yref="paper", xanchor="left", yanchor="bottom")
    return fig


def staff_events(events: pd.DataFrame) -> go.Figure:
    """Hires, retirements and resignations per quarter."""
    if events.empty:
        return _empty("Staff events", "no hires or departures")
    d = pd.to_datetime(events["date"])
    df = events.assign(quarter=d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str))
    counts = df.groupby(["quarter", "event"], as_index=False).size().rename(columns={"size": "people"})
    return _events_bar(counts, "quarter", "Hires and departures per quarter")


def hires_and_departures(quarterly: pd.DataFrame) -> go.Figure:
    """Hires, retirements and resignations per quarter (warehouse view v_staff_events_quarterly)."""
    if quarterly.empty:
        return _empty("Staff events", "no hires or departures")
    df = quarterly.groupby("year_quarter", as_index=False)[["hires", "retirements", "resignations"]].sum()
    long = df.rename(columns={"hires": "hire", "retirements": "retirement", "resignations": "resignation"}).melt(
        id_vars="year_quarter", var_name="event", value_name="people")
    return _events_bar(long.rename(columns={"year_quarter": "quarter"}), "quarter",
                       "Hires and departures per quarter (warehouse)")


def _events_bar(counts: pd.DataFrame, x: str, title: str) -> go.Figure:
    events = [e for e in EVENTS if e in set(counts["event"])] + sorted(set(counts["event"]) - set(EVENTS))
    counts = counts.sort_values(x, ignore_index=True)
    return px.bar(counts, x=x, y="people", color="event", barmode="group", title=title,
                  category_orders={"event": events, x: sorted(counts[x].unique())},
                  color_discrete_map=colors("event", events))


def stream_rate(rates: pd.DataFrame) -> go.Figure:
    """Events/s produced and consumed per topic over wall-clock time (hospsim.stream.metrics.rates)."""
    if rates.empty:
        return _empty("Streaming", "no stream metrics yet")
    long = rates.melt(id_vars=["second", "topic"], value_vars=["produced_per_s", "consumed_per_s"],
                      var_name="kind", value_name="events_per_second")
    long["kind"] = long["kind"].str.removesuffix("_per_s")
    long = long.sort_values(["topic", "kind", "second"], ignore_index=True)
    return px.line(long, x="second", y="events_per_second", color="topic", line_dash="kind",
                   title="Stream throughput: produced and consumed", labels={"events_per_second": "events/s",
                                                                               "second": "wall time"})


def session_rate(rates: pd.DataFrame, summary: dict) -> go.Figure:
    """stream_rate of one stream session, titled with its pace and measured rate."""
    fig = stream_rate(rates)
    target = f"target {summary['target_per_s']:g}/s" if summary.get("target_per_s") else summary.get("mode", "")
    measured = summary.get("produced_per_s")
    fig.update_layout(title=f"Stream session {summary.get('session')}: {summary.get('events', 0):,} events, "
                            f"{target}, measured {measured if measured is not None else float('nan'):,.0f}/s "
                            f"({summary.get('path')})")
    return fig


QUEUE_MIN_DAYS = 14
"""Fewer days than this cannot tell a queue that keeps growing from a busy week."""


def growing_queues(census_df: pd.DataFrame) -> list[str]:
    """Units whose census ends above their places and was still climbing over the last half of the days: a
    queue (ED boarding) that grows without bound, because arrivals outpace what the beds can turn over."""
    found = []
    df = census_df.assign(date=pd.to_datetime(census_df["date"])).sort_values("date")
    for (hospital, ward), unit in df.groupby(["hospital_id", "ward"], sort=True):
        if unit["date"].nunique() < QUEUE_MIN_DAYS:
            continue
        series = unit.groupby("date")["occupied"].sum()
        beds = int(unit["beds"].max())
        tail = series.iloc[len(series) // 2:]
        slope = float(np.polyfit(np.arange(len(tail)), tail.to_numpy(dtype=float), 1)[0])
        last = int(series.iloc[-1])
        if last > beds and slope * len(tail) > max(1.0, 0.1 * beds):
            found.append(f"{hospital} {ward}: {last:,} for {beds:,} places, +{slope:,.1f}/day")
    return found


def census_against_baseline(baseline: pd.DataFrame, scenario: pd.DataFrame | None, label: str) -> go.Figure:
    """Occupied beds per hospital and day: the run (dashed) beside a what-if scenario (solid), when there is one,
    with a warning in the figure when a queue of either grows without bound."""
    if baseline.empty and (scenario is None or scenario.empty):
        return _empty("What-if census", "no census rows")
    frames, warnings = [], []
    for name, df in (("baseline (the run)", baseline), ("what-if", scenario)):
        if df is None or df.empty:
            continue
        warnings += [f"{name}: {w}" for w in growing_queues(df)]
        total = df.groupby(["date", "hospital_id"], as_index=False)["occupied"].sum()
        total["date"] = pd.to_datetime(total["date"])
        frames.append(total.assign(series=name))
    long = pd.concat(frames, ignore_index=True).sort_values(["series", "hospital_id", "date"], ignore_index=True)
    hospitals = sorted(long["hospital_id"].unique())
    fig = px.line(long, x="date", y="occupied", color="hospital_id", line_dash="series",
                  category_orders={"hospital_id": hospitals}, color_discrete_map=colors("hospital", hospitals),
                  line_dash_map={"baseline (the run)": "dash", "what-if": "solid"},
                  labels={"occupied": "occupied beds (all wards)"}, title=f"What-if census: {label}")
    if warnings:
        fig.add_annotation(text="<b>Queue grows without bound</b> (arrivals outpace the beds):<br>"
                                + "<br>".join(warnings[:6]) + ("<br>..." if len(warnings) > 6 else ""),
                           showarrow=False, align="left", x=0.01, y=0.99, xref="paper", yref="paper",
                           xanchor="left", yanchor="top", font={"color": "#a50f15"}, bgcolor="rgba(255,255,255,0.85)",
                           bordercolor="#a50f15", name="queue-warning")
        fig.update_layout(meta={"queue_warnings": warnings})
    return fig


def consumer_lag(lag: pd.DataFrame) -> go.Figure:
    """Consumer lag per partition (hospsim.stream.metrics.lag: topic, partition, lag)."""
    if lag.empty:
        return _empty("Consumer lag", "no consumer group yet")
    df = lag.assign(partition=lag["topic"] + "/" + lag["partition"].astype(str))
    return px.bar(df, x="partition", y="lag", title=f"Consumer lag per partition (total {int(lag['lag'].sum())})",
                  labels={"lag": "messages behind"})


def cdc_throughput(throughput: pd.DataFrame) -> go.Figure:
    """CDC changes/s per table over time (hospsim.cdc.throughput: time_bucket, table, op, per_second)."""
    if throughput.empty:
        return _empty("CDC throughput", "no changes captured yet")
    df = throughput.groupby(["time_bucket", "table"], as_index=False)["per_second"].sum()
    df = df.sort_values(["table", "time_bucket"], ignore_index=True)
    return px.area(df, x="time_bucket", y="per_second", color="table", title="CDC changes/s per table",
                   labels={"per_second": "changes/s", "time_bucket": "commit time"})


def reconciliation(counts: pd.DataFrame, differences: int) -> go.Figure:
    """Admissions, discharges and midnight census per day, one line per source, summed over the hospitals
    (hospsim.reconcile counts: day, hospital_id, measure, a column per source, agree): when batch, stream and
    CDC agree the lines lie on one another; a day where they part is marked."""
    if counts.empty:
        return _empty("Batch, stream and CDC", "nothing to reconcile yet")
    sources = [c for c in counts.columns if c not in ("day", "hospital_id", "measure", "agree")]
    per_day = counts.groupby(["day", "measure"], as_index=False).agg(**{s: (s, "sum") for s in sources},
                                                                      agree=("agree", "all"))
    long = per_day.melt(id_vars=["day", "measure", "agree"], value_vars=sources, var_name="source", value_name="count")
    title = (f"Batch, stream and CDC agree ({' / '.join(sources)})" if differences == 0 else
             f"Batch, stream and CDC: {differences} difference(s) on {int((~per_day['agree']).sum())} day x measure")
    fig = px.line(long.sort_values(["source", "measure", "day"]), x="day", y="count", color="source",
                  line_dash="source", facet_row="measure", markers=True, title=title,
                  category_orders={"measure": ["admissions", "discharges", "census"]})
    fig.update_yaxes(matches=None, title_text="")
    for row, measure in enumerate(["census", "discharges", "admissions"], start=1):   # facet rows count up
        off = per_day[(per_day["measure"] == measure) & ~per_day["agree"]]
        if len(off):
            fig.add_scatter(x=off["day"], y=off[sources].max(axis=1), mode="markers", name="disagree",
                            marker={"symbol": "x", "size": 12, "color": "#d1495b"}, showlegend=row == 1,
                            row=row, col=1)
    return fig


def population_pyramid(people: pd.DataFrame, on) -> go.Figure:
    """Age-sex pyramid in 5-year bands: the shape params' pyramid asked for."""
    if people.empty:
        return _empty("Population", "no people")
    age = pd.Series(age_on(people["birth_date"], pd.Timestamp(on).date()), index=people.index)
    band = (age.clip(upper=99) // 5) * 5
    counts = pd.crosstab(band, people["sex"]).reindex(columns=["F", "M"], fill_value=0).sort_index()
    labels = [f"{b}-{b + 4}" for b in counts.index]
    fig = go.Figure([go.Bar(y=labels, x=-counts["M"], name="men", orientation="h"),
                     go.Bar(y=labels, x=counts["F"], name="women", orientation="h")])
    fig.update_layout(title=f"Population pyramid ({len(people):,} people)", barmode="overlay", bargap=0.05,
                      xaxis_title="people (men left, women right)")
    return fig


def realism(table: pd.DataFrame) -> go.Figure:
    """Each realism figure as a dot inside its reference band (scaled to the band)."""
    if table.empty:
        return _empty("Realism", "no figures")
    df = table.dropna(subset=["value"]).copy()
    width = (df["high"] - df["low"]).where(lambda x: x > 0, 1)
    df["position"] = (df["value"] - df["low"]) / width
    colors = df["inside"].map({True: "seagreen", False: "crimson"}).fillna("grey")
    fig = go.Figure(go.Scatter(x=df["position"], y=df["figure"], mode="markers", marker={"size": 12, "color": colors},
                               text=[f"{v:.2f} {u} (range {lo:g}-{hi:g})" for v, u, lo, hi in
                                     zip(df["value"], df["unit"], df["low"], df["high"])], hoverinfo="text"))
    fig.add_vrect(x0=0, x1=1, fillcolor="seagreen", opacity=0.12, line_width=0)
    fig.update_layout(title="Realism: each figure within its reference range (band = range)",
                      xaxis_title="position in the reference range (0 = low end, 1 = high end)",
                      height=80 + 32 * len(df))
    return fig
