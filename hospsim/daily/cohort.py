"""The population as arrays, prepared once per run, and the calibrations that make the params' shares come out."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospsim import config
from hospsim import rng as rngs
from hospsim.ages import age_on
from hospsim.config import Params
from hospsim.daily import clinical, returnrisk, vital_rates
from hospsim.daily.region import Layout, layout
from hospsim.daily.tables import CALIBRATION_VISITS
from hospsim.errors import SimulationError
from hospsim.geo import nearest
from hospsim.rules import Rules

HOUSEHOLD = ("name", "address", "city", "phone", "insurance")
NEEDED = ("person_id", "birth_date", "sex", "lat", "lon", "home_hospital", "visit_risk", "admit_risk")


@dataclass(frozen=True)
class Cohort:
    """The population as arrays, prepared once per run: the daily loop indexes into these."""
    layout: Layout
    rules: Rules                    # the clinical tables (hospsim/params/clinical or clinical.dir)
    person_id: np.ndarray
    birth_day: np.ndarray           # days since 1970-01-01
    female: np.ndarray
    sex: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    home: np.ndarray                # hospital index
    conditions: dict                # name -> bool array
    visit_cum: np.ndarray           # cumulative visit_risk: draws visitors in proportion to it
    resp_cum: np.ndarray            # cumulative respiratory-season risk
    admit_cum: np.ndarray           # cumulative admit_risk: draws elective patients
    admit_per_visit: np.ndarray     # admit_risk / visit_risk: how often a visit ends in a bed, mean 1 over visits
    base_visits_per_day: float      # before day-of-week and season
    season_norm: float              # 1 + uplift x mean bump over a year: keeps the annual rate
    admit_norm: float               # calibrations over a sample of visits: see _calibrate
    transfer_scale: float
    ambulance_norm: float
    household: dict = field(default_factory=dict)   # name, address, city, phone, insurance: a newborn's come from here
    growth: dict = field(default_factory=dict, compare=False, repr=False)   # newborn rows' buffers (daily.vital)
    admit_share: float = 0.0        # the admit chance of a visit that is not a readmission (see _calibrate)

    @property
    def size(self) -> int:
        return len(self.person_id)


def prepare(params: Params, people: pd.DataFrame, rules: Rules | None = None) -> Cohort:
    """Arrays and calibrations for the daily loop, from population_with_illnesses; the clinical tables are
    read here, once (default: those params.clinical.dir names)."""
    missing = [c for c in NEEDED if c not in people.columns]
    if missing:
        raise SimulationError(f"people frame lacks columns {missing}; pass population.with_illnesses(params, people)")
    rules = rules or config.clinical_rules(params)
    lay = layout(params, rules)
    n = len(people)
    birth = pd.to_datetime(people["birth_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    sex = people["sex"].astype(str).to_numpy()
    female = np.char.startswith(np.char.upper(sex.astype(str)), "F")
    lat = people["lat"].to_numpy(dtype=float)
    lon = people["lon"].to_numpy(dtype=float)
    names = [c.name for c in params.population.conditions]
    conditions = {c: people[c].to_numpy(dtype=bool) for c in names if c in people.columns}
    visit_risk = np.clip(people["visit_risk"].to_numpy(dtype=float), 0, None)
    admit_risk = np.clip(people["admit_risk"].to_numpy(dtype=float), 0, None)
    # admit_risk is a relative admission rate per person; visitors are already drawn by visit_risk, so a
    # visit ends in a bed in proportion to admit_risk / visit_risk (population.py's contract).
    per_visit = np.divide(admit_risk, visit_risk, out=np.zeros(n), where=visit_risk > 0)
    if n == 0 or visit_risk.sum() <= 0:
        raise SimulationError("the population is empty or nobody has a positive visit_risk")
    age0 = age_on(birth, params.simulation.start_date)
    resp = visit_risk * (1 + 2 * conditions.get("asthma_copd", np.zeros(n, bool))) \
        * np.where(age0 < 5, 2.0, np.where(age0 >= 65, 1.5, 1.0))
    sim = params.simulation
    bump_mean = clinical.seasonal_bump(rules, np.arange(365), sim.hemisphere).mean()
    cohort = Cohort(
        layout=lay, rules=rules, person_id=people["person_id"].to_numpy(), birth_day=birth, female=female, sex=sex, lat=lat,
        lon=lon, home=_homes(people, lay, lat, lon), conditions=conditions, visit_cum=np.cumsum(visit_risk),
        resp_cum=np.cumsum(resp), admit_cum=np.cumsum(admit_risk),
        admit_per_visit=per_visit / max(np.average(per_visit, weights=visit_risk), 1e-12),
        base_visits_per_day=n * sim.ed_visits_per_1000_year / 1000 / 365,
        season_norm=1 + sim.respiratory_season_uplift * bump_mean, admit_norm=1.0, transfer_scale=0.0,
        ambulance_norm=1.0, household=_household(people))
    return _calibrate(params, cohort)


def _household(people: pd.DataFrame) -> dict:
    """The text a newborn shares with its mother (its name gives the surname), where the frame has it."""
    return {k: people[k].to_numpy(dtype=object) for k in HOUSEHOLD if k in people.columns}


def _homes(people: pd.DataFrame, lay: Layout, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Each person's home hospital index; anyone without a known one uses the nearest of the region's own."""
    index = {hid: i for i, hid in enumerate(lay.hospital_ids)}
    home = people["home_hospital"].map(index).to_numpy(dtype=float, na_value=np.nan)
    unknown = np.isnan(home)
    if unknown.any():
        own = np.flatnonzero(~lay.referral)
        home[unknown] = own[nearest(lat[unknown], lon[unknown], lay.lat[own], lay.lon[own])]
    return home.astype(np.int64)


