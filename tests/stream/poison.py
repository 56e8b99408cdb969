"""A generated corpus of poison messages, each with the reason it must be rejected for.

Built from real events of the session replay: each case takes a valid event of some type and breaks one
thing (its bytes, its JSON, its schema, its key, its meaning, what PostgreSQL can store, or its id's
content). `expected` is a fragment of the reject reason, so a message rejected for the wrong reason fails
the test as surely as one accepted.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass

from hospsim import events

STAMP = "2025-11-22T10:00:00.000Z"


@dataclass(frozen=True)
class Poison:
    name: str
    event_type: str | None      # None: sent to a topic that carries no event type
    key: bytes | None
    value: bytes | None
    expected: str               # a fragment of the reject reason
    after_valid: bool = False   # its id conflicts with a valid event: it must come after that one


def base_events(replay) -> dict[str, dict]:
    """The first event of each type, decoded (the corpus mutates copies of these)."""
    out = {}
    for event_type, head in zip(replay["event_type"], replay["head"]):
        out.setdefault(event_type, json.loads(events.finish(head, STAMP)))
    return out


def _dump(event: dict) -> bytes:
    return json.dumps(event).encode()


def _raw(event: dict, field: str, literal: str) -> bytes:
    """The event with one field's JSON text replaced verbatim (NaN, Infinity, 1e400: not json.dumps-able)."""
    marker = "__POISON__"
    return _dump(event | {field: marker}).replace(f'"{marker}"'.encode(), literal.encode())


def _other_bed(bed: str, ward_beds: set[str]) -> str:
    return min(ward_beds - {bed})


