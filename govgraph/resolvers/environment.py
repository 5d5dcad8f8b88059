"""Resolvers for the environment store."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import strawberry

from govgraph.auth.identity import Role
from govgraph.auth.roles import require
from govgraph.context import Info
from govgraph.datasources import environment as ds
from govgraph.datasources.places import gazetteer
from govgraph.domain import aqi as vn_aqi
from govgraph.domain import environment as rules
from govgraph.domain import wqi as vn_wqi
from govgraph.events import Event
from govgraph.resolvers.live import asks, follow, load_shared
from govgraph.resolvers.mutation import Tx, UserInputError, run_mutation
from govgraph.schema import common
from govgraph.schema import environment as types
from govgraph.schema import places as places_types
from govgraph.schema.common import UserError

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


@functools.cache
def _reading_enums() -> tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any]]:
    # Built on first use: this module is imported while govgraph.schema.environment is still being defined.
    return common.by_value(types.Parameter), common.by_value(types.AveragingPeriod), common.by_value(types.QualityFlag)


def _reading_fields() -> dict[str, tuple[str, Callable[[Any], Any] | None]]:
    parameter, averaging, quality = _reading_enums()
    return {
        "measured_at": ("measured_at", _local),
        "parameter": ("parameter", parameter),
        "value": ("value", None),
        "unit": ("unit", None),
        "averaging": ("averaging", averaging),
        "quality": ("quality", quality),
    }


READING_ROW: common.RowSpec = common.RowSpec(lambda: types.Reading, _reading_fields)
"""A reading from its row (readings are the longest lists: the compiled path writes them from the rows)."""


def reading_from_row(r: Any) -> types.Reading:
    return READING_ROW.build(r)  # type: ignore[no-any-return]


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


def _readings_loader(
    info: Info, parameter: types.Parameter | None, start: dt.datetime | None, end: dt.datetime | None, last: int
) -> Any:
    """Station.readings' argument checks, and the loader for those arguments."""
    if not 1 <= last <= ds.MAX_READINGS:
        raise ValueError(f"`last` must be between 1 and {ds.MAX_READINGS}, got {last}")
    frm, to = _utc(start), _utc(end)
    if frm and to and frm >= to:
        raise ValueError("`from` must be before `to`")
    return info.context.loaders.environment.readings_by_station(parameter.name if parameter else None, frm, to, last)


async def readings(
    info: Info,
    code: str,
    parameter: types.Parameter | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    last: int,
) -> list[types.Reading]:
    loader = _readings_loader(info, parameter, start, end, last)
    return [reading_from_row(r) for r in await loader.load(code)]


async def readings_of(
    info: Info,
    stations: list[types.Station],
    parameter: types.Parameter | None = None,
    from_: dt.datetime | None = None,
    to: dt.datetime | None = None,
    last: int = 24,
) -> list[list[types.Reading]]:
    """Station.readings for a list of stations at once (the compiled path): the same checks and loader."""
    rows = await reading_rows_of(info, stations, parameter, from_, to, last)
    return [[reading_from_row(r) for r in of] for of in rows]


async def reading_rows_of(
    info: Info,
    stations: list[types.Station],
    parameter: types.Parameter | None = None,
    from_: dt.datetime | None = None,
    to: dt.datetime | None = None,
    last: int = 24,
) -> list[Sequence[Any]]:
    """``readings_of`` as rows (READING_ROW builds a reading from one): the compiled path's row form."""
    loader = _readings_loader(info, parameter, from_, to, last)
    return await loader.load_many([s.code for s in stations])  # type: ignore[no-any-return]


async def latest_aqis_of(info: Info, stations: list[types.Station]) -> list[types.AqiValue | None]:
    """Station.latestAqi for a list of stations at once (the compiled path)."""
    codes = [s.code if s.kind is types.StationKind.AIR else None for s in stations]
    loader = info.context.loaders.environment.latest_aqi_by_station
    return await common.load_each(codes, loader.load_many, lambda row: aqi_from_mapping(row._mapping))


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


# ---------------------------------------------------------------------------------------------------------
# Ingest
# ---------------------------------------------------------------------------------------------------------


def _user_errors(errors: list[ds.EntryError]) -> list[UserError]:
    return [UserError(field=e.field, message=e.message, code=e.code) for e in errors]


