"""The stream processor: events from the topics into JSON-lines files and PostgreSQL, exactly once in each.

`Processor` is the sink side and knows nothing of Kafka: it takes records (topic, partition, offset, key,
value) and says which offsets are safe to commit. `run` feeds it from a consumer group; the in-process path
(hospsim.stream.inprocess) feeds it the same records without a broker.

Per batch: decode and validate every message (an invalid one goes to the dead-letter sink with its reason);
store the valid ones in one transaction, idempotent on the event id (COPY straight into the table; if some
are there already, COPY into a staging table + INSERT ... ON CONFLICT (event_id) DO NOTHING); add them to
the file of their offset range; send the rejects; only then are offsets committable. The transaction runs
on a database thread while the next batch is decoded.

Files: data/stream/<topic>/<date>/p<partition>-<first offset of the range>.jsonl. A file holds one range of
`stream.file_events` offsets of one partition (split by simulated date), so its name does not depend on how
polls happened to batch the records: a replay after a crash rewrites the same file with the same lines, and
the in-process path writes the very same files. One file per event would cost a create and a rename per
event (a few thousand a second at best); a file per range costs one per range, plus a rewrite of the open
range every `commit_interval_s`. The committed offset of a partition never passes a record whose line is
not on disk yet: the open range commits up to where it was last written, and a restart in the middle of a
range reads the range's files back before it appends (deduplicated by event id).
"""
from __future__ import annotations

import base64
import csv
import io
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter, itemgetter
from pathlib import Path

from hospsim import events, sinks, sqlfiles
from hospsim.stream import topics as topic_admin

_log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]
REJECTED_DIR = "_rejected"


@dataclass(frozen=True)
class Record:
    """The fields of a kafka-python ConsumerRecord the processor reads (a ConsumerRecord works as is)."""
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = -1


@dataclass(frozen=True)
class Rejected:
    record: Record
    reason: str


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


@dataclass
class _Stored:
    """What the database made of one batch."""
    inserted: int = 0
    replayed: int = 0
    duplicates: int = 0
    duplicate_ids: set = field(default_factory=set)
    refused: dict = field(default_factory=dict)          # event id -> why PostgreSQL refused it


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


class _Range:
    """The open offset range of one partition: date -> event id -> line, in offset order; `changed` holds
    the dates whose file is behind (a time-ordered stream mostly appends to one date at a time)."""
    __slots__ = ("changed", "lines", "start", "unwritten_from")

    def __init__(self, start: int):
        self.start = start
        self.lines: dict[str, dict[str, bytes]] = {}
        self.changed: set[str] = set()
        self.unwritten_from: int | None = None

    @property
    def dirty(self) -> bool:
        return bool(self.changed)


def ensure_schema(conn) -> None:
    """The stream schema and tables (idempotent; an advisory lock serializes concurrent processors)."""
    with conn.cursor() as cur:
        for path in sqlfiles.numbered("stream"):
            cur.execute(sqlfiles.read(f"stream/{path.name}"))
    conn.commit()


