"""Phase 5, admissions and transfers: every placed request becomes an admission; one placed at another
hospital than the one that asked is also a transfer."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospsim.daily.context import DayContext
from hospsim.daily.frames import frame, ids, ts
from hospsim.daily.placement import Placement
from hospsim.daily.requests import Requests
from hospsim.daily.tables import DAY_S, MODE_AWAY, WARD_NAMES


@dataclass(frozen=True)
class Admitted:
    """The day's admissions in admit-time order."""
    request: np.ndarray     # request index
    admission_id: np.ndarray
    slot: np.ndarray
    time: np.ndarray        # seconds
    los: np.ndarray         # seconds
    frame: pd.DataFrame


@dataclass(frozen=True)
class Transfers:
    request: np.ndarray     # request index of each transfer
    frame: pd.DataFrame


def admissions(ctx: DayContext, req: Requests, placed: Placement) -> Admitted:
    """Placements admitted today (a reservation for tomorrow is admitted tomorrow), in admit-time order."""
    lay, c = ctx.layout, ctx.cohort
    pi = np.flatnonzero(placed.placed & (placed.at < ctx.t1))
    pi = pi[np.lexsort((pi, placed.at[pi]))]
    admission_id = ids("A", ctx.stamp, pi.size)
    slot, time, los = placed.slot[pi], placed.at[pi], placed.out[pi] - placed.at[pi]
    return Admitted(pi, admission_id, slot, time, los, frame("admissions", {
        "admission_id": admission_id, "person_id": c.person_id[req.person[pi]], "visit_id": req.visit[pi],
        "hospital_id": lay.hospital_ids[lay.slot_hospital[slot]],
        "ward": WARD_NAMES[lay.slot_ward[slot]], "bed": lay.slot_label[slot],
        "admit_time": ts(time), "length_of_stay_days": np.round(los / DAY_S, 3),
        "planned_discharge_time": ts(time + los),
        "type": np.where(req.is_ed[pi], "emergency", "elective")}))


def transfers(ctx: DayContext, req: Requests, placed: Placement, adm: Admitted) -> Transfers:
    """Reason 'specialty' when the patient was sent away or the asking hospital lacks the ward, else 'capacity'."""
    lay = ctx.layout
    moved = placed.moved(req)
    ti = adm.request[moved[adm.request]]
    origin, dest = req.origin[ti], placed.dest[ti]
    lacks_ward = lay.beds[origin, req.ward[ti]] == 0
    return Transfers(ti, frame("transfers", {
        "transfer_id": ids("T", ctx.stamp, ti.size), "person_id": ctx.cohort.person_id[req.person[ti]],
        "visit_id": req.visit[ti], "admission_id": adm.admission_id[moved[adm.request]],
        "origin_hospital_id": lay.hospital_ids[origin], "destination_hospital_id": lay.hospital_ids[dest],
        "ward": WARD_NAMES[req.ward[ti]],
        "reason": np.where((req.mode[ti] == MODE_AWAY) | lacks_ward, "specialty", "capacity"),
        "request_time": ts(req.time[ti]), "departure_time": ts(placed.depart[ti]),
        "arrival_time": ts(placed.at[ti]), "distance_km": lay.distance_km[origin, dest]}))
