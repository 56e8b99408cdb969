"""Hospital events through Apache Kafka, and the stream processor that files and stores them.

    replay = stream.replay(params)                       # the run's events, serialized once
    bootstrap, why = stream.kafka_bootstrap(params)      # None when Kafka is off or cannot start
    if bootstrap:
        producer.produce(params, replay, bootstrap)      # hospsim stream produce
        consumer.run(params, pg, bootstrap, ...)         # hospsim stream process (one or more instances)
    else:
        inprocess.run(params, replay, pg)                # the same processor, no broker

Layout: topics (admin, partition of a hospital), producer, processor (decodes, and composes the rooms below),
sink (the rows in PostgreSQL), files (the JSON-lines ranges), tables (columns and statements from the event
registry), records, consumer (the loop), deadletter, errors, sessions (each delivery of a run's events and its
measured rate), inprocess, metrics, commands (the CLI).
"""
from __future__ import annotations

import logging
import shutil
import socket
from contextlib import closing

from hospsim import events

_log = logging.getLogger(__name__)


def replay(params, result=None):
    """Every event of the run (its files, read back: nothing is simulated again), serialized, in simulated-time
    order (hospsim.events.build); or of a SimulationResult already in hand."""
    if result is None:
        from hospsim import simulate
        result = simulate.load(params)
    return events.from_result(params, result)


def broker_reachable(bootstrap: str, timeout_s: float = 5.0) -> str | None:
    """None when the cluster answers, else why not. A closed port is told at once (the client would retry
    its bootstrap for half a minute)."""
    refused = []
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=min(timeout_s, 2.0)).close()
            break
        except (OSError, ValueError) as exc:
            refused.append(f"{address.strip()}: {exc}")
    else:
        return "; ".join(refused)
    try:
        from hospsim.stream.topics import admin
        client = admin(bootstrap, request_timeout_ms=int(timeout_s * 1000))
    except Exception as exc:  # noqa: BLE001 - NoBrokersAvailable and friends: any of them means unreachable
        return f"{type(exc).__name__}: {exc}"
    try:
        client.list_topics()
        return None
    except Exception as exc:  # noqa: BLE001 - the reason is reported, the in-process path takes over
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()


def kafka_bootstrap(params, *, start: bool = True) -> tuple[str | None, str]:
    """(bootstrap servers, '') when Kafka is usable, else (None, the reason).

    An external cluster (kafka.bootstrap_servers) must answer; otherwise the embedded broker is reused or,
    with start, started. Kafka off (kafka.enabled: false) or not startable means the in-process path.
    """
    k = params.kafka
    if not k.enabled:
        return None, "kafka.enabled is false"
    if k.bootstrap_servers:
        problem = broker_reachable(k.bootstrap_servers)
        return (k.bootstrap_servers, "") if problem is None else (
            None, f"the cluster at {k.bootstrap_servers} does not answer ({problem})")
    from hospsim.errors import ServiceError
    from hospsim.services import kafka
    broker = kafka.broker_from_params(params)
    if broker.is_running():
        return broker.bootstrap_servers, ""
    if not start:
        return None, f"the embedded broker on {broker.address} is not running (hospsim services up)"
    try:
        broker.start(timeout=k.start_timeout_s)
    except ServiceError as exc:
        return None, "the embedded broker could not start: " + str(exc).splitlines()[0]
    return broker.bootstrap_servers, ""


def reset(params, pg_info=None, bootstrap: str | None = None) -> None:
    """Forget what the stream made: the stream schema, data/stream/ and (given a broker) this prefix's topics."""
    from hospsim.stream import files, sink, topics
    if pg_info is not None:
        with closing(pg_info.connect()) as conn:
            sink.drop_schema(conn, params.stream.schema)
    shutil.rmtree(files.stream_dir(params), ignore_errors=True)
    if bootstrap:
        topics.delete(params, bootstrap)


def deliver(params, pg_info, replay_frame=None, *, idle_timeout_s: float = 15.0):
    """One stream session: produce the run's events and process them to their end, through Kafka when usable,
    else in-process with the notice. The notebooks' one call for "stream this run" (a sessions.Session)."""
    from hospsim.stream import consumer, inprocess, producer, sessions
    replay_frame = replay(params) if replay_frame is None else replay_frame
    bootstrap, why = kafka_bootstrap(params)
    session = sessions.start(params, pg_info, len(replay_frame), bootstrap, why)
    if bootstrap is None:
        _log.warning(inprocess.NOTICE.format(reason=why))
        print(inprocess.NOTICE.format(reason=why))
        session.stats = inprocess.run(params, replay_frame, pg_info)
    else:
        session.produced = producer.produce(params, replay_frame, bootstrap)
        session.stats = consumer.run(params, pg_info, bootstrap, max_events=len(replay_frame),
                                     idle_timeout_s=idle_timeout_s)
    return sessions.finish(params, pg_info, session)
