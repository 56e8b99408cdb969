"""Phase 9, discharges: the beds after the day; yesterday's patients leaving plus today's short stays."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospsim.ages import age_on
from hospsim.daily import lifecycle
from hospsim.daily.admissions import Admitted
from hospsim.daily.context import DayContext
from hospsim.daily.frames import frame, ts
from hospsim.daily.placement import Placement
from hospsim.daily.requests import Requests
from hospsim.daily.tables import DAY_S, WARD_NAMES


@dataclass(frozen=True)
class Beds:
    """The beds at midnight (the next state's bed arrays) and the slots emptied today."""
    person: np.ndarray
    admission: np.ndarray
    admit: np.ndarray
    discharge: np.ndarray
    discharged_slot: np.ndarray
    left_at: np.ndarray         # discharge second of each discharge, in file order
    frame: pd.DataFrame         # the discharges file, in discharge-time order
    who: np.ndarray             # person row of each discharge, in file order
    died: np.ndarray            # the stay ended in death, in file order


def discharges(ctx: DayContext, req: Requests, placed: Placement, adm: Admitted) -> Beds:
    state, lay, c = ctx.state, ctx.layout, ctx.cohort
    person, admission = state.bed_person.copy(), state.bed_admission.copy()
    admit, discharge = state.bed_admit.copy(), state.bed_discharge.copy()
    old = np.flatnonzero(placed.leaving)
    out = adm.time + adm.los            # the planned discharge (placement's discharge clock)
    short = out < ctx.t1
    slot = np.concatenate([old, adm.slot[short]])
    who = np.concatenate([state.bed_person[old], req.person[adm.request][short]])
    ids = np.concatenate([state.bed_admission[old], adm.admission_id[short]])
    t_in = np.concatenate([state.bed_admit[old], adm.time[short]])
    t_out = np.concatenate([state.bed_discharge[old], out[short]])
    person[old] = -1
    person[adm.slot] = req.person[adm.request]
    admission[adm.slot] = adm.admission_id
    admit[adm.slot] = adm.time
    discharge[adm.slot] = out
    person[adm.slot[short]] = -1
    admission[person < 0], admit[person < 0], discharge[person < 0] = "", 0, 0
    do = np.lexsort((slot, t_out))
    died = lifecycle.hospital_deaths(ctx, lay.slot_ward[slot[do]], age_on(c.birth_day[who[do]], ctx.day))
    return Beds(person, admission, admit, discharge, slot, t_out[do], frame("discharges", {
        "admission_id": ids[do], "person_id": c.person_id[who[do]],
        "hospital_id": lay.hospital_ids[lay.slot_hospital[slot[do]]],
        "ward": WARD_NAMES[lay.slot_ward[slot[do]]], "bed": lay.slot_label[slot[do]],
        "admit_time": ts(t_in[do]), "discharge_time": ts(t_out[do]),
        "length_of_stay_days": np.round((t_out - t_in)[do] / DAY_S, 3),
        "outcome": np.where(died, "died", "alive")}), who[do], died)
