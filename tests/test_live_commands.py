"""`hospsim live` as a process on the real broker: killed with SIGKILL in the middle and started again, its run's
files are the bytes of an uninterrupted live run's, and every event is in Kafka once, read by a consumer of no
group."""
from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import uuid

import pytest

from hospsim import events, live, simulate
from tests.conftest import run_files_digest, small_params
from tests.stream.conftest import cli, params_file, summary, wait_for
from tests.stream.test_timed import read_all

pytestmark = pytest.mark.services

LIVE = {"seed": 3, "simulation.population": 40_000, "simulation.warmup_days": 3, "simulation.days": 1,
        "stream.linger_ms": 5}
DAYS = 10


def live_params(tmp, bootstrap: str, name: str, pg=None, **extra):
    return small_params(tmp / name, pg, {**LIVE, "kafka.bootstrap_servers": bootstrap,
                                         "kafka.topic_prefix": f"l{uuid.uuid4().hex[:8]}", **extra})


def live_day(params) -> str | None:
    """The day the live run is on, from its checkpoint (None before it has one)."""
    found = list(params.dirs.runs_dir.glob(f"*/state/{live.CHECKPOINT}"))
    try:
        return json.loads(found[0].read_text())["day"] if found else None
    except (ValueError, KeyError):          # replaced while read
        return None


def run_live(params, path, *args: str) -> dict:
    return summary(cli(params_file(params, path), "live", "--days", str(DAYS), "--json", "--quiet", *args), 300)


def killed_and_resumed(params, path, kill_at: list[str], *args: str, into_day_s: list[float] | None = None) -> dict:
    """Start live, SIGKILL it once its checkpoint reaches each day of kill_at (and into_day_s more wall
    seconds), then let a last start finish."""
    for day, wait_s in zip(kill_at, into_day_s or [0.0] * len(kill_at)):
        proc = cli(params_file(params, path), "live", "--days", str(DAYS), "--json", "--quiet", *args)
        try:
            wait_for(lambda day=day, proc=proc: (live_day(params) or "") >= day or proc.poll() is not None, 240,
                     f"live to reach {day}", every=0.02)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait_s)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    return run_live(params, path, *args)


def expected_ids(params) -> set[str]:
    """Every event of the run's live days timed before the clock's end."""
    result = simulate.load(simulate.with_days(params, DAYS))
    replay = events.from_result(params, result)
    end = params.simulation.start_date + dt.timedelta(days=DAYS)
    return set(replay.loc[replay["event_time"] < end.isoformat(), "event_id"])


def event_ids(params, bootstrap: str) -> collections.Counter:
    type_of = {topic: kind for kind, topic in events.topics(params.kafka.topic_prefix).items()}
    return collections.Counter(events.decode(value, type_of[topic])["event_id"]
                               for topic, value in read_all(params, bootstrap))


def check_same(straight, resumed, bootstrap: str) -> None:
    assert run_files_digest(resumed) == run_files_digest(straight)
    assert len(run_files_digest(resumed)) > 6 * DAYS
    ids = event_ids(resumed, bootstrap)
    repeated = {i: n for i, n in ids.items() if n > 1}
    assert not repeated, f"{len(repeated)} event(s) in Kafka more than once"
    assert set(ids) == expected_ids(resumed) == set(event_ids(straight, bootstrap))


WALL_CLOCK = ("created_at", "updated_at")


def oltp_tables(params, pg) -> dict[str, list[tuple]]:
    """The world-mode OLTP tables, every column but the wall-clock stamps, in id order."""
    from hospsim.oltp import schema
    out = {}
    with contextlib.closing(pg.connect()) as conn, conn.cursor() as cur:
        for table in schema.TABLES:
            cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                        "AND table_name = %s ORDER BY ordinal_position", (params.oltp.schema, table))
            columns = ", ".join(c for (c,) in cur.fetchall() if c not in WALL_CLOCK)
            cur.execute(f"SELECT {columns} FROM {params.oltp.schema}.{table} ORDER BY id")
            out[table] = cur.fetchall()
    return out


