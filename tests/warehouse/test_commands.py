"""`hospsim warehouse init|counts|drop` and `hospsim ingest [--watch]` from the command line."""
from __future__ import annotations

import signal
import time

import pytest

from hospsim import cli
from hospsim.warehouse import schema
from tests.warehouse.conftest import MONTH_OVERRIDES, copy_batch, csv_rows, ingest_process

pytestmark = pytest.mark.services


def argv(params, pg) -> list[str]:
    settings = {**MONTH_OVERRIDES, "paths.data_dir": params.dirs.data_dir, "postgres.embedded": "false",
                "postgres.host": pg.host, "postgres.port": pg.port, "postgres.user": pg.user,
                "postgres.password": pg.password, "postgres.database": pg.database,
                "warehouse.schema": params.warehouse.schema}
    out = ["-f", "params/workshop.yaml"]
    for key, value in settings.items():
        out += ["-p", f"{key}={value}"]
    return out


def test_init_ingest_counts_drop(wh, month, pg, capsys):
    params, conn = wh
    _, _, source = month
    common = argv(params, pg)
    assert cli.main(["warehouse", "init", *common]) == 0
    assert schema.exists(conn, params)
    copy_batch(source, params, {"people_data.csv", "admissions_2025-03-20.csv"})
    (params.dirs.data_dir / "batch" / "census_2025-03-20.csv").write_text("date;hospital_id\n")
    capsys.readouterr()
    assert cli.main(["ingest", *common]) == 1, "a rejected file makes the exit status 1"
    out = capsys.readouterr().out
    assert "ingested people_data.csv" in out and "rejected census_2025-03-20.csv: columns do not match" in out
    assert "ingest: 2 ingested, 1 rejected" in out
    assert cli.main(["ingest", *common]) == 0
    assert "ingest: nothing to do" in capsys.readouterr().out
    assert cli.main(["warehouse", "counts", *common]) == 0
    counts = capsys.readouterr().out
    assert f"fact_admission {csv_rows(source / 'admissions_2025-03-20.csv'):>12}".split() == \
        next(line for line in counts.splitlines() if line.startswith("fact_admission")).split()
    assert cli.main(["warehouse", "drop", *common]) == 0
    assert not schema.exists(conn, params)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e9", "soon"])
def test_a_bad_interval_is_refused_before_anything_starts(value, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["ingest", "--watch", "--interval", value, "-p", "postgres.port=1"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "argument --interval" in err and value in err


def test_watch_loads_files_as_they_come_and_stops_on_sigterm(wh, month, pg):
    params, conn = wh
    _, _, source = month
    watcher = ingest_process(params, pg, "--watch", "--interval", "0.1")
    try:
        copy_batch(source, params, {"people_data.csv", "transfers_2025-03-20.csv"})
        processed = params.dirs.data_dir / "processed"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(processed.glob("*.csv"))) < 2 and watcher.poll() is None:
            time.sleep(0.05)
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, _ = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, out
    assert "ingested people_data.csv" in out and "ingested transfers_2025-03-20.csv" in out
    assert "ingest: 2 ingested" in out
    assert schema.table_counts(conn, params)["fact_transfer"] == csv_rows(source / "transfers_2025-03-20.csv")
