"""Parking: iParking street points, car parks and building basements, their tariffs, availability and sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.resolvers import parking as resolve
from govgraph.schema.common import Connection, UserError, local

if TYPE_CHECKING:
    from govgraph.schema.places import AdministrativeUnit
    from govgraph.schema.population import Citizen


@strawberry.enum(description="Kinds of parking facility.")
class ParkingFacilityKind(Enum):
    STREET_IPARKING = strawberry.enum_value(
        "STREET_IPARKING",
        description="An iParking point (điểm đỗ xe) on the roadway or pavement, paid by SMS to 9556, the app, a "
        "card or through staff; piloted on Trần Hưng Đạo and Lý Thường Kiệt from 1 May 2017.",
    )
    CAR_PARK = strawberry.enum_value("CAR_PARK", description="A public car park (bãi đỗ xe), open-air or underground.")
    BASEMENT = strawberry.enum_value(
        "BASEMENT", description="The basement car park (tầng hầm) of an office, shopping or apartment building."
    )


@strawberry.enum(description="Classes of vehicle a tariff or session is for.")
class ParkingVehicleClass(Enum):
    CAR = strawberry.enum_value("CAR", description="Car (ô tô) up to 9 seats or a light truck.")
    MOTORBIKE = strawberry.enum_value("MOTORBIKE", description="Motorbike or scooter (xe máy), electric included.")
    BICYCLE = strawberry.enum_value("BICYCLE", description="Bicycle (xe đạp), electric included.")


@strawberry.enum(description="How a parking session was paid.")
class ParkingPaymentChannel(Enum):
    SMS = strawberry.enum_value(
        "SMS", description="Text message to the short code 9556; the payer is known only if the number is theirs."
    )
    APP = strawberry.enum_value("APP", description="The iParking app with a registered account (payer known).")
    CARD = strawberry.enum_value("CARD", description="Bank, international or prepaid card (payer known).")
    STAFF = strawberry.enum_value("STAFF", description="Paid to attendants, who issue an e-ticket (payer unknown).")


@strawberry.enum(description="Which side of the street a street point is on.")
class ParkingStreetSide(Enum):
    EVEN = strawberry.enum_value("EVEN", description="The even house-number side (bên chẵn).")
    ODD = strawberry.enum_value("ODD", description="The odd house-number side (bên lẻ).")


@strawberry.type(description="A parking price list (biểu giá trông giữ xe) for one zone and vehicle class.")
class Tariff(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="Tariff code, e.g. 'IPK-CAR-2018'.")
    zone: str = strawberry.field(description="Where it applies: streets, zone or kind of facility.")
    vehicle_class: ParkingVehicleClass = strawberry.field(description="The vehicles it prices.")
    first_block_minutes: int = strawberry.field(description="Length of the first turn (lượt), in minutes.")
    first_block_price: int = strawberry.field(description="Price of the first turn, VND (any part of it).")
    step_minutes: int = strawberry.field(description="Each started step after the first turn, in minutes.")
    step_price: int = strawberry.field(description="Price of the first step after the first turn, VND.")
    step_increment: int = strawberry.field(
        description="VND added to each further step (progressive pricing, giá lũy tiến); 0 for a flat rate."
    )
    overnight_from: dt.time | None = strawberry.field(description="Local start of the overnight window (18:00).")
    overnight_to: dt.time | None = strawberry.field(description="Local end of the overnight window (06:00).")
    overnight_turns: int | None = strawberry.field(
        description="A night parked past midnight counts as this many turns (iParking cars: 6)."
    )
    overnight_price: int | None = strawberry.field(
        description="What one night parked past midnight costs, VND (explicit, or turns × first-turn price)."
    )
    daily_cap: int | None = strawberry.field(
        description="Cap per started 24 hours, VND (the 'day and night' price of motorbikes and bicycles)."
    )
    monthly_price: int | None = strawberry.field(description="Monthly ticket (vé tháng), VND, where sold.")
    legal_basis: str = strawberry.field(description="The decision setting the price, e.g. 44/2017/QĐ-UBND.")
    valid_from: dt.date = strawberry.field(description="Date the price took effect.")
    notes: str | None = strawberry.field(description="Assumptions made where the legal text is not known.")

    @classmethod
    def from_row(cls, r: Any) -> Tariff:
        return cls(
            key=r.code,
            code=r.code,
            zone=r.zone,
            vehicle_class=ParkingVehicleClass(r.vehicle_class),
            first_block_minutes=r.first_block_minutes,
            first_block_price=r.first_block_price,
            step_minutes=r.step_minutes,
            step_price=r.step_price,
            step_increment=r.step_increment,
            overnight_from=r.overnight_from,
            overnight_to=r.overnight_to,
            overnight_turns=r.overnight_turns,
            overnight_price=resolve.overnight_price(r),
            daily_cap=r.daily_cap,
            monthly_price=r.monthly_price,
            legal_basis=r.legal_basis,
            valid_from=r.valid_from,
            notes=r.notes,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Tariff | None]:
        return await resolve.tariffs_by_code(info, node_ids, required)

    @strawberry.field(description="What parking from `startedAt` to `endedAt` costs under this tariff, VND.")
    async def fee(
        self,
        info: Info,
        started_at: Annotated[dt.datetime, strawberry.argument(description="Arrival (with offset).")],
        ended_at: Annotated[dt.datetime, strawberry.argument(description="Departure (with offset).")],
    ) -> int:
        return await resolve.quote(info, self.code, started_at, ended_at)


@strawberry.type(description="Spaces of a facility right now: capacity minus vehicles parked (open sessions).")
class ParkingAvailability:
    capacity: int = strawberry.field(description="Car spaces.")
    occupied: int = strawberry.field(description="Open sessions (vehicles parked now).")
    free: int = strawberry.field(description="Capacity minus occupied, never below 0.")
    updated_at: dt.datetime = strawberry.field(description="When this was counted.")


@strawberry.type(description="A numbered space of a street point.")
class ParkingSpot:
    number: int = strawberry.field(description="Space number painted on the street, from 1.")
    session_id: strawberry.Private[int | None]

    @strawberry.field(description="True when a vehicle is parked on it now (an open session).")
    def occupied(self) -> bool:
        return self.session_id is not None

    @strawberry.field(
        description="The open session on this space, if any and if the caller may see it (`occupied` says whether "
        "the space is taken, for everyone)."
    )
    async def current_session(self, info: Info) -> ParkingSession | None:
        return await resolve.session_by_id(info, self.session_id) if self.session_id is not None else None


@strawberry.type(description="A place to park: an iParking street point, a car park or a building basement.")
class ParkingFacility(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="Facility code, e.g. 'IPK-THD-01'.")
    name: str = strawberry.field(description="Name as signposted (NFC).")
    kind: ParkingFacilityKind = strawberry.field(description="Street point, car park or basement.")
    street: str = strawberry.field(description="The street (phố) it is on or entered from.")
    side: ParkingStreetSide | None = strawberry.field(description="Street points: the side of the street.")
    segment: str | None = strawberry.field(description="Street points: the stretch between two cross streets.")
    address: str = strawberry.field(description="Address as written.")
    capacity: int = strawberry.field(description="Car spaces.")
    operator: str = strawberry.field(description="Who runs it (đơn vị khai thác).")
    latitude: float | None = strawberry.field(description="WGS 84 latitude.")
    longitude: float | None = strawberry.field(description="WGS 84 longitude.")
    opened_on: dt.date | None = strawberry.field(description="Date it started charging.")
    tariff_code: strawberry.Private[str]
    unit_code: strawberry.Private[str]
    unit_structure: strawberry.Private[str]

    @classmethod
    def from_row(cls, r: Any) -> ParkingFacility:
        return cls(
            key=r.code,
            code=r.code,
            name=r.name,
            kind=ParkingFacilityKind(r.kind),
            street=r.street,
            side=ParkingStreetSide(r.side) if r.side else None,
            segment=r.segment,
            address=r.address,
            capacity=r.capacity,
            operator=r.operator,
            latitude=r.latitude,
            longitude=r.longitude,
            opened_on=r.opened_on,
            tariff_code=r.tariff_code,
            unit_code=r.unit_code,
            unit_structure=r.unit_structure,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[ParkingFacility | None]:
        return await resolve.facilities_by_code(info, node_ids, required)

    @strawberry.field(description="The ward or commune it is in (current structure).")
    def unit(self) -> Annotated[AdministrativeUnit, strawberry.lazy("govgraph.schema.places")] | None:
        return resolve.facility_unit(self.unit_code, self.unit_structure)

    @strawberry.field(description="The price list for cars here.")
    async def tariff(self, info: Info) -> Tariff | None:
        return await resolve.tariff(info, self.tariff_code)

    @strawberry.field(description="Capacity, occupied and free spaces now.")
    async def availability(self, info: Info) -> ParkingAvailability:
        return await resolve.availability(info, self.code)

    @strawberry.field(description="Numbered spaces (street points only; empty elsewhere).")
    async def spots(self, info: Info) -> list[ParkingSpot]:
        return await resolve.spots(info, self.code)

    @strawberry.field(description="Sessions here that the caller may see (as `parkingSessions`), newest first.")
    async def sessions(
        self,
        info: Info,
        open: Annotated[
            bool | None, strawberry.argument(description="true: parked now; false: ended; null: both.")
        ] = None,
        from_: Annotated[
            dt.datetime | None, strawberry.argument(name="from", description="Started at or after this time.")
        ] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="Started before this time.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[ParkingSession]:
        return await resolve.facility_sessions(info, self.code, open, from_, to, first, after)


@strawberry.type(
    description="One vehicle's stay at a facility (lượt gửi xe), from arrival to departure: movement data. Who sees "
    "which sessions: the citizen who paid, parking officers of the facility's unit, operators (plate masked, no "
    "payer) and admins."
)
class ParkingSession(relay.Node):
    key: relay.NodeID[str]
    plate: str | None = strawberry.field(description="Number plate, canonical form, e.g. '29A-123.45'.")
    vehicle_class: ParkingVehicleClass = strawberry.field(description="Class of the vehicle.")
    spot_number: int | None = strawberry.field(description="Space number at a street point.")
    started_at: dt.datetime = strawberry.field(description="Arrival.")
    ended_at: dt.datetime | None = strawberry.field(description="Departure; null while parked.")
    channel: ParkingPaymentChannel = strawberry.field(description="How it was paid.")
    amount_vnd: int | None = strawberry.field(
        description="Fee in VND, computed from the facility's tariff at departure; null while parked."
    )
    facility_code: strawberry.Private[str]
    payer_pid: strawberry.Private[str | None]
    unit_code: strawberry.Private[str | None]
    """The facility's current ward or commune (whose parking officers may read the session)."""

    @classmethod
    def from_row(cls, r: Any) -> ParkingSession:
        return cls(
            key=str(r.id),
            plate=r.plate,
            vehicle_class=ParkingVehicleClass(r.vehicle_class),
            spot_number=r.spot_number,
            started_at=resolve.local_time(r.started_at),
            ended_at=local(r.ended_at),
            channel=ParkingPaymentChannel(r.channel),
            amount_vnd=r.amount_vnd,
            facility_code=r.facility_code,
            payer_pid=r.payer_pid,
            unit_code=r.unit_code,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[ParkingSession | None]:
        return await resolve.sessions_by_id(info, node_ids, required)

    @strawberry.field(description="True while the vehicle is parked (no departure yet).")
    def open(self) -> bool:
        return self.ended_at is None

    @strawberry.field(description="Minutes parked, up to now while open (any started minute counts).")
    def duration_minutes(self) -> int:
        return resolve.duration_minutes(self.started_at, self.ended_at)

    @strawberry.field(description="Where it was parked.")
    async def facility(self, info: Info) -> ParkingFacility | None:
        return await resolve.facility(info, self.facility_code)

    @strawberry.field(
        description="The citizen who paid, when known: app and card accounts are registered; an SMS payer only "
        "when the number belongs to them (population store)."
    )
    async def payer(self, info: Info) -> Annotated[Citizen, strawberry.lazy("govgraph.schema.population")] | None:
        return await resolve.payer(info, self.payer_pid)


@strawberry.type(description="Spaces of one kind of facility in an area.")
class ParkingKindAvailability:
    kind: ParkingFacilityKind = strawberry.field(description="The kind of facility.")
    facilities: int = strawberry.field(description="Number of facilities of this kind.")
    capacity: int = strawberry.field(description="Car spaces.")
    occupied: int = strawberry.field(description="Vehicles parked now (open sessions).")
    free: int = strawberry.field(description="Free spaces (per facility never below 0, then summed).")


@strawberry.type(description="Parking spaces of a ward or commune, or of the whole city, right now.")
class ParkingAvailabilitySummary:
    unit_code: strawberry.Private[str | None]
    facilities: int = strawberry.field(description="Number of facilities.")
    capacity: int = strawberry.field(description="Car spaces.")
    occupied: int = strawberry.field(description="Vehicles parked now (open sessions).")
    free: int = strawberry.field(description="Free spaces.")
    by_kind: list[ParkingKindAvailability] = strawberry.field(description="The same, per kind of facility.")
    updated_at: dt.datetime = strawberry.field(description="When this was counted.")

    @strawberry.field(description="The unit summarised; null for the whole city.")
    def unit(self) -> Annotated[AdministrativeUnit, strawberry.lazy("govgraph.schema.places")] | None:
        return resolve.facility_unit(self.unit_code, resolve.CURRENT_STRUCTURE) if self.unit_code else None


@strawberry.enum(description="Orderings of the facilities list.")
class ParkingFacilityOrderField(Enum):
    CODE = strawberry.enum_value("CODE", description="By facility code.")
    NAME = strawberry.enum_value("NAME", description="By name, diacritic-insensitive.")
    CAPACITY = strawberry.enum_value("CAPACITY", description="By number of spaces.")
    FREE_SPACES = strawberry.enum_value("FREE_SPACES", description="By free spaces now.")


@strawberry.input(description="How to order facilities.")
class ParkingFacilityOrder:
    field: ParkingFacilityOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest first.")


@strawberry.input(description="Filters on parking facilities; all given filters must match.")
class ParkingFacilityFilter:
    unit_code: str | None = strawberry.field(
        default=None, description="In this ward or commune (current 2025-07 code), e.g. '00082'."
    )
    kind: ParkingFacilityKind | None = strawberry.field(default=None, description="Only this kind.")
    street: str | None = strawberry.field(default=None, description="On this street, exactly as written.")
    search: str | None = strawberry.field(
        default=None, description="Words of the name, any accents: 'cong vien thong nhat' finds 'Công viên Thống Nhất'."
    )
    has_free_space: bool | None = strawberry.field(
        default=None, description="true: at least one free space now; false: full now."
    )


@strawberry.input(description="Filters on parking sessions; all given filters must match.")
class ParkingSessionFilter:
    plate: str | None = strawberry.field(
        default=None,
        description="Number plate in any common spelling ('30e12345' finds '30E-123.45'). Looking a plate up is "
        "looking up a person's movements: only callers who may read plates use it (a citizen within the sessions "
        "they paid, parking officers within their unit, stating a purpose, audited; admins likewise); others "
        "get FORBIDDEN.",
    )
    facility_code: str | None = strawberry.field(default=None, description="At this facility.")
    open: bool | None = strawberry.field(default=None, description="true: parked now; false: ended.")
    started_from: dt.datetime | None = strawberry.field(default=None, description="Started at or after this time.")
    started_to: dt.datetime | None = strawberry.field(default=None, description="Started before this time.")


@strawberry.type(description="Parking.")
class ParkingQuery:
    @strawberry.field(description="Parking facilities, filtered and ordered (keyset pagination).")
    async def parking_facilities(
        self,
        info: Info,
        filter: Annotated[ParkingFacilityFilter | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[ParkingFacilityOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[ParkingFacility] | None:
        return await resolve.facilities(info, filter, order_by, first, after)

    @strawberry.field(description="One parking facility by code.")
    async def parking_facility(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="Facility code, e.g. 'IPK-THD-01'.")],
    ) -> ParkingFacility | None:
        return await resolve.facility(info, code)

    @strawberry.field(
        description="Parking sessions, newest first (keyset pagination): a citizen's own, a parking officer's "
        "unit's, all for operators (plates masked) and admins; none for other roles. `totalCount` counts the same."
    )
    async def parking_sessions(
        self,
        info: Info,
        filter: Annotated[ParkingSessionFilter | None, strawberry.argument(description="Filters.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[ParkingSession] | None:
        return await resolve.sessions(info, filter, first, after)

    @strawberry.field(
        description="Capacity, occupied and free spaces now, per kind of facility, for a ward or commune or "
        "(without `unitCode`) the whole city."
    )
    async def parking_availability(
        self,
        info: Info,
        unit_code: Annotated[
            str | None, strawberry.argument(description="Current (2025-07) unit code; null for the whole city.")
        ] = None,
    ) -> ParkingAvailabilitySummary | None:
        return await resolve.availability_summary(info, unit_code)

    @strawberry.field(description="Every parking price list, by vehicle class.")
    async def parking_tariffs(self, info: Info) -> list[Tariff] | None:
        return await resolve.tariffs(info)


# ---------------------------------------------------------------------------------------------------------
# Mutations and subscriptions
# ---------------------------------------------------------------------------------------------------------

IDEMPOTENCY = "Client-chosen key (1-200 characters): a retry with the same key returns the first result."


@strawberry.input(description="A vehicle arrives: open a parking session (lượt gửi xe) at a facility.")
class ParkingSessionStartInput:
    facility_code: str = strawberry.field(description="Where it parks, e.g. 'IPK-THD-01'.")
    plate: str = strawberry.field(
        description="Number plate in any common spelling ('30e12345', '29-B1 123.45'); stored in canonical form. "
        "Accepted: cars 29A-123.45 (also 29A-1234, 29LD-123.45), motorbikes 29-B1 123.45."
    )
    vehicle_class: ParkingVehicleClass = strawberry.field(
        description="Class of the vehicle: must agree with the plate and with the facility's spaces and tariff."
    )
    channel: ParkingPaymentChannel = strawberry.field(
        description="How it is paid. Citizens report through the app: APP or CARD."
    )
    spot_number: int | None = strawberry.field(
        default=None, description="Street points only: the numbered space taken; it must be free."
    )
    payer_personal_id: str | None = strawberry.field(
        default=None,
        description="Personal ID (12 digits) of the payer when known. A citizen pays for themselves: theirs, or "
        "left out.",
    )
    started_at: dt.datetime | None = strawberry.field(
        default=None,
        description="Arrival, with offset, for meters that batch their reports: not in the future, at most 15 "
        "minutes ago. Default: now.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.type(description="Result of parkingSessionStart.")
class ParkingSessionStartPayload:
    session: ParkingSession | None = strawberry.field(description="The open session (null if refused).")
    user_errors: list[UserError] = strawberry.field(
        description="Why the start was refused: INVALID, NOT_FOUND, FACILITY_FULL, PLATE_ALREADY_PARKED, "
        "SPOT_TAKEN, SPOT_NOT_APPLICABLE, VEHICLE_CLASS_NOT_ACCEPTED, OVERLAPS_PREVIOUS_SESSION."
    )


@strawberry.input(
    description="A vehicle leaves: close its session, charged from the facility's tariff. Name the session by "
    "`sessionId`, or by `plate` and `facilityCode`."
)
class ParkingSessionEndInput:
    session_id: strawberry.ID | None = strawberry.field(
        default=None, description="The session's global ID (or its number)."
    )
    plate: str | None = strawberry.field(default=None, description="With `facilityCode`: the plate parked there.")
    facility_code: str | None = strawberry.field(default=None, description="With `plate`: where it is parked.")
    ended_at: dt.datetime | None = strawberry.field(
        default=None,
        description="Departure, with offset: not in the future, not before the arrival; may be reported late. "
        "Default: now.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.type(description="Result of parkingSessionEnd.")
class ParkingSessionEndPayload:
    session: ParkingSession | None = strawberry.field(description="The ended session with its fee (null if refused).")
    user_errors: list[UserError] = strawberry.field(
        description="Why the end was refused: INVALID, NOT_FOUND, INVALID_TRANSITION (it already ended), "
        "ENDS_BEFORE_START."
    )


@strawberry.type(description="Parking sessions: arrivals and departures.")
class ParkingMutation:
    @strawberry.mutation(
        description="Open a session: the plate is checked and normalised, may be parked nowhere else, and the "
        "facility must have a free space (FACILITY_FULL otherwise; availability never goes below zero). "
        "Allowed: devices (meters, the iParking gateway), citizens through the app (APP or CARD, paying "
        "themselves), officers with the parking domain in their unit, admins."
    )
    async def parking_session_start(
        self, info: Info, input: Annotated[ParkingSessionStartInput, strawberry.argument(description="The arrival.")]
    ) -> ParkingSessionStartPayload:
        return await resolve.session_start(info, input)

    @strawberry.mutation(
        description="Close a session and charge it from the facility's tariff (first turn, progressive hours, "
        "the overnight rule); the space is freed. Ending an ended session is a userError (INVALID_TRANSITION); "
        "retry safely with an idempotency key. Allowed: devices, citizens (sessions they pay for), officers "
        "with the parking domain in their unit, admins."
    )
    async def parking_session_end(
        self, info: Info, input: Annotated[ParkingSessionEndInput, strawberry.argument(description="The departure.")]
    ) -> ParkingSessionEndPayload:
        return await resolve.session_end(info, input)


@strawberry.type(description="Live parking data (availability is public: any signed-in role may subscribe).")
class ParkingSubscription:
    @strawberry.subscription(
        description="A facility each time a vehicle arrives or leaves (a committed parkingSessionStart or "
        "parkingSessionEnd), reloaded with its availability. Allowed: any signed-in role."
    )
    async def parking_availability_changed(
        self,
        info: Info,
        facility_code: Annotated[str | None, strawberry.argument(description="Only this facility.")] = None,
        unit_code: Annotated[
            str | None, strawberry.argument(description="Only facilities in this ward or commune (2025-07 code).")
        ] = None,
    ) -> AsyncGenerator[ParkingFacility, None]:
        async for item in resolve.follow_availability(info, facility_code, unit_code):
            yield item
