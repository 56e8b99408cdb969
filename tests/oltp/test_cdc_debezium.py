"""The OLTP stream through the real Kafka Connect + Debezium: every committed change reaches Kafka, once.

Snapshot mode `initial`: the seeded rows arrive as `r` (counted apart from the stream's `c`/`u`), which also
shows a downstream reader could rebuild the tables from the topics alone.
"""
from __future__ import annotations

import time
import uuid

import pytest

from hospsim import cdc
from hospsim.oltp import schema, seed, stream
from hospsim.services.connect import ConnectClient
from tests.conftest import small_params
from tests.oltp.conftest import oltp_names

pytestmark = pytest.mark.services

NAME = "t_cdc_debezium"
EVENTS = 2000
MOVED = {"pacientes": {"telefone", "endereco"}, "consultas": {"status"}, "exames": {"resultado"},
         "internacoes": {"data_saida"}}
"""The columns an UPDATE of the stream is about, per table."""
ALSO_CHANGED = {"updated_at", "data_consulta", "data_resultado"}
"""Columns an UPDATE may touch on the way (trigger, a realizada consulta's time, an exame's result time)."""


@pytest.fixture
def oltp(pg, connect_worker, kafka_broker, tmp_path):
    """Params with names of this test's own (schema, publication, slot, connector, topics), reset and seeded."""
    suffix = uuid.uuid4().hex[:6]
    params = small_params(tmp_path, pg, {
        **oltp_names(NAME), "oltp.connector_name": f"{NAME}-{suffix}", "oltp.topic_prefix": f"{NAME}_{suffix}",
        "oltp.snapshot_mode": "initial", "oltp.stream.interval_seconds": 0, "oltp.stream.max_jitter_ms": 0,
        "oltp.stream.max_events": EVENTS, "oltp.stream.batch_size": 50,
        "kafka.bootstrap_servers": kafka_broker.bootstrap_servers, "kafka.connect_url": connect_worker.url})
    seeded = seed.reset(params, pg)
    client = ConnectClient(connect_worker.url)
    yield params, seeded, client
    client.delete(params.oltp.connector_name)
    schema.drop(params, pg)


def _query(pg, sql: str, args=None) -> list[tuple]:
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _slots(pg, prefix: str) -> dict[str, bool]:
    return dict(_query(pg, "SELECT slot_name, active FROM pg_replication_slots WHERE starts_with(slot_name, %s)",
                       (prefix,)))


