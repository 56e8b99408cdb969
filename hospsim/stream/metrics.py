"""Stream figures for the notebooks, as DataFrames: produced and consumed per topic over time, events/s,
consumer lag per partition, rows per table.

Produced/consumed come from the stream tables (produced_at is the producer's stamp, processed_at the
processor's commit), so they work across processes and for the in-process path alike; lag asks Kafka.
"""
from __future__ import annotations

from contextlib import closing

import pandas as pd

from hospsim import sqlfiles
from hospsim.stream import tables
from hospsim.stream import topics as topic_admin

QUERIES = "stream/queries.sql"


def _query(pg_info, schema: str, name: str, part: str) -> pd.DataFrame:
    """Query `name`, its {tables} the query table_<part> of every event table."""
    with closing(pg_info.connect()) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.render(QUERIES, "schema_exists"), {"schema": schema})
        if not cur.fetchone()[0]:
            return pd.DataFrame()
        cur.execute(sqlfiles.bind(sqlfiles.query(QUERIES, name), tables=tables.union(f"table_{part}", schema)))
        columns = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def counts(pg_info, schema: str) -> pd.DataFrame:
    """table, events, first_event, last_event (simulated time) of the stream schema `schema`."""
    frame = _query(pg_info, schema, "counts", "counts")
    return frame if not frame.empty else pd.DataFrame(columns=["table", "events", "first_event", "last_event"])


def throughput(pg_info, schema: str) -> pd.DataFrame:
    """One row per topic and wall-clock second: produced, consumed (0 where none), in schema `schema`."""
    raw = _query(pg_info, schema, "throughput", "stamps")
    if raw.empty:
        return pd.DataFrame(columns=["second", "topic", "produced", "consumed"])
    raw["events"] = raw["events"].astype("int64")
    wide = raw.pivot_table(index=["second", "topic"], columns="what", values="events", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=["produced", "consumed"], fill_value=0).reset_index()
    wide.columns.name = None
    return wide


def processed_span(pg_info, schema: str) -> tuple[float, int]:
    """Seconds from the first to the last storing transaction's start in schema `schema`, and the events stored
    (0.0, 0 without tables): a processors' throughput without their group joins and idle waits."""
    frame = _query(pg_info, schema, "processed_span", "stamps")
    if frame.empty or not frame["events"].iloc[0]:
        return 0.0, 0
    return (frame["last"].iloc[0] - frame["first"].iloc[0]).total_seconds(), int(frame["events"].iloc[0])


def rates(throughput_frame: pd.DataFrame, window: str = "5s") -> pd.DataFrame:
    """Events/s per topic, averaged over a moving window of wall-clock time, plus an 'all topics' line."""
    if throughput_frame.empty:
        return pd.DataFrame(columns=["second", "topic", "produced_per_s", "consumed_per_s"])
    total = throughput_frame.groupby("second", as_index=False)[["produced", "consumed"]].sum()
    total["topic"] = "all topics"
    frame = pd.concat([throughput_frame, total], ignore_index=True)
    out = []
    seconds = pd.Timedelta(window).total_seconds()
    for topic, part in frame.groupby("topic"):
        series = (part.set_index("second")[["produced", "consumed"]].sort_index()
                  .resample("1s").sum().rolling(window).sum() / seconds)
        series["topic"] = topic
        out.append(series.reset_index())
    result = pd.concat(out, ignore_index=True).rename(columns={"produced": "produced_per_s",
                                                               "consumed": "consumed_per_s"})
    return result[["second", "topic", "produced_per_s", "consumed_per_s"]]


def lag(params, bootstrap: str, group_id: str | None = None) -> pd.DataFrame:
    """topic, partition, committed (-1 = nothing yet), end_offset, lag, for the processors' group."""
    from kafka import KafkaConsumer
    from kafka.structs import TopicPartition

    group_id = group_id or params.stream.group_id
    client = topic_admin.admin(bootstrap)
    try:
        present = set(client.list_topics())
        names = [t for t in topic_admin.names(params).values() if t in present]
        parts = topic_admin.partition_counts(client, names) if names else {}
        committed = _group_offsets(client, group_id) if names else {}
    finally:
        client.close()
    tps = [TopicPartition(t, p) for t in names for p in range(parts.get(t, 0))]
    if not tps:
        return pd.DataFrame(columns=["topic", "partition", "committed", "end_offset", "lag"])
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, client_id="hospsim-metrics")
    try:
        ends = consumer.end_offsets(tps)
    finally:
        consumer.close()
    rows = []
    for tp in tps:
        meta = committed.get(tp)
        done = meta.offset if meta is not None and meta.offset >= 0 else -1
        end = ends.get(tp, 0)
        rows.append({"topic": tp.topic, "partition": tp.partition, "committed": done, "end_offset": end,
                     "lag": end - max(done, 0)})
    return pd.DataFrame(rows).sort_values(["topic", "partition"], ignore_index=True)


def _group_offsets(client, group_id: str) -> dict:
    """{TopicPartition: OffsetAndMetadata}; kafka-python 3 renamed the call."""
    if hasattr(client, "list_group_offsets"):
        return client.list_group_offsets({group_id: None}).get(group_id, {})
    return client.list_consumer_group_offsets(group_id)


def produced(report) -> pd.DataFrame:
    """The producer's own view (producer.ProduceReport): topic, second, produced."""
    return report.timeline.copy()


def processor_history(stats) -> pd.DataFrame:
    """One processor's batches (processor.Stats): time, topic, consumed, rejected."""
    frame = pd.DataFrame(stats.history, columns=["time", "topic", "consumed", "rejected"])
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    return frame
