"""The embedded PostgreSQL, for real: TCP, logical WAL, reuse, restart with data kept; external-server errors;
closed doors (private socket, passwords everywhere, an app role that is not a superuser, no password in argv)."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import uuid
from contextlib import closing
from pathlib import Path

import pytest

from hospsim import config
from hospsim.errors import ServiceError
from hospsim.services import postgres as pgsvc
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


def test_reused_when_running_and_data_survives_a_restart(server_state):
    server = pgsvc.EmbeddedPostgres(server_state, port=free_port())
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


def test_port_conflict_with_a_running_server_is_explained(server_state):
    server = pgsvc.EmbeddedPostgres(server_state, port=free_port())
    try:
        server.start()
        other = pgsvc.EmbeddedPostgres(server_state, port=free_port())
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


# --------------------------------------------------------------------------- closed doors

RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"

def _psql(role: str, host: str, port: int, database: str, *, os_user: str | None = None,
          password: str | None = None) -> subprocess.CompletedProcess:
    """The bundled psql, never prompting, with no password unless given, optionally as another OS user."""
    env = {"PATH": os.defpath, "PGPASSFILE": "/nonexistent/pgpass", "PGCONNECT_TIMEOUT": "10"}
    if password is not None:
        env["PGPASSWORD"] = password
    cmd = [str(pgsvc.bin_path("psql")), "-X", "-w", "-h", host, "-p", str(port), "-U", role, "-d", database,
           "-tAc", "SELECT current_user"]
    if os_user is not None:
        cmd = [RUNUSER, "-u", os_user, "--", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)   # callers read the code


@pytest.fixture
def other_os_user():
    """A throwaway OS user that is neither root nor the server's user."""
    if os.geteuid() != 0:
        pytest.skip("making another OS user needs root (useradd); CI runs the suite as root")
    name = f"hospsim-t{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    yield name
    subprocess.run(["userdel", name], check=False, capture_output=True)


def test_another_local_user_cannot_connect_without_a_password(pg_server, other_os_user):
    pg, admin = pg_server.info, pg_server.admin_info
    socket = str(pg_server.socket_dir)
    for role, database in ((admin.user, admin.database), (pg.user, pg.database)):
        by_socket = _psql(role, socket, pg.port, database, os_user=other_os_user)
        assert by_socket.returncode != 0 and "Permission denied" in by_socket.stderr, by_socket
        by_socket = _psql(role, socket, pg.port, database, os_user=other_os_user, password=pg.password)
        assert by_socket.returncode != 0 and "Permission denied" in by_socket.stderr, "the socket folder is private"
        by_tcp = _psql(role, "127.0.0.1", pg.port, database, os_user=other_os_user)
        assert by_tcp.returncode != 0 and "no password supplied" in by_tcp.stderr, by_tcp
    control = _psql(pg.user, "127.0.0.1", pg.port, pg.database, os_user=other_os_user, password=pg.password)
    assert control.returncode == 0 and control.stdout.strip() == pg.user, "the same user gets in with the password"


def test_socket_folder_and_admin_password_file_are_private(pg_server):
    folder = os.stat(pg_server.socket_dir)
    assert stat.S_IMODE(folder.st_mode) == 0o700
    server_uid = pwd.getpwnam(pgsvc.SERVER_USER).pw_uid if os.geteuid() == 0 else os.geteuid()
    assert folder.st_uid == server_uid
    assert stat.S_IMODE(os.stat(pg_server.admin_passfile).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pg_server.root).st_mode) == 0o700
    hba = (pg_server.pgdata / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]
    assert rules and all(rule[-1] == "scram-sha-256" for rule in rules), hba


def test_app_role_is_not_a_superuser_and_cannot_run_programs(pg):
    import psycopg2
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        conn.autocommit = True  # ALTER SYSTEM refuses a transaction block
        cur.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, rolcanlogin, "
                    "pg_has_role(current_user, 'pg_execute_server_program', 'USAGE'), "
                    "pg_has_role(current_user, 'pg_write_server_files', 'USAGE') "
                    "FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == (False, False, False, False, True, True, False, False)
        for statement in ("COPY (SELECT 1) TO PROGRAM 'id'", "COPY (SELECT 1) TO '/tmp/hospsim-owned'",
                          "ALTER SYSTEM SET work_mem = '1GB'", "CREATE ROLE intruder SUPERUSER"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(statement)


def test_app_role_has_the_rights_the_project_needs(pg):
    """Its own schemas, triggers, a publication on its tables and a logical slot: OLTP, CDC and reset."""
    tag = uuid.uuid4().hex[:8]
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        conn.autocommit = True  # slot functions refuse a transaction that already wrote
        cur.execute(f"CREATE SCHEMA rights_{tag}; CREATE TABLE rights_{tag}.t (id int PRIMARY KEY); "
                    f"ALTER TABLE rights_{tag}.t REPLICA IDENTITY FULL; "
                    f"CREATE FUNCTION rights_{tag}.f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; "
                    f"CREATE TRIGGER t_f BEFORE INSERT ON rights_{tag}.t FOR EACH ROW EXECUTE FUNCTION rights_{tag}.f(); "
                    f"CREATE PUBLICATION pub_{tag} FOR TABLE rights_{tag}.t")
        cur.execute(f"SELECT lsn IS NOT NULL FROM pg_create_logical_replication_slot('slot_{tag}', 'pgoutput')")
        assert cur.fetchone() == (True,)
        cur.execute(f"SELECT pg_drop_replication_slot('slot_{tag}')")
        cur.execute(f"DROP PUBLICATION pub_{tag}; DROP SCHEMA rights_{tag} CASCADE")


def test_no_password_in_the_arguments_of_any_process(server_state, monkeypatch):
    """Every command hospsim starts for the server, and every process running after, is free of both passwords."""
    spawned: list[list[str]] = []
    real_popen = subprocess.Popen

    class Recorder(real_popen):
        def __init__(self, args, *rest, **kwargs):
            spawned.append([str(a) for a in (args if isinstance(args, (list, tuple)) else [args])])
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Recorder)
    password = f"argv-{uuid.uuid4().hex}"
    server = pgsvc.EmbeddedPostgres(server_state, port=free_port(), password=password)
    try:
        server.start()
        admin_password = server.admin_info.password
        with closing(server.info.connect()) as conn, closing(server.admin_info.connect()):
            running = _all_command_lines()
            conn.close()
        server.start()  # reused: the role step runs again
    finally:
        server.stop()
    assert any("initdb" in " ".join(cmd) for cmd in spawned) and any("psql" in " ".join(cmd) for cmd in spawned)
    for secret in (password, admin_password):
        assert not [cmd for cmd in spawned if any(secret in arg for arg in cmd)]
        assert not [line for line in running if secret in line]
    assert any(f"postgres: {server.user} {server.database}" in line for line in running), "the backends were seen"


