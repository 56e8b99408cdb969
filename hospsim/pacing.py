"""Pacing: when the next event or batch may go, against a monotonic clock with absolute deadlines (no drift).

One bounded wait (`wait_until`) that answers a stop event, and two schedules on top of it: `EventPacer`, a
due time per event (the stream producer and the in-process path: asap, rate, or the simulated clock), and
`BatchPacer`, a deadline per batch (the OLTP stream: a target rate, or an interval plus jitter).
"""
from __future__ import annotations

import random
import threading
import time

import numpy as np
import pandas as pd

SLICE_S = 0.5
"""A wait sleeps at most this long at a time, so a stop (Ctrl-C, SIGTERM) is seen within it."""
EARLY_S = 0.001
"""A wait this close to its deadline is over: a sleep that short costs more than it keeps."""


def wait_until(deadline: float, stop: threading.Event | None = None) -> bool:
    """Sleep until time.monotonic() reaches `deadline`; False when stop was set while waiting."""
    while (ahead := deadline - time.monotonic()) > EARLY_S:
        if stop is not None:
            if stop.wait(min(ahead, SLICE_S)):
                return False
        else:
            time.sleep(min(ahead, SLICE_S))
    return True


def schedule(mode: str, event_times, rate: float, speed: float) -> np.ndarray | None:
    """Seconds after the start at which each event is due, or None for as fast as possible: `rate` events a
    second, or `speed` simulated seconds a wall second (realtime)."""
    n = len(event_times)
    if mode == "asap" or n == 0:
        return None
    if mode == "rate":
        return np.arange(n, dtype=float) / rate
    times = np.asarray(pd.to_datetime(pd.Series(event_times)).to_numpy(dtype="datetime64[ms]"), dtype=np.int64)
    return (times - times[0]) / 1000.0 / speed


class EventPacer:
    """Waits until event i is due (`due`, from `schedule`); cheap enough to sit in a send loop."""

    def __init__(self, due: np.ndarray | None, stop: threading.Event | None = None):
        self.due = due
        self.stop = stop
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def wait(self, i: int) -> bool:
        """False when stop was set (while waiting, or before)."""
        if self.due is not None and not wait_until(self.start + self.due[i], self.stop):
            return False
        return not (self.stop is not None and self.stop.is_set())


class BatchPacer:
    """When the next batch may go.

    Target rate: batch k leaves when the events sent so far plus its own are due, origin + sent / rate, and
    holds about `tick_s` seconds of events (at most batch_size), so low rates are paced smoothly. Interval:
    one batch every `interval_s` plus a random jitter up to `jitter_s`; late batches leave at once without a
    catch-up burst. Neither (interval 0, jitter 0): as fast as the other side goes.
    """

    def __init__(self, rate: float | None, interval_s: float, jitter_s: float, batch_size: int, tick_s: float,
                 origin: float, jitter_rng: random.Random) -> None:
        self.rate = rate
        self.interval = interval_s
        self.jitter = jitter_s
        self.batch_size = batch_size
        self.tick_s = tick_s
        self.start = self.origin = origin
        self.sent = 0
        self.next_at = origin
        self._jitter_rng = jitter_rng

    @property
    def unpaced(self) -> bool:
        return self.rate is None and self.interval == 0 and self.jitter == 0

    def size(self) -> int:
        if self.rate is not None:
            return max(1, min(self.batch_size, round(self.rate * self.tick_s)))
        return self.batch_size

    def deadline(self, n: int) -> float:
        if self.rate is not None:
            return self.origin + (self.sent + n) / self.rate
        return self.next_at

    def done(self, n: int, now: float) -> None:
        self.sent += n
        if self.rate is None and not self.unpaced:
            gap = self.interval + self._jitter_rng.uniform(0, self.jitter)
            self.next_at = max(self.next_at + gap, now)

    def pause(self, seconds: float) -> None:
        """An outage is not lag: move the schedule on by its length."""
        self.origin += seconds
        self.next_at += seconds
