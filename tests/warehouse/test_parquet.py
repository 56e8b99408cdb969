"""Parquet daily files through the ingestor (output.format: parquet): the warehouse rows of the CSV files of the
same world, the same rejections, and the files moved to processed/ (or rejected/) with their partitions."""
from __future__ import annotations

import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hospsim import filekinds, simulate
from hospsim.warehouse import Ingestor, schema
from tests.warehouse.conftest import warehouse_params

pytestmark = pytest.mark.services

DAYS = 6
FACTS = ("fact_visit", "fact_admission", "fact_discharge", "fact_transfer", "fact_emergency_transport",
         "fact_census")
LINEAGE = ("file_id",)
"""Columns that say which ledger file a row came from: the ids differ between two loads, the rows do not."""


def _loaded(pg, tmp, fmt: str):
    params = warehouse_params(tmp, pg, f"test_parquet.{fmt}", {"simulation.days": DAYS, "output.format": fmt})
    simulate.run(params, progress=False)
    conn = pg.connect()
    with Ingestor(params, conn) as ingestor:
        outcomes = ingestor.run_once()
    return params, conn, outcomes


@pytest.fixture(scope="module")
def both(pg, tmp_path_factory):
    """The same world simulated and ingested as CSV and as Parquet, each into a schema of its own."""
    loaded = {fmt: _loaded(pg, tmp_path_factory.mktemp(fmt), fmt) for fmt in ("csv", "parquet")}
    yield loaded
    for params, conn, _ in loaded.values():
        schema.drop(conn, params)
        conn.close()


def rows(conn, params, table: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {params.warehouse.schema}.{table}")
        names = [d[0] for d in cur.description]
        df = pd.DataFrame(cur.fetchall(), columns=names)
    conn.commit()
    keep = [c for c in names if c not in LINEAGE]
    return df[keep].sort_values(keep).reset_index(drop=True)


def test_parquet_files_give_the_warehouse_the_rows_of_the_csv_files(both):
    (csv_params, csv_conn, _), (pq_params, pq_conn, _) = both["csv"], both["parquet"]
    for table in FACTS:
        expected = rows(csv_conn, csv_params, table)
        assert len(expected) > 0 or table == "fact_transfer", table
        pd.testing.assert_frame_equal(rows(pq_conn, pq_params, table), expected, obj=table)


def test_every_parquet_file_is_ingested_and_moved_with_its_partitions(both):
    params, conn, outcomes = both["parquet"]
    assert {o.status for o in outcomes} == {"ingested"}, [o.line() for o in outcomes if o.status != "ingested"]
    parquet = sorted(o.name for o in outcomes if o.name.endswith(".parquet"))
    assert len(parquet) == DAYS * len(filekinds.PER_DAY)
    assert all(filekinds.PARQUET_PATTERN.fullmatch(name) for name in parquet)
    data = params.dirs.data_dir
    assert sorted(p.relative_to(data / "processed").as_posix()
                  for p in (data / "processed").glob("*/**/*.parquet")) == parquet
    assert list((data / "batch").iterdir()) == []       # emptied partition folders are gone too
    with conn.cursor() as cur:
        cur.execute(f"SELECT file_name, rows FROM {params.warehouse.schema}.ingest_ledger")
        ledger = dict(cur.fetchall())
    conn.commit()
    assert {n: ledger[n] for n in parquet} == {n: pq.read_metadata(data / "processed" / n).num_rows for n in parquet}


def test_ingesting_the_parquet_files_again_skips_them(both):
    params, conn, _ = both["parquet"]
    data = params.dirs.data_dir
    name = filekinds.parquet_file_name("visitors", "campinas", params.simulation.start_date)
    (data / "batch" / name).parent.mkdir(parents=True)
    shutil.copy2(data / "processed" / name, data / "batch" / name)
    with Ingestor(params, conn) as ingestor:
        outcomes = ingestor.run_once()
    assert [(o.name, o.status) for o in outcomes] == [(name, "skipped")]


def _rejected(pg, tmp_path, name: str, content: bytes):
    """One file dropped into a warehouse of its own whose people are loaded: its outcome and reason file."""
    params = warehouse_params(tmp_path, pg, f"test_parquet.reject.{tmp_path.name}", {"simulation.days": 1})
    simulate.run(params, progress=False)
    batch = params.dirs.data_dir / "batch"
    for path in batch.glob("*/**/*.parquet"):
        path.unlink()
    target = batch / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    conn = pg.connect()
    try:
        with Ingestor(params, conn) as ingestor:
            outcome = next(o for o in ingestor.run_once() if o.name == name)
    finally:
        conn.rollback()
        schema.drop(conn, params)
        conn.close()
    rejected = params.dirs.data_dir / "rejected"
    return outcome, (rejected / name).exists(), (rejected / f"{name}.reason.txt").read_text()


def _parquet_bytes(table: pa.Table, tmp_path) -> bytes:
    path = tmp_path / "made.parquet"
    pq.write_table(table, path)
    return path.read_bytes()


def test_a_parquet_file_without_a_column_is_rejected_as_its_csv_would_be(pg, tmp_path):
    columns = filekinds.BY_KIND["census"].expected_columns(None)
    table = pa.table({c.name: pa.array(["1"], pa.string()) for c in columns[:-1]})
    name = filekinds.parquet_file_name("census", "campinas", pd.Timestamp("2025-02-01").date())
    outcome, moved, reason = _rejected(pg, tmp_path, name, _parquet_bytes(table, tmp_path))
    assert outcome.status == "rejected" and moved
    assert "missing 'cancelled_electives'" in outcome.reason and outcome.reason in reason


def test_a_cut_off_parquet_file_is_rejected(pg, tmp_path):
    columns = filekinds.BY_KIND["transports"].expected_columns(None)
    whole = _parquet_bytes(pa.table({c.name: pa.array([None], pa.string()) for c in columns}), tmp_path)
    name = filekinds.parquet_file_name("transports", "campinas", pd.Timestamp("2025-02-01").date())
    outcome, moved, _ = _rejected(pg, tmp_path, name, whole[: len(whole) // 2])
    assert outcome.status == "rejected" and moved
    assert outcome.reason.startswith("not a Parquet file of the simulation")


def test_a_null_in_a_required_parquet_column_is_rejected_with_its_line(pg, tmp_path):
    """The same rule as the CSV files: COPY into the NOT NULL staging column names the line."""
    columns = filekinds.BY_KIND["transports"].expected_columns(None)
    table = pa.table({c.name: pa.array([None], pa.string()) for c in columns})
    name = filekinds.parquet_file_name("transports", "campinas", pd.Timestamp("2025-02-01").date())
    outcome, moved, _ = _rejected(pg, tmp_path, name, _parquet_bytes(table, tmp_path))
    assert outcome.status == "rejected" and moved
    assert "null value" in outcome.reason and "line 2" in outcome.reason
