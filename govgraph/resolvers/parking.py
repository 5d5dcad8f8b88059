"""Resolvers for the parking store."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from govgraph.context import Info
from govgraph.datasources import parking as ds
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain.parking import parking_fee, parse_plate
from govgraph.schema import common
from govgraph.schema import parking as types
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection

CURRENT_STRUCTURE = CURRENT.value


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored time as Hanoi local time with offset."""
    return (
        value.replace(tzinfo=dt.UTC).astimezone(common.HANOI_TZ)
        if value.tzinfo is None
        else value.astimezone(common.HANOI_TZ)
    )


def overnight_price(row: Any) -> int | None:
    return ds.tariff_rule(row).overnight_flat


def duration_minutes(started_at: dt.datetime, ended_at: dt.datetime | None) -> int:
    end = ended_at or dt.datetime.now(dt.UTC)
    return max(0, -(-int((end - started_at).total_seconds()) // 60))


def facility_unit(code: str | None, structure: str) -> places_types.AdministrativeUnit | None:
    unit = gazetteer().get(code, structure) if code else None
    return places_types.AdministrativeUnit.from_unit(unit) if unit else None


# Facilities -------------------------------------------------------------------------------------------------


async def facility(info: Info, code: str) -> types.ParkingFacility | None:
    row = await info.context.loaders.parking.facility_by_code.load(code)
    return types.ParkingFacility.from_row(row) if row else None


async def facilities_by_code(info: Info, codes: list[str], required: bool) -> list[types.ParkingFacility | None]:
    rows = await info.context.loaders.parking.facility_by_code.load_many(codes)
    return common.ordered([types.ParkingFacility.from_row(r) if r else None for r in rows], required)


async def facilities(
    info: Info,
    f: types.ParkingFacilityFilter | None,
    order: types.ParkingFacilityOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.ParkingFacility]:
    flt = ds.FacilityFilter()
    if f is not None:
        flt = ds.FacilityFilter(
            unit_code=f.unit_code,
            unit_structure=CURRENT_STRUCTURE if f.unit_code else None,
            kind=f.kind.name if f.kind else None,
            street=f.street,
            search=f.search,
            has_free_space=f.has_free_space,
        )
    field = order.field.name if order else "CODE"
    descending = order.descending if order else False
    page = await ds.facilities_page(info.context.stores["parking"], flt, field, descending, first, after)
    return common.connection(page, types.ParkingFacility.from_row)


async def unit_facilities(info: Info, code: str, structure: str) -> list[types.ParkingFacility]:
    rows = await info.context.loaders.parking.facilities_by_unit.load((code, structure))
    return [types.ParkingFacility.from_row(r) for r in rows]


async def availability(info: Info, code: str) -> types.ParkingAvailability:
    a = await info.context.loaders.parking.availability_by_facility.load(code)
    if a is None:
        raise LookupError(f"parking facility {code!r} disappeared")
    return types.ParkingAvailability(
        capacity=a.capacity, occupied=a.occupied, free=a.free, updated_at=local_time(a.updated_at)
    )


async def availability_summary(info: Info, unit_code: str | None) -> types.ParkingAvailabilitySummary:
    if unit_code and gazetteer().get(unit_code, CURRENT) is None:
        raise ValueError(f"unitCode {unit_code!r} is not a current (2025-07) ward or commune code")
    kinds, now = await ds.availability_summary(info.context.stores["parking"], unit_code, CURRENT_STRUCTURE)
    return types.ParkingAvailabilitySummary(
        unit_code=unit_code,
        facilities=sum(k.facilities for k in kinds),
        capacity=sum(k.capacity for k in kinds),
        occupied=sum(k.occupied for k in kinds),
        free=sum(k.free for k in kinds),
        by_kind=[
            types.ParkingKindAvailability(
                kind=types.ParkingFacilityKind(k.kind),
                facilities=k.facilities,
                capacity=k.capacity,
                occupied=k.occupied,
                free=k.free,
            )
            for k in kinds
        ],
        updated_at=local_time(now),
    )


async def spots(info: Info, code: str) -> list[types.ParkingSpot]:
    rows = await info.context.loaders.parking.spots_by_facility.load(code)
    return [types.ParkingSpot(number=r.number, session_id=r.session_id) for r in rows]


# Tariffs ----------------------------------------------------------------------------------------------------


async def tariff(info: Info, code: str) -> types.Tariff | None:
    row = await info.context.loaders.parking.tariff_by_code.load(code)
    return types.Tariff.from_row(row) if row else None


async def tariffs_by_code(info: Info, codes: list[str], required: bool) -> list[types.Tariff | None]:
    rows = await info.context.loaders.parking.tariff_by_code.load_many(codes)
    return common.ordered([types.Tariff.from_row(r) if r else None for r in rows], required)


async def tariffs(info: Info) -> list[types.Tariff]:
    rows = await ds.all_tariffs(info.context.stores["parking"])
    return [types.Tariff.from_row(r) for r in rows]


async def quote(info: Info, code: str, started_at: dt.datetime, ended_at: dt.datetime) -> int:
    row = await info.context.loaders.parking.tariff_by_code.load(code)
    if row is None:
        raise LookupError(f"tariff {code!r} disappeared")
    return parking_fee(ds.tariff_rule(row), ds.utc(started_at), ds.utc(ended_at))


# Sessions ---------------------------------------------------------------------------------------------------


async def session_by_id(info: Info, session_id: int) -> types.ParkingSession | None:
    row = await info.context.loaders.parking.session_by_id.load(session_id)
    return types.ParkingSession.from_row(row) if row else None


async def sessions_by_id(info: Info, ids: list[str], required: bool) -> list[types.ParkingSession | None]:
    keys = [int(i) if i.isdigit() else -1 for i in ids]
    rows = await info.context.loaders.parking.session_by_id.load_many(keys)
    return common.ordered([types.ParkingSession.from_row(r) if r else None for r in rows], required)


async def sessions(
    info: Info, f: types.ParkingSessionFilter | None, first: int | None, after: str | None
) -> Connection[types.ParkingSession]:
    flt = ds.SessionFilter()
    if f is not None:
        flt = ds.SessionFilter(
            plate=parse_plate(f.plate).text if f.plate else None,
            facility_code=f.facility_code,
            open=f.open,
            started_from=f.started_from,
            started_to=f.started_to,
        )
    page = await ds.sessions_page(info.context.stores["parking"], flt, first, after)
    return common.connection(page, types.ParkingSession.from_row)


async def facility_sessions(
    info: Info,
    code: str,
    open: bool | None,
    started_from: dt.datetime | None,
    started_to: dt.datetime | None,
    first: int | None,
    after: str | None,
) -> Connection[types.ParkingSession]:
    flt = ds.SessionFilter(facility_code=code, open=open, started_from=started_from, started_to=started_to)
    page = await ds.sessions_page(info.context.stores["parking"], flt, first, after)
    return common.connection(page, types.ParkingSession.from_row)


async def payer(info: Info, pid: str | None) -> population_types.Citizen | None:
    if pid is None:
        return None
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def citizen_sessions(info: Info, pid: str, last: int) -> list[types.ParkingSession]:
    """Sessions a citizen paid, newest first (for `Citizen.parkingSessions`)."""
    if not 0 <= last <= ds.MAX_LAST:
        raise ValueError(f"`last` must be between 0 and {ds.MAX_LAST}, got {last}")
    if last == 0:
        return []
    rows = await info.context.loaders.parking.sessions_by_payer(last).load(pid)
    return [types.ParkingSession.from_row(r) for r in rows]
