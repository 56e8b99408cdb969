"""CDC: the Debezium connector config and its registration, and throughput from a real logical slot."""
from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pandas as pd
import pytest

from hospsim import cdc
from hospsim.errors import ServiceError
from hospsim.oltp import schema, stream
from tests.conftest import free_port
from tests.oltp.conftest import oltp_names


def test_connector_config_names_the_seven_tables_publication_and_slot(params_factory, pg):
    params = params_factory({**oltp_names("t_cdc_cfg"), "oltp.snapshot_mode": "no_data"})
    connector = cdc.connector_config(params, pg)
    c = connector["config"]
    assert connector["name"] == params.oltp.connector_name
    assert c["connector.class"] == "io.debezium.connector.postgresql.PostgresConnector"
    assert (c["plugin.name"], c["publication.name"], c["publication.autocreate.mode"], c["slot.name"]) == (
        "pgoutput", "t_cdc_cfg_pub", "disabled", "t_cdc_cfg_slot")
    assert c["table.include.list"].split(",") == [f"t_cdc_cfg.{t}" for t in schema.TABLES]
    assert (c["database.hostname"], c["database.port"], c["database.user"], c["database.password"],
            c["database.dbname"]) == (pg.host, str(pg.port), pg.user, pg.password, pg.database)
    assert c["topic.prefix"] == params.oltp.topic_prefix and c["snapshot.mode"] == "no_data"
    assert all(isinstance(v, str) for v in c.values()), "Kafka Connect wants strings"


def test_the_connector_reaches_the_database_where_params_say_a_connect_container_finds_it(params_factory, pg):
    params = params_factory({"oltp.connector_db_host": "postgres", "oltp.connector_db_port": 5432})
    c = cdc.connector_config(params, pg)["config"]
    assert (c["database.hostname"], c["database.port"], c["database.user"]) == ("postgres", "5432", pg.user)
    posted = json.loads(json.dumps(cdc.connector_config(params, pg)))
    assert set(posted) == {"name", "config"}, "the body of POST /connectors, as printed"


