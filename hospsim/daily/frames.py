"""From the phases' int64 arrays to the files' frames: ids, timestamps, columns in file order."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hospsim.daily.schema import COLUMNS
from hospsim.formats import numbered


def ids(prefix: str, stamp: str, n: int) -> np.ndarray:
    """'V20250201-000001' ...: the day's running numbers under a kind's letter."""
    if n == 0:
        return np.zeros(0, dtype="U24")
    return numbered(f"{prefix}{stamp}-", np.arange(1, n + 1))


def ts(seconds) -> np.ndarray:
    """Seconds (NaN = none) to datetime64[s] (NaT)."""
    s = np.asarray(seconds)
    if s.dtype.kind == "f":
        out = np.full(s.shape, np.datetime64("NaT"), dtype="datetime64[s]")
        ok = ~np.isnan(s)
        out[ok] = s[ok].astype(np.int64).astype("datetime64[s]")
        return out
    return s.astype(np.int64).astype("datetime64[s]")


def frame(kind: str, columns: dict) -> pd.DataFrame:
    return pd.DataFrame({name: columns[name] for name in COLUMNS[kind]})
