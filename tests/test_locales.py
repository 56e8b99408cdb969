"""Locale profiles: each locale's formats, and no module branches on a locale name."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hospsim
from hospsim import config, documents, identity, locales
from hospsim import workforce as wf
from tests.test_workforce import make_params

PACKAGE = Path(hospsim.__file__).parent


def test_the_registry_is_the_locale_choice():
    assert config.LOCALES == tuple(locales.PROFILES) == ("pt_BR", "en_US")
    for profile in locales.PROFILES.values():
        assert set(profile.registrations) == set(wf.ROLES)
    with pytest.raises(ValueError, match="locale 'fr_FR' is not supported; use one of pt_BR, en_US"):
        locales.profile("fr_FR")


def test_no_module_branches_on_a_locale_name():
    branch = re.compile(r"""locale\s*[!=]=\s*["']|["'][a-z]{2}_[A-Z]{2}["']\s*[!=]=\s*\w*locale""")
    found = [f"{p.relative_to(PACKAGE)}:{i}" for p in sorted(PACKAGE.rglob("*.py"))
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if branch.search(line)]
    assert found == []


def test_brazilian_national_ids_are_valid_cpfs():
    ids = locales.profile("pt_BR").national_id(np.arange(50_000) + documents.NAMESPACE["staff"], 3)
    assert documents.valid_cpf(ids).all() and len(set(ids)) == ids.size
    assert all(re.fullmatch(r"\d{3}\.\d{3}\.\d{3}-\d{2}", x) for x in ids[:1000])


def test_us_national_ids_have_the_ssn_layout():
    ids = locales.profile("en_US").national_id(np.arange(50_000) + documents.NAMESPACE["staff"], 3)
    assert len(set(ids)) == ids.size
    parts = pd.Series(ids).str.extract(r"^(\d{3})-(\d{2})-(\d{4})$").astype(int)
    assert parts[0].between(1, 899).all() and (parts[0] != 666).all()
    assert (parts[1] > 0).all() and (parts[2] > 0).all()


def test_address_layouts():
    rng = np.random.default_rng(1)
    br = identity.addresses(rng, 500, "pt_BR").street_address
    us = identity.addresses(rng, 500, "en_US").street_address
    assert all(re.fullmatch(r"\D+, \d{1,4}", a) for a in br)
    assert all(re.fullmatch(r"\d{1,4} \D+", a) for a in us)
    assert locales.profile("pt_BR").number_joint == ", " and locales.profile("en_US").number_joint == " "


@pytest.mark.parametrize("locale, id_valid, registration", [
    ("pt_BR", documents.valid_cpf,
     {"physician": r"\d{6}SP", "nurse": r"COREN-SP \d{6}-ENF", "nursing_technician": r"COREN-SP \d{6}-TE"}),
    ("en_US", lambda ids: pd.Series(ids).str.fullmatch(r"\d{3}-\d{2}-\d{4}").to_numpy(),
     {"physician": r"[12]\d{9}", "nurse": r"[12]\d{9}", "nursing_technician": r"[12]\d{9}"}),
])
def test_staff_get_the_locales_ids_and_registrations(tmp_path, locale, id_valid, registration):
    staff, reserve = wf.initial_staff(make_params(tmp_path, locale=locale))
    people = pd.concat([staff, reserve], ignore_index=True)
    assert id_valid(people["national_id"]).all() and people["national_id"].is_unique
    assert people["registration"].is_unique
    for role, pattern in registration.items():
        assert people.loc[people["role"] == role, "registration"].str.fullmatch(pattern).all(), role
    if locale == "en_US":
        assert documents.valid_npi(people["registration"]).all()


def test_staff_register_in_the_region_state(tmp_path):
    staff, reserve = wf.initial_staff(make_params(tmp_path, **{"region.state": "MG", "region.area_code": None}))
    people = pd.concat([staff, reserve], ignore_index=True)
    reg = people["registration"]
    assert reg[people["role"] == "physician"].str.fullmatch(r"\d{6}MG").all()
    assert reg[people["role"] != "physician"].str.fullmatch(r"COREN-MG \d{6}-(ENF|TE)").all()
    ninth = people["national_id"].str.slice(10, 11)
    assert 0.85 < (ninth == "6").mean() < 0.95 and documents.valid_cpf(people["national_id"]).all()
