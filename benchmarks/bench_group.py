"""Consumer-group scale-out: the same topics read by 1, 2 and 4 `hospsim stream process` processes of one group.

    .venv/bin/python benchmarks/bench_group.py [-f params/large.yaml] [-p simulation.days=30] [--members 1 2 4]

Starts its own Kafka broker and PostgreSQL in a temporary folder and simulates one period (topics of
kafka.partitions partitions: 4 here unless -p says otherwise); then for each group size starts that many
processors as a user would (`hospsim stream process --idle`, each its own OS process and group member), waits
until the group is stable with every member, then produces the events into the group's own fresh topics;
each size has its own group, topics and stream schema. Printed for each size:
  - steady events/s: events over the span of the processors' storing transactions (the tables' processed_at,
    first to last: the last batch's own time is left out, as are the joins);
  - wall events/s: from the first event produced to the last one stored (the members joined before);
  - every event stored once: table rows = events produced = distinct event ids, and JSON-lines lines = events.
The 1-processor row is the baseline; efficiency = speedup / processors. The broker, PostgreSQL and the
processors share the machine's cores, so past the core count the figure is what the box can do, not the
group.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import local_services

from hospsim import config, simulate, stream
from hospsim.stream import metrics, producer, topics

DONE_TIMEOUT_S = 600.0
JOIN_TIMEOUT_S = 120.0



def group_run(args, base: list[str], env: dict, members: int, replay, tmp: Path, pg, bootstrap: str) -> dict:
    """`members` processors of one fresh group on fresh topics, joined before the events are produced."""
    tag = f"g{members}"
    overrides = [*base, f"stream.group_id=bench-{tag}", f"stream.schema=bench_{tag}", f"kafka.topic_prefix={tag}",
                 f"paths.data_dir={tmp / tag}"]
    params = config.load(args.params, overrides, environ=env)
    topics.ensure(params, bootstrap)
    flags = [a for o in overrides for a in ("-p", o)]
    procs = [subprocess.Popen([sys.executable, "-m", "hospsim", "stream", "process", "-f", args.params, *flags, "--idle", "10",
                               "--instance", f"{tag}-{i}", "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(members)]
    _wait_for_members(bootstrap, f"bench-{tag}", members)
    started = time.perf_counter()
    report = producer.produce(params, replay, bootstrap, mode="asap")
    n = report.sent
    assert report.failed == 0 and n == len(replay)
    stored_at, stored = None, 0
    while time.perf_counter() - started < DONE_TIMEOUT_S:
        stored = int(metrics.counts(pg, f"bench_{tag}")["events"].sum())
        if stored >= n:
            stored_at = time.perf_counter()
            break
        if all(p.poll() is not None for p in procs):
            break                            # every processor stopped (idle or failed) before the end
        time.sleep(0.1)
    outputs = [p.communicate(timeout=DONE_TIMEOUT_S) for p in procs]
    for p, (_, err) in zip(procs, outputs):
        if p.returncode != 0:
            raise SystemExit(f"a processor of {tag} failed ({p.returncode}): {err[-2000:]}")
    span, _ = metrics.processed_span(pg, f"bench_{tag}")
    lines = sum(len(f.read_bytes().splitlines()) for f in (tmp / tag).rglob("*.jsonl"))
    summaries = [json.loads(out) for out, _ in outputs]
    per_member = [s.get("inserted", 0) for s in summaries]
    return {"n": n, "stored": stored, "lines": lines, "steady": n / span if span else float("nan"),
            "wall": n / (stored_at - started) if stored_at else float("nan"), "per_member": per_member}


def _wait_for_members(bootstrap: str, group: str, members: int) -> None:
    """Until the group has `members` members with partitions (their joins out of the measurement)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-group-admin")
    try:
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                described = admin.describe_groups([group]).get(group, {})
            except KafkaError:          # the coordinator is not there yet (no offsets topic)
                described = {}
            if described.get("group_state") == "Stable" and len(described.get("members", [])) == members:
                return
            time.sleep(0.5)
        raise SystemExit(f"group {group} did not reach {members} members in {JOIN_TIMEOUT_S:.0f} s")
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-f", "--params", default="params/large.yaml")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--members", type=int, nargs="+", default=[1, 2, 4])
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="hospsim-bench-group-") as tmp, \
            local_services.started(Path(tmp)) as services:
        tmp = Path(tmp)
        base = [*services.overrides, "simulation.days=30", "kafka.partitions=4", *args.param]
        env, pg = services.env, services.pg
        params = config.load(args.params, [*base, f"paths.data_dir={tmp / 'data'}"], environ=env)
        simulate.run(params, progress=False)
        replay = stream.replay(params)
        print(f"{len(replay):,} events of {params.simulation.days} days, {params.simulation.population:,} people, "
              f"in {params.kafka.partitions} partitions per topic; {os.cpu_count()} cores; each group joins "
              "before its topics get the events")
        baseline = None
        for members in args.members:
            r = group_run(args, base, env, members, replay, tmp, pg, services.bootstrap)
            baseline = baseline or r["steady"]
            speedup = r["steady"] / baseline
            n = r["n"]
            once = "yes" if r["stored"] == n and r["lines"] == n else f"NO ({r['stored']} rows, {r['lines']} lines)"
            print(f"{members} processor(s)  steady {r['steady']:>9,.0f} events/s   wall {r['wall']:>9,.0f} events/s"
                  f"   speedup {speedup:4.2f}x   efficiency {speedup / members:4.2f}   each stored "
                  f"{r['per_member']}   every event once: {once}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
