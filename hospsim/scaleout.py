"""A state's regions on Dask distributed, the I/O edge of a state run (hospsim.regions makes the regions).
each_region runs any per-region task the same way (hospsim.stream.regions produces the regions' events).

Each region is one Dask task that runs hospsim.simulate on the region's own params and writes its files
itself, on the filesystem the workers share with the client: only a small summary comes back through the
scheduler. A region's files depend on its params alone (regions.py), so 1, 2 or N workers give the same bytes.

- Retries: a failed task runs again (state.task_retries); the region's run continues after its last
  completed day, so a retry repeats nothing already written.
- Resume: after its files, a region writes <data_dir>/regions/<slug>/region.done.json (write-then-rename);
  a later run of the same state skips the regions whose marker names the same run id and enough days.
- Progress: the client counts each region's census files (one a day) in its run folder, once a second.
- Waits: each wait is a one-second poll; no worker for state.no_worker_timeout_s is an error; Ctrl-C or
  SIGTERM cancels the futures and closes the client (and the LocalCluster this process started).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hospsim import regions, simulate, sinks
from hospsim import run as runs
from hospsim.config import Params
from hospsim.errors import SimulationError
from hospsim.regions import HealthRegion

log = logging.getLogger(__name__)

DONE_MARKER = "region.done.json"
POLL_S = 1.0
CENSUS = "census"


class StateRunError(SimulationError):
    """A state run could not start, lost its cluster, or some regions failed after their retries."""


@dataclass
class StateResult:
    """What a state run did: every region's summary (skipped ones read from their markers)."""
    summaries: list[dict]
    skipped: list[str]
    workers: int

    def total(self, key: str) -> int:
        return sum(s[key] for s in self.summaries)


# --------------------------------------------------------------------------- a region, on a worker

def simulate_region(region: HealthRegion) -> dict:
    """One region, simulated and written where it lives; returns a small summary, never the frames."""
    result = simulate.run(region.params, progress=False, background=False)
    summary = {"region": region.slug, "run_id": result.run.id, "days": region.params.simulation.days,
               "people": region.params.simulation.population,
               "hospitals": len(region.params.region.hospitals), "visits": len(result.visitors),
               "admissions": len(result.admissions), "transfers": len(result.transfers),
               "transports": len(result.transports), "files": len(result.files)}
    sinks.write_text(json.dumps(summary, indent=2) + "\n", marker_path(region))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**summary, "peak_rss_mb": round(peak_kib / 1024, 1), "pid": os.getpid()}


def marker_path(region: HealthRegion) -> Path:
    return region.data_dir / DONE_MARKER


def finished(region: HealthRegion) -> dict | None:
    """The region's done marker when it is this region's run with at least these days, else None."""
    path = marker_path(region)
    if not path.exists():
        return None
    marker = json.loads(path.read_text(encoding="utf-8"))
    same = marker.get("run_id") == runs.run_id(region.params)
    return marker if same and marker.get("days", 0) >= region.params.simulation.days else None


def days_done(region: HealthRegion) -> int:
    """Days the region's run holds so far (its census files, one a day; a folder a day as Parquet), for the
    progress bar."""
    files = runs.folder_for(region.params) / "files"
    try:
        if region.params.output.format == "parquet":
            with os.scandir(files / CENSUS / f"region={runs.region_slug(region.params.region.name)}") as entries:
                return sum(1 for e in entries if e.name.startswith("day="))
        with os.scandir(files) as entries:
            return sum(1 for e in entries if e.name.startswith(CENSUS + "_"))
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------- the state, from the client

def run_state(params: Params, *, workers: int | None = None, scheduler: str | None = None,
              progress: bool = True, task: Callable[[HealthRegion], dict] = simulate_region) -> StateResult:
    """Every region of the state not yet finished: on a LocalCluster of `workers` processes, on the cluster at
    `scheduler` (or state.scheduler when neither is given), else one after another in this process.
    `task` runs one region (simulate_region; a test passes one that fails first)."""
    simulate.validate(params)
    every = regions.expand(params)
    done = {r.slug: m for r in every if (m := finished(r)) is not None}
    todo = [r for r in every if r.slug not in done]
    for region in todo:     # another world in a region's folder: refused here, before any task writes
        runs.check_landing(region.params)
    log.info("state: %d region(s), %d finished earlier, %d to simulate", len(every), len(done), len(todo))
    tracker = Progress(todo, params.simulation.days, enabled=progress)
    made, n_workers = each_region(params, todo, task, tracker, workers=workers, scheduler=scheduler)
    return StateResult([*done.values(), *made], sorted(done), n_workers)


