"""The OLTP schema: create, drop, count, and the named statements the simulator runs, all from sql/oltp/.

SQL files name the configured objects with tokens ({schema}, {publication}, ...) that are filled in with
quoted identifiers or literals here, so one server can hold several OLTP schemas (tests, workshops).
"""
from __future__ import annotations

import re

import pandas as pd

from hospsim import sqlfiles
from hospsim.errors import OltpError
from hospsim.oltp import tables
from hospsim.services.postgres import PgInfo, ensure_postgres

TABLES = tables.NAMES
"""The tables of the original simulator, in dependency order (hospsim.oltp.tables)."""

DDL_FILES = ("oltp/01_schema.sql", "oltp/02_indexes.sql", "oltp/03_seed-lookups.sql", "oltp/04_cdc.sql",
             "oltp/05_stream.sql")
DROP_FILE = "oltp/99_drop_all.sql"

_TOKEN = re.compile(r"\{(\w+)\}")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def tokens(params, **extra: str) -> dict[str, str]:
    """Token -> SQL text: identifiers quoted ({schema}), names as literals ({schema_name}), and the registry's
    lists as text[] literals ({tables}, {counters}) for the DDL to loop over."""
    o = params.oltp
    return {"schema": _ident(o.schema), "schema_name": _literal(o.schema),
            "publication": _ident(o.publication), "publication_name": _literal(o.publication),
            "slot_prefix_name": _literal(o.slot), "tables": _array(tables.NAMES),
            "counters": _array(tables.COUNTERS), **extra}


def _array(values: tuple[str, ...]) -> str:
    return f"ARRAY[{', '.join(map(_literal, values))}]::text[]"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def render(text: str, values: dict[str, str]) -> str:
    """Fill {token}s; other braces (regexes, array literals) are left alone."""
    def sub(match: re.Match) -> str:
        return values.get(match.group(1), match.group(0))
    return _TOKEN.sub(sub, text)


def query(name: str, params=None, **extra: str) -> str:
    """The named statement from sql/oltp/queries.sql, rendered for params (or only the extra tokens)."""
    text = sqlfiles.query("oltp/queries.sql", name)
    return render(text, tokens(params, **extra) if params is not None else extra)


def ident(name: str) -> str:
    return _ident(name)


def connect(params, pg_info: PgInfo | None = None, **kwargs):
    """A psycopg2 connection to the configured server (the embedded one is started if needed)."""
    info = pg_info or ensure_postgres(params)
    return info.connect(application_name="hospsim-oltp", **kwargs)


def init(params, pg_info: PgInfo | None = None) -> None:
    """Create the schema, tables, indexes, functions and publication (idempotent), in one transaction."""
    from hospsim import dictionary
    values = tokens(params)
    conn = connect(params, pg_info)
    try:
        with conn, conn.cursor() as cur:
            for name in DDL_FILES:
                cur.execute(render(sqlfiles.read(name), values))
        dictionary.apply(conn, params, only=("oltp",))
    finally:
        conn.close()


def drop(params, pg_info: PgInfo | None = None) -> None:
    """Drop the publication, the slots named after params.oltp.slot, and the schema with all its data."""
    conn = connect(params, pg_info)
    try:
        conn.autocommit = True  # replication slots are dropped outside a transaction block
        with conn.cursor() as cur:
            cur.execute(render(sqlfiles.read(DROP_FILE), tokens(params)))
    finally:
        conn.close()


def is_ready(cur, params) -> bool:
    cur.execute(query("schema_ready", params))
    return bool(cur.fetchone()[0])


def counts(params, pg_info: PgInfo | None = None) -> pd.DataFrame:
    """Rows per table: columns tabela, linhas, in the order of TABLES."""
    conn = connect(params, pg_info)
    try:
        with conn, conn.cursor() as cur:
            if not is_ready(cur, params):
                raise OltpError(f"the OLTP schema {params.oltp.schema!r} does not exist yet; "
                                 "run `hospsim oltp init` (or `hospsim oltp seed`) first")
            cur.execute(query("counts", params))
            rows = cur.fetchall()
    finally:
        conn.close()
    return pd.DataFrame(rows, columns=["tabela", "linhas"]).astype({"linhas": "int64"})
