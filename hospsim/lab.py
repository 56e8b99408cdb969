"""What the notebooks call, so each stays a parameters cell, a few calls and plots.

Everything a notebook needs twice lives here: building Params from the parameters cell, checking that
the earlier steps ran (and saying which one to run when not), showing figures, and the Run panels that
redo a step with slider values and redraw its figures in place.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from hospsim import config, filekinds, plots
from hospsim import run as runs
from hospsim.run import StepNotRun

STEPS = {
    "00_setup": ("setup", "the run's population and workforce files"),
    "01_daily_loop": ("days", "the run's daily files"),
    "02_streaming": ("stream", "a stream session of the run's events"),
    "03_ingestion": ("ingest", "the warehouse loaded from the run's files"),
    "04_oltp_cdc": ("oltp", "the OLTP tables seeded and streamed"),
}


def params(params_file: str | None = None, overrides: Iterable[str] | dict | None = None, **extra) -> config.Params:
    """Params for a notebook: its params file and key=value overrides, plus keyword overrides that are not None.

    No params file means $HOSPSIM_PARAMS (the Makefile sets it from PARAMS) or params/default.yaml, as for
    every hospsim command."""
    merged = dict(overrides) if isinstance(overrides, dict) else config.parse_overrides(list(overrides or ()))
    merged.update({k.replace("__", "."): v for k, v in extra.items() if v is not None})
    plots.use_offline_renderer()
    return config.load(params_file, merged)


NOTEBOOK_OLTP_EVENTS = 5000
"""A notebook's OLTP stream ends: this many events when neither the notebook nor the params bound it."""


def oltp_params(params_file: str | None, overrides, events: int, rate: float) -> config.Params:
    """04's params: its events (0 keeps oltp.stream.max_events) and rate (0 streams unpaced), always bounded."""
    p = params(params_file, overrides, oltp__stream__max_events=events or None,
               oltp__stream__events_per_second=rate or None)
    if p.oltp.stream.max_events is None:
        p = config.with_overrides(p, {"oltp.stream.max_events": NOTEBOOK_OLTP_EVENTS})
    return p


def require(step: str, present: bool, detail: str = "") -> None:
    """Stop a notebook early with the step to run first, instead of failing deep inside a call."""
    if not present:
        raise StepNotRun(f"run notebooks/{step}.ipynb first: it makes {STEPS[step][1]}"
                         + (f" ({detail})" if detail else ""))


def require_run(p: config.Params, step: str) -> runs.Run:
    """The run these params describe, with `step` finished; StepNotRun names the notebook to run first, and
    RunMismatch refuses when the data folder holds another world."""
    try:
        the_run = runs.open_run(p)
    except runs.RunNotFound as exc:
        raise StepNotRun(f"run notebooks/00_setup.ipynb first: it starts the run ({exc})") from None
    name, _ = STEPS[step]
    entry = the_run.step(name)
    require(step, entry.get("status") == "done", f"run {the_run.id} has no finished {name} step")
    if name == "days":
        done = entry.get("days_done", 0)
        require(step, done >= p.simulation.days, f"run {the_run.id} has {done} of {p.simulation.days} days")
    return the_run


def steps_table(the_run: runs.Run) -> pd.DataFrame:
    """The run's manifest as a table: each step's status, seconds, outputs, rows."""
    rows = []
    for name, entry in the_run.manifest["steps"].items():
        outputs = entry.get("outputs", [])
        rows.append({"step": name, "status": entry.get("status"), "started_at": entry.get("started_at"),
                     "seconds": entry.get("seconds"), "files": len(outputs) or None,
                     "rows": sum(o.get("rows", 0) for o in outputs) or entry.get("rows")})
    return pd.DataFrame(rows, columns=["step", "status", "started_at", "seconds", "files", "rows"])


def record_step(p: config.Params, step: str, **fields) -> None:
    """Note a step in the run's manifest (when these params have a run): e.g. 04's OLTP stream."""
    the_run = runs.current(p)
    if the_run is not None:
        the_run.record(step, status="done", finished_at=runs.now(), **fields)


