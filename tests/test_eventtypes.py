"""The event-type registry: its checks, and an event type added in two files (a registry entry and its JSON
schema) that flows from the simulation through the events and the in-process stream into a table of its own."""
from __future__ import annotations

import json
import os
import shutil
from contextlib import closing

import pytest
import yaml

from hospsim import config, events, eventtypes
from hospsim.errors import ConfigError
from tests.conftest import hospsim_cli, own_database, small_params

CENSUS_SNAPSHOT = {
    "topic": "census-snapshots", "table": "census_snapshots", "key": "hospital_id",
    "natural_id": ["hospital_id", "ward", "event_time"], "time_order": [],
    "from": [{"frame": "census", "fields": {"event_time": {"local": "date"}, "hospital_id": "hospital_id",
                                            "ward": "ward", "beds": "beds", "occupied": "occupied",
                                            "note": {"const": None}}}]}


def _schema(name: str) -> dict:
    """A JSON schema in the shipped ones' style: the common fields, then the census counts and a null."""
    props = {"event_id": {"type": "string", "pattern": events.UUID_PATTERN}, "event_type": {"const": name},
             "schema_version": {"const": 1}, "event_time": {"type": "string", "pattern": events.LOCAL_TIME_PATTERN},
             "hospital_id": {"type": "string", "minLength": 1, "maxLength": 64},
             "ward": {"type": "string", "x-hospsim-enum": "ward_types"},
             "beds": {"type": "integer", "minimum": 0},
             "occupied": {"type": "integer", "minimum": 0, "maximum": 10_000},
             "note": {"type": ["string", "null"], "maxLength": 64},
             "produced_at": {"type": "string", "format": "date-time"}}
    return {"type": "object", "additionalProperties": False, "required": list(props), "properties": props}


def _registry_with(tmp_path, **extra) -> str:
    """A copy of the registry and its schemas in tmp_path, with `extra` entries (and their schemas) added."""
    shutil.copytree(eventtypes.REGISTRY_FILE.parent / eventtypes.SCHEMA_DIR, tmp_path / eventtypes.SCHEMA_DIR)
    for name in extra:
        (tmp_path / eventtypes.SCHEMA_DIR / f"{name}.v1.json").write_text(json.dumps(_schema(name), indent=2))
    tree = yaml.safe_load(eventtypes.REGISTRY_FILE.read_text(encoding="utf-8")) | extra
    path = tmp_path / "event_types.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    return str(path)


def test_the_shipped_registry_names_every_event_type_its_topic_and_table():
    assert events.EVENT_TYPES == ("emergency_transport", "patient_transfer", "admission", "discharge", "bed_status")
    assert events.topics("h")["bed_status"] == "h.bed-status" and events.TABLES["admission"] == "admissions"
    assert events.REGISTRY.frames == ("transports", "transfers", "admissions", "discharges")


@pytest.mark.parametrize("change, message", [
    ({"topic": None}, "needs exactly the keys"),
    ({"natural_id": ["no_such_field"]}, "missing ['no_such_field']"),
    ({"time_order": [["event_time"]]}, "time_order must list"),
    ({"from": []}, "at least one"),
])
def test_a_bad_registry_names_the_type_and_the_key(tmp_path, change, message):
    entry = {k: v for k, v in (CENSUS_SNAPSHOT | change).items() if v is not None}
    path = tmp_path / "event_types.yaml"
    path.write_text(yaml.safe_dump({"census_snapshot": entry}))
    with pytest.raises(ConfigError, match="census_snapshot") as caught:
        eventtypes.load(path)
    assert message in str(caught.value)


@pytest.mark.services
def test_a_new_event_type_in_the_registry_flows_from_the_simulation_to_its_stream_table(tmp_path, pg, pg_admin):
    """census_snapshot, added to a copy of event_types.yaml with its JSON schema, is built from the census
    frame, sent through the in-process stream and stored in a table made from its schema."""
    name = "eventtypes_test"
    db = own_database(pg, pg_admin, name)
    tree = small_params(tmp_path, db, {"kafka.enabled": False, "simulation.population": 20_000,
                                       "simulation.days": 7, "simulation.warmup_days": 2}).to_dict()
    params_path = tmp_path / "p.yaml"
    params_path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
           config.EVENT_TYPES_ENV: _registry_with(tmp_path, census_snapshot=CENSUS_SNAPSHOT)}

    hospsim_cli(env, "simulate", "-f", str(params_path), "--no-progress")
    hospsim_cli(env, "stream", "produce", "-f", str(params_path), "--json")

    census = [p for p in (tmp_path / "data").rglob("census_*.csv")]
    rows = sum(len(p.read_text().splitlines()) - 1 for p in census)
    with closing(db.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT event_id), min(occupied), count(note), "
                    "min(kafka_topic), min(event_time::time) FROM stream.census_snapshots")
        stored, distinct, occupied, notes, topic, time_of_day = cur.fetchone()
        cur.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = 'stream' "
                    "AND table_name = 'census_snapshots' AND column_name IN ('beds', 'occupied') ORDER BY column_name")
        types = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT count(*) FROM stream.admissions")
        admissions = cur.fetchone()[0]
    assert census and stored == distinct == rows > 0, "one event per census row, each with its own id"
    assert occupied >= 0 and notes == 0 and topic.endswith(".census-snapshots") and str(time_of_day) == "00:00:00"
    assert types == ["bigint", "smallint"], "beds (no maximum) is bigint, occupied (0..10000) smallint"
    assert admissions > 0, "the shipped event types flow as before"
