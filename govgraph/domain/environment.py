"""Rules for ingesting monitoring readings (DOMAIN.md §5): what each station kind measures, units, plausibility
flags, and when a change is worth an alert. Pure functions, no I/O.

Quality control (what a gateway sends is stored, never silently dropped):

- ``OUT_OF_RANGE``: physically impossible or beyond any instrument's range — a negative concentration, pH
  outside 0-14, a value above the parameter's physical maximum (``LIMITS``).
- ``SUSPECT``: possible but inconsistent — a time in the future (more than ``FUTURE_TOLERANCE`` ahead of the
  server clock), or PM2.5 greater than PM10 at the same station and hour (PM2.5 is a fraction of PM10, so one
  of the two instruments is wrong; we cannot tell which, so both values of the pair are flagged).

Flagged values are kept with their flag and never enter an index: the AQI reads ``quality = 'OK'`` readings only
and the WQI is computed from a sample's ``OK`` values.

Alerts: a station's latest hourly AQI moving into another category (Table 1 of 1459/QĐ-TCMT), and a flood point's
latest depth crossing one of ``FLOOD_THRESHOLDS_CM``: 10 cm (water on the road: "ngập"), 30 cm (motorbikes stall,
the drainage company reports the street as deeply flooded) and 50 cm (impassable, traffic diverted).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from govgraph.domain import aqi as vn_aqi
from govgraph.domain import wqi as vn_wqi

MAX_BATCH = 10_000
"""Readings per ingest call."""

FUTURE_TOLERANCE = dt.timedelta(minutes=5)
"""How far ahead of the server clock a measurement time may be (clock skew of a gateway) before it is suspect."""

AIR_PARAMETERS: tuple[str, ...] = (*vn_aqi.POLLUTANTS, "TEMPERATURE")
WATER_PARAMETERS: tuple[str, ...] = (*(p for group in vn_wqi.GROUPS.values() for p in group), "TEMPERATURE")

PARAMETERS_BY_KIND: dict[str, tuple[str, ...]] = {
    "AIR": AIR_PARAMETERS,
    "LAKE_WATER": WATER_PARAMETERS,
    "RAIN_GAUGE": ("RAINFALL_MM",),
    "FLOOD_POINT": ("DEPTH_CM",),
    "WATER_LEVEL": ("LEVEL_M",),
}
"""What each kind of station measures; anything else sent for it is refused (a wiring or mapping error)."""

AVERAGING_BY_KIND: dict[str, str] = {
    "AIR": "H1",
    "LAKE_WATER": "SAMPLE",
    "RAIN_GAUGE": "H1",
    "FLOOD_POINT": "INSTANT",
    "WATER_LEVEL": "INSTANT",
}
"""The averaging period of what each kind of station reports."""

HOURLY_KINDS = frozenset({"AIR", "RAIN_GAUGE"})
"""Kinds whose values are hourly averages or totals, keyed by the start of the hour: their times must be on the
hour (10:00:00, not 10:00:05), or the same hour would be stored twice and the AQI series would miss it."""

_PESTICIDES = vn_wqi.GROUPS["II"]

UNITS: dict[str, str] = {
    **{p: "µg/m³" for p in vn_aqi.POLLUTANTS},
    **{p: "mg/L" for p in (*vn_wqi.GROUPS["III"], *vn_wqi.GROUPS["IV"])},
    **{p: "µg/L" for p in _PESTICIDES},
    "PH": "pH",
    "COLIFORM": "MPN/100mL",
    "ECOLI": "MPN/100mL",
    "TEMPERATURE": "°C",
    "RAINFALL_MM": "mm",
    "DEPTH_CM": "cm",
    "LEVEL_M": "m",
}
"""The unit each parameter is stored in."""


def _norm(unit: str) -> str:
    """Compare spellings: no spaces, lower case, µ for μ or a leading u, 3 for ³ ("ug/m3" = "µg/m³")."""
    s = "".join(unit.split()).lower().replace("\u03bc", "\u00b5").replace("\u00b3", "3")
    return "\u00b5" + s[1:] if s.startswith("u") else s


_ALIASES: dict[str, dict[str, float]] = {
    "µg/m³": {"µg/m3": 1.0, "mg/m3": 1000.0},
    "mg/L": {"mg/l": 1.0, "µg/l": 0.001, "ppm": 1.0},
    "µg/L": {"µg/l": 1.0, "mg/l": 1000.0, "ppb": 1.0},
    "pH": {"ph": 1.0, "": 1.0},
    "MPN/100mL": {"mpn/100ml": 1.0},
    "°C": {"°c": 1.0, "c": 1.0, "degc": 1.0},
    "mm": {"mm": 1.0},
    "cm": {"cm": 1.0, "mm": 0.1, "m": 100.0},
    "m": {"m": 1.0, "cm": 0.01},
}
"""Accepted spellings of other units and the factor to the stored unit. Only exact conversions: ppb/ppm of a gas
depend on temperature and pressure, so gases must be sent in mass concentration (µg/m³ or mg/m³)."""


def convert(parameter: str, value: float, unit: str | None) -> float | None:
    """``value`` in the stored unit of ``parameter``; None when ``unit`` is not one we can convert from."""
    if unit is None:
        return value
    factor = _ALIASES[UNITS[parameter]].get(_norm(unit))
    return None if factor is None else value * factor


LIMITS: dict[str, tuple[float, float]] = {
    # air, µg/m³: beyond the measuring range of monitoring-grade analysers (BAM PM 0-1000/0-2000 ...)
    "PM2_5": (0, 1_000),
    "PM10": (0, 2_000),
    "O3": (0, 2_000),
    "CO": (0, 200_000),
    "SO2": (0, 5_000),
    "NO2": (0, 5_000),
    # water
    "PH": (0, 14),
    "DO": (0, 25),  # mg/L; saturation is ~8-14 mg/L, supersaturated algal blooms stay below 25
    "BOD5": (0, 2_000),
    "COD": (0, 5_000),
    "TOC": (0, 2_000),
    "NH4": (0, 500),
    "NO3": (0, 500),
    "N_NO2": (0, 100),
    "PO4": (0, 200),
    "COLIFORM": (0, 1e9),
    "ECOLI": (0, 1e9),
    **{p: (0, 100) for p in vn_wqi.GROUPS["III"]},
    **{p: (0, 1_000) for p in _PESTICIDES},
    "TEMPERATURE": (-10, 60),
    # drainage
    "RAINFALL_MM": (0, 400),  # mm in one hour: above the world record (~305 mm)
    "DEPTH_CM": (0, 300),  # a street sensor under 3 m of water is broken or submerged
    "LEVEL_M": (-10, 50),  # metres above the gauge datum
}
"""Physical limits per parameter (stored unit); a value outside is OUT_OF_RANGE."""


@dataclass(frozen=True)
class Check:
    quality: str
    """OK, OUT_OF_RANGE or SUSPECT."""
    reason: str | None = None


def check(parameter: str, value: float, measured_at: dt.datetime, now: dt.datetime) -> Check:
    """The quality flag of one value on its own (the PM2.5/PM10 pair check is ``pm_pair_suspect``)."""
    lo, hi = LIMITS[parameter]
    if value < lo:
        return Check("OUT_OF_RANGE", f"below {lo:g} {UNITS[parameter]}")
    if value > hi:
        return Check("OUT_OF_RANGE", f"above the physical maximum {hi:g} {UNITS[parameter]}")
    if measured_at > now + FUTURE_TOLERANCE:
        return Check("SUSPECT", "measured in the future")
    return Check("OK")


def pm_pair_suspect(pm2_5: float, pm10: float) -> bool:
    """PM2.5 above PM10 at the same station and hour is impossible (PM2.5 is part of PM10)."""
    return pm2_5 > pm10


def valid_number(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def same_value(a: float, b: float) -> bool:
    """Whether a resent value is the one stored (allowing for float round trips)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# ---------------------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------------------

