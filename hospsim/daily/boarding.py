"""Phase 6, boarding: an ED patient whose bed frees only tomorrow boards in the ED overnight, holding it; one
without a bed waits past midnight until the boarding limit (both as long as the ED's boarding area holds them:
placement.over_cap); an elective without a bed is cancelled."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim.daily.context import DayContext
from hospsim.daily.placement import Placement
from hospsim.daily.requests import Requests


@dataclass(frozen=True)
class Boarding:
    queue: dict             # QUEUE_FIELDS -> arrays: tomorrow's boarders, in request order
    cancelled: np.ndarray   # per request: an elective left without a bed
    waiting: np.ndarray     # per request: an ED patient without a bed still in the ED at midnight
    carried: dict           # state.WAITING_FIELDS of those, for tomorrow (overload.crowding)


def boarding(ctx: DayContext, req: Requests, placed: Placement) -> Boarding:
    waiting = placed.placed & (placed.at >= ctx.t1)
    queue = {"person": req.person[waiting], "visit": req.visit[waiting], "origin": req.origin[waiting],
             "ward": req.ward[waiting], "spec": req.spec[waiting], "mode": req.mode[waiting],
             "los": req.los[waiting], "since": req.since[waiting], "slot": placed.slot[waiting],
             "at": placed.at[waiting]}
    limit = int(ctx.rules.boarding_limit_hours * 3600)
    today = np.arange(req.size) >= req.n_queue
    unplaced = ~placed.placed & req.is_ed & today & ~placed.released & (req.time + limit >= ctx.t1)
    until = req.time[unplaced] + limit
    return Boarding(queue, ~placed.placed & ~req.is_ed, unplaced,
                    {"person": req.person[unplaced], "origin": req.origin[unplaced], "until": until})
