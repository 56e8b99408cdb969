"""`hospsim live`: the run continues on a living clock (hospsim.live) until Ctrl-C/SIGTERM, --days or --until."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from hospsim.commandline import at_least, params_from, stop_on_signals

MAX = "max"


def _speed(text: str) -> float | str:
    """An argparse type: simulated seconds per wall second > 0, or `max` (as fast as possible)."""
    if text.strip().lower() == MAX:
        return MAX
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a speed: give a number > 0 (1 = real time, "
                                         "1440 = a day a minute) or max") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a speed: give a number > 0, or max")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM-DD") from None


def register(sub, parent) -> None:
    p = sub.add_parser("live", parents=[parent], help="continue the run on a living clock (files, events)",
                       description="Continue the run these params describe day after day on one simulated clock: "
                                   "each day is simulated when its clock starts, its events go to Kafka at their "
                                   "simulated time, and at the midnight that ends it its files are written into "
                                   "the run and landed in <data_dir>/batch/. Runs until Ctrl-C/SIGTERM, --days or "
                                   "--until; after a kill it resumes where the confirmed state ends, with nothing "
                                   "missing and nothing twice. Without Kafka, only the files are made.")
    p.add_argument("--speed", type=_speed, metavar="X",
                   help="simulated seconds per wall second: 1 real time, 1440 a day a minute, max as fast as "
                        "possible (default: stream.speed)")
    ends = p.add_mutually_exclusive_group()
    ends.add_argument("--days", type=at_least(1), metavar="N",
                      help="stop after N more days (the same command after a kill ends at the same day)")
    ends.add_argument("--until", type=_date, metavar="DATE", help="stop when the clock reaches DATE (YYYY-MM-DD)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_live)


def _live(args: argparse.Namespace) -> int:
    from hospsim import live

    params = params_from(args)
    speed = None if args.speed == MAX else args.speed or params.stream.speed
    with stop_on_signals() as stop:
        sinks, no_kafka = live.sinks_for(params, stop)
        if no_kafka:
            print(f"hospsim live: no Kafka ({no_kafka}): no events", file=sys.stderr)
        try:
            report = live.run(params, sinks, speed=speed, days=args.days, until=args.until, stop=stop,
                              progress=None if args.quiet else _progress_line)
        finally:
            for sink in sinks:
                sink.close()
    bootstrap = next((sink.bootstrap for sink in sinks if sink.name == "kafka"), None)
    summary = {"bootstrap": bootstrap, "speed": speed or MAX, **report.summary()}
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(f"live: {len(report.days_done)} day(s) written ({', '.join(summary['days'][-3:])}), sent "
              f"{report.sent}, clock {summary['clock']}, lag {summary['lag_s']}"
              + (" (stopped)" if report.stopped else ""))
    return 0


def _progress_line(info: dict) -> None:
    lag = "-" if info["lag_s"] is None else f"{info['lag_s']:.3f} s"
    print(f"live {info['clock'][:19].replace('T', ' ')}  {info['events_per_s']:8.1f} events/s  lag {lag}  "
          f"sent {sum(info['sent'].values())}", file=sys.stderr, flush=True)
