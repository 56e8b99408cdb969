"""Metrics as DataFrames: rows per table, produced/consumed per topic over time, events/s, batches."""
from __future__ import annotations

from hospsim import events
from hospsim.stream import inprocess, metrics, topics


def test_counts_throughput_and_rates_add_up(make_params, stream_db, replay):
    params = make_params(None, **{"stream.mode": "rate", "stream.events_per_second": 600})
    stats = inprocess.run(params, replay, stream_db)
    counts = metrics.counts(stream_db, params.stream.schema).set_index("table")["events"]
    expected = replay["event_type"].map(events.TABLES).value_counts()
    assert counts.sort_index().to_dict() == expected.sort_index().to_dict()

    flow = metrics.throughput(stream_db, params.stream.schema)
    assert list(flow.columns) == ["second", "topic", "produced", "consumed"]
    per_topic = flow.groupby("topic")[["produced", "consumed"]].sum()
    by_topic = replay["event_type"].map(topics.names(params)).value_counts()
    assert per_topic["produced"].to_dict() == by_topic.to_dict() == per_topic["consumed"].to_dict()
    assert flow["second"].nunique() >= 2, "a paced run of ~2.5 s spreads over several seconds"
    span, stored = metrics.processed_span(stream_db, params.stream.schema)
    assert stored == len(replay) and 0 < span <= (flow["second"].max() - flow["second"].min()).total_seconds() + 1

    rate = metrics.rates(flow, window="2s")
    overall = rate[rate["topic"] == "all topics"]
    assert 0 < overall["produced_per_s"].max() <= 3000
    assert set(rate["topic"]) == set(by_topic.index) | {"all topics"}

    history = metrics.processor_history(stats)
    assert history["consumed"].sum() == len(replay) == stats.consumed and history["rejected"].sum() == 0


def test_empty_database_gives_empty_frames(stream_db):
    assert metrics.counts(stream_db, "stream").empty and metrics.throughput(stream_db, "stream").empty
    assert metrics.processed_span(stream_db, "stream") == (0.0, 0)
    assert metrics.rates(metrics.throughput(stream_db, "stream")).empty
