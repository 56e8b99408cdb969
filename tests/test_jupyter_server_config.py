"""jupyter_server_config.py: a save in the lab leaves a course notebook as committed, outputs gone."""
from __future__ import annotations

import json
import runpy
import secrets
import shutil
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.conftest import PROJECT_ROOT, free_port

CONFIG = PROJECT_ROOT / "jupyter_server_config.py"


def _hook_module() -> dict:
    """The config file's functions, loaded as jupyter loads it (get_config provided by the loader)."""
    config = types.SimpleNamespace(FileContentsManager=types.SimpleNamespace())
    return runpy.run_path(str(CONFIG), init_globals={"get_config": lambda: config})


@pytest.mark.parametrize("book", sorted(p.name for p in (PROJECT_ROOT / "notebooks").glob("*.ipynb")))
def test_the_committed_notebooks_are_already_stripped(book):
    """So stripping on save writes back exactly the committed bytes."""
    path = PROJECT_ROOT / "notebooks" / book
    stripped = _hook_module()["strip_outputs"](nbformat.read(path, as_version=4))
    assert nbformat.writes(stripped) + "\n" == path.read_text(), f"{book} is committed with outputs or lab state"


def _executed(nb: dict) -> dict:
    """What a student's lab holds after Run All: outputs, counts and kernel metadata."""
    nb = json.loads(json.dumps(nb))
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 1000}]
        cell["metadata"]["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.2", "mimetype": "text/x-python"}
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_saving_in_a_real_server_strips_course_notebooks_only(tmp_path):
    """A jupyter server started as `make lab` starts it (--config), on a copy of the layout: PUT through the
    contents API, as the lab's Save does. notebooks/ links to the package's folder, as in the checkout."""
    (tmp_path / "hospsim" / "notebooks").mkdir(parents=True)
    (tmp_path / "notebooks").symlink_to(Path("hospsim") / "notebooks")
    shutil.copy(CONFIG, tmp_path / CONFIG.name)
    course = tmp_path / "notebooks" / "01_daily_loop.ipynb"
    shutil.copy(PROJECT_ROOT / "notebooks" / course.name, course)
    committed = course.read_bytes()
    port, token = free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
         f"--config={tmp_path / CONFIG.name}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}", "Content-Type": "application/json"}

    def put(path: str, nb: dict) -> None:
        body = json.dumps({"type": "notebook", "format": "json", "content": nb}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/contents/{path}", body, headers, method="PUT"),
                               timeout=30).close()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(urllib.request.Request(f"{base}/api/status", headers=headers), timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "jupyter server did not start"
                time.sleep(0.5)
        executed = _executed(json.loads(committed))
        put("notebooks/01_daily_loop.ipynb", executed)
        put("scratch.ipynb", executed)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert course.read_bytes() == committed, "the saved course notebook is byte for byte the committed one"
    scratch = nbformat.read(tmp_path / "scratch.ipynb", as_version=4)
    assert any(c.get("outputs") for c in scratch.cells), "a notebook outside notebooks/ keeps its outputs"
