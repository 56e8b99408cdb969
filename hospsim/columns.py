"""A column of an output file with its PostgreSQL type: the simulation declares its files' columns with these,
and the warehouse's file-kind registry (filekinds.py) loads them by the same declaration."""
from __future__ import annotations

from dataclasses import dataclass

PG_TYPES = ("bigint", "integer", "smallint", "double precision", "text", "date", "timestamp", "boolean")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True       # NOT NULL in staging: an empty cell is rejected with its line number

    def __post_init__(self):
        if self.type not in PG_TYPES:
            raise ValueError(f"column {self.name}: type {self.type!r} is not one of {', '.join(PG_TYPES)}")


def col(name: str, type_: str = "text", required: bool = True) -> Column:
    return Column(name, type_, required)


def opt(name: str, type_: str = "text") -> Column:
    return Column(name, type_, False)


def names(columns: tuple[Column, ...]) -> list[str]:
    return [c.name for c in columns]
