"""The stream processor: events from the topics into JSON-lines files and PostgreSQL, exactly once in each.

`Processor` is the sink side and knows nothing of Kafka: it takes records (topic, partition, offset, key,
value) and says which offsets are safe to commit. `run` feeds it from a consumer group (the loop lives in
hospsim.stream.consumer); the in-process path (hospsim.stream.inprocess) feeds it the same records without
a broker.

Per batch: decode and validate every message, its key and its meaning (events.decode_batch; an invalid one
goes to the dead-letter sink with its reason); store the valid ones in one transaction, idempotent on the
event id (COPY straight into the table; if some are there already, COPY into a staging table + INSERT ...
ON CONFLICT (event_id) DO NOTHING, and an id stored before with other content is a conflict, bound for the
dead letters); add the valid ones to the file of their offset range; send the rejects the dead-letter
ledger (stream.dead_letters) has not seen sent; only then are offsets committable. The transaction runs
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
import contextlib
import csv
import hashlib
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

from hospsim import dictionary, events, sinks, sqlfiles
from hospsim.stream import topics as topic_admin
from hospsim.stream.errors import DeliveryError

__all__ = ["DeliveryError", "Processor", "Record", "Rejected", "Stats", "ensure_schema", "run"]

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
    refused: dict = field(default_factory=dict)          # event id -> why PostgreSQL refused it (or a conflict)


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


def ensure_schema(conn, attempts: int = 20) -> None:
    """The stream schema, tables, indexes and dead-letter ledger, without disturbing running processors.

    The catalog is read first: when everything is there (a member joining a running group), no DDL runs at
    all; CREATE INDEX IF NOT EXISTS would take a ShareLock on its table even so, and deadlock with the
    running members' inserts. Otherwise the files run in one transaction under an advisory lock, with a
    lock timeout; a timeout or a deadlock is rolled back and tried again after a pause.
    """
    import psycopg2.errors
    for attempt in range(attempts):
        with conn.cursor() as cur:
            cur.execute(sqlfiles.read("stream/queries/schema_ready.sql"))
            if cur.fetchone()[0] == 0:
                conn.commit()
                return
            try:
                cur.execute(sqlfiles.read("stream/queries/lock_timeout.sql"))
                for path in sqlfiles.numbered("stream"):
                    cur.execute(sqlfiles.read(f"stream/{path.name}"))
                dictionary.comment(conn, "stream", "stream")     # descriptions come with the tables
                conn.commit()
                return
            except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DeadlockDetected) as exc:
                conn.rollback()
                _log.warning("creating the stream schema: %s; trying again", str(exc).splitlines()[0])
                time.sleep(min(0.2 * 2 ** attempt, 2.0))
    raise RuntimeError(f"the stream schema could not be created in {attempts} attempts (tables kept locked); "
                       "check for long transactions on the stream tables (pg_stat_activity)")


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
        self.rules = events.rules(params)
        self.dead_letter = dead_letter
        self.stats = Stats()
        self.pg_info = pg_info
        self._open: dict[TopicPartition, _Range] = {}
        self._position: dict[TopicPartition, int] = {}
        self._lock = threading.RLock()   # a rebalance callback may flush while nothing else runs; be safe
        self._inflight: _Batch | None = None
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hospsim-stream-db")
        self._conn = None
        self.reconnect()

    def reconnect(self) -> None:
        """A fresh database connection with the schema and its staging tables (at start, and after the
        database went away); raises while the database cannot be reached."""
        old, self._conn = self._conn, None
        if old is not None:
            with contextlib.suppress(Exception):
                old.close()
        conn = self.pg_info.connect(connect_timeout=10)
        try:
            ensure_schema(conn)
            with conn.cursor() as cur:
                cur.execute(sqlfiles.read("stream/stage.sql"))
            conn.commit()
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def recover(self) -> dict[TopicPartition, int]:
        """After a failure mid-batch (the database or the broker went away): drop what is not stored yet and
        return, per partition, the offset to read again from (everything before it is stored and filed).
        Call reconnect() before the next batch."""
        with self._lock:
            batch, self._inflight = self._inflight, None
            if batch is not None and batch.stored is not None:
                wait([batch.stored])
            back = self.committable()
            self._open.clear()
            self._position.clear()
            return back

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        """Drop partitions without writing them (their next owner reads them again from the last commit)."""
        with self._lock:
            for tp in partitions:
                self._open.pop(tp, None)
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
            batch.stored = self._db.submit(self._upsert, batch.valid, batch.coords)
            self._inflight = batch

    def _decode(self, records: list[Record]) -> _Batch:
        """Parse and validate per topic (events.decode_batch checks the schema over the whole group at once),
        then sort the valid events into rows per type and lines per (partition, offset range, date)."""
        batch = _Batch(records)
        seen: dict[str, dict] = {}
        size = self.range_size
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
                    batch.rejected.append(Rejected(_plain(r), reason))
                    continue
                event_id = event["event_id"]
                if event_id in seen:       # the same event twice in one batch: its first offset wins
                    first = batch.record_of[event_id]
                    if _content(seen[event_id]) != _content(event):
                        batch.rejected.append(Rejected(_plain(r), _conflict(event_id, first.topic, first.partition,
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
        batch.rejected += [Rejected(_plain(batch.record_of[i]), why) for i, (why, _) in outcome.refused.items()]
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
                            buf.seek(0)
                            cur.copy_expert(read(f"stream/copy/{table}.sql"), buf)    # staged, to compare
                            _classify(cur, table, {event["event_id"]: where}, out)
                        except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
                            cur.execute(read("stream/queries/rollback_savepoint.sql"))
                            message = exc.diag.message_primary or str(exc).splitlines()[0]
                            out.refused[event["event_id"]] = (f"PostgreSQL refused it: {message}", where)
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
        where the skipped ones came from and whether their content is the same (_classify).
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
                    _classify(cur, table, {event["event_id"]: where for event, where in zip(rows, coords[event_type])
                                           if event["event_id"] not in new}, out)
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
        """Each reject once. In one transaction: record them in the ledger (by origin and a digest of the
        message, so another message at a reused offset is another reject), claim the ones not sent yet
        (locked: a member replaying the same offsets waits, then finds them sent), write their files, hand
        them to the dead-letter sink (it raises when it cannot deliver: nothing is kept, the replay sends
        them), mark them sent."""
        from psycopg2.extras import execute_values
        rows = [(i.record.topic, i.record.partition, i.record.offset, _digest(i.record), i.reason) for i in rejected]
        coords = {"topics": [r[0] for r in rows], "partitions": [r[1] for r in rows], "offsets": [r[2] for r in rows],
                  "digests": [r[3] for r in rows]}
        todo: list[Rejected] = []
        with self._conn.cursor() as cur:
            try:
                execute_values(cur, sqlfiles.read("stream/queries/dead_letter_record.sql"), sorted(rows),
                               page_size=1000)      # one order for every member: no deadlock between two
                cur.execute(sqlfiles.read("stream/queries/dead_letter_claim.sql"), coords)
                claimed = set(cur.fetchall())
                todo = [item for item, row in zip(rejected, rows) if row[:4] in claimed]
                if todo:
                    for item in todo:
                        self._reject_file(item)
                    if self.dead_letter is not None:
                        self.dead_letter(todo)
                    cur.execute(sqlfiles.read("stream/queries/dead_letter_sent.sql"), coords)
                self._conn.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    self._conn.rollback()
                raise
        if todo:
            _log.warning("%d invalid message(s) sent to the dead-letter sink; first: %s", len(todo), todo[0].reason)

    def _reject_file(self, item: Rejected) -> None:
        r = item.record
        body = {"reason": item.reason, "topic": r.topic, "partition": r.partition, "offset": r.offset,
                "timestamp": r.timestamp, "key": _text(r.key)}
        try:
            body["value"] = r.value.decode("utf-8") if r.value is not None else None
        except UnicodeDecodeError:
            body["value_base64"] = base64.b64encode(r.value).decode()
        target = self.root / REJECTED_DIR / r.topic / f"p{r.partition:03d}-{r.offset:012d}.json"
        sinks.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", target)

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
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()


def _content(event: dict) -> dict:
    """What makes two messages with one event id the same event: all but the send-time stamp."""
    return {k: v for k, v in event.items() if k != events.PRODUCED_AT}


def _conflict(event_id: str, topic: str, partition: int, offset: int) -> str:
    return (f"event id {event_id} was seen before ({topic}-{partition}@{offset}) with other content: a conflict, "
            "not a duplicate; the first one stands")


def _classify(cur, table: str, mine: dict[str, tuple], out: _Stored) -> None:
    """Events whose id is stored already (their staged rows are compared with the stored ones): the same
    offset is a replay, another offset with the same content a duplicate, other content a conflict."""
    cur.execute(sqlfiles.read(f"stream/conflicts/{table}.sql"), {"ids": list(mine)})
    for event_id, topic, partition, offset, differs in cur.fetchall():
        if differs:
            out.refused[event_id] = (_conflict(event_id, topic, partition, offset), mine[event_id])
        elif (topic, partition, offset) == mine[event_id]:
            out.replayed += 1
        else:
            out.duplicates += 1
            out.duplicate_ids.add(event_id)


def _digest(r: Record) -> str:
    """Tells two messages at one offset apart (a topic deleted and made again, an in-process rerun)."""
    h = hashlib.md5(usedforsecurity=False)
    for part in (r.key, r.value):
        h.update(b"-" if part is None else b"+" + len(part).to_bytes(8, "big") + part)
    return h.hexdigest()


def _plain(r) -> Record:
    return Record(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- the Kafka consumer loop

def run(params, pg_info, bootstrap: str, **kwargs) -> Stats:
    """One member of the consumer group (hospsim.stream.consumer.run, which says more)."""
    from hospsim.stream import consumer
    return consumer.run(params, pg_info, bootstrap, **kwargs)

