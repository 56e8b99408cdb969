"""The vital state: newborns become cohort rows after the population, branches never see each other's babies,
and the state survives its npz round trip (an npz written before births existed loads with nobody born)."""
from __future__ import annotations

import numpy as np

from hospsim.daily import vital
from hospsim.daily.state import CensusState
from tests.daily.conftest import MONDAY


def _born(mothers, female, day=20_000):
    n = len(mothers)
    return {"mother": np.array(mothers, np.int64), "day": np.full(n, day, np.int64),
            "female": np.array(female, bool), "name": np.array([f"Baby {i}" for i in range(n)], dtype="U80")}


def test_newborns_are_rows_after_the_population_with_their_mothers_home(params, cohort):
    state = vital.after(vital.empty(), _born([4, 10], [True, False]), np.zeros(0, np.int64))
    grown = vital.grown(cohort, state, params)
    n0 = cohort.size
    assert grown.size == n0 + 2
    assert list(grown.person_id[n0:]) == [cohort.person_id.max() + 1, cohort.person_id.max() + 2]
    assert list(grown.home[n0:]) == [cohort.home[4], cohort.home[10]]
    assert list(grown.lat[n0:]) == [cohort.lat[4], cohort.lat[10]] and list(grown.sex[n0:]) == ["F", "M"]
    assert (np.diff(grown.visit_cum) >= 0).all() and grown.visit_cum[n0] > cohort.visit_cum[-1]
    assert cohort.size == n0, "the prepared cohort is left as it was"


def test_two_branches_of_one_cohort_keep_their_own_babies(params, cohort):
    a = vital.after(vital.empty(), _born([4, 10], [True, True]), np.zeros(0, np.int64))
    b = vital.after(vital.empty(), _born([6], [False]), np.zeros(0, np.int64))
    grown_a = vital.grown(cohort, a, params)
    home_a = grown_a.home.copy()
    grown_b = vital.grown(cohort, b, params)
    assert grown_b.home[-1] == cohort.home[6] and grown_b.sex[-1] == "M"
    assert np.array_equal(grown_a.home, home_a) and grown_a.sex[-2:].tolist() == ["F", "F"]
    again = vital.grown(cohort, a, params)
    assert np.array_equal(again.home, home_a)


def test_the_vital_state_round_trips_and_an_old_state_loads_with_nobody_born(params):
    state = CensusState.empty(params)
    state.day = MONDAY
    state.vital = vital.after(vital.empty(), _born([3], [True]), np.array([7, 2]))
    arrays = state.to_arrays()
    back = CensusState.from_arrays(arrays)
    assert back.equals(state) and list(back.vital["dead"]) == [2, 7]
    old = CensusState.from_arrays({k: v for k, v in arrays.items() if not k.startswith("vital_")})
    assert old.vital["mother"].size == 0 and old.vital["dead"].size == 0
    assert 7 in state.busy and 2 in state.busy
