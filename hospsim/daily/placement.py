"""Phase 4, placement: discharges free beds, requests take them first come first served, nearest first."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim.daily.context import DayContext
from hospsim.daily.limits import T
from hospsim.daily.overload import crowding
from hospsim.daily.region import Layout
from hospsim.daily.requests import Requests
from hospsim.daily.tables import NEVER, W


@dataclass(frozen=True)
class Placement:
    """Per request: the bed slot it got (-1 none) and when; which carried-in beds empty today."""
    slot: np.ndarray
    at: np.ndarray          # seconds: admission time at the bed
    leaving: np.ndarray     # (B,) beds whose patient leaves before midnight
    dest: np.ndarray        # hospital of the bed, -1 when not placed

    @property
    def placed(self) -> np.ndarray:
        return self.slot >= 0

    def moved(self, req: Requests) -> np.ndarray:
        """Placed at another hospital than the one that asked: a transfer."""
        return self.placed & (self.dest != req.origin)


def placement(ctx: DayContext, req: Requests) -> Placement:
    """A hospital whose ED boards surge_boarders_per_place or more opens its surge beds for the day; a surge
    bed already held keeps its patient until the planned discharge."""
    lay, state = ctx.layout, ctx.state
    occupied = state.bed_person >= 0
    leaving = occupied & (state.bed_discharge < ctx.t1)
    avail_time = np.where(occupied, state.bed_discharge, NEVER)
    surge_open = crowding(ctx) >= T["surge_boarders_per_place"]
    usable = ~lay.slot_surge | surge_open[lay.slot_hospital]
    slot, at = place(lay, (~occupied | leaving) & usable, avail_time, req)
    dest = np.where(slot >= 0, lay.slot_hospital[np.maximum(slot, 0)], -1)
    return Placement(slot, at, leaving, dest)


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


def place(lay: Layout, free: np.ndarray, avail_time: np.ndarray, req: Requests) -> tuple[np.ndarray, np.ndarray]:
    """Give requests bed slots: round r tries each request's r-th candidate hospital (nearest first).

    Per hospital ward, the free slots sorted by the time they free up go first come, first served.
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
    pending = np.arange(m)
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
            took = first_come_first_served(favail[first:last], t[lo:hi])
            k = int(took.sum())
            winners = p[lo:hi][took]
            slot[winners] = fs[first:first + k]
            at[winners] = t[lo:hi][took]
            used[gidx] += k
        pending = pending[slot[pending] < 0]
    return slot, at