def _calibrate(params: Params, c: Cohort) -> Cohort:
    """Scale the admit, transfer and ambulance factors so their means over a typical visit mix hit the params."""
    g = rngs.generator(params.seed, "daily-calibration")
    who = clinical.draw(g, c.visit_cum, CALIBRATION_VISITS)
    age = age_on(c.birth_day[who], params.simulation.start_date)
    reason = clinical.reasons(g, c.rules, c.female, c.conditions, who, age, vital_rates.obstetric_weight(params.vital))
    triage = clinical.triage(g, c.rules, reason, age)
    hosp = c.layout.ed_hospital[c.home[who]]
    sim = params.simulation
    f_admit = c.rules.admit_by_triage[triage - 1] * c.rules.admit_by_reason[reason] * c.admit_per_visit[who]
    norm = f_admit.mean()
    for _ in range(6):   # the clip at 0.95 lowers the mean: move the norm until the mean is right
        mean = np.clip(sim.ed_admit_share * f_admit / norm, 0, 0.95).mean()
        if mean <= 0:
            break
        norm *= mean / sim.ed_admit_share
    # Admitted patients whose hospital lacks their ward are transferred anyway: the decided transfers make
    # up the rest of simulation.ed_transfer_share (rural hospitals twice as often as the others).
    p_admit = np.clip(sim.ed_admit_share * f_admit / norm, 0, 0.95)
    lay = c.layout
    ward = lay.origin_ward[hosp, clinical.needed_ward(lay, reason, age, triage)]
    forced = float((p_admit * (lay.beds[hosp, ward] == 0)).mean()) if lay.n_hospitals > 1 else 0.0
    f_transfer = clinical.transfer_factor(c.rules, lay, hosp, reason, age, triage) \
        * np.where(lay.rural[hosp], c.rules.rural_transfer_factor, 1)
    scale = max(sim.ed_transfer_share - forced, 0.0) / max(float(f_transfer.mean()), 1e-12)
    # Returns (hospsim.daily.returns) come on top of the drawn visits and readmissions are all admitted: the
    # drawn visits and their admit chance shrink so the yearly visits and the admitted share stay the params'.
    per_visit = sim.ed_admit_share + sim.ed_transfer_share + sim.elective_admissions_per_1000_year / max(
        sim.ed_visits_per_1000_year, 1e-9)
    extra, readmit = returnrisk.expected_returns(
        c.rules, c.conditions, who, age, p_admit, sim.mean_length_of_stay_days, per_visit,
        1 - sim.ed_admit_share - sim.ed_transfer_share)
    forced_share = readmit / (1 + extra)
    return dataclasses.replace(c, admit_norm=float(norm), transfer_scale=scale,
                               ambulance_norm=float(clinical.ambulance_factor(c.rules, triage, age).mean()),
                               base_visits_per_day=c.base_visits_per_day / (1 + extra),
                               admit_share=max(sim.ed_admit_share - forced_share, 0.0) / (1 - forced_share))
