"""The stream processor: exactly once into PostgreSQL and files, replays, duplicates, rejects, commits.

The first tests feed the Processor directly (no broker); the rest run it against the real broker.
"""
from __future__ import annotations

import json
import signal
import threading
import time

import pytest

from hospsim import events, stream
from hospsim.stream import consumer, files, inprocess, producer, sink
from hospsim.stream.processor import Processor, Record
from tests.stream.conftest import (
    cli,
    count_rows,
    file_ids,
    file_lines,
    params_file,
    summary,
    table_ids,
    wait_for,
)

STAMP = "2025-11-22T10:00:00.000Z"


def _records(params, replay, stamp: str = STAMP, shift: int = 0) -> list[Record]:
    coords = inprocess.coordinates(params, replay)
    return [Record(t, int(p), int(o) + shift, h.encode(), events.finish(v, stamp), 0)
            for t, p, o, h, v in zip(coords["topic"], coords["partition"], coords["offset"], replay["hospital_id"],
                                     replay["head"])]


def _batches(records: list[Record], size: int):
    for i in range(0, len(records), size):
        yield records[i:i + size]


def _all_ids(replay) -> set[str]:
    return set(replay["event_id"])


def test_every_event_once_in_a_table_and_once_in_a_file(make_params, stream_db, replay):
    params = make_params(None)
    p = Processor(params, stream_db)
    for batch in _batches(_records(params, replay), 300):
        p.process(batch)
    p.flush()
    p.close()
    ids = table_ids(stream_db)
    for event_type in events.EVENT_TYPES:
        assert sorted(ids[event_type]) == sorted(replay.loc[replay["event_type"] == event_type, "event_id"])
    in_files = file_ids(params)
    assert len(in_files) == len(replay) and set(in_files) == _all_ids(replay)
    names = list(file_lines(params))
    assert all(n.split("/")[1] == e["event_time"][:10] for n in names for e in file_lines(params)[n])
    assert p.stats.inserted == len(replay) and p.stats.replayed == p.stats.duplicates == p.stats.rejected == 0


def test_committable_offsets_never_pass_lines_not_yet_on_disk(make_params, stream_db, replay):
    params = make_params(None)
    records = _records(params, replay)
    p = Processor(params, stream_db)
    p.process(records[:250])
    assert p.committable() == {}, "the batch is still on its way to PostgreSQL"
    p.process(records[250:260])                    # the first batch is finished meanwhile, not this one
    seen: dict = {}
    for r in records[:250]:
        seen.setdefault((r.topic, r.partition), []).append(r.offset)
    offsets = p.committable()
    size = params.stream.file_events
    assert set(offsets) == set(seen)
    for tp, offs in seen.items():
        open_start = max(offs) - max(offs) % size
        assert offsets[tp] == min(o for o in offs if o >= open_start), "the open range is not on disk yet"
    p.flush()
    for r in records[250:260]:
        seen.setdefault((r.topic, r.partition), []).append(r.offset)
    assert p.committable() == {tp: max(offs) + 1 for tp, offs in seen.items()}
    p.close()


def test_a_crash_and_replay_from_committed_offsets_rewrites_the_same_files(make_params, stream_db, replay, pg):
    params = make_params(None, "crashed")
    records = _records(params, replay)
    first = Processor(params, stream_db)
    for batch in _batches(records[:900], 170):
        first.process(batch)
    first.flush(list(first.committable())[:4])           # some partitions written up to date, others not
    committed = first.committable()
    first.process(records[900:1100])                      # stored, never committed: then the crash
    first.close()

    second = Processor(params, stream_db)
    resume = [r for r in records if r.offset >= committed.get((r.topic, r.partition), 0)]
    assert len(resume) < len(records), "the restart resumes, it does not start over"
    for batch in _batches(resume, 230):                   # other batch edges than before the crash
        second.process(batch)
    second.flush()
    second.close()
    assert second.stats.replayed > 0 and second.stats.duplicates == 0

    clean = make_params(None, "clean", **{"kafka.topic_prefix": params.kafka.topic_prefix})
    reference = Processor(clean, stream_db)               # same db: every row is a replay of the same offsets
    for batch in _batches(_records(clean, replay), 500):
        reference.process(batch)
    reference.flush()
    reference.close()
    assert file_lines(params) == file_lines(clean)
    assert sum(len(v) for v in table_ids(stream_db).values()) == len(replay)


