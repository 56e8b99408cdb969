"""Phase 10, census: per hospital and ward at midnight, beds held and the day's flows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hospsim.daily.admissions import Admitted, Transfers
from hospsim.daily.arrivals import Arrivals
from hospsim.daily.boarding import Boarding
from hospsim.daily.context import DayContext
from hospsim.daily.discharges import Beds
from hospsim.daily.frames import frame
from hospsim.daily.placement import Placement
from hospsim.daily.requests import Requests
from hospsim.daily.tables import ED, WARD_NAMES, W
from hospsim.daily.visits import Visits


def census(ctx: DayContext, arr: Arrivals, req: Requests, placed: Placement, adm: Admitted, moves: Transfers,
           board: Boarding, seen: Visits, beds: Beds) -> pd.DataFrame:
    """Inpatient rows count beds held at midnight; ED rows count arrivals, patients still there at midnight
    (boarders included) and those sent home."""
    lay = ctx.layout
    groups = lay.n_hospitals * W
    g_slot = lay.slot_hospital * W + lay.slot_ward
    occ = np.bincount(g_slot[(beds.person >= 0) & (beds.admit < ctx.t1)], minlength=groups)
    admitted = np.bincount(g_slot[adm.slot], minlength=groups)
    discharged = np.bincount(g_slot[beds.discharged_slot], minlength=groups)
    ti = moves.request
    t_in = np.bincount(placed.dest[ti] * W + req.ward[ti], minlength=groups)
    t_out = np.bincount(req.origin[ti] * W + ED, minlength=groups)
    boarding = np.bincount(np.concatenate([board.queue["origin"], req.origin[board.waiting]]) * W + ED,
                           minlength=groups)
    cancel = np.bincount(req.origin[board.cancelled] * W + req.ward[board.cancelled], minlength=groups)
    at_ed = arr.hosp * W + ED
    still_in_ed = ~np.isnan(seen.departure) & (seen.departure >= ctx.t1)
    occ = occ + np.bincount(at_ed[still_in_ed], minlength=groups)   # boarders are today's visits still there
    admitted = admitted + np.bincount(at_ed, minlength=groups)      # ED rows: arrivals
    discharged = discharged + np.bincount(at_ed[seen.disposition == "discharged"], minlength=groups)
    rows = np.flatnonzero(lay.beds.ravel() > 0)
    return frame("census", {
        "date": np.full(rows.size, ctx.day.isoformat()), "hospital_id": lay.hospital_ids[rows // W],
        "ward": WARD_NAMES[rows % W], "beds": lay.beds.ravel()[rows], "occupied": occ[rows],
        "admitted": admitted[rows], "discharged": discharged[rows], "transfers_in": t_in[rows],
        "transfers_out": t_out[rows], "boarding": boarding[rows], "cancelled_electives": cancel[rows]})
