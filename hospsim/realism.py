"""The realism report: a run's figures next to published reference ranges (see /work/shared/REFERENCE.md).

Each row says what was measured, the range it should fall in, where the range comes from and whether the run
is inside. A figure the run cannot measure (too short for a weekday pattern, no respiratory season and
off-season both covered, no schedules) is NaN and does not count. The figures are computed from the run's
files (from_run reads them back); they are means and shapes (percentiles, hour and weekday curves) and counts
of impossible records, whose range is 0-0. REFERENCES is flat: a new figure is one entry there and its value
in figures().
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hospsim import config, locales
from hospsim.ages import age_on
from hospsim.config import Params


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
    "los_p50": Reference("length of stay, median", 2.5, 4.5, "days",
                         "lognormal stays with a mean of 4.5-5.5 days (HCUP SB180); band ours"),
    "los_p90": Reference("length of stay, 90th percentile", 7, 13, "days",
                         "a long right tail of complicated stays (HCUP SB180); band ours"),
    "discharges_10_16": Reference("discharges between 10:00 and 16:00", 50, 85, "%",
                                  "most discharges 10:00-16:00 (discharge-before-noon literature); band ours"),
    "discharges_22_06": Reference("discharges between 22:00 and 06:00", 0, 8, "%",
                                  "few discharges at night (hospital flow studies); band ours"),
    "weekend_discharges": Reference("discharges a weekend day, share of a weekday's", 40, 90, "%",
                                    "fewer discharges at weekends (hospital flow studies); band ours"),
    "jan_feb_admissions": Reference("admissions a day in Jan-Feb, share of the other months'", 70, 98, "%",
                                    "SUS admissions lowest in January-February (DATASUS SIH; Fiocruz); band ours; "
                                    "southern hemisphere runs only"),
    "admissions_at_midnight": Reference("admissions at exactly 00:00:00, beyond the busiest other second", 0, 0,
                                        "count", "an artefact: nothing schedules admissions at the day's first "
                                        "second (a decision landing on it by chance is no more likely than on any)"),
    "visits_without_departure": Reference("ED visits without a departure", 0, 0, "count",
                                          "every ED visit ends (CFM 2.077/2014: discharge, admission or transfer)"),
    "dispositions_contradicted": Reference("ED dispositions contradicting what followed", 0, 0, "count",
                                           "admitted has an admission here, transferred a transfer, discharged "
                                           "neither (visits leaving after the run's last day not counted)"),
    "max_ed_stay": Reference("longest ED stay, work-up plus boarding", 0, 46, "hours",
                             "work-up at most 20 h + 2 h (clinical ed_stay), boarding at most 24 h "
                             "(CFM 2.077/2014 art. 14)"),
    "ages_not_exact": Reference("ED visit ages not exact on the visit's day", 0, 0, "count",
                                "whole years, the birthday itself counting (hospsim.ages)"),
    "one_person_households": Reference("one-person households", 16, 22, "%", "Brazil 18.9% (IBGE Census 2022); band ours"),
    "household_size": Reference("mean household size", 2.6, 3.0, "people", "Brazil 2.79 (IBGE Census 2022); band ours"),
    "children_only_households": Reference("households with children and no adult", 0, 0, "households",
                                          "none: every child under 18 lives with an adult"),
    "phones_region_ddd": Reference("residents' phones with the region's area code", 80, 100, "%",
                                   "DDD by area (Anatel); in-migrants keep theirs; band ours"),
    "postcodes_in_state": Reference("residents' postcodes in the region's state", 95, 100, "%",
                                    "CEP ranges by state (Correios); band ours"),
    "staff_registration_state": Reference("staff registered (CRM/COREN) in the region's state", 100, 100, "%",
                                          "registration with the council of the state of practice (CFM; COFEN)"),
    "readmission_30d": Reference("discharges readmitted within 30 days", 10, 18, "%",
                                 "~14% (HCUP SB248, US 2018); 10-18% across payers and conditions (CMS HRRP)"),
    "ed_return_72h": Reference("ED visits sent home back at an ED within 72 h", 3, 6, "%",
                               "~3-6% of discharged ED patients (NHAMCS-based studies)"),
    "lwbs_share": Reference("ED visits that left without being seen", 1, 5, "%",
                            "~1-5% of visits, rising with crowding (NCHS NHAMCS; ED crowding literature)"),
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
        **_shapes(params, result),
        **population_figures(params, *_written_cast(result)),
        **vital_figures(params, result),
        **return_figures(result),
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
    season, off = config.clinical_rules(params).season_months[params.simulation.hemisphere]
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


def from_run(params: Params) -> pd.DataFrame:
    """The report computed from the run's written files, not from a process's memory."""
    from hospsim import simulate
    return report(params, simulate.load(params))


def from_scratch(params: Params, progress: bool = False) -> pd.DataFrame:
    """Simulate into a temporary folder and report from the files written there (the project's runs and data
    stay as they were)."""
    from hospsim import simulate
    with tempfile.TemporaryDirectory(prefix="hospsim-realism-") as tmp:
        scratch = config.with_overrides(params, {f"paths.{name}": str(Path(tmp) / name)
                                                 for name in ("data_dir", "runs_dir", "logs_dir")})
        simulate.run(scratch, progress=progress)
        return report(params, simulate.load(scratch))


def _shapes(params: Params, result) -> dict[str, float]:
    """Stay percentiles, discharge clock and weekdays, the Jan-Feb dip, and counts of impossible records."""
    admissions, visitors = result.admissions, result.visitors
    discharges = getattr(result, "discharges", None)
    out = dict.fromkeys(["los_p50", "los_p90", "discharges_10_16", "discharges_22_06", "weekend_discharges",
                         "jan_feb_admissions", "admissions_at_midnight", "visits_without_departure",
                         "dispositions_contradicted", "max_ed_stay", "ages_not_exact"], np.nan)
    if len(admissions) and "admit_time" in admissions:
        stays = admissions["length_of_stay_days"]
        out.update(los_p50=float(stays.quantile(0.5)), los_p90=float(stays.quantile(0.9)))
        admit = pd.to_datetime(admissions["admit_time"])
        out["admissions_at_midnight"] = _midnight_excess(admit)
        if params.simulation.hemisphere == "south":          # the SUS pattern; no Jan-Feb dip is modelled north
            out["jan_feb_admissions"] = _jan_feb(result.census, admit)
    if discharges is not None and len(discharges):
        when = pd.to_datetime(discharges["discharge_time"])
        hour = when.dt.hour
        out.update(discharges_10_16=float(hour.between(10, 15).mean() * 100),
                   discharges_22_06=float(((hour >= 22) | (hour < 6)).mean() * 100),
                   weekend_discharges=_weekend_share(result.census, when))
    if len(visitors) and "departure_time" in visitors:
        arrival, departure = pd.to_datetime(visitors["arrival_time"]), pd.to_datetime(visitors["departure_time"])
        out["visits_without_departure"] = float(departure.isna().sum())
        out["max_ed_stay"] = float((departure - arrival).max().total_seconds() / 3600)
        out["dispositions_contradicted"] = _contradicted(result, departure)
        out["ages_not_exact"] = _ages_not_exact(result, arrival)
    return out


def _midnight_excess(admit: pd.Series) -> float:
    """Admissions at 00:00:00 beyond the most at any other second of the day: a clamp to midnight piles them
    up, an ED decision ending on that second by chance (as on any other) does not count."""
    second = (admit - admit.dt.normalize()).dt.total_seconds().astype(int)
    counts = second.value_counts()
    return float(max(int(counts.get(0, 0)) - int(counts.drop(0, errors="ignore").max() if len(counts) > 1 else 0), 0))


def _weekend_share(census: pd.DataFrame, when: pd.Series) -> float:
    """Discharges a Saturday or Sunday over those a weekday, per day, over whole weeks of the run."""
    days = pd.to_datetime(pd.Series(pd.unique(census["date"]))).sort_values()
    if len(days) < 14:
        return np.nan
    per_day = when.dt.normalize().value_counts().reindex(days, fill_value=0)
    weekend = per_day.index.day_of_week >= 5
    return float(per_day[weekend].mean() / max(per_day[~weekend].mean(), 1e-9) * 100)


def _jan_feb(census: pd.DataFrame, admit: pd.Series) -> float:
    """Admissions a day in whole January/February months over those in the run's other whole months."""
    days = pd.to_datetime(pd.Series(pd.unique(census["date"]))).sort_values()
    per_day = admit.dt.normalize().value_counts().reindex(days, fill_value=0)
    months = per_day.groupby(per_day.index.to_period("M")).agg(["mean", "size"])
    months = months[months["size"] == months.index.days_in_month]
    low = months.index.month.isin((1, 2))
    if not low.any() or low.all():
        return np.nan
    return float(months["mean"][low].mean() / max(months["mean"][~low].mean(), 1e-9) * 100)


