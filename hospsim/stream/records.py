"""What the stream's rooms hand each other: a record as read from a topic, and a record refused with its reason.

In a module of their own so the processor, the sink (rows) and the range files share them without importing
each other.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class Record:
    """The fields of a kafka-python ConsumerRecord the processor reads (a ConsumerRecord works as is)."""
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = -1


@dataclass(frozen=True)
class Rejected:
    record: Record
    reason: str


def plain(r) -> Record:
    """A Record of any record-like object (a ConsumerRecord holds more than the processor keeps)."""
    return Record(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)


def digest(r: Record) -> str:
    """Tells two messages at one offset apart (a topic deleted and made again, an in-process rerun)."""
    h = hashlib.md5(usedforsecurity=False)
    for part in (r.key, r.value):
        h.update(b"-" if part is None else b"+" + len(part).to_bytes(8, "big") + part)
    return h.hexdigest()


def conflict(event_id: str, topic: str, partition: int, offset: int) -> str:
    """Why an event id seen before with other content is refused."""
    return (f"event id {event_id} was seen before ({topic}-{partition}@{offset}) with other content: a conflict, "
            "not a duplicate; the first one stands")
