"""Persons/s of population.generate + with_illnesses against one Faker call set per person, same process.

    .venv/bin/python benchmarks/bench_population.py [--people 1000000] [--baseline 20000] [--repeat 3]

Targets: >= 20x the Faker baseline and >= 500k persons/s. Wall time is what counts (best of --repeat
interleaved rounds); per-cpu-second figures are printed too, since on a shared box wall time is noisy.
"""
from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

from faker import Faker

from hospsim import config, population


def faker_baseline(n: int, seed: int, locale: str) -> tuple[float, float]:
    """The original generator's way, one Faker call per field per person: (wall, cpu) seconds."""
    fake = Faker(locale)
    fake.seed_instance(seed)
    national_id = fake.cpf if locale == "pt_BR" else fake.ssn
    wall, cpu = time.perf_counter(), time.process_time()
    rows = [(national_id(), fake.name(), fake.phone_number(), fake.address(),
             fake.date_of_birth(minimum_age=0, maximum_age=100)) for _ in range(n)]
    assert len(rows) == n
    return time.perf_counter() - wall, time.process_time() - cpu


def vectorized(params: config.Params) -> tuple[float, float, dict[str, float]]:
    """generate + with_illnesses: (wall, cpu) seconds and the wall time of each."""
    stages = {}
    wall, cpu = time.perf_counter(), time.process_time()
    people = population.generate(params)
    stages["generate"] = time.perf_counter() - wall
    mid = time.perf_counter()
    ill = population.with_illnesses(params, people)
    stages["with_illnesses"] = time.perf_counter() - mid
    assert len(ill) == params.simulation.population
    return time.perf_counter() - wall, time.process_time() - cpu, stages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--baseline", type=int, default=20_000, help="persons for the Faker baseline")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved baseline + vectorized rounds; the best counts")
    ap.add_argument("--locale", default="pt_BR", choices=config.LOCALES)
    args = ap.parse_args()

    params = config.load(overrides={"simulation.population": args.people, "locale": args.locale}, environ={})
    small = config.load(overrides={"simulation.population": 1000, "locale": args.locale}, environ={})
    population.with_illnesses(small, population.generate(small))  # warm-up: imports and word lists, as Faker() is

    # Interleaved, so both sides see the same load on a shared box.
    base_runs, runs = [], []
    for _ in range(args.repeat):
        base_runs.append(faker_baseline(args.baseline // args.repeat, params.seed, args.locale))
        runs.append(vectorized(params))
    base_n = args.baseline // args.repeat
    base_wall = base_n / min(r[0] for r in base_runs)
    base_cpu = base_n / min(r[1] for r in base_runs)
    wall, _, stages = min(runs, key=lambda r: r[0])
    cpu = min(r[1] for r in runs)
    rate, rate_cpu = args.people / wall, args.people / cpu
    ratio = rate / base_wall
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"date: {dt.datetime.now().isoformat(timespec='seconds')}  people: {args.people:,}  locale: {args.locale}")
    print(f"population persons/s: {rate:.0f} (baseline faker-per-person: {base_wall:.0f}/s, ratio {ratio:.1f}x; "
          f"target >= 20x and >= 500k/s) {'OK' if ratio >= 20 and rate >= 500_000 else 'BELOW TARGET'}")
    print(f"per cpu-second: {rate_cpu:.0f} persons/s (baseline {base_cpu:.0f}/s, ratio {rate_cpu / base_cpu:.1f}x)")
    print(f"wall: {wall:.3f} s (generate {stages['generate']:.3f} s, with_illnesses {stages['with_illnesses']:.3f} s); "
          f"cpu: {cpu:.3f} s; all runs: {', '.join(f'{r[0]:.3f}' for r in runs)} s")
    print(f"peak memory (ru_maxrss): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
