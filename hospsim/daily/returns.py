"""Returns: a discharge may bring the person back within 30 days to be admitted again, an ED visit sent home
may bring them back within 72 h. Each return is drawn once, when the person leaves (from its own seed stream,
"returns"), and waits in the carried state until its day, when it joins that day's ED arrivals."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim import rng as rngs
from hospsim.ages import age_on
from hospsim.daily import returnrisk
from hospsim.daily.context import DayContext
from hospsim.daily.state import RETURN_FIELDS
from hospsim.daily.tables import DAY_S

ED_RETURN, READMISSION = 1, 2


@dataclass(frozen=True)
class Due:
    """The carried returns whose arrival falls today."""
    person: np.ndarray
    at: np.ndarray          # seconds
    kind: np.ndarray        # ED_RETURN / READMISSION
    reason: np.ndarray      # the earlier visit's complaint, -1 = drawn as for any visit


def due(ctx: DayContext) -> Due:
    r = ctx.state.returns
    today = (r["at"] >= ctx.t0) & (r["at"] < ctx.t1)
    return Due(r["person"][today], r["at"][today], r["kind"][today], r["reason"][today])


def schedule(ctx: DayContext, left_person, left_at, stay_days, home_person, home_at, home_reason) -> dict:
    """The returns carried into tomorrow: those still ahead plus the ones drawn for today's leavers.

    left_*: today's discharges (person row, discharge second, stay in days); home_*: today's ED visits sent home
    (person row, departure second, complaint). Ordered by arrival time, then person, so a state is one array set.
    """
    g, c, rules = rngs.generator(ctx.params.seed, "returns", ctx.day), ctx.cohort, ctx.rules
    ama = g.random(left_person.size) < rules.against_advice_share
    age = age_on(c.birth_day[left_person], ctx.day)
    back = g.random(left_person.size) < returnrisk.readmission_chance(rules, c.conditions, left_person, age,
                                                                      stay_days, ama)
    days = 1 + np.searchsorted(np.cumsum(returnrisk.day_weights(rules)), g.random(int(back.sum())), side="right")
    days = np.minimum(days, returnrisk.WINDOW_DAYS)
    share = rules.hourly_share
    hour = np.minimum(np.searchsorted(np.cumsum(share) / share.sum(), g.random(days.size),
                                      side="right"), 23)
    re_at = (left_at[back] // DAY_S + days) * DAY_S + hour * 3600 + g.integers(0, 3600, days.size)
    h_age = age_on(c.birth_day[home_person], ctx.day)
    again = g.random(home_person.size) < returnrisk.ed_return_chance(rules, c.conditions, home_person, h_age)
    lo, hi = rules.ed_return_hours * 3600
    ed_at = home_at[again] + g.integers(int(lo), int(hi) + 1, int(again.sum()))
    ed_at = np.where(ed_at < ctx.t1, ctx.t1 + ed_at % DAY_S, ed_at)    # a return comes on a later day
    r = ctx.state.returns
    ahead = r["at"] >= ctx.t1
    out = {"person": np.concatenate([r["person"][ahead], left_person[back], home_person[again]]),
           "at": np.concatenate([r["at"][ahead], re_at, ed_at]),
           "kind": np.concatenate([r["kind"][ahead], np.full(days.size, READMISSION), np.full(ed_at.size, ED_RETURN)]),
           "reason": np.concatenate([r["reason"][ahead], np.full(days.size, -1), home_reason[again]])}
    order = np.lexsort((out["person"], out["at"]))
    return {k: np.asarray(out[k][order], dtype=np.int64) for k in RETURN_FIELDS}
