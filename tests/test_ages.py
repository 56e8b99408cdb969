"""The one age rule: whole years, the birthday itself counts, 29 February on 1 March in other years."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hospsim.ages import age_on


def test_birthdays_count_on_the_day_and_leap_days_on_the_first_of_march():
    births = ["2010-06-15", "2010-06-16", "2008-02-29", "1950-01-01"]
    assert age_on(births, dt.date(2025, 6, 15)).tolist() == [15, 14, 17, 75]
    assert age_on(["2008-02-29"], dt.date(2025, 2, 28)).tolist() == [16]
    assert age_on(["2008-02-29"], dt.date(2025, 3, 1)).tolist() == [17]
    assert age_on(["2008-02-29"], dt.date(2028, 2, 29)).tolist() == [20]


def test_every_input_form_and_both_paths_agree_with_the_calendar():
    rng = np.random.default_rng(3)
    days = rng.integers(-20_000, 20_000, 5000)               # a long span: computed per person
    on = dt.date(2031, 3, 1)
    births = [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in days]
    expected = [on.year - b.year - ((b.month, b.day) > (on.month, on.day)) for b in births]
    assert age_on(days, on).tolist() == expected
    assert age_on(pd.Series(births), on).tolist() == expected
    assert age_on(pd.to_datetime(pd.Series(births)).astype("datetime64[s]"), on).tolist() == expected
    dense = np.repeat(days[:50], 200)                         # many people, few distinct days: the table path
    assert age_on(dense, on).tolist() == np.repeat(expected[:50], 200).tolist()
    assert age_on(np.zeros(0, np.int64), on).tolist() == []


def test_the_day_before_a_birthday_is_still_the_younger_age_at_every_age():
    """Counting days (// 365 or / 365.25) gets some of these one year too high or low; the calendar does not."""
    on = dt.date(2025, 6, 15)
    births = [dt.date(on.year - years, 6, 16) for years in range(1, 101)]
    assert age_on(births, on).tolist() == list(range(100))
    assert age_on([dt.date(on.year - years, 6, 15) for years in range(1, 101)], on).tolist() == list(range(1, 101))
