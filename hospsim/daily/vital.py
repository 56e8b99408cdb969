"""Who was born and who died since the run began: the state the daily loop carries for a changing population,
and the cohort grown by the newborns.

A newborn is a new row of the cohort after the prepared population: row n0 + k is the k-th baby of the run,
its person_id the population's last plus 1 + k (people are numbered 0..n0-1, so ids stay one gap-free run). The
state holds, per newborn, its mother's row, birth day, sex and name; everything else (home, address, plan)
is the mother's, looked up through her (household). Dead rows stay in the cohort (their indexes keep their meaning) and
are left out wherever people are drawn: CensusState.busy lists them.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from hospsim.config import Params
from hospsim.daily.cohort import Cohort

BORN_FIELDS = ("mother", "day", "female", "name")
GROWN = ("person_id", "birth_day", "female", "sex", "lat", "lon", "home", "visit_cum", "resp_cum", "admit_cum",
         "admit_per_visit")
NEWBORN_RESP_FACTOR = 2.0       # cohort.prepare: children under 5 twice as likely in the respiratory season


def empty() -> dict:
    """The vital state before the run's first day: nobody born, nobody dead."""
    return {"mother": np.zeros(0, np.int64), "day": np.zeros(0, np.int64), "female": np.zeros(0, bool),
            "name": np.zeros(0, dtype="U80"), "dead": np.zeros(0, np.int64)}


def after(vital: dict, born: dict, dead: np.ndarray) -> dict:
    """The vital state with the day's newborns appended and its dead merged in (kept sorted)."""
    out = {k: np.concatenate([vital[k], np.asarray(born[k], dtype=vital[k].dtype)]) for k in BORN_FIELDS}
    out["dead"] = np.union1d(vital["dead"], dead).astype(np.int64)
    return out


def equal(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in (*BORN_FIELDS, "dead"))


def grown(cohort: Cohort, vital: dict, params: Params) -> Cohort:
    """The cohort with a row for every newborn in `vital`, in birth order (views of shared buffers)."""
    k = vital["mother"].size
    if k == 0:
        return cohort
    buf = cohort.growth.get("buffers")
    if buf is None or buf.conflicts(vital) or buf.n0 + k > buf.capacity:
        buf = _Buffers(cohort, vital, k)
        cohort.growth["buffers"] = buf
    buf.write(vital, params)
    n = buf.n0 + k
    return dataclasses.replace(cohort, **{f: buf.arrays[f][:n] for f in GROWN},
                               conditions={name: a[:n] for name, a in buf.conditions.items()})


def first_id(cohort: Cohort) -> int:
    """The person_id of the run's first newborn: right after the prepared population's last."""
    if "first_id" not in cohort.growth:
        cohort.growth["first_id"] = int(cohort.person_id[:cohort.growth.get("n0", cohort.size)].max()) + 1
    return cohort.growth["first_id"]


def household(cohort: Cohort, vital: dict, field: str, rows: np.ndarray) -> np.ndarray:
    """A text of the people's households (cohort.household: address, city, phone, plan; '' where the cohort
    lacks it): a newborn's is its mother's, a newborn's name the one the state gave it."""
    base = cohort.household.get(field)
    n0 = cohort.growth.get("n0", cohort.size)
    rows = np.asarray(rows, dtype=np.int64)
    if field == "name":
        out = np.full(rows.size, "", dtype=object)
        born = rows >= n0
        out[born] = vital["name"][rows[born] - n0]
        if base is not None:
            out[~born] = base[rows[~born]]
        return out
    while (rows >= n0).any():           # a newborn's mother, until a person of the prepared population
        rows = np.where(rows >= n0, vital["mother"][np.maximum(rows - n0, 0)], rows)
    return base[rows] if base is not None else np.full(rows.size, "", dtype=object)


class _Buffers:
    """The cohort's arrays with room for newborns. Rows once written are never rewritten: a state whose newborns
    differ from the rows written (another branch of the same cohort) gets buffers of its own."""

    def __init__(self, cohort: Cohort, vital: dict, k: int):
        self.n0 = cohort.growth.setdefault("n0", cohort.size)
        self.capacity = self.n0 + max(2 * k, self.n0 // 20 + 64)
        self.filled = 0
        self.first_id = first_id(cohort)
        self.arrays = {f: _room(getattr(cohort, f)[:self.n0], self.capacity) for f in GROWN}
        self.conditions = {name: _room(a[:self.n0], self.capacity) for name, a in cohort.conditions.items()}
        self.key = {f: np.zeros(0, vital[f].dtype) for f in BORN_FIELDS}

    def conflicts(self, vital: dict) -> bool:
        m = min(self.filled, vital["mother"].size)
        return not all(np.array_equal(self.key[f][:m], vital[f][:m]) for f in BORN_FIELDS)

    def write(self, vital: dict, params: Params) -> None:
        k = vital["mother"].size
        if k <= self.filled:
            return
        new, rows = slice(self.filled, k), np.arange(self.n0 + self.filled, self.n0 + k)
        mother = vital["mother"][new]
        a, pop = self.arrays, params.population
        female = vital["female"][new]
        visit, admit = float(pop.visit_age_factor[0]), float(pop.admit_age_factor[0])
        norm = a["admit_cum"][self.n0 - 1] / max(a["visit_cum"][self.n0 - 1], 1e-12)
        steps = np.arange(1, rows.size + 1)
        a["person_id"][rows] = self.first_id + rows - self.n0
        a["birth_day"][rows] = vital["day"][new]
        a["female"][rows] = female
        a["sex"][rows] = np.where(female, "F", "M")
        for f in ("lat", "lon", "home"):
            a[f][rows] = a[f][mother]
        for f, step in (("visit_cum", visit), ("resp_cum", visit * NEWBORN_RESP_FACTOR), ("admit_cum", admit)):
            a[f][rows] = a[f][rows[0] - 1] + step * steps
        a["admit_per_visit"][rows] = admit / visit / max(norm, 1e-12)
        for arr in self.conditions.values():
            arr[rows] = False
        self.key = {f: vital[f][:k].copy() for f in BORN_FIELDS}
        self.filled = k


def _room(values: np.ndarray, capacity: int) -> np.ndarray:
    out = np.empty(capacity, dtype=values.dtype)
    out[:values.size] = values
    if values.dtype.kind == "O":
        out[values.size:] = ""
    return out
