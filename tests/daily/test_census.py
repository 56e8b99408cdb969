"""Census: per hospital and ward, what the day's frames and the beds after it say, counted again by hand
(the phases before it run on the hand-made context: the census reads most of them)."""
from __future__ import annotations

from collections import Counter

from hospsim.daily.day import run_phases
from hospsim.daily.tables import WARD_CODES
from tests.daily.conftest import context, occupied_state, slots


def test_census_counts_beds_flows_and_the_ed(params, cohort):
    h01_ms = slots(cohort, "H01", "med_surg")
    ctx = context(params, cohort, occupied_state(params, cohort, {h01_ms[0]: (590, 6 * 3600),
                                                                  h01_ms[1]: (591, 86_400 + 6 * 3600)}))
    p = run_phases(ctx)     # the bed freeing tomorrow at 06:00 is reserved by a boarder
    board, seen, beds = p.boarding, p.visits, p.discharges
    got = p.census.set_index(["hospital_id", "ward"])

    assert sorted(got.index) == [("H01", "emergency"), ("H01", "icu"), ("H01", "med_surg"),
                                 ("H02", "emergency"), ("H02", "med_surg")]
    assert (got["date"] == "2025-02-03").all()
    codes = {code: ward for ward, code in WARD_CODES.items()}
    held = Counter((b.split("-")[0], codes[b.split("-")[1]]) for b in cohort.layout.slot_label[beds.person >= 0])
    inpatient = got.drop(index=[("H01", "emergency"), ("H02", "emergency")])
    for key, row in inpatient.iterrows():
        assert row.occupied == held[key], key
        assert row.occupied <= row.beds
    assert inpatient["discharged"].sum() == len(beds.frame)
    assert inpatient["admitted"].sum() == len(p.admissions.frame)
    assert got["transfers_in"].sum() == got["transfers_out"].sum() == len(p.transfers.frame)
    visitors = seen.frame.groupby("hospital_id").size()
    ed = got.xs("emergency", level="ward")
    assert ed["admitted"].to_dict() == visitors.to_dict(), "ED rows count arrivals"
    assert ed["discharged"].to_dict() == seen.frame[seen.frame["disposition"] == "discharged"] \
        .groupby("hospital_id").size().reindex(ed.index, fill_value=0).to_dict()
    assert ed["boarding"].sum() == board.queue["person"].size + board.waiting.sum()
    assert board.queue["person"].size > 0 and board.waiting.sum() > 0, "one holds a bed, the others wait without"
    assert (ed["occupied"] >= ed["boarding"]).all()
    assert got["cancelled_electives"].sum() == board.cancelled.sum() and ed["cancelled_electives"].sum() == 0
