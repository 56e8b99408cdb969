"""The stream under faults: brokers killed, processors killed and stopped, members joining, PostgreSQL
restarted. Each case compares the event ids sent with the ids in the sink (tables and files): 0 lost,
0 duplicated, and no process hung or crashed.

Marked `faults` (run by `make test-faults`, i.e. `pytest -m faults`), except the one-kill case, the quick
slice of the default run. Broker and PostgreSQL of their own (free ports, own folders): killing them
disturbs no other test. Each case prints one `FAULT |` row of the matrix (pytest -s shows them).
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hospsim.services import kafka
from hospsim.stream import producer, topics
from tests.conftest import own_embedded_postgres, own_kafka_broker
from tests.stream.conftest import cli, count_rows, file_ids, group_lag, params_file, summary, table_ids, wait_for
from tests.stream.test_processor import _wait_members

# --------------------------------------------------------------------------- servers of their own


@pytest.fixture(scope="module")
def own_broker(kafka_jars, tmp_path_factory):
    yield from own_kafka_broker(tmp_path_factory.mktemp("fault-broker"), kafka_jars, "the fault suite's Kafka broker")


@pytest.fixture
def broker(own_broker):
    """The module's broker, up at the start and the end of each test (a failed test may leave it down)."""
    own_broker.start(timeout=120)
    yield own_broker
    own_broker.start(timeout=120)


@pytest.fixture(scope="module")
def own_pg():
    yield from own_embedded_postgres("hospsim-fault-pg-", "the fault suite's PostgreSQL")


def kill_broker(broker: kafka.KafkaBroker) -> None:
    pid = broker.pid()
    assert pid is not None, "the broker is running"
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: broker.pid() is None, 30, "the killed broker to be gone")


# --------------------------------------------------------------------------- the tally


def tally(case: str, runs: int, sent: set[str], pg_info, params, *, accepted: set[str] | None = None) -> None:
    """Compare the ids sent with the sink's: every sent id in a table and a file, none twice, nothing else."""
    stored = [i for ids in table_ids(pg_info).values() for i in ids]
    filed = file_ids(params)
    landed = set(stored)
    lost = len(sent - landed)
    duplicated = (len(stored) - len(landed)) + (len(filed) - len(set(filed)))
    print(f"\nFAULT | {case} | {runs} | {len(sent)} | {len(landed & sent)} | {lost} | {duplicated}")
    assert lost == 0, f"{lost} sent events never landed"
    assert duplicated == 0, f"{duplicated} rows or lines twice"
    assert set(filed) == landed, "tables and files hold the same events"
    assert landed <= (accepted if accepted is not None else sent), "nothing landed that was not sent"


def _run(target, outcome: dict, name: str):
    def body():
        try:
            outcome[name] = target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            outcome[f"{name}_error"] = exc
    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


def _until(proc: subprocess.Popen, predicate, timeout: float, what: str) -> None:
    """wait_for, telling why when the process it waits on died meanwhile."""
    try:
        wait_for(lambda: predicate() or proc.poll() is not None, timeout, what)
    finally:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"exit {proc.returncode} while waiting for {what}\n{out[-2000:]}\n{err[-4000:]}")


def _stop(proc: subprocess.Popen, timeout: float = 60) -> dict:
    proc.send_signal(signal.SIGTERM)
    return summary(proc, timeout=timeout)


# --------------------------------------------------------------------------- the broker


@pytest.mark.faults
@pytest.mark.services
def test_broker_killed_briefly_mid_produce(broker, make_params, stream_db, replay, tmp_path):
    """kill -9 while the producer sends, back ~3 s later: the producer retries, nothing is reported failed."""
    bootstrap = broker.bootstrap_servers
    params = make_params(bootstrap, **{"stream.events_per_second": 400})
    topics.ensure(params, bootstrap)
    outcome: dict = {}
    sending = _run(lambda: producer.produce(params, replay, bootstrap, mode="rate"), outcome, "report")
    time.sleep(len(replay) / 400 / 4)             # a quarter of the way
    kill_broker(broker)
    time.sleep(3)
    broker.start(timeout=120)
    sending.join(timeout=300)
    assert not sending.is_alive(), "the producer hung"
    assert "report_error" not in outcome, repr(outcome.get("report_error"))
    assert outcome["report"].failed == 0 and outcome["report"].sent == len(replay)
    proc = cli(params_file(params, tmp_path / "p.yaml"), "stream", "process", "--idle", "5", "--json")
    done = summary(proc, timeout=300)
    assert done["consumed"] >= len(replay)
    tally("broker kill -9 mid-produce, 3 s", 1, set(replay["event_id"]), stream_db, params)


