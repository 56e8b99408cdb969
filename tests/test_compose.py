"""No Docker engine runs here, so docker-compose.yml is checked against the config instead of started;
and for closed doors: ports on 127.0.0.1 only, JupyterLab behind a token."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from hospsim import config

COMPOSE = yaml.safe_load((config.PROJECT_ROOT / "docker-compose.yml").read_text())
DEFAULTS = config.defaults()


def published(service: str) -> dict[int, int]:
    """host port -> container port."""
    out = {}
    for spec in COMPOSE["services"][service].get("ports", []):
        host, container = str(spec).split(":")[-2:]
        out[int(host)] = int(container)
    return out


LONG_RUNNING = ("postgres", "kafka", "connect", "jupyterlab")
WORKERS = ("scheduler", "stream-processor", "batch-ingestor")
"""The original project's services, each a hospsim command in the lab image."""
CITUS = ("citus-coordinator", "citus-worker-1", "citus-worker-2", "citus-init")
"""The warehouse at scale, behind the compose profile `citus`."""
DASK = ("dask-scheduler", "dask-worker")
"""A Dask cluster for a state's health regions (hospsim.scaleout), from the lab image."""
HOST_PORT_OFFSET = 10_000
"""The stack's host ports are hospsim's defaults plus this, so it runs beside the embedded services."""


def test_the_four_services_have_healthchecks_their_images_can_run():
    services = COMPOSE["services"]
    assert set(services) == {*LONG_RUNNING, "connector-init", *WORKERS, *CITUS, *DASK}
    for name in LONG_RUNNING:
        test = services[name].get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"
    # the micromamba image of the lab has no curl; Debezium's image does
    lab_check = " ".join(services["jupyterlab"]["healthcheck"]["test"])
    assert "curl" not in lab_check and "/opt/conda/bin/python" in lab_check


def test_no_host_port_clashes_with_the_embedded_services():
    embedded = {DEFAULTS.postgres.port, DEFAULTS.kafka.broker_port, DEFAULTS.kafka.controller_port,
                DEFAULTS.kafka.connect_port}
    host_ports = {port for name in COMPOSE["services"] for port in published(name)}
    assert not host_ports & embedded


def test_debezium_is_the_version_the_embedded_worker_runs():
    pom = (config.PROJECT_ROOT / "hospsim" / "services" / "pom.xml").read_text()
    pinned = re.search(r"<debezium.version>(.+)</debezium.version>", pom).group(1)
    assert COMPOSE["services"]["connect"]["image"] == f"quay.io/debezium/connect:{pinned}"


def test_a_one_shot_service_registers_the_connector_before_the_lab_starts():
    init = COMPOSE["services"]["connector-init"]
    assert init["depends_on"]["connect"]["condition"] == "service_healthy"
    assert "hospsim oltp init" in " ".join(init["command"]) and "cdc connector --register" in " ".join(init["command"])
    assert init["environment"]["CONNECT_URL"] == "http://connect:8083" and init["environment"]["PG_HOST"] == "postgres"
    lab = COMPOSE["services"]["jupyterlab"]
    assert lab["depends_on"]["connector-init"]["condition"] == "service_completed_successfully"


def test_the_build_context_leaves_out_outputs_and_caches():
    ignored = (config.PROJECT_ROOT / ".dockerignore").read_text().split()
    for folder in (".venv/", ".git/", "data/", "runs/", ".hospsim/", "logs/"):
        assert folder in ignored, f"{folder} would go into every image build"


def test_postgres_has_logical_wal_and_the_config_defaults():
    pg = COMPOSE["services"]["postgres"]
    assert "wal_level=logical" in pg["command"]
    assert published("postgres") == {DEFAULTS.postgres.port + HOST_PORT_OFFSET: 5432}
    env = pg["environment"]
    for key, default in (("POSTGRES_USER", DEFAULTS.postgres.user), ("POSTGRES_PASSWORD", DEFAULTS.postgres.password),
                         ("POSTGRES_DB", DEFAULTS.postgres.database)):
        assert re.fullmatch(r"\$\{PG_\w+:-(.+)\}", env[key]).group(1) == default


