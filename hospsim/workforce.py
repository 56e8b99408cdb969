"""The workforce: staff sized to nurse ratios, a reserve pool, quarterly turnover and rotating monthly schedules.

Pure: params and seed streams in, DataFrames out; the orchestrator writes them. Every ward has four teams
per role. A team works one shift slot of a fixed cycle (12x36: every other day, day or night; 3x8: two
mornings, two afternoons, two nights, two days off), phased on the calendar day number, so on every day each
shift slot is worked by exactly one team and the rest rules hold across month and quarter boundaries.
A team holds the people a shift needs plus a spare share that covers vacations (one month a year each).
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospsim import documents, formats, identity, locales, rng
from hospsim.ages import age_on
from hospsim.config import WARDS, Hospital, Params
from hospsim.errors import SimulationError
from hospsim.filekinds import BY_KIND

ROLES = ("physician", "nurse", "nursing_technician")
TEAMS = ("A", "B", "C", "D")
MIN_AGE = {"physician": 25, "nurse": 22, "nursing_technician": 19}
# Perfil da Enfermagem no Brasil (COFEN/Fiocruz 2017): ~85% women; Demografia Medica 2023: ~49% women.
FEMALE_SHARE = {"physician": 0.49, "nurse": 0.85, "nursing_technician": 0.85}
# Staff ages at the start: shares from the role's minimum age to 30, 30-39, 40-49, 50-59 and 60 to retirement.
# After Perfil da Enfermagem no Brasil (COFEN/Fiocruz 2017; most of the team 26-50, few past 60) and Demografia
# Medica no Brasil 2023 (physicians older: ~1 in 5 is 60+); rounded, the 60+ band cut at retirement ours.
STAFF_AGE_EDGES = (30, 40, 50, 60)
STAFF_AGE_SHARES = {"physician": (0.14, 0.28, 0.22, 0.20, 0.16), "nurse": (0.17, 0.36, 0.27, 0.15, 0.05),
                    "nursing_technician": (0.20, 0.34, 0.27, 0.15, 0.04)}
# Registration indexes (CRM/COREN, NPI; see hospsim.locales) live in [0, 900000): staff below RESERVE_REGISTRATION_BASE, reserve candidates above it.
RESERVE_REGISTRATION_BASE = 450_000

# (name, start hour, hours) per shift slot; PATTERNS[rotation][team][day number % cycle] = slot or -1 (off).
SHIFTS = {
    "12x36": (("day", 7, 12), ("night", 19, 12)),
    "3x8": (("morning", 7, 8), ("afternoon", 15, 8), ("night", 23, 8)),
}
PATTERNS = {
    "12x36": np.array([[0, -1], [-1, 0], [1, -1], [-1, 1]]),
    "3x8": np.array([np.roll([0, 0, 1, 1, 2, 2, -1, -1], -2 * t) for t in range(len(TEAMS))]),
}

WARD_SPECIALTIES = {w.name: w.specialties for w in WARDS.wards}
_GENERAL = next(w for w in WARDS.wards if w.admits is not None and w.admits.default)   # med_surg
_WARD_BOUND = {s for specs in WARD_SPECIALTIES.values() for s in specs} - set(_GENERAL.specialties)

STAFF_COLUMNS = ("staff_id", "national_id", "name", "sex", "birth_date", "role", "registration", "specialty",
                 "hospital_id", "ward", "team", "vacation_month", "hire_date", "status", "exit_date", "candidate_id")
RESERVE_COLUMNS = ("candidate_id", "national_id", "name", "sex", "birth_date", "role", "registration", "specialty",
                   "available_from")
EVENT_COLUMNS = ("staff_id", "event", "date", "hospital_id", "ward", "role")
SCHEDULE_COLUMNS = ("date", "shift", "shift_start", "shift_end", "staff_id", "hospital_id", "ward", "role")
CHANGE_COLUMNS = SCHEDULE_COLUMNS + ("change",)
NURSING = ("nurse", "nursing_technician")
_GROUP = ["hospital_id", "ward", "role"]
RULE_LABELS = {"cofen": "COFEN hours-per-patient", "california": "California ratio"}
"""workforce.staffing_rule as a chart names it."""


# --------------------------------------------------------------------------- sizing
# workforce.staffing_rule sets the minimum a shift needs: COFEN 543/2017 (hours of nursing per patient by the
# ward's care level, split between nurses and technicians; the default) or California's patients per nurse.
# The rota is sized for the expected census (beds x target occupancy) and written by the setup, before any day
# is simulated; each simulated day then sends home the nursing staff its census does not need (shift_changes,
# written by the days step as shift_changes_<date>.csv), so who is on duty follows the run's census.

def ward_specialties(hospital: Hospital, ward: str) -> tuple[str, ...]:
    """Physician specialties that fit a ward; the general ward (med-surg) also takes the hospital's specialties
    without a ward of their own."""
    base = WARD_SPECIALTIES[ward]
    if ward == _GENERAL.name:
        base += tuple(s for s in hospital.specialties if s not in _WARD_BOUND and s not in base)
    return base


def _ceil(x) -> np.ndarray:
    """Ceiling that ignores float noise (16.000000000000004 / 4 needs 4 nurses, not 5)."""
    return np.ceil(np.round(np.asarray(x, dtype=float), 9)).astype(np.int64)


def patients_per_nurse(params: Params) -> dict[str, float]:
    """Patients a nurse may have on a shift, per ward type, under workforce.staffing_rule: California's ratio, or
    COFEN's 24 h / (hours per patient x nurses' share), a head count present that holds for any shift length."""
    w = params.workforce
    if w.staffing_rule == "california":
        return {t: float(getattr(w.nurse_ratios, t)) for t in WARD_SPECIALTIES}
    return {t: _hours_ratio(params, t, nurses=True) for t in WARD_SPECIALTIES}


def _hours_ratio(params: Params, ward_type: str, nurses: bool) -> float:
    """Patients per nurse (or per technician) that COFEN's hours per patient of the ward's care level give."""
    level = WARDS[ward_type].care_level
    share = getattr(params.workforce.cofen.nurse_share, level)
    hours = getattr(params.workforce.cofen.hours_per_patient, level) * (share if nurses else 1 - share)
    return 24.0 / hours if hours > 0 else np.inf


def required_staff(params: Params, ward_types, census) -> tuple[np.ndarray, np.ndarray]:
    """Nurses and nursing technicians a shift needs for each (ward type, census) under the staffing rule."""
    ward_types, census = np.asarray(ward_types, dtype=object), np.asarray(census, dtype=float)
    per_nurse = patients_per_nurse(params)
    nurses = _ceil(census / np.array([per_nurse[t] for t in ward_types], dtype=float))
    if params.workforce.staffing_rule == "california":
        return nurses, _ceil(nurses * params.workforce.technicians_per_nurse)
    per_type = {t: _hours_ratio(params, t, nurses=False) for t in set(ward_types)}
    per_tech = np.array([per_type[t] for t in ward_types], dtype=float)
    return nurses, _ceil(census / per_tech)


def staffing_plan(params: Params) -> pd.DataFrame:
    """Per hospital, ward and role: people needed on every shift for the expected census (beds x target
    occupancy), team size with the spare share for absences, and headcount (4 teams)."""
    w = params.workforce
    wards = [(h.id, ward.type, ward.beds, round(ward.beds * w.target_occupancy, 6))
             for h in params.region.hospitals for ward in h.wards]
    frame = pd.DataFrame(wards, columns=["hospital_id", "ward", "beds", "expected_census"])
    nurses, technicians = required_staff(params, frame["ward"], frame["expected_census"])
    per_shift = {"physician": _ceil(frame["expected_census"] / w.patients_per_physician), "nurse": nurses,
                 "nursing_technician": technicians}
    plan = pd.concat([frame.assign(role=role, per_shift=per_shift[role]) for role in ROLES])
    plan = plan.sort_index(kind="stable").reset_index(drop=True)
    nursing_spare = max(w.absence_slack, w.cofen.safety_margin) if w.staffing_rule == "cofen" else w.absence_slack
    spare = np.where(plan["role"] == "physician", w.absence_slack, nursing_spare)
    plan["team_size"] = plan["per_shift"] + _ceil(plan["per_shift"] * spare)
    plan["headcount"] = plan["team_size"] * len(TEAMS)
    return plan


def expected_census(params: Params, dates) -> pd.DataFrame:
    """The census the staff is sized for (beds x target occupancy), in the daily loop's census layout."""
    plan = staffing_plan(params).drop_duplicates(["hospital_id", "ward"])
    dates = list(dates)
    out = plan.loc[plan.index.repeat(len(dates)), ["hospital_id", "ward", "beds", "expected_census"]]
    out.insert(0, "date", dates * len(plan))
    return out.rename(columns={"expected_census": "occupied"}).reset_index(drop=True)


