"""Where outputs go. Files are written to a temporary name in the same folder and renamed into place,
so a reader (the batch ingestor, a notebook) never sees half a file."""
from __future__ import annotations

import csv
import functools
import io
import math
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside target; on success it replaces target, on failure it is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(df: pd.DataFrame, target: Path, tally=None) -> Path:
    """CSV with a fixed layout (no index, '\\n' line ends, ISO timestamps) so one seed gives byte-identical files.

    The bytes are those of pandas' to_csv(index=False, lineterminator="\\n") with datetime columns as
    YYYY-MM-DDTHH:MM:SS (tests/test_sinks.py holds them to it), formatted a column at a time by Arrow's
    kernels, several times faster than to_csv: Arrow's own CSV writer quotes every string and the header, and
    writes 1.0 as 1 and True as true, so its cells are formatted here and only the joined lines are written.
    `tally` (anything with update(bytes), a hashlib object) sees every byte written, so nobody reads them back.
    """
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        out = fh if tally is None else _Tee(fh, tally)
        if not len(df.columns):                 # no columns: to_csv's one quoted empty cell
            out.write(df.to_csv(index=False, lineterminator="\n").encode())
        else:
            out.write(_csv_header(df.columns))
            for start in range(0, len(df), CSV_CHUNK_ROWS):
                _write_lines(out, csv_lines(df.iloc[start:start + CSV_CHUNK_ROWS]))
    return Path(target)


class _Tee:
    """A file that also shows each chunk written to a tally."""

    def __init__(self, fh, tally):
        self.fh, self.tally = fh, tally

    def write(self, data) -> None:
        self.fh.write(data)
        self.tally.update(data)


def write_csv_pandas(df: pd.DataFrame, target: Path) -> Path:
    """The to_csv path write_csv replaced, kept as the reference its bytes are held to (tests/test_sinks.py) and
    the baseline of benchmarks/bench_year.py. Timestamps are formatted by numpy for the whole column first: the
    same text as pandas' date_format, about twice as fast (pandas formats each value alone)."""
    text = {}
    for col in df.columns:
        if df[col].dtype.kind == "M":
            values = df[col].to_numpy().astype("datetime64[s]")
            formatted = np.datetime_as_string(values, unit="s").astype(object)
            formatted[np.isnat(values)] = ""
            text[col] = formatted
    with atomic_path(target) as tmp:
        (df.assign(**text) if text else df).to_csv(tmp, index=False, lineterminator="\n")
    return Path(target)


CSV_CHUNK_ROWS = 1 << 18
"""Rows formatted at once: the text of a chunk stays well under Arrow's 2 GiB string offsets."""
FIXED_FLOATS = (1e-4, 1e15)
"""Magnitudes Python's repr and Arrow's cast both write without an exponent (Arrow drops a trailing '.0');
floats outside it (and inf) are formatted by numpy as pandas does, a rare slow path."""


def _csv_module_quotes(char: str) -> bool:
    """Does the csv module (pandas' writer) quote a cell holding char? A '\\r' depends on the Python."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow([f"a{char}b", "c"])
    return out.getvalue().startswith('"')


_QUOTE_TRIGGERS = "[" + re.escape("".join(c for c in ',"\r\n' if _csv_module_quotes(c))) + "]"


def csv_lines(df: pd.DataFrame) -> pa.Array:
    """The frame's rows as CSV lines, each ending in '\\n' (pandas' cells, quoting as csv.QUOTE_MINIMAL)."""
    cells = [_csv_cells(df[name]) for name in df.columns]
    if len(cells) == 1:                 # the csv module quotes a lone empty field, so a row is never blank
        cells = [pc.if_else(pc.equal(cells[0], ""), '""', cells[0])]
    lines = pc.binary_join_element_wise(*cells, ",") if len(cells) > 1 else cells[0]
    return pc.binary_join_element_wise(lines, "\n", "")


def _csv_header(columns) -> bytes:
    names = _quoted(pa.array([str(name) for name in columns], pa.string())).to_pylist()
    return (",".join(['""'] if names == [""] else names) + "\n").encode()


def _write_lines(fh, lines: pa.Array) -> None:
    """The joined lines' bytes, straight from Arrow's buffer (no copy)."""
    for chunk in lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]:
        if not len(chunk):
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        fh.write(memoryview(chunk.buffers()[2])[offsets[0]:offsets[-1]])


def _csv_cells(series: pd.Series) -> pa.Array:
    """One column as the text pandas' to_csv writes for it, nulls as ''."""
    kind = series.dtype.kind
    if kind == "M":
        cells = _timestamp_cells(series.to_numpy().astype("datetime64[s]"))
    elif kind == "f" and isinstance(series.dtype, np.dtype):
        cells = _float_cells(series.to_numpy())
    elif kind in "iub":
        cells = _plain_cells(pa.array(series, from_pandas=True))
    else:
        cells = _object_cells(series)
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    return pc.fill_null(cells.cast(pa.string()), "")       # one string type, so the columns join


