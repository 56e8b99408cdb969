"""hospsim's own files: every SQL name the code uses resolves in the package, and the wheel ships them all."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from hospsim import resources, sqlfiles
from tests.conftest import PROJECT_ROOT

SQL_BASES = ("", "warehouse/", "services/")
"""Where the code's SQL names start: sql/ itself, sql/warehouse/ (warehouse.schema.text and the ingestor name
files under its folder) and sql/services/ (EmbeddedPostgres runs its scripts from there)."""


def _docstrings(tree: ast.AST) -> set[int]:
    bodies = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {id(node.body[0].value) for node in ast.walk(tree) if isinstance(node, bodies) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def sql_names_in_code() -> set[str]:
    """Every string in the package's code that names a .sql file; an f-string's fields become `*`."""
    names = set()
    for source in resources.package_dir().rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        skip = _docstrings(tree) | {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                text = node.value
            elif isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)
            else:
                continue
            if text.endswith(".sql") and " " not in text and not text.startswith("["):
                names.add(text.removeprefix("*/"))      # f"{FOLDER}/merge/{kind}.sql": FOLDER is a base
    return names


def test_every_sql_file_name_the_code_uses_resolves_in_the_package():
    names = sql_names_in_code()
    assert len(names) > 30, f"the scan found only {sorted(names)}"
    unresolved = [name for name in sorted(names)
                  if not any(list(resources.sql_dir().glob(base + name)) for base in SQL_BASES)]
    assert not unresolved, f"no file in {resources.sql_dir()} for {unresolved}"
    assert sqlfiles.read("warehouse/01_dimensions.sql").lstrip().startswith("--")


def test_the_package_holds_its_files_and_a_checkout_is_its_own_project_folder():
    assert resources.package_dir() == PROJECT_ROOT / "hospsim"
    assert resources.checkout() == PROJECT_ROOT
    for link in (resources.SQL, resources.PARAMS, resources.NOTEBOOKS):   # the checkout's names for them
        assert (PROJECT_ROOT / link).resolve() == resources.path(link)


def test_a_package_outside_a_checkout_has_none(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    monkeypatch.setattr(resources, "package_dir", lambda: tmp_path / "hospsim")
    resources.checkout.cache_clear()
    try:
        assert resources.checkout() is None
    finally:
        resources.checkout.cache_clear()


def build_wheel(out: Path) -> Path:
    """The wheel of this checkout, built from a copy of what git tracks (an in-tree build keeps build/)."""
    src = out / "src"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_symlink() or source.is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, src / name, follow_symlinks=False)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(out / "dist"), str(src)], check=True, capture_output=True, timeout=300)
    return next((out / "dist").glob("hospsim-*.whl"))


def test_the_wheel_ships_the_sql_the_params_and_the_notebooks(tmp_path):
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        shipped = set(wheel.namelist())
    package = resources.package_dir()
    needed = [*resources.sql_dir().rglob("*.sql"), *resources.params_dir().rglob("*.yaml"),
              *resources.notebooks_dir().glob("*.ipynb"), resources.path("services/pom.xml"),
              resources.path("dictionary.yaml"), resources.path("ward_types.yaml"),
              resources.path("event_types.yaml"),
              *resources.path("event_schemas").glob("*.json")]
    assert len(needed) > 80
    missing = [str(p.relative_to(package)) for p in needed if f"hospsim/{p.relative_to(package).as_posix()}" not in shipped]
    assert not missing, f"the wheel lacks {missing}: see [tool.setuptools.package-data] in pyproject.toml"
    assert not [n for n in shipped if n.startswith(("tests/", "hospsim/notebooks/solutions/"))]
