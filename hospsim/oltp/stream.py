"""The continuous OLTP stream: 70% INSERT / 30% UPDATE (configurable), no DELETE, paced and resilient.

One batch = up to BATCH_SIZE events = one call of the SQL function apply_stream_batch in autocommit mode:
one round trip and one commit. Targets come from in-memory caches of ids (loaded from the database at
start and after every reconnect, then kept in step with each commit), so building a batch never queries.
Every batch also moves the stream's bookkeeping row (stream_state: last batch id, running totals) in its own
transaction; after a dropped connection the stream reads that row to learn whether the batch in flight
committed, so nothing is lost or applied twice, and its counters only ever count committed work.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import random
import select
import signal
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg2

from hospsim import pacing
from hospsim import rng as rngs
from hospsim.errors import OltpError, ServiceError
from hospsim.oltp import generate, schema
from hospsim.oltp.generate import ENTITIES, SINGULAR
from hospsim.oltp.tables import COUNTERS, OPS, counter
from hospsim.services.postgres import PgInfo, ensure_postgres

log = logging.getLogger("hospsim.oltp.stream")

RATE_TICK_S = 0.1
"""In target-rate mode a batch holds about this many seconds of events (capped by BATCH_SIZE), so low rates
are paced smoothly instead of in BATCH_SIZE bursts."""
OPS_WRITE_S = 0.2
"""The per-operation log is written this often (every line, a few hundred milliseconds late at most)."""
BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 2.0


class _IdPool:
    """A growable int64 array with O(k) removal of k positions (the last elements fill the holes)."""

    def __init__(self, ids) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        self._buf = np.empty(max(16, 2 * len(ids)), dtype=np.int64)
        self._buf[:len(ids)] = ids
        self._n = len(ids)

    @property
    def ids(self) -> np.ndarray:
        return self._buf[:self._n]

    def add(self, ids) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if self._n + len(ids) > len(self._buf):
            grown = np.empty(2 * (self._n + len(ids)), dtype=np.int64)
            grown[:self._n] = self._buf[:self._n]
            self._buf = grown
        self._buf[self._n:self._n + len(ids)] = ids
        self._n += len(ids)

    def remove(self, positions: np.ndarray) -> None:
        """Drop the elements at these distinct positions."""
        k = len(positions)
        if not k:
            return
        tail_start = self._n - k
        tail = np.arange(tail_start, self._n)
        movers = tail[~np.isin(tail, positions)]
        holes = positions[positions < tail_start]
        self._buf[holes] = self._buf[movers]
        self._n = tail_start


class Caches:
    """The ids a batch may refer to (pacientes, medicos) or move (agendada, Pendente, open).

    A batch reserves what it uses when it is built (its UPDATE targets leave the pools, its CPF ordinals and
    batch id are taken), so the next batch can be built while this one is still in flight; its new rows join
    the pools once it has committed. After a reconnect the caches are loaded again from the database.
    """

    def __init__(self, lookups: dict[str, list[int]], version: int = 0) -> None:
        self.version = version
        self.pacientes = _IdPool(lookups["pacientes"])
        self.medicos = np.asarray(lookups["medicos"], dtype=np.int64)
        self.open = {e: _IdPool(lookups[e]) for e in ENTITIES[1:]}
        self.next_batch = int(lookups["next_batch"][0])
        ids = self.pacientes.ids
        self.last_paciente = int(ids.max()) if len(ids) else 0

    def targets(self) -> generate.Targets:
        return generate.Targets(self.pacientes.ids, self.medicos, self.open["consultas"].ids,
                                self.open["exames"].ids, self.open["internacoes"].ids, self.last_paciente)

    def reserve(self, batch: generate.Batch) -> int:
        """Take the batch's UPDATE targets out of the pools and its ordinals; returns its batch id."""
        for entity, positions in batch.picked.items():
            if entity in self.open:
                self.open[entity].remove(positions)
        self.last_paciente += batch.new_pacientes
        self.next_batch += 1
        return self.next_batch - 1

    def committed(self, result: dict[tuple[str, str], list[int]]) -> None:
        """New rows of a committed batch become targets."""
        new = result.get(("pacientes", "INSERT"), [])
        if new:
            self.pacientes.add(new)
            self.last_paciente = max(self.last_paciente, max(new))
        for entity, pool in self.open.items():
            pool.add(result.get((entity, "INSERT"), []))


