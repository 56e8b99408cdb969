"""The living clock: the run continues day after day on one simulated clock, as the original scheduler ran it.

For each simulated day: the day is simulated in memory (before its clock starts, while the day before runs
on to midnight) and each timed sink gets its timeline (rows with a `sim_time`); a row timed past midnight
waits for the next day; each row is sent when the clock reaches its time; at the midnight
that ends the day, the sinks are flushed and the day's files are written into the run and landed in batch/
(hospsim.simulate.commit_day, the very writing `hospsim simulate` does). The clock runs at `speed` simulated
seconds per wall second (None: as fast as possible) against time.monotonic(), through hospsim.pacing.

Resume after kill -9: the run's state (state.npz) says which days the run holds; `live.json` beside it says,
for the day in progress, where each sink stood when the day started (`mark`) and how many of its rows were
confirmed (`done`), written then renamed after each flush. On restart the day is simulated again (the same
bytes), rows before `done` are skipped, and each sink names the rows it already holds past them (the Kafka
sink reads its topics from the marked offsets), so nothing is missing and nothing is sent twice.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from hospsim import daily, pacing, simulate, sinks
from hospsim import run as runs
from hospsim.config import Params
from hospsim.daily import CensusState
from hospsim.errors import LiveError

CHECKPOINT = "live.json"
LIVE_STEP = "live"
CHECKPOINT_EVERY_S = 1.0
"""Sinks are flushed and their progress persisted at least this often (wall seconds)."""
CHUNK = 2000
"""At most this many rows go out between two checkpoints (what a kill can leave unconfirmed)."""
PROGRESS_EVERY_S = 2.0
LAG_SAMPLES = 200_000
"""The lags kept for the report (the latest)."""
DAY = np.timedelta64(1, "D")
CARRY_DAYS = 2
"""A row may be timed up to this many days after the end of the day that made it (later ones go then)."""


class TimedSink(Protocol):
    """Where a day's timed rows go: the Kafka events, and later the OLTP changes."""

    name: str

    def timeline(self, result: daily.DayResult) -> pd.DataFrame:
        """The day's rows, with a datetime64 `sim_time` column, in the order they are to be sent."""

    def mark(self) -> dict:
        """Where this sink stands before the day's first row (JSON); given back to `delivered` on resume."""

    def delivered(self, rows: pd.DataFrame, mark: dict) -> np.ndarray:
        """After a crash: a bool per row, True where the sink already holds it (it arrived after `mark`). A
        sink whose send is idempotent (the OLTP applier) may answer all False and take those rows again."""

    def send(self, rows: pd.DataFrame) -> None:
        """The rows whose time has come."""

    def flush(self, stop: threading.Event | None) -> None:
        """Return once everything sent is durable; raise when it cannot be."""

    def close(self) -> None:
        """Let go of connections."""


class Clock:
    """Simulated time against time.monotonic(): `speed` simulated seconds a wall second, None as fast as
    possible (then the clock is where the last row sent put it)."""

    def __init__(self, origin: np.datetime64, speed: float | None):
        self.speed = speed
        self.origin = np.datetime64(origin, "ms")
        self.wall = time.monotonic()
        self.reached = self.origin

    def deadline(self, sim_time):
        """The monotonic time at which the clock shows sim_time (a time or an array of them)."""
        if self.speed is None:
            return float("-inf")
        ahead = np.asarray(sim_time, dtype="datetime64[ms]") - self.origin
        return self.wall + ahead.astype(np.int64) / 1000.0 / self.speed

    def now(self) -> np.datetime64:
        if self.speed is None:
            return self.reached
        return self.origin + np.timedelta64(int((time.monotonic() - self.wall) * self.speed * 1000), "ms")

    def reach(self, sim_time: np.datetime64) -> None:
        self.reached = max(self.reached, np.datetime64(sim_time, "ms"))


