"""Checks a batch file must pass before COPY: text, not empty, not cut off, a header with exactly the kind's columns.

Types are checked by COPY itself into typed staging columns, references by one anti-join per file
(sql/warehouse/checks/); this module only looks at bytes (and a Parquet file's schema), so a bad file is
refused before any SQL runs.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import io
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from hospsim.errors import WarehouseError
from hospsim.filekinds import Column, FileKind

MAX_HEADER_BYTES = 64 * 1024
TEXT_PROBE_BYTES = 64 * 1024        # the head of a file looked at for binary content before anything else
BOM = codecs.BOM_UTF8               # written by some editors and spreadsheet exports; skipped, never loaded


class FileRejected(WarehouseError):
    """A file that cannot be loaded; the message is the reason written next to it in data/rejected/."""


def header_columns(fh: BinaryIO, size: int, kind: FileKind, expected: tuple[Column, ...]) -> tuple[list[str], int]:
    """The file's column names in file order, once they are exactly the expected set, and the offset COPY starts
    reading at (past a UTF-8 BOM); FileRejected otherwise."""
    fh.seek(0)
    start = len(BOM) if fh.read(len(BOM)) == BOM else 0
    if size <= start:
        raise FileRejected("empty file: no header line. The simulation writes at least the header "
                       f"({', '.join(c.name for c in expected)}); re-run it to rewrite the file")
    fh.seek(start)
    text_problem = binary_content(fh.read(TEXT_PROBE_BYTES), start)
    if text_problem:
        raise FileRejected(f"not a CSV text file: {text_problem}. The simulation writes UTF-8 text; "
                       "this is not one of its files (or it was overwritten), re-run the simulation for it")
    fh.seek(-1, 2)
    if fh.read(1) != b"\n":
        raise FileRejected("truncated: the last line has no line end, so the file was cut off while being written; "
                       "re-run the simulation for this file")
    fh.seek(start)
    head = fh.readline(MAX_HEADER_BYTES)
    if not head.endswith(b"\n"):
        raise FileRejected(f"no header line in the first {MAX_HEADER_BYTES} bytes: not a CSV file of the simulation")
    line = head.decode("utf-8").rstrip("\r\n")
    names = next(csv.reader([line]), [])
    hint = ""
    if len(names) == 1 and any(sep in line for sep in (";", "\t", "|")):
        hint = " The header has one column: the file must be comma-separated."
    _check_columns(names, kind, expected, hint)
    if fh.tell() == size and not kind.allow_empty:
        raise FileRejected(f"no rows: only the header. A {kind.kind} file needs at least one row; "
                       "re-run the simulation for this file")
    fh.seek(start)
    return names, start


def parquet_rows(fh: BinaryIO, kind: FileKind, expected: tuple[Column, ...]) -> tuple[list[str], io.BytesIO]:
    """A Parquet file's column names and its rows as CSV text for COPY, once it reads as Parquet with exactly the
    expected columns (and rows, where the kind needs them); FileRejected otherwise. An empty text is NULL, as in
    the CSV files (whose writer cannot tell them apart), so both formats give the warehouse the same rows."""
    fh.seek(0)
    try:
        table = pq.read_table(fh)
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected(f"not a Parquet file of the simulation ({' '.join(str(exc).split())}); re-run the "
                           "simulation for this file") from None
    _check_columns(table.column_names, kind, expected)
    if not table.num_rows and not kind.allow_empty:
        raise FileRejected(f"no rows. A {kind.kind} file needs at least one row; re-run the simulation for this file")
    columns = [pc.if_else(pc.equal(c, ""), pa.scalar(None, c.type), c) if pa.types.is_string(c.type) else c
               for c in table.columns]
    text = io.BytesIO()
    pa_csv.write_csv(pa.Table.from_arrays(columns, names=table.column_names), text,
                     pa_csv.WriteOptions(quoting_header="none"))
    text.seek(0)
    return table.column_names, text


def _check_columns(names: list[str], kind: FileKind, expected: tuple[Column, ...], hint: str = "") -> None:
    want = [c.name for c in expected]
    problems = _column_problems(names, want)
    if problems:
        raise FileRejected(f"columns do not match a {kind.kind} file: {'; '.join(problems)}.{hint} "
                           f"Expected: {', '.join(want)}")


def binary_content(head: bytes, offset: int = 0) -> str:
    """Why these first bytes of a file are not UTF-8 text ('' when they are): a NUL byte or an invalid sequence,
    with its byte offset in the file. A multi-byte character cut by the end of `head` is not a problem."""
    nul = head.find(b"\0")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head[:nul] if nul >= 0 else head, final=False)
    except UnicodeDecodeError as exc:
        return f"bytes that are not UTF-8 ({exc.reason} at byte {offset + exc.start})"
    if nul >= 0:
        return f"a NUL byte at byte {offset + nul} (binary content)"
    return ""


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
