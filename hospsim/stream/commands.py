"""`hospsim stream produce|process|metrics|reset`."""
from __future__ import annotations

import json
import sys

from hospsim import regions
from hospsim.commandline import at_least, engine_flags, param_flags, params_from, seconds, stop_on_signals
from hospsim.config import STREAM_MODES
from hospsim.errors import ConfigError


def register(sub, parent) -> None:
    group = sub.add_parser("stream", help="hospital events through Kafka and the stream processor",
                           description="Replay a simulated period as events into Kafka topics, run the stream "
                                       "processor (consumer group -> data/stream/*.jsonl + PostgreSQL), show "
                                       "metrics. Without Kafka, produce runs the processor in-process.")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = actions.add_parser("produce", parents=[parent], help="send the run's events to Kafka",
                           description="Send every event of the run these params describe (its files; run "
                                       "`hospsim simulate` first). Without Kafka "
                                       "(kafka.enabled false, or no broker) the events go through the processor "
                                       "in-process instead.")
    p.add_argument("--mode", choices=STREAM_MODES, help="asap | rate | realtime (default: stream.mode)")
    p.add_argument("--rate", type=float, metavar="N", help="events per second in rate mode")
    p.add_argument("--speed", type=float, metavar="X", help="simulated seconds per wall second in realtime mode")
    p.add_argument("--days", type=int, metavar="N", help="the run's first N days (default: simulation.days)")
    p.add_argument("--limit", type=at_least(1), metavar="N", help="send only the first N events (N >= 1)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    param_flags(p, mode="stream.mode", rate="stream.events_per_second", speed="stream.speed", days="simulation.days")
    engine_flags(p, "its regions' events produced")
    p.add_argument("--no-progress", action="store_true", help="a state: no progress bar")
    p.set_defaults(func=_produce)

    p = actions.add_parser("process", parents=[parent], help="run one stream processor (a consumer group member)",
                           description="Consume the event topics into data/stream/ and the stream schema until "
                                       "SIGINT/SIGTERM (finishes the current batch), --max-events or --idle. "
                                       "Start several to share the partitions.")
    p.add_argument("--max-events", type=at_least(1), metavar="N", help="stop after N messages (N >= 1)")
    p.add_argument("--idle", type=seconds, metavar="S", help="stop after S seconds without a message (S > 0)")
    p.add_argument("--instance", metavar="NAME", help="a name for this processor (its Kafka client id)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_process)

    p = actions.add_parser("metrics", parents=[parent], help="rows per table, throughput, consumer lag",
                           description="Rows per stream table, events/s per topic, and the consumer lag per "
                                       "partition (when Kafka answers).")
    p.set_defaults(func=_metrics)

    p = actions.add_parser("reset", parents=[parent], help="drop the stream tables, data/stream/ and the topics",
                           description="Drop the stream schema, delete data/stream/ and, when Kafka answers, this "
                                       "prefix's topics.")
    p.set_defaults(func=_reset)


def _print(summary: dict, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(summary, default=str))
        return
    print(title)
    for key, value in summary.items():
        print(f"  {key:18} {value}")


def _produce(args) -> int:
    from hospsim import stream
    from hospsim.services import ensure_postgres
    from hospsim.stream import inprocess, producer, sessions

    params = params_from(args)
    producer.check_compression(params)
    bootstrap, why = stream.kafka_bootstrap(params)
    if regions.is_state(params):
        return _produce_state(args, params, bootstrap, why)
    if args.workers is not None or args.scheduler is not None:
        raise ConfigError([("--workers and --scheduler produce a state's regions, and these params describe one "
                            "region (state.regions is 0): pass -f params/state.yaml or -p state.regions=N")])
    replay = stream.replay(params)
    pg = ensure_postgres(params)
    session = sessions.start(params, pg, min(len(replay), args.limit or len(replay)), bootstrap, why)
    with stop_on_signals() as stop:
        if bootstrap:
            session.produced = producer.produce(params, replay, bootstrap, limit=args.limit, stop=stop,
                                                raise_on_failure=False)
            sessions.finish(params, pg, session)
            _print({"bootstrap": bootstrap, "mode": params.stream.mode, **session.produced.summary()}, args.json,
                   f"produced to {params.kafka.topic_prefix}.* on {bootstrap}")
            return _produce_outcome(params, session.produced)
        print(inprocess.NOTICE.format(reason=why), file=sys.stderr)
        session.stats = inprocess.run(params, replay, pg, limit=args.limit, stop=stop)
        sessions.finish(params, pg, session)
    _print({"mode": params.stream.mode, "in_process": True, **session.stats.summary()}, args.json,
           "processed in-process")
    return 0


def _produce_state(args, params, bootstrap: str | None, why: str) -> int:
    """A state's regions, each produced by the worker that takes it (hospsim.stream.regions); Kafka only."""
    from hospsim.services import ensure_postgres
    from hospsim.stream import regions as state_stream
    if not bootstrap:
        raise ConfigError([(f"a state's events go to Kafka, and no broker answers ({why}); start it with "
                            "`hospsim services up` (or set kafka.bootstrap), then produce again")])
    if args.limit is not None:
        raise ConfigError([("--limit takes the first events of one run; a state produces every region whole: "
                            "drop --limit, or produce one region with -p paths.data_dir=<data>/regions/region-NNN")])
    result = state_stream.produce_state(params, bootstrap, ensure_postgres(params), workers=args.workers,
                                        scheduler=args.scheduler, progress=not args.no_progress)
    failed = [s for s in result.summaries if s["failed"]]
    _print({"bootstrap": bootstrap, "regions": len(result.summaries), "workers": result.workers,
            "events": result.total("events"), "sent": result.total("sent"), "failed": result.total("failed")},
           args.json, f"produced the state's regions to {params.kafka.topic_prefix}.* on {bootstrap}")
    for s in failed:
        print(f"hospsim stream produce: {s['region']}: {s['failed']} event(s) not delivered; their ids are in "
              f"{s['undelivered_file']}. Produce again: the processor ignores repeats.", file=sys.stderr)
    return 1 if failed else 0


def _produce_outcome(params, report) -> int:
    """0 when every event was delivered; 1 (with the count and where the ids are) when some were not; 130
    when a signal stopped the run before the end."""
    if report.failed:
        first = report.errors[0] if report.errors else ("?", "?")
        print(f"hospsim stream produce: {report.failed} event(s) not delivered within stream.delivery_timeout_ms = "
              f"{params.stream.delivery_timeout_ms} ms (first: {first[0]}: {first[1]}); their ids are in "
              f"{report.undelivered_file}. Check the broker and produce again: the processor ignores repeats.",
              file=sys.stderr)
        return 1
    if report.stopped and report.undelivered:
        print(f"hospsim stream produce: stopped by a signal; {report.sent} event(s) delivered, "
              f"{len(report.undelivered)} not sent. Produce again to send the rest (the processor ignores repeats).",
              file=sys.stderr)
        return 130
    return 0


def _process(args) -> int:
    from hospsim import stream
    from hospsim.services import ensure_postgres
    from hospsim.stream import consumer

    params = params_from(args)
    bootstrap, why = stream.kafka_bootstrap(params)
    if not bootstrap:
        print(f"hospsim stream process: nothing to consume: no Kafka ({why}). `hospsim stream produce` already "
              "runs the processor in-process when Kafka is off.", file=sys.stderr)
        return 1
    pg = ensure_postgres(params)
    with stop_on_signals() as stop:
        stats = consumer.run(params, pg, bootstrap, stop=stop, max_events=args.max_events,
                             idle_timeout_s=args.idle, instance=args.instance)
    _print({"instance": args.instance or "main", **stats.summary()}, args.json, "stream processor stopped")
    return 0


def _metrics(args) -> int:
    import pandas as pd

    from hospsim import stream
    from hospsim.services import ensure_postgres
    from hospsim.stream import metrics

    params = params_from(args)
    pg = ensure_postgres(params)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        counts = metrics.counts(pg, params.stream.schema)
        if counts.empty:
            print("no stream tables yet: `hospsim stream produce` (after `hospsim simulate`) makes them")
        else:
            print("rows per stream table:")
            print(counts.to_string(index=False))
        rates = metrics.throughput(pg, params.stream.schema)
        if not rates.empty:
            per_topic = rates.groupby("topic")[["produced", "consumed"]].agg(["sum", "max"])
            per_topic.columns = ["produced", "peak produced/s", "consumed", "peak consumed/s"]
            print("\nthroughput per topic:")
            print(per_topic.to_string())
        bootstrap, why = stream.kafka_bootstrap(params, start=False)
        if bootstrap:
            print(f"\nconsumer lag, group {params.stream.group_id}:")
            print(metrics.lag(params, bootstrap).to_string(index=False))
        else:
            print(f"\nno consumer lag: {why}")
    return 0


def _reset(args) -> int:
    from hospsim import stream
    from hospsim.services import ensure_postgres

    params = params_from(args)
    bootstrap, _ = stream.kafka_bootstrap(params, start=False)
    stream.reset(params, ensure_postgres(params), bootstrap)
    print(f"dropped the stream schema and {params.dirs.data_dir / 'stream'}"
          + (f"; deleted the {params.kafka.topic_prefix}.* topics" if bootstrap else ""))
    return 0


