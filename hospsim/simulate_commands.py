"""`hospsim simulate` and `hospsim realism`."""
from __future__ import annotations

import argparse


def register(sub, parent) -> None:
    sim = sub.add_parser("simulate", parents=[parent], help="simulate the region day by day into data/batch/",
                         description="Generate the population and workforce, then simulate each day (ED visits, "
                                     "admissions against beds, transfers, transports, census) into "
                                     "<data_dir>/batch/. The state after each day is saved, so --resume "
                                     "continues an interrupted (or shorter) run with the same bytes.")
    sim.add_argument("--days", type=int, metavar="N", help="simulate N days (overrides simulation.days)")
    sim.add_argument("--resume", action="store_true", help="continue after the last completed day")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")
    sim.set_defaults(func=_simulate)

    real = sub.add_parser("realism", parents=[parent], help="simulated figures against reference ranges",
                          description="Print the realism report (bed occupancy, length of stay, ED rates, "
                                      "weekday and hour patterns, respiratory season, nurse staffing) and exit "
                                      "1 if a figure is outside its range. Simulates in memory unless "
                                      "--from-batch reads a finished run's files.")
    real.add_argument("--days", type=int, metavar="N", help="simulate N days (overrides simulation.days)")
    real.add_argument("--from-batch", action="store_true", help="read <data_dir>/batch instead of simulating")
    real.add_argument("--no-progress", action="store_true", help="no progress bar")
    real.set_defaults(func=_realism)


def _params(args: argparse.Namespace):
    from hospsim.cli import params_from
    if args.days is not None:
        args.param = [*args.param, f"simulation.days={args.days}"]
    return params_from(args)


def _simulate(args: argparse.Namespace) -> int:
    from hospsim import simulate
    params = _params(args)
    result = simulate.run(params, progress=not args.no_progress, resume=args.resume)
    print(f"{params.simulation.days} day(s) from {params.simulation.start_date}: {len(result.visitors)} ED visits, "
          f"{len(result.admissions)} admissions, {len(result.transfers)} transfers, "
          f"{len(result.transports)} transports; {len(result.files)} files in {simulate.batch_dir(params)}")
    return 0


def _realism(args: argparse.Namespace) -> int:
    from hospsim import realism, simulate
    params = _params(args)
    result = (simulate.load(params) if args.from_batch
              else simulate.run(params, write=False, progress=not args.no_progress))
    table = realism.report(params, result)
    print(realism.format_table(table))
    return 0 if realism.all_inside(table) else 1
