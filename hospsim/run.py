"""The run: one simulated world in one folder, which every later step reads instead of recomputing it.

    runs/<run-id>/manifest.json   run id, params and their fingerprint, seed, hospsim version, and for each
                                  step its status, times, outputs (files or tables), row counts and checksums
    runs/<run-id>/params.yaml     the resolved params: `-f runs/<run-id>/params.yaml` describes the same world
    runs/<run-id>/files/          the batch files as simulated, read-only; <data_dir>/batch/ gets hard links
    runs/<run-id>/state/          the daily loop's carried state, so the run continues where it stopped
    runs/<run-id>/course/<stamp>/ executed notebooks and the report of each `hospsim run`
    <data_dir>/run.json           which run the landing folders (batch/, processed/) hold

The run id is the region's name and the world fingerprint (config.world_fingerprint), so the same params
always find the same run, and a run grows when simulation.days does. Two worlds never share a data folder,
a warehouse schema or the stream tables: a step asked to mix them raises RunMismatch before it writes.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import filecmp
import hashlib
import json
import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from hospsim import config, filekinds, sinks
from hospsim.config import Params
from hospsim.errors import RunError

MANIFEST = "manifest.json"
LANDING = "run.json"
READ_ONLY = 0o444
SECRET_KEYS = ("password", "url")
"""postgres keys kept out of the run's files: a run describes a world, not credentials."""


class RunMismatch(RunError, ValueError):
    """Outputs of two different worlds were about to be mixed in one place."""

    def __init__(self, where: str, held: str, wanted: Params, differences: list[str], fix: str):
        self.held, self.wanted = held, run_id(wanted)
        what = f"; they differ in {', '.join(differences)}" if differences else ""
        super().__init__(f"{where} holds run {held}, but these params make run {describe(wanted)}{what}. "
                         f"Nothing was written. {fix}")


class RunNotFound(RunError, FileNotFoundError):
    """A step asked for a run that was never started."""


class StepNotRun(RunError, RuntimeError):
    """A step (a notebook) ran before the step it depends on; the message names the one to run first."""


# --------------------------------------------------------------------------- naming

def run_id(params: Params) -> str:
    """<region>-<world fingerprint>: readable, and the same for the same world."""
    return f"{region_slug(params.region.name)}-{config.world_fingerprint(params)[:10]}"


