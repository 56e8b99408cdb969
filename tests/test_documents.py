"""CPF/CNPJ check digits against known documents; uniqueness across indexes and namespaces."""
from __future__ import annotations

import numpy as np
import pytest

from hospsim import documents as d


def test_known_valid_and_invalid_documents():
    assert d.valid_cpf(["529.982.247-25", "52998224725", "111.111.111-11", "529.982.247-26", "123"]).tolist() == [
        True, True, False, False, False]
    assert d.valid_cnpj(["11.222.333/0001-81", "11222333000181", "11.222.333/0001-80", "00.000.000/0000-00"]).tolist() == [
        True, True, False, False]


def test_cpfs_are_valid_formatted_and_unique_across_namespaces():
    n = 200_000
    people = d.cpf(np.arange(n) + d.NAMESPACE["population"], 7)
    staff = d.cpf(np.arange(n) + d.NAMESPACE["staff"], 7)
    both = np.concatenate([people, staff])
    assert d.valid_cpf(both).all()
    assert len(np.unique(both)) == 2 * n
    assert all(len(c) == 14 and c[3] == "." and c[7] == "." and c[11] == "-" for c in both[:100])


def test_same_index_in_two_namespaces_does_not_look_alike():
    a = d.cpf(np.arange(1000), 7)
    b = d.cpf(np.arange(1000) + d.NAMESPACE["staff"], 7)
    shared_tail = np.mean([x[4:11] == y[4:11] for x, y in zip(a, b)])
    assert shared_tail < 0.05


def test_seed_changes_documents_and_index_range_is_checked():
    assert (d.cpf(np.arange(50), 1) != d.cpf(np.arange(50), 2)).any()
    with pytest.raises(ValueError, match="out of range"):
        d.crm(np.array([900_000]), 1)


def test_cnpj_crm_coren_shapes_and_uniqueness():
    cnpj = d.cnpj(np.arange(5000), 3)
    assert d.valid_cnpj(cnpj).all() and len(set(cnpj)) == 5000 and cnpj[0][10:16] == "/0001-"
    crm = d.crm(np.arange(5000), 3, "RJ")
    assert len(set(crm)) == 5000 and all(c.endswith("RJ") and c[:6].isdigit() for c in crm)
    coren = d.coren(np.arange(3), 3)
    assert all(c.startswith("COREN-SP ") for c in coren)


def test_npis_pass_the_luhn_check_cms_publishes():
    # CMS's worked example: base 123456789 gets check digit 3 (Luhn over 80840 + the digits)
    assert d.valid_npi(["1234567893", "1234567890", "3234567891", "123456789", "12345678a3"]).tolist() == [
        True, False, False, False, False]
    npi = d.npi(np.arange(100_000), 5)
    assert d.valid_npi(npi).all() and len(set(npi)) == npi.size
    assert {x[0] for x in npi} == {"1", "2"}
    assert not (d.npi(np.arange(100), 6) == npi[:100]).all()


def test_ssns_avoid_areas_never_issued():
    ssn = d.ssn(np.arange(200_000), 11)
    assert len(set(ssn)) == ssn.size
    area = np.array([int(x[:3]) for x in ssn])
    assert (area >= 1).all() and (area < 900).all() and (area != 666).all()
    assert all(x[3] == "-" and x[6] == "-" and x[7:] != "0000" and x[4:6] != "00" for x in ssn)


def test_coren_category_follows_the_number():
    assert all(c.startswith("COREN-RJ ") and c.endswith("-TE") for c in d.coren(np.arange(3), 3, "RJ", "TE"))
    assert [c[:-4] for c in d.coren(np.arange(3), 3, category="ENF")] == list(d.coren(np.arange(3), 3))
