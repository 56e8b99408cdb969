"""One simulated day, pure: ED visits, admissions against bed capacity, transfers, ambulance transports, census.

`simulate_day(params, day, people, state)` draws only from `rng.generator(params.seed, "daily", day)` and reads
only the state carried in from the day before (who lies in which bed until when, who boards in an ED), so any
day can be recomputed alone. Everything runs over whole arrays of the day's patients; the only loops are over
hospitals, wards and transfer rounds.

Times are whole seconds since 1970-01-01 (naive local time) in int64 arrays until the frames are built.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hospsim import rng as rngs
from hospsim.config import WARD_TYPES, ConfigError, Params

DAY_S = 86_400
NEVER = np.int64(-(2**62))          # availability of a bed that is empty since before the run
ROAD_FACTOR = 1.3                   # road distance / straight-line distance in a metropolitan area
EARTH_KM = 6371.0

WARD_CODES = {"emergency": "ED", "icu": "ICU", "step_down": "SDU", "med_surg": "MS", "telemetry": "TEL",
              "pediatrics": "PED", "maternity": "MAT", "psychiatry": "PSY"}
W = len(WARD_TYPES)
WARD = {name: i for i, name in enumerate(WARD_TYPES)}
ED = WARD["emergency"]
# A ward a hospital lacks is replaced by a lower level of care there instead of a transfer.
SOFT_FALLBACK = {"telemetry": "step_down", "step_down": "med_surg"}

# Busiest working day ~124% of the daily mean, weekly day off ~70% (PMC10980504); Monday..Sunday, mean 1.
DOW_FACTOR = np.array([1.24, 1.08, 1.02, 1.00, 0.98, 0.98, 0.70])
# ED arrivals by hour: bimodal, peaks 10-13 h and 19-20 h, 12% between 00:00 and 07:00 (NHAMCS 2006; PMC6656946).
HOURLY_SHARE = np.array([0.025, 0.020, 0.017, 0.015, 0.014, 0.014, 0.015, 0.030, 0.045, 0.055, 0.065, 0.068,
                         0.064, 0.056, 0.050, 0.048, 0.048, 0.050, 0.055, 0.062, 0.060, 0.050, 0.042, 0.032])
# Respiratory season: day of year of the peak and the months that count as season / off-season.
SEASON_PEAK_DOY = {"south": 152, "north": 1}     # Brazil Apr-Jul (Fiocruz); CDC: late Dec, high to Feb
SEASON_MONTHS = {"south": ((4, 5, 6, 7), (11, 12, 1, 2)), "north": ((12, 1, 2), (6, 7, 8))}

REASONS = ("respiratory", "cardiac", "trauma", "abdominal", "fever", "neurological", "obstetric", "psychiatric",
           "urinary", "metabolic", "oncology", "other")
R = {name: i for i, name in enumerate(REASONS)}
# Chief complaint by age group (child < 15, adult, elderly >= 65); obstetric is drawn separately for women 15-49.
REASON_BY_AGE = np.array([
    # resp  card  trau  abdo  fever neuro obst  psych urin  metab onco  other
    [0.25, 0.01, 0.22, 0.12, 0.25, 0.03, 0.00, 0.02, 0.04, 0.00, 0.00, 0.06],
    [0.11, 0.07, 0.20, 0.18, 0.08, 0.06, 0.00, 0.05, 0.08, 0.02, 0.00, 0.15],
    [0.16, 0.16, 0.14, 0.14, 0.06, 0.10, 0.00, 0.02, 0.09, 0.03, 0.00, 0.10],
])
OBSTETRIC_SHARE = 0.12          # of ED visits by women aged 15-49
# An illness profile makes its own complaint likely: condition -> (reason, probability it is the visit's reason).
CONDITION_REASON = {"asthma_copd": ("respiratory", 0.45), "heart_failure": ("cardiac", 0.50),
                    "hypertension": ("cardiac", 0.10), "diabetes": ("metabolic", 0.20),
                    "kidney_disease": ("urinary", 0.30), "cancer": ("oncology", 0.40)}
# Manchester-like triage 1 (red) .. 5 (blue), by reason.
TRIAGE_BY_REASON = np.array([
    [0.010, 0.100, 0.350, 0.420, 0.120],   # respiratory
    [0.040, 0.260, 0.400, 0.240, 0.060],   # cardiac
    [0.020, 0.100, 0.300, 0.430, 0.150],   # trauma
    [0.010, 0.080, 0.400, 0.410, 0.100],   # abdominal
    [0.005, 0.050, 0.300, 0.480, 0.165],   # fever
    [0.050, 0.220, 0.380, 0.280, 0.070],   # neurological
    [0.020, 0.150, 0.450, 0.300, 0.080],   # obstetric
    [0.010, 0.100, 0.350, 0.400, 0.140],   # psychiatric
    [0.005, 0.050, 0.350, 0.460, 0.135],   # urinary
    [0.020, 0.120, 0.400, 0.360, 0.100],   # metabolic
    [0.030, 0.200, 0.450, 0.270, 0.050],   # oncology
    [0.005, 0.050, 0.300, 0.450, 0.195],   # other
])
TRIAGE_COLORS = np.array(["red", "orange", "yellow", "green", "blue"])
ELDERLY_UPTRIAGE = 0.25         # chance an elderly patient is triaged one level more urgent
ADMIT_BY_TRIAGE = np.array([8.0, 3.0, 1.2, 0.35, 0.08])
ADMIT_BY_REASON = np.array([1.0, 1.3, 0.8, 1.0, 0.5, 1.3, 5.0, 1.0, 0.8, 1.0, 1.5, 0.7])
TRANSFER_BY_TRIAGE = np.array([4.0, 2.5, 1.0, 0.3, 0.1])
AMBULANCE_BY_TRIAGE = np.array([0.8, 0.45, 0.15, 0.05, 0.02])
SPECIALTY_MISSING_FACTOR = 3.0  # a visit needing a specialty its hospital lacks is more often transferred
RURAL_TRANSFER_FACTOR = 2.0     # ~3% rural vs ~1.5% overall (HCUP SB155)
SPECIALTIES = ("cardiology", "oncology", "neurology", "trauma", "obstetrics", "pediatrics", "psychiatry")
SPEC = {name: i + 1 for i, name in enumerate(SPECIALTIES)}   # 0 = none needed
REASON_SPECIALTY = np.array([0, SPEC["cardiology"], SPEC["trauma"], 0, 0, SPEC["neurology"], SPEC["obstetrics"],
                             SPEC["psychiatry"], 0, 0, SPEC["oncology"], 0])
# Mean stay by ward relative to simulation.mean_length_of_stay_days; about 1 over a typical admission mix.
LOS_FACTOR = {"emergency": 1.0, "icu": 1.25, "step_down": 0.95, "med_surg": 1.05, "telemetry": 0.75,
              "pediatrics": 0.7, "maternity": 0.55, "psychiatry": 2.5}
LOS_SIGMA = 0.75                # lognormal shape: a long right tail of complicated stays
LOS_MIN_DAYS, LOS_MAX_DAYS = 0.25, 60.0
ELECTIVE_LOS_FACTOR = 0.95
ED_STAY_MEDIAN_H, ED_STAY_SIGMA, ED_ADMIT_EXTRA_H = 2.5, 0.6, 2.0
TRANSFER_WAIT_MEDIAN_MIN, TRANSFER_SPEED_KMH, HANDOFF_MIN = 60.0, 45.0, 10.0
AMBULANCE_SPEED_KMH = np.array([60.0, 50.0, 40.0])   # by priority 1..3, lights and sirens to none
MODE_HOME, MODE_AWAY, MODE_ONLY = 0, 1, 2              # home-first / another hospital / home only (electives)
CALIBRATION_VISITS = 20_000

# The columns of each daily file, so an empty day still writes its header.
COLUMNS = {
    "visitors": ["visit_id", "person_id", "hospital_id", "arrival_time", "departure_time", "arrival_mode", "age",
                 "sex", "triage", "triage_color", "reason", "disposition"],
    "admissions": ["admission_id", "person_id", "visit_id", "hospital_id", "ward", "bed", "admit_time",
                   "length_of_stay_days", "planned_discharge_time", "type"],
    "discharges": ["admission_id", "person_id", "hospital_id", "ward", "bed", "admit_time", "discharge_time",
                   "length_of_stay_days"],
    "transfers": ["transfer_id", "person_id", "visit_id", "admission_id", "origin_hospital_id",
                  "destination_hospital_id", "ward", "reason", "request_time", "departure_time", "arrival_time",
                  "distance_km"],
    "transports": ["transport_id", "person_id", "visit_id", "priority", "dispatch_time", "pickup_time",
                   "arrival_time", "hospital_id", "distance_km"],
    "census": ["date", "hospital_id", "ward", "beds", "occupied", "admitted", "discharged", "transfers_in",
               "transfers_out", "boarding", "cancelled_electives"],
}
FILE_NAMES = {"visitors": "daily_visitors_{}.csv", "admissions": "admissions_{}.csv",
              "discharges": "discharges_{}.csv", "transfers": "transfers_{}.csv",
              "transports": "emergency_transports_{}.csv", "census": "census_{}.csv"}


# --------------------------------------------------------------------------- the region

@dataclass(frozen=True)
class Layout:
    """Hospitals, their bed slots and the routing tables, derived from params alone."""
    hospital_ids: np.ndarray        # (H,) str
    beds: np.ndarray                # (H, W) beds per hospital and ward type
    rural: np.ndarray               # (H,) bool
    lat: np.ndarray
    lon: np.ndarray
    distance_km: np.ndarray         # (H, H) road km
    travel_s: np.ndarray            # (H, H) transfer drive seconds
    slot_hospital: np.ndarray       # (B,) every bed in hospital, ward, number order
    slot_ward: np.ndarray
    slot_label: np.ndarray          # 'H01-ICU-07'
    candidates: np.ndarray          # (H, W, S, 3, H) hospitals to try, nearest first, -1 padded
    region_ward: np.ndarray         # (W,) ward type used when the region has none of the asked type
    origin_ward: np.ndarray         # (H, W) ward type used at a hospital lacking a soft type
    ed_hospital: np.ndarray         # (H,) where a hospital's people go for the ED
    offers: np.ndarray              # (H, S) specialty offered

    @property
    def n_hospitals(self) -> int:
        return len(self.hospital_ids)


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


def layout(params: Params) -> Layout:
    hospitals = params.region.hospitals
    H = len(hospitals)
    beds = np.zeros((H, W), dtype=np.int64)
    for h, hosp in enumerate(hospitals):
        for ward in hosp.wards:
            beds[h, WARD[ward.type]] = ward.beds
    lat = np.array([h.lat for h in hospitals])
    lon = np.array([h.lon for h in hospitals])
    dist = np.round(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * ROAD_FACTOR, 1)
    travel = np.round((dist / TRANSFER_SPEED_KMH * 60 + HANDOFF_MIN) * 60).astype(np.int64)
    np.fill_diagonal(travel, 0)
    offers = np.zeros((H, len(SPECIALTIES) + 1), dtype=bool)
    for h, hosp in enumerate(hospitals):
        for s in hosp.specialties:
            if s in SPEC:
                offers[h, SPEC[s]] = True

    has = beds > 0
    in_region = has.any(axis=0)
    inpatient_sizes = beds.sum(axis=0) * (np.arange(W) != ED)
    region_ward = np.arange(W)
    for w in range(W):
        target = WARD_TYPES[w]
        while target in SOFT_FALLBACK and not in_region[WARD[target]]:
            target = SOFT_FALLBACK[target]
        if w != ED and not in_region[WARD[target]]:
            target = "med_surg" if in_region[WARD["med_surg"]] else WARD_TYPES[int(np.argmax(inpatient_sizes))]
        region_ward[w] = WARD[target]
    origin_ward = np.tile(np.arange(W), (H, 1))
    for h in range(H):
        for name in SOFT_FALLBACK:
            w = WARD[name]
            while not has[h, origin_ward[h, w]] and origin_ward[h, w] != WARD["med_surg"]:
                nxt = WARD[SOFT_FALLBACK.get(WARD_TYPES[origin_ward[h, w]], "med_surg")]
                origin_ward[h, w] = nxt
            if not has[h, origin_ward[h, w]]:
                origin_ward[h, w] = w

    S = len(SPECIALTIES) + 1
    cand = np.full((H, W, S, 3, H), -1, dtype=np.int64)
    for h in range(H):
        order = np.lexsort((np.arange(H), dist[h]))
        for w in range(W):
            with_ward = order[has[order, w]]
            home_first = np.concatenate([[h], with_ward[with_ward != h]]) if has[h, w] else with_ward
            away = with_ward[with_ward != h]
            for s in range(S):
                away_s = away[np.argsort(~offers[away, s], kind="stable")] if s else away
                lists = (home_first, away_s if away_s.size else home_first, home_first[:1])
                for mode, lst in enumerate(lists):
                    cand[h, w, s, mode, :lst.size] = lst
    ed_has = np.flatnonzero(has[:, ED])
    # People go to the nearest emergency ward; a region without one still sees them at their own hospital.
    ed_hospital = np.array([h if has[h, ED] or not ed_has.size else ed_has[np.argmin(dist[h, ed_has])]
                            for h in range(H)])

    slot_h = np.repeat(np.arange(H), beds.sum(axis=1))
    slot_w = np.concatenate([np.repeat(np.arange(W), beds[h]) for h in range(H)]) if H else np.zeros(0, int)
    group = slot_h * W + slot_w
    start = np.searchsorted(group, group, side="left")
    number = np.arange(group.size) - start + 1
    codes = np.array([WARD_CODES[t] for t in WARD_TYPES])
    ids = np.array([h.id for h in hospitals])
    label = _cat(ids[slot_h], "-", codes[slot_w], "-", np.char.zfill(number.astype(str), 2))
    return Layout(ids, beds, np.array([h.rural for h in hospitals]), lat, lon, dist, travel, slot_h, slot_w,
                  label, cand, region_ward, origin_ward, ed_hospital, offers)


def _cat(*parts) -> np.ndarray:
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.char.add(out, np.asarray(p).astype(str))
    return out


# --------------------------------------------------------------------------- the people

@dataclass(frozen=True)
class Cohort:
    """The population as arrays, prepared once per run: the daily loop indexes into these."""
    layout: Layout
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

    @property
    def size(self) -> int:
        return len(self.person_id)


def prepare(params: Params, people: pd.DataFrame) -> Cohort:
    """Arrays and calibrations for the daily loop, from population_with_illnesses."""
    missing = [c for c in ("person_id", "birth_date", "sex", "lat", "lon", "home_hospital", "visit_risk",
                           "admit_risk") if c not in people.columns]
    if missing:
        raise ValueError(f"people frame lacks columns {missing}; pass population.with_illnesses(params, people)")
    lay = layout(params)
    n = len(people)
    birth = pd.to_datetime(people["birth_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    sex = people["sex"].astype(str).to_numpy()
    female = np.char.startswith(np.char.upper(sex.astype(str)), "F")
    lat = people["lat"].to_numpy(dtype=float)
    lon = people["lon"].to_numpy(dtype=float)
    index = {hid: i for i, hid in enumerate(lay.hospital_ids)}
    home = people["home_hospital"].map(index).to_numpy(dtype=float, na_value=np.nan)
    unknown = np.isnan(home)
    if unknown.any():   # anyone without a known home hospital uses the nearest
        d = haversine_km(lat[unknown, None], lon[unknown, None], lay.lat[None, :], lay.lon[None, :])
        home[unknown] = np.argmin(d, axis=1)
    home = home.astype(np.int64)
    names = [c.name for c in params.population.conditions]
    conditions = {c: people[c].to_numpy(dtype=bool) for c in names if c in people.columns}
    visit_risk = np.clip(people["visit_risk"].to_numpy(dtype=float), 0, None)
    admit_risk = np.clip(people["admit_risk"].to_numpy(dtype=float), 0, None)
    # admit_risk is a relative admission rate per person; visitors are already drawn by visit_risk, so a
    # visit ends in a bed in proportion to admit_risk / visit_risk (population.py's contract).
    per_visit = np.divide(admit_risk, visit_risk, out=np.zeros(n), where=visit_risk > 0)
    if n == 0 or visit_risk.sum() <= 0:
        raise ValueError("the population is empty or nobody has a positive visit_risk")
    age0 = _age(birth, _days(params.simulation.start_date))
    resp = visit_risk * (1 + 2 * conditions.get("asthma_copd", np.zeros(n, bool))) \
        * np.where(age0 < 5, 2.0, np.where(age0 >= 65, 1.5, 1.0))
    sim = params.simulation
    bump_mean = _bump(np.arange(365), sim.hemisphere).mean()
    cohort = Cohort(
        layout=lay, person_id=people["person_id"].to_numpy(), birth_day=birth, female=female, sex=sex, lat=lat,
        lon=lon, home=home, conditions=conditions, visit_cum=np.cumsum(visit_risk), resp_cum=np.cumsum(resp),
        admit_cum=np.cumsum(admit_risk), admit_per_visit=per_visit / max(np.average(per_visit, weights=visit_risk), 1e-12),
        base_visits_per_day=n * sim.ed_visits_per_1000_year / 1000 / 365,
        season_norm=1 + sim.respiratory_season_uplift * bump_mean, admit_norm=1.0, transfer_scale=0.0,
        ambulance_norm=1.0)
    return _calibrate(params, cohort)


def _calibrate(params: Params, c: Cohort) -> Cohort:
    """Scale the admit, transfer and ambulance factors so their means over a typical visit mix hit the params."""
    g = rngs.generator(params.seed, "daily-calibration")
    who = _draw(g, c.visit_cum, CALIBRATION_VISITS)
    age = _age(c.birth_day[who], _days(params.simulation.start_date))
    reason = _reasons(g, c, who, age)
    triage = _triage(g, reason, age)
    hosp = c.layout.ed_hospital[c.home[who]]
    sim = params.simulation
    f_admit = ADMIT_BY_TRIAGE[triage - 1] * ADMIT_BY_REASON[reason] * c.admit_per_visit[who]
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
    ward = lay.origin_ward[hosp, _ward(lay, reason, age, triage)]
    forced = float((p_admit * (lay.beds[hosp, ward] == 0)).mean()) if lay.n_hospitals > 1 else 0.0
    f_transfer = _transfer_factor(lay, hosp, reason, age, triage) * np.where(lay.rural[hosp], RURAL_TRANSFER_FACTOR, 1)
    scale = max(sim.ed_transfer_share - forced, 0.0) / max(float(f_transfer.mean()), 1e-12)
    return dataclasses.replace(c, admit_norm=float(norm), transfer_scale=scale,
                               ambulance_norm=float(_ambulance_factor(triage, age).mean()))


def _days(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _age(birth_day: np.ndarray, today: int) -> np.ndarray:
    return ((today - birth_day) / 365.2425).astype(np.int64)


def _bump(doy: np.ndarray, hemisphere: str) -> np.ndarray:
    """Respiratory season shape: 1 at the peak, half at ~66 days either side, ~0 six months away."""
    return ((1 + np.cos(2 * np.pi * (np.asarray(doy) - SEASON_PEAK_DOY[hemisphere]) / 365.25)) / 2) ** 2


def _draw(g: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    """n people drawn with replacement in proportion to a weight whose cumulative sum is cum."""
    return np.minimum(np.searchsorted(cum, g.random(n) * cum[-1], side="right"), cum.size - 1)


def _reasons(g: np.random.Generator, c: Cohort, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    group = np.where(age < 15, 0, np.where(age >= 65, 2, 1))
    cum = np.cumsum(REASON_BY_AGE, axis=1)[group]
    reason = np.minimum((g.random(who.size)[:, None] > cum).sum(axis=1), len(REASONS) - 1)
    u = g.random(who.size)
    reason[c.female[who] & (age >= 15) & (age <= 49) & (u < OBSTETRIC_SHARE)] = R["obstetric"]
    for name, (linked, p) in CONDITION_REASON.items():   # a loop over illnesses, not people
        u = g.random(who.size)
        if name in c.conditions:
            reason[c.conditions[name][who] & (u < p)] = R[linked]
    return reason


def _triage(g: np.random.Generator, reason: np.ndarray, age: np.ndarray) -> np.ndarray:
    cum = np.cumsum(TRIAGE_BY_REASON, axis=1)[reason]
    triage = np.minimum((g.random(reason.size)[:, None] > cum).sum(axis=1), 4) + 1
    up = (age >= 65) & (g.random(reason.size) < ELDERLY_UPTRIAGE)
    return np.where(up, np.maximum(triage - 1, 1), triage)


def _specialty(reason: np.ndarray, age: np.ndarray, triage: np.ndarray) -> np.ndarray:
    spec = REASON_SPECIALTY[reason].copy()
    spec[(reason == R["trauma"]) & (triage > 2)] = 0        # minor injuries need no trauma centre
    spec[age < 15] = SPEC["pediatrics"]
    return spec


def _transfer_factor(lay: Layout, hosp, reason, age, triage) -> np.ndarray:
    spec = _specialty(reason, age, triage)
    missing = (spec > 0) & ~lay.offers[hosp, spec]
    return TRANSFER_BY_TRIAGE[triage - 1] * np.where(missing, SPECIALTY_MISSING_FACTOR, 1.0)


def _ambulance_factor(triage, age) -> np.ndarray:
    return AMBULANCE_BY_TRIAGE[triage - 1] * np.where(age >= 65, 1.5, 1.0)


# --------------------------------------------------------------------------- the carried state

QUEUE_FIELDS = ("person", "visit", "origin", "ward", "spec", "mode", "los", "since")


@dataclass
class CensusState:
    """Who lies in which bed until when, and who boards in an ED waiting for one, after `day`."""
    day: dt.date | None
    bed_person: np.ndarray          # (B,) person row index, -1 = empty
    bed_admission: np.ndarray       # admission_id
    bed_admit: np.ndarray           # seconds
    bed_discharge: np.ndarray       # planned discharge, seconds
    queue: dict                     # QUEUE_FIELDS -> arrays, one element per boarding patient
    fingerprint: str = ""

    @classmethod
    def empty(cls, params: Params, fingerprint: str = "") -> CensusState:
        b = int(layout(params).slot_label.size)
        return cls(None, np.full(b, -1, np.int64), np.full(b, "", dtype="U24"), np.zeros(b, np.int64),
                   np.zeros(b, np.int64), _empty_queue(), fingerprint)

    def save(self, path: Path) -> Path:
        """npz, written to a temporary name and renamed, so a crash never leaves half a state."""
        from hospsim.sinks import atomic_path
        arrays = {"day": np.array(self.day.isoformat() if self.day else ""),
                  "fingerprint": np.array(self.fingerprint), "bed_person": self.bed_person,
                  "bed_admission": self.bed_admission, "bed_admit": self.bed_admit,
                  "bed_discharge": self.bed_discharge, **{f"queue_{k}": v for k, v in self.queue.items()}}
        with atomic_path(Path(path)) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        return Path(path)

    @classmethod
    def load(cls, path: Path) -> CensusState:
        with np.load(path, allow_pickle=False) as z:
            day = str(z["day"])
            return cls(dt.date.fromisoformat(day) if day else None, z["bed_person"], z["bed_admission"],
                       z["bed_admit"], z["bed_discharge"], {k: z[f"queue_{k}"] for k in QUEUE_FIELDS},
                       str(z["fingerprint"]))

    def equals(self, other: CensusState) -> bool:
        mine, theirs = dataclasses.asdict(self), dataclasses.asdict(other)
        return mine["day"] == theirs["day"] and all(
            np.array_equal(mine[k], theirs[k]) for k in ("bed_person", "bed_admission", "bed_admit", "bed_discharge")
        ) and all(np.array_equal(self.queue[k], other.queue[k]) for k in QUEUE_FIELDS)

    @property
    def occupied(self) -> int:
        return int((self.bed_person >= 0).sum())


def _empty_queue() -> dict:
    return {"person": np.zeros(0, np.int64), "visit": np.zeros(0, "U24"), "origin": np.zeros(0, np.int64),
            "ward": np.zeros(0, np.int64), "spec": np.zeros(0, np.int64), "mode": np.zeros(0, np.int64),
            "los": np.zeros(0, np.int64), "since": np.zeros(0, np.int64)}


# --------------------------------------------------------------------------- one day

@dataclass
class DayResult:
    day: dt.date
    visitors: pd.DataFrame
    admissions: pd.DataFrame
    discharges: pd.DataFrame
    transfers: pd.DataFrame
    transports: pd.DataFrame
    census: pd.DataFrame

    def files(self) -> dict[str, pd.DataFrame]:
        """The day's output files, by name."""
        return {FILE_NAMES[k].format(self.day.isoformat()): getattr(self, k) for k in FILE_NAMES}


