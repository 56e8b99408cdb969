"""What every command's arguments share: -f/-p, flags that stand for a param key, and the params parsed once.

Command modules take these from here, never from hospsim.cli, so dependencies point one way:
cli -> command modules -> commandline -> config.
"""
from __future__ import annotations

import argparse

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


def params_from(args: argparse.Namespace) -> config.Params:
    """The command's params: the file, then each -p, then each flag that stands for a key. Parsed once per
    command and kept on args."""
    cached = getattr(args, "parsed_params", None)
    if cached is None:
        flags = [f"{key}={getattr(args, flag)}" for flag, key in getattr(args, "param_flags", {}).items()
                 if getattr(args, flag, None) is not None]
        cached = args.parsed_params = config.load(args.params, [*args.param, *flags])
    return cached
