"""What a day carries into the next (beds and boarders) and what it gives back (the day's frames)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospsim.config import Params
from hospsim.daily import vital as vitals
from hospsim.daily.region import layout
from hospsim.filekinds import DAILY, day_file_name

QUEUE_FIELDS = ("person", "visit", "origin", "ward", "spec", "mode", "los", "since", "slot", "at")
BED_FIELDS = ("bed_person", "bed_admission", "bed_admit", "bed_discharge")
RETURN_FIELDS = ("person", "at", "kind", "reason")    # pending returns: hospsim.daily.returns
WAITING_FIELDS = ("person", "origin", "until")        # ED patients without a bed at midnight: daily.boarding


@dataclass
class CensusState:
    """Who lies in which bed until when, and who boards in an ED waiting for one, after `day`."""
    day: dt.date | None
    bed_person: np.ndarray          # (B,) person row index, -1 = empty
    bed_admission: np.ndarray       # admission_id
    bed_admit: np.ndarray           # seconds
    bed_discharge: np.ndarray       # planned discharge, seconds
    queue: dict                     # QUEUE_FIELDS -> arrays, one per boarder and the bed (slot, at) it reserved
    fingerprint: str = ""
    vital: dict = field(default_factory=vitals.empty)   # newborns and the dead since the run began (daily.vital)
    returns: dict = field(default_factory=lambda: empty_returns())   # RETURN_FIELDS -> arrays, in arrival order
    waiting: dict = field(default_factory=lambda: empty_waiting())   # WAITING_FIELDS -> arrays, until their limit

    @classmethod
    def empty(cls, params: Params, fingerprint: str = "") -> CensusState:
        b = int(layout(params).slot_label.size)
        return cls(None, np.full(b, -1, np.int64), np.full(b, "", dtype="U24"), np.zeros(b, np.int64),
                   np.zeros(b, np.int64), empty_queue(), fingerprint)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The state as named arrays (what a sink stores); from_arrays reverses it."""
        return {"day": np.array(self.day.isoformat() if self.day else ""),
                "fingerprint": np.array(self.fingerprint), **{k: getattr(self, k) for k in BED_FIELDS},
                **{f"queue_{k}": v for k, v in self.queue.items()},
                **{f"vital_{k}": v for k, v in self.vital.items()},
                **{f"returns_{k}": v for k, v in self.returns.items()},
                **{f"waiting_{k}": v for k, v in self.waiting.items()}}

    @classmethod
    def from_arrays(cls, arrays) -> CensusState:
        day = str(arrays["day"])
        vital = {k: arrays.get(f"vital_{k}", v) for k, v in vitals.empty().items()}
        return cls(dt.date.fromisoformat(day) if day else None, *(arrays[k] for k in BED_FIELDS),
                   {k: arrays[f"queue_{k}"] for k in QUEUE_FIELDS}, str(arrays["fingerprint"]), vital,
                   {k: arrays[f"returns_{k}"] for k in RETURN_FIELDS} if "returns_at" in arrays else empty_returns(),
                   {k: arrays[f"waiting_{k}"] for k in WAITING_FIELDS} if "waiting_until" in arrays else empty_waiting())

    def equals(self, other: CensusState) -> bool:
        return self.day == other.day \
            and all(np.array_equal(getattr(self, k), getattr(other, k)) for k in BED_FIELDS) \
            and all(np.array_equal(self.queue[k], other.queue[k]) for k in QUEUE_FIELDS) \
            and vitals.equal(self.vital, other.vital) \
            and all(np.array_equal(self.returns[k], other.returns[k]) for k in RETURN_FIELDS) \
            and all(np.array_equal(self.waiting[k], other.waiting[k]) for k in WAITING_FIELDS)

    @property
    def occupied(self) -> int:
        return int((self.bed_person >= 0).sum())

    @property
    def busy(self) -> np.ndarray:
        """Person rows in a bed, boarding or waiting in an ED, and the dead: they neither visit the ED nor come in
        for an elective."""
        return np.concatenate([self.bed_person[self.bed_person >= 0], self.queue["person"], self.waiting["person"],
                               self.vital["dead"]])


def empty_queue() -> dict:
    return {"person": np.zeros(0, np.int64), "visit": np.zeros(0, "U24"), "origin": np.zeros(0, np.int64),
            "ward": np.zeros(0, np.int64), "spec": np.zeros(0, np.int64), "mode": np.zeros(0, np.int64),
            "los": np.zeros(0, np.int64), "since": np.zeros(0, np.int64), "slot": np.zeros(0, np.int64),
            "at": np.zeros(0, np.int64)}


def empty_returns() -> dict:
    """No pending returns: person row, arrival second, kind (returns.ED_RETURN / READMISSION), reason (-1 = drawn)."""
    return {k: np.zeros(0, np.int64) for k in RETURN_FIELDS}


@dataclass
class DayResult:
    day: dt.date
    visitors: pd.DataFrame
    admissions: pd.DataFrame
    discharges: pd.DataFrame
    transfers: pd.DataFrame
    transports: pd.DataFrame
    census: pd.DataFrame
    births: pd.DataFrame = field(default_factory=pd.DataFrame)
    deaths: pd.DataFrame = field(default_factory=pd.DataFrame)

    def files(self) -> dict[str, pd.DataFrame]:
        """The day's output files, by name."""
        return {day_file_name(k, self.day): getattr(self, k) for k in DAILY}


def empty_waiting() -> dict:
    """Nobody waiting in an ED without a bed: person row, ED hospital, second the boarding limit runs out."""
    return {k: np.zeros(0, np.int64) for k in WAITING_FIELDS}