@pytest.mark.faults
@pytest.mark.services
def test_broker_down_longer_than_the_delivery_timeout(broker, make_params, stream_db, replay, tmp_path):
    """The producer gives up after delivery_timeout_ms: exit 1, the undelivered ids in a file; sent again
    once the broker is back, every event lands once."""
    bootstrap = broker.bootstrap_servers
    params = make_params(bootstrap, **{"stream.events_per_second": 300, "stream.delivery_timeout_ms": 30_010,
                                       "stream.linger_ms": 5})
    topics.ensure(params, bootstrap)
    path = params_file(params, tmp_path / "p.yaml")
    proc = cli(path, "stream", "produce", "--mode", "rate", "--json")
    _until(proc, lambda: _end_offsets(params, bootstrap) >= 200, 120, "200 events on the broker")
    kill_broker(broker)
    try:
        _out, err = proc.communicate(timeout=params.stream.delivery_timeout_ms / 1000 + 90)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the producer hung with the broker down")
    assert proc.returncode == 1, f"exit {proc.returncode}\n{err[-3000:]}"
    assert "not delivered within stream.delivery_timeout_ms = 30010 ms" in err
    listed = Path(err.split("their ids are in ")[1].split(". ")[0])
    undelivered = set(listed.read_text().split())
    assert undelivered and undelivered < set(replay["event_id"])
    delivered = set(replay["event_id"]) - undelivered
    broker.start(timeout=120)
    first = summary(cli(path, "stream", "process", "--idle", "5", "--json"), timeout=300)
    assert first["rejected"] == 0
    tally("broker down > delivery timeout: the ones reported delivered", 1, delivered, stream_db, params,
          accepted=set(replay["event_id"]))
    again = summary(cli(path, "stream", "produce", "--json"), timeout=300)   # produced again, in full
    assert again["failed"] == 0
    summary(cli(path, "stream", "process", "--idle", "5", "--json"), timeout=300)
    tally("broker down > delivery timeout, produced again", 1, set(replay["event_id"]), stream_db, params)


def _end_offsets(params, bootstrap: str) -> int:
    from kafka import KafkaConsumer
    from kafka.structs import TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(t, p) for t in topics.names(params).values() for p in range(params.kafka.partitions)]
        return sum(consumer.end_offsets(tps).values())
    except Exception:  # noqa: BLE001 - not answering yet
        return 0
    finally:
        consumer.close()


@pytest.mark.faults
@pytest.mark.services
def test_a_producer_waiting_on_a_dead_broker_stops_on_sigterm(broker, make_params, replay, tmp_path):
    """With the broker gone and the default 120 s delivery timeout, SIGTERM still ends it at once: exit
    non-zero, the events it could not deliver named."""
    bootstrap = broker.bootstrap_servers
    params = make_params(bootstrap, **{"stream.events_per_second": 300})
    topics.ensure(params, bootstrap)
    proc = cli(params_file(params, tmp_path / "p.yaml"), "stream", "produce", "--mode", "rate", "--json")
    _until(proc, lambda: _end_offsets(params, bootstrap) >= 150, 120, "150 events on the broker")
    kill_broker(broker)
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=30)   # a bound on a hang, not a measurement
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("SIGTERM did not stop a producer waiting on a dead broker")
    assert proc.returncode in (1, 130), err[-2000:]
    assert "not delivered" in err or "stopped by a signal" in err


class _Scene:
    """Processors (the CLI) in their group while the replay is produced at a pace, and the waits around them."""

    def __init__(self, params, replay, db, tmp_path):
        self.params, self.replay, self.db = params, replay, db
        self.bootstrap = params.kafka.bootstrap_servers
        topics.ensure(params, self.bootstrap)
        self.path = params_file(params, tmp_path / "p.yaml")
        self.outcome: dict = {}
        self.sending: threading.Thread | None = None

    def member(self, *args: str, members: int = 1) -> subprocess.Popen:
        proc = cli(self.path, "stream", "process", "--json", *args)
        _wait_members(self.bootstrap, self.params.stream.group_id, members)
        return proc

    def produce(self) -> None:
        self.sending = _run(lambda: producer.produce(self.params, self.replay, self.bootstrap, mode="rate"),
                            self.outcome, "report")

    def stored(self, share: float, what: str) -> None:
        wait_for(lambda: count_rows(self.db) >= len(self.replay) * share, 180, what)

    def produced(self) -> None:
        self.sending.join(timeout=300)
        assert not self.sending.is_alive(), "the producer hung"
        assert "report_error" not in self.outcome, repr(self.outcome.get("report_error"))
        assert self.outcome["report"].failed == 0

    def settled(self) -> None:
        """Every event stored, and the group caught up: every offset committed, so every line is filed (rows
        alone may be a killed processor's, not filed until its successor replays them)."""
        self.stored(1, "every event stored")
        wait_for(lambda: group_lag(self.params) == 0, 180, "the group's offsets committed to the end")

    def tally(self, case: str) -> None:
        tally(case, 1, set(self.replay["event_id"]), self.db, self.params)


