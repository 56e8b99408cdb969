"""The realism report: a run's figures next to published reference ranges (see /work/shared/REFERENCE.md).

Each row says what was measured, the range it should fall in, where the range comes from and whether the run
is inside. A figure the run cannot measure (too short for a weekday pattern, no respiratory season and
off-season both covered, no schedules) is NaN and does not count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospsim.config import Params
from hospsim.daily import SEASON_MONTHS


@dataclass(frozen=True)
class Reference:
    figure: str
    low: float
    high: float
    unit: str
    source: str


# Ranges with their sources; bands around a point estimate are our tolerance, named as such.
REFERENCES = {
    "bed_occupancy": Reference("bed occupancy (inpatient wards, midnight census)", 64, 85, "%",
                               "US 64-75% (JAMA Netw Open 2025); OECD 2021 69.8%; ~85% safe maximum; Anahp ~79-80%"),
    "alos": Reference("average length of stay", 4.2, 5.5, "days", "US 4.5-5.5 (HCUP SB180; AHA); Brazil 4.2-4.6 (Anahp)"),
    "admissions_per_1000": Reference("inpatient admissions per 1,000 people per year", 69, 186, "per 1,000/yr",
                                     "US 116, regional 69-186 (HCUP SB180/SB246); OECD avg 130"),
    "ed_visits_per_1000": Reference("ED visits per 1,000 people per year", 420, 470, "per 1,000/yr",
                                    "US ~420-470 (NCHS Data Brief 503)"),
    "ed_admitted_share": Reference("ED visits admitted", 12, 20, "%", "~16% (HCUP SB155); band ours"),
    "ed_transferred_share": Reference("ED visits transferred to another hospital", 0.5, 3, "%",
                                      "~1.5%, 3% rural (HCUP SB155); band ours"),
    "busiest_weekday": Reference("busiest weekday, share of the daily mean", 110, 135, "%",
                                 "~124% (PMC10980504, 792k ED visits); band ours"),
    "day_off": Reference("weekly day off, share of the daily mean", 60, 85, "%",
                         "~70% (PMC10980504); band ours"),
    "overnight_share": Reference("ED arrivals 00:00-07:00", 8, 16, "%", "~12% (NHAMCS 2006; PMC6656946); band ours"),
    "peak_hour": Reference("busiest arrival hour (inside 10-13 h or 19-21 h)", 10, 20, "hour",
                           "peaks late morning 10-13 h and evening 19-20 h (NHAMCS 2006; PMC6656946)"),
    "respiratory_uplift": Reference("respiratory ED visits, season peak month / off-season trough month", 1.3, 5.0,
                                    "x", "flu admissions ~4x late Nov-late Dec (CDC 2023-24); Brazil Apr-Jul peak "
                                         "(Fiocruz); band ours"),
    "staffing_met": Reference("ward shifts meeting the nurse ratio", 95, 100, "%",
                              "California Title 22 ratios; COFEN 293/2004; target ours"),
}
# Births and deaths (hospsim.daily.lifecycle): the population changes day by day.
REFERENCES.update({
    "births_per_1000": Reference("live births per 1,000 people per year", 11, 14, "per 1,000/yr",
                                 "~12-13 (IBGE/SINASC 2022); band ours"),
    "mother_under_20": Reference("births to mothers under 20", 9, 16, "%", "~12-13% (SINASC 2022); band ours"),
    "mother_40_plus": Reference("births to mothers aged 40+", 2, 5, "%", "~3.5% (SINASC 2022); band ours"),
    "mother_45_plus": Reference("births to mothers aged 45+", 0, 1, "%", "~0.2% (SINASC 2022); band ours"),
    "maternity_per_1000": Reference("maternity admissions per 1,000 people per year", 11, 20, "per 1,000/yr",
                                    "a delivery a birth, ~12.3 (IBGE 2022), plus other obstetric stays; band ours"),
    "crude_death_rate": Reference("deaths per 1,000 people per year", 6.5, 7.5, "per 1,000/yr",
                                  "Brazil ~6.5-7.5 (IBGE, SIM)"),
    "hospital_mortality": Reference("discharges that are deaths", 3.5, 5.5, "%",
                                    "~4-5% of admissions (DATASUS SIH); band ours"),
    "icu_mortality": Reference("ICU discharges that are deaths", 13, 22, "%",
                               "~15-20% (AMIB, Brazilian ICU registry); band ours"),
})
PEAK_HOURS = (10, 11, 12, 19, 20)
COLUMNS = ["figure", "value", "low", "high", "unit", "source", "inside"]


def figures(params: Params, result) -> dict[str, float]:
    """The simulated value of each reference figure (NaN where the run cannot tell)."""
    visitors, admissions, census = result.visitors, result.admissions, result.census
    days = census["date"].nunique()
    years = days / 365.0
    people = params.simulation.population
    inpatient = census[census["ward"] != "emergency"].groupby("date")[["occupied", "beds"]].sum()
    arrivals = pd.to_datetime(visitors["arrival_time"])
    hours = np.bincount(arrivals.dt.hour.to_numpy(), minlength=24) if len(visitors) else np.zeros(24)
    busiest, day_off = _weekday_ratios(census, visitors)
    n_visits = max(len(visitors), 1)
    return {
        "bed_occupancy": float((inpatient["occupied"] / inpatient["beds"]).mean() * 100) if len(inpatient) else np.nan,
        "alos": float(admissions["length_of_stay_days"].mean()) if len(admissions) else np.nan,
        "admissions_per_1000": len(admissions) / people / years * 1000 if days else np.nan,
        "ed_visits_per_1000": len(visitors) / people / years * 1000 if days else np.nan,
        "ed_admitted_share": float((visitors["disposition"] == "admitted").sum() / n_visits * 100),
        "ed_transferred_share": float((visitors["disposition"] == "transferred").sum() / n_visits * 100),
        "busiest_weekday": busiest,
        "day_off": day_off,
        "overnight_share": float(hours[:7].sum() / max(hours.sum(), 1) * 100),
        "peak_hour": float(np.argmax(hours)) if hours.sum() else np.nan,
        "respiratory_uplift": _respiratory_uplift(params, census, visitors),
        "staffing_met": _staffing_met(params, result),
        **vital_figures(params, result),
    }


def report(params: Params, result) -> pd.DataFrame:
    """One row per figure: figure, value, low, high, unit, source, inside (NA where not measurable)."""
    values = figures(params, result)
    rows = []
    for key, ref in REFERENCES.items():
        value = values[key]
        if np.isnan(value):
            inside = pd.NA
        elif key == "peak_hour":
            inside = int(value) in PEAK_HOURS
        else:
            inside = bool(ref.low <= value <= ref.high)
        rows.append((ref.figure, round(float(value), 2), ref.low, ref.high, ref.unit, ref.source, inside))
    out = pd.DataFrame(rows, columns=COLUMNS, index=pd.Index(list(REFERENCES), name="key"))
    out["inside"] = out["inside"].astype("boolean")
    return out


def all_inside(table: pd.DataFrame) -> bool:
    """True when no measurable figure is outside its range."""
    return not table["inside"].eq(False).fillna(False).any()   # NA (not measurable) is not a failure


def _daily_visits(census: pd.DataFrame, visitors: pd.DataFrame, mask=None) -> pd.Series:
    days = pd.to_datetime(pd.Series(pd.unique(census["date"]))).sort_values()
    arrivals = pd.to_datetime(visitors["arrival_time"])
    if mask is not None:
        arrivals = arrivals[mask]
    counts = arrivals.dt.normalize().value_counts()
    return counts.reindex(days, fill_value=0).astype(float)


def _weekday_ratios(census: pd.DataFrame, visitors: pd.DataFrame) -> tuple[float, float]:
    """Each day's visits over its own week's mean (complete 7-day blocks from the start), averaged by weekday."""
    daily_counts = _daily_visits(census, visitors)
    weeks = len(daily_counts) // 7
    if weeks < 2:
        return np.nan, np.nan
    counts = daily_counts.iloc[:weeks * 7]
    blocks = counts.to_numpy().reshape(weeks, 7)
    ratio = blocks / np.maximum(blocks.mean(axis=1, keepdims=True), 1e-9)
    by_weekday = pd.Series(ratio.ravel(), index=counts.index.day_of_week).groupby(level=0).mean()
    return float(by_weekday.max() * 100), float(by_weekday.min() * 100)


def _respiratory_uplift(params: Params, census: pd.DataFrame, visitors: pd.DataFrame) -> float:
    """Busiest season month over quietest off-season month, respiratory visits a day; months of >= 28 days only."""
    per_day = _daily_visits(census, visitors, visitors["reason"] == "respiratory")
    if per_day.empty:
        return np.nan
    months = per_day.groupby(per_day.index.to_period("M")).agg(["mean", "size"])
    months = months[months["size"] >= 28]
    season, off = SEASON_MONTHS[params.simulation.hemisphere]
    in_season = months[months.index.month.isin(season)]["mean"]
    off_season = months[months.index.month.isin(off)]["mean"]
    if in_season.empty or off_season.empty or off_season.min() <= 0:
        return np.nan
    return float(in_season.max() / off_season.min())


def _staffing_met(params: Params, result) -> float:
    from hospsim import workforce
    schedules = result.schedules
    if schedules.empty or result.census.empty:
        return np.nan
    coverage = workforce.staffing_coverage(params, schedules, result.census)
    return float(coverage["met"].mean() * 100) if len(coverage) else np.nan


def format_table(table: pd.DataFrame) -> str:
    """The report as aligned text for a terminal."""
    shown = table.assign(inside=table["inside"].map({True: "yes", False: "NO"}).astype(object).fillna("n/a"),
                         range=[f"{lo:g}-{hi:g}" for lo, hi in zip(table["low"], table["high"])])
    return shown[["figure", "value", "range", "unit", "inside", "source"]].to_string(index=False)


VITAL_FIGURES = ("births_per_1000", "mother_under_20", "mother_40_plus", "mother_45_plus", "maternity_per_1000",
                 "crude_death_rate", "hospital_mortality", "icu_mortality")


def vital_figures(params: Params, result) -> dict[str, float]:
    """Births, mothers' ages, maternity admissions and deaths, from the births, deaths and discharges frames."""
    if not all(hasattr(result, k) for k in ("births", "deaths", "discharges", "people")):
        return {k: np.nan for k in VITAL_FIGURES}
    days = result.census["date"].nunique()
    per_1000_year = 1000 / params.simulation.population / (days / 365.0) if days else np.nan
    births, deaths, discharges = result.births, result.deaths, result.discharges
    died = discharges["outcome"] == "died" if "outcome" in discharges else pd.Series(dtype=bool)
    icu = discharges["ward"] == "icu" if len(discharges) else pd.Series(dtype=bool)
    ages = _mothers_ages(result)
    share = (lambda mask: float(mask.mean() * 100) if len(ages) else np.nan)
    return {
        "births_per_1000": len(births) * per_1000_year,
        "mother_under_20": share(ages < 20), "mother_40_plus": share(ages >= 40), "mother_45_plus": share(ages >= 45),
        "maternity_per_1000": float((result.admissions["ward"] == "maternity").sum()) * per_1000_year,
        "crude_death_rate": len(deaths) * per_1000_year,
        "hospital_mortality": float(died.mean() * 100) if len(died) else np.nan,
        "icu_mortality": float(died[icu].mean() * 100) if icu.any() else np.nan,
    }


def _mothers_ages(result) -> np.ndarray:
    """Each birth's mother's age in whole years at the birth (mothers from the people and the newborns)."""
    births = result.births
    if not len(births):
        return np.zeros(0)
    people = pd.concat([result.people[["person_id", "birth_date"]], births[["person_id", "birth_date"]]])
    born = pd.to_datetime(people.set_index("person_id")["birth_date"]).reindex(births["mother_id"]).to_numpy()
    at = pd.to_datetime(births["birth_time"]).to_numpy()
    born, at = pd.DatetimeIndex(born), pd.DatetimeIndex(at)
    had_birthday = (at.month > born.month) | ((at.month == born.month) & (at.day >= born.day))
    return np.asarray(at.year - born.year - ~had_birthday, dtype=float)
