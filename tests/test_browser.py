"""A real browser on the real lab: JupyterLab on loopback, Debian's Chromium driven by Playwright.

It opens 05_dashboard, runs all cells, waits for plotly charts, moves the what-if slider, presses Run and
checks that the chart was redrawn with the new rate. The screenshot is kept in test-artifacts/.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
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
    pm.execute_notebook(str(PROJECT_ROOT / "notebooks" / "05_dashboard.ipynb"), str(lab_dir / "05_dashboard.ipynb"),
                        parameters={"params_file": str(params.dirs.runs_dir.parent / "course.yaml"),
                                    "overrides": [], "interactive": True},
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
    yield f"{base}/lab/tree/05_dashboard.ipynb?token={token}"
    server.terminate()
    server.wait(timeout=20)


FIGURES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
    title: (gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title)) || '',
    y: (gd._fullData || gd.data || []).map(t => Array.from(t.y || [])),
    names: (gd._fullData || gd.data || []).map(t => String(t.name || ''))
}))"""


def test_dashboard_renders_and_a_slider_run_redraws_the_chart(jupyterlab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    executable = chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(jupyterlab, wait_until="domcontentloaded")
            page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')",
                                   timeout=90_000)
            accept = page.locator(".jp-Dialog .jp-mod-accept")  # "Select Kernel" when the lab asks
            try:
                accept.wait_for(timeout=15_000)
                accept.click()
            except PlaywrightTimeout:
                pass
            page.wait_for_function("() => document.body.innerText.includes('Python 3 (ipykernel) | Idle')",
                                   timeout=90_000)
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 8", timeout=180_000)
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
            page.screenshot(path=str(ARTIFACTS / "05_dashboard.png"), full_page=False)
            page.evaluate("() => { const o = Array.from(document.querySelectorAll('.js-plotly-plot'))"
                          ".find(gd => String((gd.layout.title || {}).text || '').includes('800 ED visits'));"
                          " o.scrollIntoView(); }")
            page.screenshot(path=str(ARTIFACTS / "05_dashboard_after_run.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "05_dashboard_failure.png"))
            raise
        finally:
            browser.close()
    assert after, "the Run button redrew the what-if census"
    assert all("baseline" in n for n in before[0]["names"]), "before Run: the run's census alone"

    def total(figure, series: str) -> float:
        return sum(sum(y) for y, n in zip(figure["y"], figure["names"]) if series in n)
    assert total(after[0], "baseline") == total(before[0], "baseline"), "the baseline is the run, unchanged"
    assert total(after[0], "what-if") > total(after[0], "baseline"), "800 ED visits fill more beds than the run's 440"
    assert Path(ARTIFACTS / "05_dashboard_after_run.png").stat().st_size > 10_000
