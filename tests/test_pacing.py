"""Pacing: due times per mode, and waits that end on a stop (no timing is asserted)."""
from __future__ import annotations

import random
import threading

import numpy as np
import pandas as pd
import pytest

from hospsim import pacing


def test_schedules_for_each_mode():
    times = pd.Series(pd.to_datetime(["2025-01-01 00:00", "2025-01-01 01:00", "2025-01-01 03:00"]))
    assert pacing.schedule("asap", times, 10, 60) is None and pacing.schedule("rate", [], 10, 60) is None
    assert np.allclose(pacing.schedule("rate", times, 10, 60), [0, 0.1, 0.2])
    assert np.allclose(pacing.schedule("realtime", times, 10, 3600), [0, 1, 3])


def test_waits_end_at_once_on_a_stop():
    stop = threading.Event()
    stop.set()
    assert pacing.wait_until(float("inf"), stop) is False
    pacer = pacing.EventPacer(np.array([0.0, 1e9]), stop)
    assert pacer.wait(1) is False and pacer.wait(0) is False
    assert pacing.EventPacer(None, None).wait(5) is True
    assert pacing.wait_until(0.0, None) is True      # a deadline long past: no wait


@pytest.mark.parametrize("rate", [100.0, 2.0])
def test_batch_pacer_at_a_rate_sizes_batches_to_the_tick_and_never_drifts(rate):
    pacer = pacing.BatchPacer(rate, 0, 0, 50, 0.1, origin=1000.0, jitter_rng=random.Random(1))
    n = pacer.size()
    assert n == max(1, min(50, round(rate * 0.1)))
    pacer.done(n, now=5000.0)                        # late: the next deadline stays on the schedule
    assert pacer.deadline(n) == pytest.approx(1000.0 + 2 * n / rate)
    pacer.pause(30.0)                                # an outage moves the schedule on
    assert pacer.deadline(n) == pytest.approx(1030.0 + 2 * n / rate)


def test_batch_pacer_on_an_interval_adds_jitter_and_skips_no_catch_up():
    pacer = pacing.BatchPacer(None, 1.0, 0.5, 20, 0.1, origin=0.0, jitter_rng=random.Random(3))
    assert pacer.size() == 20 and pacer.deadline(20) == 0.0 and not pacer.unpaced
    pacer.done(20, now=0.0)
    assert 1.0 <= pacer.deadline(20) <= 1.5
    pacer.done(20, now=100.0)                        # far behind: the next batch goes at once, no burst
    assert pacer.deadline(20) == 100.0
    assert pacing.BatchPacer(None, 0, 0, 5, 0.1, 0.0, random.Random(0)).unpaced
