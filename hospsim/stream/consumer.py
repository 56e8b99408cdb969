"""The stream processor as one member of a Kafka consumer group: poll, process, commit, and keep going.

The loop outlives its surroundings. A poll that fails (the broker restarts), a batch the database could
not store (it restarts) or dead letters the broker would not take are each met with a pause that grows
up to MAX_BACKOFF_S (a stop cuts it short) and a rewind: the processor drops what is not stored, the
consumer seeks back to where each partition's stored data ends, and those records are read again (a
replay is recognised by event id and offset, so nothing is stored or filed twice). Only a stop,
max_events or idle time ends the loop; an error that is not a service being away (a bug) still ends it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hospsim.stream import topics as topic_admin
from hospsim.stream.deadletter import DeadLetterProducer
from hospsim.stream.errors import DeliveryError
from hospsim.stream.processor import Processor, Stats, TopicPartition

_log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0


def _away_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean a service is away for now, not that something is wrong with the processor."""
    import psycopg2
    from kafka.errors import KafkaError
    return KafkaError, DeliveryError, psycopg2.OperationalError, psycopg2.InterfaceError, ConnectionError


class _Backoff:
    """0.2 s, 0.4 s, ... up to MAX_BACKOFF_S between attempts; False from pause() when stopped."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        self.failures = 0

    def pause(self) -> bool:
        delay = min(MAX_BACKOFF_S, 0.2 * 2 ** self.failures)
        self.failures += 1
        return not self.stop.wait(delay)

    def reset(self) -> None:
        self.failures = 0


def make_consumer(params, bootstrap: str, instance: str | None):
    from kafka import KafkaConsumer
    s = params.stream
    return KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=s.group_id, client_id=f"hospsim-processor-{instance or 'main'}",
        enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=s.processor_batch_size,
        fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=8 * 1024 * 1024,
        session_timeout_ms=6000, heartbeat_interval_ms=1500)   # a killed member leaves the group in ~6 s


class _Member:
    """The poll -> process -> commit loop of one member, with its recovery."""

    def __init__(self, params, consumer, processor: Processor, stop: threading.Event):
        self.params = params
        self.consumer = consumer
        self.processor = processor
        self.stop = stop
        self.backoff = _Backoff(stop)
        self.committed: dict[TopicPartition, int] = {}
        self.first_seen: dict[TopicPartition, int] = {}   # first offset read since the last rewind

    def listener(self):
        from kafka import ConsumerRebalanceListener
        member = self

        class Rebalance(ConsumerRebalanceListener):
            """A partition given away has its open range written first. Its offsets are not committed here
            (the client runs this inside its event loop, where a blocking commit cannot run): the next owner
            replays from the last commit, which rewrites the same file lines and skips the stored rows."""

            def on_partitions_revoked(self, revoked):
                member.revoke([(tp.topic, tp.partition) for tp in revoked])

            def on_partitions_assigned(self, assigned):
                pass
        return Rebalance()

    def revoke(self, partitions: list[TopicPartition]) -> None:
        try:
            self.processor.release(partitions)
        except _away_errors() as exc:     # not stored: the next owner reads them again from the last commit
            _log.warning("could not write the partitions given away (%s); their next owner reads them again", exc)
            self.processor.forget(partitions)
        for tp in partitions:
            self.committed.pop(tp, None)
            self.first_seen.pop(tp, None)

    def poll(self) -> list | None:
        """The next records; None after a failed poll (the broker is away), once the pause is over."""
        s = self.params.stream
        try:
            polled = self.consumer.poll(timeout_ms=s.poll_timeout_ms, max_records=s.processor_batch_size)
        except _away_errors() as exc:
            _log.warning("poll failed (%s: %s); trying again", type(exc).__name__, exc)
            self.backoff.pause()
            return None
        records = [r for batch in polled.values() for r in batch]
        for r in records:
            self.first_seen.setdefault((r.topic, r.partition), r.offset)
        return records

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata
        from kafka.structs import TopicPartition as TP
        todo = {tp: off for tp, off in offsets.items() if self.committed.get(tp) != off}
        if not todo:
            return
        try:
            self.consumer.commit({TP(*tp): OffsetAndMetadata(off, "", -1) for tp, off in todo.items()})
            self.committed.update(todo)
        except KafkaError as exc:   # broker away or group rebalancing: stored data is safe, commit again later
            _log.warning("offset commit failed (%s); will retry", exc)

    def rewind(self, exc: BaseException) -> None:
        """After a failed batch: drop what is not stored, get the database back, read again from where each
        partition's stored data ends."""
        from kafka.structs import TopicPartition as TP
        _log.warning("a batch was not stored (%s: %s); reading it again once the services answer",
                     type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        back = {**self.first_seen, **self.processor.recover()}
        self.first_seen.clear()
        while self.backoff.pause():
            try:
                self.processor.reconnect()
                break
            except _away_errors() as again:
                _log.warning("the database does not answer yet (%s)", str(again).splitlines()[0])
        try:
            for tp in self.consumer.assignment():
                if (tp.topic, tp.partition) in back:
                    self.consumer.seek(TP(tp.topic, tp.partition), back[(tp.topic, tp.partition)])
        except _away_errors() as again:   # assignment changing under us: the next owner starts from the commit
            _log.warning("seek after a failed batch: %s", again)

    def step(self, records: list, on_batch) -> None:
        if records:
            self.processor.process(records)
            if on_batch is not None:
                on_batch(self.processor.stats)

    def run(self, max_events: int | None, idle_timeout_s: float | None, on_batch) -> None:
        s = self.params.stream
        processor, away = self.processor, _away_errors()
        last_flush = idle_since = time.monotonic()
        while not self.stop.is_set():
            records = self.poll()
            if records is None:
                continue
            now = time.monotonic()
            processor.stats.partitions = {f"{tp.topic}-{tp.partition}" for tp in self.consumer.assignment()}
            if records or not self.consumer.assignment():   # idle means: holding partitions, nothing arrives
                idle_since = now
            try:
                self.step(records, on_batch)
                if not records or now - last_flush >= s.commit_interval_s:
                    processor.flush()
                    last_flush = now
            except away as exc:
                self.rewind(exc)
                continue
            self.backoff.reset()
            self.commit(processor.committable())
            if max_events is not None and processor.stats.consumed >= max_events:
                break
            if idle_timeout_s is not None and now - idle_since >= idle_timeout_s:
                break
        try:
            processor.flush()
            self.commit(processor.committable())
        except away as exc:   # stopping anyway: what is not stored is read again next time
            _log.warning("final flush failed (%s); the last batch is read again next time", exc)
            processor.recover()


def run(params, pg_info, bootstrap: str, *, stop: threading.Event | None = None, max_events: int | None = None,
        idle_timeout_s: float | None = None, instance: str | None = None,
        on_batch: Callable[[Stats], None] | None = None) -> Stats:
    """Consume the event topics as one member of the group until `stop` is set, `max_events` are read or
    nothing arrives for `idle_timeout_s`. Offsets are committed only once rows and files are stored."""
    if max_events is not None and max_events < 0:
        raise ValueError(f"max_events = {max_events}: give a number of messages >= 0, or None for no limit")
    if idle_timeout_s is not None and idle_timeout_s <= 0:
        raise ValueError(f"idle_timeout_s = {idle_timeout_s}: give seconds > 0, or None to wait for a stop")
    stop = stop or threading.Event()
    topic_admin.ensure(params, bootstrap)
    consumer = make_consumer(params, bootstrap, instance)
    dead_letters = DeadLetterProducer(params, bootstrap, stop)
    processor = Processor(params, pg_info, dead_letter=dead_letters)
    member = _Member(params, consumer, processor, stop)
    consumer.subscribe(list(topic_admin.names(params).values()), listener=member.listener())
    clean = False
    try:
        member.run(max_events, idle_timeout_s, on_batch)
        clean = True
    finally:
        try:
            consumer.close(autocommit=False, timeout_ms=5000)
        except Exception as exc:  # noqa: BLE001 - leaving the group is best effort; offsets are committed
            _log.warning("consumer close: %s", exc)
        finally:
            dead_letters.close()
            processor.close()
        _log.info("processor %s stopped %s: %s", instance or "main", "cleanly" if clean else "on an error",
                  processor.stats.summary())
    return processor.stats
