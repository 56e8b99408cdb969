"""Plotly figures for the notebooks. Each function takes DataFrames and returns a go.Figure; none shows it."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def use_offline_renderer() -> None:
    """Embed plotly.js once in the notebook output, so executed notebooks and HTML exports render offline."""
    pio.renderers.default = "plotly_mimetype+notebook"


def _empty(title: str, why: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, annotations=[dict(text=why, showarrow=False, x=0.5, y=0.5, xref="paper",
                                                     yref="paper")], xaxis_visible=False, yaxis_visible=False)
    return fig


def census(census_df: pd.DataFrame, hospital_id: str | None = None) -> go.Figure:
    """Occupied beds per ward over time, one panel per hospital, with each ward's capacity as a dashed line."""
    df = census_df if hospital_id is None else census_df[census_df["hospital_id"] == hospital_id]
    if df.empty:
        return _empty("Census", "no census rows")
    fig = px.line(df, x="date", y="occupied", color="ward", facet_row="hospital_id", height=260 * df["hospital_id"].nunique(),
                  labels={"occupied": "occupied beds"}, title="Census per hospital and ward (dashed: capacity)")
    capacity = df.groupby(["hospital_id", "ward"], as_index=False)["beds"].max()
    hospitals = list(dict.fromkeys(df["hospital_id"]))
    colors = {tr.name: tr.line.color for tr in fig.data}
    for row in capacity.itertuples():
        fig.add_hline(y=row.beds, line_dash="dash", line_width=1, line_color=colors.get(row.ward),
                      row=len(hospitals) - hospitals.index(row.hospital_id), col=1)
    fig.update_yaxes(matches=None)
    return fig


def occupancy_heatmap(census_df: pd.DataFrame) -> go.Figure:
    """Occupancy (occupied / beds) per hospital-ward and day: where and when the region runs hot."""
    if census_df.empty:
        return _empty("Occupancy", "no census rows")
    df = census_df.assign(unit=census_df["hospital_id"] + " " + census_df["ward"],
                          occupancy=census_df["occupied"] / census_df["beds"])
    grid = df.pivot_table(index="unit", columns="date", values="occupancy", aggfunc="mean")
    fig = go.Figure(go.Heatmap(z=grid.values, x=grid.columns, y=grid.index, zmin=0, zmax=1, colorscale="RdYlGn_r",
                               colorbar_title="occupancy"))
    fig.update_layout(title="Bed occupancy per hospital and ward", height=max(300, 22 * len(grid)))
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
    fig.update_layout(title="ED arrivals by hour and weekday", xaxis_title="hour of day")
    return fig


def staffing(coverage: pd.DataFrame) -> go.Figure:
    """Scheduled against required nurses per shift, summed over the region; shortfalls in red."""
    if coverage.empty:
        return _empty("Staffing", "no shifts")
    df = coverage.groupby(["date", "shift"], as_index=False)[["nurses_scheduled", "nurses_required"]].sum()
    df["slot"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d") + " " + df["shift"].astype(str)
    short = coverage.loc[~coverage["met"].astype(bool)]
    fig = go.Figure([
        go.Bar(x=df["slot"], y=df["nurses_scheduled"], name="scheduled"),
        go.Scatter(x=df["slot"], y=df["nurses_required"], name="required", mode="lines", line_color="black"),
    ])
    fig.update_layout(title=f"Nurses per shift: scheduled vs required ({len(short)} ward-shifts short)",
                      yaxis_title="nurses", xaxis_tickangle=-45)
    return fig


def staff_events(events: pd.DataFrame) -> go.Figure:
    """Hires, retirements and resignations per quarter."""
    if events.empty:
        return _empty("Staff events", "no hires or departures")
    d = pd.to_datetime(events["date"])
    df = events.assign(quarter=d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str))
    counts = df.groupby(["quarter", "event"], as_index=False).size()
    return px.bar(counts, x="quarter", y="size", color="event", barmode="group",
                  labels={"size": "people"}, title="Hires and departures per quarter")


def hires_and_departures(quarterly: pd.DataFrame) -> go.Figure:
    """Hires, retirements and resignations per quarter (warehouse view v_staff_events_quarterly)."""
    if quarterly.empty:
        return _empty("Staff events", "no hires or departures")
    df = quarterly.groupby("year_quarter", as_index=False)[["hires", "retirements", "resignations"]].sum()
    long = df.melt(id_vars="year_quarter", var_name="event", value_name="people")
    return px.bar(long, x="year_quarter", y="people", color="event", barmode="group",
                  title="Hires and departures per quarter (warehouse)")


def stream_rate(rates: pd.DataFrame) -> go.Figure:
    """Events/s produced and consumed per topic over wall-clock time (hospsim.stream.metrics.rates)."""
    if rates.empty:
        return _empty("Streaming", "no stream metrics yet")
    long = rates.melt(id_vars=["second", "topic"], value_vars=["produced_per_s", "consumed_per_s"],
                      var_name="kind", value_name="events_per_second")
    long["kind"] = long["kind"].str.removesuffix("_per_s")
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


def census_against_baseline(baseline: pd.DataFrame, scenario: pd.DataFrame | None, label: str) -> go.Figure:
    """Occupied beds per hospital and day: the run (dashed) beside a what-if scenario (solid), when there is one."""
    if baseline.empty and (scenario is None or scenario.empty):
        return _empty("What-if census", "no census rows")
    frames = []
    for name, df in (("baseline (the run)", baseline), ("what-if", scenario)):
        if df is None or df.empty:
            continue
        total = df.groupby(["date", "hospital_id"], as_index=False)["occupied"].sum()
        total["date"] = pd.to_datetime(total["date"])
        frames.append(total.assign(series=name))
    long = pd.concat(frames, ignore_index=True).sort_values(["series", "hospital_id", "date"], ignore_index=True)
    fig = px.line(long, x="date", y="occupied", color="hospital_id", line_dash="series",
                  line_dash_map={"baseline (the run)": "dash", "what-if": "solid"},
                  labels={"occupied": "occupied beds (all wards)"}, title=f"What-if census: {label}")
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
    return px.area(df, x="time_bucket", y="per_second", color="table", title="CDC changes/s per table",
                   labels={"per_second": "changes/s", "time_bucket": "commit time"})


def population_pyramid(people: pd.DataFrame, on) -> go.Figure:
    """Age-sex pyramid in 5-year bands: the shape params' pyramid asked for."""
    if people.empty:
        return _empty("Population", "no people")
    birth = pd.to_datetime(people["birth_date"])
    age = (pd.Timestamp(on) - birth).dt.days // 365
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
    fig = go.Figure(go.Scatter(x=df["position"], y=df["figure"], mode="markers", marker=dict(size=12, color=colors),
                               text=[f"{v:.2f} {u} (range {lo:g}-{hi:g})" for v, u, lo, hi in
                                     zip(df["value"], df["unit"], df["low"], df["high"])], hoverinfo="text"))
    fig.add_vrect(x0=0, x1=1, fillcolor="seagreen", opacity=0.12, line_width=0)
    fig.update_layout(title="Realism: each figure within its reference range (band = range)",
                      xaxis_title="position in the reference range (0 = low end, 1 = high end)",
                      height=80 + 32 * len(df))
    return fig
