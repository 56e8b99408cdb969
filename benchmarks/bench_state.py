"""A state-year on Dask: wall seconds and peak memory per worker with 2 workers, and 1 against 2 workers.

    .venv/bin/python benchmarks/bench_state.py [-f params/state.yaml] [-p key=value ...] [--workers 2]

Targets: params/state.yaml (24 regions, 10,000,000 people, 365 days) in <= 180 s and <= 2 GiB a worker with
2 workers. The same state runs on 1 worker first: that run is the baseline the 2-worker figures stand next to
(speedup = wall(1) / wall(N); efficiency = speedup / N). A smaller state (-p state.people=..., -p
simulation.days=...) measures the same figures in less time. The machine is shared: the load averages before
and after are printed with the figures; the two runs' files (every file under each region's batch/, the
Parquet partitions too) are compared by sha256 as well.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

from hospsim import config, scaleout

TARGET_SECONDS = 180.0
TARGET_WORKER_GIB = 2.0


def _verdict(good: bool) -> str:
    return "ok" if good else "OVER"


def region_files(folder: Path) -> dict[str, str]:
    """sha256 of every file the state's regions landed under folder/data (the Parquet partitions too)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "data" / "regions").glob("*/batch/**/*")) if p.is_file()}


def _one(params_file: str, overrides: list[str], folder: Path, workers: int) -> tuple[float, dict, dict]:
    """One state run on a fresh LocalCluster: wall seconds, peak RSS (MiB) per worker pid, files' sha256."""
    params = config.load(params_file, [f"paths.data_dir={folder / 'data'}", f"paths.runs_dir={folder / 'runs'}",
                                       f"paths.state_dir={folder / 'state'}", *overrides], environ={})
    t0 = time.perf_counter()
    result = scaleout.run_state(params, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    peaks: dict[int, float] = {}
    for s in result.summaries:
        peaks[s["pid"]] = max(peaks.get(s["pid"], 0.0), s["peak_rss_mb"])
    return wall, peaks, {"files": region_files(folder), "people": result.total("people"), "regions": len(result.summaries),
                         "admissions": result.total("admissions")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-f", "--params", default="params/state.yaml")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    params = config.load(args.params, args.param, environ={})
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hospsim-bench-state-") as tmp:
        base_wall, base_peaks, base = _one(args.params, args.param, Path(tmp) / "one", 1)
        wall, peaks, made = _one(args.params, args.param, Path(tmp) / "many", args.workers)
    load_after = os.getloadavg()
    speedup = base_wall / wall
    worst = max(peaks.values()) / 1024
    print(f"bench_state: {args.params}: {made['regions']} regions, {made['people']:,} people, "
          f"{params.simulation.days} days, {made['admissions']:,} admissions, {len(made['files']):,} files")
    print(f"  load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}, on {os.cpu_count()} cores")
    print(f"  {args.workers} workers wall     {wall:8.1f} s    target <= {TARGET_SECONDS:g} s   "
          f"[{_verdict(wall <= TARGET_SECONDS)}]   baseline 1 worker {base_wall:8.1f} s")
    print(f"  peak RSS a worker   {worst:8.2f} GiB  target <= {TARGET_WORKER_GIB:g} GiB  "
          f"[{_verdict(worst <= TARGET_WORKER_GIB)}]   per worker: "
          + ", ".join(f"{mb / 1024:.2f}" for mb in sorted(peaks.values()))
          + f" GiB; baseline 1 worker {max(base_peaks.values()) / 1024:.2f} GiB")
    print(f"  scaling 1 -> {args.workers}      speedup {speedup:.2f}x, efficiency {speedup / args.workers:.2f}")
    same = made["files"] == {k.replace("one/", "many/", 1): v for k, v in base["files"].items()}
    print(f"  same bytes on 1 and {args.workers} workers: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
