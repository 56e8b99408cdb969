"""The region's people and their illness profiles (people_data.csv, population_with_illnesses.csv).

Pure functions of Params: the same params and seed give byte-identical frames; the orchestrator writes them.

Risk multipliers, for the daily loop:
  visit_risk = visit_age_factor[age band] x product of visit_risk over the person's conditions
  admit_risk = admit_age_factor[age band] x product of admit_risk over the person's conditions
A healthy adult aged 18-39 has 1.0 for both. They are relative rates, not probabilities: draw a day's ED
visitors in proportion to visit_risk (population mean ~1.06 with the defaults; divide by it and
simulation.ed_visits_per_1000_year holds) and weight admissions by admit_risk (mean ~1.7), normalized the
same way so simulation.ed_admit_share and the elective rate hold.
"""
from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd

from hospsim import documents, geo, identity
from hospsim import rng as rngs
from hospsim.ages import age_on
from hospsim.config import POPULATION_COLUMNS, ConfigError, Params

PEOPLE_COLUMNS = POPULATION_COLUMNS[:12]   # people_data.csv
RISK_COLUMNS = POPULATION_COLUMNS[12:]     # after the condition flags in population_with_illnesses.csv


def generate(params: Params) -> pd.DataFrame:
    """people_data.csv: one row per resident, PEOPLE_COLUMNS in order.

    People come in households (consecutive person_ids, 1 + Poisson(household_size - 1) people each) that
    share an address, a home, a surname and a private plan; ages and sexes are drawn per person.
    """
    pop, n, locale = params.population, params.simulation.population, params.locale
    rng = rngs.generator(params.seed, "population")
    person_id = np.arange(n, dtype=np.int64)
    household = households(rng, n, pop.household_size)
    n_households = int(household[-1]) + 1 if n else 0

    band = identity.draw(rng, identity.sampling_table([b.share for b in pop.age_bands]), n)
    female_share = np.array([b.female_share for b in pop.age_bands])
    female = rng.random(n) < female_share[band]
    sex = np.array(["M", "F"], dtype=object)[female.view(np.int8)]
    birth_date = _birth_dates(rng, band, pop.age_bands, params.simulation.start_date)

    lat, lon, home = _homes(rng, params, n_households)
    hospitals = params.region.hospitals
    cities = np.array([h.city for h in hospitals], dtype=object)
    hospital_ids = np.array([h.id for h in hospitals], dtype=object)
    address = identity.addresses(rng, n_households, locale).one_line()

    names = identity.person_names(rng, female, locale, family=household)
    phones = identity.phones(rng, n, locale)
    insurance = _insurance(rng, params, household, n_households, birth_date)
    national_id = identity.national_ids(person_id + documents.NAMESPACE["population"], params.seed, locale)
    home = home[household]

    return pd.DataFrame({
        "person_id": person_id, "national_id": national_id, "name": names, "sex": sex,
        "birth_date": birth_date, "address": address[household], "city": cities[home],
        "lat": lat[household], "lon": lon[household], "phone": phones, "insurance": insurance,
        "home_hospital": hospital_ids[home],
    })


def with_illnesses(params: Params, people: pd.DataFrame) -> pd.DataFrame:
    """population_with_illnesses.csv: people + one bool column per condition + conditions, visit_risk, admit_risk."""
    pop = params.population
    names = [c.name for c in pop.conditions]
    clash = sorted(set(names) & set(POPULATION_COLUMNS))
    if clash:  # config.load refuses these; Params built by hand skip its checks
        raise ConfigError([f"population.conditions: {', '.join(clash)} would overwrite a people column; rename it"])
    n = len(people)
    rng = rngs.generator(params.seed, "illnesses")
    age = age_on(people["birth_date"], params.simulation.start_date)
    band = np.searchsorted(np.asarray(pop.risk_age_bands), age, side="right") - 1
    cell = band * 2 + (people["sex"].to_numpy() == "M")  # (age band, sex) cell of the prevalence tables

    # Comorbidity: with probability rho a condition reuses the person's shared uniform, so conditions
    # cluster in the same people while each keeps its exact prevalence. One uniform v per condition
    # does both jobs: v < rho picks the shared one, else (v - rho) / (1 - rho) is a fresh uniform.
    rho = pop.comorbidity
    shared = rng.random(n)
    visit = np.asarray(pop.visit_age_factor, dtype=float)[band]
    admit = np.asarray(pop.admit_age_factor, dtype=float)[band]
    mask = np.zeros(n, dtype=np.int64)
    columns = {}
    for k, c in enumerate(pop.conditions):
        u = rng.random(n)
        if rho >= 1:
            u = shared
        elif rho > 0:
            u = np.where(u < rho, shared, (u - rho) / (1 - rho))
        has = u < np.column_stack([c.female, c.male]).ravel()[cell]
        columns[c.name] = has
        np.multiply(visit, c.visit_risk, out=visit, where=has)
        np.multiply(admit, c.admit_risk, out=admit, where=has)
        mask |= has.astype(np.int64) << k
    columns["conditions"] = _condition_labels(tuple(names), mask)
    columns["visit_risk"] = visit
    columns["admit_risk"] = admit
    return pd.concat([people, pd.DataFrame(columns, index=people.index)], axis=1)


