"""National holidays from the clinical calendar: Easter's moving feasts, laws with a first year, none in en_US;
no elective admissions on a holiday, fewer in January."""
from __future__ import annotations

import datetime as dt

import numpy as np

from hospsim import rules
from hospsim.daily.holidays import easter, holidays, is_holiday
from hospsim.daily.requests import electives
from tests.daily.conftest import context
from tests.daily.test_requests import _busy_electives


def test_easter_and_the_brazilian_national_holidays():
    assert [easter(y) for y in (2024, 2025, 2026, 2038)] == [dt.date(2024, 3, 31), dt.date(2025, 4, 20),
                                                             dt.date(2026, 4, 5), dt.date(2038, 4, 25)]
    r = rules.load()
    br = holidays(r, "pt_BR", 2025)
    assert len(br) == 10 and dt.date(2025, 4, 18) in br and dt.date(2025, 12, 25) in br      # Good Friday
    assert dt.date(2025, 11, 20) in br and dt.date(2023, 11, 20) not in holidays(r, "pt_BR", 2023)
    assert holidays(r, "en_US", 2025) == frozenset() and not is_holiday(r, "pt_BR", dt.date(2025, 12, 24))


def test_no_electives_on_a_holiday_and_fewer_in_january_than_in_may(params, cohort):
    busy = _busy_electives(params)
    christmas = dt.date(2025, 12, 25)                    # a Thursday
    assert electives(context(busy, cohort, day=christmas), visitors=np.zeros(0, np.int64)).who.size == 0
    assert electives(context(busy, cohort, day=christmas - dt.timedelta(days=1)),
                     visitors=np.zeros(0, np.int64)).who.size > 0
    days = lambda month: [dt.date(2025, month, d) for d in range(1, 29) if dt.date(2025, month, d).weekday() < 5
                          and not is_holiday(cohort.rules, "pt_BR", dt.date(2025, month, d))]
    per_day = {m: np.mean([electives(context(busy, cohort, day=d),
                           visitors=np.zeros(0, np.int64)).time.size for d in days(m)]) for m in (1, 5)}
    factor = cohort.rules.admission_month_factor[0]
    assert per_day[1] < per_day[5] and factor[0] < factor[4]
