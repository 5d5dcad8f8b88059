"""Public environment data: stations, readings, VN_AQI, VN_WQI, rainfall and flood depth.

Nothing here counts or names people: no suppression applies. Station sites are public places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

import strawberry

from govgraph.context import Info
from govgraph.datasources import environment as ds
from govgraph.domain import aqi as vn_aqi
from govgraph.domain import wqi as vn_wqi
from govgraph.public import enums
from govgraph.public.common import HANOI_TZ, AdministrativeUnit, Connection, connection, local, page_size, unit

MAX_READINGS = 200
"""`last` cap on the public schema (the full schema allows 1000)."""
MAX_HISTORY = dt.timedelta(days=31)
MAX_DAYS = 366


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Arguments without an offset are Hanoi local time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=HANOI_TZ)
    return value.astimezone(dt.UTC)


def _range(
    start: dt.datetime | None, end: dt.datetime | None, default: dt.timedelta, cap: dt.timedelta
) -> tuple[dt.datetime, dt.datetime]:
    to = _utc(end) or dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    frm = _utc(start) or to - default
    if frm >= to:
        raise ValueError("`from` must be before `to`")
    if to - frm > cap:
        raise ValueError(f"the range may span at most {cap.days} days")
    return frm, to


@strawberry.type(description="A display colour of an index category.")
class Colour:
    name: str = strawberry.field(description="Vietnamese colour name, e.g. 'Da cam'.")
    hex: str = strawberry.field(description="Hex code, e.g. '#FF7E00'.")


@strawberry.type(description="One measured value of a station (a point of its time series).")
class Reading:
    measured_at: dt.datetime = strawberry.field(description="Start of the averaging period (+07:00).")
    parameter: enums.Parameter = strawberry.field(description="What was measured.")
    value: float = strawberry.field(description="The value, in `unit`.")
    unit: str = strawberry.field(description="Unit of `value`, e.g. 'µg/m³', 'mg/L', 'mm'.")
    averaging: enums.AveragingPeriod = strawberry.field(description="The averaging period of the value.")
    quality: enums.QualityFlag = strawberry.field(description="Quality-control flag; only OK values enter indices.")

    @classmethod
    def from_row(cls, r: Any) -> Reading:
        return cls(
            measured_at=local(r.measured_at),
            parameter=enums.Parameter(r.parameter),
            value=r.value,
            unit=r.unit,
            averaging=enums.AveragingPeriod(r.averaging),
            quality=enums.QualityFlag(r.quality),
        )


@strawberry.type(description="The sub-index of one pollutant in an AQI.")
class AqiSubIndex:
    pollutant: enums.Parameter = strawberry.field(description="The pollutant.")
    value: int = strawberry.field(description="Its sub-index (rounded half-up).")
    concentration: float | None = strawberry.field(description="The concentration it was computed from, µg/m³.")


def _sub_indices(m: Mapping[Any, Any], prefix: str, daily: bool) -> list[AqiSubIndex]:
    out = []
    for p, c in ds.POLLUTANT_COLUMNS.items():
        value = m[f"{prefix}si_{c}"]
        if value is None:
            continue
        conc = m[f"{prefix}c_{c}"]
        if daily and p == "O3" and m[f"{prefix}o3_basis"] == "H8":
            conc = m[f"{prefix}c_o3_8h"]
        out.append(AqiSubIndex(pollutant=enums.Parameter(p), value=value, concentration=conc))
    return out


@strawberry.type(description="A VN_AQI value (Decision 1459/QĐ-TCMT): hourly (AQI giờ) or daily (AQI ngày).")
class AqiValue:
    hour: dt.datetime | None = strawberry.field(description="Start of the hour (+07:00); null for a daily value.")
    date: dt.date | None = strawberry.field(description="The local day of a daily value; null for an hourly one.")
    value: int = strawberry.field(description="The AQI, 0-500: the largest sub-index.")
    category: enums.AqiCategory = strawberry.field(description="Category of Table 1.")
    rating: str = strawberry.field(description="Vietnamese rating, e.g. 'Kém'.")
    colour: Colour = strawberry.field(description="Display colour of the category.")
    dominant_pollutant: enums.Parameter = strawberry.field(description="The pollutant with the largest sub-index.")
    sub_indices: list[AqiSubIndex] = strawberry.field(description="Sub-index of each pollutant measured.")

    @classmethod
    def from_mapping(cls, m: Mapping[Any, Any], prefix: str = "", daily: bool = False) -> AqiValue:
        value = m[f"{prefix}aqi"]
        cat = vn_aqi.category(value)
        return cls(
            hour=None if daily else local(m[f"{prefix}hour"]),
            date=m[f"{prefix}day"] if daily else None,
            value=value,
            category=enums.AqiCategory(cat.code),
            rating=cat.rating,
            colour=Colour(name=cat.colour, hex=cat.hex),
            dominant_pollutant=enums.Parameter(m[f"{prefix}dominant"]),
            sub_indices=_sub_indices(m, prefix, daily),
        )


@strawberry.type(description="The index of one VN_WQI parameter group.")
class WqiGroupIndex:
    group: enums.WqiGroup = strawberry.field(description="The group.")
    value: float = strawberry.field(description="Group index: pH's q, or the mean of the group's sub-indices.")


@strawberry.type(description="The VN_WQI of a water sample (Decision 1460/QĐ-TCMT).")
class WqiValue:
    sampled_at: dt.datetime = strawberry.field(description="When the sample was taken (+07:00).")
    valid: bool = strawberry.field(
        description="True when at least 3 of 5 groups have data and group IV has at least 3 parameters."
    )
    value: int | None = strawberry.field(description="The WQI (rounded half-up); null when not valid.")
    category: enums.WqiCategory | None = strawberry.field(description="Category; null when not valid.")
    rating: str | None = strawberry.field(description="Vietnamese rating, e.g. 'Trung bình'.")
    colour: Colour | None = strawberry.field(description="Display colour of the category.")
    fitness_for_use: str | None = strawberry.field(description="What the water is fit for at this category.")
    groups: list[WqiGroupIndex] = strawberry.field(description="Index of each group with data.")

    @classmethod
    def from_sample(cls, rows: list[Any]) -> WqiValue:
        sample = {r.parameter: r.value for r in rows if r.quality == "OK"}
        result = vn_wqi.wqi(sample)
        cat = result.category
        order = list(vn_wqi.GROUPS)
        return cls(
            sampled_at=local(rows[0].measured_at),
            valid=result.valid,
            value=result.value,
            category=enums.WqiCategory(cat.code) if cat else None,
            rating=cat.rating if cat else None,
            colour=Colour(name=cat.colour, hex=cat.hex) if cat else None,
            fitness_for_use=cat.use if cat else None,
            groups=[
                WqiGroupIndex(group=enums.WqiGroup(g), value=v)
                for g, v in sorted(result.groups.items(), key=lambda kv: order.index(kv[0]))
            ],
        )


@strawberry.type(description="Rainfall at a gauge over a period.")
class RainfallTotal:
    start: dt.datetime = strawberry.field(description="Start of the period (+07:00).")
    end: dt.datetime = strawberry.field(description="End of the period, exclusive (+07:00).")
    total_mm: float = strawberry.field(description="Total rainfall, mm.")
    max_hourly_mm: float = strawberry.field(description="The wettest hour, mm.")
    hours_reported: int = strawberry.field(description="Hourly values received in the period.")


@strawberry.type(description="The latest flood depth at a flood point.")
class FloodDepth:
    depth_cm: float = strawberry.field(description="Water depth on the street, cm (0: dry).")
    measured_at: dt.datetime = strawberry.field(description="When it was measured (+07:00).")
    flooded: bool = strawberry.field(description="True when the street is under water (đang ngập).")


@strawberry.type(description="A monitoring station (trạm quan trắc) or sensor point of the city.")
class Station:
    code: str = strawberry.field(description="Station code, e.g. 'KK001'.")
    name: str = strawberry.field(description="Name as published, e.g. 'Trạm Hoàn Kiếm'.")
    kind: enums.StationKind = strawberry.field(description="What the station measures.")
    latitude: float = strawberry.field(description="Latitude, WGS 84.")
    longitude: float = strawberry.field(description="Longitude, WGS 84.")
    location: str | None = strawberry.field(description="Where the station stands, as written (a public place).")
    water_body: str | None = strawberry.field(description="Lake or river of a water station, e.g. 'Hồ Tây'.")
    drainage_basin: enums.DrainageBasin | None = strawberry.field(description="Drainage basin of a flood point.")
    control_level_m: float | None = strawberry.field(
        description="Control water level (mực nước khống chế), m, of a level gauge."
    )
    operator: str = strawberry.field(description="The agency or company that runs the station.")
    unit_code: strawberry.Private[str | None]
    unit_structure: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, r: Any) -> Station:
        return cls(
            code=r.code,
            name=r.name,
            kind=enums.StationKind(r.kind),
            latitude=r.latitude,
            longitude=r.longitude,
            location=r.address,
            water_body=r.water_body,
            drainage_basin=enums.DrainageBasin(r.drainage_basin) if r.drainage_basin else None,
            control_level_m=r.control_level_m,
            operator=r.operator,
            unit_code=r.unit_code,
            unit_structure=r.unit_structure,
        )

    @strawberry.field(description="The ward or commune the station stands in.")
    def unit(self) -> AdministrativeUnit | None:
        return unit(self.unit_code, self.unit_structure)

    @strawberry.field(description="Readings, newest first: the `last` ones (default 24, at most 200) in the range.")
    async def readings(
        self,
        info: Info,
        parameter: Annotated[enums.Parameter | None, strawberry.argument(description="Only this parameter.")] = None,
        from_: Annotated[
            dt.datetime | None, strawberry.argument(name="from", description="From this time, inclusive.")
        ] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="Up to this time, exclusive.")] = None,
        last: Annotated[int, strawberry.argument(description="How many of the newest readings (1-200).")] = 24,
    ) -> list[Reading]:
        if not 1 <= last <= MAX_READINGS:
            raise ValueError(f"`last` must be between 1 and {MAX_READINGS}, got {last}")
        frm, end = _utc(from_), _utc(to)
        if frm and end and frm >= end:
            raise ValueError("`from` must be before `to`")
        loader = info.context.loaders.environment.readings_by_station(
            parameter.name if parameter else None, frm, end, last
        )
        return [Reading.from_row(r) for r in await loader.load(self.code)]

    @strawberry.field(description="The latest hourly AQI (air stations; null otherwise or without data).")
    async def latest_aqi(self, info: Info) -> AqiValue | None:
        if self.kind is not enums.StationKind.AIR:
            return None
        row = await info.context.loaders.environment.latest_aqi_by_station.load(self.code)
        return AqiValue.from_mapping(row._mapping) if row else None

    @strawberry.field(description="Hourly AQI in a range, oldest first (default: the last 24 hours; at most 31 days).")
    async def aqi_history(
        self,
        info: Info,
        from_: Annotated[
            dt.datetime | None, strawberry.argument(name="from", description="From this hour, inclusive.")
        ] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="Up to this time, exclusive.")] = None,
    ) -> list[AqiValue]:
        frm, end = _range(from_, to, dt.timedelta(hours=24), MAX_HISTORY)
        if self.kind is not enums.StationKind.AIR:
            return []
        rows = await info.context.loaders.environment.aqi_history_by_station(frm, end).load(self.code)
        return [AqiValue.from_mapping(r._mapping) for r in rows]

    @strawberry.field(description="Daily AQI of complete days, oldest first (default: the last 7 days; at most 366).")
    async def daily_aqi(
        self,
        info: Info,
        from_: Annotated[dt.date | None, strawberry.argument(name="from", description="First day.")] = None,
        to: Annotated[dt.date | None, strawberry.argument(description="Last day, inclusive.")] = None,
    ) -> list[AqiValue]:
        last = to or dt.datetime.now(HANOI_TZ).date() - dt.timedelta(days=1)
        first = from_ or last - dt.timedelta(days=6)
        if first > last:
            raise ValueError("`from` must not be after `to`")
        if (last - first).days >= MAX_DAYS:
            raise ValueError(f"the range may span at most {MAX_DAYS} days")
        if self.kind is not enums.StationKind.AIR:
            return []
        rows = await info.context.loaders.environment.daily_aqi_by_station(first, last).load(self.code)
        return [AqiValue.from_mapping(r._mapping, daily=True) for r in rows]

    @strawberry.field(description="VN_WQI of the latest water sample (lake stations; null otherwise).")
    async def wqi(self, info: Info) -> WqiValue | None:
        if self.kind is not enums.StationKind.LAKE_WATER:
            return None
        rows = await info.context.loaders.environment.sample_by_station.load(self.code)
        return WqiValue.from_sample(rows) if rows else None

    @strawberry.field(description="Total rainfall in a period (rain gauges; default: the last 24 hours).")
    async def rainfall(
        self,
        info: Info,
        from_: Annotated[dt.datetime | None, strawberry.argument(name="from", description="Start, inclusive.")] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="End, exclusive.")] = None,
    ) -> RainfallTotal | None:
        frm, end = _range(from_, to, dt.timedelta(hours=24), dt.timedelta(days=MAX_DAYS))
        if self.kind is not enums.StationKind.RAIN_GAUGE:
            return None
        row = await info.context.loaders.environment.rainfall_by_station(frm, end).load(self.code)
        return RainfallTotal(
            start=local(frm),
            end=local(end),
            total_mm=round(float(row.total_mm), 1) if row else 0.0,
            max_hourly_mm=float(row.max_mm) if row else 0.0,
            hours_reported=int(row.hours) if row else 0,
        )

    @strawberry.field(description="The latest flood depth (flood points; null otherwise).")
    async def flood_depth(self, info: Info) -> FloodDepth | None:
        if self.kind is not enums.StationKind.FLOOD_POINT:
            return None
        rows = await info.context.loaders.environment.readings_by_station("DEPTH_CM", None, None, 1).load(self.code)
        if not rows:
            return None
        r = rows[0]
        return FloodDepth(depth_cm=r.value, measured_at=local(r.measured_at), flooded=r.value > 0)


@strawberry.type(description="An air station with its latest hourly AQI.")
class StationAqi:
    station: Station = strawberry.field(description="The station.")
    aqi: AqiValue | None = strawberry.field(description="Its latest hourly AQI; null when it has none.")


@strawberry.type(description="The city's air quality now: every air station's latest AQI.")
class CityAirQuality:
    stations: list[StationAqi] = strawberry.field(description="Every air station, by code.")
    worst: StationAqi | None = strawberry.field(description="The station with the highest latest AQI.")
    latest_hour: dt.datetime | None = strawberry.field(description="The newest hour any station reported.")


@strawberry.input(description="Which stations to list.")
class StationFilter:
    kind: enums.StationKind | None = strawberry.field(default=None, description="Only stations of this kind.")
    unit_code: str | None = strawberry.field(default=None, description="Only stations in this ward or commune.")
    search: str | None = strawberry.field(default=None, description="Words of the name, any accents.")


async def station(info: Info, code: str) -> Station | None:
    row = await info.context.loaders.environment.station_by_code.load(code)
    return Station.from_row(row) if row else None


async def stations(info: Info, f: StationFilter | None, first: int | None, after: str | None) -> Connection[Station]:
    f = f or StationFilter()
    flt = ds.StationFilter(kind=f.kind.name if f.kind else None, unit_code=f.unit_code, search=f.search)
    page = await ds.stations_page(info.context.stores["environment"], flt, "CODE", False, page_size(info, first), after)
    return connection(page, Station.from_row)


async def air_quality_now(info: Info) -> CityAirQuality:
    rows = await ds.air_quality_now(info.context.stores["environment"])
    items = [
        StationAqi(
            station=Station.from_row(r),
            aqi=AqiValue.from_mapping(r._mapping, "a_") if r.a_aqi is not None else None,
        )
        for r in rows
    ]
    with_aqi = [i for i in items if i.aqi is not None]
    latest = max((i.aqi.hour for i in with_aqi if i.aqi and i.aqi.hour), default=None)
    worst = max(with_aqi, key=lambda i: i.aqi.value if i.aqi else -1, default=None)
    return CityAirQuality(stations=items, worst=worst, latest_hour=latest)


async def flood_points(info: Info, active: bool | None) -> list[Station]:
    return [Station.from_row(r) for r in await ds.flood_points(info.context.stores["environment"], active)]