def region_slug(name: str) -> str:
    """A region's name as lowercase ASCII words joined by '-': the run id's head and the Parquet partition."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "region"


def folder_for(params: Params) -> Path:
    return params.dirs.runs_dir / run_id(params)


def describe(params: Params) -> str:
    s = params.simulation
    hospitals = ", ".join(h.id for h in params.region.hospitals)
    return (f"{run_id(params)} (seed {params.seed}, {s.population:,} people in {params.region.name}, "
            f"hospitals {hospitals}, from {s.start_date})")


def differences(held: dict, params: Params, limit: int = 6) -> list[str]:
    """Dotted keys of the world (config.WORLD_KEYS) whose values differ between a stored tree and params."""
    wanted = _redacted(params.to_dict())
    found: list[str] = []

    def walk(a, b, key: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{key}.{k}" if key else k)
        elif a != b:
            found.append(key)

    for section in config.WORLD_KEYS:
        walk(held.get(section), wanted.get(section), section)
    found = [k for k in found if k != "simulation.days"]
    return found[:limit] + ([f"{len(found) - limit} more"] if len(found) > limit else [])


# --------------------------------------------------------------------------- the run

@dataclass
class Run:
    folder: Path
    manifest: dict
    digests: dict = field(default_factory=dict)     # name -> digest of the files this process wrote
    _stored: dict = field(default_factory=dict, repr=False, compare=False)   # file names asked before (file)

    @property
    def id(self) -> str:
        return self.manifest["run_id"]

    @property
    def files_dir(self) -> Path:
        return self.folder / "files"

    @property
    def state_dir(self) -> Path:
        return self.folder / "state"

    @property
    def parquet(self) -> bool:
        """Are the run's daily files Parquet (output.format, part of the world's fingerprint)?"""
        return self.manifest["params"].get("output", {}).get("format", "csv") == "parquet"

    def file(self, name: str) -> Path:
        """A file of the run by its original name; in a Parquet run a daily file's name maps to its Parquet
        file (filekinds.PARQUET_NAME), so every step names the files one way."""
        stored = self._stored.get(name)
        if stored is None:
            stored = self._stored[name] = self._stored_name(name)
        return self.files_dir / stored

    def _stored_name(self, name: str) -> str:
        if not self.parquet or name.endswith(".parquet"):
            return name
        match = filekinds.classify(name)
        if match.kind.kind not in filekinds.PER_DAY:
            return name
        return filekinds.parquet_file_name(match.kind.kind, region_slug(self.manifest["params"]["region"]["name"]),
                                           match.date)

    def step(self, name: str) -> dict:
        return self.manifest["steps"].get(name, {})

    def done(self, name: str) -> bool:
        return self.step(name).get("status") == "done"

    def reload(self) -> Run:
        self.manifest = _read_manifest(self.folder)
        return self

    def record(self, name: str, **fields) -> dict:
        """Merge fields into a step's entry; locked, so several processes may record steps of one run."""
        with _locked(self.folder):
            self.manifest = _read_manifest(self.folder)
            entry = self.manifest["steps"].setdefault(name, {})
            entry.update(fields)
            _write_manifest(self.folder, self.manifest)
        return entry

    @contextlib.contextmanager
    def running(self, name: str, **info):
        """Record a step as running, then done with its seconds, or failed with its error."""
        started = time.time()
        self.record(name, status="running", started_at=_stamp(started), finished_at=None, error=None, **info)
        try:
            yield
        except BaseException as exc:
            self.record(name, status="failed" if isinstance(exc, Exception) else "interrupted",
                        finished_at=_stamp(time.time()), error=f"{type(exc).__name__}: {exc}"[:500])
            raise
        self.record(name, status="done", finished_at=_stamp(time.time()), seconds=round(time.time() - started, 3))

    def write(self, df, name: str) -> Path:
        """A frame into the run's files (write-then-rename), read-only from then on; its digest is kept."""
        path, tally = self.file(name), Tally()
        if path.suffix == ".parquet":
            seal(sinks.write_parquet(df, path, filekinds.classify(name).kind.expected_columns(None), tally))
            tally.rows = len(df)
        else:
            seal(sinks.write_csv(df, path, tally))
        self.digests[self.relative(path)] = tally.digest(self.relative(path))
        return path

    def relative(self, path: Path) -> str:
        """A file's name in the run: its path under files/ (a Parquet file's partitions), else its name."""
        text, folder = os.fspath(path), f"{os.fspath(self.files_dir)}/"
        if isinstance(path, Path) and text.startswith(folder) and ".." not in text:   # the usual case, a Path's
            return text[len(folder):]                                                  # text being normalized
        path = Path(path)
        return path.relative_to(self.files_dir).as_posix() if path.is_relative_to(self.files_dir) else path.name

    def outputs(self, earlier: list[dict], paths) -> list[dict]:
        """A step's outputs: earlier entries, with the given files described (from their digests when this
        process wrote them, else read)."""
        by_name = {o["name"]: o for o in earlier}
        for path in paths:
            name = self.relative(path)
            by_name[name] = self.digests.get(name) or digest(path, name)
        return [by_name[name] for name in sorted(by_name)]

    def land(self, params: Params, paths) -> list[Path]:
        """Hard links of the run's files in <data_dir>/batch/, the original project's landing folder; a file
        already landed (in batch/ or moved on to processed/) is not landed twice."""
        data = params.dirs.data_dir
        batch, processed = data / "batch", data / "processed"
        batch.mkdir(parents=True, exist_ok=True)
        return [target for path in paths
                if (target := _land_one(Path(path), self.relative(path), batch, processed)) is not None]


def seal(path: Path) -> Path:
    os.chmod(path, READ_ONLY)
    return path


def _land_one(source: Path, name: str, batch: Path, processed: Path) -> Path | None:
    if _linked(source, batch / name, processed / name):
        return batch / name
    for folder in (batch, processed):
        there = folder / name
        if there.exists() and (os.path.samefile(there, source) or filecmp.cmp(there, source, shallow=False)):
            return None
    target = batch / name
    with sinks.atomic_path(target) as tmp:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:                     # another file system: a copy costs what a link does not
            shutil.copyfile(source, tmp)
    return target


def _linked(source: Path, target: Path, moved_on: Path) -> bool:
    """The usual landing, cheaply: nothing in batch/ or processed/ by that name yet, so a hard link (which
    appears whole, with no temporary name) lands it. False when a name is taken or the link cannot be made."""
    if moved_on.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:                         # taken, or another file system: the careful way below
        return False
    return True


def open_run(params: Params, *, create: bool = False, params_file: str | Path | None = None) -> Run:
    """The run these params describe, after checking the data folder holds no other world.

    With create, a run that does not exist yet is started (manifest, params.yaml, folders); without, a
    missing run raises RunNotFound, which the notebooks turn into "run 00_setup first".
    """
    check_landing(params)
    folder = folder_for(params)
    if not (folder / MANIFEST).exists():
        if not create:
            raise RunNotFound(f"no run {run_id(params)} in {params.dirs.runs_dir}: `hospsim simulate` (or "
                              "notebooks/00_setup.ipynb) with these params starts it")
        _start(folder, params, params_file)
    the_run = Run(folder, _read_manifest(folder))
    _claim_landing(params, the_run)
    return the_run


