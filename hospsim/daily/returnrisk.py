"""Who comes back and how likely: the return chances of hospsim/params/clinical/returns.yaml as functions of
the person's illnesses, age and stay, and what the expected returns take off the base rates."""
from __future__ import annotations

import numpy as np

from hospsim.daily import rulefile

T = rulefile.load("returns", {
    "readmission_base": rulefile.SCALAR, "readmission_by_condition": rulefile.BY_NAME,
    "readmission_age_bands": 4, "readmission_by_age": 4, "readmission_los_bands": 4, "readmission_by_los": 4,
    "readmission_decay_days": rulefile.SCALAR, "against_advice_share": rulefile.SCALAR,
    "against_advice_factor": rulefile.SCALAR, "ed_return_base": rulefile.SCALAR, "ed_return_by_age": 4,
    "ed_return_by_condition": rulefile.BY_NAME, "ed_return_hours": 2})
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


def readmission_chance(conditions: dict, who, age, los_days, against_advice) -> np.ndarray:
    """Chance of a return admitted within 30 days, per discharge."""
    p = T["readmission_base"] * _illness_factor(conditions, who, T["readmission_by_condition"]) \
        * T["readmission_by_age"][_band(age, T["readmission_age_bands"])] \
        * T["readmission_by_los"][_band(los_days, T["readmission_los_bands"])] \
        * np.where(against_advice, T["against_advice_factor"], 1.0)
    return np.clip(p, 0, MAX_CHANCE)


def ed_return_chance(conditions: dict, who, age) -> np.ndarray:
    """Chance that a visit sent home comes back to the ED within 72 h."""
    p = T["ed_return_base"] * _illness_factor(conditions, who, T["ed_return_by_condition"]) \
        * T["ed_return_by_age"][_band(age, T["readmission_age_bands"])]
    return np.clip(p, 0, MAX_CHANCE)


def day_weights() -> np.ndarray:
    """The chance of each day 1..30 after the discharge, given a readmission."""
    w = np.exp(-np.arange(1, WINDOW_DAYS + 1) / T["readmission_decay_days"])
    return w / w.sum()


def expected_returns(conditions: dict, who, age, admit_weight, stay_days: float, admissions_per_visit: float,
                     home_share: float) -> tuple[float, float]:
    """Return visits per ordinary ED visit, and the share of them that come to be admitted, over a sample of
    visitors (admissions weighted by their chance of a bed; every stay taken at the mean stay)."""
    ama = T["against_advice_share"]
    re = readmission_chance(conditions, who, age, np.full(who.size, stay_days), False) * (1 + ama * (
        T["against_advice_factor"] - 1))
    readmit = admissions_per_visit * float(np.average(re, weights=admit_weight)) if admit_weight.sum() else 0.0
    ed = home_share * float(ed_return_chance(conditions, who, age).mean())
    return readmit + ed, readmit
