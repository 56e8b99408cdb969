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
        **staffing_figures(params, result.schedules, result.census),
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


# --------------------------------------------------------------------------- staffing against the census

REFERENCES |= {
    "med_surg_shifts_short": Reference("med-surg shifts under the nurse minimum (workforce.staffing_rule)", 0, 5,
                                       "%", "COFEN 543/2017 hours per patient or California Title 22 1:5; "
                                                "under 5% ours"),
    "technician_shifts_short": Reference("ward shifts under the nursing technician minimum", 0, 5, "%",
                                         "COFEN 543/2017 (the hours nurses do not work); under 5% ours"),
    "icu_nurse_load": Reference("ICU patients per nurse on duty, share of the rule's maximum", 50, 100, "%",
                                "COFEN 543/2017 (18 h, 52% nurses: 2.6 patients a nurse) or Title 22 (2); "
                                "band ours"),
    "nursing_census_correlation": Reference("nursing staff on duty against the ward's census, correlation "
                                            "within each ward", 0.5, 1, "r",
                                            "staffing by hours per patient follows the census (COFEN 543/2017); "
                                            "band ours"),
}


def staffing_figures(params: Params, schedules: pd.DataFrame, census: pd.DataFrame) -> dict[str, float]:
    """Shifts short of the staffing rule's minimum (med-surg nurses, technicians on every ward), the ICU's load
    against its ratio, and how nursing staff on duty follows each ward's census (wards whose staff never
    changes do not count)."""
    from hospsim import workforce
    if schedules.empty or census.empty:
        return dict.fromkeys(("med_surg_shifts_short", "technician_shifts_short", "icu_nurse_load",
                              "nursing_census_correlation"), np.nan)
    cov = workforce.staffing_coverage(params, schedules, census)
    med_surg, icu = cov[cov["ward"] == "med_surg"], cov[cov["ward"] == "icu"]
    technicians_short = cov["technicians_scheduled"] < cov["technicians_required"]
    cov["nursing"] = cov["nurses_scheduled"] + cov["technicians_scheduled"]
    within = [g["nursing"].corr(g["occupied"]) for _, g in cov.groupby(["hospital_id", "ward"])
              if g["nursing"].nunique() > 1 and g["occupied"].nunique() > 1]
    icu_nurses = icu["nurses_scheduled"].sum()
    return {"med_surg_shifts_short": float((~med_surg["met"]).mean() * 100) if len(med_surg) else np.nan,
            "technician_shifts_short": float(technicians_short.mean() * 100) if len(cov) else np.nan,
            "icu_nurse_load": (float(icu["occupied"].sum() / icu_nurses / workforce.patients_per_nurse(params)["icu"]
                                     * 100) if icu_nurses else np.nan),
            "nursing_census_correlation": float(np.mean(within)) if within else np.nan}
