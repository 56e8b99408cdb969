"""One typed Params object: defaults < params YAML < environment (.env too) < explicit overrides.

This is the only module that reads os.environ, so every other stage takes its settings as
arguments and stays testable and reproducible.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import itertools
import json
import math
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hospsim import eventtypes, locales, resources, rules, wards
from hospsim.errors import ConfigError, HospsimError
from hospsim.oltp import tables as oltp_tables

PROJECT_ROOT = resources.checkout() or Path.cwd()
"""The project folder, where a user's outputs go (data/, runs/, logs/, .hospsim/, .env; paths.* move each):
the checkout hospsim runs from, else (a wheel in site-packages) the folder it was started in."""
PARAMS_DIR = resources.params_dir()
"""The shipped presets (default, workshop, large), found by name from any folder: -f workshop.yaml."""
DEFAULT_PARAMS_FILE = PARAMS_DIR / "default.yaml"
PARAMS_ENV = "HOSPSIM_PARAMS"
"""The params file every command and notebook uses when none is named (the Makefile sets it from PARAMS)."""

LOCALES = locales.LOCALES
"""The locale profiles' registry (hospsim/locales.py): a new profile there is a new choice here."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
WARD_TYPES_ENV = "HOSPSIM_WARD_TYPES"
"""Another ward-type registry than hospsim/ward_types.yaml (read at import: the types shape every stage)."""
WARDS = wards.load(Path(os.environ.get(WARD_TYPES_ENV) or wards.REGISTRY_FILE))
WARD_TYPES = WARDS.names
EVENT_TYPES_ENV = "HOSPSIM_EVENT_TYPES"
"""Another event-type registry than hospsim/event_types.yaml (its JSON schemas in event_schemas/ beside it)."""
EVENT_TYPES_FILE = Path(os.environ.get(EVENT_TYPES_ENV) or eventtypes.REGISTRY_FILE)
ROTATIONS = ("12x36", "3x8")
# Columns of population_with_illnesses.csv that a condition must not be named after (population.py uses these).
POPULATION_COLUMNS = ("person_id", "national_id", "name", "sex", "birth_date", "address", "city", "lat", "lon",
                      "phone", "insurance", "home_hospital", "conditions", "visit_risk", "admit_risk")
ROTATION_REST_HOURS = {"12x36": 36, "3x8": 16}  # the shortest rest each rotation leaves
MAX_AGE = 120
"""The oldest age anyone reaches: the age bands' bound and the warehouse's (sql/warehouse/06_rules.sql)."""
MAX_DAYS = 36_500
"""The longest run, a century: the cast is fixed (nobody is born or dies), so long before that its youngest
would be older than MAX_AGE; the age cross-check (_age_checks) usually binds first. It keeps a typo such as
days=100000000 from starting a run of 600 million files."""
STAY_DAYS = (0.25, 60.0)
"""The shortest and longest hospital stay the daily loop draws (a lognormal's tails cut here)."""
KAFKA_REQUEST_TIMEOUT_MS = 30_000
"""kafka-python's request_timeout_ms, which the producer leaves at its default: delivery_timeout_ms must be at
least this plus linger_ms (kafka-python's own rule)."""


def _f(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, doc: str = "",
       ge: float | None = None, gt: float | None = None, le: float | None = None,
       choices: tuple | None = None, env: str | tuple[str, ...] | None = None) -> Any:
    """A field with its constraints and the environment variables that may set it."""
    meta = {"doc": doc, "ge": ge, "gt": gt, "le": le, "choices": choices,
            "env": (env,) if isinstance(env, str) else (env or ())}
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


# --------------------------------------------------------------------------- sections

@dataclass(frozen=True)
class Paths:
    data_dir: Path = _f(doc="batch/, stream/, processed/, rejected/ live here", env="HOSPSIM_DATA_DIR")
    runs_dir: Path = _f(doc="executed notebooks and reports", env="HOSPSIM_RUNS_DIR")
    state_dir: Path = _f(doc="embedded servers' data, jars, pid files", env="HOSPSIM_STATE_DIR")
    logs_dir: Path = _f(doc="rotating logs", env="HOSPSIM_LOGS_DIR")

    def resolved(self, root: Path) -> Paths:
        return Paths(**{f.name: (p if (p := getattr(self, f.name)).is_absolute() else root / p)
                        for f in dataclasses.fields(self)})


@dataclass(frozen=True)
class Postgres:
    embedded: bool = _f(doc="start a project-local server; false = use url or host/port", env="HOSPSIM_PG_EMBEDDED")
    url: str | None = _f(doc="postgresql://user:pass@host:port/db of an external server", env=("PG_URL", "DATABASE_URL"))
    host: str = _f(env="PG_HOST")
    port: int = _f(ge=1, le=65535, env="PG_PORT")
    user: str = _f(env="PG_USER")
    password: str = _f(env="PG_PASSWORD")
    database: str = _f(env="PG_DATABASE")
    start_timeout_s: float = _f(gt=0)


@dataclass(frozen=True)
class Kafka:
    bootstrap_servers: str | None = _f(doc="host:port[,host:port] of an external cluster; null = embedded broker",
                                       env=("KAFKA_BOOTSTRAP_SERVERS", "BOOTSTRAP_SERVERS"))
    enabled: bool = _f(doc="false = events go through the in-process path", env="HOSPSIM_KAFKA")
    broker_port: int = _f(ge=1, le=65535)
    controller_port: int = _f(ge=1, le=65535)
    connect_url: str | None = _f(doc="REST URL of an external Kafka Connect worker", env="CONNECT_URL")
    connect_port: int = _f(ge=1, le=65535)
    topic_prefix: str = _f(env="KAFKA_TOPIC_PREFIX")
    partitions: int = _f(ge=1)
    replication: int = _f(ge=1)
    start_timeout_s: float = _f(gt=0)


STREAM_MODES = ("asap", "rate", "realtime")
COMPRESSION_TYPES = ("gzip", "snappy", "lz4", "zstd")


@dataclass(frozen=True)
class Stream:
    """The event producer and the stream processor (hospsim.stream)."""
    mode: str = _f(choices=STREAM_MODES, env="HOSPSIM_STREAM_MODE",
                   doc="asap: as fast as possible; rate: events_per_second; realtime: simulated clock x speed")
    events_per_second: float = _f(gt=0, doc="the pace in mode=rate")
    speed: float = _f(gt=0, doc="simulated seconds per wall second in mode=realtime; 1440 = a day a minute")
    batch_size: int = _f(ge=1, doc="producer batch bytes per partition")
    linger_ms: int = _f(ge=0, doc="how long the producer waits to fill a batch")
    compression_type: str | None = _f(choices=COMPRESSION_TYPES, doc="null = none; gzip needs no extra package")
    retries: int = _f(ge=0, doc="producer retries per batch before a delivery is reported as failed")
    delivery_timeout_ms: int = _f(ge=1000, doc="give up on a delivery after this long, retries included")
    processor_batch_size: int = _f(ge=1, doc="records per poll of the stream processor (one transaction)")
    poll_timeout_ms: int = _f(ge=1, doc="how long one poll waits for records")
    group_id: str = _f(doc="the processors' consumer group")
    file_events: int = _f(ge=1, doc="offsets per JSON-lines file: a file covers one range of one partition")
    commit_interval_s: float = _f(gt=0, doc="partial files are written and offsets committed at least this often")
    schema: str = _f(doc="PostgreSQL schema of the stream tables, dead-letter ledger and sessions; "
                         "its own per lab or test keeps several side by side in one database")


