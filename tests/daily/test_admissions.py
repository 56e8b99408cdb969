"""Admissions and transfers: every placed request admitted in admit-time order; a placement at another
hospital is a transfer, for capacity or for a ward the asking hospital lacks."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hospsim.daily.admissions import admissions, transfers
from hospsim.daily.placement import placement
from tests.daily.conftest import context, make_requests, occupied_state, slots


def test_placed_requests_are_admitted_in_time_order_and_moves_are_transfers(params, cohort):
    h01_ms, h02_ms = slots(cohort, "H01", "med_surg"), slots(cohort, "H02", "med_surg")
    state = occupied_state(params, cohort, {h01_ms[1]: (501, 5 * 86_400)})
    ctx = context(params, cohort, state)
    req = make_requests(ctx, hours=[10, 6, 7, 8], origin=0)      # four asks for one free bed here, one there
    placed = placement(ctx, req)
    adm = admissions(ctx, req, placed)
    assert adm.request.tolist() == [1, 2], "06:00 gets H01's bed; 07:00 goes to H02, admitted on arrival there"
    assert adm.frame["admission_id"].tolist() == ["A20250203-000001", "A20250203-000002"]
    assert adm.frame["bed"].tolist() == [cohort.layout.slot_label[h01_ms[0]], cohort.layout.slot_label[h02_ms[0]]]
    planned, admit = adm.frame["planned_discharge_time"], adm.frame["admit_time"]
    assert (planned.dt.normalize() == (admit + pd.Timedelta(days=2)).dt.normalize()).all(), "the stay keeps its day"
    assert (adm.frame["type"] == "emergency").all()
    moves = transfers(ctx, req, placed, adm)
    row = moves.frame.iloc[0]
    assert len(moves.frame) == 1 and moves.request.tolist() == [2]
    assert (row.origin_hospital_id, row.destination_hospital_id, row.reason) == ("H01", "H02", "capacity")
    assert row.admission_id == "A20250203-000002" and row.distance_km == cohort.layout.distance_km[0, 1]
    assert row.request_time < row.departure_time < row.arrival_time


def test_a_ward_the_hospital_lacks_is_a_specialty_transfer(params, cohort):
    ctx = context(params, cohort)
    req = make_requests(ctx, hours=[9], origin=1, ward="icu")     # H02 has no ICU
    placed = placement(ctx, req)
    moves = transfers(ctx, req, placed, admissions(ctx, req, placed))
    assert moves.frame[["destination_hospital_id", "ward", "reason"]].values.tolist() == [["H01", "icu", "specialty"]]
    assert np.array_equal(moves.request, [0])
