"""The ward types: one registry (hospsim/ward_types.yaml), read once; every other place derives from it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from hospsim import resources
from hospsim.errors import ConfigError

REGISTRY_FILE = resources.path("ward_types.yaml")
RULE_KEYS = {"reasons", "triage", "max_age", "rank", "default"}
CARE_LEVELS = ("minimal", "intermediate", "high_dependency", "semi_intensive", "intensive")
"""COFEN Resolution 543/2017's patient care levels, least to most nursing (workforce.cofen gives their hours)."""


@dataclass(frozen=True)
class Admits:
    """Which ED patients a ward takes; a condition left out (None) always holds."""
    reasons: tuple[str, ...] | None = None
    triage: tuple[int, ...] | None = None
    max_age: int | None = None
    rank: int = 0
    default: bool = False


@dataclass(frozen=True)
class WardType:
    name: str
    code: str
    los_factor: float
    specialties: tuple[str, ...]
    fallback: str | None = None
    admits: Admits | None = None
    care_level: str = "intermediate"


@dataclass(frozen=True)
class Registry:
    wards: tuple[WardType, ...]
    digest: str          # of the file's text: part of the world fingerprint

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.wards)

    def __getitem__(self, name: str) -> WardType:
        return next(w for w in self.wards if w.name == name)


def load(path: Path = REGISTRY_FILE) -> Registry:
    """The registry at path, checked: every problem named with its ward and key."""
    text = Path(path).read_text(encoding="utf-8")
    tree = yaml.safe_load(text) or {}
    problems: list[str] = []
    wards = tuple(_ward(str(name), spec, problems) for name, spec in tree.items())
    names = {w.name for w in wards}
    for w in wards:
        if w.fallback is not None and w.fallback not in names:
            problems.append(f"{w.name}.fallback = {w.fallback!r}: not a ward type here")
    if sum(bool(w.admits and w.admits.default) for w in wards) != 1:
        problems.append("exactly one ward type needs admits: {default: true} (it takes everyone no rule sends elsewhere)")
    if problems:
        raise ConfigError([f"{path}: {p}" for p in problems])
    return Registry(wards, hashlib.sha256(text.encode()).hexdigest()[:16])


def _ward(name: str, spec: object, problems: list[str]) -> WardType:
    if not isinstance(spec, dict) or not {"code", "los_factor", "specialties", "care_level"} <= spec.keys():
        problems.append(f"{name}: give code, los_factor, specialties and care_level")
        return WardType(name, name.upper(), 1.0, ())
    if spec["care_level"] not in CARE_LEVELS:
        problems.append(f"{name}.care_level = {spec['care_level']!r}: use one of {', '.join(CARE_LEVELS)}")
    rule = spec.get("admits")
    if rule is not None and (not isinstance(rule, dict) or not rule.keys() <= RULE_KEYS):
        problems.append(f"{name}.admits: use only {', '.join(sorted(RULE_KEYS))}")
        rule = None
    admits = None if rule is None else Admits(
        tuple(rule["reasons"]) if "reasons" in rule else None, tuple(rule["triage"]) if "triage" in rule else None,
        rule.get("max_age"), int(rule.get("rank", 0)), bool(rule.get("default", False)))
    return WardType(name, str(spec["code"]), float(spec["los_factor"]), tuple(spec["specialties"]),
                    spec.get("fallback"), admits, str(spec["care_level"]))
