""".env.example: every environment variable hospsim reads (hospsim.config.env_names), with its default.

Regenerate after adding a variable: `.venv/bin/python -m tests.test_env_example`.
"""
from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from hospsim import config

EXAMPLE = config.PROJECT_ROOT / ".env.example"
HEADER = """\
# hospsim's environment variables, each with its default. Copy to .env (read from the project root) and
# uncomment what you change. Precedence: defaults < params YAML < environment and .env < -p key=value.
# They are commented out because a set variable beats the params file: PARAMS=params/large.yaml would
# otherwise be overridden by these defaults. Generated from hospsim.config: python -m tests.test_env_example
"""


def defaults(cls: type = config.Params, prefix: str = "", values: object = None) -> dict[str, tuple[object, str]]:
    """Dotted key -> (its default, from params/default.yaml; its doc, from the field) for every field of Params."""
    values = config.defaults() if values is None else values
    out = {}
    hints = typing.get_type_hints(cls)
    for fld in dataclasses.fields(cls):
        key, value = f"{prefix}{fld.name}", getattr(values, fld.name)
        if dataclasses.is_dataclass(hints[fld.name]):
            out.update(defaults(hints[fld.name], key + ".", value))
        else:
            out[key] = (value, fld.metadata.get("doc", ""))
    return out


def _value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def render() -> str:
    known = defaults()
    lines = [HEADER]
    for name, key in config.env_names().items():
        if name == config.PARAMS_ENV:
            lines += ["# the params file when none is named (make sets it from PARAMS)",
                      f"# {name}={config.PARAMS_DIR.name}/{config.DEFAULT_PARAMS_FILE.name}", ""]
            continue
        if name == config.WARD_TYPES_ENV:
            lines += ["# another ward-type registry than hospsim/ward_types.yaml: set it in the environment (hospsim",
                      "# reads it at import, before .env); a new ward type also needs beds and a nurse ratio in the params",
                      f"# {name}=my_ward_types.yaml", ""]
            continue
        if name == config.EVENT_TYPES_ENV:
            lines += ["# another event-type registry than hospsim/event_types.yaml, its JSON schemas in event_schemas/",
                      "# beside it: set it in the environment (hospsim reads it at import, before .env)",
                      f"# {name}=my_event_types.yaml", ""]
            continue
        value, doc = known[key]
        lines += [f"# {key}" + (f": {doc}" if doc else ""), f"# {name}={_value(value)}", ""]
    return "\n".join(lines)


def test_env_example_names_every_variable_with_its_default():
    text = EXAMPLE.read_text()
    missing = [name for name in config.env_names() if f"# {name}=" not in text]
    assert not missing, f".env.example lacks {missing}: regenerate it with python -m tests.test_env_example"
    assert text == render(), ".env.example is stale: regenerate it with python -m tests.test_env_example"


if __name__ == "__main__":
    Path(EXAMPLE).write_text(render())
    print(f"wrote {EXAMPLE}")
