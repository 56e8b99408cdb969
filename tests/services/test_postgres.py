"""The embedded PostgreSQL, for real: TCP, logical WAL, reuse, restart with data kept; external-server errors."""
from __future__ import annotations

import pytest

from hospsim import config
from hospsim.services import postgres as pgsvc
from hospsim.services.errors import ServiceError
from tests.conftest import free_port


def test_embedded_server_accepts_tcp_and_has_logical_wal(pg):
    settings = pgsvc.server_settings(pg)
    assert settings["wal_level"] == "logical"
    assert int(settings["max_replication_slots"]) >= 1 and int(settings["max_wal_senders"]) >= 1
    assert settings["server_version"].startswith("18")
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT inet_server_addr()::text, current_user, rolreplication FROM pg_roles WHERE rolname = current_user")
        addr, user, replication = cur.fetchone()
    assert addr.startswith("127.0.0.1") and user == pg.user and replication


def test_reused_when_running_and_data_survives_a_restart(tmp_path):
    server = pgsvc.EmbeddedPostgres(tmp_path, port=free_port())
    try:
        info = server.start()
        pid = (server.pgdata / "postmaster.pid").read_text().split()[0]
        with info.connect() as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
        server.start()
        assert (server.pgdata / "postmaster.pid").read_text().split()[0] == pid, "a running server is reused"
        assert server.stop() is True and server.status()["running"] is False
        server.start()
        with info.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT x FROM kept")
            assert cur.fetchone() == (7,)
    finally:
        server.stop()
    assert server.stop() is False


def test_port_conflict_with_a_running_server_is_explained(tmp_path):
    server = pgsvc.EmbeddedPostgres(tmp_path, port=free_port())
    try:
        server.start()
        other = pgsvc.EmbeddedPostgres(tmp_path, port=free_port())
        with pytest.raises(ServiceError, match="already runs on port"):
            other.start()
    finally:
        server.stop()


def test_external_server_from_url_and_a_clear_error_when_unreachable(tmp_path):
    params = config.load(None, {"postgres.url": f"postgresql://app:pw@127.0.0.1:{free_port()}/teste",
                                "postgres.embedded": False, "postgres.start_timeout_s": 1},
                         environ={}, dotenv=tmp_path / "none")
    info = pgsvc.info_from_params(params.postgres)
    assert (info.user, info.password, info.database) == ("app", "pw", "teste")
    with pytest.raises(ServiceError, match="is not reachable.*PG_HOST"):
        pgsvc.ensure_postgres(params)


def test_non_postgres_url_is_rejected(tmp_path):
    params = config.load(None, {"postgres.url": "mysql://x@y/z", "postgres.embedded": False},
                         environ={}, dotenv=tmp_path / "none")
    with pytest.raises(ServiceError, match="not a postgresql:// URL"):
        pgsvc.info_from_params(params.postgres)
