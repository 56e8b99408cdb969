"""`hospsim run`: the whole course headlessly, for cron, systemd timers and Airflow."""
from __future__ import annotations

import sys


def register(sub, parent) -> None:
    p = sub.add_parser("run", parents=[parent], help="execute the notebooks in order with papermill into runs/<run-id>/",
                       description="Execute notebooks/NN_*.ipynb in order with papermill (headless: interactive=False), "
                                   "writing the executed notebooks and one HTML report into runs/<run-id>/. Exits "
                                   "non-zero naming the notebook and cell that failed.")
    p.add_argument("--only", nargs="+", metavar="NB", help="run only these notebooks, by number or name (e.g. 00 01)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


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
