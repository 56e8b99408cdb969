"""Phase 7, visits: the day's visitors file, each visit's disposition and departure settled by the bed search."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospsim.daily import lifecycle
from hospsim.daily.arrivals import Arrivals
from hospsim.daily.context import DayContext
from hospsim.daily.disposition import Disposition
from hospsim.daily.frames import frame, ts
from hospsim.daily.placement import Placement
from hospsim.daily.requests import Requests
from hospsim.daily.tables import DISPOSITIONS, REASON_NAMES, TRIAGE_COLORS


@dataclass(frozen=True)
class Visits:
    disposition: np.ndarray     # DISPOSITIONS
    departure: np.ndarray       # seconds as float: every visit leaves (a boarder tomorrow)
    frame: pd.DataFrame
    died: np.ndarray            # died in the ED (sent home by the ED's decision, never left alive)


def visits(ctx: DayContext, arr: Arrivals, disp: Disposition, req: Requests, placed: Placement) -> Visits:
    """A visit placed at another hospital is a transfer whatever the ED decided; it leaves when the transfer
    does, an admitted one when its bed is ready (tomorrow for a boarder). One that no bed in the region takes
    within the boarding limit leaves then, discharged; one the full boarding area cannot hold is released home
    after its ED treatment (overload.yaml released_after_hours), discharged too."""
    c = ctx.cohort
    disposition = np.where(disp.transfer, "transferred", np.where(disp.admit, "admitted", np.where(
        disp.left, "left_without_being_seen", "discharged"))).astype(f"U{max(len(d) for d in DISPOSITIONS)}")
    departure = disp.decision.astype("float")
    ed = req.ed
    r = req.n_queue + np.arange(ed.size)        # the request of each requesting visit
    moved, got = placed.moved(req)[r], placed.placed[r]
    disposition[ed[moved]] = "transferred"
    departure[ed[got]] = placed.depart[r][got]
    disposition[ed[got & ~moved]] = "admitted"
    disposition[ed[~got]] = "discharged"
    departure[ed[~got]] = (req.time[r] + int(ctx.rules.boarding_limit_hours * 3600))[~got]
    out = placed.released[r]
    departure[ed[out]] = (req.time[r] + int(ctx.rules.released_after_hours * 3600))[out]
    died = lifecycle.ed_deaths(ctx, arr, disposition == "discharged")
    return Visits(disposition, departure, frame("visitors", {
        "visit_id": arr.visit_id, "person_id": c.person_id[arr.who], "hospital_id": ctx.layout.hospital_ids[arr.hosp],
        "arrival_time": ts(arr.arrival), "departure_time": ts(departure),
        "arrival_mode": np.where(disp.ambulance, "ambulance", "walk_in"), "age": arr.age, "sex": c.sex[arr.who],
        "triage": arr.triage, "triage_color": TRIAGE_COLORS[arr.triage - 1], "reason": REASON_NAMES[arr.reason],
        "disposition": disposition, "outcome": np.where(died, "died", "alive")}), died)
