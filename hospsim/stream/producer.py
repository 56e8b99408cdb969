"""Replays a simulated period into the event topics with kafka-python.

Three paces (stream.mode): `asap` sends as fast as the client goes; `rate` holds stream.events_per_second;
`realtime` follows the simulated clock, stream.speed simulated seconds per wall second (1440 = a day a
minute). Events are serialized before the loop (hospsim.events.build), so the loop only stamps
produced_at and sends. The key is the hospital id and the partition is computed from it up front
(topics.partition_of), so one hospital's events stay in order on one partition;
the idempotent producer (acks=all) keeps that order through retries. Every delivery is checked: what
still fails after the retries is raised as DeliveryError once everything else is flushed.

Every wait is bounded and answers the stop event (SIGINT/SIGTERM in the CLI): send() blocks at most
_SEND_BLOCK_MS at a time, the final flush at most stream.delivery_timeout_ms (plus a margin), and closing
aborts what is still pending. kafka-python's own flush() has no bound when the broker is away: its
idempotent producer stops expiring batches while it has no producer id, so a wait on it alone can last
forever. What was not delivered in time is reported by event id (DeliveryError.undelivered, and a file
under data/stream/_undelivered/), never dropped silently.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hospsim import config, events, pacing
from hospsim.stream import topics as topic_admin
from hospsim.stream.errors import DeliveryError

_log = logging.getLogger(__name__)
_CODEC_PACKAGES = {"snappy": ("has_snappy", "python-snappy or cramjam"), "lz4": ("has_lz4", "lz4"),
                   "zstd": ("has_zstd", "zstandard"), "gzip": ("has_gzip", "(built in)")}
_SWEEP_EVERY = 2_000
_SEND_BLOCK_MS = 1000      # max_block_ms: one send() waits at most this for buffer room or metadata
_FLUSH_SLICE_S = 0.5       # flushes wait in slices this long, so a stop is seen between them
STOP_GRACE_S = 3.0         # after a stop, pending deliveries get this long before they are given up
_FLUSH_MARGIN_S = 5.0      # past delivery_timeout_ms, before pending deliveries count as undelivered


@dataclass
class ProduceReport:
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0
    per_topic: dict = field(default_factory=dict)
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)   # topic, second, produced
    errors: list = field(default_factory=list)                      # (event_id, error) of failed deliveries
    undelivered: list = field(default_factory=list)                 # event ids not delivered (failed or never sent)
    stopped: bool = False                                           # the stop event ended the run early
    undelivered_file: Path | None = None                            # the undelivered ids, one a line

    @property
    def events_per_second(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else float("nan")

    def summary(self) -> dict:
        out = {"sent": self.sent, "failed": self.failed, "seconds": round(self.seconds, 3),
               "events_per_second": round(self.events_per_second, 1), "per_topic": self.per_topic}
        if self.stopped or self.undelivered:
            out |= {"stopped": self.stopped, "undelivered": len(self.undelivered),
                    "undelivered_file": str(self.undelivered_file) if self.undelivered_file else None}
        return out


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
        max_request_size=max(1024 * 1024, s.batch_size * 2), max_block_ms=_SEND_BLOCK_MS,
        request_timeout_ms=config.KAFKA_REQUEST_TIMEOUT_MS)   # the value config's delivery-timeout check assumes


def flush_within(producer, timeout_s: float, stop: threading.Event | None = None,
                 grace_s: float = STOP_GRACE_S) -> bool:
    """Flush in short slices: True once every record sent so far has its outcome; False at the deadline, or
    grace_s after stop is set."""
    from kafka.errors import KafkaTimeoutError
    deadline = time.monotonic() + timeout_s
    stopped_at = None
    while True:
        try:
            producer.flush(timeout=_FLUSH_SLICE_S)
            return True
        except KafkaTimeoutError:
            pass
        now = time.monotonic()
        if stop is not None and stop.is_set():
            stopped_at = stopped_at or now
            if now - stopped_at >= grace_s:
                return False
        if now >= deadline:
            return False


def close_within(producer, timeout_s: float = 5.0) -> None:
    """Close in bounded time. kafka-python's close() flushes first and raises while records are pending (the
    broker is away), leaving its I/O thread running; then the pending records are aborted (their futures
    fail, so they are reported) and the thread is stopped."""
    from kafka.errors import KafkaError
    try:
        producer.close(timeout=timeout_s)
        return
    except KafkaError as exc:
        _log.warning("producer close: %s; aborting the records still pending", exc)
    sender = getattr(producer, "_sender", None)     # no public call aborts pending records
    if sender is not None:
        sender.force_close()
        sender.join(timeout_s)
    with contextlib.suppress(KafkaError):
        producer.close(timeout=0)


def first_events(replay: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """The first `limit` events (all for None); a negative limit is refused, not read as 'all but the last'."""
    if limit is None:
        return replay
    if limit < 0:
        raise ValueError(f"limit = {limit}: give a number of events >= 0, or None for all")
    return replay.iloc[:limit]


def pacer(params, event_times, mode: str | None = None,
          stop: threading.Event | None = None) -> pacing.EventPacer:
    """The pace of stream.mode (or `mode`) over these events: each event's due time, for the producer and the
    in-process path alike."""
    s = params.stream
    return pacing.EventPacer(pacing.schedule(mode or s.mode, event_times, s.events_per_second, s.speed), stop)


def produce(params, replay: pd.DataFrame, bootstrap: str, *, mode: str | None = None, limit: int | None = None,
            stop: threading.Event | None = None, producer=None, raise_on_failure: bool = True) -> ProduceReport:
    """Send the replay (hospsim.events.build) to the topics; DeliveryError lists what was not delivered."""
    replay = first_events(replay, limit)
    topic_admin.ensure(params, bootstrap)
    n = len(replay)
    topic_of = topic_admin.names(params)
    topic = replay["event_type"].map(topic_of).to_numpy(dtype=object)
    partition = topic_admin.partitions_for(params, replay["hospital_id"].to_numpy(dtype=object))
    keys = pd.Series(replay["hospital_id"].to_numpy(dtype=object)).str.encode("utf-8").to_numpy(dtype=object)
    heads = replay["head"].to_numpy(dtype=object)
    # Python lists index faster than object arrays and give plain ints: this loop is the producer's ceiling.
    topic_l, partition_l, keys_l, heads_l = topic.tolist(), partition.tolist(), keys.tolist(), heads.tolist()
    paced_by = pacer(params, replay["event_time"], mode, stop)
    paced = paced_by.due is not None
    sent_ms = np.zeros(n, dtype=np.int64)
    own = producer is None
    producer = producer or make_producer(params, bootstrap)
    report = ProduceReport()
    pending: deque = deque()
    failures: list = []
    started = time.perf_counter()
    last_ms, stamp = -1, b""
    give_up_s = params.stream.delivery_timeout_ms / 1000
    try:
        from kafka.errors import KafkaTimeoutError
        for i in range(n):
            if paced and not paced_by.wait(i):
                break
            if not paced and stop is not None and stop.is_set():
                break
            now_ms = time.time_ns() // 1_000_000
            if now_ms != last_ms:
                last_ms, stamp = now_ms, events.utc_stamp(now_ms).encode() + b'"}'
            try:
                future = producer.send(topic_l[i], value=heads_l[i] + stamp, key=keys_l[i], partition=partition_l[i],
                                       timestamp_ms=now_ms)
            except KafkaTimeoutError:    # no room in the buffer or no metadata: the broker is away
                args = (topic_l[i], heads_l[i] + stamp, keys_l[i], partition_l[i], now_ms)
                future = _send_patiently(producer, args, give_up_s, stop)
                if future is None:       # stopped while waiting
                    break
                if isinstance(future, BaseException):
                    failures.append((i, future))
                    _log.error("send failed at event %d of %d: %s", i, n, future)
                    break
            except Exception as exc:  # noqa: BLE001 - a closed producer, an oversized record...: stop, report
                failures.append((i, exc))
                _log.error("send failed at event %d of %d: %s", i, n, exc)
                break
            sent_ms[i] = now_ms
            pending.append((i, future))
            if len(pending) >= _SWEEP_EVERY:
                _sweep(pending, failures)
        delivered = flush_within(producer, give_up_s + _FLUSH_MARGIN_S, stop)
        if not delivered and own:
            close_within(producer, 1.0)      # aborts what is pending: those futures fail and are counted
        _sweep(pending, failures, final=True)
    finally:
        if own:
            close_within(producer, 5.0)
    report.seconds = time.perf_counter() - started
    report.stopped = stop is not None and stop.is_set()
    _finish_report(params, report, replay, topic, sent_ms, failures)
    if failures and raise_on_failure:
        first = report.errors[0]
        raise DeliveryError(
            f"{len(report.undelivered)} of {n} events were not delivered within stream.delivery_timeout_ms = "
            f"{params.stream.delivery_timeout_ms} ms (first: event {first[0]}: {first[1]}); {report.sent} were. "
            f"Their ids are in {report.undelivered_file}. Nothing was dropped silently: check the broker and "
            "produce again (the processor ignores repeats)", undelivered=report.undelivered)
    return report


def _send_patiently(producer, args: tuple, give_up_s: float, stop: threading.Event | None):
    """send() again while the buffer is full or metadata is missing, up to give_up_s: the future, None on a
    stop, or the exception that ended the wait."""
    from kafka.errors import KafkaTimeoutError
    started = time.monotonic()
    while True:
        if stop is not None and stop.is_set():
            return None
        try:
            return producer.send(args[0], value=args[1], key=args[2], partition=args[3], timestamp_ms=args[4])
        except KafkaTimeoutError as exc:
            if time.monotonic() - started >= give_up_s:
                return exc
        except Exception as exc:  # noqa: BLE001 - reported like any failed delivery
            return exc


def _finish_report(params, report: ProduceReport, replay: pd.DataFrame, topic, sent_ms, failures: list) -> None:
    """Counts, timeline and the undelivered ids (failed, or never sent after a failure), the ids to a file."""
    n = len(replay)
    failed_idx = np.array(sorted(i for i, _ in failures), dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    ok[np.flatnonzero(sent_ms)] = True
    ok[failed_idx] = False
    report.sent = int(ok.sum())
    ids = replay["event_id"].to_numpy(dtype=object)
    report.errors = [(ids[i], repr(exc)) for i, exc in failures]
    report.per_topic = {t: int(c) for t, c in pd.Series(topic[ok]).value_counts().sort_index().items()}
    report.timeline = timeline(topic[ok], sent_ms[ok])
    if failures:
        never_sent = np.flatnonzero(sent_ms == 0)
        never_sent = never_sent[never_sent > failed_idx.max()] if failed_idx.size else never_sent
        undelivered = np.union1d(failed_idx, never_sent)
        report.undelivered = [str(ids[i]) for i in undelivered]
        report.failed = len(report.undelivered)
        report.undelivered_file = _write_undelivered(params, report.undelivered)
    elif report.stopped:
        report.undelivered = [str(ids[i]) for i in np.flatnonzero(~ok)]


def _write_undelivered(params, ids: list[str]) -> Path | None:
    from hospsim import sinks
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = params.dirs.data_dir / "stream" / "_undelivered" / f"{stamp}-{len(ids)}.txt"
    try:
        sinks.write_text("\n".join(ids) + "\n", target)
    except OSError as exc:
        _log.error("could not write the undelivered ids to %s: %s", target, exc)
        return None
    return target


def _sweep(pending: deque, failures: list, *, final: bool = False) -> None:
    """Check deliveries oldest first and let go of the finished ones (holding ~100k live futures would make
    every garbage collection crawl); final: the flush is over, so one still pending was not delivered."""
    while pending:
        i, future = pending[0]
        if not future.is_done and not final:
            return
        pending.popleft()
        if not future.is_done:
            failures.append((i, TimeoutError("no delivery report within stream.delivery_timeout_ms")))
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
