"""ipywidgets panels bound to Params: sliders for volumes and rates and a Run button that reruns a step.

A panel only produces overrides ({"simulation.population": 20000, ...}); the step itself is the same
package call a headless run makes, so widgets never change what a scheduled run computes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hospsim import config


@dataclass(frozen=True)
class Knob:
    key: str
    label: str
    low: float
    high: float
    step: float


KNOBS = {
    "population": Knob("simulation.population", "population", 1_000, 1_000_000, 1_000),
    "days": Knob("simulation.days", "days", 1, 365, 1),
    "ed_rate": Knob("simulation.ed_visits_per_1000_year", "ED visits /1000/yr", 100, 900, 10),
    "admit_share": Knob("simulation.ed_admit_share", "ED admitted share", 0.0, 0.5, 0.01),
    "los": Knob("simulation.mean_length_of_stay_days", "mean stay (days)", 1.0, 15.0, 0.1),
    "beds_scale": Knob("beds_scale", "beds x", 0.25, 3.0, 0.05),
    "event_rate": Knob("stream.events_per_second", "Kafka events/s", 100, 50_000, 100),
    "stream_rate": Knob("oltp.stream.events_per_second", "OLTP events/s", 1, 20_000, 1),
    "batch_size": Knob("oltp.stream.batch_size", "OLTP batch size", 1, 1_000, 1),
    "insert_ratio": Knob("oltp.stream.insert_ratio", "INSERT share", 0.0, 1.0, 0.05),
}


def current_value(params: config.Params, key: str) -> Any:
    if key == "beds_scale":
        return 1.0
    node: Any = params
    for part in key.split("."):
        node = getattr(node, part)
    return node


def overrides_from(params: config.Params, values: dict[str, Any]) -> dict[str, Any]:
    """Turn knob values into config overrides; `beds_scale` scales every ward of every hospital."""
    out = {KNOBS[name].key: value for name, value in values.items() if name != "beds_scale"}
    scale = values.get("beds_scale")
    if scale is not None and scale != 1.0:
        hospitals = params.to_dict()["region"]["hospitals"]
        for h in hospitals:
            h["wards"] = [{"type": w["type"], "beds": max(1, round(w["beds"] * scale))} for w in h["wards"]]
        out["region.hospitals"] = hospitals
    return out


def panel(params: config.Params, knobs: list[str], on_run: Callable[[dict[str, Any]], None], title: str = ""):
    """Sliders for `knobs` (names from KNOBS) and a Run button; on_run receives the overrides."""
    import ipywidgets as w

    sliders = {}
    for name in knobs:
        knob = KNOBS[name]
        value = current_value(params, knob.key)
        value = knob.low if value is None else value
        cls = w.IntSlider if isinstance(value, int) else w.FloatSlider
        sliders[name] = cls(value=value, min=knob.low, max=knob.high, step=knob.step, description=knob.label,
                            continuous_update=False, style={"description_width": "140px"},
                            layout=w.Layout(width="420px"))
    button = w.Button(description="Run", button_style="primary", icon="play")
    status = w.HTML()

    def clicked(_):
        button.disabled = True
        status.value = "running..."
        try:
            on_run(overrides_from(params, {n: s.value for n, s in sliders.items()}))
            status.value = "done"
        except Exception as exc:  # noqa: BLE001 - shown in the panel; the notebook keeps going
            status.value = f"<span style='color:#b00'>{type(exc).__name__}: {exc}</span>"
        finally:
            button.disabled = False

    button.on_click(clicked)
    header = [w.HTML(f"<b>{title}</b>")] if title else []
    box = w.VBox([*header, *sliders.values(), w.HBox([button, status])])
    box.sliders, box.button, box.status = sliders, button, status
    return box


LIVE_SPEEDS = {"real time (1)": 1.0, "an hour a minute (60)": 60.0, "a day a minute (1440)": 1440.0,
               "as fast as possible": None}


def live_controls(on_start: Callable[[float | None, int], None], on_stop: Callable[[], None], status):
    """Speed, days, Start and Stop for `hospsim live` in the lab; `status` (an HTML widget) is the caller's to
    fill with the clock. Start is disabled while a session runs."""
    import ipywidgets as w
    speed = w.Dropdown(options=list(LIVE_SPEEDS), value="a day a minute (1440)", description="speed")
    days = w.BoundedIntText(value=3, min=1, max=3650, description="days")
    start, stop = w.Button(description="Start", button_style="success"), w.Button(description="Stop")

    def started(_):
        start.disabled = True
        on_start(LIVE_SPEEDS[speed.value], days.value)

    def stopped(_):
        on_stop()

    start.on_click(started)
    stop.on_click(stopped)
    return w.VBox([w.HBox([speed, days, start, stop]), status]), start
