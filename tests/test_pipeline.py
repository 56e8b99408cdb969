"""`hospsim run` executes notebooks for real with papermill: parameters injected, failures located, one report."""
from __future__ import annotations

import json

import nbformat
import pytest

from hospsim import pipeline


def make_notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("params_file: str = None  # a params YAML\n"
                                       "overrides: list = []  # key=value strings\n"
                                       "interactive: bool = True  # widgets in JupyterLab")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def books(tmp_path):
    d = tmp_path / "notebooks"
    d.mkdir()
    out = tmp_path / "out.json"
    make_notebook(d / "00_first.ipynb",
                  f"import json; json.dump({{'overrides': overrides, 'interactive': interactive}}, open({str(out)!r}, 'w'))")
    make_notebook(d / "01_second.ipynb", "x = 1", "print('made it')")
    return d, out


def test_runs_in_order_with_parameters_and_writes_one_report(books, tmp_path):
    d, out = books
    result = pipeline.run(None, [f"paths.runs_dir={tmp_path / 'runs'}", "simulation.days=3"], notebooks_dir=d,
                          progress=False)
    assert [p.name for p in result.notebooks] == ["00_first.ipynb", "01_second.ipynb"]
    assert json.loads(out.read_text()) == {"overrides": [f"paths.runs_dir={tmp_path / 'runs'}", "simulation.days=3"],
                                           "interactive": False}
    assert result.run_dir.parent.parent.parent == tmp_path / "runs" and result.run_dir.parent.name == "course"
    html = result.report.read_text()
    assert "made it" in html and "01_second" in html
    assert json.loads((result.run_dir / "params.json").read_text())["simulation"]["days"] == 3


def test_failure_names_the_notebook_and_cell(books, tmp_path):
    d, _ = books
    make_notebook(d / "02_broken.ipynb", "a = 1", "raise ValueError('bad beds')", "b = 2")
    with pytest.raises(pipeline.NotebookFailed) as err:
        pipeline.run(None, [f"paths.runs_dir={tmp_path / 'runs'}"], notebooks_dir=d, progress=False)
    message = str(err.value)
    assert "02_broken.ipynb failed in cell 2: ValueError: bad beds" in message
    assert err.value.output.exists()


def test_only_and_unknown_notebooks(books, tmp_path):
    d, _ = books
    assert [b.name for b in pipeline.course_notebooks(d, ["01"])] == ["01_second.ipynb"]
    with pytest.raises(ValueError, match="no notebook matches 07; choose from 00_first, 01_second"):
        pipeline.course_notebooks(d, ["07"])