# --------------------------------------------------------------------------- people

def _days_before(day: dt.date, days: np.ndarray) -> np.ndarray:
    return (np.datetime64(day, "D") - np.asarray(days, dtype="timedelta64[D]")).astype(object)


def _people(params: Params, generator: np.random.Generator, roles: np.ndarray, id_index: np.ndarray,
            reg_index: np.ndarray, on: dt.date, age_shape: tuple[float, float],
            age_profile: bool = False) -> dict[str, np.ndarray]:
    """Identity and registration for people of the given roles, aged between their role's minimum and retirement.

    The national id and each role's registration are the locale's (hospsim.locales)."""
    n = len(roles)
    female_share = np.array([FEMALE_SHARE[r] for r in ROLES])[_role_codes(roles)]
    sex = np.where(generator.random(n) < female_share, "F", "M").astype(object)
    min_age = np.array([MIN_AGE[r] for r in ROLES])[_role_codes(roles)]
    span = params.workforce.retirement_age - min_age
    x = generator.beta(*age_shape, size=n)
    if age_profile:   # the same Beta(2, 3) draw, carried onto STAFF_AGE_SHARES: staff up to retirement
        x = _staff_age_quantile(roles, _beta_2_3_cdf(x), span)
    age = min_age + span * x
    age = np.minimum(age, params.workforce.retirement_age - 0.02)
    birth = _days_before(on, np.floor(age * 365.25).astype(np.int64))
    profile = locales.profile(params.locale)
    registration = np.empty(n, dtype=object)
    for role in ROLES:
        rows = roles == role
        if rows.any():
            registration[rows] = profile.registrations[role](reg_index[rows], params.seed,
                                                                    states=params.region.state)
    born = identity.origins(rng.generator(params.seed, "origins-staff", int(id_index[0]) if n else 0),
                            np.ones(n, dtype=bool), params.locale, params.region.state, params.region.area_code,
                            params.population.born_elsewhere)
    return {"national_id": profile.national_id(id_index, params.seed, born.cpf_region).astype(object),
            "name": identity.person_names(generator, sex, params.locale), "sex": sex, "birth_date": birth,
            "role": roles.astype(object), "registration": registration, "age": age}


