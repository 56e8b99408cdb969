"""Without Kafka: the same processor in-process, giving the Kafka path's tables and files for the same seed."""
from __future__ import annotations

import json
import time

import pytest

from hospsim import cli, stream
from hospsim.stream import consumer, inprocess, producer
from tests.conftest import free_port
from tests.stream.conftest import file_lines, params_file, table_ids, table_rows


def _without_wall_time(files: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {name: [{k: v for k, v in e.items() if k != "produced_at"} for e in lines] for name, lines in files.items()}


@pytest.mark.services
def test_in_process_and_kafka_paths_give_the_same_tables_and_files(kafka_broker, make_params, new_db, replay):
    bootstrap = kafka_broker.bootstrap_servers
    kafka_db, local_db = new_db(), new_db()
    via_kafka = make_params(bootstrap, "kafka", db=kafka_db)
    local = make_params(None, "local", db=local_db, **{"kafka.topic_prefix": via_kafka.kafka.topic_prefix})
    producer.produce(via_kafka, replay, bootstrap)
    consumer.run(via_kafka, kafka_db, bootstrap, idle_timeout_s=2)
    stats = inprocess.run(local, replay, local_db)
    assert stats.inserted == len(replay)
    kafka_rows, local_rows = table_rows(kafka_db), table_rows(local_db)
    assert sum(len(v) for v in local_rows.values()) == len(replay)
    assert kafka_rows == local_rows, "same rows, kafka topic/partition/offset included, minus wall-clock columns"
    kafka_files, local_files = file_lines(via_kafka), file_lines(local)
    assert list(kafka_files) == list(local_files), "same file names"
    assert _without_wall_time(kafka_files) == _without_wall_time(local_files)


def test_produce_without_kafka_says_so_and_processes_in_process(make_params, stream_db, replay, tmp_path, capsys):
    params = make_params(None)
    path = params_file(params, tmp_path / "params.yaml")
    assert cli.main(["stream", "produce", "-f", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "no Kafka (kafka.enabled is false)" in err and "in-process" in err
    assert len(err.strip().splitlines()) == 1, "a one-line notice"
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["in_process"] is True and summary["inserted"] == len(replay)
    assert sorted(i for v in table_ids(stream_db).values() for i in v) == sorted(replay["event_id"])


def test_an_unreachable_cluster_means_the_in_process_path(make_params):
    params = make_params(f"127.0.0.1:{free_port()}")
    started = time.monotonic()
    bootstrap, why = stream.kafka_bootstrap(params)
    assert bootstrap is None and "does not answer" in why and f"{params.kafka.bootstrap_servers}" in why
    assert time.monotonic() - started < 30
    assert stream.kafka_bootstrap(make_params(None)) == (None, "kafka.enabled is false")


def test_process_without_kafka_explains_there_is_nothing_to_consume(make_params, tmp_path, capsys):
    path = params_file(make_params(None), tmp_path / "params.yaml")
    assert cli.main(["stream", "process", "-f", str(path)]) == 1
    assert "nothing to consume" in capsys.readouterr().err


def test_paced_in_process_run_follows_the_rate(make_params, stream_db, replay):
    params = make_params(None, **{"stream.mode": "rate", "stream.events_per_second": 400})
    started = time.monotonic()
    stats = inprocess.run(params, replay, stream_db, limit=200)
    elapsed = time.monotonic() - started
    assert stats.inserted == 200 and elapsed >= 199 / 400
    assert stats.batches > 3, "paced: events are processed as they fall due, not in one batch"


def test_reset_drops_the_tables_and_the_files(make_params, stream_db, replay, tmp_path, capsys):
    from hospsim.stream import metrics
    params = make_params(None)
    inprocess.run(params, replay, stream_db, limit=100)
    assert file_lines(params) and metrics.counts(stream_db, params.stream.schema)["events"].sum() == 100
    assert cli.main(["stream", "reset", "-f", str(params_file(params, tmp_path / "p.yaml"))]) == 0
    assert "dropped the stream schema" in capsys.readouterr().out
    assert not (params.dirs.data_dir / "stream").exists() and metrics.counts(stream_db, params.stream.schema).empty