async def ingest(info: Info, data: types.ReadingsIngestInput) -> types.ReadingsIngestPayload:
    """readingsIngest: partial acceptance. Malformed entries are refused one by one (userErrors naming their
    index) and the rest are stored, because a gateway that retries a whole batch would otherwise be stuck on one
    bad value; only a batch with no acceptable entry, or an oversized one, is refused as a whole."""
    principal = info.context.principal
    require(principal, Role.DEVICE)
    if len(data.readings) > rules.MAX_BATCH:
        message = f"At most {rules.MAX_BATCH:,} readings per call, got {len(data.readings):,}"
        error = UserError(field=["input", "readings"], code="TOO_MANY", message=message)
        return types.ReadingsIngestPayload(batch=None, user_errors=[error])
    if not data.readings:
        error = UserError(field=["input", "readings"], code="INVALID", message="The batch has no readings")
        return types.ReadingsIngestPayload(batch=None, user_errors=[error])
    store = info.context.stores["environment"]
    raw = [ds.RawReading(r.station_code, r.measured_at, r.parameter.name, r.value, r.unit) for r in data.readings]

    async def work(tx: Tx) -> str:
        result = await ds.ingest(tx.conn, store.is_sqlite, raw, tx.now, principal.subject)
        if not (result.inserted or result.duplicates or result.conflicts):
            raise UserInputError.many(_user_errors(ds.reported_errors(result.errors)))
        _emit(tx, result)
        return result.batch_id

    outcome = await run_mutation(info, store="environment", operation="readingsIngest", input=data, work=work)
    if outcome.key is None:
        return types.ReadingsIngestPayload(batch=None, user_errors=outcome.errors)
    row = await info.context.loaders.environment.batch_by_id.load(outcome.key)
    if row is None:
        raise ValueError(f"the ingest batch {outcome.key} was not stored")
    return types.ReadingsIngestPayload(
        batch=_batch_from_row(row),
        user_errors=[UserError(field=e["field"], message=e["message"], code=e["code"]) for e in row.errors],
    )


def _emit(tx: Tx, result: ds.IngestResult) -> None:
    """Events, published after commit: readings per station, the AQI recomputed, alerts raised."""
    for st in result.stations.values():
        if st.inserted and st.first and st.last:
            hours = sorted(st.hours)
            tx.emit("environment.reading.ingested", station_code=st.code, kind=st.kind, unit_code=st.unit_code,
                    batch_id=result.batch_id, inserted=st.inserted, flagged=st.flagged,
                    first_measured_at=st.first.isoformat(), last_measured_at=st.last.isoformat(),
                    first_hour=hours[0].isoformat(), last_hour=hours[-1].isoformat(), hours=len(hours))  # fmt: skip
    for u in result.aqi_updates:
        tx.emit("environment.aqi.updated", station_code=u["station_code"], unit_code=u["unit_code"],
                hour=u["hour"].isoformat(), aqi=u["aqi"], category=u["category"], rating=u["rating"],
                recomputed_from=u["from"].isoformat(), recomputed_to=u["to"].isoformat())  # fmt: skip
    for a in result.alerts:
        st = result.stations[a["station_code"]]
        tx.emit("environment.alert.raised", alert_id=a["id"], station_code=st.code, station_kind=st.kind,
                unit_code=st.unit_code, kind=a["kind"], at=a["at"].isoformat(),
                previous_aqi=a["previous_aqi"], new_aqi=a["new_aqi"],
                previous_category=vn_aqi.category(a["previous_aqi"]).code if a["previous_aqi"] is not None else None,
                new_category=vn_aqi.category(a["new_aqi"]).code if a["new_aqi"] is not None else None,
                previous_depth_cm=a["previous_depth_cm"], new_depth_cm=a["new_depth_cm"],
                threshold_cm=a["threshold_cm"])  # fmt: skip


def _time(value: str | None) -> dt.datetime | None:
    return _local(dt.datetime.fromisoformat(value)) if value else None


def _batch_from_row(row: Any) -> types.ReadingBatch:
    return types.ReadingBatch(
        id=strawberry.ID(row.id),
        received_at=_local(row.received_at),
        received=row.received,
        inserted=row.inserted,
        duplicates=row.duplicates,
        conflicts=row.conflicts,
        flagged=row.flagged,
        rejected=row.rejected,
        stations=[
            types.ReadingBatchStation(
                code=s["code"],
                inserted=s["inserted"],
                duplicates=s["duplicates"],
                conflicts=s["conflicts"],
                flagged=s["flagged"],
                first_measured_at=_time(s["first"]),
                last_measured_at=_time(s["last"]),
            )
            for s in sorted(row.stations, key=lambda s: s["code"])
        ],
    )


async def station_latest_aqi(info: Info, code: str) -> types.AqiValue | None:
    row = await info.context.loaders.environment.latest_aqi_by_station.load(code)
    return aqi_from_mapping(row._mapping) if row else None


