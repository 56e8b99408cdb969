"""The registry of batch files: each kind's name, its columns (with PostgreSQL types) and how it loads.

This is the one place to adjust when the simulation's files change. The simulation names and shapes its
files from here (hospsim.daily, workforce, simulate) and the warehouse stages and merges them by the same
declaration: each FileKind says how its files are named, which columns the staging table has, which kinds
must be loaded first, and which sql/warehouse/merge/<kind>.sql and checks/<kind>.sql move it into the
warehouse. The setup lists mirror the simulation's frames (population.PEOPLE_COLUMNS, workforce.STAFF_COLUMNS)
and tests/test_filekinds.py fails when they drift apart.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hospsim.columns import Column, col, opt
from hospsim.config import Params
from hospsim.errors import WarehouseError


@dataclass(frozen=True)
class FileKind:
    kind: str                               # also the merge/check SQL file name
    name: str                               # the file name, with {date}, {year}, {quarter} or {month:02d} fields
    columns: tuple[Column, ...] | Callable[[Params], tuple[Column, ...]]
    rank: int                               # load order within a pass: dimensions first; one rank loads side by
                                            # side (discharges come after admissions: they update them)
    requires: tuple[tuple[str, ...], ...] = ()   # groups of kinds; one kind of each group must be in the ledger
    requires_day: tuple[str, ...] = ()      # kinds whose file of the same date must be in the ledger
    grows_with_run: bool = False            # rewritten by the run's setup when the run grows (see ingest)
    allow_empty: bool = True                # header-only files are legal (a day without transfers)
    has_check: bool = True                  # sql/warehouse/checks/<kind>.sql exists
    analyze_after: tuple[tuple[str, str], ...] = ()   # (table, key) later files' checks probe: ANALYZE after
    spans_after: tuple[str, ...] = ()       # sql/warehouse/spans/<name>.sql to refresh after a load
    direct_table: str | None = None         # COPY straight into this table while it is empty (see ingest)
    also: str | None = None                 # an older name the ingestor still takes (census.csv)
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        names = [_pattern(self.name)] + ([_pattern(self.also)] if self.also else [])
        object.__setattr__(self, "regex", re.compile("|".join(names)))

    def matches(self, name: str) -> bool:
        return self.regex.fullmatch(name) is not None

    def file_name(self, **fields) -> str:
        """This kind's file for a date (date=dt.date) or a period (year=, quarter= / month=)."""
        return self.name.format(**{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in fields.items()})

    def expected_columns(self, params: Params) -> tuple[Column, ...]:
        return self.columns(params) if callable(self.columns) else self.columns


# --------------------------------------------------------------------------- columns

PEOPLE = (col("person_id", "bigint"), col("national_id"), col("name"), col("sex"), col("birth_date", "date"),
          opt("address"), opt("city"), opt("lat", "double precision"), opt("lon", "double precision"),
          opt("phone"), opt("insurance"), col("home_hospital"))


def population_columns(params: Params) -> tuple[Column, ...]:
    """People, one boolean per condition in params (population.conditions), then the risk columns."""
    conditions = tuple(col(cond.name, "boolean") for cond in params.population.conditions)
    return PEOPLE + conditions + (opt("conditions"), col("visit_risk", "double precision"),
                                  col("admit_risk", "double precision"))


IDENTITY = (col("national_id"), col("name"), col("sex"), col("birth_date", "date"), col("role"), col("registration"),
            opt("specialty"))
STAFF = (col("staff_id"), *IDENTITY, col("hospital_id"), col("ward"), opt("team"), opt("vacation_month", "smallint"),
         col("hire_date", "date"), col("status"), opt("exit_date", "date"), opt("candidate_id"))
RESERVE = (col("candidate_id"), *IDENTITY, col("available_from", "date"))
STAFF_EVENTS = (col("staff_id"), col("event"), col("date", "date"), col("hospital_id"), col("ward"), col("role"))
SCHEDULES = (col("date", "date"), col("shift"), col("shift_start", "timestamp"), col("shift_end", "timestamp"),
             col("staff_id"), col("hospital_id"), col("ward"), col("role"))

# The daily files: the simulation builds its frames in these column orders (an empty day still has its header).
VISITORS = (col("visit_id"), col("person_id", "bigint"), col("hospital_id"), col("arrival_time", "timestamp"),
            opt("departure_time", "timestamp"), col("arrival_mode"), col("age", "smallint"), col("sex"),
            col("triage", "smallint"), col("triage_color"), col("reason"), col("disposition"), col("outcome"))
ADMISSIONS = (col("admission_id"), col("person_id", "bigint"), opt("visit_id"), col("hospital_id"), col("ward"),
              col("bed"), col("admit_time", "timestamp"), col("length_of_stay_days", "double precision"),
              col("planned_discharge_time", "timestamp"), col("type"))
DISCHARGES = (col("admission_id"), col("person_id", "bigint"), col("hospital_id"), col("ward"), col("bed"),
              col("admit_time", "timestamp"), col("discharge_time", "timestamp"),
              col("length_of_stay_days", "double precision"), col("outcome"))
