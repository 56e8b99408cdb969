"""Change data capture of the OLTP tables: the Debezium connector's config, and changes/s per table.

Throughput reads a *source* of change counts. Today's source is a logical replication slot of its own
(pgoutput, the plugin Debezium uses, filtered by the same publication), decoded and counted inside
PostgreSQL; a Debezium-topics source plugs in by implementing `change_counts` (see ChangeSource).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import psycopg2

from hospsim import sinks
from hospsim.oltp import schema
from hospsim.services.errors import ServiceError
from hospsim.services.postgres import PgInfo, ensure_postgres, info_from_params

COLUMNS = ["time_bucket", "table", "op", "count"]


# --------------------------------------------------------------------------------------------- connector


def connector_config(params, pg_info: PgInfo | None = None) -> dict:
    """The Debezium PostgreSQL connector for the seven tables: {"name": ..., "config": {...}}.

    pgoutput with the project's own publication (autocreate disabled), its slot, JSON without schemas.
    `pg_info` defaults to where params say the server is (nothing is started).
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
        "database.hostname": info.host,
        "database.port": str(info.port),
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
        """Columns time_bucket (UTC), table (unqualified), op (INSERT/UPDATE/DELETE), count."""


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
            raise ValueError(f"replication slot {self.slot!r} does not exist; create it first "
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


def throughput(source: ChangeSource, bucket_seconds: float = 1.0) -> pd.DataFrame:
    """Changes per time bucket, table and op, with per_second = count / bucket_seconds, oldest first."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds = {bucket_seconds}: must be > 0")
    df = source.change_counts(bucket_seconds).copy()
    df["time_bucket"] = pd.to_datetime(df["time_bucket"], utc=True)
    df["count"] = df["count"].astype("int64")
    df["per_second"] = df["count"] / float(bucket_seconds)
    return df.sort_values(["time_bucket", "table", "op"], ignore_index=True)[[*COLUMNS, "per_second"]]