def test_the_same_event_produced_twice_is_stored_and_filed_once(make_params, stream_db, replay):
    params = make_params(None)
    records = _records(params, replay)
    p = Processor(params, stream_db)
    p.process(records)
    p.flush()
    before = file_lines(params)
    p.process(_records(params, replay, shift=len(replay)))    # the whole run again, at later offsets
    twin = records[5]
    p.process([twin, Record(twin.topic, twin.partition, 10**6, twin.key, twin.value)])   # redelivered + a twin
    p.flush()
    p.close()
    assert p.stats.inserted == len(replay) and p.stats.replayed == 1
    assert p.stats.duplicates == len(replay) + 1
    assert file_lines(params) == before
    assert sum(len(v) for v in table_ids(stream_db).values()) == len(replay)


def test_invalid_messages_go_to_the_dead_letter_sink_and_rejected_files(make_params, stream_db, replay):
    params = make_params(None)
    records = _records(params, replay)[:50]
    topic = stream.topics.names(params)["admission"]
    poison = [Record(topic, 0, 1000, b"H01", b"{broken"), Record(topic, 0, 1001, b"H01", None),
              Record("elsewhere", 0, 7, None, b"{}"),
              Record(topic, 1, 1000, b"H02", json.dumps({"event_type": "admission"}).encode())]
    sent = []
    p = Processor(params, stream_db, dead_letter=sent.extend)
    p.process(records[:20] + poison + records[20:])
    p.flush()
    p.close()
    assert [(r.record.topic, r.record.offset) for r in sent] == [("elsewhere", 7), (topic, 1000), (topic, 1001),
                                                                  (topic, 1000)]
    assert sum(len(v) for v in table_ids(stream_db).values()) == 50, "the valid ones went on"
    rejected = params.dirs.data_dir / "stream" / files.REJECTED_DIR
    written = {p.relative_to(rejected).as_posix(): json.loads(p.read_text()) for p in rejected.rglob("*.json")}
    assert set(written) == {f"{topic}/p000-000000001000.json", f"{topic}/p000-000000001001.json",
                            "elsewhere/p000-000000000007.json", f"{topic}/p001-000000001000.json"}
    assert written[f"{topic}/p000-000000001000.json"]["reason"].startswith("not JSON")
    assert written[f"{topic}/p000-000000001000.json"]["value"] == "{broken"
    assert "tombstone" in written[f"{topic}/p000-000000001001.json"]["reason"]
    assert "no hospsim event type" in written["elsewhere/p000-000000000007.json"]["reason"]
    assert "schema" in written[f"{topic}/p001-000000001000.json"]["reason"]


# --------------------------------------------------------------------------- on the real broker

def _produce(params, replay, bootstrap, **kwargs):
    return producer.produce(params, replay, bootstrap, **kwargs)


@pytest.mark.services
def test_kafka_every_produced_event_lands_exactly_once(kafka_broker, make_params, stream_db, replay):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap)
    report = _produce(params, replay, bootstrap)
    assert report.sent == len(replay) and report.failed == 0
    stats = consumer.run(params, stream_db, bootstrap, idle_timeout_s=2)
    assert stats.consumed == len(replay) and stats.inserted == len(replay)
    ids = table_ids(stream_db)
    for event_type in events.EVENT_TYPES:
        assert sorted(ids[event_type]) == sorted(replay.loc[replay["event_type"] == event_type, "event_id"])
    in_files = file_ids(params)
    assert len(in_files) == len(replay) and set(in_files) == set(replay["event_id"])
    from hospsim.stream import metrics
    lag = metrics.lag(params, bootstrap)
    assert len(lag) == 5 * params.kafka.partitions and (lag["lag"] == 0).all()
    assert lag["end_offset"].sum() == len(replay)


