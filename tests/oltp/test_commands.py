"""`hospsim oltp ...` and `hospsim cdc ...` end to end through the CLI, on the real server."""
from __future__ import annotations

import json

import pytest

from hospsim import cli
from hospsim.oltp import schema
from tests.oltp.conftest import oltp_names


@pytest.fixture
def argv(pg, tmp_path):
    names = oltp_names("t_cli")
    common = ["-p", "postgres.embedded=false", "-p", f"postgres.host={pg.host}", "-p", f"postgres.port={pg.port}",
              "-p", f"postgres.user={pg.user}", "-p", f"postgres.password={pg.password}",
              "-p", f"postgres.database={pg.database}", "-p", f"paths.logs_dir={tmp_path}",
              *[x for key, value in names.items() for x in ("-p", f"{key}={value}")]]
    yield lambda *words: [*words, *common]
    params = cli.params_from(cli.build_parser().parse_args(["oltp", "counts", *common]))
    schema.drop(params, pg)


def run(args, capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_init_seed_counts_stream_reset(argv, capsys):
    assert run(argv("oltp", "reset"), capsys)[0] == 0
    code, out, _ = run(argv("oltp", "counts"), capsys)
    assert code == 0 and "pacientes                 2,000" in out and "total                    13,412" in out
    code, _, err = run(argv("oltp", "seed"), capsys)
    assert code == 1 and "already holds data" in err and "hospsim oltp reset" in err
    code, out, _ = run(argv("oltp", "stream", "--events", "300", "--batch-size", "20", "--rate", "3000"), capsys)
    assert code == 0 and "300 events in 15 batches" in out and "stopped by max_events" in out
    code, out, _ = run(argv("oltp", "reset"), capsys)
    assert code == 0 and "total                    13,412" in out
    code, out, _ = run(argv("oltp", "init"), capsys)
    assert code == 0 and "publication t_cli_pub" in out


def test_bad_stream_options_are_refused_before_anything_runs(argv, capsys):
    code, _, err = run(argv("oltp", "stream", "--rate", "-5"), capsys)
    assert code == 2 and "oltp.stream.events_per_second = -5.0: must be > 0" in err


def test_cdc_connector_and_throughput(argv, capsys, tmp_path):
    assert run(argv("oltp", "reset"), capsys)[0] == 0
    code, out, _ = run(argv("cdc", "connector"), capsys)
    assert code == 0 and json.loads(out)["config"]["slot.name"] == "t_cli_slot"
    code, out, _ = run(argv("cdc", "connector", "--out", str(tmp_path / "c.json")), capsys)
    assert code == 0 and json.loads((tmp_path / "c.json").read_text())["config"]["publication.name"] == "t_cli_pub"
    code, out, _ = run(argv("cdc", "throughput", "--create"), capsys)
    assert code == 0 and "created slot t_cli_slot_throughput" in out
    code, out, _ = run(argv("cdc", "throughput"), capsys)
    assert code == 0 and "no changes in slot t_cli_slot_throughput yet" in out
    assert run(argv("oltp", "stream", "--events", "200", "--rate", "2000"), capsys)[0] == 0
    code, out, _ = run(argv("cdc", "throughput", "--bucket", "60"), capsys)
    assert code == 0 and "totals" in out
    totals = out.split("totals")[1]
    rows = [line.split() for line in totals.strip().splitlines()[2:]]
    assert sum(int(r[1]) + int(r[2]) for r in rows) == 200