@dataclass
class LiveReport:
    """What a live session did; `lags` are wall seconds of send time behind the clock (paced speeds only)."""
    first_day: dt.date | None = None
    days_done: list[dt.date] = field(default_factory=list)
    sent: dict = field(default_factory=dict)
    confirmed: dict = field(default_factory=dict)       # on resume: confirmed by the checkpoint
    found: dict = field(default_factory=dict)         # on resume: past the checkpoint, found in the sink
    lags: deque = field(default_factory=lambda: deque(maxlen=LAG_SAMPLES))
    stopped: bool = False
    seconds: float = 0.0
    first_clock: np.datetime64 | None = None
    clock: np.datetime64 | None = None

    def lag_percentiles(self) -> dict:
        if not self.lags:
            return {"p50": None, "p99": None, "max": None}
        arr = np.fromiter(self.lags, dtype=float)
        return {k: round(float(v), 4) for k, v in
                zip(("p50", "p99", "max"), (np.percentile(arr, 50), np.percentile(arr, 99), arr.max()))}

    def summary(self) -> dict:
        return {"days": [d.isoformat() for d in self.days_done], "sent": self.sent,
                "confirmed_before": self.confirmed, "found_in_sink": self.found, "stopped": self.stopped, "seconds": round(self.seconds, 3), "lag_s": self.lag_percentiles(),
                "first_clock": None if self.first_clock is None else str(self.first_clock),
                "clock": None if self.clock is None else str(self.clock)}


# --------------------------------------------------------------------------- the checkpoint

def checkpoint_path(the_run: runs.Run):
    return the_run.state_dir / CHECKPOINT


def read_checkpoint(the_run: runs.Run) -> dict:
    path = checkpoint_path(the_run)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_checkpoint(the_run: runs.Run, checkpoint: dict) -> None:
    """Written then renamed: a kill leaves the old checkpoint or the new one, never half of one."""
    sinks.write_text(json.dumps(checkpoint, indent=1) + "\n", checkpoint_path(the_run))


def end_day(checkpoint: dict, next_day: dt.date, days: int | None, until: dt.date | None
            ) -> dt.date | None:
    """The first day not to simulate (None: no end). `--days N` counts from where its session started, so
    the same command after a kill ends where the uninterrupted one would have."""
    if until is not None:
        return until
    if days is None:
        return None
    session = checkpoint.get("session", {})
    if session.get("days") == days and session.get("end") and dt.date.fromisoformat(session["end"]) > next_day:
        return dt.date.fromisoformat(session["end"])
    return next_day + dt.timedelta(days=days)


def horizon(params: Params, day: dt.date) -> int:
    """Run length that covers `day`'s month: the workforce files are whole months and quarters, so each
    month's setup is made once and is the same as that of any longer run."""
    first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return (first_next - params.simulation.start_date).days


# --------------------------------------------------------------------------- the engine

@dataclass
class _Session:
    params: Params
    the_run: runs.Run
    sinks: Sequence[TimedSink]
    clock: Clock | None
    speed: float | None
    stop: threading.Event
    progress: Callable[[dict], None] | None
    report: LiveReport
    checkpoint: dict
    carry: dict | None = None
    covered: int = 0
    cohort: daily.Cohort | None = None
    rota: dict = field(default_factory=dict)          # the setup's rota by day (simulate.rota_by_day)
    last_progress: float = 0.0
    progress_sent: int = 0


