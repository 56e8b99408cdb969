"""The orchestrator, hospsim's I/O edge: population, workforce, then the daily loop, writing data/batch/.

Files keep the original project's names (people_data.csv, population_with_illnesses.csv, staff_data.csv,
reserve_pool.csv, staff_active_<y>_Q<n>.csv, schedules_<y>_<mm>.csv, daily_visitors_<date>.csv,
admissions_<date>.csv) plus, one per day as well, discharges_<date>.csv, transfers_<date>.csv,
emergency_transports_<date>.csv and census_<date>.csv: a per-day census keeps every day's files complete
on their own, which is what the batch ingestor picks up and what a resumed run rewrites.

After each day the carried state is saved (write-then-rename) under <state_dir>/simulation/state.npz, so
`run(..., resume=True)` continues from the last completed day and writes the same bytes as an
uninterrupted run. A resumed run may also be longer than the first one (simulation.days is not part of
the state's fingerprint).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hospsim import config, daily, population, sinks, workforce
from hospsim.config import ConfigError, Params
from hospsim.daily import CensusState

log = logging.getLogger(__name__)

BACKGROUND_MIN_ROWS = 50_000           # frames at least this long are written by a second process
KINDS = tuple(daily.FILE_NAMES)          # visitors, admissions, discharges, transfers, transports, census
TIME_COLUMNS = ("arrival_time", "departure_time", "admit_time", "planned_discharge_time", "discharge_time",
                "request_time", "dispatch_time", "pickup_time")


@dataclass
class SimulationResult:
    """Everything a run made, as DataFrames for notebooks; `files` lists what was written."""
    params: Params
    people: pd.DataFrame
    population_with_illnesses: pd.DataFrame
    staff: dict[str, pd.DataFrame]
    visitors: pd.DataFrame
    admissions: pd.DataFrame
    discharges: pd.DataFrame
    transfers: pd.DataFrame
    transports: pd.DataFrame
    census: pd.DataFrame
    state: CensusState
    files: list[Path] = field(default_factory=list)

    @property
    def schedules(self) -> pd.DataFrame:
        frames = [df for name, df in sorted(self.staff.items()) if name.startswith("schedules_")]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def days(self) -> list[dt.date]:
        return [dt.date.fromisoformat(d) for d in pd.unique(self.census["date"])]


def batch_dir(params: Params) -> Path:
    return params.dirs.data_dir / "batch"


def state_path(params: Params) -> Path:
    return params.dirs.state_dir / "simulation" / "state.npz"


def dates(params: Params) -> list[dt.date]:
    start = params.simulation.start_date
    return [start + dt.timedelta(days=i) for i in range(params.simulation.days)]


def validate(params: Params) -> None:
    """Every bound and cross-check config.load applies, again, for Params built or changed in code."""
    config.validate(params)
    problems = daily.check(params)
    if problems:
        raise ConfigError(problems)


def warm_up(params: Params, cohort: daily.Cohort) -> CensusState:
    """Beds as they stand the night before start_date, after simulation.warmup_days of unwritten days."""
    state = CensusState.empty(params, daily.fingerprint(params))
    start = params.simulation.start_date
    for i in range(params.simulation.warmup_days, 0, -1):
        _, state = daily.simulate_day(params, start - dt.timedelta(days=i), cohort, state)
    return state


def setup(params: Params) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """The period's fixed cast: people, people with illness profiles, and the workforce's frames."""
    people = population.generate(params)
    return people, population.with_illnesses(params, people), workforce.simulate(params)


def setup_files(people: pd.DataFrame, people_ill: pd.DataFrame, staff: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The setup frames under their original file names."""
    return {"people_data.csv": people, "population_with_illnesses.csv": people_ill, **staff}


