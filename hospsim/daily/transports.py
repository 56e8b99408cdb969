"""Phase 8, transports: an ambulance run for each ambulance arrival, timed backwards from the ED arrival."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hospsim.daily.arrivals import Arrivals
from hospsim.daily.context import DayContext
from hospsim.daily.disposition import Disposition
from hospsim.daily.frames import frame, ids, ts
from hospsim.daily.tables import AMBULANCE_SPEED_KMH, ROAD_FACTOR
from hospsim.geo import haversine_km


def transports(ctx: DayContext, arr: Arrivals, disp: Disposition) -> pd.DataFrame:
    """Priority from triage; road km from home to the ED; the drive at the priority's speed; before it,
    the crew's way to the patient and the dispatch."""
    c, lay, g = ctx.cohort, ctx.layout, ctx.rng
    ai = np.flatnonzero(disp.ambulance)
    who, hosp, triage = arr.who[ai], arr.hosp[ai], arr.triage[ai]
    priority = np.where(triage <= 1, 1, np.where(triage <= 3, 2, 3))
    km = np.round(haversine_km(c.lat[who], c.lon[who], lay.lat[hosp], lay.lon[hosp]) * ROAD_FACTOR + 0.5, 1)
    drive = np.round(km / AMBULANCE_SPEED_KMH[priority - 1] * 3600).astype(np.int64) + 120
    pickup = arr.arrival[ai] - drive
    dispatch = pickup - g.integers(8 * 60, 20 * 60, ai.size) \
        - np.round(np.exp(np.log(9 * 60) + 0.4 * g.standard_normal(ai.size))).astype(np.int64)
    return frame("transports", {
        "transport_id": ids("E", ctx.stamp, ai.size), "person_id": c.person_id[who], "visit_id": arr.visit_id[ai],
        "priority": priority, "dispatch_time": ts(dispatch), "pickup_time": ts(pickup),
        "arrival_time": ts(arr.arrival[ai]), "hospital_id": lay.hospital_ids[hosp], "distance_km": km})