def _beta_2_3_cdf(x: np.ndarray) -> np.ndarray:
    """The regularized incomplete beta I_x(2, 3): turns a Beta(2, 3) draw into a uniform one."""
    return x * x * (6 - 8 * x + 3 * x * x)


def _staff_age_quantile(roles: np.ndarray, u: np.ndarray, span: np.ndarray) -> np.ndarray:
    """The share of the way from the role's minimum age to retirement at quantile u of STAFF_AGE_SHARES
    (uniform within each band; the last band ends at retirement)."""
    out = np.empty(u.size)
    for role in ROLES:
        rows = np.flatnonzero(roles == role)
        if not rows.size:
            continue
        edges = np.array([MIN_AGE[role], *STAFF_AGE_EDGES], dtype=float)
        top = MIN_AGE[role] + span[rows]
        cdf = np.concatenate([[0.0], np.cumsum(STAFF_AGE_SHARES[role])])
        cdf /= cdf[-1]
        band = np.clip(np.searchsorted(cdf, u[rows], side="right") - 1, 0, len(STAFF_AGE_EDGES))
        lo = np.minimum(edges[band], top)
        hi = np.where(band == len(STAFF_AGE_EDGES), top, np.minimum(np.append(edges[1:], np.inf)[band], top))
        within = (u[rows] - cdf[band]) / np.maximum(cdf[band + 1] - cdf[band], 1e-12)
        out[rows] = (lo + within * (hi - lo) - MIN_AGE[role]) / np.maximum(span[rows], 1e-9)
    return np.clip(out, 0.0, 1.0)


def _role_codes(roles: np.ndarray) -> np.ndarray:
    codes = pd.Index(ROLES).get_indexer(roles)
    if (codes < 0).any():
        raise SimulationError(f"unknown role(s) {sorted(set(roles[codes < 0]))}; roles are {', '.join(ROLES)}")
    return codes.astype(np.int64)


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return formats.numbered(prefix, numbers).astype(object)


def _id_numbers(ids: pd.Series) -> np.ndarray:
    return ids.str.slice(1).astype(np.int64).to_numpy() if len(ids) else np.zeros(0, dtype=np.int64)


