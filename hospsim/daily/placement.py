"""Phase 4, placement: discharges free beds, requests take them first come first served, nearest first."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim.daily import clock
from hospsim.daily.context import DayContext
from hospsim.daily.overload import boarding_cap, crowding
from hospsim.daily.region import Layout
from hospsim.daily.requests import Requests
from hospsim.daily.tables import DAY_S, NEVER, WARD, W


@dataclass(frozen=True)
class Placement:
    """Per request: the bed slot it got (-1 none), when, and its planned discharge; which carried-in beds
    empty today. A placement at or after midnight is a reservation: the admission happens tomorrow."""
    slot: np.ndarray
    at: np.ndarray          # seconds: admission time at the bed
    leaving: np.ndarray     # (B,) beds whose patient leaves before midnight
    dest: np.ndarray        # hospital of the bed, -1 when not placed
    out: np.ndarray         # seconds: planned discharge of a placed request (discharge clock)
    depart: np.ndarray      # seconds: when a placed ED patient leaves the ED (a transfer: travel earlier)
    released: np.ndarray    # per request: an ED patient beyond its ED's boarding cap, released (over_cap)

    @property
    def placed(self) -> np.ndarray:
        return self.slot >= 0

    def moved(self, req: Requests) -> np.ndarray:
        """Placed at another hospital than the one that asked: a transfer."""
        return self.placed & (self.dest != req.origin)


def placement(ctx: DayContext, req: Requests) -> Placement:
    """Carried reservations take their beds; the others first come first served at their request time
    (nearest hospital first); ED patients still without a bed then wait for one that frees later, up to the
    boarding limit (clinical disposition.yaml), reserving it when it frees tomorrow, as long as their ED's
    boarding area holds them (overload.yaml boarding_cap_per_place; beyond it they are released). A hospital
    whose ED boards surge_boarders_per_place or more opens its surge beds for the day; a surge bed already
    held (or reserved) keeps its patient."""
    lay, state, nq = ctx.layout, ctx.state, req.n_queue
    occupied = state.bed_person >= 0
    leaving = occupied & (state.bed_discharge < ctx.t1)
    avail_time = np.where(occupied, state.bed_discharge, NEVER)
    usable = ~lay.slot_surge | (crowding(ctx) >= ctx.rules.surge_boarders_per_place)[lay.slot_hospital]
    free = (~occupied | leaving) & usable
    free[req.held_slot] = False
    slot, at = place(lay, free, avail_time, req, np.arange(nq, req.size))
    slot[:nq], at[:nq] = req.held_slot, req.held_at
    u = clock.draws(ctx, req.size)
    out = np.zeros(req.size, np.int64)
    got = slot >= 0
    out[got] = clock.planned_discharge(ctx, at[got], req.los[got], u[:, got])
    limit = int(ctx.rules.boarding_limit_hours * 3600)
    waiting = np.flatnonzero(~got & req.is_ed)
    later = np.where(usable, _later(ctx, free, avail_time, slot, at, out), np.iinfo(np.int64).max)
    s2, a2 = place(lay, later < ctx.t1 + DAY_S, later, req, waiting, limit)
    slot[waiting], at[waiting] = s2[waiting], a2[waiting]
    dest = np.where(slot >= 0, lay.slot_hospital[np.maximum(slot, 0)], -1)
    depart = at - lay.travel_s[req.origin, np.maximum(dest, 0)] * (dest != req.origin)
    late = np.zeros(req.size, bool)
    late[waiting] = (slot[waiting] >= 0) & (depart[waiting] > req.time[waiting] + limit)
    late[nq:] |= (slot[nq:] >= 0) & (at[nq:] >= ctx.t1 + DAY_S)
    slot[late], dest[late] = -1, -1
    released = over_cap(ctx, req, slot, at)
    slot[released], dest[released] = -1, -1
    new = np.zeros(req.size, bool)
    new[waiting] = slot[waiting] >= 0
    out[new] = clock.planned_discharge(ctx, at[new], req.los[new], u[:, new])
    return Placement(slot, at, leaving, dest, out, depart, released)


def over_cap(ctx: DayContext, req: Requests, slot: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Today's ED patients still waiting in the ED at midnight beyond their ED's boarding cap, in request order
    (women in labour first in the line, so the cap releases others).
    Waiting at midnight: holding a bed that frees tomorrow, or without one until the boarding limit runs out
    after midnight (the boarders carried in take their beds today)."""
    limit = int(ctx.rules.boarding_limit_hours * 3600)
    labour = req.ward == WARD["maternity"]      # a woman in labour keeps her place: first in the line
    today = req.is_ed & (np.arange(req.size) >= req.n_queue)
    board = today & np.where(slot >= 0, at >= ctx.t1, req.time + limit >= ctx.t1)
    rank = np.zeros(req.size, np.int64)       # place of each in its ED's line
    for h in np.unique(req.origin[board]):    # a loop over hospitals
        mine = np.flatnonzero(board & (req.origin == h))
        mine = mine[np.argsort(~labour[mine], kind="stable")]
        rank[mine] = np.arange(mine.size)
    return board & (rank >= boarding_cap(ctx)[req.origin])