def drop_schema(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(sqlfiles.read("stream/99_drop.sql"))
    conn.commit()


def table_columns(event_type: str) -> list[str]:
    """Columns the processor loads, in the order of sql/stream/copy/<table>.sql."""
    return [f for f in events.fields(event_type) if f != "event_type"] + ["kafka_topic", "kafka_partition",
                                                                          "kafka_offset"]


def stream_dir(params) -> Path:
    return params.dirs.data_dir / "stream"


def file_name(partition: int, start: int) -> str:
    return f"p{partition:03d}-{start:012d}.jsonl"


class Processor:
    """Records in, rows and files out; `committable()` is how far each partition is safely stored."""

    def __init__(self, params, pg_info, *, dead_letter: Callable[[list[Rejected]], None] | None = None):
        self.params = params
        self.root = stream_dir(params)
        self.range_size = params.stream.file_events
        self.types = {t: et for et, t in topic_admin.names(params).items()}
        self.dead_letter = dead_letter
        self.stats = Stats()
        self._open: dict[TopicPartition, _Range] = {}
        self._position: dict[TopicPartition, int] = {}
        self._lock = threading.RLock()   # a rebalance callback may flush while nothing else runs; be safe
        self._inflight: _Batch | None = None
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hospsim-stream-db")
        self._conn = pg_info.connect()
        ensure_schema(self._conn)
        with self._conn.cursor() as cur:
            cur.execute(sqlfiles.read("stream/stage.sql"))
        self._conn.commit()

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
            batch.stored = self._db.submit(self._upsert, batch.valid, batch.coords)
            self._inflight = batch

    def _decode(self, records: list[Record]) -> _Batch:
        """Parse and validate per topic (events.decode_batch checks the schema over the whole group at once),
        then sort the valid events into rows per type and lines per (partition, offset range, date)."""
        batch = _Batch(records)
        seen: set[str] = set()
        size = self.range_size
        for topic, group in groupby(records, key=attrgetter("topic")):
            group = list(group)
            event_type = self.types.get(topic)
            if event_type is None:
                parsed = [None] * len(group)
                reasons = [f"topic {topic} carries no hospsim event type"] * len(group)
            else:
                parsed, reasons = events.decode_batch([r.value for r in group], event_type)
            for r, event, reason in zip(group, parsed, reasons):
                tp = (r.topic, r.partition)
                batch.last[tp] = r.offset
                if event is None:
                    batch.rejected.append(Rejected(_plain(r), reason))
                    continue
                event_id = event["event_id"]
                if event_id in seen:       # the same event twice in one batch: its first offset wins
                    batch.twins += 1
                    continue
                seen.add(event_id)
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
        batch.rejected += [Rejected(_plain(batch.record_of[i]), why) for i, why in outcome.refused.items()]
        self._file(batch.buckets, batch.first_in_range)
        if batch.rejected:
            self._reject(batch.rejected)
        for tp, offset in batch.last.items():
            self._position[tp] = offset + 1
        s = self.stats
        s.inserted += outcome.inserted
        s.replayed += outcome.replayed
        s.duplicates += outcome.duplicates + batch.twins
        self._count(batch.records, batch.rejected)

    def _upsert(self, valid: dict[str, list[dict]], coords: dict[str, list[tuple]]) -> _Stored:
        """Store a batch (on the database thread). An event the schema allows but PostgreSQL refuses (a date
        like 2025-02-30, a number past bigint, a NUL character) fails its whole batch; the batch is then
        stored one event at a time and the refused ones come back in `refused`, bound for the dead letters."""
        import psycopg2
        try:
            return self._upsert_batch(valid, coords)
        except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
            _log.warning("PostgreSQL refused a batch (%s); storing it event by event to find the culprit",
                         str(exc).splitlines()[0])
            return self._upsert_each(valid, coords)

    def _upsert_each(self, valid: dict[str, list[dict]], coords: dict[str, list[tuple]]) -> _Stored:
        import psycopg2
        import psycopg2.errors
        out = _Stored()
        read = sqlfiles.read
        with self._conn.cursor() as cur:
            try:
                for event_type, rows in valid.items():
                    table = events.TABLES[event_type]
                    row_of = itemgetter(*[c for c in table_columns(event_type) if not c.startswith("kafka_")])
                    for event, where in zip(rows, coords[event_type]):
                        buf = io.StringIO()
                        csv.writer(buf, lineterminator="\n").writerow(row_of(event) + where)
                        buf.seek(0)
                        cur.execute(read("stream/queries/savepoint.sql"))
                        try:
                            cur.copy_expert(read(f"stream/direct/{table}.sql"), buf)
                            cur.execute(read("stream/queries/release_savepoint.sql"))
                            out.inserted += 1
                        except psycopg2.errors.UniqueViolation:
                            cur.execute(read("stream/queries/rollback_savepoint.sql"))
                            cur.execute(read(f"stream/conflicts/{table}.sql"), {"ids": [event["event_id"]]})
                            _, *stored = cur.fetchone()
                            if tuple(stored) == where:
                                out.replayed += 1
                            else:
                                out.duplicates += 1
                                out.duplicate_ids.add(event["event_id"])
                        except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
                            cur.execute(read("stream/queries/rollback_savepoint.sql"))
                            message = exc.diag.message_primary or str(exc).splitlines()[0]
                            out.refused[event["event_id"]] = f"PostgreSQL refused it: {message}"
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
        return out

    def _upsert_batch(self, valid: dict[str, list[dict]], coords: dict[str, list[tuple]]) -> _Stored:
        """One transaction for the batch.

        The CSV (written by the csv module straight from the decoded events) is first COPied straight into
        the table, in a savepoint: new events, the usual case, cost one statement. If some were stored
        already (a redelivery, a re-produced run), the savepoint is rolled back and the batch goes COPY into
        a staging table + INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING event_id, plus a lookup of
        where the skipped ones came from. Events stored earlier from another offset come back as
        duplicate_ids: they are not filed again.
        """
        out = _Stored()
        with self._conn.cursor() as cur:
            try:
                for event_type, rows in valid.items():
                    table = events.TABLES[event_type]
                    row_of = itemgetter(*[c for c in table_columns(event_type) if not c.startswith("kafka_")])
                    buf = io.StringIO()
                    csv.writer(buf, lineterminator="\n").writerows(
                        [row_of(event) + where for event, where in zip(rows, coords[event_type])])
                    if self._direct_copy(cur, table, buf):
                        out.inserted += len(rows)
                        continue
                    buf.seek(0)
                    cur.copy_expert(sqlfiles.read(f"stream/copy/{table}.sql"), buf)
                    cur.execute(sqlfiles.read(f"stream/upsert/{table}.sql"))
                    new = {row[0] for row in cur.fetchall()}
                    out.inserted += len(new)
                    if len(new) == len(rows):
                        continue
                    mine = {event["event_id"]: where for event, where in zip(rows, coords[event_type])
                            if event["event_id"] not in new}
                    cur.execute(sqlfiles.read(f"stream/conflicts/{table}.sql"), {"ids": list(mine)})
                    for event_id, *stored in cur.fetchall():
                        if tuple(stored) == mine[event_id]:
                            out.replayed += 1
                        else:
                            out.duplicates += 1
                            out.duplicate_ids.add(event_id)
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
        return out

    def _direct_copy(self, cur, table: str, buf: io.StringIO) -> bool:
        """COPY into the table itself; False (and nothing stored) when an event id is already there."""
        import psycopg2.errors
        buf.seek(0)
        cur.execute(sqlfiles.read("stream/queries/savepoint.sql"))
        try:
            cur.copy_expert(sqlfiles.read(f"stream/direct/{table}.sql"), buf)
        except psycopg2.errors.UniqueViolation:
            cur.execute(sqlfiles.read("stream/queries/rollback_savepoint.sql"))
            return False
        cur.execute(sqlfiles.read("stream/queries/release_savepoint.sql"))
        return True

    def _file(self, buckets: dict, first_in_range: dict) -> None:
        for (tp, start), dates in buckets.items():
            current = self._open.get(tp)
            if current is None or current.start != start:
                if current is not None and current.dirty:
                    self._write(tp, current)       # a later range began: this one is complete
                current = _Range(start)
                if first_in_range[(tp, start)] > start:
                    self._load(tp, current)        # resuming in the middle of a range
                self._open[tp] = current
            if not any(dates.values()):
                continue
            if not current.dirty:
                current.unwritten_from = first_in_range[(tp, start)]
            for date, lines in dates.items():
                if lines:
                    current.lines.setdefault(date, {}).update(lines)
                    current.changed.add(date)

    def _path(self, tp: TopicPartition, date: str, start: int) -> Path:
        return self.root / tp[0] / date / file_name(tp[1], start)

    def _write(self, tp: TopicPartition, rng: _Range) -> None:
        for date in sorted(rng.changed):
            with sinks.atomic_path(self._path(tp, date, rng.start)) as tmp:
                tmp.write_bytes(b"\n".join(rng.lines[date].values()) + b"\n")
            self.stats.files_written += 1
        rng.changed.clear()
        rng.unwritten_from = None

    def _load(self, tp: TopicPartition, rng: _Range) -> None:
        folder = self.root / tp[0]
        for path in sorted(folder.glob(f"*/{file_name(tp[1], rng.start)}")):
            lines = rng.lines.setdefault(path.parent.name, {})
            for line in path.read_bytes().splitlines():
                if line:
                    lines[json.loads(line)["event_id"]] = line

    def _reject(self, rejected: list[Rejected]) -> None:
        """Dead-letter sink first (it raises when it cannot deliver), then one file per reject."""
        if self.dead_letter is not None:
            self.dead_letter(rejected)
        for item in rejected:
            r = item.record
            body = {"reason": item.reason, "topic": r.topic, "partition": r.partition, "offset": r.offset,
                    "timestamp": r.timestamp, "key": _text(r.key)}
            try:
                body["value"] = r.value.decode("utf-8") if r.value is not None else None
            except UnicodeDecodeError:
                body["value_base64"] = base64.b64encode(r.value).decode()
            target = self.root / REJECTED_DIR / r.topic / f"p{r.partition:03d}-{r.offset:012d}.json"
            sinks.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", target)
        _log.warning("%d invalid message(s) sent to the dead-letter sink; first: %s", len(rejected),
                     rejected[0].reason)

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
            for tp in list(self._open if partitions is None else partitions):
                rng = self._open.get(tp)
                if rng is not None and rng.dirty:
                    self._write(tp, rng)

    def committable(self, partitions: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """The next offset to read per partition such that everything before it is in PostgreSQL and on disk."""
        with self._lock:
            out = {}
            for tp in list(self._position if partitions is None else partitions):
                if tp not in self._position:
                    continue
                rng = self._open.get(tp)
                out[tp] = rng.unwritten_from if rng is not None and rng.dirty else self._position[tp]
            return out

    def release(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Flush and forget partitions this instance gives up; returns their offsets to commit."""
        partitions = list(partitions)
        with self._lock:
            self.flush(partitions)
            offsets = self.committable(partitions)
            for tp in partitions:
                self._open.pop(tp, None)
                self._position.pop(tp, None)
            return offsets

    def close(self) -> None:
        """Release the connection. A batch still in flight is waited for but not finished: its offsets were
        never committable, so it is read again next time."""
        batch, self._inflight = self._inflight, None
        if batch is not None and batch.stored is not None:
            wait([batch.stored])
        self._db.shutdown(wait=True)
        self._conn.close()


def _plain(r) -> Record:
    return Record(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- the Kafka consumer loop

class DeliveryError(RuntimeError):
    """Messages that Kafka did not accept after the producer's retries; none is dropped silently."""


class DeadLetterProducer:
    """Sends rejected messages, unchanged, to <prefix>.dead-letter with the reason and origin as headers."""

    def __init__(self, params, bootstrap: str):
        self.topic = topic_admin.dead_letter(params)
        self.bootstrap = bootstrap
        self.params = params
        self._producer = None

    def __call__(self, rejected: list[Rejected]) -> None:
        from hospsim.stream.producer import make_producer
        if self._producer is None:
            self._producer = make_producer(self.params, self.bootstrap, client_id="hospsim-dead-letter")
        sent = []
        for item in rejected:
            r = item.record
            headers = [("hospsim.reason", item.reason.encode()), ("hospsim.topic", r.topic.encode()),
                       ("hospsim.partition", str(r.partition).encode()), ("hospsim.offset", str(r.offset).encode())]
            sent.append((r, self._producer.send(self.topic, key=r.key, value=r.value if r.value is not None
                                                 else b"", headers=headers)))
        self._producer.flush()
        failed = [(r, f.exception) for r, f in sent if f.failed()]
        if failed:
            r, exc = failed[0]
            raise DeliveryError(f"{len(failed)} dead letter(s) not delivered to {self.topic}, e.g. "
                                f"{r.topic}-{r.partition}@{r.offset}: {exc}")

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)


def run(params, pg_info, bootstrap: str, *, stop: threading.Event | None = None, max_events: int | None = None,
        idle_timeout_s: float | None = None, instance: str | None = None,
        on_batch: Callable[[Stats], None] | None = None) -> Stats:
    """Consume the event topics as one member of the group until `stop` is set, `max_events` are read or
    nothing arrives for `idle_timeout_s`. Offsets are committed only once rows and files are stored."""
    from kafka import ConsumerRebalanceListener, KafkaConsumer

    s = params.stream
    stop = stop or threading.Event()
    topic_admin.ensure(params, bootstrap)
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=s.group_id, client_id=f"hospsim-processor-{instance or 'main'}",
        enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=s.processor_batch_size,
        fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=8 * 1024 * 1024,
        session_timeout_ms=6000, heartbeat_interval_ms=1500)   # a killed member leaves the group in ~6 s
    dead_letters = DeadLetterProducer(params, bootstrap)
    processor = Processor(params, pg_info, dead_letter=dead_letters)
    committed: dict[TopicPartition, int] = {}

    def commit(offsets: dict[TopicPartition, int]) -> None:
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata
        from kafka.structs import TopicPartition as TP
        todo = {tp: off for tp, off in offsets.items() if committed.get(tp) != off}
        if not todo:
            return
        try:
            consumer.commit({TP(*tp): OffsetAndMetadata(off, "", -1) for tp, off in todo.items()})
            committed.update(todo)
        except KafkaError as exc:   # broker away or group rebalancing: stored data is safe, commit again later
            _log.warning("offset commit failed (%s); will retry", exc)

    class Rebalance(ConsumerRebalanceListener):
        """A partition given away has its open range written first. Its offsets are not committed here (the
        client runs this inside its event loop, where a blocking commit cannot run): the next owner replays
        from the last commit, which rewrites the same file lines and skips the stored rows."""

        def on_partitions_revoked(self, revoked):
            processor.release((tp.topic, tp.partition) for tp in revoked)
            for tp in revoked:
                committed.pop((tp.topic, tp.partition), None)

        def on_partitions_assigned(self, assigned):
            pass

    consumer.subscribe(list(topic_admin.names(params).values()), listener=Rebalance())
    clean = False
    try:
        last_flush = idle_since = time.monotonic()
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=s.poll_timeout_ms, max_records=s.processor_batch_size)
            records = [r for batch in polled.values() for r in batch]
            now = time.monotonic()
            processor.stats.partitions = {f"{tp.topic}-{tp.partition}" for tp in consumer.assignment()}
            if records or not consumer.assignment():   # idle means: holding partitions, nothing arrives
                idle_since = now
            if records:
                processor.process(records)
                if on_batch is not None:
                    on_batch(processor.stats)
            if not records or now - last_flush >= s.commit_interval_s:
                processor.flush()
                last_flush = now
            commit(processor.committable())
            if max_events is not None and processor.stats.consumed >= max_events:
                break
            if idle_timeout_s is not None and now - idle_since >= idle_timeout_s:
                break
        processor.flush()
        commit(processor.committable())
        clean = True
    finally:
        try:
            consumer.close(autocommit=False)
        finally:
            dead_letters.close()
            processor.close()
        _log.info("processor %s stopped %s: %s", instance or "main", "cleanly" if clean else "on an error",
                  processor.stats.summary())
    return processor.stats
