"""`hospsim warehouse init|drop|counts|citus` and `hospsim ingest [--watch] [--interval S]`."""
from __future__ import annotations

import argparse
import collections
import math
import signal
import threading


def register(sub, parent) -> None:
    group = sub.add_parser("warehouse", help="create, drop or count the PostgreSQL warehouse schema",
                           description="The normalized warehouse (params warehouse.schema) that `hospsim ingest` "
                                       "fills from data/batch.")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("init", "create the schema, tables, views and ledger (idempotent) and load hospitals and wards from params",
         _init),
        ("drop", "drop the warehouse schema with everything in it (files in data/processed stay)", _drop),
        ("counts", "rows in every warehouse table", _counts),
    ):
        p = actions.add_parser(name, parents=[parent], help=helptext, description=helptext)
        p.set_defaults(func=func)

    citus = actions.add_parser("citus", parents=[parent], help="print (or --apply) the warehouse DDL for Citus",
                               description="The warehouse on Citus (distributed PostgreSQL): the plain schema, then "
                                           "the facts distributed by hospital and co-located, every other table a "
                                           "reference table. Prints one SQL script to run on a Citus coordinator "
                                           "(it makes the plain schema in the configured database to read its "
                                           "catalog); with --apply the configured database is the coordinator.")
    citus.add_argument("--apply", action="store_true", help="run it on the configured database (a Citus coordinator)")
    citus.add_argument("--worker", action="append", default=[], type=host_port, metavar="HOST:PORT",
                       help="with --apply: a worker node to add first (repeatable)")
    citus.set_defaults(func=_citus)

    ingest = sub.add_parser("ingest", parents=[parent], help="load data/batch (CSV and Parquet) into the warehouse",
                            description="Load every simulation file in data/batch into the warehouse: one transaction "
                                        "per file, dimensions before facts, then move it to data/processed (or "
                                        "data/rejected with a .reason.txt). A file that refers to people or staff waits "
                                        "in data/batch until people_data.csv (or population_with_illnesses.csv) or "
                                        "staff_data.csv is loaded; after that an unknown id rejects it. A file already "
                                        "in the ledger with the same sha256 is only moved; one whose name is in the "
                                        "ledger with other content is rejected. Exit status 1 when a file "
                                        "was rejected.")
    ingest.add_argument("--watch", action="store_true", help="keep watching data/batch until Ctrl-C or SIGTERM")
    ingest.add_argument("--interval", type=positive_seconds, metavar="S",
                        help="seconds between passes when watching (default: params warehouse.watch_interval_seconds)")
    ingest.set_defaults(func=_ingest)


MAX_INTERVAL_S = 86_400


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds > 0 (argparse names the flag in its error)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_INTERVAL_S:
        raise argparse.ArgumentTypeError(f"{text}: must be a number of seconds > 0 and <= {MAX_INTERVAL_S} "
                                         "(a day), e.g. 5")
    return value


def host_port(text: str) -> tuple[str, int]:
    """An argparse type: HOST:PORT with a port in 1-65535."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: give HOST:PORT, e.g. citus-worker-1:5432")
    return host, int(port)


def _connect(args):
    from hospsim.commandline import params_from
    from hospsim.warehouse.ingest import connect
    params = params_from(args)
    return params, connect(params)


def _init(args) -> int:
    from hospsim.warehouse import schema
    params, conn = _connect(args)
    schema.init(conn, params)
    conn.close()
    print(f"warehouse schema {params.warehouse.schema} ready")
    return 0


def _drop(args) -> int:
    from hospsim.warehouse import schema
    params, conn = _connect(args)
    schema.drop(conn, params)
    conn.close()
    print(f"warehouse schema {params.warehouse.schema} dropped")
    return 0


def _counts(args) -> int:
    from hospsim.warehouse import schema
    params, conn = _connect(args)
    counts = schema.table_counts(conn, params)
    conn.close()
    if not counts:
        print(f"no warehouse schema {params.warehouse.schema}; run `hospsim warehouse init`")
        return 1
    for table, rows in counts.items():
        print(f"{table:28} {rows:>12}")
    return 0


def _citus(args) -> int:
    from hospsim.warehouse import citus, schema
    params, conn = _connect(args)
    try:
        if args.apply:
            placed = citus.apply(conn, params, args.worker)
            facts = [p.table for p in placed if p.distributed]
            print(f"warehouse schema {params.warehouse.schema} on Citus: {len(facts)} facts distributed by hospital "
                  f"({', '.join(facts)}), {len(placed) - len(facts)} reference tables")
        else:
            existed = schema.exists(conn, params)
            schema.init(conn, params)
            print(citus.script(conn, params), end="")
            if not existed:                 # made only to read its catalog
                schema.drop(conn, params)
    finally:
        conn.close()
    return 0


def _ingest(args) -> int:
    import psycopg2
    from tqdm.auto import tqdm

    from hospsim.errors import ServiceError
    from hospsim.warehouse.ingest import Ingestor
    params, conn = _connect(args)
    totals: collections.Counter = collections.Counter()
    waiting: set[str] = set()

    def report(outcomes) -> None:
        for outcome in outcomes:
            if outcome.status == "waiting":
                if outcome.name in waiting:     # watching: say it once, not every pass
                    continue
                waiting.add(outcome.name)
            else:
                waiting.discard(outcome.name)
            print(outcome.line(), flush=True)
            totals[outcome.status] += 1

    bar = tqdm(unit="file", desc="ingest", leave=False, disable=None)   # a bar at a terminal only
    try:
        with Ingestor(params, conn, on_file=lambda _: bar.update(1)) as ingestor:
            if not args.watch:
                bar.reset(total=len(ingestor.pending()))
                outcomes = ingestor.run_once()
                bar.close()
                report(outcomes)
            else:
                stop = threading.Event()
                signal.signal(signal.SIGTERM, lambda *_: stop.set())
                print(f"watching {ingestor.batch} every "
                      f"{args.interval or params.warehouse.watch_interval_seconds:g} s; Ctrl-C stops", flush=True)
                try:
                    ingestor.watch(args.interval, stop, on_pass=report)
                except KeyboardInterrupt:
                    pass
    except psycopg2.OperationalError as exc:
        raise ServiceError(f"lost PostgreSQL while ingesting ({' '.join(str(exc).split())}); nothing of the file "
                           "being loaded was committed and it stays in data/batch: run hospsim ingest again") from None
    finally:
        bar.close()
        conn.close()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(totals.items())) or "nothing to do"
    print(f"ingest: {summary}")
    return 1 if totals["rejected"] else 0
