"""The vital rates of params.vital as tables by year of age (0..MAX_AGE), per person and day; each table is
made once per params.vital (cached on it, a small frozen value: cheap to hash every day)."""
from __future__ import annotations

import functools

import numpy as np

from hospsim.config import MAX_AGE, Vital


def by_age(edges, values) -> np.ndarray:
    """A table by age band (lower bounds `edges`) as one value per year of age 0..MAX_AGE; 0 below the first."""
    ages = np.arange(MAX_AGE + 1)
    band = np.searchsorted(np.asarray(edges), ages, side="right") - 1
    return np.where(band >= 0, np.asarray(values, dtype=float)[np.maximum(band, 0)], 0.0)


@functools.lru_cache(maxsize=16)
def fertility(vital: Vital) -> np.ndarray:
    """Births per woman a day, by her age in years, among the women who may give birth: the ASFR counts every
    woman, but one who gave birth in the last birth_interval_days cannot, so the others' rate is higher by
    1 / (1 - the share of the age who just gave birth) and the whole age keeps its ASFR."""
    f = vital.fertility
    per_year = by_age(f.age_bands, f.per_1000_women) / 1000
    return per_year / np.maximum(1 - per_year * f.birth_interval_days / 365, 0.05) / 365


@functools.lru_cache(maxsize=16)
def obstetric_weight(vital: Vital) -> np.ndarray:
    """Relative chance that a woman's ED visit is obstetric, by age: the fertility curve scaled to a mean of 1
    over the childbearing bands, so the share of obstetric visits keeps its size and follows the mothers' ages."""
    f = vital.fertility
    rates = np.asarray(f.per_1000_women, dtype=float)
    mean = rates[rates > 0].mean() if (rates > 0).any() else 1.0
    return by_age(f.age_bands, rates / mean)


@functools.lru_cache(maxsize=16)
def home_mortality(vital: Vital) -> np.ndarray:
    """(2, ages) deaths per person a day outside hospital, row 0 men, row 1 women."""
    m = vital.mortality
    return np.vstack([by_age(m.age_bands, m.male), by_age(m.age_bands, m.female)]) \
        * m.outside_hospital_share / 1000 / 365


@functools.lru_cache(maxsize=16)
def hospital_age_factor(vital: Vital) -> np.ndarray:
    h = vital.hospital
    return by_age(h.age_bands, h.age_factor)
