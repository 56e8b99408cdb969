"""Every course notebook, executed by papermill against the real PostgreSQL and Kafka, judged by what it made."""
from __future__ import annotations

import base64
import json
from contextlib import closing
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from hospsim import config, pipeline
from hospsim import run as runs
from tests.conftest import course_overlay, run_files_digest


def values(array) -> np.ndarray:
    """A plotly JSON array: a list, or a base64 typed array ({"dtype", "bdata"}) as plotly >= 6 writes them."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array, dtype=float)


def plotly_outputs(path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    return [o["data"]["application/vnd.plotly.v1+json"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "application/vnd.plotly.v1+json" in o.get("data", {})]


def test_every_notebook_ran_in_order_into_one_run_folder(course):
    p, result, _ = course
    assert [p.stem for p in result.notebooks] == ["00_setup", "01_daily_loop", "02_streaming", "03_ingestion",
                                                 "04_oltp_cdc", "05_dashboard"]
    assert result.report.exists() and "05_dashboard" in result.report.read_text()
    assert result.run_dir.parent.parent == runs.folder_for(p)


def test_the_course_is_one_run_that_later_steps_read_and_never_rewrite(course):
    """02-05 read what 00 and 01 wrote: one run folder, one simulation, the same bytes before and after."""
    p, _, after_01 = course
    assert [f.name for f in p.dirs.runs_dir.iterdir()] == [runs.run_id(p)], "one world, one run"
    manifest = runs.open_run(p).manifest
    for step in ("setup", "days"):
        assert manifest["steps"][step] == after_01.manifest["steps"][step], f"the {step} step was not done again"
    assert set(manifest["steps"]) == {"setup", "days", "stream", "ingest", "oltp", "dashboard"}
    assert all(entry["status"] == "done" for entry in manifest["steps"].values())
    assert [s["events"] for s in manifest["steps"]["stream"]["sessions"]] == [manifest["steps"]["stream"]["rows"]]
    now = run_files_digest(p)
    run_files = {name.split("/", 1)[1]: digest for name, digest in now.items() if name.startswith("files/")}
    assert run_files == {n.split("/", 1)[1]: d for n, d in after_01.files.items() if n.startswith("files/")}
    processed = {name.split("/", 1)[1]: digest for name, digest in now.items() if name.startswith("processed/")}
    assert processed == run_files, "the warehouse loaded exactly the run's bytes"
    assert manifest["steps"]["ingest"]["ingested"] == len(run_files)


def test_setup_and_daily_loop_wrote_their_files_and_figures(course):
    p, result, _ = course
    processed = p.dirs.data_dir / "processed"
    assert (processed / "people_data.csv").exists() and list(processed.glob("schedules_*.csv"))
    assert len(list(processed.glob("census_*.csv"))) == 21 and not list((p.dirs.data_dir / "batch").glob("*.csv"))
    titles = [f["layout"]["title"]["text"] for f in plotly_outputs(result.run_dir / "01_daily_loop.ipynb")]
    assert any(t.startswith("Census per hospital") for t in titles) and any(t.startswith("Realism") for t in titles)
    assert len(plotly_outputs(result.run_dir / "00_setup.ipynb")) == 3


def test_streaming_landed_every_event_in_tables_and_files(course, pg):
    p, _, _ = course
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM stream.admissions")
        admissions = cur.fetchone()[0]
    files = list((p.dirs.data_dir / "stream").rglob("*.jsonl"))
    assert admissions > 0 and files
    lines = sum(1 for f in files for _ in f.open())
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM stream.admissions) + (SELECT count(*) FROM stream.discharges)"
                    " + (SELECT count(*) FROM stream.bed_status) + (SELECT count(*) FROM stream.patient_transfers)"
                    " + (SELECT count(*) FROM stream.emergency_transports)")
        assert cur.fetchone()[0] == lines


def test_ingestion_loaded_the_warehouse_and_the_dashboard_read_it(course, pg):
    p, result, _ = course
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM warehouse.fact_census")
        assert cur.fetchone()[0] == sum(len(f.read_text().splitlines()) - 1
                                        for f in (p.dirs.data_dir / "processed").glob("census_*.csv"))
    titles = [f["layout"]["title"]["text"] for f in plotly_outputs(result.run_dir / "05_dashboard.ipynb")]
    assert any("Census per hospital" in t for t in titles) and any(t.startswith("What-if census") for t in titles)
    assert any(t.startswith(("Hires and departures", "Staff events")) for t in titles)
    assert any(t.startswith("Stream throughput") for t in titles) and any(t.startswith("CDC") for t in titles)
    assert any(t.startswith("Batch, stream and CDC") for t in titles), "the reconciliation panel"


def test_oltp_stream_committed_its_events_and_cdc_counted_them(course, pg):
    p, result, _ = course
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM oltp_course.pacientes")
        assert cur.fetchone()[0] >= 300
    cdc = [f for f in plotly_outputs(result.run_dir / "04_oltp_cdc.ipynb")
           if f["layout"]["title"]["text"].startswith("CDC changes/s")]
    assert cdc and sum(values(t["y"]).sum() for t in cdc[0]["data"]) > 0
    assert runs.open_run(p).step("oltp")["events"] == 800
    printed = "".join(o.get("text", "") for c in nbformat.read(result.run_dir / "04_oltp_cdc.ipynb", as_version=4).cells
                      if c.cell_type == "code" for o in c.get("outputs", []))
    assert "counted from the Debezium topics" in printed
    connector = json.loads(printed[printed.index('{\n  "name"'):printed.index("\ncurl ")])
    assert connector["name"] == "course-oltp" and connector["config"]["database.port"] == str(pg.port)
    envelope = json.loads(printed[printed.index('{\n  "op"'):printed.index("\ncounted from")])
    assert envelope["op"] == "u" and envelope["source"]["lsn"] > 0 and envelope["source"]["ts_ms"] > 0
    assert envelope["before"]["id"] == envelope["after"]["id"] and envelope["before"] != envelope["after"]


def test_a_notebook_before_its_prerequisite_names_the_step(tmp_path, pg):
    overrides = [f"paths.data_dir={tmp_path / 'empty'}", f"paths.runs_dir={tmp_path / 'runs'}",
                 "postgres.embedded=false", f"postgres.port={pg.port}", f"postgres.host={pg.host}"]
    with pytest.raises(pipeline.NotebookFailed, match="StepNotRun: run notebooks/00_setup.ipynb first"):
        pipeline.run("params/workshop.yaml", overrides, only=["01"], progress=False, report=False)


def _warehouse_state(pg_info, schema: str) -> tuple:
    from hospsim import warehouse
    with closing(pg_info.connect()) as conn:
        counts = warehouse.table_counts(conn, SimpleNamespace(warehouse=SimpleNamespace(schema=schema)))
        with conn.cursor() as cur:
            cur.execute(f"SELECT file_name, sha256, run_id FROM {schema}.ingest_ledger ORDER BY file_name")
            return counts, cur.fetchall()


def test_ingesting_another_worlds_params_is_refused_and_changes_nothing(tmp_path, pg):
    """01 with one params file, 03 with another: 03 fails naming both runs and the fix; the warehouse stays."""
    import papermill as pm
    first = course_overlay(tmp_path, pg, None, seed=21, simulation={"population": 3000, "days": 5},
                           warehouse={"schema": "wh_mixed"})
    for book in ("00_setup", "01_daily_loop", "03_ingestion"):
        pm.execute_notebook(str(pipeline.NOTEBOOKS_DIR / f"{book}.ipynb"), str(tmp_path / f"{book}.ipynb"),
                            parameters={"params_file": str(first), "interactive": False}, cwd=str(config.PROJECT_ROOT),
                            kernel_name="python3", progress_bar=False)
    before = _warehouse_state(pg, "wh_mixed")
    second = tmp_path / "second.yaml"
    second.write_text(f"extends: {first}\nseed: 22\n")
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(pipeline.NOTEBOOKS_DIR / "03_ingestion.ipynb"), str(tmp_path / "03_again.ipynb"),
                            parameters={"params_file": str(second), "interactive": False},
                            cwd=str(config.PROJECT_ROOT), kernel_name="python3", progress_bar=False)
    ids = [runs.run_id(config.load(f, environ={}, dotenv=tmp_path / "no.env")) for f in (first, second)]
    assert err.value.ename == "RunMismatch"
    assert all(i in err.value.evalue for i in ids) and "hospsim reset --yes" in err.value.evalue
    assert "differ in seed" in err.value.evalue
    assert _warehouse_state(pg, "wh_mixed") == before
    assert {row[2] for row in before[1]} == {ids[0]}, "the ledger records the run of every file"


def test_reset_clears_data_tables_topics_and_slots(tmp_path, pg, pg_admin, kafka_broker, connect_worker):
    """On its own small course (00-04) and database, so the shared one stays intact for other tests."""
    from hospsim.cli import main
    from hospsim.services.postgres import PgInfo
    from hospsim.stream import topics

    with closing(pg_admin.connect()) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS reset_course WITH (FORCE)")
            cur.execute(f'CREATE DATABASE reset_course OWNER "{pg.user}"')
    pg = PgInfo(pg.host, pg.port, pg.user, pg.password, "reset_course")
    overrides = [f"paths.data_dir={tmp_path / 'data'}", f"paths.runs_dir={tmp_path / 'runs'}",
                 f"paths.state_dir={tmp_path / 'state'}", "postgres.embedded=false", f"postgres.host={pg.host}",
                 f"postgres.port={pg.port}", "postgres.database=reset_course", "simulation.population=3000",
                 "simulation.days=7",
                 "simulation.warmup_days=3", "warehouse.schema=wh_reset", "oltp.schema=oltp_reset",
                 "oltp.slot=reset_slot", "oltp.publication=reset_pub", "oltp.stream.max_events=200",
                 f"kafka.bootstrap_servers={kafka_broker.bootstrap_servers}", "kafka.topic_prefix=resetcourse",
                 f"kafka.connect_url={connect_worker.url}", "oltp.connector_name=reset-oltp",
                 "oltp.topic_prefix=resetcdc"]
    pipeline.run("params/workshop.yaml", overrides, only=["00", "01", "02", "03", "04"], progress=False, report=False)
    params = config.load("params/workshop.yaml", overrides)
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'reset_slot%'")
        assert cur.fetchone()[0] == 2, "Debezium's slot and the throughput slot"
    listed = topics.admin(kafka_broker.bootstrap_servers).list_topics()
    assert any(t.startswith("resetcourse.") for t in listed) and any(t.startswith("resetcdc.") for t in listed)

    assert main(["reset", "--yes", "-f", "params/workshop.yaml", *[arg for o in overrides for arg in ("-p", o)]]) == 0
    assert not (params.dirs.data_dir / "processed").exists() and not (params.dirs.data_dir / "stream").exists()
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'reset_slot%'")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN ('wh_reset', 'oltp_reset', 'stream')")
        assert cur.fetchone()[0] == 0
    listed = topics.admin(kafka_broker.bootstrap_servers).list_topics()
    assert not any(t.startswith(("resetcourse.", "resetcdc.")) for t in listed), "stream and CDC topics deleted"


def _array(array) -> np.ndarray:
    """values(), or the strings (dates, labels) as they are."""
    if isinstance(array, dict) or (len(array) and not isinstance(array[0], str)):
        return values(array)
    return np.asarray(array)


def _trace_color(trace: dict) -> str | None:
    return (trace.get("marker") or {}).get("color") if trace.get("type") == "bar" else (trace.get("line") or {}).get("color")


def test_every_figure_tells_the_truth(course):
    """What the course drew, not only that it drew: lines in time order, no NaN, one colour per category
    (a ward's line in 01, 03 and 05), and one staffing verdict for one census. The course's 21 days hold no
    quarter of staff events; tests/test_plots.py compares 00's and 05's hire colours."""
    _, result, _ = course
    figures = {p.stem: plotly_outputs(p) for p in result.notebooks}
    colours: dict[tuple[str, str], set] = {}
    for book, figs in figures.items():
        for fig in figs:
            title = fig["layout"].get("title", {}).get("text", "")
            for trace in fig["data"]:
                if trace.get("type", "scatter") == "scatter" and "lines" in trace.get("mode", "lines"):
                    x = _array(trace["x"])
                    assert (x[1:] >= x[:-1]).all(), f"{book}: {title}: {trace.get('name')} is not in x order"
                for axis in ("z",) if trace.get("type") == "heatmap" else ("x", "y"):
                    numbers = _array(trace.get(axis, []))
                    if numbers.dtype.kind in "fiu":
                        assert not np.isnan(numbers.astype(float)).any(), f"{book}: {title}: NaN in {axis}"
                if trace.get("name") and _trace_color(trace):
                    colours.setdefault((title.split(" ")[0], trace["name"]), set()).add(_trace_color(trace))
    assert ("Census", "icu") in colours, "01's, 03's and 05's census lines were compared"
    for (kind, name), seen in colours.items():
        assert len(seen) == 1, f"{name} has colours {seen} in the {kind} figures"

    def staffing(book):
        (title,) = [f["layout"]["title"]["text"] for f in figures[book]
                    if f["layout"]["title"]["text"].startswith("Nurses short")]
        return title
    assert "against the expected census" in staffing("00_setup")
    verdict = staffing("01_daily_loop").split("against ", 1)[1]
    assert verdict.startswith("the run's census") and staffing("05_dashboard").split("against ", 1)[1] == verdict


def test_04_in_world_mode_sends_the_runs_admissions_and_discharges_through_debezium(course, kafka_broker,
                                                                                      connect_worker, pg):
    """04 again on the course's run with oltp.source=world (its own schema, connector and topics): the
    internacoes Debezium captured are the run's admissions and discharges, by id."""
    import pandas as pd
    import papermill as pm

    from hospsim import cdc, simulate
    from hospsim.oltp import schema, world
    from hospsim.services.connect import ConnectClient
    p, result, _ = course
    the_run = runs.open_run(p)
    recorded = dict(the_run.step("oltp"))
    names = {"oltp.source": "world", "oltp.schema": "oltp_course_world", "oltp.publication": "course_world_pub",
             "oltp.slot": "course_world_slot", "oltp.connector_name": "course-world",
             "oltp.topic_prefix": "course_world"}
    q = config.with_overrides(p, names)
    try:
        pm.execute_notebook(str(pipeline.NOTEBOOKS_DIR / "04_oltp_cdc.ipynb"), str(result.run_dir / "04_world.ipynb"),
                            parameters={"params_file": str(p.dirs.data_dir.parent / "course.yaml"),
                                        "overrides": [f"{k}={v}" for k, v in names.items()], "interactive": False},
                            cwd=str(config.PROJECT_ROOT), kernel_name="python3", progress_bar=False)
        events = cdc.topic_source(q, kafka_broker.bootstrap_servers).events(images=True)
    finally:
        ConnectClient(connect_worker.url).delete("course-world")
        the_run.record("oltp", **recorded)
    schema.drop(q, pg)
    days = simulate.read_days(the_run.files_dir, simulate.dates(p))
    admitted = {world.internacao_id(a, h) for a, h in days["admissions"][["admission_id", "hospital_id"]].to_numpy()}
    discharged = [world.internacao_id(a, h) for a, h in days["discharges"][["admission_id", "hospital_id"]].to_numpy()]
    rows = events[events["table"] == "internacoes"]
    created = pd.Series([a["id"] for a in rows.loc[rows["op"] == "c", "after"]])
    updated = sorted(a["id"] for a in rows.loc[rows["op"] == "u", "after"])
    assert admitted <= set(created) and created.is_unique and updated == sorted(discharged)
    beds = world.beds_at_start(p, simulate.read_setup(the_run))
    assert set(created) - admitted == {world.internacao_id(a, h) for a, h in beds[["admission_id", "hospital_id"]]
                                       .to_numpy()}, "besides the run's admissions: the stays open at its start"
    printed = "".join(o.get("text", "") for c in nbformat.read(result.run_dir / "04_world.ipynb", as_version=4).cells
                      if c.cell_type == "code" for o in c.get("outputs", []))
    assert "world mode:" in printed and "counted from the Debezium topics" in printed
