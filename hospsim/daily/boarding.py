"""Phase 6, boarding: an ED patient without a bed boards in the ED and asks again tomorrow; an elective
without one is cancelled."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim.daily.placement import Placement
from hospsim.daily.requests import Requests


@dataclass(frozen=True)
class Boarding:
    queue: dict             # QUEUE_FIELDS -> arrays: tomorrow's boarders, in request order
    cancelled: np.ndarray   # per request: an elective left without a bed


def boarding(req: Requests, placed: Placement) -> Boarding:
    waiting = ~placed.placed & req.is_ed
    queue = {"person": req.person[waiting], "visit": req.visit[waiting], "origin": req.origin[waiting],
             "ward": req.ward[waiting], "spec": req.spec[waiting], "mode": req.mode[waiting],
             "los": req.los[waiting], "since": req.since[waiting]}
    return Boarding(queue, ~placed.placed & ~req.is_ed)