def test_kafka_is_kraft_and_ports_match_the_config():
    kafka = COMPOSE["services"]["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    external = DEFAULTS.kafka.broker_port + HOST_PORT_OFFSET
    assert f"localhost:{external}" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert published("kafka") == {external: external}
    assert published("connect") == {DEFAULTS.kafka.connect_port + HOST_PORT_OFFSET: 8083}


JUPYTER_VARIABLES = {"JUPYTER_TOKEN"}
"""Read by JupyterLab itself, not by hospsim."""


@pytest.mark.parametrize("service", ["jupyterlab", *WORKERS])
def test_the_lab_image_services_use_only_variables_hospsim_reads(service):
    env = {k: v for k, v in COMPOSE["services"][service]["environment"].items() if k not in JUPYTER_VARIABLES}
    known = config.env_names()
    assert set(env) <= set(known), f"unknown variables: {set(env) - set(known)}"
    params = config.load(None, environ={k: re.sub(r"\$\{\w+:-(.*)\}", r"\1", str(v)) for k, v in env.items()},
                         dotenv=config.PROJECT_ROOT / "no-such.env")
    assert params.postgres.embedded is False and params.postgres.host == "postgres"
    assert params.kafka.bootstrap_servers == "kafka:9092" and params.kafka.connect_url == "http://connect:8083"


def test_jupyterlab_is_built_from_environment_yml_with_the_repo_mounted():
    lab = COMPOSE["services"]["jupyterlab"]
    dockerfile = (config.PROJECT_ROOT / lab["build"]["dockerfile"]).read_text()
    assert "environment.yml" in dockerfile
    assert any(str(v).startswith(".:") for v in lab["volumes"])
    env_yml = yaml.safe_load((config.PROJECT_ROOT / "environment.yml").read_text())
    deps = [d for d in env_yml["dependencies"] if isinstance(d, str)]
    assert "conda-forge" in env_yml["channels"] and "openjdk=17" in deps and "maven" in deps


# --------------------------------------------------------------------------- closed doors

def host_ip(spec) -> str | None:
    """The host address a port entry binds: short syntax [ip:]host:container[/proto], or the long syntax."""
    if isinstance(spec, dict):
        return spec.get("host_ip")
    parts = str(spec).split("/")[0].rsplit(":", 2)
    return parts[0] if len(parts) == 3 else None


def test_host_ip_reads_both_syntaxes():
    assert [host_ip(p) for p in ("8888:8888", "127.0.0.1:8888:8888", "0.0.0.0:1:2/tcp", {"target": 1})] == [
        None, "127.0.0.1", "0.0.0.0", None]


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_published_port_is_on_loopback(name):
    service = COMPOSE["services"][name]
    assert service.get("ports"), f"{name} publishes no port: the other checks here would pass for nothing"
    for spec in service["ports"]:
        assert host_ip(spec) == "127.0.0.1", f"{name}: {spec!r} is published on every interface"
    assert service.get("network_mode") != "host", f"{name} shares the host's network"


@pytest.mark.parametrize("name", ["connector-init", *WORKERS])
def test_the_services_without_a_page_publish_nothing(name):
    service = COMPOSE["services"][name]
    assert not service.get("ports") and service.get("network_mode") != "host"


def jupyter_command() -> list[str]:
    lab = COMPOSE["services"]["jupyterlab"]
    if "command" in lab:
        return lab["command"] if isinstance(lab["command"], list) else lab["command"].split()
    dockerfile = (config.PROJECT_ROOT / lab["build"]["dockerfile"]).read_text()
    return json.loads(re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[-1])


def test_jupyterlab_asks_for_a_token():
    command = jupyter_command()
    assert command[:2] == ["jupyter", "lab"]
    for arg in command:
        key, _, value = arg.partition("=")
        if key.lower().endswith(".token"):
            assert value.strip("'\"") not in ("", "None"), f"{arg}: a JupyterLab with no token runs anyone's code"
    token = COMPOSE["services"]["jupyterlab"]["environment"]["JUPYTER_TOKEN"]
    assert re.fullmatch(r"\$\{JUPYTER_TOKEN:?-?\}", token), (
        "the token comes from JUPYTER_TOKEN; unset, JupyterLab generates one and logs the URL with it")


# --------------------------------------------------------------------------- the original project's services

PENDING_COMMANDS = {"live"}
"""Commands a compose service may name before they reach this branch (hospsim live comes with the live clock);
once the parser knows one, it is parsed like every other."""


def hospsim_commands(service: dict) -> list[list[str]]:
    """The hospsim command lines a service runs: its command, or each `hospsim ...` of an `sh -c` chain."""
    import shlex
    command = service.get("command") or []
    command = command if isinstance(command, list) else shlex.split(command)
    lines = [shlex.split(part) for part in command[2].split("&&")] if command[:2] == ["sh", "-c"] else [command]
    return [line for line in lines if line and line[0] == "hospsim"]


def test_every_service_command_is_one_the_cli_accepts():
    from hospsim.cli import build_parser
    parser = build_parser()
    known = set(next(a for a in parser._actions if a.dest == "command").choices)
    lines = {name: hospsim_commands(s) for name, s in COMPOSE["services"].items()}
    assert all(lines[name] for name in ("connector-init", *WORKERS))
    for name, commands in lines.items():
        for line in commands:
            if line[1] not in known:
                assert line[1] in PENDING_COMMANDS, f"{name}: `{' '.join(line)}`: the CLI has no command {line[1]!r}"
                continue
            try:
                parser.parse_args(line[1:])
            except SystemExit:
                pytest.fail(f"{name}: the CLI refuses `{' '.join(line)}`")


def test_the_workers_run_the_original_services_in_the_lab_image():
    lab = COMPOSE["services"]["jupyterlab"]
    expected = {"scheduler": ["live", "--speed", "1440"], "stream-processor": ["stream", "process"],
                "batch-ingestor": ["ingest", "--watch"]}
    for name, args in expected.items():
        service = COMPOSE["services"][name]
        assert hospsim_commands(service) == [["hospsim", *args]]
        assert service["build"]["dockerfile"] == lab["build"]["dockerfile"] and service["volumes"] == lab["volumes"]
        assert service["restart"] == "unless-stopped" and service["depends_on"]["postgres"]["condition"] == "service_healthy"
    # the scheduler's OLTP changes need the tables and Debezium's connector first
    assert COMPOSE["services"]["scheduler"]["depends_on"]["connector-init"]["condition"] == "service_completed_successfully"


def test_a_command_the_cli_does_not_know_is_caught():
    assert hospsim_commands({"command": ["sh", "-c", "hospsim oltp init && hospsim nope"]}) == [
        ["hospsim", "oltp", "init"], ["hospsim", "nope"]]
    from hospsim.cli import build_parser
    with pytest.raises(SystemExit):
        build_parser().parse_args(["stream", "process", "--no-such-flag"])


def test_citus_is_a_profile_whose_init_is_a_hospsim_command_on_the_coordinator():
    from hospsim import cli
    services = COMPOSE["services"]
    assert all(services[name]["profiles"] == ["citus"] for name in CITUS)
    assert not any("profiles" in services[name] for name in (*LONG_RUNNING, *WORKERS))
    init = services["citus-init"]
    command = init["command"]
    assert command[0] == "hospsim"
    args = cli.build_parser().parse_args(command[1:])
    assert args.apply and args.worker == [("citus-worker-1", 5432), ("citus-worker-2", 5432)]
    assert all(host in services for host, _ in args.worker)
    assert init["environment"]["PG_HOST"] == "citus-coordinator"


# --------------------------------------------------------------------------- the Dask cluster of a state

def test_the_dask_services_run_the_dask_commands_in_the_lab_image():
    lab, services = COMPOSE["services"]["jupyterlab"], COMPOSE["services"]
    scheduler, worker = services["dask-scheduler"], services["dask-worker"]
    assert scheduler["command"][:2] == ["dask", "scheduler"] and worker["command"][:2] == ["dask", "worker"]
    port = scheduler["command"][scheduler["command"].index("--port") + 1]
    assert worker["command"][2] == f"tcp://dask-scheduler:{port}"
    assert "--nthreads" in worker["command"] and worker["command"][worker["command"].index("--nthreads") + 1] == "1"
    for service in (scheduler, worker):
        assert service["build"]["dockerfile"] == lab["build"]["dockerfile"]
    # the workers write each region's files where the lab reads them
    assert worker["volumes"] == lab["volumes"]
    assert worker["depends_on"]["dask-scheduler"]["condition"] == "service_healthy"
    assert "8786" in " ".join(scheduler["healthcheck"]["test"])
    assert all(host_ip(p) == "127.0.0.1" for p in scheduler.get("ports", []))
    assert not worker.get("ports")


def test_the_lab_runs_a_state_on_the_compose_cluster():
    """The lab's environment points a state run at the dask-scheduler service, and the CLI accepts the run."""
    from hospsim.cli import build_parser
    lab = COMPOSE["services"]["jupyterlab"]["environment"]
    worker = COMPOSE["services"]["dask-worker"]["command"]
    env = {k: re.sub(r"\$\{\w+:-(.*)\}", r"\1", str(v)) for k, v in lab.items() if k not in JUPYTER_VARIABLES}
    params = config.load("params/state.yaml", environ=env, dotenv=config.PROJECT_ROOT / "no-such.env")
    assert params.state.scheduler == worker[2] and params.state.regions >= 20
    args = build_parser().parse_args(["simulate", "-f", "params/state.yaml", "--scheduler", worker[2]])
    assert args.scheduler == worker[2]
