"""Parking rules (DOMAIN.md §8): Vietnamese number plates and fees computed from a tariff.

Plates
    Cars: ``29A-123.45`` (five-digit serial, since 2010), ``29A-1234`` (older four-digit serial), two-letter
    series such as ``29LD-123.45``. Motorbikes: ``29-B1 123.45`` (the series is a letter and a digit).
    Input is forgiving (``30e12345``, ``30E-12345``, ``29 b1 12345``); the canonical text is the one on the
    plate. The first two digits are the province series; Hanoi's are 29-33 and 40. There is deliberately no
    province table (DOMAIN.md: do not hard-code it), only the valid range 11-99.

Fees (Decision 44/2017/QĐ-UBND, from 1 Jan 2018; the tariff itself is data, see ``Tariff``)
    A continuous stretch of parking costs one *turn* (``first_block_price``) for the first
    ``first_block_minutes`` (any part of it), then each started ``step_minutes`` costs ``step_price``, the k-th
    step ``step_increment`` more than the one before (progressive from the 3rd hour for iParking cars).

    ASSUMPTION (the decision's exact progressive multipliers were not found, DOMAIN.md §11): the seeded iParking
    tariff charges the 3rd hour 15,000 VND and 5,000 VND more for each hour after it (4th 20,000, 5th 25,000...).
    Change the tariff row, not this code, when the official figures are known.

    Overnight (``overnight_from``-``overnight_to``, 18:00-06:00 local time): a session that is parked over a
    night's midnight pays that night flat: ``overnight_price``, or ``overnight_turns`` turns (6 turns = 150,000
    VND for iParking cars). Its time inside that night window is not charged by the hour. The daytime stretches
    around the nights are charged by the hour, each starting a new first block (each day is a new turn).
    Parking in the evening without staying past midnight is charged by the hour.

    ``daily_cap`` (motorbikes' "day and night" price): the fee never exceeds the cap times the number of
    started 24-hour periods.

Sessions reported by meters and the app (the write side)
    A start may be reported late by a meter that batches its reports, by at most ``MAX_START_DELAY`` (15
    minutes): an older start would claim a space in the past, when the facility may have been full. A start or
    an end may not be in the future (``CLOCK_SKEW``, one minute, is tolerated). An end may be reported any time
    later (a forgotten session closed with its real departure time), never before its start. Times must carry
    their offset. A facility's spaces and tariff are for one vehicle class (all seeded facilities: cars), so a
    session's vehicle class must be the facility's, and the plate's kind (car or motorbike plate) must agree.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

VehicleClass = Literal["CAR", "MOTORBIKE", "BICYCLE"]

HANOI_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
HANOI_SERIES = frozenset({"29", "30", "31", "32", "33", "40"})
"""Province series of Hanoi number plates (33 was Hà Tây's before the 2008 merger)."""

UNUSED_LETTERS = frozenset("IJOQW")
"""Letters not issued in plate series (I/O/Q read as digits; J and W are not in the Vietnamese alphabet)."""


# ---------------------------------------------------------------------------------------------------------
# Number plates
# ---------------------------------------------------------------------------------------------------------


class InvalidPlate(ValueError):
    """Text that is not a Vietnamese number plate."""


@dataclass(frozen=True)
class Plate:
    province: str
    """Two-digit province series, e.g. '29'."""
    series: str
    """Letters (cars: 'A', 'LD') or letter and digit (motorbikes: 'B1')."""
    serial: str
    """Order number: 5 digits (current) or 4 digits (older plates)."""
    vehicle_class: VehicleClass

    @property
    def text(self) -> str:
        """Canonical text: '29A-123.45', '29A-1234', '29-B1 123.45'."""
        serial = f"{self.serial[:3]}.{self.serial[3:]}" if len(self.serial) == 5 else self.serial
        if self.vehicle_class == "MOTORBIKE":
            return f"{self.province}-{self.series} {serial}"
        return f"{self.province}{self.series}-{serial}"

    @property
    def is_hanoi(self) -> bool:
        return self.province in HANOI_SERIES


_SERIAL = r"(?P<serial>\d{3}\.?\d{2}|\d{4})"
_MOTORBIKE_DASHED = re.compile(rf"^(?P<province>\d{{2}}) ?- ?(?P<series>[A-Z][A-Z0-9]) ?-? ?{_SERIAL}$")
_CAR = re.compile(rf"^(?P<province>\d{{2}}) ?(?P<series>[A-Z]{{1,2}}) ?-? ?{_SERIAL}$")
_MOTORBIKE_COMPACT = re.compile(rf"^(?P<province>\d{{2}}) ?(?P<series>[A-Z]\d) ?-? ?{_SERIAL}$")
_PATTERNS: tuple[tuple[re.Pattern[str], VehicleClass], ...] = (
    (_MOTORBIKE_DASHED, "MOTORBIKE"),
    (_CAR, "CAR"),
    (_MOTORBIKE_COMPACT, "MOTORBIKE"),
)


def parse_plate(value: str) -> Plate:
    """Parse and validate a plate in any common spelling; raises InvalidPlate.

    A dash right after the province digits marks a motorbike (``29-B1 123.45``); without it a letter series
    is a car (``29A12345``), and a letter-digit series that cannot be a car is a motorbike (``29B112345``).
    """
    text = " ".join(unicodedata.normalize("NFC", value).upper().split())
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if m:
            return _checked(value, m["province"], m["series"], m["serial"].replace(".", ""), kind)
    raise InvalidPlate(f"{value!r} is not a number plate like 29A-123.45 or 29-B1 123.45")


def _checked(value: str, province: str, series: str, serial: str, kind: VehicleClass) -> Plate:
    if not 11 <= int(province) <= 99:
        raise InvalidPlate(f"{value!r}: province series {province} does not exist (11-99)")
    if UNUSED_LETTERS & set(series):
        raise InvalidPlate(f"{value!r}: series {series} uses a letter that is not issued")
    if int(serial) == 0:
        raise InvalidPlate(f"{value!r}: serial number 0 is not issued")
    return Plate(province, series, serial, kind)


def mask_plate(value: object) -> str | None:
    """A plate as operators see it: the province series and the last two digits, '29A-123.45' -> '29A-***.45'
    ('29-B1 123.45' -> '29-B1 ***.45', '29A-1234' -> '29A-**34'). Enough to tell plates apart on a screen and to
    count by province, not enough to look a vehicle up. Anything that is not a plate -> None."""
    if not isinstance(value, str):
        return None
    try:
        plate = parse_plate(value)
    except InvalidPlate:
        return None
    masked = "*" * (len(plate.serial) - 2) + plate.serial[-2:]
    return Plate(plate.province, plate.series, masked, plate.vehicle_class).text


def normalize_plate(value: str) -> str:
    """The canonical text of a plate ('30e12345' → '30E-123.45'); raises InvalidPlate."""
    return parse_plate(value).text


# ---------------------------------------------------------------------------------------------------------
# Fees
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TariffRule:
    """The numbers of one tariff row that the fee depends on (all money in VND)."""

    first_block_minutes: int
    first_block_price: int
    step_minutes: int
    step_price: int
    step_increment: int = 0
    overnight_from: dt.time | None = None
    overnight_to: dt.time | None = None
    overnight_turns: int | None = None
    overnight_price: int | None = None
    daily_cap: int | None = None

    @property
    def overnight_flat(self) -> int | None:
        """What one night costs: an explicit price, or a number of turns."""
        if self.overnight_price is not None:
            return self.overnight_price
        if self.overnight_turns is not None:
            return self.overnight_turns * self.first_block_price
        return None


def stretch_fee(rule: TariffRule, minutes: int) -> int:
    """The fee for one continuous stretch charged by time: a first block, then progressive steps."""
    extra = minutes - rule.first_block_minutes
    if extra <= 0:
        return rule.first_block_price
    steps = -(-extra // rule.step_minutes)
    return rule.first_block_price + steps * rule.step_price + rule.step_increment * steps * (steps - 1) // 2


def _minutes(delta: dt.timedelta) -> int:
    """Whole minutes, any started minute counting."""
    return -(-int(delta.total_seconds()) // 60)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def parking_fee(rule: TariffRule, started_at: dt.datetime, ended_at: dt.datetime) -> int:
    """The fee in VND for parking from ``started_at`` to ``ended_at`` (naive values are UTC)."""
    start = _utc(started_at).astimezone(HANOI_TZ)
    end = _utc(ended_at).astimezone(HANOI_TZ)
    if end < start:
        raise ValueError("a parking session cannot end before it starts")
    flat = rule.overnight_flat
    stretches: list[int] = []
    nights = 0
    if flat is not None and rule.overnight_from is not None and rule.overnight_to is not None:
        cursor = start
        day = start.date() - dt.timedelta(days=1)
        while day <= end.date():
            midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), HANOI_TZ)
            if start < midnight < end:
                night_start = max(dt.datetime.combine(day, rule.overnight_from, HANOI_TZ), start)
                night_end = min(dt.datetime.combine(day + dt.timedelta(days=1), rule.overnight_to, HANOI_TZ), end)
                if night_start > cursor:
                    stretches.append(_minutes(night_start - cursor))
                nights += 1
                cursor = night_end
            day += dt.timedelta(days=1)
        if end > cursor:
            stretches.append(_minutes(end - cursor))
    else:
        stretches.append(_minutes(end - start))
    fee = nights * (flat or 0) + sum(stretch_fee(rule, m) for m in stretches)
    if not stretches and not nights:
        fee = rule.first_block_price  # a session that ended as it started still took a turn
    if rule.daily_cap is not None:
        days = max(1, -(-_minutes(end - start) // 1440))
        fee = min(fee, rule.daily_cap * days)
    return fee


# ---------------------------------------------------------------------------------------------------------
# Reported times and vehicle classes of sessions (mutations)
# ---------------------------------------------------------------------------------------------------------

MAX_START_DELAY = dt.timedelta(minutes=15)
"""How late a meter may report a start (it batches its reports)."""
CLOCK_SKEW = dt.timedelta(minutes=1)
"""How far in the future a reported time may be, for devices whose clocks run a little fast."""

PLATE_FORMATS = "cars 29A-123.45 (also 29A-1234, 29LD-123.45), motorbikes 29-B1 123.45"
"""The accepted plate formats, for error messages."""


def reported_time_problem(value: dt.datetime, now: dt.datetime, *, max_age: dt.timedelta | None) -> str | None:
    """Why a reported start or end time is not acceptable, or None: it needs an offset, must not be in the
    future (beyond the clock skew) and, with ``max_age``, must not be older than that."""
    if value.tzinfo is None or value.utcoffset() is None:
        return "Give the time with its offset, e.g. 2025-03-03T10:00:00+07:00"
    if value > now + CLOCK_SKEW:
        return "The time is in the future"
    if max_age is not None and value < now - max_age:
        minutes = int(max_age.total_seconds() // 60)
        return f"A start may be reported at most {minutes} minutes late"
    return None


def vehicle_class_problem(plate: Plate, vehicle_class: str, facility_class: str) -> str | None:
    """Why a vehicle of this class with this plate cannot park at a facility for ``facility_class``, or None."""
    plate_class = "MOTORBIKE" if plate.vehicle_class == "MOTORBIKE" else "CAR"
    if vehicle_class != plate_class:
        return f"{plate.text} is a {plate_class.lower()} plate, not a {vehicle_class.lower()}'s"
    if vehicle_class != facility_class:
        return f"This facility's spaces and tariff are for {facility_class.lower()}s, not {vehicle_class.lower()}s"
    return None
