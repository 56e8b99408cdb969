"""Dask against Ray for a state's regions: start-up, per-task overhead, a small state's wall time, same bytes.

    python benchmarks/bench_engines.py [-f params/state.yaml] [-p state.people=400000 ...] [--workers 2]

Ray is not a dependency of hospsim: run this from an environment that has it (`pip install ray`); without it
only the Dask rows print. Each engine starts the way its users start it on one machine (a Dask LocalCluster of
N one-thread processes; `ray.init(num_cpus=N)`), then runs
  - start: from nothing to the first task's result;
  - overhead: 400 empty tasks, wall seconds per task;
  - state: every region of the state (scaleout.simulate_region, the task `--workers` runs) into a folder of its
    own, wall seconds; the files of both engines are compared by sha256;
  - memory: this process and the engine's own processes (not the workers), MiB, idle after the state (Ray's
    row is measured second, in the same client process).
Dask is the baseline each Ray figure stands next to.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import psutil
from bench_state import region_files

from hospsim import config, regions, scaleout

CUT = ["state.regions=8", "state.people=400000", "simulation.days=30"]
EMPTY_TASKS = 400


def _noop(i: int) -> int:
    return i


def _params(args, folder: Path):
    return config.load(args.params, [*CUT, *args.param, f"paths.data_dir={folder / 'data'}",
                                     f"paths.runs_dir={folder / 'runs'}", f"paths.state_dir={folder / 'state'}"],
                       environ={})


def _engine_mib(worker_pids: set[int]) -> float:
    """RSS of this process and its descendants that are not workers: the client with Dask's scheduler and
    nannies (in this process), or Ray's driver with its raylet, GCS and agents (children)."""
    own = psutil.Process()
    rss = own.memory_info().rss + sum(p.memory_info().rss for p in own.children(recursive=True)
                                      if p.pid not in worker_pids)
    return rss / 2**20


def dask(args, folder: Path) -> dict:
    from distributed import Client, LocalCluster
    t0 = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        client.submit(_noop, 0).result()
        start = time.perf_counter() - t0
        t1 = time.perf_counter()
        client.gather(client.map(_noop, range(EMPTY_TASKS), pure=False))
        overhead = (time.perf_counter() - t1) / EMPTY_TASKS
        params = _params(args, folder)
        t2 = time.perf_counter()
        futures = client.map(scaleout.simulate_region, regions.expand(params), pure=False)
        summaries = client.gather(futures)
        state = time.perf_counter() - t2
        workers = {s["pid"] for s in summaries}
        memory = _engine_mib(workers | set(client.run(os.getpid).values()))
    return {"start": start, "overhead": overhead, "state": state, "memory": memory, "files": region_files(folder)}


def ray(args, folder: Path) -> dict:
    import ray as ray_
    t0 = time.perf_counter()
    ray_.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    try:
        noop = ray_.remote(num_cpus=1)(_noop)
        ray_.get(noop.remote(0))
        start = time.perf_counter() - t0
        t1 = time.perf_counter()
        ray_.get([noop.remote(i) for i in range(EMPTY_TASKS)])
        overhead = (time.perf_counter() - t1) / EMPTY_TASKS
        params = _params(args, folder)
        region_task = ray_.remote(num_cpus=1, max_retries=params.state.task_retries)(scaleout.simulate_region)
        t2 = time.perf_counter()
        summaries = ray_.get([region_task.remote(r) for r in regions.expand(params)])
        state = time.perf_counter() - t2
        memory = _engine_mib({s["pid"] for s in summaries})
    finally:
        ray_.shutdown()
    return {"start": start, "overhead": overhead, "state": state, "memory": memory, "files": region_files(folder)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-f", "--params", default="params/state.yaml")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hospsim-bench-engines-") as tmp:
        base = dask(args, Path(tmp) / "dask")
        params = _params(args, Path(tmp))
        print(f"bench_engines: {params.state.regions} regions, {params.state.people:,} people, "
              f"{params.simulation.days} days, {args.workers} workers; {len(base['files'])} files")
        rows = (("start (s)", "start", 1), ("overhead a task (ms)", "overhead", 1000), ("state (s)", "state", 1),
                ("engine memory (MiB)", "memory", 1))
        try:
            other = ray(args, Path(tmp) / "ray")
        except ImportError:
            other = None
            print("  (ray is not installed here: `pip install ray` to compare)")
        for label, key, scale in rows:
            line = f"  {label:22} dask {base[key] * scale:9.2f}"
            if other is not None:
                line += f"   ray {other[key] * scale:9.2f}   ray/dask {other[key] / base[key]:5.2f}x"
            print(line)
        if other is not None:
            print(f"  same bytes on both engines: {'yes' if other['files'] == base['files'] else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
