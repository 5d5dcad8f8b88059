"""VN_AQI: Vietnam's air quality index, Decision 1459/QĐ-TCMT of 12 Nov 2019 (DOMAIN.md §5.1).

Pure functions, no I/O. Concentrations are in µg/m³ (CO included). An hourly AQI uses the NowCast concentration
for PM2.5 and PM10 and the current 1-hour average for O₃, CO, SO₂ and NO₂; a daily AQI uses 24-hour averages
for PM and the day's maximum 1-hour (and, for O₃, 8-hour) averages for the gases. Every AQI needs PM10 or PM2.5.

Hours are identified by the START of their averaging period (``10:00`` is the average of 10:00-11:00).

Two completeness rules are implementation choices (the decision, as summarised in DOMAIN.md, does not give
them): a daily 24-hour PM average needs at least 18 of the 24 hourly values, and an 8-hour O₃ average needs at
least 6 of its 8 hours (75 %, the usual data-capture rule). The NowCast rule (2 of the last 3 hours) is the
decision's own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

METHOD = "VN_AQI_1459_2019"

LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)
"""Iᵢ, the index value at each breakpoint level (Table 2)."""

BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "O3_1H": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "O3_8H": (0, 100, 120, 170, 210, 400),
    "CO": (0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000),
    "SO2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "NO2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
    "PM2_5": (0, 25, 50, 80, 150, 250, 350, 500),
}
"""BPᵢ in µg/m³ per table (Table 2). PM tables are for 24-hour (or NowCast) concentrations."""

POLLUTANTS: tuple[str, ...] = ("PM2_5", "PM10", "O3", "CO", "SO2", "NO2")
PM: tuple[str, ...] = ("PM2_5", "PM10")
GASES_1H: tuple[str, ...] = ("CO", "SO2", "NO2")
NOWCAST_HOURS = 12
DAY_PM_MIN_HOURS = 18
O3_8H_MIN_HOURS = 6


@dataclass(frozen=True)
class Category:
    """A row of Table 1: the band an AQI falls in, its Vietnamese rating and its colour."""

    code: str
    rating: str
    colour: str
    hex: str
    rgb: tuple[int, int, int]


CATEGORIES: tuple[tuple[int, Category], ...] = (
    (50, Category("GOOD", "Tốt", "Xanh", "#00E400", (0, 228, 0))),
    (100, Category("MODERATE", "Trung bình", "Vàng", "#FFFF00", (255, 255, 0))),
    (150, Category("POOR", "Kém", "Da cam", "#FF7E00", (255, 126, 0))),
    (200, Category("BAD", "Xấu", "Đỏ", "#FF0000", (255, 0, 0))),
    (300, Category("VERY_BAD", "Rất xấu", "Tím", "#8F3F97", (143, 63, 151))),
    (500, Category("HAZARDOUS", "Nguy hại", "Nâu", "#7E0023", (126, 0, 35))),
)


def category(aqi: int) -> Category:
    """The category of an (integer) AQI: 0-50 Tốt ... 301-500 Nguy hại."""
    if aqi < 0:
        raise ValueError(f"AQI cannot be negative: {aqi}")
    for upper, cat in CATEGORIES:
        if aqi <= upper:
            return cat
    return CATEGORIES[-1][1]


def round_half_up(value: float) -> int:
    """Round to an integer, halves away from zero (116.5 → 117), as the published implementations do."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sub_index(table: str, concentration: float) -> float | None:
    """Formula 1: the (unrounded) sub-index of a concentration on one breakpoint table.

    At or above the top breakpoint (level 8) the sub-index is capped at 500. The O₃ 8-hour table stops at
    400 µg/m³: above that the 8-hour sub-index is not computed (None).
    """
    if math.isnan(concentration) or concentration < 0:
        raise ValueError(f"concentration must be a non-negative number, got {concentration}")
    bps = BREAKPOINTS[table]
    if concentration >= bps[-1]:
        if len(bps) == len(LEVELS):
            return float(LEVELS[-1])
        return float(LEVELS[len(bps) - 1]) if concentration == bps[-1] else None
    for i in range(len(bps) - 1):
        lo, hi = bps[i], bps[i + 1]
        if lo <= concentration <= hi:
            return (LEVELS[i + 1] - LEVELS[i]) / (hi - lo) * (concentration - lo) + LEVELS[i]
    raise AssertionError("unreachable: breakpoints cover [0, top)")


def nowcast(values: Sequence[float | None]) -> float | None:
    """NowCast concentration from up to 12 hourly averages, ``values[0]`` being the current hour (c₁).

    At least 2 of c₁, c₂, c₃ must be present, otherwise None. A missing hour gets weight 0.
    w* = c_min / c_max; if w* ≤ 1/2 then NowCast = Σ (1/2)^i · cᵢ, else NowCast = Σ w^(i-1) cᵢ / Σ w^(i-1).
    """
    c = list(values[:NOWCAST_HOURS])
    c += [None] * (NOWCAST_HOURS - len(c))
    if sum(v is not None for v in c[:3]) < 2:
        return None
    present = [v for v in c if v is not None]
    c_min, c_max = min(present), max(present)
    if c_max <= 0:
        return 0.0
    w_star = c_min / c_max
    if w_star <= 0.5:
        return sum(0.5**i * v for i, v in enumerate(c, start=1) if v is not None)
    num = sum(w_star ** (i - 1) * v for i, v in enumerate(c, start=1) if v is not None)
    den = sum(w_star ** (i - 1) for i, v in enumerate(c, start=1) if v is not None)
    return num / den


