"""Change data capture of the OLTP tables: the Debezium connector's config, and changes/s per table.

Throughput reads a *source* of change counts (see ChangeSource): the Debezium topics themselves
(TopicSource: what really reached Kafka), or a logical replication slot of its own (SlotSource: pgoutput,
the plugin Debezium uses, filtered by the same publication, decoded and counted inside PostgreSQL) when no
Kafka is around. Both stamp a change with its transaction's commit time, so they bucket it alike.
"""
from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

import numpy as np
import pandas as pd
import psycopg2

from hospsim import sinks
from hospsim.errors import OltpError, ServiceError
from hospsim.oltp import schema
from hospsim.services.postgres import PgInfo, ensure_postgres, info_from_params

COLUMNS = ["time_bucket", "table", "op", "count"]
DEBEZIUM_OPS = {"c": "INSERT", "u": "UPDATE", "d": "DELETE", "r": "READ", "t": "TRUNCATE"}
"""Debezium's op letters in ChangeSource's words; READ is a row of the connector's initial snapshot."""
CLOCKS = ("commit", "kafka")
BUCKET_ORIGIN_MS = 946_684_800_000
"""2000-01-01 UTC, the origin of the slot's date_bin: buckets of both sources start at the same instants."""


# --------------------------------------------------------------------------------------------- connector


def connector_config(params, pg_info: PgInfo | None = None) -> dict:
    """The Debezium PostgreSQL connector for the OLTP tables (hospsim.oltp.tables): {"name": ..., "config": {...}}.

    pgoutput with the project's own publication (autocreate disabled), its slot, JSON without schemas.
    `pg_info` defaults to where params say the server is (nothing is started); oltp.connector_db_host/port
    replace its address when the Connect worker reaches the database by another name (a container's).
    """
    info = pg_info or info_from_params(params.postgres)
    o = params.oltp
    return {"name": o.connector_name, "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "tasks.max": "1",
        "plugin.name": "pgoutput",
        "publication.name": o.publication,
        "publication.autocreate.mode": "disabled",
        "slot.name": o.slot,
        "database.hostname": o.connector_db_host or info.host,
        "database.port": str(o.connector_db_port or info.port),
        "database.user": info.user,
        "database.password": info.password,
        "database.dbname": info.database,
        "topic.prefix": o.topic_prefix,
        "schema.include.list": o.schema,
        "table.include.list": ",".join(f"{o.schema}.{t}" for t in schema.TABLES),
        "snapshot.mode": o.snapshot_mode,
        "tombstones.on.delete": "false",
        "decimal.handling.mode": "string",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    }}


def write_connector(connector: dict, target: str | Path) -> Path:
    """The connector as JSON (the body of POST /connectors), written atomically."""
    return sinks.write_text(json.dumps(connector, indent=2) + "\n", Path(target))


