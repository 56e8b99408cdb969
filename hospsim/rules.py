"""The clinical rules as data: the shape tables in hospsim/params/clinical/*.yaml, typed and checked on load.

Each file holds one domain (arrivals, triage, disposition, stay, calendar, returns, overload); each table gives `source:`, `unit:`
and `values:`. SPECS says what every table must look like; load() reads a folder, checks every table against
it and names each problem with its file, its table and the fix. The folder's digest joins the world fingerprint
(config.world_fingerprint): other rules, another world.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hospsim import resources
from hospsim.errors import ConfigError

FOLDER = resources.path("params/clinical")
REASONS = ("respiratory", "cardiac", "trauma", "abdominal", "fever", "neurological", "obstetric", "psychiatric",
           "urinary", "metabolic", "oncology", "other")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
AGE_GROUPS = ("child", "adult", "elderly")
HEMISPHERES = ("south", "north")
TRIAGE_LEVELS = 5
SUM_TOLERANCE = 1e-6


class _Problem(Exception):
    """One table's problem, worded for the user: what is wrong and what to write instead."""


@dataclass(frozen=True)
class Spec:
    """A table: its file, and the parser that turns its `values:` into an array (or raises _Problem)."""
    file: str
    name: str
    parse: Callable[[Any, dict], Any]


