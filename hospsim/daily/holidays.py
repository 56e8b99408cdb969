"""The calendar's national holidays (clinical calendar.yaml, per locale): no elective admissions on them."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from hospsim.rules import Rules


def easter(year: int) -> dt.date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def holidays(rules: Rules, locale: str, year: int) -> frozenset[dt.date]:
    """The locale's national holidays in a year (none for a locale the table does not list)."""
    return _holidays(rules.digest, locale, year, rules.holidays.get(locale, ((), (), ())))


@lru_cache(maxsize=256)
def _holidays(digest: str, locale: str, year: int, spec) -> frozenset[dt.date]:
    fixed, from_easter, since = spec[0], spec[1], dict(spec[2])
    days = {dt.date(year, *map(int, md.split("-"))) for md in fixed if since.get(md, year) <= year}
    return frozenset(days | {easter(year) + dt.timedelta(days=k) for k in from_easter})


def is_holiday(rules: Rules, locale: str, day: dt.date) -> bool:
    return day in holidays(rules, locale, day.year)
