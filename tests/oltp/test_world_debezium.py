"""World mode through the real Kafka Connect + Debezium: every internacao INSERT of a run's admissions and its
discharge UPDATE reach Kafka, once, with the ids of the run's admissions and discharges files."""
from __future__ import annotations

import time
import uuid

import pytest

from hospsim import cdc, simulate
from hospsim import run as runs
from hospsim.oltp import schema, world
from hospsim.services.connect import ConnectClient
from tests.conftest import small_params
from tests.oltp.conftest import oltp_names

pytestmark = pytest.mark.services

NAME = "t_world_debezium"


@pytest.fixture
def world_run(pg, connect_worker, kafka_broker, tmp_path):
    suffix = uuid.uuid4().hex[:6]
    params = small_params(tmp_path, pg, {
        **oltp_names(NAME), "oltp.source": "world", "oltp.connector_name": f"{NAME}-{suffix}",
        "oltp.topic_prefix": f"{NAME}_{suffix}", "oltp.snapshot_mode": "no_data",
        "simulation.population": 3000, "simulation.days": 5,
        "kafka.bootstrap_servers": kafka_broker.bootstrap_servers, "kafka.connect_url": connect_worker.url},
        params_file="params/workshop.yaml")
    simulate.run(params, progress=False)
    schema.drop(params, pg)
    schema.init(params, pg)
    client = ConnectClient(connect_worker.url)
    yield params, client
    client.delete(params.oltp.connector_name)
    schema.drop(params, pg)


def _slot_active(pg, slot: str) -> bool:
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,))
        row = cur.fetchone()
    return bool(row and row[0])


def test_every_internacao_insert_and_discharge_update_reaches_kafka(world_run, pg, kafka_broker):
    params, client = world_run
    cdc.register(client.url, cdc.connector_config(params, pg))
    client.wait_running(params.oltp.connector_name, timeout=60)
    deadline = time.monotonic() + 60
    while not _slot_active(pg, params.oltp.slot):
        assert time.monotonic() < deadline, "Debezium's slot never became active"
        time.sleep(0.2)

    applied = world.run_days(params, pg)
    days = simulate.read_days(runs.open_run(params).files_dir, simulate.dates(params))
    admitted = {world.internacao_id(a, h) for a, h in zip(days["admissions"]["admission_id"],
                                                           days["admissions"]["hospital_id"])}
    discharged = {world.internacao_id(a, h) for a, h in zip(days["discharges"]["admission_id"],
                                                            days["discharges"]["hospital_id"])}
    beds = world.beds_at_start(params, simulate.read_setup(runs.open_run(params)))
    opening = {world.internacao_id(a, h) for a, h in zip(beds["admission_id"], beds["hospital_id"])}
    assert admitted and discharged and len(discharged) == len(days["discharges"])
    assert discharged - admitted <= opening, "a stay that ends in the run began in it or was there at its start"
    assert applied[("internacoes", "INSERT")] == len(admitted | opening)
    assert applied[("internacoes", "UPDATE")] == len(discharged)

    expected = {t: {op: n for (tt, op), n in applied.items() if tt == t} for t in schema.TABLES}
    events = cdc.topic_source(params, kafka_broker.bootstrap_servers).wait_for(expected, timeout_s=90)
    internacoes = events[events["table"] == "internacoes"]
    created = [after["id"] for after in internacoes.loc[internacoes["op"] == "c", "after"]]
    updated = internacoes[internacoes["op"] == "u"]
    assert sorted(created) == sorted(admitted | opening), "each admission's INSERT, once"
    assert sorted(after["id"] for after in updated["after"]) == sorted(discharged), "each discharge's UPDATE, once"
    stamps = {world.internacao_id(a, h): t for a, h, t in zip(days["discharges"]["admission_id"],
                                                              days["discharges"]["hospital_id"],
                                                              days["discharges"]["discharge_time"])}
    for before, after in zip(updated["before"], updated["after"]):
        assert before["data_saida"] is None
        assert after["data_saida"].startswith(stamps[after["id"]].strftime("%Y-%m-%dT%H:%M:%S")), after
    assert {world.admission_of(i)[1] for i in created} <= {h.id for h in params.region.hospitals}
    counted = events.groupby(["table", "op"]).size().to_dict()
    letter = {v: k for k, v in cdc.DEBEZIUM_OPS.items()}
    assert counted == {(t, letter[op]): n for (t, op), n in applied.items() if n}, "nothing missing, nothing twice"
