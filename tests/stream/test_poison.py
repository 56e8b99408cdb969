"""The poison corpus (tests/stream/poison.py): every case rejected once, for its reason; the valid ones land.

The first test feeds the Processor directly, then replays everything through a second one (a restart, or
another member after a rebalance): no dead letter is sent twice. The second runs the corpus through the
real broker and counts the dead-letter topic.
"""
from __future__ import annotations

import json
from contextlib import closing

import numpy as np
import pytest

from hospsim import events
from hospsim.stream import consumer, files, topics
from hospsim.stream.processor import Processor, Record
from tests.stream.conftest import table_ids, wait_for
from tests.stream.poison import STAMP, corpus
from tests.stream.test_processor import _records

POISON_OFFSET = 100_000


def _poison_records(params, cases) -> list[Record]:
    names = topics.names(params)
    out = []
    for i, case in enumerate(cases):
        topic = names[case.event_type] if case.event_type else "elsewhere"
        key_text = case.key.decode("utf-8", errors="replace") if case.key else ""
        partition = topics.partition_of(params, key_text) if case.key else 0
        out.append(Record(topic, partition, POISON_OFFSET + i, case.key, case.value, 0))
    return out


def _stream(params, replay, cases):
    """Batches: the first 200 valid events, or more until each event type's first is in (the corpus's conflicts
    refer to them), then poison mixed in."""
    head = max(200, int(np.flatnonzero(~replay["event_type"].duplicated().to_numpy()).max()) + 1)
    valid = _records(params, replay, STAMP)[:head + 200]
    base_ids = {json.loads(r.value)["event_id"] for r in valid[:head]}
    poison = _poison_records(params, cases)
    batches = [valid[:head]]
    rest = valid[head:]
    chunks = [poison[i:i + 9] for i in range(0, len(poison), 9)]
    for n, chunk in enumerate(chunks):
        batches.append(chunk + rest[n * 18:(n + 1) * 18])
    batches.append(rest[len(chunks) * 18:])
    return valid, base_ids, poison, batches


def _ledger(pg_info) -> list[tuple]:
    with closing(pg_info.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT kafka_topic, kafka_partition, kafka_offset, sent_at IS NOT NULL FROM stream.dead_letters")
        return cur.fetchall()


def test_every_poison_message_is_rejected_once_for_its_reason(make_params, stream_db, replay):
    params = make_params(None)
    cases = corpus(replay, events.rules(params))
    assert len(cases) >= 50
    valid, base_ids, poison, batches = _stream(params, replay, cases)
    firsts = {json.loads(events.finish(h, STAMP))["event_id"] for h in replay.groupby("event_type")["head"].first()}
    assert firsts <= base_ids, "the conflicts' originals come first"
    sent = []
    p = Processor(params, stream_db, dead_letter=sent.extend)
    for batch in batches:
        p.process(batch)          # never raises, whatever the batch holds
    p.flush()
    p.close()

    by_offset = {r.record.offset: r for r in sent if r.record.offset >= POISON_OFFSET}
    assert len(sent) == len(by_offset) == len(cases), "each poison message once, nothing else"
    wrong = [(c.name, by_offset[POISON_OFFSET + i].reason) for i, c in enumerate(cases)
             if c.expected not in by_offset[POISON_OFFSET + i].reason]
    assert not wrong, f"rejected for another reason than expected: {wrong}"
    stored = table_ids(stream_db)
    assert sorted(i for v in stored.values() for i in v) == sorted(json.loads(r.value)["event_id"] for r in valid)
    rejected = list((params.dirs.data_dir / "stream" / files.REJECTED_DIR).rglob("*.json"))
    assert len(rejected) == len(cases)
    assert sorted(_ledger(stream_db)) == sorted((r.topic, r.partition, r.offset, True) for r in poison)

    again = []                    # a restart reads it all again: nothing stored twice, no dead letter twice
    second = Processor(params, stream_db, dead_letter=again.extend)
    for batch in batches:
        second.process(batch)
    second.flush()
    second.close()
    assert again == []
    assert second.stats.inserted == 0 and second.stats.replayed == len(valid)
    assert len(list((params.dirs.data_dir / "stream" / files.REJECTED_DIR).rglob("*.json"))) == len(cases)
    print(f"\npoison corpus: {len(cases)} messages, {len(by_offset)} quarantined, "
          f"{len(cases) - len(by_offset)} wrongly accepted, 0 crashes")


def test_two_members_on_the_same_rejects_send_each_dead_letter_once(make_params, stream_db, replay):
    """A member whose heartbeat expired goes on with its batch while the next owner reads the same offsets:
    the ledger lets one of them send each dead letter."""
    import threading
    params = make_params(None)
    cases = corpus(replay, events.rules(params))
    poison = _poison_records(params, [c for c in cases if not c.after_valid])
    sent: list = []
    lock = threading.Lock()

    def sink(items):
        with lock:
            sent.extend(items)
    members = [Processor(params, stream_db, dead_letter=sink) for _ in range(2)]
    go = threading.Barrier(2)

    def work(p):
        go.wait()
        p.process(poison)
        p.flush()
    threads = [threading.Thread(target=work, args=(p,)) for p in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for p in members:
        p.close()
    assert sorted(r.record.offset for r in sent) == sorted(r.offset for r in poison)


@pytest.mark.services
def test_the_corpus_through_the_broker_fills_the_dead_letter_topic_once(kafka_broker, make_params, stream_db,
                                                                        replay):
    from kafka import KafkaConsumer, KafkaProducer
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap)
    cases = [c for c in corpus(replay, events.rules(params)) if c.event_type is not None]
    topics.ensure(params, bootstrap)
    part = replay.iloc[:300]
    from hospsim.stream import producer
    producer.produce(params, part, bootstrap)
    raw = KafkaProducer(bootstrap_servers=bootstrap)
    names = topics.names(params)
    for case in cases:
        key_text = case.key.decode("utf-8", errors="replace") if case.key else ""
        partition = topics.partition_of(params, key_text) if case.key else 0
        raw.send(names[case.event_type], key=case.key, value=case.value, partition=partition)
    raw.flush(timeout=60)
    raw.close(timeout=10)
    stats = consumer.run(params, stream_db, bootstrap, idle_timeout_s=3)
    assert stats.rejected == len(cases) and stats.inserted == len(part)
    dead = KafkaConsumer(topics.dead_letter(params), bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    letters: list = []
    wait_for(lambda: letters.extend(r for b in dead.poll(timeout_ms=500).values() for r in b)
             or len(letters) >= len(cases), 60, "every dead letter")
    letters += [r for b in dead.poll(timeout_ms=1000).values() for r in b]
    dead.close()
    assert len(letters) == len(cases)
    origins = {tuple(dict(m.headers)[h] for h in ("hospsim.topic", "hospsim.partition", "hospsim.offset"))
               for m in letters}
    assert len(origins) == len(cases), "no message twice"


def test_another_message_at_a_reused_offset_is_another_dead_letter(make_params, stream_db):
    """Topics deleted and made again (or an in-process rerun of other params) reuse offsets: the ledger tells
    the messages apart, and still sends each one once."""
    params = make_params(None)
    topic = topics.names(params)["admission"]
    sent: list = []
    for value in (b"{first", b"{first", b"{second", b"{second"):
        p = Processor(params, stream_db, dead_letter=sent.extend)
        p.process([Record(topic, 0, 5, b"H01", value)])
        p.flush()
        p.close()
    assert [r.record.value for r in sent] == [b"{first", b"{second"]
    assert len(_ledger(stream_db)) == 2