@dataclass(frozen=True)
class Ward:
    type: str = _f(choices=WARD_TYPES)
    beds: int = _f(ge=1)
    first_bed: int = _f(1, ge=1, doc="number of its first bed: beds a hospital holds for another region's "
                        "referrals are numbered after the hospital's own (hospsim.regions)")


@dataclass(frozen=True)
class Hospital:
    id: str = _f()
    name: str = _f()
    city: str = _f()
    lat: float = _f(ge=-90, le=90)
    lon: float = _f(ge=-180, le=180)
    wards: tuple[Ward, ...] = _f()
    specialties: tuple[str, ...] = _f(factory=tuple)
    rural: bool = _f(False)
    referral: bool = _f(False, doc="beds another region's hospital holds for this region's referrals "
                        "(state.cross_region_transfers): no ED, and nobody lives around it")


@dataclass(frozen=True)
class Region:
    name: str = _f()
    hospitals: tuple[Hospital, ...] = _f()
    radius_km: float = _f(gt=0, doc="people live within this distance of the region's centre")
    state: str = _f(doc="the federative unit (UF, e.g. SP, MG) whose phone area codes, postcodes, CPF region digit "
                    "and CRM/COREN registrations the region's people and staff carry (pt_BR; hospsim/states.py)")
    area_code: int | None = _f(ge=11, le=99, doc="the phone area code (DDD) of the region's residents; "
                               "null = the state's capital's")


@dataclass(frozen=True)
class Simulation:
    population: int = _f(ge=1, env="HOSPSIM_POPULATION")
    start_date: dt.date = _f()
    days: int = _f(ge=1, le=MAX_DAYS, env="HOSPSIM_DAYS", doc="a year shows the respiratory season")
    ed_visits_per_1000_year: float = _f(gt=0)
    elective_admissions_per_1000_year: float = _f(ge=0)
    ed_admit_share: float = _f(ge=0, le=1)
    ed_transfer_share: float = _f(ge=0, le=1)
    mean_length_of_stay_days: float = _f(gt=0)
    respiratory_season_uplift: float = _f(ge=0, doc="extra respiratory ED arrivals at the season's peak, "
                                          "as a share of the ordinary daily arrivals")
    hemisphere: str = _f(choices=("south", "north"))
    transports_per_1000_year: float = _f(ge=0)
    warmup_days: int = _f(ge=0, doc="days simulated before start_date, unwritten, so beds start at a steady census")


NurseRatios = dataclasses.make_dataclass(
    "NurseRatios", [(ward, float, _f(gt=0)) for ward in WARD_TYPES], frozen=True,
    namespace={"__module__": __name__, "__doc__": "Patients per nurse on every shift, one per ward type (hospsim/ward_types.yaml)."})


CareLevelHours = dataclasses.make_dataclass(
    "CareLevelHours", [(level, float, _f(gt=0)) for level in wards.CARE_LEVELS], frozen=True,
    namespace={"__module__": __name__, "__doc__": "Hours of nursing per patient per 24 h, one per COFEN care level (hospsim.wards)."})
CareLevelShares = dataclasses.make_dataclass(
    "CareLevelShares", [(level, float, _f(ge=0, le=1)) for level in wards.CARE_LEVELS], frozen=True,
    namespace={"__module__": __name__, "__doc__": "Nurses' share of the nursing hours per COFEN care level; technicians work the rest."})
STAFFING_RULES = ("cofen", "california")


@dataclass(frozen=True)
class Cofen:
    """COFEN's nursing staffing rule: each ward's care level (hospsim/ward_types.yaml) sets its hours."""
    hours_per_patient: CareLevelHours = _f(doc="hours of nursing per patient per 24 h")
    nurse_share: CareLevelShares = _f(doc="nurses' share of those hours (the rest: nursing technicians)")
    safety_margin: float = _f(ge=0.15, le=1, doc="spare nursing staff per team for absences (COFEN: >= 15%)")
    source: str = _f(doc="where the figures come from")


@dataclass(frozen=True)
class Workforce:
    rotation: str = _f(choices=ROTATIONS, doc="12x36: 12 h on, 36 h off; 3x8: morning, afternoon, night")
    nurse_ratios: NurseRatios = _f()
    target_occupancy: float = _f(gt=0, le=1, doc="wards are staffed for beds x this census")
    technicians_per_nurse: float = _f(ge=0, doc="nursing technicians on a shift per nurse required")
    patients_per_physician: float = _f(gt=0, doc="ANVISA RDC 7/2010: one ICU physician per 10 beds")
    absence_slack: float = _f(ge=0, le=1, doc="spare people per team, share of those required (vacations)")
    reserve_pool_size: int = _f(ge=0, doc="candidates; topped up every quarter")
    hiring_lead_days: int = _f(ge=0, le=89, doc="days from a vacancy (quarter start) to the hire's first day")
    annual_resignation_rate: float = _f(ge=0, le=1)
    retirement_age: int = _f(ge=40, le=90, doc="everyone this old retires at the next quarter")
    early_retirement_age: int = _f(ge=18, le=90, doc="from this age the retirement hazard applies")
    annual_retirement_hazard: float = _f(ge=0, le=1)
    max_consecutive_shifts: int = _f(ge=1, doc="back-to-back shifts one person may work")
    min_rest_hours: float = _f(ge=0, doc="CLT art. 66: 11 h between two working days")
    staffing_rule: str = _f(choices=STAFFING_RULES, doc="cofen: nurses and technicians by hours of nursing per "
                            "patient (workforce.cofen); california: patients per nurse (nurse_ratios), "
                            "technicians_per_nurse technicians per nurse")
    cofen: Cofen = _f()
    census_staffing: bool = _f(doc="each simulated day sends home the rota's nurses and technicians its census "
                               "does not need (shift_changes_<date>.csv)")
    on_duty_margin: float = _f(ge=0, le=1, doc="share above the rule's minimum kept on duty (whole people)")
    min_nursing_on_duty: int = _f(ge=0, doc="nurses, and technicians, kept on every ward-shift however empty")


# A field per table of the OLTP registry (hospsim.oltp.tables): its seed count, its stream weight.
OltpSeed = dataclasses.make_dataclass("OltpSeed", [
    *((t.seed_key, int, _f(ge=t.seed_min, env=t.seed_env)) for t in oltp_tables.REGISTRY if t.seed_key),
    ("as_of", dt.date, _f(doc="the seeded history ends this day (fixed, so a seed is reproducible)")),
    ("history_days", int, _f(ge=1, doc="pacientes registered over this many days before as_of"))], frozen=True,
    namespace={"__module__": __name__, "__doc__": "Rows per table in the initial load, and the history they span."})
