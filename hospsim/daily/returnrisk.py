"""Who comes back and how likely: the return chances of hospsim/params/clinical/returns.yaml as functions of
the person's illnesses, age and stay, and what the expected returns take off the base rates."""
from __future__ import annotations

import numpy as np

from hospsim.rules import Rules

MAX_CHANCE = 0.9
WINDOW_DAYS = 30


def _band(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    return np.maximum(np.searchsorted(bounds, values, side="right") - 1, 0)


def _illness_factor(conditions: dict, who: np.ndarray, factors: dict) -> np.ndarray:
    """The product of the factors of the illnesses each person has (illnesses the run lacks count 1)."""
    out = np.ones(who.size)
    for name, f in factors.items():   # a loop over illnesses, not people
        if name in conditions:
            out *= np.where(conditions[name][who], f, 1.0)
    return out


def readmission_chance(rules: Rules, conditions: dict, who, age, los_days, against_advice) -> np.ndarray:
    """Chance of a return admitted within 30 days, per discharge."""
    p = rules.readmission_base * _illness_factor(conditions, who, rules.readmission_by_condition) \
        * rules.readmission_by_age[_band(age, rules.readmission_age_bands)] \
        * rules.readmission_by_los[_band(los_days, rules.readmission_los_bands)] \
        * np.where(against_advice, rules.against_advice_factor, 1.0)
    return np.clip(p, 0, MAX_CHANCE)


def ed_return_chance(rules: Rules, conditions: dict, who, age) -> np.ndarray:
    """Chance that a visit sent home comes back to the ED within 72 h."""
    p = rules.ed_return_base * _illness_factor(conditions, who, rules.ed_return_by_condition) \
        * rules.ed_return_by_age[_band(age, rules.readmission_age_bands)]
    return np.clip(p, 0, MAX_CHANCE)


def day_weights(rules: Rules) -> np.ndarray:
    """The chance of each day 1..30 after the discharge, given a readmission."""
    w = np.exp(-np.arange(1, WINDOW_DAYS + 1) / rules.readmission_decay_days)
    return w / w.sum()


def expected_returns(rules: Rules, conditions: dict, who, age, admit_weight, stay_days: float,
                     admissions_per_visit: float, home_share: float) -> tuple[float, float]:
    """Return visits per ordinary ED visit, and the share of them that come to be admitted, over a sample of
    visitors (admissions weighted by their chance of a bed; every stay taken at the mean stay)."""
    ama = rules.against_advice_share
    re = readmission_chance(rules, conditions, who, age, np.full(who.size, stay_days), False) * (1 + ama * (
        rules.against_advice_factor - 1))
    readmit = admissions_per_visit * float(np.average(re, weights=admit_weight)) if admit_weight.sum() else 0.0
    ed = home_share * float(ed_return_chance(rules, conditions, who, age).mean())
    return readmit + ed, readmit