def each_region(params: Params, todo: list[HealthRegion], task: Callable[[HealthRegion], dict], tracker: Progress,
                *, workers: int | None, scheduler: str | None) -> tuple[list[dict], int]:
    """`task` of every region in `todo`, on the cluster run_state describes; their summaries and the workers."""
    scheduler = scheduler if scheduler is not None or workers is not None else params.state.scheduler
    try:
        if not todo:
            return [], 0
        if workers is None and scheduler is None:
            return _in_process(todo, tracker, task), 1
        with _client(params, workers, scheduler) as client, _sigterm_as_interrupt():
            n_workers = len(client.nthreads())
            return _on_cluster(client, params, todo, tracker, task), n_workers
    finally:
        tracker.close()


def _in_process(todo: list[HealthRegion], tracker: Progress, task: Callable) -> list[dict]:
    out = []
    with tracker.following():
        for region in todo:
            out.append(task(region))
            tracker.region_done(out[-1])
    return out


@contextlib.contextmanager
def _client(params: Params, workers: int | None, scheduler: str | None):
    """A Dask client on a LocalCluster this process starts (and closes), or on an existing scheduler."""
    from distributed import Client, LocalCluster
    timeout = params.state.no_worker_timeout_s
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise StateRunError(f"no Dask scheduler answered at {scheduler} within {timeout:g} s ({exc}); start "
                                "one (`dask scheduler`, `dask worker <address>`, or the compose services "
                                "dask-scheduler and dask-worker) or drop --scheduler") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.WARNING) as cluster, Client(cluster, timeout=timeout) as client:
        yield client


def _on_cluster(client, params: Params, todo: list[HealthRegion], tracker: Progress, task: Callable
                ) -> list[dict]:
    """Submit every region, follow them with bounded polls, cancel them all on Ctrl-C or a lost cluster."""
    futures = {client.submit(task, r, key=f"hospsim-{tracker.unit}-{runs.run_id(r.params)}", pure=False,
                             retries=params.state.task_retries): r for r in todo}
    made, failed, no_worker_since = [], [], None
    try:
        while futures:
            time.sleep(POLL_S)
            for future in [f for f in futures if f.done()]:
                region = futures.pop(future)
                if future.status == "finished":
                    made.append(future.result())
                    tracker.region_done(made[-1])
                else:       # "error" after its retries, or "cancelled" (the cluster lost it)
                    failed.append(f"{region.slug}: " + (repr(future.exception()) if future.status == "error"
                                                         else future.status))
            tracker.poll()
            no_worker_since = _check_workers(client, params, no_worker_since)
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    if failed:
        raise StateRunError(f"{len(failed)} region(s) failed after {params.state.task_retries} retries; the "
                            "others are finished and a new run skips them: " + "; ".join(failed))
    return made


def _check_workers(client, params: Params, since: float | None) -> float | None:
    """None while the cluster has workers; the time the last one left, until that is too long ago."""
    if client.nthreads():
        return None
    since = since or time.monotonic()
    if time.monotonic() - since > params.state.no_worker_timeout_s:
        raise StateRunError(f"the Dask cluster has had no worker for {params.state.no_worker_timeout_s:g} s "
                            "(state.no_worker_timeout_s); start `dask worker <scheduler address>` and run again")
    return since


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM takes Ctrl-C's way out (futures cancelled, cluster closed); only the main thread can do so."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(*_):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _simulated(summary: dict) -> str:
    return f"{summary['region']}: {summary['people']} people, {summary['days']} day(s), " \
           f"{summary['admissions']} admissions"


class Progress:
    """One bar of region-days for the state (of regions, when `per_region` is 1), a line per finished region."""

    def __init__(self, todo: list[HealthRegion], per_region: int, *, enabled: bool, unit: str = "region-day",
                 line: Callable[[dict], str] = _simulated):
        self.todo, self.finished, self.per_region, self.unit, self.line = todo, 0, per_region, unit, line
        self.bar = None
        if enabled and todo:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=len(todo) * per_region, desc="state", unit=unit, leave=True)
            self.bar.set_postfix_str(f"regions 0/{len(todo)}")

    def poll(self) -> None:
        if self.bar is not None:
            self.bar.n = sum(days_done(r) for r in self.todo) if self.per_region > 1 else self.finished
            self.bar.refresh()

    @contextlib.contextmanager
    def following(self):
        """The bar polled once a second by a thread, while this process simulates the regions itself."""
        stop = threading.Event()

        def follow() -> None:
            while not stop.wait(POLL_S):
                self.poll()

        thread = threading.Thread(target=follow, name="hospsim-state-progress", daemon=True)
        if self.bar is not None:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread.is_alive():
                thread.join(timeout=10 * POLL_S)

    def region_done(self, summary: dict) -> None:
        self.finished += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"regions {self.finished}/{len(self.todo)}")
            self.bar.write(self.line(summary), file=sys.stderr)
            self.poll()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
