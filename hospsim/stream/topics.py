"""Topic admin: the event topics and the dead-letter topic, created with the configured partitions and replication.

Names are <kafka.topic_prefix>.<event>, e.g. hospsim.admissions, plus <prefix>.dead-letter. The key of every
event is its hospital id and the partition is chosen here from it (partition_of), so one hospital's events
share one partition (their order is kept) and the in-process path can assign the very same partitions and
offsets without a broker.
"""
from __future__ import annotations

import functools
import logging
import time

import numpy as np

from hospsim import events
from hospsim.regions import HUB_HOSPITAL

_log = logging.getLogger(__name__)


def names(params) -> dict[str, str]:
    """event type -> topic."""
    return events.topics(params.kafka.topic_prefix)


def dead_letter(params) -> str:
    return events.dead_letter_topic(params.kafka.topic_prefix)


def all_names(params) -> list[str]:
    return [*names(params).values(), dead_letter(params)]


@functools.cache
def _murmur2_partition(key: bytes, partitions: int) -> int:
    from kafka.partitioner.default import murmur2
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def partition_of(params, hospital_id: str) -> int:
    """The region's hospitals in turn (H01 -> 0, H02 -> 1, ...), so they spread evenly over the partitions;
    Kafka's murmur2 would put H01, H02 and H03 all on partition 0 of 3. Other keys get murmur2. Beds held at
    another region's hub hospital (hospsim.regions) go where that region puts the hospital: one hospital, one
    partition, whichever region's producer sends its events."""
    own = [h.id for h in params.region.hospitals if not h.referral]
    order = {**{h.id: HUB_HOSPITAL for h in params.region.hospitals if h.referral},
             **{hid: i for i, hid in enumerate(own)}}
    n = params.kafka.partitions
    if hospital_id in order:
        return order[hospital_id] % n
    return _murmur2_partition(str(hospital_id).encode(), n)


def partitions_for(params, hospital_ids) -> np.ndarray:
    """The partition of each event's hospital key, computed once per distinct hospital."""
    keys = np.asarray(hospital_ids, dtype=object)
    if keys.size == 0:
        return np.zeros(0, dtype=np.int32)
    uniq, inverse = np.unique(keys.astype(str), return_inverse=True)
    table = np.array([partition_of(params, k) for k in uniq], dtype=np.int32)
    return table[inverse.ravel()]


def admin(bootstrap: str, **kwargs):
    from kafka import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hospsim-topics",
                            request_timeout_ms=kwargs.pop("request_timeout_ms", 15000), **kwargs)


def ensure(params, bootstrap: str) -> list[str]:
    """Create the missing topics; returns those created. A topic that exists with another partition count is
    an error: keys would land on other partitions than the in-process path and the files assume."""
    from kafka.admin import NewTopic
    from kafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError

    k = params.kafka
    wanted = all_names(params)
    client = admin(bootstrap)
    try:
        existing = set(client.list_topics())
        missing = [t for t in wanted if t not in existing]
        created = []
        for name in missing:
            try:
                client.create_topics([NewTopic(name, k.partitions, k.replication)], validate_only=False)
                created.append(name)
            except TopicAlreadyExistsError:  # another process made it meanwhile
                pass
            except InvalidReplicationFactorError as exc:
                raise ValueError(f"kafka.replication = {k.replication}: the cluster at {bootstrap} cannot place that "
                                 f"many replicas ({exc}); lower kafka.replication to at most its broker count") from None
        counts = partition_counts(client, wanted)
        deadline = time.monotonic() + 15
        while len(counts) < len(wanted) and time.monotonic() < deadline:   # new topics reach metadata late
            time.sleep(0.2)
            counts = partition_counts(client, wanted)
    finally:
        client.close()
    wrong = {t: n for t, n in counts.items() if n != k.partitions}
    if wrong:
        listed = ", ".join(f"{t} has {n}" for t, n in sorted(wrong.items()))
        raise ValueError(f"kafka.partitions = {k.partitions} but {listed}; set kafka.partitions to match, or "
                         f"delete the {k.topic_prefix}.* topics with `hospsim stream reset` (it also drops the "
                         "stream tables and data/stream/), or pick another kafka.topic_prefix")
    if created:
        _log.info("created topics %s (%d partitions, replication %d)", ", ".join(created), k.partitions, k.replication)
    return created


def partition_counts(client, topics: list[str]) -> dict[str, int]:
    described = client.describe_topics(topics)
    return {d.get("name", d.get("topic")): len(d["partitions"]) for d in described if d.get("error_code", 0) == 0}


def delete(params, bootstrap: str) -> list[str]:
    """Delete this prefix's topics (the events in them are gone; processed files and rows stay)."""
    client = admin(bootstrap)
    try:
        present = [t for t in all_names(params) if t in set(client.list_topics())]
        if present:
            client.delete_topics(present)
        return present
    finally:
        client.close()
