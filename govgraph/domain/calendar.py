"""Working days in Vietnam: deadlines of dossiers, complaints and denunciations are counted in them.

Statutory holidays (Labour Code 45/2019/QH14, Art. 112): New Year (1 Jan), Tết (5 days), Hùng Kings'
Commemoration (10th day of the 3rd lunar month), Reunification Day (30 Apr), Labour Day (1 May), National Day
(2 Sep and one adjacent day). A holiday that falls on a weekend gives a compensatory day off on the next working
day (Art. 112(3)). Each year the government announces the exact Tết days (and swaps); where an announced
schedule is recorded in ``ANNOUNCED_OFF`` it wins over the default rule. Lunar dates are data, not computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache

# First day of the lunar year (mùng 1 Tết), Gregorian.
TET: dict[int, dt.date] = {
    2015: dt.date(2015, 2, 19), 2016: dt.date(2016, 2, 8), 2017: dt.date(2017, 1, 28),
    2018: dt.date(2018, 2, 16), 2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26), 2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}  # fmt: skip

# Hùng Kings' Commemoration (10/3 lunar), Gregorian.
HUNG_KINGS: dict[int, dt.date] = {
    2015: dt.date(2015, 4, 28), 2016: dt.date(2016, 4, 16), 2017: dt.date(2017, 4, 6),
    2018: dt.date(2018, 4, 25), 2019: dt.date(2019, 4, 14), 2020: dt.date(2020, 4, 2),
    2021: dt.date(2021, 4, 21), 2022: dt.date(2022, 4, 10), 2023: dt.date(2023, 4, 29),
    2024: dt.date(2024, 4, 18), 2025: dt.date(2025, 4, 7), 2026: dt.date(2026, 4, 26),
    2027: dt.date(2027, 4, 16), 2028: dt.date(2028, 4, 4), 2029: dt.date(2029, 4, 23),
    2030: dt.date(2030, 4, 12),
}  # fmt: skip


def _span(first: dt.date, last: dt.date) -> frozenset[dt.date]:
    return frozenset(first + dt.timedelta(days=i) for i in range((last - first).days + 1))


# Tết breaks as announced for civil servants (weekday days off; weekends are off anyway).
ANNOUNCED_OFF: dict[int, frozenset[dt.date]] = {
    2024: _span(dt.date(2024, 2, 8), dt.date(2024, 2, 14)),
    2025: _span(dt.date(2025, 1, 25), dt.date(2025, 2, 2)),
}

FIRST_YEAR = min(TET)
LAST_YEAR = max(TET)


class CalendarRangeError(ValueError):
    """A date outside the years whose lunar holidays are recorded."""


@cache
def holidays(year: int) -> frozenset[dt.date]:
    """Days off in ``year`` besides ordinary weekends (holidays plus compensatory days)."""
    if year not in TET:
        raise CalendarRangeError(f"no holiday data for {year} (have {FIRST_YEAR}-{LAST_YEAR})")
    tet = TET[year]
    statutory = {
        dt.date(year, 1, 1),
        HUNG_KINGS[year],
        dt.date(year, 4, 30),
        dt.date(year, 5, 1),
        dt.date(year, 9, 2),
        dt.date(year, 9, 1) if year >= 2021 else dt.date(year, 9, 2),
    }
    if year not in ANNOUNCED_OFF:
        # Default Tết rule: the last day of the old year and the first four of the new one.
        statutory |= {tet + dt.timedelta(days=i) for i in range(-1, 4)}
    off = set(statutory)
    # Compensatory days: a holiday on a weekend moves to the next day that is neither weekend nor holiday.
    for day in sorted(statutory):
        if day.weekday() >= 5:
            nxt = day + dt.timedelta(days=1)
            while nxt.weekday() >= 5 or nxt in off:
                nxt += dt.timedelta(days=1)
            off.add(nxt)
    off |= ANNOUNCED_OFF.get(year, frozenset())
    return frozenset(off)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(start: dt.date, days: int, paused: Iterable[tuple[dt.date, dt.date]] = ()) -> dt.date:
    """The date ``days`` working days after ``start`` (start itself not counted), skipping paused spans.

    ``paused`` are inclusive (first, last) date ranges during which the clock stops (e.g. while a dossier
    waits for additional documents).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    stops = [(a, b) for a, b in paused]
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day) and not any(a <= day <= b for a, b in stops):
            counted += 1
    return day


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days in (first, last]: how many working days have passed from ``first`` to ``last``."""
    if last <= first:
        return 0
    return sum(1 for i in range(1, (last - first).days + 1) if is_working_day(first + dt.timedelta(days=i)))


def add_days(start: dt.date, days: int) -> dt.date:
    """Calendar days (used where the law counts days, not working days, e.g. complaint resolution)."""
    return start + dt.timedelta(days=days)
