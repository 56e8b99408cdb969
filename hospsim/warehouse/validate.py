"""Checks a batch file must pass before COPY: not empty, not cut off, a header with exactly the kind's columns.

Types are checked by COPY itself into typed staging columns, references by one anti-join per file
(sql/warehouse/checks/); this module only looks at bytes, so a bad file is refused before any SQL runs.
"""
from __future__ import annotations

import csv
import difflib
from typing import BinaryIO

from hospsim.warehouse.filekinds import Column, FileKind

MAX_HEADER_BYTES = 64 * 1024


class Rejected(Exception):
    """A file that cannot be loaded; the message is the reason written next to it in data/rejected/."""


def header_columns(fh: BinaryIO, size: int, kind: FileKind, expected: tuple[Column, ...]) -> list[str]:
    """The file's column names in file order, once they are exactly the expected set; Rejected otherwise."""
    if size == 0:
        raise Rejected("empty file: no header line. The simulation writes at least the header "
                       f"({', '.join(c.name for c in expected)}); re-run it to rewrite the file")
    fh.seek(-1, 2)
    if fh.read(1) != b"\n":
        raise Rejected("truncated: the last line has no line end, so the file was cut off while being written; "
                       "re-run the simulation for this file")
    fh.seek(0)
    head = fh.readline(MAX_HEADER_BYTES)
    if not head.endswith(b"\n"):
        raise Rejected(f"no header line in the first {MAX_HEADER_BYTES} bytes: not a CSV file of the simulation")
    try:
        line = head.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise Rejected(f"the header is not UTF-8 text ({exc.reason} at byte {exc.start}): "
                       "not a CSV file of the simulation") from None
    names = next(csv.reader([line]), [])
    want = [c.name for c in expected]
    problems = _column_problems(names, want)
    if problems:
        hint = ""
        if len(names) == 1 and any(sep in line for sep in (";", "\t", "|")):
            hint = " The header has one column: the file must be comma-separated."
        raise Rejected(f"columns do not match a {kind.kind} file: {'; '.join(problems)}.{hint} "
                       f"Expected: {', '.join(want)}")
    if fh.tell() == size and not kind.allow_empty:
        raise Rejected(f"no rows: only the header. A {kind.kind} file needs at least one row; "
                       "re-run the simulation for this file")
    fh.seek(0)
    return names


def _column_problems(names: list[str], want: list[str]) -> list[str]:
    problems = []
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        problems.append(f"duplicated {', '.join(map(repr, dups))}")
    missing = [w for w in want if w not in names]
    extra = [n for n in dict.fromkeys(names) if n not in want]
    for name in extra:
        close = difflib.get_close_matches(name, missing, n=1, cutoff=0.6)
        problems.append(f"unexpected {name!r}" + (f" (renamed from {close[0]!r}?)" if close else ""))
    if missing:
        problems.append(f"missing {', '.join(map(repr, missing))}")
    return problems
