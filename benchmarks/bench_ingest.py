"""Warehouse ingestion rows/s against a plain COPY of the same CSV files into unindexed tables, same run.

    .venv/bin/python benchmarks/bench_ingest.py [--people 500000] [--visits 400000] [--admissions 100000]
                                                [--files 8] [--workers 2] [--repeat 5]

Files: people_data.csv from population.generate (the simulation's own code) and daily_visitors_<date>.csv /
admissions_<date>.csv synthesized in the daily loop's exact columns, >= 1M rows in all. The ingestor does
everything it does in production (sha256, header check, COPY into typed TEMP staging or straight into the
empty dim_person, one anti-join per reference, merge into the keyed warehouse tables, ledger, COMMIT, move,
ANALYZE and key span of dim_person); the baseline is COPY FROM STDIN of the same bytes into tables with the same
column types and no index, one COMMIT per file. Rounds alternate baseline and ingest; the best of each counts.
Targets: >= 0.5x the baseline and >= 100k rows/s. Starts its own embedded PostgreSQL in a temp folder.
"""
from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import local_services
import numpy as np
import pandas as pd
from psycopg2 import sql

from hospsim import ages, config, daily, filekinds, population, sinks
from hospsim.services.postgres import EmbeddedPostgres
from hospsim.warehouse import Ingestor, schema


def make_files(params: config.Params, folder: Path, n_visits: int, n_admissions: int, n_files: int) -> dict:
    """people_data.csv plus daily visitors and admissions files; returns {name: rows}."""
    rng = np.random.default_rng(7)
    people = population.generate(params)
    sinks.write_csv(people, folder / "people_data.csv")
    rows = {"people_data.csv": len(people)}
    lay = daily.layout(params)
    wards = [(h.id, w.type, w.beds) for h in params.region.hospitals for w in h.wards if w.type != "emergency"]
    start = params.simulation.start_date
    for f in range(n_files):
        day = start + dt.timedelta(days=f)
        stamp, t0 = day.strftime("%Y%m%d"), np.datetime64(day, "s")
        n = n_visits // n_files
        arrival = t0 + rng.integers(0, 86_400, n).astype("timedelta64[s]")
        triage = rng.integers(1, 6, n)
        who = rng.integers(0, len(people), n)     # the person's own sex and age: the ingestor checks them
        visitors = pd.DataFrame({
            "visit_id": np.char.add(f"V{stamp}-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
            "person_id": people["person_id"].to_numpy()[who], "hospital_id": rng.choice(lay.hospital_ids, n),
            "arrival_time": arrival, "departure_time": arrival + rng.integers(1200, 30_000, n).astype("timedelta64[s]"),
            "arrival_mode": rng.choice(["walk_in", "ambulance"], n, p=[0.9, 0.1]), "age": ages.age_on(people["birth_date"].to_numpy()[who], day),
            "sex": people["sex"].to_numpy()[who], "triage": triage, "triage_color": daily.TRIAGE_COLORS[triage - 1],
            "reason": rng.choice(daily.REASONS, n), "disposition": rng.choice(["discharged", "admitted"], n),
            "outcome": "alive"},
            columns=daily.COLUMNS["visitors"])
        name = filekinds.day_file_name("visitors", day)
        sinks.write_csv(visitors, folder / name)
        rows[name] = n
        m = n_admissions // n_files
        ward = np.array(wards, dtype=object)[rng.integers(0, len(wards), m)]
        admit = t0 + rng.integers(0, 86_400, m).astype("timedelta64[s]")
        los = np.round(rng.lognormal(1.3, 0.7, m), 3)
        admissions = pd.DataFrame({
            "admission_id": np.char.add(f"A{stamp}-", np.char.zfill(np.arange(1, m + 1).astype(str), 6)),
            "person_id": rng.integers(0, len(people), m), "visit_id": visitors["visit_id"].to_numpy()[:m],
            "hospital_id": ward[:, 0], "ward": ward[:, 1],
            "bed": [f"{h}-{daily.WARD_CODES[w]}-{b:02d}" for h, w, b in zip(ward[:, 0], ward[:, 1],
                                                                          rng.integers(1, 20, m))],
            "admit_time": admit, "length_of_stay_days": los,
            "planned_discharge_time": admit + np.round(los * 86_400).astype("timedelta64[s]"),
            "type": rng.choice(["emergency", "elective"], m)}, columns=daily.COLUMNS["admissions"])
        name = filekinds.day_file_name("admissions", day)
        sinks.write_csv(admissions, folder / name)
        rows[name] = m
    return rows


def plain_copy(conn, params: config.Params, folder: Path, names: list[str]) -> tuple[float, dict[str, float]]:
    """COPY each file into a fresh unindexed table with the staging column types; seconds, and per kind."""
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS bench_plain CASCADE; CREATE SCHEMA bench_plain")
        for kind in {filekinds.classify(n).kind for n in names}:
            cols = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.type))
                                      for c in kind.expected_columns(params))
            cur.execute(sql.SQL("CREATE TABLE bench_plain.{} ({})").format(sql.Identifier(kind.kind), cols))
    conn.commit()
    per_kind: dict[str, float] = {}
    started = time.perf_counter()
    for name in names:
        kind = filekinds.classify(name).kind
        t = time.perf_counter()
        with conn.cursor() as cur, open(folder / name, "rb") as fh:
            cur.copy_expert(sql.SQL("COPY bench_plain.{} FROM STDIN WITH (FORMAT csv, HEADER true)")
                            .format(sql.Identifier(kind.kind)).as_string(conn), fh, size=1 << 20)
        conn.commit()
        per_kind[kind.kind] = per_kind.get(kind.kind, 0.0) + time.perf_counter() - t
    return time.perf_counter() - started, per_kind