def _all_command_lines() -> list[str]:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return lines


@pytest.mark.parametrize("running", [False, True], ids=["stopped", "running"])
def test_data_folder_of_an_older_hospsim_is_upgraded_in_place(server_state, running):
    """Trusted socket, superuser app role, no admin password (what older versions made): fixed on start."""
    server = pgsvc.EmbeddedPostgres(server_state, port=free_port())
    try:
        info = server.start()
        with closing(server.admin_info.connect()) as conn, conn.cursor() as cur:
            conn.autocommit = True
            cur.execute(f"ALTER ROLE {info.user} SUPERUSER; ALTER ROLE postgres PASSWORD NULL")
        with closing(info.connect()) as conn, conn.cursor() as cur:
            conn.autocommit = True
            cur.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
        (server.pgdata / "pg_hba.conf").write_text(OLD_HBA)
        server.admin_passfile.unlink()
        if running:
            server._run("pg_ctl", "reload", "-D", str(server.pgdata), "-s")
            os.chmod(server.socket_dir, 0o755)
        else:
            server.stop()
        server.start()
        with closing(info.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT (SELECT x FROM kept), rolsuper FROM pg_roles WHERE rolname = current_user")
            assert cur.fetchone() == (7, False)
        assert (server.pgdata / "pg_hba.conf").read_text() == pgsvc.HBA
        assert stat.S_IMODE(os.stat(server.admin_passfile).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(server.socket_dir).st_mode) == 0o700
        as_server_user = [RUNUSER, "-u", pgsvc.SERVER_USER, "--"] if os.geteuid() == 0 else []
        local = subprocess.run([*as_server_user, str(pgsvc.bin_path("psql")), "-X", "-w", "-h", str(server.socket_dir),
                                "-p", str(server.port), "-U", "postgres", "-d", "postgres", "-c", "SELECT 1"],
                               env={"PATH": os.defpath, "PGPASSFILE": "/nonexistent/pgpass"}, capture_output=True, text=True,
                               timeout=60, check=False)
        assert local.returncode != 0 and "no password supplied" in local.stderr, "the socket is not trusted any more"
        with closing(server.admin_info.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert cur.fetchone() == (True,)
    finally:
        server.stop()


OLD_HBA = ("local   all          all                  trust\n"
           "local   replication  all                  trust\n"
           "host    all          all   127.0.0.1/32   scram-sha-256\n"
           "host    replication  all   127.0.0.1/32   scram-sha-256\n")
"""pg_hba.conf as hospsim wrote it before the doors were closed."""


def test_a_lost_admin_password_file_is_refused_with_the_fix(server_state):
    server = pgsvc.EmbeddedPostgres(server_state, port=free_port())
    try:
        server.start()
        server.stop()
        server.admin_passfile.unlink()
        with pytest.raises(ServiceError, match=r"no admin password file.*hospsim services down postgres.*remove"):
            server.start()
    finally:
        server.stop()


def test_a_socket_folder_that_is_not_ours_is_refused(server_state):
    server = pgsvc.EmbeddedPostgres(server_state, port=free_port())
    target = server_state / "elsewhere"
    target.mkdir(mode=0o755)
    server.socket_dir.symlink_to(target)
    try:
        with pytest.raises(ServiceError, match="is not a folder.*remove it"):
            server.start()
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o755, "nothing chmodded through the link"
        assert not (server.pgdata / "PG_VERSION").exists()
    finally:
        server.socket_dir.unlink()


def test_the_admin_role_cannot_be_the_app_role(tmp_path):
    with pytest.raises(ServiceError, match="admin role.*pick another name"):
        pgsvc.EmbeddedPostgres(tmp_path, user="postgres")


def test_one_start_at_a_time_per_data_folder(server_state, monkeypatch):
    """A start waits for another one on the same folder (bounded), so two never both initdb or set passwords."""
    import fcntl
    monkeypatch.setattr(pgsvc, "START_LOCK_SLACK_S", 0.0)
    server = pgsvc.EmbeddedPostgres(server_state, port=free_port(), start_timeout_s=0.3)
    server.root.mkdir(parents=True)
    with open(server.root / ".start.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(ServiceError, match="another process has been starting"):
            server.start()
    assert not (server.pgdata / "PG_VERSION").exists(), "nothing was done while the other start held the lock"
