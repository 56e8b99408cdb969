"""The real broker: a consumer group of two splits a keyed topic and reads each message exactly once."""
from __future__ import annotations

import json
import socket
import threading
import time
import uuid

import pytest

from hospsim.errors import ServiceError
from hospsim.services import kafka
from tests.conftest import free_port

pytestmark = pytest.mark.services

N_MESSAGES = 3000
PARTITIONS = 3


def _create_topic(bootstrap: str, name: str, partitions: int) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-admin")
    try:
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()


class _Member(threading.Thread):
    """One group member polling in its own thread (KafkaConsumer is not thread-safe)."""

    def __init__(self, bootstrap: str, topic: str, group: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.group, self.stop = bootstrap, topic, group, stop
        self.ids: list[int] = []
        self.assigned: set[int] = set()
        self.current: set[int] = set()
        self.error: BaseException | None = None

    def run(self) -> None:
        from kafka import KafkaConsumer
        try:
            consumer = KafkaConsumer(self.topic, bootstrap_servers=self.bootstrap, group_id=self.group,
                                     auto_offset_reset="earliest", enable_auto_commit=True,
                                     auto_commit_interval_ms=200, client_id=f"{self.group}-{self.name}")
            try:
                while not self.stop.is_set():
                    for records in consumer.poll(timeout_ms=200).values():
                        self.ids.extend(json.loads(r.value)["id"] for r in records)
                    self.current = {tp.partition for tp in consumer.assignment()}
                    self.assigned |= self.current
            finally:
                consumer.close()
        except Exception as exc:  # noqa: BLE001 - re-raised by the test thread
            self.error = exc


def test_broker_status_and_reuse(kafka_broker):
    status = kafka_broker.status()
    assert status["running"] and status["kind"] == "embedded" and status["pid"]
    again = kafka.KafkaBroker(kafka_broker.home.parent, kafka_broker.jar_dir, kafka_broker.port,
                              kafka_broker.controller_port)
    assert again.start(timeout=30)["reused"] is True
    assert again.pid() == kafka_broker.pid()


def test_consumer_group_reads_every_message_once(kafka_broker):
    from kafka import KafkaProducer

    bootstrap = kafka_broker.bootstrap_servers
    topic = f"test-group-{uuid.uuid4().hex[:8]}"
    group = f"grp-{uuid.uuid4().hex[:8]}"
    _create_topic(bootstrap, topic, PARTITIONS)

    stop = threading.Event()
    members = [_Member(bootstrap, topic, group, stop) for _ in range(2)]
    for m in members:
        m.start()
    try:
        # produce only once the group is stable with both members, so no rebalance can replay a record
        deadline = time.monotonic() + 60
        while not (all(m.current for m in members)
                   and sorted(p for m in members for p in m.current) == list(range(PARTITIONS))):
            assert all(m.error is None for m in members), [m.error for m in members]
            assert time.monotonic() < deadline, f"group never split: {[m.current for m in members]}"
            time.sleep(0.1)

        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        for i in range(N_MESSAGES):
            producer.send(topic, key=f"patient-{i % 500}".encode(),
                          value=json.dumps({"id": i, "kind": "admission"}).encode())
        producer.flush(timeout=60)
        producer.close()

        deadline = time.monotonic() + 60
        while sum(len(m.ids) for m in members) < N_MESSAGES and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # a duplicate delivery would show up here
    finally:
        stop.set()
        for m in members:
            m.join(timeout=30)

    assert all(m.error is None for m in members), [m.error for m in members]
    got = [i for m in members for i in m.ids]
    assert len(got) == len(set(got)), f"{len(got) - len(set(got))} duplicates"
    assert set(got) == set(range(N_MESSAGES))
    assert all(m.ids for m in members), [len(m.ids) for m in members]
    assert all(m.assigned for m in members)
    assert members[0].current.isdisjoint(members[1].current)


def test_missing_tools_are_named_with_the_fix(tmp_path):
    for kwargs, what in (({"mvn": "no-such-mvn"}, "no-such-mvn"), ({"java": "no-such-java"}, "no-such-java")):
        with pytest.raises(ServiceError) as info:
            kafka.fetch_jars(tmp_path / "jars", **kwargs)
        message = str(info.value)
        assert what in message and "apt-get install openjdk-17-jdk-headless maven" in message
        assert "docker compose up -d kafka connect" in message


def test_taken_controller_port_is_explained(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        broker = kafka.KafkaBroker(tmp_path, tmp_path / "jars", port=free_port(), controller_port=taken)
        with pytest.raises(ServiceError, match=f"127.0.0.1:{taken} is already taken"):
            broker.start(timeout=10)
    assert not broker.status()["running"]


def test_a_jvm_that_dies_while_starting_reports_its_log(kafka_jars, tmp_path):
    worker = kafka.ConnectWorker(tmp_path, kafka_jars, rest_port=free_port(), jvm_flags=("-XX:+NoSuchOption",))
    with pytest.raises(ServiceError, match="exited while starting") as info:
        worker.start(timeout=30)
    assert "NoSuchOption" in str(info.value)
    assert worker.pid() is None and not worker.pid_file.exists()


