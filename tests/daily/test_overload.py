"""Overload: a crowded ED loses walk-ins who leave unseen, diverts its ambulances, and holds at most its cap of
boarders; under a what-if far beyond the beds the ED census stays bounded."""
from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import numpy as np
import pytest
import yaml

from hospsim import rules, simulate, widgets
from hospsim.daily.arrivals import arrivals
from hospsim.daily.boarding import boarding
from hospsim.daily.disposition import disposition
from hospsim.daily.overload import boarding_cap, crowding, overload
from hospsim.daily.placement import placement
from hospsim.daily.state import CensusState, empty_queue
from tests.conftest import small_params
from tests.daily.conftest import MONDAY, context, make_requests, occupied_state, slots

T = rules.load()


def _boarders(params, origins: list[int]) -> CensusState:
    q = empty_queue()
    n = len(origins)
    q.update(person=np.arange(500, 500 + n, dtype=np.int64), visit=np.array([f"B{i}" for i in range(n)], "U24"),
             origin=np.array(origins, np.int64), ward=np.full(n, 0, np.int64), spec=np.zeros(n, np.int64),
             mode=np.zeros(n, np.int64), los=np.full(n, 86_400, np.int64), since=np.zeros(n, np.int64),
             slot=np.full(n, -1, np.int64), at=np.zeros(n, np.int64))    # crowding only: no bed held
    return dataclasses.replace(CensusState.empty(params), queue=q)


def test_walk_ins_leave_unseen_more_often_in_a_crowded_ed(params, cohort):
    assert crowding(context(params, cohort, _boarders(params, [0] * 6))).tolist() == [3.0, 0.0]
    shares = []
    for state in (CensusState.empty(params), _boarders(params, [0] * 6)):   # H01: none, or 6 boarders in 2 places
        left = []
        for k in range(20):   # 20 days' visits
            ctx = context(params, cohort, state, MONDAY + dt.timedelta(days=k))
            arr = arrivals(ctx)
            arr, disp = overload(ctx, arr, disposition(ctx, arr))
            left.append(disp.left[arr.hosp == 0])
            assert not (disp.left & (disp.admit | disp.transfer | disp.ambulance)).any()
            assert (arr.triage[disp.left] >= T.lwbs_min_triage).all()
            assert (disp.decision[disp.left] > arr.arrival[disp.left]).all()
        shares.append(np.concatenate(left).mean())
    assert shares[1] > shares[0]
    assert shares[1] <= T.lwbs_max


def test_ambulances_of_an_ed_on_diversion_go_to_the_nearest_open_one(params, cohort):
    ctx = context(params, cohort, _boarders(params, [0] * 2))         # H01 full: 1 boarder per place
    arr = arrivals(ctx)
    before = arr.hosp.copy()
    disp = disposition(ctx, arr)
    arr, disp = overload(ctx, arr, disp)
    amb = disp.ambulance & (before == 0)
    assert amb.any() and (arr.hosp[amb] == 1).all()
    assert (arr.hosp[~disp.ambulance] == before[~disp.ambulance]).all(), "walk-ins come anyway"
    both = context(params, cohort, _boarders(params, [0, 0, 1]))     # both on diversion: nowhere to go
    arr2 = arrivals(both)
    assert np.array_equal(overload(both, arr2, disposition(both, arr2))[0].hosp, arr2.hosp)


def test_the_boarding_area_holds_its_cap_and_releases_the_rest(params, cohort):
    full = {s: (400 + s, 5 * 86_400) for s in np.concatenate([slots(cohort, "H01", "med_surg"),
                                                               slots(cohort, "H02", "med_surg")])}
    everything = context(params, cohort, occupied_state(params, cohort, full))
    assert boarding_cap(everything).tolist() == [int(2 * T.boarding_cap_per_place), int(1 * T.boarding_cap_per_place)]
    # A cap of 1 at H01 (2 places x 0.5): H01's two medical beds free tomorrow at 08:00, within 24 h of the
    # 09:00 and 10:00 requests; the 10:00 one is beyond the cap, and so is the 11:00 one, who would wait
    # without a bed past midnight until the boarding limit.
    half = dataclasses.replace(cohort.rules, tables={**cohort.rules.tables, "boarding_cap_per_place": 0.5})
    h01 = [s for s in slots(cohort, "H01", "med_surg") if not cohort.layout.slot_surge[s]]
    beds = {**full, **{s: (400 + s, 86_400 + 8 * 3600) for s in h01}}
    ctx = context(params, dataclasses.replace(cohort, rules=half), occupied_state(params, cohort, beds))
    assert boarding_cap(ctx).tolist() == [1, 0]
    req = make_requests(ctx, hours=[9, 10, 11], origin=0)
    placed = placement(ctx, req)
    board = boarding(ctx, req, placed)
    assert board.queue["person"].tolist() == [0] and board.queue["at"].tolist() == [ctx.t1 + 8 * 3600]
    assert placed.released.tolist() == [False, True, True] and placed.slot.tolist() == [h01[0], -1, -1]
    assert not board.waiting.any() and board.carried["person"].size == 0
    one = make_requests(everything, hours=[11], origin=0)    # no bed for days, the cap holds one: it waits
    waits = boarding(everything, one, placement(everything, one))
    assert waits.waiting.tolist() == [True] and waits.carried["until"].tolist() == [everything.t0 + 35 * 3600]