def _specialty_demand(params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Specialties of the physicians the plan needs, and their shares: what the reserve pool offers."""
    plan = staffing_plan(params)
    hospitals = {h.id: h for h in params.region.hospitals}
    demand: dict[str, float] = {}
    for row in plan[plan["role"] == "physician"].itertuples():
        options = ward_specialties(hospitals[row.hospital_id], row.ward)
        for s in options:
            demand[s] = demand.get(s, 0.0) + row.headcount / len(options)
    names = np.array(sorted(demand), dtype=object)
    weights = np.array([demand[s] for s in names])
    return names, weights / weights.sum() if weights.sum() else weights


def _candidates(params: Params, generator: np.random.Generator, first_number: int, n: int,
                available_from: dt.date, window_days: tuple[int, int]) -> pd.DataFrame:
    """New reserve candidates, roles and specialties in the proportions the hospitals employ them."""
    plan = staffing_plan(params)
    by_role = plan.groupby("role")["headcount"].sum().reindex(ROLES, fill_value=0).to_numpy(dtype=float)
    if n == 0 or by_role.sum() == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RESERVE_COLUMNS})
    numbers = np.arange(first_number, first_number + n)
    if numbers[-1] + RESERVE_REGISTRATION_BASE >= 900_000:
        raise SimulationError("the reserve pool ran out of registration numbers; lower workforce.reserve_pool_size")
    roles = np.array(ROLES, dtype=object)[generator.choice(len(ROLES), size=n, p=by_role / by_role.sum())]
    people = _people(params, generator, roles.astype(str), numbers + documents.NAMESPACE["reserve"],
                     numbers + RESERVE_REGISTRATION_BASE, available_from, (1.5, 5.0))
    specialty = np.full(n, "", dtype=object)
    physician = roles == "physician"
    names, weights = _specialty_demand(params)
    if physician.any() and len(names):
        specialty[physician] = names[generator.choice(len(names), size=int(physician.sum()), p=weights)]
    offset = generator.integers(window_days[0], window_days[1] + 1, size=n)
    frame = pd.DataFrame({"candidate_id": _ids("C", numbers), **{k: v for k, v in people.items() if k != "age"},
                          "specialty": specialty,
                          "available_from": _days_before(available_from, -offset)})
    return frame[list(RESERVE_COLUMNS)]


def initial_staff(params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staff of every ward at the start date, sized by staffing_plan, and the reserve pool of candidates."""
    start = params.simulation.start_date
    generator = rng.generator(params.seed, "workforce", 0)
    plan = staffing_plan(params)
    teams = plan.loc[plan.index.repeat(len(TEAMS))].reset_index(drop=True)
    teams["team"] = np.tile(TEAMS, len(plan))
    slots = teams.loc[teams.index.repeat(teams["team_size"])].reset_index(drop=True)
    n = len(slots)
    if n >= RESERVE_REGISTRATION_BASE:
        raise SimulationError(f"{n} staff exceed the {RESERVE_REGISTRATION_BASE} registration numbers; fewer beds")
    numbers = np.arange(1, n + 1)
    roles = slots["role"].to_numpy(dtype=str)
    people = _people(params, generator, roles, numbers + documents.NAMESPACE["staff"], numbers, start,
                     (2.0, 3.0), age_profile=True)

    min_age = np.array([MIN_AGE[r] for r in ROLES])[_role_codes(roles)]
    tenure = np.minimum(generator.random(n) * (people["age"] - min_age), 35.0)
    specialty = np.full(n, "", dtype=object)
    hospitals = {h.id: h for h in params.region.hospitals}
    physician = roles == "physician"
    for (hospital_id, ward), rows in slots[physician].groupby(["hospital_id", "ward"], sort=True).groups.items():
        options = np.array(ward_specialties(hospitals[hospital_id], ward), dtype=object)
        specialty[rows] = options[generator.integers(0, len(options), size=len(rows))]

    group = slots.groupby(["hospital_id", "ward", "role", "team"], sort=False)
    rank = group.cumcount().to_numpy()
    size = group["team"].transform("size").to_numpy()
    offset = generator.integers(0, 12, size=group.ngroups)[group.ngroup().to_numpy()]
    staff = pd.DataFrame({
        "staff_id": _ids("S", numbers), **{k: v for k, v in people.items() if k != "age"},
        "specialty": specialty, "hospital_id": slots["hospital_id"].to_numpy(dtype=object),
        "ward": slots["ward"].to_numpy(dtype=object), "team": slots["team"].to_numpy(dtype=object),
        "vacation_month": (rank * 12 // size + offset) % 12 + 1,
        "hire_date": _days_before(start, np.floor(tenure * 365.25).astype(np.int64)),
        "status": "active", "exit_date": None, "candidate_id": "",
    })[list(STAFF_COLUMNS)]
    reserve = _candidates(params, rng.generator(params.seed, "workforce", 1), 1,
                          params.workforce.reserve_pool_size, start, (-90, 90))
    return staff, reserve


# --------------------------------------------------------------------------- turnover

def quarter_start(year: int, quarter: int) -> dt.date:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter = {quarter}: must be 1, 2, 3 or 4")
    return dt.date(year, 3 * quarter - 2, 1)


def quarterly_update(params: Params, staff: pd.DataFrame, reserve: pd.DataFrame, year: int,
                     quarter: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Retirements and resignations at the quarter's start, then hires from the reserve to refill every team.

    Staff keeps every row (leavers get status and exit_date); the reserve loses its hires and is topped up.
    """
    w = params.workforce
    day = quarter_start(year, quarter)
    generator = rng.generator(params.seed, "workforce", day)
    staff = staff.copy()
    active = (staff["status"] == "active").to_numpy()
    age = age_on(staff["birth_date"], day)
    quarterly_retire = 1 - (1 - w.annual_retirement_hazard) ** 0.25
    quarterly_resign = 1 - (1 - w.annual_resignation_rate) ** 0.25
    u_retire, u_resign = generator.random(len(staff)), generator.random(len(staff))
    retire = active & ((age >= w.retirement_age) | ((age >= w.early_retirement_age) & (u_retire < quarterly_retire)))
    resign = active & ~retire & (u_resign < quarterly_resign)
    staff.loc[retire, "status"] = "retired"
    staff.loc[resign, "status"] = "resigned"
    staff.loc[retire | resign, "exit_date"] = day
    leavers = staff[retire | resign]
    events = [pd.DataFrame({"staff_id": leavers["staff_id"],
                            "event": np.where(leavers["status"] == "retired", "retirement", "resignation"),
                            "date": day, "hospital_id": leavers["hospital_id"], "ward": leavers["ward"],
                            "role": leavers["role"]})]

    hires, reserve = _hire(params, generator, staff, reserve, day)
    if len(hires):
        events.append(pd.DataFrame({"staff_id": hires["staff_id"], "event": "hire", "date": hires["hire_date"],
                                    "hospital_id": hires["hospital_id"], "ward": hires["ward"],
                                    "role": hires["role"]}))
        staff = pd.concat([staff, hires], ignore_index=True)

    came_from = staff["candidate_id"].fillna("").astype(str)  # '' (or NaN from a CSV) for the first staff
    issued = np.concatenate([_id_numbers(reserve["candidate_id"]), _id_numbers(came_from[came_from != ""])])
    top_up = max(0, w.reserve_pool_size - len(reserve))
    fresh = _candidates(params, generator, int(issued.max(initial=0)) + 1, top_up, day, (0, 90))
    if len(fresh):
        reserve = pd.concat([reserve, fresh], ignore_index=True)
    events = pd.concat([e for e in events if len(e)] or [_empty(EVENT_COLUMNS)], ignore_index=True)
    return staff, reserve.reset_index(drop=True), events[list(EVENT_COLUMNS)]


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _hire(params: Params, generator: np.random.Generator, staff: pd.DataFrame, reserve: pd.DataFrame,
          day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill each team back to its size with candidates available by `day`, longest-waiting first."""
    plan = staffing_plan(params)
    targets = plan.loc[plan.index.repeat(len(TEAMS)), _GROUP + ["team_size"]].reset_index(drop=True)
    targets["team"] = np.tile(TEAMS, len(plan))
    counts = staff[staff["status"] == "active"].groupby(_GROUP + ["team"]).size().rename("count")
    targets = targets.join(counts, on=_GROUP + ["team"])
    targets["missing"] = (targets["team_size"] - targets["count"].fillna(0)).clip(lower=0).astype(int)
    openings = targets.loc[targets.index.repeat(targets["missing"]), _GROUP + ["team"]].reset_index(drop=True)
    if openings.empty or reserve.empty:
        return _empty(STAFF_COLUMNS), reserve

    pool = reserve.sort_values(["available_from", "candidate_id"]).reset_index(drop=True)
    eligible = ((pd.to_datetime(pool["available_from"]) <= pd.Timestamp(day)).to_numpy()
                & (age_on(pool["birth_date"], day) < params.workforce.retirement_age))
    taken = np.zeros(len(pool), dtype=bool)
    pool_role = pool["role"].to_numpy()
    pool_specialty = pool["specialty"].to_numpy()
    hospitals = {h.id: h for h in params.region.hospitals}
    chosen_slot, chosen_candidate = [], []
    groups = openings.groupby(_GROUP, sort=True).groups
    keys = list(groups)
    for i in generator.permutation(len(keys)):  # a random ward goes first when candidates are scarce
        hospital_id, ward, role = keys[i]
        slots = np.asarray(groups[keys[i]])
        fits = eligible & ~taken & (pool_role == role)
        if role == "physician":
            fits &= np.isin(pool_specialty, ward_specialties(hospitals[hospital_id], ward))
        picked = np.flatnonzero(fits)[:len(slots)]
        taken[picked] = True
        chosen_slot.append(slots[:len(picked)])
        chosen_candidate.append(picked)
    slot_idx, cand_idx = np.concatenate(chosen_slot), np.concatenate(chosen_candidate)
    if not len(slot_idx):
        return _empty(STAFF_COLUMNS), reserve
    order = np.argsort(slot_idx, kind="stable")
    slot_idx, cand_idx = slot_idx[order], cand_idx[order]
    picked = pool.iloc[cand_idx].reset_index(drop=True)
    first = int(_id_numbers(staff["staff_id"]).max(initial=0)) + 1
    n = len(picked)
    hires = pd.DataFrame({
        "staff_id": _ids("S", np.arange(first, first + n)),
        **{c: picked[c].to_numpy() for c in ("national_id", "name", "sex", "birth_date", "role", "registration",
                                              "specialty")},
        **{c: openings[c].to_numpy()[slot_idx] for c in ("hospital_id", "ward", "team")},
        "vacation_month": generator.integers(1, 13, size=n),
        "hire_date": day + dt.timedelta(days=params.workforce.hiring_lead_days),
        "status": "active", "exit_date": None, "candidate_id": picked["candidate_id"].to_numpy(),
    })[list(STAFF_COLUMNS)]
    remaining = pool.loc[~taken].sort_values("candidate_id").reset_index(drop=True)
    return hires, remaining


# --------------------------------------------------------------------------- schedules

def monthly_schedule(params: Params, staff_active: pd.DataFrame, year: int, month: int) -> pd.DataFrame:
    """One row per shift worked in a month: each team's rotation, minus those hired later or on vacation.

    Vacations are cancelled, longest-serving last, where they would leave a team below what a shift needs.
    """
    rotation = params.workforce.rotation
    shifts, pattern = SHIFTS[rotation], PATTERNS[rotation]
    first = dt.date(year, month, 1)
    n_days = (dt.date(year + month // 12, month % 12 + 1, 1) - first).days
    ordinals = first.toordinal() + np.arange(n_days)

    staff = staff_active
    if "status" in staff:
        staff = staff[staff["status"] == "active"]
    staff = staff.sort_values(_GROUP + ["staff_id"]).reset_index(drop=True)
    team = pd.Index(TEAMS).get_indexer(staff["team"])
    if (team < 0).any():
        raise SimulationError(f"unknown team(s) {sorted(set(staff['team'][team < 0]))}; teams are {', '.join(TEAMS)}")
    hire_ordinal = (pd.to_datetime(staff["hire_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
                    + dt.date(1970, 1, 1).toordinal())
    hired = hire_ordinal[:, None] <= ordinals[None, :]
    on_vacation = _vacations(params, staff, team, hire_ordinal <= ordinals[0], month)
    slot = pattern[team[:, None], ordinals[None, :] % pattern.shape[1]]
    works = (slot >= 0) & hired & ~on_vacation[:, None]

    person, day = np.nonzero(works)
    code = slot[person, day]
    order = np.lexsort((person, code, day))
    person, day, code = person[order], day[order], code[order]
    start_hour = np.array([s[1] for s in shifts])[code]
    hours = np.array([s[2] for s in shifts])[code]
    midnight = np.datetime64(first, "h") + day.astype("timedelta64[D]")
    shift_start = midnight + start_hour.astype("timedelta64[h]")
    dates = np.array([first + dt.timedelta(days=int(i)) for i in range(n_days)], dtype=object)
    return pd.DataFrame({
        "date": dates[day],
        "shift": np.array([s[0] for s in shifts], dtype=object)[code],
        "shift_start": shift_start.astype("datetime64[ns]"),
        "shift_end": (shift_start + hours.astype("timedelta64[h]")).astype("datetime64[ns]"),
        **{c: staff[c].to_numpy(dtype=object)[person] for c in ("staff_id", "hospital_id", "ward", "role")},
    })


def _vacations(params: Params, staff: pd.DataFrame, team: np.ndarray, on_board: np.ndarray,
               month: int) -> np.ndarray:
    """Who is on vacation this month: those whose month it is, as far as their team can spare them."""
    plan = staffing_plan(params).set_index(_GROUP)["per_shift"]
    required = plan.reindex(pd.MultiIndex.from_frame(staff[_GROUP])).fillna(0).to_numpy(dtype=np.int64)
    key = pd.MultiIndex.from_arrays([staff["hospital_id"], staff["ward"], staff["role"], team])
    group = pd.factorize(key)[0]
    present = np.bincount(group, weights=on_board, minlength=group.max(initial=-1) + 1).astype(np.int64)
    spare = np.maximum(present[group] - required, 0)
    wants = on_board & (staff["vacation_month"].to_numpy(dtype=np.int64) == month)
    # rank among the team's vacationers in staff id order (staff is sorted): the first `spare` go
    rank = pd.Series(wants.astype(np.int64)).groupby(group).cumsum().to_numpy() - wants
    return wants & (rank < spare)


# --------------------------------------------------------------------------- the period

def _quarters_and_months(start: dt.date, days: int):
    end = start + dt.timedelta(days=days - 1)
    months = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    quarters = list(dict.fromkeys((y, (m - 1) // 3 + 1) for y, m in months))
    return quarters, months


def simulate(params: Params) -> dict[str, pd.DataFrame]:
    """The whole period: staff history, reserve pool, active staff per quarter, schedules per month, events."""
    quarters, months = _quarters_and_months(params.simulation.start_date, params.simulation.days)
    staff, reserve = initial_staff(params)
    quarterly: dict[str, pd.DataFrame] = {}
    schedules: dict[str, pd.DataFrame] = {}
    events = []
    for i, (year, quarter) in enumerate(quarters):
        if i:
            staff, reserve, quarter_events = quarterly_update(params, staff, reserve, year, quarter)
            events.append(quarter_events)
        active = staff[staff["status"] == "active"].reset_index(drop=True)
        quarterly[BY_KIND["staff_active"].file_name(year=year, quarter=quarter)] = active
        for y, m in months:
            if (y, (m - 1) // 3 + 1) == (year, quarter):
                schedules[BY_KIND["schedules"].file_name(year=y, month=m)] = monthly_schedule(params, active, y, m)
    return {BY_KIND["staff"].name: staff, BY_KIND["reserve"].name: reserve, **quarterly, **schedules,
            BY_KIND["staff_events"].name: (pd.concat(events, ignore_index=True) if events else _empty(EVENT_COLUMNS))}


# --------------------------------------------------------------------------- coverage

def required_nurses(params: Params, census: pd.DataFrame) -> pd.DataFrame:
    """Nurses and technicians each ward needs on every shift of a day, for its census under the staffing rule;
    `ratio` is the patients per nurse that rule gives (what the warehouse's dim_ward.nurse_ratio holds)."""
    missing = {"date", "hospital_id", "ward", "occupied"} - set(census.columns)
    if missing:
        raise SimulationError(f"census lacks column(s) {', '.join(sorted(missing))}; "
                         "it needs date, hospital_id, ward, beds, occupied")
    unknown = sorted(set(census["ward"]) - set(WARD_SPECIALTIES))
    if unknown:
        raise SimulationError(f"census has unknown ward type(s) {unknown}; known: {', '.join(WARD_SPECIALTIES)}")
    out = census.copy()
    out["ratio"] = out["ward"].map(patients_per_nurse(params)).astype(float)
    out["nurses_required"], out["technicians_required"] = required_staff(params, out["ward"], out["occupied"])
    return out


def staffing_coverage(params: Params, schedules: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    """Per date, shift, hospital and ward: nurses and technicians scheduled against required; `met` says whether
    the nurses meet the rule's minimum (what the warehouse's v_staffing_shift says too)."""
    need = required_nurses(params, census)
    names = [s[0] for s in SHIFTS[params.workforce.rotation]]
    need = need.loc[need.index.repeat(len(names))].reset_index(drop=True)
    need.insert(1, "shift", np.tile(np.array(names, dtype=object), len(need) // len(names)))
    need["_day"] = pd.to_datetime(need["date"]).dt.normalize()
    keys = ["_day", "shift", "hospital_id", "ward"]
    nursing = schedules[schedules["role"].isin(["nurse", "nursing_technician"])]
    counts = (nursing.assign(_day=pd.to_datetime(nursing["date"]).dt.normalize())
              .groupby(keys + ["role"]).size().unstack("role")
              .reindex(columns=["nurse", "nursing_technician"])
              .rename(columns={"nurse": "nurses_scheduled", "nursing_technician": "technicians_scheduled"}))
    out = need.join(counts, on=keys)
    for column in ("nurses_scheduled", "technicians_scheduled"):
        out[column] = out[column].fillna(0).astype(np.int64)
    out["met"] = out["nurses_scheduled"] >= out["nurses_required"]
    return out[["date", "shift", "hospital_id", "ward", "occupied", "nurses_scheduled", "nurses_required", "met",
                "technicians_scheduled", "technicians_required"]]


# --------------------------------------------------------------------------- the day's census

@dataclass(frozen=True)
class DayRota:
    """A day's nursing rota as arrays (SCHEDULE_COLUMNS but date), each row's slot (hospital, ward, role, shift:
    slot_keys[slot] gives its hospital, ward and role) and its rank in the slot's draw: who is sent home first."""
    columns: dict[str, np.ndarray]
    slot: np.ndarray
    rank: np.ndarray
    slot_keys: list[tuple[str, ...]]
    reserve: OffDuty | None = None


@dataclass(frozen=True)
class OffDuty:
    """Who may be called in: each (hospital, ward, role)'s staff on the rota, and every one's rota shifts."""
    members: dict[tuple[str, ...], np.ndarray]
    starts: dict[str, np.ndarray]
    ends: dict[str, np.ndarray]


def day_rotas(params: Params, rota: pd.DataFrame) -> dict[dt.date, DayRota]:
    """The nursing rota split by day, drawn once for the whole period (each day's draw from its own stream,
    in the rota's row order), so a simulated day only compares ranks with what its census needs."""
    rota = rota[rota["role"].isin(NURSING)]
    if rota.empty:
        return {}
    combined = np.zeros(len(rota), dtype=np.int64)
    for column in ("hospital_id", "ward", "role", "shift"):
        codes, uniques = pd.factorize(rota[column])
        combined = combined * len(uniques) + codes
    slot = pd.factorize(combined)[0]
    firsts = np.unique(slot, return_index=True)[1]
    slot_keys = list(zip(*(rota[c].to_numpy(dtype=object)[firsts] for c in ("hospital_id", "ward", "role"))))
    day_code, raw_days = pd.factorize(rota["date"])
    days = pd.to_datetime(pd.Series(raw_days)).dt.date.to_numpy()
    rows_of_day = np.split(np.argsort(day_code, kind="stable"), np.cumsum(np.bincount(day_code))[:-1])
    draw = np.empty(len(rota))
    for code, rows in enumerate(rows_of_day):
        draw[rows] = rng.generator(params.seed, "shift_changes", days[code]).random(len(rows))
    order = np.lexsort((draw, slot, day_code))
    starts = np.flatnonzero(np.r_[True, (np.diff(slot[order]) != 0) | (np.diff(day_code[order]) != 0)])
    rank = np.empty(len(rota), dtype=np.int64)
    rank[order] = np.arange(len(rota)) - np.repeat(starts, np.diff(np.r_[starts, len(rota)]))
    columns = {c: rota[c].to_numpy(dtype=object) for c in ("shift", "staff_id", "hospital_id", "ward", "role")}
    for c in ("shift_start", "shift_end"):
        columns[c] = pd.to_datetime(rota[c]).to_numpy().astype("datetime64[ns]")
    off_duty = _off_duty(rota, columns)
    return {days[code]: DayRota({c: v[rows] for c, v in columns.items()}, slot[rows], rank[rows], slot_keys,
                                off_duty) for code, rows in enumerate(rows_of_day)}


def _off_duty(rota: pd.DataFrame, columns: dict[str, np.ndarray]) -> OffDuty:
    """The rota's people by ward and role (staff id order), and each one's shift starts and ends in order."""
    order = np.lexsort((columns["shift_start"], columns["staff_id"].astype(str)))
    staff = columns["staff_id"][order]
    bounds = np.r_[np.flatnonzero(np.r_[True, staff[1:] != staff[:-1]]), len(staff)]
    start, end = columns["shift_start"][order], columns["shift_end"][order]
    starts = {staff[a]: start[a:b] for a, b in itertools.pairwise(bounds)}
    ends = {staff[a]: end[a:b] for a, b in itertools.pairwise(bounds)}
    people = rota[["hospital_id", "ward", "role", "staff_id"]].drop_duplicates().sort_values("staff_id")
    members = {key: group["staff_id"].to_numpy(dtype=object)
               for key, group in people.groupby(["hospital_id", "ward", "role"], sort=False)}
    return OffDuty(members, starts, ends)


def shift_changes(params: Params, day: dt.date, rota: DayRota | None, census: pd.DataFrame) -> pd.DataFrame:
    """The day's changes to the rota. Call-offs: on each shift, rota nurses and technicians beyond what the day's
    census needs under the staffing rule (plus workforce.on_duty_margin of it, whole people; never below
    min_nursing_on_duty) go home, their hours to the time bank; the drawn ranks (day_rotas) say who. Call-ins:
    where the rota is below the minimum, off-duty staff of the ward (extra shifts). CHANGE_COLUMNS out."""
    w = params.workforce
    if not w.census_staffing or rota is None or not len(rota.rank) or census.empty:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    nurses, technicians = required_staff(params, census["ward"], census["occupied"])
    keep = {}
    for hospital, ward, role_need in zip(census["hospital_id"], census["ward"], zip(nurses, technicians)):
        for role, need in zip(NURSING, role_need):
            keep[(hospital, ward, role)] = max(int(need + np.floor(need * w.on_duty_margin + 1e-9)),
                                               w.min_nursing_on_duty)
    limit = np.array([keep.get(key, np.inf) for key in rota.slot_keys])[rota.slot]
    off = rota.rank >= limit             # ranks count from 0: the first `limit` of each slot stay
    frame = pd.DataFrame({"date": day, **{c: v[off] for c, v in rota.columns.items()}, "change": "call_off"},
                         columns=list(CHANGE_COLUMNS))
    minimum = {(h, wd, r): n for h, wd, r_n in zip(census["hospital_id"], census["ward"], zip(nurses, technicians))
               for r, n in zip(NURSING, r_n)}
    short = (np.array([minimum.get(key, 0) for key in rota.slot_keys])
             - np.bincount(rota.slot, minlength=len(rota.slot_keys)))
    if not (short > 0).any():
        return frame
    return pd.concat([frame, _call_ins(params, day, rota, short)], ignore_index=True)


def _call_ins(params: Params, day: dt.date, rota: DayRota, shortfall: np.ndarray) -> pd.DataFrame:
    """Off-duty staff of the ward called in where the rota is below the census's minimum: only those on the rota
    that week whose rota leaves workforce.min_rest_hours before and after the shift, on every other day (staff
    number + day parity, so two call-ins never come back to back), one shift a day each, staff id order."""
    rest = np.timedelta64(int(params.workforce.min_rest_hours * 3600), "s")
    rows, called = [], set()
    for code in np.flatnonzero(shortfall > 0):
        key, short = rota.slot_keys[code], int(shortfall[code])
        on_rota = np.flatnonzero(rota.slot == code)
        if not len(on_rota):
            continue                    # a ward-shift nobody is on the rota for: no times to call anyone in to
        first = on_rota[0]
        start, end = rota.columns["shift_start"][first], rota.columns["shift_end"][first]
        for person in rota.reserve.members.get(key, ()) if rota.reserve else ():
            if short <= 0:
                break
            if person in called or (int(person[1:]) + day.toordinal()) % 2:
                continue
            starts, ends = rota.reserve.starts[person], rota.reserve.ends[person]
            i = np.searchsorted(starts, start)
            if (i > 0 and ends[i - 1] > start - rest) or (i < len(starts) and starts[i] < end + rest):
                continue
            week = np.timedelta64(7, "D")     # on the rota this week: not on vacation, hired, not gone
            if not ((i > 0 and starts[i - 1] >= start - week) or (i < len(starts) and starts[i] <= start + week)):
                continue
            rows.append({"date": day, **{c: rota.columns[c][first] for c in ("shift", "hospital_id", "ward", "role")},
                         "shift_start": start, "shift_end": end, "staff_id": person, "change": "call_in"})
            called.add(person)
            short -= 1
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


def on_duty(schedules: pd.DataFrame, changes: pd.DataFrame | None) -> pd.DataFrame:
    """The rota as worked: the shifts the days' census called off taken out, the call-ins added."""
    if changes is None or changes.empty or schedules.empty:
        return schedules
    def shifts(frame):
        return pd.MultiIndex.from_arrays([frame["staff_id"].astype(str),
                                          pd.to_datetime(frame["shift_start"], format="ISO8601")])
    off = changes[changes["change"] == "call_off"]
    calls = changes.loc[changes["change"] == "call_in", list(SCHEDULE_COLUMNS)]
    kept = schedules[~shifts(schedules).isin(shifts(off))]
    if calls.empty:
        return kept.reset_index(drop=True)
    return pd.concat([kept, calls.astype({c: kept[c].dtype for c in ("shift_start", "shift_end")})
                      if kept["shift_start"].dtype.kind == "M" else calls], ignore_index=True)
