"""Civil-registry rules (hộ tịch, DOMAIN.md §3): book numbers, deadlines, marriage ages. Pure functions."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from govgraph.domain.calendar import CalendarRangeError, is_working_day


class RegisterType(StrEnum):
    """The three register books digitised here (each event type has its own book)."""

    BIRTH = "BIRTH"
    MARRIAGE = "MARRIAGE"
    DEATH = "DEATH"


BOOK_SUFFIX: dict[RegisterType, str] = {
    RegisterType.BIRTH: "KS",  # khai sinh
    RegisterType.MARRIAGE: "KH",  # kết hôn
    RegisterType.DEATH: "KT",  # khai tử
}

DEADLINE_DAYS: dict[RegisterType, int] = {
    RegisterType.BIRTH: 60,  # Law on Civil Status Art. 15: within 60 days of the birth
    RegisterType.DEATH: 15,  # Art. 33: within 15 days of the death
}

MIN_MARRIAGE_AGE = {"MALE": 20, "FEMALE": 18}
"""Law on Marriage and Family 2014, Art. 8: a man from full 20 years, a woman from full 18."""

_PRINTED = re.compile(r"^(\d{2,3})-TP/HT-(\d{4})-(KS|KH|KT)$")


def printed_book_number(book_no: int, year: int, register_type: RegisterType | str) -> str:
    """The number printed on a book's cover, e.g. ``01-TP/HT-2015-KS`` (Circular 15/2015 style)."""
    if not 1 <= book_no <= 999:
        raise ValueError(f"book numbers run from 01 per type and year, got {book_no}")
    return f"{book_no:02d}-TP/HT-{year}-{BOOK_SUFFIX[RegisterType(register_type)]}"


def parse_printed_book_number(printed: str) -> tuple[int, int, RegisterType]:
    """(book number, year, register type) from a printed book number; ValueError when malformed."""
    m = _PRINTED.match(printed.strip())
    if not m:
        raise ValueError(f"{printed!r} is not a register book number like 01-TP/HT-2015-KS")
    suffix = {v: k for k, v in BOOK_SUFFIX.items()}[m.group(3)]
    return int(m.group(1)), int(m.group(2)), suffix


def is_late(register_type: RegisterType | str, event_date: dt.date, registered_on: dt.date) -> bool:
    """True when a birth or death was registered after its legal deadline (đăng ký quá hạn).

    Marriage has no deadline: it takes effect on registration.
    """
    days = DEADLINE_DAYS.get(RegisterType(register_type))
    if days is None:
        return False
    if registered_on < event_date:
        raise ValueError("an event cannot be registered before it happened")
    return (registered_on - event_date).days > days


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Full years of age on ``day``."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def may_marry(sex: str, date_of_birth: dt.date, on: dt.date) -> bool:
    """Whether a person has reached the legal marriage age on ``on``."""
    return age_on(date_of_birth, on) >= MIN_MARRIAGE_AGE[sex]


def is_office_day(day: dt.date) -> bool:
    """Whether a ward office registers events that day: the working-day calendar where it has data,
    otherwise weekdays other than the fixed-date holidays (1 Jan, 30 Apr, 1 May, 2 Sep)."""
    try:
        return is_working_day(day)
    except CalendarRangeError:
        fixed = {(1, 1), (4, 30), (5, 1), (9, 2)}
        return day.weekday() < 5 and (day.month, day.day) not in fixed


def next_office_day(day: dt.date) -> dt.date:
    """``day`` itself when the office is open, else the next day it is."""
    while not is_office_day(day):
        day += dt.timedelta(days=1)
    return day


# ---------------------------------------------------------------------------------------------------------
# Registering new events (the write side)
# ---------------------------------------------------------------------------------------------------------

HANOI_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
"""Asia/Ho_Chi_Minh: registration dates are Hanoi calendar days."""

HANOI_PROVINCE = "001"
"""Province code of a personal ID issued at a birth registered in Hà Nội (DOMAIN.md §2.1: where the birth
was registered, not where the person lives)."""

BOOK_CAPACITY = 200
"""Entries per register book written by the API (and by the seed). A book that reaches it is closed on the
date of its last entry and the next entry opens book N+1 of the same office, type and year. Circular
04/2020/TT-BTP leaves the size of a book to the printed register; 200 entries keeps a year of a large ward in
a handful of books."""

SPOUSE_SEX: dict[str, str] = {"HUSBAND": "MALE", "WIFE": "FEMALE"}
PARENT_SEX: dict[str, str] = {"FATHER": "MALE", "MOTHER": "FEMALE"}


def hanoi_today(now: dt.datetime | None = None) -> dt.date:
    """The calendar day in Hanoi at ``now`` (default: the current time)."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(HANOI_TZ).date()


def hanoi_day(moment: dt.datetime) -> dt.date:
    """The Hanoi calendar day of a moment; a naive moment is read as Hanoi local time."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(HANOI_TZ).date()


def event_date_problem(register_type: RegisterType | str, event_date: dt.date, registered_on: dt.date) -> str | None:
    """Why an event date is impossible for a registration made on ``registered_on``, or None.

    A birth or death cannot be registered before it happened (an event dated in the future). Being later
    than the deadline is allowed: that is a late registration (đăng ký quá hạn), flagged with :func:`is_late`.
    """
    kind = {"BIRTH": "birth", "DEATH": "death", "MARRIAGE": "marriage"}[RegisterType(register_type).value]
    if event_date > registered_on:
        return f"The {kind} date {event_date.isoformat()} is after the registration date {registered_on.isoformat()}"
    if event_date.year < 1900:
        return f"The {kind} date {event_date.isoformat()} is before 1900"
    return None


def marriage_age_problem(role: str, date_of_birth: dt.date, on: dt.date) -> str | None:
    """Why a husband (``HUSBAND``) or wife (``WIFE``) may not marry on ``on`` because of age, or None."""
    sex = SPOUSE_SEX[role]
    if may_marry(sex, date_of_birth, on):
        return None
    word = "husband" if role == "HUSBAND" else "wife"
    return (
        f"The {word} is {age_on(date_of_birth, on)}: a {'man' if sex == 'MALE' else 'woman'} may marry from full "
        f"{MIN_MARRIAGE_AGE[sex]} years (Law on Marriage and Family 2014, Art. 8)"
    )


def full_name(family: str, middle: str, given: str) -> str:
    """The full name in Vietnamese order; an empty middle part leaves no double space."""
    return " ".join(part for part in (family, middle, given) if part)


def book_is_full(entry_count: int, capacity: int = BOOK_CAPACITY) -> bool:
    return entry_count >= capacity
