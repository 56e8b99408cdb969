"""One simulated year at scale, end to end, files included: wall seconds and peak RSS against the targets.

    .venv/bin/python benchmarks/bench_year.py [-f params/large.yaml] [-p key=value ...]

Targets: <= 60 s and <= 2 GiB for params/large.yaml (1,000,000 people, 10 hospitals, 365 days). The machine is
shared and noisy, so each figure is printed next to baselines measured in the same run:
  - writing the very same rows with plain pandas to_csv (one file per kind), the floor any CSV run paid;
  - the same frames written by the writer runs use (sinks.write_csv, Arrow-formatted) against the to_csv path
    it replaced (sinks.write_csv_pandas), with the bytes of both compared, and the daily kinds as Parquet;
  - the population step alone (population.generate + with_illnesses), the one stage every run repeats.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from hospsim import config, filekinds, population, simulate, sinks

TARGET_SECONDS = 60.0
TARGET_RSS_GIB = 2.0


def _peak_rss_gib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024**2   # ru_maxrss is KiB on Linux


def _verdict(good: bool) -> str:
    return "ok" if good else "OVER"


def _parquet_days(result: simulate.SimulationResult, tmp: Path) -> tuple[float, float]:
    """Seconds to write the daily kinds (one file per kind) as Parquet (output.format: parquet) and with the
    to_csv path, the same frames."""
    spent = []
    for name, write in (("parquet", lambda df, kind, path: sinks.write_parquet(
            df, path.with_suffix(".parquet"), filekinds.BY_KIND[kind].expected_columns(result.params))),
                        ("days_to_csv", lambda df, kind, path: sinks.write_csv_pandas(df, path))):
        (tmp / name).mkdir()
        t0 = time.perf_counter()
        for kind in simulate.KINDS:
            write(getattr(result, kind), kind, tmp / name / f"{kind}.csv")
        spent.append(time.perf_counter() - t0)
    return spent[0], spent[1]


def _writers(frames: dict, tmp: Path) -> tuple[float, float, bool]:
    """Seconds of the fast writer and of the to_csv path for the same frames, and whether every file matched."""
    spent = {}
    for name, writer in (("fast", sinks.write_csv), ("to_csv", sinks.write_csv_pandas)):
        (tmp / name).mkdir()
        t0 = time.perf_counter()
        for kind, df in frames.items():
            writer(df, tmp / name / f"{kind}.csv")
        spent[name] = time.perf_counter() - t0
    same = all((tmp / "fast" / f"{k}.csv").read_bytes() == (tmp / "to_csv" / f"{k}.csv").read_bytes() for k in frames)
    return spent["fast"], spent["to_csv"], same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-f", "--params", default="params/large.yaml")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="hospsim-bench-") as tmp:
        tmp = Path(tmp)
        overrides = [f"paths.data_dir={tmp / 'data'}", f"paths.state_dir={tmp / 'state'}",
                     f"paths.runs_dir={tmp / 'runs'}", *args.param]
        params = config.load(args.params, overrides, environ={})
        sim = params.simulation
        beds = sum(w.beds for h in params.region.hospitals for w in h.wards)

        t0 = time.perf_counter()
        result = simulate.run(params, progress=False)
        wall = time.perf_counter() - t0
        rss = _peak_rss_gib()
        rss_writer = _peak_rss_gib(resource.RUSAGE_CHILDREN)   # the background CSV writer (forked)

        frames = {"people": result.people, "population_with_illnesses": result.population_with_illnesses,
                  **{name.removesuffix(".csv"): df for name, df in result.staff.items()},
                  **{k: getattr(result, k) for k in simulate.KINDS}}
        rows = sum(len(df) for df in frames.values())
        plain = tmp / "plain"
        plain.mkdir()
        t0 = time.perf_counter()
        for name, df in frames.items():
            df.to_csv(plain / f"{name}.csv", index=False)
        write_baseline = time.perf_counter() - t0

        fast, slow, same = _writers(frames, tmp)
        parquet, days_to_csv = _parquet_days(result, tmp)

        t0 = time.perf_counter()
        population.with_illnesses(params, population.generate(params))
        population_baseline = time.perf_counter() - t0

        size = sum(f.stat().st_size for f in simulate.batch_dir(params).glob("*.csv"))
        files = len(list(simulate.batch_dir(params).glob("*.csv")))

    print(f"bench_year: {args.params}: {sim.population:,} people, {len(params.region.hospitals)} hospitals, "
          f"{beds:,} beds, {sim.days} days")
    print(f"  output: {files:,} files, {rows:,} rows, {size / 1024**2:,.0f} MiB; "
          f"{len(result.visitors):,} ED visits, {len(result.admissions):,} admissions")
    print(f"  end-to-end wall     {wall:8.1f} s    target <= {TARGET_SECONDS:g} s     [{_verdict(wall <= TARGET_SECONDS)}]")
    print(f"  peak RSS            {rss:8.2f} GiB  target <= {TARGET_RSS_GIB:g} GiB    [{_verdict(rss <= TARGET_RSS_GIB)}]"
          f"   (forked CSV writer: {rss_writer:.2f} GiB, pages shared with the run)")
    print(f"  baseline: plain pandas to_csv of the same {rows:,} rows  {write_baseline:8.1f} s   "
          f"run / baseline = {wall / write_baseline:.2f}x")
    print(f"  writer: Arrow-formatted sinks.write_csv                {fast:8.1f} s   "
          f"to_csv path {slow:.1f} s = {slow / fast:.2f}x faster (aim 3x); bytes equal: {same}")
    print(f"  writer: daily kinds as Parquet                         {parquet:8.1f} s   "
          f"to_csv path {days_to_csv:.1f} s = {days_to_csv / parquet:.2f}x faster")
    print(f"  baseline: population step alone                {population_baseline:8.1f} s   "
          f"run / baseline = {wall / population_baseline:.2f}x")
    return 0 if wall <= TARGET_SECONDS and rss <= TARGET_RSS_GIB else 1


if __name__ == "__main__":
    sys.exit(main())
