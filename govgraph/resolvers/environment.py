"""Resolvers for the environment store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from govgraph.context import Info
from govgraph.datasources import environment as ds
from govgraph.datasources.places import gazetteer
from govgraph.domain import aqi as vn_aqi
from govgraph.domain import wqi as vn_wqi
from govgraph.schema import common
from govgraph.schema import environment as types
from govgraph.schema import places as places_types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection

MAX_HISTORY = dt.timedelta(days=31)
MAX_DAYS = 366
RAIN_DEFAULT = dt.timedelta(hours=24)


# ---------------------------------------------------------------------------------------------------------
# Rows → types
# ---------------------------------------------------------------------------------------------------------


def station_from_row(r: Any) -> types.Station:
    return types.Station(
        key=r.code,
        code=r.code,
        name=r.name,
        kind=types.StationKind(r.kind),
        latitude=r.latitude,
        longitude=r.longitude,
        address=r.address,
        water_body=r.water_body,
        drainage_basin=types.DrainageBasin(r.drainage_basin) if r.drainage_basin else None,
        control_level_m=r.control_level_m,
        operator=r.operator,
        unit_code=r.unit_code,
        unit_structure=r.unit_structure,
    )


def reading_from_row(r: Any) -> types.Reading:
    return types.Reading(
        measured_at=_local(r.measured_at),
        parameter=types.Parameter(r.parameter),
        value=r.value,
        unit=r.unit,
        averaging=types.AveragingPeriod(r.averaging),
        quality=types.QualityFlag(r.quality),
    )


def _local(value: dt.datetime) -> dt.datetime:
    out = common.local(value)
    if out is None:
        raise ValueError("a stored time is missing")
    return out


def _colour(name: str, hex_: str, rgb: tuple[int, int, int]) -> types.Colour:
    return types.Colour(name=name, hex=hex_, red=rgb[0], green=rgb[1], blue=rgb[2])


def _sub_indices(m: Mapping[Any, Any], prefix: str, daily: bool) -> list[types.AqiSubIndex]:
    out = []
    for p, c in ds.POLLUTANT_COLUMNS.items():
        value = m[f"{prefix}si_{c}"]
        if value is None:
            continue
        conc = m[f"{prefix}c_{c}"]
        if p in vn_aqi.PM:
            averaging = "H24" if daily else "NOWCAST"
        elif p == "O3" and daily:
            averaging = m[f"{prefix}o3_basis"] or "H1"
            if averaging == "H8":
                conc = m[f"{prefix}c_o3_8h"]
        else:
            averaging = "H1"
        out.append(
            types.AqiSubIndex(
                pollutant=types.Parameter(p),
                value=value,
                concentration=conc,
                averaging=types.AveragingPeriod(averaging),
            )
        )
    return out


def aqi_from_mapping(m: Mapping[Any, Any], prefix: str = "") -> types.AqiValue:
    value = m[f"{prefix}aqi"]
    cat = vn_aqi.category(value)
    return types.AqiValue(
        hour=_local(m[f"{prefix}hour"]),
        value=value,
        category=types.AqiCategory(cat.code),
        rating=cat.rating,
        colour=_colour(cat.colour, cat.hex, cat.rgb),
        dominant_pollutant=types.Parameter(m[f"{prefix}dominant"]),
        sub_indices=_sub_indices(m, prefix, daily=False),
        method=m[f"{prefix}method"],
    )


def daily_from_row(r: Any) -> types.DailyAqiValue:
    m = r._mapping
    cat = vn_aqi.category(r.aqi)
    return types.DailyAqiValue(
        date=r.day,
        value=r.aqi,
        category=types.AqiCategory(cat.code),
        rating=cat.rating,
        colour=_colour(cat.colour, cat.hex, cat.rgb),
        dominant_pollutant=types.Parameter(r.dominant),
        sub_indices=_sub_indices(m, "", daily=True),
        hours_covered=r.hours,
        method=r.method,
    )


def wqi_from_sample(rows: list[Any]) -> types.WqiValue:
    sample = {r.parameter: r.value for r in rows if r.quality == "OK"}
    result = vn_wqi.wqi(sample)
    cat = result.category
    return types.WqiValue(
        sampled_at=_local(rows[0].measured_at),
        valid=result.valid,
        value=result.value,
        category=types.WqiCategory(cat.code) if cat else None,
        rating=cat.rating if cat else None,
        colour=_colour(cat.colour, cat.hex, cat.rgb) if cat else None,
        fitness_for_use=cat.use if cat else None,
        reason=result.reason,
        groups=[
            types.WqiGroupIndex(group=types.WqiGroup(g), value=v)
            for g, v in sorted(result.groups.items(), key=lambda kv: list(vn_wqi.GROUPS).index(kv[0]))
        ],
        sub_indices=[
            types.WqiSubIndex(parameter=types.Parameter(p), value=q, concentration=sample[p])
            for p, q in sorted(result.sub_indices.items())
        ],
        method=result.method,
    )


# ---------------------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------------------


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Arguments without an offset are Hanoi local time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=common.HANOI_TZ)
    return value.astimezone(dt.UTC)


def _next_hour() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


def _range(
    start: dt.datetime | None, end: dt.datetime | None, default: dt.timedelta, cap: dt.timedelta
) -> tuple[dt.datetime, dt.datetime]:
    to = _utc(end) or _next_hour()
    frm = _utc(start) or to - default
    if frm >= to:
        raise ValueError("`from` must be before `to`")
    if to - frm > cap:
        raise ValueError(f"the range may span at most {cap.days} days")
    return frm, to


# ---------------------------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------------------------


def unit(code: str | None, structure: str | None) -> places_types.AdministrativeUnit | None:
    if not code or not structure:
        return None
    found = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(found) if found else None


async def station(info: Info, code: str) -> types.Station | None:
    row = await info.context.loaders.environment.station_by_code.load(code)
    return station_from_row(row) if row else None


async def stations_by_code(info: Info, codes: list[str], required: bool) -> list[types.Station | None]:
    rows = await info.context.loaders.environment.station_by_code.load_many(codes)
    return common.ordered([station_from_row(r) if r else None for r in rows], required)


async def stations(
    info: Info,
    f: types.StationFilterInput | None,
    order: types.StationOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.Station]:
    flt = ds.StationFilter()
    if f is not None:
        flt = ds.StationFilter(kind=f.kind.name if f.kind else None, unit_code=f.unit_code, search=f.search)
    field = order.field.name if order else "CODE"
    descending = order.descending if order else False
    page = await ds.stations_page(info.context.stores["environment"], flt, field, descending, first, after)
    return common.connection(page, station_from_row)


async def unit_stations(info: Info, code: str, structure: str) -> list[types.Station]:
    rows = await info.context.loaders.environment.stations_by_unit.load((code, structure))
    return [station_from_row(r) for r in rows]


async def readings(
    info: Info,
    code: str,
    parameter: types.Parameter | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    last: int,
) -> list[types.Reading]:
    if not 1 <= last <= ds.MAX_READINGS:
        raise ValueError(f"`last` must be between 1 and {ds.MAX_READINGS}, got {last}")
    frm, to = _utc(start), _utc(end)
    if frm and to and frm >= to:
        raise ValueError("`from` must be before `to`")
    loader = info.context.loaders.environment.readings_by_station(parameter.name if parameter else None, frm, to, last)
    return [reading_from_row(r) for r in await loader.load(code)]


async def latest_aqi(info: Info, code: str, kind: types.StationKind) -> types.AqiValue | None:
    if kind is not types.StationKind.AIR:
        return None
    row = await info.context.loaders.environment.latest_aqi_by_station.load(code)
    return aqi_from_mapping(row._mapping) if row else None


async def aqi_history(
    info: Info, code: str, kind: types.StationKind, start: dt.datetime | None, end: dt.datetime | None
) -> list[types.AqiValue]:
    frm, to = _range(start, end, dt.timedelta(hours=24), MAX_HISTORY)
    if kind is not types.StationKind.AIR:
        return []
    rows = await info.context.loaders.environment.aqi_history_by_station(frm, to).load(code)
    return [aqi_from_mapping(r._mapping) for r in rows]


async def daily_aqi(
    info: Info, code: str, kind: types.StationKind, start: dt.date | None, end: dt.date | None
) -> list[types.DailyAqiValue]:
    last = end or dt.datetime.now(common.HANOI_TZ).date() - dt.timedelta(days=1)
    first = start or last - dt.timedelta(days=6)
    if first > last:
        raise ValueError("`from` must not be after `to`")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"the range may span at most {MAX_DAYS} days")
    if kind is not types.StationKind.AIR:
        return []
    rows = await info.context.loaders.environment.daily_aqi_by_station(first, last).load(code)
    return [daily_from_row(r) for r in rows]


async def wqi(info: Info, code: str, kind: types.StationKind) -> types.WqiValue | None:
    if kind is not types.StationKind.LAKE_WATER:
        return None
    rows = await info.context.loaders.environment.sample_by_station.load(code)
    return wqi_from_sample(rows) if rows else None


async def rainfall(
    info: Info, code: str, kind: types.StationKind, start: dt.datetime | None, end: dt.datetime | None
) -> types.RainfallTotal | None:
    frm, to = _range(start, end, RAIN_DEFAULT, dt.timedelta(days=MAX_DAYS))
    if kind is not types.StationKind.RAIN_GAUGE:
        return None
    row = await info.context.loaders.environment.rainfall_by_station(frm, to).load(code)
    return types.RainfallTotal(
        start=_local(frm),
        end=_local(to),
        total_mm=round(float(row.total_mm), 1) if row else 0.0,
        max_hourly_mm=float(row.max_mm) if row else 0.0,
        hours_reported=int(row.hours) if row else 0,
    )


async def flood_depth(info: Info, code: str, kind: types.StationKind) -> types.FloodDepth | None:
    if kind is not types.StationKind.FLOOD_POINT:
        return None
    rows = await info.context.loaders.environment.readings_by_station("DEPTH_CM", None, None, 1).load(code)
    if not rows:
        return None
    r = rows[0]
    return types.FloodDepth(depth_cm=r.value, measured_at=_local(r.measured_at), flooded=r.value > 0)


async def air_quality_now(info: Info) -> types.CityAirQuality:
    rows = await ds.air_quality_now(info.context.stores["environment"])
    items = [
        types.StationAqi(
            station=station_from_row(r),
            aqi=aqi_from_mapping(r._mapping, "a_") if r.a_aqi is not None else None,
        )
        for r in rows
    ]
    with_aqi = [i for i in items if i.aqi is not None]
    latest = max((i.aqi.hour for i in with_aqi if i.aqi), default=None)
    worst = max(with_aqi, key=lambda i: i.aqi.value if i.aqi else -1, default=None)
    reporting = sum(1 for i in with_aqi if i.aqi and i.aqi.hour == latest)
    return types.CityAirQuality(stations=items, worst=worst, latest_hour=latest, reporting_stations=reporting)


async def flood_points(info: Info, active: bool | None) -> list[types.Station]:
    rows = await ds.flood_points(info.context.stores["environment"], active)
    return [station_from_row(r) for r in rows]