def _alive(proc: subprocess.Popen, why: str) -> None:
    assert proc.poll() is None, f"the processor exited {why}:\n{proc.stderr.read()[-3000:]}"


@pytest.mark.faults
@pytest.mark.services
def test_broker_killed_under_a_running_processor(broker, make_params, stream_db, replay, tmp_path):
    """KafkaConnectionError mid-poll: the processor process waits it out and goes on."""
    scene = _Scene(make_params(broker.bootstrap_servers, **{"stream.events_per_second": 400}), replay, stream_db,
                   tmp_path)
    proc = scene.member()
    scene.produce()
    scene.stored(1 / 4, "a quarter stored")
    kill_broker(broker)
    time.sleep(3)
    _alive(proc, "with the broker away")
    broker.start(timeout=120)
    scene.produced()
    scene.settled()
    _stop(proc)
    scene.tally("broker kill -9 under the processor")


# --------------------------------------------------------------------------- the processor (on the shared broker: it stays up)


SMALL_BATCHES = {"stream.processor_batch_size": 60, "stream.events_per_second": 300}


@pytest.mark.services
@pytest.mark.parametrize("kills", [1, pytest.param(3, marks=pytest.mark.faults)])
def test_processor_killed_mid_stream(kafka_broker, make_params, stream_db, replay, tmp_path, kills):
    scene = _Scene(make_params(kafka_broker.bootstrap_servers, **SMALL_BATCHES), replay, stream_db, tmp_path)
    proc = scene.member()
    scene.produce()
    for k in range(kills):
        scene.stored((k + 1) / (kills + 2), "more stored")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        proc = cli(scene.path, "stream", "process", "--json")
    scene.produced()
    scene.settled()
    _stop(proc)
    scene.tally(f"processor kill -9 x{kills}")


@pytest.mark.faults
@pytest.mark.services
def test_processor_sigterm_mid_stream_then_resumed(kafka_broker, make_params, stream_db, replay, tmp_path):
    scene = _Scene(make_params(kafka_broker.bootstrap_servers, **SMALL_BATCHES), replay, stream_db, tmp_path)
    proc = scene.member()
    scene.produce()
    scene.stored(1 / 3, "a third stored")
    first = _stop(proc)
    assert 0 < first["consumed"] < len(replay), "stopped mid-stream"
    scene.produced()
    second = summary(cli(scene.path, "stream", "process", "--idle", "5", "--json"), timeout=300)
    assert first["consumed"] + second["consumed"] == len(replay), "SIGTERM committed what it had stored"
    scene.tally("processor SIGTERM mid-stream, resumed")


@pytest.mark.faults
@pytest.mark.services
def test_a_member_joining_mid_stream(kafka_broker, make_params, stream_db, replay, tmp_path):
    """The second member's schema check takes no lock from the first; the rebalance loses nothing. (A slow
    pace, so the stream is still on when the second member has started and joined.)"""
    slow = {**SMALL_BATCHES, "stream.events_per_second": 80}
    scene = _Scene(make_params(kafka_broker.bootstrap_servers, **slow), replay, stream_db, tmp_path)
    a = scene.member("--instance", "a")
    scene.produce()
    scene.stored(1 / 5, "a fifth stored")
    b = scene.member("--instance", "b", members=2)
    scene.produced()
    scene.settled()
    first, second = _stop(a), _stop(b)
    assert first["consumed"] > 0 and second["consumed"] > 0, "both members took part"
    scene.tally("a member joining mid-stream")


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.faults
@pytest.mark.services
def test_postgresql_restarted_under_the_processor(broker, own_pg, make_params, replay, tmp_path):
    import uuid
    from contextlib import closing
    app, admin = own_pg.info, own_pg.admin_info      # the app role may not create databases: the admin does
    name = f"fault_{uuid.uuid4().hex[:8]}"
    with closing(admin.connect()) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}" OWNER "{app.user}"')
    db = type(app)(app.host, app.port, app.user, app.password, name)
    scene = _Scene(make_params(broker.bootstrap_servers, db=db, **SMALL_BATCHES), replay, db, tmp_path)
    proc = scene.member()
    scene.produce()
    scene.stored(1 / 4, "a quarter stored")
    assert own_pg.stop() is True
    time.sleep(3)
    _alive(proc, "with PostgreSQL away")
    own_pg.start()
    scene.produced()
    scene.settled()
    _stop(proc)
    scene.tally("PostgreSQL restart under the processor")
