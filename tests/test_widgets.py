"""Widget panels produce config overrides and call the step; no kernel or browser needed here."""
from __future__ import annotations

from hospsim import config, widgets


def test_panel_run_button_passes_overrides(params_factory):
    params = params_factory()
    seen = []
    box = widgets.panel(params, ["population", "admit_share", "beds_scale"], seen.append, title="Setup")
    box.sliders["population"].value = 12_000
    box.sliders["admit_share"].value = 0.2
    box.sliders["beds_scale"].value = 0.5
    box.button.click()
    assert box.status.value == "done"
    (overrides,) = seen
    assert overrides["simulation.population"] == 12_000 and overrides["simulation.ed_admit_share"] == 0.2
    first = params.region.hospitals[0]
    scaled = overrides["region.hospitals"][0]["wards"]
    assert [w["beds"] for w in scaled] == [max(1, round(w.beds * 0.5)) for w in first.wards]
    rebuilt = config.load(None, overrides, environ={}, dotenv=params.root / "no.env")
    assert rebuilt.simulation.population == 12_000


def test_a_failing_step_shows_in_the_panel(params_factory):
    def boom(_):
        raise ValueError("no beds left")
    box = widgets.panel(params_factory(), ["days"], boom)
    box.button.click()
    assert "ValueError: no beds left" in box.status.value and not box.button.disabled