def register(connect_url: str, connector: dict, timeout_s: float = 30.0) -> dict:
    """Create or update the connector on a Kafka Connect worker (PUT /connectors/<name>/config)."""
    url = f"{connect_url.rstrip('/')}/connectors/{connector['name']}/config"
    request = urllib.request.Request(url, data=json.dumps(connector["config"]).encode(), method="PUT",
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()
        raise ServiceError(f"Kafka Connect at {connect_url} refused connector {connector['name']!r} "
                           f"(HTTP {exc.code}): {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceError(f"Kafka Connect at {connect_url} is not reachable ({getattr(exc, 'reason', exc)}); "
                           "start it (hospsim services up) or pass the worker's REST URL") from None


# --------------------------------------------------------------------------------------------- throughput


class ChangeSource(Protocol):
    """Anything that can count row changes per time bucket, table and operation."""

    def change_counts(self, bucket_seconds: float) -> pd.DataFrame:
        """Columns time_bucket (UTC), table (unqualified), op (INSERT/UPDATE/DELETE; topics add READ), count."""


@dataclass
class SlotSource:
    """Changes decoded from a logical replication slot (pgoutput, filtered by the publication).

    consume=False peeks (the slot keeps the changes: the next call sees them again); consume=True reads
    them off, so successive calls report successive windows and the slot holds no WAL back.
    """
    info: PgInfo
    slot: str
    publication: str
    consume: bool = False

    def exists(self) -> bool:
        return bool(self._one("slot_exists"))

    def create(self) -> bool:
        """Create the slot if missing (changes are counted from this moment); True when it was created."""
        if self.exists():
            return False
        self._one("create_slot")
        return True

    def drop(self) -> None:
        self._one("drop_slot")

    def change_counts(self, bucket_seconds: float) -> pd.DataFrame:
        if not self.exists():
            raise OltpError(f"replication slot {self.slot!r} does not exist; create it first "
                             "(SlotSource.create(), or `hospsim cdc throughput --create`) and let some changes happen")
        read = "pg_logical_slot_get_binary_changes" if self.consume else "pg_logical_slot_peek_binary_changes"
        rows = self._rows("slot_change_counts", read_changes=read, bucket_seconds=float(bucket_seconds))
        return pd.DataFrame(rows, columns=COLUMNS)

    def _rows(self, name: str, read_changes: str = "", **args) -> list[tuple]:
        sql = schema.query(name, read_changes=read_changes)
        conn = self.info.connect(application_name="hospsim-cdc")
        try:
            conn.autocommit = True  # slot functions refuse transactions that already wrote
            with conn.cursor() as cur:
                cur.execute(sql, {"slot": self.slot, "publication": self.publication, **args})
                return cur.fetchall() if cur.description else []
        except psycopg2.errors.ObjectInUse as exc:
            raise ServiceError(f"replication slot {self.slot!r} is in use by another reader ({exc.pgerror.strip()}); "
                               "give the throughput its own slot") from None
        finally:
            conn.close()

    def _one(self, name: str):
        rows = self._rows(name)
        return rows[0][0] if rows else None


def slot_source(params, pg_info: PgInfo | None = None, *, slot: str | None = None, consume: bool = False) -> SlotSource:
    """The throughput slot: <oltp.slot>_throughput by default, so it never steals Debezium's slot."""
    info = pg_info or ensure_postgres(params)
    return SlotSource(info, slot or f"{params.oltp.slot}_throughput", params.oltp.publication, consume)


@dataclass
class TopicSource:
    """Changes read back from the Debezium topics (JSON values, with or without embedded schemas).

    Every call reads the topics from the beginning (or from `since`) up to their end at that moment, with no
    consumer group and nothing committed, so it never disturbs other readers and can be repeated. A change is
    stamped with `source.ts_ms`, its transaction's commit time in PostgreSQL (clock="commit"): the clock of
    SlotSource, so both sources put a change in the same bucket and a slow connector does not smear the
    stream's rate. clock="kafka" uses the record timestamp instead (when Connect produced it): Debezium's own
    pace, lag included. `topics` maps table -> topic; a topic that does not exist yet holds no changes.
    `since` seeks by record timestamp, which is never before the commit (clocks of one host assumed).
    """
    bootstrap: str
    topics: dict[str, str]
    since: dt.datetime | None = None
    clock: str = "commit"
    timeout_s: float = 30.0
    connect_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        if self.clock not in CLOCKS:
            raise ValueError(f"clock = {self.clock!r}: use one of {', '.join(CLOCKS)}")
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError(f"since = {self.since}: give a timezone-aware time (e.g. with tzinfo=datetime.UTC)")

    def existing(self) -> list[str]:
        """The topics of `topics` that the broker has (Debezium creates them with the first change)."""
        with _TopicReader(self, images=False) as reader:
            return sorted(reader.existing())

    def events(self, images: bool = False) -> pd.DataFrame:
        """One row per change: table, op (Debezium's c/u/d/r/t), committed_at, produced_at, partition,
        offset; with images=True also before and after (dicts, None where Debezium sends null) and change,
        the whole envelope (op, before, after, source with its lsn, ts_ms)."""
        with _TopicReader(self, images) as reader:
            reader.drain(time.monotonic() + self.timeout_s)
            return reader.frame()

    def wait_for(self, expected: dict[str, dict[str, int]], timeout_s: float = 60.0,
                 images: bool = True) -> pd.DataFrame:
        """Read until the topics hold at least `expected` changes ({table: {"INSERT": n, "UPDATE": m, ...}},
        the shape of StreamReport.counts); returns events(images). TimeoutError names what is missing."""
        wanted = {(t, op): n for t, ops in expected.items() for op, n in ops.items() if n}
        unknown = {t for t, _ in wanted} - set(self.topics)
        if unknown:
            raise OltpError(f"no topic for table(s) {sorted(unknown)}; this source reads {sorted(self.topics)}")
        deadline = time.monotonic() + timeout_s
        with _TopicReader(self, images) as reader:
            while True:
                reader.drain(deadline)
                have = reader.counted
                missing = {k: n - have.get(k, 0) for k, n in wanted.items() if have.get(k, 0) < n}
                if not missing:
                    return reader.frame()
                if time.monotonic() > deadline:
                    detail = ", ".join(f"{t} {op} {n}" for (t, op), n in sorted(missing.items()))
                    raise TimeoutError(
                        f"after {timeout_s:.0f} s the Debezium topics on {self.bootstrap} still lack {detail} "
                        f"change(s) of {sum(wanted.values())} expected; is the connector RUNNING (GET "
                        "/connectors/<name>/status) and its slot active (pg_replication_slots)?")
                time.sleep(0.2)

    def change_counts(self, bucket_seconds: float) -> pd.DataFrame:
        df = self.events()
        stamp = df["committed_at" if self.clock == "commit" else "produced_at"]
        ms = stamp.to_numpy(dtype="datetime64[ms]").astype(np.int64)
        width = float(bucket_seconds) * 1000.0
        start = BUCKET_ORIGIN_MS + np.floor((ms - BUCKET_ORIGIN_MS) / width) * width
        counted = (df.assign(time_bucket=pd.to_datetime(start, unit="ms", utc=True), op=df["op"].map(DEBEZIUM_OPS))
                   .dropna(subset=["op"])
                   .groupby(["time_bucket", "table", "op"], as_index=False).size()
                   .rename(columns={"size": "count"}))
        return counted[COLUMNS]


class _TopicReader:
    """One KafkaConsumer on the source's topics (manual assignment), reading each partition up to its end."""

    def __init__(self, source: TopicSource, images: bool) -> None:
        from kafka import KafkaConsumer
        from kafka.errors import KafkaError

        from hospsim.services.kafka import bootstrap_timeout

        self.source = source
        self.images = images
        self.table_of = {topic: table for table, topic in source.topics.items()}
        try:
            self.consumer = KafkaConsumer(
                bootstrap_servers=source.bootstrap, group_id=None, enable_auto_commit=False,
                auto_offset_reset="earliest", client_id="hospsim-cdc-topics", max_poll_records=5000,
                request_timeout_ms=15000, **bootstrap_timeout(KafkaConsumer, int(source.connect_timeout_s * 1000)))
        except KafkaError as exc:
            raise ServiceError(f"Kafka at {source.bootstrap} is not reachable ({exc}); start it (hospsim services "
                               "up kafka) or set kafka.bootstrap_servers") from None
        self.assigned: list = []
        self.rows: list[tuple] = []
        self.counted: dict[tuple[str, str], int] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.consumer.close()

    def existing(self) -> set[str]:
        return set(self.consumer.topics()) & set(self.table_of)

    def _assign_new(self) -> None:
        """Topics appear while Debezium runs: new partitions join, known ones keep their positions."""
        from kafka import TopicPartition
        known = {tp.topic for tp in self.assigned}
        new = [TopicPartition(topic, p) for topic in sorted(self.existing() - known)
               for p in sorted(self.consumer.partitions_for_topic(topic) or ())]
        if not new:
            return
        self.consumer.assign([*self.assigned, *new])
        if self.source.since is None:
            starts = self.consumer.beginning_offsets(new)
        else:
            ms = int(self.source.since.timestamp() * 1000)
            found = self.consumer.offsets_for_times({tp: ms for tp in new})
            ends = self.consumer.end_offsets(new)
            starts = {tp: found[tp].offset if found.get(tp) else ends[tp] for tp in new}
        for tp in new:
            self.consumer.seek(tp, starts[tp])
        self.assigned.extend(new)

    def drain(self, deadline: float) -> None:
        """Read every assigned partition up to the end offsets of this moment."""
        self._assign_new()
        if not self.assigned:
            return
        ends = self.consumer.end_offsets(self.assigned)
        pending = {tp for tp in self.assigned if self.consumer.position(tp) < ends[tp]}
        while pending:
            for tp, records in self.consumer.poll(timeout_ms=500).items():
                self._parse(tp, records)
            pending = {tp for tp in pending if self.consumer.position(tp) < ends[tp]}
            if pending and time.monotonic() > deadline:
                left = sum(ends[tp] - self.consumer.position(tp) for tp in pending)
                raise TimeoutError(f"reading the Debezium topics on {self.source.bootstrap} timed out with {left} "
                                   f"records left in {sorted({tp.topic for tp in pending})}")

    def _parse(self, tp, records) -> None:
        """One json.loads per poll batch; tombstones (null values) are skipped."""
        records = [r for r in records if r.value is not None]
        if not records:
            return
        try:
            values = json.loads(b"[" + b",".join(r.value for r in records) + b"]")
        except ValueError:
            raise OltpError(f"topic {tp.topic} holds values that are not JSON (offsets {records[0].offset}-"
                             f"{records[-1].offset}); the connector must use org.apache.kafka.connect.json."
                             "JsonConverter") from None
        table = self.table_of[tp.topic]
        since_ms = None if self.source.since is None else self.source.since.timestamp() * 1000
        for record, value in zip(records, values):
            try:
                change = value["payload"] if "payload" in value and "op" not in value else value
                op, committed = change["op"], change["source"]["ts_ms"]
            except (KeyError, TypeError):
                raise OltpError(f"topic {tp.topic} offset {record.offset} is not a Debezium change event (no op "
                                 "or source.ts_ms); the connector must not unwrap the envelope "
                                 "(ExtractNewRecordState)") from None
            if since_ms is not None and (committed if self.source.clock == "commit" else record.timestamp) < since_ms:
                continue
            images = (change.get("before"), change.get("after"), change) if self.images else (None, None, None)
            self.rows.append((table, op, committed, record.timestamp, tp.partition, record.offset, *images))
            key = (table, DEBEZIUM_OPS.get(op, op))
            self.counted[key] = self.counted.get(key, 0) + 1

    def frame(self) -> pd.DataFrame:
        columns = ["table", "op", "committed_at", "produced_at", "partition", "offset", "before", "after", "change"]
        df = pd.DataFrame(self.rows, columns=columns)
        for col in ("committed_at", "produced_at"):
            df[col] = pd.to_datetime(df[col].astype("int64"), unit="ms", utc=True)
        df = df.astype({"partition": "int64", "offset": "int64"})
        return df if self.images else df.drop(columns=["before", "after", "change"])


def topic_source(params, bootstrap: str | None = None, *, since: dt.datetime | None = None,
                 clock: str = "commit") -> TopicSource:
    """The Debezium topics of the OLTP tables, <oltp.topic_prefix>.<oltp.schema>.<table>, on `bootstrap`
    (default: kafka.bootstrap_servers, else the embedded broker's address; nothing is started)."""
    from hospsim.services import bootstrap_servers
    o = params.oltp
    return TopicSource(bootstrap or bootstrap_servers(params),
                       {t: f"{o.topic_prefix}.{o.schema}.{t}" for t in schema.TABLES}, since, clock)


def delete_topics(params, bootstrap: str) -> list[str]:
    """Delete the Debezium topics of the OLTP tables (hospsim reset): a new world's changes start on empty
    topics. Returns the topics that were there."""
    from hospsim.stream.topics import admin
    wanted = list(topic_source(params, bootstrap).topics.values())
    client = admin(bootstrap)
    try:
        present = [t for t in wanted if t in set(client.list_topics())]
        if present:
            client.delete_topics(present)
        return present
    finally:
        client.close()


def wait_slot_active(info: PgInfo, slot: str, timeout_s: float = 60.0) -> None:
    """Wait until a connector streams from its slot: changes committed before that would reach Kafka only
    as snapshot reads (or not at all with snapshot.mode no_data)."""
    deadline = time.monotonic() + timeout_s
    while True:
        conn = info.connect(application_name="hospsim-cdc")
        try:
            with conn.cursor() as cur:
                cur.execute(schema.query("slot_active"), {"slot": slot})
                row = cur.fetchone()
        finally:
            conn.close()
        if row and row[0]:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"replication slot {slot!r} is not active after {timeout_s:.0f} s: is the connector "
                               "RUNNING (GET /connectors/<name>/status)?")
        time.sleep(0.2)


