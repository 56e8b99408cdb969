"""The Kafka timed sink of the living clock (hospsim.live): a day's events, sent when the clock reaches them.

The events are the very ones `hospsim stream produce` sends for the day (hospsim.events.build of the day's
frames, the same ids and bytes but for produced_at), to the same topics and partitions, through the same
idempotent producer. Its mark is the end offset of every event partition when the day starts; after a
crash, an independent consumer (no group, nothing committed) reads the topics from there and names the
events Kafka already has, so the resumed day sends only the others.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque

import numpy as np
import pandas as pd

from hospsim import events
from hospsim.errors import LiveError
from hospsim.stream import producer as producing
from hospsim.stream import topics
from hospsim.stream.errors import DeliveryError

SCAN_TIMEOUT_S = 120.0
"""Reading a day's events back on resume gives up after this long (the broker does not answer)."""
_POLL_MS = 500
_READER_TIMEOUT_MS = 30_000
_SENT = ("event_id", "topic", "head", "key", "partition")


class KafkaSink:
    """A TimedSink (hospsim.live) for the event topics."""

    name = "kafka"

    def __init__(self, params, bootstrap: str, stop: threading.Event | None = None):
        self.params, self.bootstrap, self.stop = params, bootstrap, stop
        topics.ensure(params, bootstrap)
        self.producer = producing.make_producer(params, bootstrap, client_id="hospsim-live")
        self.give_up_s = params.stream.delivery_timeout_ms / 1000
        self.pending: deque = deque()
        self.failures: list = []
        self._reader = None

    def timeline(self, result) -> pd.DataFrame:
        """The day's events in simulated-time order, with their topic, partition and key."""
        replay = events.from_result(self.params, result)
        replay["sim_time"] = replay["event_time"].to_numpy(dtype="datetime64[ms]")
        replay["topic"] = replay["event_type"].map(topics.names(self.params))
        replay["partition"] = topics.partitions_for(self.params, replay["hospital_id"].to_numpy(dtype=object))
        replay["key"] = replay["hospital_id"].astype(str).str.encode("utf-8")
        return replay

    def mark(self) -> dict:
        """The end offset of every event partition, "topic:partition" -> offset."""
        reader = self._consumer()
        ends = reader.end_offsets(self._partitions(reader))
        return {f"{tp.topic}:{tp.partition}": int(offset) for tp, offset in ends.items()}

    def delivered(self, rows: pd.DataFrame, mark: dict) -> np.ndarray:
        """True for each row whose event id is in the topics past `mark`."""
        if rows.empty:
            return np.zeros(0, dtype=bool)
        return rows["event_id"].isin(self.ids_since(mark)).to_numpy()

    def ids_since(self, mark: dict) -> set[str]:
        """The event ids written to the topics since `mark`, read to the partitions' current ends."""
        from kafka import TopicPartition
        reader = self._consumer()
        starts = {TopicPartition(*_split(key)): offset for key, offset in mark.items()}
        reader.assign(list(starts))
        for tp, offset in starts.items():
            reader.seek(tp, offset)
        ends = reader.end_offsets(list(starts))
        found: set[str] = set()
        deadline = time.monotonic() + SCAN_TIMEOUT_S
        while any(reader.position(tp) < ends[tp] for tp in starts):
            if self.stop is not None and self.stop.is_set():
                raise LiveError("stopped while reading the day's events back from Kafka; nothing of the day was "
                                "sent again. Start live again to resume")
            if time.monotonic() > deadline:
                raise LiveError(f"reading the day's events back from {self.bootstrap} took over {SCAN_TIMEOUT_S} s; "
                                "check the broker (hospsim services status) and start live again")
            for records in reader.poll(timeout_ms=_POLL_MS).values():
                found.update(json.loads(r.value)["event_id"] for r in records)
        return found

    def send(self, rows: pd.DataFrame) -> None:
        from kafka.errors import KafkaTimeoutError
        now_ms = time.time_ns() // 1_000_000
        stamp = events.utc_stamp(now_ms)
        for event_id, topic, head, key, partition in zip(*(rows[c].tolist() for c in _SENT)):
            args = (topic, events.finish(head, stamp), key, int(partition), now_ms)
            try:
                future = self.producer.send(args[0], value=args[1], key=args[2], partition=args[3],
                                            timestamp_ms=args[4])
            except KafkaTimeoutError:     # no room or no metadata: the broker is away
                future = producing._send_patiently(self.producer, args, self.give_up_s, None)
                if isinstance(future, BaseException):
                    raise DeliveryError(f"sending to {topic} failed: {future}; check the broker and start live "
                                        "again (it resumes where the confirmed events end)") from future
            self.pending.append((event_id, future))

    def flush(self, stop: threading.Event | None) -> None:
        """Every event sent so far delivered, or DeliveryError naming the first one that was not."""
        producing.flush_within(self.producer, self.give_up_s + producing._FLUSH_MARGIN_S, stop)
        producing._sweep(self.pending, self.failures, final=True)
        if self.failures:
            (first, error), n = self.failures[0], len(self.failures)
            self.failures = []
            raise DeliveryError(f"{n} event(s) not delivered (first: {first}: {error}); start live again: "
                                "it resumes after the last confirmed event and skips those Kafka already has")

    def close(self) -> None:
        producing.close_within(self.producer, 5.0)
        if self._reader is not None:
            self._reader.close()

    def _consumer(self):
        if self._reader is None:
            from kafka import KafkaConsumer
            self._reader = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                         client_id="hospsim-live-reader", auto_offset_reset="earliest",
                                         request_timeout_ms=_READER_TIMEOUT_MS)
        return self._reader

    def _partitions(self, reader) -> list:
        from kafka import TopicPartition
        out = []
        for topic in topics.names(self.params).values():
            parts = reader.partitions_for_topic(topic)
            if not parts:
                raise LiveError(f"topic {topic} has no partitions on {self.bootstrap}; check the broker")
            out += [TopicPartition(topic, p) for p in sorted(parts)]
        return out


def _split(key: str) -> tuple[str, int]:
    topic, _, partition = key.rpartition(":")
    return topic, int(partition)
