"""`hospsim ingest` killed with SIGKILL mid-file: nothing half-loaded, the file still in batch/, then exact counts."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import numpy as np
import pytest

from hospsim.warehouse import Ingestor, schema
from tests.warehouse.conftest import copy_batch, csv_rows, ingest_process

pytestmark = pytest.mark.services


def wait_for_backend(conn, condition: str, proc: subprocess.Popen, timeout: float = 60.0) -> int:
    """The pid of the ingestor's server backend once pg_stat_activity shows `condition`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'hospsim-ingest' "
                        f"AND datname = current_database() AND {condition}")
            row = cur.fetchone()
        conn.commit()
        if row:
            return row[0]
        if proc.poll() is not None:
            pytest.fail(f"the ingestor ended before the crash point: {proc.stdout.read()}")
        time.sleep(0.002)
    proc.kill()
    pytest.fail(f"the ingestor never reached {condition}")


def kill_and_wait(proc: subprocess.Popen, conn, backend: int) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:     # the server notices the dead client and rolls its transaction back
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend,))
            gone = cur.fetchone()[0] == 0
        conn.commit()
        if gone:
            return
        time.sleep(0.02)
    pytest.fail(f"backend {backend} still runs 30 s after its client was killed")


def assert_loaded_once(params, conn, names: list[str], table: str, rows: int) -> None:
    counts = schema.table_counts(conn, params)
    assert counts[table] == rows and counts["ingest_ledger"] == len(names)
    data = params.dirs.data_dir
    assert sorted(p.name for p in (data / "processed").iterdir()) == sorted(names)
    assert list((data / "batch").iterdir()) == []


def test_killed_inside_the_transaction_loads_nothing_then_exactly_once(wh, month, pg):
    """The kill lands after the merge (staged, then INSERTed into fact_visit), before COMMIT."""
    params, conn = wh
    _, _, source = month
    visits = "daily_visitors_2025-03-17.csv"
    copy_batch(source, params, {"people_data.csv"})
    with Ingestor(params, conn) as ingestor:
        ingestor.run_once()
    copy_batch(source, params, {visits})
    proc = ingest_process(params, pg, **{"warehouse.pause_in_transaction_seconds": 120})
    # The pause comes after the merge: a transaction that has written (an xid) and idles for over a second.
    backend = wait_for_backend(conn, "state = 'idle in transaction' AND backend_xid IS NOT NULL "
                                     "AND clock_timestamp() - state_change > interval '1 second'", proc)
    kill_and_wait(proc, conn, backend)

    counts = schema.table_counts(conn, params)
    assert counts["fact_visit"] == 0 and counts["ingest_ledger"] == 1, "the merged rows died with the transaction"
    assert [p.name for p in (params.dirs.data_dir / "batch").iterdir()] == [visits]

    names, rows = ["people_data.csv", visits], csv_rows(source / visits)
    with Ingestor(params, conn) as ingestor:
        assert [o.status for o in ingestor.run_once()] == ["ingested"]
        assert_loaded_once(params, conn, names, "fact_visit", rows)
        copy_batch(params.dirs.data_dir / "processed", params, {visits})   # as if killed between COMMIT and move
        assert [o.status for o in ingestor.run_once()] == ["skipped"]
    assert_loaded_once(params, conn, names, "fact_visit", rows)


def test_killed_during_copy_loads_nothing_then_exactly_once(wh, month, pg):
    """The kill lands in the COPY of a big people file straight into the empty dim_person."""
    params, conn = wh
    _, result, _ = month
    people = result.people
    big = people.loc[np.resize(np.arange(len(people)), 250_000)].reset_index(drop=True)
    big["person_id"] = np.arange(len(big))
    batch = params.dirs.data_dir / "batch"
    batch.mkdir(parents=True)
    big.to_csv(batch / "people_data.csv", index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S")

    proc = ingest_process(params, pg)
    backend = wait_for_backend(conn, "state = 'active' AND query LIKE 'COPY%'", proc)
    time.sleep(0.05)
    kill_and_wait(proc, conn, backend)

    counts = schema.table_counts(conn, params)
    assert counts["dim_person"] == 0 and counts["ingest_ledger"] == 0
    assert [p.name for p in batch.iterdir()] == ["people_data.csv"]

    with Ingestor(params, conn) as ingestor:
        assert [o.status for o in ingestor.run_once()] == ["ingested"]
    assert_loaded_once(params, conn, ["people_data.csv"], "dim_person", len(big))
