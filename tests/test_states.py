"""The states table: 27 units, area codes and CEP ranges that never overlap, CPF digits 0-9; region.state checked."""
from __future__ import annotations

import itertools

import pytest

from hospsim import documents, states
from hospsim.config import ConfigError


def test_the_table_covers_every_state_once_without_overlaps():
    assert set(states.STATES) == set(documents.UF)
    codes = [c for s in states.STATES.values() for c in s.area_codes]
    assert len(codes) == len(set(codes)) == 67                          # Anatel's 67 DDDs
    ranges = sorted(r for s in states.STATES.values() for r in s.postcodes)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    assert {s.cpf_digit for s in states.STATES.values()} == set(range(10))
    assert states.STATES["SP"].cpf_digit == 8 and states.STATES["MG"].cpf_digit == 6
    assert states.postcode_of("30130-000") == "MG" and states.postcode_of("01310-100") == "SP"
    assert states.postcode_of("00500-000") is None and states.postcode_of("abc") is None


@pytest.mark.parametrize("overrides, message", [
    ({"region.state": "XX"}, r"region.state = 'XX': not a Brazilian state code"),
    ({"region.state": "mg"}, r"did you mean MG\?"),
    ({"region.state": "MG"}, r"region.area_code = 11: not an area code of MG"),
    ({"population.households.one_person": 0.5}, r"must sum to at most 1"),
    ({"population.households.mother_age_at_birth": [{"min_age": 12, "max_age": 19, "share": 1}]}, r"within 15-49"),
])
def test_bad_region_and_household_params_are_named(params_factory, overrides, message):
    with pytest.raises(ConfigError, match=message):
        params_factory(overrides)


def test_a_us_region_ignores_the_state(params_factory):
    assert params_factory({"locale": "en_US", "region.state": "CA"}).region.state == "CA"
