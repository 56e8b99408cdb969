"""`hospsim services up|down|status`."""
from __future__ import annotations

import argparse

from hospsim import services


def register(sub, parent) -> None:
    group = sub.add_parser("services", help="start, stop or show PostgreSQL, Kafka and Kafka Connect",
                           description="Manage the services hospsim uses. Embedded ones are started from this "
                                       "project (data under .hospsim/); external ones (PG_HOST/PG_URL, "
                                       "KAFKA_BOOTSTRAP_SERVERS) are only checked.")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("up", "start the services (reused when already running)", _up),
        ("down", "stop the embedded services", _down),
        ("status", "show each service: running or not, address, data and log paths", _status),
    ):
        p = actions.add_parser(name, parents=[parent], help=helptext, description=helptext)
        p.add_argument("which", nargs="*", choices=[[], *services.NAMES], default=[],
                       metavar="SERVICE", help=f"some of {', '.join(services.NAMES)} (default: all)")
        p.set_defaults(func=func)


def _selected(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(args.which) or services.NAMES


def _up(args) -> int:
    from hospsim.cli import params_from
    for row in services.up(params_from(args), _selected(args)):
        print(_line(row))
    return 0


def _down(args) -> int:
    from hospsim.cli import params_from
    for row in services.down(params_from(args), _selected(args)):
        print(_line(row))
    return 0


def _status(args) -> int:
    from hospsim.cli import params_from
    rows = services.status(params_from(args), _selected(args))
    for row in rows:
        print(_line(row))
    return 0


def _line(row: dict) -> str:
    state = "running" if row.get("running") else "stopped"
    extra = "  ".join(f"{k}={v}" for k, v in row.items() if k not in ("service", "running"))
    return f"{row['service']:9} {state:8} {extra}"