def _contradicted(result, departure: pd.Series) -> float:
    """Visits whose disposition the admissions and transfers files contradict (left after the run: not counted)."""
    visitors, admissions, transfers = result.visitors, result.admissions, getattr(result, "transfers", None)
    if transfers is None:
        return np.nan
    last = pd.Timestamp(result.census["date"].max()) + pd.Timedelta(days=1)
    admitted = visitors["visit_id"].isin(admissions["visit_id"])
    moved = visitors["visit_id"].isin(transfers["visit_id"])
    said = visitors["disposition"]
    wrong = ((said == "admitted") & (~admitted | moved)) | ((said == "transferred") & ~moved) \
        | (said.isin(["discharged", "left_without_being_seen"]) & (admitted | moved))
    return float((wrong & (departure < last - pd.Timedelta(hours=6))).sum())


def _ages_not_exact(result, arrival: pd.Series) -> float:
    """Visitor ages against the birth dates of the people file and the births files on the visit's day."""
    people = getattr(result, "people", None)
    if people is None or "birth_date" not in getattr(people, "columns", ()):
        return np.nan
    born = getattr(result, "births", None)
    if born is not None and len(born):
        people = pd.concat([people[["person_id", "birth_date"]], born[["person_id", "birth_date"]]])
    birth = pd.to_datetime(result.visitors["person_id"].map(people.set_index("person_id")["birth_date"]))
    wrong = 0
    for day, rows in arrival.groupby(arrival.dt.date).groups.items():   # a loop over days, not visits
        wrong += int((age_on(birth[rows], day) != result.visitors["age"][rows].to_numpy()).sum())
    return float(wrong)


