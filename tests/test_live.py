"""The living clock's engine (hospsim.live) without Kafka: the clock, the ends, the run's bytes, and resuming
a day through the timed-sink interface with a sink that keeps its rows in memory."""
from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pandas as pd
import pytest

from hospsim import live, simulate
from hospsim.errors import LiveError
from tests.conftest import run_files_digest

SMALL = {"seed": 5, "simulation.population": 20_000, "simulation.warmup_days": 3, "simulation.days": 4}


class Ledger:
    """A timed sink whose 'store' outlives a session, as a topic does: the admissions at their admit time."""

    name = "ledger"

    def __init__(self, store: list, stop: threading.Event | None = None, stop_after: int | None = None):
        self.store, self.stop, self.stop_after = store, stop, stop_after

    def timeline(self, result) -> pd.DataFrame:
        return pd.DataFrame({"sim_time": result.admissions["admit_time"].to_numpy(dtype="datetime64[ms]"),
                             "id": result.admissions["admission_id"].to_numpy(dtype=object)})

    def mark(self) -> dict:
        return {"n": len(self.store)}

    def delivered(self, rows: pd.DataFrame, mark: dict) -> np.ndarray:
        return rows["id"].isin([i for i, _ in self.store[mark["n"]:]]).to_numpy()

    def send(self, rows: pd.DataFrame) -> None:
        self.store.extend(zip(rows["id"], rows["sim_time"]))
        if self.stop_after is not None and len(self.store) >= self.stop_after:
            self.stop.set()

    def flush(self, stop) -> None:
        pass

    def close(self) -> None:
        pass


def admissions_before(params, end: dt.date) -> list[str]:
    frames = simulate.load(simulate.with_days(params, (end - params.simulation.start_date).days)).admissions
    return sorted(frames.loc[frames["admit_time"] < pd.Timestamp(end), "admission_id"])


def test_clock_runs_at_its_speed_and_max_follows_the_rows():
    start = np.datetime64("2025-01-01T00:00:00", "ms")
    clock = live.Clock(start, 60.0)
    assert clock.deadline(start + np.timedelta64(60, "s")) == pytest.approx(clock.wall + 1.0)
    fastest = live.Clock(start, None)
    assert fastest.deadline(start + np.timedelta64(1, "D")) == float("-inf")
    fastest.reach(start + np.timedelta64(5, "h"))
    assert fastest.now() == start + np.timedelta64(5, "h")


def test_days_count_from_their_session_so_the_same_command_ends_at_the_same_day(params_factory):
    params = params_factory(SMALL)
    jan5, jan8 = dt.date(2025, 1, 5), dt.date(2025, 1, 8)
    assert live.end_day({}, jan5, 3, None) == jan8
    session = {"session": {"days": 3, "end": jan8.isoformat()}}
    assert live.end_day(session, dt.date(2025, 1, 6), 3, None) == jan8          # resumed: same end
    assert live.end_day(session, jan8, 3, None) == dt.date(2025, 1, 11)         # finished: a new one
    assert live.end_day(session, jan5, None, dt.date(2025, 2, 1)) == dt.date(2025, 2, 1)
    assert live.end_day(session, jan5, None, None) is None
    assert live.horizon(params, dt.date(2025, 1, 9)) == 31 and live.horizon(params, dt.date(2025, 2, 1)) == 59


def test_a_live_run_writes_the_bytes_of_hospsim_simulate(params_factory, tmp_path):
    lived = params_factory(SMALL)
    live.run(lived, [], speed=None, days=2)
    live.run(lived, [], speed=None, days=3)
    simulated = params_factory({**SMALL, "paths.data_dir": str(tmp_path / "sim" / "data"),
                                "paths.runs_dir": str(tmp_path / "sim" / "runs")})
    simulate.run(simulate.with_days(simulated, 5), progress=False)
    mine, theirs = run_files_digest(lived), run_files_digest(simulated)
    assert len(mine) > 30 and mine == theirs
    assert simulate.days_held(lived, simulate.load(simulate.with_days(lived, 5)).run)[0] == 5


def test_rows_go_once_each_at_their_day_also_across_a_stop_and_a_lost_checkpoint(params_factory, monkeypatch):
    monkeypatch.setattr(live, "CHUNK", 3)          # a few rows a confirmation, so the stop comes mid-day
    params = params_factory(SMALL)
    store: list = []
    stop = threading.Event()
    first = live.run(params, [Ledger(store, stop, stop_after=15)], speed=None, days=6, stop=stop)
    assert first.stopped and len(first.days_done) < 6 and 15 <= len(store) < 15 + live.CHUNK   # the chunk crossing 15
    checkpoint = live.read_checkpoint(simulate.load(simulate.with_days(params, 1)).run)
    checkpoint["sinks"]["ledger"]["done"] = 0           # a kill before the confirmation was persisted
    live.write_checkpoint(simulate.load(simulate.with_days(params, 1)).run, checkpoint)
    second = live.run(params, [Ledger(store)], speed=None, days=6)
    assert not second.stopped and second.found["ledger"] > 0
    ids = [i for i, _ in store]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == admissions_before(params, dt.date(2025, 1, 7))          # each once, none missing
    times = [t for _, t in store]
    assert times == sorted(times)                  # late admissions waited for the next day's clock


def test_a_bad_speed_is_refused(params_factory):
    with pytest.raises(LiveError, match="speed"):
        live.run(params_factory(SMALL), [], speed=0.0, days=1)


def test_a_resumed_clock_starts_at_the_first_row_the_last_clock_passed_unsent(params_factory, monkeypatch):
    """A stop lands between a row's time and its send (a flush at 3600x is minutes of simulated time): the
    next session's clock starts at that row, not where the old clock stood, so it is not sent late by the gap."""
    monkeypatch.setattr(live, "CHUNK", 3)
    params = params_factory(SMALL)
    store: list = []
    stop = threading.Event()
    live.run(params, [Ledger(store, stop, stop_after=5)], speed=None, days=2, stop=stop)     # 2 days: ~8 rows
    held = len(store)
    the_run = simulate.load(simulate.with_days(params, 1)).run
    checkpoint = live.read_checkpoint(the_run)
    ran_on = np.datetime64(checkpoint["day"], "ms") + np.timedelta64(23, "h")
    live.write_checkpoint(the_run, {**checkpoint, "clock": str(ran_on)})
    second = live.run(params, [Ledger(store)], speed=None, days=2)
    first_unsent = np.datetime64(store[held][1], "ms")
    assert first_unsent < ran_on
    assert second.first_clock == first_unsent
    assert live._origin({"day": checkpoint["day"], "clock": str(ran_on)}, dt.date.fromisoformat(checkpoint["day"]),
                        np.array([], dtype="datetime64[ms]")) == ran_on          # nothing pending: where it stood
