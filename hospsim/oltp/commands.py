"""`hospsim oltp init|seed|stream|reset|counts` (the original simulator's make targets) and `hospsim cdc ...`."""
from __future__ import annotations

import json
import sys
import time

from hospsim.commandline import param_flags, params_from
from hospsim.errors import OltpError


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
    param_flags(p, rate="oltp.stream.events_per_second", events="oltp.stream.max_events",
                duration="oltp.stream.duration_seconds", batch_size="oltp.stream.batch_size")
    p.set_defaults(func=_stream)
    p = actions.add_parser("world", parents=[parent], help="apply the current run's days to the tables "
                           "(oltp.source: world), as fast as possible",
                           description="The hospital system of the run's own region: its people registered at "
                                       "their first contact, physicians, private plans, ED visits (consultas and "
                                       "exames), admissions (internacoes) and the follow-up consulta each "
                                       "discharge books (its status moved on its day), each day's INSERTs and UPDATEs "
                                       "applied in one transaction. Idempotent: run it again and nothing changes. "
                                       "Prints the rows changed per table and operation.")
    p.add_argument("--fresh", action="store_true", help="drop the schema (and its slots) first")
    p.set_defaults(func=_world)

    cdc = sub.add_parser("cdc", help="Debezium connector config and CDC throughput of the OLTP tables",
                         description="Change data capture of the OLTP tables.")
    actions = cdc.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("connector", parents=[parent], help="print (or write, or register) the Debezium connector",
                           description="The Debezium PostgreSQL connector config for the seven tables, as JSON.")
    p.add_argument("--out", metavar="FILE", help="write the JSON here instead of printing it")
    p.add_argument("--register", nargs="?", const="", metavar="URL",
                   help="PUT it to a Kafka Connect worker (default URL: kafka.connect_url, else the embedded worker)")
    p.set_defaults(func=_connector)
    p = actions.add_parser("throughput", parents=[parent],
                           help="changes/s per table, from the Debezium topics or a slot",
                           description="Changes per time bucket, table and operation. Read from the Debezium topics "
                                       "(<oltp.topic_prefix>.<oltp.schema>.<table>) when Kafka is configured or the "
                                       "embedded broker runs and the topics exist; else decoded from the throughput "
                                       "slot (<oltp.slot>_throughput, pgoutput, the OLTP publication). The first line "
                                       "says which.")
    p.add_argument("--bucket", type=float, default=1.0, metavar="SECONDS", help="time bucket (default 1)")
    p.add_argument("--source", choices=("auto", "topics", "slot"), default="auto",
                   help="where to count (default auto: the topics if they are there, else the slot)")
    p.add_argument("--clock", choices=("commit", "kafka"), default="commit",
                   help="topics: bucket by the commit time in PostgreSQL (default) or by when Kafka got the record")
    p.add_argument("--since", metavar="ISO_TIME", help="topics: only changes from this time on (UTC if no offset)")
    p.add_argument("--consume", action="store_true", help="slot: read the changes off the slot (default: peek)")
    p.add_argument("--create", action="store_true", help="slot: create the slot if missing, then report")
    p.add_argument("--slot", metavar="NAME", help="slot: another slot to read (not Debezium's while it runs)")
    p.set_defaults(func=_throughput)


def _init(args) -> int:
    from hospsim.oltp import schema
    params = params_from(args)
    schema.init(params)
    print(f"schema {params.oltp.schema}: {len(schema.TABLES)} tables, indexes, triggers, "
          f"publication {params.oltp.publication}")
    return 0


def _seed(args) -> int:
    from hospsim.oltp import seed
    params = _standalone(params_from(args), "seed")
    t = time.perf_counter()
    loaded = seed.seed(params)
    _print_counts(loaded, f"seeded in {time.perf_counter() - t:.2f} s")
    return 0


def _reset(args) -> int:
    from hospsim.oltp import schema, seed
    params = params_from(args)
    if params.oltp.source == "world":
        schema.drop(params)
        schema.init(params)
        print(f"schema {params.oltp.schema} dropped and created empty (oltp.source: world; "
              "`hospsim oltp world` fills it from the run)")
        return 0
    t = time.perf_counter()
    loaded = seed.reset(params)
    _print_counts(loaded, f"reset and seeded in {time.perf_counter() - t:.2f} s")
    return 0


def _counts(args) -> int:
    from hospsim.oltp import schema
    df = schema.counts(params_from(args))
    _print_counts(dict(zip(df["tabela"], df["linhas"])), "")
    return 0


def _print_counts(counts: dict, footer: str) -> None:
    for table, n in counts.items():
        print(f"{table:20} {n:>10,}")
    print(f"{'total':20} {sum(counts.values()):>10,}" + (f"   ({footer})" if footer else ""))


def _stream(args) -> int:
    from hospsim.oltp import stream
    report = stream.run(_standalone(params_from(args), "stream"))
    print(report.summary())
    print(report.frame().pivot(index="table", columns="op", values="count").to_string())
    return 0


def _standalone(params, action: str):
    """The standalone simulator's own data would collide with world-mode ids in one schema."""
    if params.oltp.source == "world":
        raise OltpError(f"`hospsim oltp {action}` writes the standalone simulator's random hospital, but "
                        "oltp.source is world: use `hospsim oltp world`, or -p oltp.source=standalone with "
                        "another oltp.schema")
    return params


def _world(args) -> int:
    from hospsim.oltp import schema, world
    params = params_from(args)
    if params.oltp.source != "world":
        raise OltpError("oltp.source is standalone: pass -p oltp.source=world (or set it in your params file) "
                        "to fill the OLTP tables from the run")
    if args.fresh:
        schema.drop(params)
    t = time.perf_counter()

    def progress(day, changed) -> None:
        print(f"{day}  {sum(changed.values()):>8,} rows changed")
    applied = world.run_days(params, progress=progress)
    print(world.mix(applied).to_string(index=False))
    print(f"({time.perf_counter() - t:.2f} s)")
    return 0


def _connector(args) -> int:
    from hospsim import cdc
    params = params_from(args)
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
    params = params_from(args)
    slot_flags = args.consume or args.create or args.slot
    if slot_flags and args.source == "topics":
        raise OltpError("--consume, --create and --slot read a replication slot; drop them or use --source slot")
    source, label = cdc.change_source(params, prefer="slot" if slot_flags else args.source, slot=args.slot,
                                      consume=args.consume, since=_since(args.since), clock=args.clock)
    print(f"source: {label}")
    if isinstance(source, cdc.SlotSource) and args.create and source.create():
        print(f"created slot {source.slot}: changes are counted from now on; run again to see them")
        return 0
    df = cdc.throughput(source, args.bucket)
    if df.empty:
        where = f"slot {source.slot}" if isinstance(source, cdc.SlotSource) else "the topics"
        print(f"no changes in {where} yet")
        return 0
    print(df.to_string(index=False))
    totals = df.groupby(["table", "op"])["count"].sum().unstack(fill_value=0)
    print("\ntotals\n" + totals.to_string())
    return 0


def _since(text: str | None):
    import datetime as dt
    if text is None:
        return None
    try:
        since = dt.datetime.fromisoformat(text)
    except ValueError:
        raise OltpError(f"--since {text!r}: give an ISO time such as 2025-01-01T12:00:00 (UTC unless it has "
                         "an offset)") from None
    return since if since.tzinfo else since.replace(tzinfo=dt.UTC)
