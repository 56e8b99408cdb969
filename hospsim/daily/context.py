"""The day's inputs, frozen: every phase reads them and none changes them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from hospsim import rng as rngs
from hospsim.config import Params
from hospsim.daily.clinical import days_since_epoch
from hospsim.daily.cohort import Cohort
from hospsim.daily.region import Layout
from hospsim.daily.state import CensusState
from hospsim.daily.tables import DAY_S
from hospsim.errors import SimulationError
from hospsim.rules import HEMISPHERES


@dataclass(frozen=True)
class DayContext:
    """One day's params, date, people, carried-in beds and seed stream.

    The day has one generator, `rng`, from `rng.generator(seed, "daily", day)`: the phases draw from it in
    the pipeline's order, so a phase run alone on a fresh context draws what it would draw first in the day.
    """
    params: Params
    day: dt.date
    cohort: Cohort
    state: CensusState      # beds and boarders after the day before; read, never written
    rng: np.random.Generator
    t0: np.int64            # the day's first second (since 1970-01-01, naive local time)
    stamp: str              # YYYYMMDD, in the day's ids

    @classmethod
    def of(cls, params: Params, day: dt.date, cohort: Cohort, state: CensusState) -> DayContext:
        beds = cohort.layout.slot_label.size
        if state.bed_person.size != beds:
            raise SimulationError(f"state holds {state.bed_person.size} beds but params give {beds}; "
                             "the bed layout changed: start a new run instead of resuming")
        return cls(params, day, cohort, state, rngs.generator(params.seed, "daily", day),
                   np.int64(days_since_epoch(day)) * DAY_S, day.strftime("%Y%m%d"))

    @property
    def t1(self) -> np.int64:
        """Midnight at the day's end: the census instant."""
        return self.t0 + DAY_S

    @property
    def layout(self) -> Layout:
        return self.cohort.layout

    @property
    def rules(self):
        """The clinical tables (hospsim.rules), read once with the cohort."""
        return self.cohort.rules

    @property
    def month_factor(self) -> float:
        """Admissions this month over the yearly mean (clinical admission_month_factor: SUS lowest Jan-Feb)."""
        side = HEMISPHERES.index(self.params.simulation.hemisphere)
        return float(self.rules.admission_month_factor[side, self.day.month - 1])

    @property
    def sim(self):
        return self.params.simulation
