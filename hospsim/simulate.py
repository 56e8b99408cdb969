"""The orchestrator, hospsim's I/O edge: population, workforce, then the daily loop, into the run.

`run(params)` creates or continues the run these params describe (hospsim.run): the setup frames and each
day's files are written once into runs/<run-id>/files/ (read-only) and landed in <data_dir>/batch/ as hard
links, the original project's folder. Files keep the original project's names (people_data.csv,
population_with_illnesses.csv, staff_data.csv, reserve_pool.csv, staff_active_<y>_Q<n>.csv,
schedules_<y>_<mm>.csv, daily_visitors_<date>.csv, admissions_<date>.csv) plus, one per day as well,
discharges_<date>.csv, transfers_<date>.csv, emergency_transports_<date>.csv and census_<date>.csv: a per-day
census keeps every day's files complete on their own, which is what the batch ingestor picks up. Each day also
writes shift_changes_<date>.csv, the rota shifts its census called off (hospsim.workforce.shift_changes).

After each day the carried state is saved (write-then-rename) in the run, so a run stopped anywhere continues
from its last completed day with the same bytes as an uninterrupted one, and a longer simulation.days grows
it. A step after this one reads the run (`load`) and never simulates again.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hospsim import config, daily, filekinds, population, sinks, workforce
from hospsim import run as runs
from hospsim.config import Params
from hospsim.daily import CensusState

log = logging.getLogger(__name__)

BACKGROUND_MIN_ROWS = 50_000           # frames at least this long are written by a second process
BACKGROUND_DIGESTS = "background-digests.json"
KINDS = filekinds.DAILY                  # visitors, admissions, ..., census, births, deaths
DATE_COLUMNS = ("birth_date",)
"""Daily-file dates the loop holds as datetime64 (a newborn's), read back as such from CSV and Parquet."""
CHANGES = filekinds.SHIFT_CHANGES_KIND     # also one a day: the rota shifts the day's census called off
TIME_COLUMNS = ("arrival_time", "departure_time", "admit_time", "planned_discharge_time", "discharge_time",
                "request_time", "dispatch_time", "pickup_time", "birth_time", "death_time")
TEXT_COLUMNS = {"national_id": str, "phone": str, "registration": str}
"""Read back as text: a CPF or phone number with a leading zero is not a number, nor is an NPI (en_US staff)."""
EXACT_FLOATS = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
"""read_csv gives back the very floats to_csv wrote (pandas 3 does so by default), so a day simulated from the
run's population file has the bytes of one simulated in the process that made it."""
SETUP_STEP, DAYS_STEP = "setup", "days"
POPULATION_FILES = (filekinds.BY_KIND["people"].name, filekinds.BY_KIND["population"].name)


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
    run: runs.Run | None = None
    births: pd.DataFrame = field(default_factory=pd.DataFrame)
    deaths: pd.DataFrame = field(default_factory=pd.DataFrame)
    shift_changes: pd.DataFrame | None = None     # the days' call-offs (workforce.shift_changes)

    @property
    def schedules(self) -> pd.DataFrame:
        """The shifts worked: the rota less those the days' census called off."""
        return workforce.on_duty(rota(self.staff), self.shift_changes)

    @property
    def days(self) -> list[dt.date]:
        return [dt.date.fromisoformat(d) for d in pd.unique(self.census["date"])]


@dataclass
class Setup:
    """The period's fixed cast: people, people with illness profiles, the workforce's frames."""
    people: pd.DataFrame
    population_with_illnesses: pd.DataFrame
    staff: dict[str, pd.DataFrame]

    def files(self) -> dict[str, pd.DataFrame]:
        """The setup frames under their original file names."""
        return {POPULATION_FILES[0]: self.people, POPULATION_FILES[1]: self.population_with_illnesses, **self.staff}


def batch_dir(params: Params) -> Path:
    return params.dirs.data_dir / "batch"


def state_path(the_run: runs.Run) -> Path:
    return the_run.state_dir / "state.npz"


def save_state(state: CensusState, path: Path) -> Path:
    """The daily loop's carried state, written then renamed: a run stopped anywhere resumes from it."""
    return sinks.write_npz(state.to_arrays(), path)


def load_state(path: Path) -> CensusState:
    with np.load(path, allow_pickle=False) as z:
        return CensusState.from_arrays(z)


def dates(params: Params) -> list[dt.date]:
    start = params.simulation.start_date
    return [start + dt.timedelta(days=i) for i in range(params.simulation.days)]


def validate(params: Params) -> None:
    """Every bound and cross-check config.load applies, again, for Params built or changed in code."""
    config.validate(params)


def warm_up(params: Params, cohort: daily.Cohort) -> CensusState:
    """Beds as they stand the night before start_date, after simulation.warmup_days of unwritten days."""
    state = CensusState.empty(params, config.world_fingerprint(params))
    start = params.simulation.start_date
    for i in range(params.simulation.warmup_days, 0, -1):
        _, state = daily.simulate_day(params, start - dt.timedelta(days=i), cohort, state)
    return state


def setup(params: Params) -> Setup:
    """The people and the workforce, computed (pure): what 00_setup makes."""
    people = population.generate(params)
    return Setup(people, population.with_illnesses(params, people), workforce.simulate(params))


def setup_step(params: Params, *, params_file: str | Path | None = None, background: bool = False
               ) -> tuple[runs.Run, Setup, _BackgroundWriter]:
    """The run's setup: read back when an earlier step made it for at least these days, else made and written
    once (big frames by a second process when `background`; wait() on the writer before relying on them)."""
    validate(params)
    the_run = runs.open_run(params, create=True, params_file=params_file)
    writer = _BackgroundWriter(the_run, params, enabled=background)
    if the_run.done(SETUP_STEP) and the_run.step(SETUP_STEP).get("days", 0) >= params.simulation.days:
        return the_run, read_setup(the_run), writer
    if the_run.step(SETUP_STEP).get("outputs"):     # a run grown longer: its people stay, the workforce grows
        made = Setup(_read_setup_file(the_run, POPULATION_FILES[0]), read_population(the_run),
                     workforce.simulate(params))
    else:
        made = setup(params)
    the_run.record(SETUP_STEP, status="running", days=params.simulation.days)
    for name, df in made.files().items():
        if name not in POPULATION_FILES or not the_run.file(name).exists():
            writer.submit(df, name)
    writer.start()
    return the_run, made, writer


def read_setup(the_run: runs.Run) -> Setup:
    """The setup frames from the run's files, with the types the simulation gave them (floats exactly)."""
    names = [o["name"] for o in the_run.step(SETUP_STEP).get("outputs", [])]
    staff = {n: _read_setup_file(the_run, n) for n in names if n not in POPULATION_FILES}
    return Setup(_read_setup_file(the_run, POPULATION_FILES[0]), read_population(the_run), staff)


def read_population(the_run: runs.Run) -> pd.DataFrame:
    """population_with_illnesses.csv of the run: what the daily loop (and a what-if) draws its patients from."""
    return _read_setup_file(the_run, POPULATION_FILES[1])


def _read_setup_file(the_run: runs.Run, name: str) -> pd.DataFrame:
    return pd.read_csv(the_run.file(name), dtype=TEXT_COLUMNS, keep_default_na=False, na_values=[""], **EXACT_FLOATS)


def run(params: Params, *, write: bool = True, progress: bool = True, params_file: str | Path | None = None,
        people_ill: pd.DataFrame | None = None, background: bool = True) -> SimulationResult:
    """Simulate params.simulation.days days.

    With write, into the run these params describe: its setup and days are made once, a day already in the
    run is read back, not simulated again, and each new day is written (and landed in batch/) as it completes.
    Without, everything stays in memory (a what-if); `people_ill` then reuses a run's population.
    background=False writes the big setup frames in this process (a Dask worker may not fork; same bytes).
    """
    validate(params)
    if not write:
        return _in_memory(params, progress, people_ill)
    the_run, made, writer = setup_step(params, params_file=params_file, background=background)
    try:
        result = _days(the_run, params, made, progress)
    finally:
        finish_setup(the_run, writer)
    result.files = [the_run.file(n) for n in made.files()] + result.files
    return result


def finish_setup(the_run: runs.Run, writer: _BackgroundWriter) -> None:
    """Wait for the setup files, then record the step done with their checksums (once, when it wrote any).
    Files the run already had are landed in batch/ again when they are gone from it (after a reset)."""
    written = writer.wait()
    earlier = the_run.step(SETUP_STEP).get("outputs", [])
    if written:
        the_run.record(SETUP_STEP, status="done", finished_at=runs.now(), outputs=the_run.outputs(earlier, written))
    else:
        the_run.land(writer.params, [the_run.file(o["name"]) for o in earlier])


def _in_memory(params: Params, progress: bool, people_ill: pd.DataFrame | None) -> SimulationResult:
    made = setup(params) if people_ill is None else Setup(pd.DataFrame(), people_ill, {})
    cohort = daily.prepare(params, made.population_with_illnesses)
    state = warm_up(params, cohort)
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    rota_days, changes = rota_by_day(params, made.staff), []
    for day in _progress(dates(params), progress):
        result, state = daily.simulate_day(params, day, cohort, state)
        changes.append(day_shift_changes(params, rota_days, result))
        for k in KINDS:
            frames[k].append(getattr(result, k))
    return SimulationResult(params, made.people, made.population_with_illnesses, made.staff,
                            **{k: _concat(frames[k], k) for k in KINDS}, state=state,
                            shift_changes=_concat_changes(changes))


def _days(the_run: runs.Run, params: Params, made: Setup, progress: bool) -> SimulationResult:
    """The days step: days already in the run are read back; the rest are simulated, written and landed."""
    all_days = dates(params)
    done, state = days_held(params, the_run)
    todo = all_days[done:]
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    earlier = read_days(the_run.files_dir, all_days[:min(done, len(all_days))])
    for k in KINDS:
        frames[k].append(earlier[k])
    changes = [read_shift_changes(the_run.files_dir, all_days[:min(done, len(all_days))])]
    written: list[Path] = []
    if todo:
        log.info("run %s: %d day(s) in the run, simulating %d more", the_run.id, done, len(todo))
        cohort = daily.prepare(params, made.population_with_illnesses)
        state = state if state is not None else warm_up(params, cohort)
        rota_days = rota_by_day(params, made.staff)
        with the_run.running(DAYS_STEP):
            try:
                for day in _progress(todo, progress):
                    result, state = daily.simulate_day(params, day, cohort, state)
                    changes.append(day_shift_changes(params, rota_days, result))
                    written += commit_day(the_run, params, result, state, record=False, changes=changes[-1])
                    for k in KINDS:
                        frames[k].append(getattr(result, k))
            finally:
                record_days(the_run, params, state, written)
    elif state is None:
        state = CensusState.empty(params)
    day_names = [filekinds.day_file_name(k, d) for d in all_days for k in KINDS + (CHANGES,)]
    the_run.land(params, [the_run.file(n) for n in day_names])     # again after a reset: from the run, not recomputed
    return SimulationResult(params, made.people, made.population_with_illnesses, made.staff,
                            **{k: _concat(frames[k], k) for k in KINDS}, state=state,
                            files=[the_run.file(n) for n in day_names], run=the_run,
                            shift_changes=_concat_changes(changes))


def days_held(params: Params, the_run: runs.Run) -> tuple[int, CensusState | None]:
    """How many days the run holds, from its carried state (None before its first day), and that state."""
    saved_at = state_path(the_run)
    state = load_state(saved_at) if saved_at.exists() else None
    return ((state.day - params.simulation.start_date).days + 1 if state is not None and state.day else 0), state


def commit_day(the_run: runs.Run, params: Params, result: daily.DayResult, state: CensusState, *,
               record: bool = True, changes: pd.DataFrame | None = None) -> list[Path]:
    """A finished day into the run: its files (and the shift changes its census made) written (read-only) and
    landed in batch/, then the state after it saved, the point from which a stopped run continues (the days
    step recorded too, unless the caller records a batch of days at once)."""
    files = result.files() | ({filekinds.day_file_name(CHANGES, result.day): changes} if changes is not None else {})
    day_files = [the_run.write(df, name) for name, df in files.items()]
    the_run.land(params, day_files)
    save_state(state, state_path(the_run))
    if record:
        record_days(the_run, params, state, day_files)
    return day_files


def record_days(the_run: runs.Run, params: Params, state: CensusState | None, written: list[Path]) -> None:
    """The days step in the manifest: how many days the run holds, the last one, and the files' checksums."""
    last = state.day if state is not None and state.day else None
    the_run.record(DAYS_STEP, days_done=(last - params.simulation.start_date).days + 1 if last else 0,
                   last_day=last.isoformat() if last else None,
                   outputs=the_run.outputs(the_run.step(DAYS_STEP).get("outputs", []), written))


class _BackgroundWriter:
    """Big frames (the population, schedules) are written by a forked process while the days run: CSV
    formatting is CPU-bound and takes half of a large run, and the machine has a second core. Small frames,
    and platforms without fork, are written in place. The files are the same either way; each is sealed
    read-only in the run and landed in batch/ once written."""

    def __init__(self, the_run: runs.Run, params: Params, *, enabled: bool = True):
        self.run, self.params, self.enabled = the_run, params, enabled
        self.later: list[tuple[pd.DataFrame, str]] = []
        self.written: list[Path] = []
        self.process = None

    def submit(self, df: pd.DataFrame, name: str) -> None:
        if self.enabled and len(df) >= BACKGROUND_MIN_ROWS and "fork" in multiprocessing.get_all_start_methods():
            self.later.append((df, name))
        else:
            self.written.append(self.run.write(df, name))

    def start(self) -> None:
        if self.later:
            self.process = multiprocessing.get_context("fork").Process(
                target=_write_all, args=(self.run, self.later), name="hospsim-writer", daemon=True)
            self.process.start()

    def wait(self) -> list[Path]:
        """Everything this writer wrote, landed; an empty list when it had nothing to write."""
        if self.process is not None:
            self.process.join()
            if self.process.exitcode != 0:
                names = ", ".join(name for _, name in self.later)
                raise RuntimeError(f"writing {names} failed in the background writer "
                                   f"(exit code {self.process.exitcode}); see the error printed above")
            self.process = None
            self.written += [self.run.file(name) for _, name in self.later]
            self.run.digests.update(_read_digests(self.run))
            self.later = []
        landed, self.written = self.written, []
        self.run.land(self.params, landed)
        return landed


def _write_all(the_run: runs.Run, jobs: list[tuple[pd.DataFrame, str]]) -> None:
    """The forked writer: the files, then their digests where the parent reads them (_read_digests)."""
    for df, name in jobs:
        the_run.write(df, name)
    sinks.write_text(json.dumps([the_run.digests[name] for _, name in jobs]), the_run.state_dir / BACKGROUND_DIGESTS)


def _read_digests(the_run: runs.Run) -> dict:
    path = the_run.state_dir / BACKGROUND_DIGESTS
    found = {d["name"]: d for d in json.loads(path.read_text())} if path.exists() else {}
    path.unlink(missing_ok=True)
    return found


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


def rota(staff: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The monthly rotas of the setup's frames, as one frame."""
    frames = [df for name, df in sorted(staff.items()) if filekinds.BY_KIND["schedules"].matches(name)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=workforce.SCHEDULE_COLUMNS)


def rota_by_day(params: Params, staff: dict[str, pd.DataFrame]) -> dict[dt.date, workforce.DayRota]:
    """The setup's nursing rota by day, drawn once (workforce.day_rotas)."""
    return workforce.day_rotas(params, rota(staff))


def day_shift_changes(params: Params, rota_days: dict[dt.date, workforce.DayRota], result: daily.DayResult):
    """The shifts the day's census called off (pure: the day's rota and census in)."""
    return workforce.shift_changes(params, result.day, rota_days.get(result.day), result.census)


def read_shift_changes(folder: Path, days: list[dt.date]) -> pd.DataFrame:
    """The days' shift_changes files, read back (a run made before they existed has none)."""
    names = [path for d in days if (path := folder / filekinds.day_file_name(CHANGES, d)).exists()]
    parquet = [p for d in days for p in filekinds.parquet_files(folder, CHANGES, d)]     # a Parquet run
    return _concat_changes(([_read_joined(names)] if names else []) + ([sinks.read_parquet(parquet)] if parquet else []))


def _concat_changes(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=workforce.CHANGE_COLUMNS)


def read_days(folder: Path, days: list[dt.date]) -> dict[str, pd.DataFrame]:
    """The daily files of the given days, read back with the types the daily loop gives them.

    The files of a kind are joined under one header and parsed once: one parse of a year costs what hundreds
    of small parses would cost in call overhead alone."""
    out = {}
    for kind in KINDS:
        names = [folder / filekinds.day_file_name(kind, d) for d in days]
        parquet = [] if not names or names[0].exists() else [p for d in days for p in filekinds.parquet_files(
            folder, kind, d)]           # a Parquet run (output.format: parquet)
        df = _concat([sinks.read_parquet(parquet)] if parquet else [_read_joined(names)] if names else [], kind)
        for col in (*TIME_COLUMNS, *DATE_COLUMNS):
            if col in df.columns:
                df[col] = pd.to_datetime(df[col]).astype("datetime64[s]")
        out[kind] = df
    return out


def _read_joined(paths: list[Path]) -> pd.DataFrame:
    header, bodies = b"", []
    for path in paths:
        text = path.read_bytes()
        head, _, body = text.partition(b"\n")
        header = header or head
        bodies.append(body)
    return pd.read_csv(io.BytesIO(header + b"\n" + b"".join(bodies)), keep_default_na=False,
                       na_values={c: [""] for c in TIME_COLUMNS}, **EXACT_FLOATS)


def load(params: Params) -> SimulationResult:
    """The run's setup and days as a SimulationResult, read from the run's files, without simulating."""
    try:
        the_run = runs.open_run(params)
    except runs.RunNotFound as exc:
        raise runs.StepNotRun(f"run notebooks/00_setup.ipynb and 01_daily_loop.ipynb (or `hospsim simulate`) first: "
                         f"{exc}") from None
    done = the_run.step(DAYS_STEP).get("days_done", 0)
    if done < params.simulation.days:
        raise runs.StepNotRun(f"run {the_run.id} has {done} of {params.simulation.days} day(s): run "
                         "notebooks/01_daily_loop.ipynb (or `hospsim simulate`) with the same params first")
    made = read_setup(the_run)
    frames = read_days(the_run.files_dir, dates(params))
    saved_at = state_path(the_run)
    state = load_state(saved_at) if saved_at.exists() else CensusState.empty(params)
    return SimulationResult(params, made.people, made.population_with_illnesses, made.staff, **frames,
                            state=state, run=the_run,
                            shift_changes=read_shift_changes(the_run.files_dir, dates(params)))


def with_days(params: Params, days: int) -> Params:
    """The same params with another run length."""
    return dataclasses.replace(params, simulation=dataclasses.replace(params.simulation, days=days))
