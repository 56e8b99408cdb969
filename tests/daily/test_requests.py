"""Bed requests: boarders first with what they carried, then the ED's admitted and transferred visits, then
electives on working days only."""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from hospsim.daily.arrivals import arrivals
from hospsim.daily.disposition import disposition
from hospsim.daily.requests import electives, requests
from hospsim.daily.state import CensusState
from hospsim.daily.tables import MODE_AWAY, MODE_HOME, MODE_ONLY, WARD
from tests.daily.conftest import MONDAY, SATURDAY, context

MONDAY_T0 = (MONDAY - dt.date(1970, 1, 1)).days * 86_400


def _busy_electives(params):
    """Params asking for ~40 electives a working day among the 600 people."""
    return dataclasses.replace(params, simulation=dataclasses.replace(
        params.simulation, elective_admissions_per_1000_year=40 * 1000 * 365 * 5 / 7 / 600))


def test_boarders_come_first_with_their_stay_then_ed_visits_in_arrival_order(params, cohort):
    state = CensusState.empty(params)
    state.queue.update(person=np.array([5]), visit=np.array(["V20250202-000009"], dtype="U24"),
                       origin=np.array([1]), ward=np.array([WARD["med_surg"]]), spec=np.array([0]),
                       mode=np.array([MODE_HOME]), los=np.array([7777]), since=np.array([123]), slot=np.array([4]),
                       at=np.array([MONDAY_T0 + 3600]))
    ctx = context(params, cohort, state)
    arr = arrivals(ctx)
    disp = disposition(ctx, arr)
    req = requests(ctx, arr, disp)
    assert req.n_queue == 1 and req.person[0] == 5 and req.los[0] == 7777 and req.since[0] == 123
    assert req.time[0] == 123 and req.held_slot.tolist() == [4] and req.held_at.tolist() == [ctx.t0 + 3600], \
        "a boarder holds the bed it reserved yesterday"
    asked = np.flatnonzero(disp.admit | disp.transfer)
    assert np.array_equal(req.ed, asked) and np.array_equal(req.visit[1:1 + asked.size], arr.visit_id[asked])
    assert np.array_equal(req.mode[1:1 + asked.size] == MODE_AWAY, disp.transfer[asked])
    assert (req.los[1:] >= 6 * 3600).all() and (req.wait > 0).all()


def test_electives_only_on_working_days_and_never_for_the_busy(params, cohort):
    busy = _busy_electives(params)
    state = CensusState.empty(busy)
    state.queue["person"] = np.arange(0, 200, dtype=np.int64)
    monday = electives(context(busy, cohort, state, MONDAY), visitors=np.arange(200, 300))
    assert 15 < monday.who.size < 80
    assert not np.isin(monday.who, np.arange(300)).any() and np.unique(monday.who).size == monday.who.size
    assert (monday.time >= context(busy, cohort, state, MONDAY).t0 + 7 * 3600).all()
    assert (cohort.home[monday.who] == monday.origin).all()
    assert electives(context(busy, cohort, state, SATURDAY), visitors=np.zeros(0, np.int64)).who.size == 0
    ctx = context(busy, cohort, day=MONDAY)
    arr = arrivals(ctx)
    req = requests(ctx, arr, disposition(ctx, arr))
    assert (req.mode[~req.is_ed] == MODE_ONLY).all() and (req.visit[~req.is_ed] == "").all()
