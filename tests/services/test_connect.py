"""Kafka Connect + Debezium against the embedded PostgreSQL: an INSERT and an UPDATE reach Kafka."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from hospsim.errors import ServiceError
from hospsim.services import kafka
from hospsim.services.connect import ConnectClient

pytestmark = pytest.mark.services


def test_worker_lists_debezium(connect_worker):
    client = ConnectClient(connect_worker.url)
    assert kafka.DEBEZIUM_PG_CONNECTOR in client.plugins()
    assert connect_worker.status()["running"]


def test_client_errors_name_the_problem(connect_worker):
    client = ConnectClient(connect_worker.url)
    assert client.status("no-such-connector") is None
    assert client.delete("no-such-connector") is False
    with pytest.raises(ServiceError, match="not reachable"):
        ConnectClient("http://127.0.0.1:9", timeout=2).plugins()


@pytest.fixture
def cdc_table(pg):
    """A fresh table with REPLICA IDENTITY FULL and its own publication; slot dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    names = {"table": f"cdc_probe_{suffix}", "publication": f"cdc_pub_{suffix}", "slot": f"cdc_slot_{suffix}"}
    conn = pg.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE public.{names['table']} (id int PRIMARY KEY, name text NOT NULL, qty int)")
        cur.execute(f"ALTER TABLE public.{names['table']} REPLICA IDENTITY FULL")
        cur.execute(f"CREATE PUBLICATION {names['publication']} FOR TABLE public.{names['table']}")
    yield conn, names
    with conn.cursor() as cur:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (names["slot"],))
            row = cur.fetchone()
            if row is None:
                break
            if not row[0]:
                cur.execute("SELECT pg_drop_replication_slot(%s)", (names["slot"],))
                break
            time.sleep(0.5)
        cur.execute(f"DROP PUBLICATION IF EXISTS {names['publication']}")
        cur.execute(f"DROP TABLE IF EXISTS public.{names['table']}")
    conn.close()


def _wait_slot_active(conn, slot: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with conn.cursor() as cur:
        while True:
            cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,))
            row = cur.fetchone()
            if row and row[0]:
                return
            assert time.monotonic() < deadline, f"replication slot {slot} never became active"
            time.sleep(0.3)


def test_debezium_captures_insert_and_update(connect_worker, kafka_broker, pg, cdc_table):
    from kafka import KafkaConsumer

    conn, names = cdc_table
    prefix = f"t{uuid.uuid4().hex[:6]}"
    connector = f"pg-cdc-{prefix}"
    client = ConnectClient(connect_worker.url)
    client.register(connector, {
        "connector.class": kafka.DEBEZIUM_PG_CONNECTOR,
        "tasks.max": 1,
        "database.hostname": pg.host,
        "database.port": pg.port,
        "database.user": pg.user,
        "database.password": pg.password,
        "database.dbname": pg.database,
        "topic.prefix": prefix,
        "plugin.name": "pgoutput",
        "slot.name": names["slot"],
        "publication.name": names["publication"],
        "publication.autocreate.mode": "disabled",
        "table.include.list": f"public.{names['table']}",
        "snapshot.mode": "no_data",
        "topic.creation.default.replication.factor": 1,
        "topic.creation.default.partitions": 1,
    })
    try:
        client.wait_running(connector, timeout=90)
        _wait_slot_active(conn, names["slot"])
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO public.{names['table']} (id, name, qty) VALUES (1, 'gauze', 10)")
            cur.execute(f"UPDATE public.{names['table']} SET name = 'gauze XL', qty = 12 WHERE id = 1")

        topic = f"{prefix}.public.{names['table']}"
        consumer = KafkaConsumer(bootstrap_servers=kafka_broker.bootstrap_servers, group_id=None,
                                 auto_offset_reset="earliest", enable_auto_commit=False)
        events: list[dict] = []
        deadline = time.monotonic() + 90
        try:
            while len(events) < 2 and time.monotonic() < deadline:
                if not consumer.subscription():
                    if topic in consumer.topics():
                        consumer.subscribe([topic])
                    else:
                        time.sleep(0.5)
                        continue
                for records in consumer.poll(timeout_ms=500).values():
                    events.extend(json.loads(r.value) for r in records if r.value is not None)
        finally:
            consumer.close()
        assert len(events) >= 2, f"got {len(events)} change events on {topic}: {events}"
    finally:
        client.delete(connector)

    insert, update = events[0], events[1]
    assert insert["op"] == "c"
    assert insert["before"] is None
    assert insert["after"] == {"id": 1, "name": "gauze", "qty": 10}
    assert update["op"] == "u"
    assert update["before"] == {"id": 1, "name": "gauze", "qty": 10}
    assert update["after"] == {"id": 1, "name": "gauze XL", "qty": 12}
    assert update["source"]["table"] == names["table"]
