"""Stream sessions: each delivery of the run's events measures its own rate; the tables keep each event once and
hold one run's events."""
from __future__ import annotations

import pytest

from hospsim import run as runs
from hospsim import simulate, stream
from hospsim.stream import metrics
from tests.conftest import small_params
from tests.stream.conftest import SIM, table_ids


@pytest.mark.services
def test_a_second_session_at_another_rate_measures_its_own_rate_and_adds_no_rows(kafka_broker, make_params,
                                                                                 stream_db, replay):
    fast = make_params(kafka_broker.bootstrap_servers, **{"stream.mode": "rate", "stream.events_per_second": 5000})
    first = stream.deliver(fast, stream_db, replay, idle_timeout_s=5)
    slow = make_params(kafka_broker.bootstrap_servers, **{"stream.mode": "rate", "stream.events_per_second": 500,
                                                          "kafka.topic_prefix": fast.kafka.topic_prefix,
                                                          "stream.group_id": fast.stream.group_id})
    second = stream.deliver(slow, stream_db, replay, idle_timeout_s=5)

    assert (first.session_id, second.session_id) == (1, 2)
    assert second.events == first.events == len(replay)
    assert abs(second.produced_per_s - 500) <= 50, second.summary()
    ids = [i for values in table_ids(stream_db).values() for i in values]
    assert len(ids) == len(set(ids)) == len(replay), "each event once, after two sessions"
    assert second.stats.inserted == 0 and second.stats.consumed == len(replay)
    timeline = second.timeline
    assert timeline["produced"].sum() == len(replay) and timeline["second"].is_monotonic_increasing
    rates = metrics.rates(timeline, window="2s")
    peak = rates.loc[rates["topic"] == "all topics", "produced_per_s"].max()
    assert 300 <= peak <= 700, "the chart shows the second session's pace, not the first one's"
    sessions = runs.open_run(slow).step("stream")["sessions"]
    assert [s["target_per_s"] for s in sessions] == [5000, 500]


def test_the_stream_tables_refuse_the_events_of_another_run(make_params, stream_db, replay, tmp_path):
    params = make_params(None)
    stream.deliver(params, stream_db, replay)
    other = small_params(tmp_path / "other", stream_db, {**SIM, "seed": 8, "kafka.enabled": False})
    simulate.run(other, progress=False)
    rows = sum(map(len, table_ids(stream_db).values()))
    with pytest.raises(runs.RunMismatch, match="the stream tables") as err:
        stream.deliver(other, stream_db)
    assert runs.run_id(params) in str(err.value) and "hospsim reset --yes" in str(err.value)
    assert sum(map(len, table_ids(stream_db).values())) == rows
