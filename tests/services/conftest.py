"""Session fixtures: one real Kafka broker and one Kafka Connect worker (with Debezium) for all tests here.

Free ports and a temporary state dir keep them apart from a developer's own `hospsim services up`;
the jars are shared with the project (<repo>/.hospsim/jars), so only the first run pays for Maven.
"""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from hospsim.services import kafka
from hospsim.services.errors import ServiceError

IN_CI = os.environ.get("CI", "").lower() == "true"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
JAR_DIR = kafka.jar_dir_for(PROJECT_ROOT / ".hospsim")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fail_or_skip(message: str):
    """Missing tools skip on a developer machine; in CI every problem fails, never skips."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_jars() -> Path:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if kafka.jars_ready(JAR_DIR) and missing == ["mvn"]:
        missing = []
    if missing:
        _fail_or_skip(f"{' and '.join(missing)} not found: {kafka.INSTALL_HINT}")
    try:
        return kafka.fetch_jars(JAR_DIR)
    except ServiceError as exc:
        pytest.fail(f"fetching the Kafka jars failed: {exc}")


@pytest.fixture(scope="session")
def kafka_state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kafka-state")


@pytest.fixture(scope="session")
def kafka_broker(kafka_jars, kafka_state):
    broker = kafka.KafkaBroker(kafka_state, kafka_jars, port=_free_port(), controller_port=_free_port())
    try:
        broker.start(timeout=120)
    except ServiceError as exc:
        broker.stop(timeout=10)
        pytest.fail(f"the Kafka broker did not start: {exc}")
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def connect_worker(kafka_jars, kafka_state, kafka_broker):
    worker = kafka.ConnectWorker(kafka_state, kafka_jars, rest_port=_free_port(),
                                 bootstrap_servers=kafka_broker.bootstrap_servers, offset_flush_ms=1000)
    try:
        worker.start(timeout=120)
    except ServiceError as exc:
        worker.stop(timeout=10)
        pytest.fail(f"Kafka Connect did not start: {exc}")
    yield worker
    worker.stop()
