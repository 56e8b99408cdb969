"""Stream throughput: the producer against kafka-python's bare ceiling, the processor end to end into PostgreSQL.

    .venv/bin/python benchmarks/bench_stream.py [-f params/large.yaml] [-p simulation.days=60] [--rounds 2]

Starts its own Kafka broker and PostgreSQL in a temporary folder (the jars come from <repo>/.hospsim/jars).
The events are one simulated period of params/large.yaml (60 days: ~90k events of ~320 bytes).

Targets, each printed next to a baseline measured in the same run on the same broker (the machine is shared
and noisy, so the ratios are the figures that travel):
  - producer events/s >= 0.8 x a bare kafka-python loop sending the same pre-serialized bytes with the same
    producer settings (no pacing, no stamp, no delivery checks);
  - processor events/s >= 20,000 from the topics into PostgreSQL and the JSON-lines files, offsets committed,
    next to a bare kafka-python consumer that only reads the same topics.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import local_services

from hospsim import config, events, simulate, stream
from hospsim.stream import consumer, inprocess, producer, sink, topics

PRODUCER_RATIO_TARGET = 0.8
PROCESSOR_TARGET = 20_000



def bare_producer(params, bootstrap: str, names, keys, values) -> float:
    """events/s of the plainest kafka-python loop: same settings, same topics layout, same keys and bytes
    (pre-serialized), default partitioner, no stamp, no delivery checks, one flush."""
    client = producer.make_producer(params, bootstrap, client_id="bench-bare")
    try:
        for name in set(names):
            client.send(name, key=b"warm-up", value=b"{}").get(30)
        started = time.perf_counter()
        for name, key, value in zip(names, keys, values):
            client.send(name, key=key, value=value)
        client.flush()
        return len(values) / (time.perf_counter() - started)
    finally:
        client.close(timeout=30)


def bare_consumer(params, bootstrap: str, n: int) -> float:
    """events/s of a consumer that only reads the event topics (a fresh group, no processing)."""
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(*topics.names(params).values(), bootstrap_servers=bootstrap, group_id="bench-bare",
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             max_poll_records=params.stream.processor_batch_size, fetch_max_bytes=64 * 1024 * 1024,
                             max_partition_fetch_bytes=8 * 1024 * 1024)
    try:
        seen, started = 0, None
        deadline = time.monotonic() + 300
        while seen < n and time.monotonic() < deadline:
            got = sum(len(b) for b in consumer.poll(timeout_ms=500).values())
            if got and started is None:
                started = time.perf_counter()
            seen += got
        return seen / (time.perf_counter() - started)
    finally:
        consumer.close(autocommit=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-f", "--params", default="params/large.yaml")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--rounds", type=int, default=3, help="producer rounds (bare and ours alternate); best counts")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="hospsim-bench-stream-") as tmp, \
            local_services.started(Path(tmp)) as services:
        tmp = Path(tmp)
        pg, bootstrap, env = services.pg, services.bootstrap, services.env
        base = [f"paths.data_dir={tmp / 'data'}", *services.overrides, "simulation.days=60", *args.param]
        params = config.load(args.params, base, environ=env)
        simulate.run(params, progress=False)       # the run whose events are streamed
        t0 = time.perf_counter()
        replay = stream.replay(params)
        n = len(replay)
        size = replay["head"].map(len).mean() + 28
        print(f"events: {n:,} from {params.simulation.days} simulated days of {params.simulation.population:,} "
              f"people, ~{size:.0f} bytes each (simulated and serialized in {time.perf_counter() - t0:.1f} s)")
        print(f"broker {bootstrap}, PostgreSQL {pg.host}:{pg.port}, {params.kafka.partitions} partitions, "
              f"linger_ms={params.stream.linger_ms}, batch_size={params.stream.batch_size}, "
              f"compression={params.stream.compression_type}")

        # ---- producer vs the bare loop, alternating, best of each
        stamp = events.utc_stamp(int(time.time() * 1000))
        values = [events.finish(h, stamp) for h in replay["head"]]
        keys = [h.encode() for h in replay["hospital_id"]]
        bare_params = config.load(args.params, [*base, "kafka.topic_prefix=bare"], environ=env)
        topics.ensure(bare_params, bootstrap)
        bare_names = replay["event_type"].map(topics.names(bare_params)).tolist()
        bare_best, ours_best, final = 0.0, 0.0, None
        for r in range(args.rounds):
            bare_best = max(bare_best, bare_producer(params, bootstrap, bare_names, keys, values))
            round_params = config.load(args.params, [*base, f"kafka.topic_prefix=round{r}"], environ=env)
            report = producer.produce(round_params, replay, bootstrap, mode="asap")
            assert report.sent == n and report.failed == 0
            ours_best = max(ours_best, report.events_per_second)
            final = round_params
        ratio = ours_best / bare_best
        print(f"producer   {ours_best:>10,.0f} events/s   bare kafka-python loop {bare_best:>10,.0f} events/s   "
              f"ratio {ratio:.2f}x (target >= {PRODUCER_RATIO_TARGET}x: "
              f"{'ok' if ratio >= PRODUCER_RATIO_TARGET else 'UNDER'})")

        # ---- processor: the last round's topics into PostgreSQL + files, offsets committed
        consumer_ceiling = bare_consumer(final, bootstrap, n)
        started = time.perf_counter()
        stats = consumer.run(final, pg, bootstrap, idle_timeout_s=3)
        assert stats.inserted == n and stats.rejected == 0, stats.summary()
        # from the first batch in hand to the last one stored (the group join and the idle wait excluded)
        rate = n / (stats.last_stored_at - stats.first_batch_at)
        whole = n / (time.perf_counter() - started - 3)
        print(f"processor  {rate:>10,.0f} events/s   bare kafka-python consumer {consumer_ceiling:>10,.0f} events/s"
              f"   ratio {rate / consumer_ceiling:.2f}x   (target >= {PROCESSOR_TARGET:,}/s: "
              f"{'ok' if rate >= PROCESSOR_TARGET else 'UNDER'}; {whole:,.0f}/s counting the group join)")
        print(f"           {stats.files_written} files written, {stats.batches} batches of <= "
              f"{final.stream.processor_batch_size}")

        # ---- the same processor without Kafka (the in-process path), into a fresh schema
        local = config.load(args.params, [*base, "kafka.enabled=false", f"paths.data_dir={tmp / 'local'}"],
                            environ=env)
        with pg.connect() as conn:
            sink.drop_schema(conn, local.stream.schema)
        t0 = time.perf_counter()
        local_stats = inprocess.run(local, replay, pg)
        local_rate = n / (time.perf_counter() - t0)
        assert local_stats.inserted == n
        print(f"in-process {local_rate:>10,.0f} events/s   (the processor alone: decode, validate, COPY+upsert, "
              f"files; no broker)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