def _number(v: Any, what: str, low: float = 0.0, high: float = np.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
        raise _Problem(f"{what} is {v!r}; write a number")
    if not low <= v <= high:
        bound = f"between {low:g} and {high:g}" if np.isfinite(high) else f"at least {low:g}"
        raise _Problem(f"{what} is {v!r}; it must be {bound}")
    return float(v)


def _sums_to_one(values: np.ndarray, what: str) -> None:
    total = float(values.sum())
    if abs(total - 1) > SUM_TOLERANCE:
        raise _Problem(f"{what} sum to {total:.6g}; make them sum to 1")


def scalar(low: float = 0.0, high: float = np.inf) -> Callable:
    return lambda v, table: _number(v, "the value", low, high)


def vector(labels: tuple[str, ...] | int, high: float = np.inf, sums: bool = False) -> Callable:
    """A list of n numbers (labels an int) or a mapping with exactly the given labels, in their order."""
    def parse(v: Any, table: dict) -> np.ndarray:
        if isinstance(labels, int):
            if not isinstance(v, list) or len(v) != labels:
                raise _Problem(f"values must be a list of {labels} numbers")
            items = [(str(i + 1), x) for i, x in enumerate(v)]
        else:
            if not isinstance(v, dict) or set(map(str, v)) != set(labels):
                raise _Problem(f"values must map exactly these keys: {', '.join(labels)}")
            items = [(k, v[k]) for k in labels]
        out = np.array([_number(x, f"value {k}", 0.0, high) for k, x in items])
        if sums:
            _sums_to_one(out, "the values")
        return out
    return parse


def matrix(rows: tuple[str, ...], columns: tuple[str, ...] | int, sums: bool = False, high: float = 1.0,
           mean_one: bool = False) -> Callable:
    """Rows by label, each a list in the order of the table's `columns:` (any order of the known labels);
    shares (sums: each row sums to 1) or factors (mean_one: each row's mean is 1)."""
    def parse(v: Any, table: dict) -> np.ndarray:
        order = list(range(columns)) if isinstance(columns, int) else _column_order(table.get("columns"), columns)
        if not isinstance(v, dict) or set(map(str, v)) != set(rows):
            raise _Problem(f"values must map exactly these rows: {', '.join(rows)}")
        out = np.zeros((len(rows), len(order)))
        for i, row in enumerate(rows):
            line = v[row]
            if not isinstance(line, list) or len(line) != len(order):
                raise _Problem(f"row {row} must be a list of {len(order)} numbers")
            out[i, order] = [_number(x, f"row {row} value {j + 1}", 0.0, high) for j, x in enumerate(line)]
            if sums:
                _sums_to_one(out[i], f"the shares of row {row}")
            if mean_one:
                _sums_to_one(out[i] / out.shape[1], f"the factors of row {row} over their count (their mean)")
        return out
    return parse


def _column_order(given: Any, known: tuple[str, ...]) -> list[int]:
    if not isinstance(given, list) or sorted(map(str, given)) != sorted(known):
        raise _Problem(f"columns must list each of {', '.join(known)} once")
    return [known.index(str(c)) for c in given]


def condition_reason(v: Any, table: dict) -> dict[str, tuple[str, float]]:
    if not isinstance(v, dict):
        raise _Problem("values must map each illness to {reason: ..., probability: ...}")
    out = {}
    for name, spec in v.items():
        if not isinstance(spec, dict) or set(spec) != {"reason", "probability"} or spec["reason"] not in REASONS:
            raise _Problem(f"{name} must be {{reason: one of {', '.join(REASONS)}, probability: 0..1}}")
        out[str(name)] = (spec["reason"], _number(spec["probability"], f"{name}.probability", 0.0, 1.0))
    return out


def season_months(v: Any, table: dict) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    if not isinstance(v, dict) or set(v) != set(HEMISPHERES):
        raise _Problem(f"values must map exactly {', '.join(HEMISPHERES)}")
    out = {}
    for side in HEMISPHERES:
        spec = v[side]
        if not isinstance(spec, dict) or set(spec) != {"season", "off_season"} \
                or not all(isinstance(m, int) and 1 <= m <= 12 for m in [*spec["season"], *spec["off_season"]]):
            raise _Problem(f"{side} must be {{season: [months 1-12], off_season: [months 1-12]}}")
        out[side] = (tuple(spec["season"]), tuple(spec["off_season"]))
    return out


def holidays(v: Any, table: dict) -> dict[str, tuple[tuple[str, ...], tuple[int, ...], tuple[tuple[str, int], ...]]]:
    """Per locale: fixed MM-DD dates, days from Easter Sunday, and the first year of a date made a holiday."""
    if not isinstance(v, dict):
        raise _Problem("values must map each locale to {fixed: [MM-DD], from_easter: [days], since: {MM-DD: year}}")
    out = {}
    for locale, spec in v.items():
        if not isinstance(spec, dict) or set(spec) != {"fixed", "from_easter", "since"} \
                or not isinstance(spec["since"], dict) or not isinstance(spec["fixed"], list) \
                or not all(isinstance(d, int) and not isinstance(d, bool) for d in spec["from_easter"]):
            raise _Problem(f"{locale} must be {{fixed: [MM-DD], from_easter: [whole days], since: {{MM-DD: year}}}}")
        for day in [*spec["fixed"], *spec["since"]]:
            try:
                dt.date(2024, *map(int, str(day).split("-")))
            except (TypeError, ValueError):
                raise _Problem(f"{locale}: {day!r} is not a MM-DD date; write e.g. \"12-25\"") from None
        out[str(locale)] = (tuple(map(str, spec["fixed"])), tuple(spec["from_easter"]),
                            tuple((str(k), int(y)) for k, y in spec["since"].items()))
    return out


def factors(v: Any, table: dict) -> dict[str, float]:
    """{name: factor >= 0}, e.g. per illness (a name the run lacks counts 1)."""
    if not isinstance(v, dict) or not v:
        raise _Problem("values must map each name to a factor, e.g. {heart_failure: 1.6}")
    return {str(k): _number(x, f"value {k}") for k, x in v.items()}


def bands(n: int) -> Callable:
    """n lower bounds of bands, from 0 upwards, each above the one before."""
    def parse(v: Any, table: dict) -> np.ndarray:
        out = vector(n)(v, table)
        if out[0] != 0 or (np.diff(out) <= 0).any():
            raise _Problem(f"values must start at 0 and rise, e.g. [0, 18, 65, 80]; got {v!r}")
        return out
    return parse


def span(low: float, high: float) -> Callable:
    """[earliest, latest], both within low..high, earliest not after latest."""
    def parse(v: Any, table: dict) -> np.ndarray:
        out = vector(2, high)(v, table)
        if out[0] < low or out[0] > out[1]:
            raise _Problem(f"values must be [earliest, latest] within {low:g}..{high:g}; got {v!r}")
        return out
    return parse


SPECS = (
    Spec("arrivals.yaml", "dow_factor", vector(WEEKDAYS)),
    Spec("arrivals.yaml", "hourly_share", vector(24, 1.0, sums=True)),
    Spec("arrivals.yaml", "reason_by_age", matrix(AGE_GROUPS, REASONS, sums=True)),
    Spec("arrivals.yaml", "obstetric_share", scalar(0, 1)),
    Spec("arrivals.yaml", "condition_reason", condition_reason),
    Spec("triage.yaml", "triage_by_reason", matrix(REASONS, TRIAGE_LEVELS, sums=True)),
    Spec("triage.yaml", "elderly_uptriage", scalar(0, 1)),
    Spec("disposition.yaml", "admit_by_triage", vector(TRIAGE_LEVELS)),
    Spec("disposition.yaml", "admit_by_reason", vector(REASONS)),
    Spec("disposition.yaml", "transfer_by_triage", vector(TRIAGE_LEVELS)),
    Spec("disposition.yaml", "specialty_missing_factor", scalar()),
    Spec("disposition.yaml", "rural_transfer_factor", scalar()),
    Spec("disposition.yaml", "ambulance_by_triage", vector(TRIAGE_LEVELS)),
    Spec("disposition.yaml", "elderly_ambulance_factor", scalar()),
    Spec("disposition.yaml", "ed_stay",
         vector(("median_hours", "sigma", "min_minutes", "max_hours", "admitted_extra_hours"))),
    Spec("disposition.yaml", "boarding_limit_hours", scalar(0.5, 24)),
    Spec("stay.yaml", "los_sigma", scalar(0, 3)),
    Spec("stay.yaml", "elective_los_factor", scalar()),
    Spec("stay.yaml", "transfer_wait", vector(("median_minutes", "sigma"))),
    Spec("stay.yaml", "discharge_hour_share", vector(24, 1.0, sums=True)),
    Spec("stay.yaml", "discharge_weekday_keep", vector(WEEKDAYS, 1.0)),
    Spec("calendar.yaml", "season_peak_day", vector(HEMISPHERES, 366)),
    Spec("calendar.yaml", "season_months", season_months),
    Spec("calendar.yaml", "holidays", holidays),
    Spec("calendar.yaml", "admission_month_factor", matrix(HEMISPHERES, 12, high=np.inf, mean_one=True)),
    Spec("returns.yaml", "readmission_base", scalar(0, 1)),
    Spec("returns.yaml", "readmission_by_condition", factors),
    Spec("returns.yaml", "readmission_age_bands", bands(4)),
    Spec("returns.yaml", "readmission_by_age", vector(4)),
    Spec("returns.yaml", "readmission_los_bands", bands(4)),
    Spec("returns.yaml", "readmission_by_los", vector(4)),
    Spec("returns.yaml", "readmission_decay_days", scalar(0.1, 365)),
    Spec("returns.yaml", "against_advice_share", scalar(0, 1)),
    Spec("returns.yaml", "against_advice_factor", scalar()),
    Spec("returns.yaml", "ed_return_base", scalar(0, 1)),
    Spec("returns.yaml", "ed_return_by_age", vector(4)),
    Spec("returns.yaml", "ed_return_by_condition", factors),
    Spec("returns.yaml", "ed_return_hours", span(0, 72)),
    Spec("overload.yaml", "lwbs_base", scalar(0, 1)),
    Spec("overload.yaml", "lwbs_by_crowding", scalar()),
    Spec("overload.yaml", "lwbs_max", scalar(0, 1)),
    Spec("overload.yaml", "lwbs_min_triage", scalar(1, TRIAGE_LEVELS)),
    Spec("overload.yaml", "lwbs_stay_share", span(0, 1)),
    Spec("overload.yaml", "diversion_boarders_per_place", scalar()),
    Spec("overload.yaml", "boarding_cap_per_place", scalar()),
    Spec("overload.yaml", "released_after_hours", scalar(0, 24)),
    Spec("overload.yaml", "surge_boarders_per_place", scalar()),
    Spec("overload.yaml", "surge_beds_share", scalar(0, 1)),
)
TABLE_KEYS = {"source", "unit", "values", "columns"}


@dataclass(frozen=True)
class Rules:
    """Every table by name (attribute access: rules.dow_factor), their sources, and the folder's digest."""
    tables: dict
    sources: dict
    folder: str
    digest: str

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["tables"][name]
        except KeyError:
            raise AttributeError(name) from None


def load(folder: str | Path | None = None) -> Rules:
    """The rules in a folder (default: the shipped one), checked; cached while the files stay the same."""
    folder = Path(folder) if folder else FOLDER
    texts = {}
    for name in sorted({s.file for s in SPECS}):
        path = folder / name
        if not path.is_file():
            raise ConfigError([f"{path}: missing; copy it from {FOLDER / name} (clinical.dir names the folder)"])
        texts[name] = path.read_text(encoding="utf-8")
    return _parse(str(folder), tuple(sorted(texts.items())))


@lru_cache(maxsize=8)
def _parse(folder: str, texts: tuple[tuple[str, str], ...]) -> Rules:
    problems: list[str] = []
    trees = {name: _tree(Path(folder) / name, text, problems) for name, text in texts}
    tables, sources = {}, {}
    for spec in SPECS:
        where = f"{Path(folder) / spec.file}: table {spec.name}"
        table = trees[spec.file].get(spec.name)
        try:
            if not isinstance(table, dict) or not {"source", "values"} <= set(table) or not table.keys() <= TABLE_KEYS:
                raise _Problem("give source:, unit: and values: (and columns: for a table by columns)")
            if not str(table["source"] or "").strip():
                raise _Problem("source: is empty; name where the figures come from")
            value = spec.parse(table["values"], table)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False     # shared by every caller of the cache
            tables[spec.name], sources[spec.name] = value, str(table["source"])
        except _Problem as e:
            problems.append(f"{where}: {e}")
    for name, tree in trees.items():
        unknown = set(tree) - {s.name for s in SPECS if s.file == name}
        problems += [f"{Path(folder) / name}: table {t} is not a clinical table; remove it or check its spelling"
                     for t in sorted(unknown)]
    if problems:
        raise ConfigError(problems)
    digest = hashlib.sha256("".join(f"{n}\0{t}\0" for n, t in texts).encode()).hexdigest()[:16]
    return Rules(tables, sources, folder, digest)


def _tree(path: Path, text: str, problems: list[str]) -> dict:
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        problems.append(f"{path}: not valid YAML ({e}); fix the file")
        return {}
    if not isinstance(tree, dict):
        problems.append(f"{path}: must map table names to tables")
        return {}
    return tree
