"""The stream's PostgreSQL side: the schema (params stream.schema), the rows of each batch, and the dead-letter
ledger.

A batch is stored in one transaction, idempotent on the event id: COPY straight into the table (in a
savepoint); if some are there already, COPY into a staging table + INSERT ... ON CONFLICT (event_id) DO
NOTHING, and an id stored before with other content is a conflict, bound for the dead letters. The
statements come from the event registry (hospsim.stream.tables).
"""
from __future__ import annotations

import contextlib
import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

from hospsim import dictionary, sqlfiles
from hospsim.stream import tables
from hospsim.stream.records import Rejected, conflict, digest

_log = logging.getLogger(__name__)

QUERIES = tables.QUERIES
DIRECT_SAVEPOINT = "stream_direct_copy"
SHARED = ("dead_letters", "sessions")
"""The stream tables that are not an event type's (sql/stream/03_dead_letters.sql, 04_sessions.sql)."""


def ensure_schema(conn, schema: str, attempts: int = 20) -> None:
    """The stream schema, tables, indexes and dead-letter ledger, without disturbing running processors.

    The catalog is read first: when everything is there (a member joining a running group), no DDL runs at
    all; CREATE INDEX IF NOT EXISTS would take a ShareLock on its table even so, and deadlock with the
    running members' inserts. Otherwise the files (the shared objects) and the event tables the registry
    defines (hospsim.stream.tables.ddl) run in one transaction under an advisory lock, with a
    lock timeout; a timeout or a deadlock is rolled back and tried again after a pause.
    """
    import psycopg2.errors
    for attempt in range(attempts):
        with conn.cursor() as cur:
            if missing(cur, schema) == 0:
                conn.commit()
                return
            try:
                cur.execute(sqlfiles.render(QUERIES, "lock_timeout"))
                for path in sqlfiles.numbered("stream"):
                    cur.execute(sqlfiles.render(f"stream/{path.name}", schema=schema))
                for statement in tables.ddl(schema):
                    cur.execute(statement)
                dictionary.comment(conn, "stream", schema)     # descriptions come with the tables
                conn.commit()
                return
            except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DeadlockDetected) as exc:
                conn.rollback()
                _log.warning("creating the stream schema: %s; trying again", str(exc).splitlines()[0])
                time.sleep(min(0.2 * 2 ** attempt, 2.0))
    raise RuntimeError(f"the stream schema could not be created in {attempts} attempts (tables kept locked); "
                       "check for long transactions on the stream tables (pg_stat_activity)")


def missing(cur, schema: str) -> int:
    """How many of the stream schema's tables and indexes are not there (0 = ready), from the catalog alone."""
    cur.execute(sqlfiles.render(QUERIES, "schema_ready"), {"schema": schema,
                                                           "names": tables.relations() + list(SHARED)})
    return cur.fetchone()[0]


def create_stage(conn, schema: str) -> None:
    """This connection's staging tables, one per event type (emptied at every COMMIT)."""
    with conn.cursor() as cur:
        for statement in tables.stage_ddl(schema):
            cur.execute(statement)


def drop_schema(conn, schema: str) -> None:
    with conn.cursor() as cur:
        cur.execute(sqlfiles.render("stream/99_drop.sql", schema=schema))
    conn.commit()


@dataclass
class Stored:
    """What the database made of one batch."""
    inserted: int = 0
    replayed: int = 0
    duplicates: int = 0
    duplicate_ids: set = field(default_factory=set)
    refused: dict = field(default_factory=dict)          # event id -> (why PostgreSQL refused it, its origin)


