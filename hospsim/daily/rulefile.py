"""A clinical table file (hospsim/params/clinical/<name>.yaml) read and checked: every table has a source and
values of the expected shape. Kept small on purpose, for the returns and overload tables; the shared clinical
loader (hospsim.rules) can take its place."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from hospsim import resources
from hospsim.errors import ConfigError

SCALAR, BY_NAME = 0, -1        # shapes: a number, a {name: factor} map; n > 0: a list of n numbers


def load(name: str, shapes: dict[str, int], folder: Path | None = None) -> dict:
    """The file's tables as numbers (float, array or {name: float}); every problem at once, naming the file."""
    path = (folder or resources.params_dir() / "clinical") / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = [f"{path.name}: unknown table {k!r}; known: {sorted(shapes)}" for k in raw if k not in shapes]
    out = {}
    for key, shape in shapes.items():
        table = raw.get(key)
        if not isinstance(table, dict) or not str(table.get("source") or "").strip() or "values" not in table:
            problems.append(f"{path.name}: table {key!r} needs a source: and values:")
            continue
        value, problem = _checked(table["values"], shape)
        if problem:
            problems.append(f"{path.name}: {key}: {problem}")
        out[key] = value
    if problems:
        raise ConfigError(problems)
    return out


def _checked(values, shape: int):
    if shape == BY_NAME:
        if not isinstance(values, dict):
            return None, "expected {name: factor}"
        numbers = {str(k): v for k, v in values.items()}
        bad = [k for k, v in numbers.items() if not _number(v)]
        return {k: float(v) for k, v in numbers.items() if k not in bad}, (f"not a number >= 0: {bad}" if bad else "")
    if shape == SCALAR:
        return (float(values), "") if _number(values) else (None, f"expected a number >= 0, got {values!r}")
    if not isinstance(values, list) or len(values) != shape or not all(_number(v) for v in values):
        return None, f"expected a list of {shape} numbers >= 0, got {values!r}"
    return np.array(values, dtype=float), ""


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v >= 0
