"""One typed Params object: defaults < params YAML < environment (.env too) < explicit overrides.

This is the only module that reads os.environ, so every other stage takes its settings as
arguments and stays testable and reproducible.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARAMS_DIR = PROJECT_ROOT / "params"
DEFAULT_PARAMS_FILE = PARAMS_DIR / "default.yaml"

LOCALES = ("pt_BR", "en_US")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
WARD_TYPES = (
    "emergency", "icu", "step_down", "med_surg", "telemetry",
    "pediatrics", "maternity", "psychiatry",
)
ROTATIONS = ("12x36", "3x8")


class ConfigError(ValueError):
    """Bad parameters: every problem found, each naming the key, the value and what is allowed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid hospsim parameters:\n  - " + "\n  - ".join(problems))


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
    data_dir: Path = _f(Path("data"), doc="batch/, stream/, processed/, rejected/ live here", env="HOSPSIM_DATA_DIR")
    runs_dir: Path = _f(Path("runs"), doc="executed notebooks and reports", env="HOSPSIM_RUNS_DIR")
    state_dir: Path = _f(Path(".hospsim"), doc="embedded servers' data, jars, pid files", env="HOSPSIM_STATE_DIR")
    logs_dir: Path = _f(Path("logs"), doc="rotating logs", env="HOSPSIM_LOGS_DIR")

    def resolved(self, root: Path) -> "Paths":
        return Paths(**{f.name: (p if (p := getattr(self, f.name)).is_absolute() else root / p)
                        for f in dataclasses.fields(self)})


@dataclass(frozen=True)
class Postgres:
    embedded: bool = _f(True, doc="start a project-local server; false = use url or host/port", env="HOSPSIM_PG_EMBEDDED")
    url: str | None = _f(None, doc="postgresql://user:pass@host:port/db of an external server", env=("PG_URL", "DATABASE_URL"))
    host: str = _f("127.0.0.1", env="PG_HOST")
    port: int = _f(15432, ge=1, le=65535, env="PG_PORT")
    user: str = _f("hospsim", env="PG_USER")
    password: str = _f("hospsim", env="PG_PASSWORD")
    database: str = _f("hospsim", env="PG_DATABASE")
    start_timeout_s: float = _f(30.0, gt=0)


@dataclass(frozen=True)
class Kafka:
    bootstrap_servers: str | None = _f(None, doc="host:port[,host:port] of an external cluster; null = embedded broker",
                                       env=("KAFKA_BOOTSTRAP_SERVERS", "BOOTSTRAP_SERVERS"))
    enabled: bool = _f(True, doc="false = events go through the in-process path", env="HOSPSIM_KAFKA")
    broker_port: int = _f(19092, ge=1, le=65535)
    controller_port: int = _f(19093, ge=1, le=65535)
    connect_url: str | None = _f(None, doc="REST URL of an external Kafka Connect worker", env="CONNECT_URL")
    connect_port: int = _f(18083, ge=1, le=65535)
    topic_prefix: str = _f("hospsim", env="KAFKA_TOPIC_PREFIX")
    partitions: int = _f(3, ge=1)
    replication: int = _f(1, ge=1)
    start_timeout_s: float = _f(90.0, gt=0)


@dataclass(frozen=True)
class Ward:
    type: str = _f("med_surg", choices=WARD_TYPES)
    beds: int = _f(20, ge=1)


@dataclass(frozen=True)
class Hospital:
    id: str = _f("H01")
    name: str = _f("Hospital")
    city: str = _f("São Paulo")
    lat: float = _f(-23.55, ge=-90, le=90)
    lon: float = _f(-46.63, ge=-180, le=180)
    wards: tuple[Ward, ...] = _f(factory=lambda: (Ward("emergency", 20), Ward("icu", 10), Ward("med_surg", 60)))
    specialties: tuple[str, ...] = _f(factory=tuple)
    rural: bool = _f(False)


