"""hospsim's own files: SQL, params presets, notebooks, event schemas, the Maven pom, the glossary.

They ship inside the package and are found through importlib.resources, so an installed wheel finds them
from any folder. This is the one module that knows where they are; a user's outputs (data/, runs/, logs/,
.env) go to the project folder instead, which hospsim.config decides.
"""
from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

SQL, PARAMS, NOTEBOOKS = "sql", "params", "notebooks"


@cache
def package_dir() -> Path:
    """The installed package's folder. pip installs it as plain files; papermill and Maven need real paths."""
    root = resources.files("hospsim")
    if not isinstance(root, Path):
        raise TypeError(f"hospsim is imported from {root}, not from a folder; install it with pip")
    return root


def path(name: str | Path) -> Path:
    """A file or folder shipped in the package, e.g. "sql/warehouse/01_dimensions.sql" or "services/pom.xml"."""
    return package_dir() / name


def sql_dir() -> Path:
    return path(SQL)


def params_dir() -> Path:
    return path(PARAMS)


def notebooks_dir() -> Path:
    return path(NOTEBOOKS)


@cache
def checkout() -> Path | None:
    """The source checkout this package runs from (an editable install), else None (a wheel in site-packages).

    A checkout is its own project folder, so `make run`, the lab and the tests keep their outputs beside it.
    """
    parent = package_dir().parent
    pyproject = parent / "pyproject.toml"
    if pyproject.is_file() and 'name = "hospsim"' in pyproject.read_text(encoding="utf-8"):
        return parent
    return None
