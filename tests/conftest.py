"""Shared fixtures: a real embedded PostgreSQL per test session, and small isolated Params."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from hospsim import config
from hospsim.errors import ServiceError
from hospsim.services import kafka
from hospsim.services.postgres import EmbeddedPostgres, PgInfo

IN_CI = os.environ.get("CI", "").lower() == "true"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
JAR_DIR = kafka.jar_dir_for(PROJECT_ROOT / ".hospsim")
"""The jars are shared with the project's own .hospsim/, so only the first run pays for Maven."""


def service_unavailable(what: str, exc: BaseException):
    """Outside CI a missing service skips; in CI it fails, never skips."""
    service_unavailable_message(f"{what} could not start: {exc}")


def service_unavailable_message(message: str):
    """Missing tools skip on a developer machine; in CI every problem fails, never skips."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_embedded_postgres(prefix: str, what: str):
    """A started embedded PostgreSQL of a fixture's own, in a folder outside pytest's basetemp (which a concurrent
    pytest may clean or chmod to 0700 under it, locking the server's user out between a stop and a start);
    stopped and removed afterwards. Use as `yield from own_embedded_postgres(...)` in a fixture."""
    state = Path(tempfile.mkdtemp(prefix=prefix))
    server = EmbeddedPostgres(state, port=free_port())
    try:
        server.start()
    except ServiceError as exc:
        shutil.rmtree(state, ignore_errors=True)
        service_unavailable(what, exc)
    yield server
    server.stop()
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> EmbeddedPostgres:
    yield from own_embedded_postgres("hospsim-test-pg-", "embedded PostgreSQL")


@pytest.fixture(scope="session")
def pg(pg_server) -> PgInfo:
    return pg_server.info


@pytest.fixture(scope="session")
def pg_admin(pg_server) -> PgInfo:
    """The server's admin role, for what the app role (not a superuser) may not do, such as CREATE DATABASE."""
    return pg_server.admin_info


def own_database(pg: PgInfo, pg_admin: PgInfo, name: str) -> PgInfo:
    """A fresh database `name` owned by the app role (one a previous run left is dropped first)."""
    with closing(pg_admin.connect()) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cur.execute(f'CREATE DATABASE {name} OWNER "{pg.user}"')
    return PgInfo(pg.host, pg.port, pg.user, pg.password, name)


def hospsim_cli(env: dict, *args: str) -> str:
    """`python -m hospsim ARGS` in a process of its own (environment `env`): its stdout; a failure shows stderr."""
    done = subprocess.run([sys.executable, "-m", "hospsim", *args], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    assert done.returncode == 0, f"hospsim {' '.join(args)}: exit {done.returncode}\n{done.stderr[-3000:]}"
    return done.stdout


def small_params(tmp: Path, pg_info: PgInfo | None = None, overrides: dict | None = None,
                 params_file: str | None = None) -> config.Params:
    """Params for a test: outputs under tmp, no environment, an optional running PostgreSQL."""
    base = {"paths.data_dir": str(tmp / "data"), "paths.runs_dir": str(tmp / "runs"),
            "paths.state_dir": str(tmp / "state"), "paths.logs_dir": str(tmp / "logs")}
    if pg_info is not None:
        base |= {"postgres.embedded": False, "postgres.host": pg_info.host, "postgres.port": pg_info.port,
                 "postgres.user": pg_info.user, "postgres.password": pg_info.password,
                 "postgres.database": pg_info.database}
    return config.load(params_file, {**base, **(overrides or {})}, environ={}, dotenv=tmp / "no.env")


MONTH_OVERRIDES = {
    # Two small hospitals, 15k people, 31 days across a quarter boundary (staff events happen on April 1).
    "simulation.population": 15_000, "simulation.start_date": "2025-03-15", "simulation.days": 31,
    "workforce.annual_resignation_rate": 0.3,     # ~7% of the staff leave on April 1: events, whatever the draw
}


@pytest.fixture(scope="session")
def month(tmp_path_factory):
    """A real simulated month (simulate.run) written once: (params, result, folder with the batch files)."""
    from hospsim import simulate
    tmp = tmp_path_factory.mktemp("month")
    params = small_params(tmp, None, MONTH_OVERRIDES, params_file="params/workshop.yaml")
    result = simulate.run(params, progress=False)
    return params, result, params.dirs.data_dir / "batch"


@pytest.fixture
def params_factory(tmp_path):
    def make(overrides: dict | None = None, *, pg_info: PgInfo | None = None, params_file: str | None = None):
        return small_params(tmp_path, pg_info, overrides, params_file)
    return make


# --------------------------------------------------------------------------- the course, executed

COURSE_SIZE = {"seed": 11, "simulation": {"population": 8000, "days": 21, "warmup_days": 7},
               "oltp": {"stream": {"max_events": 800}}}


def course_overlay(tmp: Path, pg_info: PgInfo, bootstrap: str | None, connect_url: str | None = None,
                   **sections) -> Path:
    """A params overlay that extends workshop.yaml: the course's size, folders under tmp and the test services
    (with a Connect worker, 04 registers Debezium on it)."""
    tree = {"extends": "workshop.yaml", **COURSE_SIZE,
            "paths": {"data_dir": str(tmp / "data"), "runs_dir": str(tmp / "runs"), "state_dir": str(tmp / "state"),
                      "logs_dir": str(tmp / "logs")},
            "postgres": {"embedded": False, "host": pg_info.host, "port": pg_info.port, "user": pg_info.user,
                         "password": pg_info.password, "database": pg_info.database},
            "kafka": ({"bootstrap_servers": bootstrap, "topic_prefix": "course", "connect_url": connect_url}
                      if bootstrap else {"enabled": False})}
    tree["oltp"] = {**tree["oltp"], "schema": "oltp_course", "publication": "course_pub", "slot": "course_slot",
                    "connector_name": "course-oltp", "topic_prefix": "course_cdc",
                    "seed": {"pacientes": 300, "medicos": 20, "convenios": 5, "pacientes_convenios": 300,
                             "consultas": 400, "exames": 300, "internacoes": 100}}
    for section, values in sections.items():
        tree[section] = {**tree.get(section, {}), **values} if isinstance(values, dict) else values
    path = tmp / "course.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True))
    return path


def run_files_digest(params: config.Params) -> dict[str, str]:
    """sha256 of every file of the run and of the landing folders, by folder/name."""
    import hashlib
    folders = [p for p in params.dirs.runs_dir.glob("*/files")] + [params.dirs.data_dir / f for f in ("batch", "processed")]
    return {f"{f.parent.name}/{f.name}": hashlib.sha256(f.read_bytes()).hexdigest()
            for folder in folders if folder.is_dir() for f in sorted(folder.glob("*.csv"))}


@pytest.fixture(scope="session")
def course(tmp_path_factory, pg, kafka_broker, connect_worker):
    """The six notebooks run with papermill itself, in order, each given only a params overlay that extends
    workshop.yaml, on the real services: (Params, pipeline.RunResult, what the run looked like after 01)."""
    import time
    from types import SimpleNamespace

    import papermill as pm

    from hospsim import pipeline
    from hospsim import run as runs
    tmp = tmp_path_factory.mktemp("course")
    overlay = course_overlay(tmp, pg, kafka_broker.bootstrap_servers, connect_worker.url)
    params = config.load(overlay, environ={}, dotenv=tmp / "no.env")
    result = pipeline.RunResult(pipeline.new_run_dir(params, overlay))
    after_01 = None
    for book in pipeline.course_notebooks():
        output = result.run_dir / book.name
        started = time.monotonic()
        pm.execute_notebook(str(book), str(output), parameters={"params_file": str(overlay), "interactive": False},
                            cwd=str(PROJECT_ROOT), kernel_name="python3", progress_bar=False)
        result.seconds[book.stem] = time.monotonic() - started
        result.notebooks.append(output)
        if book.stem == "01_daily_loop":
            after_01 = SimpleNamespace(files=run_files_digest(params), manifest=runs.open_run(params).manifest)
    result.report = pipeline.write_report(result)
    return params, result, after_01


# --------------------------------------------------------------------------- Kafka and Kafka Connect

@pytest.fixture(scope="session")
def kafka_jars() -> Path:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if kafka.jars_ready(JAR_DIR) and missing == ["mvn"]:
        missing = []
    if missing:
        service_unavailable_message(f"{' and '.join(missing)} not found: {kafka.INSTALL_HINT}")
    try:
        return kafka.fetch_jars(JAR_DIR)
    except ServiceError as exc:
        pytest.fail(f"fetching the Kafka jars failed: {exc}")


@pytest.fixture(scope="session")
def kafka_state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kafka-state")


def own_kafka_broker(state: Path, jars: Path, what: str):
    """A started single-node broker of a fixture's own on free ports, stopped afterwards; a broker that cannot
    start fails the test (the jars are there: Java is). Use as `yield from own_kafka_broker(...)`."""
    broker = kafka.KafkaBroker(state, jars, port=free_port(), controller_port=free_port())
    try:
        broker.start(timeout=120)
    except ServiceError as exc:
        broker.stop(timeout=10)
        pytest.fail(f"{what} did not start: {exc}")
    yield broker
    broker.stop(timeout=20)


@pytest.fixture(scope="session")
def kafka_broker(kafka_jars, kafka_state):
    yield from own_kafka_broker(kafka_state, kafka_jars, "the Kafka broker")


@pytest.fixture(scope="session")
def connect_worker(kafka_jars, kafka_state, kafka_broker):
    worker = kafka.ConnectWorker(kafka_state, kafka_jars, rest_port=free_port(),
                                 bootstrap_servers=kafka_broker.bootstrap_servers, offset_flush_ms=1000)
    try:
        worker.start(timeout=120)
    except ServiceError as exc:
        worker.stop(timeout=10)
        pytest.fail(f"Kafka Connect did not start: {exc}")
    yield worker
    worker.stop()