def run(params: Params, sinks_: Sequence[TimedSink], *, speed: float | None, days: int | None = None,
        until: dt.date | None = None, stop: threading.Event | None = None,
        progress: Callable[[dict], None] | None = None) -> LiveReport:
    """Continue the run day by day on the clock until `stop`, `days` more days or the day `until` (not
    simulated); `progress` gets a dict (clock, day, events/s, lag) every PROGRESS_EVERY_S."""
    if speed is not None and not speed > 0:
        raise LiveError(f"speed = {speed}: give simulated seconds per wall second > 0 (1 = real time), or max")
    stop = stop or threading.Event()
    simulate.validate(params)
    the_run = runs.open_run(params, create=True)
    done, state = simulate.days_held(params, the_run)
    next_day = params.simulation.start_date + dt.timedelta(days=done)
    checkpoint = read_checkpoint(the_run)
    end = end_day(checkpoint, next_day, days, until)
    checkpoint["session"] = {"days": days, "until": until and until.isoformat(), "end": end and end.isoformat()}
    zeros = {s.name: 0 for s in sinks_}
    report = LiveReport(first_day=next_day, sent=dict(zeros), confirmed=dict(zeros), found=dict(zeros))
    session = _Session(params, the_run, sinks_, None, speed, stop, progress, report, checkpoint)
    started = time.monotonic()
    try:
        with the_run.running(LIVE_STEP, speed=speed, end=checkpoint["session"]["end"]):
            _days(session, next_day, end, state)
    finally:
        report.seconds = time.monotonic() - started
        report.stopped = stop.is_set()
        if session.clock is not None:
            report.first_clock = session.clock.origin
            report.clock = session.clock.now() if report.stopped else session.clock.reached
    return report


def _days(s: _Session, day: dt.date, end: dt.date | None, state: CensusState | None) -> None:
    """Day after day. The next day is simulated once this one's last row is out, while its clock runs on to
    midnight, so the simulation's seconds do not make the next day's first events late (a second thread
    would: it holds the interpreter while the sends wait for it)."""
    if end is not None and day >= end:
        return
    played = _simulate(s, day, state)
    while (end is None or day < end) and not s.stop.is_set():
        result, after = played
        following = day + dt.timedelta(days=1)
        ahead: list = []

        def prepare(following=following, after=after, ahead=ahead) -> None:
            if end is None or following < end:
                ahead.append(_simulate(s, following, after))

        if not _play_day(s, day, result, prepare):
            return
        simulate.commit_day(s.the_run, s.params, result, after,
                            changes=simulate.day_shift_changes(s.params, s.rota, result))
        s.report.days_done.append(day)
        day, played = following, (ahead[0] if ahead else None)


def _simulate(s: _Session, day: dt.date, state: CensusState | None) -> tuple[daily.DayResult, CensusState]:
    """One day (pure), after the run's setup was grown to cover its month."""
    params = s.params
    if s.covered <= (day - params.simulation.start_date).days:
        s.covered = horizon(params, day)
        made = _grow(s.the_run, simulate.with_days(params, s.covered))
        s.rota = simulate.rota_by_day(params, made.staff)
        s.cohort = daily.prepare(params, made.population_with_illnesses) if s.cohort is None else s.cohort
    if state is None:
        state = simulate.warm_up(params, s.cohort)
    return daily.simulate_day(params, day, s.cohort, state)


def _grow(the_run: runs.Run, params: Params) -> simulate.Setup:
    """The run's setup through the month in hand, made the way `hospsim simulate` makes it."""
    _, made, writer = simulate.setup_step(params, background=False)
    simulate.finish_setup(the_run.reload(), writer)
    return made


def _play_day(s: _Session, day: dt.date, result: daily.DayResult, prepare: Callable[[], None]) -> bool:
    """Send the day's rows on the clock, `prepare` the next day, then wait for its midnight and flush: False
    when stopped first."""
    start = np.datetime64(day, "ms")
    plans = _plans(s, day, result)
    skip = _open_day(s, day, plans)
    times, which, index = _merged(plans, skip)
    if s.clock is None:
        s.clock = Clock(_origin(s.checkpoint, day, times), s.speed)
    sent_upto = [int(s.checkpoint["sinks"][sink.name]["done"]) for sink, _ in plans]
    i, n, last_cp = 0, len(times), time.monotonic()
    while i < n:
        if not _wait(s, s.clock.deadline(times[i]), day) or s.stop.is_set():
            break
        j = min(n, i + CHUNK) if s.speed is None else max(
            i + 1, min(n, i + CHUNK, int(np.searchsorted(times, s.clock.now(), side="right"))))
        sent_at = time.monotonic()
        for k, (sink, rows) in enumerate(plans):
            mine = index[i:j][which[i:j] == k]
            if mine.size:
                sink.send(rows.iloc[mine])
                sent_upto[k] = max(sent_upto[k], int(mine[-1]) + 1)
                s.report.sent[sink.name] += int(mine.size)
        if s.speed is not None:
            s.report.lags.extend(sent_at - s.clock.deadline(times[i:j]))
        s.clock.reach(times[j - 1])
        i = j
        if i == n or time.monotonic() - last_cp >= CHECKPOINT_EVERY_S or s.speed is None:
            _confirm(s, plans, sent_upto)
            last_cp = time.monotonic()
        _show(s, day)
    if i == n and not s.stop.is_set():
        prepare()
    if i < n or not _wait(s, s.clock.deadline(start + DAY), day) or s.stop.is_set():
        _confirm(s, plans, sent_upto, stopping=True)
        return False
    s.clock.reach(start + DAY)
    _confirm(s, plans, sent_upto)
    return True


