"""Visits: the bed search settles each visit's disposition and departure."""
from __future__ import annotations

import dataclasses

import numpy as np

from hospsim.daily.arrivals import Arrivals
from hospsim.daily.disposition import Disposition
from hospsim.daily.placement import Placement
from hospsim.daily.visits import visits
from tests.daily.conftest import context, make_requests


def test_the_bed_search_settles_disposition_and_departure(params, cohort):
    ctx = context(params, cohort)
    h = ctx.t0 + 3600 * np.arange(4)
    # Four visits: sent home; admitted at home; decided admitted but placed at the other hospital; no bed in
    # the region within the boarding limit.
    arr = Arrivals(np.arange(4), np.zeros(4, bool), np.full(4, 40), np.zeros(4, int), np.full(4, 3),
                   np.zeros(4, int), h, np.array([f"V{i}" for i in range(4)]), np.zeros(4, int))
    disp = Disposition(np.zeros(4, int), np.zeros(4, bool), np.array([False, True, True, True]), h + 7200,
                       np.array([False, False, True, False]), np.zeros(4, bool))
    req = make_requests(ctx, hours=[3, 4, 5], origin=0, ed=[1, 2, 3])
    at = req.time + np.array([600, 5000, 0])
    placed = Placement(slot=np.array([3, 6, -1]), at=at, leaving=np.zeros(cohort.layout.slot_label.size, bool),
                       dest=np.array([0, 1, -1]), out=at + 86_400, depart=np.array([at[0], req.time[1] + 600, 0]),
                       released=np.zeros(3, bool))
    seen = visits(ctx, arr, disp, req, placed)
    assert seen.disposition.tolist() == ["discharged", "admitted", "transferred", "discharged"]
    assert seen.departure[0] == h[0] + 7200
    assert seen.departure[1] == req.time[0] + 600, "left the ED for the bed"
    assert seen.departure[2] == req.time[1] + 600, "left with the transfer"
    assert seen.departure[3] == req.time[2] + 24 * 3600, "left at the boarding limit"
    assert seen.frame["departure_time"].notna().all()
    assert seen.frame["arrival_mode"].tolist() == ["walk_in", "walk_in", "ambulance", "walk_in"]
    left = dataclasses.replace(disp, left=np.array([True, False, False, False]))
    released = visits(ctx, arr, left, req, dataclasses.replace(placed, released=np.array([False, False, True])))
    assert released.disposition.tolist() == ["left_without_being_seen", "admitted", "transferred", "discharged"]
    assert released.departure[3] == req.time[2] + ctx.rules.released_after_hours * 3600, "treated and released"