def _later(ctx: DayContext, free: np.ndarray, avail_time: np.ndarray, slot: np.ndarray, at: np.ndarray,
           out: np.ndarray) -> np.ndarray:
    """When each bed is next free for a patient still waiting: free today and not taken; held past midnight
    by its patient (carried in or admitted today); never (int64 max) when taken today and emptied today, or
    reserved for tomorrow (that stay's end is drawn tomorrow)."""
    never = np.iinfo(np.int64).max
    state = ctx.state
    got = slot >= 0
    taken = np.zeros(free.size, bool)
    taken[slot[got]] = True
    later = np.where(free & ~taken, avail_time, never)
    hold = (state.bed_person >= 0) & (state.bed_discharge >= ctx.t1)
    later[hold] = state.bed_discharge[hold]
    stays = got & (out >= ctx.t1) & (at < ctx.t1)
    later[slot[stays]] = out[stays]
    return later


def first_come_first_served(free_at: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Which requests (sorted by time) get one of the beds (free from the sorted times free_at), in turn.

    With c_i beds free by the i-th request's time, the number placed among the first i is
    A_i = min(A_(i-1) + 1, c_i) = i + min(0, min_(j<=i) (c_j - j)); the k-th placed takes the k-th bed to
    free up, which is free by then because c_i >= A_i. No loop over the requests.
    """
    c = np.searchsorted(free_at, times, side="right")
    i = np.arange(1, times.size + 1)
    placed_upto = i + np.minimum(0, np.minimum.accumulate(c - i))
    return np.diff(np.r_[0, placed_upto]) > 0


def place(lay: Layout, free: np.ndarray, avail_time: np.ndarray, req: Requests, pending: np.ndarray,
          window: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Give the pending requests bed slots: round r tries each one's r-th candidate hospital (nearest first).

    Per hospital ward, the free slots sorted by the time they free up go first come, first served to the
    requests whose bed is free by their time plus `window`; a request admitted to a bed freeing later
    than its time is admitted when it frees.
    """
    m = req.size
    slot = np.full(m, -1, np.int64)
    at = np.zeros(m, np.int64)
    fs = np.flatnonzero(free)
    fgroup = lay.slot_hospital[fs] * W + lay.slot_ward[fs]
    o = np.lexsort((fs, avail_time[fs], fgroup))
    fs, fgroup, favail = fs[o], fgroup[o], avail_time[fs][o]
    gstart = np.searchsorted(fgroup, np.arange(lay.n_hospitals * W + 1))
    used = gstart[:-1].copy()
    for r in range(lay.n_hospitals):
        if pending.size == 0:
            break
        cand = lay.candidates[req.origin[pending], req.ward[pending], req.spec[pending], req.mode[pending], r]
        ok = cand >= 0
        p, cand = pending[ok], cand[ok]
        origin = req.origin[p]
        t = req.time[p] + np.where(cand == origin, 0, req.wait[p] + lay.travel_s[origin, cand])
        grp = cand * W + req.ward[p]
        o = np.lexsort((p, t, grp))
        p, t, grp = p[o], t[o], grp[o]
        if p.size == 0:
            break
        cuts = np.flatnonzero(np.diff(grp)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, p.size]):   # a loop over hospital wards
            gidx = grp[lo]
            first, last = used[gidx], gstart[gidx + 1]
            if first >= last:
                continue
            took = first_come_first_served(favail[first:last], t[lo:hi] + window)
            k = int(took.sum())
            winners = p[lo:hi][took]
            slot[winners] = fs[first:first + k]
            at[winners] = np.maximum(t[lo:hi][took], favail[first:first + k])
            used[gidx] += k
        pending = pending[slot[pending] < 0]
    return slot, at
