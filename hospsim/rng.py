"""Seed streams: one numpy SeedSequence per (seed, stage, keys...), so any stage or day is reproducible alone.

A day's generator depends only on the run seed, the stage name and the day, never on how many numbers
earlier days drew: that is what lets runs resume and shard.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np


def stage_key(stage: str) -> int:
    return int.from_bytes(hashlib.sha256(stage.encode()).digest()[:8], "little")


def generator(seed: int, stage: str, *keys: int | dt.date) -> np.random.Generator:
    """A generator for one stage (and optionally one day or other integer keys) of a run."""
    ints = tuple(k.toordinal() if isinstance(k, dt.date) else int(k) for k in keys)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stage_key(stage), *ints)))