def _origin(checkpoint: dict, day: dt.date, pending: np.ndarray) -> np.datetime64:
    """Where a session's clock starts: the day's start, or on the day in progress where the last session's
    clock stood, but never past the first row still to send. Rows the last clock passed unsent (the stop
    came between their time and their send) go out on time instead of all at once, late by the gap."""
    start = np.datetime64(day, "ms")
    at = checkpoint.get("clock") if checkpoint.get("day") == day.isoformat() else None
    if not at:
        return start
    origin = max(start, np.datetime64(at, "ms"))
    return min(origin, pending[0]) if pending.size else origin


def _plans(s: _Session, day: dt.date, result: daily.DayResult) -> list[tuple[TimedSink, pd.DataFrame]]:
    """Each sink's rows due on this day: the day's own, and those earlier days timed past their midnight (a
    late ED visit admitted after midnight). The rest wait for their own day. On a session's first day those
    earlier rows come from the run's files of the CARRY_DAYS days before."""
    end = np.datetime64(day, "ms") + DAY
    if s.carry is None:
        s.carry = {sink.name: [] for sink in s.sinks}
        for back in range(CARRY_DAYS, 0, -1):
            earlier = day - dt.timedelta(days=back)
            if earlier >= s.params.simulation.start_date:
                frames = simulate.read_days(s.the_run.files_dir, [earlier])
                for sink in s.sinks:
                    rows = _timed(sink, daily.DayResult(earlier, **frames), earlier)
                    s.carry[sink.name].append(rows[rows["sim_time"] >= np.datetime64(day, "ms")])
    plans = []
    for sink in s.sinks:
        rows = pd.concat([*s.carry[sink.name], _timed(sink, result, day)], ignore_index=True)
        rows = rows.iloc[np.argsort(rows["sim_time"].to_numpy(), kind="stable")]
        due = (rows["sim_time"] < end).to_numpy()
        s.carry[sink.name] = [rows[~due]]
        plans.append((sink, rows[due].reset_index(drop=True)))
    return plans


def _timed(sink: TimedSink, result: daily.DayResult, day: dt.date) -> pd.DataFrame:
    """The sink's rows of one simulated day, timed no earlier than its start and no later than CARRY_DAYS
    after its end."""
    start = np.datetime64(day, "ms")
    rows = sink.timeline(result).reset_index(drop=True)
    t = rows["sim_time"].to_numpy(dtype="datetime64[ms]")
    if len(t) and (np.diff(t) < np.timedelta64(0)).any():
        raise LiveError(f"sink {sink.name}: its timeline for {day} is not in time order")
    rows["sim_time"] = np.clip(t, start, start + (CARRY_DAYS + 1) * DAY - np.timedelta64(1, "ms"))
    return rows