def simulate_day(params: Params, day: dt.date, people: pd.DataFrame | Cohort,
                 state: CensusState) -> tuple[DayResult, CensusState]:
    """One day: draws from the day's own seed stream, reads the carried state, returns frames and the new state."""
    c = people if isinstance(people, Cohort) else prepare(params, people)
    lay = c.layout
    if state.bed_person.size != lay.slot_label.size:
        raise ValueError(f"state holds {state.bed_person.size} beds but params give {lay.slot_label.size}; "
                         "the bed layout changed: start a new run instead of resuming")
    g = rngs.generator(params.seed, "daily", day)
    sim = params.simulation
    today = _days(day)
    t0 = np.int64(today) * DAY_S
    t1 = t0 + DAY_S
    stamp = day.strftime("%Y%m%d")

    # ---- ED visits: count from the yearly rate x weekday x season, people in proportion to their visit_risk
    base = c.base_visits_per_day * DOW_FACTOR[day.weekday()] / c.season_norm
    bump = float(_bump(day.timetuple().tm_yday, sim.hemisphere))
    n_base, n_resp = g.poisson(base), g.poisson(base * sim.respiratory_season_uplift * bump)
    who = np.concatenate([_draw(g, c.visit_cum, n_base), _draw(g, c.resp_cum, n_resp)])
    seasonal = np.arange(who.size) >= n_base
    busy = np.concatenate([state.bed_person[state.bed_person >= 0], state.queue["person"]])
    _, first = np.unique(who, return_index=True)        # one visit a person a day; inpatients don't visit
    keep = np.zeros(who.size, bool)
    keep[first] = True
    keep &= ~np.isin(who, busy)
    who, seasonal = who[keep], seasonal[keep]
    n = who.size
    age = _age(c.birth_day[who], today)
    reason = _reasons(g, c, who, age)
    reason[seasonal] = R["respiratory"]
    triage = _triage(g, reason, age)
    hosp = lay.ed_hospital[c.home[who]]
    hour = np.searchsorted(np.cumsum(HOURLY_SHARE), g.random(n) * HOURLY_SHARE.sum(), side="right")
    arrival = t0 + np.minimum(hour, 23) * 3600 + g.integers(0, 3600, n)
    order = np.lexsort((who, arrival))
    who, age, reason, triage, hosp, arrival, seasonal = (a[order] for a in
                                                         (who, age, reason, triage, hosp, arrival, seasonal))
    visit_id = _ids("V", stamp, n)

    # ---- disposition: transferred / admitted / discharged, calibrated to the params' shares
    spec = _specialty(reason, age, triage)
    p_transfer = c.transfer_scale * _transfer_factor(lay, hosp, reason, age, triage)
    p_transfer = np.clip(p_transfer * np.where(lay.rural[hosp], RURAL_TRANSFER_FACTOR, 1.0), 0, 0.5)
    if lay.n_hospitals < 2:
        p_transfer[:] = 0
    p_admit = np.clip(sim.ed_admit_share * ADMIT_BY_TRIAGE[triage - 1] * ADMIT_BY_REASON[reason]
                      * c.admit_per_visit[who] / c.admit_norm, 0, 0.95)
    p_admit = np.minimum(p_admit, 1 - p_transfer)
    u = g.random(n)
    transfer = u < p_transfer
    admit = ~transfer & (u < p_transfer + p_admit)
    ed_stay = np.round(np.exp(np.log(ED_STAY_MEDIAN_H * 3600) + ED_STAY_SIGMA * g.standard_normal(n))).astype(np.int64)
    ed_stay = np.clip(ed_stay, 1200, 20 * 3600) + np.where(admit | transfer, int(ED_ADMIT_EXTRA_H * 3600), 0)
    decision = arrival + ed_stay

    # ---- ambulance arrivals: a share of the visits, the urgent and the old more often
    p_amb = sim.transports_per_1000_year / sim.ed_visits_per_1000_year * _ambulance_factor(triage, age) / c.ambulance_norm
    ambulance = g.random(n) < np.clip(p_amb, 0, 1)

    # ---- requests for a bed: yesterday's boarders first, then today's ED patients, then electives
    q = state.queue
    ed = np.flatnonzero(admit | transfer)
    ward_ed = _ward(lay, reason[ed], age[ed], triage[ed])
    n_el = g.poisson(len(c.person_id) * sim.elective_admissions_per_1000_year / 1000 / 365 * 7 / 5) \
        if day.weekday() < 5 else 0
    el_who = _draw(g, c.admit_cum, n_el)
    el_age = _age(c.birth_day[el_who], today)
    u_el = g.random(n_el)
    el_ward = np.where(el_age < 15, WARD["pediatrics"],
                       np.where(c.female[el_who] & (el_age >= 15) & (el_age <= 45) & (u_el < 0.3), WARD["maternity"],
                                np.where(u_el > 0.92, WARD["step_down"], WARD["med_surg"])))
    el_ward = lay.region_ward[el_ward]
    el_origin = lay.candidates[c.home[el_who], el_ward, 0, MODE_HOME, 0]
    el_first = np.zeros(n_el, bool)
    el_first[np.unique(el_who, return_index=True)[1]] = True
    el_ok = el_first & ~np.isin(el_who, np.concatenate([busy, who])) & (el_origin >= 0)
    el_who, el_age, el_ward, el_origin = el_who[el_ok], el_age[el_ok], el_ward[el_ok], el_origin[el_ok]
    n_el = el_who.size
    el_time = t0 + 7 * 3600 + g.integers(0, 4 * 3600, n_el)

    nq, ne = q["person"].size, ed.size
    req = {
        "person": np.concatenate([q["person"], who[ed], el_who]),
        "visit": np.concatenate([q["visit"], visit_id[ed], np.full(n_el, "", dtype="U24")]),
        "origin": np.concatenate([q["origin"], hosp[ed], el_origin]),
        "ward": np.concatenate([q["ward"], ward_ed, el_ward]),
        "spec": np.concatenate([q["spec"], spec[ed], np.zeros(n_el, np.int64)]),
        "mode": np.concatenate([q["mode"], np.where(transfer[ed], MODE_AWAY, MODE_HOME), np.full(n_el, MODE_ONLY)]),
        "time": np.concatenate([np.full(nq, t0), decision[ed], el_time]),
        "since": np.concatenate([q["since"], decision[ed], el_time]),
    }
    m = req["person"].size
    is_ed_req = np.arange(m) < nq + ne
    req["ward"] = np.where(req["mode"] == MODE_AWAY, req["ward"], lay.origin_ward[req["origin"], req["ward"]])
    los_mean = sim.mean_length_of_stay_days * np.array([LOS_FACTOR[t] for t in WARD_TYPES])[req["ward"]]
    los_mean = los_mean * np.where(is_ed_req, 1.0, ELECTIVE_LOS_FACTOR)
    los_days = np.exp(np.log(los_mean) - LOS_SIGMA**2 / 2 + LOS_SIGMA * g.standard_normal(m))
    los = np.round(np.clip(los_days, LOS_MIN_DAYS, LOS_MAX_DAYS) * 1440).astype(np.int64) * 60
    los[:nq] = q["los"]
    wait = np.round(np.exp(np.log(TRANSFER_WAIT_MEDIAN_MIN * 60) + 0.5 * g.standard_normal(m))).astype(np.int64)

    # ---- beds: discharges free them, requests take them first come first served, nearest hospital first
    occupied = state.bed_person >= 0
    leaving = occupied & (state.bed_discharge < t1)
    free = ~occupied | leaving
    avail_time = np.where(occupied, state.bed_discharge, NEVER)
    slot, at = _place(lay, free, avail_time, req, wait)
    placed = slot >= 0
    dest = np.where(placed, lay.slot_hospital[np.maximum(slot, 0)], -1)
    moved = placed & (dest != req["origin"])

    # ---- admissions, in admit-time order
    pi = np.flatnonzero(placed)
    pi = pi[np.lexsort((pi, at[pi]))]
    admission_id = _ids("A", stamp, pi.size)
    adm_slot, adm_time, adm_los = slot[pi], at[pi], los[pi]
    admissions = _frame("admissions", {
        "admission_id": admission_id, "person_id": c.person_id[req["person"][pi]], "visit_id": req["visit"][pi],
        "hospital_id": lay.hospital_ids[lay.slot_hospital[adm_slot]],
        "ward": np.array(WARD_TYPES)[lay.slot_ward[adm_slot]], "bed": lay.slot_label[adm_slot],
        "admit_time": _ts(adm_time), "length_of_stay_days": np.round(adm_los / DAY_S, 3),
        "planned_discharge_time": _ts(adm_time + adm_los),
        "type": np.where(is_ed_req[pi], "emergency", "elective")})

    # ---- transfers: every placed request that ended at another hospital
    ti = pi[moved[pi]]
    origin_t = req["origin"][ti]
    lacks_ward = lay.beds[origin_t, req["ward"][ti]] == 0
    departure = req["time"][ti] + wait[ti]
    transfers = _frame("transfers", {
        "transfer_id": _ids("T", stamp, ti.size), "person_id": c.person_id[req["person"][ti]],
        "visit_id": req["visit"][ti], "admission_id": admission_id[moved[pi]],
        "origin_hospital_id": lay.hospital_ids[origin_t], "destination_hospital_id": lay.hospital_ids[dest[ti]],
        "ward": np.array(WARD_TYPES)[req["ward"][ti]],
        "reason": np.where((req["mode"][ti] == MODE_AWAY) | lacks_ward, "specialty", "capacity"),
        "request_time": _ts(req["time"][ti]), "departure_time": _ts(departure), "arrival_time": _ts(at[ti]),
        "distance_km": lay.distance_km[origin_t, dest[ti]]})

    # ---- who still waits: ED patients board in their ED; electives without a bed are cancelled
    waiting = ~placed & is_ed_req
    new_queue = {"person": req["person"][waiting], "visit": req["visit"][waiting],
                 "origin": req["origin"][waiting], "ward": req["ward"][waiting], "spec": req["spec"][waiting],
                 "mode": req["mode"][waiting], "los": los[waiting], "since": req["since"][waiting]}
    cancelled = ~placed & ~is_ed_req

    # ---- visitors, their disposition settled by the bed search
    disposition = np.where(transfer, "transferred", np.where(admit, "admitted", "discharged"))
    departure_v = decision.astype("float")
    req_of_visit = np.full(n, -1)
    req_of_visit[ed] = np.arange(nq, nq + ne)
    r = req_of_visit[ed]
    disposition[ed[moved[r]]] = "transferred"
    departure_v[ed[placed[r] & moved[r]]] = (req["time"][r] + wait[r])[placed[r] & moved[r]]
    departure_v[ed[placed[r] & ~moved[r]]] = at[r][placed[r] & ~moved[r]]
    departure_v[ed[~placed[r]]] = np.nan
    visitors = _frame("visitors", {
        "visit_id": visit_id, "person_id": c.person_id[who], "hospital_id": lay.hospital_ids[hosp],
        "arrival_time": _ts(arrival), "departure_time": _ts(departure_v),
        "arrival_mode": np.where(ambulance, "ambulance", "walk_in"), "age": age, "sex": c.sex[who],
        "triage": triage, "triage_color": TRIAGE_COLORS[triage - 1], "reason": np.array(REASONS)[reason],
        "disposition": disposition})

    # ---- ambulance transports, timed backwards from the ED arrival
    ai = np.flatnonzero(ambulance)
    priority = np.where(triage[ai] <= 1, 1, np.where(triage[ai] <= 3, 2, 3))
    km = np.round(haversine_km(c.lat[who[ai]], c.lon[who[ai]], lay.lat[hosp[ai]], lay.lon[hosp[ai]])
                  * ROAD_FACTOR + 0.5, 1)
    drive = np.round(km / AMBULANCE_SPEED_KMH[priority - 1] * 3600).astype(np.int64) + 120
    pickup = arrival[ai] - drive
    dispatch = pickup - g.integers(8 * 60, 20 * 60, ai.size) \
        - np.round(np.exp(np.log(9 * 60) + 0.4 * g.standard_normal(ai.size))).astype(np.int64)
    transports = _frame("transports", {
        "transport_id": _ids("E", stamp, ai.size), "person_id": c.person_id[who[ai]], "visit_id": visit_id[ai],
        "priority": priority, "dispatch_time": _ts(dispatch), "pickup_time": _ts(pickup),
        "arrival_time": _ts(arrival[ai]), "hospital_id": lay.hospital_ids[hosp[ai]], "distance_km": km})

    # ---- the beds after the day; discharges are yesterday's patients leaving plus today's short stays
    new_person, new_adm = state.bed_person.copy(), state.bed_admission.copy()
    new_admit, new_dis = state.bed_admit.copy(), state.bed_discharge.copy()
    old = np.flatnonzero(leaving)
    short = adm_time + adm_los < t1
    dis_slot = np.concatenate([old, adm_slot[short]])
    dis_person = np.concatenate([state.bed_person[old], req["person"][pi][short]])
    dis_adm = np.concatenate([state.bed_admission[old], admission_id[short]])
    dis_in = np.concatenate([state.bed_admit[old], adm_time[short]])
    dis_out = np.concatenate([state.bed_discharge[old], (adm_time + adm_los)[short]])
    new_person[old] = -1
    new_person[adm_slot] = req["person"][pi]
    new_adm[adm_slot] = admission_id
    new_admit[adm_slot] = adm_time
    new_dis[adm_slot] = adm_time + adm_los
    new_person[adm_slot[short]] = -1
    new_adm[new_person < 0], new_admit[new_person < 0], new_dis[new_person < 0] = "", 0, 0
    do = np.lexsort((dis_slot, dis_out))
    discharges = _frame("discharges", {
        "admission_id": dis_adm[do], "person_id": c.person_id[dis_person[do]],
        "hospital_id": lay.hospital_ids[lay.slot_hospital[dis_slot[do]]],
        "ward": np.array(WARD_TYPES)[lay.slot_ward[dis_slot[do]]], "bed": lay.slot_label[dis_slot[do]],
        "admit_time": _ts(dis_in[do]), "discharge_time": _ts(dis_out[do]),
        "length_of_stay_days": np.round((dis_out - dis_in)[do] / DAY_S, 3)})
    new_state = CensusState(day, new_person, new_adm, new_admit, new_dis, new_queue, state.fingerprint)

    # ---- census at midnight, per hospital and ward
    H = lay.n_hospitals
    groups = H * W
    g_slot = lay.slot_hospital * W + lay.slot_ward
    occ = np.bincount(g_slot[(new_person >= 0) & (new_admit < t1)], minlength=groups)
    admitted = np.bincount(g_slot[adm_slot], minlength=groups)
    discharged = np.bincount(g_slot[dis_slot], minlength=groups)
    t_in = np.bincount(dest[ti] * W + req["ward"][ti], minlength=groups)
    t_out = np.bincount(req["origin"][ti] * W + ED, minlength=groups)
    boarding = np.bincount(new_queue["origin"] * W + ED, minlength=groups)
    cancel = np.bincount(req["origin"][cancelled] * W + req["ward"][cancelled], minlength=groups)
    at_ed = hosp * W + ED
    in_ed_at_midnight = np.bincount(at_ed[~np.isnan(departure_v) & (departure_v >= t1)], minlength=groups)
    occ = occ + boarding + in_ed_at_midnight
    admitted = admitted + np.bincount(at_ed, minlength=groups)      # ED rows: arrivals
    discharged = discharged + np.bincount(at_ed[disposition == "discharged"], minlength=groups)
    rows = np.flatnonzero(lay.beds.ravel() > 0)
    census = _frame("census", {
        "date": np.full(rows.size, day.isoformat()), "hospital_id": lay.hospital_ids[rows // W],
        "ward": np.array(WARD_TYPES)[rows % W], "beds": lay.beds.ravel()[rows], "occupied": occ[rows],
        "admitted": admitted[rows], "discharged": discharged[rows], "transfers_in": t_in[rows],
        "transfers_out": t_out[rows], "boarding": boarding[rows], "cancelled_electives": cancel[rows]})
    return DayResult(day, visitors, admissions, discharges, transfers, transports, census), new_state


def _ward(lay: Layout, reason, age, triage) -> np.ndarray:
    """The ward an ED patient needs: ICU for the critical, then children, mothers, the mind, the heart."""
    ward = np.full(reason.size, WARD["med_surg"])
    heart_or_brain = (reason == R["cardiac"]) | (reason == R["neurological"])
    ward[(reason == R["cardiac"]) & (triage == 3)] = WARD["telemetry"]
    ward[heart_or_brain & (triage == 2)] = WARD["step_down"]
    ward[reason == R["psychiatric"]] = WARD["psychiatry"]
    ward[reason == R["obstetric"]] = WARD["maternity"]
    ward[age < 15] = WARD["pediatrics"]
    ward[triage == 1] = WARD["icu"]
    return lay.region_ward[ward]


def first_come_first_served(free_at: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Which requests (sorted by time) get one of the beds (free from the sorted times free_at), in turn.

    With c_i beds free by the i-th request's time, the number placed among the first i is
    A_i = min(A_(i-1) + 1, c_i) = i + min(0, min_(j<=i) (c_j - j)); the k-th placed takes the k-th bed to
    free up, which is free by then because c_i >= A_i. No loop over the requests.
    """
    c = np.searchsorted(free_at, times, side="right")
    i = np.arange(1, times.size + 1)
    placed_upto = i + np.minimum(0, np.minimum.accumulate(c - i))
    return np.diff(np.r_[0, placed_upto]) > 0


def _place(lay: Layout, free: np.ndarray, avail_time: np.ndarray, req: dict, wait: np.ndarray):
    """Give requests bed slots: round r tries each request's r-th candidate hospital (nearest first).

    Per hospital ward, the free slots sorted by the time they free up go first come, first served.
    """
    m = req["person"].size
    slot = np.full(m, -1, np.int64)
    at = np.zeros(m, np.int64)
    fs = np.flatnonzero(free)
    fgroup = lay.slot_hospital[fs] * W + lay.slot_ward[fs]
    o = np.lexsort((fs, avail_time[fs], fgroup))
    fs, fgroup, favail = fs[o], fgroup[o], avail_time[fs][o]
    gstart = np.searchsorted(fgroup, np.arange(lay.n_hospitals * W + 1))
    used = gstart[:-1].copy()
    pending = np.arange(m)
    for r in range(lay.n_hospitals):
        if pending.size == 0:
            break
        cand = lay.candidates[req["origin"][pending], req["ward"][pending], req["spec"][pending],
                              req["mode"][pending], r]
        ok = cand >= 0
        p, cand = pending[ok], cand[ok]
        origin = req["origin"][p]
        t = req["time"][p] + np.where(cand == origin, 0, wait[p] + lay.travel_s[origin, cand])
        grp = cand * W + req["ward"][p]
        o = np.lexsort((p, t, grp))
        p, t, grp = p[o], t[o], grp[o]
        if p.size == 0:
            break
        cuts = np.flatnonzero(np.diff(grp)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, p.size]):   # a loop over hospital wards
            gidx = grp[lo]
            first, last = used[gidx], gstart[gidx + 1]
            if first >= last:
                continue
            took = first_come_first_served(favail[first:last], t[lo:hi])
            k = int(took.sum())
            winners = p[lo:hi][took]
            slot[winners] = fs[first:first + k]
            at[winners] = t[lo:hi][took]
            used[gidx] += k
        pending = pending[slot[pending] < 0]
    return slot, at


def _ids(prefix: str, stamp: str, n: int) -> np.ndarray:
    if n == 0:
        return np.zeros(0, dtype="U24")
    return np.char.add(f"{prefix}{stamp}-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))


def _ts(seconds) -> np.ndarray:
    """Seconds (NaN = none) to datetime64[s] (NaT)."""
    s = np.asarray(seconds)
    if s.dtype.kind == "f":
        out = np.full(s.shape, np.datetime64("NaT"), dtype="datetime64[s]")
        ok = ~np.isnan(s)
        out[ok] = s[ok].astype(np.int64).astype("datetime64[s]")
        return out
    return s.astype(np.int64).astype("datetime64[s]")


def _frame(kind: str, columns: dict) -> pd.DataFrame:
    return pd.DataFrame({name: columns[name] for name in COLUMNS[kind]})


def check(params: Params) -> list[str]:
    """Problems the daily loop would hit that field bounds cannot see (the config checks cover the rest)."""
    problems = []
    if params.simulation.mean_length_of_stay_days * LOS_FACTOR["psychiatry"] > LOS_MAX_DAYS:
        problems.append(f"simulation.mean_length_of_stay_days = {params.simulation.mean_length_of_stay_days}: "
                        f"stays are capped at {LOS_MAX_DAYS:g} days; pick a mean of at most {LOS_MAX_DAYS / 2.5:g}")
    return problems


def validate(params: Params) -> None:
    problems = check(params)
    if problems:
        raise ConfigError(problems)
