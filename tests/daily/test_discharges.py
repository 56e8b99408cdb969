"""Discharges: yesterday's patients leaving today and today's short stays leave; the beds after the day hold
everyone else."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hospsim.daily.admissions import admissions
from hospsim.daily.discharges import discharges
from hospsim.daily.placement import placement
from hospsim.daily.tables import WARD
from tests.daily.conftest import context, make_requests, occupied_state, slots


def test_leavers_and_short_stays_are_discharged_and_the_beds_say_who_stays(params, cohort):
    h01_ms, icu = slots(cohort, "H01", "med_surg"), slots(cohort, "H01", "icu")
    state = occupied_state(params, cohort, {h01_ms[0]: (500, 10 * 3600), h01_ms[1]: (501, 3 * 86_400)})
    ctx = context(params, cohort, state)
    # 11:00 takes the bed freed at 10:00 for two days; 00:00 gets the ICU bed for eight hours, and leaves on
    # the discharge clock the same day.
    req = make_requests(ctx, hours=[11, 0], origin=0, ward="med_surg")
    req.ward[1], req.los[1] = WARD["icu"], 8 * 3600
    placed = placement(ctx, req)
    adm = admissions(ctx, req, placed)
    beds = discharges(ctx, req, placed, adm)
    out = beds.frame
    assert out["person_id"].tolist() == [cohort.person_id[500], cohort.person_id[1]]
    assert out["admission_id"].iloc[0] == f"A-old-{h01_ms[0]}" and out["bed"].iloc[1] == cohort.layout.slot_label[icu[0]]
    assert (out["discharge_time"] - out["admit_time"]).dt.total_seconds().tolist()[0] == 34 * 3600
    assert out["discharge_time"].iloc[1] == pd.Timestamp(placed.out[1], unit="s") and placed.out[1] < ctx.t1
    assert np.array_equal(np.sort(beds.discharged_slot), np.sort([h01_ms[0], icu[0]]))
    held = {int(s): int(p) for s, p in enumerate(beds.person) if p >= 0}
    assert held == {int(h01_ms[0]): 0, int(h01_ms[1]): 501}
    assert beds.admission[icu[0]] == "" and beds.discharge[h01_ms[0]] == placed.out[0]
    assert ctx.t0 + 2 * 86_400 <= placed.out[0] < ctx.t0 + 3 * 86_400, "the stay keeps its day (a Wednesday)"
