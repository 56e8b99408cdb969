"""The contract's id functions: the internacao key and back."""
from __future__ import annotations

import pytest

from hospsim.errors import OltpError
from hospsim.oltp.world import admission_of, internacao_id


def test_the_id_is_hospital_date_and_sequence():
    assert internacao_id("A20250210-000123", "H01") == 100_000_000_000_000 + 20250210_000123
    assert internacao_id("A20250210-000001", "H12") == 12 * 10**14 + 20250210 * 10**6 + 1


@pytest.mark.parametrize("admission, hospital", [("A20250210-000123", "H01"), ("A20991231-999999", "H99"),
                                                 ("A20250101-000001", "H07")])
def test_admission_of_reverses_internacao_id(admission, hospital):
    assert admission_of(internacao_id(admission, hospital)) == (admission, hospital)


@pytest.mark.parametrize("admission, hospital", [("V20250210-000123", "H01"), ("A2025021-000123", "H01"),
                                                 ("A20250210-000123", "X01"), ("A20250210-1234567", "H01")])
def test_ids_of_another_shape_are_refused(admission, hospital):
    with pytest.raises(OltpError, match="A20250210-000123 and H01"):
        internacao_id(admission, hospital)


@pytest.mark.parametrize("number", [0, 20250210_000001, 10**14 + 20250210 * 10**6, 42])
def test_numbers_not_made_by_internacao_id_are_refused(number):
    with pytest.raises(OltpError, match="not made by"):
        admission_of(number)
