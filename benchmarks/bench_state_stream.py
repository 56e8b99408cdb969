"""A state's events produced by its regions' workers: events/s with 1 and 2 Dask workers against one process.

    .venv/bin/python benchmarks/bench_state_stream.py [-f params/state.yaml] [-p state.people=2000000 ...]
                                                      [--workers 1 2]

Starts its own Kafka broker and PostgreSQL in a temporary folder, simulates the state (by default
params/state.yaml cut to 2,000,000 people and 30 days), then produces every region's events
(hospsim.stream.regions.produce_state, asap) into fresh topics: first region after region in this process (the
baseline), then on a LocalCluster of each worker count. Wall seconds run from the call to the last region's
delivery (a cluster's start included); the topics' end offsets must add up to the events (every event sent
once). The broker shares the machine's cores with the producers, so past the core count the figure is the box.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import local_services

from hospsim import config, scaleout
from hospsim.stream import regions as state_stream
from hospsim.stream import topics

CUT = ["state.people=2000000", "simulation.days=30"]


def end_offsets(params, bootstrap: str) -> int:
    from kafka import KafkaConsumer, TopicPartition
    reader = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(t, p) for t in topics.names(params).values() for p in range(params.kafka.partitions)]
        return sum(reader.end_offsets(parts).values())
    finally:
        reader.close()


def one(args, base: list[str], env: dict, pg, bootstrap: str, workers: int | None) -> tuple[float, int, int]:
    """The state's events into topics of their own: wall seconds, events, messages on the topics. Workers are
    a LocalCluster started before the clock starts, as a user's running cluster would be (--scheduler)."""
    from distributed import LocalCluster
    tag = f"w{workers or 0}"
    params = config.load(args.params, [*base, f"kafka.topic_prefix={tag}", f"stream.schema=bench_{tag}"], environ=env)
    topics.ensure(params, bootstrap)
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0")) \
            if workers else None
        started = time.perf_counter()
        result = state_stream.produce_state(params, bootstrap, pg, scheduler=cluster and cluster.scheduler_address,
                                            progress=False)
        wall = time.perf_counter() - started
    if result.total("failed"):
        raise SystemExit(f"{tag}: {result.total('failed')} event(s) not delivered")
    return wall, result.total("events"), end_offsets(params, bootstrap)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-f", "--params", default="params/state.yaml")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hospsim-bench-state-stream-") as tmp, \
            local_services.started(Path(tmp)) as services:
        base = [*CUT, *args.param, *services.overrides, f"paths.data_dir={Path(tmp) / 'data'}", "kafka.partitions=4"]
        env, pg, bootstrap = services.env, services.pg, services.bootstrap
        params = config.load(args.params, base, environ=env)
        simulated = scaleout.run_state(params, workers=max(args.workers), progress=False)
        print(f"bench_state_stream: {len(simulated.summaries)} regions, {simulated.total('people'):,} people, "
              f"{params.simulation.days} days; {params.kafka.partitions} partitions a topic; {os.cpu_count()} cores",
              flush=True)
        base_wall, n, on_topics = one(args, base, env, pg, bootstrap, None)
        print(f"  in process (baseline)  {n / base_wall:>9,.0f} events/s   {base_wall:6.1f} s   "
              f"every event once: {'yes' if on_topics == n else f'NO ({on_topics} messages)'}", flush=True)
        for workers in args.workers:
            wall, n, on_topics = one(args, base, env, pg, bootstrap, workers)
            print(f"  {workers} worker(s)           {n / wall:>9,.0f} events/s   {wall:6.1f} s   speedup "
                  f"{base_wall / wall:4.2f}x   every event once: {'yes' if on_topics == n else f'NO ({on_topics})'}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
