"""Arguments every command shares: params parsed once, flags that stand for a param key."""
from __future__ import annotations

import argparse

from hospsim import commandline, config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("go", parents=[commandline.common_options()])
    p.add_argument("--days", type=int)
    commandline.param_flags(p, days="simulation.days")
    sub.add_parser("plain", parents=[commandline.common_options()])
    return parser


def test_a_flag_stands_for_its_key_and_wins_over_p():
    args = _parser().parse_args(["go", "-p", "simulation.days=9", "--days", "4", "-p", "seed=11"])
    params = commandline.params_from(args)
    assert (params.simulation.days, params.seed) == (4, 11)


def test_a_flag_not_given_leaves_the_key_alone():
    args = _parser().parse_args(["go", "-p", "simulation.days=9"])
    assert commandline.params_from(args).simulation.days == 9
    assert commandline.params_from(_parser().parse_args(["plain"])).simulation.days == config.load().simulation.days


def test_params_are_parsed_once_per_command(monkeypatch):
    calls = []
    real = config.load
    monkeypatch.setattr(config, "load", lambda *a, **k: calls.append(a) or real(*a, **k))
    args = _parser().parse_args(["go", "--days", "3"])
    first, again = commandline.params_from(args), commandline.params_from(args)
    assert first is again and len(calls) == 1
