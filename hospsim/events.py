"""Hospital events for the stream: their types, versioned JSON schemas, deterministic ids and serialization.

The event types come out of a simulated period as hospsim/event_types.yaml declares them (emergency
transports, patient transfers, admissions, discharges and bed-status changes). Each is a flat JSON object
described by a schema shipped with the package (hospsim/event_schemas/<type>.v1.json). `build` turns the
simulation's frames into one replay, sorted by simulated time, with every event already serialized except
its `produced_at` stamp: the send loop then only glues on the wall-clock time, so building JSON never sits
between the producer and the broker.

    replay = events.from_result(params, hospsim.simulate.run(params, write=False))
    value = events.finish(replay.head.iloc[0], events.utc_stamp(time.time_ns() // 1_000_000))
    event = events.decode(value, "admission")       # dict, or InvalidEvent naming the problem
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
from collections.abc import Mapping
from typing import Any

import fastjsonschema
import numpy as np
import pandas as pd

from hospsim import config, eventtypes
from hospsim.errors import ConfigError, SimulationError, StreamError

SCHEMA_VERSION = 1
REGISTRY = eventtypes.load(config.EVENT_TYPES_FILE)
"""The event types (hospsim/event_types.yaml, or HOSPSIM_EVENT_TYPES): every name below derives from it."""
EVENT_TYPES = tuple(REGISTRY.types)
TOPIC_SUFFIX = {t.name: t.topic for t in REGISTRY.types.values()}
TABLES = {t.name: t.table for t in REGISTRY.types.values()}
DEAD_LETTER_SUFFIX = "dead-letter"
PRODUCED_AT = "produced_at"
_TAIL = ',"produced_at":"'
"""Every serialized event ends with this and the stamp: produced_at is the last field, added at send time."""

REPLAY_COLUMNS = ("event_id", "event_type", "hospital_id", "event_time", "head")


class InvalidEvent(StreamError, ValueError):
    """A message that is not a valid event: bad JSON, wrong type or a schema violation."""


# --------------------------------------------------------------------------- schemas

@functools.cache
def schema(event_type: str, version: int = SCHEMA_VERSION) -> dict:
    """The JSON schema of one event type, as shipped in hospsim/event_schemas."""
    return _with_registries(raw_schema(event_type, version))


def raw_schema(event_type: str, version: int = SCHEMA_VERSION) -> dict:
    """The schema file as written: a registry-valued property keeps its "x-hospsim-enum" marker."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; known: {', '.join(EVENT_TYPES)}")
    path = REGISTRY.schema_dir / f"{event_type}.v{version}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no schema version {version} for {event_type} ({path}); add it next to the "
                                "event type registry, or reinstall hospsim")
    return json.loads(path.read_text(encoding="utf-8"))


REGISTRY_ENUMS = {"ward_types": lambda: list(config.WARD_TYPES)}
"""A property marked "x-hospsim-enum": NAME takes its allowed values from that registry when the schema loads."""


def _with_registries(tree: dict) -> dict:
    for spec in tree.get("properties", {}).values():
        registry = spec.pop("x-hospsim-enum", None)
        if registry is not None:
            spec["enum"] = REGISTRY_ENUMS[registry]()
    return tree


def fields(event_type: str) -> tuple[str, ...]:
    """Property names in schema order (produced_at last)."""
    return tuple(schema(event_type)["properties"])


@functools.cache
def _validator(event_type: str):
    """fastjsonschema compiles the schema to Python: ~5 us an event where jsonschema takes ~130 us."""
    return fastjsonschema.compile(schema(event_type))


def decode(value: bytes | str, event_type: str, key: bytes | str | None = None,
           rules: Rules | None = None) -> dict:
    """Parse and validate one message (and, given the region's rules, its key and meaning); InvalidEvent
    says what is wrong."""
    event = _parse(value, event_type)
    _check(event, event_type)
    if rules is not None:
        why = check_semantics(event, event_type, key, rules)
        if why is not None:
            raise InvalidEvent(why)
    return event


def _not_finite(name: str):
    raise InvalidEvent(f"non-finite number {name} (JSON has no NaN or Infinity)")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InvalidEvent(f"number {text[:40]} is out of range (it would be stored as infinity)")
    return number


_DECODER = json.JSONDecoder(parse_constant=_not_finite, parse_float=_finite)
"""Strict JSON: NaN, Infinity and numbers past the float range are refused, not stored."""


