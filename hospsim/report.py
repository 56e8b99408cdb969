"""The run's HTML report: every executed notebook in one file that opens fast and works offline.

Each notebook's figures are plotly's mimetype (no plotly.js inside); the report carries plotly.js once and
draws each figure when it scrolls into view. Code is folded under "code", widget and progress-bar outputs
(a frozen "simulating: 0%" in a static page) are left out, and a summary and contents open the page.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PROGRESS_BAR = re.compile(r"\d+%\|")
"""tqdm's text form ("simulating:  40%|████ ..."), as a kernel without widgets writes it to stderr."""

TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style type="text/css">
details.hospsim-code > summary { cursor: pointer; color: #666; font-size: 0.85em; padding: 2px 0 2px 8px; }
.hospsim-figure { width: 100%; }
</style>
{% endblock extra_css %}
{% block input_group -%}
<details class="hospsim-code"><summary>code</summary>
{{ super() }}
</details>
{%- endblock input_group %}
{% block footer_js %}
<script type="text/plain" id="hospsim-plotly-js">{{ resources.plotly_js }}</script>
<script type="text/javascript">
(function () {
  var figures = Array.prototype.slice.call(document.querySelectorAll(".hospsim-figure"));
  function draw(div) {
    if (div.dataset.drawn) return;
    div.dataset.drawn = "1";
    var fig = JSON.parse(document.getElementById(div.id + "-data").textContent);
    Plotly.newPlot(div, fig.data, fig.layout, {responsive: true});
  }
  function start() {
    var lib = document.createElement("script");
    lib.text = document.getElementById("hospsim-plotly-js").textContent;
    document.head.appendChild(lib);
    window.hospsimDrawAll = function () { figures.forEach(draw); };
    if (!("IntersectionObserver" in window)) { figures.forEach(draw); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) { seen.unobserve(e.target); draw(e.target); } });
    }, {rootMargin: "800px 0px"});
    figures.forEach(function (div) { seen.observe(div); });
  }
  requestAnimationFrame(function () { setTimeout(start, 0); });
})();
</script>
{% endblock footer_js %}
"""
"""JupyterLab's template, offline: no CDN scripts (require.js, MathJax, widgets, Mermaid), which a page
without network waits on; code folded. plotly.js is in the page once, as text that runs after the first
paint (so the summary shows at once), and each figure is drawn as it comes into view."""


def figure_html(fig: dict, div_id: str) -> str:
    """A placeholder div of the figure's height and its JSON, which the page's script draws when seen."""
    height = (fig.get("layout") or {}).get("height") or 450
    data = json.dumps({"data": fig.get("data", []), "layout": fig.get("layout", {})}, separators=(",", ":"))
    data = data.replace("</", "<\\/")  # a "</script>" inside a title must not end the script element
    return (f'<div class="hospsim-figure" id="{div_id}" style="height:{int(height)}px"></div>'
            f'<script type="application/json" id="{div_id}-data">{data}</script>')


def _is_debris(output: dict) -> bool:
    """Widgets (a static page cannot run them) and progress bars: nothing a reader can use."""
    data = output.get("data", {})
    if WIDGET_MIME in data:
        return True
    if output.get("output_type") == "stream" and output.get("name") == "stderr":
        return bool(PROGRESS_BAR.search(output.get("text", "")))
    html_out = data.get("text/html", "")
    return isinstance(html_out, str) and "window.PlotlyConfig" in html_out and PLOTLY_MIME not in data


def clean_cells(cells: list, prefix: str) -> tuple[list, list[tuple[str, str]]]:
    """The cells with debris dropped and figures as placeholders; returns (cells, [(div id, figure title)])."""
    figures = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if _is_debris(output):
                continue
            fig = output.get("data", {}).get(PLOTLY_MIME)
            if fig is not None:
                div_id = f"{prefix}-fig{len(figures) + 1}"
                title = ((fig.get("layout") or {}).get("title") or {})
                figures.append((div_id, title.get("text", "") if isinstance(title, dict) else str(title)))
                output = {"output_type": "display_data", "metadata": {},
                          "data": {"text/html": figure_html(fig, div_id)}}
            kept.append(output)
        cell["outputs"] = kept
    return cells, figures


def summary_lines(run_dir: Path, seconds: dict[str, float]) -> list[str]:
    """What was run: the params in a line, and each notebook's seconds."""
    lines = []
    params_file = run_dir / "params.json"
    if params_file.exists():
        p = json.loads(params_file.read_text())
        sim, hospitals = p.get("simulation", {}), p.get("region", {}).get("hospitals", [])
        beds = sum(w.get("beds", 0) for h in hospitals for w in h.get("wards", []))
        lines.append(f"- **world**: seed {p.get('seed')}, {sim.get('population', 0):,} people, "
                     f"{sim.get('days')} days from {sim.get('start_date')}, {len(hospitals)} hospitals, {beds:,} beds")
    total = sum(seconds.values())
    lines.append(f"- **notebooks**: {len(seconds)} in {total:.1f} s ("
                 + ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items()) + ")")
    return lines


def write(run_dir: Path, notebooks: list[Path], seconds: dict[str, float]) -> Path:
    """run_dir/report.html from the executed notebooks, in order."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter
    from plotly.offline import get_plotlyjs

    from hospsim.sinks import write_text

    exporter = HTMLExporter(template_name="lab", template_file="hospsim_report.html.j2",
                            extra_loaders=[jinja2.DictLoader({"hospsim_report.html.j2": TEMPLATE})])
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    combined = nbformat.v4.new_notebook()
    contents, sections = [], []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        cells, figures = clean_cells(nb.cells, path.stem)
        sections.append(nbformat.v4.new_markdown_cell(f'<h1 id="{path.stem}">{html.escape(path.stem)}</h1>'))
        sections.extend(cells)
        contents.append(f"{len(contents) + 1}. [{path.stem}](#{path.stem})"
                        + "".join(f"\n    - [{html.escape(t) or 'figure'}](#{i})" for i, t in figures))
        combined.metadata.setdefault("kernelspec", nb.metadata.get("kernelspec", {}))
        combined.metadata.setdefault("language_info", nb.metadata.get("language_info", {}))
    head = [f"# hospsim run {run_dir.name}", "", *summary_lines(run_dir, seconds), "",
            "Code is folded: open **code** above a cell to read it.", "", "## Contents", "", *contents]
    combined.cells = [nbformat.v4.new_markdown_cell("\n".join(head)), *sections]
    body, _ = exporter.from_notebook_node(combined, resources={"plotly_js": get_plotlyjs()})
    return write_text(body, run_dir / "report.html")
