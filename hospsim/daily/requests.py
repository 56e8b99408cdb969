"""Phase 3, bed requests: yesterday's boarders (each holding the bed reserved for it) first, then today's ED
patients, then the day's electives."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hospsim.ages import age_on
from hospsim.config import WARD_TYPES
from hospsim.daily import clinical
from hospsim.daily.arrivals import Arrivals
from hospsim.daily.context import DayContext
from hospsim.daily.disposition import Disposition
from hospsim.daily.holidays import is_holiday
from hospsim.daily.tables import (
    GENERAL,
    LOS_FACTOR,
    LOS_MAX_DAYS,
    LOS_MIN_DAYS,
    MODE_AWAY,
    MODE_HOME,
    MODE_ONLY,
    WARD,
)


@dataclass(frozen=True)
class Requests:
    """One element per request for a bed, boarders first, then ED visits (`ed` in arrival order), electives."""
    person: np.ndarray
    visit: np.ndarray       # visit id, '' for electives
    origin: np.ndarray      # hospital asking
    ward: np.ndarray        # ward type asked (the origin's stand-in for a soft type it lacks)
    spec: np.ndarray
    mode: np.ndarray        # MODE_HOME / MODE_AWAY / MODE_ONLY
    time: np.ndarray        # seconds: when the request is made today
    since: np.ndarray       # seconds: when the patient first asked (a boarder's earlier day)
    los: np.ndarray         # seconds of stay once placed
    wait: np.ndarray        # seconds a transfer waits before leaving
    n_queue: int            # reservations carried in (boarders whose bed frees today)
    ed: np.ndarray          # visit indexes (into Arrivals) of today's ED requests
    held_slot: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # per carried reservation
    held_at: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def size(self) -> int:
        return self.person.size

    @property
    def is_ed(self) -> np.ndarray:
        return np.arange(self.size) < self.n_queue + self.ed.size


@dataclass(frozen=True)
class Electives:
    who: np.ndarray
    ward: np.ndarray
    origin: np.ndarray
    time: np.ndarray


def requests(ctx: DayContext, arr: Arrivals, disp: Disposition) -> Requests:
    """Every request of the day with its stay drawn (lognormal by ward) and its transfer wait."""
    lay, g, q = ctx.layout, ctx.rng, ctx.state.queue
    ed = np.flatnonzero(disp.admit | disp.transfer)
    ward_ed = clinical.needed_ward(lay, arr.reason[ed], arr.age[ed], arr.triage[ed])
    el = electives(ctx, arr.who)
    nq, ne, n_el = q["person"].size, ed.size, el.who.size
    origin = np.concatenate([q["origin"], arr.hosp[ed], el.origin])
    mode = np.concatenate([q["mode"], np.where(disp.transfer[ed], MODE_AWAY, MODE_HOME), np.full(n_el, MODE_ONLY)])
    ward = np.concatenate([q["ward"], ward_ed, el.ward])
    ward = np.where(mode == MODE_AWAY, ward, lay.origin_ward[origin, ward])
    m = origin.size
    is_ed = np.arange(m) < nq + ne
    los_mean = ctx.sim.mean_length_of_stay_days * np.array([LOS_FACTOR[t] for t in WARD_TYPES])[ward]
    los_mean = los_mean * np.where(is_ed, 1.0, ctx.rules.elective_los_factor)
    sigma = ctx.rules.los_sigma
    los_days = np.exp(np.log(los_mean) - sigma**2 / 2 + sigma * g.standard_normal(m))
    los = np.round(np.clip(los_days, LOS_MIN_DAYS, LOS_MAX_DAYS) * 1440).astype(np.int64) * 60
    los[:nq] = q["los"]
    wait_min, wait_sigma = ctx.rules.transfer_wait
    wait = np.round(np.exp(np.log(wait_min * 60) + wait_sigma * g.standard_normal(m))).astype(np.int64)
    return Requests(
        person=np.concatenate([q["person"], arr.who[ed], el.who]),
        visit=np.concatenate([q["visit"], arr.visit_id[ed], np.full(n_el, "", dtype="U24")]),
        origin=origin, ward=ward, spec=np.concatenate([q["spec"], disp.spec[ed], np.zeros(n_el, np.int64)]),
        mode=mode, time=np.concatenate([q["since"], disp.decision[ed], el.time]),
        since=np.concatenate([q["since"], disp.decision[ed], el.time]), los=los, wait=wait, n_queue=nq, ed=ed,
        held_slot=q["slot"], held_at=q["at"])


def electives(ctx: DayContext, visitors: np.ndarray) -> Electives:
    """Planned admissions on working days but national holidays (drawn on those too, then dropped, so the
    day's later draws stay put), as many as the month's factor says, drawn by admit_risk, at their home
    hospital in the morning; nobody already in a bed, boarding or at the ED today, nobody twice."""
    c, g, lay, sim = ctx.cohort, ctx.rng, ctx.layout, ctx.sim
    n_el = g.poisson(c.size * sim.elective_admissions_per_1000_year / 1000 / 365 * 7 / 5 * ctx.month_factor) \
        if ctx.day.weekday() < 5 else 0
    who = clinical.draw(g, c.admit_cum, n_el)
    age = age_on(c.birth_day[who], ctx.day)
    u = g.random(n_el)
    # Deliveries come as births (daily.lifecycle), through the ED: electives are children's and adults' stays.
    ward = np.where(age < 15, WARD["pediatrics"], np.where(u > 0.92, WARD["step_down"], WARD[GENERAL]))
    ward = lay.region_ward[ward]
    origin = lay.candidates[c.home[who], ward, 0, MODE_HOME, 0]
    first = np.zeros(n_el, bool)
    first[np.unique(who, return_index=True)[1]] = True
    ok = first & ~np.isin(who, np.concatenate([ctx.state.busy, visitors])) & (origin >= 0) \
        & (not is_holiday(ctx.rules, ctx.params.locale, ctx.day))
    who, ward, origin = who[ok], ward[ok], origin[ok]
    return Electives(who, ward, origin, ctx.t0 + 7 * 3600 + g.integers(0, 4 * 3600, who.size))