def _parse(value: bytes | str | None, event_type: str) -> dict:
    """One message to a dict of the topic's type; any failure at all is an InvalidEvent (a poison message
    must never stop the processor, whatever it holds)."""
    if value is None:
        raise InvalidEvent("empty message (a tombstone)")
    try:
        text = value.decode("utf-8") if isinstance(value, (bytes, bytearray, memoryview)) else value
        event = _DECODER.decode(text)
    except InvalidEvent:
        raise
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"not JSON: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise InvalidEvent("not JSON that can be read: nested too deeply (an event is a flat object)") from None
    except (ValueError, TypeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - MemoryError and the like: still a reject, never a crash
        raise InvalidEvent(f"not decodable: {type(exc).__name__}: {exc}") from None
    if not isinstance(event, dict):
        raise InvalidEvent(f"not a JSON object but {type(event).__name__}")
    if event.get("event_type") != event_type:
        raise InvalidEvent(f"event_type {str(event.get('event_type'))[:80]!r} on the {event_type} topic")
    return event


def _check(event: dict, event_type: str) -> None:
    try:
        _validator(event_type)(event)
    except fastjsonschema.JsonSchemaException as exc:
        raise InvalidEvent(f"{event_type}.v{SCHEMA_VERSION} schema: {exc.message}") from None


def decode_batch(values: list, event_type: str, keys: list | None = None,
                 rules: Rules | None = None) -> tuple[list[dict | None], list[str | None]]:
    """decode() for many messages of one type: (events, reasons), one of the two None per message.

    Parsing is per message; the schema is checked over the whole batch at once (_BatchCheck), and only the
    messages that check cannot clear go through the exact validator, which then names the problem. Given
    the message keys and the region's rules, what the schema cannot see is checked too (check_semantics).
    """
    parsed: list[dict | None] = []
    reasons: list[str | None] = []
    for value in values:
        try:
            parsed.append(_parse(value, event_type))
            reasons.append(None)
        except InvalidEvent as exc:
            parsed.append(None)
            reasons.append(str(exc))
    index = [i for i, e in enumerate(parsed) if e is not None]
    cleared = _batch_check(event_type)([parsed[i] for i in index])
    for i, ok in zip(index, cleared):
        if not ok:
            try:
                _check(parsed[i], event_type)
            except InvalidEvent as exc:
                parsed[i], reasons[i] = None, str(exc)
    if rules is not None:
        for i, event in enumerate(parsed):
            if event is not None:
                why = check_semantics(event, event_type, None if keys is None else keys[i], rules)
                if why is not None:
                    parsed[i], reasons[i] = None, why
    return parsed, reasons


# --------------------------------------------------------------------------- what the schema cannot see

@dataclasses.dataclass(frozen=True)
class Rules:
    """The region an event must fit: its hospitals and the bed labels of each (hospital, ward)."""
    hospitals: frozenset
    beds: Mapping   # (hospital id, ward type) -> frozenset of bed labels


def rules(params) -> Rules:
    """The region's hospitals and beds, labelled as the simulation labels them (hospsim.daily.layout); a state's
    are every region's (a hub's held beds under the hub's id)."""
    from hospsim import daily, regions
    hospitals: set = set()
    beds: dict = {}
    for one in [r.params for r in regions.expand(params)] if regions.is_state(params) else [params]:
        lay = daily.layout(one)
        hospitals.update(map(str, lay.hospital_ids))
        for h, w, label in zip(lay.slot_hospital, lay.slot_ward, lay.slot_label):
            beds.setdefault((str(lay.hospital_ids[h]), config.WARD_TYPES[w]), set()).add(str(label))
    return Rules(frozenset(hospitals), {k: frozenset(v) for k, v in beds.items()})


def check_semantics(event: dict, event_type: str, key: bytes | str | None, rules: Rules) -> str | None:
    """Why a schema-valid event cannot be true, or None: its Kafka key is not its hospital, a hospital
    outside the region, times out of order, or a bed that is not in its ward."""
    hospital = event["hospital_id"]
    if key is None:
        return f"no message key; the key must be the event's hospital_id {hospital!r}"
    key_text = key.decode("utf-8", errors="replace") if isinstance(key, (bytes, bytearray)) else str(key)
    if key_text != hospital:
        return f"message key {key_text[:64]!r} is not the event's hospital_id {hospital!r}"
    named = [hospital]
    if event_type == "patient_transfer":
        named += [event["origin_hospital_id"], event["destination_hospital_id"]]
        if event["origin_hospital_id"] != hospital:
            return f"origin_hospital_id {event['origin_hospital_id']!r} differs from hospital_id {hospital!r}"
        if event["destination_hospital_id"] == hospital:
            return f"a transfer from {hospital!r} to itself"
    unknown = [h for h in named if h not in rules.hospitals]
    if unknown:
        return f"hospital {unknown[0]!r} is not in this region ({', '.join(sorted(rules.hospitals))})"
    for early, late in REGISTRY.types[event_type].time_order:
        if event[late] < event[early]:
            return f"{late} {event[late]} is before {early} {event[early]}"
    if "bed" in event and event["bed"] not in rules.beds.get((hospital, event["ward"]), ()):
        return f"bed {event['bed'][:64]!r} is not a bed of the {event['ward']} ward of {hospital}"
    return None


UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
LOCAL_TIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"
_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "null": (type(None),),
               "boolean": (bool,)}
