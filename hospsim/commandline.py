"""What every command's arguments share: -f/-p, flags that stand for a param key, and the params parsed once.

Command modules take these from here, never from hospsim.cli, so dependencies point one way:
cli -> command modules -> commandline -> config.
"""
from __future__ import annotations

import argparse
import signal
import threading
from contextlib import contextmanager

from hospsim import config


def common_options() -> argparse.ArgumentParser:
    """-f/-p on every subcommand, so `hospsim X -f params/workshop.yaml -p simulation.days=3` works everywhere."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("-f", "--params", metavar="FILE", help="params YAML (default: params/default.yaml)")
    parent.add_argument("-p", "--param", metavar="KEY=VALUE", action="append", default=[],
                        help="override one parameter, e.g. -p simulation.days=7 (repeatable)")
    parent.set_defaults(param_flags={})
    return parent


def param_flags(parser: argparse.ArgumentParser, **flag_keys: str) -> None:
    """Flags that are shorthand for a param key (`--days 7` is `-p simulation.days=7`); given after -p, they win."""
    parser.set_defaults(param_flags=flag_keys)


def engine_flags(parser: argparse.ArgumentParser, what: str) -> None:
    """--workers N | --scheduler ADDRESS: where a state's regions run (hospsim.scaleout); `what` they do there."""
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument("--workers", type=at_least(1), metavar="N",
                        help=f"a state (state.regions >= 1, e.g. -f params/state.yaml): {what} on a Dask "
                             "LocalCluster of N processes, one thread each")
    engine.add_argument("--scheduler", metavar="tcp://HOST:8786",
                        help=f"a state: {what} on the existing Dask cluster at this scheduler (workers must share "
                             "this machine's data and runs folders)")


def params_from(args: argparse.Namespace) -> config.Params:
    """The command's params: the file, then each -p, then each flag that stands for a key. Parsed once per
    command and kept on args."""
    cached = getattr(args, "parsed_params", None)
    if cached is None:
        flags = [f"{key}={getattr(args, flag)}" for flag, key in getattr(args, "param_flags", {}).items()
                 if getattr(args, flag, None) is not None]
        cached = args.parsed_params = config.load(args.params, [*args.param, *flags])
    return cached


def at_least(minimum: int):
    """An argparse type: an integer >= minimum (argparse names the flag in its error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: give a number >= {minimum}")
        return value
    return parse


def seconds(text: str) -> float:
    """An argparse type: seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a time: give seconds > 0, e.g. 5")
    return value


@contextmanager
def stop_on_signals():
    """SIGINT/SIGTERM set the event: the loop stops after the batch in hand, flushes and commits."""
    stop = threading.Event()
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
