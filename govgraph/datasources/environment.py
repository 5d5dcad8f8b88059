"""Environment store: monitoring stations, their readings as a time series, and derived AQI (DOMAIN.md §5).

Readings are one row per (station, time, parameter). Times are the START of the averaging period, in UTC
(an hourly PM2.5 value at 10:00 is the 10:00-11:00 average). The hourly AQI is derived when readings are
written (the seed computes it; ``recompute_aqi`` redoes the hours and days a write touches) and stored in
``aqi_hourly`` so that "the latest AQI of every station" is one indexed statement. The daily AQI is stored
too (``aqi_daily``, complete local days only), computed from the day's readings per §5.1.

The WQI of a lake station is computed on read from the readings of its latest sample (a handful of rows).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import (
    ARRAY,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Row,
    Select,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    select,
    true,
)
from sqlalchemy.sql import ColumnElement

from govgraph.datasources.base import (
    LoaderFamily,
    ManyLoader,
    OneLoader,
    Page,
    Store,
    chunks,
    index_many,
    index_one,
    paginate,
)
from govgraph.domain import aqi as vn_aqi
from govgraph.domain.text import like_pattern

metadata = MetaData()

HANOI_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")

stations = Table(
    "stations",
    metadata,
    Column("code", String(16), primary_key=True, comment="station code, e.g. KK001 (air), MUA005 (rain gauge)"),
    Column("name", String(160), nullable=False, comment="name as published, NFC"),
    Column("name_folded", String(160), nullable=False, comment="search key: lower case, no diacritics"),
    Column("kind", String(12), nullable=False, comment="AIR, LAKE_WATER, RAIN_GAUGE, FLOOD_POINT, WATER_LEVEL"),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("address", Text, nullable=True, comment="street location as written"),
    Column("unit_code", String(5), nullable=True, comment="administrative unit (ward/commune) code"),
    Column("unit_structure", String(10), nullable=True, comment="structure of unit_code (Y2025_07)"),
    Column("water_body", String(80), nullable=True, comment="lake or river, e.g. Hồ Tây, sông Tô Lịch"),
    Column("drainage_basin", String(10), nullable=True, comment="lưu vực: TO_LICH, NHUE, TA_HONG"),
    Column("control_level_m", Float, nullable=True, comment="mực nước khống chế (m) of a level gauge"),
    Column("operator", String(120), nullable=False, comment="who runs the station"),
    Column("installed_on", Date, nullable=True),
    Index("ix_stations_kind_code", "kind", "code"),
    Index("ix_stations_unit", "unit_code", "unit_structure", "code"),
    Index("ix_stations_name_folded", "name_folded", "code"),
)

readings = Table(
    "readings",
    metadata,
    Column("station_code", String(16), nullable=False),
    Column("measured_at", DateTime(timezone=True), nullable=False, comment="start of the averaging period (UTC)"),
    Column("parameter", String(12), nullable=False, comment="PM2_5, PM10, O3, CO, SO2, NO2, PH, DO, ..."),
    Column("value", Float, nullable=False),
    Column("unit", String(12), nullable=False, comment="µg/m³, mg/L, MPN/100mL, °C, mm, cm, m, pH"),
    Column("averaging", String(8), nullable=False, comment="H1, H8, H24, NOWCAST, INSTANT, SAMPLE"),
    Column("quality", String(12), nullable=False, server_default="OK", comment="OK, OUT_OF_RANGE, SUSPECT"),
    # The unique key (station, measured_at, parameter), ordered (station, parameter, measured_at) so that the
    # same B-tree serves "station, parameter, time desc" (read backwards): one index for both.
    PrimaryKeyConstraint("station_code", "parameter", "measured_at", name="pk_readings"),
)

POLLUTANT_COLUMNS = {p: p.lower() for p in vn_aqi.POLLUTANTS}  # PM2_5 → pm2_5


def _aqi_columns(daily: bool) -> list[Column[Any]]:
    cols: list[Column[Any]] = [
        Column("aqi", SmallInteger, nullable=False),
        Column("dominant", String(8), nullable=False, comment="pollutant with the highest sub-index"),
    ]
    for p, c in POLLUTANT_COLUMNS.items():
        cols.append(Column(f"si_{c}", SmallInteger, nullable=True, comment=f"{p} sub-index"))
    for p, c in POLLUTANT_COLUMNS.items():
        what = ("24h average" if p in vn_aqi.PM else "max 1h average") if daily else (
            "NowCast" if p in vn_aqi.PM else "1h average")  # fmt: skip
        cols.append(Column(f"c_{c}", Float, nullable=True, comment=f"{p} concentration used ({what}), µg/m³"))
    if daily:
        cols.append(Column("c_o3_8h", Float, nullable=True, comment="max 8h O3 average, µg/m³"))
        cols.append(Column("o3_basis", String(3), nullable=True, comment="H1 or H8: which O3 sub-index counted"))
        cols.append(Column("hours", SmallInteger, nullable=False, comment="hourly PM values in the day"))
    cols.append(Column("method", String(24), nullable=False, server_default=vn_aqi.METHOD))
    return cols


aqi_hourly = Table(
    "aqi_hourly",
    metadata,
    Column("station_code", String(16), nullable=False),
    Column("hour", DateTime(timezone=True), nullable=False, comment="start of the hour (UTC)"),
    *_aqi_columns(daily=False),
    PrimaryKeyConstraint("station_code", "hour", name="pk_aqi_hourly"),
    comment="AQI giờ per station (VN_AQI, Decision 1459/QĐ-TCMT), derived from readings",
)

aqi_daily = Table(
    "aqi_daily",
    metadata,
    Column("station_code", String(16), nullable=False),
    Column("day", Date, nullable=False, comment="local (+07:00) calendar day"),
    *_aqi_columns(daily=True),
    PrimaryKeyConstraint("station_code", "day", name="pk_aqi_daily"),
    comment="AQI ngày per station, complete local days, derived from readings",
)

STATION_COLUMNS = list(stations.c)
READING_COLUMNS = list(readings.c)
AIR_PARAMETERS = list(vn_aqi.POLLUTANTS)
WATER_SAMPLE = "SAMPLE"


# ---------------------------------------------------------------------------------------------------------
# Rows ↔ domain
# ---------------------------------------------------------------------------------------------------------


def hourly_row(station: str, hour: dt.datetime, r: vn_aqi.AqiResult) -> dict[str, Any]:
    row: dict[str, Any] = {"station_code": station, "hour": hour, "aqi": r.value, "dominant": r.dominant,
                           "method": r.method}  # fmt: skip
    for p, c in POLLUTANT_COLUMNS.items():
        s = r.sub(p)
        row[f"si_{c}"] = s.value if s else None
        row[f"c_{c}"] = round(s.concentration, 2) if s else None
    return row


def daily_row(station: str, day: dt.date, r: vn_aqi.AqiResult, hours: int, o3_8h: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"station_code": station, "day": day, "aqi": r.value, "dominant": r.dominant,
                           "method": r.method, "hours": hours}  # fmt: skip
    for p, c in POLLUTANT_COLUMNS.items():
        s = r.sub(p)
        row[f"si_{c}"] = s.value if s else None
        row[f"c_{c}"] = round(s.concentration, 2) if s and s.averaging != "H8" else None
    o3 = r.sub("O3")
    row["o3_basis"] = o3.averaging if o3 else None
    row["c_o3_8h"] = round(o3_8h, 2) if o3_8h is not None else None
    if o3 is not None and o3.averaging == "H8":
        row["c_o3"] = None  # the 1h maximum did not count; keep what counted visible
    return row


def utc(value: dt.datetime) -> dt.datetime:
    """Stored times come back naive from SQLite (UTC) and aware from PostgreSQL."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def compute_aqi_rows(
    station: str, series: vn_aqi.Series, hours: Iterable[dt.datetime], days: Iterable[dt.date]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Hourly and daily AQI rows of one station from its valid hourly readings."""
    hourly = [hourly_row(station, h, r) for h, r in vn_aqi.hourly_series(series, hours)]
    daily = []
    for day, r, covered in vn_aqi.daily_series(series, days, HANOI_TZ):
        start = dt.datetime.combine(day, dt.time(), HANOI_TZ).astimezone(dt.UTC)
        o3 = [series.get("O3", {}).get(start + dt.timedelta(hours=i)) for i in range(24)]
        eights = vn_aqi.eight_hour_averages(o3)
        daily.append(daily_row(station, day, r, covered, max(eights) if eights else None))
    return hourly, daily


async def recompute_aqi(store: Store, station: str, start: dt.datetime, end: dt.datetime) -> int:
    """Recompute the stored AQI after readings of ``station`` in [start, end) changed; returns hours written.

    A reading changes the NowCast of the 11 hours that follow it and the daily AQI of its local day, so those
    are recomputed as well. Only complete local days get a daily AQI.
    """
    start, end = utc(start), utc(end)
    first_day = start.astimezone(HANOI_TZ).date()
    last_affected = end + dt.timedelta(hours=vn_aqi.NOWCAST_HOURS - 1)
    last_day = (last_affected - dt.timedelta(microseconds=1)).astimezone(HANOI_TZ).date()
    day_start = dt.datetime.combine(first_day, dt.time(), HANOI_TZ).astimezone(dt.UTC)
    day_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), HANOI_TZ).astimezone(dt.UTC)
    read_from = min(start, day_start) - dt.timedelta(hours=vn_aqi.NOWCAST_HOURS - 1)
    r = readings.c
    rows = await store.all(
        select(r.parameter, r.measured_at, r.value).where(
            r.station_code == station,
            r.parameter.in_(AIR_PARAMETERS),
            r.quality == "OK",
            r.averaging == "H1",
            r.measured_at >= read_from,
            r.measured_at < day_end,
        )
    )
    series: dict[str, dict[dt.datetime, float]] = defaultdict(dict)
    latest: dt.datetime | None = None
    for row in rows:
        t = utc(row.measured_at)
        series[row.parameter][t] = row.value
        latest = t if latest is None or t > latest else latest
    hour_end = min(last_affected, latest) if latest else start
    hours = []
    h = start
    while h <= hour_end:
        hours.append(h)
        h += dt.timedelta(hours=1)
    now_day = dt.datetime.now(HANOI_TZ).date()
    days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    days = [d for d in days if d < now_day]
    hourly, daily = compute_aqi_rows(station, series, hours, days)
    async with store.begin() as conn:
        a = aqi_hourly.c
        await conn.execute(delete(aqi_hourly).where(a.station_code == station, a.hour >= start, a.hour <= hour_end))
        if hourly:
            await conn.execute(aqi_hourly.insert(), hourly)
        if days:
            d = aqi_daily.c
            await conn.execute(delete(aqi_daily).where(d.station_code == station, d.day.in_(days)))
            if daily:
                await conn.execute(aqi_daily.insert(), daily)
    return len(hourly)


# ---------------------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationFilter:
    kind: str | None = None
    unit_code: str | None = None
    unit_structure: str | None = None
    search: str | None = None


def _filtered(f: StationFilter) -> Select[Any]:
    s = stations.c
    stmt = select(*STATION_COLUMNS)
    if f.kind:
        stmt = stmt.where(s.kind == f.kind)
    if f.unit_code:
        stmt = stmt.where(s.unit_code == f.unit_code)
        if f.unit_structure:
            stmt = stmt.where(s.unit_structure == f.unit_structure)
    if f.search:
        stmt = stmt.where(s.name_folded.like(like_pattern(f.search), escape="\\"))
    return stmt


ORDERS = {
    "CODE": [(stations.c.code, False)],
    "NAME": [(stations.c.name_folded, False), (stations.c.code, False)],
}


async def stations_page(
    store: Store, f: StationFilter, order: str, descending: bool, first: int | None, after: str | None
) -> Page:
    keys = [(col, desc != descending) for col, desc in ORDERS[order]]
    return await paginate(store, _filtered(f), keys, first, after)


def _latest_per_station(
    store: Store,
    table: Table,
    time_col: str,
    codes: Sequence[str],
    where: Callable[[Any], list[ColumnElement[bool]]],
    limit: int,
    outer: Select[Any] | None = None,
) -> Select[Any]:
    """The newest ``limit`` rows per station of ``table`` (filtered by ``where(columns)``), in one statement.

    PostgreSQL: ``unnest(codes) JOIN LATERAL (... ORDER BY time DESC LIMIT n)`` (an index range scan per key).
    SQLite: ``row_number() OVER (PARTITION BY station ORDER BY time DESC)``.
    """
    if store.is_sqlite:
        c = table.c
        rn = func.row_number().over(partition_by=c.station_code, order_by=c[time_col].desc()).label("rn")
        inner = select(table, rn).where(c.station_code.in_(codes), *where(c)).subquery("r")
        return select(*[inner.c[col.name] for col in table.c]).where(inner.c.rn <= limit)
    keys = (
        func.unnest(bindparam("station_codes", list(codes), type_=ARRAY(String)))
        .table_valued("code")
        .render_derived(name="k")
    )
    c = table.c
    lateral = (
        select(table)
        .where(c.station_code == keys.c.code, *where(c))
        .order_by(c[time_col].desc())
        .limit(limit)
        .lateral("r")
    )
    return select(*lateral.c).select_from(keys.join(lateral, true()))


async def air_quality_now(store: Store) -> Sequence[Row[Any]]:
    """Every air station with its latest hourly AQI (columns prefixed ``a_``), in one statement."""
    s = stations.c
    a = aqi_hourly.c
    aqi_cols = [col for col in aqi_hourly.c if col.name != "station_code"]
    if store.is_sqlite:
        rn = func.row_number().over(partition_by=a.station_code, order_by=a.hour.desc()).label("rn")
        latest = select(aqi_hourly, rn).subquery("a")
        stmt = (
            select(*STATION_COLUMNS, *[latest.c[col.name].label(f"a_{col.name}") for col in aqi_cols])
            .select_from(stations.outerjoin(latest, and_(latest.c.station_code == s.code, latest.c.rn == 1)))
            .where(s.kind == "AIR")
            .order_by(s.code)
        )
        return await store.all(stmt)
    lateral = select(*aqi_cols).where(a.station_code == s.code).order_by(a.hour.desc()).limit(1).lateral("a")
    stmt = (
        select(*STATION_COLUMNS, *[lateral.c[col.name].label(f"a_{col.name}") for col in aqi_cols])
        .select_from(stations.outerjoin(lateral, true()))
        .where(s.kind == "AIR")
        .order_by(s.code)
    )
    return await store.all(stmt)


async def flood_points(store: Store, active: bool | None) -> Sequence[Row[Any]]:
    """Flood points with their latest depth (``depth_cm``, ``depth_at``); active = currently under water."""
    s = stations.c
    r = readings.c
    if store.is_sqlite:
        rn = func.row_number().over(partition_by=r.station_code, order_by=r.measured_at.desc()).label("rn")
        inner = select(r.station_code, r.value, r.measured_at, rn).where(r.parameter == "DEPTH_CM").subquery("d")
        depth = inner.c.value
        stmt = select(*STATION_COLUMNS, depth.label("depth_cm"), inner.c.measured_at.label("depth_at")).select_from(
            stations.outerjoin(inner, and_(inner.c.station_code == s.code, inner.c.rn == 1))
        )
    else:
        lateral = (
            select(r.value, r.measured_at)
            .where(r.station_code == s.code, r.parameter == "DEPTH_CM")
            .order_by(r.measured_at.desc())
            .limit(1)
            .lateral("d")
        )
        depth = lateral.c.value
        stmt = select(*STATION_COLUMNS, depth.label("depth_cm"), lateral.c.measured_at.label("depth_at")).select_from(
            stations.outerjoin(lateral, true())
        )
    stmt = stmt.where(s.kind == "FLOOD_POINT").order_by(s.code)
    if active is True:
        stmt = stmt.where(depth > 0)
    elif active is False:
        stmt = stmt.where((depth <= 0) | depth.is_(None))
    return await store.all(stmt)


# ---------------------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------------------

MAX_READINGS = 1000
"""Readings per station per request (the `last` argument's cap)."""


class EnvironmentLoaders:
    """Batched reads of the environment store, one loader per batch query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.station_by_code: OneLoader[str, Row[Any]] = OneLoader(self._stations)
        self.stations_by_unit: ManyLoader[tuple[str, str], Row[Any]] = ManyLoader(self._stations_by_unit)
        self.readings_by_station: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda parameter, start, end, last: ManyLoader(partial(self._readings, parameter, start, end, last))
        )
        self.latest_aqi_by_station: OneLoader[str, Row[Any]] = OneLoader(self._latest_aqi)
        self.aqi_history_by_station: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda start, end: ManyLoader(partial(self._aqi_history, start, end))
        )
        self.daily_aqi_by_station: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda start, end: ManyLoader(partial(self._daily_aqi, start, end))
        )
        self.sample_by_station: ManyLoader[str, Row[Any]] = ManyLoader(self._latest_sample)
        self.rainfall_by_station: LoaderFamily[str, Row[Any] | None] = LoaderFamily(
            lambda start, end: OneLoader(partial(self._rainfall, start, end))
        )

    async def _stations(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        out: dict[str, Row[Any]] = {}
        for part in chunks(codes):
            rows = await self.store.all(select(*STATION_COLUMNS).where(stations.c.code.in_(part)))
            out.update(index_one(rows, lambda r: r.code))
        return out

    async def _stations_by_unit(self, units: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Row[Any]]]:
        s = stations.c
        codes = sorted({code for code, _ in units})
        rows = await self.store.all(select(*STATION_COLUMNS).where(s.unit_code.in_(codes)).order_by(s.code))
        return index_many(rows, lambda r: (r.unit_code, r.unit_structure))

    async def _readings(
        self,
        parameter: str | None,
        start: dt.datetime | None,
        end: dt.datetime | None,
        last: int,
        codes: Sequence[str],
    ) -> dict[str, list[Row[Any]]]:
        def where(c: Any) -> list[ColumnElement[bool]]:
            clauses: list[ColumnElement[bool]] = []
            if parameter:
                clauses.append(c.parameter == parameter)
            if start:
                clauses.append(c.measured_at >= start)
            if end:
                clauses.append(c.measured_at < end)
            return clauses

        stmt = _latest_per_station(self.store, readings, "measured_at", codes, where, last)
        rows = await self.store.all(stmt)
        found = index_many(rows, lambda r: r.station_code)
        return {k: sorted(v, key=lambda r: (r.measured_at, r.parameter), reverse=True) for k, v in found.items()}

    async def _latest_aqi(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        stmt = _latest_per_station(self.store, aqi_hourly, "hour", codes, lambda c: [], 1)
        return index_one(await self.store.all(stmt), lambda r: r.station_code)

    async def _aqi_history(
        self, start: dt.datetime, end: dt.datetime, codes: Sequence[str]
    ) -> dict[str, list[Row[Any]]]:
        a = aqi_hourly.c
        stmt = (
            select(aqi_hourly)
            .where(a.station_code.in_(codes), a.hour >= start, a.hour < end)
            .order_by(a.station_code, a.hour)
        )
        return index_many(await self.store.all(stmt), lambda r: r.station_code)

    async def _daily_aqi(self, start: dt.date, end: dt.date, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        d = aqi_daily.c
        stmt = (
            select(aqi_daily)
            .where(d.station_code.in_(codes), d.day >= start, d.day <= end)
            .order_by(d.station_code, d.day)
        )
        return index_many(await self.store.all(stmt), lambda r: r.station_code)

    async def _latest_sample(self, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        """Every reading of each station's latest water sample (all rows sharing its newest sample time)."""
        r = readings.c
        newest = (
            select(r.station_code, func.max(r.measured_at).label("sampled_at"))
            .where(r.station_code.in_(codes), r.averaging == WATER_SAMPLE)
            .group_by(r.station_code)
            .subquery("n")
        )
        stmt = (
            select(*READING_COLUMNS)
            .join(newest, and_(newest.c.station_code == r.station_code, newest.c.sampled_at == r.measured_at))
            .where(r.averaging == WATER_SAMPLE)
            .order_by(r.station_code, r.parameter)
        )
        return index_many(await self.store.all(stmt), lambda row: row.station_code)

    async def _rainfall(self, start: dt.datetime, end: dt.datetime, codes: Sequence[str]) -> dict[str, Row[Any]]:
        r = readings.c
        stmt = (
            select(
                r.station_code,
                func.sum(r.value).label("total_mm"),
                func.count().label("hours"),
                func.max(r.value).label("max_mm"),
            )
            .where(
                r.station_code.in_(codes),
                r.parameter == "RAINFALL_MM",
                r.quality == "OK",
                r.measured_at >= start,
                r.measured_at < end,
            )
            .group_by(r.station_code)
        )
        return index_one(await self.store.all(stmt), lambda row: row.station_code)
