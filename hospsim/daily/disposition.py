"""Phase 2, disposition: each visit decided transferred, admitted or sent home, its ED stay, its arrival mode."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim.daily import clinical
from hospsim.daily.arrivals import Arrivals
from hospsim.daily.context import DayContext
from hospsim.daily.returns import READMISSION


@dataclass(frozen=True)
class Disposition:
    """Per visit (arrival order): what the ED decided and when."""
    spec: np.ndarray        # specialty needed, 0 = none
    transfer: np.ndarray    # decided: to another hospital
    admit: np.ndarray       # decided: a bed here
    decision: np.ndarray    # seconds: the ED's decision (and a discharged patient's departure)
    ambulance: np.ndarray   # came by ambulance
    left: np.ndarray        # left without being seen (hospsim.daily.overload)


def disposition(ctx: DayContext, arr: Arrivals) -> Disposition:
    """Transfer and admit chances calibrated to the params' shares (see cohort._calibrate); a readmission
    return needs a bed; the urgent and the old come by ambulance more often."""
    c, g, sim, lay, rules = ctx.cohort, ctx.rng, ctx.sim, ctx.layout, ctx.rules
    n = arr.n
    spec = clinical.specialty(arr.reason, arr.age, arr.triage)
    p_transfer = c.transfer_scale * clinical.transfer_factor(rules, lay, arr.hosp, arr.reason, arr.age, arr.triage)
    p_transfer = np.clip(p_transfer * np.where(lay.rural[arr.hosp], rules.rural_transfer_factor, 1.0), 0, 0.5)
    if lay.n_hospitals < 2:
        p_transfer[:] = 0
    p_admit = np.clip(c.admit_share * rules.admit_by_triage[arr.triage - 1] * rules.admit_by_reason[arr.reason]
                      * c.admit_per_visit[arr.who] / c.admit_norm * ctx.month_factor, 0, 0.95)
    p_admit = np.minimum(p_admit, 1 - p_transfer)
    u = g.random(n)
    transfer = u < p_transfer
    admit = ~transfer & ((u < p_transfer + p_admit) | (arr.returning == READMISSION))
    median_h, sigma, min_min, max_h, extra_h = rules.ed_stay
    ed_stay = np.round(np.exp(np.log(median_h * 3600) + sigma * g.standard_normal(n))).astype(np.int64)
    ed_stay = np.clip(ed_stay, int(min_min * 60), int(max_h * 3600)) \
        + np.where(admit | transfer, int(extra_h * 3600), 0)
    p_amb = sim.transports_per_1000_year / sim.ed_visits_per_1000_year \
        * clinical.ambulance_factor(rules, arr.triage, arr.age) / c.ambulance_norm
    ambulance = g.random(n) < np.clip(p_amb, 0, 1)
    return Disposition(spec, transfer, admit, arr.arrival + ed_stay, ambulance, np.zeros(n, bool))
