"""SQL files: named queries, identifiers bound by psycopg2.sql, and the one savepoint helper."""
from __future__ import annotations

from contextlib import closing

import psycopg2.errors
import pytest

from hospsim import sqlfiles


@pytest.fixture
def sql_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlfiles.resources, "sql_dir", lambda: tmp_path)
    for cached in (sqlfiles.read, sqlfiles.queries, sqlfiles.render):
        cached.cache_clear()
    yield tmp_path
    for cached in (sqlfiles.read, sqlfiles.queries, sqlfiles.render):
        cached.cache_clear()


def test_named_queries_are_read_by_name_and_the_header_belongs_to_none(sql_dir):
    (sql_dir / "q.sql").write_text("-- header\n\n-- name: one\n-- what it does\nSELECT 1\n\n-- name: two\nSELECT {x}\n")
    assert sqlfiles.queries("q.sql") == {"one": "-- what it does\nSELECT 1", "two": "SELECT {x}"}
    with pytest.raises(KeyError, match="no query named 'three' in sql/q.sql"):
        sqlfiles.query("q.sql", "three")


def test_a_name_used_twice_is_refused(sql_dir):
    (sql_dir / "q.sql").write_text("-- name: one\nSELECT 1\n-- name: one\nSELECT 2\n")
    with pytest.raises(ValueError, match="'one' is used twice"):
        sqlfiles.queries("q.sql")


def test_render_quotes_names_as_identifiers(sql_dir, pg):
    (sql_dir / "q.sql").write_text("-- name: count\nSELECT count(*) FROM {schema}.{table}\n")
    with closing(pg.connect()) as conn:
        text = sqlfiles.render("q.sql", "count", schema='x"; DROP', table="t").as_string(conn)
    assert text == 'SELECT count(*) FROM "x""; DROP"."t"'


def test_savepoint_rolls_back_on_the_listed_errors_and_releases_otherwise(pg):
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE t (k int PRIMARY KEY)")
        with sqlfiles.savepoint(cur, "kept"):
            cur.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(psycopg2.errors.UniqueViolation), \
                sqlfiles.savepoint(cur, "undone", psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO t VALUES (2)")
            cur.execute("INSERT INTO t VALUES (1)")
        with sqlfiles.savepoint(cur, "asked") as point:
            cur.execute("INSERT INTO t VALUES (3)")
            point.rollback()
        cur.execute("SELECT array_agg(k ORDER BY k) FROM t")     # the transaction is still usable
        assert cur.fetchone()[0] == [1]
        conn.rollback()
