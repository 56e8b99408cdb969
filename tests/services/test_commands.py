"""`hospsim services` from the command line: up, status and down of the embedded PostgreSQL; fetch's no-op."""
from __future__ import annotations

from hospsim.cli import main
from tests.conftest import free_port


def test_services_up_status_down_cycle(server_state, capsys):
    opts = ["-p", f"paths.state_dir={server_state}", "-p", f"postgres.port={free_port()}",
            "-p", f"kafka.broker_port={free_port()}", "-p", f"kafka.controller_port={free_port()}",
            "-p", f"kafka.connect_port={free_port()}"]
    assert main(["services", "up", "postgres", *opts]) == 0
    assert "postgres  running  kind=embedded" in capsys.readouterr().out
    assert main(["services", "status", *opts]) == 0
    out = capsys.readouterr().out
    assert "postgres  running" in out and "kafka     stopped" in out and "connect   stopped" in out
    assert main(["services", "down", "postgres", *opts]) == 0
    assert "postgres  stopped" in capsys.readouterr().out


def test_unknown_service_is_refused(capsys):
    try:
        main(["services", "up", "redis"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "invalid choice: 'redis'" in capsys.readouterr().err
