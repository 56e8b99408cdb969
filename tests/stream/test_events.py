"""Events: schemas shipped as package data, deterministic ids, serialization that validates, clear rejects."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from hospsim import events
from tests.conftest import small_params
from tests.stream.conftest import SIM

UUID8 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _values(replay: pd.DataFrame, stamp: str = "2025-11-22T10:00:00.000Z") -> list[bytes]:
    return [events.finish(h, stamp) for h in replay["head"]]


def test_every_built_event_is_valid_json_matching_its_versioned_schema(replay):
    assert set(replay["event_type"]) == set(events.EVENT_TYPES), "a 10-day run has every kind of event"
    for event_type, value in zip(replay["event_type"], _values(replay)):
        event = events.decode(value, event_type)
        assert event["schema_version"] == 1 and event["produced_at"] == "2025-11-22T10:00:00.000Z"
        assert list(event) == list(events.fields(event_type)), "fields in schema order, produced_at last"
    first = events.decode(_values(replay)[0], replay["event_type"].iloc[0])
    assert first["event_id"] == replay["event_id"].iloc[0] and first["hospital_id"] == replay["hospital_id"].iloc[0]


def test_replay_is_in_simulated_time_order_and_keeps_each_hospitals_order(replay):
    times = replay["event_time"].to_numpy()
    assert (np.diff(times.astype("int64")) >= 0).all()
    decoded = [json.loads(v) for v in _values(replay)]
    assert [d["event_time"] for d in decoded] == [str(t)[:19].replace(" ", "T") for t in replay["event_time"]]


def test_event_ids_are_uuid8_unique_and_deterministic(tmp_path, replay):
    ids = replay["event_id"]
    assert ids.is_unique and ids.map(lambda s: bool(UUID8.match(s))).all()
    natural = np.array(["A20250101-000001", "A20250101-000002"], dtype=object)
    a = events.event_ids(7, "admission", natural)
    assert list(a) == list(events.event_ids(7, "admission", natural)), "same seed, same ids"
    assert not set(a) & set(events.event_ids(8, "admission", natural)), "another seed, other ids"
    assert not set(a) & set(events.event_ids(7, "discharge", natural)), "another type, other ids"


def test_same_params_same_bytes_other_seed_other_events(tmp_path, replay):
    from hospsim import simulate, stream

    def in_memory(params):
        return stream.replay(params, simulate.run(params, write=False, progress=False))

    again = in_memory(small_params(tmp_path / "a", None, dict(SIM)))
    assert list(again["head"]) == list(replay["head"]), "the events of the run's files are those simulated in memory"
    other = in_memory(small_params(tmp_path / "b", None, {**SIM, "seed": 8}))
    assert not set(other["event_id"]) & set(replay["event_id"])


@pytest.mark.parametrize("value, reason", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b"\xff\xfe", "not JSON"),
])
def test_decode_rejects_what_is_not_an_event(value, reason):
    with pytest.raises(events.InvalidEvent, match=reason):
        events.decode(value, "admission")


def test_decode_names_the_schema_violation(replay):
    row = replay[replay["event_type"] == "admission"].iloc[0]
    event = json.loads(events.finish(row["head"], "2025-11-22T10:00:00.000Z"))
    for change, reason in (({"ward": "kitchen"}, "ward must be one of"),
                           ({"person_id": "x"}, "person_id must be integer"),
                           ({"event_type": "discharge"}, "event_type 'discharge' on the admission topic"),
                           ({"extra": 1}, "must not contain"),
                           ({"produced_at": "yesterday"}, "produced_at must be date-time")):
        with pytest.raises(events.InvalidEvent, match=reason):
            events.decode(json.dumps({**event, **change}), "admission")
    missing = {k: v for k, v in event.items() if k != "bed"}
    with pytest.raises(events.InvalidEvent, match="bed"):
        events.decode(json.dumps(missing), "admission")


def test_build_refuses_an_incomplete_result(tmp_path):
    params = small_params(tmp_path, None)
    with pytest.raises(ValueError, match="lacks transfers"):
        events.build(params, {"transports": pd.DataFrame(), "admissions": pd.DataFrame(),
                              "discharges": pd.DataFrame()})


# --------------------------------------------------------------------------- the batch check vs the exact validator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_NEAR_MISSES = ["", "x", "2025-01-01T10:00:00", "2025-1-01T10:00:00", "2025-01-01 10:00:00", "2025-01-01T10:00:00Z",
                "2025-11-22T10:00:00.000Z", "2025-02-30T10:00:00.000Z", "2025-11-22T24:00:00.000Z",
                "2025-11-22T10:00:00.000+03:00", "2025-11-22T10:00:00.5Z", "5aa74f9e-2cee-85ba-9b22-ebbce1612f1e",
                "5AA74F9E-2CEE-85BA-9B22-EBBCE1612F1E", "5aa74f9e-2cee-85ba-9b22-ebbce1612f1", "H01", "icu", "free",
                "a" * 64, "a" * 65, "٣٣٣٣-٣٣-٣٣T٣٣:٣٣:٣٣"]
_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                  st.sampled_from(_NEAR_MISSES), st.text(max_size=40), st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_batch_check_never_clears_what_the_schema_rejects(replay, data):
    event_type = data.draw(st.sampled_from(events.EVENT_TYPES))
    heads = replay.loc[replay["event_type"] == event_type, "head"]
    batch = []
    for _ in range(data.draw(st.integers(1, 6))):
        event = json.loads(events.finish(data.draw(st.sampled_from(list(heads))), "2025-11-22T10:00:00.000Z"))
        action = data.draw(st.sampled_from(["keep", "set", "drop", "add", "reorder"]))
        if action == "set":
            event[data.draw(st.sampled_from(list(event)))] = data.draw(_JUNK)
        elif action == "drop":
            event.pop(data.draw(st.sampled_from(list(event))))
        elif action == "add":
            event[data.draw(st.text(min_size=1, max_size=8))] = data.draw(_JUNK)
        elif action == "reorder":
            event = dict(reversed(list(event.items())))
        batch.append(event)
    cleared = events._batch_check(event_type)(batch)
    for event, ok in zip(batch, cleared):
        exact = events._validator(event_type)
        if ok:
            exact(event)                       # raises if the batch check let through an invalid event


def test_the_batch_check_clears_every_well_formed_event(replay):
    for event_type in events.EVENT_TYPES:
        heads = replay.loc[replay["event_type"] == event_type, "head"]
        batch = [json.loads(events.finish(h, "2025-11-22T10:00:00.123Z")) for h in heads]
        assert events._batch_check(event_type)(batch).all()
        parsed, reasons = events.decode_batch([events.finish(h, "2025-11-22T10:00:00.123Z") for h in heads],
                                              event_type)
        assert parsed == batch and reasons == [None] * len(batch)
