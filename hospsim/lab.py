"""What the notebooks call, so each stays a parameters cell, a few calls and plots.

Everything a notebook needs twice lives here: building Params from the parameters cell, checking that
the earlier steps ran (and saying which one to run when not), showing figures, and the Run panels that
redo a step with slider values and redraw its figures in place.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hospsim import config, plots


class StepNotRun(RuntimeError):
    """A notebook ran before the step it depends on."""


STEPS = {
    "00_setup": "population and workforce files in data/batch/",
    "01_daily_loop": "the daily files (daily_visitors_*, admissions_*, census_*) in data/batch/ or data/processed/",
    "02_streaming": "stream tables in PostgreSQL",
    "03_ingestion": "the warehouse loaded in PostgreSQL",
    "04_oltp_cdc": "the OLTP tables seeded",
}


def params(params_file: str | None = None, overrides: Iterable[str] | dict | None = None, **extra) -> config.Params:
    """Params for a notebook: its params file and key=value overrides, plus keyword overrides that are not None."""
    merged = dict(overrides) if isinstance(overrides, dict) else config.parse_overrides(list(overrides or ()))
    merged.update({k.replace("__", "."): v for k, v in extra.items() if v is not None})
    plots.use_offline_renderer()
    return config.load(params_file, merged)


def require(step: str, present: bool, detail: str = "") -> None:
    """Stop a notebook early with the step to run first, instead of failing deep inside a call."""
    if not present:
        raise StepNotRun(f"run notebooks/{step}.ipynb first: it makes {STEPS[step]}"
                         + (f" ({detail})" if detail else ""))


def batch_files(p: config.Params, pattern: str) -> list[Path]:
    """Files of a kind in batch/ or, once ingested, processed/."""
    data = p.dirs.data_dir
    return sorted({f.name: f for folder in ("processed", "batch") for f in (data / folder).glob(pattern)}.values())


@dataclass
class Setup:
    people: pd.DataFrame
    population_with_illnesses: pd.DataFrame
    staff: dict[str, pd.DataFrame]
    files: list[Path]


def setup(p: config.Params, write: bool = True) -> Setup:
    """00_setup: the population with illness profiles and the workforce for the whole period."""
    from hospsim import simulate, sinks

    simulate.validate(p)
    people, ill, staff = simulate.setup(p)
    files = [sinks.write_csv(df, simulate.batch_dir(p) / name)
             for name, df in simulate.setup_files(people, ill, staff).items()] if write else []
    return Setup(people, ill, staff, files)


def staffing_coverage(p: config.Params, staff: dict[str, pd.DataFrame], census: pd.DataFrame | None = None) -> pd.DataFrame:
    """Nurses scheduled against required per shift; against the expected census when no real one is given."""
    from hospsim import workforce

    schedules = pd.concat([df for name, df in sorted(staff.items()) if name.startswith("schedules_")],
                          ignore_index=True)
    if census is None:
        days = pd.to_datetime(schedules["date"]).dt.date.unique()
        census = workforce.expected_census(p, sorted(days))
    return workforce.staffing_coverage(p, schedules, census)


def staff_events(staff: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return staff.get("staff_events.csv", pd.DataFrame(columns=["date", "event"]))


def setup_figures(p: config.Params, s: Setup) -> list:
    return [plots.population_pyramid(s.people, p.simulation.start_date),
            plots.staffing(staffing_coverage(p, s.staff)),
            plots.staff_events(staff_events(s.staff))]


def daily_figures(p: config.Params, result) -> list:
    from hospsim import realism
    return [plots.census(result.census),
            plots.occupancy_heatmap(result.census),
            plots.arrivals_by_hour_and_weekday(result.visitors),
            plots.staffing(staffing_coverage(p, result.staff, result.census)),
            plots.realism(realism.report(p, result))]


def stream_figures(p: config.Params, pg_info, bootstrap: str | None) -> list:
    from hospsim.stream import metrics
    figures = [plots.stream_rate(metrics.rates(metrics.throughput(pg_info), window="2s"))]
    if bootstrap:
        figures.append(plots.consumer_lag(metrics.lag(p, bootstrap)))
    return figures


def restream(pg_info, replay_frame) -> Callable[[config.Params], list]:
    """A Run-panel step: stream the same replay again, paced at the panel's rate, and redraw."""
    def redo(q: config.Params) -> list:
        from hospsim import stream
        q = config.with_overrides(q, {"stream.mode": "rate"})
        delivered = stream.deliver(q, pg_info, replay_frame)
        return stream_figures(q, pg_info, delivered["bootstrap"])
    return redo


