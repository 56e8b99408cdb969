"""Stream fixtures: the real broker from tests/services, a fresh PostgreSQL database per test, one small replay.

Each test gets its own database on the session's PostgreSQL server, its own topic prefix and consumer group
and its own data folder, so tests on the shared broker never see each other's events.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from hospsim import config
from hospsim.services.postgres import PgInfo
from tests.conftest import small_params

PROJECT_ROOT = Path(__file__).resolve().parents[2]

SIM = {"seed": 7, "simulation.population": 100_000, "simulation.days": 10, "simulation.warmup_days": 3}
"""About 1,500 events over three hospitals: enough to cross many file ranges, quick to simulate."""


@pytest.fixture
def new_db(pg, pg_admin):
    """Make databases of their own on the session server (by the admin role, owned by the app role); all dropped
    afterwards."""
    made = []

    def make() -> PgInfo:
        name = f"stream_{uuid.uuid4().hex[:10]}"
        with closing(pg_admin.connect()) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}" OWNER "{pg.user}"')
        made.append(name)
        return PgInfo(pg.host, pg.port, pg.user, pg.password, name)
    yield make
    with closing(pg_admin.connect()) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in made:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stream_db(new_db) -> PgInfo:
    return new_db()


def stream_overrides(tmp: Path, pg_info: PgInfo, bootstrap: str | None, **extra) -> dict:
    tag = uuid.uuid4().hex[:8]
    over = {**SIM, "kafka.topic_prefix": f"t{tag}", "stream.group_id": f"g{tag}", "stream.file_events": 100,
            "stream.processor_batch_size": 200, "stream.commit_interval_s": 0.5, "stream.linger_ms": 5}
    if bootstrap:
        over["kafka.bootstrap_servers"] = bootstrap
    else:
        over["kafka.enabled"] = False
    return {**over, **extra}


@pytest.fixture
def make_params(tmp_path, stream_db, sim_run):
    """Params of a test's own folders and database, holding a copy of the session's run (hard links)."""
    def make(bootstrap: str | None, sub: str = "run", db: PgInfo | None = None, **extra) -> config.Params:
        db = db or stream_db
        params = small_params(tmp_path / sub, db, stream_overrides(tmp_path, db, bootstrap, **extra))
        target = params.dirs.runs_dir / sim_run.name
        if not target.exists():
            shutil.copytree(sim_run, target, copy_function=os.link)
        return params
    return make


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory) -> Path:
    """The run every stream test streams (a function of SIM only, so one per session): its folder."""
    from hospsim import simulate
    params = small_params(tmp_path_factory.mktemp("replay"), None, dict(SIM))
    return simulate.run(params, progress=False).run.folder


@pytest.fixture(scope="session")
def replay(sim_run):
    """The run's events, as every stream test sends them."""
    from hospsim import stream
    params = small_params(sim_run.parent.parent, None, dict(SIM))
    return stream.replay(params)


# --------------------------------------------------------------------------- helpers

def params_file(params: config.Params, path: Path) -> Path:
    """The params as a YAML file, for `python -m hospsim ... -f file` in a subprocess."""
    path.write_text(yaml.safe_dump(params.to_dict(), allow_unicode=True, sort_keys=False))
    return path


def cli(params_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hospsim", *args, "-f", str(params_path)], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())})


def summary(proc: subprocess.Popen, timeout: float = 120) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{out}\nstderr:\n{err[-4000:]}"
    return json.loads(out.strip().splitlines()[-1])


def table_ids(pg_info: PgInfo) -> dict[str, list[str]]:
    from hospsim import events
    out = {}
    with closing(pg_info.connect()) as conn, conn.cursor() as cur:
        for event_type, table in events.TABLES.items():
            cur.execute(f"SELECT event_id::text FROM stream.{table}")
            out[event_type] = [row[0] for row in cur.fetchall()]
    return out


def table_rows(pg_info: PgInfo, wall_columns=("produced_at", "processed_at")) -> dict[str, list[tuple]]:
    """Every row of every stream table minus the wall-clock columns, sorted."""
    from hospsim import events
    from hospsim.stream.tables import table_columns
    out = {}
    with closing(pg_info.connect()) as conn, conn.cursor() as cur:
        for event_type, table in events.TABLES.items():
            cols = [c for c in table_columns(event_type) if c not in wall_columns]
            cur.execute(f"SELECT {', '.join(cols)} FROM stream.{table} ORDER BY event_id")
            out[event_type] = cur.fetchall()
    return out


def file_lines(params: config.Params) -> dict[str, list[dict]]:
    """topic/date/file -> events (JSON) in file order, _rejected excluded."""
    root = params.dirs.data_dir / "stream"
    out = {}
    for path in sorted(root.glob("*/*/*.jsonl")):
        out[str(path.relative_to(root))] = [json.loads(line) for line in path.read_bytes().splitlines()]
    return out


def file_ids(params: config.Params) -> list[str]:
    return [e["event_id"] for lines in file_lines(params).values() for e in lines]


def group_lag(params: config.Params) -> int | None:
    """Offsets the group has not committed yet over every event partition, as `hospsim stream metrics` shows
    them (None while the broker does not answer). Rows in the tables do not say a processor caught up: after
    a kill -9 they may be the dead one's, whose lines its successor files only when it replays them."""
    from hospsim.stream import metrics
    try:
        frame = metrics.lag(params, params.kafka.bootstrap_servers)
    except Exception:  # noqa: BLE001 - not answering yet
        return None
    return int(frame["lag"].sum()) if len(frame) else None


def wait_for(predicate, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def count_rows(pg_info: PgInfo) -> int:
    try:
        return sum(len(v) for v in table_ids(pg_info).values())
    except Exception:  # noqa: BLE001 - the schema is not there yet
        return 0
