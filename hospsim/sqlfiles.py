"""SQL lives in the package's sql/ folder as files (hospsim.resources finds it); this reads and renders them,
and holds the one savepoint helper.

One convention for every domain: a file names its configurable objects as {placeholders} (the schema, a
table), bound by `render` with psycopg2.sql, so a name is always quoted as an identifier and never pasted
in as text. Numbered files (NN_*.sql) are DDL and views; the statements a domain runs live in one file per
domain, sql/<domain>/queries.sql, as `-- name: <query>` sections (`queries`, `query`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from psycopg2 import sql

from hospsim import resources

_NAME = "-- name:"


@cache
def read(name: str) -> str:
    """The text of sql/<name>, e.g. read("warehouse/01_dimensions.sql")."""
    path = resources.sql_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"SQL file {path} is missing; reinstall hospsim (its wheel, or "
                                "pip install -e . in a full checkout)")
    return path.read_text(encoding="utf-8")


def numbered(folder: str, *, include_drop: bool = False) -> list[Path]:
    """sql/<folder>/NN_*.sql in order; 99_* drop scripts only when asked."""
    files = sorted((resources.sql_dir() / folder).glob("[0-9][0-9]_*.sql"))
    return [f for f in files if include_drop or not f.name.startswith("99_")]


@cache
def queries(name: str) -> dict[str, str]:
    """The `-- name: <query>` sections of sql/<name>, by name; lines before the first name are the file's
    header and belong to no query."""
    named: dict[str, list[str]] = {}
    current = None
    for line in read(name).splitlines():
        if line.startswith(_NAME):
            current = line[len(_NAME):].strip()
            if current in named:
                raise ValueError(f"sql/{name}: the query name {current!r} is used twice")
            named[current] = []
        elif current is not None:
            named[current].append(line)
    return {k: "\n".join(lines).strip() for k, lines in named.items()}


def query(name: str, section: str) -> str:
    """One named query of sql/<name>, e.g. query("stream/queries.sql", "counts")."""
    try:
        return queries(name)[section]
    except KeyError:
        raise KeyError(f"no query named {section!r} in sql/{name}") from None


def bind(text: str, /, **names: str | sql.Composable) -> sql.Composed:
    """`text` with its {placeholders} bound: a str is quoted as an identifier, a psycopg2.sql object (a
    column list, a Literal) goes in as it is."""
    return sql.SQL(text).format(**{k: sql.Identifier(v) if isinstance(v, str) else v for k, v in names.items()})


@cache
def render(name: str, section: str | None = None, /, **names: str) -> sql.Composed:
    """sql/<name> (or its query `section`) with {placeholders} bound to quoted identifiers, e.g.
    render("stream/queries.sql", "counts", schema="stream")."""
    return bind(read(name) if section is None else query(name, section), **names)


@contextmanager
def savepoint(cur, name: str, *undo: type[BaseException]) -> Iterator[_Savepoint]:
    """Run the block inside SAVEPOINT `name`: released when the block ends, rolled back to when it raises one
    of `undo` (re-raised, the transaction still usable) or when the block calls `.rollback()` itself."""
    point = _Savepoint(cur, name)
    cur.execute(render("transaction.sql", "savepoint", name=name))
    try:
        yield point
    except undo:
        point.rollback()
        raise
    if point.open:
        cur.execute(render("transaction.sql", "release", name=name))


class _Savepoint:
    __slots__ = ("cur", "name", "open")

    def __init__(self, cur, name: str):
        self.cur, self.name, self.open = cur, name, True

    def rollback(self) -> None:
        """Undo the block's work so far; the savepoint is closed."""
        self.cur.execute(render("transaction.sql", "rollback", name=self.name))
        self.open = False
