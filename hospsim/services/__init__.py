"""Services hospsim talks to: PostgreSQL, Kafka and Kafka Connect, each embedded (started from this project)
or external (named by PG_*/PG_URL, KAFKA_BOOTSTRAP_SERVERS, CONNECT_URL and only checked)."""
from __future__ import annotations

import time

from hospsim.errors import ServiceError
from hospsim.services import kafka as _kafka
from hospsim.services.postgres import PgInfo, embedded_from_params, ensure_postgres, info_from_params

NAMES = ("postgres", "kafka", "connect")

__all__ = ["NAMES", "PgInfo", "ServiceError", "bootstrap_servers", "connect_url", "down", "ensure_kafka",
           "ensure_postgres", "fetch", "info_from_params", "status", "up"]


def bootstrap_servers(params) -> str:
    return params.kafka.bootstrap_servers or f"{_kafka.HOST}:{params.kafka.broker_port}"


def connect_url(params) -> str:
    return params.kafka.connect_url or f"http://{_kafka.HOST}:{params.kafka.connect_port}"


def fetch(params, quiet: bool = True):
    """The Kafka/Debezium jars, fetched by Maven with the pinned pom (a no-op when they are current)."""
    return _kafka.fetch_jars(_kafka.jar_dir_for(params.dirs.state_dir), quiet=quiet)


def ensure_kafka(params) -> str:
    """The configured broker's bootstrap servers, starting the embedded one if needed."""
    if params.kafka.bootstrap_servers:
        return params.kafka.bootstrap_servers
    fetch(params)
    _kafka.broker_from_params(params).start(timeout=params.kafka.start_timeout_s)
    return bootstrap_servers(params)


def ensure_connect(params) -> str:
    """The Kafka Connect REST URL, starting the embedded worker (and broker) if needed."""
    if params.kafka.connect_url:
        return params.kafka.connect_url
    ensure_kafka(params)
    _kafka.connect_from_params(params).start(timeout=params.kafka.start_timeout_s)
    return connect_url(params)


def up(params, which=NAMES) -> list[dict]:
    """Start what is selected (reusing running services); rows say where each one is and how long it took."""
    rows = []
    for name, start in (("postgres", _up_postgres), ("kafka", ensure_kafka), ("connect", ensure_connect)):
        if name in which:
            began = time.monotonic()
            address = start(params)
            rows.append({"service": name, "running": True, "kind": _kind(params, name), "address": address,
                         "seconds": round(time.monotonic() - began, 1)})
    return rows


def _up_postgres(params) -> str:
    info = ensure_postgres(params)
    return f"{info.host}:{info.port}/{info.database}"


def _kind(params, name: str) -> str:
    external = {"postgres": not params.postgres.embedded, "kafka": bool(params.kafka.bootstrap_servers),
                "connect": bool(params.kafka.connect_url)}[name]
    return "external" if external else "embedded"


def down(params, which=NAMES) -> list[dict]:
    """Stop the embedded services that are selected, Connect first; external ones are left alone."""
    rows = []
    if "connect" in which and not params.kafka.connect_url:
        worker = _kafka.connect_from_params(params)
        worker.stop()
        rows.append(worker.status())
    if "kafka" in which and not params.kafka.bootstrap_servers:
        broker = _kafka.broker_from_params(params)
        broker.stop()
        rows.append(broker.status())
    if "postgres" in which and params.postgres.embedded:
        server = embedded_from_params(params)
        server.stop()
        rows.append(server.status())
    return rows


def status(params, which=NAMES) -> list[dict]:
    rows = []
    if "postgres" in which:
        if params.postgres.embedded:
            rows.append(embedded_from_params(params).status())
        else:
            info = info_from_params(params.postgres)
            rows.append({"service": "postgres", "kind": "external", "running": _reachable(info),
                         "address": f"{info.host}:{info.port}"})
    if "kafka" in which:
        if params.kafka.bootstrap_servers:
            rows.append({"service": "kafka", "kind": "external", "running": _broker_answers(params),
                         "address": params.kafka.bootstrap_servers})
        else:
            rows.append(_kafka.broker_from_params(params).status())
    if "connect" in which:
        if params.kafka.connect_url:
            rows.append({"service": "connect", "kind": "external", "address": params.kafka.connect_url,
                         "running": _connect_answers(params.kafka.connect_url)})
        else:
            rows.append(_kafka.connect_from_params(params).status())
    return rows


def _reachable(info: PgInfo) -> bool:
    import psycopg2
    try:
        info.connect(connect_timeout=3).close()
        return True
    except psycopg2.Error:
        return False


def _broker_answers(params) -> bool:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError
    try:
        KafkaAdminClient(bootstrap_servers=params.kafka.bootstrap_servers, request_timeout_ms=3000).close()
        return True
    except KafkaError:
        return False


def _connect_answers(url: str) -> bool:
    from hospsim.services.connect import ConnectClient
    try:
        ConnectClient(url, timeout=3).plugins()
        return True
    except (ServiceError, OSError):
        return False