TRANSFERS = (col("transfer_id"), col("person_id", "bigint"), opt("visit_id"), opt("admission_id"),
             col("origin_hospital_id"), col("destination_hospital_id"), col("ward"), col("reason"),
             col("request_time", "timestamp"), col("departure_time", "timestamp"), col("arrival_time", "timestamp"),
             col("distance_km", "double precision"))
TRANSPORTS = (col("transport_id"), col("person_id", "bigint"), opt("visit_id"), col("priority", "smallint"),
              col("dispatch_time", "timestamp"), col("pickup_time", "timestamp"), col("arrival_time", "timestamp"),
              col("hospital_id"), col("distance_km", "double precision"))
SHIFT_CHANGES = SCHEDULES + (col("change"),)
CENSUS = (col("date", "date"), col("hospital_id"), col("ward"), *(col(n, "integer") for n in (
    "beds", "occupied", "admitted", "discharged", "transfers_in", "transfers_out", "boarding",
    "cancelled_electives")))

# Births and deaths: the population changes day by day (hospsim.daily.lifecycle). A newborn is a person.
BIRTHS = (*PEOPLE, col("mother_id", "bigint"), col("birth_time", "timestamp"), col("hospital_id"), opt("visit_id"),
          opt("admission_id"))
DEATHS = (col("person_id", "bigint"), col("death_time", "timestamp"), col("age", "smallint"), col("sex"),
          col("place"), opt("hospital_id"), opt("visit_id"), opt("admission_id"))


# --------------------------------------------------------------------------- the kinds

FIELDS = {"date": r"\d{4}-\d{2}-\d{2}", "year": r"\d{4}", "quarter": r"\d+", "month": r"\d{2}"}


def _pattern(name: str) -> str:
    """A name with {fields} as a regex with named groups (a field twice in one name would not be a name)."""
    parts = re.split(r"\{(\w+)(?::[^}]*)?\}", name)
    return "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{FIELDS[p]})" for i, p in enumerate(parts))


NEEDS_PEOPLE = (("people", "population"),)
NEEDS_STAFF = (("staff",),)
# After a big dimension load, statistics on its key: the facts' reference checks then plan their probes well.
PERSON_KEY = (("dim_person", "person_id"),)
STAFF_KEY = (("dim_staff", "staff_id"),)

KINDS: tuple[FileKind, ...] = (
    FileKind("people", "people_data.csv", PEOPLE, rank=0, allow_empty=False, analyze_after=PERSON_KEY,
             spans_after=("person",), direct_table="dim_person", grows_with_run=True),
    FileKind("population", "population_with_illnesses.csv", population_columns, rank=1, allow_empty=False,
             analyze_after=PERSON_KEY, spans_after=("person",), grows_with_run=True),
    FileKind("staff", "staff_data.csv", STAFF, rank=0, allow_empty=False, analyze_after=STAFF_KEY,
             grows_with_run=True),
    FileKind("reserve", "reserve_pool.csv", RESERVE, rank=0, grows_with_run=True),
    FileKind("staff_active", "staff_active_{year}_Q{quarter}.csv", STAFF, rank=2,
             requires=NEEDS_STAFF, allow_empty=False, grows_with_run=True),
    FileKind("schedules", "schedules_{year}_{month:02d}.csv", SCHEDULES, rank=2,
             requires=NEEDS_STAFF, allow_empty=False, grows_with_run=True),
    FileKind("staff_events", "staff_events.csv", STAFF_EVENTS, rank=2, requires=NEEDS_STAFF, grows_with_run=True),
    FileKind("census", "census_{date}.csv", CENSUS, rank=2, allow_empty=False, also="census.csv"),
    FileKind("visitors", "daily_visitors_{date}.csv", VISITORS, rank=2, requires=NEEDS_PEOPLE),
    FileKind("admissions", "admissions_{date}.csv", ADMISSIONS, rank=2, requires=NEEDS_PEOPLE),
    FileKind("discharges", "discharges_{date}.csv", DISCHARGES, rank=3, requires=NEEDS_PEOPLE,
             requires_day=("admissions",)),
    FileKind("transfers", "transfers_{date}.csv", TRANSFERS, rank=2, requires=NEEDS_PEOPLE),
    FileKind("transports", "emergency_transports_{date}.csv", TRANSPORTS, rank=2, requires=NEEDS_PEOPLE),
    FileKind("births", "births_{date}.csv", BIRTHS, rank=1, requires=NEEDS_PEOPLE, analyze_after=PERSON_KEY,
             spans_after=("person",)),
    FileKind("deaths", "deaths_{date}.csv", DEATHS, rank=3, requires=NEEDS_PEOPLE),
    FileKind("shift_changes", "shift_changes_{date}.csv", SHIFT_CHANGES, rank=3, requires=(("schedules",),)),
)
BY_KIND = {k.kind: k for k in KINDS}


