"""The `hospsim` command. Each stage registers its own subcommands; this module only wires them."""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys

from hospsim import config
from hospsim.commandline import common_options, params_from
from hospsim.errors import HospsimError

# Modules with `register(subparsers)`; each adds its command group (services, simulate, oltp, ...).
COMMAND_MODULES = (
    "hospsim.services.commands",
    "hospsim.pipeline_commands",
    "hospsim.simulate_commands",
    "hospsim.live_commands",
    "hospsim.warehouse.commands",
    "hospsim.stream.commands",
    "hospsim.oltp.commands",
    "hospsim.dictionary_commands",
    "hospsim.reconcile_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hospsim", description="Simulate a region's hospitals (people, staff, daily visits and admissions), stream their events through Kafka, load them into a PostgreSQL warehouse, run an OLTP database for CDC, and run the course notebooks headlessly. Start with `hospsim services up`, then `hospsim run`; `hospsim COMMAND --help` for each command.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = common_options()

    show = sub.add_parser("config", parents=[parent], help="show the effective parameters (after env and overrides)",
                          description="Print the parameters hospsim would use, as JSON, or the environment variables it reads.")
    show.add_argument("--env", action="store_true", help="list the environment variables and the keys they set")
    show.set_defaults(func=_config_show)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, parent)
    return parser


def _version() -> str:
    from hospsim import __version__
    return f"hospsim {__version__}"


def _config_show(args: argparse.Namespace) -> int:
    if args.env:
        for name, key in sorted(config.env_names().items()):
            print(f"{name:28} -> {key}")
        return 0
    print(json.dumps(params_from(args).to_dict(), indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        params = params_from(args)
        logging.basicConfig(level=params.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLevelName(params.log_level)))
        return int(args.func(args) or 0)
    except HospsimError as exc:   # something the user can fix: one line that names it; anything else is a bug
        print(f"hospsim: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hospsim: interrupted", file=sys.stderr)
        return 130

if __name__ == "__main__":
    sys.exit(main())
