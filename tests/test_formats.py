"""Digits into patterns and numbered ids: the one formatter each that documents, identity and ids share."""
from __future__ import annotations

import numpy as np

from hospsim import formats


def test_digits_fill_the_hashes_and_keep_the_rest():
    digits = np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 9], [0] * 11])
    got = formats.digit_pattern(digits, "###.###.###-##")
    assert got.tolist() == ["123.456.789-09", "000.000.000-00"] and got.dtype == object
    assert formats.digit_pattern(np.zeros((0, 2), int), "#-#").tolist() == []


def test_numbered_ids_are_zero_padded():
    assert formats.numbered("S", [1, 42, 1234567]).tolist() == ["S000001", "S000042", "S1234567"]
    assert formats.numbered("V20250201-", np.arange(1, 3), width=6).tolist() == ["V20250201-000001",
                                                                                 "V20250201-000002"]
