"""Topic admin on the real broker: names, partitions, replication, and the partition of each hospital."""
from __future__ import annotations

import pytest

from hospsim.stream import topics
from tests.conftest import small_params


def test_the_regions_hospitals_spread_over_the_partitions(tmp_path):
    params = small_params(tmp_path, None, {"kafka.partitions": 2})
    assert [topics.partition_of(params, h) for h in ("H01", "H02", "H03")] == [0, 1, 0]
    assert list(topics.partitions_for(params, ["H03", "H01", "H03", "H02"])) == [0, 0, 0, 1]
    other = topics.partition_of(params, "H99")
    assert other == topics.partition_of(params, "H99") and other in (0, 1), "unknown keys: Kafka's murmur2"


def test_names_follow_the_prefix(tmp_path):
    params = small_params(tmp_path, None, {"kafka.topic_prefix": "lab"})
    assert topics.names(params) == {"emergency_transport": "lab.emergency-transports",
                                    "patient_transfer": "lab.patient-transfers", "admission": "lab.admissions",
                                    "discharge": "lab.discharges", "bed_status": "lab.bed-status"}
    assert topics.dead_letter(params) == "lab.dead-letter"


@pytest.mark.services
def test_ensure_creates_every_topic_with_its_partitions_once(kafka_broker, make_params):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap, **{"kafka.partitions": 4})
    assert sorted(topics.ensure(params, bootstrap)) == sorted(topics.all_names(params))
    assert topics.ensure(params, bootstrap) == []
    client = topics.admin(bootstrap)
    try:
        assert topics.partition_counts(client, topics.all_names(params)) == {t: 4 for t in topics.all_names(params)}
    finally:
        client.close()
    fewer = make_params(bootstrap, **{"kafka.partitions": 2, "kafka.topic_prefix": params.kafka.topic_prefix})
    with pytest.raises(ValueError, match=r"kafka.partitions = 2 but .*admissions has 4.*`hospsim stream reset`") as info:
        topics.ensure(fewer, bootstrap)
    named = info.value.args[0].split("`")[1].split()       # the command it names exists
    from hospsim import cli
    with pytest.raises(SystemExit) as done:
        cli.main([*named[1:], "--help"])
    assert done.value.code == 0
    assert set(topics.delete(params, bootstrap)) == set(topics.all_names(params))


@pytest.mark.services
def test_more_replicas_than_brokers_is_explained(kafka_broker, make_params):
    bootstrap = kafka_broker.bootstrap_servers
    params = make_params(bootstrap, **{"kafka.replication": 3})
    with pytest.raises(ValueError, match="kafka.replication = 3.*lower kafka.replication"):
        topics.ensure(params, bootstrap)