FLOOD_THRESHOLDS_CM: tuple[int, ...] = (10, 30, 50)

_ORDER = [cat.code for _, cat in vn_aqi.CATEGORIES]


def aqi_crossing(previous: int | None, new: int | None) -> str | None:
    """AQI_WORSENED / AQI_IMPROVED when the latest hourly AQI moved to another category; None otherwise.

    No alert without a previous value (a new station's first AQI crosses nothing).
    """
    if previous is None or new is None:
        return None
    before, after = _ORDER.index(vn_aqi.category(previous).code), _ORDER.index(vn_aqi.category(new).code)
    if after > before:
        return "AQI_WORSENED"
    if after < before:
        return "AQI_IMPROVED"
    return None


def flood_band(depth_cm: float) -> int:
    """How many thresholds the depth reaches: 0 below 10 cm, 1 from 10, 2 from 30, 3 from 50."""
    return sum(depth_cm >= t for t in FLOOD_THRESHOLDS_CM)


def flood_crossing(previous: float | None, new: float | None) -> tuple[str, int] | None:
    """(FLOOD_RISING or FLOOD_RECEDING, the threshold passed) when the latest depth crossed thresholds.

    Rising reports the highest threshold reached; receding the lowest one the water fell below. The first
    depth of a point counts from a dry street (0 cm).
    """
    if new is None:
        return None
    before, after = flood_band(previous or 0.0), flood_band(new)
    if after > before:
        return "FLOOD_RISING", FLOOD_THRESHOLDS_CM[after - 1]
    if after < before:
        return "FLOOD_RECEDING", FLOOD_THRESHOLDS_CM[after]
    return None