@pytest.mark.services
def test_kafka_poison_messages_go_to_the_dead_letter_topic_and_the_processor_carries_on(
        kafka_broker, make_params, stream_db, replay):
    from kafka import KafkaConsumer, KafkaProducer
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap)
    part = replay.iloc[:300]
    _produce(params, part.iloc[:150], bootstrap)
    topic = stream.topics.names(params)["admission"]
    raw = KafkaProducer(bootstrap_servers=bootstrap)
    raw.send(topic, key=b"H01", value=b"not json at all", partition=0).get(30)
    raw.send(topic, key=b"H02", value=json.dumps({"event_type": "admission", "ward": "kitchen"}).encode(),
             partition=1).get(30)
    raw.close()
    _produce(params, part.iloc[150:], bootstrap)
    stats = consumer.run(params, stream_db, bootstrap, idle_timeout_s=2)
    assert stats.rejected == 2 and stats.inserted == 300
    assert set(file_ids(params)) == set(part["event_id"])
    dead = KafkaConsumer(stream.topics.dead_letter(params), bootstrap_servers=bootstrap,
                         auto_offset_reset="earliest")
    letters = []
    wait_for(lambda: letters.extend(r for b in dead.poll(timeout_ms=500).values() for r in b) or len(letters) >= 2,
             30, "two dead letters")
    letters += [r for b in dead.poll(timeout_ms=500).values() for r in b]   # and no more
    dead.close()
    assert sorted(m.value for m in letters) == sorted([b"not json at all",
                                                       json.dumps({"event_type": "admission",
                                                                   "ward": "kitchen"}).encode()])
    reasons = {dict(m.headers)["hospsim.reason"].decode() for m in letters}
    assert any(r.startswith("not JSON") for r in reasons) and any("schema" in r for r in reasons)
    assert {dict(m.headers)["hospsim.topic"] for m in letters} == {topic.encode()}
    rejected = list((params.dirs.data_dir / "stream" / files.REJECTED_DIR / topic).glob("*.json"))
    assert len(rejected) == 2


@pytest.mark.services
def test_two_processor_instances_share_the_partitions(kafka_broker, make_params, stream_db, replay, tmp_path):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap)
    stream.topics.ensure(params, bootstrap)
    path = params_file(params, tmp_path / "params.yaml")
    procs = [cli(path, "stream", "process", "--json", "--instance", name) for name in ("a", "b")]
    _wait_members(bootstrap, params.stream.group_id, 2)
    _produce(params, replay, bootstrap, mode="rate")
    wait_for(lambda: count_rows(stream_db) == len(replay), 60, "every event stored")
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    a, b = (summary(p) for p in procs)
    assert a["partitions"] and b["partitions"], "each instance holds some partitions"
    assert not set(a["partitions"]) & set(b["partitions"])
    every = {f"{t}-{p}" for t in stream.topics.names(params).values() for p in range(params.kafka.partitions)}
    assert set(a["partitions"]) | set(b["partitions"]) == every
    assert a["consumed"] > 0 and b["consumed"] > 0 and a["consumed"] + b["consumed"] == len(replay)
    assert a["inserted"] + b["inserted"] == len(replay)
    in_files = file_ids(params)
    assert len(in_files) == len(replay) and set(in_files) == set(replay["event_id"])


def _wait_members(bootstrap: str, group: str, n: int) -> int:
    from hospsim.stream.topics import admin

    def members():
        client = admin(bootstrap)
        try:
            described = client.describe_groups([group])
        except Exception:  # noqa: BLE001 - the group is not there yet
            return 0
        finally:
            client.close()
        info = described[group] if isinstance(described, dict) else described[0]
        info = info if isinstance(info, dict) else info._asdict()
        state = info.get("group_state", info.get("state"))
        count = len(info.get("members", []))
        return count if count >= n and state == "Stable" else 0
    return wait_for(members, 60, f"{n} members in group {group}", every=0.3)


