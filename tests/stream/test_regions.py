"""A state's events on the real broker: each worker produces its regions' events, keyed by hospital; the
processors' group stores every event of every region once; the stream tables take the state as one world."""
from __future__ import annotations

import json
from contextlib import closing

import pandas as pd
import pytest

from hospsim import cli, regions, scaleout, stream
from hospsim import run as runs
from hospsim.run import RunMismatch
from hospsim.stream import consumer, sessions, topics
from hospsim.stream import regions as state_stream
from tests.conftest import small_params
from tests.stream.conftest import SIM, params_file, stream_overrides, table_ids

STATE = {"state.regions": 3, "state.people": 30_000, "state.hospitals_per_100k": 10, "simulation.days": 4,
         "simulation.warmup_days": 2, "state.cross_region_transfers": True, "state.referral_beds_share": 0.5}


def state_params(tmp, db, bootstrap):
    over = {k: v for k, v in stream_overrides(tmp, db, bootstrap).items() if k not in SIM}
    return small_params(tmp, db, {**over, **STATE}, params_file="params/workshop.yaml")


@pytest.fixture
def simulated(tmp_path, stream_db, kafka_broker):
    params = state_params(tmp_path, stream_db, kafka_broker.bootstrap_servers)
    scaleout.run_state(params, progress=False)
    return params


def test_each_worker_produces_its_regions_and_the_group_stores_every_event_once(simulated, stream_db, kafka_broker):
    from kafka import KafkaConsumer
    params, bootstrap = simulated, kafka_broker.bootstrap_servers
    replays = {r.slug: stream.replay(r.params) for r in regions.expand(params)}
    result = state_stream.produce_state(params, bootstrap, stream_db, workers=2, progress=False)
    assert result.workers == 2
    assert {s["region"]: (s["events"], s["sent"], s["failed"]) for s in result.summaries} == \
        {slug: (len(r), len(r), 0) for slug, r in replays.items()}
    every = pd.concat(replays.values(), ignore_index=True)
    reader = KafkaConsumer(*topics.names(params).values(), bootstrap_servers=bootstrap,
                           auto_offset_reset="earliest", consumer_timeout_ms=3000)
    got = [(m.key.decode(), m.partition, json.loads(m.value)["event_id"], json.loads(m.value)["hospital_id"])
           for m in reader]
    reader.close()
    assert sorted(e for _, _, e, _ in got) == sorted(every["event_id"])       # every region's events, once
    assert all(key == hospital for key, _, _, hospital in got)
    where = pd.DataFrame(got, columns=["key", "partition", "event", "hospital"]).groupby("key")["partition"]
    assert (where.nunique() == 1).all()             # one hospital, one partition, whichever region sent it
    hub = next(h for r in regions.expand(params) for h in r.params.region.hospitals if h.referral)
    assert (got_hub := where.get_group(hub.id)).size > 0
    assert set(got_hub) == {topics.partition_of(p.params, hub.id) for p in regions.expand(params)}
    stats = consumer.run(params, stream_db, bootstrap, idle_timeout_s=5)
    stored = sorted(e for ids in table_ids(stream_db).values() for e in ids)
    assert stats.inserted == len(every) and stored == sorted(every["event_id"])


def test_the_stream_tables_take_the_states_regions_as_one_world_and_refuse_another_run(simulated, stream_db,
                                                                                        kafka_broker, tmp_path):
    params = simulated
    state_stream.produce_state(params, kafka_broker.bootstrap_servers, stream_db, progress=False)
    with closing(stream_db.connect()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT run_id FROM {params.stream.schema}.sessions ORDER BY run_id")
        held = [row[0] for row in cur.fetchall()]
    assert held == sorted(runs.run_id(r.params) for r in regions.expand(params))     # a session a region
    alone = small_params(tmp_path / "one", stream_db, {k: v for k, v in stream_overrides(
        tmp_path, stream_db, kafka_broker.bootstrap_servers).items()}, params_file="params/workshop.yaml")
    with pytest.raises(RunMismatch, match="the stream tables"):
        sessions.check(alone, stream_db)


def test_a_state_not_simulated_yet_is_named(tmp_path, stream_db, kafka_broker):
    params = state_params(tmp_path, stream_db, kafka_broker.bootstrap_servers)
    with pytest.raises(scaleout.StateRunError, match=r"3 region\(s\) not simulated yet .* `hospsim simulate`"):
        state_stream.produce_state(params, kafka_broker.bootstrap_servers, stream_db, progress=False)


def test_the_cli_produces_a_state_and_refuses_limit(simulated, kafka_broker, tmp_path, capsys):
    path = params_file(simulated, tmp_path / "state.yaml")
    assert cli.main(["stream", "produce", "-f", str(path), "--limit", "5"]) == 2
    assert "--limit takes the first events of one run" in capsys.readouterr().err
    assert cli.main(["stream", "produce", "-f", str(path), "--no-progress", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["regions"] == 3 and summary["failed"] == 0 and summary["sent"] == summary["events"] > 0
