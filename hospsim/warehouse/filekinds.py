"""The registry of batch file kinds: name pattern -> expected columns and types -> merge and check SQL.

This is the one place to adjust when the simulation's files change: each FileKind says how its files are
named, which columns (in PostgreSQL types) the staging table has, which kinds must be loaded first, and which
sql/warehouse/merge/<kind>.sql and sql/warehouse/checks/<kind>.sql move it from staging into the warehouse.
The daily files' columns are the simulation's own declaration (hospsim.daily.schema); the other lists mirror
the simulation's (population.PEOPLE_COLUMNS, workforce.STAFF_COLUMNS) and tests/warehouse/test_filekinds.py
fails when they drift apart.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hospsim.columns import Column, col, opt
from hospsim.config import Params
from hospsim.daily.schema import ADMISSIONS, CENSUS, DISCHARGES, TRANSFERS, TRANSPORTS, VISITORS
from hospsim.errors import WarehouseError


@dataclass(frozen=True)
class FileKind:
    kind: str                               # also the merge/check SQL file name
    pattern: str                            # regex over the file name; named groups date/year/quarter/month
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
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "regex", re.compile(self.pattern))

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

# --------------------------------------------------------------------------- the kinds

DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"
NEEDS_PEOPLE = (("people", "population"),)
NEEDS_STAFF = (("staff",),)
# After a big dimension load, statistics on its key: the facts' reference checks then plan their probes well.
PERSON_KEY = (("dim_person", "person_id"),)
STAFF_KEY = (("dim_staff", "staff_id"),)

KINDS: tuple[FileKind, ...] = (
    FileKind("people", r"people_data\.csv", PEOPLE, rank=0, allow_empty=False, analyze_after=PERSON_KEY,
             spans_after=("person",), direct_table="dim_person", grows_with_run=True),
    FileKind("population", r"population_with_illnesses\.csv", population_columns, rank=1, allow_empty=False,
             analyze_after=PERSON_KEY, spans_after=("person",), grows_with_run=True),
    FileKind("staff", r"staff_data\.csv", STAFF, rank=0, allow_empty=False, analyze_after=STAFF_KEY,
             grows_with_run=True),
    FileKind("reserve", r"reserve_pool\.csv", RESERVE, rank=0, grows_with_run=True),
    FileKind("staff_active", r"staff_active_(?P<year>\d{4})_Q(?P<quarter>\d+)\.csv", STAFF, rank=2,
             requires=NEEDS_STAFF, allow_empty=False, grows_with_run=True),
    FileKind("schedules", r"schedules_(?P<year>\d{4})_(?P<month>\d{2})\.csv", SCHEDULES, rank=2,
             requires=NEEDS_STAFF, allow_empty=False, grows_with_run=True),
    FileKind("staff_events", r"staff_events\.csv", STAFF_EVENTS, rank=2, requires=NEEDS_STAFF, grows_with_run=True),
    FileKind("census", rf"census(?:_{DATE})?\.csv", CENSUS, rank=2, allow_empty=False),
    FileKind("visitors", rf"daily_visitors_{DATE}\.csv", VISITORS, rank=2, requires=NEEDS_PEOPLE),
    FileKind("admissions", rf"admissions_{DATE}\.csv", ADMISSIONS, rank=2, requires=NEEDS_PEOPLE),
    FileKind("discharges", rf"discharges_{DATE}\.csv", DISCHARGES, rank=3, requires=NEEDS_PEOPLE,
             requires_day=("admissions",)),
    FileKind("transfers", rf"transfers_{DATE}\.csv", TRANSFERS, rank=2, requires=NEEDS_PEOPLE),
    FileKind("transports", rf"emergency_transports_{DATE}\.csv", TRANSPORTS, rank=2, requires=NEEDS_PEOPLE),
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

    @property
    def sort_key(self) -> tuple:
        return (self.kind.rank, self.date or dt.date.min, self.year or 0, self.quarter or self.month or 0, self.name)

    def sql_params(self) -> dict:
        return {"file_date": self.date, "year": self.year, "quarter": self.quarter, "month": self.month}


class UnknownFile(WarehouseError, ValueError):
    """A name no kind claims, or a claimed name whose date/quarter/month is impossible."""


def classify(name: str) -> Match:
    """The kind of a batch file by its name; UnknownFile says why a name is not one."""
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
    pattern = BY_KIND[kind].pattern
    name = pattern.replace(DATE, date.isoformat()).replace("\\.", ".")
    if not BY_KIND[kind].regex.fullmatch(name):
        raise ValueError(f"{kind} files are not named by one date ({pattern})")
    return name


def known_names() -> list[str]:
    """Human-readable name patterns, for error messages."""
    return [re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", k.pattern).replace("\\.", ".").replace("(?:_<date>)?", "[_<date>]")
            for k in KINDS]


def is_candidate(name: str) -> bool:
    """Files the ingestor looks at: not hidden, not a writer's temporary, not a rejection note."""
    return not name.startswith(".") and not name.endswith((".tmp", ".reason.txt", ".part"))
