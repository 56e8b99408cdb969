"""The Kafka timed sink of the living clock, on the real broker: a day's events as `stream produce` makes them,
and after a crash the events Kafka already holds past the day's mark, found by an independent reader."""
from __future__ import annotations

import datetime as dt

import pytest

from hospsim import daily, events, simulate
from hospsim.stream import timed
from tests.stream.conftest import SIM

pytestmark = pytest.mark.services


def day_result(params, day: dt.date):
    the_run = simulate.load(params).run
    return daily.DayResult(day, **simulate.read_days(the_run.files_dir, [day]))


def read_all(params, bootstrap: str) -> list[tuple[str, bytes]]:
    """(topic, value) of every event on the prefix's topics, by a consumer of no group."""
    from kafka import KafkaConsumer, TopicPartition
    reader = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(t, p) for t in events.topics(params.kafka.topic_prefix).values()
                 for p in reader.partitions_for_topic(t) or ()]
        reader.assign(parts)
        reader.seek_to_beginning()
        ends, out = reader.end_offsets(parts), []
        while any(reader.position(tp) < ends[tp] for tp in parts):
            for records in reader.poll(timeout_ms=500).values():
                out += [(r.topic, r.value) for r in records]
        return out
    finally:
        reader.close()


def test_a_day_goes_out_as_stream_produce_sends_it_and_a_reader_finds_what_arrived(kafka_broker, make_params):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap)
    day = params.simulation.start_date + dt.timedelta(days=SIM["simulation.days"] // 2)
    sink = timed.KafkaSink(params, bootstrap)
    try:
        rows = sink.timeline(day_result(params, day))
        assert len(rows) > 20
        mark = sink.mark()
        half = len(rows) // 2
        sink.send(rows.iloc[:half])
        sink.flush(None)
        later = timed.KafkaSink(params, bootstrap)       # a new process after the crash
        try:
            found = later.delivered(rows, mark)
        finally:
            later.close()
        assert found[:half].all() and not found[half:].any()
        sink.send(rows.iloc[half:])
        sink.flush(None)
    finally:
        sink.close()
    got = read_all(params, bootstrap)
    expected = events.from_result(params, day_result(params, day))
    tail = len(events.utc_stamp(0)) + 2
    assert sorted(value[:-tail] for _, value in got) == sorted(expected["head"])
    type_of = {topic: kind for kind, topic in events.topics(params.kafka.topic_prefix).items()}
    topic_of = dict(zip(expected["event_id"], expected["event_type"].map(events.topics(params.kafka.topic_prefix))))
    assert all(topic_of[events.decode(value, type_of[topic])["event_id"]] == topic for topic, value in got)
