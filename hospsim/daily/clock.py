"""When a stay ends: the drawn length of stay lands on the discharge clock (clinical stay.yaml).

A stay's raw end (admission + drawn stay) keeps its day; the hour comes from discharge_hour_share and a
weekend day keeps its discharges with discharge_weekday_keep's chance: the rest of Saturday's leave on Friday,
the rest of Sunday's wait for Monday. A stay that would end before the shortest one (config.STAY_DAYS) ends as
many days later as that takes. The draws come from their own
stage ("discharge-clock"), one row per request, so the other phases' numbers do not move.
"""
from __future__ import annotations

import numpy as np

from hospsim import rng as rngs
from hospsim.daily.context import DayContext
from hospsim.daily.tables import DAY_S, LOS_MIN_DAYS


def draws(ctx: DayContext, m: int) -> np.ndarray:
    """(3, m) uniforms for the day's m requests: hour, second within it, weekend keep."""
    return rngs.generator(ctx.params.seed, "discharge-clock", ctx.day).random((3, m))


def planned_discharge(ctx: DayContext, at: np.ndarray, los: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Seconds of each stay's planned discharge (u: draws' columns for these stays)."""
    share = ctx.rules.discharge_hour_share
    hour = np.minimum(np.searchsorted(np.cumsum(share), u[0] * share.sum(), side="right"), 23)
    day = (at + los) // DAY_S
    weekday = (day + 3) % 7                        # 1970-01-01 was a Thursday; Monday = 0
    wait = np.where(u[2] < ctx.rules.discharge_weekday_keep[weekday], 0, np.where(weekday == 5, -1, 7 - weekday))
    out = (day + wait) * DAY_S + hour * 3600 + 1 + (u[1] * 3599).astype(np.int64)   # never on the hour's :00:00
    short_by = np.maximum(at + int(LOS_MIN_DAYS * DAY_S) - out, 0)
    return out + -(-short_by // DAY_S) * DAY_S             # whole days later, same clock time
