"""The warehouse on Citus (distributed PostgreSQL): the facts distributed by hospital and co-located, every
other table a reference table. The statements are rendered from the catalog of the warehouse that the plain
DDL (sql/warehouse/NN_*.sql) made, so a table added there is placed here without another list to keep.
"""
from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from hospsim import sqlfiles
from hospsim.config import Params
from hospsim.errors import WarehouseError
from hospsim.warehouse import schema as plain

FILE = "warehouse/citus.sql"
FACT_PREFIX = "fact_"
"""The warehouse's naming convention: facts grow with the days and are distributed; the rest is small."""


@dataclass(frozen=True)
class Placement:
    table: str
    key_name: str | None
    key_columns: tuple[str, ...]
    column: str | None              # the distribution column; None for a reference table

    @property
    def distributed(self) -> bool:
        return self.column is not None

    @property
    def new_key(self) -> tuple[str, ...]:
        """The primary key on Citus: the distribution column first, then the table's own key."""
        if not self.distributed or self.column in self.key_columns:
            return self.key_columns
        return (self.column, *self.key_columns)


def placements(conn, schema: str) -> list[Placement]:
    """Where each table of the (plain) warehouse schema goes on Citus."""
    with conn.cursor() as cur:
        cur.execute(sqlfiles.query(FILE, "tables"), {"schema": schema})
        rows = cur.fetchall()
    if not rows:
        raise WarehouseError(f"no warehouse schema {schema}; run `hospsim warehouse init` first")
    out = []
    for table, key_name, key_columns, hospital in rows:
        fact = table.startswith(FACT_PREFIX)
        if fact and (hospital is None or key_name is None):
            raise WarehouseError(f"fact table {schema}.{table} has no hospital column or no primary key: Citus "
                                 "distributes facts by hospital; add hospital_id to it in sql/warehouse")
        out.append(Placement(table, key_name, tuple(key_columns or ()), hospital if fact else None))
    return out


def statements(conn, placed: list[Placement], schema: str) -> list[sql.Composed]:
    """Reference tables first (a distributed table's foreign keys point at them), then the facts, rekeyed and
    co-located with the first one."""
    q = sqlfiles.queries(FILE)

    def name(table: str) -> sql.Literal:
        return sql.Literal(sql.Identifier(schema, table).as_string(conn))

    out = [sql.SQL(q["header"])]
    out += [sqlfiles.bind(q["reference"], name=name(p.table)) for p in placed if not p.distributed]
    facts = [p for p in placed if p.distributed]
    for p in facts:
        if p.new_key != p.key_columns:
            out.append(sqlfiles.bind(q["rekey"], schema=schema, table=p.table, key=p.key_name,
                                     columns=sql.SQL(", ").join(map(sql.Identifier, p.new_key))))
    for i, p in enumerate(facts):
        out.append(sqlfiles.bind(q["distribute"], name=name(p.table), column=sql.Literal(p.column),
                                 colocate=sql.Literal("default") if i == 0 else name(facts[0].table)))
    return out


def script(conn, params: Params) -> str:
    """The whole Citus DDL as one SQL text: the plain schema, then where each table goes."""
    schema = params.warehouse.schema
    plain_ddl = [plain.text(conn, path.name, schema) for path in sqlfiles.numbered(plain.FOLDER)]
    placed = [s.as_string(conn) for s in statements(conn, placements(conn, schema), schema)]
    return "\n\n".join(["BEGIN;", *plain_ddl, *placed, "COMMIT;"]) + "\n"


def apply(conn, params: Params, workers: list[tuple[str, int]]) -> list[Placement]:
    """On a Citus coordinator: add the workers, make the plain schema, then distribute it (one transaction
    for the tables)."""
    with conn.cursor() as cur:
        cur.execute(sqlfiles.query(FILE, "header"))
        for host, port in workers:
            cur.execute(sqlfiles.query(FILE, "add_worker"), {"host": host, "port": port})
    conn.commit()
    plain.init(conn, params)
    placed = placements(conn, params.warehouse.schema)
    with conn.cursor() as cur:
        for statement in statements(conn, placed, params.warehouse.schema)[1:]:
            cur.execute(statement)
    conn.commit()
    return placed