def current(params: Params) -> Run | None:
    """The run these params describe, or None when it was never started (no check of the data folder)."""
    folder = folder_for(params)
    return Run(folder, _read_manifest(folder)) if (folder / MANIFEST).exists() else None


def find(params: Params, wanted_id: str) -> Run | None:
    """Another run in the same runs folder, by id (for messages that name it)."""
    folder = params.dirs.runs_dir / wanted_id
    return Run(folder, _read_manifest(folder)) if (folder / MANIFEST).exists() else None


def check_landing(params: Params) -> None:
    """Refuse when <data_dir> already holds another world's files."""
    landing = params.dirs.data_dir / LANDING
    if not landing.exists():
        return
    held = json.loads(landing.read_text(encoding="utf-8"))
    if held.get("fingerprint") == config.world_fingerprint(params):
        return
    other = find(params, held.get("run_id", ""))
    raise RunMismatch(
        f"the data folder {params.dirs.data_dir}", held.get("description") or held.get("run_id", "?"), params,
        differences(other.manifest["params"], params) if other else [],
        f"Use that run's params (-f {held.get('params_yaml', 'runs/<run-id>/params.yaml')}), start the course over "
        f"with `hospsim reset --yes` (make course-reset), or give the new run a data folder and warehouse schema "
        f"of its own (-p paths.data_dir=data-other -p warehouse.schema=warehouse_other).")


def check_holder(params: Params, where: str, held_ids: set[str], fix: str, *, state: frozenset[str] = frozenset()
                 ) -> None:
    """Refuse when a store (warehouse schema, stream tables) already holds rows of another run (the other regions
    of the same state, `state`, are the same world)."""
    others = sorted(held_ids - {run_id(params)} - state)
    if not others:
        return
    other = find(params, others[0])
    held = other.manifest.get("description", others[0]) if other else others[0]
    raise RunMismatch(where, held, params, differences(other.manifest["params"], params) if other else [], fix)


def _start(folder: Path, params: Params, params_file: str | Path | None) -> None:
    from hospsim import __version__
    tree = _redacted(params.to_dict())
    manifest = {"run_id": run_id(params), "description": describe(params),
                "fingerprint": config.world_fingerprint(params), "seed": params.seed,
                "hospsim_version": __version__, "created_at": _stamp(time.time()),
                "params_file": str(params_file) if params_file else None, "params": tree, "steps": {}}
    folder.mkdir(parents=True, exist_ok=True)
    header = f"# The resolved params of run {manifest['run_id']}: -f this file describes the same world.\n"
    sinks.write_text(header + yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), folder / "params.yaml")
    with _locked(folder):
        if not (folder / MANIFEST).exists():
            _write_manifest(folder, manifest)


def _claim_landing(params: Params, the_run: Run) -> None:
    landing = params.dirs.data_dir / LANDING
    if landing.exists():
        return
    text = json.dumps({"run_id": the_run.id, "fingerprint": the_run.manifest["fingerprint"],
                       "description": the_run.manifest["description"],
                       "params_yaml": str(the_run.folder / "params.yaml")}, indent=2)
    sinks.write_text(text + "\n", landing)


def _redacted(tree: dict) -> dict:
    tree["postgres"] = {k: v for k, v in tree.get("postgres", {}).items() if k not in SECRET_KEYS}
    return tree


# --------------------------------------------------------------------------- checksums

def digest(path: Path, name: str | None = None) -> dict:
    """name (the file's, unless given), bytes, rows (lines less the header; a Parquet file's own count) and
    sha256 of an output file, in one read."""
    tally = Tally()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            tally.update(chunk)
    if Path(path).suffix == ".parquet":
        tally.rows = sinks.parquet_rows(path)
    return tally.digest(name or Path(path).name)


class Tally:
    """A file's digest from its bytes as they go by: read back (digest) or as written (Run.write)."""

    def __init__(self):
        self.sha, self.size, self.lines, self.rows = hashlib.sha256(), 0, 0, None

    def update(self, chunk) -> None:
        view = memoryview(chunk).cast("B")
        self.sha.update(view)
        self.size += len(view)
        self.lines += int(np.count_nonzero(np.frombuffer(view, np.uint8) == 10))

    def digest(self, name: str) -> dict:
        """rows: a Parquet file's own count when set, else the lines less the header."""
        rows = self.rows if self.rows is not None else max(self.lines - 1, 0)
        return {"name": name, "bytes": self.size, "rows": rows, "sha256": self.sha.hexdigest()}


# --------------------------------------------------------------------------- manifest I/O

def _read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def _write_manifest(folder: Path, manifest: dict) -> None:
    sinks.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", folder / MANIFEST)


@contextlib.contextmanager
def _locked(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def now() -> str:
    return _stamp(time.time())


def _stamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="milliseconds")
