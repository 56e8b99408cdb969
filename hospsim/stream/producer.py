"""Replays a simulated period into the event topics with kafka-python.

Three paces (stream.mode): `asap` sends as fast as the client goes; `rate` holds stream.events_per_second;
`realtime` follows the simulated clock, stream.speed simulated seconds per wall second (1440 = a day a
minute). Events are serialized before the loop (hospsim.events.build), so the loop only stamps
produced_at and sends. The key is the hospital id and the partition is computed from it up front
(topics.partition_of), so one hospital's events stay in order on one partition;
the idempotent producer (acks=all) keeps that order through retries. Every delivery is checked: what
still fails after the retries is raised as DeliveryError once everything else is flushed.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospsim import events
from hospsim.stream import topics as topic_admin
from hospsim.stream.processor import DeliveryError

_log = logging.getLogger(__name__)
_CODEC_PACKAGES = {"snappy": ("has_snappy", "python-snappy or cramjam"), "lz4": ("has_lz4", "lz4"),
                   "zstd": ("has_zstd", "zstandard"), "gzip": ("has_gzip", "(built in)")}
_SWEEP_EVERY = 2_000


@dataclass
class ProduceReport:
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0
    per_topic: dict = field(default_factory=dict)
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)   # topic, second, produced
    errors: list = field(default_factory=list)                      # (event_id, error) of failed deliveries

    @property
    def events_per_second(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else float("nan")

    def summary(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "seconds": round(self.seconds, 3),
                "events_per_second": round(self.events_per_second, 1), "per_topic": self.per_topic}


def check_compression(params) -> None:
    codec = params.stream.compression_type
    if codec is None:
        return
    from kafka import codec as kcodec
    probe, package = _CODEC_PACKAGES[codec]
    if not getattr(kcodec, probe)():
        raise ValueError(f"stream.compression_type = {codec}: kafka-python needs the pip package {package} for it; "
                         f"install it, or use gzip (built in) or null")


def make_producer(params, bootstrap: str, *, client_id: str = "hospsim-producer"):
    """An idempotent producer (acks=all, ordered retries) with the configured batching and compression."""
    from kafka import KafkaProducer
    s = params.stream
    check_compression(params)
    return KafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, acks="all", enable_idempotence=True,
        max_in_flight_requests_per_connection=5, retries=s.retries, delivery_timeout_ms=s.delivery_timeout_ms,
        linger_ms=s.linger_ms, batch_size=s.batch_size, compression_type=s.compression_type,
        max_request_size=max(1024 * 1024, s.batch_size * 2))


def schedule(params, event_times, mode: str | None = None) -> np.ndarray | None:
    """Wall seconds after the start at which each event is due, or None for as fast as possible."""
    mode = mode or params.stream.mode
    n = len(event_times)
    if mode == "asap" or n == 0:
        return None
    if mode == "rate":
        return np.arange(n, dtype=float) / params.stream.events_per_second
    times = np.asarray(pd.to_datetime(pd.Series(event_times)).to_numpy(dtype="datetime64[ms]"), dtype=np.int64)
    return (times - times[0]) / 1000.0 / params.stream.speed


class Pacer:
    """Sleeps until event i is due; checks the clock cheaply enough to sit in a send loop."""

    def __init__(self, due: np.ndarray | None, stop: threading.Event | None = None):
        self.due = due
        self.stop = stop
        self.start = time.perf_counter()

    def wait(self, i: int) -> bool:
        """False when stop was set while waiting."""
        if self.due is None:
            return not (self.stop is not None and self.stop.is_set())
        ahead = self.due[i] - (time.perf_counter() - self.start)
        while ahead > 0.001:
            if self.stop is not None and self.stop.wait(min(ahead, 0.5)):
                return False
            if self.stop is None:
                time.sleep(min(ahead, 0.5))
            ahead = self.due[i] - (time.perf_counter() - self.start)
        return not (self.stop is not None and self.stop.is_set())


def produce(params, replay: pd.DataFrame, bootstrap: str, *, mode: str | None = None, limit: int | None = None,
            stop: threading.Event | None = None, producer=None, raise_on_failure: bool = True) -> ProduceReport:
    """Send the replay (hospsim.events.build) to the topics; DeliveryError lists what was not delivered."""
    topic_admin.ensure(params, bootstrap)
    replay = replay.iloc[:limit] if limit is not None else replay
    n = len(replay)
    topic_of = topic_admin.names(params)
    topic = replay["event_type"].map(topic_of).to_numpy(dtype=object)
    partition = topic_admin.partitions_for(params, replay["hospital_id"].to_numpy(dtype=object))
    keys = pd.Series(replay["hospital_id"].to_numpy(dtype=object)).str.encode("utf-8").to_numpy(dtype=object)
    heads = replay["head"].to_numpy(dtype=object)
    # Python lists index faster than object arrays and give plain ints: this loop is the producer's ceiling.
    topic_l, partition_l, keys_l, heads_l = topic.tolist(), partition.tolist(), keys.tolist(), heads.tolist()
    due = schedule(params, replay["event_time"], mode)
    pacer = Pacer(due, stop)
    paced = due is not None
    sent_ms = np.zeros(n, dtype=np.int64)
    own = producer is None
    producer = producer or make_producer(params, bootstrap)
    report = ProduceReport()
    pending: deque = deque()
    failures: list = []
    started = time.perf_counter()
    last_ms, stamp = -1, b""
    sent = 0
    try:
        for i in range(n):
            if paced and not pacer.wait(i):
                break
            if not paced and stop is not None and stop.is_set():
                break
            now_ms = time.time_ns() // 1_000_000
            if now_ms != last_ms:
                last_ms, stamp = now_ms, events.utc_stamp(now_ms).encode() + b'"}'
            try:
                future = producer.send(topic_l[i], value=heads_l[i] + stamp, key=keys_l[i], partition=partition_l[i],
                                       timestamp_ms=now_ms)
            except Exception as exc:  # noqa: BLE001 - buffer full past max_block_ms, no metadata...: stop, report
                failures.append((i, exc))
                _log.error("send failed at event %d of %d: %s", i, n, exc)
                break
            sent_ms[i] = now_ms
            sent += 1
            pending.append((i, future))
            if len(pending) >= _SWEEP_EVERY:
                _sweep(pending, failures)
        producer.flush()
        _sweep(pending, failures, wait=True)
    finally:
        if own:
            producer.close(timeout=30)
    report.seconds = time.perf_counter() - started
    failed_idx = np.array(sorted(i for i, _ in failures), dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    ok[np.flatnonzero(sent_ms)] = True
    ok[failed_idx] = False
    report.sent = int(ok.sum())
    report.failed = len(failures)
    report.errors = [(replay["event_id"].iloc[i], repr(exc)) for i, exc in failures]
    report.per_topic = {t: int(c) for t, c in pd.Series(topic[ok]).value_counts().sort_index().items()}
    report.timeline = timeline(topic[ok], sent_ms[ok])
    if failures and raise_on_failure:
        first = report.errors[0]
        raise DeliveryError(f"{report.failed} of {n} events were not delivered after {params.stream.retries} "
                            f"retries (first: event {first[0]}: {first[1]}); {report.sent} were. Nothing was "
                            f"dropped silently: check the broker and produce again (the processor ignores repeats)")
    return report


def _sweep(pending: deque, failures: list, *, wait: bool = False) -> None:
    """Check deliveries oldest first and let go of the finished ones (holding ~100k live futures would make
    every garbage collection crawl); with wait, block for each (all are finished after flush)."""
    while pending:
        i, future = pending[0]
        if not future.is_done:
            if not wait:
                return
            with contextlib.suppress(Exception):   # the outcome is read from the future just below
                future.get(timeout=60)
        pending.popleft()
        if not future.is_done:
            failures.append((i, TimeoutError("no delivery report 60 s after flush")))
        elif future.failed():
            failures.append((i, future.exception))


def timeline(topics, epoch_ms) -> pd.DataFrame:
    """Produced events per topic and wall-clock second."""
    frame = pd.DataFrame({"topic": np.asarray(topics, dtype=object),
                          "second": pd.to_datetime(np.asarray(epoch_ms, dtype=np.int64) // 1000 * 1000, unit="ms",
                                                   utc=True)})
    if frame.empty:
        return pd.DataFrame({"topic": pd.Series(dtype=object), "second": pd.Series(dtype="datetime64[ms, UTC]"),
                             "produced": pd.Series(dtype=np.int64)})
    return frame.groupby(["topic", "second"]).size().rename("produced").reset_index()
