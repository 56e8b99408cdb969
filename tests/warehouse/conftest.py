"""Warehouse fixtures: a schema of its own per test (or module), and one simulated month shared by the session."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hospsim import config
from hospsim.config import PROJECT_ROOT
from hospsim.warehouse import schema
from tests.conftest import MONTH_OVERRIDES, month, small_params  # noqa: F401 - month: a fixture


def schema_name(key: str) -> str:
    return "wh_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def warehouse_params(tmp: Path, pg, key: str, overrides: dict | None = None) -> config.Params:
    """Workshop params with outputs under tmp, the test PostgreSQL and a warehouse schema named after key."""
    return small_params(tmp, pg, {**MONTH_OVERRIDES, "warehouse.schema": schema_name(key), **(overrides or {})},
                        params_file="params/workshop.yaml")


def copy_batch(source: Path, params: config.Params, names=None) -> Path:
    """Put (some of) the month's files into params' data/batch."""
    batch = params.dirs.data_dir / "batch"
    batch.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if names is None or path.name in names:
            shutil.copy2(path, batch / path.name)
    return batch


def csv_rows(path: Path) -> int:
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


@pytest.fixture
def wh(pg, tmp_path, request):
    """Params with a warehouse schema of this test's own and a connection; the schema is dropped afterwards."""
    params = warehouse_params(tmp_path, pg, request.node.nodeid)
    conn = pg.connect()
    yield params, conn
    conn.rollback()
    schema.drop(conn, params)
    conn.close()


def ingest_process(params, pg, *args: str, **overrides) -> subprocess.Popen:
    """`python -m hospsim ingest` on params' data dir and warehouse schema, with a clean environment."""
    settings = {**MONTH_OVERRIDES, "paths.data_dir": params.dirs.data_dir, "paths.state_dir": params.dirs.state_dir,
                "postgres.embedded": "false", "postgres.host": pg.host, "postgres.port": pg.port,
                "postgres.user": pg.user, "postgres.password": pg.password, "postgres.database": pg.database,
                "warehouse.schema": params.warehouse.schema, **overrides}
    argv = [sys.executable, "-m", "hospsim", "ingest", *args, "-f", "params/workshop.yaml"]
    for key, value in settings.items():
        argv += ["-p", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG_", "HOSPSIM_", "DATABASE_URL"))}
    return subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
