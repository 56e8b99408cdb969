"""The stream on a real PostgreSQL: the 70/30 mix, counters equal the database, pacing, stopping, the log."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from hospsim import documents
from hospsim.errors import ServiceError
from hospsim.oltp import stream
from tests.oltp.helpers import assert_database_matches, incoherent_rows, snapshot

UNPACED = {"oltp.stream.interval_seconds": 0, "oltp.stream.max_jitter_ms": 0}


def test_5000_events_mix_counters_documents_and_log(fresh, pg):
    params = fresh({**UNPACED, "oltp.stream.max_events": 5000})
    before = snapshot(params, pg)
    report = stream.run(params, pg, handle_signals=False)
    after = snapshot(params, pg)
    assert report.events == 5000 and report.stopped_by == "max_events"
    assert abs(report.updates / report.events - 0.30) < 0.02, report.summary()
    assert all(ops["INSERT"] > 0 and ops["UPDATE"] > 0 for ops in report.counts.values())
    assert_database_matches(report, before, after)
    assert incoherent_rows(params, pg) == 0

    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT cpf FROM {params.oltp.schema}.pacientes")
        cpfs = np.array([r[0] for r in cur.fetchall()])
    assert len(cpfs) == 2000 + report.counts["pacientes"]["INSERT"]
    assert documents.valid_cpf(cpfs).all() and len(set(cpfs)) == len(cpfs)

    lines = (params.dirs.logs_dir / "oltp_stream.log").read_text().splitlines()
    assert len(lines) == 5000
    pattern = re.compile(r"\S+ \[\s*(\d+)\] (INSERT|UPDATE) (paciente|consulta|exame|internacao)\s* \| "
                         r"INSERT:\s+(\d+) \| UPDATE:\s+(\d+)$")
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed), lines[0]
    assert [int(m.group(1)) for m in parsed] == list(range(1, 5001))
    last = parsed[-1]
    assert (int(last.group(4)), int(last.group(5))) == (report.inserts, report.updates)


def test_a_second_run_continues_ids_documents_and_batches(fresh, pg):
    params = fresh({**UNPACED, "oltp.stream.max_events": 400, "oltp.seed.pacientes": 50,
                    "oltp.seed.pacientes_convenios": 50})
    first = stream.run(params, pg, handle_signals=False)
    second = stream.run(params, pg, handle_signals=False)
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*), count(DISTINCT cpf) FROM {params.oltp.schema}.pacientes")
        total, distinct = cur.fetchone()
        cur.execute(f"SELECT batches, last_batch FROM {params.oltp.schema}.stream_state")
        batches, max_id = cur.fetchone()
    new = first.counts["pacientes"]["INSERT"] + second.counts["pacientes"]["INSERT"]
    assert total == distinct == 50 + new
    assert batches == max_id == first.batches + second.batches


def test_pacing_at_50_events_per_second(fresh, pg):
    params = fresh({"oltp.stream.events_per_second": 50, "oltp.stream.duration_seconds": 2,
                    "oltp.seed.pacientes": 200, "oltp.seed.consultas": 400, "oltp.seed.exames": 300,
                    "oltp.seed.internacoes": 100, "oltp.seed.pacientes_convenios": 200})
    t = time.monotonic()
    report = stream.run(params, pg, handle_signals=False)
    wall = time.monotonic() - t
    assert report.events == 100 and report.stopped_by == "duration_seconds"
    assert report.batches == 20, "50 events/s go as 5 events every 0.1 s, not in bursts of BATCH_SIZE"
    assert abs(report.events_per_second - 50) / 50 < 0.05, report.summary()
    assert wall < 3.5


def test_interval_and_jitter_pace_whole_batches(fresh, pg):
    params = fresh({"oltp.stream.interval_seconds": 0.2, "oltp.stream.max_jitter_ms": 100,
                    "oltp.stream.batch_size": 7, "oltp.stream.duration_seconds": 1.0})
    report = stream.run(params, pg, handle_signals=False)
    assert 4 <= report.batches <= 6 and report.events == 7 * report.batches, report.summary()


def test_stop_from_another_thread_finishes_the_batch_and_a_second_stream_is_refused(fresh, pg):
    params = fresh({"oltp.stream.events_per_second": 400})
    before = snapshot(params, pg)
    s = stream.Stream(params, pg)
    done = {}
    worker = threading.Thread(target=lambda: done.setdefault("report", s.run(handle_signals=False)))
    worker.start()
    time.sleep(0.5)
    with pytest.raises(ServiceError, match="another `hospsim oltp stream` is writing"):
        stream.run(params, pg, handle_signals=False)
    s.stop()
    worker.join(10)
    report = done["report"]
    assert report.stopped_by == "stop()" and report.events > 0
    assert_database_matches(report, before, snapshot(params, pg))


def test_cli_stream_stops_cleanly_on_sigint(fresh, pg, tmp_path):
    params = fresh()
    before = snapshot(params, pg)
    args = [sys.executable, "-m", "hospsim", "oltp", "stream", "--rate", "300",
            "-p", "postgres.embedded=false", "-p", f"postgres.host={pg.host}", "-p", f"postgres.port={pg.port}",
            "-p", f"postgres.user={pg.user}", "-p", f"postgres.password={pg.password}",
            "-p", f"postgres.database={pg.database}", "-p", f"oltp.schema={params.oltp.schema}",
            "-p", f"paths.logs_dir={tmp_path}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG_", "HOSPSIM_", "STREAM_", "BATCH_"))}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    log = tmp_path / "oltp_stream.log"
    while not (log.exists() and log.stat().st_size > 0) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    events = int(re.search(r"^(\d+) events in", out, re.MULTILINE).group(1))
    assert "stopped by SIGINT" in out and events > 0
    after = snapshot(params, pg)
    assert after["marked"] - before["marked"] == events
    assert sum(after["rows"].values()) - sum(before["rows"].values()) == int(re.search(r"INSERT (\d+)", out).group(1))
