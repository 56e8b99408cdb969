"""A real Kafka broker (KRaft, one node) and a Kafka Connect worker with Debezium, run as local JVMs.

The jars come from Maven with the pinned `pom.xml` beside this file, so nothing but a JDK and Maven is
needed (no Docker, no tarball). Both services run detached with a pid file under the state dir, so
they outlive the Python process that started them and the next one reuses them.

    hospsim services fetch | up | down | status [kafka] [connect]
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from hospsim import resources
from hospsim.errors import ServiceError

POM = resources.path("services/pom.xml")
HOST = "127.0.0.1"
MIN_JAVA = 17
DEBEZIUM_PG_CONNECTOR = "io.debezium.connector.postgresql.PostgresConnector"
PLUGIN_NAME = "debezium-connector-postgres"
STAMP = ".pom.sha256"

INSTALL_HINT = (
    "Install a JDK 17+ and Maven: `apt-get install openjdk-17-jdk-headless maven` (Debian/Ubuntu), "
    "`brew install openjdk@17 maven` (macOS) or `conda install -c conda-forge openjdk=17 maven`; "
    "or run Kafka in containers instead with `docker compose up -d kafka connect` (docker-compose.yml "
    "at the repository root) and point KAFKA_BOOTSTRAP_SERVERS / CONNECT_URL at them."
)

JVM_FLAGS = (
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-UsePerfData",
    "-Djava.awt.headless=true",
    "-Dlog4j2.shutdownHookEnabled=false",
)
"""Tuned for 2 cores: serial GC (G1's concurrent threads only compete with the simulator), and C1 only.

Measured on the 2-core machine: C1-only starts the broker ~25% faster, leaves kafka-python produce and
consume rates unchanged (the Python client is the bottleneck), and snapshots 200k rows through Debezium
2.5x faster (16-18s vs 44-48s), since C2's compiler threads no longer steal the CPU from the worker.
"""

_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- jars

def jar_dir_for(state_dir: Path) -> Path:
    """Where the jars live for a given state dir (shared by every service under it)."""
    return Path(state_dir) / "jars"


def lib_dir(jar_dir: Path) -> Path:
    return Path(jar_dir) / "lib"


def plugin_path(jar_dir: Path) -> Path:
    return Path(jar_dir) / "plugins"


def pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def jars_ready(jar_dir: Path) -> bool:
    """True when the jars were fetched with the current pom (the stamp holds the pom's sha256)."""
    stamp = Path(jar_dir) / STAMP
    return (stamp.is_file() and stamp.read_text().strip() == pom_digest()
            and any(lib_dir(jar_dir).glob("kafka_*.jar"))
            and any((plugin_path(jar_dir) / PLUGIN_NAME).glob("debezium-connector-postgres-*.jar")))


def _missing(what: str) -> ServiceError:
    return ServiceError(f"{what}. {INSTALL_HINT}")


def java_major(java: str = "java") -> int:
    """The major version of `java`, or ServiceError naming what to install."""
    exe = shutil.which(java)
    if exe is None:
        raise _missing(f"`{java}` (a Java {MIN_JAVA}+ runtime) was not found on PATH; Kafka needs it")
    proc = subprocess.run([exe, "-version"], check=False, capture_output=True, text=True, timeout=60)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if not match:
        raise ServiceError(f"could not read the version of {exe}: {(proc.stderr or proc.stdout).strip()}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def require_java(java: str = "java") -> None:
    major = java_major(java)
    if major < MIN_JAVA:
        raise _missing(f"`{java}` is Java {major}; Kafka 4 needs Java {MIN_JAVA} or newer")


def fetch_jars(jar_dir: Path, *, quiet: bool = True, mvn: str = "mvn", java: str = "java") -> Path:
    """Copy the pinned Kafka, Connect and Debezium jars into jar_dir (lib/ and plugins/); idempotent.

    Two Maven profiles keep the Debezium plugin folder free of Kafka's own jars, which Connect's
    plugin isolation would otherwise load twice. A stamp with the pom's sha256 makes repeat calls free;
    a file lock makes concurrent calls (parallel test workers) wait for one download.
    """
    jar_dir = Path(jar_dir).resolve()
    if jars_ready(jar_dir):
        return jar_dir
    jar_dir.mkdir(parents=True, exist_ok=True)
    with open(jar_dir / ".fetch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if jars_ready(jar_dir):
            return jar_dir
        require_java(java)
        mvn_exe = shutil.which(mvn)
        if mvn_exe is None:
            raise _missing(f"`{mvn}` (Apache Maven) was not found on PATH; it fetches the Kafka and Debezium jars")
        incoming = jar_dir / ".incoming"
        shutil.rmtree(incoming, ignore_errors=True)
        targets = {"broker": incoming / "lib", "debezium": incoming / "plugins" / PLUGIN_NAME}
        for profile, out in targets.items():
            cmd = [mvn_exe, "-B", "-f", str(POM), "-P", profile, "dependency:copy-dependencies",
                   f"-DoutputDirectory={out}", "-DincludeScope=runtime", "-q" if quiet else "-ntp"]
            _log.info("fetching %s jars: %s", profile, " ".join(cmd))
            proc = subprocess.run(cmd, check=False, capture_output=quiet, text=True, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                tail = "\n".join(((proc.stdout or "") + (proc.stderr or "")).splitlines()[-30:])
                raise ServiceError(f"Maven could not fetch the {profile} jars (exit {proc.returncode}); "
                                   f"command: {' '.join(cmd)}\n{tail}")
        for name in ("lib", "plugins"):
            shutil.rmtree(jar_dir / name, ignore_errors=True)
            (incoming / name).rename(jar_dir / name)
        incoming.rmdir()
        (jar_dir / STAMP).write_text(pom_digest() + "\n")
    return jar_dir


def jar_dir_size(jar_dir: Path) -> int:
    return sum(p.stat().st_size for p in Path(jar_dir).rglob("*.jar"))


# --------------------------------------------------------------------------- process helpers

def _pid_alive(pid: int) -> bool:
    """Alive and not a zombie (a child we started and that died stays a zombie until reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    return True


def _cmdline(pid: int) -> str | None:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return None


def _port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return f"(no log at {path})"
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64 * 1024))
        text = f.read().decode(errors="replace")
    return f"--- last {lines} lines of {path} ---\n" + "\n".join(text.splitlines()[-lines:])


def _rotate(log: Path, max_bytes: int = 50 * 1024 * 1024) -> None:
    """Keep one previous log: the JVM appends to its log for as long as it runs."""
    with contextlib.suppress(OSError):
        if log.stat().st_size > max_bytes:
            os.replace(log, log.with_suffix(log.suffix + ".1"))


def _write_properties(path: Path, props: dict[str, object], header: str) -> None:
    body = "".join(f"{k}={v}\n" for k, v in props.items())
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(f"# {header}\n{body}")
    os.replace(tmp, path)


LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.cfg.name = org.apache.kafka.common.config.AbstractConfig
logger.cfg.level = WARN
logger.cc.name = org.apache.kafka.clients.consumer.ConsumerConfig
logger.cc.level = WARN
logger.pc.name = org.apache.kafka.clients.producer.ProducerConfig
logger.pc.level = WARN
logger.ac.name = org.apache.kafka.clients.admin.AdminClientConfig
logger.ac.level = WARN
logger.app.name = org.apache.kafka.common.utils.AppInfoParser
logger.app.level = WARN
logger.jetty.name = org.eclipse.jetty
logger.jetty.level = WARN
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
"""
"""Everything to stdout, which the runner sends to the service's log file: JVM crashes land there too."""


# --------------------------------------------------------------------------- services

class _JavaService:
    """One detached JVM with a pid file, a log file and a readiness probe."""

    service = ""
    main_class = ""

    def __init__(self, home: Path, jar_dir: Path, port: int, heap: str, java: str,
                 jvm_flags: tuple[str, ...] | None):
        self.home = Path(home).resolve()
        self.jar_dir = Path(jar_dir).resolve()
        self.port = port
        self.heap = heap
        self.java = java
        self.jvm_flags = JVM_FLAGS if jvm_flags is None else tuple(jvm_flags)
        self.pid_file = self.home / f"{self.service}.pid"
        self.log_file = self.home / "logs" / f"{self.service}.log"
        self.log4j_file = self.home / "log4j2.properties"
        self._proc: subprocess.Popen | None = None

    def _prepare(self) -> list[str]:
        """Write config files; return the main class arguments."""
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    def _not_ready_reason(self) -> str:
        return ""

    def _other_ports(self) -> tuple[int, ...]:
        """Ports besides self.port that the JVM binds: checked up front for a clear error."""
        return ()

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def pid(self) -> int | None:
        """The pid of our running JVM, or None (a stale pid file or a recycled pid does not count)."""
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        if not _pid_alive(pid):
            return None
        cmd = _cmdline(pid)
        if cmd is not None and (self.main_class not in cmd or str(self.home) not in cmd):
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None or (_port_open(self.port) and self._ready())

    def status(self) -> dict:
        pid = self.pid()
        external = pid is None and _port_open(self.port) and self._ready()
        return {"service": self.service, "kind": "external" if external else "embedded",
                "running": pid is not None or external, "pid": pid, "address": self.address,
                "data": str(self.home), "log": str(self.log_file)}

    def command(self, args: list[str]) -> list[str]:
        classpath = str(lib_dir(self.jar_dir) / "*")
        return [self.java, f"-Xmx{self.heap}", f"-Xms{min(128, _mb(self.heap))}m", *self.jvm_flags,
                f"-Dlog4j2.configurationFile={self.log4j_file}", f"-Dkafka.logs.dir={self.log_file.parent}",
                f"-Dhospsim.home={self.home}", "-cp", classpath, self.main_class, *args]

    def start(self, timeout: float = 90.0) -> dict:
        """Start the JVM (or reuse the one already running) and wait until it answers.

        A lock file serialises concurrent starts (two notebooks, parallel tests) so only one JVM is launched.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / f".{self.service}.start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._start_locked(timeout)

    def _start_locked(self, timeout: float) -> dict:
        pid = self.pid()
        if pid is not None:
            self._wait_ready(pid, timeout)
            return {**self.status(), "reused": True}
        if _port_open(self.port):
            if self._ready():
                return {**self.status(), "reused": True}
            raise ServiceError(f"{self.service}: port {self.address} is already taken by another program "
                               f"that is not a {self.service} we can use; stop it or choose another port")
        for port in self._other_ports():
            if _port_open(port):
                raise ServiceError(f"{self.service}: port {HOST}:{port} is already taken by another program; "
                                   "stop it or choose another port")
        fetch_jars(self.jar_dir, java=self.java)
        require_java(self.java)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        _rotate(self.log_file)
        self.log4j_file.write_text(LOG4J2)
        cmd = self.command(self._prepare())
        with open(self.log_file, "ab") as log:
            log.write(f"\n=== hospsim: starting {self.service} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
                      f"=== {' '.join(cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          cwd=self.home, start_new_session=True, close_fds=True)
        self.pid_file.write_text(f"{self._proc.pid}\n")
        try:
            self._wait_ready(self._proc.pid, timeout)
        except ServiceError:
            self.stop(timeout=10)
            raise
        return {**self.status(), "reused": False}

    def _wait_ready(self, pid: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.2
        while True:
            if not self._alive(pid):
                raise ServiceError(f"{self.service} exited while starting (pid {pid}).\n{_tail(self.log_file)}")
            if _port_open(self.port) and self._ready():
                return
            if time.monotonic() > deadline:
                reason = self._not_ready_reason()
                raise ServiceError(f"{self.service} on {self.address} was not ready after {timeout:.0f}s"
                                   f"{'; ' + reason if reason else ''}.\n{_tail(self.log_file)}")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def _alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        return _pid_alive(pid)

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM (clean shutdown: offsets flushed, logs closed), then SIGKILL after timeout; False if not running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while self._alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if not self._alive(pid):
                break
        if self._proc is not None and self._proc.pid == pid:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=1)
            self._proc = None
        if self._alive(pid):
            raise ServiceError(f"{self.service} (pid {pid}) did not stop after SIGKILL")
        self.pid_file.unlink(missing_ok=True)
        return True


def _mb(heap: str) -> int:
    units = {"k": 1 / 1024, "m": 1, "g": 1024}
    match = re.fullmatch(r"(\d+)([kmgKMG]?)", heap)
    if not match:
        raise ServiceError(f"heap size {heap!r}: write e.g. 512m or 1g")
    return int(int(match.group(1)) * units.get(match.group(2).lower() or "m", 1))


def new_cluster_id() -> str:
    """A Kafka cluster id (base64 of a UUID); never starting with '-', which the CLI would take for a flag."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


class KafkaBroker(_JavaService):
    """One combined broker+controller KRaft node on 127.0.0.1, data under <state_dir>/kafka."""

    service = "kafka"
    main_class = "kafka.Kafka"

    def __init__(self, state_dir: Path, jar_dir: Path | None = None, port: int = 19092, controller_port: int = 19093,
                 *, partitions: int = 3, heap: str = "512m", java: str = "java",
                 jvm_flags: tuple[str, ...] | None = None):
        state_dir = Path(state_dir)
        super().__init__(state_dir / "kafka", jar_dir or jar_dir_for(state_dir), port, heap, java, jvm_flags)
        self.controller_port = controller_port
        self.partitions = partitions
        self.data_dir = self.home / "data"
        self.config_file = self.home / "server.properties"

    @property
    def bootstrap_servers(self) -> str:
        return self.address

    def _other_ports(self) -> tuple[int, ...]:
        return (self.controller_port,)

    def properties(self) -> dict[str, object]:
        """Single-node settings: every internal topic with replication 1 and few partitions, no rebalance delay."""
        return {
            "process.roles": "broker,controller",
            "node.id": 1,
            "controller.quorum.voters": f"1@{HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": self.data_dir,
            "num.partitions": self.partitions,
            "default.replication.factor": 1,
            "min.insync.replicas": 1,
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": 1,
            "offsets.topic.num.partitions": 10,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "transaction.state.log.num.partitions": 10,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
            "num.network.threads": 2,
            "num.io.threads": 4,
            "num.recovery.threads.per.data.dir": 1,
            "log.retention.hours": 168,
            "log.segment.bytes": 128 * 1024 * 1024,
        }

    def _prepare(self) -> list[str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _write_properties(self.config_file, self.properties(), "written by hospsim at every start")
        if not (self.data_dir / "meta.properties").exists():
            self._format()
        return [str(self.config_file)]

    def _format(self) -> None:
        """Static quorum (controller.quorum.voters), so a changed controller port needs no re-format."""
        cmd = [self.java, "-Xmx256m", *self.jvm_flags, f"-Dlog4j2.configurationFile={self.log4j_file}",
               "-cp", str(lib_dir(self.jar_dir) / "*"), "kafka.tools.StorageTool", "format",
               "-t", new_cluster_id(), "-c", str(self.config_file), "--ignore-formatted"]
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise ServiceError(f"formatting the Kafka storage in {self.data_dir} failed (exit {proc.returncode}):\n"
                               f"{(proc.stdout + proc.stderr).strip()}")

    def _ready(self) -> bool:
        """Metadata answers: the broker is registered and serving, not just listening."""
        with contextlib.suppress(Exception):
            from kafka import KafkaAdminClient
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, client_id="hospsim-probe",
                                     request_timeout_ms=5000, **bootstrap_timeout(KafkaAdminClient, 5000))
            try:
                admin.list_topics()
                return True
            finally:
                admin.close()
        return False


def bootstrap_timeout(client_class, ms: int) -> dict:
    """kafka-python 3 renamed api_version_auto_timeout_ms to bootstrap_timeout_ms; pass whichever it knows."""
    known = getattr(client_class, "DEFAULT_CONFIG", {})
    for key in ("bootstrap_timeout_ms", "api_version_auto_timeout_ms"):
        if key in known:
            return {key: ms}
    return {}


class ConnectWorker(_JavaService):
    """A standalone Kafka Connect worker with the Debezium PostgreSQL plugin; REST on 127.0.0.1.

    Standalone mode keeps connector configs in memory: register them again (PUT is idempotent)
    after a restart. Source offsets persist in <state_dir>/connect/offsets.dat.
    """

    service = "connect"
    main_class = "org.apache.kafka.connect.cli.ConnectStandalone"

    def __init__(self, state_dir: Path, jar_dir: Path | None = None, rest_port: int = 18083,
                 bootstrap_servers: str = f"{HOST}:19092", *, heap: str = "768m", java: str = "java",
                 jvm_flags: tuple[str, ...] | None = None, offset_flush_ms: int = 5000):
        state_dir = Path(state_dir)
        super().__init__(state_dir / "connect", jar_dir or jar_dir_for(state_dir), rest_port, heap, java, jvm_flags)
        self.bootstrap_servers = bootstrap_servers
        self.offset_flush_ms = offset_flush_ms
        self.config_file = self.home / "worker.properties"
        self.offsets_file = self.home / "offsets.dat"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def properties(self) -> dict[str, object]:
        return {
            "bootstrap.servers": self.bootstrap_servers,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable": "false",
            "value.converter.schemas.enable": "false",
            "offset.storage.file.filename": self.offsets_file,
            "offset.flush.interval.ms": self.offset_flush_ms,
            "plugin.path": plugin_path(self.jar_dir),
            "plugin.discovery": "service_load",
            "listeners": f"http://{HOST}:{self.port}",
            "rest.advertised.host.name": HOST,
            "rest.advertised.port": self.port,
        }

    def _prepare(self) -> list[str]:
        _write_properties(self.config_file, self.properties(), "written by hospsim at every start")
        return [str(self.config_file)]

    def plugins(self) -> list[str]:
        with urllib.request.urlopen(f"{self.url}/connector-plugins", timeout=5) as resp:
            return [p.get("class", "") for p in json.load(resp)]

    def _ready(self) -> bool:
        with contextlib.suppress(OSError, ValueError, urllib.error.URLError):
            return DEBEZIUM_PG_CONNECTOR in self.plugins()
        return False

    def _not_ready_reason(self) -> str:
        with contextlib.suppress(OSError, ValueError, urllib.error.URLError):
            return (f"Connect answers but does not list {DEBEZIUM_PG_CONNECTOR} (plugins: {self.plugins()}; "
                    f"plugin.path={plugin_path(self.jar_dir)})")
        return ""


# --------------------------------------------------------------------------- from Params

def broker_from_params(params) -> KafkaBroker:
    k = params.kafka
    state = params.dirs.state_dir
    return KafkaBroker(state, jar_dir_for(state), k.broker_port, k.controller_port, partitions=k.partitions)


def connect_from_params(params) -> ConnectWorker:
    k = params.kafka
    state = params.dirs.state_dir
    bootstrap = k.bootstrap_servers or f"{HOST}:{k.broker_port}"
    return ConnectWorker(state, jar_dir_for(state), k.connect_port, bootstrap)
