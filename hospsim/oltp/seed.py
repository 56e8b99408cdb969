"""The initial load: the registry's tables generated in memory and COPYed in, in one transaction."""
from __future__ import annotations

import io

import pandas as pd

from hospsim.errors import OltpError
from hospsim.oltp import generate, schema
from hospsim.services.postgres import PgInfo


def csv_buffer(df: pd.DataFrame) -> io.StringIO:
    """COPY's CSV: no header, empty field = NULL, ISO timestamps with their UTC offset."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False, lineterminator="\n")
    buf.seek(0)
    return buf


def seed(params, pg_info: PgInfo | None = None, tables: dict[str, pd.DataFrame] | None = None) -> dict[str, int]:
    """Generate (unless given) and load the initial data into empty tables; returns rows loaded per table.

    The schema is created first if missing. Refuses to load into tables that already hold rows: natural keys
    would collide and ids would shift; `hospsim oltp reset` starts over.
    """
    tables = generate.seed_tables(params) if tables is None else tables
    schema.init(params, pg_info)
    conn = schema.connect(params, pg_info)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(schema.query("counts", params))
            filled = {t: n for t, n in cur.fetchall() if n}
            if filled:
                raise OltpError(f"the OLTP schema {params.oltp.schema!r} already holds data "
                                 f"({', '.join(f'{t}: {n}' for t, n in filled.items())}); run `hospsim oltp reset` "
                                 "to drop it and seed again")
            for table in schema.TABLES:
                df = tables[table]
                cur.copy_expert(schema.query("copy_into", params, table=f"{schema.ident(params.oltp.schema)}."
                                             f"{schema.ident(table)}",
                                             columns=", ".join(schema.ident(c) for c in df.columns)),
                                csv_buffer(df))
            cur.execute(schema.query("sync_sequences", params))
    finally:
        conn.close()
    return {t: len(tables[t]) for t in schema.TABLES}


def reset(params, pg_info: PgInfo | None = None) -> dict[str, int]:
    """Drop everything (schema, publication, slots named after oltp.slot), create it again and seed."""
    schema.drop(params, pg_info)
    return seed(params, pg_info)