def _default_hospitals() -> tuple[Hospital, ...]:
    return (
        Hospital("H01", "Hospital Central", "São Paulo", -23.55, -46.63,
                 (Ward("emergency", 30), Ward("icu", 20), Ward("step_down", 16), Ward("med_surg", 120),
                  Ward("pediatrics", 24), Ward("maternity", 20), Ward("psychiatry", 12)),
                 ("cardiology", "oncology", "neurology", "trauma", "obstetrics", "pediatrics", "psychiatry")),
        Hospital("H02", "Hospital Zona Norte", "São Paulo", -23.48, -46.62,
                 (Ward("emergency", 20), Ward("icu", 10), Ward("med_surg", 80), Ward("maternity", 16)),
                 ("obstetrics", "trauma")),
        Hospital("H03", "Hospital Regional de Guarulhos", "Guarulhos", -23.45, -46.53,
                 (Ward("emergency", 16), Ward("icu", 8), Ward("med_surg", 60), Ward("pediatrics", 12)),
                 ("pediatrics",), rural=True),
    )


@dataclass(frozen=True)
class Region:
    name: str = _f("Grande São Paulo")
    hospitals: tuple[Hospital, ...] = _f(factory=_default_hospitals)
    radius_km: float = _f(25.0, gt=0, doc="people live within this distance of the region's centre")


@dataclass(frozen=True)
class Simulation:
    population: int = _f(50_000, ge=1, env="HOSPSIM_POPULATION")
    start_date: dt.date = _f(dt.date(2025, 1, 1))
    days: int = _f(30, ge=1, env="HOSPSIM_DAYS")
    ed_visits_per_1000_year: float = _f(440.0, gt=0)
    elective_admissions_per_1000_year: float = _f(60.0, ge=0)
    ed_admit_share: float = _f(0.16, ge=0, le=1)
    ed_transfer_share: float = _f(0.015, ge=0, le=1)
    mean_length_of_stay_days: float = _f(4.8, gt=0)
    respiratory_season_uplift: float = _f(0.25, ge=0, doc="extra ED arrivals at the season's peak")
    hemisphere: str = _f("south", choices=("south", "north"))
    transports_per_1000_year: float = _f(40.0, ge=0)


@dataclass(frozen=True)
class Workforce:
    rotation: str = _f("12x36", choices=ROTATIONS)
    reserve_pool_size: int = _f(200, ge=0)
    annual_resignation_rate: float = _f(0.08, ge=0, le=1)
    retirement_age: int = _f(65, ge=40, le=90)
    max_consecutive_shifts: int = _f(1, ge=1, doc="back-to-back shifts one person may work")


@dataclass(frozen=True)
class OltpSeed:
    pacientes: int = _f(2000, ge=0, env="SEED_PACIENTES")
    medicos: int = _f(200, ge=1, env="SEED_MEDICOS")
    convenios: int = _f(12, ge=1, env="SEED_CONVENIOS")
    pacientes_convenios: int = _f(2500, ge=0, env="SEED_PACIENTES_CONVENIOS")
    consultas: int = _f(4000, ge=0, env="SEED_CONSULTAS")
    exames: int = _f(3500, ge=0, env="SEED_EXAMES")
    internacoes: int = _f(1200, ge=0, env="SEED_INTERNACOES")


@dataclass(frozen=True)
class OltpStream:
    interval_seconds: float = _f(2.0, ge=0, env="STREAM_INTERVAL_SECONDS")
    batch_size: int = _f(50, ge=1, env="BATCH_SIZE")
    max_jitter_ms: int = _f(400, ge=0, env="MAX_JITTER_MS")
    insert_ratio: float = _f(0.7, ge=0, le=1, env="STREAM_INSERT_RATIO")
    events_per_second: float | None = _f(None, gt=0, doc="target rate; null = interval/batch pacing", env="STREAM_EVENTS_PER_SECOND")
    max_events: int | None = _f(None, ge=1, env="STREAM_MAX_EVENTS")
    duration_seconds: float | None = _f(None, gt=0, env="STREAM_DURATION_SECONDS")


@dataclass(frozen=True)
class Oltp:
    schema: str = _f("oltp")
    publication: str = _f("hospsim_oltp_pub")
    slot: str = _f("hospsim_oltp_slot")
    seed: OltpSeed = _f(factory=OltpSeed)
    stream: OltpStream = _f(factory=OltpStream)


