"""No Docker engine runs here, so docker-compose.yml is checked against the config instead of started."""
from __future__ import annotations

import re

import yaml

from hospsim import config

COMPOSE = yaml.safe_load((config.PROJECT_ROOT / "docker-compose.yml").read_text())
DEFAULTS = config.Params()


def published(service: str) -> dict[int, int]:
    """host port -> container port."""
    out = {}
    for spec in COMPOSE["services"][service].get("ports", []):
        host, container = str(spec).split(":")[-2:]
        out[int(host)] = int(container)
    return out


def test_the_four_services_have_healthchecks():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "kafka", "connect", "jupyterlab"}
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_postgres_has_logical_wal_and_the_config_defaults():
    pg = COMPOSE["services"]["postgres"]
    assert "wal_level=logical" in pg["command"]
    assert published("postgres") == {DEFAULTS.postgres.port: 5432}
    env = pg["environment"]
    for key, default in (("POSTGRES_USER", DEFAULTS.postgres.user), ("POSTGRES_PASSWORD", DEFAULTS.postgres.password),
                         ("POSTGRES_DB", DEFAULTS.postgres.database)):
        assert re.fullmatch(r"\$\{PG_\w+:-(.+)\}", env[key]).group(1) == default


def test_kafka_is_kraft_and_ports_match_the_config():
    kafka = COMPOSE["services"]["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert f"localhost:{DEFAULTS.kafka.broker_port}" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert published("kafka") == {DEFAULTS.kafka.broker_port: DEFAULTS.kafka.broker_port}
    assert published("connect") == {DEFAULTS.kafka.connect_port: 8083}


def test_jupyterlab_uses_only_variables_hospsim_reads():
    env = COMPOSE["services"]["jupyterlab"]["environment"]
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
