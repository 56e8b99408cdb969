"""The event types: one registry (hospsim/event_types.yaml), read once; hospsim.events and the stream tables
derive from it. A type is declared by its entry there and its JSON schema in event_schemas/ next to the file."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hospsim import resources
from hospsim.errors import ConfigError

REGISTRY_FILE = resources.path("event_types.yaml")
SCHEMA_DIR = "event_schemas"
KEYS = {"topic", "table", "key", "natural_id", "time_order", "from"}
TRANSFORMS = {"local", "optional", "const"}
"""How a field is taken from its frame besides a plain column: local time text, '' -> null, a constant."""


@dataclass(frozen=True)
class Source:
    """One daily frame and how each event field is taken from it: field -> column, or (transform, argument)."""
    frame: str
    fields: dict[str, str | tuple[str, Any]]


@dataclass(frozen=True)
class EventType:
    name: str
    topic: str
    table: str
    key: str
    natural_id: tuple[str, ...]
    time_order: tuple[tuple[str, str], ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Registry:
    types: dict[str, EventType]
    schema_dir: Path      # the JSON schemas: event_schemas/ next to the registry file

    @property
    def frames(self) -> tuple[str, ...]:
        """The daily frames the events come from, in first-use order."""
        return tuple(dict.fromkeys(s.frame for t in self.types.values() for s in t.sources))


def load(path: Path) -> Registry:
    """The registry at `path`; a bad entry is a ConfigError naming the type and the key."""
    if not path.is_file():
        raise ConfigError([(f"event type registry {path} is missing; point HOSPSIM_EVENT_TYPES at a copy of "
                          f"{REGISTRY_FILE}")])
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(tree, dict) or not tree:
        raise ConfigError([f"{path}: expected a mapping of event types to their entries"])
    types = {name: _entry(path, str(name), spec) for name, spec in tree.items()}
    return Registry(types, path.parent / SCHEMA_DIR)


def _entry(path: Path, name: str, spec: Any) -> EventType:
    where = f"{path}: event type {name}"
    if not isinstance(spec, dict) or set(spec) != KEYS:
        have = set(spec) if isinstance(spec, dict) else set()
        raise ConfigError([(f"{where}: needs exactly the keys {sorted(KEYS)} (missing {sorted(KEYS - have)}, "
                          f"unknown {sorted(have - KEYS)})")])
    if not isinstance(spec["from"], list) or not spec["from"]:
        raise ConfigError([f"{where}: `from` must list at least one {{frame, fields}}"])
    pairs = spec["time_order"] or []
    if any(not isinstance(p, list) or len(p) != 2 for p in pairs):
        raise ConfigError([f"{where}: time_order must list [earlier, later] pairs of fields"])
    kind = EventType(name, str(spec["topic"]), str(spec["table"]), str(spec["key"]),
                     tuple(map(str, spec["natural_id"] or ())), tuple(tuple(p) for p in pairs),
                     tuple(_source(where, s) for s in spec["from"]))
    named = {kind.key, *kind.natural_id, *(f for p in kind.time_order for f in p)}
    for source in kind.sources:
        if named - set(source.fields) or not kind.natural_id:
            raise ConfigError([(f"{where}: key, natural_id and time_order must name fields the frame "
                              f"{source.frame} maps (missing {sorted(named - set(source.fields)) or 'natural_id'})")])
    return kind


def _source(where: str, spec: Any) -> Source:
    if not isinstance(spec, dict) or set(spec) != {"frame", "fields"} or not isinstance(spec["fields"], dict):
        raise ConfigError([f"{where}: each `from` entry is {{frame: <name>, fields: {{field: column, ...}}}}"])
    fields: dict[str, str | tuple[str, Any]] = {}
    for field, how in spec["fields"].items():
        if isinstance(how, dict):
            if len(how) != 1 or set(how) - TRANSFORMS:
                raise ConfigError([f"{where}: field {field}: {how!r} is not one of {sorted(TRANSFORMS)}"])
            fields[field] = next(iter(how.items()))
        else:
            fields[field] = str(how)
    return Source(str(spec["frame"]), fields)