@dataclass(frozen=True)
class SubIndex:
    pollutant: str
    value: int
    """Rounded half-up."""
    exact: float
    concentration: float
    """The concentration the sub-index was computed from (NowCast, 1h, 8h or 24h average), µg/m³."""
    averaging: str
    """NOWCAST, H1, H8 or H24."""


@dataclass(frozen=True)
class AqiResult:
    value: int
    dominant: str
    sub_indices: tuple[SubIndex, ...]
    method: str = METHOD

    @property
    def category(self) -> Category:
        return category(self.value)

    def sub(self, pollutant: str) -> SubIndex | None:
        return next((s for s in self.sub_indices if s.pollutant == pollutant), None)


def _make(table: str, pollutant: str, conc: float, averaging: str) -> SubIndex | None:
    exact = sub_index(table, conc)
    if exact is None:
        return None
    return SubIndex(pollutant, round_half_up(exact), exact, conc, averaging)


def _combine(subs: Iterable[SubIndex | None]) -> AqiResult | None:
    found = [s for s in subs if s is not None]
    if not any(s.pollutant in PM for s in found):
        return None  # no AQI without PM10 or PM2.5
    top = max(found, key=lambda s: (s.exact, -POLLUTANTS.index(s.pollutant)))
    return AqiResult(round_half_up(top.exact), top.pollutant, tuple(found))


def hourly_aqi(history: Mapping[str, Sequence[float | None]]) -> AqiResult | None:
    """AQI giờ. ``history[pollutant][0]`` is the current hour's 1-hour average, ``[1]`` the hour before, ...

    PM2.5 and PM10 need up to 12 hours (NowCast); O₃ (1h table), CO, SO₂ and NO₂ use only the current hour.
    Returns None when neither PM2.5 nor PM10 gives a sub-index.
    """
    subs: list[SubIndex | None] = []
    for p in PM:
        nc = nowcast(history.get(p, ()))
        subs.append(_make(p, p, nc, "NOWCAST") if nc is not None else None)
    o3 = (history.get("O3") or [None])[0]
    if o3 is not None:
        subs.append(_make("O3_1H", "O3", o3, "H1"))
    for p in GASES_1H:
        c = (history.get(p) or [None])[0]
        if c is not None:
            subs.append(_make(p, p, c, "H1"))
    return _combine(subs)


def eight_hour_averages(hours: Sequence[float | None]) -> list[float]:
    """Rolling 8-hour averages over consecutive hourly values (windows with at least 6 values present)."""
    out = []
    for end in range(8, len(hours) + 1):
        window = [v for v in hours[end - 8 : end] if v is not None]
        if len(window) >= O3_8H_MIN_HOURS:
            out.append(sum(window) / len(window))
    return out


def daily_aqi(day: Mapping[str, Sequence[float | None]]) -> AqiResult | None:
    """AQI ngày from one day's 24 hourly averages per pollutant (index 0 = the hour starting at 00:00).

    PM: 24-hour average (needs 18 hours). O₃: the larger of the sub-index of the day's maximum 1-hour average
    (1h table) and that of its maximum 8-hour average (8h table; not computed above 400 µg/m³). SO₂, CO, NO₂:
    the day's maximum 1-hour average.
    """
    subs: list[SubIndex | None] = []
    for p in PM:
        vals = [v for v in day.get(p, ()) if v is not None]
        if len(vals) >= DAY_PM_MIN_HOURS:
            subs.append(_make(p, p, sum(vals) / len(vals), "H24"))
    o3_hours = list(day.get("O3", ()))
    o3_vals = [v for v in o3_hours if v is not None]
    if o3_vals:
        one = _make("O3_1H", "O3", max(o3_vals), "H1")
        eights = eight_hour_averages(o3_hours)
        eight = _make("O3_8H", "O3", max(eights), "H8") if eights else None
        candidates = [s for s in (one, eight) if s is not None]
        subs.append(max(candidates, key=lambda s: s.exact) if candidates else None)
    for p in GASES_1H:
        vals = [v for v in day.get(p, ()) if v is not None]
        if vals:
            subs.append(_make(p, p, max(vals), "H1"))
    return _combine(subs)


Series = Mapping[str, Mapping[dt.datetime, float]]
"""Hourly 1-hour averages of one station: pollutant → {hour start: µg/m³} (valid readings only)."""


def hourly_series(series: Series, hours: Iterable[dt.datetime]) -> Iterator[tuple[dt.datetime, AqiResult]]:
    """The hourly AQI of one station at each of ``hours`` that has one.

    An hour in which the station reported no pollutant at all gets no AQI (a station that has stopped does not
    keep publishing), even though NowCast alone could still be computed from the two hours before.
    """
    step = dt.timedelta(hours=1)
    for hour in hours:
        if not any(hour in values for values in series.values()):
            continue
        history: dict[str, list[float | None]] = {}
        for p in POLLUTANTS:
            values = series.get(p)
            if not values:
                continue
            span = NOWCAST_HOURS if p in PM else 1
            history[p] = [values.get(hour - i * step) for i in range(span)]
        result = hourly_aqi(history)
        if result is not None:
            yield hour, result


def daily_series(series: Series, days: Iterable[dt.date], tz: dt.tzinfo) -> Iterator[tuple[dt.date, AqiResult, int]]:
    """The daily AQI of one station for each local day of ``days`` that has one, with the PM hours covered."""
    step = dt.timedelta(hours=1)
    for day in days:
        start = dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)
        slots = [start + i * step for i in range(24)]
        hours = {p: [series[p].get(h) for h in slots] for p in POLLUTANTS if p in series}
        result = daily_aqi(hours)
        if result is not None:
            covered = max(sum(v is not None for v in hours.get(p, [])) for p in PM)
            yield day, result, covered
