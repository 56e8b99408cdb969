"""The stream without Kafka: the same events through the same Processor, in this process.

Used when params.kafka.enabled is false or no broker is configured or startable. Each event gets the
partition Kafka's partitioner would give its hospital key and the offset it would have on fresh topics
(its position on that partition), so rows and files come out as the Kafka path writes them; only the
wall-clock columns (produced_at, processed_at) differ.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd

from hospsim import events
from hospsim.stream import topics as topic_admin
from hospsim.stream.processor import Processor, Record, Stats
from hospsim.stream.producer import first_events, pacer

NOTICE = "hospsim stream: no Kafka ({reason}); events go through the stream processor in-process instead"


def coordinates(params, replay: pd.DataFrame) -> pd.DataFrame:
    """topic, partition and offset each event would get on fresh topics, in replay order."""
    topic = replay["event_type"].map(topic_admin.names(params)).to_numpy(dtype=object)
    partition = topic_admin.partitions_for(params, replay["hospital_id"].to_numpy(dtype=object))
    coords = pd.DataFrame({"topic": topic, "partition": partition})
    coords["offset"] = coords.groupby(["topic", "partition"], sort=False).cumcount().to_numpy(dtype=np.int64)
    return coords


def run(params, replay: pd.DataFrame, pg_info, *, mode: str | None = None, limit: int | None = None,
        stop: threading.Event | None = None) -> Stats:
    """Process the replay as the Kafka path would, paced like the producer (stream.mode)."""
    replay = first_events(replay, limit)
    coords = coordinates(params, replay)
    topic, partition, offset = (coords[c].to_numpy() for c in ("topic", "partition", "offset"))
    keys = pd.Series(replay["hospital_id"].to_numpy(dtype=object)).str.encode("utf-8").to_numpy(dtype=object)
    heads = replay["head"].to_numpy(dtype=object)
    paced_by = pacer(params, replay["event_time"], mode, stop)
    batch = params.stream.processor_batch_size
    processor = Processor(params, pg_info)
    try:
        last_flush = time.monotonic()
        i, n = 0, len(replay)
        while i < n:
            if not paced_by.wait(i):
                break
            j = min(n, i + batch)
            if paced_by.due is not None:   # paced: take what is due now, at most a batch
                due_now = int(np.searchsorted(paced_by.due, paced_by.elapsed(), side="right"))
                j = max(i + 1, min(j, due_now))
            now_ms = time.time_ns() // 1_000_000
            tail = events.utc_stamp(now_ms).encode() + b'"}'
            processor.process([Record(topic[k], int(partition[k]), int(offset[k]), keys[k], heads[k] + tail, now_ms)
                               for k in range(i, j)])
            i = j
            if time.monotonic() - last_flush >= params.stream.commit_interval_s:
                processor.flush()
                last_flush = time.monotonic()
        processor.flush()
    finally:
        processor.close()
    return processor.stats
