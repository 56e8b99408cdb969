"""Phase 1, arrivals: who comes to an ED today, when, with which complaint and triage level."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim.ages import age_on
from hospsim.daily import clinical, returns, vital_rates
from hospsim.daily.context import DayContext
from hospsim.daily.frames import ids
from hospsim.daily.tables import R


@dataclass(frozen=True)
class Arrivals:
    """The day's ED visits in arrival order, one element per visit."""
    who: np.ndarray         # person row
    seasonal: np.ndarray    # drawn by the respiratory season
    age: np.ndarray
    reason: np.ndarray      # index into REASONS
    triage: np.ndarray      # 1 (red) .. 5 (blue)
    hosp: np.ndarray        # the ED's hospital index
    arrival: np.ndarray     # seconds
    visit_id: np.ndarray
    returning: np.ndarray   # 0, or returns.ED_RETURN / READMISSION: a return drawn at an earlier departure

    @property
    def n(self) -> int:
        return self.who.size


def arrivals(ctx: DayContext) -> Arrivals:
    """Count from the yearly rate x weekday x season; people in proportion to their visit_risk (and, for the
    season's extra visits, their respiratory risk); the returns due today first, at their drawn times, an ED
    return with its earlier complaint; one visit a person a day, and none for inpatients."""
    c, g, sim, day, rules = ctx.cohort, ctx.rng, ctx.sim, ctx.day, ctx.rules
    base = c.base_visits_per_day * rules.dow_factor[day.weekday()] / c.season_norm
    bump = float(clinical.seasonal_bump(rules, day.timetuple().tm_yday, sim.hemisphere))
    n_base, n_resp = g.poisson(base), g.poisson(base * sim.respiratory_season_uplift * bump)
    due = returns.due(ctx)
    n_ret = due.person.size
    who = np.concatenate([due.person, clinical.draw(g, c.visit_cum, n_base), clinical.draw(g, c.resp_cum, n_resp)])
    seasonal = np.arange(who.size) >= n_ret + n_base
    back = np.zeros((3, who.size), np.int64)    # kind, time, complaint of a return
    back[:, :n_ret] = due.kind, due.at, due.reason
    keep = np.zeros(who.size, bool)
    keep[np.unique(who, return_index=True)[1]] = True
    keep &= ~np.isin(who, ctx.state.busy)
    who, seasonal, back = who[keep], seasonal[keep], back[:, keep]
    n = who.size
    age = age_on(c.birth_day[who], ctx.day)
    reason = clinical.reasons(g, rules, c.female, c.conditions, who, age, vital_rates.obstetric_weight(ctx.params.vital))
    reason[seasonal] = R["respiratory"]
    reason = np.where((back[0] > 0) & (back[2] >= 0), back[2], reason)
    triage = clinical.triage(g, rules, reason, age)
    hosp = ctx.layout.ed_hospital[c.home[who]]
    share = rules.hourly_share
    hour = np.searchsorted(np.cumsum(share), g.random(n) * share.sum(), side="right")
    arrival = ctx.t0 + np.minimum(hour, 23) * 3600 + g.integers(0, 3600, n)
    arrival = np.where(back[0] > 0, back[1], arrival)
    order = np.lexsort((who, arrival))
    return Arrivals(who[order], seasonal[order], age[order], reason[order], triage[order], hosp[order],
                    arrival[order], ids("V", ctx.stamp, n), back[0][order])
