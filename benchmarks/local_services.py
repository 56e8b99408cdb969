"""What the benchmarks that start their own services share: a free port and a broker from the project's jars."""
from __future__ import annotations

import socket
from pathlib import Path

from hospsim.services import kafka

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def broker(state: Path) -> kafka.KafkaBroker:
    """A single-node broker on free ports under `state`, from the jars in <repo>/.hospsim/jars (not started)."""
    jars = kafka.fetch_jars(kafka.jar_dir_for(PROJECT_ROOT / ".hospsim"))
    return kafka.KafkaBroker(state, jars, port=free_port(), controller_port=free_port())
