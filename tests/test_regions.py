"""A state expands into regions from a few numbers, the same way every time, each region a valid world."""
from __future__ import annotations

import pytest

from hospsim import config, regions, run
from hospsim.errors import ConfigError


def state(**overrides):
    return config.load("params/state.yaml", overrides, environ={}, dotenv="no-such.env")


def test_the_preset_is_a_state_of_at_least_20_regions_summing_to_its_people():
    params = state()
    every = regions.expand(params)
    assert len(every) == params.state.regions >= 20
    assert sum(r.params.simulation.population for r in every) == params.state.people == 10_000_000
    for r in every:
        config.validate(r.params)                       # each region is an ordinary single-region world
        assert not regions.is_state(r.params)
        assert r.data_dir == params.dirs.data_dir / "regions" / r.slug
    assert len({r.params.seed for r in every}) == len(every)
    assert len({run.run_id(r.params) for r in every}) == len(every)
    ids = [h.id for r in every for h in r.params.region.hospitals if not h.referral]
    assert len(ids) == len(set(ids))
    held = {h.id for r in every for h in r.params.region.hospitals if h.referral}
    assert params.state.cross_region_transfers and len(held) == 1 and held <= set(ids)


def test_expanding_twice_gives_the_same_regions():
    assert regions.expand(state()) == regions.expand(state())


def test_a_region_depends_on_its_number_not_on_how_many_regions_follow():
    """Its seed stream is keyed by the region: region 3 of a 5-region state has region 3's seed of a 30-region one."""
    small, big = regions.expand(state(**{"state.regions": 5})), regions.expand(state(**{"state.regions": 30}))
    assert [r.params.seed for r in small] == [r.params.seed for r in big[:5]]
    assert small[2].params.region.hospitals[0].id == big[2].params.region.hospitals[0].id == "R003H01"


def test_other_seeds_give_other_sizes_and_region_seeds():
    a, b = state(), state(seed=7)
    assert list(regions.sizes(a)) != list(regions.sizes(b))
    assert regions.region_seed(a, 1) != regions.region_seed(b, 1)


def test_no_spread_gives_equal_regions():
    sizes = regions.sizes(state(**{"state.size_spread": 0, "state.people": 1003, "state.regions": 10}))
    assert sorted(sizes) == [100] * 7 + [101] * 3 and sizes.sum() == 1003


def test_beds_per_person_follow_the_region_template():
    params = state(**{"state.cross_region_transfers": False})
    template_beds = sum(w.beds for h in params.region.hospitals for w in h.wards)
    per_person = template_beds / params.simulation.population
    for r in regions.expand(params):
        beds = sum(w.beds for h in r.params.region.hospitals for w in h.wards)
        people = r.params.simulation.population
        assert beds == pytest.approx(per_person * people, rel=0.05, abs=len(r.params.region.hospitals) * 7)
        assert len(r.params.region.hospitals) == max(1, round(people / 100_000))


def test_a_state_needs_a_person_a_region():
    with pytest.raises(ConfigError, match="state.people = 3 is fewer than state.regions = 4"):
        regions.sizes(state(**{"state.regions": 4, "state.people": 3}))


def test_one_region_params_are_not_a_state():
    params = config.load("params/workshop.yaml", environ={}, dotenv="no-such.env")
    assert not regions.is_state(params)
    with pytest.raises(ConfigError, match="state.regions is 0"):
        regions.expand(params)


def test_cross_region_transfers_hold_a_share_of_the_hubs_first_hospital_for_the_others():
    plain = regions.expand(state(**{"state.regions": 6, "state.cross_region_transfers": False}))
    pact = regions.expand(state(**{"state.regions": 6, "state.cross_region_transfers": True,
                                   "state.referral_beds_share": 0.3}))
    people = [r.params.simulation.population for r in pact]
    hub = people.index(max(people))
    before, after = plain[hub].params.region.hospitals[0], pact[hub].params.region.hospitals[0]
    held = [r.params.region.hospitals[-1] for i, r in enumerate(pact) if i != hub]
    assert all(h.referral and h.id == before.id and "emergency" not in {w.type for w in h.wards} for h in held)
    for ward in before.wards:
        if ward.type == "emergency":
            continue
        own = next(w.beds for w in after.wards if w.type == ward.type)
        parts = [(w.first_bed, w.beds) for h in held for w in h.wards if w.type == ward.type]
        assert own + sum(b for _, b in parts) == ward.beds and own >= ward.beds - round(0.3 * ward.beds)
        numbers = [n for first, b in parts for n in range(first, first + b)]
        assert sorted(numbers) == list(range(own + 1, ward.beds + 1))      # one bed, one number, one region
    med_surg = sorted((people[i], next((w.beds for w in h.wards if w.type == "med_surg"), 0))
                      for i, h in zip([i for i in range(len(pact)) if i != hub], held))
    assert [b for _, b in med_surg] == sorted(b for _, b in med_surg)     # split by people: bigger, more
    def beds(every):
        return sum(w.beds for r in every for h in r.params.region.hospitals for w in h.wards)
    assert beds(pact) == beds(plain)            # beds change hands, none are made or lost
    for i, r in enumerate(pact):
        config.validate(r.params)
        if i != hub:
            assert r.params.region.hospitals[:-1] == plain[i].params.region.hospitals


def test_without_cross_region_transfers_no_region_holds_anothers_beds():
    every = regions.expand(state(**{"state.regions": 6, "state.cross_region_transfers": False}))
    assert not any(h.referral for r in every for h in r.params.region.hospitals)
    assert all(w.first_bed == 1 for r in every for h in r.params.region.hospitals for w in h.wards)


def test_held_beds_keep_the_fingerprints_of_runs_without_them():
    """The new keys are left out of the fingerprint at their defaults: older runs keep their ids."""
    params = config.load("params/workshop.yaml", environ={}, dotenv="no-such.env")
    tree = params.to_dict()["region"]
    assert tree["hospitals"][0]["referral"] is False and tree["hospitals"][0]["wards"][0]["first_bed"] == 1
    assert "referral" not in str(config.world_tree(params)) and "first_bed" not in str(config.world_tree(params))
    held = regions.expand(state(**{"state.regions": 3, "state.cross_region_transfers": True}))
    with_held = [r for r in held if r.params.region.hospitals[-1].referral]
    assert with_held and all("'referral': True" in str(config.world_tree(r.params)) for r in with_held)
