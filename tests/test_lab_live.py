"""The lab's live panel: Start runs `hospsim live` in the background and the status line reports it."""
from __future__ import annotations

import time

from hospsim import lab, simulate
from tests.conftest import small_params


def test_the_live_panel_runs_days_in_the_background_and_says_so(tmp_path):
    p = small_params(tmp_path, None, {"seed": 5, "simulation.population": 20_000, "simulation.warmup_days": 3,
                                      "simulation.days": 2, "kafka.enabled": False})
    simulate.run(p, progress=False)
    box, session = lab.live_panel(p)
    controls = box.children[0].children
    speed, days, start = controls[0], controls[1], controls[2]
    speed.value, days.value = "as fast as possible", 2
    start.click()
    assert start.disabled, "one session at a time"
    session["thread"].join(timeout=300)
    status = box.children[1].value
    assert "2 day(s) written" in status and not start.disabled, status
    the_run = simulate.runs.open_run(p)
    assert simulate.days_held(p, the_run)[0] == 4, "the two days of the run, then two live ones"
    start.click()
    time.sleep(0.2)
    controls[3].click()                     # Stop
    session["thread"].join(timeout=120)
    assert "(stopped)" in box.children[1].value or "day(s) written" in box.children[1].value
