"""Phase 6, boarding: an ED patient without a bed boards in the ED and asks again tomorrow, as long as the
ED's boarding area holds them (overload.boarding_cap: beyond it the patient is treated in the ED and
released); an elective without one is cancelled."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim.daily.context import DayContext
from hospsim.daily.overload import boarding_cap
from hospsim.daily.placement import Placement
from hospsim.daily.requests import Requests


@dataclass(frozen=True)
class Boarding:
    queue: dict             # QUEUE_FIELDS -> arrays: tomorrow's boarders, in request order
    cancelled: np.ndarray   # per request: an elective left without a bed
    released: np.ndarray    # per request: an ED patient the full boarding area could not hold


def boarding(ctx: DayContext, req: Requests, placed: Placement) -> Boarding:
    """Boarders carried in stay; today's unplaced ED patients board in request order up to the cap."""
    unplaced = ~placed.placed & req.is_ed
    carried = np.arange(req.size) < req.n_queue
    cap = boarding_cap(ctx)
    rank = np.zeros(req.size, np.int64)       # place of each unplaced request in its ED's line, request order
    for h in np.unique(req.origin[unplaced]):  # a loop over hospitals
        mine = np.flatnonzero(unplaced & (req.origin == h))
        rank[mine] = np.arange(mine.size)
    waiting = unplaced & (carried | (rank < cap[req.origin]))
    queue = {"person": req.person[waiting], "visit": req.visit[waiting], "origin": req.origin[waiting],
             "ward": req.ward[waiting], "spec": req.spec[waiting], "mode": req.mode[waiting],
             "los": req.los[waiting], "since": req.since[waiting]}
    return Boarding(queue, ~placed.placed & ~req.is_ed, unplaced & ~waiting)
