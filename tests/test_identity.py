"""Vectorized identities: right shapes and formats, right sex, unique ids, reproducible from a seed."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from faker.providers.person.en_US import Provider as UsPerson
from faker.providers.person.pt_BR import Provider as BrPerson

from hospsim import documents, identity


def rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


def starts_with_any(names, firsts) -> np.ndarray:
    firsts = sorted(set(firsts), key=len, reverse=True)
    return np.array([any(n.startswith(f + " ") for f in firsts) for n in names])


@pytest.mark.parametrize("locale, provider", [("pt_BR", BrPerson), ("en_US", UsPerson)])
def test_names_follow_sex(locale, provider):
    sex = np.array(["F", "M"] * 1000)
    names = identity.person_names(rng(), sex, locale)
    assert names.dtype == object and names.shape == (2000,) and all(isinstance(x, str) for x in names)
    female_only = set(provider.first_names_female) - set(provider.first_names_male)
    male_only = set(provider.first_names_male) - set(provider.first_names_female)
    assert starts_with_any(names[sex == "F"], provider.first_names_female).all()
    assert starts_with_any(names[sex == "M"], provider.first_names_male).all()
    assert not starts_with_any(names[sex == "F"], male_only).any()
    assert not starts_with_any(names[sex == "M"], female_only).any()
    assert len(set(names)) > 1500  # varied, not a handful repeated


def test_brazilian_names_carry_two_different_surnames():
    names = identity.person_names(rng(), np.array(["M"] * 3000), "pt_BR")
    last = sorted(set(BrPerson.last_names), key=len, reverse=True)
    ends = [next(s for s in last if n.endswith(" " + s)) for n in names]
    before = [n[: -len(s) - 1] for n, s in zip(names, ends)]
    assert all(any(b.endswith(" " + s) for s in last) for b in before)
    # 1 in 102 would repeat if drawn independently; only "Costa" after "da Costa"-like pairs may look alike
    assert sum(b.endswith(" " + e) for b, e in zip(before, ends)) < 5


def test_families_share_their_last_surname():
    family = np.repeat(np.arange(500), 4)
    sex = np.array(["F", "M"] * 1000)
    for locale in identity.LOCALES:
        names = identity.person_names(rng(), sex, locale, family=family)
        last = pd.Series([n.rsplit(" ", 1)[1] for n in names])
        assert (last.groupby(family).nunique() == 1).all()
        assert last.groupby(family).first().nunique() > 50


def test_us_names_follow_faker_frequencies():
    names = identity.person_names(rng(), np.array(["M"] * 20_000), "en_US")
    first = pd.Series([n.split(" ")[0] for n in names]).value_counts(normalize=True)
    weights = pd.Series(dict(UsPerson.first_names_male))
    expected = weights / weights.sum()
    top = expected.idxmax()
    assert abs(first[top] - expected[top]) < 0.01
    assert first.index[0] in expected.nlargest(5).index


def test_phones_match_locale_formats():
    br = identity.phones(rng(), 5000, "pt_BR")
    assert all(re.fullmatch(r"\+55 \d\d 9\d{4}-\d{4}", p) for p in br)
    assert len({p[4:6] for p in br}) > 20  # Faker's DDDs, not one
    us = identity.phones(rng(), 5000, "en_US")
    assert all(re.fullmatch(r"[2-9]\d\d[2-9]\d{6}|[2-9]\d\d-[2-9]\d\d-\d{4}|\([2-9]\d\d\)[2-9]\d\d-\d{4}", p) for p in us)
    assert {"(", "-"} <= set("".join(us))
    assert len(set(br)) == 5000


def test_addresses_are_consistent_per_street():
    a = identity.addresses(rng(), 20_000, "pt_BR")
    line = a.one_line()
    assert all(re.fullmatch(r".+, \d+ - .+, \d{5}-\d{3}", x) for x in line[:2000])
    frame = pd.DataFrame({"street": a.street, "postcode": a.postcode, "hood": a.neighborhood})
    assert (frame.groupby("street")[["postcode", "hood"]].nunique() == 1).all().all()
    prefixes = pd.Series([s.split(" ")[0] for s in a.street_address]).value_counts(normalize=True)
    assert prefixes.index[0] == "Rua" and 0.5 < prefixes["Rua"] < 0.7
    us = identity.addresses(rng(), 2000, "en_US")
    assert all(re.fullmatch(r"\d+ \S.* \S+, \d{5}", x) for x in us.one_line())
    assert (us.neighborhood == "").all()


def test_national_ids_unique_and_valid():
    idx = np.arange(200_000) + documents.NAMESPACE["population"]
    cpf = identity.national_ids(idx, 42, "pt_BR")
    assert cpf.dtype == object and documents.valid_cpf(cpf).all() and len(set(cpf)) == idx.size
    assert (cpf[:100] == documents.cpf(idx[:100], 42)).all()
    ssn = identity.national_ids(idx, 42, "en_US")
    assert len(set(ssn)) == idx.size
    parts = pd.Series(ssn).str.extract(r"^(\d{3})-(\d{2})-(\d{4})$").astype(int)
    area, group, serial = parts[0], parts[1], parts[2]
    assert area.between(1, 899).all() and (area != 666).all() and (group > 0).all() and (serial > 0).all()
    assert not (identity.national_ids(idx[:1000], 43, "en_US") == ssn[:1000]).all()


def test_sampling_table_keeps_weights_and_rare_entries():
    p = np.array([0.5, 0.3, 0.2 - 1e-7, 1e-7, 0.0])
    table = identity.sampling_table(p)
    freq = np.bincount(table, minlength=p.size) / table.size
    assert np.allclose(freq[:3], p[:3], atol=1e-4)
    assert freq[3] > 0 and freq[4] == 0
    draws = identity.draw(rng(), table, 100_000)
    assert abs((draws == 0).mean() - 0.5) < 0.01 and not (draws == 4).any()


def test_same_generator_state_same_identities():
    sex = np.array(["F", "M", "F"] * 100)
    for locale in identity.LOCALES:
        one = (identity.person_names(rng(1), sex, locale), identity.phones(rng(1), 300, locale),
               identity.addresses(rng(1), 300, locale).one_line())
        two = (identity.person_names(rng(1), sex, locale), identity.phones(rng(1), 300, locale),
               identity.addresses(rng(1), 300, locale).one_line())
        other = identity.person_names(rng(2), sex, locale)
        assert all((a == b).all() for a, b in zip(one, two))
        assert not (one[0] == other).all()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="sex must be 'F' or 'M'; found 'X'"):
        identity.person_names(rng(), np.array(["F", "X"]))
    with pytest.raises(ValueError, match="locale 'fr_FR' is not supported"):
        identity.phones(rng(), 3, "fr_FR")


def test_phones_take_the_given_area_codes():
    codes = np.array([31, 11, 85] * 100)
    phones = identity.phones(rng(), 300, "pt_BR", codes)
    assert (pd.Series(phones).str.slice(4, 6).astype(int).to_numpy() == codes).all()
    assert pd.Series(phones).str.fullmatch(r"\+55 \d\d 9\d{4}-\d{4}").all()


def test_unique_addresses_with_postcodes_in_the_state():
    a = identity.addresses(rng(), 50_000, "pt_BR", "PE", unique=True)
    line = pd.Series(a.one_line())
    assert line.is_unique
    five = pd.Series(a.postcode).str.slice(0, 5).astype(int)
    assert five.between(50000, 56999).all()                            # Correios: Pernambuco
    plain = identity.addresses(rng(), 50_000, "pt_BR")
    assert not pd.Series(plain.one_line()).is_unique                    # without unique=, numbers repeat
    two = identity.street_postcodes("pt_BR", "AM")                      # a state of two CEP ranges
    inside = [(69000 <= int(c[:5]) <= 69299) or (69400 <= int(c[:5]) <= 69899) for c in two]
    assert all(inside)
    with pytest.raises(Exception, match="XX"):
        identity.street_postcodes("pt_BR", "XX")


def test_origins_keep_minors_home_and_send_a_share_elsewhere():
    adult = np.arange(100_000) % 4 != 0
    born = identity.origins(rng(), adult, "pt_BR", "RJ", None, 0.2)
    home = born.area_code == 21                                          # Rio's capital DDD when none is given
    assert home[~adult].all()
    assert abs((~home[adult]).mean() - 0.2) < 0.01
    assert (born.cpf_region[home] == 7).all() and set(born.cpf_region[~home]) >= {0, 1, 8}
    assert identity.origins(rng(), adult, "en_US", "RJ", None, 0.2) == (None, None)


def test_region_digit_cpfs_are_unique_and_valid_across_namespaces():
    idx = np.concatenate([np.arange(50_000) + documents.NAMESPACE[k] for k in documents.NAMESPACE])
    digit = np.arange(idx.size) % 10
    cpf = identity.national_ids(idx, 42, "pt_BR", digit)
    assert documents.valid_cpf(cpf).all() and pd.Series(cpf).is_unique
    assert (pd.Series(cpf).str.slice(10, 11).astype(int).to_numpy() == digit).all()
