"""Phase 6, boarding: an ED patient whose bed frees only tomorrow boards in the ED overnight, holding it; an
elective without a bed is cancelled."""
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


def boarding(ctx: DayContext, req: Requests, placed: Placement) -> Boarding:
    waiting = placed.placed & (placed.at >= ctx.t1)
    queue = {"person": req.person[waiting], "visit": req.visit[waiting], "origin": req.origin[waiting],
             "ward": req.ward[waiting], "spec": req.spec[waiting], "mode": req.mode[waiting],
             "los": req.los[waiting], "since": req.since[waiting], "slot": placed.slot[waiting],
             "at": placed.at[waiting]}
    return Boarding(queue, ~placed.placed & ~req.is_ed)