class _Db:
    """One asynchronous psycopg2 connection (always autocommit): send a statement, work, then collect it."""

    def __init__(self, info: PgInfo) -> None:
        self.conn = psycopg2.connect(info.dsn, async_=True, application_name="hospsim-oltp-stream",
                                     connect_timeout=3, keepalives=1, keepalives_idle=5, keepalives_interval=2,
                                     keepalives_count=3)
        self._cur = None
        try:
            self._wait()
        except BaseException:
            self.close()
            raise

    def _wait(self) -> None:
        conn = self.conn
        while True:
            state = conn.poll()
            if state == psycopg2.extensions.POLL_OK:
                return
            if state == psycopg2.extensions.POLL_READ:
                select.select([conn.fileno()], [], [])
            elif state == psycopg2.extensions.POLL_WRITE:
                select.select([], [conn.fileno()], [])
            else:  # pragma: no cover - psycopg2 documents no other state
                raise psycopg2.OperationalError(f"unexpected poll state {state}")

    def send(self, sql: str, args=None) -> None:
        self._cur = self.conn.cursor()
        self._cur.execute(sql, args)

    def result(self) -> list[tuple]:
        self._wait()
        rows = self._cur.fetchall() if self._cur.description else []
        self._cur.close()
        return rows

    def run(self, sql: str, args=None) -> list[tuple]:
        self.send(sql, args)
        return self.result()

    def close(self) -> None:
        try:
            self.conn.close()
        except psycopg2.Error:
            pass


@dataclass
class _Sent:
    """A batch and the id it was built with, in flight or about to be."""
    batch: generate.Batch
    batch_id: int
    version: int