def _wait_slot(pg, slot: str, active: bool, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _slots(pg, slot).get(slot) is not active:
        assert time.monotonic() < deadline, f"slot {slot} not {'active' if active else 'released'}: {_slots(pg, slot)}"
        time.sleep(0.2)


def _ids(pg, params, table: str) -> set[int]:
    return {i for (i,) in _query(pg, f"SELECT id FROM {params.oltp.schema}.{table}")}


def _column(pg, params, table: str, column: str) -> dict[int, object]:
    return dict(_query(pg, f"SELECT id, {column} FROM {params.oltp.schema}.{table}"))


def test_every_committed_change_reaches_kafka_once(oltp, pg, kafka_broker):
    began = time.monotonic()
    params, seeded, client = oltp
    o = params.oltp
    seeded_ids = {t: _ids(pg, params, t) for t in schema.TABLES}
    slot_source = cdc.slot_source(params, pg)
    assert slot_source.create()
    cdc.register(client.url, cdc.connector_config(params, pg))
    client.wait_running(o.connector_name, timeout=60)
    _wait_slot(pg, o.slot, active=True, timeout=60)
    ready = time.monotonic()

    report = stream.run(params, pg, handle_signals=False)
    streamed = time.monotonic()
    assert report.events == EVENTS and report.reconnects == 0
    expected = {t: {"READ": seeded[t], **report.counts.get(t, {})} for t in schema.TABLES}
    topics = cdc.topic_source(params, kafka_broker.bootstrap_servers)
    events = topics.wait_for(expected, timeout_s=45)
    caught_up_s = time.monotonic() - streamed

    # exactly what was committed, per table and op: nothing missing, nothing twice, no DELETE
    letter = {v: k for k, v in cdc.DEBEZIUM_OPS.items()}
    want = {(t, letter[op]): n for t, ops in expected.items() for op, n in ops.items() if n}
    assert events.groupby(["table", "op"]).size().to_dict() == want
    assert want[("pacientes", "c")] > 0 and want[("consultas", "u")] > 0, "the stream wrote both ops"

    # primary keys: the snapshot holds the seeded rows, the `c` events the rows the stream added
    for table in schema.TABLES:
        rows = events[events["table"] == table]
        snapshot = [after["id"] for after in rows.loc[rows["op"] == "r", "after"]]
        created = [after["id"] for after in rows.loc[rows["op"] == "c", "after"]]
        assert sorted(snapshot) == sorted(seeded_ids[table]), table
        assert len(created) == len(set(created)), f"{table}: an INSERT arrived twice"
        assert set(created) == _ids(pg, params, table) - seeded_ids[table], table
        assert all(before is None for before in rows.loc[rows["op"] == "c", "before"])

    # UPDATEs carry full before-images (REPLICA IDENTITY FULL) that differ in the column the stream moved
    updates = events[events["op"] == "u"]
    assert set(updates["table"]) == set(MOVED)
    for table, before, after in zip(updates["table"], updates["before"], updates["after"]):
        assert before is not None and before.keys() == after.keys() and before["id"] == after["id"], table
        changed = {k for k in after if before[k] != after[k]}
        assert changed & MOVED[table] and changed <= MOVED[table] | ALSO_CHANGED, (table, changed)
    moved = {t: updates.loc[updates["table"] == t] for t in ("consultas", "exames", "internacoes")}
    assert all(b["status"] == "agendada" for b in moved["consultas"]["before"])
    assert all(b["resultado"] == "Pendente" for b in moved["exames"]["before"])
    assert all(b["data_saida"] is None and a["data_saida"] for b, a in
               zip(moved["internacoes"]["before"], moved["internacoes"]["after"]))
    status = _column(pg, params, "consultas", "status")
    assert all(status[a["id"]] == a["status"] for a in moved["consultas"]["after"]), "after-images = the table"

    # throughput from the topics: the same totals, and bucket for bucket what the slot decoded
    df = cdc.throughput(topics, 1.0)
    totals = df.groupby(["table", "op"])["count"].sum().to_dict()
    assert totals == {(t, op): n for t, ops in expected.items() for op, n in ops.items() if n}
    from_topics = df[df["op"] != "READ"].reset_index(drop=True)
    from_slot = cdc.throughput(slot_source, 1.0)
    for frame in (from_topics, from_slot):
        frame["time_bucket"] = frame["time_bucket"].dt.as_unit("ms")
    assert from_topics.astype({"op": object, "table": object}).to_dict("records") == \
        from_slot.astype({"op": object, "table": object}).to_dict("records"), "commit-time buckets agree"

    produced = cdc.throughput(cdc.topic_source(params, kafka_broker.bootstrap_servers, clock="kafka"), 1.0)
    produced = produced[produced["op"] != "READ"]
    assert int(produced["count"].sum()) == report.events
    changed = events[events["op"] != "r"]
    lag = (changed["produced_at"] - changed["committed_at"]).dt.total_seconds()
    e2e_s = (changed["produced_at"].max() - changed["committed_at"].min()).total_seconds()
    print(f"\ne2e: connector RUNNING with its slot active {ready - began:.1f} s after registering; "
          f"{report.events} events streamed in {report.elapsed_s:.2f} s ({report.events_per_second:,.0f}/s); "
          f"all {len(changed)} changes read back from Kafka {caught_up_s:.2f} s after the stream ended; "
          f"first commit -> last record in Kafka {e2e_s:.2f} s ({len(changed) / e2e_s:,.0f} changes/s); "
          f"commit -> Kafka latency p50 {lag.median():.2f} s, max {lag.max():.2f} s; peak 1-s bucket "
          f"{from_topics.groupby('time_bucket')['count'].sum().max():,} changes by commit time, "
          f"{produced.groupby('time_bucket')['count'].sum().max():,} by Kafka time")

    # reset drops the slots named after oltp.slot: Debezium's and the throughput slot
    assert client.delete(o.connector_name)
    _wait_slot(pg, o.slot, active=False)
    assert set(_slots(pg, o.slot)) == {o.slot, f"{o.slot}_throughput"}
    seed.reset(params, pg)
    assert _slots(pg, o.slot) == {}, "reset left a replication slot holding WAL"
    print(f"e2e test body: {time.monotonic() - began:.1f} s")
