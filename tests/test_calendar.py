"""Working-day calendar: weekends, statutory holidays, compensatory days, pauses."""

from __future__ import annotations

import datetime as dt

import pytest

from govgraph.domain.calendar import (
    CalendarRangeError,
    add_working_days,
    holidays,
    is_working_day,
    next_working_day,
    working_days_between,
)

D = dt.date


def test_weekends_and_fixed_holidays_are_not_working_days() -> None:
    assert not is_working_day(D(2026, 11, 28))  # Saturday
    assert not is_working_day(D(2026, 4, 30)) and not is_working_day(D(2026, 5, 1))
    assert not is_working_day(D(2026, 9, 2)) and not is_working_day(D(2026, 9, 1))
    assert is_working_day(D(2026, 11, 27))  # Friday


def test_tet_and_hung_kings() -> None:
    assert all(not is_working_day(D(2026, 2, 16) + dt.timedelta(days=i)) for i in range(5))  # 16-20 Feb 2026
    assert D(2026, 4, 26) in holidays(2026)  # Hùng Kings, a Sunday ...
    assert not is_working_day(D(2026, 4, 27))  # ... so Monday is the compensatory day


def test_announced_tet_2025_schedule_wins() -> None:
    for day in (D(2025, 1, 27), D(2025, 1, 31)):
        assert not is_working_day(day)
    assert is_working_day(D(2025, 2, 3))


def test_adding_working_days_skips_weekends_holidays_and_pauses() -> None:
    # Friday 24 Apr 2026 + 3 WD: Mon 27 (compensatory for Hùng Kings), Thu 30/4, Fri 1/5 are off:
    # Tue 28, Wed 29, Mon 4 May.
    assert add_working_days(D(2026, 4, 24), 3) == D(2026, 5, 4)
    assert add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 30)
    assert add_working_days(D(2026, 11, 23), 5, paused=[(D(2026, 11, 25), D(2026, 11, 26))]) == D(2026, 12, 2)
    assert add_working_days(D(2026, 11, 23), 0) == D(2026, 11, 23)


def test_counting_and_next_day() -> None:
    assert working_days_between(D(2026, 11, 20), D(2026, 11, 27)) == 5
    assert working_days_between(D(2026, 11, 27), D(2026, 11, 20)) == 0
    assert next_working_day(D(2026, 11, 27)) == D(2026, 11, 30)


def test_years_without_lunar_data_are_refused() -> None:
    with pytest.raises(CalendarRangeError):
        is_working_day(D(2031, 3, 3))
