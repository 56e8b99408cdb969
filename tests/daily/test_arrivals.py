"""Arrivals: one visit a person a day, nobody in a bed or boarding, times in the day and in order."""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from hospsim.daily.arrivals import arrivals
from hospsim.daily.tables import R
from tests.daily.conftest import MONDAY, context, occupied_state


def test_visits_are_of_the_day_in_arrival_order_with_the_days_ids(params, cohort):
    ctx = context(params, cohort)
    arr = arrivals(ctx)
    assert 100 < arr.n < 200
    assert np.unique(arr.who).size == arr.n, "one visit a person a day"
    assert ((arr.arrival >= ctx.t0) & (arr.arrival < ctx.t1)).all()
    assert (np.diff(arr.arrival) >= 0).all()
    assert arr.visit_id[0] == "V20250203-000001" and arr.visit_id[-1] == f"V20250203-{arr.n:06d}"
    assert (arr.reason[arr.seasonal] == R["respiratory"]).all()
    # Everyone goes to the ED of their home hospital (both hospitals have one).
    assert (arr.hosp == cohort.home[arr.who]).all()


def test_inpatients_and_boarders_do_not_visit(params, cohort):
    held = {slot: (person, 3 * 86_400) for slot, person in enumerate(range(7))}
    state = occupied_state(params, cohort, held)
    state.queue["person"] = np.arange(7, 300, dtype=np.int64)
    arr = arrivals(context(params, cohort, state))
    assert arr.n > 0
    assert not np.isin(arr.who, np.arange(0, 300)).any()


def test_the_same_context_draws_the_same_day(params, cohort):
    a, b = arrivals(context(params, cohort)), arrivals(context(params, cohort))
    assert np.array_equal(a.who, b.who) and np.array_equal(a.arrival, b.arrival)


def test_ages_are_whole_years_counted_on_the_birthday(params, cohort):
    """Born 4 February 1960: 64 on Monday 3 February 2025, 65 the day after (days / 365.2425 said 65 already)."""
    born = (np.datetime64("1960-02-04") - np.datetime64("1970-01-01")).astype(np.int64)
    everyone = dataclasses.replace(cohort, birth_day=np.full(cohort.size, born))
    assert set(arrivals(context(params, everyone, day=MONDAY)).age) == {64}
    assert set(arrivals(context(params, everyone, day=MONDAY + dt.timedelta(days=1))).age) == {65}
