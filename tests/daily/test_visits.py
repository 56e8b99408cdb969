"""Visits: the bed search settles each visit's disposition and departure."""
from __future__ import annotations

import numpy as np

from hospsim.daily.arrivals import Arrivals
from hospsim.daily.boarding import boarding
from hospsim.daily.disposition import Disposition
from hospsim.daily.placement import Placement
from hospsim.daily.visits import visits
from tests.daily.conftest import context, make_requests


def test_the_bed_search_settles_disposition_and_departure(params, cohort):
    ctx = context(params, cohort)
    h = ctx.t0 + 3600 * np.arange(4)
    # Four visits: sent home; admitted at home; decided admitted but placed at the other hospital; boarding.
    arr = Arrivals(np.arange(4), np.zeros(4, bool), np.full(4, 40), np.zeros(4, int), np.full(4, 3),
                   np.zeros(4, int), h, np.array([f"V{i}" for i in range(4)]), np.zeros(4, int))
    disp = Disposition(np.zeros(4, int), np.zeros(4, bool), np.array([False, True, True, True]), h + 7200,
                       np.array([False, False, True, False]), np.zeros(4, bool))
    req = make_requests(ctx, hours=[3, 4, 5], origin=0, ed=[1, 2, 3])
    placed = Placement(slot=np.array([3, 6, -1]), at=req.time + np.array([600, 5000, 0]),
                       leaving=np.zeros(cohort.layout.slot_label.size, bool), dest=np.array([0, 1, -1]))
    seen = visits(ctx, arr, disp, req, placed, boarding(ctx, req, placed))
    assert seen.disposition.tolist() == ["discharged", "admitted", "transferred", "admitted"]
    assert seen.departure[0] == h[0] + 7200
    assert seen.departure[1] == req.time[0] + 600, "left the ED for the bed"
    assert seen.departure[2] == req.time[1] + req.wait[1], "left with the transfer"
    assert np.isnan(seen.departure[3]) and seen.frame["departure_time"].isna().tolist() == [False, False, False, True]
    assert seen.frame["arrival_mode"].tolist() == ["walk_in", "walk_in", "ambulance", "walk_in"]