def change_source(params, pg_info: PgInfo | None = None, *, prefer: str = "auto", slot: str | None = None,
                  consume: bool = False, since: dt.datetime | None = None,
                  clock: str = "commit") -> tuple[ChangeSource, str]:
    """The source `hospsim cdc throughput` reads, and a line saying which: the Debezium topics when a broker is
    configured or the embedded one answers, and this prefix's topics exist (topic_source(params, since=since,
    clock=clock)); else the throughput slot (slot_source(params, pg_info, slot=slot, consume=consume)).
    prefer="topics" or "slot" forces one."""
    if prefer not in ("auto", "topics", "slot"):
        raise ValueError(f"prefer = {prefer!r}: use auto, topics or slot")
    if prefer != "slot":
        from hospsim import services
        configured = bool(params.kafka.bootstrap_servers)
        if prefer == "topics" or configured or services.status(params, ("kafka",))[0]["running"]:
            source = topic_source(params, since=since, clock=clock)
            pattern = f"{params.oltp.topic_prefix}.{params.oltp.schema}.*"
            if prefer == "topics" or source.existing():
                return source, f"Debezium topics {pattern} on {source.bootstrap}"
            why = (f"Kafka at {source.bootstrap} has no topics {pattern} "
                   "yet; register the connector with `hospsim cdc connector --register`")
        else:
            why = "no Kafka configured or running"
    else:
        why = "asked for"
    source = slot_source(params, pg_info, slot=slot, consume=consume)
    return source, f"replication slot {source.slot} ({why})"


def throughput(source: ChangeSource, bucket_seconds: float = 1.0) -> pd.DataFrame:
    """Changes per time bucket, table and op, with per_second = count / bucket_seconds, oldest first."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds = {bucket_seconds}: must be > 0")
    df = source.change_counts(bucket_seconds).copy()
    df["time_bucket"] = pd.to_datetime(df["time_bucket"], utc=True)
    df["count"] = df["count"].astype("int64")
    df["per_second"] = df["count"] / float(bucket_seconds)
    return df.sort_values(["time_bucket", "table", "op"], ignore_index=True)[[*COLUMNS, "per_second"]]
