"""The file writers: write_csv gives the very bytes of pandas' to_csv (the layout every run's files had), for the
simulation's frames and for the cells that trip CSV writers up (floats, quotes, line ends, nulls, booleans)."""
from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hospsim import filekinds, simulate, sinks
from hospsim.columns import PG_TYPES, Column
from tests.conftest import small_params


def pandas_csv(df: pd.DataFrame) -> bytes:
    """The bytes of the to_csv path (sinks.write_csv_pandas), every run's layout before the Arrow writer."""
    with tempfile.TemporaryDirectory() as folder:
        return sinks.write_csv_pandas(df, Path(folder) / "reference.csv").read_bytes()


def written(df: pd.DataFrame, tmp_path, name: str = "out.csv") -> bytes:
    return sinks.write_csv(df, tmp_path / name).read_bytes()


AWKWARD_FLOATS = [0.0, -0.0, 1.0, -3.0, 0.1, 1 / 3, 2.5e-4, 1e-4, 9.999e-5, 1e-5, 1.5e-7, 5e-324, 123456.789,
                  1e14, 999999999999999.9, 1e15, 1e16, 1.2345678901234568e17, 1e20, 1.7976931348623157e308,
                  float("nan"), float("inf"), float("-inf"), -22.968125, 4.11, 3.081]
AWKWARD_TEXT = ["plain", "Rua A, 12 - Centro", 'say "hi"', '"', ",", "", None, "line\nbreak", "cr\rhere",
                "tab\there", " lead", "trail ", "ção ü 漢字", "semi;colon", "'single'", "\r\n"]


def test_every_awkward_cell_is_written_as_pandas_writes_it(tmp_path):
    n = max(len(AWKWARD_FLOATS), len(AWKWARD_TEXT))
    pick = lambda values: [values[i % len(values)] for i in range(n)]
    df = pd.DataFrame({
        "id": np.arange(n, dtype=np.int64),
        "x": pick(AWKWARD_FLOATS),
        "text": pd.Series(pick(AWKWARD_TEXT), dtype="str"),
        "obj": pd.Series(pick(AWKWARD_TEXT), dtype=object),
        "flag": [i % 3 == 0 for i in range(n)],
        "maybe_int": pd.array([None if i % 4 == 0 else i - 5 for i in range(n)], dtype="Int64"),
        "maybe_flag": pd.array([None if i % 5 == 0 else i % 2 == 0 for i in range(n)], dtype="boolean"),
        "day": [None if i % 6 == 0 else dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(n)],
        "when": pd.Series([None if i % 7 == 0 else f"2025-02-01 0{i % 10}:1{i % 6}:59" for i in range(n)],
                          dtype="datetime64[s]"),
        "when_ns": pd.to_datetime([f"1999-12-31 23:59:{i % 60:02d}.987654321" for i in range(n)]),
        "small": np.arange(n, dtype=np.int16),
        "f32": np.where(np.arange(n) % 9 == 0, np.nan, np.linspace(-1, 1, n)).astype(np.float32),
        "mixed": pd.Series([1, "a", 2.5, None, True, dt.datetime(2025, 1, 1, 8), "x,y"] * n, dtype=object)[:n],
    })
    assert written(df, tmp_path) == pandas_csv(df)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40))
def test_any_float_is_written_as_its_python_repr(tmp_path_factory, values):
    df = pd.DataFrame({"x": values, "n": range(len(values))})
    assert written(df, tmp_path_factory.mktemp("f")) == pandas_csv(df)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8"), max_size=12)),
                min_size=1, max_size=30))
def test_any_text_is_quoted_as_the_csv_module_quotes_it(tmp_path_factory, values):
    df = pd.DataFrame({"t": pd.Series(values, dtype="str"), "o": pd.Series(values, dtype=object)})
    assert written(df, tmp_path_factory.mktemp("t")) == pandas_csv(df)


@pytest.mark.parametrize("values", [["", None, "x"], [1.0, float("nan")], ["a,b", '"']])
def test_a_lone_column_never_writes_a_blank_line(tmp_path, values):
    df = pd.DataFrame({"only": values})
    assert written(df, tmp_path) == pandas_csv(df)


def test_a_frame_without_rows_is_its_header(tmp_path):
    df = pd.DataFrame({"a,b": pd.Series([], dtype="str"), "c": pd.Series([], dtype="float64")})
    assert written(df, tmp_path) == pandas_csv(df) == b'"a,b",c\n'


