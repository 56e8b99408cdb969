"""`hospsim run` executes notebooks for real with papermill: parameters injected, failures located, one report."""
from __future__ import annotations

import json
import re

import nbformat
import pytest

from hospsim import pipeline
from hospsim.errors import PipelineError


def make_notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("params_file: str = None  # a params YAML\n"
                                       "overrides: list = []  # key=value strings\n"
                                       "interactive: bool = True  # widgets in JupyterLab")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def folders(tmp_path) -> list[str]:
    """The run's folders under tmp: the project's data/ may hold another world's run."""
    return [f"paths.runs_dir={tmp_path / 'runs'}", f"paths.data_dir={tmp_path / 'data'}"]


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
    result = pipeline.run(None, [*folders(tmp_path), "simulation.days=3"], notebooks_dir=d, progress=False)
    assert [p.name for p in result.notebooks] == ["00_first.ipynb", "01_second.ipynb"]
    assert json.loads(out.read_text()) == {"overrides": [*folders(tmp_path), "simulation.days=3"],
                                           "interactive": False}
    assert result.run_dir.parent.parent.parent == tmp_path / "runs" and result.run_dir.parent.name == "course"
    html = result.report.read_text()
    assert "made it" in html and "01_second" in html
    assert json.loads((result.run_dir / "params.json").read_text())["simulation"]["days"] == 3


def test_failure_names_the_notebook_and_cell(books, tmp_path):
    d, _ = books
    make_notebook(d / "02_broken.ipynb", "a = 1", "raise ValueError('bad beds')", "b = 2")
    with pytest.raises(pipeline.NotebookFailed) as err:
        pipeline.run(None, folders(tmp_path), notebooks_dir=d, progress=False)
    message = str(err.value)
    assert "02_broken.ipynb failed in cell 2: ValueError: bad beds" in message
    assert err.value.output.exists()


def test_only_and_unknown_notebooks(books, tmp_path):
    d, _ = books
    assert [b.name for b in pipeline.course_notebooks(d, ["01"])] == ["01_second.ipynb"]
    with pytest.raises(PipelineError, match="no notebook matches 07; choose from 00_first, 01_second"):
        pipeline.course_notebooks(d, ["07"])


FIGURE_CELL = """import plotly.graph_objects as go
from hospsim import plots
plots.use_offline_renderer()
go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout_title_text="a </script> title")"""
TQDM_CELL = """from tqdm.auto import tqdm
for _ in tqdm(range(3), desc="simulating"):
    pass"""


def test_the_report_carries_plotly_once_folds_code_and_drops_progress_bars(tmp_path):
    from plotly.offline import get_plotlyjs
    d = tmp_path / "notebooks"
    d.mkdir()
    for name in ("00_a", "01_b"):
        make_notebook(d / f"{name}.ipynb", FIGURE_CELL, TQDM_CELL, "print('said once')")
    result = pipeline.run(None, folders(tmp_path), notebooks_dir=d, progress=False)
    for book in result.notebooks:
        executed = book.read_text()
        assert "window.PlotlyConfig" not in executed, "no notebook carries plotly.js"
        assert "simulating" in executed.split('"outputs"', 2)[2], "the notebook has a progress bar to leave out"
    html = result.report.read_text()
    assert html.count(get_plotlyjs()[:2000]) == 1, "plotly.js once per report"
    assert len(html) < len(get_plotlyjs()) + 600_000
    assert html.count('class="hospsim-figure"') == 2 and html.count("a <\\/script> title") == 2
    assert not re.search(r"simulating:\s*\d+%", html) and "widget-view" not in html, "no progress bars"
    assert html.count('<details class="hospsim-code">') == 2 * 5, "every code cell folded (papermill's one too)"
    assert not re.findall(r'<script[^>]+src="http', html), "nothing fetched from the network"
    top = html.split("<main>", 1)[1][:5000]
    assert "Contents" in top and 'href="#00_a"' in top and 'href="#00_a-fig1"' in top and "notebooks</strong>: 2" in top
