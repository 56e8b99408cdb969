"""People and illness profiles: the pyramid, the prevalence table, geography, ids, determinism, bad params."""
from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import pandas as pd
import pytest

from hospsim import config, documents, geo, population
from hospsim.ages import age_on
from hospsim.config import ConfigError

N = 40_000
CONDITIONS = ["hypertension", "diabetes", "asthma_copd", "heart_failure", "cancer", "kidney_disease"]


@pytest.fixture
def params(params_factory):
    return params_factory({"simulation.population": N})


@pytest.fixture
def people(params):
    return population.generate(params)


@pytest.fixture
def ill(params, people):
    return population.with_illnesses(params, people)


def test_people_columns_and_dtypes(people):
    assert list(people.columns) == list(population.PEOPLE_COLUMNS)
    assert len(people) == N
    assert people["person_id"].dtype == np.int64 and (people["person_id"].to_numpy() == np.arange(N)).all()
    assert people["birth_date"].dtype == "datetime64[s]"
    for col in ("lat", "lon"):
        assert people[col].dtype == np.float64
    for col in ("national_id", "name", "sex", "address", "city", "phone", "insurance", "home_hospital"):
        assert pd.api.types.is_string_dtype(people[col]), col
        assert people[col].str.len().min() > 0, col
    assert set(people["sex"]) == {"F", "M"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", people.head(1).to_csv(index=False).splitlines()[1].split(",")[4])


def test_cpfs_valid_and_unique(people):
    ids = people["national_id"].to_numpy()
    assert documents.valid_cpf(ids).all()
    assert people["national_id"].is_unique
    assert people["national_id"].str.fullmatch(r"\d{3}\.\d{3}\.\d{3}-\d{2}").all()


def test_us_locale(params_factory):
    p = params_factory({"simulation.population": 20_000, "locale": "en_US"})
    people = population.generate(p)
    assert people["national_id"].is_unique
    assert people["national_id"].str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
    age = age_on(people["birth_date"], p.simulation.start_date)
    assert (people.loc[age >= 65, "insurance"] == "Medicare").all()
    assert set(people.loc[age < 65, "insurance"]) >= {"Medicaid", "Aetna"}
    assert 0.55 < (people.loc[age < 65, "insurance"] != "Medicaid").mean() < 0.65


def test_age_and_sex_follow_the_pyramid(params, people):
    bands = params.population.age_bands
    age = age_on(people["birth_date"], params.simulation.start_date)
    assert age.min() >= 0 and age.max() <= bands[-1].max_age
    edges = [b.min_age for b in bands] + [bands[-1].max_age + 1]
    observed = np.histogram(age, bins=edges)[0] / N
    expected = np.array([b.share for b in bands])
    assert np.abs(observed - expected).max() < 0.006
    female = (people["sex"] == "F").to_numpy()
    assert abs(female.mean() - sum(b.share * b.female_share for b in bands)) < 0.01
    old = age >= 80
    assert female[old].mean() > 0.58 > female[age < 15].mean()


def test_insurance_mix(params, people):
    ins = next(i for i in params.population.insurance if i.locale == "pt_BR")
    share = people["insurance"].value_counts(normalize=True)
    assert abs(1 - share["SUS"] - ins.private_share) < 0.01
    assert set(share.index) == {"SUS", *ins.private_plans}
    assert share["Unimed"] > share["Prevent Senior"]


def test_home_hospital_is_the_nearest(params, people):
    hospitals = params.region.hospitals
    dist = np.stack([geo.haversine_km(people["lat"], people["lon"], h.lat, h.lon) for h in hospitals], axis=1)
    ids = np.array([h.id for h in hospitals])
    assert (ids[dist.argmin(axis=1)] == people["home_hospital"].to_numpy()).all()
    assert dist.min(axis=1).max() <= params.region.radius_km + 0.01
    assert people["home_hospital"].nunique() == len(hospitals)
    city = {h.id: h.city for h in hospitals}
    assert (people["home_hospital"].map(city) == people["city"]).all()


def test_homes_spread_around_each_hospital(params_factory):
    p = params_factory({"simulation.population": 20_000, "population.spread_km": 2.0, "region.radius_km": 5.0})
    people = population.generate(p)
    h = p.region.hospitals[0]
    d = geo.haversine_km(people["lat"], people["lon"], h.lat, h.lon)
    near = d[people["home_hospital"] == h.id]
    assert near.max() <= 5.01 and 1.5 < np.median(near) < 3.0  # Rayleigh median ~ 1.18 sd


def test_illness_columns(people, ill):
    assert list(ill.columns) == list(population.PEOPLE_COLUMNS) + CONDITIONS + ["conditions", "visit_risk", "admit_risk"]
    assert ill[list(population.PEOPLE_COLUMNS)].equals(people)
    assert all(ill[c].dtype == bool for c in CONDITIONS)
    assert ill["visit_risk"].dtype == np.float64 and ill["admit_risk"].dtype == np.float64
    flags = ill[CONDITIONS].to_numpy()
    rebuilt = [";".join(c for c, f in zip(CONDITIONS, row) if f) for row in flags[:2000]]
    assert rebuilt == list(ill["conditions"][:2000])
    assert (ill["conditions"] == "").mean() > 0.5


def test_prevalence_by_age_and_sex(params, ill):
    age = age_on(ill["birth_date"], params.simulation.start_date)
    adult, old = (age >= 18) & (age < 40), age >= 60
    assert ill.loc[old, "hypertension"].mean() > 3 * ill.loc[adult, "hypertension"].mean()
    assert ill.loc[old, "heart_failure"].mean() > ill.loc[adult, "heart_failure"].mean()
    htn = next(c for c in params.population.conditions if c.name == "hypertension")
    women_60_79 = (age >= 60) & (age < 80) & (ill["sex"] == "F").to_numpy()
    assert abs(ill.loc[women_60_79, "hypertension"].mean() - htn.female[4]) < 0.04
    child = age < 18
    assert ill.loc[child, "asthma_copd"].mean() > ill.loc[child, "hypertension"].mean()


def test_risk_multipliers(params, ill):
    age = age_on(ill["birth_date"], params.simulation.start_date)
    healthy_adult = (ill["conditions"] == "").to_numpy() & (age >= 18) & (age < 40)
    assert (ill.loc[healthy_adult, ["visit_risk", "admit_risk"]] == 1.0).all().all()
    assert 1.0 < ill["visit_risk"].mean() < 1.5
    assert 1.0 < ill["admit_risk"].mean() < 2.5
    row = ill[ill["heart_failure"] & ill["diabetes"] & (age >= 60) & (age < 80)].iloc[0]
    conditions = {c.name: c for c in params.population.conditions}
    expected = params.population.visit_age_factor[4]
    for name in row["conditions"].split(";"):
        expected *= conditions[name].visit_risk
    assert row["visit_risk"] == pytest.approx(expected)
    sick_old = ill.loc[age >= 80, "admit_risk"].mean()
    assert sick_old > 2 * ill.loc[(age >= 18) & (age < 40), "admit_risk"].mean()


def test_comorbidity_clusters_conditions(params_factory):
    def together(rho):
        p = params_factory({"simulation.population": 30_000, "population.comorbidity": rho})
        ill = population.with_illnesses(p, population.generate(p))
        return (ill["hypertension"] & ill["diabetes"]).mean(), ill["diabetes"].mean()
    apart, d0 = together(0.0)
    clustered, d1 = together(1.0)
    assert clustered > 1.5 * apart
    assert abs(d0 - d1) < 0.01  # prevalence unchanged


def test_same_seed_same_bytes_other_seed_differs(params_factory):
    def csv(seed):
        p = params_factory({"simulation.population": 3000, "seed": seed})
        people = population.generate(p)
        return people.to_csv(index=False), population.with_illnesses(p, people).to_csv(index=False)
    a, b, c = csv(5), csv(5), csv(6)
    assert a == b
    assert a[0] != c[0] and a[1] != c[1]


BAND = {"min_age": 0, "max_age": 100, "share": 1.0, "female_share": 0.5}


@pytest.mark.parametrize("overrides, message", [
    ({"population.age_bands": [BAND | {"share": 0.6}]}, r"population.age_bands: shares sum to 0.6000; they must sum to 1"),
    ({"population.age_bands": [BAND | {"share": -0.1}]}, r"population.age_bands\[0\].share = -0.1: must be >= 0"),
    ({"population.age_bands": [BAND | {"max_age": 50}, BAND | {"min_age": 60}]}, r"age_bands\[1\].min_age = 60: .*start at 51"),
    ({"population.conditions": [{"name": "gout", "female": [0, 0, 0, 1.2, 0, 0], "male": [0] * 6}]},
     r"population.conditions\[0\].female\[3\] = 1.2: a prevalence is a probability"),
    ({"population.conditions": [{"name": "gout", "female": [0, 0, 0, -0.1, 0, 0], "male": [0] * 6}]},
     r"population.conditions\[0\].female\[3\] = -0.1"),
    ({"population.conditions": [{"name": "gout", "female": [0.1], "male": [0] * 6}]},
     r"population.conditions\[0\].female: 1 prevalences for 6 risk_age_bands"),
    ({"population.conditions": [{"name": "Gout!", "female": [0] * 6, "male": [0] * 6}]}, r"must be a lowercase identifier"),
    ({"population.visit_age_factor": [1, 1]}, r"population.visit_age_factor: 2 values for 6 risk_age_bands"),
    ({"population.insurance": []}, r"population.insurance: 0 entries for locale pt_BR"),
])
def test_bad_population_params_are_named(params_factory, overrides, message):
    with pytest.raises(ConfigError, match=message):
        params_factory(overrides)


def test_condition_named_like_a_column_is_refused(params_factory):
    bad = {"population.conditions": [{"name": "sex", "female": [0.1] * 6, "male": [0.1] * 6}]}
    with pytest.raises(ConfigError, match=r"population.conditions\[0\].name = 'sex': already a column"):
        params_factory(bad)
    p = params_factory({"simulation.population": 10})
    by_hand = dataclasses.replace(p, population=dataclasses.replace(
        p.population, conditions=(config.Condition("sex", (0.1,) * 6, (0.1,) * 6),)))
    with pytest.raises(ConfigError, match="population.conditions: sex would overwrite a people column"):
        population.with_illnesses(by_hand, population.generate(by_hand))
    assert population.PEOPLE_COLUMNS[-1] == "home_hospital" and population.RISK_COLUMNS[0] == "conditions"


def test_illnesses_from_people_read_back_from_csv(params_factory):
    p = params_factory({"simulation.population": 2000})
    people = population.generate(p)
    back = pd.read_csv(io.StringIO(people.to_csv(index=False)))
    assert back["birth_date"].iloc[0] == str(people["birth_date"].iloc[0].date())
    a, b = population.with_illnesses(p, people), population.with_illnesses(p, back)
    assert (a[CONDITIONS + ["visit_risk", "admit_risk"]] == b[CONDITIONS + ["visit_risk", "admit_risk"]]).all().all()


def _households(people: pd.DataFrame, start):
    """Household number per row (people sharing an address), each row's head (the household's first row), ages."""
    age = age_on(people["birth_date"], start)
    household = pd.factorize(people["address"])[0]
    first = np.r_[True, household[1:] != household[:-1]]
    head = np.maximum.accumulate(np.where(first, np.arange(len(people)), 0))
    return household, head, age


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_households_hold_together(params_factory, seed):
    """No child alone, no household of children only, a mother 15-49 years older, one place per address."""
    p = params_factory({"simulation.population": 20_000, "seed": seed})
    people = population.generate(p)
    household, head, age = _households(people, p.simulation.start_date)
    assert (np.diff(household) >= 0).all()                               # members are consecutive person_ids
    size = np.bincount(household)
    assert not ((size[household] == 1) & (age < 18)).any()              # no child lives alone
    adults = np.bincount(household, weights=age >= 18)
    assert (adults > 0).all()                                            # no household of children only
    minor = age < 18
    mother = people["sex"].to_numpy()[head] == "F"
    gap = age[head] - age
    assert 0.9 < mother[minor].mean() < 0.99                              # some single fathers
    assert (gap[minor & mother] >= 15).all() and (gap[minor & mother] <= 49).all()
    assert (gap[minor] >= 15).all()
    assert (people.groupby("address")[["lat", "lon", "home_hospital"]].nunique() == 1).all().all()
    assert 0.17 < (size == 1).mean() < 0.21                              # IBGE 2022: 18.9%
    assert abs(size.mean() - p.population.household_size) < 0.05         # IBGE 2022: 2.79
    assert (people.groupby("address")["name"].agg(lambda s: s.str.split().str[-1].nunique()) == 1).all()


def test_the_old_live_alone_more_often_than_young_adults(params):
    people = population.generate(params)
    household, _, age = _households(people, params.simulation.start_date)
    alone = np.bincount(household)[household] == 1
    assert alone[age >= 65].mean() > 1.5 * alone[(age >= 18) & (age < 30)].mean()


def test_identities_follow_the_region_state(params_factory):
    p = params_factory({"simulation.population": 20_000, "region.state": "MG", "region.area_code": 31})
    people = population.generate(p)
    ddd = people["phone"].str.slice(4, 6)
    local = ddd == "31"
    assert 0.85 < local.mean() < 0.95                                    # population.born_elsewhere = 0.10 of adults
    five = people["address"].str.extract(r"(\d{5})-\d{3}$")[0].astype(int)
    assert five.between(30000, 39999).all()                              # Correios: MG CEPs
    ninth = people["national_id"].str.slice(10, 11)
    assert (ninth[local] == "6").all()                                   # Receita Federal: 6 = MG
    assert (ninth[~local] != "6").mean() > 0.9 and documents.valid_cpf(people["national_id"].to_numpy()).all()
    age = age_on(people["birth_date"], p.simulation.start_date)
    assert local[age < 18].all()                                         # children are born here
    assert people["national_id"].is_unique


def test_the_minas_preset_is_a_belo_horizonte_region(params_factory):
    p = params_factory({"simulation.population": 3000}, params_file="minas.yaml")
    assert (p.region.state, p.region.area_code) == ("MG", 31)
    people = population.generate(p)
    assert people["address"].str.extract(r"(\d{5})-\d{3}$")[0].astype(int).between(30000, 39999).all()
    assert (people["phone"].str.slice(4, 6) == "31").mean() > 0.85
    assert set(people["city"]) == {"Belo Horizonte", "Contagem"}
