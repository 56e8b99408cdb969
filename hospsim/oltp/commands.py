"""`hospsim oltp init|seed|stream|reset|counts` (the original simulator's make targets) and `hospsim cdc ...`."""
from __future__ import annotations

import argparse
import json
import sys
import time


def register(sub, parent) -> None:
    oltp = sub.add_parser("oltp", help="the OLTP CDC simulator: seven hospital tables, seed and a 70/30 stream",
                          description="The original OLTP simulator's commands, on the schema params.oltp.schema.")
    actions = oltp.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("init", "create the schema, tables, indexes, triggers and publication (idempotent)", _init),
        ("seed", "load the initial data with COPY (creates the schema if needed; the tables must be empty)", _seed),
        ("reset", "drop the schema, the publication and the slots named after oltp.slot; init and seed again", _reset),
        ("counts", "rows per table", _counts),
    ):
        p = actions.add_parser(name, parents=[parent], help=helptext, description=helptext)
        p.set_defaults(func=func)
    p = actions.add_parser("stream", parents=[parent], help="INSERT/UPDATE continuously until Ctrl-C or a bound",
                           description="Stream 70% INSERT / 30% UPDATE (oltp.stream.*). Ctrl-C or SIGTERM finishes "
                                       "the batch in flight, commits it and prints what was committed; a second "
                                       "Ctrl-C stops at once. Every operation is logged to logs/oltp_stream.log.")
    p.add_argument("--rate", type=float, metavar="EVENTS_PER_S", help="target events/s (oltp.stream.events_per_second)")
    p.add_argument("--events", type=int, metavar="N", help="stop after N events (oltp.stream.max_events)")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="stop after this long (oltp.stream.duration_seconds)")
    p.add_argument("--batch-size", type=int, metavar="N", help="events per transaction (oltp.stream.batch_size)")
    p.set_defaults(func=_stream)

    cdc = sub.add_parser("cdc", help="Debezium connector config and CDC throughput of the OLTP tables",
                         description="Change data capture of the OLTP tables.")
    actions = cdc.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("connector", parents=[parent], help="print (or write, or register) the Debezium connector",
                           description="The Debezium PostgreSQL connector config for the seven tables, as JSON.")
    p.add_argument("--out", metavar="FILE", help="write the JSON here instead of printing it")
    p.add_argument("--register", nargs="?", const="", metavar="URL",
                   help="PUT it to a Kafka Connect worker (default URL: kafka.connect_url, else the embedded worker)")
    p.set_defaults(func=_connector)
    p = actions.add_parser("throughput", parents=[parent], help="changes/s per table from a logical replication slot",
                           description="Changes per time bucket, table and operation, decoded from the throughput "
                                       "slot (<oltp.slot>_throughput, pgoutput, the OLTP publication).")
    p.add_argument("--bucket", type=float, default=1.0, metavar="SECONDS", help="time bucket (default 1)")
    p.add_argument("--consume", action="store_true", help="read the changes off the slot (default: peek)")
    p.add_argument("--create", action="store_true", help="create the slot if missing, then report")
    p.add_argument("--slot", metavar="NAME", help="another slot to read (not Debezium's while it runs)")
    p.set_defaults(func=_throughput)


def _params(args: argparse.Namespace, overrides: list[str] = ()):
    from hospsim.cli import params_from
    args.param = [*args.param, *overrides]
    return params_from(args)


def _init(args) -> int:
    from hospsim.oltp import schema
    params = _params(args)
    schema.init(params)
    print(f"schema {params.oltp.schema}: {len(schema.TABLES)} tables, indexes, triggers, "
          f"publication {params.oltp.publication}")
    return 0


def _seed(args) -> int:
    from hospsim.oltp import seed
    params = _params(args)
    t = time.perf_counter()
    loaded = seed.seed(params)
    _print_counts(loaded, f"seeded in {time.perf_counter() - t:.2f} s")
    return 0


def _reset(args) -> int:
    from hospsim.oltp import seed
    params = _params(args)
    t = time.perf_counter()
    loaded = seed.reset(params)
    _print_counts(loaded, f"reset and seeded in {time.perf_counter() - t:.2f} s")
    return 0


def _counts(args) -> int:
    from hospsim.oltp import schema
    df = schema.counts(_params(args))
    _print_counts(dict(zip(df["tabela"], df["linhas"])), "")
    return 0


def _print_counts(counts: dict, footer: str) -> None:
    for table, n in counts.items():
        print(f"{table:20} {n:>10,}")
    print(f"{'total':20} {sum(counts.values()):>10,}" + (f"   ({footer})" if footer else ""))


def _stream(args) -> int:
    from hospsim.oltp import stream
    overrides = [f"oltp.stream.{key}={value}" for key, value in (
        ("events_per_second", args.rate), ("max_events", args.events), ("duration_seconds", args.duration),
        ("batch_size", args.batch_size)) if value is not None]
    report = stream.run(_params(args, overrides))
    print(report.summary())
    print(report.frame().pivot(index="table", columns="op", values="count").to_string())
    return 0


def _connector(args) -> int:
    from hospsim import cdc
    params = _params(args)
    connector = cdc.connector_config(params)
    if args.out:
        print(f"wrote {cdc.write_connector(connector, args.out)}")
    elif args.register is None:
        json.dump(connector, sys.stdout, indent=2)
        print()
    if args.register is not None:
        url = args.register or params.kafka.connect_url or f"http://127.0.0.1:{params.kafka.connect_port}"
        cdc.register(url, connector)
        print(f"registered connector {connector['name']} at {url}")
    return 0


def _throughput(args) -> int:
    from hospsim import cdc
    params = _params(args)
    source = cdc.slot_source(params, slot=args.slot, consume=args.consume)
    if args.create and source.create():
        print(f"created slot {source.slot}: changes are counted from now on; run again to see them")
        return 0
    df = cdc.throughput(source, args.bucket)
    if df.empty:
        print(f"no changes in slot {source.slot} yet")
        return 0
    print(df.to_string(index=False))
    totals = df.groupby(["table", "op"])["count"].sum().unstack(fill_value=0)
    print("\ntotals\n" + totals.to_string())
    return 0
