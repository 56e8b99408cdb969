"""Boarding: an ED patient whose bed frees tomorrow, within the boarding limit, boards overnight holding it;
one with no bed within the limit does not board; electives without a bed are cancelled."""
from __future__ import annotations

from hospsim.daily.boarding import boarding
from hospsim.daily.placement import placement
from hospsim.daily.state import QUEUE_FIELDS
from hospsim.daily.tables import WARD
from tests.daily.conftest import context, make_requests, occupied_state, slots


def test_the_bed_freeing_tomorrow_is_reserved_within_the_limit_and_unplaced_electives_are_cancelled(params, cohort):
    h01, h02 = slots(cohort, "H01", "med_surg"), slots(cohort, "H02", "med_surg")
    beds = {h01[0]: (400, 86_400 + 8 * 3600), h01[1]: (401, 5 * 86_400), h02[0]: (402, 5 * 86_400)}
    ctx = context(params, cohort, occupied_state(params, cohort, beds))
    # ED requests at 09:00, 10:00 and 11:00 (the last for the free ICU bed), electives at 08:00. No medical bed
    # is free today; H01's first frees tomorrow at 08:00, within 24 h of 09:00 only.
    req = make_requests(ctx, hours=[9, 10, 11, 8, 8], origin=0, ed=[0, 1, 2])
    req.ward[2] = WARD["icu"]
    placed = placement(ctx, req)
    board = boarding(ctx, req, placed)
    assert set(board.queue) == set(QUEUE_FIELDS)
    assert board.queue["person"].tolist() == [0], "09:00 boards overnight; 10:00 finds no bed within 24 h"
    assert board.queue["slot"].tolist() == [h01[0]] and board.queue["at"].tolist() == [ctx.t1 + 8 * 3600]
    assert board.queue["since"].tolist() == [req.since[0]] and board.queue["los"].tolist() == [172_800]
    assert placed.slot[1] == -1 and placed.at[2] == req.time[2], "the ICU bed is taken at once"
    assert board.cancelled.tolist() == [False, False, False, True, True]
