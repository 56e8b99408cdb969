"""The batch ingestor: data/batch/*.csv (and the Parquet daily files in its partition folders, filekinds.
PARQUET_NAME) -> PostgreSQL warehouse, one transaction per file.

A pass takes the files in dependency order (people, staff and the reserve pool; the population; the facts;
discharges last, as they close admissions). Each file: recognize its kind by name; skip it when its
(name, sha256) is in the ledger, and reject it when its name is there with other bytes (a run's files never
change; only the setup files a growing run rewrites may replace theirs); check that it is text and its header
(a UTF-8 BOM is skipped); COPY it into a typed TEMP staging table (hashing the bytes on the way, so the file is
read once); check its references with one anti-join per reference; merge it into the warehouse (plain INSERTs,
or the upserts of sql/warehouse/merge/ when a key exists already), where the CHECK rules of
sql/warehouse/06_rules.sql refuse rows that cannot be true (NaN, out of bounds, out of time order); write its
ledger row; COMMIT; move it to data/processed/. A bad file goes to data/rejected/ with <name>.reason.txt beside
it and none of its rows; the other files go on. people_data.csv into an empty warehouse skips the staging
table: it is copied straight into dim_person under a lock and checked there (the biggest file of a run).
With params warehouse.workers > 1 the files of one rank load side by side, one connection each.

Crash safety: everything of a file happens in one transaction and the move comes after COMMIT, so a crash
leaves either nothing of the file (it is still in batch/ and is loaded again) or all of it with its ledger row
(it is still in batch/ and the next run only moves it).

Parquet: a file's name is its path under batch/ (its partitions name its kind, region and day). Its rows are
given to COPY as CSV text (validate.parquet_rows), so the staging table, checks, rules and merge are those of
the CSV files; its ledger sha256 is the Parquet file's own, and it moves to processed/ (or rejected/) under
the same path.

Waiting: a file that needs another kind first (visits need people, schedules need staff) stays in batch/ until
a file of that kind is in the ledger; from then on an unknown person or staff id in it rejects it. So `hospsim
ingest --watch` may start before the simulation and files may arrive in any order. A discharges file also
waits for the same day's admissions file, whose stays it may end.
"""
from __future__ import annotations

import hashlib
import itertools
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import psycopg2
import psycopg2.errorcodes
import psycopg2.errors
from psycopg2 import sql

from hospsim import filekinds, sinks, sqlfiles
from hospsim.config import Params
from hospsim.filekinds import FileKind, Match, UnknownFile
from hospsim.warehouse import schema, validate
from hospsim.warehouse.validate import FileRejected

log = logging.getLogger("hospsim.warehouse")

APPLICATION_NAME = "hospsim-ingest"
COPY_CHUNK = 1 << 20
# A staging table this small gets ANALYZEd so the planner probes the dimensions' indexes for it; above it, the
# size the planner reads off the table's pages is close enough and sampling would cost more than it saves.
ANALYZE_MAX_ROWS = 10_000
# SQLSTATE classes that mean "this file's data is bad": data exceptions, integrity and cardinality violations
# (a key twice in one file). Anything else (a lost connection, a full disk) is not the file's fault: it is raised
# and the file stays in batch/ for the next run.
FILE_FAULT_CLASSES = ("21", "22", "23")


@dataclass(frozen=True)
class FileOutcome:
    name: str
    kind: str | None
    status: str             # ingested | skipped | rejected | waiting
    rows: int = 0
    seconds: float = 0.0
    reason: str = ""
    sha256: str = ""

    def line(self) -> str:
        if self.status == "ingested":
            return f"ingested {self.name}: {self.rows} rows in {self.seconds:.2f} s"
        if self.status == "skipped":
            return f"skipped  {self.name}: already in the ledger (same sha256); moved to processed/"
        return f"{self.status:8} {self.name}: {self.reason}"