@pytest.mark.parametrize("seed", [2025, 7, 11])
def test_a_what_if_far_beyond_the_beds_keeps_the_ed_census_bounded(tmp_path, seed):
    """ED 800 visits/1,000/yr with beds x0.6 (the what-if panel's knobs): boarders per ED stay under the cap."""
    params = small_params(tmp_path, params_file="params/workshop.yaml", overrides={"simulation.days": 30, "seed": seed})
    q = small_params(tmp_path, params_file="params/workshop.yaml", overrides={
        "simulation.days": 30, "seed": seed, **widgets.overrides_from(params, {"ed_rate": 800, "beds_scale": 0.6})})
    result = simulate.run(q, write=False, progress=False)
    ed = result.census[result.census["ward"] == "emergency"]
    cap = np.floor(ed["beds"] * T.boarding_cap_per_place)
    assert (ed["boarding"] <= cap).all(), "held under the cap (test below: a cap the run reaches)"
    assert (ed["boarding"] > 0).mean() > 0.5, "crowded: most nights someone boards"
    places = ed.groupby("hospital_id")["beds"].first()
    assert places.tolist() == [5, 4]
    left = (result.visitors["disposition"] == "left_without_being_seen").mean()
    assert left > T.lwbs_base, "crowding drives walk-ins away"
    assert (result.state.queue["origin"].size <= cap.groupby(ed["hospital_id"]).first().sum())


def test_under_the_what_if_a_smaller_cap_is_reached_and_held(tmp_path):
    """The 24 h boarding limit keeps the what-if's boarders under the shipped cap on some seeds; half of it
    (1 per place) is reached and never passed."""
    folder = shutil.copytree(rules.FOLDER, tmp_path / "clinical")
    path = folder / "overload.yaml"
    tree = yaml.safe_load(path.read_text())
    tree["boarding_cap_per_place"]["values"] = 1.0
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    params = small_params(tmp_path, params_file="params/workshop.yaml", overrides={"simulation.days": 30})
    q = small_params(tmp_path, params_file="params/workshop.yaml", overrides={
        "simulation.days": 30, "clinical.dir": str(folder),
        **widgets.overrides_from(params, {"ed_rate": 800, "beds_scale": 0.6})})
    ed = simulate.run(q, write=False, progress=False).census.query("ward == 'emergency'")
    assert (ed["boarding"] <= ed["beds"]).all() and (ed["boarding"] == ed["beds"]).any()


def test_surge_beds_open_only_while_the_ed_is_crowded(params, cohort):
    lay = cohort.layout
    surge = slots(cohort, "H01", "med_surg")[lay.slot_surge[slots(cohort, "H01", "med_surg")]]
    assert surge.size == 1 and lay.slot_label[surge[0]] == "H01-MS-S1", "2 beds x 10%, rounded up"
    assert not lay.slot_surge[slots(cohort, "H01", "emergency")].any(), "no surge places in the ED"
    full = {s: (400 + s, 5 * 86_400) for s in slots(cohort, "H01", "med_surg") if not lay.slot_surge[s]}
    calm = occupied_state(params, cohort, full)
    crowded = dataclasses.replace(_boarders(params, [0]), bed_person=calm.bed_person, bed_admission=calm.bed_admission,
                                  bed_admit=calm.bed_admit, bed_discharge=calm.bed_discharge)
    got = []
    for state in (calm, crowded):      # H01's two medical beds held; crowded: 1 boarder in 2 ED places
        ctx = context(params, cohort, state)
        got.append(placement(ctx, make_requests(ctx, hours=[9], origin=0, mode=2)).slot.tolist())
    assert got == [[-1], surge.tolist()]


def test_those_waiting_without_a_bed_are_carried_one_night_and_crowd_the_ed(params, cohort, tmp_path):
    waiting = {"person": np.array([7, 8], np.int64), "origin": np.array([0, 0], np.int64),
               "until": np.array([100, 200], np.int64)}
    t0 = context(params, cohort).t0
    back = {"person": np.array([7], np.int64), "at": np.array([t0 + 9 * 3600], np.int64),
            "kind": np.array([1], np.int64), "reason": np.array([-1], np.int64)}     # an ED return due today
    free = context(params, cohort, dataclasses.replace(CensusState.empty(params), returns=back))
    state = dataclasses.replace(CensusState.empty(params), waiting=waiting, returns=back)
    ctx = context(params, cohort, state)
    assert crowding(ctx).tolist() == [1.0, 0.0], "2 waiting in H01's 2 places"
    assert 7 in arrivals(free).who and 7 not in arrivals(ctx).who, "still in the ED: no new visit"
    loaded = simulate.load_state(simulate.save_state(state, tmp_path / "state.npz"))
    assert loaded.equals(state) and not loaded.equals(CensusState.empty(params))
    old = {k: v for k, v in state.to_arrays().items() if not k.startswith("waiting_")}
    assert CensusState.from_arrays(old).waiting["person"].size == 0, "a state saved before has nobody waiting"
