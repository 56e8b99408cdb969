"""Shared fixtures: a real embedded PostgreSQL per test session, and small isolated Params."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from hospsim import config
from hospsim.services.errors import ServiceError
from hospsim.services.postgres import EmbeddedPostgres, PgInfo

IN_CI = os.environ.get("CI", "").lower() == "true"


def service_unavailable(what: str, exc: BaseException):
    """Outside CI a missing service skips; in CI it fails, never skips."""
    message = f"{what} could not start: {exc}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> EmbeddedPostgres:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("state"), port=free_port())
    try:
        server.start()
    except ServiceError as exc:
        service_unavailable("embedded PostgreSQL", exc)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg(pg_server) -> PgInfo:
    return pg_server.info


def small_params(tmp: Path, pg_info: PgInfo | None = None, overrides: dict | None = None,
                 params_file: str | None = None) -> config.Params:
    """Params for a test: outputs under tmp, no environment, an optional running PostgreSQL."""
    base = {"paths.data_dir": str(tmp / "data"), "paths.runs_dir": str(tmp / "runs"),
            "paths.state_dir": str(tmp / "state"), "paths.logs_dir": str(tmp / "logs")}
    if pg_info is not None:
        base |= {"postgres.embedded": False, "postgres.host": pg_info.host, "postgres.port": pg_info.port,
                 "postgres.user": pg_info.user, "postgres.password": pg_info.password,
                 "postgres.database": pg_info.database}
    return config.load(params_file, {**base, **(overrides or {})}, environ={}, dotenv=tmp / "no.env")


@pytest.fixture
def params_factory(tmp_path):
    def make(overrides: dict | None = None, *, pg_info: PgInfo | None = None, params_file: str | None = None):
        return small_params(tmp_path, pg_info, overrides, params_file)
    return make
