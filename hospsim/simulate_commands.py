"""`hospsim simulate` and `hospsim realism`."""
from __future__ import annotations

import argparse

from hospsim.commandline import engine_flags, param_flags, params_from
from hospsim.errors import ConfigError


def register(sub, parent) -> None:
    sim = sub.add_parser("simulate", parents=[parent], help="create or continue the run: setup, then the days",
                         description="Create the run these params describe (runs/<run-id>/) or continue it: the "
                                     "population and workforce, then each day (ED visits, admissions against beds, "
                                     "transfers, transports, census), written once into the run and landed in "
                                     "<data_dir>/batch/. Days already in the run are kept; a longer "
                                     "simulation.days (or --days) grows the run with the same bytes as one long run.")
    sim.add_argument("--days", type=int, metavar="N", help="simulate N days (overrides simulation.days)")
    sim.add_argument("--resume", action="store_true",
                     help="accepted for old scripts: a run always continues after its last completed day")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")
    engine_flags(sim, "its regions simulated")
    param_flags(sim, days="simulation.days")
    sim.set_defaults(func=_simulate)

    real = sub.add_parser("realism", parents=[parent], help="simulated figures against reference ranges",
                          description="Print the realism report (bed occupancy, length of stay, ED rates, "
                                      "weekday and hour patterns, respiratory season, nurse staffing) and exit "
                                      "1 if a figure is outside its range. Every figure is computed from "
                                      "written files: the run's with --from-run, else a run simulated into a "
                                      "temporary folder.")
    real.add_argument("--days", type=int, metavar="N", help="simulate N days (overrides simulation.days)")
    real.add_argument("--from-run", "--from-batch", dest="from_run", action="store_true",
                      help="read the run's files (hospsim simulate) instead of simulating")
    real.add_argument("--no-progress", action="store_true", help="no progress bar")
    param_flags(real, days="simulation.days")
    real.set_defaults(func=_realism)


def _simulate(args: argparse.Namespace) -> int:
    from hospsim import regions, simulate
    params = params_from(args)
    if regions.is_state(params):
        return _simulate_state(args, params)
    if args.workers is not None or args.scheduler is not None:
        raise ConfigError([("--workers and --scheduler run a state's regions, and these params describe one "
                            "region (state.regions is 0): pass -f params/state.yaml or -p state.regions=N")])
    result = simulate.run(params, progress=not args.no_progress, params_file=args.params)
    print(f"run {result.run.id}: {params.simulation.days} day(s) from {params.simulation.start_date}: "
          f"{len(result.visitors)} ED visits, {len(result.admissions)} admissions, {len(result.transfers)} transfers, "
          f"{len(result.transports)} transports; {len(result.files)} files in {result.run.files_dir}, landed in "
          f"{simulate.batch_dir(params)}")
    return 0


def _realism(args: argparse.Namespace) -> int:
    from hospsim import realism
    params = params_from(args)
    table = realism.from_run(params) if args.from_run else realism.from_scratch(params, not args.no_progress)
    print(realism.format_table(table))
    return 0 if realism.all_inside(table) else 1


def _simulate_state(args: argparse.Namespace, params) -> int:
    from hospsim import scaleout
    result = scaleout.run_state(params, workers=args.workers, scheduler=args.scheduler,
                                progress=not args.no_progress)
    print(f"state: {len(result.summaries)} region(s) ({len(result.skipped)} finished earlier), "
          f"{result.total('people')} people, {params.simulation.days} day(s) from {params.simulation.start_date}: "
          f"{result.total('visits')} ED visits, {result.total('admissions')} admissions, "
          f"{result.total('transfers')} transfers, {result.total('transports')} transports; one folder a region "
          f"in {params.dirs.data_dir / 'regions'}")
    return 0
