"""The warehouse schema: apply sql/warehouse/NN_*.sql idempotently, load the params dimensions, drop it all.

Every SQL file names the schema as {schema}; it is rendered as a quoted identifier from params
warehouse.schema, so tests and several labs can keep their warehouses side by side in one database.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import cache

from psycopg2 import sql
from psycopg2.extras import execute_values

from hospsim import dictionary, sqlfiles
from hospsim.config import Params

FOLDER = "warehouse"
CALENDAR_MARGIN_YEARS = 10          # dim_date spans the simulated period and this many years either side


def render(name: str, schema: str, table: str | None = None) -> sql.Composed:
    """sql/warehouse/<name> with {schema} (and {table}, when given) bound to quoted identifiers."""
    return sqlfiles.render(f"{FOLDER}/{name}", schema=schema, **({"table": table} if table is not None else {}))


def text(conn, name: str, schema: str, table: str | None = None) -> str:
    return render(name, schema, table).as_string(conn)


_CONFLICT_CLAUSE = re.compile(r"\s+ON CONFLICT\b.*?(?=;)", re.DOTALL)


@cache
def merge_statements(kind: str, schema: str) -> tuple[sql.Composed, sql.Composed]:
    """sql/warehouse/merge/<kind>.sql as (plain inserts, upserts).

    Merge files are written as upserts. A file whose keys are all new (the usual case) merges faster as plain
    INSERTs (about 1.5x: no speculative insertion), so the ingestor tries that first and runs the upserts only
    when a key exists already (a setup file a growing run rewrote: see Ingestor._changed_content) or repeats
    within the file.
    """
    full = sqlfiles.read(f"{FOLDER}/merge/{kind}.sql")
    return sqlfiles.bind(_CONFLICT_CLAUSE.sub("", full), schema=schema), sqlfiles.bind(full, schema=schema)


def lock_key(schema: str, name: str = "") -> sql.Composed:
    """The advisory-lock key (an int from hashtext) of a schema, or of one thing in it."""
    return sql.SQL("hashtext({})").format(sql.Literal(f"hospsim.warehouse.{schema}.{name}"))


def lock_statement(key: sql.Composed, shared: bool = False) -> sql.Composed:
    """Take a transaction-level advisory lock (released at COMMIT or ROLLBACK, or when the session dies)."""
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    return sql.SQL("SELECT {}({})").format(sql.SQL(fn), key)


def lock_keys(schema: str, file_name: str, kind: str) -> list[tuple[sql.Composed, bool]]:
    """Locks a file's transaction takes, so concurrent loads stay correct.

    One per file name: two ingestors never load the same file at once (the second then finds it in the
    ledger). Admissions take a shared and discharges an exclusive "stays" lock: a discharge updates the
    admission it ends, so it must not run beside the transaction that is inserting that admission.
    """
    keys = [(lock_key(schema, f"file/{file_name}"), False)]
    if kind in ("admissions", "discharges"):
        keys.append((lock_key(schema, "stays"), kind == "admissions"))
    return keys


def init(conn, params: Params) -> None:
    """Create (or complete) the schema and (re)load the dimensions that come from params, in one transaction."""
    schema = params.warehouse.schema
    with conn.cursor() as cur:
        cur.execute(lock_statement(lock_key(schema)))
        for path in sqlfiles.numbered(FOLDER):
            cur.execute(text(conn, path.name, schema))
        load_params_dimensions(cur, conn, params)
    dictionary.comment(conn, "warehouse", schema)     # the descriptions come with the tables
    conn.commit()


def load_params_dimensions(cur, conn, params: Params) -> None:
    """Hospitals, wards, roles, illnesses and dates: what the files refer to but never carry."""
    from hospsim.workforce import ROLES, patients_per_nurse

    schema = params.warehouse.schema
    cur.execute(text(conn, "params/dim_date.sql", schema), calendar_span(params))
    hospitals = params.region.hospitals
    execute_values(cur, text(conn, "params/dim_hospital.sql", schema),
                   [(h.id, h.name, h.city, h.lat, h.lon, h.rural, list(h.specialties)) for h in hospitals])
    ratios = patients_per_nurse(params)
    execute_values(cur, text(conn, "params/dim_ward.sql", schema),
                   [(h.id, w.type, w.beds, ratios.get(w.type)) for h in hospitals for w in h.wards])
    execute_values(cur, text(conn, "params/dim_role.sql", schema), [(r,) for r in ROLES])
    conditions = params.population.conditions
    if conditions:
        execute_values(cur, text(conn, "params/dim_illness.sql", schema),
                       [(c.name, c.visit_risk, c.admit_risk) for c in conditions])


def calendar_span(params: Params) -> dict[str, dt.date]:
    """dim_date's first and last day: whole years around the simulated period (fact dates must fall inside)."""
    start = params.simulation.start_date
    end = start + dt.timedelta(days=params.simulation.days)
    return {"first": dt.date(start.year - CALENDAR_MARGIN_YEARS, 1, 1),
            "last": dt.date(end.year + CALENDAR_MARGIN_YEARS, 12, 31)}


def drop(conn, params: Params) -> None:
    """Drop the whole warehouse schema (tables, views, ledger). Files already in data/processed stay there."""
    with conn.cursor() as cur:
        cur.execute(text(conn, "99_drop_all.sql", params.warehouse.schema))
    conn.commit()


def exists(conn, params: Params) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL",
                    (sql.Identifier(params.warehouse.schema).as_string(conn) + ".ingest_ledger",))
        return cur.fetchone()[0]


def table_counts(conn, params: Params) -> dict[str, int]:
    """Rows in every table of the warehouse schema (the notebooks' and tests' quick look)."""
    schema = params.warehouse.schema
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                    "AND table_type = 'BASE TABLE' ORDER BY table_name", (schema,))
        names = [r[0] for r in cur.fetchall()]
        if not names:
            return {}
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}, count(*) FROM {}.{}").format(sql.Literal(n), sql.Identifier(schema), sql.Identifier(n))
            for n in names)
        cur.execute(query)
        return dict(cur.fetchall())