def _readings_between_args(first: dt.datetime, last: dt.datetime) -> tuple[None, dt.datetime, dt.datetime, int]:
    """The ``readings_by_station`` arguments of an ingest's readings from ``first`` to ``last``, inclusive."""
    return None, first.astimezone(dt.UTC), last.astimezone(dt.UTC) + dt.timedelta(microseconds=1), ds.MAX_READINGS


async def readings_between(info: Info, code: str, first: dt.datetime, last: dt.datetime) -> list[types.Reading]:
    loader = info.context.loaders.environment.readings_by_station(*_readings_between_args(first, last))
    return [reading_from_row(r) for r in await loader.load(code)]


# ---------------------------------------------------------------------------------------------------------
# Subscriptions: environmental data is public, so any signed-in role may follow it, and the rows an event needs
# are loaded once per event for all of this process's subscribers (govgraph.resolvers.live: load_shared)
# ---------------------------------------------------------------------------------------------------------


def _may_follow(info: Info) -> None:
    require(info.context.principal, *Role)


async def _shared_station(info: Info, event: Event, code: str) -> types.Station | None:
    row = await load_shared(event, "environment.station", info.context.loaders.environment.station_by_code, code)
    return station_from_row(row) if row else None


async def follow_readings(
    info: Info, code: str | None, kind: types.StationKind | None, unit_code: str | None
) -> AsyncIterator[types.ReadingsAdded]:
    _may_follow(info)

    def match(e: Event) -> bool:
        p = e.payload
        return (
            e.topic == "environment.reading.ingested"
            and (code is None or p["station_code"] == code)
            and (kind is None or p["kind"] == kind.name)
            and (unit_code is None or p["unit_code"] == unit_code)
        )

    wants_readings = asks(info, "readings")
    async for event in follow(info, ["environment.reading.ingested"], match):
        found = await _shared_station(info, event, event.payload["station_code"])
        if found is not None:
            first = _local(dt.datetime.fromisoformat(event.payload["first_measured_at"]))
            last = _local(dt.datetime.fromisoformat(event.payload["last_measured_at"]))
            if wants_readings:  # loaded once for the event; ReadingsAdded.readings then finds it in its loader
                args = _readings_between_args(first, last)
                loader = info.context.loaders.environment.readings_by_station(*args)
                await load_shared(event, ("environment.readings", *args), loader, found.code)
            yield types.ReadingsAdded(station=found, inserted=event.payload["inserted"], first_measured_at=first,
                                      last_measured_at=last)  # fmt: skip


async def follow_aqi(info: Info, code: str | None, unit_code: str | None) -> AsyncIterator[types.StationAqi]:
    _may_follow(info)

    def match(e: Event) -> bool:
        p = e.payload
        return (
            e.topic == "environment.aqi.updated"
            and (code is None or p["station_code"] == code)
            and (unit_code is None or p["unit_code"] == unit_code)
        )

    async for event in follow(info, ["environment.aqi.updated"], match):
        found = await _shared_station(info, event, event.payload["station_code"])
        if found is not None:
            loader = info.context.loaders.environment.latest_aqi_by_station
            row = await load_shared(event, "environment.latest_aqi", loader, found.code)
            yield types.StationAqi(station=found, aqi=aqi_from_mapping(row._mapping) if row else None)


async def follow_alerts(
    info: Info, kind: types.EnvironmentAlertKind | None, unit_code: str | None
) -> AsyncIterator[types.EnvironmentAlert]:
    _may_follow(info)

    def match(e: Event) -> bool:
        p = e.payload
        return (
            e.topic == "environment.alert.raised"
            and (kind is None or p["kind"] == kind.name)
            and (unit_code is None or p["unit_code"] == unit_code)
        )

    async for event in follow(info, ["environment.alert.raised"], match):
        loader = info.context.loaders.environment.alert_by_id
        row = await load_shared(event, "environment.alert", loader, event.payload["alert_id"])
        if row is not None:
            yield _alert_from_row(row, await _shared_station(info, event, row.station_code))


def _category(aqi: int | None) -> types.AqiCategory | None:
    return types.AqiCategory(vn_aqi.category(aqi).code) if aqi is not None else None


def _alert_from_row(row: Any, found: types.Station | None) -> types.EnvironmentAlert:
    return types.EnvironmentAlert(
        id=strawberry.ID(row.id),
        kind=types.EnvironmentAlertKind(row.kind),
        station=found,
        at=_local(row.at),
        raised_at=_local(row.raised_at),
        previous_category=_category(row.previous_aqi),
        new_category=_category(row.new_aqi),
        previous_aqi=row.previous_aqi,
        new_aqi=row.new_aqi,
        previous_depth_cm=row.previous_depth_cm,
        new_depth_cm=row.new_depth_cm,
        threshold_cm=row.threshold_cm,
    )