@dataclass(frozen=True)
class Params:
    seed: int = _f(42, ge=0, env="HOSPSIM_SEED")
    locale: str = _f("pt_BR", choices=LOCALES, env="HOSPSIM_LOCALE")
    log_level: str = _f("INFO", choices=LOG_LEVELS, env="LOG_LEVEL")
    paths: Paths = _f(factory=Paths)
    postgres: Postgres = _f(factory=Postgres)
    kafka: Kafka = _f(factory=Kafka)
    region: Region = _f(factory=Region)
    simulation: Simulation = _f(factory=Simulation)
    workforce: Workforce = _f(factory=Workforce)
    oltp: Oltp = _f(factory=Oltp)

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
        params_file = merged_env.get("HOSPSIM_PARAMS") or DEFAULT_PARAMS_FILE
    tree: dict = {}
    params_path = Path(params_file)
    if not params_path.is_absolute() and not params_path.exists():
        params_path = PROJECT_ROOT / params_path
    if not params_path.exists():
        raise ConfigError([f"params file {params_file} does not exist; pass one of "
                           f"{', '.join(sorted(p.name for p in PARAMS_DIR.glob('*.yaml')))} or a path to a YAML file"])
    try:
        loaded = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError([f"{params_path}: not valid YAML ({exc})"]) from None
    if loaded is not None and not isinstance(loaded, dict):
        raise ConfigError([f"{params_path}: the top level must be a mapping of keys, found {type(loaded).__name__}"])
    _deep_merge(tree, loaded or {})
    _deep_merge(tree, _env_tree(merged_env))
    _deep_merge(tree, _override_tree(overrides))
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
    names = env_names()
    for name, key in names.items():
        if name in environ and environ[name] != "":
            _set_dotted(tree, key, environ[name], raw=True)
    # An external server named by PG_* / a URL means "not the embedded one", unless said otherwise.
    if "HOSPSIM_PG_EMBEDDED" not in environ and any(environ.get(n) for n in ("PG_HOST", "PG_URL", "DATABASE_URL")):
        _set_dotted(tree, "postgres.embedded", False)
    return tree


def _override_tree(overrides: Mapping[str, Any] | list[str] | None) -> dict:
    tree: dict = {}
    if not overrides:
        return tree
    if isinstance(overrides, Mapping):
        items = overrides.items()
    else:
        items = []
        for item in overrides:
            if "=" not in item:
                raise ConfigError([f"override {item!r} is not key=value; write e.g. simulation.days=7"])
            key, value = item.split("=", 1)
            items.append((key.strip(), _yaml_scalar(value)))
    for key, value in items:
        _set_dotted(tree, key, value)
    return tree


def _yaml_scalar(text: str) -> Any:
    try:
        return yaml.safe_load(text)
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
        return cls()
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
            continue
        value = _convert(hints[name], data[name], f"{prefix}{name}", fld.metadata, problems)
        if value is not _MISSING:
            values[name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        problems.append(f"{prefix.rstrip('.')}: {exc}")
        return cls()


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
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            return bad("expected a whole number")
        out = int(value)
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return bad("expected a number")
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
            except ValueError:
                return bad("expected a date as YYYY-MM-DD")
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
    problems = []
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
    if p.simulation.ed_admit_share + p.simulation.ed_transfer_share > 1:
        problems.append("simulation.ed_admit_share + ed_transfer_share: together must be <= 1")
    k = p.kafka
    if len({k.broker_port, k.controller_port, k.connect_port}) < 3:
        problems.append("kafka.broker_port, controller_port, connect_port: must be three different ports")
    if p.postgres.embedded and p.postgres.port in (k.broker_port, k.controller_port, k.connect_port):
        problems.append(f"postgres.port = {p.postgres.port}: already used by a Kafka port; pick another")
    return problems


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [_to_plain(x) for x in obj]
    if isinstance(obj, (Path, dt.date)):
        return str(obj) if isinstance(obj, Path) else obj.isoformat()
    return obj
