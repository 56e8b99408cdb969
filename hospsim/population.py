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

from hospsim import documents, geo, households, identity
from hospsim import rng as rngs
from hospsim.ages import age_on
from hospsim.config import POPULATION_COLUMNS, ConfigError, Params

PEOPLE_COLUMNS = POPULATION_COLUMNS[:12]   # people_data.csv
RISK_COLUMNS = POPULATION_COLUMNS[12:]     # after the condition flags in population_with_illnesses.csv


def generate(params: Params) -> pd.DataFrame:
    """people_data.csv: one row per resident, PEOPLE_COLUMNS in order.

    Ages and sexes are drawn per person from the pyramid, then people are grouped into households of types
    (hospsim.households); a household's members have consecutive person_ids and share an address (unique
    to it), a home, a surname and a private plan. Phones, postcodes and CPF region digits are the region
    state's, but for adults born elsewhere (population.born_elsewhere).
    """
    pop, n, locale = params.population, params.simulation.population, params.locale
    rng = rngs.generator(params.seed, "population")
    band = identity.draw(rng, identity.sampling_table([b.share for b in pop.age_bands]), n)
    female_share = np.array([b.female_share for b in pop.age_bands])
    female = rng.random(n) < female_share[band]
    birth_date = _birth_dates(rng, band, pop.age_bands, params.simulation.start_date)
    age = age_on(birth_date, params.simulation.start_date)
    household, place = households.build(rngs.generator(params.seed, "households"), age, female,
                                        pop.households, pop.household_size)
    # members together: head, partner, children, others; the older first within each (one int64 sort key)
    order = np.argsort((household * 4 + place) * 256 + (255 - np.minimum(age, 255)), kind="stable")
    household, female, birth_date, age = household[order], female[order], birth_date[order], age[order]
    n_households = int(household.max()) + 1 if n else 0
    sex = np.array(["M", "F"], dtype=object)[female.view(np.int8)]
    person_id = np.arange(n, dtype=np.int64)

    lat, lon, home = _homes(rng, params, n_households)
    hospitals = [h for h in params.region.hospitals if not h.referral]      # as _homes numbers them
    cities = np.array([h.city for h in hospitals], dtype=object)
    hospital_ids = np.array([h.id for h in hospitals], dtype=object)
    region = params.region
    address = identity.addresses(rng, n_households, locale, region.state, unique=True).one_line()

    names = identity.person_names(rng, female, locale, family=household)
    born = identity.origins(rngs.generator(params.seed, "origins"), age >= households.ADULT_AGE, locale,
                            region.state, region.area_code, pop.born_elsewhere)
    phones = identity.phones(rng, n, locale, born.area_code)
    insurance = _insurance(rng, params, household, n_households, birth_date)
    national_id = identity.national_ids(person_id + documents.NAMESPACE["population"], params.seed, locale,
                                        born.cpf_region)
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
    """Homes in Gaussian clusters around hospitals (weighted by beds), cut at region.radius_km; nearest hospital.
    Beds another region holds for this one's referrals are far away: nobody lives around them."""
    hospitals = [h for h in params.region.hospitals if not h.referral]
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