@pytest.mark.services
def test_a_killed_processor_resumes_from_committed_offsets(kafka_broker, make_params, stream_db, replay, tmp_path):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap, **{"stream.processor_batch_size": 40, "stream.events_per_second": 600})
    stream.topics.ensure(params, bootstrap)
    path = params_file(params, tmp_path / "params.yaml")
    sending = threading.Thread(target=_produce, args=(params, replay, bootstrap), kwargs={"mode": "rate"})
    victim = cli(path, "stream", "process", "--json", "--instance", "victim")
    _wait_members(bootstrap, params.stream.group_id, 1)
    sending.start()
    wait_for(lambda: count_rows(stream_db) >= len(replay) // 3, 60, "a third of the events stored")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    stored_at_kill = count_rows(stream_db)
    assert 0 < stored_at_kill < len(replay), "killed mid-stream"
    sending.join(timeout=60)
    after = summary(cli(path, "stream", "process", "--idle", "3", "--json", "--instance", "restarted"))
    assert after["consumed"] < len(replay), "it resumed from committed offsets, not from the start"
    assert after["consumed"] >= len(replay) - stored_at_kill
    ids = table_ids(stream_db)
    assert sorted(i for v in ids.values() for i in v) == sorted(replay["event_id"])
    in_files = file_ids(params)
    assert len(in_files) == len(replay) and set(in_files) == set(replay["event_id"])
    ordered = {name: [e["event_id"] for e in lines] for name, lines in file_lines(params).items()}
    expected = _expected_files(params, replay)
    assert ordered == expected, "the same files, in the same order, as one uninterrupted run"


def _expected_files(params, replay) -> dict[str, list[str]]:
    """topic/date/file -> event ids, as an uninterrupted run lays them out."""
    coords = inprocess.coordinates(params, replay)
    size = params.stream.file_events
    out: dict[str, list[str]] = {}
    for (topic, part, off), event_id, when in zip(coords.itertuples(index=False, name=None), replay["event_id"],
                                                  replay["event_time"]):
        name = f"{topic}/{str(when)[:10]}/{files.file_name(part, off - off % size)}"
        out.setdefault(name, []).append(event_id)
    return dict(sorted(out.items()))


@pytest.mark.services
def test_sigterm_stops_after_the_batch_and_commits(kafka_broker, make_params, stream_db, replay, tmp_path):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap)
    _produce(params, replay, bootstrap)
    proc = cli(params_file(params, tmp_path / "params.yaml"), "stream", "process", "--json")
    wait_for(lambda: count_rows(stream_db) == len(replay), 60, "every event stored")
    time.sleep(params.stream.commit_interval_s * 2)
    proc.send_signal(signal.SIGTERM)
    done = summary(proc, timeout=60)
    assert done["consumed"] == len(replay)
    from hospsim.stream import metrics
    assert (metrics.lag(params, bootstrap)["lag"] == 0).all(), "offsets committed on the way out"


