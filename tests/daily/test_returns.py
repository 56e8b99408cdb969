"""Returns: drawn when a person leaves, carried in the state, arriving at the ED on their day as the same person;
a readmission is admitted; the chances follow the person's illnesses, age and stay."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hospsim import rules, simulate
from hospsim.daily import returnrisk
from hospsim.daily.arrivals import arrivals
from hospsim.daily.disposition import disposition
from hospsim.daily.returns import ED_RETURN, READMISSION, due, schedule
from hospsim.daily.state import RETURN_FIELDS, CensusState
from hospsim.daily.tables import DAY_S, R
from tests.daily.conftest import context


def _pending(params, person, at, kind, reason) -> CensusState:
    arrays = [np.asarray(v, np.int64) for v in (person, at, kind, reason)]
    return dataclasses.replace(CensusState.empty(params), returns=dict(zip(RETURN_FIELDS, arrays)))


def test_leavers_are_scheduled_on_later_days_inside_their_windows(params, cohort):
    ctx = context(params, cohort)
    n = 20_000
    who = np.arange(n) % cohort.size
    left_at = ctx.t0 + 10 * 3600 + np.zeros(n, np.int64)
    ahead = schedule(ctx, who, left_at, np.full(n, 4.0), who, left_at + 3600, np.full(n, R["trauma"]))
    assert set(ahead) == set(RETURN_FIELDS) and all(v.dtype == np.int64 for v in ahead.values())
    assert (ahead["at"] >= ctx.t1).all() and (np.diff(ahead["at"]) >= 0).all()
    re, ed = ahead["kind"] == READMISSION, ahead["kind"] == ED_RETURN
    assert 0.05 < re.sum() / n < 0.3 and 0.02 < ed.sum() / n < 0.1
    days = (ahead["at"][re] - ctx.t0) // DAY_S
    assert days.min() >= 1 and days.max() <= 30 and np.median(days) < 15, "readmissions crowd the first weeks"
    gap = ahead["at"][ed] - (left_at[0] + 3600)
    assert gap.min() >= 4 * 3600 and gap.max() <= 72 * 3600
    assert (ahead["reason"][ed] == R["trauma"]).all() and (ahead["reason"][re] == -1).all()


def test_carried_returns_arrive_on_their_day_and_are_then_gone(params, cohort):
    base = context(params, cohort)
    state = _pending(params, [5, 6, 7], [base.t0 + 9 * 3600, base.t0 + 15 * 3600, base.t1 + 3600],
                     [ED_RETURN, READMISSION, ED_RETURN], [R["urinary"], -1, -1])
    ctx = context(params, cohort, state)
    assert due(ctx).person.tolist() == [5, 6]
    arr = arrivals(ctx)
    back = {int(p): i for i, p in enumerate(arr.who) if p in (5, 6)}
    assert set(back) == {5, 6}
    assert arr.arrival[back[5]] == base.t0 + 9 * 3600 and arr.reason[back[5]] == R["urinary"]
    assert arr.returning[back[5]] == ED_RETURN and arr.returning[back[6]] == READMISSION
    assert (arr.returning > 0).sum() == 2
    disp = disposition(ctx, arr)
    assert disp.admit[back[6]] or disp.transfer[back[6]], "a readmission needs a bed"
    ahead = schedule(ctx, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64),
                     np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert ahead["person"].tolist() == [7], "today's returns are used up, tomorrow's carried on"


def test_a_return_of_someone_in_a_bed_is_dropped(params, cohort):
    base = context(params, cohort)
    state = _pending(params, [5], [base.t0 + 9 * 3600], [READMISSION], [-1])
    state.bed_person[0] = 5
    assert 5 not in arrivals(context(params, cohort, state)).who


def test_the_state_keeps_its_returns_through_the_file(params, tmp_path):
    state = _pending(params, [3, 4], [100, 200], [ED_RETURN, READMISSION], [2, -1])
    loaded = simulate.load_state(simulate.save_state(state, tmp_path / "state.npz"))
    assert loaded.equals(state) and loaded.returns["kind"].tolist() == [ED_RETURN, READMISSION]
    old = {k: v for k, v in state.to_arrays().items() if not k.startswith("returns_")}
    assert CensusState.from_arrays(old).returns["person"].size == 0, "a state saved before returns has none"
    assert not loaded.equals(_pending(params, [3], [100], [ED_RETURN], [2]))


def test_chances_rise_with_illness_age_stay_and_leaving_against_advice():
    n, t = 4, rules.load()
    conditions = {"heart_failure": np.array([False, True, False, False])}
    who = np.arange(n)
    p = returnrisk.readmission_chance(t, conditions, who, np.array([40, 40, 85, 40]), np.array([3.0, 3, 3, 20]),
                                      np.array([False, False, False, False]))
    assert p[1] > p[0] and p[2] > p[0] and p[3] > p[0]
    ama = returnrisk.readmission_chance(t, conditions, who, np.full(n, 40), np.full(n, 3.0), np.ones(n, bool))
    assert ama[0] == pytest.approx(p[0] * t.against_advice_factor)
    ed = returnrisk.ed_return_chance(t, conditions, who, np.array([40, 40, 85, 10]))
    assert ed[1] > ed[0] and ed[2] > ed[0] > ed[3]
    assert returnrisk.day_weights(t).sum() == pytest.approx(1) and (np.diff(returnrisk.day_weights(t)) < 0).all()
