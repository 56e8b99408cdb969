"""The discharge clock: a stay keeps its day, takes its hour from the curve, often waits out a weekend."""
from __future__ import annotations

import numpy as np

from hospsim.daily import clock
from tests.daily.conftest import SATURDAY, context

DAY = 86_400


def test_discharges_follow_the_hour_curve_and_keep_their_day_when_the_stay_allows(params, cohort):
    ctx = context(params, cohort)                      # a Monday
    n = 20_000
    at = np.full(n, ctx.t0 + 9 * 3600)
    out = clock.planned_discharge(ctx, at, np.full(n, 2 * DAY), clock.draws(ctx, n))
    assert ((out // DAY) == (at + 2 * DAY) // DAY).all(), "a Wednesday discharge stays on Wednesday"
    hour = out % DAY // 3600
    share = np.bincount(hour, minlength=24) / n
    np.testing.assert_allclose(share, ctx.rules.discharge_hour_share, atol=0.01)
    assert (out % 3600 != 0).all(), "never on the hour's first second"


def test_weekend_discharges_thin_out_to_friday_and_monday_and_short_stays_reach_the_shortest(params, cohort):
    ctx = context(params, cohort, day=SATURDAY)
    n = 20_000
    u = np.random.default_rng(2).random((3, n))
    at = np.full(n, ctx.t0 - 36 * 3600)                                    # Thursday noon ...
    out = clock.planned_discharge(ctx, at, np.full(n, 44 * 3600), u)      # ... due on the Saturday
    kept = (out // DAY) == ctx.t0 // DAY
    friday = (out // DAY) == ctx.t0 // DAY - 1
    assert abs(kept.mean() - ctx.rules.discharge_weekday_keep[5]) < 0.02 and (kept | friday).all()
    sunday = clock.planned_discharge(ctx, at, np.full(n, DAY + 44 * 3600), u)
    assert np.isin(sunday // DAY - ctx.t0 // DAY, [1, 2]).all(), "Sunday's discharges leave Sunday or Monday"
    short = clock.planned_discharge(ctx, at + 36 * 3600, np.full(n, 3600), u)   # a Saturday 00:00-01:00 stay
    assert (short - (at + 36 * 3600) >= 6 * 3600).all(), "no stay shorter than the shortest (config.STAY_DAYS)"
    assert len(clock.draws(ctx, 5).T) == 5 and np.array_equal(clock.draws(ctx, 5), clock.draws(ctx, 5))