@pytest.mark.services
def test_broker_stopped_and_restarted_mid_stream_loses_and_duplicates_nothing(kafka_jars, make_params, stream_db,
                                                                               replay, tmp_path):
    """A broker of its own (own ports and data), so the shared one stays up for the other tests."""
    from hospsim.errors import ServiceError
    from hospsim.services import kafka
    from tests.conftest import free_port
    broker = kafka.KafkaBroker(tmp_path / "own-broker", kafka_jars, port=free_port(), controller_port=free_port())
    try:
        broker.start(timeout=120)
    except ServiceError as exc:
        broker.stop(timeout=10)
        pytest.fail(f"the second Kafka broker did not start: {exc}")
    try:
        bootstrap = broker.bootstrap_servers
        params = make_params(bootstrap, **{"stream.events_per_second": 400})
        stream.topics.ensure(params, bootstrap)
        stop, outcome = threading.Event(), {}

        def consume():
            try:
                outcome["stats"] = consumer.run(params, stream_db, bootstrap, stop=stop)
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                outcome["processor"] = exc

        def send():
            try:
                outcome["report"] = producer.produce(params, replay, bootstrap, mode="rate")
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                outcome["producer"] = exc

        threads = [threading.Thread(target=consume), threading.Thread(target=send)]
        for t in threads:
            t.start()
        wait_for(lambda: count_rows(stream_db) >= len(replay) // 4, 60, "a quarter of the events stored")
        assert broker.stop() is True
        down_at = count_rows(stream_db)
        time.sleep(1)
        broker.start(timeout=120)
        threads[1].join(timeout=180)
        assert "producer" not in outcome, f"the producer failed: {outcome.get('producer')!r}"
        assert outcome["report"].sent == len(replay) and outcome["report"].failed == 0
        wait_for(lambda: count_rows(stream_db) == len(replay), 120, "every event stored after the restart")
        time.sleep(params.stream.commit_interval_s * 3)
        stop.set()
        threads[0].join(timeout=60)
        assert "processor" not in outcome, f"the processor failed: {outcome.get('processor')!r}"
        assert down_at < len(replay), "the broker went down mid-stream"
        ids = table_ids(stream_db)
        assert sorted(i for v in ids.values() for i in v) == sorted(replay["event_id"])
        in_files = file_ids(params)
        assert len(in_files) == len(replay) and set(in_files) == set(replay["event_id"])
        from hospsim.stream import metrics
        lag = metrics.lag(params, bootstrap)
        assert lag["end_offset"].sum() == len(replay), "no duplicate in Kafka either"
        assert (lag["lag"] == 0).all()
    finally:
        broker.stop(timeout=20)


def test_an_event_postgresql_refuses_is_rejected_alone(make_params, stream_db, replay):
    """Valid by the schema, not storable: an impossible date, a person id past bigint."""
    params = make_params(None)
    records = _records(params, replay)[:300]
    admissions = [r for r in records if r.topic.endswith(".admissions")]
    bad_date = json.loads(admissions[0].value) | {"planned_discharge_time": "2025-02-30T10:00:00"}
    huge_id = json.loads(admissions[1].value) | {"person_id": 2**70}
    for event in (bad_date, huge_id):
        events.decode(json.dumps(event), "admission")          # the schema has nothing against them
    swapped = {(admissions[0].partition, admissions[0].offset): bad_date,
               (admissions[1].partition, admissions[1].offset): huge_id}
    records = [Record(r.topic, r.partition, r.offset, r.key, json.dumps(swapped[(r.partition, r.offset)]).encode())
               if r.topic.endswith(".admissions") and (r.partition, r.offset) in swapped else r for r in records]
    sent = []
    p = Processor(params, stream_db, dead_letter=sent.extend)
    p.process(records)
    p.flush()
    p.close()
    assert sorted(r.reason.split(":")[0] for r in sent) == ["PostgreSQL refused it"] * 2
    assert {json.loads(r.record.value)["event_id"] for r in sent} == {bad_date["event_id"], huge_id["event_id"]}
    stored = {i for v in table_ids(stream_db).values() for i in v}
    assert len(stored) == 298 and not stored & {bad_date["event_id"], huge_id["event_id"]}
    assert set(file_ids(params)) == stored


def test_a_joining_member_takes_no_lock_the_running_ones_hold(make_params, stream_db):
    """A running member's inserts hold ROW EXCLUSIVE on the tables; CREATE INDEX IF NOT EXISTS wanted a
    SHARE lock on them even when the index was there (a deadlock with two tables). The catalog is read first."""
    from contextlib import closing
    Processor(make_params(None), stream_db).close()          # the schema is there, as for any joining member
    with closing(stream_db.connect()) as writer, closing(stream_db.connect()) as joiner:
        with writer.cursor() as cur:
            for table in events.TABLES.values():
                cur.execute(f"LOCK TABLE stream.{table} IN ROW EXCLUSIVE MODE")
        sink.ensure_schema(joiner, "stream", attempts=1)    # one try: a lock wait would raise here
        with writer.cursor() as cur:                         # and the upgrade path: a missing piece is made
            cur.execute("ROLLBACK")
            cur.execute("DROP TABLE stream.dead_letters")
        writer.commit()
        sink.ensure_schema(joiner, "stream", attempts=1)
        with joiner.cursor() as cur:
            assert sink.missing(cur, "stream") == 0
