"""Transports: one per ambulance arrival, the road distance from home, timed backwards from the arrival."""
from __future__ import annotations

import numpy as np

from hospsim.daily.arrivals import arrivals
from hospsim.daily.disposition import disposition
from hospsim.daily.transports import transports
from hospsim.geo import haversine_km
from tests.daily.conftest import context


def test_one_run_per_ambulance_arrival_timed_backwards(params, cohort):
    ctx = context(params, cohort)
    arr = arrivals(ctx)
    disp = disposition(ctx, arr)
    trips = transports(ctx, arr, disp)
    amb = np.flatnonzero(disp.ambulance)
    assert len(trips) == amb.size > 0
    assert trips["visit_id"].tolist() == arr.visit_id[amb].tolist()
    assert ((trips["dispatch_time"] < trips["pickup_time"]) & (trips["pickup_time"] < trips["arrival_time"])).all()
    who, hosp = arr.who[amb], arr.hosp[amb]
    straight = haversine_km(cohort.lat[who], cohort.lon[who], cohort.layout.lat[hosp], cohort.layout.lon[hosp])
    assert np.allclose(trips["distance_km"], straight * 1.3 + 0.5, atol=0.05)
    expected_priority = np.where(arr.triage[amb] == 1, 1, np.where(arr.triage[amb] <= 3, 2, 3))
    assert trips["priority"].tolist() == expected_priority.tolist()
