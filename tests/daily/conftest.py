"""A small hand-made world for the phase tests: two hospitals, 600 people, a day's context built directly."""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hospsim import daily
from hospsim.daily.context import DayContext
from hospsim.daily.requests import Requests
from hospsim.daily.state import CensusState, empty_queue
from hospsim.daily.tables import MODE_HOME, WARD

# H01: 2 ED places, 2 medical beds, 1 ICU bed, cardiology; H02 (10 km north): 1 ED place, 1 medical bed.
REGION = [
    {"id": "H01", "name": "Big", "city": "Campinas", "lat": -22.90, "lon": -47.06,
     "wards": {"emergency": 2, "icu": 1, "med_surg": 2}, "specialties": ["cardiology"]},
    {"id": "H02", "name": "Small", "city": "Campinas", "lat": -22.81, "lon": -47.06,
     "wards": {"emergency": 1, "med_surg": 1}, "specialties": []},
]
MONDAY = dt.date(2025, 2, 3)
SATURDAY = dt.date(2025, 2, 8)


@pytest.fixture(scope="session")
def params(tmp_path_factory):
    from tests.conftest import small_params
    return small_params(tmp_path_factory.mktemp("phases"), overrides={
        "region.hospitals": REGION, "simulation.start_date": "2025-02-01", "simulation.population": 600})


@pytest.fixture(scope="session")
def people() -> pd.DataFrame:
    """600 people, a third of them children, half of the rest over 65, homes split between the hospitals."""
    n = 600
    rng = np.random.default_rng(7)
    age = np.where(np.arange(n) % 3 == 0, rng.integers(0, 14, n), rng.integers(20, 90, n))
    birth = (np.datetime64("2025-01-01") - (age * 365.25 + rng.integers(0, 300, n)).astype("timedelta64[D]"))
    return pd.DataFrame({
        "person_id": np.arange(1, n + 1), "birth_date": birth.astype("datetime64[s]"),
        "sex": np.where(np.arange(n) % 2 == 0, "F", "M"), "lat": -22.9 + rng.random(n) * 0.1,
        "lon": -47.1 + rng.random(n) * 0.08, "home_hospital": np.where(np.arange(n) % 4 == 0, "H02", "H01"),
        "visit_risk": 0.5 + rng.random(n), "admit_risk": 0.5 + rng.random(n)})


@pytest.fixture(scope="session")
def cohort(params, people) -> daily.Cohort:
    """About 150 ED visits a day (a busy day for 600 people, so every phase has something to do)."""
    return dataclasses.replace(daily.prepare(params, people), base_visits_per_day=150.0)


def context(params, cohort, state: CensusState | None = None, day: dt.date = MONDAY) -> DayContext:
    return DayContext.of(params, day, cohort, state or CensusState.empty(params))


def slots(cohort, hospital: str, ward: str) -> np.ndarray:
    """The bed slots of one hospital ward."""
    lay = cohort.layout
    h = list(lay.hospital_ids).index(hospital)
    w = WARD[ward]
    return np.flatnonzero((lay.slot_hospital == h) & (lay.slot_ward == w))


def make_requests(ctx: DayContext, hours, origin, ward="med_surg", mode=MODE_HOME, n_queue=0, wait_s=600,
                  los_s=2 * 86_400, ed=None) -> Requests:
    """Requests made at the given hours of the context's day, from the given hospital indexes; `ed`: the visit
    index of each ED request (default: the requests after the boarders are visits 0, 1, ...)."""
    hours = np.asarray(hours, dtype=np.int64)
    m = hours.size
    full = lambda v, dtype=np.int64: np.broadcast_to(np.asarray(v, dtype=dtype), (m,)).copy()
    time = ctx.t0 + hours * 3600
    return Requests(person=np.arange(m, dtype=np.int64), visit=np.array([f"V{i}" for i in range(m)], dtype="U24"),
                    origin=full(origin), ward=full(WARD[ward]), spec=full(0), mode=full(mode), time=time,
                    since=time.copy(), los=full(los_s), wait=full(wait_s), n_queue=n_queue,
                    ed=np.arange(m - n_queue) if ed is None else np.asarray(ed))


def occupied_state(params, cohort, beds: dict[int, tuple[int, int]]) -> CensusState:
    """A state with the given slots held: slot -> (person row, planned discharge as seconds into MONDAY)."""
    state = CensusState.empty(params)
    t0 = (MONDAY - dt.date(1970, 1, 1)).days * 86_400
    for slot, (person, leaves_s) in beds.items():
        state.bed_person[slot] = person
        state.bed_admission[slot] = f"A-old-{slot}"
        state.bed_admit[slot] = t0 - 86_400
        state.bed_discharge[slot] = t0 + leaves_s
    return dataclasses.replace(state, queue=empty_queue())
