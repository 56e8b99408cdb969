"""The producer: pacing modes, keys and order per hospital, every delivery checked."""
from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from hospsim.stream import producer, topics
from hospsim.stream.errors import DeliveryError


def test_schedules_for_each_mode(make_params, replay):
    params = make_params(None, **{"stream.events_per_second": 250, "stream.speed": 3600})
    assert producer.pacer(params, replay["event_time"], "asap").due is None
    due = producer.pacer(params, replay["event_time"], "rate").due
    assert due[0] == 0 and due[250] == pytest.approx(1.0) and np.all(np.diff(due) > 0)
    real = producer.pacer(params, replay["event_time"], "realtime").due
    span = (replay["event_time"].iloc[-1] - replay["event_time"].iloc[0]).total_seconds()
    assert real[-1] == pytest.approx(span / 3600) and np.all(np.diff(real) >= 0)


def test_an_unavailable_codec_is_named_with_its_package(make_params):
    from kafka import codec
    if codec.has_lz4():
        pytest.skip("lz4 is installed here")
    with pytest.raises(ValueError, match="compression_type = lz4: kafka-python needs the pip package lz4"):
        producer.check_compression(make_params(None, **{"stream.compression_type": "lz4"}))


class _Future:
    def __init__(self, error=None):
        self.is_done, self.exception = True, error

    def failed(self):
        return self.exception is not None


class _FlakyProducer:
    """Every third delivery fails after the client's retries; the tenth send raises (buffer full)."""

    def __init__(self, raise_at: int | None = None):
        self.calls, self.raise_at, self.flushed = 0, raise_at, False

    def send(self, topic, value, key, partition, timestamp_ms):
        self.calls += 1
        if self.calls == self.raise_at:
            raise TimeoutError("buffer full")
        return _Future(RuntimeError("NotLeaderForPartition after 10 retries") if self.calls % 3 == 0 else None)

    def flush(self, timeout=None):
        self.flushed = True


@pytest.mark.services
def test_failed_deliveries_are_reported_never_dropped(kafka_broker, make_params, replay):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap)
    flaky = _FlakyProducer()
    report = producer.produce(params, replay.iloc[:30], bootstrap, producer=flaky, raise_on_failure=False)
    assert flaky.flushed and report.failed == 10 and report.sent == 20
    assert [e for e, _ in report.errors] == list(replay["event_id"].iloc[2:30:3])
    with pytest.raises(DeliveryError, match=r"10 of 30 events were not delivered.*NotLeaderForPartition"):
        producer.produce(params, replay.iloc[:30], bootstrap, producer=_FlakyProducer())
    with pytest.raises(DeliveryError, match="buffer full"):
        producer.produce(params, replay.iloc[:30], bootstrap, producer=_FlakyProducer(raise_at=10))


@pytest.mark.services
def test_keys_partitions_and_order_per_hospital_on_the_broker(kafka_broker, make_params, replay):
    from kafka import KafkaConsumer
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap, **{"stream.compression_type": "gzip"})
    report = producer.produce(params, replay, bootstrap)
    assert report.sent == len(replay) and sum(report.per_topic.values()) == len(replay)
    assert report.timeline["produced"].sum() == len(replay)
    consumer = KafkaConsumer(*topics.names(params).values(), bootstrap_servers=bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000)
    got = [(m.topic, m.partition, m.offset, m.key.decode(), json.loads(m.value), m.timestamp) for m in consumer]
    consumer.close()
    assert len(got) == len(replay)
    for topic, partition, _, key, event, timestamp in got:
        assert key == event["hospital_id"] and partition == topics.partition_of(params, key)
        stamp = pd.Timestamp(event["produced_at"]).value // 1_000_000
        assert stamp == timestamp, "produced_at is the record's timestamp"
    order = {eid: i for i, eid in enumerate(replay["event_id"])}
    for (topic, partition), part in pd.DataFrame(got, columns=["t", "p", "o", "k", "e", "ts"]).groupby(["t", "p"]):
        by_offset = part.sort_values("o")
        assert list(by_offset["o"]) == list(range(len(part))), "no gaps, no duplicates"
        positions = [order[e["event_id"]] for e in by_offset["e"]]
        assert positions == sorted(positions), "each partition keeps the replay's (time) order"


@pytest.mark.services
def test_rate_and_realtime_modes_pace_the_sends(kafka_broker, make_params, replay):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap, **{"stream.events_per_second": 300})
    started = time.monotonic()
    report = producer.produce(params, replay, bootstrap, mode="rate", limit=240)
    assert time.monotonic() - started >= 239 / 300 and report.sent == 240
    assert report.events_per_second < 330
    part = replay.iloc[:120]
    span = (part["event_time"].iloc[-1] - part["event_time"].iloc[0]).total_seconds()
    fast = make_params(bootstrap, **{"stream.speed": span / 1.0})      # the 120 events' period in ~1 s
    started = time.monotonic()
    producer.produce(fast, part, bootstrap, mode="realtime")
    assert 0.95 <= time.monotonic() - started < 10


@pytest.mark.services
def test_the_produce_command_sends_to_the_broker(kafka_broker, make_params, replay, tmp_path, capsys):
    from hospsim import cli
    from tests.stream.conftest import params_file
    bootstrap = kafka_broker.bootstrap_servers
    path = params_file(make_params(bootstrap), tmp_path / "params.yaml")
    assert cli.main(["stream", "produce", "-f", str(path), "--limit", "300", "--mode", "rate", "--rate", "2000",
                     "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["bootstrap"] == bootstrap and summary["mode"] == "rate"
    assert summary["sent"] == 300 and summary["failed"] == 0 and sum(summary["per_topic"].values()) == 300
