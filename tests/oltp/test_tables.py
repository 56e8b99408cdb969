"""The registry of OLTP tables against a real PostgreSQL: every list the database keeps equals the registry,
and a table added to the registry reaches each of them."""
from __future__ import annotations

import dataclasses
from contextlib import closing

from hospsim import cdc, config
from hospsim.oltp import generate, schema, tables


def database_lists(params, pg) -> dict:
    """Each list of tables the OLTP schema holds, read from the catalog and from its own functions."""
    s, pub = params.oltp.schema, params.oltp.publication
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_publication_tables WHERE pubname = %s AND schemaname = %s", (pub, s))
        published = {r[0] for r in cur.fetchall()}
        cur.execute("SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r' "
                    "AND relreplident = 'f'", (s,))
        full = {r[0] for r in cur.fetchall()}
        cur.execute(schema.query("counts", params))
        counted = [r[0] for r in cur.fetchall()]
        cur.execute(schema.query("stream_state", params))
        counters = set(cur.fetchone()[1])
    return {"published": published, "full": full, "counted": counted, "counters": counters}


def test_every_list_in_the_database_is_the_registry(seeded, pg):
    lists = database_lists(seeded, pg)
    assert lists["published"] == set(tables.NAMES), "the stream's bookkeeping is not published"
    assert lists["full"] == set(tables.NAMES)
    assert lists["counted"] == list(tables.NAMES), "table_counts() in the registry's order"
    assert lists["counters"] == set(tables.COUNTERS) and len(tables.COUNTERS) == 2 * len(generate.ENTITIES)


def test_foreign_keys_are_the_registry_s_and_point_back_in_its_order(seeded, pg):
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("""SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
                       WHERE contype = 'f' AND connamespace = %s::regnamespace""", (seeded.oltp.schema,))
        keys = {(child.rsplit(".", 1)[-1], parent.rsplit(".", 1)[-1]) for child, parent in cur.fetchall()}
    assert keys == {(t.name, ref) for t in tables.REGISTRY for ref in t.refers_to}
    assert all(tables.NAMES.index(ref) < tables.NAMES.index(t.name) for t in tables.REGISTRY for ref in t.refers_to)


def test_the_python_lists_are_the_registry(seeded):
    assert schema.TABLES == tables.NAMES and generate.ENTITIES == tables.STREAMED
    assert list(generate.seed_tables(seeded)) == list(tables.NAMES)
    include = cdc.connector_config(seeded)["config"]["table.include.list"].split(",")
    assert include == [f"{seeded.oltp.schema}.{t}" for t in tables.NAMES]
    assert tables.STREAMED == ("pacientes", "consultas", "exames", "internacoes")


def test_sequences_continue_after_the_seed_in_every_table(seeded, pg):
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        for t in tables.NAMES:
            cur.execute(f"SELECT coalesce(max(id), 0) + 1, nextval(pg_get_serial_sequence(%s, 'id')) "
                        f"FROM {seeded.oltp.schema}.{t}", (f"{seeded.oltp.schema}.{t}",))
            expected, got = cur.fetchone()
            assert got == expected, t
        conn.rollback()


def test_a_table_added_to_the_registry_reaches_every_list(fresh, pg, monkeypatch):
    """A new table (its DDL made here, as 01_schema.sql would) joins the publication, REPLICA IDENTITY,
    table_counts(), sync_sequences() and, when streamed, stream_state's counters of a live schema."""
    params = fresh(seed_it=False)
    s = params.oltp.schema
    with closing(pg.connect()) as conn, conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {s}.altas (id BIGSERIAL PRIMARY KEY)")
        cur.execute(f"INSERT INTO {s}.altas (id) VALUES (1), (7)")
    extra = tables.OltpTable("altas", "alta", streamed=True)
    monkeypatch.setattr(tables, "NAMES", (*tables.NAMES, extra.name))
    monkeypatch.setattr(tables, "COUNTERS", (*tables.COUNTERS, *(tables.counter(extra.name, op) for op in tables.OPS)))
    schema.init(params, pg)
    lists = database_lists(params, pg)
    assert "altas" in lists["published"] and "altas" in lists["full"]
    assert lists["counted"] == list(tables.NAMES) and lists["counters"] == set(tables.COUNTERS)
    with closing(pg.connect()) as conn, conn, conn.cursor() as cur:
        cur.execute(schema.query("sync_sequences", params))
        cur.execute(f"INSERT INTO {s}.altas DEFAULT VALUES RETURNING id")
        assert cur.fetchone()[0] == 8
    assert schema.counts(params, pg).set_index("tabela")["linhas"]["altas"] == 3


def test_each_seed_count_sets_its_table_and_has_its_environment_variable(seeded):
    made = generate.seed_tables(seeded)
    names = config.env_names()
    for t in tables.REGISTRY:
        assert len(made[t.name]) == getattr(seeded.oltp.seed, t.seed_key) > 0, t.name
        assert names[t.seed_env] == f"oltp.seed.{t.seed_key}"
    assert sorted(f.name for f in dataclasses.fields(config.OltpMix)) == sorted(tables.STREAMED)


def test_init_again_gives_a_schema_made_before_the_counters_its_counters(fresh, pg):
    params = fresh(seed_it=False)
    with closing(pg.connect()) as conn, conn, conn.cursor() as cur:
        cur.execute(f"ALTER TABLE {params.oltp.schema}.stream_state DROP COLUMN counts")
    schema.init(params, pg)
    assert database_lists(params, pg)["counters"] == set(tables.COUNTERS)
