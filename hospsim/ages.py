"""Whole years of age on a date, counted exactly (the birthday itself counts; 29 February counts on 1 March in
other years): the one age rule for people, staff and patients."""
from __future__ import annotations

import datetime as dt

import numpy as np


def age_on(birth, on: dt.date) -> np.ndarray:
    """Ages on `on` for a column or array of birth dates (dates, datetime64, ISO text, or days since 1970)."""
    days = np.asarray(birth, dtype="datetime64[D]").astype(np.int64)
    if days.size == 0:
        return np.zeros(0, dtype=np.int64)
    first, last = int(days.min()), int(days.max())
    if last - first > days.size:  # few people over a long span: no table worth building
        return _calendar_ages(days, on)
    return _calendar_ages(np.arange(first, last + 1), on)[days - first]  # one calendar sum per distinct day


def _calendar_ages(days: np.ndarray, on: dt.date) -> np.ndarray:
    days = days.astype("datetime64[D]")
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    before_birthday = (month > on.month) | ((month == on.month) & (day > on.day))
    return on.year - 1970 - years.astype(np.int64) - before_birthday
