"""The stream tables follow the event registry: the DDL is made from each event's JSON schema, and the
statements that load them are built from those columns, in whichever schema params name."""
from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest

from hospsim import events, sqlfiles
from hospsim.stream import inprocess, metrics, sink, tables
from tests.stream.conftest import file_lines


def test_the_ddl_declares_every_registry_column_and_no_other(stream_db):
    with closing(stream_db.connect()) as conn:
        sink.ensure_schema(conn, "stream")
        with conn.cursor() as cur:
            cur.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'stream'")
            declared: dict[str, set[str]] = {}
            for table, column in cur.fetchall():
                declared.setdefault(table, set()).add(column)
    problems = []
    for event_type, table in events.TABLES.items():
        wanted = set(tables.table_columns(event_type)) | {"processed_at"}
        have = declared.get(table, set())
        if wanted - have:
            problems.append(f"stream.{table} lacks {sorted(wanted - have)} (in {event_type}'s schema or the origin)")
        if have - wanted:
            problems.append(f"stream.{table} has {sorted(have - wanted)}, which {event_type}'s schema does not name")
    assert not problems, "sql/stream/01_schema.sql and the event registry differ: " + "; ".join(problems)


CATALOG = Path(__file__).with_name("stream_catalog.json")
"""The stream schema as the hand-written DDL made it (sql/stream/01_schema.sql, 02_indexes.sql, stage.sql
before the DDL was generated): columns, types, defaults, constraints, indexes, staging tables."""


def catalog(conn, schema: str) -> dict:
    """The stream schema's tables and this connection's staging tables as the catalog sees them."""
    mine = "(%(schema)s::regnamespace, pg_my_temp_schema())"
    queries = {
        "columns": "SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default, "
                   "numeric_precision FROM information_schema.columns WHERE table_schema = %(schema)s "
                   "OR table_schema = pg_my_temp_schema()::regnamespace::text ORDER BY 1, 2",
        "constraints": "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) FROM pg_constraint k "
                       f"JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace IN {mine} ORDER BY 1, 2",
        "indexes": "SELECT tablename, indexname, replace(indexdef, %(schema)s || '.', 'SCHEMA.') FROM pg_indexes "
                   "WHERE schemaname = %(schema)s OR schemaname = pg_my_temp_schema()::regnamespace::text "
                   "ORDER BY 1, 2",
        "relations": "SELECT relname, relpersistence, relkind FROM pg_class "
                     f"WHERE relnamespace IN {mine} AND relkind IN ('r', 'i') ORDER BY 1"}
    out = {}
    with conn.cursor() as cur:
        for what, text in queries.items():
            cur.execute(text, {"schema": schema})
            out[what] = [list(row) for row in cur.fetchall()]
    return out


def test_the_generated_ddl_makes_the_tables_the_hand_written_ddl_made(stream_db):
    with closing(stream_db.connect()) as conn:
        sink.ensure_schema(conn, "stream")
        sink.create_stage(conn, "stream")
        have = catalog(conn, "stream")
    want = json.loads(CATALOG.read_text())
    for what in want:
        missing = [r for r in want[what] if r not in have[what]]
        extra = [r for r in have[what] if r not in want[what]]
        assert not missing and not extra, f"{what}: lacks {missing[:5]}, has besides {extra[:5]}"


@pytest.mark.parametrize("rule, expected", [
    ({"type": "integer", "minimum": 1, "maximum": 3}, "smallint"),
    ({"type": "integer", "minimum": 0}, "bigint"),
    ({"type": "integer", "minimum": 0, "maximum": 100_000}, "bigint"),
    ({"const": 1}, "smallint"),
    ({"type": "number", "minimum": 0}, "double precision"),
    ({"type": ["string", "null"], "maxLength": 64}, "text"),
    ({"enum": ["a", "b"]}, "text"),
    ({"type": "string", "format": "date-time"}, "timestamptz"),
    ({"type": "string", "pattern": events.LOCAL_TIME_PATTERN}, "timestamp"),
    ({"type": "string", "pattern": events.UUID_PATTERN}, "uuid"),
])
def test_schema_types_map_to_column_types(rule, expected):
    assert tables.column_type(rule) == expected


def test_statements_name_the_registry_columns_in_the_given_schema(stream_db):
    with closing(stream_db.connect()) as conn:
        for event_type, table in events.TABLES.items():
            columns = ", ".join(f'"{c}"' for c in tables.table_columns(event_type))
            sql = tables.statements(event_type, 'my "lab"')
            direct, stage, upsert = (s.as_string(conn) for s in (sql.direct, sql.stage, sql.upsert))
            assert f'COPY "my ""lab"""."{table}" ({columns}) FROM STDIN' in direct
            assert f'COPY "stage_{table}" ({columns}) FROM STDIN' in stage
            assert f'INSERT INTO "my ""lab"""."{table}" ({columns})\nSELECT {columns} FROM "stage_{table}"' in upsert
            content = tables.content_columns(event_type)
            assert "event_id" not in content and "produced_at" not in content and "kafka_offset" not in content
            assert ", ".join(f'"t"."{c}"' for c in content) in sql.conflicts.as_string(conn)


def test_a_stream_schema_of_its_own_holds_the_rows_and_replays_there(make_params, stream_db, replay):
    """stream.schema binds every statement: rows, replays (staging, upsert, conflicts), counts and reset."""
    params = make_params(None, **{"stream.schema": "lab_b"})
    first = inprocess.run(params, replay, stream_db, limit=300)
    again = inprocess.run(params, replay, stream_db, limit=300)
    assert (first.inserted, again.inserted, again.replayed) == (300, 0, 300)
    assert metrics.counts(stream_db, "lab_b")["events"].sum() == 300 and file_lines(params)
    with closing(stream_db.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname IN ('stream', 'lab_b')")
        assert [r[0] for r in cur.fetchall()] == ["lab_b"]
        sink.drop_schema(conn, "lab_b")
    assert metrics.counts(stream_db, "lab_b").empty


def test_every_stream_query_binds_the_schema():
    unbound = [name for name, text in sqlfiles.queries("stream/queries.sql").items()
               if "stream." in text.lower().replace("hospsim.stream", "")]
    assert not unbound, f"stream queries naming the schema as text: {unbound}"