def connect(params: Params, *, start: bool = True):
    """A connection to the configured PostgreSQL (the embedded one is started when `start`)."""
    from hospsim.services import postgres
    info = postgres.ensure_postgres(params) if start else postgres.info_from_params(params.postgres)
    return info.connect(application_name=APPLICATION_NAME)


class Ingestor:
    """Loads the files of params' data/batch into the warehouse schema; reuse one for many passes.

    With params warehouse.workers > 1, the files of one dependency rank load side by side, each on its own
    connection (opened from params.postgres when first needed); ranks still run one after the other.
    """

    def __init__(self, params: Params, conn=None, *, workers: int | None = None,
                 on_file: Callable[[FileOutcome], None] | None = None):
        self.params = params
        self.on_file = on_file                          # told of each file as it is done (a progress bar)
        self.schema = params.warehouse.schema
        self.workers = workers or params.warehouse.workers
        data = params.dirs.data_dir
        self.batch, self.processed, self.rejected = data / "batch", data / "processed", data / "rejected"
        self.run_id = _run_of_landing(params)       # before anything is written: no two worlds in one schema
        self.conn = conn if conn is not None else connect(params)
        self._own_conn = conn is None
        _refuse_other_runs(self.conn, params)
        self._extra: list = []                     # worker connections beyond self.conn
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._kinds: set[str] | None = None         # kinds in the ledger, kept up to date during a pass
        self._stop = threading.Event()
        self._expected = {k.kind: k.expected_columns(params) for k in filekinds.KINDS}
        _prepare_session(self.conn)
        schema.init(self.conn, params)
        self._idle.put(self.conn)

    def close(self) -> None:
        for conn in self._extra:
            conn.close()
        self._extra.clear()
        if self._own_conn:
            self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ passes

    def pending(self) -> list[Path]:
        """The files of batch/: the CSV files in it, and the Parquet files in its partition folders."""
        if not self.batch.is_dir():
            return []
        flat = [p for p in self.batch.iterdir() if p.is_file() and filekinds.is_candidate(p.name)]
        return sorted(flat + [p for p in self.batch.glob("*/**/*.parquet") if filekinds.is_candidate(p.name)])

    def _name(self, path: Path) -> str:
        """A file's name for classify and the ledger: its path under batch/ (a Parquet file's partitions)."""
        return path.relative_to(self.batch).as_posix()

    def run_once(self, stop: threading.Event | None = None) -> list[FileOutcome]:
        """One pass over batch/: every file ingested, skipped, rejected or left waiting, dimensions first.

        When `stop` is set the pass ends after the files being loaded; the others stay in batch/.
        """
        outcomes, matches = [], []
        for path in self.pending():
            try:
                matches.append(filekinds.classify(self._name(path)))
            except UnknownFile as exc:
                outcomes.append(self._reject(self.conn, path, None, "", str(exc).split(": ", 1)[1]))
        self._kinds = self.loaded_kinds()
        self._stop = stop or threading.Event()
        try:
            for _, group in itertools.groupby(sorted(matches, key=lambda m: m.sort_key), key=lambda m: m.kind.rank):
                outcomes += [o for o in self._run_rank(list(group)) if o is not None]
        finally:
            self._kinds = None
        self._record(outcomes)
        return outcomes

    def _record(self, outcomes: list[FileOutcome]) -> None:
        """Add what this pass did to the run's ingest step (passes that did nothing are not recorded)."""
        from hospsim import run as runs
        done = [o for o in outcomes if o.status in ("ingested", "rejected")]
        the_run = runs.current(self.params) if self.run_id else None
        if not done or the_run is None:
            return
        entry = the_run.step("ingest")
        totals = {status: entry.get(status, 0) + sum(o.status == status for o in done)
                  for status in ("ingested", "rejected")}
        rows = entry.get("rows", 0) + sum(o.rows for o in done if o.status == "ingested")
        loaded = [{"name": o.name, "rows": o.rows, "sha256": o.sha256} for o in done if o.status == "ingested"]
        the_run.record("ingest", status="done", finished_at=runs.now(), tables=f"{self.schema}.*", rows=rows,
                       outputs=[*entry.get("outputs", []), *loaded], **totals)

    def _run_rank(self, matches: list[Match]) -> list[FileOutcome | None]:
        if self.workers == 1 or len(matches) == 1:
            return [self._on_worker(m, self.conn) for m in matches]
        pool = ThreadPoolExecutor(min(self.workers, len(matches)), thread_name_prefix="ingest")
        try:
            futures = {m.name: pool.submit(self._on_worker, m) for m in self._schedule(matches)}
            return [futures[m.name].result() for m in matches]
        except BaseException:                   # Ctrl-C: finish the files in flight, start no other
            self._stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _schedule(self, matches: list[Match]) -> list[Match]:
        """Biggest first, kinds taking turns: workers then mostly write different tables (less index contention)."""
        by_kind: dict[str, list[Match]] = {}
        for m in sorted(matches, key=lambda m: -_size(self.batch / m.name)):
            by_kind.setdefault(m.kind.kind, []).append(m)
        turns = itertools.zip_longest(*by_kind.values())
        return [m for turn in turns for m in turn if m is not None]

    def _on_worker(self, match: Match, conn=None) -> FileOutcome | None:
        """Ingest on `conn`, or on an idle pooled connection (a new one when all are busy, never more than
        `workers` at once); None when the pass was stopped before this file."""
        if self._stop.is_set():
            return None
        pooled = conn is None
        if pooled:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = connect(self.params, start=False)
                _prepare_session(conn)
                self._extra.append(conn)
        try:
            outcome = self._ingest(match, conn)
        finally:
            if pooled:
                self._idle.put(conn)
        log.debug(outcome.line())              # the CLI and the notebook print it once
        if self.on_file is not None:
            self.on_file(outcome)
        return outcome

    def watch(self, interval: float | None = None, stop: threading.Event | None = None,
              max_passes: int | None = None, on_pass=None) -> int:
        """Pass after pass until `stop` is set (or max_passes); returns the number of passes."""
        interval = self.params.warehouse.watch_interval_seconds if interval is None else interval
        stop = stop or threading.Event()
        passes = 0
        while not stop.is_set():
            outcomes = self.run_once(stop)
            passes += 1
            if on_pass:
                on_pass(outcomes)
            if max_passes is not None and passes >= max_passes:
                break
            stop.wait(interval)
        return passes

    # ------------------------------------------------------------------ one file

    def ingest_file(self, match: Match | str) -> FileOutcome:
        """One file of batch/, on the main connection."""
        return self._ingest(filekinds.classify(match) if isinstance(match, str) else match, self.conn)

    def _ingest(self, match: Match, conn) -> FileOutcome:
        kind, path = match.kind, self.batch / match.name
        started = time.perf_counter()
        with open(path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            digest = None                       # a file never loaded under its name is hashed during its COPY
            loaded = self._ledger_rows(conn, match.name)
            if loaded:
                digest = _sha256(fh)
                if any(row[0] == digest for row in loaded):
                    self._move(path, stat, self.processed)
                    return FileOutcome(match.name, kind.kind, "skipped", sha256=digest)
                changed = self._changed_content(path, match, digest, loaded)
                if changed:
                    return self._reject(conn, path, kind, digest, changed, stat)
            missing = self._unmet_requirements(kind, match, conn)
            if missing:
                return FileOutcome(match.name, kind.kind, "waiting", sha256=digest or "",
                                   reason=f"needs {missing} in the warehouse first")
            try:
                if match.region is not None:        # Parquet: loaded as the CSV text of its rows, same checks
                    digest = digest or _sha256(fh)
                    columns, text = validate.parquet_rows(fh, kind, self._expected[kind.kind])
                    rows, _ = self._load(conn, text, match, columns, stat.st_size, path, digest=digest)
                else:
                    columns, start = validate.header_columns(fh, stat.st_size, kind, self._expected[kind.kind])
                    rows, digest = self._load(conn, fh, match, columns, stat.st_size, path, start)
            except FileRejected as exc:
                conn.rollback()
                return self._reject(conn, path, kind, digest, str(exc), stat)
            except psycopg2.Error as exc:
                conn.rollback()
                if not _is_file_fault(exc):
                    raise
                return self._reject(conn, path, kind, digest, self._pg_reason(conn, exc), stat)
            except _AlreadyLoaded as done:
                conn.rollback()
                self._move(path, stat, self.processed)
                return FileOutcome(match.name, kind.kind, "skipped", sha256=done.digest)
        seconds = time.perf_counter() - started
        if self._kinds is not None:
            self._kinds.add(kind.kind)
        self._move(path, stat, self.processed)
        self._prepare_dimension(conn, kind)
        return FileOutcome(match.name, kind.kind, "ingested", rows, seconds, sha256=digest)

    def _prepare_dimension(self, conn, kind: FileKind) -> None:
        """Ready a freshly loaded dimension for the facts' checks: statistics on its key, its key span."""
        statements = [sql.SQL("ANALYZE {}.{} ({})").format(sql.Identifier(self.schema), sql.Identifier(table),
                                                          sql.Identifier(key)) for table, key in kind.analyze_after]
        statements += [schema.render(f"spans/{span}.sql", self.schema) for span in kind.spans_after]
        if statements:
            with conn.cursor() as cur:
                cur.execute(_together(statements))
            conn.commit()

    def _load(self, conn, fh, match: Match, columns: list[str], size: int, path: Path, start: int = 0,
              digest: str | None = None) -> tuple[int, str]:
        """COPY, check, merge and ledger in one transaction; COMMIT only when all of it worked.

        Usually the file is copied into a TEMP staging table, checked there and merged. A kind with a
        direct_table whose table is still empty (people_data.csv into a new warehouse: the biggest file of a
        run) is copied straight into it under a lock and checked in place, which saves the second write.
        Returns the rows and the file's sha256, computed from the very bytes COPY read (and a BOM before them),
        unless given (a Parquet file: COPY reads the CSV text of its rows).
        """
        kind = match.kind
        params = {**match.sql_params(), "start_date": self.params.simulation.start_date}
        steps = _Steps(time.perf_counter())
        fh.seek(0)
        reader = _HashingReader(fh)
        reader.hash.update(fh.read(start))      # a BOM: hashed with the file, not given to COPY
        copy_options = sql.SQL("FROM STDIN WITH (FORMAT csv, HEADER MATCH, ENCODING 'UTF8'{})")
        file_columns = sql.SQL(", ").join(map(sql.Identifier, columns))
        # Statements that need no answer travel together: a file costs a handful of round trips.
        prepare = [schema.lock_statement(key, shared) for key, shared in
                   schema.lock_keys(self.schema, match.name, kind.kind)]
        if kind.direct_table is None:
            prepare.append(self._stage_ddl(kind))
        prepare.append(schema.render("ledger/next_id.sql", self.schema))
        with conn.cursor() as cur:
            cur.execute(_together(prepare), {"schema": self.schema})
            file_id = cur.fetchone()[0]
            direct = kind.direct_table is not None and self._claim_empty(conn, cur, kind.direct_table, file_id)
            if direct:
                target = sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(kind.direct_table))
                options = copy_options.format(sql.SQL(""))
            else:
                if kind.direct_table is not None:
                    cur.execute(self._stage_ddl(kind))
                target, options = sql.SQL("pg_temp.stage"), copy_options.format(sql.SQL(", FREEZE"))
            steps.mark("lock+prepare")
            cur.copy_expert(sql.SQL("COPY {} ({}) {}").format(target, file_columns, options).as_string(conn),
                            reader, size=COPY_CHUNK)
            rows, digest = cur.rowcount, digest or reader.hexdigest()
            steps.mark("copy")
            find = [schema.render("ledger/find.sql", self.schema)]
            if direct:      # the checks below read the table as "stage"
                find.insert(0, schema.render("direct/stage_view.sql", self.schema, kind.direct_table))
            elif rows <= ANALYZE_MAX_ROWS:  # true row counts (one column is cheap): small files probe indexes
                find.insert(0, sql.SQL("ANALYZE pg_temp.stage ({})").format(sql.Identifier(columns[0])))
            cur.execute(_together(find), {"name": match.name})
            loaded = cur.fetchall()
            if any(row[0] == digest for row in loaded):
                raise _AlreadyLoaded(digest)            # another ingestor loaded it meanwhile
            changed = self._changed_content(path, match, digest, loaded)
            if changed:
                raise FileRejected(changed)
            if kind.has_check:
                cur.execute(schema.text(conn, f"checks/{kind.kind}.sql", self.schema), params)
                problems = cur.fetchall()
                if problems:
                    raise FileRejected("references the warehouse cannot resolve: " + "; ".join(
                        f"{problem} ({n} row{'s' if n != 1 else ''}, e.g. {example})"
                        for problem, n, example in problems))
            steps.mark("check")
            ledger = schema.render("ledger/insert.sql", self.schema)
            values = {**params, "file_id": file_id, "name": match.name, "sha256": digest, "kind": kind.kind,
                      "rows": rows, "bytes": size, "run_id": self.run_id}
            if direct:
                cur.execute(_together([schema.render("direct/drop_stage_view.sql", self.schema), ledger]), values)
            else:
                self._merge(cur, kind, values, then=ledger)
            steps.mark("merge")
            pause = self.params.warehouse.pause_in_transaction_seconds
            if pause:
                time.sleep(pause)
        conn.commit()
        steps.mark("commit")
        log.debug("%s: %d rows%s; %s", match.name, rows, " (direct)" if direct else "", steps)
        return rows, digest

    def _claim_empty(self, conn, cur, table: str, file_id: int) -> bool:
        """Lock the table and say whether it is empty; when it is not, the lock is given back at once."""
        with sqlfiles.savepoint(cur, "claim") as claim:
            cur.execute(schema.text(conn, "direct/claim.sql", self.schema, table), {"file_id": file_id})
            empty = cur.fetchone()[0]
            if not empty:
                claim.rollback()
        return empty

    def _merge(self, cur, kind: FileKind, params: dict, then: sql.Composable) -> None:
        """Plain INSERTs first; the upserts when a key already exists (see schema.merge_statements); then `then`."""
        plain, upsert = schema.merge_statements(kind.kind, self.schema)
        try:
            with sqlfiles.savepoint(cur, "merge", psycopg2.errors.UniqueViolation):
                cur.execute(plain, params)
        except psycopg2.errors.UniqueViolation:
            cur.execute(upsert, params)
        cur.execute(then, params)

    def _stage_ddl(self, kind: FileKind) -> sql.Composed:
        cols = [sql.SQL("{} {}{}").format(sql.Identifier(c.name), sql.SQL(c.type),
                                          sql.SQL(" NOT NULL" if c.required else ""))
                for c in self._expected[kind.kind]]
        return sql.SQL("CREATE TEMP TABLE stage ({}) ON COMMIT DROP").format(sql.SQL(", ").join(cols))

    # ------------------------------------------------------------------ ledger, moves, rejections

    def _ledger_rows(self, conn, name: str) -> list[tuple]:
        """(sha256, file_id, ingested_at) of every load of this file name (usually none)."""
        with conn.cursor() as cur:
            cur.execute(schema.text(conn, "ledger/find.sql", self.schema), {"name": name})
            rows = cur.fetchall()
        conn.commit()
        return rows

    def _changed_content(self, path: Path, match: Match, digest: str, loaded: list[tuple]) -> str:
        """Why a file whose name was loaded before with other bytes is refused ('' when it may replace them).

        The files of a run never change, with one exception: when a run grows (a longer simulation.days),
        its setup step writes the cumulative files again (staff_data.csv, reserve_pool.csv, staff_events.csv:
        hires and leavers of the longer period). Such a file is taken when it is the run's own current file
        (the very file in runs/<run-id>/files, or its recorded checksum); anything else under a loaded name
        would silently overwrite rows, so it is rejected.
        """
        others = [row for row in loaded if row[0] != digest]
        if not others:
            return ""
        if match.kind.grows_with_run and self._is_runs_own(path, digest):
            return ""
        sha, file_id, when = others[-1]
        return (f"a file named {match.name} was loaded before with other content (ledger file_id {file_id}, "
                f"sha256 {sha[:12]}..., at {when:%Y-%m-%d %H:%M:%S}); this one (sha256 {digest[:12]}...) would "
                "overwrite its rows. A run's files never change once written: if this is a new simulation, start "
                "over with `hospsim reset --yes` or load it into a schema of its own (-p warehouse.schema=...)")

    def _is_runs_own(self, path: Path, digest: str) -> bool:
        """Is this file the current version of its name in the run the data folder holds?"""
        from hospsim import run as runs
        the_run = runs.current(self.params) if self.run_id else None
        if the_run is None:
            return False
        own = the_run.file(path.name)
        try:
            if os.path.samefile(own, path):
                return True
        except OSError:
            return False
        recorded = {o["name"]: o.get("sha256") for step in the_run.reload().manifest["steps"].values()
                    for o in step.get("outputs", []) if isinstance(o, dict) and "name" in o}
        if recorded.get(path.name) == digest:
            return True
        with open(own, "rb") as fh:
            return _sha256(fh) == digest

    def loaded_kinds(self) -> set[str]:
        with self.conn.cursor() as cur:
            cur.execute(schema.text(self.conn, "ledger/kinds.sql", self.schema))
            kinds = {r[0] for r in cur.fetchall()}
        self.conn.commit()
        return kinds

    def _unmet_requirements(self, kind: FileKind, match: Match, conn) -> str:
        """The files this one waits for: a kind of each `requires` group, and the same day's `requires_day`
        files (a discharge may end a stay the same day's admissions file begins)."""
        unmet = []
        if kind.requires:
            loaded = self._kinds if self._kinds is not None else self.loaded_kinds()
            unmet = [" or ".join(_example_name(k) for k in group)
                     for group in kind.requires if not loaded.intersection(group)]
        if kind.requires_day and match.date is not None:
            names = [filekinds.same_day_name(match, k) for k in kind.requires_day]
            unmet += [n for n in names if not self._ledger_rows(conn, n)]
        return " and ".join(unmet)

    def _move(self, path: Path, stat: os.stat_result, folder: Path) -> None:
        """Move the file we read; a newer file written under the same name meanwhile stays for the next pass."""
        try:
            if os.stat(path).st_ino != stat.st_ino:
                return
        except FileNotFoundError:
            return
        target = folder / self._name(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        for parent in path.parents:                 # a Parquet file's emptied partition folders go too
            if parent == self.batch or any(parent.iterdir()):
                break
            parent.rmdir()

    def _pg_reason(self, conn, exc: psycopg2.Error) -> str:
        """_pg_reason, with the reason of a violated CHECK rule (its comment) looked up after the rollback."""
        rule = None
        if exc.pgcode == psycopg2.errorcodes.CHECK_VIOLATION and exc.diag.constraint_name:
            with conn.cursor() as cur:
                cur.execute(sqlfiles.read("warehouse/rule_reason.sql"),
                            {"schema": self.schema, "name": exc.diag.constraint_name})
                found = cur.fetchone()
            conn.rollback()
            rule = found[0] if found else None
        return _pg_reason(exc, rule)

    def _reject(self, conn, path: Path, kind: FileKind | None, digest: str | None, reason: str,
                stat: os.stat_result | None = None) -> FileOutcome:
        kind_name = kind.kind if kind else None
        if digest is None:
            with open(path, "rb") as fh:
                digest = _sha256(fh)
        self.rejected.mkdir(parents=True, exist_ok=True)
        name = self._name(path)
        sinks.write_text(f"{name}: {reason}\nkind: {kind_name or 'unknown'}\nsha256: {digest or '-'}\n",
                         self.rejected / f"{name}.reason.txt")
        with conn.cursor() as cur:
            cur.execute(schema.text(conn, "ledger/reject.sql", self.schema),
                        {"name": name, "sha256": digest or None, "kind": kind_name, "reason": reason})
        conn.commit()
        self._move(path, stat or os.stat(path), self.rejected)
        return FileOutcome(name, kind_name, "rejected", reason=reason, sha256=digest)


def _together(statements: list[sql.Composable]) -> sql.Composed:
    """Several statements in one round trip (the result is the last one's)."""
    return sql.SQL(";\n").join(sql.SQL(str(s)) if isinstance(s, str) else s for s in statements)


def _prepare_session(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(sqlfiles.read("warehouse/session.sql"))
    conn.commit()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _AlreadyLoaded(Exception):
    def __init__(self, digest: str):
        super().__init__(digest)
        self.digest = digest


class _HashingReader:
    """A file object for COPY that hashes what COPY reads, so the file is read once."""

    def __init__(self, fh):
        self.fh, self.hash = fh, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        self.hash.update(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        line = self.fh.readline(size)
        self.hash.update(line)
        return line

    def hexdigest(self) -> str:
        return self.hash.hexdigest()


class _Steps:
    """Seconds per step of a file's load, for the DEBUG log."""

    def __init__(self, start: float):
        self.last, self.spent = start, {}

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.spent[step] = now - self.last
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:.3f} s" for k, v in self.spent.items())


def _sha256(fh) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: fh.read(COPY_CHUNK), b""):
        h.update(chunk)
    fh.seek(0)
    return h.hexdigest()


def _is_file_fault(exc: psycopg2.Error) -> bool:
    return bool(exc.pgcode) and exc.pgcode[:2] in FILE_FAULT_CLASSES


def _pg_reason(exc: psycopg2.Error, rule: str | None = None) -> str:
    """PostgreSQL's message and where in the file it happened, on one line; a broken rule of 06_rules.sql is
    named by its reason first."""
    diag = exc.diag
    message = diag.message_primary or str(exc).strip()
    if rule:
        message = f"{rule} ({message})"
    if exc.pgcode == "21000":
        message = f"a key appears twice in the file ({message})"
    parts = [message]
    if diag.message_detail:
        parts.append(diag.message_detail)
    if diag.context:
        parts.append(re.sub(r"^COPY [\w.]+, ", "at file ", diag.context.strip()))
    return " | ".join(" ".join(p.split()) for p in parts)


def _example_name(kind: str) -> str:
    return filekinds.BY_KIND[kind].name if kind in filekinds.BY_KIND else kind


def _run_of_landing(params: Params) -> str | None:
    """The run whose files batch/ holds (None for files dropped there by hand); RunMismatch for another world."""
    from hospsim import run as runs
    try:
        return runs.open_run(params).id
    except runs.RunNotFound:
        return None


def _refuse_other_runs(conn, params: Params) -> None:
    """RunMismatch when the warehouse schema holds files of a run other than these params' one."""
    from hospsim import run as runs
    if not schema.exists(conn, params):
        return
    with conn.cursor() as cur:
        cur.execute(schema.render("ledger/runs.sql", params.warehouse.schema))
        held = {row[0] for row in cur.fetchall()}
    conn.rollback()
    runs.check_holder(params, f"the warehouse schema {params.warehouse.schema}", held,
                      "Start the course over with `hospsim reset --yes` (make course-reset), or load this run into "
                      "a schema of its own (-p warehouse.schema=warehouse_other).")


def ingest(params: Params, conn=None) -> list[FileOutcome]:
    """One pass over data/batch (what `hospsim ingest` does)."""
    with Ingestor(params, conn) as ingestor:
        return ingestor.run_once()
