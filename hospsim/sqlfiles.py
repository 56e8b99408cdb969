"""SQL lives in the package's sql/ folder as files; this reads them (hospsim.resources finds the folder)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from hospsim import resources


@cache
def read(name: str) -> str:
    """The text of sql/<name>, e.g. read("warehouse/01_dimensions.sql")."""
    path = resources.sql_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"SQL file {path} is missing; reinstall hospsim (its wheel, or "
                                "pip install -e . in a full checkout)")
    return path.read_text(encoding="utf-8")


def numbered(folder: str, *, include_drop: bool = False) -> list[Path]:
    """sql/<folder>/NN_*.sql in order; 99_* drop scripts only when asked."""
    files = sorted((resources.sql_dir() / folder).glob("[0-9][0-9]_*.sql"))
    return [f for f in files if include_drop or not f.name.startswith("99_")]
