"""Live lag: how far behind the simulated clock `hospsim live` sends its events, at speed 1 and faster.

    .venv/bin/python benchmarks/bench_live.py [-f params/large.yaml] [-p KEY=VALUE] [--minutes 2]

Starts its own Kafka broker in a temporary folder (the jars come from <repo>/.hospsim/jars), makes the run's
first day at full speed (setup and warm-up out of the measurement), moves the clock to the day's busy hours
at 3600x, then runs live at speed 1 for --minutes, then at 1440x (a day a minute) for --fast-seconds, each
continuing the run where the last one stopped (the checkpoint's clock). The lag of an event is the wall time
of its send less the wall time at which the clock showed its event_time.

Target: p99 < 1 s at speed 1. Printed next to a baseline measured in the same run: the pacing module's own
overshoot (pacing.wait_until to deadlines 0-20 ms apart, no Kafka), the floor under any paced send. At speed 1
a region's events are sparse (about one a minute per million people), so the 1440x row gives the figure many
samples; the lag is in wall seconds either way.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import local_services
import numpy as np

from hospsim import config, live, pacing
from hospsim.stream.timed import KafkaSink

TARGET_P99_S = 1.0



def pacing_overshoot(n: int = 2000) -> np.ndarray:
    """Seconds past each deadline at which pacing.wait_until returned (deadlines 0-20 ms apart)."""
    chance, late = random.Random(1), np.empty(n)
    deadline = time.monotonic()
    for i in range(n):
        deadline += chance.uniform(0, 0.02)
        pacing.wait_until(deadline)
        late[i] = time.monotonic() - deadline
    return late


def paced(params, bootstrap: str, speed: float | None, seconds: float | None = None, days: int | None = None,
          until_hour: int | None = None):
    """One live session with the Kafka sink: `days` days, or `seconds` from when its clock starts (the first
    progress call: the run's setup read back is not measured), or until the clock shows `until_hour`."""
    stop, timers = threading.Event(), []

    def progress(info: dict) -> None:
        if seconds and not timers:
            timers.append(threading.Timer(seconds, stop.set))
            timers[0].start()
        if until_hour is not None and int(info["clock"][11:13]) >= until_hour:
            stop.set()

    sink = KafkaSink(params, bootstrap, stop)
    try:
        return live.run(params, [sink], speed=speed, days=days, stop=stop, progress=progress)
    finally:
        for timer in timers:
            timer.cancel()
        sink.close()


def row(name: str, lags, seconds: float) -> str:
    lags = np.asarray(lags, dtype=float)
    if lags.size == 0:
        return f"{name:28} no events in {seconds:.0f} s"
    p50, p99 = np.percentile(lags, 50), np.percentile(lags, 99)
    return (f"{name:28} n={lags.size:>7,}   p50 {p50 * 1000:8.2f} ms   p99 {p99 * 1000:8.2f} ms   "
            f"max {lags.max() * 1000:8.2f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-f", "--params", default="params/large.yaml")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--minutes", type=float, default=5.0, help="minutes at speed 1 (default 5)")
    ap.add_argument("--fast-seconds", type=float, default=60.0, help="seconds at 1440x (default 60)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="hospsim-bench-live-") as tmp:
        tmp = Path(tmp)
        broker = local_services.broker(tmp / "state")
        try:
            broker.start(timeout=180)
            bootstrap = broker.bootstrap_servers
            params = config.load(args.params, [
                f"paths.data_dir={tmp / 'data'}", f"paths.state_dir={tmp / 'state'}", f"paths.runs_dir={tmp / 'runs'}",
                f"paths.logs_dir={tmp / 'logs'}", "simulation.warmup_days=3", f"kafka.bootstrap_servers={bootstrap}",
                "stream.linger_ms=0", *args.param], environ={})
            t0 = time.perf_counter()
            first = paced(params, bootstrap, None, None, days=1)
            print(f"{params.simulation.population:,} people, {len(params.region.hospitals)} hospitals; first day "
                  f"({first.sent['kafka']} events) made at full speed in {time.perf_counter() - t0:.1f} s")
            paced(params, bootstrap, 3600.0, until_hour=10)      # to the day's busy hours
            baseline = pacing_overshoot()
            slow = paced(params, bootstrap, 1.0, args.minutes * 60)
            print(f"speed 1 from {str(slow.first_clock)[:19]} to {str(slow.clock)[:19]}: {slow.sent['kafka']} events sent")
            fast = paced(params, bootstrap, 1440.0, args.fast_seconds)
            print(f"speed 1440 from {str(fast.first_clock)[:19]} to {str(fast.clock)[:19]}: {fast.sent['kafka']} events")
            print(row("pacing overshoot (baseline)", baseline, 0))
            print(row("live, speed 1", slow.lags, args.minutes * 60))
            print(row("live, speed 1440", fast.lags, args.fast_seconds))
            p99 = max((np.percentile(np.fromiter(r.lags, float), 99) for r in (slow, fast) if r.lags), default=None)
            verdict = "no events" if p99 is None else ("ok" if p99 < TARGET_P99_S else "OVER")
            print(f"target: p99 < {TARGET_P99_S:g} s: {verdict}")
        finally:
            broker.stop(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