class Sink:
    """Rows into the stream tables of one schema, over one connection of its own."""

    def __init__(self, pg_info, schema: str):
        self.pg_info = pg_info
        self.schema = schema
        self._conn = None

    def connect(self) -> None:
        """A fresh connection with the schema and its staging tables (at start, and after the database went
        away); raises while the database cannot be reached."""
        self.close()
        conn = self.pg_info.connect(connect_timeout=10)
        try:
            ensure_schema(conn, self.schema)
            create_stage(conn, self.schema)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def store(self, valid: dict[str, list[dict]], coords: dict[str, list[tuple]]) -> Stored:
        """Store a batch. An event the schema allows but PostgreSQL refuses (a date like 2025-02-30, a number
        past bigint, a NUL character) fails its whole batch; the batch is then stored one event at a time and
        the refused ones come back in `refused`, bound for the dead letters."""
        import psycopg2
        try:
            return self._transaction(self._store_batch, valid, coords)
        except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
            _log.warning("PostgreSQL refused a batch (%s); storing it event by event to find the culprit",
                         str(exc).splitlines()[0])
            return self._transaction(self._store_each, valid, coords)

    def _transaction(self, store: Callable, valid: dict[str, list[dict]], coords: dict[str, list[tuple]]) -> Stored:
        """One transaction: `store` each event type's rows (as CSV), then COMMIT; anything raised rolls back."""
        out = Stored()
        with self._conn.cursor() as cur:
            try:
                for event_type, rows in valid.items():
                    row_of = itemgetter(*tables.event_columns(event_type))
                    store(cur, tables.statements(event_type, self.schema),
                          [(event["event_id"], row_of(event) + where) for event, where in zip(rows, coords[event_type])],
                          out)
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
        return out

    def _store_batch(self, cur, sql: tables.Statements, rows: list[tuple], out: Stored) -> None:
        """The CSV (written by the csv module straight from the decoded events) is first COPied straight into
        the table, in a savepoint: new events, the usual case, cost one statement. If some were stored
        already (a redelivery, a re-produced run), the savepoint is rolled back and the batch goes COPY into
        a staging table + INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING event_id, plus a lookup of
        where the skipped ones came from and whether their content is the same (_classify)."""
        buf = _csv(row for _, row in rows)
        if _copy_new(cur, sql, buf):
            out.inserted += len(rows)
            return
        buf.seek(0)
        cur.copy_expert(sql.stage, buf)
        cur.execute(sql.upsert)
        new = {row[0] for row in cur.fetchall()}
        out.inserted += len(new)
        if len(new) < len(rows):
            _classify(cur, sql, {event_id: row[-3:] for event_id, row in rows if event_id not in new}, out)

    def _store_each(self, cur, sql: tables.Statements, rows: list[tuple], out: Stored) -> None:
        """One event at a time, each in a savepoint: the ones PostgreSQL refuses go to `refused`."""
        import psycopg2
        for event_id, row in rows:
            buf = _csv([row])
            try:
                if _copy_new(cur, sql, buf, psycopg2.DataError, psycopg2.IntegrityError):
                    out.inserted += 1
                    continue
            except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
                message = exc.diag.message_primary or str(exc).splitlines()[0]
                out.refused[event_id] = (f"PostgreSQL refused it: {message}", row[-3:])
                continue
            buf.seek(0)
            cur.copy_expert(sql.stage, buf)    # staged, to compare
            _classify(cur, sql, {event_id: row[-3:]}, out)

    def record_rejects(self, rejected: list[Rejected], deliver: Callable[[list[Rejected]], None]) -> list[Rejected]:
        """Each reject once. In one transaction: record them in the ledger (by origin and a digest of the
        message, so another message at a reused offset is another reject), claim the ones not sent yet
        (locked: a member replaying the same offsets waits, then finds them sent), `deliver` them (it raises
        when it cannot: nothing is kept, the replay sends them), mark them sent. Returns those delivered."""
        from psycopg2.extras import execute_values
        rows = [(i.record.topic, i.record.partition, i.record.offset, digest(i.record), i.reason) for i in rejected]
        coords = {"topics": [r[0] for r in rows], "partitions": [r[1] for r in rows], "offsets": [r[2] for r in rows],
                  "digests": [r[3] for r in rows]}
        todo: list[Rejected] = []
        with self._conn.cursor() as cur:
            try:
                execute_values(cur, sqlfiles.render(QUERIES, "dead_letter_record", schema=self.schema), sorted(rows),
                               page_size=1000)      # one order for every member: no deadlock between two
                cur.execute(sqlfiles.render(QUERIES, "dead_letter_claim", schema=self.schema), coords)
                claimed = set(cur.fetchall())
                todo = [item for item, row in zip(rejected, rows) if row[:4] in claimed]
                if todo:
                    deliver(todo)
                    cur.execute(sqlfiles.render(QUERIES, "dead_letter_sent", schema=self.schema), coords)
                self._conn.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    self._conn.rollback()
                raise
        return todo


def _csv(rows) -> io.StringIO:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf


def _copy_new(cur, sql: tables.Statements, buf: io.StringIO, *refusals: type[Exception]) -> bool:
    """COPY into the table itself; False (and nothing stored) when an event id is already there. Any of
    `refusals` is rolled back to the savepoint too and raised."""
    import psycopg2.errors
    buf.seek(0)
    try:
        with sqlfiles.savepoint(cur, DIRECT_SAVEPOINT, psycopg2.errors.UniqueViolation, *refusals):
            cur.copy_expert(sql.direct, buf)
    except psycopg2.errors.UniqueViolation:
        return False
    return True


def _classify(cur, sql: tables.Statements, mine: dict[str, tuple], out: Stored) -> None:
    """Events whose id is stored already (their staged rows are compared with the stored ones): the same
    offset is a replay, another offset with the same content a duplicate, other content a conflict."""
    cur.execute(sql.conflicts, {"ids": list(mine)})
    for event_id, topic, partition, offset, differs in cur.fetchall():
        if differs:
            out.refused[event_id] = (conflict(event_id, topic, partition, offset), mine[event_id])
        elif (topic, partition, offset) == mine[event_id]:
            out.replayed += 1
        else:
            out.duplicates += 1
            out.duplicate_ids.add(event_id)