def households(rng: np.random.Generator, n: int, mean_size: float) -> np.ndarray:
    """Household id per person: consecutive runs of 1 + Poisson(mean_size - 1) people."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = 1 + rng.poisson(mean_size - 1, size=int(n / mean_size * 1.2) + 16)
    while sizes.sum() < n:  # at most once or twice: the first draw is 20% too many households
        sizes = np.concatenate([sizes, 1 + rng.poisson(mean_size - 1, size=sizes.size)])
    return np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)[:n]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _birth_dates(rng: np.random.Generator, band: np.ndarray, bands, start: dt.date) -> np.ndarray:
    """Uniform within each band, so the age on the start date is exactly in [min_age, max_age]."""
    latest = np.array([_years_before(start, b.min_age).toordinal() for b in bands])
    earliest = np.array([_years_before(start, b.max_age + 1).toordinal() + 1 for b in bands])
    span = latest - earliest + 1
    ordinal = earliest[band] + (rng.random(band.size) * span[band]).astype(np.int64)
    epoch = dt.date(1970, 1, 1).toordinal()
    return (ordinal - epoch).astype("datetime64[D]").astype("datetime64[s]")


def _homes(rng: np.random.Generator, params: Params, n: int):
    """Homes in Gaussian clusters around hospitals (weighted by beds), cut at region.radius_km; nearest hospital."""
    hospitals = params.region.hospitals
    h_lat = np.array([h.lat for h in hospitals])
    h_lon = np.array([h.lon for h in hospitals])
    beds = np.array([sum(w.beds for w in h.wards) for h in hospitals], dtype=float)
    cluster = identity.draw(rng, identity.sampling_table(beds), n)
    # Radius of a 2-D Gaussian truncated at R, by inverting its CDF; no rejection loop.
    sd, radius = params.population.spread_km, params.region.radius_km
    u = rng.random(n)
    r = sd * np.sqrt(-2.0 * np.log1p(-u * -np.expm1(-radius**2 / (2 * sd**2))))
    theta = rng.random(n) * (2 * np.pi)
    lat = h_lat[cluster] + r * np.sin(theta) / geo.KM_PER_DEGREE_LAT
    lon = h_lon[cluster] + r * np.cos(theta) / (geo.KM_PER_DEGREE_LAT * np.cos(np.radians(h_lat[cluster])))
    lat, lon = np.round(lat, 6), np.round(lon, 6)
    return lat, lon, geo.nearest(lat, lon, h_lat, h_lon)


def _insurance(rng: np.random.Generator, params: Params, household: np.ndarray, n_households: int,
               birth_date: np.ndarray) -> np.ndarray:
    """A household holds one private plan or none (family plans); seniors may have their own public plan."""
    ins = next(i for i in params.population.insurance if i.locale == params.locale)
    plans = np.array([ins.public_plan, *ins.private_plans, ins.senior_plan or ins.public_plan], dtype=object)
    choice = np.zeros(n_households, dtype=np.intp)
    if ins.private_plans:
        shares = ins.private_plan_shares or (1.0,) * len(ins.private_plans)
        plan = identity.draw(rng, identity.sampling_table(shares), n_households) + 1
        choice = np.where(rng.random(n_households) < ins.private_share, plan, 0)
    choice = choice[household]
    if ins.senior_plan:
        choice[age_on(birth_date, params.simulation.start_date) >= ins.senior_age] = plans.size - 1
    return plans[choice]


def _condition_labels(names: tuple[str, ...], mask: np.ndarray) -> np.ndarray:
    """'' or 'hypertension;diabetes'-style labels, built once per distinct combination present."""
    if len(names) <= 20:
        labels = np.empty(1 << len(names), dtype=object)
        present = np.flatnonzero(np.bincount(mask, minlength=labels.size))
        labels[present] = [_label(names, int(m)) for m in present]
        return labels[mask]
    present, inverse = np.unique(mask, return_inverse=True)
    return np.array([_label(names, int(m)) for m in present], dtype=object)[inverse]


@functools.lru_cache(maxsize=4096)
def _label(names: tuple[str, ...], m: int) -> str:
    return ";".join(name for k, name in enumerate(names) if m >> k & 1)
