"""Households from types: matching by age, families with a plausible mother, nobody under 18 alone."""
from __future__ import annotations

import numpy as np

from hospsim import config, households


def _shape():
    return config.load(environ={}).population.households


def test_match_takes_each_pool_member_once_and_keeps_bounds():
    rng = np.random.default_rng(1)
    pool = np.arange(100, 160)
    pool_age = np.repeat(np.arange(20, 40), 3)                     # three people of each age 20..39
    want = np.full(90, 30)
    got = households.match(rng, want, want - 5, want + 5, pool, pool_age)
    matched = got[got >= 0]
    assert len(set(matched)) == matched.size                         # nobody twice
    ages = pool_age[matched - 100]
    assert ages.min() >= 25 and ages.max() <= 35
    assert matched.size == 33                                        # everyone aged 25..35, and no one else
    exact = households.match(rng, np.array([30]), np.array([30]), np.array([30]), pool, pool_age)
    assert pool_age[exact[0] - 100] == 30


def test_match_returns_minus_one_without_a_fit():
    rng = np.random.default_rng(2)
    got = households.match(rng, np.array([70]), np.array([65]), np.array([75]), np.arange(5), np.full(5, 30))
    assert got.tolist() == [-1]


def _people(n, seed=3):
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 90, n)
    female = rng.random(n) < 0.51
    return age, female


def test_build_gives_every_child_an_adult_and_a_mother_of_plausible_age():
    age, female = _people(20_000)
    household, place = households.build(np.random.default_rng(4), age, female, _shape(), 2.8)
    assert (household >= 0).all()
    size = np.bincount(household)
    assert abs(size.mean() - 2.8) < 0.02
    assert 0.17 < (size == 1).mean() < 0.21
    assert (age[size[household] == 1] >= 18).all()                  # one-person households: adults only
    adults = np.bincount(household, weights=age >= 18, minlength=size.size)
    assert (adults[household[age < 18]] > 0).all()
    heads = np.flatnonzero(place == households.HEAD)
    assert np.bincount(household[heads], minlength=size.size).max() == 1
    head_of = np.full(size.size, -1)
    head_of[household[heads]] = heads
    kids = np.flatnonzero(place == households.CHILD)
    parent = head_of[household[kids]]
    mothers = female[parent]
    gap = age[parent] - age[kids]
    assert 0.9 < mothers.mean() < 0.99                              # single fathers: single_father_share
    assert gap[mothers].min() >= 15 and gap[mothers].max() <= 49
    assert gap.min() >= 15


def test_build_is_deterministic_per_generator():
    age, female = _people(5000)
    one = households.build(np.random.default_rng(7), age, female, _shape(), 2.8)
    two = households.build(np.random.default_rng(7), age, female, _shape(), 2.8)
    assert all((a == b).all() for a, b in zip(one, two))


def test_tiny_and_adultless_populations_still_get_households():
    for age in (np.array([40]), np.array([3, 5]), np.array([30, 2, 70])):
        household, _ = households.build(np.random.default_rng(0), age, np.ones(age.size, bool), _shape(), 2.8)
        assert (household >= 0).all()
