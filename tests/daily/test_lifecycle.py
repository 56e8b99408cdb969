"""Births and deaths of a day: mothers by age-specific fertility, deliveries admitted, deaths by age, ward and triage."""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from hospsim import daily, population
from hospsim.ages import age_on
from hospsim.daily import lifecycle, vital
from hospsim.daily.arrivals import arrivals
from hospsim.daily.context import DayContext
from hospsim.daily.state import CensusState
from hospsim.daily.tables import WARD
from tests.daily.conftest import MONDAY, context

WORKSHOP = "params/workshop.yaml"


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The workshop's 30,000 people, prepared: big enough for a year of births and deaths."""
    from tests.conftest import small_params
    params = small_params(tmp_path_factory.mktemp("vital"), params_file=WORKSHOP)
    people = population.with_illnesses(params, population.generate(params))
    return params, daily.prepare(params, people)


def _year(params, cohort, draw):
    state = CensusState.empty(params)
    start = params.simulation.start_date
    return [draw(DayContext.of(params, start + dt.timedelta(days=i), cohort, state)) for i in range(365)]


def test_mothers_follow_the_fertility_curve_and_births_the_yearly_rate(region):
    params, cohort = region
    days = _year(params, cohort, lifecycle.births)
    mothers = np.concatenate([b.mother for b in days])
    ages = np.concatenate([age_on(cohort.birth_day[b.mother], params.simulation.start_date + dt.timedelta(days=i))
                           for i, b in enumerate(days)])
    per_1000 = mothers.size / cohort.size * 1000
    assert 11 <= per_1000 <= 14, per_1000                       # IBGE 2022: ~12.3
    assert cohort.female[mothers].all()
    assert 0.09 <= (ages < 20).mean() <= 0.16                   # SINASC: ~12.5% under 20
    assert 0.015 <= (ages >= 40).mean() <= 0.06                 # ~3.5% at 40+ (was 36% before births)
    assert (ages >= 45).mean() <= 0.01 and ages.min() >= 10 and ages.max() < 50
    assert all(np.all((b.time >= dt_s(params.simulation.start_date, i)) & (b.time < dt_s(
        params.simulation.start_date, i + 1))) for i, b in enumerate(days))


def dt_s(start: dt.date, days: int) -> int:
    return int((start - dt.date(1970, 1, 1)).days + days) * 86_400


