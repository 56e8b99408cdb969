"""Disposition: the urgent are admitted far more often; admitted patients stay longer in the ED; a region of
one hospital transfers nobody."""
from __future__ import annotations

import dataclasses

import numpy as np

from hospsim.daily.arrivals import Arrivals
from hospsim.daily.disposition import disposition
from hospsim.daily.tables import R
from tests.daily.conftest import context


def _visits(ctx, n: int, triage: int, hosp: int = 0) -> Arrivals:
    """n cardiac visits of adults aged 50 at one triage level, arriving at 08:00."""
    who = np.arange(n, dtype=np.int64) % ctx.cohort.size
    return Arrivals(who, np.zeros(n, bool), np.full(n, 50), np.full(n, R["cardiac"]), np.full(n, triage),
                    np.full(n, hosp), np.full(n, ctx.t0 + 8 * 3600), np.array([f"V{i}" for i in range(n)]),
                    np.zeros(n, int))


def test_red_is_admitted_far_more_often_than_blue(params, cohort):
    ctx = context(params, cohort)
    red, blue = disposition(ctx, _visits(ctx, 2000, 1)), disposition(ctx, _visits(ctx, 2000, 5))
    assert (red.admit | red.transfer).mean() > 0.5
    assert (blue.admit | blue.transfer).mean() < 0.05
    assert not (red.admit & red.transfer).any()
    assert red.ambulance.mean() > blue.ambulance.mean()


def test_the_ed_stay_is_longer_for_a_patient_who_needs_a_bed(params, cohort):
    ctx = context(params, cohort)
    arr = _visits(ctx, 3000, 2)
    disp = disposition(ctx, arr)
    stay = disp.decision - arr.arrival
    needs_bed = disp.admit | disp.transfer
    assert stay.min() >= 20 * 60 and stay.max() <= 22 * 3600
    assert (stay[needs_bed] >= 20 * 60 + 2 * 3600).all()
    assert np.median(stay[needs_bed]) > np.median(stay[~needs_bed]) + 3600
    assert (disp.spec == 1).all(), "a cardiac visit needs cardiology"


def test_one_hospital_transfers_nobody(params, cohort):
    lone = dataclasses.replace(cohort, layout=dataclasses.replace(cohort.layout, hospital_ids=cohort.layout.hospital_ids[:1]),
                               transfer_scale=100.0)
    ctx = context(params, lone)
    assert not disposition(ctx, _visits(ctx, 500, 1)).transfer.any()
    many = disposition(context(params, dataclasses.replace(cohort, transfer_scale=100.0)), _visits(ctx, 500, 1))
    assert many.transfer.any()
