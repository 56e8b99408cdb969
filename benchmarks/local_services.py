"""What the benchmarks that start their own services share: a free port, a broker from the project's jars, and
both servers started under a benchmark's temporary folder."""
from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from hospsim.services import kafka
from hospsim.services.postgres import EmbeddedPostgres, PgInfo

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def broker(state: Path) -> kafka.KafkaBroker:
    """A single-node broker on free ports under `state`, from the jars in <repo>/.hospsim/jars (not started)."""
    jars = kafka.fetch_jars(kafka.jar_dir_for(PROJECT_ROOT / ".hospsim"))
    return kafka.KafkaBroker(state, jars, port=free_port(), controller_port=free_port())


@dataclass(frozen=True)
class Services:
    pg: PgInfo
    bootstrap: str
    overrides: list[str]        # params keys that point hospsim at these servers (and their folders under tmp)
    env: dict                   # the environment with PG_* naming the server


@contextlib.contextmanager
def started(tmp: Path):
    """An embedded PostgreSQL and a broker of the benchmark's own under tmp, started, stopped afterwards."""
    pg_server = EmbeddedPostgres(tmp / "state", port=free_port())
    kafka_broker = broker(tmp / "state")
    try:
        pg = pg_server.start()
        kafka_broker.start(timeout=180)
        overrides = [f"paths.state_dir={tmp / 'state'}", f"paths.runs_dir={tmp / 'runs'}", "postgres.embedded=false",
                     f"kafka.bootstrap_servers={kafka_broker.bootstrap_servers}"]
        env = {**os.environ, "PG_HOST": pg.host, "PG_PORT": str(pg.port), "PG_USER": pg.user,
               "PG_PASSWORD": pg.password, "PG_DATABASE": pg.database}
        yield Services(pg, kafka_broker.bootstrap_servers, overrides, env)
    finally:
        kafka_broker.stop(timeout=30)
        pg_server.stop()