def test_home_deaths_follow_age_and_leave_out_the_excluded(region):
    params, cohort = region
    dead = np.concatenate([lifecycle.home_deaths(ctx, np.zeros(0, np.int64))[0] for ctx in _contexts(params, cohort)])
    share = params.vital.mortality.outside_hospital_share
    per_1000 = dead.size / cohort.size * 1000
    assert 0.5 * 7 * share <= per_1000 <= 1.6 * 7 * share, per_1000
    old = age_on(cohort.birth_day, params.simulation.start_date) >= 65
    assert old[dead].mean() > 3 * old.mean()                    # the old die far more often
    ctx = next(_contexts(params, cohort))
    assert not np.isin(lifecycle.home_deaths(ctx, np.arange(cohort.size // 2))[0], np.arange(cohort.size // 2)).any()


def _contexts(params, cohort):
    state = CensusState.empty(params)
    start = params.simulation.start_date
    return (DayContext.of(params, start + dt.timedelta(days=i), cohort, state) for i in range(365))


def test_nobody_is_born_or_dies_in_the_unwritten_warm_up(region):
    params, cohort = region
    before = DayContext.of(params, params.simulation.start_date - dt.timedelta(days=1), cohort,
                           CensusState.empty(params))
    assert lifecycle.births(before).mother.size == 0
    assert lifecycle.home_deaths(before, np.zeros(0, np.int64))[0].size == 0
    assert not lifecycle.hospital_deaths(before, np.full(100, WARD["icu"]), np.full(100, 90)).any()


def test_hospital_deaths_by_ward_and_age(params, cohort):
    ctx = context(params, cohort)
    n = 20_000
    icu = lifecycle.hospital_deaths(ctx, np.full(n, WARD["icu"]), np.full(n, 50)).mean()
    icu_old = lifecycle.hospital_deaths(ctx, np.full(n, WARD["icu"]), np.full(n, 85)).mean()
    maternity = lifecycle.hospital_deaths(ctx, np.full(n, WARD["maternity"]), np.full(n, 28)).mean()
    h = params.vital.hospital
    assert icu == pytest.approx(h.by_ward.icu * 0.8, abs=0.015)         # 40-59: factor 0.8
    assert icu_old == pytest.approx(h.by_ward.icu * 2.0, abs=0.02)      # 80+: factor 2
    assert maternity < 0.002


def test_the_dead_never_visit_nor_come_in_for_an_elective(params, cohort):
    dead = np.arange(0, cohort.size, 2)
    state = dataclasses.replace(CensusState.empty(params), vital={**vital.empty(), "dead": dead})
    ctx = context(params, cohort, state)
    arr = arrivals(ctx)
    assert arr.n > 50 and not np.isin(arr.who, dead).any()
    result, after = daily.simulate_day(params, MONDAY, cohort, state)
    rows = np.searchsorted(cohort.person_id, result.admissions["person_id"].to_numpy())
    assert not np.isin(rows, dead).any()
    assert np.isin(dead, after.vital["dead"]).all()


def test_women_in_labour_arrive_as_obstetric_visits_and_are_admitted(params, cohort):
    ctx = context(params, cohort)
    women = np.flatnonzero(cohort.female & (age_on(cohort.birth_day, MONDAY) >= 20))[:3]
    labour = lifecycle.Births(women, ctx.t0 + np.array([3600, 7200, 10_800]), np.array([2, 3, 3]),
                              np.array([True, False, True]), np.array(["A", "B", "C"], dtype="U80"))
    arr = lifecycle.with_deliveries(ctx, arrivals(ctx), labour)
    here = np.isin(arr.who, women)
    assert here.sum() == 3 and (arr.reason[here] == daily.REASONS.index("obstetric")).all()
    assert sorted(arr.triage[here]) == [2, 3, 3]
    assert np.all(np.diff(arr.arrival) >= 0) and arr.visit_id[0] == "V20250203-000001"
    assert (arr.visit_id == np.sort(arr.visit_id)).all()
    import dataclasses

    from hospsim.daily.disposition import disposition
    decided = disposition(ctx, arr)
    crowded = dataclasses.replace(decided, left=np.ones(arr.n, bool), decision=decided.decision - 60)   # all left
    disp = lifecycle.admit_deliveries(arr, crowded, labour, decided)
    assert disp.admit[here].all() and not disp.transfer[here].any()
    assert not disp.left[here].any() and disp.left[~here].all(), "a woman in labour never leaves unseen"
    assert (disp.decision[here] == decided.decision[here]).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_impossible_records_across_seeds(seed, tmp_path):
    """Three seeds of the workshop over 90 days: maternity is young, the dead never come back, babies are new."""
    import pandas as pd

    from hospsim import simulate
    from tests.conftest import small_params
    params = small_params(tmp_path, params_file=WORKSHOP, overrides={"seed": seed, "simulation.days": 90})
    result = simulate.run(params, write=False, progress=False)
    people = pd.concat([result.people[["person_id", "birth_date"]], result.births[["person_id", "birth_date"]]])
    born = pd.to_datetime(people.set_index("person_id")["birth_date"])
    maternity = result.admissions[result.admissions["ward"] == "maternity"]
    ages = (maternity["admit_time"] - born.loc[maternity["person_id"]].to_numpy()).dt.days / 365.25
    assert len(maternity) > 50 and (ages >= 40).mean() < 0.10 and (ages >= 45).mean() < 0.02 and ages.min() >= 10
    when = result.deaths.set_index("person_id")["death_time"]
    for kind, column in (("visitors", "arrival_time"), ("admissions", "admit_time")):
        frame = getattr(result, kind)
        later = frame[frame["person_id"].isin(when.index)]
        assert (later[column].to_numpy() <= when.loc[later["person_id"]].to_numpy()).all(), kind
    assert not result.births["person_id"].isin(result.people["person_id"]).any()
    assert (result.births["birth_time"].dt.normalize() == pd.to_datetime(result.births["birth_date"])).all()