OltpMix = dataclasses.make_dataclass(
    "OltpMix", [(t, float, _f(ge=0)) for t in oltp_tables.STREAMED], frozen=True,
    namespace={"__module__": __name__, "__doc__": "Relative weights of the tables the stream writes (normalized, need not sum to 1)."})


@dataclass(frozen=True)
class OltpStream:
    interval_seconds: float = _f(ge=0, doc="one batch per interval (+ jitter) when events_per_second is null",
                                 env="STREAM_INTERVAL_SECONDS")
    batch_size: int = _f(ge=1, doc="events (statements) per transaction", env="BATCH_SIZE")
    max_jitter_ms: int = _f(ge=0, doc="random extra wait per interval", env="MAX_JITTER_MS")
    insert_ratio: float = _f(ge=0, le=1, env="STREAM_INSERT_RATIO")
    events_per_second: float | None = _f(gt=0, doc="target rate; null = interval/batch pacing", env="STREAM_EVENTS_PER_SECOND")
    max_events: int | None = _f(ge=1, env="STREAM_MAX_EVENTS")
    duration_seconds: float | None = _f(gt=0, env="STREAM_DURATION_SECONDS")
    inserts: OltpMix = _f(doc="which table an INSERT goes to")
    updates: OltpMix = _f(doc="which table an UPDATE goes to")
    report_every_seconds: float = _f(gt=0, doc="throughput line on the console")
    retry_timeout_seconds: float = _f(gt=0, doc="give up when PostgreSQL stays unreachable this long")
    log_file: str = _f(doc="every operation, in paths.logs_dir, rotated")
    log_max_mb: float = _f(gt=0)
    log_backups: int = _f(ge=0)


@dataclass(frozen=True)
class OltpWorld:
    """World mode's scheduled appointments: the follow-up consulta each discharge books."""
    followup_min_days: int = _f(ge=1, doc="a follow-up falls this many days after the discharge at the earliest "
                                "(transitional care: a visit within 7-14 days, as CMS's TCM codes 99496/99495 ask)")
    followup_max_days: int = _f(ge=1, doc="... and at the latest (inclusive; drawn uniformly in between)")
    followup_no_show: float = _f(ge=0, le=1, doc="share of follow-ups that end faltou (no-shows average ~23% in "
                                 "Dantas et al. 2018, Health Policy, a review of appointment no-shows)")
    followup_cancelled: float = _f(ge=0, le=1, doc="share that end cancelada (assumption: 5%); the rest realizada")


SNAPSHOT_MODES = ("initial", "initial_only", "no_data", "when_needed", "always")
OLTP_SOURCES = ("standalone", "world")


@dataclass(frozen=True)
class Oltp:
    schema: str = _f(doc="PostgreSQL schema of the seven tables")
    publication: str = _f()
    slot: str = _f(doc="Debezium's slot; reset drops every slot whose name starts with this")
    connector_name: str = _f(doc="Kafka Connect connector name")
    topic_prefix: str = _f(doc="Debezium topic.prefix: topics are <prefix>.<schema>.<table>")
    snapshot_mode: str = _f(choices=SNAPSHOT_MODES, doc="Debezium snapshot.mode")
    source: str = _f(choices=OLTP_SOURCES, doc="standalone: the original simulator's own random hospital; world: "
                     "the run's people, physicians, visits and admissions (hospsim oltp world)")
    connector_db_host: str | None = _f(doc="database.hostname in the connector config, as the Connect worker "
                                       "reaches PostgreSQL (e.g. postgres in compose); null = postgres.host")
    connector_db_port: int | None = _f(ge=1, le=65535, doc="database.port in the connector config; null = the "
                                       "server's port")
    seed: OltpSeed = _f()
    stream: OltpStream = _f()
    world: OltpWorld = _f(doc="world mode's follow-up appointments")


@dataclass(frozen=True)
class AgeBand:
    min_age: int = _f(ge=0, le=MAX_AGE)
    max_age: int = _f(ge=0, le=MAX_AGE, doc="inclusive")
    share: float = _f(ge=0, le=1, doc="share of the whole population in this band")
    female_share: float = _f(ge=0, le=1)


@dataclass(frozen=True)
class Condition:
    name: str = _f(doc="becomes a boolean column of population_with_illnesses.csv")
    female: tuple[float, ...] = _f(doc="prevalence in each population.risk_age_bands band")
    male: tuple[float, ...] = _f(doc="prevalence in each population.risk_age_bands band")
    visit_risk: float = _f(1.0, gt=0, doc="multiplies a carrier's ED visit rate; 1 = no effect")
    admit_risk: float = _f(1.0, gt=0, doc="multiplies a carrier's admission rate; 1 = no effect")


@dataclass(frozen=True)
class Insurance:
    locale: str = _f(choices=LOCALES)
    public_plan: str = _f(doc="what everyone without a private plan has")
    private_share: float = _f(ge=0, le=1)
    private_plans: tuple[str, ...] = _f()
    private_plan_shares: tuple[float, ...] = _f(factory=tuple, doc="one weight per plan; empty = equal")
    senior_plan: str | None = _f(None, doc="public plan of everyone aged senior_age or more (Medicare)")
    senior_age: int = _f(65, ge=0, le=120)


@dataclass(frozen=True)
class AgeShare:
    min_age: int = _f(ge=0, le=MAX_AGE)
    max_age: int = _f(ge=0, le=MAX_AGE, doc="inclusive")
    share: float = _f(ge=0, doc="a share, probability or weight for these ages (the table says which)")


@dataclass(frozen=True)
class AgeGap:
    mean: float = _f()
    sd: float = _f(ge=0)


@dataclass(frozen=True)
class Households:
    """Household types as shares of households (IBGE Census 2022) and who lives with whom (hospsim.households)."""
    one_person: float = _f(ge=0, le=1, doc="share of households of one adult (IBGE 2022: 18.9%)")
    couple: float = _f(ge=0, le=1, doc="couples without children (IBGE 2022: 20.2%)")
    couple_with_children: float = _f(ge=0, le=1, doc="couples with children (IBGE 2022: 30.7% + 7.2% stepfamilies)")
    single_parent: float = _f(ge=0, le=1, doc="one parent with children (IBGE 2022: 16.5%); the rest are other "
                              "shared households")
    single_father_share: float = _f(ge=0, le=1, doc="share of single-parent families headed by the father")
    living_with_parents: tuple[AgeShare, ...] = _f(doc="probability that an adult of these ages lives as a child "
                                                   "of the household (everyone under 18 does)")
    mother_age_at_birth: tuple[AgeShare, ...] = _f(doc="distribution of a mother's age at her eldest child's birth")
    partner_age_gap: AgeGap = _f(doc="a partner's age minus the woman's, in years (normal)")
    one_person_age_weights: tuple[AgeShare, ...] = _f(doc="relative weight of living alone by age")