def test_live_killed_in_the_middle_resumes_with_the_same_files_and_each_event_once(kafka_broker, pg, tmp_path):
    """World mode too: the OLTP tables the clock fed equal the uninterrupted run's, wall-clock stamps aside."""
    from hospsim.oltp import schema
    bootstrap = kafka_broker.bootstrap_servers
    straight, resumed = (live_params(tmp_path, bootstrap, name, pg=pg, **{"oltp.source": "world",
                                                                          "oltp.schema": f"oltp_live_{name}"})
                         for name in ("straight", "resumed"))
    for p in (straight, resumed):
        schema.drop(p, pg)
    try:
        done = run_live(straight, tmp_path / "straight.yaml", "--speed", "max")
        assert len(done["days"]) == DAYS and done["sent"]["kafka"] > 20 * DAYS and done["sent"]["oltp"] > 20 * DAYS
        middle = (straight.simulation.start_date + dt.timedelta(days=DAYS // 2)).isoformat()
        last = killed_and_resumed(resumed, tmp_path / "resumed.yaml", [middle], "--speed", "max")
        assert 0 < len(last["days"]) < DAYS
        check_same(straight, resumed, bootstrap)
        tables = oltp_tables(straight, pg)
        assert len(tables["internacoes"]) > 2 * DAYS and tables == oltp_tables(resumed, pg)
    finally:
        for p in (straight, resumed):
            schema.drop(p, pg)


@pytest.mark.faults
def test_live_on_a_paced_clock_killed_three_times_loses_and_repeats_nothing(kafka_broker, tmp_path):
    """A bigger region on a clock of a day in 3 s, so the kills fall inside days, among sends in flight."""
    bootstrap = kafka_broker.bootstrap_servers
    size = {"simulation.population": 100_000}
    straight, resumed = (live_params(tmp_path, bootstrap, name, **size) for name in ("straight", "resumed"))
    run_live(straight, tmp_path / "straight.yaml", "--speed", "max")
    start = straight.simulation.start_date
    chance = random.Random(11)
    kill_at = sorted(chance.sample(range(1, DAYS), 3))
    last = killed_and_resumed(resumed, tmp_path / "resumed.yaml",
                              [(start + dt.timedelta(days=d)).isoformat() for d in kill_at], "--speed", "28800",
                              into_day_s=[chance.uniform(0.2, 2.8) for _ in kill_at])
    assert len(last["days"]) < DAYS
    check_same(straight, resumed, bootstrap)


def test_a_bad_speed_date_or_two_ends_are_refused_naming_the_flag(capsys):
    from hospsim import cli
    for argv in (["--speed", "0"], ["--speed", "fast"], ["--days", "2", "--until", "2025-01-01"],
                 ["--until", "tomorrow"], ["--days", "0"]):
        with pytest.raises(SystemExit) as exited:
            cli.main(["live", *argv])
        assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--speed" in err and "or max" in err and "not allowed with" in err and "YYYY-MM-DD" in err
    assert "argument --days: 0 is too small" in err


def test_sigterm_ends_a_real_time_run_with_its_day_unwritten_and_resumable(tmp_path):
    params = small_params(tmp_path, None, {**LIVE, "kafka.enabled": False})
    proc = cli(params_file(params, tmp_path / "p.yaml"), "live", "--speed", "1", "--json", "--quiet")
    try:
        wait_for(lambda: live_day(params) or proc.poll() is not None, 120, "live to open its first day")
    finally:
        proc.send_signal(signal.SIGTERM)
    stopped = summary(proc, 60)
    assert stopped["stopped"] and stopped["days"] == [] and stopped["speed"] == 1.0
    assert not list((params.dirs.data_dir / "batch").glob("admissions_*.csv"))