def warehouse_view(p: config.Params, pg_info, view: str) -> pd.DataFrame | None:
    """A warehouse analysis view as a DataFrame; None when the warehouse was never initialised."""
    from contextlib import closing

    from hospsim.warehouse import schema
    with closing(pg_info.connect()) as conn:
        if not schema.exists(conn, p):
            return None
        with conn.cursor() as cur:
            cur.execute(schema.render("read_view.sql", p.warehouse.schema, view))
            return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def dashboard_figures(p: config.Params, pg_info) -> list:
    """The warehouse's census, occupancy, staffing and staff events; stream and CDC when those steps ran."""
    census = warehouse_view(p, pg_info, "v_census_daily")
    require("03_ingestion", census is not None and not census.empty, "the warehouse views are empty")
    census = census.rename(columns={"census_date": "date"})
    staffing = warehouse_view(p, pg_info, "v_staffing_shift").rename(columns={"shift_date": "date"})
    figures = [plots.census(census), plots.occupancy_heatmap(census), plots.staffing(staffing),
               plots.hires_and_departures(warehouse_view(p, pg_info, "v_staff_events_quarterly"))]
    from hospsim.stream import metrics
    figures.append(plots.stream_rate(metrics.rates(metrics.throughput(pg_info), window="2s")))
    figures.append(plots.cdc_throughput(cdc_throughput(p, pg_info)))
    return figures


def cdc_throughput(p: config.Params, pg_info) -> pd.DataFrame:
    """Changes/s per table from the CDC source notebook 04 used (its slot), empty before 04 ran."""
    from hospsim import cdc
    try:
        return cdc.throughput(cdc.slot_source(p, pg_info))
    except ValueError:  # no slot yet: the figure says so
        return pd.DataFrame()


def what_if_figures(p: config.Params) -> list:
    """The daily loop again in memory with the panel's rates and beds: census and occupancy only."""
    from hospsim import simulate
    result = simulate.run(p, write=False, progress=False)
    fig = plots.census(result.census)
    fig.update_layout(title=f"What-if census: {p.simulation.ed_visits_per_1000_year:g} ED visits/1000/yr")
    return [fig, plots.occupancy_heatmap(result.census)]


def oltp_restart(p: config.Params, pg_info):
    """04: the OLTP tables dropped, recreated and seeded, with a fresh throughput slot counting from now."""
    from hospsim import cdc
    from hospsim.oltp import seed
    seeded = seed.reset(p, pg_info)
    source = cdc.slot_source(p, pg_info)
    source.create()
    return seeded, source


def restream_oltp(pg_info, source) -> Callable[[config.Params], list]:
    """A Run-panel step: stream the OLTP mix again at the panel's rate, batch size and INSERT share."""
    def redo(q: config.Params) -> list:
        from hospsim import cdc
        from hospsim.oltp import stream
        stream.run(q, pg_info, handle_signals=False)
        return [plots.cdc_throughput(cdc.throughput(source))]
    return redo


def ingestion_figures(p: config.Params, pg_info, outcomes: list) -> list:
    """What the ingestor did (rows and seconds per file kind), and the census as the warehouse now sees it."""
    import plotly.express as px
    done = pd.DataFrame([vars(o) for o in outcomes], columns=["name", "kind", "status", "rows", "seconds", "reason"])
    per_kind = done.groupby(["kind", "status"], as_index=False, dropna=False)[["rows", "seconds"]].sum()
    figures = [px.bar(per_kind, x="kind", y="rows", color="status", title="Rows ingested per file kind")]
    census = warehouse_view(p, pg_info, "v_census_daily")
    if census is not None:
        figures.append(plots.census(census.rename(columns={"census_date": "date"})))
    return figures


def show(*figures) -> None:
    from IPython.display import display
    for fig in figures:
        display(fig)


def rerun_panel(p: config.Params, knobs: list[str], redo: Callable[[config.Params], list], title: str = ""):
    """Sliders + Run: Run rebuilds Params with the slider values, calls redo(params) -> figures and redraws
    them in place below the panel."""
    import ipywidgets as w
    from IPython.display import display

    from hospsim import widgets

    out = w.Output()

    def on_run(overrides: dict) -> None:
        figures = redo(config.with_overrides(p, overrides))
        out.clear_output(wait=True)
        with out:
            show(*figures)

    box = widgets.panel(p, knobs, on_run, title)
    display(w.VBox([box, out]))
    return box, out
