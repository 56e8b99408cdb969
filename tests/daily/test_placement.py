"""Placement: a bed goes to a request only once it is free, first come first served, the home hospital first,
another hospital after the transfer wait and drive."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hospsim import daily
from hospsim.daily.placement import placement
from hospsim.daily.tables import MODE_ONLY
from tests.daily.conftest import context, make_requests, occupied_state, slots


def test_a_bed_is_taken_only_once_it_is_free_and_the_rest_go_elsewhere(params, cohort):
    h01_ms, h02_ms = slots(cohort, "H01", "med_surg"), slots(cohort, "H02", "med_surg")
    # H01's two medical beds: one leaves at 12:00, one stays; H02's bed is empty.
    state = occupied_state(params, cohort, {h01_ms[0]: (500, 12 * 3600), h01_ms[1]: (501, 5 * 86_400)})
    ctx = context(params, cohort, state)
    req = make_requests(ctx, hours=[8, 9, 13], origin=0)
    got = placement(ctx, req)
    assert got.leaving[h01_ms[0]] and not got.leaving[h01_ms[1]]
    # 08:00 finds no free bed at H01: H02's bed, after the wait and the drive.
    travel = cohort.layout.travel_s[0, 1]
    assert got.slot[0] == h02_ms[0] and got.at[0] == req.time[0] + req.wait[0] + travel
    assert got.slot[1] == -1, "09:00: nothing free anywhere"
    assert got.slot[2] == h01_ms[0] and got.at[2] == req.time[2], "13:00: the bed freed at noon, at home"
    assert got.moved(req).tolist() == [True, False, False]


def test_home_only_requests_never_leave(params, cohort):
    h01_ms = slots(cohort, "H01", "med_surg")
    state = occupied_state(params, cohort, {h01_ms[0]: (500, 5 * 86_400), h01_ms[1]: (501, 5 * 86_400)})
    ctx = context(params, cohort, state)
    got = placement(ctx, make_requests(ctx, hours=[8], origin=0, mode=MODE_ONLY))
    assert got.slot.tolist() == [-1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=12), st.lists(st.integers(0, 60), max_size=25))
def test_first_come_first_served_matches_handing_beds_out_one_by_one(free_at, times):
    free_at, times = np.sort(np.array(free_at, dtype=np.int64)), np.sort(np.array(times, dtype=np.int64))
    expected, taken = [], 0
    for t in times:      # the obvious per-request loop, as the reference
        ok = np.searchsorted(free_at, t, side="right") > taken
        taken += ok
        expected.append(bool(ok))
    assert daily.first_come_first_served(free_at, times).tolist() == expected