@dataclass(frozen=True)
class Match:
    """A file name recognized as a kind, with what its name says (a date, a quarter, a month)."""
    kind: FileKind
    name: str
    date: dt.date | None = None
    year: int | None = None
    quarter: int | None = None
    month: int | None = None
    region: str | None = None               # a Parquet file's region partition

    @property
    def sort_key(self) -> tuple:
        return (self.kind.rank, self.date or dt.date.min, self.year or 0, self.quarter or self.month or 0, self.name)

    def sql_params(self) -> dict:
        return {"file_date": self.date, "year": self.year, "quarter": self.quarter, "month": self.month}


class UnknownFile(WarehouseError, ValueError):
    """A name no kind claims, or a claimed name whose date/quarter/month is impossible."""


def classify(name: str) -> Match:
    """The kind of a batch file by its name; UnknownFile says why a name is not one."""
    if name.endswith(".parquet"):
        return _classify_parquet(name)
    for kind in KINDS:
        m = kind.regex.fullmatch(name)
        if not m:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v is not None}
        try:
            date = dt.date.fromisoformat(groups["date"]) if "date" in groups else None
        except ValueError:
            raise UnknownFile(f"{name}: {groups['date']} in the name is not a calendar date (YYYY-MM-DD)") from None
        year = int(groups["year"]) if "year" in groups else None
        quarter = int(groups["quarter"]) if "quarter" in groups else None
        month = int(groups["month"]) if "month" in groups else None
        if quarter is not None and not 1 <= quarter <= 4:
            raise UnknownFile(f"{name}: quarter Q{quarter} in the name must be Q1..Q4")
        if month is not None and not 1 <= month <= 12:
            raise UnknownFile(f"{name}: month {month:02d} in the name must be 01..12")
        return Match(kind, name, date, year, quarter, month)
    raise UnknownFile(f"{name}: not a file kind of the simulation; known names: {', '.join(known_names())}")


def day_file_name(kind: str, date: dt.date) -> str:
    """The name of a dated kind's file of one day (admissions_2025-03-20.csv)."""
    return BY_KIND[kind].file_name(date=date)


DAILY = ("visitors", "admissions", "discharges", "transfers", "transports", "census", "births", "deaths")
SHIFT_CHANGES_KIND = "shift_changes"
PER_DAY = (*DAILY, SHIFT_CHANGES_KIND)
"""Every kind written one file a day (Parquet in a Parquet run): the daily loop's and the staffing's call-offs."""
"""The kinds the daily loop writes, one file of each per day."""


PARQUET_NAME = "{kind}/region={region}/day={date}/part-0.parquet"
"""A daily file as Parquet (output.format: parquet), a hive-partitioned dataset per kind: DuckDB's
read_parquet('<folder>/admissions/**/*.parquet', hive_partitioning = true) and pandas' read_parquet('<folder>/
admissions') read it whole, with region and day as columns. The partition is `day`, not `date`: census has a
date column of its own. The name (the path under batch/) is what the ingestor's ledger records."""
PARQUET_PATTERN = re.compile(r"(?P<kind>\w+)/region=(?P<region>[a-z0-9-]+)/day=(?P<date>\d{4}-\d{2}-\d{2})/"
                             r"part-(?P<part>\d+)\.parquet")


def parquet_file_name(kind: str, region: str, date: dt.date) -> str:
    """The Parquet file of a daily kind's day in one region (admissions/region=campinas/day=2025-03-20/...)."""
    return PARQUET_NAME.format(kind=kind, region=region, date=date.isoformat())


def parquet_files(folder, kind: str, date: dt.date) -> list:
    """The Parquet files of a daily kind's day under folder, of every region, in name order."""
    return sorted(folder.glob(PARQUET_NAME.format(kind=kind, region="*", date=date.isoformat())))


def _classify_parquet(name: str) -> Match:
    m = PARQUET_PATTERN.fullmatch(name)
    if not m or m["kind"] not in PER_DAY:
        raise UnknownFile(f"{name}: not a Parquet file of the simulation; known names: <{'|'.join(PER_DAY)}>"
                          "/region=<region>/day=<YYYY-MM-DD>/part-0.parquet")
    try:
        date = dt.date.fromisoformat(m["date"])
    except ValueError:
        raise UnknownFile(f"{name}: {m['date']} in the name is not a calendar date (YYYY-MM-DD)") from None
    return Match(BY_KIND[m["kind"]], name, date, region=m["region"])


def same_day_name(match: Match, kind: str) -> str:
    """The name of another daily kind's file of the same day, in the same format (and region) as match's."""
    if match.region is not None:
        return parquet_file_name(kind, match.region, match.date)
    return day_file_name(kind, match.date)


def known_names() -> list[str]:
    """Human-readable names, for error messages."""
    return [re.sub(r"\{(\w+)(?::[^}]*)?\}", r"<\1>", k.name) + (f" (or {k.also})" if k.also else "") for k in KINDS]


def is_candidate(name: str) -> bool:
    """Files the ingestor looks at: not hidden, not a writer's temporary, not a rejection note."""
    name = name.rsplit("/", 1)[-1]         # a Parquet file's name is its path under batch/
    return not name.startswith(".") and not name.endswith((".tmp", ".reason.txt", ".part"))