def setup(p: config.Params, params_file: str | None = None):
    """00_setup: the run's population with illness profiles and its workforce, made once and written into
    the run (and landed in batch/); run again, it reads them back. Returns (run, simulate.Setup)."""
    from hospsim import simulate
    the_run, made, writer = simulate.setup_step(p, params_file=params_file)
    simulate.finish_setup(the_run, writer)
    return the_run.reload(), made


def staffing_coverage(p: config.Params, staff: dict[str, pd.DataFrame], census: pd.DataFrame | None = None) -> pd.DataFrame:
    """Nurses scheduled against required per shift; against the expected census when no real one is given."""
    from hospsim import workforce

    schedules = pd.concat([df for name, df in sorted(staff.items()) if filekinds.BY_KIND["schedules"].matches(name)],
                          ignore_index=True)
    if census is None:
        days = pd.to_datetime(schedules["date"]).dt.date.unique()
        census = workforce.expected_census(p, sorted(days))
    return workforce.staffing_coverage(p, schedules, census)


def run_coverage(p: config.Params, result) -> pd.DataFrame:
    """Nurses on duty (the rota less the shifts the days' census called off) against the run's census."""
    from hospsim import workforce
    return workforce.staffing_coverage(p, result.schedules, result.census)


def staffing_rule(p: config.Params) -> str:
    """The minimum the staffing charts judge by, as their titles name it."""
    from hospsim import workforce
    return workforce.RULE_LABELS[p.workforce.staffing_rule]


EXPECTED_CENSUS = "the expected census (beds x target occupancy)"
"""What 00 judges staffing against: the census the staff was sized for, so it is short nowhere by design."""
RUN_CENSUS = "the run's census"
"""What 01 (the simulated census) and 05 (the same census, from the warehouse) judge against: they agree."""


