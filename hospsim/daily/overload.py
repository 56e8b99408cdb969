"""Overload: a crowded ED loses walk-ins who leave without being seen and sends its ambulances to the nearest
ED that is not on diversion (clinical overload.yaml, read by hospsim.rules). Crowding is the boarders carried
in per ED place, known at the day's start; the leaving is drawn from its own seed stream, "overload"."""
from __future__ import annotations

import dataclasses

import numpy as np

from hospsim import rng as rngs
from hospsim.daily.arrivals import Arrivals
from hospsim.daily.context import DayContext
from hospsim.daily.disposition import Disposition
from hospsim.daily.returns import READMISSION
from hospsim.daily.tables import ED


def crowding(ctx: DayContext) -> np.ndarray:
    """(H,) boarders carried in per ED place (0 at a hospital without an ED): those holding a bed that frees
    today and those waiting without one until their boarding limit."""
    places = ctx.layout.beds[:, ED]
    boarders = np.bincount(np.concatenate([ctx.state.queue["origin"], ctx.state.waiting["origin"]]),
                           minlength=places.size)
    return np.divide(boarders, places, out=np.zeros(places.size), where=places > 0)


def boarding_cap(ctx: DayContext) -> np.ndarray:
    """(H,) boarders an ED holds at most."""
    return np.floor(ctx.layout.beds[:, ED] * ctx.rules.boarding_cap_per_place).astype(np.int64)


def overload(ctx: DayContext, arr: Arrivals, disp: Disposition) -> tuple[Arrivals, Disposition]:
    """The visits with their ED after diversion, and the disposition with the walk-ins who left unseen (neither
    admitted nor transferred, gone part way through their wait)."""
    crowd = crowding(ctx)
    hosp = divert(ctx, crowd, arr.hosp, disp.ambulance)
    g = rngs.generator(ctx.params.seed, "overload", ctx.day)
    rules = ctx.rules
    p = np.minimum(rules.lwbs_base * (1 + rules.lwbs_by_crowding * crowd[hosp]), rules.lwbs_max)
    may = (arr.triage >= rules.lwbs_min_triage) & ~disp.ambulance & (arr.returning != READMISSION)
    left = may & (g.random(arr.n) < p)
    lo, hi = rules.lwbs_stay_share
    gone = arr.arrival + np.round((disp.decision - arr.arrival) * g.uniform(lo, hi, arr.n)).astype(np.int64)
    return dataclasses.replace(arr, hosp=hosp), dataclasses.replace(
        disp, admit=disp.admit & ~left, transfer=disp.transfer & ~left, decision=np.where(left, gone, disp.decision),
        left=left)


def divert(ctx: DayContext, crowd: np.ndarray, hosp: np.ndarray, ambulance: np.ndarray) -> np.ndarray:
    """Each visit's ED: an ambulance bound for an ED on diversion goes to the nearest ED that is not (none open:
    it stays)."""
    lay = ctx.layout
    has_ed = lay.beds[:, ED] > 0
    on_diversion = has_ed & (crowd >= ctx.rules.diversion_boarders_per_place)
    open_eds = np.flatnonzero(has_ed & ~on_diversion)
    if not on_diversion.any() or open_eds.size == 0:
        return hosp
    nearest = open_eds[np.argmin(lay.distance_km[:, open_eds], axis=1)]
    return np.where(ambulance & on_diversion[hosp], nearest[hosp], hosp)
