"""The stream processor: events from the topics into JSON-lines files and PostgreSQL, exactly once in each.

`Processor` is the sink side and knows nothing of Kafka: it takes records (topic, partition, offset, key,
value) and says which offsets are safe to commit. hospsim.stream.consumer.run feeds it from a consumer
group; the in-process path (hospsim.stream.inprocess) feeds it the same records without a broker.

Per batch: decode and validate every message, its key and its meaning (events.decode_batch; an invalid one
goes to the dead-letter sink with its reason); store the valid ones in one transaction, idempotent on the
event id (hospsim.stream.sink, the rows); add the valid ones to the file of their offset range
(hospsim.stream.files); send the rejects the dead-letter ledger has not seen sent; only then are offsets
committable. The transaction runs on a database thread while the next batch is decoded. The committed
offset of a partition never passes a record whose line is not on disk yet: the open range commits up to
where it was last written.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter

from hospsim import events
from hospsim.stream import topics as topic_admin
from hospsim.stream.errors import DeliveryError
from hospsim.stream.files import RangeFiles, stream_dir
from hospsim.stream.records import Record, Rejected, TopicPartition, conflict, plain
from hospsim.stream.sink import Sink

__all__ = ["DeliveryError", "Processor", "Record", "Rejected", "Stats", "TopicPartition"]

_log = logging.getLogger(__name__)


@dataclass
class Stats:
    consumed: int = 0
    inserted: int = 0
    replayed: int = 0       # already stored from the same offset: a redelivery after a crash
    duplicates: int = 0     # already stored from another offset: the same event produced twice
    rejected: int = 0
    files_written: int = 0
    batches: int = 0
    partitions: set = field(default_factory=set)       # "topic-partition" assigned to this instance now
    processed_partitions: set = field(default_factory=set)   # those it read records from
    history: list = field(default_factory=list)        # (wall time, topic, consumed, rejected) per batch
    first_batch_at: float | None = None                 # wall time the first batch was in hand
    last_stored_at: float | None = None                 # wall time the last batch was stored (rows and files)

    def summary(self) -> dict:
        return {"consumed": self.consumed, "inserted": self.inserted, "replayed": self.replayed,
                "duplicates": self.duplicates, "rejected": self.rejected, "files_written": self.files_written,
                "batches": self.batches, "partitions": sorted(self.partitions),
                "processed_partitions": sorted(self.processed_partitions)}


class _Batch:
    """One decoded batch on its way: rows to the database, then lines to the range files."""
    __slots__ = (
        "buckets",
        "coords",
        "first_in_range",
        "last",
        "record_of",
        "records",
        "rejected",
        "stored",
        "twins",
        "valid",
    )

    def __init__(self, records: list):
        self.records = records
        self.valid: dict[str, list[dict]] = defaultdict(list)
        self.coords: dict[str, list[tuple]] = defaultdict(list)
        self.buckets: dict[tuple, dict[str, dict[str, bytes]]] = {}   # (tp, range start) -> date -> id -> line
        self.first_in_range: dict[tuple, int] = {}
        self.rejected: list[Rejected] = []
        self.last: dict[TopicPartition, int] = {}
        self.twins = 0
        self.stored: Future | None = None
        self.record_of: dict[str, Record] = {}     # event id -> its record, for rows the database refuses


class Processor:
    """Records in, rows and files out; `committable()` is how far each partition is safely stored."""

    def __init__(self, params, pg_info, *, dead_letter: Callable[[list[Rejected]], None] | None = None):
        self.params = params
        self.types = {t: et for et, t in topic_admin.names(params).items()}
        self.rules = events.rules(params)
        self.dead_letter = dead_letter
        self.stats = Stats()
        self.files = RangeFiles(stream_dir(params), params.stream.file_events)
        self.sink = Sink(pg_info, params.stream.schema)
        self._position: dict[TopicPartition, int] = {}
        self._lock = threading.RLock()   # a rebalance callback may flush while nothing else runs; be safe
        self._inflight: _Batch | None = None
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hospsim-stream-db")
        self.reconnect()

    def reconnect(self) -> None:
        """A fresh database connection with the schema and its staging tables (at start, and after the
        database went away); raises while the database cannot be reached."""
        self.sink.connect()

    def recover(self) -> dict[TopicPartition, int]:
        """After a failure mid-batch (the database or the broker went away): drop what is not stored yet and
        return, per partition, the offset to read again from (everything before it is stored and filed).
        Call reconnect() before the next batch."""
        with self._lock:
            batch, self._inflight = self._inflight, None
            if batch is not None and batch.stored is not None:
                wait([batch.stored])
            back = self.committable()
            self.files.forget()
            self._position.clear()
            return back

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        """Drop partitions without writing them (their next owner reads them again from the last commit)."""
        with self._lock:
            partitions = list(partitions)
            self.files.forget(partitions)
            for tp in partitions:
                self._position.pop(tp, None)

    # ---------------------------------------------------------------- one batch

    def process(self, records: Iterable[Record]) -> None:
        """Decode this batch, finish the previous one (rows committed -> files -> rejects), send this one's
        rows to PostgreSQL in the background. So decoding overlaps the database's work; `committable()` only
        ever counts finished batches, and `flush()` finishes the one in flight."""
        records = sorted(records, key=attrgetter("topic", "partition", "offset"))
        if not records:
            return
        if self.stats.first_batch_at is None:
            self.stats.first_batch_at = time.time()
        batch = self._decode(records)
        with self._lock:
            self._drain()
            batch.stored = self._db.submit(self.sink.store, batch.valid, batch.coords)
            self._inflight = batch

    def _decode(self, records: list[Record]) -> _Batch:
        """Parse and validate per topic (events.decode_batch checks the schema over the whole group at once),
        then sort the valid events into rows per type and lines per (partition, offset range, date)."""
        batch = _Batch(records)
        seen: dict[str, dict] = {}
        size = self.files.range_size
        for topic, group in groupby(records, key=attrgetter("topic")):
            group = list(group)
            event_type = self.types.get(topic)
            if event_type is None:
                parsed = [None] * len(group)
                reasons = [f"topic {topic} carries no hospsim event type"] * len(group)
            else:
                parsed, reasons = events.decode_batch([r.value for r in group], event_type,
                                                      [r.key for r in group], self.rules)
            for r, event, reason in zip(group, parsed, reasons):
                tp = (r.topic, r.partition)
                batch.last[tp] = r.offset
                if event is None:
                    batch.rejected.append(Rejected(plain(r), reason))
                    continue
                event_id = event["event_id"]
                if event_id in seen:       # the same event twice in one batch: its first offset wins
                    first = batch.record_of[event_id]
                    if _content(seen[event_id]) != _content(event):
                        batch.rejected.append(Rejected(plain(r), conflict(event_id, first.topic, first.partition,
                                                                          first.offset)))
                    else:
                        batch.twins += 1
                    continue
                seen[event_id] = event
                batch.valid[event_type].append(event)
                batch.coords[event_type].append((r.topic, r.partition, r.offset))
                batch.record_of[event_id] = r
                key = (tp, r.offset - r.offset % size)
                batch.first_in_range.setdefault(key, r.offset)
                batch.buckets.setdefault(key, {}).setdefault(event["event_time"][:10], {})[event_id] = r.value
        return batch

    def _drain(self) -> None:
        """Finish the batch in flight: its rows are committed (or this raises), then files, rejects, offsets."""
        batch, self._inflight = self._inflight, None
        if batch is None:
            return
        outcome = batch.stored.result()
        unfiled = outcome.duplicate_ids | outcome.refused.keys()
        if unfiled:
            for dates in batch.buckets.values():
                for lines in dates.values():
                    for event_id in unfiled.intersection(lines):
                        del lines[event_id]
        batch.rejected += [Rejected(plain(batch.record_of[i]), why) for i, (why, _) in outcome.refused.items()]
        self.stats.files_written += self.files.add(batch.buckets, batch.first_in_range)
        if batch.rejected:
            self._reject(batch.rejected)
        for tp, offset in batch.last.items():
            self._position[tp] = offset + 1
        s = self.stats
        s.inserted += outcome.inserted
        s.replayed += outcome.replayed
        s.duplicates += outcome.duplicates + batch.twins
        self._count(batch.records, batch.rejected)

    def _reject(self, rejected: list[Rejected]) -> None:
        """Each reject once (the sink's ledger says which are not sent yet): a file each, then the dead-letter
        sink."""
        todo = self.sink.record_rejects(rejected, self._deliver)
        if todo:
            _log.warning("%d invalid message(s) sent to the dead-letter sink; first: %s", len(todo), todo[0].reason)

    def _deliver(self, todo: list[Rejected]) -> None:
        for item in todo:
            self.files.reject(item)
        if self.dead_letter is not None:
            self.dead_letter(todo)

    def _count(self, records: list, rejected: list[Rejected]) -> None:
        s = self.stats
        s.last_stored_at = time.time()
        s.consumed += len(records)
        s.rejected += len(rejected)
        s.batches += 1
        now = time.time()
        per_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in records:
            per_topic[r.topic][0] += 1
        for item in rejected:
            per_topic[item.record.topic][1] += 1
        s.processed_partitions.update(f"{t}-{p}" for t, p in {(r.topic, r.partition) for r in records})
        s.history.extend((now, t, n, bad) for t, (n, bad) in per_topic.items())

    # ---------------------------------------------------------------- offsets and ranges

    def flush(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Finish the batch in flight and write the open ranges (partial files): every record seen so far
        becomes committable."""
        with self._lock:
            self._drain()
            self.stats.files_written += self.files.write(partitions)

    def committable(self, partitions: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """The next offset to read per partition such that everything before it is in PostgreSQL and on disk."""
        with self._lock:
            out = {}
            for tp in list(self._position if partitions is None else partitions):
                if tp not in self._position:
                    continue
                unwritten = self.files.unwritten_from(tp)
                out[tp] = unwritten if unwritten is not None else self._position[tp]
            return out

    def release(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Flush and forget partitions this instance gives up; returns their offsets to commit."""
        partitions = list(partitions)
        with self._lock:
            self.flush(partitions)
            offsets = self.committable(partitions)
            self.forget(partitions)
            return offsets

    def close(self) -> None:
        """Release the connection. A batch still in flight is waited for but not finished: its offsets were
        never committable, so it is read again next time."""
        batch, self._inflight = self._inflight, None
        if batch is not None and batch.stored is not None:
            wait([batch.stored])
        self._db.shutdown(wait=True)
        self.sink.close()


def _content(event: dict) -> dict:
    """What makes two messages with one event id the same event: all but the send-time stamp."""
    return {k: v for k, v in event.items() if k != events.PRODUCED_AT}
