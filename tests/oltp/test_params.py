"""The oltp parameters: the original variables, and clear refusals of values that cannot work."""
from __future__ import annotations

import pytest

from hospsim import config
from hospsim.config import ConfigError


def load(tmp_path, overrides=None, environ=None):
    return config.load(None, overrides, environ=environ or {}, dotenv=tmp_path / "none.env")


def test_original_variables_and_new_keys(tmp_path):
    p = load(tmp_path, {"oltp.stream.inserts.pacientes": 0.5},
             {"STREAM_INTERVAL_SECONDS": "0.5", "BATCH_SIZE": "10", "MAX_JITTER_MS": "0", "SEED_PACIENTES": "300",
              "STREAM_EVENTS_PER_SECOND": "250", "STREAM_MAX_EVENTS": "99"})
    s = p.oltp.stream
    assert (s.interval_seconds, s.batch_size, s.max_jitter_ms, s.events_per_second, s.max_events) == (
        0.5, 10, 0, 250.0, 99)
    assert p.oltp.seed.pacientes == 300 and s.inserts.pacientes == 0.5 and s.inserts.consultas == 0.40


BAD = [
    ({"oltp.schema": "Oltp-1"}, "oltp.schema = 'Oltp-1': use lowercase letters, digits and _"),
    ({"oltp.slot": "1slot"}, "oltp.slot = '1slot'"),
    ({"oltp.topic_prefix": "a b"}, "oltp.topic_prefix = 'a b': Kafka topic names"),
    ({"oltp.seed.pacientes_convenios": 30, "oltp.seed.pacientes": 5, "oltp.seed.convenios": 4},
     "at most pacientes x convenios = 20 distinct pairs"),
    ({"oltp.seed.pacientes": 0}, "oltp.seed.consultas = 4000: needs oltp.seed.pacientes >= 1"),
    ({"oltp.stream.updates": {"pacientes": 0, "consultas": 0, "exames": 0, "internacoes": 0}},
     "oltp.stream.updates: all weights are 0"),
    ({"oltp.stream.inserts.exames": -1}, "oltp.stream.inserts.exames = -1: must be >= 0"),
    ({"oltp.snapshot_mode": "sometimes"}, "oltp.snapshot_mode = 'sometimes': must be one of"),
    ({"oltp.seed.as_of": "yesterday"}, "oltp.seed.as_of = 'yesterday': expected a date"),
]


@pytest.mark.parametrize(("override", "message"), BAD, ids=[next(iter(o)) for o, _ in BAD])
def test_bad_oltp_values_are_refused_with_the_fix(tmp_path, override, message):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, override)
    assert message in str(err.value)


def test_all_update_weights_zero_is_fine_when_nothing_updates(tmp_path):
    p = load(tmp_path, {"oltp.stream.insert_ratio": 1,
                        "oltp.stream.updates": {"pacientes": 0, "consultas": 0, "exames": 0, "internacoes": 0}})
    assert p.oltp.stream.insert_ratio == 1.0