def run(params: Params, *, write: bool = True, progress: bool = True, resume: bool = False) -> SimulationResult:
    """Simulate params.simulation.days days; with write, files go to <data_dir>/batch as each day completes."""
    validate(params)
    if resume and not write:
        raise ValueError("resume=True continues the files of an earlier run: it needs write=True")
    batch, saved_at = batch_dir(params), state_path(params)
    all_days = dates(params)
    state, done = None, 0
    if resume and saved_at.exists():
        state = CensusState.load(saved_at)
        if state.fingerprint != daily.fingerprint(params):
            raise ValueError(f"{saved_at} was saved by a run with other parameters; run without --resume "
                             f"(or delete {saved_at.parent}) to start over")
        done = (state.day - params.simulation.start_date).days + 1
        log.info("resuming after %s (%d day(s) done)", state.day, done)

    people, people_ill, staff = setup(params)
    files: list[Path] = []
    background = _BackgroundWriter()
    if write:
        for name, df in setup_files(people, people_ill, staff).items():
            target = batch / name
            if not (resume and done and target.exists()):   # deterministic: a resumed run keeps what is there
                background.submit(df, target)
            files.append(target)
        background.start()

    cohort = daily.prepare(params, people_ill)
    if state is None:
        state = warm_up(params, cohort)
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    if done:
        earlier = read_days(batch, all_days[:done])
        for k in KINDS:
            frames[k].append(earlier[k])
        files += [batch / daily.FILE_NAMES[k].format(d.isoformat()) for d in all_days[:done] for k in KINDS]

    try:
        for day in _progress(all_days[done:], progress):
            result, state = daily.simulate_day(params, day, cohort, state)
            for k in KINDS:
                frames[k].append(getattr(result, k))
            if write:
                for name, df in result.files().items():
                    files.append(sinks.write_csv(df, batch / name))
                state.save(saved_at)
    finally:
        background.wait()

    return SimulationResult(params, people, people_ill, staff, **{k: _concat(frames[k], k) for k in KINDS},
                            state=state, files=files)


class _BackgroundWriter:
    """Big frames (the population, schedules) are written by a forked process while the days run: CSV
    formatting is CPU-bound and takes half of a large run, and the machine has a second core. Small frames,
    and platforms without fork, are written in place. The files are the same either way."""

    def __init__(self):
        self.later: list[tuple[pd.DataFrame, Path]] = []
        self.process = None

    def submit(self, df: pd.DataFrame, target: Path) -> None:
        if len(df) >= BACKGROUND_MIN_ROWS and "fork" in multiprocessing.get_all_start_methods():
            self.later.append((df, target))
        else:
            sinks.write_csv(df, target)

    def start(self) -> None:
        if self.later:
            self.process = multiprocessing.get_context("fork").Process(
                target=_write_all, args=(self.later,), name="hospsim-writer", daemon=True)
            self.process.start()

    def wait(self) -> None:
        if self.process is not None:
            self.process.join()
            if self.process.exitcode != 0:
                names = ", ".join(t.name for _, t in self.later)
                raise RuntimeError(f"writing {names} failed in the background writer "
                                   f"(exit code {self.process.exitcode}); see the error printed above")
            self.process = None


def _write_all(jobs: list[tuple[pd.DataFrame, Path]]) -> None:
    for df, target in jobs:
        sinks.write_csv(df, target)


def _progress(days: list[dt.date], enabled: bool):
    if not enabled:
        return days
    from tqdm.auto import tqdm
    return tqdm(days, desc="simulating", unit="day", leave=True)


def _concat(frames: list[pd.DataFrame], kind: str) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=daily.COLUMNS[kind])
    return pd.concat(frames, ignore_index=True)


def read_days(batch: Path, days: list[dt.date]) -> dict[str, pd.DataFrame]:
    """The daily files of the given days, read back with the types the daily loop gives them."""
    out = {}
    for kind in KINDS:
        parts = [pd.read_csv(batch / daily.FILE_NAMES[kind].format(d.isoformat()), keep_default_na=False,
                             na_values={c: [""] for c in TIME_COLUMNS})
                 for d in days]
        df = _concat(parts, kind)
        for col in TIME_COLUMNS:
            if col in df.columns:
                df[col] = pd.to_datetime(df[col]).astype("datetime64[s]")
        out[kind] = df
    return out


def load(params: Params) -> SimulationResult:
    """A finished run's files (data/batch) as a SimulationResult, without simulating anything."""
    batch = batch_dir(params)
    missing = [d for d in dates(params) if not (batch / daily.FILE_NAMES["census"].format(d.isoformat())).exists()]
    if missing:
        raise FileNotFoundError(f"{batch} has no files for {missing[0]} ({len(missing)} day(s) missing); "
                                "run `hospsim simulate` with the same params first")
    frames = read_days(batch, dates(params))
    staff = {p.name: pd.read_csv(p) for p in sorted(batch.glob("schedules_*.csv"))}
    people = pd.read_csv(batch / "people_data.csv") if (batch / "people_data.csv").exists() else pd.DataFrame()
    ill = (pd.read_csv(batch / "population_with_illnesses.csv")
           if (batch / "population_with_illnesses.csv").exists() else pd.DataFrame())
    state = CensusState.load(state_path(params)) if state_path(params).exists() else CensusState.empty(params)
    return SimulationResult(params, people, ill, staff, **frames, state=state)


def with_days(params: Params, days: int) -> Params:
    """The same params with another run length."""
    return dataclasses.replace(params, simulation=dataclasses.replace(params.simulation, days=days))
