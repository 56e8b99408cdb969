"""The data dictionary: every batch file's columns, every event's fields and every table's columns, described.

Descriptions live in hospsim/dictionary.yaml, by column name (a name means one thing everywhere), with per-place
overrides; an event field's own JSON-schema description wins over the glossary. `apply` writes them into the
database as COMMENT ON (psql's \\d+ and any SQL client show them); `render` writes docs/data-dictionary.md with
an ER diagram of the warehouse drawn from its declared foreign keys.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd
import yaml
from psycopg2 import sql

from hospsim import events, resources, sqlfiles
from hospsim.config import WARD_TYPES, Params

DOCS_FILE = "docs/data-dictionary.md"


@dataclass(frozen=True)
class Schemas:
    """The three schemas' names in this database, by their dictionary key."""
    warehouse: str
    stream: str
    oltp: str

    @classmethod
    def of(cls, params: Params) -> Schemas:
        return cls(params.warehouse.schema, params.stream.schema, params.oltp.schema)

    def items(self) -> list[tuple[str, str]]:
        return [("warehouse", self.warehouse), ("stream", self.stream), ("oltp", self.oltp)]


@functools.cache
def glossary() -> dict:
    """dictionary.yaml, with {ward_types} filled from the ward registry."""
    text = resources.path("dictionary.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text.replace("{ward_types}", ", ".join(WARD_TYPES)))


def describe(column: str, place: str | None = None) -> str | None:
    """What a column means: the place's override (schema.table.column or file.column), else the glossary's."""
    g = glossary()
    if place is not None and (found := g["overrides"].get(f"{place}.{column}")):
        return found
    return g["columns"].get(column)


# --------------------------------------------------------------------------- the three sources

def batch_files(params: Params) -> pd.DataFrame:
    """file, column, type, description of every batch file kind (hospsim.filekinds)."""
    from hospsim import filekinds
    conditions = {c.name for c in params.population.conditions}
    rows = []
    for kind in filekinds.KINDS:
        name = _file_label(kind.kind)
        stem = name.split("_<")[0].removesuffix(".csv")
        for column in kind.expected_columns(params):
            text = (f"true when the person has {column.name} (params population.conditions)"
                    if column.name in conditions else describe(column.name, stem))
            rows.append({"file": name, "column": column.name, "type": column.type, "description": text})
    return pd.DataFrame(rows, columns=["file", "column", "type", "description"])


def _file_label(kind: str) -> str:
    labels = {k.split("_<")[0].removesuffix(".csv"): k for k in glossary()["files"]}
    aliases = {"people": "people_data", "population": "population_with_illnesses", "staff": "staff_data",
               "reserve": "reserve_pool", "visitors": "daily_visitors", "transports": "emergency_transports"}
    return labels[aliases.get(kind, kind)]


def event_fields() -> pd.DataFrame:
    """event, field, type, description of every event type's JSON schema."""
    rows = []
    for event_type in events.EVENT_TYPES:
        for name, spec in events.schema(event_type)["properties"].items():
            rows.append({"event": event_type, "field": name, "type": _json_type(spec),
                         "description": spec.get("description") or describe(name, f"stream.{events.TABLES[event_type]}")})
    return pd.DataFrame(rows, columns=["event", "field", "type", "description"])


def _json_type(spec: dict) -> str:
    if "const" in spec:
        return f"const {spec['const']!r}"
    if "enum" in spec:
        return "one of " + ", ".join(map(str, spec["enum"]))
    kind = spec.get("type", "")
    kind = "|".join(kind) if isinstance(kind, list) else kind
    return f"{kind} ({spec['format']})" if "format" in spec else kind


def table_columns(conn, schemas: Schemas) -> pd.DataFrame:
    """schema (dictionary key), table, column, type, description (the glossary's) of every base table."""
    with conn.cursor() as cur:
        cur.execute(sqlfiles.read("dictionary/columns.sql"), {"schemas": [name for _, name in schemas.items()]})
        found = cur.fetchall()
    key_of = {name: key for key, name in schemas.items()}
    rows = [{"schema": key_of[s], "table": t, "column": c, "type": ty,
             "description": describe(c, f"{key_of[s]}.{t}")} for s, t, c, ty in found]
    return pd.DataFrame(rows, columns=["schema", "table", "column", "type", "description"])


def missing(conn, params: Params) -> list[str]:
    """Every place a column or table has no description: what a test lists when the dictionary falls behind."""
    schemas = Schemas.of(params)
    columns = table_columns(conn, schemas)
    gaps = [f"{r.schema}.{r.table}.{r.column}" for r in columns.itertuples() if not r.description]
    gaps += [f"{r.schema}.{r.table} (table)" for r in columns.drop_duplicates(["schema", "table"]).itertuples()
             if f"{r.schema}.{r.table}" not in glossary()["tables"]]
    gaps += [f"{r.file}: {r.column}" for r in batch_files(params).itertuples() if not r.description]
    gaps += [f"event {r.event}: {r.field}" for r in event_fields().itertuples() if not r.description]
    return gaps


# --------------------------------------------------------------------------- into the database

def apply(conn, params: Params, only: tuple[str, ...] = ("warehouse", "stream", "oltp")) -> int:
    """COMMENT ON every table and column of the schemas that exist (those named in `only`, by dictionary key),
    committed; returns how many comments were written."""
    written = sum(comment(conn, key, name) for key, name in Schemas.of(params).items() if key in only)
    conn.commit()
    return written


def comment(conn, key: str, name: str) -> int:
    """COMMENT ON the tables and columns of schema `name` (dictionary key `key`), in the caller's transaction:
    where a schema is created, its descriptions come with it."""
    columns = table_columns(conn, Schemas(**{k: name if k == key else "" for k in ("warehouse", "stream", "oltp")}))
    columns = columns[columns["schema"] == key]
    tables = glossary()["tables"]
    statements = [sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(sql.Identifier(name), sql.Identifier(table),
                                                                   sql.Literal(tables[f"{key}.{table}"]))
                  for table in columns["table"].unique() if f"{key}.{table}" in tables]
    statements += [sql.SQL("COMMENT ON COLUMN {}.{}.{} IS {}").format(
        sql.Identifier(name), sql.Identifier(r.table), sql.Identifier(r.column), sql.Literal(r.description))
        for r in columns.itertuples() if isinstance(r.description, str) and r.description]
    if statements:
        with conn.cursor() as cur:
            cur.execute(sql.SQL(";\n").join(statements))
    return len(statements)


# --------------------------------------------------------------------------- docs/data-dictionary.md

def foreign_keys(conn, schemas: Schemas) -> pd.DataFrame:
    """child, parent, columns of the warehouse's declared foreign keys (enforced or not)."""
    with conn.cursor() as cur:
        cur.execute(sqlfiles.read("dictionary/foreign_keys.sql"), {"schema": schemas.warehouse})
        return pd.DataFrame(cur.fetchall(), columns=["child", "parent", "columns"])


def render(conn, params: Params) -> str:
    """The dictionary as Markdown: batch files, events, tables per schema, and a Mermaid ER diagram."""
    schemas = Schemas.of(params)
    g = glossary()
    out = ["# Data dictionary", "",
           ("Generated by `hospsim docs` from `hospsim/dictionary.yaml`, the event schemas and the database "
            "catalog; `tests/test_dictionary.py` fails when it falls behind. The same descriptions are in the "
            "database as `COMMENT ON` (psql: `\\d+ warehouse.fact_visit`)."), "",
           "- [Batch files](#batch-files)", "- [Events](#events)",
           *(f"- [Schema `{key}`](#schema-{key})" for key, _ in schemas.items()),
           "- [Warehouse ER diagram](#warehouse-er-diagram)", "", "## Batch files", ""]
    for name, part in batch_files(params).groupby("file", sort=False):
        out += [f"### `{name}`", "", g["files"][name], "", _table(part[["column", "type", "description"]]), ""]
    out += ["## Events", "", ("Each event is one JSON object on the topic `<prefix>.<type>` (hyphenated), keyed by "
                              "its hospital; the schemas are `hospsim/event_schemas/<type>.v1.json`."), ""]
    for name, part in event_fields().groupby("event", sort=False):
        out += [f"### `{name}`", "", events.schema(name).get("description", ""), "",
                _table(part[["field", "type", "description"]]), ""]
    columns = table_columns(conn, schemas)
    for key in dict(schemas.items()):
        out += [f"## Schema `{key}`", ""]
        for table, part in columns[columns["schema"] == key].groupby("table", sort=True):
            out += [f"### `{key}.{table}`", "", g["tables"].get(f"{key}.{table}", ""), "",
                    _table(part[["column", "type", "description"]]), ""]
    out += ["## Warehouse ER diagram", "", "```mermaid", "erDiagram"]
    for fk in foreign_keys(conn, schemas).itertuples():
        out.append(f'    {fk.parent} ||--o{{ {fk.child} : "{fk.columns}"')
    out += ["```", ""]
    return "\n".join(out)


def _table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
