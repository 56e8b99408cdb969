"""A real browser on the real lab: JupyterLab on loopback, Debian's Chromium driven by Playwright.

It opens 01_daily_loop and 05_dashboard, runs all cells and waits for plotly charts; in 05 it moves the what-if
slider, presses Run and checks that the chart was redrawn with the new rate beside the run's census. Screenshots
of the census, staffing and what-if charts are kept in test-artifacts/ (01_*.png, 05_*.png) for a person to look at.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, free_port, service_unavailable_message

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        service_unavailable_message("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        service_unavailable_message("the playwright package is missing (pip install -e .[dev])")
    return path


@pytest.fixture
def jupyterlab(tmp_path, course):
    """JupyterLab serving a copy of 05_dashboard with the course's parameters injected (not executed)."""
    import papermill as pm

    params, _, _ = course
    lab_dir = tmp_path / "lab"
    lab_dir.mkdir()
    for book, interactive in (("05_dashboard", True), ("01_daily_loop", False)):
        pm.execute_notebook(str(PROJECT_ROOT / "notebooks" / f"{book}.ipynb"), str(lab_dir / f"{book}.ipynb"),
                            parameters={"params_file": str(params.dirs.runs_dir.parent / "course.yaml"),
                                        "overrides": [], "interactive": interactive},
                            prepare_only=True, progress_bar=False)
    port, token = free_port(), secrets.token_hex(16)
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={lab_dir}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True"],
        stdout=log, stderr=subprocess.STDOUT, cwd=lab_dir)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield f"{base}/lab/tree/{{book}}.ipynb?token={token}"
    server.terminate()
    server.wait(timeout=20)


FIGURES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
    title: (gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title)) || '',
    y: (gd._fullData || gd.data || []).map(t => Array.from(t.y || [])),
    names: (gd._fullData || gd.data || []).map(t => String(t.name || ''))
}))"""


@contextmanager
def browser_page(name: str):
    """A Chromium page on the lab; a failure leaves test-artifacts/<name>_failure.png."""
    from playwright.sync_api import sync_playwright
    executable = chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        try:
            yield page
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"{name}_failure.png"))
            raise
        finally:
            browser.close()


def open_and_run_all(page, url: str, figures: int) -> None:
    """Open a notebook in the lab, pick its kernel, run every cell and wait for its plotly charts."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=90_000)
    accept = page.locator(".jp-Dialog .jp-mod-accept")  # "Select Kernel" when the lab asks
    try:
        accept.wait_for(timeout=15_000)
        accept.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_function("() => document.body.innerText.includes('Python 3 (ipykernel) | Idle')", timeout=90_000)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length >= {figures}",
                           timeout=180_000)


def figure_screenshot(page, title_prefix: str, name: str) -> None:
    """test-artifacts/<name>.png: the first chart whose title starts with title_prefix, as the lab drew it."""
    index = page.evaluate("(prefix) => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                          ".findIndex(gd => String((gd.layout.title || {}).text || '').startsWith(prefix))",
                          title_prefix)
    assert index >= 0, f"no chart titled {title_prefix}..."
    chart = page.locator(".js-plotly-plot").nth(index)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # plotly's transition after a redraw; the screenshot is for eyes, not asserts
    page.evaluate("() => document.querySelectorAll('.Toastify__toast').forEach(t => t.remove())")  # lab's news
    chart.screenshot(path=str(ARTIFACTS / f"{name}.png"))


CHART_ORDER_JS = """(prefix) => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .filter(gd => String((gd.layout.title || {}).text || '').startsWith(prefix))
    .flatMap(gd => gd._fullData.filter(t => t.type === 'scatter').map(t => Array.from(t.x).map(String)))"""


def test_daily_loop_draws_sorted_census_lines_and_where_staff_is_short(jupyterlab):
    """01 in the lab: census lines run left to right, the staffing heatmap names the census it judges."""
    with browser_page("01_daily_loop") as page:
        open_and_run_all(page, jupyterlab.format(book="01_daily_loop"), figures=5)
        lines = page.evaluate(CHART_ORDER_JS, "Census per hospital")
        titles = [t for t in page.evaluate(FIGURES_JS) if str(t["title"]).startswith("Nurses short")]
        figure_screenshot(page, "Census per hospital", "01_census")
        figure_screenshot(page, "Nurses short", "01_staffing")
        figure_screenshot(page, "Bed occupancy", "01_occupancy")
    assert lines and all(x == sorted(x) for x in lines), "every census line runs in date order"
    assert titles and "against the run's census" in titles[0]["title"]


def test_dashboard_renders_and_a_slider_run_redraws_the_chart(jupyterlab):
    with browser_page("05_dashboard") as page:
        open_and_run_all(page, jupyterlab.format(book="05_dashboard"), figures=8)
        for prefix, name in (("Census per hospital", "05_census"), ("Nurses short", "05_staffing")):
            figure_screenshot(page, prefix, name)
        slider = page.locator(".widget-slider", has_text="ED visits /1000/yr")
        slider.wait_for(timeout=60_000)
        before = [f for f in page.evaluate(FIGURES_JS) if str(f["title"]).startswith("What-if census")]
        assert before and "440" in before[0]["title"], before

        readout = slider.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("800")
        page.keyboard.press("Enter")
        page.locator("button.widget-button", has_text="Run").click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".some(gd => String((gd.layout.title || {}).text || '').includes('800 ED visits'))", timeout=120_000)
        after = [f for f in page.evaluate(FIGURES_JS) if "800 ED visits" in str(f["title"])]
        page.locator(".widget-html", has_text="done").wait_for(timeout=30_000)
        figure_screenshot(page, "What-if census: 800", "05_what_if")
        page.screenshot(path=str(ARTIFACTS / "05_dashboard.png"), full_page=False)
        page.evaluate("() => { const o = Array.from(document.querySelectorAll('.js-plotly-plot'))"
                      ".find(gd => String((gd.layout.title || {}).text || '').includes('800 ED visits'));"
                      " o.scrollIntoView(); }")
        page.screenshot(path=str(ARTIFACTS / "05_dashboard_after_run.png"))
    assert after, "the Run button redrew the what-if census"
    assert all("baseline" in n for n in before[0]["names"]), "before Run: the run's census alone"

    def total(figure, series: str) -> float:
        return sum(sum(y) for y, n in zip(figure["y"], figure["names"]) if series in n)
    assert total(after[0], "baseline") == total(before[0], "baseline"), "the baseline is the run, unchanged"
    assert total(after[0], "what-if") > total(after[0], "baseline"), "800 ED visits fill more beds than the run's 440"
    assert Path(ARTIFACTS / "05_dashboard_after_run.png").stat().st_size > 10_000
