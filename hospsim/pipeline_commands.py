"""`hospsim run`: the whole course headlessly, for cron, systemd timers and Airflow."""
from __future__ import annotations

import sys


def register(sub, parent) -> None:
    p = sub.add_parser("run", parents=[parent], help="execute the notebooks in order with papermill into runs/<run-id>/course/",
                       description="Execute notebooks/NN_*.ipynb in order with papermill (headless: interactive=False), "
                                   "writing the executed notebooks and one HTML report into runs/<run-id>/course/<stamp>/. Exits "
                                   "non-zero naming the notebook and cell that failed.")
    p.add_argument("--only", nargs="+", metavar="NB", help="run only these notebooks, by number or name (e.g. 00 01)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
    r = sub.add_parser("reset", parents=[parent], help="start the course over: data, tables, topics and slots",
                       description="Remove data/batch, processed, rejected and stream, the simulation's saved state; "
                                   "drop the warehouse, stream and OLTP schemas, the OLTP publication and replication "
                                   "slots, the stream topics, the Debezium connector and its topics. runs/ is kept.")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.set_defaults(func=_reset)


def _run(args) -> int:
    from hospsim import pipeline
    try:
        result = pipeline.run(args.params, args.param, only=args.only, progress=not args.quiet,
                              report=not args.no_report)
    except pipeline.NotebookFailed as exc:
        print(f"hospsim run: {exc}", file=sys.stderr)
        return 1
    total = sum(result.seconds.values())
    print(f"run {result.run_dir.name}: {len(result.notebooks)} notebooks in {total:.1f} s")
    for name, seconds in result.seconds.items():
        print(f"  {name:20} {seconds:6.1f} s")
    if result.report:
        print(f"report: {result.report}")
    return 0


def _reset(args) -> int:
    from hospsim import pipeline
    from hospsim.commandline import params_from
    params = params_from(args)
    if not args.yes:
        if not sys.stdin.isatty():
            print("hospsim reset: refusing without --yes when not at a terminal", file=sys.stderr)
            return 2
        if input(f"reset everything under {params.dirs.data_dir} and the course's tables, topics and slots? [y/N] "
                 ).strip().lower() != "y":
            return 1
    for line in pipeline.reset(params):
        print(line)
    return 0