def corpus(replay, rules: events.Rules) -> list[Poison]:
    base = base_events(replay)
    adm, dis, bed, tr, xf = (base[t] for t in ("admission", "discharge", "bed_status", "emergency_transport",
                                               "patient_transfer"))
    h = adm["hospital_id"]
    key = h.encode()
    other_hospital = min(rules.hospitals - {h})
    wrong_ward_bed = min(rules.beds[(h, "icu")] if adm["ward"] != "icu" else rules.beds[(h, "med_surg")])
    rnd = random.Random(16)
    cases = [
        # ---- bytes and JSON
        Poison("deep list", "admission", key, b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        Poison("deep object", "admission", key, b'{"a":' * 4000 + b"1" + b"}" * 4000, "nested too deeply"),
        Poison("deep inside a valid event", "admission", key,
               _raw(adm, "visit_id", "[" * 3000 + "]" * 3000), "nested too deeply"),
        Poison("empty bytes", "admission", key, b"", "not JSON"),
        Poison("tombstone", "admission", key, None, "tombstone"),
        Poison("not UTF-8", "admission", key, b"\xff\xfe\xfa" + _dump(adm), "not UTF-8"),
        Poison("binary garbage", "admission", key, bytes(rnd.randrange(256) for _ in range(4096)), "not"),
        Poison("truncated", "admission", key, _dump(adm)[:-7], "not JSON"),
        Poison("a list", "admission", key, b"[1, 2, 3]", "not a JSON object"),
        Poison("a string", "admission", key, b'"admission"', "not a JSON object"),
        Poison("a number", "admission", key, b"42", "not a JSON object"),
        Poison("null", "admission", key, b"null", "not a JSON object"),
        Poison("BOM", "admission", key, "\ufeff".encode() + _dump(adm), "not JSON"),
        Poison("trailing garbage", "admission", key, _dump(adm) + b" tail", "not JSON"),
        Poison("wrong type on the topic", "admission", key, _dump(dis), "event_type 'discharge'"),
        Poison("no event type topic", None, key, _dump(adm), "no hospsim event type"),
        # ---- numbers JSON does not have
        Poison("NaN stay", "admission", key, _raw(adm, "length_of_stay_days", "NaN"), "non-finite"),
        Poison("Infinity stay", "admission", key, _raw(adm, "length_of_stay_days", "Infinity"), "non-finite"),
        Poison("-Infinity stay", "discharge", dis["hospital_id"].encode(),
               _raw(dis, "length_of_stay_days", "-Infinity"), "non-finite"),
        Poison("1e400 stay", "admission", key, _raw(adm, "length_of_stay_days", "1e400"), "out of range"),
        Poison("NaN distance", "emergency_transport", tr["hospital_id"].encode(), _raw(tr, "distance_km", "NaN"),
               "non-finite"),
        Poison("Infinity distance", "patient_transfer", xf["hospital_id"].encode(),
               _raw(xf, "distance_km", "Infinity"), "non-finite"),
        Poison("5000-digit person", "admission", key, _raw(adm, "person_id", "9" * 5000), "not JSON"),
        # ---- the schema
        Poison("missing bed", "admission", key, _dump({k: v for k, v in adm.items() if k != "bed"}), "schema"),
        Poison("extra field", "admission", key, _dump(adm | {"colour": "red"}), "schema"),
        Poison("person as text", "admission", key, _dump(adm | {"person_id": "12"}), "schema"),
        Poison("person as bool", "admission", key, _dump(adm | {"person_id": True}), "schema"),
        Poison("negative stay", "admission", key, _dump(adm | {"length_of_stay_days": -1.5}), "schema"),
        Poison("unknown ward", "admission", key, _dump(adm | {"ward": "kitchen"}), "schema"),
        Poison("bad event id", "admission", key, _dump(adm | {"event_id": "not-a-uuid"}), "schema"),
        Poison("upper-case event id", "admission", key, _dump(adm | {"event_id": adm["event_id"].upper()}),
               "schema"),
        Poison("bad event time", "admission", key, _dump(adm | {"event_time": "2025-01-01 10:00"}), "schema"),
        Poison("bad produced_at", "admission", key, _dump(adm | {"produced_at": "yesterday"}), "schema"),
        Poison("schema version 2", "admission", key, _dump(adm | {"schema_version": 2}), "schema"),
        Poison("empty hospital", "admission", b"", _dump(adm | {"hospital_id": ""}), "schema"),
        Poison("long hospital", "admission", b"H" * 65, _dump(adm | {"hospital_id": "H" * 65}), "schema"),
        Poison("priority 4", "emergency_transport", tr["hospital_id"].encode(), _dump(tr | {"priority": 4}),
               "schema"),
        Poison("walk-in admission", "admission", key, _dump(adm | {"admission_type": "walk-in"}), "schema"),
        Poison("visit as number", "admission", key, _dump(adm | {"visit_id": 5}), "schema"),
        Poison("bed status maybe", "bed_status", bed["hospital_id"].encode(), _dump(bed | {"status": "maybe"}),
               "schema"),
        # ---- the key
        Poison("key of another hospital", "admission", other_hospital.encode(), _dump(adm),
               f"message key '{other_hospital}' is not"),
        Poison("unknown key", "admission", b"H99", _dump(adm), "message key 'H99' is not"),
        Poison("no key", "admission", None, _dump(adm), "no message key"),
        Poison("key not UTF-8", "admission", b"\xffH01", _dump(adm), "is not the event's hospital_id"),
        # ---- what cannot be true
        Poison("unknown hospital", "admission", b"H99", _dump(adm | {"hospital_id": "H99"}), "not in this region"),
        Poison("discharge planned before admission", "admission", key,
               _dump(adm | {"planned_discharge_time": "2024-12-31T23:59:59"}), "planned_discharge_time"),
        Poison("discharge before admit", "discharge", dis["hospital_id"].encode(),
               _dump(dis | {"admit_time": "2030-01-01T00:00:00"}), "before admit_time"),
        Poison("arrival before pickup", "emergency_transport", tr["hospital_id"].encode(),
               _dump(tr | {"arrival_time": tr["event_time"][:4] + "-01-01T00:00:00"}), "arrival_time"),
        Poison("pickup before dispatch", "emergency_transport", tr["hospital_id"].encode(),
               _dump(tr | {"pickup_time": "2000-01-01T00:00:00"}), "pickup_time"),
        Poison("transfer arrives before it leaves", "patient_transfer", xf["hospital_id"].encode(),
               _dump(xf | {"arrival_time": "2000-01-01T00:00:00"}), "arrival_time"),
        Poison("transfer requested after it left", "patient_transfer", xf["hospital_id"].encode(),
               _dump(xf | {"request_time": "2099-01-01T00:00:00"}), "event_time"),
        Poison("transfer to itself", "patient_transfer", xf["hospital_id"].encode(),
               _dump(xf | {"destination_hospital_id": xf["hospital_id"]}), "to itself"),
        Poison("transfer origin is not the hospital", "patient_transfer", xf["hospital_id"].encode(),
               _dump(xf | {"origin_hospital_id": xf["destination_hospital_id"]}), "differs from hospital_id"),
        Poison("transfer to nowhere", "patient_transfer", xf["hospital_id"].encode(),
               _dump(xf | {"destination_hospital_id": "H99"}), "'H99' is not in this region"),
        Poison("bed of another ward", "admission", key, _dump(adm | {"bed": wrong_ward_bed}), "is not a bed of"),
        Poison("bed past the ward's beds", "admission", key,
               _dump(adm | {"bed": adm["bed"].rsplit("-", 1)[0] + "-999"}), "is not a bed of"),
        Poison("bed of another hospital", "admission", key,
               _dump(adm | {"bed": other_hospital + adm["bed"][len(h):]}), "is not a bed of"),
        Poison("bed status bed outside its ward", "bed_status", bed["hospital_id"].encode(),
               _dump(bed | {"bed": "nowhere"}), "is not a bed of"),
        Poison("discharge from a bed outside its ward", "discharge", dis["hospital_id"].encode(),
               _dump(dis | {"bed": dis["hospital_id"] + "-XX-01"}), "is not a bed of"),
        # ---- valid to the schema, not storable
        Poison("30 February", "admission", key, _dump(adm | {"planned_discharge_time": "2025-02-30T10:00:00",
                                                             "event_id": _id(1)}), "PostgreSQL refused it"),
        Poison("person past bigint", "admission", key, _dump(adm | {"person_id": 2 ** 70, "event_id": _id(2)}),
               "PostgreSQL refused it"),
        Poison("NUL in an id", "admission", key, _dump(adm | {"admission_id": "A\u0000B", "event_id": _id(3)}),
               "PostgreSQL refused it"),
        # ---- an id seen before with other content
        Poison("same id, other bed", "admission", key,
               _dump(adm | {"bed": _other_bed(adm["bed"], set(rules.beds[(h, adm["ward"])]))}),
               "with other content", after_valid=True),
        Poison("same id, other person", "bed_status", bed["hospital_id"].encode(),
               _dump(bed | {"person_id": bed["person_id"] + 1}), "with other content", after_valid=True),
    ]
    return cases


def _id(n: int) -> str:
    """A fresh, well-formed event id (not one of the replay's)."""
    return f"00000000-0000-8000-8000-{n:012d}"