def staff_events(staff: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return staff.get(filekinds.BY_KIND["staff_events"].name, pd.DataFrame(columns=["date", "event"]))


def setup_figures(p: config.Params, s) -> list:
    return [plots.population_pyramid(s.people, p.simulation.start_date),
            plots.staffing(staffing_coverage(p, s.staff), EXPECTED_CENSUS, staffing_rule(p)),
            plots.staff_events(staff_events(s.staff))]


def daily_figures(p: config.Params, result) -> list:
    from hospsim import realism
    return [plots.census(result.census),
            plots.occupancy_heatmap(result.census),
            plots.arrivals_by_hour_and_weekday(result.visitors),
            plots.staffing(run_coverage(p, result), RUN_CENSUS, staffing_rule(p)),
            plots.realism(realism.report(p, result))]


def stream_figures(p: config.Params, session) -> list:
    """The session just delivered: its produced and consumed events/s; the consumer lag when through Kafka."""
    from hospsim.stream import metrics
    figures = [plots.session_rate(metrics.rates(session.timeline, window="2s"), session.summary())]
    if session.bootstrap:
        figures.append(plots.consumer_lag(metrics.lag(p, session.bootstrap)))
    return figures


def restream(pg_info, replay_frame) -> Callable[[config.Params], list]:
    """A Run-panel step: a new stream session of the same events, paced at the panel's rate, and its chart."""
    def redo(q: config.Params) -> list:
        from hospsim import stream
        q = config.with_overrides(q, {"stream.mode": "rate"})
        return stream_figures(q, stream.deliver(q, pg_info, replay_frame))
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
    census = baseline_census(p, pg_info)
    staffing = warehouse_view(p, pg_info, "v_staffing_shift").rename(columns={"shift_date": "date"})
    figures = [plots.census(census), plots.occupancy_heatmap(census),
               plots.staffing(staffing, RUN_CENSUS, staffing_rule(p)),
               plots.hires_and_departures(warehouse_view(p, pg_info, "v_staff_events_quarterly"))]
    from hospsim.stream import metrics
    figures.append(plots.stream_rate(metrics.rates(metrics.throughput(pg_info, p.stream.schema), window="2s")))
    figures.append(plots.cdc_throughput(cdc_throughput(p, pg_info)))
    record_step(p, "dashboard", views=["v_census_daily", "v_staffing_shift", "v_staff_events_quarterly"])
    return figures


def cdc_throughput(p: config.Params, pg_info) -> pd.DataFrame:
    """Changes/s per table from the CDC source notebook 04 used (its slot), empty before 04 ran."""
    from hospsim import cdc
    try:
        return cdc.throughput(cdc.slot_source(p, pg_info))
    except ValueError:  # no slot yet: the figure says so
        return pd.DataFrame()


def reconciliation(p: config.Params, pg_info):
    """Batch, stream and CDC counted against each other (hospsim.reconcile); the CDC leg only where its topic
    holds world-mode internacoes, so a standalone OLTP leaves it out with a note instead of failing."""
    from hospsim import reconcile
    result = reconcile.run(p, pg_info, optional_cdc=True)
    for note in result.notes:
        print(f"note: {note}")
    return result


def what_if(p: config.Params, baseline_census: pd.DataFrame, people_ill: pd.DataFrame
            ) -> Callable[[config.Params], list]:
    """A Run-panel step: the run's population through the days again, in memory, with the panel's rates and
    beds (a scenario: nothing is written), drawn beside the run's census."""
    def redo(q: config.Params) -> list:
        from hospsim import simulate
        scenario = simulate.run(q, write=False, progress=False, people_ill=people_ill)
        return [plots.census_against_baseline(baseline_census, scenario.census, scenario_label(p, q)),
                plots.occupancy_heatmap(scenario.census)]
    return redo


def scenario_label(p: config.Params, q: config.Params) -> str:
    def beds(x: config.Params) -> int:
        return sum(w.beds for h in x.region.hospitals for w in h.wards)
    return (f"{q.simulation.ed_visits_per_1000_year:g} ED visits/1000/yr, {beds(q):,} beds "
            f"(the run: {p.simulation.ed_visits_per_1000_year:g}, {beds(p):,})")


def baseline_census(p: config.Params, pg_info) -> pd.DataFrame:
    """The run's census as the warehouse holds it (05's baseline for a what-if)."""
    census = warehouse_view(p, pg_info, "v_census_daily")
    require("03_ingestion", census is not None and not census.empty, "the warehouse views are empty")
    return census.rename(columns={"census_date": "date"})


def oltp_restart(p: config.Params, pg_info, debezium: bool = True):
    """04: the OLTP tables dropped, recreated and seeded (in world mode left empty for the run's days), with a
    fresh throughput slot counting from now; with Kafka on and `debezium`, the connector is removed first and
    registered again once the tables are back.
    Returns (rows seeded, the slot source, the Debezium topics from now on or None)."""
    from hospsim import cdc
    from hospsim.oltp import seed
    client = _connect_client(p) if debezium and p.kafka.enabled else None
    if client is not None:
        client.delete(p.oltp.connector_name)
    if p.oltp.source == "world":   # the run's days fill the tables (oltp_changes): nothing to seed
        from hospsim.oltp import schema
        schema.drop(p, pg_info)
        schema.init(p, pg_info)
        seeded = {}
    else:
        seeded = seed.reset(p, pg_info)
    source = cdc.slot_source(p, pg_info)
    source.create()
    feed = register_debezium(p, pg_info, client) if client is not None else None
    if feed is None:
        print("Kafka is off (kafka.enabled) or debezium=False: the throughput slot counts the changes alone")
    return seeded, source, feed


def oltp_changes(p: config.Params, pg_info):
    """04's changes: the standalone 70/30 stream, or with oltp.source world the run's days applied (the
    hospital system of the run's own people); either report has counts, events and summary()."""
    if p.oltp.source == "world":
        import time

        from hospsim.oltp import world
        require_run(p, "01_daily_loop")
        started = time.perf_counter()
        applied = world.run_days(p, pg_info)
        return world.Report(applied, time.perf_counter() - started)
    from hospsim.oltp import stream
    return stream.run(p, pg_info, handle_signals=False)


def _connect_client(p: config.Params):
    from hospsim import services
    from hospsim.services.connect import ConnectClient
    return ConnectClient(services.ensure_connect(p))


def register_debezium(p: config.Params, pg_info, client):
    """Register the connector on the worker (kafka.connect_url, else the embedded one), wait until it streams
    from its slot, and return its topics read from this moment (snapshot reads and later changes)."""
    import datetime as dt

    from hospsim import cdc
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    connector = cdc.connector_config(p, pg_info)
    cdc.register(client.url, connector)
    client.wait_running(connector["name"], timeout=p.kafka.start_timeout_s)
    cdc.wait_slot_active(pg_info, p.oltp.slot, timeout_s=p.kafka.start_timeout_s)
    return cdc.topic_source(p, since=since)


def curl_command(p: config.Params) -> str:
    """How to post the connector to a Connect worker by hand: the JSON printed by 04, saved as connector.json."""
    from hospsim import services
    return (f"curl -X POST -H 'Content-Type: application/json' --data @connector.json "
            f"{services.connect_url(p)}/connectors")


def change_envelope(events: pd.DataFrame, table: str = "internacoes") -> dict:
    """One Debezium change event as it sits in Kafka: an UPDATE of `table` (else any UPDATE, else any change),
    cut to op, before, after, source (lsn, ts_ms, txId, schema, table) and ts_ms."""
    if events.empty:
        return {}
    pick = events[(events["op"] == "u") & (events["table"] == table)]
    pick = pick if len(pick) else events[events["op"] == "u"]
    change = (pick if len(pick) else events).iloc[0]["change"]
    source = {k: change["source"].get(k) for k in ("lsn", "ts_ms", "txId", "schema", "table")}
    return {"op": change["op"], "before": change.get("before"), "after": change.get("after"), "source": source,
            "ts_ms": change.get("ts_ms")}


def restream_oltp(pg_info, source) -> Callable[[config.Params], list]:
    """A Run-panel step: stream the OLTP mix again at the panel's rate, batch size and INSERT share."""
    def redo(q: config.Params) -> list:
        from hospsim import cdc
        from hospsim.oltp import stream
        stream.run(q, pg_info, handle_signals=False)
        counted = cdc.throughput(source)
        return [plots.cdc_throughput(counted[counted["op"] != "READ"])]
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


def live_panel(p: config.Params):
    """`hospsim live` in the lab: pick a speed and a number of days, Start; the run goes on in the background
    (the kernel stays free), the line below shows the simulated clock, events/s and the lag; Stop ends the
    session at once, resumable like the command."""
    import threading

    import ipywidgets as w
    from IPython.display import display

    from hospsim import live, widgets

    status = w.HTML("not running")
    session: dict = {}

    def progress(info: dict) -> None:
        lag = "-" if info["lag_s"] is None else f"{info['lag_s']:.3f} s"
        status.value = (f"clock <b>{info['clock'][:19].replace('T', ' ')}</b> · {info['events_per_s']:,.0f} rows/s"
                        f" · lag {lag} · sent {sum(info['sent'].values()):,}")

    def work(speed, days, stop) -> None:
        sinks, _note = live.sinks_for(p, stop)
        try:
            report = live.run(p, sinks, speed=speed, days=days, stop=stop, progress=progress)
            status.value = (f"{len(report.days_done)} day(s) written, sent {report.sent}"
                            + (" (stopped)" if report.stopped else ""))
        except Exception as exc:  # noqa: BLE001 - shown in the panel; the kernel keeps going
            status.value = f"<span style='color:#b00'>{type(exc).__name__}: {exc}</span>"
        finally:
            for sink in sinks:
                sink.close()
            button.disabled = False

    def start(speed, days) -> None:
        session["stop"] = threading.Event()
        session["thread"] = threading.Thread(target=work, args=(speed, days, session["stop"]), daemon=True)
        session["thread"].start()

    def stop() -> None:
        if "stop" in session:
            session["stop"].set()

    box, button = widgets.live_controls(start, stop, status)
    display(box)
    return box, session
