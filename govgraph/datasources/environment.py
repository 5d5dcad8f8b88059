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
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
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
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
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
from govgraph.domain import environment as rules
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
    # same B-tree serves "station, parameter, time desc" (read backwards).
    PrimaryKeyConstraint("station_code", "parameter", "measured_at", name="pk_readings"),
    # "A station's newest readings, any parameter" (Station.readings, the flood depth): without it PostgreSQL
    # reads and sorts every reading of the station (950 ms for 50 stations at city scale, 5.3M readings).
    Index("ix_readings_station_time", "station_code", "measured_at"),
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

ingest_batches = Table(
    "ingest_batches",
    metadata,
    Column("id", String(32), primary_key=True, comment="batch id (uuid4 hex)"),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", String(64), nullable=False, comment="token subject of the gateway (or admin)"),
    Column("received", Integer, nullable=False, comment="readings sent"),
    Column("inserted", Integer, nullable=False, comment="new readings stored (flagged ones included)"),
    Column("duplicates", Integer, nullable=False, comment="already stored with the same value: skipped"),
    Column("conflicts", Integer, nullable=False, comment="already stored with another value: first kept"),
    Column("flagged", Integer, nullable=False, comment="stored with quality OUT_OF_RANGE or SUSPECT"),
    Column("rejected", Integer, nullable=False, comment="malformed entries, not stored (see errors)"),
    Column("stations", JSON, nullable=False, comment="per station: code, counts, first and last time stored"),
    Column("errors", JSON, nullable=False, comment="per-entry errors (field, message, code), at most 100"),
    Index("ix_ingest_batches_received", "received_at"),
    comment="One row per readingsIngest call: the receipt a gateway gets, and the agency's audit trail",
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(32), primary_key=True, comment="alert id (uuid4 hex)"),
    Column("station_code", String(16), nullable=False),
    Column("kind", String(16), nullable=False, comment="AQI_WORSENED, AQI_IMPROVED, FLOOD_RISING, FLOOD_RECEDING"),
    Column("at", DateTime(timezone=True), nullable=False, comment="hour of the AQI / time of the depth reading"),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("previous_aqi", SmallInteger, nullable=True),
    Column("new_aqi", SmallInteger, nullable=True),
    Column("previous_depth_cm", Float, nullable=True),
    Column("new_depth_cm", Float, nullable=True),
    Column("threshold_cm", SmallInteger, nullable=True, comment="the flood threshold passed"),
    Column("batch_id", String(32), nullable=False, comment="the ingest that raised it"),
    Index("ix_alerts_station", "station_code", "raised_at"),
    comment="Category changes of a station's latest hourly AQI and flood depths passing 10/30/50 cm",
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
    are recomputed as well. Only complete local days get a daily AQI. Runs in a transaction of its own; a
    mutation calls :func:`recompute_aqi_in` on its open transaction instead.
    """
    async with store.begin() as conn:
        return await recompute_aqi_in(conn, station, start, end)


async def recompute_aqi_in(conn: AsyncConnection, station: str, start: dt.datetime, end: dt.datetime) -> int:
    """:func:`recompute_aqi` inside the caller's transaction (it sees the transaction's own uncommitted rows)."""
    start, end = utc(start), utc(end)
    first_day = start.astimezone(HANOI_TZ).date()
    last_affected = end + dt.timedelta(hours=vn_aqi.NOWCAST_HOURS - 1)
    last_day = (last_affected - dt.timedelta(microseconds=1)).astimezone(HANOI_TZ).date()
    day_start = dt.datetime.combine(first_day, dt.time(), HANOI_TZ).astimezone(dt.UTC)
    day_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), HANOI_TZ).astimezone(dt.UTC)
    read_from = min(start, day_start) - dt.timedelta(hours=vn_aqi.NOWCAST_HOURS - 1)
    r = readings.c
    result = await conn.execute(
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
    for row in result.all():
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
    then: str | None = None,
) -> Select[Any]:
    return _latest_per_station_stmt(store.is_sqlite, table, time_col, codes, where, limit, then)


def _latest_per_station_stmt(
    is_sqlite: bool,
    table: Table,
    time_col: str,
    codes: Sequence[str],
    where: Callable[[Any], list[ColumnElement[bool]]],
    limit: int,
    then: str | None = None,
) -> Select[Any]:
    """The newest ``limit`` rows per station of ``table`` (filtered by ``where(columns)``), in one statement,
    ordered by station, then newest first, then by the text column ``then`` descending (in code point order, as
    Python orders strings), if given.

    PostgreSQL: ``unnest(codes) JOIN LATERAL (... ORDER BY time DESC LIMIT n)`` (an index range scan per key).
    SQLite: ``row_number() OVER (PARTITION BY station ORDER BY time DESC)``.
    """

    def ordered(cols: Any) -> list[Any]:
        out = [cols.station_code, cols[time_col].desc()]
        if then is not None:
            out.append(cols[then].collate("C" if not is_sqlite else "BINARY").desc())
        return out

    if is_sqlite:
        c = table.c
        rn = func.row_number().over(partition_by=c.station_code, order_by=c[time_col].desc()).label("rn")
        inner = select(table, rn).where(c.station_code.in_(codes), *where(c)).subquery("r")
        return select(*[inner.c[col.name] for col in table.c]).where(inner.c.rn <= limit).order_by(*ordered(inner.c))
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
    return select(*lateral.c).select_from(keys.join(lateral, true())).order_by(*ordered(lateral.c))


def readings_where(
    parameter: str | None, start: dt.datetime | None, end: dt.datetime | None
) -> Callable[[Any], list[ColumnElement[bool]]]:
    """The filter of a station's readings (``_latest_per_station``'s ``where``): a parameter, a time range."""

    def where(c: Any) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if parameter:
            clauses.append(c.parameter == parameter)
        if start:
            clauses.append(c.measured_at >= start)
        if end:
            clauses.append(c.measured_at < end)
        return clauses

    return where


async def _latest_readings_pg(
    store: Store,
    parameter: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    last: int,
    codes: Sequence[str],
) -> list[Any]:
    """The statement ``_latest_per_station_stmt`` builds for readings on PostgreSQL, written out and run on asyncpg
    (``Store.fetch``): the longest lists of the API (50 stations x their last readings). Same rows, same order
    (tests/test_environment_reads.py compares the two)."""
    clauses = ["station_code = k.code"]
    args: list[Any] = [list(codes), last]
    for sql, value in (("parameter = ${}", parameter), ("measured_at >= ${}", start), ("measured_at < ${}", end)):
        if value is not None:
            args.append(value)
            clauses.append(sql.format(len(args)))
    columns = ", ".join(f"r.{c.name}" for c in readings.c)
    # Only fixed text and the table's own column names are written into the SQL; every value is a parameter.
    where = " AND ".join(clauses)
    sql = f"SELECT {columns} FROM unnest($1::text[]) AS k(code) JOIN LATERAL (SELECT * FROM readings WHERE {where} "  # noqa: S608
    sql += "ORDER BY measured_at DESC LIMIT $2) AS r ON true "
    sql += 'ORDER BY r.station_code, r.measured_at DESC, r.parameter COLLATE "C" DESC'
    return await store.fetch(sql, *args)


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
        self.alert_by_id: OneLoader[str, Row[Any]] = OneLoader(self._alerts)
        self.batch_by_id: OneLoader[str, Row[Any]] = OneLoader(self._batches)

    async def _stations(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        out: dict[str, Row[Any]] = {}
        for part in chunks(codes):
            rows = await self.store.all(select(*STATION_COLUMNS).where(stations.c.code.in_(part)))
            out.update(index_one(rows, lambda r: r.code))
        return out

    async def _alerts(self, ids: Sequence[str]) -> dict[str, Row[Any]]:
        return index_one(await self.store.all(select(alerts).where(alerts.c.id.in_(ids))), lambda r: r.id)

    async def _batches(self, ids: Sequence[str]) -> dict[str, Row[Any]]:
        rows = await self.store.all(select(ingest_batches).where(ingest_batches.c.id.in_(ids)))
        return index_one(rows, lambda r: r.id)

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
        if not self.store.is_sqlite:
            return index_many(await _latest_readings_pg(self.store, parameter, start, end, last, codes), "station_code")
        # Newest first; readings of one time by parameter, descending.
        where = readings_where(parameter, start, end)
        stmt = _latest_per_station(self.store, readings, "measured_at", codes, where, last, then="parameter")
        return index_many(await self.store.all(stmt), "station_code")

    async def _latest_aqi(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        stmt = _latest_per_station(self.store, aqi_hourly, "hour", codes, lambda c: [], 1)
        return index_one(await self.store.all(stmt), "station_code")

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


# ---------------------------------------------------------------------------------------------------------
# Ingest (readingsIngest): one transaction, bulk statements
# ---------------------------------------------------------------------------------------------------------

INSERT_PAGE = 1000
"""Rows per multi-row INSERT (7 parameters each: well under SQLite's and asyncpg's bind limits)."""
LOOKUP_PAGE = 500
"""(station, time) pairs per look-up of stored readings."""
MAX_REPORTED_ERRORS = 100
"""Per-entry errors kept in a batch receipt; the counts stay exact beyond that."""
RECOMPUTE_GAP = dt.timedelta(hours=36)
"""Affected hours further apart than this are recomputed as separate runs (a sparse backfill does not recompute
the months between its readings)."""


@dataclass(frozen=True)
class RawReading:
    """One entry of a batch as received (times may lack an offset: that is an error of the entry)."""

    station_code: str
    measured_at: dt.datetime
    parameter: str
    value: float
    unit: str | None = None


@dataclass(frozen=True)
class EntryError:
    field: list[str]
    message: str
    code: str


@dataclass
class StationIngest:
    """What one ingest did to one station."""

    code: str
    kind: str
    unit_code: str | None
    inserted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    flagged: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    hours: set[dt.datetime] = field(default_factory=set)
    """Hours (UTC, truncated) of the readings stored."""
    aqi_hours: set[dt.datetime] = field(default_factory=set)
    """Hours of the valid air-pollutant readings stored: what the AQI is recomputed from."""
    depth: bool = False
    """A valid flood depth was stored."""

    def summary(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "flagged": self.flagged,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }


@dataclass
class IngestResult:
    batch_id: str
    received: int
    inserted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    flagged: int = 0
    rejected: int = 0
    errors: list[EntryError] = field(default_factory=list)
    stations: dict[str, StationIngest] = field(default_factory=dict)
    aqi_updates: list[dict[str, Any]] = field(default_factory=list)
    """Per air station whose AQI was recomputed: its latest hourly AQI afterwards and the hours recomputed."""
    alerts: list[dict[str, Any]] = field(default_factory=list)
    """Alert rows written (the ``alerts`` table's columns)."""


@dataclass
class _Entry:
    index: int
    station: StationIngest
    measured_at: dt.datetime
    parameter: str
    value: float
    unit: str
    averaging: str
    quality: str = "OK"

    @property
    def key(self) -> tuple[str, str, dt.datetime]:
        return (self.station.code, self.parameter, self.measured_at)


def _field(index: int, name: str) -> list[str]:
    return ["input", "readings", str(index), name]


def _hour(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _dialect_insert(is_sqlite: bool, table: Table) -> Any:
    if is_sqlite:
        return sqlite_insert(table)
    return pg_insert(table)


async def _rows(conn: AsyncConnection, stmt: Any) -> Sequence[Row[Any]]:
    result = await conn.execute(stmt)
    return result.all()


async def _lock_stations(conn: AsyncConnection, is_sqlite: bool, codes: Sequence[str]) -> dict[str, Row[Any]]:
    """The batch's stations; on PostgreSQL locked (FOR UPDATE, in code order: no deadlock between two batches)
    so that two ingests for one station recompute its AQI one after the other. SQLite's write lock, taken at
    BEGIN IMMEDIATE, already serialises them."""
    s = stations.c
    out: dict[str, Row[Any]] = {}
    for part in chunks(codes):
        stmt = select(s.code, s.kind, s.unit_code).where(s.code.in_(part)).order_by(s.code)
        if not is_sqlite:
            stmt = stmt.with_for_update()
        rows = await _rows(conn, stmt)
        out.update(index_one(rows, lambda r: r.code))
    return out


async def _stored(
    conn: AsyncConnection, pairs: Sequence[tuple[str, dt.datetime]]
) -> dict[tuple[str, str, dt.datetime], Row[Any]]:
    """Stored readings at the given (station, time) pairs, every parameter, keyed like ``_Entry.key``."""
    r = readings.c
    out: dict[tuple[str, str, dt.datetime], Row[Any]] = {}
    for part in chunks(pairs, LOOKUP_PAGE):
        stmt = select(r.station_code, r.parameter, r.measured_at, r.value, r.quality).where(
            tuple_(r.station_code, r.measured_at).in_(list(part))
        )
        for row in await _rows(conn, stmt):
            out[(row.station_code, row.parameter, utc(row.measured_at))] = row
    return out


async def _latest_aqi_in(conn: AsyncConnection, is_sqlite: bool, codes: Sequence[str]) -> dict[str, Row[Any]]:
    if not codes:
        return {}
    stmt = _latest_per_station_stmt(is_sqlite, aqi_hourly, "hour", codes, lambda c: [], 1)
    return index_one(await _rows(conn, stmt), lambda r: r.station_code)


async def _latest_depth_in(conn: AsyncConnection, is_sqlite: bool, codes: Sequence[str]) -> dict[str, Row[Any]]:
    if not codes:
        return {}

    def where(c: Any) -> list[ColumnElement[bool]]:
        return [c.parameter == "DEPTH_CM", c.quality == "OK"]

    stmt = _latest_per_station_stmt(is_sqlite, readings, "measured_at", codes, where, 1)
    return index_one(await _rows(conn, stmt), lambda r: r.station_code)


def _runs(hours: Iterable[dt.datetime]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Sorted hours grouped into [first, last + 1h) runs with gaps of at most ``RECOMPUTE_GAP``."""
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for h in sorted(hours):
        if out and h - out[-1][1] <= RECOMPUTE_GAP:
            out[-1] = (out[-1][0], h + dt.timedelta(hours=1))
        else:
            out.append((h, h + dt.timedelta(hours=1)))
    return out


def _problem(i: int, item: RawReading, station: Row[Any] | None) -> EntryError | None:
    """Why an entry cannot be stored at all, or None."""
    if station is None:
        return EntryError(_field(i, "stationCode"), f"No station has the code {item.station_code!r}", "NOT_FOUND")
    if item.measured_at.tzinfo is None:
        return EntryError(_field(i, "measuredAt"), "The time needs an offset, e.g. 2025-10-01T10:00:00+07:00",
                          "INVALID")  # fmt: skip
    if not rules.valid_number(item.value):
        return EntryError(_field(i, "value"), "The value is not a finite number", "INVALID")
    if item.parameter not in rules.PARAMETERS_BY_KIND[station.kind]:
        return EntryError(_field(i, "parameter"), f"A {station.kind} station does not measure {item.parameter}",
                          "PARAMETER_NOT_MEASURED")  # fmt: skip
    if rules.convert(item.parameter, item.value, item.unit) is None:
        return EntryError(_field(i, "unit"), f"{item.parameter} is stored in {rules.UNITS[item.parameter]}; "
                          f"cannot convert from {item.unit!r}", "UNIT_NOT_CONVERTIBLE")  # fmt: skip
    at = item.measured_at.astimezone(dt.UTC)
    if station.kind in rules.HOURLY_KINDS and at != _hour(at):
        return EntryError(_field(i, "measuredAt"),
                          "Hourly values are keyed by the start of their hour (minutes and seconds 0)",
                          "NOT_ON_THE_HOUR")  # fmt: skip
    return None


def _validate(
    raw: Sequence[RawReading], known: Mapping[str, Row[Any]], now: dt.datetime, result: IngestResult
) -> list[_Entry]:
    """Per-entry checks: malformed entries become errors; the others get their stored unit and quality flag."""
    entries: list[_Entry] = []
    for i, item in enumerate(raw):
        row = known.get(item.station_code)
        problem = _problem(i, item, row)
        value = rules.convert(item.parameter, item.value, item.unit)
        if problem is not None or row is None or value is None:
            result.rejected += 1
            result.errors.append(problem or EntryError(_field(i, "value"), "Not a valid reading", "INVALID"))
            continue
        station = result.stations.get(row.code)
        if station is None:
            station = result.stations[row.code] = StationIngest(row.code, row.kind, row.unit_code)
        at = item.measured_at.astimezone(dt.UTC)
        flag = rules.check(item.parameter, value, at, now)
        entries.append(_Entry(i, station, at, item.parameter, value, rules.UNITS[item.parameter],
                              rules.AVERAGING_BY_KIND[station.kind], flag.quality))  # fmt: skip
    return entries


def _conflict(entry: _Entry, stored_value: float) -> EntryError:
    return EntryError(
        _field(entry.index, "value"),
        f"{entry.station.code} {entry.parameter} at {entry.measured_at.isoformat()} is already stored as "
        f"{stored_value:g}; the first value is kept (corrections go through quality review)",
        "CONFLICT",
    )


async def ingest(
    conn: AsyncConnection, is_sqlite: bool, raw: Sequence[RawReading], now: dt.datetime, submitted_by: str
) -> IngestResult:
    """Store a batch of readings inside the caller's transaction and derive what depends on them.

    Per entry: malformed entries (unknown station, no offset, a parameter the station does not measure, an
    unknown unit, an hourly value off the hour) are rejected with an error naming their index; the rest are
    kept. A (station, time, parameter) already stored — or sent twice in the batch — is a duplicate when the
    value is the same and a conflict when it differs: either way the first value stays (``ON CONFLICT DO
    NOTHING``). New readings are stored with a quality flag (``govgraph.domain.environment.check`` and the
    PM2.5/PM10 pair rule). Then the AQI of the affected hours is recomputed, alerts are derived, and the batch
    receipt is written. Nothing is written when no entry is valid (the caller refuses the batch).
    """
    result = IngestResult(batch_id=uuid.uuid4().hex, received=len(raw))
    known = await _lock_stations(conn, is_sqlite, sorted({r.station_code for r in raw}))
    entries = _validate(raw, known, now, result)

    # In-batch repeats, then what is already stored.
    fresh: dict[tuple[str, str, dt.datetime], _Entry] = {}
    for e in entries:
        first = fresh.get(e.key)
        if first is None:
            fresh[e.key] = e
        elif rules.same_value(first.value, e.value):
            result.duplicates += 1
            e.station.duplicates += 1
        else:
            result.conflicts += 1
            e.station.conflicts += 1
            result.errors.append(_conflict(e, first.value))
    stored = await _stored(conn, sorted({(k[0], k[2]) for k in fresh}))
    new: list[_Entry] = []
    for key, e in fresh.items():
        old = stored.get(key)
        if old is None:
            new.append(e)
        elif rules.same_value(old.value, e.value):
            result.duplicates += 1
            e.station.duplicates += 1
        else:
            result.conflicts += 1
            e.station.conflicts += 1
            result.errors.append(_conflict(e, old.value))

    # PM2.5 above PM10 at the same station and hour: flag the new values of the pair (stored ones are kept as
    # they are: ingest never rewrites a stored reading).
    pm: dict[tuple[str, dt.datetime], dict[str, tuple[float, _Entry | None]]] = defaultdict(dict)
    for e in new:
        if e.parameter in vn_aqi.PM and e.quality == "OK":
            pm[(e.station.code, e.measured_at)][e.parameter] = (e.value, e)
    for (code, at), pair in pm.items():
        for p in vn_aqi.PM:
            old = stored.get((code, p, at))
            if p not in pair and old is not None and old.quality == "OK":
                pair[p] = (old.value, None)
        if len(pair) == 2 and rules.pm_pair_suspect(pair["PM2_5"][0], pair["PM10"][0]):
            for _, entry in pair.values():
                if entry is not None:
                    entry.quality = "SUSPECT"

    for e in new:
        st = e.station
        if e.quality == "OK":
            if st.kind == "AIR" and e.parameter in vn_aqi.POLLUTANTS:
                st.aqi_hours.add(_hour(e.measured_at))
            if e.parameter == "DEPTH_CM":
                st.depth = True

    air = sorted(code for code, st in result.stations.items() if st.aqi_hours)
    floods = sorted(code for code, st in result.stations.items() if st.depth)
    aqi_before = await _latest_aqi_in(conn, is_sqlite, air)
    depth_before = await _latest_depth_in(conn, is_sqlite, floods)

    inserted = await _insert(conn, is_sqlite, new)
    if len(inserted) < len(new):  # a concurrent ingest stored some of the same keys first (PostgreSQL)
        late = [e for e in new if e.key not in inserted]
        now_stored = await _stored(conn, sorted({(e.station.code, e.measured_at) for e in late}))
        for e in late:
            old = now_stored.get(e.key)
            if old is not None and not rules.same_value(old.value, e.value):
                result.conflicts += 1
                e.station.conflicts += 1
                result.errors.append(_conflict(e, old.value))
            else:
                result.duplicates += 1
                e.station.duplicates += 1
        new = [e for e in new if e.key in inserted]
    for e in new:
        st = e.station
        st.inserted += 1
        st.hours.add(_hour(e.measured_at))
        st.first = e.measured_at if st.first is None or e.measured_at < st.first else st.first
        st.last = e.measured_at if st.last is None or e.measured_at > st.last else st.last
        if e.quality != "OK":
            st.flagged += 1
            result.flagged += 1
    result.inserted = len(new)

    for code in air:
        st = result.stations[code]
        for start, end in _runs(st.aqi_hours):
            await recompute_aqi_in(conn, code, start, end)
    aqi_after = await _latest_aqi_in(conn, is_sqlite, air)
    depth_after = await _latest_depth_in(conn, is_sqlite, floods)
    _derive(result, now, aqi_before, aqi_after, depth_before, depth_after)

    if result.alerts:
        await conn.execute(alerts.insert(), result.alerts)
    if result.inserted or result.duplicates or result.conflicts:
        await conn.execute(
            ingest_batches.insert().values(
                id=result.batch_id,
                received_at=now,
                submitted_by=submitted_by,
                received=result.received,
                inserted=result.inserted,
                duplicates=result.duplicates,
                conflicts=result.conflicts,
                flagged=result.flagged,
                rejected=result.rejected,
                stations=[st.summary() for st in result.stations.values()],
                errors=[e.__dict__ for e in reported_errors(result.errors)],
            )
        )
    return result


def reported_errors(errors: Sequence[EntryError]) -> list[EntryError]:
    """The first ``MAX_REPORTED_ERRORS`` errors, and one more saying how many were left out."""
    if len(errors) <= MAX_REPORTED_ERRORS:
        return list(errors)
    more = len(errors) - MAX_REPORTED_ERRORS
    return [*errors[:MAX_REPORTED_ERRORS],
            EntryError(["input", "readings"], f"{more} more entries were refused", "MORE_ERRORS")]  # fmt: skip


async def _insert(conn: AsyncConnection, is_sqlite: bool, new: Sequence[_Entry]) -> set[tuple[str, str, dt.datetime]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the keys actually inserted.

    Executed as an executemany, which SQLAlchemy sends as multi-row INSERTs of ``INSERT_PAGE`` rows
    ("insertmanyvalues", compiled once): one statement per page, never one per reading.
    """
    if not new:
        return set()
    r = readings.c
    stmt = (
        _dialect_insert(is_sqlite, readings)
        .on_conflict_do_nothing(index_elements=["station_code", "parameter", "measured_at"])
        .returning(r.station_code, r.parameter, r.measured_at)
        .execution_options(insertmanyvalues_page_size=INSERT_PAGE)
    )
    values = [
        {"station_code": e.station.code, "measured_at": e.measured_at, "parameter": e.parameter,
         "value": e.value, "unit": e.unit, "averaging": e.averaging, "quality": e.quality}
        for e in new
    ]  # fmt: skip
    result = await conn.execute(stmt, values)
    return {(row.station_code, row.parameter, utc(row.measured_at)) for row in result.all()}


def _derive(
    result: IngestResult,
    now: dt.datetime,
    aqi_before: Mapping[str, Row[Any]],
    aqi_after: Mapping[str, Row[Any]],
    depth_before: Mapping[str, Row[Any]],
    depth_after: Mapping[str, Row[Any]],
) -> None:
    """AQI updates and alerts from the latest AQI / depth before and after the batch."""
    for code, after in aqi_after.items():
        st = result.stations[code]
        hours = sorted(st.aqi_hours)
        cat = vn_aqi.category(after.aqi)
        result.aqi_updates.append({"station_code": code, "unit_code": st.unit_code, "hour": utc(after.hour),
                                   "aqi": after.aqi, "category": cat.code, "rating": cat.rating,
                                   "from": hours[0], "to": hours[-1]})  # fmt: skip
        before = aqi_before.get(code)
        crossing = rules.aqi_crossing(before.aqi if before else None, after.aqi)
        if crossing and before is not None:
            result.alerts.append(_alert(result, code, crossing, utc(after.hour), now,
                                        previous_aqi=before.aqi, new_aqi=after.aqi))  # fmt: skip
    for code, after in depth_after.items():
        before = depth_before.get(code)
        previous = before.value if before is not None else None
        flood = rules.flood_crossing(previous, after.value)
        if flood:
            kind, threshold = flood
            result.alerts.append(_alert(result, code, kind, utc(after.measured_at), now, previous_depth_cm=previous,
                                        new_depth_cm=after.value, threshold_cm=threshold))  # fmt: skip


def _alert(
    result: IngestResult, code: str, kind: str, at: dt.datetime, now: dt.datetime, **values: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {c.name: None for c in alerts.c}
    row.update(id=uuid.uuid4().hex, station_code=code, kind=kind, at=at, raised_at=now, batch_id=result.batch_id)
    row.update(values)
    return row