@dataclass
class StreamReport:
    """What the stream committed: events, per table and operation, how long it took, how it ended."""
    events: int = 0
    batches: int = 0
    elapsed_s: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {e: {op: 0 for op in OPS} for e in ENTITIES})
    reconnects: int = 0
    retried_batches: int = 0
    stopped_by: str = ""

    @property
    def events_per_second(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def inserts(self) -> int:
        return sum(c["INSERT"] for c in self.counts.values())

    @property
    def updates(self) -> int:
        return sum(c["UPDATE"] for c in self.counts.values())

    def frame(self) -> pd.DataFrame:
        """One row per table and operation: table, op, count."""
        return pd.DataFrame([(t, op, n) for t, ops in self.counts.items() for op, n in ops.items()],
                            columns=["table", "op", "count"])

    def summary(self) -> str:
        per_table = ", ".join(f"{t} +{c['INSERT']}/~{c['UPDATE']}" for t, c in self.counts.items())
        return (f"{self.events} events in {self.batches} batches, {self.elapsed_s:.1f} s "
                f"({self.events_per_second:,.0f}/s): INSERT {self.inserts}, UPDATE {self.updates} ({per_table}); "
                f"reconnects {self.reconnects}, batches retried {self.retried_batches}; stopped by {self.stopped_by}")


class Stream:
    """A running stream; `run()` blocks until max_events, duration_seconds, `stop()` or SIGINT/SIGTERM.

    Pipelined: while PostgreSQL applies batch k, Python builds batch k+1, so the client's work hides behind
    the server's. Only committed batches are counted.
    """

    def __init__(self, params, pg_info: PgInfo | None = None) -> None:
        self.params = params
        self.info = pg_info or ensure_postgres(params)
        self.report = StreamReport()
        self._stop = threading.Event()
        self._stop_reason = ""
        self._db: _Db | None = None
        self._caches: Caches | None = None
        self._floor = generate.history_end(params).to_pydatetime()
        self._sql_apply = schema.query("apply_batch", params)
        self._sql_state = schema.query("stream_state", params)
        self._baseline: dict[str, int] | None = None  # stream_state.counts when this run started
        self._ops_log: logging.Logger | None = None
        self._labels = {(ins, e): f"{'INSERT' if ins else 'UPDATE'} {SINGULAR[name]:<10}"
                        for ins in (True, False) for e, name in enumerate(ENTITIES)}
        self._pacer: pacing.BatchPacer | None = None
        self._unlogged: list[tuple] = []
        self._ops_written = 0.0

    # -- control

    def stop(self, reason: str = "stop()") -> None:
        """Finish the batch in flight, commit it, and return from run()."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

    def _on_signal(self, signum, frame) -> None:
        if self._stop.is_set():  # a second Ctrl-C: the user really wants out now
            raise KeyboardInterrupt
        self.stop(signal.Signals(signum).name)

    # -- the loop

    def run(self, handle_signals: bool = True) -> StreamReport:
        s = self.params.oltp.stream
        previous = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        self._ops_log = self._open_ops_log()
        try:
            self._connect()
            first = self._caches.next_batch  # a restarted stream draws new numbers and new people
            self._rng = rngs.generator(self.params.seed, "oltp_stream", first)
            self._people = generate.PeoplePool(self.params, first)
            origin = time.monotonic()
            pacer = self._pacer = pacing.BatchPacer(s.events_per_second, s.interval_seconds, s.max_jitter_ms / 1000.0,
                                                    s.batch_size, RATE_TICK_S, origin, random.Random(self.params.seed))
            end = origin + s.duration_seconds if s.duration_seconds else None
            self._next_report, self._last_report = origin + s.report_every_seconds, (origin, 0)
            log.info("stream into %s.%s on %s:%s: %s", self.info.database, self.params.oltp.schema, self.info.host,
                     self.info.port, _pacing_text(s))
            inflight: _Sent | None = None
            while not self._stop.is_set():
                n = pacer.size()
                if s.max_events is not None:
                    n = min(n, s.max_events - self.report.events - (inflight.batch.size if inflight else 0))
                    if n <= 0:
                        self.stop("max_events")
                        break
                deadline = pacer.deadline(n)
                if end is not None and (deadline > end + 1e-9 or (pacer.unpaced and time.monotonic() >= end)):
                    self.stop("duration_seconds")
                    break
                upcoming = self._build(n)
                if inflight is not None:
                    self._finish(inflight)
                    inflight = None
                    if upcoming.version != self._caches.version:  # reloaded meanwhile: build on fresh caches
                        upcoming = self._build(n)
                if not pacing.wait_until(deadline, self._stop):
                    break
                inflight = self._send(upcoming)
                pacer.done(n, time.monotonic())
                self._write_ops()  # while the server works on the batch just sent
            if inflight is not None:
                self._finish(inflight)
            self.report.stopped_by = self._stop_reason
            log.debug("stream done: %s", self.report.summary())     # the CLI prints the summary once
            return self.report
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._close()
            if self._pacer is not None:
                self._write_ops(force=True)
            for handler in list(self._ops_log.handlers):
                handler.close()
                self._ops_log.removeHandler(handler)

    def _build(self, n: int, batch_id: int | None = None) -> _Sent:
        batch = generate.stream_batch(self._rng, self.params, self._caches.targets(), n, self._today(),
                                      self._people)
        reserved = self._caches.reserve(batch)
        return _Sent(batch, reserved if batch_id is None else batch_id, self._caches.version)

    def _send(self, sent: _Sent) -> _Sent:
        """Put the batch on the wire; a dead connection is found here or in _finish."""
        try:
            self._db.send(self._sql_apply, {"batch_id": sent.batch_id, "batch": json.dumps(sent.batch.payload),
                                            "floor": self._floor})
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            sent = self._recover(sent, exc)
        return sent

    def _finish(self, sent: _Sent) -> None:
        """Collect the batch's result and count it; on a lost connection recover it first."""
        while True:
            try:
                rows = self._db.result()
                break
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                sent = self._recover(sent, exc)
                if sent is None:  # it had committed; already counted
                    return
        result = {(t, op): ids for t, op, ids in rows}
        self._caches.committed(result)
        self._account(sent.batch, {e: {op: len(result.get((e, op), ())) for op in OPS} for e in ENTITIES})

    def _recover(self, sent: _Sent, exc: Exception) -> _Sent | None:
        """Reconnect; count the batch if stream_state shows it committed (None), else rebuild it to resend."""
        since = time.monotonic()
        log.warning("batch %d: connection lost (%s); reconnecting", sent.batch_id, str(exc).strip().splitlines()[0])
        self._close()
        self._reconnect(since)
        self._pacer.pause(time.monotonic() - since)
        counts = self._committed(sent.batch_id)
        if counts is not None:
            log.warning("batch %d had committed before the connection dropped; not sent again", sent.batch_id)
            self._account(sent.batch, counts)
            return None
        self.report.retried_batches += 1
        rebuilt = self._build(sent.batch.size, batch_id=sent.batch_id)
        self._caches.next_batch = sent.batch_id + 1
        try:
            self._db.send(self._sql_apply, {"batch_id": rebuilt.batch_id, "batch": json.dumps(rebuilt.batch.payload),
                                            "floor": self._floor})
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as again:
            return self._recover(rebuilt, again)
        return rebuilt

    def _account(self, batch: generate.Batch, counts: dict[str, dict[str, int]]) -> None:
        """Count a committed batch; its log lines are written once the next batch is on the wire."""
        r = self.report
        self._unlogged.append((batch, r.inserts, r.updates, r.events, time.time()))
        for e, ops in counts.items():
            for op, k in ops.items():
                r.counts[e][op] += k
        committed = sum(sum(ops.values()) for ops in counts.values())
        r.events += committed
        r.batches += 1
        r.elapsed_s = time.monotonic() - self._pacer.start
        if committed != batch.size:
            log.warning("batch committed %d of %d events (rows had moved since the caches were loaded); "
                        "reloading the caches", committed, batch.size)
            self._load_caches()

    def _write_ops(self, force: bool = False) -> None:
        """The original per-operation lines, `[cycle] TYPE table | INSERT: n | UPDATE: m`, for every committed
        event; written OPS_WRITE_S at a time (one file write, not one per event or batch)."""
        now = time.monotonic()
        if self._unlogged and (force or now - self._ops_written >= OPS_WRITE_S):
            labels, lines = self._labels, []
            for batch, ins, upd, cycle, at in self._unlogged:
                stamp = dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="milliseconds")
                for key in zip(batch.is_insert.tolist(), batch.entity.tolist()):
                    cycle += 1
                    if key[0]:
                        ins += 1
                    else:
                        upd += 1
                    lines.append(f"{stamp} [{cycle:>8}] {labels[key]} | INSERT: {ins:>8} | UPDATE: {upd:>8}")
            self._ops_log.info("\n".join(lines))
            self._unlogged.clear()
            self._ops_written = now
        if now >= self._next_report:
            self._last_report = self._progress(now, self._last_report)
            self._next_report = now + self.params.oltp.stream.report_every_seconds

    def _progress(self, now: float, last: tuple[float, int]) -> tuple[float, int]:
        r = self.report
        since, events = last
        rate = (r.events - events) / (now - since) if now > since else 0.0
        log.info("stream: %d events (%.0f/s over the last %.0f s, %.0f/s overall) | INSERT %d UPDATE %d | "
                 "reconnects %d", r.events, rate, now - since, r.events_per_second, r.inserts, r.updates, r.reconnects)
        return now, r.events

    # -- connection, caches, bookkeeping

    def _connect(self) -> None:
        db = _Db(self.info)
        try:
            if not db.run(schema.query("schema_ready", self.params))[0][0]:
                raise OltpError(f"the OLTP schema {self.params.oltp.schema!r} is not there; run "
                                 "`hospsim oltp seed` (or `hospsim oltp init`) first")
            if not db.run(schema.query("stream_lock", self.params))[0][0]:
                raise _Locked(f"another `hospsim oltp stream` is writing to schema {self.params.oltp.schema!r} "
                              "(it holds the stream's advisory lock); stop it first")
        except BaseException:
            db.close()
            raise
        self._db = db
        if self._baseline is None:
            self._baseline = db.run(self._sql_state)[0][1]
        self._load_caches()

    def _load_caches(self) -> None:
        version = self._caches.version + 1 if self._caches is not None else 0
        self._caches = Caches(dict(self._db.run(schema.query("lookups", self.params))), version)

    def _reconnect(self, since: float) -> None:
        """Exponential backoff with full jitter until connected, or a clear error after retry_timeout_seconds."""
        timeout = self.params.oltp.stream.retry_timeout_seconds
        attempt = 0
        while True:
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt)))
            attempt += 1
            try:
                self._connect()
                self.report.reconnects += 1
                log.info("reconnected after %.1f s (%d attempts)", time.monotonic() - since, attempt)
                return
            except (psycopg2.OperationalError, psycopg2.InterfaceError, _Locked) as exc:
                if time.monotonic() - since > timeout:
                    raise ServiceError(
                        f"PostgreSQL at {self.info.host}:{self.info.port} stayed unreachable for {timeout:g} s "
                        f"({str(exc).strip().splitlines()[0]}); the stream stopped after {self.report.events} "
                        "committed events. Start the server (hospsim services up postgres) and run "
                        "`hospsim oltp stream` again, or raise oltp.stream.retry_timeout_seconds") from None

    def _committed(self, batch_id: int) -> dict[str, dict[str, int]] | None:
        """The batch's counts if stream_state shows it applied (totals now - at start - counted so far)."""
        last, totals = self._db.run(self._sql_state)[0]
        if last < batch_id:
            return None
        delta = {k: totals[k] - self._baseline.get(k, 0) for k in COUNTERS}
        return {e: {op: delta[counter(e, op)] - self.report.counts[e][op] for op in OPS} for e in ENTITIES}

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _today(self) -> dt.date:
        return max(dt.datetime.now(dt.UTC).date(), self._floor.date())

    def _open_ops_log(self) -> logging.Logger:
        """Every operation, one line each, to a rotating file; one write per batch keeps it cheap."""
        s = self.params.oltp.stream
        logs_dir = self.params.dirs.logs_dir
        logs_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(logs_dir / s.log_file, maxBytes=int(s.log_max_mb * 2**20),
                                                       backupCount=s.log_backups, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        # Standalone, outside the logging tree: nothing propagates to the console.
        ops = logging.Logger("hospsim.oltp.ops")  # noqa: LOG001
        ops.addHandler(handler)
        return ops


class _Locked(ServiceError):
    """Another stream holds the schema's advisory lock."""


def _pacing_text(s) -> str:
    if s.events_per_second is not None:
        pace = f"{s.events_per_second:g} events/s"
    elif s.interval_seconds == 0 and s.max_jitter_ms == 0:
        pace = "unpaced"
    else:
        pace = f"a batch every {s.interval_seconds:g} s + up to {s.max_jitter_ms} ms"
    bounds = [f"{s.max_events} events" if s.max_events else "",
              f"{s.duration_seconds:g} s" if s.duration_seconds else ""]
    bound = " or ".join(b for b in bounds if b) or "until stopped"
    return f"{pace}, batches of up to {s.batch_size}, {s.insert_ratio:.0%} INSERT, {bound}"


def run(params, pg_info: PgInfo | None = None, handle_signals: bool = True) -> StreamReport:
    """Stream until a bound or a signal; returns what was committed."""
    return Stream(params, pg_info).run(handle_signals=handle_signals)
