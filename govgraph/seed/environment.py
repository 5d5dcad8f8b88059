"""Seed the environment store: Hanoi's air stations, West Lake sampling points, rain gauges, flood points and
level gauges, with hourly readings up to the current hour and the derived hourly and daily AQI.

demo: 10 air stations, 5 lake sampling points, 12 rain gauges, 20 flood points, 8 level gauges; 30 days.
city: 10 automatic air stations + 80 sensor stations, a rain gauge in each of the 126 units, 100 flood points;
365 days (about 5.4 million readings, written in COPY batches as they are generated).

The weather is one city-wide model (pollution episodes, rain showers and storms) that every station sees with
its own local factor and noise, so neighbouring stations agree the way real ones do. The demo has two pollution
episodes, a big storm (~320 mm, as on 30 Sep 2025) 18 days ago and a storm that is still going on, so some
flood points are under water now.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from govgraph.datasources.environment import (
    HANOI_TZ,
    aqi_daily,
    aqi_hourly,
    compute_aqi_rows,
    readings,
    stations,
)
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain.text import fold
from govgraph.seed import SeedContext
from govgraph.seed.names import STREETS

FLUSH = 100_000
HOUR = dt.timedelta(hours=1)

MONITORING = "Trung tâm Quan trắc Tài nguyên và Môi trường Hà Nội (Sở Nông nghiệp và Môi trường)"
DRAINAGE = "Công ty TNHH MTV Thoát nước Hà Nội"

# code, name, address, unit, lat, lon, traffic factor, PM only
AIR_STATIONS = [
    ("KK001", "Trạm Hoàn Kiếm", "Phố Tràng Tiền", "00070", 21.0245, 105.8560, 1.15, False),
    ("KK002", "Trạm Minh Khai - Bắc Từ Liêm", "Đường Văn Tiến Dũng", "00619", 21.0530, 105.7380, 1.05, False),
    ("KK003", "Trạm Đại học Bách Khoa", "Đường Trần Đại Nghĩa", "00292", 21.0040, 105.8455, 1.10, False),
    ("KK004", "Trạm Hàng Đậu", "Vườn hoa Hàng Đậu, phố Phan Đình Phùng", "00070", 21.0430, 105.8475, 1.20, True),
    ("KK005", "Trạm Kim Liên", "Phố Kim Liên Mới", "00229", 21.0080, 105.8365, 1.05, False),
    ("KK006", "Trạm Thành Công", "Phố Thành Công", "00025", 21.0195, 105.8160, 1.10, False),
    ("KK007", "Trạm Tân Mai", "Phố Tân Mai", "00322", 20.9845, 105.8500, 1.00, False),
    ("KK008", "Trạm 556 Nguyễn Văn Cừ", "Số 556 Nguyễn Văn Cừ", "00118", 21.0480, 105.8775, 1.25, False),
    ("KK009", "Trạm Tây Mỗ", "Đường Tây Mỗ", "00634", 21.0085, 105.7475, 0.95, True),
    ("KK010", "Trạm Vân Hà - Đông Anh", "Thôn Vân Hà", "00454", 21.1445, 105.9050, 0.85, False),
]  # fmt: skip
LATE_STATION = "KK009"
"""A station whose data logger stopped 5 hours ago (stations do fall behind; the city summary shows it)."""

# code, name, water body, address, unit, lat, lon, every n days
LAKE_STATIONS = [
    ("NM001", "Hồ Tây - cửa xả Thụy Khuê", "Hồ Tây", "Đường Thụy Khuê", "00103", 21.0440, 105.8185, 1),
    ("NM002", "Hồ Tây - giữa hồ (Quảng An)", "Hồ Tây", "Mặt hồ, đối diện phủ Tây Hồ", "00103", 21.0565, 105.8225, 1),
    ("NM003", "Hồ Tây - đường Thanh Niên", "Hồ Tây", "Đường Thanh Niên", "00004", 21.0455, 105.8380, 1),
    ("NM004", "Hồ Tây - Nhật Tân", "Hồ Tây", "Đường Âu Cơ, Nhật Tân", "00103", 21.0705, 105.8235, 1),
    ("NM005", "Hồ Hoàn Kiếm - Tháp Rùa", "Hồ Hoàn Kiếm", "Mặt hồ Hoàn Kiếm", "00070", 21.0285, 105.8523, 7),
]  # fmt: skip

# unit, lat, lon: rain gauges are named after the ward or commune since Jul 2025
RAIN_GAUGES = [
    ("00256", 21.0125, 105.8510), ("00190", 21.0210, 105.8290), ("00508", 21.1070, 105.7560),
    ("00070", 21.0300, 105.8520), ("00166", 21.0330, 105.7990), ("00331", 20.9810, 105.8640),
    ("09556", 20.9700, 105.7780), ("00145", 21.0280, 105.8990), ("00103", 21.0680, 105.8190),
    ("00367", 20.9950, 105.8110), ("00592", 21.0270, 105.7620), ("00640", 20.9380, 105.8450),
]  # fmt: skip

# street, basin, unit, lat, lon
FLOOD_POINTS = [
    ("Phố Nguyễn Khuyến (trước cổng Văn Miếu)", "TO_LICH", "00226", 21.0275, 105.8365),
    ("Đường Nguyễn Trãi (trước Đại học Khoa học Xã hội và Nhân văn)", "TO_LICH", "00367", 20.9960, 105.8075),
    ("Ngã tư Thái Hà - Chùa Bộc", "TO_LICH", "00235", 21.0085, 105.8235),
    ("Phố Trần Cung (ngã ba Hoàng Quốc Việt)", "TO_LICH", "00160", 21.0475, 105.7905),
    ("Đường Hoàng Quốc Việt (trước Bưu điện)", "TO_LICH", "00160", 21.0460, 105.7975),
    ("Phố Phan Bội Châu", "TO_LICH", "00082", 21.0255, 105.8445),
    ("Phố Lý Nam Đế", "TO_LICH", "00070", 21.0355, 105.8450),
    ("Ngã tư Minh Khai - Đại La", "TO_LICH", "00292", 20.9965, 105.8560),
    ("Phố Đội Cấn (đoạn Liễu Giai - Văn Cao)", "TO_LICH", "00008", 21.0360, 105.8160),
    ("Đường Trường Chinh (ngõ 322)", "TO_LICH", "00352", 20.9990, 105.8300),
    ("Phố Thụy Khuê (trước số 165)", "TO_LICH", "00103", 21.0425, 105.8200),
    ("Đường Phạm Văn Đồng (trước Học viện Cảnh sát)", "NHUE", "00602", 21.0600, 105.7820),
    ("Đường Lê Văn Lương (trước toà Hapulico)", "NHUE", "00175", 21.0030, 105.8020),
    ("Hầm chui Trung Hòa (Đại lộ Thăng Long)", "NHUE", "00175", 21.0080, 105.7970),
    ("Đường Tố Hữu (Vạn Phúc)", "NHUE", "09556", 20.9810, 105.7750),
    ("Đường Quang Trung (Hà Đông)", "NHUE", "09556", 20.9700, 105.7740),
    ("Đường Mễ Trì", "NHUE", "00592", 21.0090, 105.7780),
    ("Đường Nguyễn Văn Cừ (chân cầu Chương Dương)", "TA_HONG", "00118", 21.0430, 105.8650),
    ("Phố Ngọc Lâm", "TA_HONG", "00118", 21.0470, 105.8740),
    ("Đường Ngô Gia Tự (Đức Giang)", "TA_HONG", "00127", 21.0650, 105.8930),
]  # fmt: skip

# code, name, water body, unit, lat, lon, control level, base level, gain per mm, hourly decay
LEVEL_GAUGES = [
    ("MN001", "Hồ Tây - thước nước 67 Trích Sài", "Hồ Tây", "00103", 21.0470, 105.8130, None, 5.98, 0.0009, 0.997),
    ("MN002", "Hồ Hoàn Kiếm", "Hồ Hoàn Kiếm", "00070", 21.0290, 105.8525, 7.70, 7.79, 0.0012, 0.996),
    ("MN003", "Hồ Đống Đa", "Hồ Đống Đa", "00235", 21.0135, 105.8240, 3.50, 3.62, 0.0065, 0.990),
    ("MN004", "Sông Tô Lịch - cầu Cống Mọc", "Sông Tô Lịch", "00364", 20.9975, 105.8060, None, 3.40, 0.0120, 0.960),
    ("MN005", "Sông Tô Lịch - Hoàng Quốc Việt", "Sông Tô Lịch", "00160", 21.0465, 105.8020, None, 3.90, 0.0110, 0.960),
    ("MN006", "Sông Tô Lịch - đập Thanh Liệt", "Sông Tô Lịch", "00643", 20.9640, 105.8160, None, 3.10, 0.0100, 0.970),
    ("MN007", "Sông Nhuệ - Cổ Nhuế", "Sông Nhuệ", "00602", 21.0680, 105.7760, None, 3.60, 0.0090, 0.975),
    ("MN008", "Sông Cầu Bây - đập Trại Lợn", "Sông Cầu Bây", "00145", 21.0120, 105.9190, None, 3.20, 0.0080, 0.980),
]  # fmt: skip

PM_DIURNAL = [1.15, 1.10, 1.05, 1.0, 1.0, 1.05, 1.2, 1.35, 1.3, 1.1, 0.95, 0.85, 0.8, 0.78, 0.78, 0.82, 0.9,
              1.05, 1.25, 1.35, 1.35, 1.3, 1.25, 1.2]  # fmt: skip
RUSH = [0.5, 0.4, 0.35, 0.35, 0.4, 0.6, 1.0, 1.5, 1.4, 1.0, 0.85, 0.8, 0.8, 0.8, 0.85, 0.95, 1.2, 1.5, 1.45,
        1.1, 0.9, 0.8, 0.7, 0.6]  # fmt: skip
SEASON_PM = {1: 1.45, 2: 1.25, 3: 1.15, 4: 0.95, 5: 0.75, 6: 0.6, 7: 0.55, 8: 0.6, 9: 0.75, 10: 1.0, 11: 1.3,
             12: 1.5}  # fmt: skip
SEASON_RAIN = {1: 0.03, 2: 0.05, 3: 0.08, 4: 0.12, 5: 0.25, 6: 0.3, 7: 0.35, 8: 0.35, 9: 0.25, 10: 0.12, 11: 0.05,
               12: 0.03}  # fmt: skip
BIG_STORM = [6.0, 18.0, 42.0, 78.0, 85.0, 52.0, 24.0, 11.0, 5.0, 2.5]
CURRENT_STORM = [14.0, 48.0, 72.0, 41.0, 16.0]


@dataclass
class Weather:
    hours: list[dt.datetime]
    local_hour: list[int]
    month: list[int]
    rain: list[float] = field(default_factory=list)
    pm: list[float] = field(default_factory=list)
    """City-wide PM multiplier: persistence (AR(1)), episodes and rain washout."""
    sun: list[float] = field(default_factory=list)
    """0-1: how sunny (ozone forms in sunlight)."""
    after_storm: list[float] = field(default_factory=list)
    """Rain of the last 48 hours, mm (runoff into lakes)."""


def _weather(rng: random.Random, hours: list[dt.datetime], demo: bool) -> Weather:
    n = len(hours)
    local = [h.astimezone(HANOI_TZ) for h in hours]
    w = Weather(hours, [t.hour for t in local], [t.month for t in local])
    rain = [0.0] * n
    for i in range(0, n, 24):
        day_start = i - w.local_hour[i]
        if rng.random() < SEASON_RAIN[w.month[i]]:
            start = day_start + rng.randint(13, 19)
            for k in range(rng.randint(1, 3)):
                if 0 <= start + k < n:
                    rain[start + k] += round(rng.uniform(1.5, 14.0), 1)
        if not demo and rng.random() < SEASON_RAIN[w.month[i]] / 8:
            start = day_start + rng.randint(0, 23)
            for k, mm in enumerate(BIG_STORM):
                if 0 <= start + k < n:
                    rain[start + k] += round(mm * rng.uniform(0.4, 1.1), 1)
    storm_at = n - 18 * 24 + 3
    for k, mm in enumerate(BIG_STORM):
        if 0 <= storm_at + k < n:
            rain[storm_at + k] += mm
    for k, mm in enumerate(CURRENT_STORM):
        rain[n - len(CURRENT_STORM) + k] += mm
    w.rain = rain

    episodes: list[tuple[int, int, float]] = []
    if demo:
        episodes = [(n - 24 * 24, 80, 2.4), (n - 9 * 24, 56, 1.9)]
    else:
        i = 0
        while i < n:
            if rng.random() < 0.04 * SEASON_PM[w.month[i]]:
                length = rng.randint(40, 100)
                episodes.append((i, length, rng.uniform(1.6, 2.8)))
                i += length
            i += 24
    boost = [1.0] * n
    for start, length, peak in episodes:
        for k in range(length):
            if 0 <= start + k < n:
                ramp = min(1.0, k / 12, (length - k) / 12)
                boost[start + k] = max(boost[start + k], 1 + (peak - 1) * ramp)
    x = 0.0
    washout = 1.0
    recent: list[float] = []
    for i in range(n):
        x = 0.96 * x + rng.gauss(0, 0.07)
        washout = min(1.0, washout + 0.04)
        if rain[i] > 2:
            washout = max(0.35, washout - rain[i] / 40)
        w.pm.append(math.exp(x) * boost[i] * washout)
        cloudy = 1.0 if rain[i] > 0 else rng.uniform(0.0, 0.5)
        w.sun.append(max(0.0, 1 - cloudy))
        recent.append(rain[i])
        if len(recent) > 48:
            recent.pop(0)
        w.after_storm.append(sum(recent))
    return w


class Writer:
    """Buffers reading tuples and writes them in COPY batches (executemany on SQLite)."""

    def __init__(self, ctx: SeedContext, advance: Callable[[int], None]) -> None:
        self.ctx = ctx
        self.store = ctx.stores["environment"]
        self.rows: list[tuple[Any, ...]] = []
        self.advance = advance
        self.total = 0

    async def add(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= FLUSH:
            await self.flush()

    async def flush(self) -> None:
        if self.rows:
            await self.store.bulk_insert(readings, self.rows)
            self.advance(len(self.rows))
            self.total += len(self.rows)
            self.rows = []


def _station(code: str, name: str, kind: str, unit: str, lat: float, lon: float, operator: str,
             **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {"code": code, "name": name, "name_folded": fold(name), "kind": kind, "latitude": lat, "longitude": lon,
            "unit_code": unit, "unit_structure": CURRENT.value, "operator": operator,
            "installed_on": extra.pop("installed_on", dt.date(2017, 1, 1)), **extra}  # fmt: skip


def _jitter(rng: random.Random) -> tuple[float, float]:
    return round(rng.uniform(20.93, 21.12), 5), round(rng.uniform(105.74, 105.93), 5)


def _air_rows(
    rng: random.Random, w: Weather, code: str, traffic: float, params: tuple[str, ...], late: int
) -> tuple[list[tuple[Any, ...]], dict[str, dict[dt.datetime, float]]]:
    """Hourly air readings of one station and its valid series (for the AQI)."""
    n = len(w.hours)
    local_pm = rng.uniform(0.85, 1.15) * traffic
    ratio = rng.uniform(1.45, 1.85)
    outage_at = rng.randrange(0, max(1, n - 48))
    outage = range(outage_at, outage_at + rng.randint(3, 7))
    rows: list[tuple[Any, ...]] = []
    series: dict[str, dict[dt.datetime, float]] = {p: {} for p in params}
    base_pm = 38.0
    for i in range(n - late):
        if i in outage:
            continue
        h, lh, sun = w.hours[i], w.local_hour[i], w.sun[i]
        pm25 = base_pm * SEASON_PM[w.month[i]] * PM_DIURNAL[lh] * w.pm[i] * local_pm * math.exp(rng.gauss(0, 0.12))
        values = {
            "PM2_5": pm25,
            "PM10": pm25 * ratio * math.exp(rng.gauss(0, 0.08)),
            "O3": max(2.0, (25 + 115 * sun * max(0.0, math.sin(math.pi * (lh - 8) / 10))) * rng.uniform(0.85, 1.15)),
            "CO": (700 + 900 * RUSH[lh] * traffic) * w.pm[i] ** 0.5 * rng.uniform(0.85, 1.15),
            "SO2": max(1.0, rng.gauss(16, 5) * w.pm[i] ** 0.3),
            "NO2": (18 + 38 * RUSH[lh] * traffic) * rng.uniform(0.8, 1.2),
        }  # fmt: skip
        for p in params:
            if rng.random() < 0.004:
                continue  # a missing hour
            v = round(values[p], 1 if p != "CO" else 0)
            quality = "OK"
            roll = rng.random()
            if roll < 0.0015:
                v, quality = round(v * rng.uniform(4, 8), 1), "SUSPECT"
            elif roll < 0.002:
                v, quality = -round(rng.uniform(0.5, 5), 1), "OUT_OF_RANGE"
            rows.append((code, h, p, v, "µg/m³", "H1", quality))
            if quality == "OK":
                series[p][h] = v
    return rows, series


def _lake_sample(rng: random.Random, w: Weather, i: int, code: str, metals: bool, hk: bool) -> list[tuple[Any, ...]]:
    h = w.hours[i]
    runoff = 1 + min(1.2, w.after_storm[i] / 150)
    temp = 24 + 7 * math.sin(2 * math.pi * (w.month[i] - 4) / 12) + rng.gauss(0, 0.8)
    bod = rng.lognormvariate(math.log(11 if not hk else 8), 0.25) * runoff
    values: dict[str, tuple[float, str]] = {
        "TEMPERATURE": (round(temp, 1), "°C"),
        "PH": (round(min(9.4, max(6.6, rng.gauss(8.2, 0.3))), 2), "pH"),
        "DO": (round(max(1.5, rng.gauss(6.6, 1.0) / runoff**0.5), 2), "mg/L"),
        "BOD5": (round(bod, 1), "mg/L"),
        "COD": (round(bod * rng.uniform(1.8, 2.4), 1), "mg/L"),
        "NH4": (round(rng.lognormvariate(math.log(0.45), 0.35) * runoff, 2), "mg/L"),
        "NO3": (round(rng.lognormvariate(math.log(1.1), 0.3), 2), "mg/L"),
        "PO4": (round(rng.lognormvariate(math.log(0.14), 0.35) * runoff, 3), "mg/L"),
        "COLIFORM": (float(round(rng.lognormvariate(math.log(3800), 0.35) * runoff, -1)), "MPN/100mL"),
    }
    if metals:
        values.update({
            "AS": (round(rng.uniform(0.002, 0.008), 4), "mg/L"),
            "CD": (round(rng.uniform(0.0005, 0.003), 4), "mg/L"),
            "PB": (round(rng.uniform(0.004, 0.018), 4), "mg/L"),
            "HG": (round(rng.uniform(0.0001, 0.0006), 5), "mg/L"),
        })  # fmt: skip
    return [(code, h, p, v, unit, "SAMPLE", "OK") for p, (v, unit) in values.items()]


async def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("environment")
    store = ctx.stores["environment"]
    demo = ctx.scale == "demo"
    days = ctx.sized(demo=30, city=365)
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    hours = [end - (days * 24 - i) * HOUR for i in range(days * 24)]  # the last one is the hour that just ended
    w = _weather(rng, hours, demo)
    g = gazetteer()

    station_rows: list[dict[str, Any]] = []
    air: list[tuple[str, float, tuple[str, ...], int]] = []
    full = ("PM2_5", "PM10", "O3", "CO", "SO2", "NO2")
    for code, name, address, unit, lat, lon, traffic, pm_only in AIR_STATIONS:
        station_rows.append(_station(code, name, "AIR", unit, lat, lon, MONITORING, address=address))
        air.append((code, traffic, ("PM2_5", "PM10") if pm_only else full, 5 if code == LATE_STATION else 0))
    units = g.current()
    for k in range(ctx.sized(demo=0, city=80)):
        u = units[k % len(units)]
        street = STREETS[k % len(STREETS)]
        code = f"KK{k + 101:03d}"
        lat, lon = _jitter(rng)
        station_rows.append(_station(code, f"Trạm cảm biến {u.name.split(' ', 1)[1]} - {street}", "AIR", u.code,
                                     lat, lon, MONITORING, address=f"Phố {street}",
                                     installed_on=dt.date(2022, 6, 1)))  # fmt: skip
        air.append((code, rng.uniform(0.8, 1.25), ("PM2_5", "PM10", "O3", "NO2"), 0))

    for code, name, body, address, unit, lat, lon, _every in LAKE_STATIONS:
        station_rows.append(_station(code, name, "LAKE_WATER", unit, lat, lon, MONITORING, water_body=body,
                                     address=address))  # fmt: skip
    gauges: list[tuple[str, float]] = []
    gauge_units = [(u, lat, lon) for u, lat, lon in RAIN_GAUGES]
    if not demo:
        named = {u for u, _, _ in RAIN_GAUGES}
        gauge_units += [(u.code, *_jitter(rng)) for u in units if u.code not in named]
    for k, (unit, lat, lon) in enumerate(gauge_units):
        uname = g.units[(CURRENT.value, unit)].name
        code = f"MUA{k + 1:03d}"
        station_rows.append(_station(code, f"Điểm đo mưa {uname[0].lower()}{uname[1:]}", "RAIN_GAUGE", unit, lat,
                                     lon, DRAINAGE, address=uname))  # fmt: skip
        gauges.append((code, rng.uniform(0.7, 1.3)))
    points = list(FLOOD_POINTS)
    if not demo:
        basins = ["TO_LICH", "NHUE", "TA_HONG"]
        for k in range(80):
            u = units[(k * 7) % 60]
            points.append((f"Phố {STREETS[(k * 5) % len(STREETS)]} (đoạn {k + 1})", basins[k % 3], u.code,
                           *_jitter(rng)))  # fmt: skip
    floods: list[tuple[str, float, float, float]] = []
    for k, (street, basin, unit, lat, lon) in enumerate(points):
        code = f"NGAP{k + 1:03d}"
        station_rows.append(_station(code, street, "FLOOD_POINT", unit, lat, lon, DRAINAGE, drainage_basin=basin,
                                     address=street + ", Hà Nội"))  # fmt: skip
        floods.append((code, rng.uniform(18, 55), rng.uniform(0.4, 0.9), rng.uniform(0.55, 0.8)))
    for code, name, body, unit, lat, lon, control, *_ in LEVEL_GAUGES:
        station_rows.append(_station(code, name, "WATER_LEVEL", unit, lat, lon, DRAINAGE, water_body=body,
                                     control_level_m=control, address=name))  # fmt: skip
    columns = [c.name for c in stations.c]
    await ctx.insert(store, stations, [{c: r.get(c) for c in columns} for r in station_rows], "environment: stations")

    n = len(hours)
    lake_rows_n = sum(n // 24 // every * 9 for *_, every in LAKE_STATIONS)
    estimate = sum(len(p) * n for _, _, p, _ in air) + n * (len(gauges) + len(floods) + len(LEVEL_GAUGES))
    first_day = hours[0].astimezone(HANOI_TZ).date()
    last_day = end.astimezone(HANOI_TZ).date() - dt.timedelta(days=1)
    aqi_days = [first_day + dt.timedelta(days=d) for d in range((last_day - first_day).days + 1)]
    hourly_total = 0
    with ctx.task("environment: readings", estimate + lake_rows_n) as advance:
        writer = Writer(ctx, advance)
        aqi_h: list[dict[str, Any]] = []
        aqi_d: list[dict[str, Any]] = []
        for code, traffic, params, late in air:
            rows, series = _air_rows(rng, w, code, traffic, params, late)
            await writer.add(rows)
            hourly, daily = compute_aqi_rows(code, series, hours, aqi_days)
            aqi_h += hourly
            aqi_d += daily
            if len(aqi_h) >= FLUSH:
                await store.bulk_insert(aqi_hourly, aqi_h)
                hourly_total += len(aqi_h)
                aqi_h = []
        await store.bulk_insert(aqi_hourly, aqi_h)
        await store.bulk_insert(aqi_daily, aqi_d)
        hourly_total += len(aqi_h)

        for code, factor in gauges:
            rows = []
            for i in range(n):
                mm = round(w.rain[i] * factor * rng.uniform(0.75, 1.25), 1) if w.rain[i] > 0 else 0.0
                rows.append((code, hours[i], "RAINFALL_MM", mm, "mm", "H1", "OK"))
            await writer.add(rows)

        for code, capacity, gain, decay in floods:
            depth = 0.0
            rows = []
            local = rng.uniform(0.8, 1.2)
            for i in range(n):
                depth = depth * decay + gain * max(0.0, w.rain[i] * local - capacity)
                depth = depth if depth >= 1 else 0.0
                rows.append((code, hours[i], "DEPTH_CM", round(depth), "cm", "INSTANT", "OK"))
            await writer.add(rows)

        for code, _name, _body, _unit, _lat, _lon, _control, base, gain, decay in LEVEL_GAUGES:
            cum = 0.0
            rows = []
            for i in range(n):
                cum = cum * decay + w.rain[i]
                level = base + gain * cum + 0.01 * math.sin(2 * math.pi * w.local_hour[i] / 24) + rng.gauss(0, 0.004)
                rows.append((code, hours[i], "LEVEL_M", round(level, 2), "m", "INSTANT", "OK"))
            await writer.add(rows)

        morning = [i for i in range(n) if w.local_hour[i] == 9]
        for code, _name, _body, _address, _unit, _lat, _lon, every in LAKE_STATIONS:
            for k, i in enumerate(morning[::-1][::every][::-1]):
                await writer.add(_lake_sample(rng, w, i, code, metals=k % 14 == 0, hk=code == "NM005"))
        await writer.flush()
    ctx.shared["environment"] = {
        "readings": writer.total,
        "aqi_hours": hourly_total,
        "aqi_days": len(aqi_d),
        "end": end,
        "stations": [r["code"] for r in station_rows],
    }