def test_rows_written_in_chunks_join_without_a_seam(tmp_path, monkeypatch):
    monkeypatch.setattr(sinks, "CSV_CHUNK_ROWS", 3)
    df = pd.DataFrame({"a": np.arange(10), "s": [f"v,{i}" for i in range(10)], "x": np.linspace(0, 2, 10)})
    assert written(df, tmp_path) == pandas_csv(df)


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def broken(_df):
        raise RuntimeError("disk gone")
    monkeypatch.setattr(sinks, "csv_lines", broken)
    with pytest.raises(RuntimeError):
        sinks.write_csv(pd.DataFrame({"a": [1]}), tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_the_simulations_frames_are_written_byte_for_byte_as_before(tmp_path):
    """Every frame a run writes (setup and daily files): the Arrow writer's bytes are to_csv's."""
    params = small_params(tmp_path, params_file="params/workshop.yaml", overrides={"simulation.days": 3})
    result = simulate.run(params, write=False, progress=False)
    frames = {"people": result.people, "population": result.population_with_illnesses, **result.staff,
              **{kind: getattr(result, kind) for kind in simulate.KINDS}}
    for name, df in frames.items():
        assert written(df, tmp_path, f"{name}.csv") == pandas_csv(df), name


# --------------------------------------------------------------------------- Parquet

@pytest.fixture(scope="module")
def both_formats(tmp_path_factory):
    """One world's few days written as CSV and as Parquet (output.format), each a run of its own."""
    runs = {}
    for fmt in ("csv", "parquet"):
        params = small_params(tmp_path_factory.mktemp(fmt), params_file="params/workshop.yaml",
                              overrides={"simulation.days": 4, "output.format": fmt})
        runs[fmt] = (params, simulate.run(params, progress=False))
    return runs


def test_parquet_files_have_the_kinds_explicit_types(both_formats):
    params, result = both_formats["parquet"]
    for kind in simulate.KINDS:
        columns = filekinds.BY_KIND[kind].expected_columns(params)
        path = result.run.file(filekinds.day_file_name(kind, params.simulation.start_date))
        schema = pq.read_schema(path)
        assert schema.names == [c.name for c in columns]
        assert [(f.type, f.nullable) for f in schema] == [(sinks.ARROW_TYPES[c.type], not c.required)
                                                          for c in columns], kind
    assert sinks.ARROW_TYPES["timestamp"] == pa.timestamp("ms") and set(sinks.ARROW_TYPES) == set(PG_TYPES)


def _csv_rows(folder: Path, kind: str, days) -> pd.DataFrame:
    """A kind's CSV files read as a CSV reader reads them (an empty cell is missing)."""
    frames = [pd.read_csv(folder / filekinds.day_file_name(kind, d), dtype=str) for d in days]
    return pd.concat(frames, ignore_index=True)


def _as_text(df: pd.DataFrame, columns) -> pd.DataFrame:
    """Cells as the CSV's text, so values compare across readers' dtypes (a timestamp's 'T', a float's repr)."""
    out = {}
    for c in columns:
        values = df[c.name]
        if c.type == "timestamp":
            values = pd.to_datetime(values).dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif c.type == "double precision":
            values = values.astype("float64").map(repr)
        elif c.type == "date":
            values = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        out[c.name] = values.astype(object).where(values.notna(), None).map(lambda v: v if v is None else str(v))
    return pd.DataFrame(out)


def test_parquet_read_back_by_pyarrow_and_duckdb_has_the_rows_of_the_csv(both_formats):
    (csv_params, csv_run), (_pq_params, pq_run) = both_formats["csv"], both_formats["parquet"]
    days = simulate.dates(csv_params)
    pq_root = pq_run.run.files_dir
    for kind in simulate.KINDS:
        columns = filekinds.BY_KIND[kind].expected_columns(csv_params)
        expected = _as_text(_csv_rows(csv_run.run.files_dir, kind, days), columns)
        by_arrow = pq.read_table(pq_root / kind, partitioning="hive").to_pandas()
        assert len(by_arrow) == len(expected) > 0 or kind == "transfers"
        assert set(by_arrow["region"].astype(str)) <= {"campinas"}
        assert set(by_arrow["day"].astype(str)) <= {d.isoformat() for d in days}
        pd.testing.assert_frame_equal(_as_text(by_arrow, columns), expected, obj=f"{kind} (pyarrow)")
        by_duckdb = duckdb.sql(f"SELECT * FROM read_parquet('{pq_root / kind}/**/*.parquet', hive_partitioning = "
                               "true, filename = true) ORDER BY filename, file_row_number").df()
        pd.testing.assert_frame_equal(_as_text(by_duckdb, columns), expected, obj=f"{kind} (DuckDB)")


def test_a_parquet_run_reads_back_the_frames_of_the_csv_run(both_formats):
    (csv_params, _), (pq_params, _) = both_formats["csv"], both_formats["parquet"]
    csv_days, pq_days = simulate.load(csv_params), simulate.load(pq_params)
    for kind in simulate.KINDS:
        pd.testing.assert_frame_equal(getattr(pq_days, kind), getattr(csv_days, kind), obj=kind)


def test_one_seed_gives_the_same_parquet_bytes(both_formats, tmp_path):
    _params, result = both_formats["parquet"]
    again = small_params(tmp_path, params_file="params/workshop.yaml",
                         overrides={"simulation.days": 4, "output.format": "parquet"})
    other = simulate.run(again, progress=False)
    for path in result.files:
        twin = other.run.file(result.run.relative(path))
        assert twin.read_bytes() == path.read_bytes(), path


def test_a_value_that_does_not_fit_its_parquet_type_is_refused(tmp_path):
    columns = filekinds.BY_KIND["visitors"].expected_columns(None)
    df = pd.DataFrame({c.name: ["x"] for c in columns}).assign(age=[70_000], person_id=[1], triage=[1],
                                                             arrival_time=pd.Timestamp("2025-01-01"),
                                                             departure_time=pd.NaT)
    with pytest.raises(pa.ArrowInvalid):
        sinks.write_parquet(df, tmp_path / "v.parquet", columns)
    assert list(tmp_path.iterdir()) == []


def _plain_parquet_table(df: pd.DataFrame, columns) -> pa.Table:
    """The conversion as written before its shortcuts: every column through pa.array(series), then cast."""
    schema = sinks.parquet_schema(columns)
    arrays = []
    for field in schema:
        if pa.types.is_timestamp(field.type):
            arrays.append(pa.array(df[field.name].to_numpy().astype("datetime64[s]"), field.type, from_pandas=True))
            continue
        values = pa.array(df[field.name], from_pandas=True)
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if pa.types.is_string(field.type):
            values = values.cast(pa.string())
            values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        arrays.append(values.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def test_parquet_shortcuts_give_the_table_of_the_plain_conversion():
    """Text with and without empty or missing cells, ints narrowed, NaN, NaT, dates as objects and as text."""
    columns = (Column("id", "text"), Column("note", "text", False), Column("gone", "text", False),
               Column("n", "integer"), Column("big", "bigint"), Column("x", "double precision", False),
               Column("at", "timestamp", False), Column("day", "date"), Column("iso", "date"), Column("ok", "boolean"))
    df = pd.DataFrame({"id": ["a", "b", "c"], "note": ["x", "", "z"], "gone": pd.Series(["p", None, ""], dtype="str"),
                       "n": np.array([1, 2, 3]), "big": np.array([2**40, 0, -1]), "x": [0.5, np.nan, 1.0],
                       "at": pd.to_datetime(["2025-01-01 10:00:00.700", None, "2025-01-02 00:00:00.000"]).astype("datetime64[ns]"),
                       "day": [dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)],
                       "iso": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]), "ok": [True, False, True]})
    table = pq.read_table(pa.BufferReader(sinks.parquet_bytes(df, columns)))
    assert table.equals(_plain_parquet_table(df, columns))
    assert (table.column("note").null_count, table.column("gone").null_count) == (1, 2)
    assert sinks.parquet_bytes(df.iloc[:0], columns).size > 0                  # no rows: a file with the schema


def test_parquet_bytes_are_the_file_write_parquet_writes(tmp_path):
    columns = filekinds.BY_KIND["census"].expected_columns(None)
    df = pd.DataFrame({c.name: (["2025-01-01"] if c.type == "date" else ["H01"] if c.type == "text" else [3])
                       for c in columns})
    path = sinks.write_parquet(df, tmp_path / "c.parquet", columns)
    assert path.read_bytes() == sinks.parquet_bytes(df, columns).to_pybytes()


def test_a_tally_sees_every_byte_write_csv_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(sinks, "CSV_CHUNK_ROWS", 2)          # several chunks
    df = pd.DataFrame({"a": np.arange(5), "s": ["x", "line\nbreak", "", None, "q\"uote"]})
    tally = hashlib.sha256()
    path = sinks.write_csv(df, tmp_path / "t.csv", tally)
    assert tally.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