class _Worker(BaseHTTPRequestHandler):
    requests: ClassVar[list] = []
    status = 201

    def do_PUT(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.command, self.path, body))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        reply = ({"name": "x", "config": body} if self.status < 400
                 else {"message": "Connector configuration is invalid"})
        self.wfile.write(json.dumps(reply).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def worker():
    _Worker.requests, _Worker.status = [], 201
    server = HTTPServer(("127.0.0.1", 0), _Worker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_register_puts_the_config_and_write_connector_writes_json(params_factory, pg, worker, tmp_path):
    params = params_factory(oltp_names("t_cdc_reg"))
    connector = cdc.connector_config(params, pg)
    reply = cdc.register(f"http://127.0.0.1:{worker.server_port}/", connector)
    assert _Worker.requests == [("PUT", "/connectors/hospsim-oltp/config", connector["config"])]
    assert reply["config"]["slot.name"] == "t_cdc_reg_slot"
    path = cdc.write_connector(connector, tmp_path / "out" / "connector.json")
    assert json.loads(path.read_text()) == connector


def test_register_errors_say_what_went_wrong(params_factory, pg, worker):
    connector = cdc.connector_config(params_factory(), pg)
    _Worker.status = 400
    with pytest.raises(ServiceError, match="refused connector 'hospsim-oltp' \\(HTTP 400\\).*invalid"):
        cdc.register(f"http://127.0.0.1:{worker.server_port}", connector)
    with pytest.raises(ServiceError, match="is not reachable"):
        cdc.register(f"http://127.0.0.1:{free_port()}", connector, timeout_s=3)


def test_throughput_from_a_slot_equals_what_the_stream_committed(fresh, pg):
    params = fresh({"oltp.stream.interval_seconds": 0, "oltp.stream.max_jitter_ms": 0,
                    "oltp.stream.max_events": 1500})
    source = cdc.slot_source(params, pg)
    with pytest.raises(ValueError, match="does not exist; create it first"):
        cdc.throughput(source)
    assert source.create() is True and source.create() is False
    report = stream.run(params, pg, handle_signals=False)

    df = cdc.throughput(source, bucket_seconds=0.5)
    assert list(df.columns) == ["time_bucket", "table", "op", "count", "per_second"]
    assert str(df["time_bucket"].dt.tz) == "UTC" and df["time_bucket"].is_monotonic_increasing
    assert (df["per_second"] == df["count"] / 0.5).all()
    totals = df.groupby(["table", "op"])["count"].sum().to_dict()
    assert totals == {(t, op): n for t, ops in report.counts.items() for op, n in ops.items()}
    assert int(df["count"].sum()) == report.events == 1500

    again = cdc.throughput(source)
    assert int(again["count"].sum()) == 1500, "peeking leaves the changes in the slot"
    consumed = cdc.slot_source(params, pg, consume=True)
    assert int(cdc.throughput(consumed)["count"].sum()) == 1500
    assert cdc.throughput(consumed).empty, "consumed changes are gone"
    source.drop()
    assert not source.exists()


def test_throughput_takes_any_change_source():
    class Topics:
        def change_counts(self, bucket_seconds):
            return pd.DataFrame({"time_bucket": ["2025-01-01T00:00:02Z", "2025-01-01T00:00:00Z"],
                                 "table": ["exames", "pacientes"], "op": ["UPDATE", "INSERT"], "count": [3, 8]})
    df = cdc.throughput(Topics(), bucket_seconds=2)
    assert df["table"].tolist() == ["pacientes", "exames"] and df["per_second"].tolist() == [4.0, 1.5]
    with pytest.raises(ValueError, match="must be > 0"):
        cdc.throughput(Topics(), 0)


# --------------------------------------------------------------------------- Debezium topics (real broker)

T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z in ms


def _envelope(op: str, commit_ms: int, before=None, after=None, wrapped: bool = False) -> bytes:
    """A Debezium change event as the JSON converter writes it (wrapped = schemas.enable=true)."""
    change = {"before": before, "after": after, "op": op, "ts_ms": commit_ms + 50,
              "source": {"connector": "postgresql", "ts_ms": commit_ms, "schema": "oltp", "table": "x"}}
    return json.dumps({"schema": {"type": "struct"}, "payload": change} if wrapped else change).encode()


@pytest.fixture
def topics(kafka_broker, params_factory):
    """Params whose topic prefix is this test's own, and a function producing records to a table's topic."""
    from kafka import KafkaProducer
    params = params_factory({"oltp.topic_prefix": f"t_topics_{uuid.uuid4().hex[:8]}", "oltp.schema": "t_topics",
                             "kafka.bootstrap_servers": kafka_broker.bootstrap_servers})
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)

    def produce(table: str, records: list[tuple[bytes | None, int]]) -> None:
        for value, produced_ms in records:
            producer.send(f"{params.oltp.topic_prefix}.t_topics.{table}", key=b'{"id":1}', value=value,
                          timestamp_ms=produced_ms)
        producer.flush()

    yield params, produce
    producer.close()


@pytest.mark.services
def test_topic_source_counts_debezium_events_by_commit_time(topics, kafka_broker):
    params, produce = topics
    source = cdc.topic_source(params)
    assert source.bootstrap == kafka_broker.bootstrap_servers
    assert source.topics["exames"] == f"{params.oltp.topic_prefix}.t_topics.exames"
    empty = cdc.throughput(source)
    assert empty.empty and list(empty.columns) == ["time_bucket", "table", "op", "count", "per_second"]

    produce("pacientes", [(_envelope("c", T0 + 100, after={"id": 1}), T0 + 5_000),
                          (_envelope("u", T0 + 900, {"id": 1, "telefone": "a"}, {"id": 1, "telefone": "b"}),
                           T0 + 5_000),
                          (None, T0 + 5_000),  # a tombstone: no change
                          (_envelope("d", T0 + 2_000, before={"id": 1}), T0 + 6_500)])
    produce("exames", [(_envelope("r", T0, after={"id": 7}), T0 + 4_000),
                       (_envelope("c", T0 + 1_500, after={"id": 8}, wrapped=True), T0 + 5_200)])
    assert source.existing() == sorted(source.topics[t] for t in ("exames", "pacientes"))

    df = cdc.throughput(source, bucket_seconds=1)
    rows = [(ts.isoformat(), t, op, n)
            for ts, t, op, n in df[["time_bucket", "table", "op", "count"]].itertuples(index=False)]
    assert rows == [("2025-01-01T00:00:00+00:00", "exames", "READ", 1),
                    ("2025-01-01T00:00:00+00:00", "pacientes", "INSERT", 1),
                    ("2025-01-01T00:00:00+00:00", "pacientes", "UPDATE", 1),
                    ("2025-01-01T00:00:01+00:00", "exames", "INSERT", 1),
                    ("2025-01-01T00:00:02+00:00", "pacientes", "DELETE", 1)]

    by_kafka = cdc.throughput(cdc.topic_source(params, clock="kafka"), bucket_seconds=2)
    assert by_kafka.groupby("time_bucket")["count"].sum().to_dict() == {
        pd.Timestamp(T0 + 4_000, unit="ms", tz="UTC"): 4, pd.Timestamp(T0 + 6_000, unit="ms", tz="UTC"): 1}

    since = dt.datetime(2025, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    later = cdc.throughput(cdc.topic_source(params, since=since), bucket_seconds=60)
    assert sorted(zip(later["table"], later["op"], later["count"])) == [("exames", "INSERT", 1),
                                                                        ("pacientes", "DELETE", 1)]

    events = source.events(images=True).sort_values("committed_at", ignore_index=True)
    assert events["op"].tolist() == ["r", "c", "u", "c", "d"]
    assert events.loc[2, "before"] == {"id": 1, "telefone": "a"} and events.loc[2, "after"]["telefone"] == "b"
    assert (events["produced_at"] > events["committed_at"]).all()


@pytest.mark.services
def test_topic_source_waits_and_says_what_is_missing(topics):
    params, produce = topics
    produce("consultas", [(_envelope("c", T0 + i, after={"id": i}), T0 + i) for i in range(3)])
    source = cdc.topic_source(params)
    assert len(source.wait_for({"consultas": {"INSERT": 3}}, timeout_s=20)) == 3
    with pytest.raises(TimeoutError, match=r"still lack consultas INSERT 2, consultas UPDATE 1 change\(s\) of 6"):
        source.wait_for({"consultas": {"INSERT": 5, "UPDATE": 1}}, timeout_s=1)
    with pytest.raises(ValueError, match="no topic for table"):
        source.wait_for({"salas": {"INSERT": 1}})
    produce("medicos", [(json.dumps({"id": 1, "crm": "123456SP"}).encode(), T0)])
    with pytest.raises(ValueError, match="medicos offset 0 is not a Debezium change event.*ExtractNewRecordState"):
        source.events()
    produce("exames", [(b"\x00avro?", T0)])
    with pytest.raises(ValueError, match="not JSON.*JsonConverter"):
        cdc.TopicSource(source.bootstrap, {"exames": source.topics["exames"]}).events()


def test_topic_source_refuses_bad_options_and_an_absent_broker():
    with pytest.raises(ValueError, match="clock = 'wall'"):
        cdc.TopicSource("127.0.0.1:1", {}, clock="wall")
    with pytest.raises(ValueError, match="timezone-aware"):
        cdc.TopicSource("127.0.0.1:1", {}, since=dt.datetime(2025, 1, 1))
    with pytest.raises(ServiceError, match=r"Kafka at 127.0.0.1:\d+ is not reachable"):
        cdc.TopicSource(f"127.0.0.1:{free_port()}", {"pacientes": "p"}, connect_timeout_s=0.5).events()


@pytest.mark.services
def test_cli_throughput_reads_the_topics_when_they_are_there_else_the_slot(topics, pg, capsys):
    from hospsim import cli
    params, produce = topics
    common = ["-p", "postgres.embedded=false", "-p", f"postgres.host={pg.host}", "-p", f"postgres.port={pg.port}",
              "-p", f"postgres.user={pg.user}", "-p", f"postgres.password={pg.password}",
              "-p", f"postgres.database={pg.database}", "-p", f"paths.state_dir={params.dirs.state_dir}",
              *[x for key, value in {**oltp_names("t_topics"), "oltp.topic_prefix": params.oltp.topic_prefix,
                                     "kafka.bootstrap_servers": params.kafka.bootstrap_servers}.items()
                for x in ("-p", f"{key}={value}")]]
    assert cli.main(["cdc", "throughput", *common]) == 1
    out, err = capsys.readouterr()
    assert f"source: replication slot t_topics_slot_throughput (Kafka at {params.kafka.bootstrap_servers} has no " \
           f"topics {params.oltp.topic_prefix}.t_topics.* yet; register the connector" in out
    assert "slot 't_topics_slot_throughput' does not exist; create it first" in err

    produce("internacoes", [(_envelope("c", T0 + 10, after={"id": 1}), T0 + 10),
                            (_envelope("u", T0 + 20, {"id": 1}, {"id": 1}), T0 + 20)])
    assert cli.main(["cdc", "throughput", "--bucket", "60", *common]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"source: Debezium topics {params.oltp.topic_prefix}.t_topics.* on "
                          f"{params.kafka.bootstrap_servers}")
    lines = [line.split() for line in out.splitlines()]
    assert ["2025-01-01", "00:00:00+00:00", "internacoes", "INSERT", "1", "0.016667"] in lines
    assert out.split("totals")[1].split()[-3:] == ["internacoes", "1", "1"]
    try:
        assert cli.main(["cdc", "throughput", "--create", *common]) == 0
        assert capsys.readouterr().out.splitlines() == [
            "source: replication slot t_topics_slot_throughput (asked for)",
            "created slot t_topics_slot_throughput: changes are counted from now on; run again to see them"]
        assert cli.main(["cdc", "throughput", "--source", "slot", *common]) == 0
        assert "no changes in slot t_topics_slot_throughput yet" in capsys.readouterr().out
    finally:
        cdc.SlotSource(pg, "t_topics_slot_throughput", "t_topics_pub").drop()
    assert cli.main(["cdc", "throughput", "--source", "topics", "--create", *common]) == 1
    assert "--consume, --create and --slot read a replication slot" in capsys.readouterr().err
    assert cli.main(["cdc", "throughput", "--since", "yesterday", *common]) == 1
    assert "--since 'yesterday': give an ISO time" in capsys.readouterr().err
