"""Per-patient draws and factors shared by the calibration and the day's phases: complaint, triage, the
specialty and ward a patient needs, and the factors that make transfers and ambulances likelier."""
from __future__ import annotations

import datetime as dt

import numpy as np

from hospsim.daily.region import Layout
from hospsim.daily.tables import ADMIT_RULES, GENERAL, REASON_SPECIALTY, REASONS, SPEC, WARD, R
from hospsim.rules import HEMISPHERES, Rules


def days_since_epoch(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def seasonal_bump(rules: Rules, doy, hemisphere: str) -> np.ndarray:
    """Respiratory season shape: 1 at the peak, half at ~66 days either side, ~0 six months away."""
    peak = rules.season_peak_day[HEMISPHERES.index(hemisphere)]
    return ((1 + np.cos(2 * np.pi * (np.asarray(doy) - peak) / 365.25)) / 2) ** 2


def draw(g: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    """n people drawn with replacement in proportion to a weight whose cumulative sum is cum."""
    return np.minimum(np.searchsorted(cum, g.random(n) * cum[-1], side="right"), cum.size - 1)


def reasons(g: np.random.Generator, rules: Rules, female: np.ndarray, conditions: dict, who: np.ndarray,
            age: np.ndarray, obstetric: np.ndarray | None = None) -> np.ndarray:
    """Chief complaints by age group, obstetric for some women 15-49 (by `obstetric`, a weight per year of age
    such as vital_rates.obstetric_weight, when given), an illness's own complaint likelier."""
    group = np.where(age < 15, 0, np.where(age >= 65, 2, 1))
    cum = np.cumsum(rules.reason_by_age, axis=1)[group]
    reason = np.minimum((g.random(who.size)[:, None] > cum).sum(axis=1), len(REASONS) - 1)
    u = g.random(who.size)
    if obstetric is None:
        reason[female[who] & (age >= 15) & (age <= 49) & (u < rules.obstetric_share)] = R["obstetric"]
    else:
        weight = obstetric[np.clip(age, 0, obstetric.size - 1)]
        reason[female[who] & (u < rules.obstetric_share * weight)] = R["obstetric"]
    for name, (linked, p) in rules.condition_reason.items():   # a loop over illnesses, not people
        u = g.random(who.size)
        if name in conditions:
            reason[conditions[name][who] & (u < p)] = R[linked]
    return reason


def triage(g: np.random.Generator, rules: Rules, reason: np.ndarray, age: np.ndarray) -> np.ndarray:
    cum = np.cumsum(rules.triage_by_reason, axis=1)[reason]
    level = np.minimum((g.random(reason.size)[:, None] > cum).sum(axis=1), 4) + 1
    up = (age >= 65) & (g.random(reason.size) < rules.elderly_uptriage)
    return np.where(up, np.maximum(level - 1, 1), level)


def specialty(reason: np.ndarray, age: np.ndarray, triage_level: np.ndarray) -> np.ndarray:
    spec = REASON_SPECIALTY[reason].copy()
    spec[(reason == R["trauma"]) & (triage_level > 2)] = 0        # minor injuries need no trauma centre
    spec[age < 15] = SPEC["pediatrics"]
    return spec


def transfer_factor(rules: Rules, lay: Layout, hosp, reason, age, triage_level) -> np.ndarray:
    spec = specialty(reason, age, triage_level)
    missing = (spec > 0) & ~lay.offers[hosp, spec]
    return rules.transfer_by_triage[triage_level - 1] * np.where(missing, rules.specialty_missing_factor, 1.0)


def ambulance_factor(rules: Rules, triage_level, age) -> np.ndarray:
    return rules.ambulance_by_triage[triage_level - 1] * np.where(age >= 65, rules.elderly_ambulance_factor, 1.0)


def needed_ward(lay: Layout, reason, age, triage_level) -> np.ndarray:
    """The ward an ED patient needs, by the registry's admits rules (the highest rank that holds wins: ICU
    for the critical, then children, mothers, the mind, the heart), else the general ward."""
    ward = np.full(reason.size, WARD[GENERAL])
    for w in ADMIT_RULES:
        rule, hit = w.admits, np.ones(reason.size, dtype=bool)
        if rule.reasons is not None:
            hit &= np.isin(reason, [R[r] for r in rule.reasons])
        if rule.triage is not None:
            hit &= np.isin(triage_level, rule.triage)
        if rule.max_age is not None:
            hit &= age <= rule.max_age
        ward[hit] = WARD[w.name]
    return lay.region_ward[ward]