_KNOWN = {"type", "const", "enum", "pattern", "format", "minLength", "maxLength", "minimum", "maximum",
          "description"}


def _layout(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Per position of a fixed-layout string: the required character (0 = any digit)."""
    want = np.array([0 if c == "9" else ord(c) for c in text], dtype=np.uint32)
    return want, want == 0


class _BatchCheck:
    """The schema of one type turned into whole-column numpy checks. True clears an event; False only means
    'ask the exact validator' (which also covers key orders, nulls or forms this check does not know), so
    the check can never let through what the schema rejects. A schema keyword it does not know turns it off.
    """

    def __init__(self, event_type: str):
        sch = schema(event_type)
        props = sch["properties"]
        self.keys = tuple(props)
        self.enabled = sch.get("additionalProperties") is False and set(sch["required"]) == set(props) and all(
            set(rule) <= _KNOWN and rule.get("pattern", UUID_PATTERN) in (UUID_PATTERN, LOCAL_TIME_PATTERN)
            and rule.get("format", "date-time") == "date-time" for rule in props.values())
        signatures = [()]
        for rule in props.values():
            kinds = rule.get("type") or type(rule.get("const", rule.get("enum", [""])[0])).__name__
            kinds = [kinds] if isinstance(kinds, str) else kinds
            allowed = tuple(t for k in kinds for t in _JSON_TYPES.get(k, ()) or (
                (str,) if k == "str" else (int,) if k == "int" else ()))
            signatures = [sig + (t,) for sig in signatures for t in allowed]
        self.signatures = set(signatures)
        self.rules = props

    def __call__(self, batch: list[dict]) -> np.ndarray:
        n = len(batch)
        if not self.enabled or n == 0:
            return np.zeros(n, dtype=bool)
        keys, sigs = self.keys, self.signatures
        ok = np.fromiter((tuple(e) == keys and tuple(map(type, e.values())) in sigs for e in batch), bool, n)
        shaped = np.flatnonzero(ok)
        if shaped.size == 0:
            return ok
        rows = [batch[i] for i in shaped]
        good = np.ones(len(rows), dtype=bool)
        for name, rule in self.rules.items():
            good &= self._column([e[name] for e in rows], rule)
        ok[shaped] = good
        return ok

    @staticmethod
    def _column(values: list, rule: dict) -> np.ndarray:
        good = np.ones(len(values), dtype=bool)
        kinds = rule.get("type", ())
        nullable = "null" in kinds if isinstance(kinds, list) else kinds == "null"
        # the type signature already held: a column that cannot be null holds only its own type
        present = np.fromiter((v is not None for v in values), bool, len(values)) if nullable else good.copy()
        if "const" in rule:
            good &= np.fromiter((v == rule["const"] for v in values), bool, len(values))
        if "enum" in rule:
            good &= np.isin(np.array(values, dtype=object), np.array(rule["enum"], dtype=object))
        if "pattern" in rule or "format" in rule or "minLength" in rule or "maxLength" in rule:
            arr = np.array([v if isinstance(v, str) else "" for v in values] if nullable else values, dtype=str)
            length = np.char.str_len(arr)
            if "minLength" in rule:
                good &= (length >= rule["minLength"]) | ~present
            if "maxLength" in rule:
                good &= (length <= rule["maxLength"]) | ~present
            if "pattern" in rule:
                uuid = rule["pattern"] == UUID_PATTERN
                layout = "ffffffff-ffff-ffff-ffff-ffffffffffff" if uuid else "9999-99-99T99:99:99"
                good &= _BatchCheck._fixed(arr, length, layout, hex_digits=uuid) | ~present
            if rule.get("format") == "date-time":
                fixed = _BatchCheck._fixed(arr, length, "9999-99-99T99:99:99.999Z")
                parsed = pd.to_datetime(pd.Series(np.where(fixed, arr, "")), format="%Y-%m-%dT%H:%M:%S.%fZ",
                                        errors="coerce")
                good &= (fixed & parsed.notna().to_numpy()) | ~present
        numeric = {"minimum", "maximum"} & set(rule)
        if numeric:
            try:
                number = np.array(values, dtype=float)
            except (TypeError, OverflowError):   # a null, or an integer beyond any float
                number = np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 2**53
                                   else np.nan for v in values], dtype=float)
            inside = ~np.isnan(number)
            if "minimum" in rule:
                inside &= number >= rule["minimum"]
            if "maximum" in rule:
                inside &= number <= rule["maximum"]
            good &= inside | ~present
        return good

    @staticmethod
    def _fixed(arr: np.ndarray, length: np.ndarray, layout: str, hex_digits: bool = False) -> np.ndarray:
        """Strings of exactly the layout: '9' a digit, 'f' a lowercase hex digit, anything else itself."""
        width = len(layout)
        out = length == width
        if not out.any():
            return out
        codes = np.zeros((len(arr), width), dtype=np.uint32)
        sized = arr[out].astype(f"U{width}")
        codes[out] = sized.view(np.uint32).reshape(-1, width)
        want = np.array([ord(c) for c in layout], dtype=np.uint32)
        digit = (codes >= ord("0")) & (codes <= ord("9"))
        hexa = digit | ((codes >= ord("a")) & (codes <= ord("f")))
        is_digit, is_hex = want == ord("9"), want == ord("f")
        match = np.where(is_digit, digit, np.where(is_hex, hexa, codes == want))
        return out & match.all(axis=1)


@functools.cache
def _batch_check(event_type: str) -> _BatchCheck:
    return _BatchCheck(event_type)


def topic(prefix: str, event_type: str) -> str:
    return f"{prefix}.{TOPIC_SUFFIX[event_type]}"


def topics(prefix: str) -> dict[str, str]:
    """event type -> topic name."""
    return {t: topic(prefix, t) for t in EVENT_TYPES}


def dead_letter_topic(prefix: str) -> str:
    return f"{prefix}.{DEAD_LETTER_SUFFIX}"


# --------------------------------------------------------------------------- ids and stamps

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HASH_KEYS = ("hospsim-event-id", "hospsim-evt-id-2")  # two 64-bit SipHash keys -> 128 bits


def event_ids(seed: int, event_type: str, natural_ids) -> np.ndarray:
    """UUID-formatted ids (version 8, RFC 9562) from a hash of seed, event type and natural id, vectorized.

    The same run gives the same ids, so a replayed or re-produced event is recognized downstream; another
    seed gives other ids even where natural ids like A20250101-000001 repeat.
    """
    names = pd.Series(np.asarray(natural_ids, dtype=object), dtype=object)
    names = (f"{seed}|{event_type}|" + names.astype(str)).to_numpy(dtype=object)
    if names.size == 0:
        return np.zeros(0, dtype=object)
    words = np.stack([pd.util.hash_array(names, hash_key=key) for key in _HASH_KEYS], axis=1)
    raw = words.astype(">u8").view(np.uint8).reshape(-1, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x80       # version 8: custom
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80       # RFC 9562 variant
    hexed = np.empty((raw.shape[0], 32), dtype=np.uint8)
    hexed[:, 0::2], hexed[:, 1::2] = _HEX[raw >> 4], _HEX[raw & 0x0F]
    dashed = np.full((raw.shape[0], 36), ord("-"), dtype=np.uint8)
    for lo, hi, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        dashed[:, at:at + hi - lo] = hexed[:, lo:hi]
    return dashed.view("S36").ravel().astype(str).astype(object)


def utc_stamp(epoch_ms: int) -> str:
    """2025-11-22T01:02:03.456Z"""
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def finish(head: bytes, stamp: str | bytes) -> bytes:
    """The message value: a serialized event with its produced_at stamp."""
    return head + (stamp.encode() if isinstance(stamp, str) else stamp) + b'"}'


# --------------------------------------------------------------------------- from the simulation

def _local(values) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DDTHH:MM:SS' (None for NaT), vectorized."""
    arr = np.asarray(pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[s]"))
    out = np.datetime_as_string(arr, unit="s").astype(object)
    out[np.isnat(arr)] = None
    return out


def _optional(values) -> np.ndarray:
    """'' or NaN -> None, so optional ids are JSON null."""
    arr = pd.Series(values, dtype=object).to_numpy(dtype=object, copy=True)
    missing = pd.isna(arr) | (arr == "")
    arr[missing] = None
    return arr


def _field(frame: pd.DataFrame, how) -> Any:
    """One event field from its frame, as the registry maps it (hospsim/event_types.yaml)."""
    if isinstance(how, str):
        return frame[how]
    transform, arg = how
    return {"local": lambda: _local(frame[arg]), "optional": lambda: _optional(frame[arg]),
            "const": lambda: arg}[transform]()


def _payload(kind: eventtypes.EventType, frames: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, np.ndarray]:
    """(columns in schema order minus produced_at, natural ids) of one event type: each source frame's rows
    mapped field by field, the sources concatenated in registry order."""
    names = [f for f in fields(kind.name) if f not in _COMMON]
    parts = []
    for source in kind.sources:
        frame = frames[source.frame].reset_index(drop=True)
        if set(source.fields) != set(names):
            raise ConfigError([(
                f"event type {kind.name}, frame {source.frame}: fields {sorted(source.fields)} differ from its "
                f"schema's {sorted(names)}")])
        parts.append(pd.DataFrame({f: _field(frame, source.fields[f]) for f in names}))
    cols = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    natural = cols[kind.natural_id[0]]
    for name in kind.natural_id[1:]:
        natural = natural.astype(str) + ":" + cols[name]
    return cols, np.asarray(natural, dtype=object)


_COMMON = ("event_id", "event_type", "schema_version", PRODUCED_AT)
"""Fields every event has, filled by build() rather than from a frame."""


def build(params, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One replay of every event in simulated-time order: event_id, event_type, hospital_id, event_time, head.

    `frames` holds the simulation's frames the registry names (REGISTRY.frames). `head` is the event
    serialized up to its produced_at value (see finish). Ties in time keep type order, then natural order,
    so the replay is the same for the same run.
    """
    missing = [k for k in REGISTRY.frames if k not in frames]
    if missing:
        raise SimulationError(f"the simulation result lacks {', '.join(missing)}; pass hospsim.simulate.run(...)'s result")
    parts = []
    for order, (event_type, kind) in enumerate(REGISTRY.types.items()):
        cols, natural = _payload(kind, frames)
        n = len(cols)
        if n == 0:
            continue
        ids = event_ids(params.seed, event_type, natural)
        body = pd.DataFrame({"event_id": ids, "event_type": event_type, "schema_version": SCHEMA_VERSION})
        body = pd.concat([body, cols.reset_index(drop=True)], axis=1)
        names = [f for f in fields(event_type) if f != PRODUCED_AT]
        if list(body.columns) != names:
            raise AssertionError(f"{event_type}: columns {list(body.columns)} differ from its schema {names}")
        text = body.to_json(orient="records", lines=True, force_ascii=False, double_precision=10)
        text = text.rstrip("\n")[:-1]  # every record ends with "}": replace each with the produced_at tail
        heads = (text.replace("}\n", _TAIL + "\n") + _TAIL).encode()
        parts.append(pd.DataFrame({
            "event_id": ids, "event_type": event_type, "hospital_id": body[kind.key].to_numpy(dtype=object),
            "event_time": pd.to_datetime(body["event_time"]).to_numpy(dtype="datetime64[s]"),
            "head": np.array(heads.split(b"\n"), dtype=object), "_order": order, "_seq": np.arange(n)}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REPLAY_COLUMNS})
    replay = pd.concat(parts, ignore_index=True)
    order = np.lexsort((replay["_seq"].to_numpy(), replay["_order"].to_numpy(), replay["event_time"].to_numpy()))
    replay = replay.iloc[order].reset_index(drop=True)
    if replay["event_id"].duplicated().any():
        dup = replay.loc[replay["event_id"].duplicated(), "event_id"].iloc[0]
        raise AssertionError(f"event id {dup} is not unique; natural ids must be unique per type")
    return replay[list(REPLAY_COLUMNS)]


def from_result(params, result: Any) -> pd.DataFrame:
    """build() from a hospsim.simulate.run result (attributes) or a mapping of frames."""
    if isinstance(result, Mapping):
        return build(params, result)
    return build(params, {k: getattr(result, k) for k in REGISTRY.frames if hasattr(result, k)})
