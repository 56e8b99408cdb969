"""Property tests of the event validator (hospsim.events.decode_batch and check_semantics), with Hypothesis.

Whatever the bytes, the validator answers with an event or a reason and never raises; the whole-batch
check never clears what the exact JSON-schema validator refuses; and keys, time order and numbers that
JSON does not have are judged the same way for every value Hypothesis tries.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospsim import events
from tests.conftest import small_params
from tests.stream.conftest import SIM
from tests.stream.poison import base_events

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
             | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=80))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> events.Rules:
    return events.rules(small_params(tmp_path_factory.mktemp("rules"), None, dict(SIM)))


@pytest.fixture(scope="module")
def bases(replay) -> dict[str, dict]:
    return base_events(replay)


def _judge(value, event_type, key, rules):
    parsed, reasons = events.decode_batch([value], event_type, [key], rules)
    assert (parsed[0] is None) != (reasons[0] is None), "an event or a reason, never both or neither"
    return parsed[0], reasons[0]


def _exact_ok(event, event_type) -> bool:
    try:
        events._validator(event_type)(event)
        return True
    except Exception:  # noqa: BLE001 - any refusal of the exact validator
        return False


@PROPERTY
@given(data=st.binary(max_size=3000), event_type=st.sampled_from(events.EVENT_TYPES))
def test_any_bytes_get_an_answer_never_an_exception(rules, data, event_type):
    event, reason = _judge(data, event_type, b"H01", rules)
    assert event is None and isinstance(reason, str) and reason


@PROPERTY
@given(depth=st.integers(min_value=1, max_value=60_000), opener=st.sampled_from(["[", '{"a":']))
def test_any_nesting_depth_is_a_reject_not_a_crash(rules, depth, opener):
    closer = "]" if opener == "[" else "}"
    event, reason = _judge((opener * depth + "1" + closer * depth).encode(), "admission", b"H01", rules)
    assert event is None and reason


@PROPERTY
@given(event_type=st.sampled_from(events.EVENT_TYPES), change=st.data())
def test_the_batch_check_never_clears_what_the_schema_refuses(rules, bases, event_type, change):
    event = dict(bases[event_type])
    field = change.draw(st.sampled_from([*event, "extra_field"]))
    action = change.draw(st.sampled_from(["set", "drop"]))
    if action == "drop":
        event.pop(field, None)
    else:
        event[field] = change.draw(json_value)
    value = json.dumps(event).encode()
    got, reason = _judge(value, event_type, str(event.get("hospital_id", "")).encode(), rules)
    exact = _exact_ok(json.loads(value), event_type)
    if got is not None:
        assert exact, f"accepted what the schema refuses: {field} = {event.get(field)!r}"
        assert events.check_semantics(got, event_type, got["hospital_id"], rules) is None
    elif exact and isinstance(json.loads(value).get("hospital_id"), str):
        assert reason and "schema" not in reason, "a schema-valid event refused for its schema"


@PROPERTY
@given(event_type=st.sampled_from(events.EVENT_TYPES), key=st.binary(max_size=12) | st.none())
def test_an_event_is_accepted_only_under_its_hospitals_key(rules, bases, event_type, key):
    event = bases[event_type]
    got, reason = _judge(json.dumps(event).encode(), event_type, key, rules)
    if key == event["hospital_id"].encode():
        assert got == event
    else:
        assert got is None and ("message key" in reason)


_NUMERIC = {t: [f for f, rule in events.schema(t)["properties"].items()
                if rule.get("type") in ("number", "integer")] for t in events.EVENT_TYPES}


@PROPERTY
@given(event_type=st.sampled_from(events.EVENT_TYPES), change=st.data(),
       literal=st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e309", "2e308"]))
def test_numbers_json_does_not_have_are_refused(rules, bases, event_type, change, literal):
    event = bases[event_type]
    field = change.draw(st.sampled_from(_NUMERIC[event_type]))
    value = json.dumps(event | {field: "__X__"}).encode().replace(b'"__X__"', literal.encode())
    got, reason = _judge(value, event_type, event["hospital_id"].encode(), rules)
    assert got is None and ("non-finite" in reason or "out of range" in reason)


_ORDER = [(t.name, early, late) for t in events.REGISTRY.types.values() for early, late in t.time_order]


@PROPERTY
@given(case=st.sampled_from(_ORDER), change=st.data(),
       moment=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_times_out_of_order_are_refused_and_in_order_accepted(rules, bases, case, change, moment):
    event_type, early, late = case
    event = dict(bases[event_type])
    which = change.draw(st.sampled_from([early, late]))
    event[which] = moment.strftime("%Y-%m-%dT%H:%M:%S")
    got, reason = _judge(json.dumps(event).encode(), event_type, event["hospital_id"].encode(), rules)
    in_order = all(event[b] >= event[a] for a, b in events.REGISTRY.types[event_type].time_order)
    assert (got is not None) == in_order, reason
    if not in_order:
        assert "is before" in reason


@PROPERTY
@given(event_type=st.sampled_from(["admission", "discharge", "bed_status"]), change=st.data())
def test_a_bed_is_accepted_only_in_its_own_ward(rules, bases, event_type, change):
    event = dict(bases[event_type])
    every_bed = sorted(b for beds in rules.beds.values() for b in beds)
    bed = change.draw(st.sampled_from(every_bed) | st.text(min_size=1, max_size=20))
    event["bed"] = bed
    got, reason = _judge(json.dumps(event).encode(), event_type, event["hospital_id"].encode(), rules)
    mine = bed in rules.beds[(event["hospital_id"], event["ward"])]
    assert (got is not None) == mine, reason