def _plain_cells(values: pa.Array) -> pa.Array:
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "True", "False")
    if pa.types.is_floating(values.type):
        return _float_cells(values.to_numpy(zero_copy_only=False))
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return _quoted(values)
    return pc.cast(values, pa.string())


def _object_cells(series: pd.Series) -> pa.Array:
    """Text, dates and other objects: Arrow when it reads them as one plain type, else str() as csv does."""
    try:
        values = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        values = None
    plain = values is not None and (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
                                    or pa.types.is_integer(values.type) or pa.types.is_boolean(values.type)
                                    or pa.types.is_date32(values.type) or pa.types.is_floating(values.type)
                                    or pa.types.is_null(values.type))
    if plain:
        return pc.cast(values, pa.string()) if pa.types.is_null(values.type) or pa.types.is_date32(values.type) \
            else _plain_cells(values)
    text = [None if _missing(v) else repr(v) if isinstance(v, float) else str(v) for v in series.astype(object)]
    return _quoted(pa.array(text, pa.string()))


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _quoted(text: pa.Array) -> pa.Array:
    """csv.QUOTE_MINIMAL: a cell holding a comma, a quote or a line end is quoted, its quotes doubled."""
    text = text.cast(pa.string())
    if not _holds_a_trigger(text):
        return text
    needs = pc.match_substring_regex(text, _QUOTE_TRIGGERS)
    if not pc.any(needs).as_py():
        return text
    doubled = pc.replace_substring(text, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', doubled, '"', ""), text)


def _holds_a_trigger(text: pa.Array) -> bool:
    """Does any cell's text hold a byte that makes the csv module quote it? One scan of the column's bytes, far
    cheaper than the cell-by-cell regex, which only columns holding one (an address's comma) then pay. Each
    trigger is ASCII, so it never matches inside another character's UTF-8 bytes."""
    if isinstance(text, pa.ChunkedArray):
        return any(_holds_a_trigger(chunk) for chunk in text.chunks)
    data = text.buffers()[2] if len(text) else None
    if data is None:
        return False
    offsets = np.frombuffer(text.buffers()[1], np.int32, count=len(text) + 1, offset=text.offset * 4)
    chars = memoryview(data)[int(offsets[0]):int(offsets[-1])].tobytes()      # bytes' own search: memchr
    return any(trigger in chars for trigger in _TRIGGER_BYTES)


_TRIGGER_BYTES = [c.encode() for c in ',"\r\n' if _csv_module_quotes(c)]


def _timestamp_cells(values: np.ndarray) -> pa.Array:
    """YYYY-MM-DDTHH:MM:SS (numpy's datetime_as_string); NaT as null."""
    text = pc.cast(pa.array(values, from_pandas=True), pa.string())     # YYYY-MM-DD HH:MM:SS
    present = values[~np.isnat(values)]
    four_digit_years = not len(present) or (present.min() >= np.datetime64("1000-01-01")
                                            and present.max() < np.datetime64("10000-01-01"))
    return pc.binary_replace_slice(text, 10, 11, "T") if four_digit_years else pc.replace_substring(text, " ", "T")


def _float_cells(values: np.ndarray) -> pa.Array:
    """Python's repr of each float (what to_csv writes), NaN as null: Arrow's shortest round-trip digits, with
    '.0' put back on whole numbers; the rest (exponents, float32's own shortest digits) come from numpy."""
    if values.dtype != np.float64:
        return _numpy_float_cells(values, ~np.isnan(values), pa.nulls(len(values), pa.string()))
    text = pc.cast(pa.array(values, from_pandas=True), pa.string())
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        fixed = ((size >= FIXED_FLOATS[0]) & (size < FIXED_FLOATS[1])) | (values == 0)
    fixed &= ~pc.fill_null(pc.match_substring(text, "e"), False).to_numpy(zero_copy_only=False)
    whole = fixed & (values == np.floor(values))
    if whole.any():
        text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    return _numpy_float_cells(values, ~fixed & ~np.isnan(values), text)


def _numpy_float_cells(values: np.ndarray, where: np.ndarray, text: pa.Array) -> pa.Array:
    """text with the cells at `where` replaced by numpy's str of the float (pandas' own formatting)."""
    if not where.any():
        return text
    cells = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    cells[where] = values[where].astype(str)
    return pa.array(cells, pa.string())


ARROW_TYPES = {"bigint": pa.int64(), "integer": pa.int32(), "smallint": pa.int16(), "double precision": pa.float64(),
               "text": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("ms"), "boolean": pa.bool_()}
"""The Parquet type of each PostgreSQL type a file kind declares (hospsim.columns.PG_TYPES). Timestamps are
milliseconds, the coarsest unit Parquet has; the simulation's are whole seconds."""


def parquet_schema(columns) -> pa.Schema:
    """A kind's columns (hospsim.filekinds) as an explicit Parquet schema; optional columns are nullable."""
    return _schema(tuple(columns))


@functools.cache
def _schema(columns: tuple) -> pa.Schema:
    """Made once per kind: a year writes each kind's schema hundreds of times."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=not c.required) for c in columns])


def write_parquet(df: pd.DataFrame, target: Path, columns, tally=None) -> Path:
    """A frame as one Parquet file with the kind's explicit types, written then renamed like the CSV files.

    An empty string is stored as null, as a CSV reader reads it (and the ingestor loads it): the Parquet file
    holds the rows the CSV file of the same frame holds. The file holds no time of writing: one seed gives the
    same bytes run to run (with the same pyarrow, whose version it names). `tally` sees its bytes, as write_csv's.
    """
    data = parquet_bytes(df, columns)
    if tally is not None:
        tally.update(data)
    return write_bytes(data, target)


def parquet_bytes(df: pd.DataFrame, columns) -> pa.Buffer:
    """The Parquet file, in memory (small day files: one write, and the tally sees the same buffer)."""
    schema = parquet_schema(columns)
    arrays = [_parquet_column(df[field.name], field.type) for field in schema]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def _parquet_column(series: pd.Series, kind: pa.DataType) -> pa.Array:
    """One column with the kind's type. A day's frames are small, so each Arrow call skipped counts: numbers go
    from the Series' own array (what pa.array(series) reads, less its checks), and a cast to the type the column
    already has, or a pass for empty text, is skipped."""
    held = series.values if isinstance(series.dtype, np.dtype) else series.array
    if pa.types.is_timestamp(kind):
        held = held if isinstance(held, np.ndarray) else series.to_numpy()
        return pa.array(held.astype("datetime64[s]"), kind, from_pandas=True)
    values = pa.array(held, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_string(kind):
        values = values if values.type == kind else values.cast(kind)
        if not _has_empty(values):
            return values
        return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    return values if values.type == kind else values.cast(kind)   # checked: too big for smallint, a bad date raise


def _has_empty(text: pa.Array) -> bool:
    """Does a string array hold an empty (or null) cell? From its offsets, without an Arrow call."""
    if not len(text):
        return False
    offsets = np.frombuffer(text.buffers()[1], np.int32, count=len(text) + 1, offset=text.offset * 4)
    return bool((offsets[1:] == offsets[:-1]).any())


def parquet_rows(path: Path) -> int:
    """A Parquet file's row count, from its footer."""
    return pq.read_metadata(path).num_rows


def read_parquet(paths: list[Path]) -> pd.DataFrame:
    """Parquet files of one kind as one frame with the daily loop's dtypes: integers as int64, dates as
    YYYY-MM-DD text, a null text as '' (what simulate.read_days gives for the CSV files)."""
    table = pa.concat_tables([pq.read_table(path, partitioning=None) for path in paths])
    df = table.to_pandas()
    for field in table.schema:
        if pa.types.is_integer(field.type):
            df[field.name] = df[field.name].astype(np.int64)
        elif pa.types.is_date32(field.type):
            df[field.name] = pd.Series(pc.cast(table[field.name], pa.string()).to_pylist(), dtype="str")
        elif pa.types.is_string(field.type):
            df[field.name] = df[field.name].fillna("")
        elif pa.types.is_timestamp(field.type):
            df[field.name] = df[field.name].astype("datetime64[s]")
    return df


def write_bytes(data, target: Path) -> Path:
    """Bytes (or an Arrow buffer) as one file, written then renamed."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(memoryview(data))
    return Path(target)


def write_text(text: str, target: Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_npz(arrays: dict, target: Path) -> Path:
    """Named arrays as one .npz, renamed into place, so a crash never leaves half of it."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    return Path(target)
