"""Boarding: ED patients without a bed wait for tomorrow with what they asked; electives are cancelled."""
from __future__ import annotations

import numpy as np

from hospsim.daily.boarding import boarding
from hospsim.daily.placement import placement
from hospsim.daily.state import QUEUE_FIELDS
from hospsim.daily.tables import WARD
from tests.daily.conftest import context, make_requests, occupied_state, slots


def test_unplaced_ed_requests_board_and_unplaced_electives_are_cancelled(params, cohort):
    full = {s: (400 + s, 5 * 86_400) for s in np.concatenate([slots(cohort, "H01", "med_surg"),
                                                               slots(cohort, "H02", "med_surg")])}
    ctx = context(params, cohort, occupied_state(params, cohort, full))
    # Requests 0-2 are ED visits (one of them, 0, a boarder carried in), 3-4 electives; no medical bed is free,
    # but request 2 asks for the free ICU bed.
    req = make_requests(ctx, hours=[0, 9, 10, 8, 8], origin=0, n_queue=1, ed=[0, 1])
    req.ward[2] = WARD["icu"]
    board = boarding(ctx, req, placement(ctx, req))
    assert set(board.queue) == set(QUEUE_FIELDS)
    assert board.queue["person"].tolist() == [0, 1]
    assert board.queue["since"].tolist() == req.since[:2].tolist() and board.queue["los"].tolist() == [172_800] * 2
    assert board.cancelled.tolist() == [False, False, False, True, True]