def ingest(conn, params: config.Params, folder: Path, names: list[str]) -> tuple[float, list]:
    """One ingestor pass over a fresh warehouse schema; seconds and outcomes."""
    schema.drop(conn, params)
    batch = params.dirs.data_dir / "batch"
    shutil.rmtree(params.dirs.data_dir, ignore_errors=True)
    batch.mkdir(parents=True)
    for name in names:
        shutil.copyfile(folder / name, batch / name)
    with Ingestor(params, conn) as ingestor:     # schema init happens here, outside the timing
        started = time.perf_counter()
        outcomes = ingestor.run_once()
        seconds = time.perf_counter() - started
    bad = [o.line() for o in outcomes if o.status != "ingested"]
    if bad:
        sys.exit("benchmark files were not all ingested:\n" + "\n".join(bad))
    return seconds, outcomes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=500_000)
    ap.add_argument("--visits", type=int, default=400_000)
    ap.add_argument("--admissions", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=8, help="daily files of each fact kind")
    ap.add_argument("--repeat", type=int, default=5, help="interleaved baseline + ingest rounds; the best counts")
    ap.add_argument("--workers", type=int, default=config.defaults().warehouse.workers, help="params warehouse.workers")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hospsim-bench-ingest-"))
    server = EmbeddedPostgres(tmp / "state", port=local_services.free_port())
    try:
        info = server.start()
        params = config.load(None, {"simulation.population": args.people, "paths.data_dir": str(tmp / "data"),
                                    "paths.runs_dir": str(tmp / "runs"),
                                    "postgres.embedded": False, "postgres.port": info.port,
                                    "warehouse.schema": "bench_warehouse", "warehouse.workers": args.workers}, environ={}, dotenv=tmp / "no.env")
        folder = tmp / "files"
        folder.mkdir()
        t = time.perf_counter()
        rows = make_files(params, folder, args.visits, args.admissions, args.files)
        names = sorted(rows, key=lambda n: filekinds.classify(n).sort_key)
        total = sum(rows.values())
        size = sum((folder / n).stat().st_size for n in names)
        print(f"files: {len(names)} ({total:,} rows, {size / 2**20:.0f} MiB) made in {time.perf_counter() - t:.1f} s")

        conn = info.connect(application_name="hospsim-bench")
        base_s, ingest_s, rounds = [], [], []
        for _ in range(args.repeat):
            seconds, base_kinds = plain_copy(conn, params, folder, names)
            base_s.append(seconds)
            seconds, outcomes = ingest(conn, params, folder, names)
            ingest_s.append(seconds)
            rounds.append((seconds, base_kinds, outcomes))
        conn.close()

        base_rate, ingest_rate = total / min(base_s), total / min(ingest_s)
        _, base_kinds, outcomes = min(rounds, key=lambda r: r[0])
        by_kind: dict[str, list] = {}
        for o in outcomes:
            by_kind.setdefault(o.kind, []).append(o)
        print(f"best ingest round, per kind (seconds summed over files; {args.workers} worker(s) load side by side):")
        for kind, outs in by_kind.items():
            r, s = sum(o.rows for o in outs), sum(o.seconds for o in outs)
            print(f"  {kind:11} {r:>9,} rows in {len(outs):>2} file(s): {s:6.2f} s, {r / s:>9,.0f} rows/s "
                  f"(plain COPY of the same files that round: {base_kinds[kind]:5.2f} s)")
        ratio = ingest_rate / base_rate
        ok = ratio >= 0.5 and ingest_rate >= 100_000
        print(f"ingest rows/s: {ingest_rate:,.0f} (baseline plain COPY into unindexed tables: {base_rate:,.0f} rows/s, "
              f"ratio {ratio:.2f}x; target >= 0.5x and >= 100k rows/s: {'met' if ok else 'NOT met'})")
        print(f"  wall seconds, best of {args.repeat}: ingest {min(ingest_s):.2f} (all: "
              f"{', '.join(f'{s:.2f}' for s in ingest_s)}), plain COPY {min(base_s):.2f} (all: "
              f"{', '.join(f'{s:.2f}' for s in base_s)})")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