@dataclass(frozen=True)
class Population:
    age_bands: tuple[AgeBand, ...] = _f(doc="age-sex pyramid; shares sum to 1")
    spread_km: float = _f(gt=0, doc="sd of homes around their hospital; cut at region.radius_km")
    household_size: float = _f(ge=1, doc="mean people per household (IBGE 2022: 2.79); a household shares an address")
    households: Households = _f(doc="household types and who lives with whom")
    born_elsewhere: float = _f(ge=0, le=1, doc="share of adults (residents and staff) born in another state: they "
                               "keep that state's CPF region digit and phone area code")
    insurance: tuple[Insurance, ...] = _f(doc="one entry per locale")
    risk_age_bands: tuple[int, ...] = _f(doc="lower bounds of the age bands below")
    visit_age_factor: tuple[float, ...] = _f(doc="ED visit rate by age band")
    admit_age_factor: tuple[float, ...] = _f(doc="admission rate by age band")
    comorbidity: float = _f(ge=0, le=1, doc="0 = independent conditions; 1 = they cluster in the same people")
    conditions: tuple[Condition, ...] = _f()


WardDeaths = dataclasses.make_dataclass(
    "WardDeaths", [(ward, float, _f(ge=0, le=1)) for ward in WARD_TYPES], frozen=True,
    namespace={"__module__": __name__, "__doc__": "Share of a ward's discharges that are deaths, one per ward type (ward_types.yaml)."})


@dataclass(frozen=True)
class Fertility:
    source: str = _f(doc="where the rates come from")
    age_bands: tuple[int, ...] = _f(doc="lower bounds of the mother's age bands; the last band's rate is usually 0")
    per_1000_women: tuple[float, ...] = _f(doc="live births per 1,000 women a year in each band (ASFR)")
    birth_interval_days: int = _f(ge=0, le=3650, doc="a mother gives birth at most once in this many days")


@dataclass(frozen=True)
class Mortality:
    source: str = _f(doc="where the rates come from")
    age_bands: tuple[int, ...] = _f(doc="lower bounds of the age bands")
    female: tuple[float, ...] = _f(doc="deaths per 1,000 women a year in each band, all causes and places")
    male: tuple[float, ...] = _f(doc="deaths per 1,000 men a year in each band, all causes and places")
    outside_hospital_share: float = _f(ge=0, le=1, doc="share of these deaths drawn at home; the hospital "
                                       "deaths come from the admissions' outcomes instead")


@dataclass(frozen=True)
class HospitalDeaths:
    source: str = _f(doc="where the rates come from")
    by_ward: WardDeaths = _f(doc="share of discharges that are deaths, by ward, before the age factor")
    age_bands: tuple[int, ...] = _f(doc="lower bounds of the age bands of age_factor")
    age_factor: tuple[float, ...] = _f(doc="multiplies by_ward for a patient of the band's age")
    ed_by_triage: tuple[float, ...] = _f(doc="share of ED visits sent home by triage level 1..5 that die in the ED")


@dataclass(frozen=True)
class Vital:
    fertility: Fertility = _f(doc="births: who gives birth, at what age")
    mortality: Mortality = _f(doc="deaths in the population")
    hospital: HospitalDeaths = _f(doc="deaths in hospital, as outcomes of discharges and ED visits")


@dataclass(frozen=True)
class Warehouse:
    schema: str = _f(doc="PostgreSQL schema of the warehouse tables, views and ingest ledger")
    watch_interval_seconds: float = _f(gt=0, le=86_400,
                                       doc="hospsim ingest --watch: seconds between passes over batch/")
    workers: int = _f(ge=1, le=16, doc="files loaded at once (one connection each), dependency order kept")
    pause_in_transaction_seconds: float = _f(ge=0, doc="testing aid: sleep inside each file's transaction")


OUTPUT_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class Output:
    format: str = _f(choices=OUTPUT_FORMATS, doc="the daily files: csv (the original project's files) or parquet "
                     "(<kind>/region=<slug>/day=<date>/part-0.parquet, read by DuckDB, pandas and the ingestor)")


@dataclass(frozen=True)
class Clinical:
    dir: str = _f(doc="folder of the clinical tables (arrivals.yaml, triage.yaml, ...); empty: the shipped "
                      "hospsim/params/clinical; relative paths are under the project folder")


@dataclass(frozen=True)
class State:
    """A state of health regions generated from a few numbers (hospsim.regions); regions: 0 = the one region."""
    regions: int = _f(ge=0, le=10_000, doc="0 = simulate region: alone; N = N health regions (hospsim.regions)")
    people: int = _f(ge=1, doc="the state's head count, split over its regions (simulation.population is per region)")
    hospitals_per_100k: float = _f(gt=0, doc="hospitals per 100,000 people; beds per person as in region:")
    size_spread: float = _f(ge=0, le=3, doc="sd of the log of region sizes (0 = equal regions)")
    task_retries: int = _f(ge=0, le=10, doc="times Dask runs a failed region again before giving up on it")
    no_worker_timeout_s: float = _f(gt=0, doc="give up when the cluster has had no worker this long")
    cross_region_transfers: bool = _f(doc="the biggest region's first hospital holds a share of its beds for "
                                      "the other regions' referrals, which transfer there when their own are full")
    referral_beds_share: float = _f(ge=0, le=0.9, doc="share of each inpatient ward's beds of that hospital held "
                                    "for the other regions' referrals, split by their people")
    scheduler: str | None = _f(doc="tcp://host:8786 of an existing Dask cluster a state runs on (--scheduler); "
                                   "null = --workers N, or one region after another in this process",
                               env="HOSPSIM_DASK_SCHEDULER")


@dataclass(frozen=True)
class Params:
    seed: int = _f(ge=0, env="HOSPSIM_SEED")
    locale: str = _f(choices=LOCALES, env="HOSPSIM_LOCALE")
    log_level: str = _f(choices=LOG_LEVELS, env="LOG_LEVEL")
    paths: Paths = _f()
    postgres: Postgres = _f()
    kafka: Kafka = _f()
    stream: Stream = _f()
    region: Region = _f()
    simulation: Simulation = _f()
    workforce: Workforce = _f()
    oltp: Oltp = _f()
    population: Population = _f()
    warehouse: Warehouse = _f()
    clinical: Clinical = _f()
    output: Output = _f()
    vital: Vital = _f()
    state: State = _f()

    @property
    def root(self) -> Path:
        return PROJECT_ROOT

    @property
    def dirs(self) -> Paths:
        """Paths made absolute against the project root."""
        return self.paths.resolved(PROJECT_ROOT)

    def to_dict(self) -> dict:
        return _to_plain(self)


# --------------------------------------------------------------------------- loading

def load(params_file: str | Path | None = None, overrides: Mapping[str, Any] | list[str] | None = None,
         *, environ: Mapping[str, str] | None = None, dotenv: str | Path | None = None) -> Params:
    """Build Params from defaults, a YAML file, the environment (and .env) and overrides, in rising precedence.

    `overrides` is {"simulation.days": 7} or ["simulation.days=7"]; `environ` defaults to os.environ.
    """
    environ = dict(os.environ if environ is None else environ)
    dotenv_path = Path(dotenv) if dotenv else PROJECT_ROOT / ".env"
    merged_env = {**read_dotenv(dotenv_path), **environ}

    if params_file is None:
        params_file = merged_env.get(PARAMS_ENV) or DEFAULT_PARAMS_FILE
    tree = defaults_tree()
    _merge_sections(tree, read_params_file(params_file), Params)
    _deep_merge(tree, _env_tree(merged_env))
    _deep_merge(tree, _override_tree(overrides))
    return validate_tree(tree)


