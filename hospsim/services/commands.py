"""`hospsim services up|down|status`."""
from __future__ import annotations

import argparse
import time

from hospsim import services


def register(sub, parent) -> None:
    group = sub.add_parser("services", help="start, stop or show PostgreSQL, Kafka and Kafka Connect",
                           description="Manage the services hospsim uses. Embedded ones are started from this "
                                       "project (data under .hospsim/); external ones (PG_HOST/PG_URL, "
                                       "KAFKA_BOOTSTRAP_SERVERS) are only checked.")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = actions.add_parser("fetch", parents=[parent], help="fetch the Kafka/Debezium jars with Maven (pinned pom)",
                               description="Run Maven with hospsim/services/pom.xml into .hospsim/jars; "
                                           "a no-op when the jars match the pom.")
    fetch.add_argument("-v", "--verbose", action="store_true", help="show Maven's output")
    fetch.set_defaults(func=_fetch)
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


def _fetch(args) -> int:
    from hospsim.commandline import params_from
    from hospsim.services.kafka import jar_dir_size
    began = time.monotonic()
    jar_dir = services.fetch(params_from(args), quiet=not args.verbose)
    print(f"jars in {jar_dir} ({jar_dir_size(jar_dir) / 1e6:.0f} MB, {time.monotonic() - began:.1f} s)")
    return 0


def _up(args) -> int:
    from hospsim.commandline import params_from
    for row in services.up(params_from(args), _selected(args)):
        print(_line(row))
    return 0


def _down(args) -> int:
    from hospsim.commandline import params_from
    for row in services.down(params_from(args), _selected(args)):
        print(_line(row))
    return 0


def _status(args) -> int:
    from hospsim.commandline import params_from
    rows = services.status(params_from(args), _selected(args))
    for row in rows:
        print(_line(row))
    return 0


def _line(row: dict) -> str:
    state = "running" if row.get("running") else "stopped"
    extra = "  ".join(f"{k}={v}" for k, v in row.items() if k not in ("service", "running"))
    return f"{row['service']:9} {state:8} {extra}"
