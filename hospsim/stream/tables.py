"""The stream tables as the event registry defines them: each event type's columns, and the statements that
load them, built in one place from those columns (the templates are sql/stream/queries.sql: direct, stage,
upsert, conflicts). A field added to an event's JSON schema reaches every statement; only the DDL
(sql/stream/01_schema.sql) names the columns again, and tests/stream/test_tables.py holds it to the registry.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from psycopg2 import sql

from hospsim import events, sqlfiles

QUERIES = "stream/queries.sql"
ORIGIN = ("kafka_topic", "kafka_partition", "kafka_offset")
"""Where a row came from: the processor adds these to the event's own fields."""
WALL_CLOCK = ("produced_at", "processed_at")
"""Stamped at send and at commit: two deliveries of one event differ here and nowhere else."""


def table_columns(event_type: str) -> list[str]:
    """Columns the processor loads, in the order of its CSV: the event's fields (event_type is the table),
    then where the row came from."""
    return [f for f in events.fields(event_type) if f != "event_type"] + list(ORIGIN)


def event_columns(event_type: str) -> list[str]:
    """The columns that come from the event itself (the CSV takes them from the decoded event)."""
    return [c for c in table_columns(event_type) if c not in ORIGIN]


def content_columns(event_type: str) -> list[str]:
    """What makes two rows with one event id the same event: all but the id, the origin and the wall clock."""
    return [c for c in event_columns(event_type) if c != "event_id" and c not in WALL_CLOCK]


def stage_table(event_type: str) -> str:
    """This connection's staging table of the event type (sql/stream/stage.sql)."""
    return f"stage_{events.TABLES[event_type]}"


@dataclass(frozen=True)
class Statements:
    """The four statements that load one event type, identifiers bound."""
    direct: sql.Composed        # COPY straight into the table
    stage: sql.Composed         # COPY into the staging table
    upsert: sql.Composed        # staging table -> table, ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    conflicts: sql.Composed     # where the skipped ids were stored from, and whether their content differs


@cache
def statements(event_type: str, schema: str) -> Statements:
    """The statements of one event type in the stream schema `schema`."""
    names = {"schema": schema, "table": events.TABLES[event_type], "stage": stage_table(event_type),
             "columns": _list(table_columns(event_type))}
    content = content_columns(event_type)
    compare = {"stored": _list(content, "t"), "staged": _list(content, "s")}
    return Statements(*(sqlfiles.bind(sqlfiles.query(QUERIES, name), **names) for name in ("direct", "stage",
                                                                                            "upsert")),
                      sqlfiles.bind(sqlfiles.query(QUERIES, "conflicts"), **names, **compare))


def _list(columns: list[str], alias: str | None = None) -> sql.Composed:
    """a, b, c (or t.a, t.b, t.c) as quoted identifiers."""
    return sql.SQL(", ").join(sql.Identifier(*((alias, c) if alias else (c,))) for c in columns)
