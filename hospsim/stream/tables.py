"""The stream tables as the event registry defines them: each event type's columns, its table, index and
staging table (DDL) and the statements that load them, built in one place from its JSON schema (the
templates are sql/stream/queries.sql: event_table, event_index, event_stage, direct, stage, upsert,
conflicts). A field added to an event's JSON schema reaches the table and every statement; only the shared
objects (the schema, dead letters, sessions) are files, sql/stream/NN_*.sql.
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


_SMALLINT = (-2**15, 2**15 - 1)
LAST = ("schema_version", "produced_at")
"""The fields every event has that close its own columns, before the processor's (sql/stream/queries.sql)."""


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
    """This connection's staging table of the event type (sql/stream/queries.sql, event_stage)."""
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


# --------------------------------------------------------------------------- DDL from the JSON schemas

def _kinds(rule: dict) -> set[str]:
    """The JSON types a property allows ("type" is one name or a list)."""
    kinds = rule.get("type", ())
    return {kinds} if isinstance(kinds, str) else set(kinds)


def column_type(rule: dict) -> str:
    """The PostgreSQL type of one schema property: uuid and simulated local times by their pattern,
    date-time as timestamptz, an integer bounded within smallint (or a constant) as smallint, other integers
    bigint, number double precision, everything else text."""
    kinds = _kinds(rule)
    if "const" in rule:
        return "smallint" if isinstance(rule["const"], int) else "text"
    if rule.get("pattern") == events.UUID_PATTERN:
        return "uuid"
    if rule.get("pattern") == events.LOCAL_TIME_PATTERN:
        return "timestamp"
    if rule.get("format") == "date-time":
        return "timestamptz"
    if "integer" in kinds:
        low, high = rule.get("minimum"), rule.get("maximum")
        return "smallint" if low is not None and high is not None and _SMALLINT[0] <= low <= high <= _SMALLINT[1] \
            else "bigint"
    return "double precision" if "number" in kinds else "text"


def _check(name: str, rule: dict) -> sql.Composable:
    """The CHECK a column carries: an enum written in the schema (a registry-valued one, x-hospsim-enum,
    changes with the registry and is left to the schema), or an integer's two bounds."""
    column = sql.Identifier(name)
    if "enum" in rule:
        values = sql.SQL(", ").join(map(sql.Literal, rule["enum"]))
        return sql.SQL(" CHECK ({} IN ({}))").format(column, values)
    if "integer" in _kinds(rule) and "minimum" in rule and "maximum" in rule:
        return sql.SQL(" CHECK ({} BETWEEN {} AND {})").format(column, sql.Literal(rule["minimum"]),
                                                               sql.Literal(rule["maximum"]))
    return sql.SQL("")


def column_definitions(event_type: str) -> sql.Composed:
    """The event's own columns, as the JSON schema declares them: event_id the primary key, a field that may
    be null nullable, schema_version and produced_at last."""
    props = events.raw_schema(event_type)["properties"]
    names = [c for c in event_columns(event_type) if c not in LAST] + list(LAST)
    parts = []
    for name in names:
        rule = props[name]
        constraint = "PRIMARY KEY" if name == "event_id" else "" if "null" in _kinds(rule) else "NOT NULL"
        parts.append(sql.SQL("{} {}{}{}").format(sql.Identifier(name), sql.SQL(column_type(rule)),
                                                 sql.SQL(f" {constraint}" if constraint else ""), _check(name, rule)))
    return sql.SQL(",\n    ").join(parts)


def index_name(event_type: str) -> str:
    """<table>_hospital_time: the table on (its key, event_time)."""
    kind = events.REGISTRY.types[event_type]
    return f"{kind.table}_{kind.key.removesuffix('_id')}_time"


def ddl(schema: str) -> list[sql.Composed]:
    """CREATE TABLE and CREATE INDEX of every event type, in the stream schema `schema`."""
    out = []
    for event_type, table in events.TABLES.items():
        out.append(sqlfiles.bind(sqlfiles.query(QUERIES, "event_table"), schema=schema, table=table,
                                 columns=column_definitions(event_type)))
        out.append(sqlfiles.bind(sqlfiles.query(QUERIES, "event_index"), schema=schema, table=table,
                                 index=index_name(event_type), key=events.REGISTRY.types[event_type].key))
    return out


def stage_ddl(schema: str) -> list[sql.Composed]:
    """This connection's staging table of every event type."""
    return [sqlfiles.bind(sqlfiles.query(QUERIES, "event_stage"), schema=schema, table=table,
                          stage=stage_table(event_type)) for event_type, table in events.TABLES.items()]


def relations() -> list[str]:
    """The names of every event table and index, which a ready stream schema has."""
    return [n for t, table in events.TABLES.items() for n in (table, index_name(t))]


def union(section: str, schema: str) -> sql.Composed:
    """Query `section` of sql/stream/queries.sql ({schema}.{table}, {name} the table as text) for every event
    table, joined by UNION ALL: what the per-table figures (counts, throughput) read."""
    return sql.SQL("\nUNION ALL ").join(
        sqlfiles.bind(sqlfiles.query(QUERIES, section), schema=schema, table=table, name=sql.Literal(table))
        for table in events.TABLES.values())