def defaults_tree() -> dict:
    """params/default.yaml as a tree: the one home of every default (the fields hold types, bounds and docs).
    Every params file lands on top of it, so a file names only what it changes."""
    return read_params_file(DEFAULT_PARAMS_FILE)


def defaults() -> Params:
    """The default params alone: no file of the user's, no environment, no overrides."""
    return validate_tree(defaults_tree())


def _merge_sections(base: dict, extra: dict, cls: type) -> None:
    """extra onto base: a section (a dataclass field) merges key by key; any other value, a list of
    hospitals as much as a number, replaces the default whole."""
    hints = typing.get_type_hints(cls)
    for key, value in extra.items():
        section = hints.get(key)
        if dataclasses.is_dataclass(section) and isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge_sections(base[key], value, section)
        else:
            base[key] = value


def read_params_file(params_file: str | Path, _chain: tuple[Path, ...] = ()) -> dict:
    """A params YAML as a tree, on top of the file it `extends:` (a path beside it, or in params/)."""
    path = _find_params_file(params_file, _chain[-1].parent if _chain else None)
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ConfigError([f"{_chain[0]}: `extends:` loops ({cycle}); remove one of the extends lines"])
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    except DuplicateKey as exc:
        raise ConfigError([f"{path}: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML ({exc})"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    if loaded is not None and not isinstance(loaded, dict):
        raise ConfigError([f"{path}: the top level must be a mapping of keys, found {type(loaded).__name__}"])
    loaded = loaded or {}
    base = loaded.pop("extends", None)
    if base is None:
        return loaded
    if not isinstance(base, str) or not base.strip():
        raise ConfigError([f"{path}: extends = {base!r}: name one params file, e.g. extends: workshop.yaml"])
    tree = read_params_file(base, (*_chain, path))
    _deep_merge(tree, loaded)
    return tree


class DuplicateKey(HospsimError, yaml.YAMLError):
    """A mapping names one key twice: YAML would silently keep the last value."""


class StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping (naming it as a dotted key, with both lines)
    and keeps a timestamp that is no calendar date (2025-02-30) as text, so the field's check names its key
    instead of the YAML library failing with a bare ValueError."""

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _refuse_duplicate_keys(node, "")
        return self.construct_document(node)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def _refuse_duplicate_keys(node: yaml.Node, key: str, seen: set[int] | None = None) -> None:
    seen = set() if seen is None else seen
    if id(node) in seen:            # an alias met again (or a recursive one): already walked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        lines: dict[tuple, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":       # `<<: *base` merges; later keys override it
                _refuse_duplicate_keys(value_node, key, seen)
                continue
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            dotted = f"{key}.{name}" if key else str(name)
            here = (key_node.tag, name)
            line = key_node.start_mark.line + 1
            if here in lines:
                raise DuplicateKey(f"{dotted} is given twice (lines {lines[here]} and {line}); YAML would "
                                   "silently keep the last one: keep one of them")
            lines[here] = line
            _refuse_duplicate_keys(value_node, dotted, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_duplicate_keys(item, f"{key}[{i}]", seen)


def _find_params_file(name: str | Path, beside: Path | None) -> Path:
    """A params file as given, else beside the file that extends it, else under the project folder, else a
    shipped preset: params/workshop.yaml and workshop.yaml name the same one from an empty folder."""
    given = Path(name)
    candidates = [given] if given.is_absolute() else [
        *([beside / given] if beside else []), given, PROJECT_ROOT / given, PARAMS_DIR / given,
        *([PARAMS_DIR / given.name] if given.parent == Path(resources.PARAMS) else [])]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    known = ", ".join(sorted(p.name for p in PARAMS_DIR.glob("*.yaml")))
    raise ConfigError([f"params file {name} does not exist; pass one of {known} or a path to a YAML file"])


WORLD_KEYS = ("seed", "locale", "region", "population", "workforce", "simulation", "vital")
"""The sections that decide what the simulated world is. Paths, services, stream pacing and the OLTP simulator
do not: changing them continues the same run. simulation.days is left out too, so a run can grow longer."""


def world_fingerprint(params: Params) -> str:
    """A short hash of the world the params describe (WORLD_KEYS): equal fingerprints, byte-identical files."""
    return hashlib.sha256(json.dumps(world_tree(params), sort_keys=True, default=str).encode()).hexdigest()[:16]


def world_tree(params: Params) -> dict:
    """What world_fingerprint hashes."""
    tree = {key: value for key, value in params.to_dict().items() if key in WORLD_KEYS}
    tree["simulation"].pop("days", None)
    _drop_defaults(tree["region"])
    tree["ward_types"] = WARDS.digest
    tree["clinical"] = clinical_rules(params).digest
    if params.output.format != "csv":       # other files, another run (CSV runs keep their fingerprints)
        tree["output"] = params.output.format
    return tree


def _drop_defaults(region: dict) -> None:
    """Keys newer than a region's runs, left out at their defaults so those runs keep their fingerprints."""
    for hospital in region["hospitals"]:
        if not hospital["referral"]:
            del hospital["referral"]
        for ward in hospital["wards"]:
            if ward["first_bed"] == 1:
                del ward["first_bed"]


def clinical_rules(params: Params) -> rules.Rules:
    """The clinical tables params.clinical.dir names (default: the shipped ones), checked (hospsim.rules)."""
    folder = params.clinical.dir
    return rules.load(PROJECT_ROOT / folder if folder else None)


def with_overrides(params: Params, overrides: Mapping[str, Any]) -> Params:
    """params with dotted-key overrides applied, checked exactly like config.load checks a file."""
    tree = params.to_dict()
    _deep_merge(tree, _override_tree(overrides))
    return validate_tree(tree)


def validate(params: Params) -> None:
    """Re-check Params that were built or changed in code."""
    validate_tree(params.to_dict())


def validate_tree(tree: dict) -> Params:
    problems: list[str] = []
    params = _build(Params, tree, "", problems)
    problems += _cross_checks(params) if not problems else []
    if problems:
        raise ConfigError(problems)
    return params


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, # comments, optional quotes: what the original simulator's .env held."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value
    return out


def env_names() -> dict[str, str]:
    """Environment variable -> dotted key, for docs and the CLI."""
    return {PARAMS_ENV: "(the params file when none is named)",
            WARD_TYPES_ENV: "(another ward-type registry; from the environment, not .env: read at import)",
            EVENT_TYPES_ENV: "(another event-type registry; from the environment, not .env: read at import)",
            **_field_envs()}


def _field_envs() -> dict[str, str]:
    return {name: key for key, fld in _walk_fields(Params) for name in fld.metadata.get("env", ())}


def _walk_fields(cls: type, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    for fld in dataclasses.fields(cls):
        key = f"{prefix}{fld.name}"
        yield key, fld
        tp = hints[fld.name]
        if dataclasses.is_dataclass(tp):
            yield from _walk_fields(tp, key + ".")


def _env_tree(environ: Mapping[str, str]) -> dict:
    tree: dict = {}
    names = _field_envs()
    for name, key in names.items():
        if name in environ and environ[name] != "":
            _set_dotted(tree, key, environ[name], raw=True)
    # An external server named by PG_* / a URL means "not the embedded one", unless said otherwise.
    if "HOSPSIM_PG_EMBEDDED" not in environ and any(environ.get(n) for n in ("PG_HOST", "PG_URL", "DATABASE_URL")):
        _set_dotted(tree, "postgres.embedded", False)
    return tree


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """["simulation.days=7", ...] -> {"simulation.days": 7, ...}, values read as YAML scalars."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError([f"override {item!r} is not key=value; write e.g. simulation.days=7"])
        key, value = item.split("=", 1)
        out[key.strip()] = _yaml_scalar(value)
    return out


def _override_tree(overrides: Mapping[str, Any] | list[str] | None) -> dict:
    tree: dict = {}
    if not overrides:
        return tree
    items = overrides if isinstance(overrides, Mapping) else parse_overrides(list(overrides))
    for key, value in items.items():
        _set_dotted(tree, key, value)
    return tree


def _yaml_scalar(text: str) -> Any:
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError:
        return text


def _set_dotted(tree: dict, key: str, value: Any, raw: bool = False) -> None:
    parts = key.split(".")
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError([f"{key}: {part} is a value, not a section"])
    node[parts[-1]] = _RawEnv(value) if raw else value


class _RawEnv(str):
    """A string from the environment: parsed as YAML for typed fields, kept verbatim for str fields."""


def _deep_merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


def _build(cls: type, data: Any, prefix: str, problems: list[str]) -> Any:
    if not isinstance(data, dict):
        problems.append(f"{prefix.rstrip('.') or 'params'}: expected a mapping of keys, found {data!r}")
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.5)
            hint = f"; did you mean {prefix}{close[0]}?" if close else f"; valid keys here: {', '.join(fields)}"
            problems.append(f"{prefix}{key}: unknown key{hint}")
    values = {}
    for name, fld in fields.items():
        if name not in data:
            if fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING:
                problems.append(f"{prefix}{name}: missing; give it a value (params/default.yaml shows one)")
            continue
        value = _convert(hints[name], data[name], f"{prefix}{name}", fld.metadata, problems)
        if value is not _MISSING:
            values[name] = value
    if problems:
        return None        # reported; the ConfigError that follows lists them all
    return cls(**values)


_MISSING = object()


def _convert(tp: Any, value: Any, key: str, meta: Mapping, problems: list[str]) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    optional = origin in (typing.Union, types.UnionType) and type(None) in args
    if optional:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
            return None
        tp = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(value, _RawEnv) and tp is not str:
        value = _yaml_scalar(str(value))
    elif isinstance(value, _RawEnv):
        value = str(value)

    def bad(expected: str) -> Any:
        problems.append(f"{key} = {value!r}: {expected}")
        return _MISSING

    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key + ".", problems)
    if origin is tuple:
        if args[0] is Ward and isinstance(value, dict):
            value = [{"type": t, "beds": b} for t, b in value.items()]
        if not isinstance(value, (list, tuple)):
            return bad("expected a list")
        item_tp = args[0]
        items = [_convert(item_tp, v, f"{key}[{i}]", {}, problems) for i, v in enumerate(value)]
        return tuple(i for i in items if i is not _MISSING)
    if tp is bool:
        if isinstance(value, bool):
            out = value
        elif isinstance(value, str) and value.lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
            out = value.lower() in ("true", "yes", "on", "1")
        elif isinstance(value, int) and value in (0, 1):
            out = bool(value)
        else:
            return bad("expected true or false")
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or int(value) != value:
            return bad("expected a whole number")
        out = int(value)
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return bad("expected a number")
        if not math.isfinite(value):
            return bad("expected a finite number (not .nan or .inf)")
        out = float(value)
    elif tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return bad("expected text")
        out = str(value)
    elif tp is Path:
        if not isinstance(value, (str, Path)):
            return bad("expected a path")
        out = Path(value)
    elif tp is dt.date:
        if isinstance(value, dt.datetime):
            out = value.date()
        elif isinstance(value, dt.date):
            out = value
        else:
            try:
                out = dt.date.fromisoformat(str(value))
            except ValueError as exc:
                why = f" ({exc})" if "range" in str(exc) else ""
                return bad(f"expected a date as YYYY-MM-DD{why}")
    else:
        out = value
    choices = meta.get("choices")
    if choices and out not in choices:
        close = difflib.get_close_matches(str(out), [str(c) for c in choices], n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return bad(f"must be one of {', '.join(map(str, choices))}{hint}")
    for bound, test, words in (("ge", lambda v, b: v >= b, ">="), ("gt", lambda v, b: v > b, ">"),
                               ("le", lambda v, b: v <= b, "<=")):
        limit = meta.get(bound)
        if limit is not None and not test(out, limit):
            return bad(f"must be {words} {limit}")
    return out


def _cross_checks(p: Params) -> list[str]:
    problems = _stay_checks(p)
    hospitals = p.region.hospitals
    if not hospitals:
        problems.append("region.hospitals: at least one hospital is needed")
    ids = [h.id for h in hospitals]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"region.hospitals: id {dup!r} is used twice; hospital ids must be unique")
    for i, h in enumerate(hospitals):
        types_ = [w.type for w in h.wards]
        if not types_:
            problems.append(f"region.hospitals[{i}].wards: hospital {h.id} has no wards; give it at least one")
        for dup in sorted({t for t in types_ if types_.count(t) > 1}):
            problems.append(f"region.hospitals[{i}].wards: ward type {dup!r} appears twice in {h.id}; merge the beds")
        if h.referral and "emergency" in types_:
            problems.append(f"region.hospitals[{i}]: {h.id} is a referral hospital (beds held for this region's "
                            "referrals) and has an emergency ward; drop the ward or set referral: false")
    if hospitals and all(h.referral for h in hospitals):
        problems.append("region.hospitals: every hospital is a referral hospital; the region needs one of its own")
    w = p.workforce
    if w.early_retirement_age > w.retirement_age:
        problems.append(f"workforce.early_retirement_age = {w.early_retirement_age}: must be <= retirement_age "
                        f"({w.retirement_age})")
    if w.min_rest_hours > ROTATION_REST_HOURS[w.rotation]:
        problems.append(f"workforce.min_rest_hours = {w.min_rest_hours}: the {w.rotation} rotation leaves "
                        f"{ROTATION_REST_HOURS[w.rotation]} h between shifts; lower it or pick another rotation")
    all_wards = {w.type for h in hospitals for w in h.wards}
    if hospitals and not all_wards - {"emergency"}:
        problems.append("region.hospitals: no inpatient ward (only emergency); add e.g. `med_surg: <beds>`")
    if p.simulation.ed_admit_share + p.simulation.ed_transfer_share > 1:
        problems.append("simulation.ed_admit_share + ed_transfer_share: together must be <= 1")
    k = p.kafka
    if len({k.broker_port, k.controller_port, k.connect_port}) < 3:
        problems.append("kafka.broker_port, controller_port, connect_port: must be three different ports")
    if p.postgres.embedded and p.postgres.port in (k.broker_port, k.controller_port, k.connect_port):
        problems.append(f"postgres.port = {p.postgres.port}: already used by a Kafka port; pick another")
    problems += _population_checks(p)
    problems += _age_checks(p)
    problems += _oltp_checks(p)
    problems += _kafka_checks(p)
    problems += _path_checks(p)
    problems += _clinical_checks(p)
    problems += _vital_checks(p)
    for key, name, others in (("warehouse", p.warehouse.schema, (p.oltp.schema, p.stream.schema)),
                              ("stream", p.stream.schema, (p.oltp.schema,))):
        if not _PG_NAME.fullmatch(name):
            problems.append(f"{key}.schema = {name!r}: use lowercase letters, digits and _ "
                            "(a PostgreSQL name, at most 63 characters, not starting with a digit)")
        if name in (*others, "public", "pg_catalog", "information_schema"):
            problems.append(f"{key}.schema = {name!r}: already another schema's name (dropping the {key} schema "
                            f"would drop it with everything in it); pick another, e.g. {key}")
    return problems


_PG_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_TOPIC_PREFIX = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,200}")


def _stay_checks(p: Params) -> list[str]:
    """The longest ward's mean stay must fit under the cap, or the cap, not the params, would set it."""
    longest = max(w.los_factor for w in WARDS.wards)
    mean, cap = p.simulation.mean_length_of_stay_days, STAY_DAYS[1]
    if mean * longest > cap:
        return [(f"simulation.mean_length_of_stay_days = {mean}: stays are capped at {cap:g} days and the longest "
                 f"ward type stays {longest:g}x the mean; pick a mean of at most {cap / longest:g}")]
    return []


def _clinical_checks(p: Params) -> list[str]:
    """The clinical tables are part of the params: their problems are reported with the others."""
    try:
        clinical_rules(p)
    except ConfigError as e:
        return [f"clinical.dir = {p.clinical.dir!r}: {problem}" for problem in e.problems]
    return []


def _age_checks(p: Params) -> list[str]:
    """The cast is fixed and ages: by the last day the oldest band must still be within MAX_AGE."""
    if not p.population.age_bands:
        return []
    oldest = max(b.max_age for b in p.population.age_bands)
    most = (MAX_AGE - oldest) * 365
    if p.simulation.days > most:
        return [(f"simulation.days = {p.simulation.days}: nobody is born or dies during a run, so the oldest people "
                 f"(population.age_bands up to {oldest}) would pass {MAX_AGE} years; at most {most} days with "
                 "these bands (or lower the bands' max_age)")]
    return []


def _path_checks(p: Params) -> list[str]:
    """Folders that must be folders, or creatable: checked before any work, never created here."""
    problems = []
    for f in dataclasses.fields(Paths):
        path = getattr(p.dirs, f.name)
        problem = _folder_problem(path)
        if problem:
            problems.append(f"paths.{f.name} = {str(getattr(p.paths, f.name))!r}: {problem}")
    return problems


def _folder_problem(path: Path) -> str:
    if path.exists():
        if not path.is_dir():
            return f"{path} is a file, not a folder; point it at a folder (or move the file away)"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"the folder {path} is not writable for this user"
        return ""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot be created: {parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot be created: {parent} is not writable for this user"
    return ""


def _oltp_checks(p: Params) -> list[str]:
    """Names that end up in SQL, slot and topic names; seed volumes that must fit together."""
    o, problems = p.oltp, []
    for key in ("schema", "publication", "slot"):
        value = getattr(o, key)
        if not _PG_NAME.fullmatch(value):
            problems.append(f"oltp.{key} = {value!r}: use lowercase letters, digits and _ (a PostgreSQL and "
                            "replication-slot name, at most 63 characters, not starting with a digit)")
    if not _TOPIC_PREFIX.fullmatch(o.topic_prefix):
        problems.append(f"oltp.topic_prefix = {o.topic_prefix!r}: Kafka topic names allow letters, digits, . _ -")
    if not o.connector_name or "/" in o.connector_name:
        problems.append(f"oltp.connector_name = {o.connector_name!r}: give a non-empty name without '/'")
    s = o.seed
    for t in oltp_tables.REGISTRY:
        for ref in (oltp_tables.BY_NAME[r].seed_key for r in t.refers_to):
            if t.seed_key and getattr(s, t.seed_key) and ref and getattr(s, ref) == 0:
                problems.append(f"oltp.seed.{t.seed_key} = {getattr(s, t.seed_key)}: needs oltp.seed.{ref} >= 1 "
                                "to refer to")
    w = o.world
    if w.followup_min_days > w.followup_max_days or w.followup_no_show + w.followup_cancelled > 1:
        problems.append(f"oltp.world: needs followup_min_days <= followup_max_days and followup_no_show + "
                        f"followup_cancelled <= 1 (got {w}); fix them in params")
    if s.pacientes_convenios > s.pacientes * s.convenios:
        problems.append(f"oltp.seed.pacientes_convenios = {s.pacientes_convenios}: at most pacientes x convenios "
                        f"= {s.pacientes * s.convenios} distinct pairs; lower it or seed more pacientes/convenios")
    st = o.stream
    for key, used in (("inserts", st.insert_ratio > 0), ("updates", st.insert_ratio < 1)):
        mix = getattr(st, key)
        if used and sum(dataclasses.astuple(mix)) <= 0:
            problems.append(f"oltp.stream.{key}: all weights are 0; give at least one table a weight > 0")
    return problems


def _kafka_checks(p: Params, request_timeout_ms: int = KAFKA_REQUEST_TIMEOUT_MS) -> list[str]:
    """What Kafka itself would refuse, said before any topic is made: the producer's delivery timeout must
    cover linger + one request (kafka-python's request_timeout_ms, 30 s, which hospsim does not change),
    and topic names (<prefix>.<event>, at most 249 characters) allow only letters, digits, '.', '_', '-'."""
    s, problems = p.stream, []
    if s.delivery_timeout_ms < s.linger_ms + request_timeout_ms:
        problems.append(f"stream.delivery_timeout_ms = {s.delivery_timeout_ms}: Kafka needs it >= linger_ms + the "
                        f"request timeout = {s.linger_ms} + {request_timeout_ms} = {s.linger_ms + request_timeout_ms}; "
                        "raise it")
    prefix = p.kafka.topic_prefix
    longest = len(prefix) + len(".emergency-transports")
    if not _TOPIC_PREFIX.fullmatch(prefix) or longest > 249:
        problems.append(f"kafka.topic_prefix = {prefix!r}: Kafka topic names allow letters, digits, . _ - (no spaces) "
                        f"and at most 249 characters with the event suffix; e.g. hospsim")
    if not s.group_id.strip():
        problems.append("stream.group_id: empty; name the processors' consumer group")
    return problems


def _population_checks(p: Params) -> list[str]:
    """The pyramid, the risk table and the insurance mix: shapes and sums a field bound cannot see."""
    pop, problems = p.population, []
    bands = pop.age_bands
    if not bands:
        problems.append("population.age_bands: empty; give at least one band {min_age, max_age, share, female_share}")
    for i, b in enumerate(bands):
        if b.max_age < b.min_age:
            problems.append(f"population.age_bands[{i}]: max_age {b.max_age} < min_age {b.min_age}; swap them")
        expected = bands[i - 1].max_age + 1 if i else 0
        if b.min_age != expected:
            problems.append(f"population.age_bands[{i}].min_age = {b.min_age}: bands must be sorted and contiguous "
                            f"from age 0, so this one must start at {expected}")
    total = sum(b.share for b in bands)
    if bands and abs(total - 1) > 1e-3:
        problems.append(f"population.age_bands: shares sum to {total:.4f}; they must sum to 1 (rescale the share values)")
    edges = pop.risk_age_bands
    if not edges or edges[0] != 0 or any(b <= a for a, b in itertools.pairwise(edges)):
        problems.append(f"population.risk_age_bands = {list(edges)}: must be increasing lower bounds starting at 0")
    for key in ("visit_age_factor", "admit_age_factor"):
        values = getattr(pop, key)
        if len(values) != len(edges):
            problems.append(f"population.{key}: {len(values)} values for {len(edges)} risk_age_bands; give one per band")
        if any(v <= 0 for v in values):
            problems.append(f"population.{key} = {list(values)}: factors must be > 0")
    names = [c.name for c in pop.conditions]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"population.conditions: {dup!r} appears twice; condition names must be unique")
    for i, c in enumerate(pop.conditions):
        if not c.name.isidentifier() or c.name != c.name.lower():
            problems.append(f"population.conditions[{i}].name = {c.name!r}: must be a lowercase identifier "
                            "like kidney_disease (it becomes a column name)")
        elif c.name in POPULATION_COLUMNS:
            problems.append(f"population.conditions[{i}].name = {c.name!r}: already a column of the population "
                            "file; rename the condition")
        for sex in ("female", "male"):
            values = getattr(c, sex)
            key = f"population.conditions[{i}].{sex}"
            if len(values) != len(edges):
                problems.append(f"{key}: {len(values)} prevalences for {len(edges)} risk_age_bands; give one per band")
            for j, v in enumerate(values):
                if not 0 <= v <= 1:
                    problems.append(f"{key}[{j}] = {v}: a prevalence is a probability, between 0 and 1")
    plans = [ins for ins in pop.insurance if ins.locale == p.locale]
    if len(plans) != 1:
        problems.append(f"population.insurance: {len(plans)} entries for locale {p.locale}; give exactly one")
    for i, ins in enumerate(pop.insurance):
        key = f"population.insurance[{i}]"
        if ins.private_plan_shares and len(ins.private_plan_shares) != len(ins.private_plans):
            problems.append(f"{key}.private_plan_shares: {len(ins.private_plan_shares)} shares for "
                            f"{len(ins.private_plans)} private_plans; give one per plan or none")
        if any(s < 0 for s in ins.private_plan_shares) or (ins.private_plan_shares and sum(ins.private_plan_shares) <= 0):
            problems.append(f"{key}.private_plan_shares: must be >= 0 with a positive sum")
        if ins.private_share > 0 and not ins.private_plans:
            problems.append(f"{key}: private_share is {ins.private_share} but private_plans is empty; name the plans")
    return problems + _household_checks(p)


def _household_checks(p: Params) -> list[str]:
    """Household type shares that fit in one, the mother's-age table, and a region state the locale knows."""
    hh, problems = p.population.households, []
    typed = hh.one_person + hh.couple + hh.couple_with_children + hh.single_parent
    if typed > 1 + 1e-9:
        problems.append(f"population.households: one_person + couple + couple_with_children + single_parent = "
                        f"{typed:.3f}; they are shares of households and must sum to at most 1")
    if hh.couple_with_children + hh.single_parent <= 0:
        problems.append("population.households: couple_with_children + single_parent must be > 0 (children need a family)")
    ages = hh.mother_age_at_birth
    if not ages or sum(a.share for a in ages) <= 0 or min(a.min_age for a in ages) < 15 or max(a.max_age for a in ages) > 49:
        problems.append("population.households.mother_age_at_birth: give ages within 15-49 with shares summing > 0")
    for key in ("living_with_parents", "mother_age_at_birth", "one_person_age_weights"):
        for i, a in enumerate(getattr(hh, key)):
            if a.max_age < a.min_age:
                problems.append(f"population.households.{key}[{i}]: max_age {a.max_age} < min_age {a.min_age}; swap them")
    known = locales.profile(p.locale).states
    state = known.get(p.region.state)
    if known and state is None:
        close = difflib.get_close_matches(str(p.region.state).upper(), list(known), n=1, cutoff=0.5)
        problems.append(f"region.state = {p.region.state!r}: not a Brazilian state code; use one of "
                        f"{', '.join(sorted(known))}" + (f" (did you mean {close[0]}?)" if close else ""))
    elif state is not None and p.region.area_code is not None and p.region.area_code not in state.area_codes:
        problems.append(f"region.area_code = {p.region.area_code}: not an area code of {state.uf} "
                        f"({', '.join(map(str, state.area_codes))}); pick one of those or null")
    return problems


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(x) for x in obj]
    if isinstance(obj, (Path, dt.date)):
        return str(obj) if isinstance(obj, Path) else obj.isoformat()
    return obj


def _vital_checks(p: Params) -> list[str]:
    """Each vital table has one value per age band, the bands rising from 0 (or 10 for mothers)."""
    v, problems = p.vital, []
    tables = (("vital.fertility", v.fertility.age_bands, {"per_1000_women": v.fertility.per_1000_women}),
              ("vital.mortality", v.mortality.age_bands, {"female": v.mortality.female, "male": v.mortality.male}),
              ("vital.hospital", v.hospital.age_bands, {"age_factor": v.hospital.age_factor}))
    for key, edges, columns in tables:
        if not edges or list(edges) != sorted(set(edges)) or edges[0] < 0 or edges[-1] > MAX_AGE:
            problems.append(f"{key}.age_bands = {list(edges)}: must be increasing lower bounds in 0..{MAX_AGE}")
        for name, values in columns.items():
            if len(values) != len(edges):
                problems.append(f"{key}.{name}: {len(values)} values for {len(edges)} age_bands; give one per band")
            if any(x < 0 for x in values):
                problems.append(f"{key}.{name}: rates must be >= 0")
    if v.mortality.age_bands and v.mortality.age_bands[0] != 0:
        problems.append("vital.mortality.age_bands: must start at 0 (everyone can die)")
    if len(v.hospital.ed_by_triage) != 5 or any(not 0 <= x <= 1 for x in v.hospital.ed_by_triage):
        problems.append("vital.hospital.ed_by_triage: give 5 shares in 0..1, one per triage level (1 = red)")
    return problems
