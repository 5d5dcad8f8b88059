"""Public parking data: facilities, their tariffs and live availability.

Availability counts spaces and vehicles parked now, never who parked them: no suppression applies, and nothing
here reaches a session, a plate or a payer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from govgraph.context import Info
from govgraph.datasources import parking as ds
from govgraph.datasources.places import CURRENT
from govgraph.public import enums
from govgraph.public.common import AdministrativeUnit, Connection, connection, local, page_size, unit


@strawberry.type(description="A parking price list (biểu giá trông giữ xe) for one zone and vehicle class.")
class Tariff:
    code: str = strawberry.field(description="Tariff code, e.g. 'IPK-CAR-2018'.")
    zone: str = strawberry.field(description="Where it applies: streets, zone or kind of facility.")
    vehicle_class: enums.ParkingVehicleClass = strawberry.field(description="The vehicles it prices.")
    first_block_minutes: int = strawberry.field(description="Length of the first turn (lượt), in minutes.")
    first_block_price: int = strawberry.field(description="Price of the first turn, VND (any part of it).")
    step_minutes: int = strawberry.field(description="Each started step after the first turn, in minutes.")
    step_price: int = strawberry.field(description="Price of the first step after the first turn, VND.")
    step_increment: int = strawberry.field(description="VND added to each further step; 0 for a flat rate.")
    daily_cap: int | None = strawberry.field(description="Cap per started 24 hours, VND, where set.")
    monthly_price: int | None = strawberry.field(description="Monthly ticket (vé tháng), VND, where sold.")
    legal_basis: str = strawberry.field(description="The decision setting the price, e.g. 44/2017/QĐ-UBND.")
    valid_from: dt.date = strawberry.field(description="Date the price took effect.")

    @classmethod
    def from_row(cls, r: Any) -> Tariff:
        return cls(
            code=r.code,
            zone=r.zone,
            vehicle_class=enums.ParkingVehicleClass(r.vehicle_class),
            first_block_minutes=r.first_block_minutes,
            first_block_price=r.first_block_price,
            step_minutes=r.step_minutes,
            step_price=r.step_price,
            step_increment=r.step_increment,
            daily_cap=r.daily_cap,
            monthly_price=r.monthly_price,
            legal_basis=r.legal_basis,
            valid_from=r.valid_from,
        )


@strawberry.type(description="Spaces of a facility right now: capacity minus vehicles parked.")
class Availability:
    capacity: int = strawberry.field(description="Car spaces.")
    occupied: int = strawberry.field(description="Vehicles parked now.")
    free: int = strawberry.field(description="Capacity minus occupied, never below 0.")
    updated_at: dt.datetime = strawberry.field(description="When this was counted (+07:00).")


@strawberry.type(description="A parking facility: an iParking street point, a car park or a building basement.")
class ParkingFacility:
    code: str = strawberry.field(description="Facility code, e.g. 'IPK-THD-01'.")
    name: str = strawberry.field(description="Name as written.")
    kind: enums.ParkingFacilityKind = strawberry.field(description="Street point, car park or basement.")
    street: str = strawberry.field(description="Street (phố) the facility is on or entered from.")
    side: enums.ParkingStreetSide | None = strawberry.field(description="Street points: the side of the street.")
    segment: str | None = strawberry.field(description="Street points: the stretch between two cross streets.")
    location: str = strawberry.field(description="Where the facility is, as written (a public place).")
    capacity: int = strawberry.field(description="Car spaces.")
    operator: str = strawberry.field(description="The company or agency running it.")
    latitude: float | None = strawberry.field(description="Latitude, WGS 84.")
    longitude: float | None = strawberry.field(description="Longitude, WGS 84.")
    opened_on: dt.date | None = strawberry.field(description="Date it started charging.")
    unit_code: strawberry.Private[str]
    unit_structure: strawberry.Private[str]
    tariff_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, r: Any) -> ParkingFacility:
        return cls(
            code=r.code,
            name=r.name,
            kind=enums.ParkingFacilityKind(r.kind),
            street=r.street,
            side=enums.ParkingStreetSide(r.side) if r.side else None,
            segment=r.segment,
            location=r.address,
            capacity=r.capacity,
            operator=r.operator,
            latitude=r.latitude,
            longitude=r.longitude,
            opened_on=r.opened_on,
            unit_code=r.unit_code,
            unit_structure=r.unit_structure,
            tariff_code=r.tariff_code,
        )

    @strawberry.field(description="The ward or commune it is in.")
    def unit(self) -> AdministrativeUnit | None:
        return unit(self.unit_code, self.unit_structure)

    @strawberry.field(description="Its price list.")
    async def tariff(self, info: Info) -> Tariff | None:
        row = await info.context.loaders.parking.tariff_by_code.load(self.tariff_code)
        return Tariff.from_row(row) if row else None

    @strawberry.field(description="Spaces right now (live: counted when asked).")
    async def availability(self, info: Info) -> Availability | None:
        a = await info.context.loaders.parking.availability_by_facility.load(self.code)
        if a is None:
            return None
        return Availability(capacity=a.capacity, occupied=a.occupied, free=a.free, updated_at=local(a.updated_at))


@strawberry.type(description="Spaces of one kind of facility, added up over an area, right now.")
class KindAvailability:
    kind: enums.ParkingFacilityKind = strawberry.field(description="The kind of facility.")
    facilities: int = strawberry.field(description="Facilities of this kind.")
    capacity: int = strawberry.field(description="Their car spaces.")
    occupied: int = strawberry.field(description="Vehicles parked in them now.")
    free: int = strawberry.field(description="Free spaces now.")
    updated_at: dt.datetime = strawberry.field(description="When this was counted (+07:00).")


@strawberry.input(description="Which parking facilities to list.")
class ParkingFacilityFilter:
    kind: enums.ParkingFacilityKind | None = strawberry.field(default=None, description="Only this kind.")
    unit_code: str | None = strawberry.field(default=None, description="Only in this ward or commune.")
    street: str | None = strawberry.field(default=None, description="Only on this street, as written.")
    search: str | None = strawberry.field(default=None, description="Words of the name, any accents.")
    has_free_space: bool | None = strawberry.field(
        default=None, description="Only facilities with (true) or without (false) a free space now."
    )


async def facility(info: Info, code: str) -> ParkingFacility | None:
    row = await info.context.loaders.parking.facility_by_code.load(code)
    return ParkingFacility.from_row(row) if row else None


async def facilities(
    info: Info, f: ParkingFacilityFilter | None, first: int | None, after: str | None
) -> Connection[ParkingFacility]:
    f = f or ParkingFacilityFilter()
    flt = ds.FacilityFilter(
        unit_code=f.unit_code,
        kind=f.kind.name if f.kind else None,
        street=f.street,
        search=f.search,
        has_free_space=f.has_free_space,
    )
    page = await ds.facilities_page(info.context.stores["parking"], flt, "CODE", False, page_size(info, first), after)
    return connection(page, ParkingFacility.from_row)


async def availability(info: Info, unit_code: str | None) -> list[KindAvailability]:
    rows, at = await ds.availability_summary(info.context.stores["parking"], unit_code, CURRENT.value)
    return [
        KindAvailability(
            kind=enums.ParkingFacilityKind(r.kind),
            facilities=r.facilities,
            capacity=r.capacity,
            occupied=r.occupied,
            free=r.free,
            updated_at=local(at),
        )
        for r in rows
    ]
