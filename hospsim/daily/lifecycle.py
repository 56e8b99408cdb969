"""Births and deaths of one day: who goes into labour (by age-specific fertility), the deliveries as ED visits
admitted to a maternity ward, the newborns, the deaths at home (by age and sex), in the ED and at discharge.

Each draws from its own stream (`rng.generator(seed, <stage>, day)`), never the day's shared one, so the other
phases draw what they drew before. The warm-up days (before simulation.start_date) are unwritten: nobody is
born or dies there, so every newborn and every death is in a written file.

Mothers and the dead at home are drawn by thinning: candidates uniform over the cohort at the highest rate,
each kept with her own rate / the highest. That gives each person her own Poisson rate at the cost of a few
hundred draws a day, whatever the population.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospsim import documents, identity
from hospsim import rng as rngs
from hospsim.ages import age_on
from hospsim.daily import vital, vital_rates
from hospsim.daily.arrivals import Arrivals
from hospsim.daily.context import DayContext
from hospsim.daily.disposition import Disposition
from hospsim.daily.frames import frame, ids, ts
from hospsim.daily.tables import DAY_S, WARD_NAMES, R
from hospsim.daily.vital import after

FEMALE_AT_BIRTH = 0.488             # 105 boys to 100 girls (IBGE/SINASC)
DELIVERY_ORANGE = 0.3               # share of women in labour triaged orange; the rest yellow


@dataclass(frozen=True)
class Births:
    """The women who go into labour today (cohort rows), when they reach the ED, their triage level and their
    babies' sex and name (drawn with the mothers: one stream a day for the births)."""
    mother: np.ndarray
    time: np.ndarray
    triage: np.ndarray
    female: np.ndarray
    name: np.ndarray

    @classmethod
    def none(cls) -> Births:
        return cls(*(np.zeros(0, t) for t in (np.int64, np.int64, np.int64, bool, "U80")))


def active(ctx: DayContext) -> bool:
    return ctx.day >= ctx.sim.start_date


