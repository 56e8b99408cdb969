"""OLTP fixtures: each test module gets its own schema, publication and slot names on the shared server."""
from __future__ import annotations

import pytest

from hospsim.oltp import schema, seed
from tests.conftest import small_params


def oltp_names(name: str) -> dict:
    return {"oltp.schema": name, "oltp.publication": f"{name}_pub", "oltp.slot": f"{name}_slot"}


@pytest.fixture(scope="module")
def module_name(request) -> str:
    return "t_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")


@pytest.fixture(scope="module")
def seeded(pg, tmp_path_factory, module_name):
    """Params for this module's schema, reset and seeded with the default volumes once."""
    params = small_params(tmp_path_factory.mktemp(module_name), pg, oltp_names(module_name))
    seed.reset(params, pg)
    yield params
    schema.drop(params, pg)


@pytest.fixture
def fresh(pg, params_factory, request):
    """A factory: params for a schema of this test's own (dropped first), with extra overrides."""
    made = []

    def make(overrides: dict | None = None, *, seed_it: bool = True):
        name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:40]
        params = params_factory({**oltp_names(name), **(overrides or {})}, pg_info=pg)
        schema.drop(params, pg)
        if seed_it:
            seed.seed(params, pg)
        else:
            schema.init(params, pg)
        made.append(params)
        return params

    yield make
    for params in made:
        schema.drop(params, pg)