def format_table(table: pd.DataFrame) -> str:
    """The report as aligned text for a terminal."""
    shown = table.assign(inside=table["inside"].map({True: "yes", False: "NO"}).astype(object).fillna("n/a"),
                         range=[f"{lo:g}-{hi:g}" for lo, hi in zip(table["low"], table["high"])])
    return shown[["figure", "value", "range", "unit", "inside", "source"]].to_string(index=False)


def _written_cast(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """people_data.csv (or the population file that carries its columns) and staff_data.csv; empty if absent."""
    people = getattr(result, "people", None)
    if people is None or people.empty:
        people = getattr(result, "population_with_illnesses", None)
    staff = (getattr(result, "staff", None) or {}).get("staff_data.csv")
    return (pd.DataFrame() if people is None else people), (pd.DataFrame() if staff is None else staff)


def population_figures(params: Params, people: pd.DataFrame, staff: pd.DataFrame) -> dict[str, float]:
    """Households (people sharing an address) and regional identities, from people_data.csv and staff_data.csv
    as read (NaN where the locale has no states or a frame is empty)."""
    return {**household_figures(people, params.simulation.start_date),
            **identity_figures(params, people, staff)}


def household_figures(people: pd.DataFrame, start) -> dict[str, float]:
    """One-person share (%), mean size and the count of households whose members are all under 18."""
    if people.empty or "address" not in people:
        return dict.fromkeys(("one_person_households", "household_size", "children_only_households"), np.nan)
    household = pd.factorize(people["address"])[0]
    size = np.bincount(household)
    adults = np.bincount(household, weights=age_on(pd.to_datetime(people["birth_date"]).to_numpy(), start) >= 18)
    return {"one_person_households": float((size == 1).mean() * 100), "household_size": float(size.mean()),
            "children_only_households": float((adults == 0).sum())}


def identity_figures(params: Params, people: pd.DataFrame, staff: pd.DataFrame) -> dict[str, float]:
    """Shares (%) of residents' phones with the region's DDD and postcodes in its state, and of staff
    registrations carrying its state."""
    state = locales.profile(params.locale).states.get(params.region.state)
    out = dict.fromkeys(("phones_region_ddd", "postcodes_in_state", "staff_registration_state"), np.nan)
    if state is None:
        return out
    if not people.empty and {"phone", "address"} <= set(people.columns):
        ddd = params.region.area_code or state.area_codes[0]
        out["phones_region_ddd"] = float((people["phone"].astype(str).str.slice(4, 6) == f"{ddd:02d}").mean() * 100)
        five = pd.to_numeric(people["address"].astype(str).str.extract(r"(\d{5})-\d{3}$")[0], errors="coerce")
        inside = np.zeros(len(people), dtype=bool)
        for lo, hi in state.postcodes:
            inside |= five.between(lo, hi).to_numpy()
        out["postcodes_in_state"] = float(inside.mean() * 100)
    if not staff.empty:
        uf = staff["registration"].astype(str).str.extract(r"^COREN-([A-Z]{2}) |^\d+([A-Z]{2})$")
        out["staff_registration_state"] = float((uf[0].fillna(uf[1]) == state.uf).mean() * 100)
    return out


MIN_SAMPLE = 400
SAMPLED = ("mother_under_20", "mother_40_plus", "mother_45_plus", "icu_mortality")
"""A share of fewer events than this is NaN: its sampling error alone (a 3.5% share of 400 births: +-0.9 points)
is about the width of its band (a short workshop run has ~100 births and ~80 ICU stays)."""
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
    share = (lambda mask: float(mask.mean() * 100) if len(ages) >= MIN_SAMPLE else np.nan)
    return {
        "births_per_1000": len(births) * per_1000_year,
        "mother_under_20": share(ages < 20), "mother_40_plus": share(ages >= 40), "mother_45_plus": share(ages >= 45),
        "maternity_per_1000": float((result.admissions["ward"] == "maternity").sum()) * per_1000_year,
        "crude_death_rate": len(deaths) * per_1000_year,
        "hospital_mortality": float(died.mean() * 100) if len(died) else np.nan,
        "icu_mortality": float(died[icu].mean() * 100) if icu.sum() >= MIN_SAMPLE else np.nan,
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


def return_figures(result) -> dict[str, float]:
    """Readmission, ED return and LWBS shares from the visitors, admissions and discharges frames as written.
    A leaver counts only when the run covers the whole window after leaving (and, where the files say who
    died, only the living); a figure whose columns the frames lack is NaN."""
    visitors, census = result.visitors, result.census
    discharges = getattr(result, "discharges", None)
    out = dict.fromkeys(["readmission_30d", "ed_return_72h", "lwbs_share"], np.nan)
    if census.empty or discharges is None or not len(visitors):
        return out
    end = pd.Timestamp(max(census["date"])) + pd.Timedelta(days=1)
    if {"person_id", "discharge_time"} <= set(discharges) and {"person_id", "admit_time"} <= set(result.admissions):
        alive = discharges[discharges["outcome"] != "died"] if "outcome" in discharges else discharges
        out["readmission_30d"] = _came_back(alive, "discharge_time", result.admissions, "admit_time",
                                            pd.Timedelta(days=30), end)
    if {"person_id", "departure_time"} <= set(visitors):
        home = visitors[visitors["disposition"] == "discharged"]
        out["ed_return_72h"] = _came_back(home, "departure_time", visitors, "arrival_time", pd.Timedelta(hours=72),
                                          end)
    out["lwbs_share"] = float((visitors["disposition"] == "left_without_being_seen").mean() * 100)
    return out


def _came_back(left: pd.DataFrame, left_at: str, came: pd.DataFrame, came_at: str, window: pd.Timedelta,
               end: pd.Timestamp) -> float:
    """Share (%) of leavers whose window ends inside the run with the same person coming back inside it."""
    out = pd.DataFrame({"person_id": left["person_id"].to_numpy(), "t": pd.to_datetime(left[left_at]).to_numpy()})
    out = out[out["t"].notna() & (out["t"] + window <= end)].sort_values("t")
    back = pd.DataFrame({"person_id": came["person_id"].to_numpy(), "t": pd.to_datetime(came[came_at]).to_numpy()})
    back = back.assign(back=back["t"]).sort_values("t")
    if out.empty:
        return np.nan
    nxt = pd.merge_asof(out, back, on="t", by="person_id", direction="forward", allow_exact_matches=False)
    return float(((nxt["back"] - nxt["t"]) <= window).mean() * 100)


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
