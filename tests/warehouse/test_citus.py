"""The warehouse on Citus (hospsim.warehouse.citus): rendered from the plain schema's catalog, every table
placed once, the facts keyed and distributed by hospital. No Citus runs here: the statements that change
the plain tables run on the real PostgreSQL, the Citus calls are checked as text."""
from __future__ import annotations

import argparse

import pytest
from psycopg2 import sql

from hospsim import sqlfiles
from hospsim.errors import WarehouseError
from hospsim.warehouse import citus, schema
from hospsim.warehouse.commands import host_port


@pytest.fixture
def plain(wh):
    params, conn = wh
    schema.init(conn, params)
    return params, conn


def test_every_table_is_placed_once_and_every_fact_by_its_hospital(plain):
    params, conn = plain
    placed = citus.placements(conn, params.warehouse.schema)
    tables = {t for t in schema.table_counts(conn, params)}
    assert sorted(p.table for p in placed) == sorted(tables)
    facts = {p.table: p for p in placed if p.distributed}
    assert set(facts) == {t for t in tables if t.startswith("fact_")} and len(facts) >= 9
    assert facts["fact_transfer"].column == "origin_hospital_id"
    for p in facts.values():
        assert p.new_key[0] == p.column or p.column in p.key_columns
        assert set(p.key_columns) <= set(p.new_key)
    assert not any(p.distributed for p in placed if p.table.startswith("dim_"))


def test_the_script_is_the_plain_ddl_then_the_placements(plain):
    params, conn = plain
    text = citus.script(conn, params)
    for path in sqlfiles.numbered(schema.FOLDER):
        assert schema.text(conn, path.name, params.warehouse.schema) in text
    name = sql.Identifier(params.warehouse.schema, "fact_visit").as_string(conn)
    assert f"create_distributed_table('{name}', 'hospital_id'" in text
    assert text.index("create_reference_table") < text.index("create_distributed_table")
    assert text.count("create_distributed_table") + text.count("create_reference_table") == len(
        schema.table_counts(conn, params))


def test_the_rekeyed_facts_are_valid_on_postgresql_and_keep_their_rows_unique(plain):
    params, conn = plain
    rekeys = [s for s in citus.statements(conn, citus.placements(conn, params.warehouse.schema),
                                          params.warehouse.schema) if "PRIMARY KEY" in s.as_string(conn)]
    assert rekeys
    with conn.cursor() as cur:
        for statement in rekeys:
            cur.execute(statement)
        cur.execute("SELECT array_agg(a.attname ORDER BY u.n) FROM pg_constraint k "
                    "CROSS JOIN unnest(k.conkey) WITH ORDINALITY u(attnum, n) "
                    "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum "
                    "WHERE k.conrelid = %s::regclass AND k.contype = 'p'",
                    (sql.Identifier(params.warehouse.schema, "fact_visit").as_string(conn),))
        assert cur.fetchone()[0] == ["hospital_id", "visit_id"]
    conn.rollback()


def test_a_fact_without_a_hospital_is_named(plain):
    params, conn = plain
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE TABLE {}.fact_orphan (id int PRIMARY KEY)").format(
            sql.Identifier(params.warehouse.schema)))
    with pytest.raises(WarehouseError, match="fact_orphan.*hospital"):
        citus.placements(conn, params.warehouse.schema)
    conn.rollback()


def test_no_schema_is_named(wh):
    params, conn = wh
    with pytest.raises(WarehouseError, match="warehouse init"):
        citus.placements(conn, params.warehouse.schema)


@pytest.mark.parametrize("text", ["worker", ":5432", "w:0", "w:port", "w:70000"])
def test_a_bad_worker_address_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="HOST:PORT"):
        host_port(text)
    assert host_port("citus-worker-1:5432") == ("citus-worker-1", 5432)
