"""`hospsim stream ...` flags and the Kafka params: refused before any work, naming the flag or the key."""
from __future__ import annotations

import pytest

from hospsim import cli, config


@pytest.mark.parametrize("args, flag", [
    (["stream", "produce", "--limit", "-1"], "--limit"),
    (["stream", "produce", "--limit", "0"], "--limit"),
    (["stream", "produce", "--limit", "ten"], "--limit"),
    (["stream", "process", "--max-events", "-5"], "--max-events"),
    (["stream", "process", "--max-events", "0"], "--max-events"),
    (["stream", "process", "--idle", "-1"], "--idle"),
    (["stream", "process", "--idle", "0"], "--idle"),
    (["stream", "process", "--idle", "nan"], "--idle"),
    (["stream", "process", "--idle", "inf"], "--idle"),
])
def test_bad_flags_are_refused_naming_the_flag(args, flag, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(args)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err


def test_good_flags_parse(capsys):
    from hospsim.commandline import at_least, seconds
    assert at_least(1)("3") == 3 and seconds("0.5") == 0.5


@pytest.mark.parametrize("overrides, message", [
    ({"stream.delivery_timeout_ms": 10_000}, "stream.delivery_timeout_ms = 10000: Kafka needs it >= linger_ms"),
    ({"stream.delivery_timeout_ms": 30_000, "stream.linger_ms": 20}, "stream.delivery_timeout_ms = 30000"),
    ({"kafka.topic_prefix": "my events"}, "kafka.topic_prefix = 'my events': Kafka topic names allow"),
    ({"kafka.topic_prefix": "a/b"}, "kafka.topic_prefix = 'a/b'"),
    ({"kafka.topic_prefix": "x" * 229}, "at most 249 characters"),
])
def test_kafka_params_kafka_would_refuse_are_refused_at_load(tmp_path, overrides, message):
    from tests.conftest import small_params
    with pytest.raises(config.ConfigError) as info:
        small_params(tmp_path, None, overrides)
    assert message in str(info.value)


def test_the_bound_is_kafka_pythons_own(tmp_path):
    """The config check and kafka-python draw the line at the same value (one below it Kafka refuses)."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaConfigurationError
    from kafka.producer.record_accumulator import RecordAccumulator

    from tests.conftest import small_params
    request = KafkaProducer.DEFAULT_CONFIG["request_timeout_ms"]
    assert config._kafka_checks.__defaults__ == (request,), "the check assumes kafka-python's request timeout"
    lowest = 20 + request
    params = small_params(tmp_path, None, {"stream.delivery_timeout_ms": lowest, "stream.linger_ms": 20,
                                           "kafka.topic_prefix": "x" * 200})
    RecordAccumulator(delivery_timeout_ms=params.stream.delivery_timeout_ms, linger_ms=20, request_timeout_ms=request)
    with pytest.raises(KafkaConfigurationError, match="delivery_timeout_ms"):
        RecordAccumulator(delivery_timeout_ms=lowest - 1, linger_ms=20, request_timeout_ms=request)
    with pytest.raises(config.ConfigError, match="stream.delivery_timeout_ms"):
        small_params(tmp_path, None, {"stream.delivery_timeout_ms": lowest - 1, "stream.linger_ms": 20})


def test_a_negative_limit_is_refused_by_the_functions_too(make_params, replay, stream_db):
    from hospsim.stream import consumer, inprocess, producer
    params = make_params(None)
    assert len(producer.first_events(replay, 5)) == 5 and len(producer.first_events(replay, None)) == len(replay)
    with pytest.raises(ValueError, match="limit = -1"):
        producer.first_events(replay, -1)
    with pytest.raises(ValueError, match="limit = -1"):
        inprocess.run(params, replay, stream_db, limit=-1)
    with pytest.raises(ValueError, match="max_events = -5"):
        consumer.run(params, stream_db, "127.0.0.1:1", max_events=-5)
    with pytest.raises(ValueError, match="idle_timeout_s = -1"):
        consumer.run(params, stream_db, "127.0.0.1:1", idle_timeout_s=-1)