def _open_day(s: _Session, day: dt.date, plans) -> list[np.ndarray]:
    """Rows to skip per sink: none on a new day (whose marks are persisted before anything is sent); on the
    day a kill interrupted, those confirmed before it and those the sink holds past its mark."""
    cp = s.checkpoint
    if cp.get("day") != day.isoformat():
        cp.update(day=day.isoformat(), clock=None,
                  sinks={sink.name: {"mark": sink.mark(), "done": 0} for sink, _ in plans})
        write_checkpoint(s.the_run, cp)
        return [np.zeros(len(rows), dtype=bool) for _, rows in plans]
    skip = []
    for sink, rows in plans:
        entry = cp["sinks"].get(sink.name)
        if entry is None:
            raise LiveError(f"{checkpoint_path(s.the_run)} has no entry for sink {sink.name} on {day}: it was "
                            "written by a live run with other sinks; run live with the same sinks to finish the day")
        done = int(entry["done"])
        held = np.arange(len(rows)) < done
        held[done:] = np.asarray(sink.delivered(rows.iloc[done:], entry["mark"]), dtype=bool)
        s.report.confirmed[sink.name] += done
        s.report.found[sink.name] += int(held[done:].sum())
        skip.append(held)
    return skip


def _merged(plans, skip: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every sink's rows still to send, in time order (a sink's own order kept): time, sink, row."""
    times = [np.zeros(0, dtype="datetime64[ms]")]
    which, index = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for k, ((_, rows), held) in enumerate(zip(plans, skip)):
        keep = np.flatnonzero(~held)
        times.append(rows["sim_time"].to_numpy(dtype="datetime64[ms]")[keep])
        which.append(np.full(keep.size, k, dtype=np.int64))
        index.append(keep)
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    return t[order], np.concatenate(which)[order], np.concatenate(index)[order]


def _confirm(s: _Session, plans, sent_upto: list[int], *, stopping: bool = False) -> None:
    """Flush every sink, then persist how far each got and the clock. When stopping, a flush that fails
    leaves the checkpoint as it was: the next start finds those rows in the sink, or sends them."""
    for sink, _ in plans:
        try:
            sink.flush(s.stop)
        except Exception:
            if stopping:
                return
            raise
    for k, (sink, _) in enumerate(plans):
        s.checkpoint["sinks"][sink.name]["done"] = sent_upto[k]
    s.checkpoint["clock"] = str(s.clock.now() if s.speed is not None else s.clock.reached)
    write_checkpoint(s.the_run, s.checkpoint)


def _wait(s: _Session, deadline: float, day: dt.date) -> bool:
    """pacing.wait_until in steps, so the console shows the clock while nothing is due; False on a stop."""
    while True:
        step = min(deadline, time.monotonic() + PROGRESS_EVERY_S)
        if not pacing.wait_until(step, s.stop):
            return False
        if step >= deadline:
            return True
        _show(s, day)


def _show(s: _Session, day: dt.date) -> None:
    now = time.monotonic()
    if s.progress is None or now - s.last_progress < PROGRESS_EVERY_S:
        return
    total = sum(s.report.sent.values())
    rate = (total - s.progress_sent) / (now - s.last_progress) if s.last_progress else 0.0
    s.last_progress, s.progress_sent = now, total
    recent = list(s.report.lags)[-1000:]
    s.progress({"clock": str(s.clock.now()), "day": day.isoformat(), "events_per_s": round(rate, 1),
                "sent": dict(s.report.sent), "lag_s": round(max(recent), 4) if recent else None})


def sinks_for(params: Params, stop: threading.Event | None) -> tuple[list[TimedSink], str | None]:
    """The sinks these params ask for: Kafka when a broker answers, world-mode OLTP when oltp.source is world;
    and why there is no Kafka sink, if there is none."""
    from hospsim import stream
    sinks: list[TimedSink] = []
    bootstrap, why = stream.kafka_bootstrap(params)
    if bootstrap:
        from hospsim.stream.timed import KafkaSink
        sinks.append(KafkaSink(params, bootstrap, stop))
    if params.oltp.source == "world":
        from hospsim.oltp.timed import OltpSink
        from hospsim.services import ensure_postgres
        sinks.append(OltpSink(params, ensure_postgres(params)))
    return sinks, None if bootstrap else why