def births(ctx: DayContext) -> Births:
    """Women in labour today: each by her age's fertility, alive, not in a bed or boarding, no recent delivery."""
    none = Births.none()
    if not active(ctx):
        return none
    c, g = ctx.cohort, rngs.generator(ctx.params.seed, "births", ctx.day)
    rate = vital_rates.fertility(ctx.params.vital)
    top = rate.max()
    if top <= 0:
        return none
    cand = g.integers(0, c.size, g.poisson(c.size * top))
    age = np.minimum(age_on(c.birth_day[cand], ctx.day), rate.size - 1)
    keep = c.female[cand] & (g.random(cand.size) < rate[age] / top)
    carried = ctx.state.vital
    recent = carried["mother"][carried["day"] > ctx.t0 // DAY_S - ctx.params.vital.fertility.birth_interval_days]
    mother = np.unique(cand[keep])
    mother = mother[~np.isin(mother, np.concatenate([ctx.state.busy, recent]))]
    n = mother.size
    female = g.random(n) < FEMALE_AT_BIRTH
    return Births(mother, ctx.t0 + g.integers(0, DAY_S, n), np.where(g.random(n) < DELIVERY_ORANGE, 2, 3), female,
                  _names(g, female, vital.household(c, ctx.state.vital, "name", mother), ctx.params.locale))


def with_deliveries(ctx: DayContext, arr: Arrivals, b: Births) -> Arrivals:
    """The day's arrivals with each woman in labour as an obstetric visit (her other visit of the day gives way),
    in arrival order, numbered again."""
    if b.mother.size == 0:
        return arr
    c, n = ctx.cohort, b.mother.size
    keep = ~np.isin(arr.who, b.mother)
    added = {"who": b.mother, "seasonal": np.zeros(n, bool), "age": age_on(c.birth_day[b.mother], ctx.day),
             "reason": np.full(n, R["obstetric"]), "triage": b.triage,
             "hosp": ctx.layout.ed_hospital[c.home[b.mother]], "arrival": b.time, "returning": np.zeros(n, np.int64)}
    cols = {k: np.concatenate([getattr(arr, k)[keep], v.astype(getattr(arr, k).dtype)]) for k, v in added.items()}
    order = np.lexsort((cols["who"], cols["arrival"]))
    return dataclasses.replace(arr, **{k: v[order] for k, v in cols.items()},
                               visit_id=ids("V", ctx.stamp, order.size))


def admit_deliveries(arr: Arrivals, disp: Disposition, b: Births, decided: Disposition) -> Disposition:
    """A woman in labour is admitted (to a maternity ward: her complaint is obstetric), never sent home, and
    never leaves unseen: the ED's own decision (`decided`, before overload) stands for her."""
    labour = np.isin(arr.who, b.mother)
    return dataclasses.replace(disp, admit=disp.admit | labour, transfer=disp.transfer & ~labour,
                               left=disp.left & ~labour, decision=np.where(labour, decided.decision, disp.decision))


def newborns(ctx: DayContext, b: Births, arr: Arrivals, visit_end: np.ndarray, hospital: np.ndarray) -> dict:
    """One baby per delivery, born when its mother leaves the ED for a bed (or, boarding, before midnight), at
    the hospital that took her, in birth order: the vital state's fields (BORN_FIELDS), visit and time."""
    v = np.flatnonzero(np.isin(arr.who, b.mother))
    born = np.minimum(visit_end[v], ctx.t1 - 1).astype(np.int64)
    o = np.lexsort((arr.who[v], born))
    v, born = v[o], born[o]
    mother = arr.who[v]
    which = np.searchsorted(b.mother, mother)       # b.mother is sorted (np.unique)
    return {"visit": v, "time": born, "mother": mother, "female": b.female[which], "name": b.name[which],
            "day": np.full(v.size, ctx.t0 // DAY_S, np.int64), "hospital": hospital[v]}


def _names(g: np.random.Generator, female: np.ndarray, mothers_names: np.ndarray, locale: str) -> np.ndarray:
    """A first name of the baby's sex and its mother's surnames (when the cohort knows her name)."""
    drawn = identity.person_names(g, female, locale).astype(str)
    if not female.size or not all(mothers_names):
        return drawn.astype("U80")
    first = np.array([d.split(" ")[0] for d in drawn], dtype=object)
    rest = np.array([str(m).split(" ", 1)[-1] for m in mothers_names], dtype=object)
    return (first + " " + rest).astype("U80")


def ed_deaths(ctx: DayContext, arr: Arrivals, sent_home: np.ndarray) -> np.ndarray:
    """Per visit: died in the ED (only among those the ED did not admit or transfer), by triage level."""
    if not active(ctx):
        return np.zeros(arr.n, bool)
    g = rngs.generator(ctx.params.seed, "ed-deaths", ctx.day)
    p = np.asarray(ctx.params.vital.hospital.ed_by_triage)[arr.triage - 1]
    return sent_home & (g.random(arr.n) < p)


def hospital_deaths(ctx: DayContext, ward: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Per discharge (in file order): the stay ended in death, by ward and age."""
    if not active(ctx):
        return np.zeros(ward.size, bool)
    g = rngs.generator(ctx.params.seed, "hospital-deaths", ctx.day)
    h = ctx.params.vital.hospital
    by_ward = np.array([getattr(h.by_ward, w) for w in WARD_NAMES])
    factor = vital_rates.hospital_age_factor(ctx.params.vital)
    p = np.clip(by_ward[ward] * factor[np.clip(age, 0, factor.size - 1)], 0, 1)
    return g.random(ward.size) < p


def home_deaths(ctx: DayContext, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """People who die outside hospital today (rows, times): by age and sex, nobody in `exclude` (the dead, the
    people in a bed, boarding or at the ED today)."""
    if not active(ctx):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    c, g = ctx.cohort, rngs.generator(ctx.params.seed, "deaths", ctx.day)
    rate = vital_rates.home_mortality(ctx.params.vital)
    top = rate.max()
    cand = g.integers(0, c.size, g.poisson(c.size * top)) if top > 0 else np.zeros(0, np.int64)
    age = np.clip(age_on(c.birth_day[cand], ctx.day), 0, rate.shape[1] - 1)
    keep = g.random(cand.size) < rate[c.female[cand].astype(np.int64), age] / max(top, 1e-300)
    who = np.unique(cand[keep])
    who = who[~np.isin(who, exclude)]
    return who, ctx.t0 + g.integers(0, DAY_S, who.size)


def births_frame(ctx: DayContext, born: dict, first_row: int, visit_id: np.ndarray, admission: np.ndarray
                 ) -> pd.DataFrame:
    """The births file: the newborns as people (people_data.csv's columns) and where they were born."""
    c, lay = ctx.cohort, ctx.layout
    n, mother = born["mother"].size, born["mother"]
    person_id = vital.first_id(c) + first_row + np.arange(n)
    text = {k: vital.household(c, ctx.state.vital, k, mother) for k in ("address", "city", "phone", "insurance")}
    return frame("births", {
        "person_id": person_id, "national_id": identity.national_ids(
            person_id + documents.NAMESPACE["population"], ctx.params.seed, ctx.params.locale),
        "name": born["name"].astype(object), "sex": np.where(born["female"], "F", "M"),
        "birth_date": ts(born["day"] * DAY_S), **text, "lat": c.lat[mother], "lon": c.lon[mother],
        "home_hospital": lay.hospital_ids[c.home[mother]], "mother_id": c.person_id[mother],
        "birth_time": ts(born["time"]), "hospital_id": lay.hospital_ids[born["hospital"]],
        "visit_id": visit_id, "admission_id": admission})


def deaths_frame(ctx: DayContext, who: np.ndarray, time: np.ndarray, place: np.ndarray, hosp: np.ndarray,
                 visit_id: np.ndarray, admission_id: np.ndarray) -> pd.DataFrame:
    """The deaths file, in time order: who, when, where (home, emergency or the ward) and the record it closes."""
    c = ctx.cohort
    o = np.lexsort((c.person_id[who], time))
    return frame("deaths", {
        "person_id": c.person_id[who][o], "death_time": ts(time[o]),
        "age": age_on(c.birth_day[who][o], ctx.day), "sex": c.sex[who][o], "place": place[o],
        "hospital_id": hosp[o], "visit_id": visit_id[o], "admission_id": admission_id[o]})

def deliveries(ctx: DayContext, arr: Arrivals, disp: Disposition, req, placed, adm) -> tuple[np.ndarray, ...]:
    """Per visit: when it reached a bed (or, still waiting, when the ED decided), at which hospital, and the
    admission it became ('' when none): where and when a delivery's baby is born."""
    end, hosp = disp.decision.astype(float), arr.hosp.copy()
    admission = np.full(arr.n, "", dtype="U24")
    ed, r = req.ed, req.n_queue + np.arange(req.ed.size)
    got = placed.placed[r]
    end[ed[got]] = placed.at[r][got]
    hosp[ed[got]] = placed.dest[r][got]
    mine = (adm.request >= req.n_queue) & (adm.request < req.n_queue + ed.size)
    admission[ed[adm.request[mine] - req.n_queue]] = adm.admission_id[mine]
    return end, hosp, admission


def close_day(ctx: DayContext, b: Births, arr: Arrivals, ends: tuple, seen, beds, busy: np.ndarray
              ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The day's births and deaths files and the vital state after the day. `seen` and `beds` carry the ED's and
    the wards' deaths; the rest die at home, none of them in a bed or boarding at midnight (`busy`), at the ED
    or leaving a bed today."""
    end, hosp, admission = ends
    born = newborns(ctx, b, arr, end, hosp)
    births_df = births_frame(ctx, born, ctx.state.vital["mother"].size, arr.visit_id[born["visit"]],
                             admission[born["visit"]])
    ed, ward, fr = np.flatnonzero(seen.died), np.flatnonzero(beds.died), beds.frame
    known = np.concatenate([ctx.state.vital["dead"], busy, arr.who, beds.who])   # beds.who: left a bed today
    home, t_home = home_deaths(ctx, known)
    parts = [  # (rows, times, place, hospital_id, visit_id, admission_id)
        (arr.who[ed], seen.departure[ed].astype(np.int64), "emergency", ctx.layout.hospital_ids[arr.hosp[ed]],
         arr.visit_id[ed], ""),
        (beds.who[ward], _seconds(fr["discharge_time"].to_numpy()[ward]), fr["ward"].to_numpy()[ward],
         fr["hospital_id"].to_numpy()[ward], "", fr["admission_id"].to_numpy()[ward]),
        (home, t_home, "home", "", "", "")]
    cols = [np.concatenate([np.broadcast_to(np.asarray(p[i], dtype=object if i > 1 else None), p[0].shape)
                            for p in parts]) for i in range(6)]
    cols[0], cols[1] = cols[0].astype(np.int64), cols[1].astype(np.int64)
    return births_df, deaths_frame(ctx, *cols), after(ctx.state.vital, born, cols[0])


def _seconds(times: np.ndarray) -> np.ndarray:
    return times.astype("datetime64[s]").astype(np.int64)
