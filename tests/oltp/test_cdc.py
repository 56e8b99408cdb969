"""CDC: the Debezium connector config and its registration, and throughput from a real logical slot."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pandas as pd
import pytest

from hospsim import cdc
from hospsim.oltp import schema, stream
from hospsim.services.errors import ServiceError
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
