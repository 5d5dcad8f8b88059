"""Resolvers for the parking store."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from strawberry.relay import from_base64

from govgraph.auth import scope
from govgraph.auth.audit import PurposeRequired
from govgraph.auth.identity import Principal, Role
from govgraph.auth.roles import Forbidden, require, require_self, require_unit
from govgraph.auth.rules import Subject
from govgraph.context import Info
from govgraph.datasources import parking as ds
from govgraph.datasources.base import Store
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain import parking as rules
from govgraph.domain.identity import InvalidPersonalId, parse_personal_id
from govgraph.domain.parking import InvalidPlate, Plate, parking_fee, parse_plate
from govgraph.events import Event
from govgraph.resolvers.live import asks, follow, load_shared
from govgraph.resolvers.mutation import Outcome, Tx, UserInputError, run_mutation
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
    """A session by id if the caller may see it (row scope; a spot's current session)."""
    row = await info.context.loaders.parking.session_seen_by(info.context.principal).load(session_id)
    return types.ParkingSession.from_row(row) if row else None


async def sessions_by_id(info: Info, ids: list[str], required: bool) -> list[types.ParkingSession | None]:
    """``node``/``nodes``: only sessions the caller may see (row scope), in the order asked."""
    keys = [int(i) if i.isdigit() else -1 for i in ids]
    rows = await info.context.loaders.parking.session_seen_by(info.context.principal).load_many(keys)
    return common.ordered([types.ParkingSession.from_row(r) if r else None for r in rows], required)


def may_read_plates(principal: Principal) -> bool:
    """Roles that may see plates in the rows their scope gives them (the policy's SELF, parking officers, admins);
    operators see them masked, other roles see no sessions."""
    return principal.role in (Role.ADMIN, Role.CITIZEN) or (
        principal.role == Role.OFFICER and "parking" in principal.domains and bool(principal.unit)
    )


def _plate_lookup(info: Info, plate: str) -> None:
    """Filtering sessions by plate looks up a person's movements, whatever fields are then selected: only for
    callers who may read plates (a citizen within the sessions they paid); a staff lookup needs a purpose and is
    audited, like reading the plate itself."""
    ctx = info.context
    p = ctx.principal
    if not may_read_plates(p):
        raise Forbidden(
            f"A {p.role.value} may not look sessions up by plate (allowed: the payer, parking officers of the "
            "facility's unit, admins)"
        )
    if p.role == Role.CITIZEN:
        return
    if not ctx.purpose:
        raise PurposeRequired(
            "Looking up a plate's parking sessions needs a stated purpose: send an X-Purpose header "
            "(or a `purpose` claim in the token)"
        )
    ctx.audit.record(Subject(record=f"ParkingSessionFilter:plate={plate}"), "ParkingSessionFilter.plate")


async def sessions(
    info: Info, f: types.ParkingSessionFilter | None, first: int | None, after: str | None
) -> Connection[types.ParkingSession]:
    flt = ds.SessionFilter()
    if f is not None:
        plate = parse_plate(f.plate).text if f.plate else None
        if plate is not None:
            _plate_lookup(info, plate)
        flt = ds.SessionFilter(
            plate=plate,
            facility_code=f.facility_code,
            open=f.open,
            started_from=f.started_from,
            started_to=f.started_to,
        )
    row_scope = scope.parking_sessions(info.context.principal)
    page = await ds.sessions_page(info.context.stores["parking"], flt, first, after, row_scope)
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
    row_scope = scope.parking_sessions(info.context.principal)
    page = await ds.sessions_page(info.context.stores["parking"], flt, first, after, row_scope)
    return common.connection(page, types.ParkingSession.from_row)


async def payer(info: Info, pid: str | None) -> population_types.Citizen | None:
    if pid is None:
        return None
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def citizen_sessions(info: Info, pid: str, last: int) -> list[types.ParkingSession]:
    """Sessions a citizen paid, newest first (for `Citizen.parkingSessions`), within the caller's row scope (a
    parking officer: those at their unit's facilities)."""
    if not 0 <= last <= ds.MAX_LAST:
        raise ValueError(f"`last` must be between 0 and {ds.MAX_LAST}, got {last}")
    if last == 0:
        return []
    rows = await info.context.loaders.parking.sessions_by_payer(last, info.context.principal).load(pid)
    return [types.ParkingSession.from_row(r) for r in rows]


# Mutations --------------------------------------------------------------------------------------------------

WRITERS = (Role.DEVICE, Role.CITIZEN, Role.OFFICER)
"""Who may start and end sessions: meters and the iParking gateway, citizens through the app (their own
sessions), parking officers (attendants' desk), and admins. Operators read only."""
CITIZEN_CHANNELS = frozenset({"APP", "CARD"})
"""A citizen reports through the app: paid in the app or with a card registered in it."""


_sqlite_writers: weakref.WeakKeyDictionary[Store, asyncio.Lock] = weakref.WeakKeyDictionary()


async def _write(info: Info, operation: str, data: Any, work: Callable[[Tx], Awaitable[str]]) -> Outcome:
    """``run_mutation`` on the parking store. On SQLite, this process's writers queue first-come first-served
    on an asyncio lock: SQLite has one writer at a time anyway, and waiting here is fair and cheap, where
    waiting in SQLite's busy handler (it polls with growing sleeps) lets a meter's request starve for seconds
    under a burst of arrivals. PostgreSQL writers go straight in (the facility row lock orders them)."""
    store = info.context.stores["parking"]
    lock = contextlib.nullcontext() if not store.is_sqlite else _sqlite_writers.setdefault(store, asyncio.Lock())
    async with lock:
        return await run_mutation(info, store="parking", operation=operation, input=data, work=work)


def _plate(value: str, field: str = "plate") -> Plate:
    try:
        return parse_plate(value)
    except InvalidPlate as exc:
        raise UserInputError(f"{exc}. Accepted formats: {rules.PLATE_FORMATS}", ["input", field]) from exc


def _session_key(value: str) -> int:
    """A session's global ID (``ParkingSession:<n>`` in base64) or its number."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        type_name, key = from_base64(text)
    except ValueError:
        type_name, key = "", ""
    if type_name != "ParkingSession" or not key.isdigit():
        raise UserInputError("Not the ID of a parking session", ["input", "sessionId"])
    return int(key)


def _availability_event(tx: Tx, fac: Any, occupied: int) -> None:
    tx.emit(
        "parking.availability.changed",
        facility_code=fac.code,
        unit_code=fac.unit_code,
        capacity=fac.capacity,
        occupied=occupied,
        free=max(0, fac.capacity - occupied),
    )


async def _payload_session(info: Info, key: str | None) -> types.ParkingSession | None:
    if key is None:
        return None
    info.context.reset_loaders()  # the payload shows the committed state, not rows cached earlier in this request
    # Not row-scoped: the caller just wrote this session (a meter gets its fee back); its personal fields are still
    # guarded by the policy table (a meter sees the plate masked and no payer).
    row = await info.context.loaders.parking.session_by_id.load(int(key))
    return types.ParkingSession.from_row(row) if row else None


async def session_start(info: Info, data: types.ParkingSessionStartInput) -> types.ParkingSessionStartPayload:
    principal = info.context.principal
    require(principal, *WRITERS, domain="parking")
    payer_pid = data.payer_personal_id
    if principal.role == Role.CITIZEN:
        if data.channel.name not in CITIZEN_CHANNELS:
            raise Forbidden("A citizen starts sessions through the app (channel APP or CARD)")
        if payer_pid is not None:
            require_self(principal, payer_pid)
        payer_pid = principal.subject

    async def work(tx: Tx) -> str:
        errors: list[common.UserError] = []
        plate: Plate | None = None
        try:
            plate = _plate(data.plate)
        except UserInputError as exc:
            errors += exc.errors
        if payer_pid is not None:
            try:
                parse_personal_id(payer_pid)
            except InvalidPersonalId as exc:
                errors.append(common.UserError(field=["input", "payerPersonalId"], message=str(exc), code="INVALID"))
        if data.spot_number is not None and data.spot_number < 1:
            errors.append(
                common.UserError(field=["input", "spotNumber"], message="Spaces are numbered from 1", code="INVALID")
            )
        started_at = data.started_at or tx.now
        problem = rules.reported_time_problem(started_at, tx.now, max_age=rules.MAX_START_DELAY)
        if problem:
            errors.append(common.UserError(field=["input", "startedAt"], message=problem, code="INVALID"))
        if errors or plate is None:
            raise UserInputError.many(errors)

        fac = await ds.lock_facility(tx.conn, data.facility_code)
        if fac is None:
            raise UserInputError("No parking facility has this code", ["input", "facilityCode"], "NOT_FOUND")
        require_unit(principal, fac.unit_code)
        problem = rules.vehicle_class_problem(plate, data.vehicle_class.name, fac.tariff_class)
        if problem:
            raise UserInputError(problem, ["input", "vehicleClass"], "VEHICLE_CLASS_NOT_ACCEPTED")
        if data.spot_number is not None and fac.kind != "STREET_IPARKING":
            raise UserInputError(
                "Only street points have numbered spaces", ["input", "spotNumber"], "SPOT_NOT_APPLICABLE"
            )
        state = await ds.start_state(tx.conn, fac.code, plate.text, started_at, data.spot_number)
        # Where and since when another session of the plate is: movement data, in the message for admins only.
        detailed = principal.role == Role.ADMIN
        if state.parked_at is not None:
            since = local_time(state.parked_since or tx.now)
            where = f" at {state.parked_at} (since {since})" if detailed else " (an open session)"
            raise UserInputError(f"{plate.text} is already parked{where}", ["input", "plate"], "PLATE_ALREADY_PARKED")
        if state.left_at is not None:
            until = f" until {local_time(state.left_at)}" if detailed else " after the reported arrival"
            raise UserInputError(
                f"{plate.text} was still parked elsewhere{until}", ["input", "startedAt"], "OVERLAPS_PREVIOUS_SESSION"
            )
        if state.occupied >= fac.capacity:
            raise UserInputError(
                f"{fac.code} is full: {state.occupied} of {fac.capacity} spaces taken", ["input", "facilityCode"],
                "FACILITY_FULL",
            )  # fmt: skip
        if state.spot == "MISSING":
            raise UserInputError(
                f"{fac.code} has no space {data.spot_number} (1-{fac.capacity})", ["input", "spotNumber"], "NOT_FOUND"
            )
        if state.spot == "TAKEN":
            raise UserInputError(f"Space {data.spot_number} is taken", ["input", "spotNumber"], "SPOT_TAKEN")
        try:
            session_id = await ds.insert_session(
                tx.conn,
                plate=plate.text,
                vehicle_class=data.vehicle_class.name,
                facility_code=fac.code,
                spot_number=data.spot_number,
                started_at=started_at,
                channel=data.channel.name,
                payer_pid=payer_pid,
            )
        except ds.PlateAlreadyParked as exc:
            raise UserInputError(
                f"{plate.text} is already parked elsewhere", ["input", "plate"], "PLATE_ALREADY_PARKED"
            ) from exc
        tx.emit(
            "parking.session.started",
            session_id=session_id,
            facility_code=fac.code,
            unit_code=fac.unit_code,
            spot_number=data.spot_number,
            channel=data.channel.name,
            started_at=ds.utc(started_at).isoformat(),
        )  # no plate, no payer: the bus (Redis too) carries ids and counts; readers load the session in scope
        _availability_event(tx, fac, state.occupied + 1)
        return str(session_id)

    outcome = await _write(info, "parkingSessionStart", data, work)
    return types.ParkingSessionStartPayload(
        session=await _payload_session(info, outcome.key), user_errors=outcome.errors
    )


async def session_end(info: Info, data: types.ParkingSessionEndInput) -> types.ParkingSessionEndPayload:
    principal = info.context.principal
    require(principal, *WRITERS, domain="parking")

    async def work(tx: Tx) -> str:
        by_id = data.session_id is not None
        if by_id == (data.plate is not None or data.facility_code is not None):
            raise UserInputError("Give either sessionId, or plate and facilityCode", ["input", "sessionId"], "INVALID")
        errors: list[common.UserError] = []
        if not by_id and (data.plate is None or data.facility_code is None):
            missing = "plate" if data.plate is None else "facilityCode"
            errors.append(
                common.UserError(field=["input", missing], message="Give both plate and facilityCode", code="INVALID")
            )
        ended_at = data.ended_at or tx.now
        problem = rules.reported_time_problem(ended_at, tx.now, max_age=None)
        if problem:
            errors.append(common.UserError(field=["input", "endedAt"], message=problem, code="INVALID"))
        try:
            key = _session_key(data.session_id) if data.session_id is not None else None
            plate = _plate(data.plate) if data.plate is not None else None
        except UserInputError as exc:
            raise UserInputError.many(exc.errors + errors) from exc
        if errors:
            raise UserInputError.many(errors)

        if key is not None:
            found = await ds.session_row(tx.conn, key)
            if found is None:
                raise UserInputError("No parking session has this ID", ["input", "sessionId"], "NOT_FOUND")
        elif plate is not None and data.facility_code is not None:
            # Whether a plate is at a facility is movement data: an officer of another unit is refused before
            # looking, and a citizen finds only sessions they pay for (NOT_FOUND otherwise, as for no session).
            at = await ds.lock_facility(tx.conn, data.facility_code)
            if at is not None:
                require_unit(principal, at.unit_code)
            payer = principal.subject if principal.role == Role.CITIZEN else None
            found = await ds.latest_session_at(tx.conn, plate.text, data.facility_code, payer_pid=payer)
            if found is None:
                raise UserInputError(
                    f"{plate.text} has no session at {data.facility_code}", ["input", "plate"], "NOT_FOUND"
                )
        else:
            raise UserInputError("Give either sessionId, or plate and facilityCode", ["input", "sessionId"])
        fac = await ds.lock_facility(tx.conn, found.facility_code)
        if fac is None:
            raise LookupError(f"parking facility {found.facility_code!r} disappeared")
        require_unit(principal, fac.unit_code)
        if principal.role == Role.CITIZEN and found.payer_pid != principal.subject:
            raise Forbidden("A citizen may end only sessions they pay for")
        row = await ds.session_and_occupied(tx.conn, found.id, fac.code)  # again, under the lock
        if row is None or row.ended_at is not None:
            ended = local_time(row.ended_at) if row is not None and row.ended_at is not None else "just now"
            when = "" if principal.role == Role.DEVICE else f" (at {ended})"  # a meter does not read sessions
            raise UserInputError(
                f"The session is ENDED{when}; only an OPEN session can end", ["input", "sessionId"],
                "INVALID_TRANSITION",
            )  # fmt: skip
        started_at = ds.utc(row.started_at)
        if ds.utc(ended_at) < started_at:
            raise UserInputError(
                f"The session started at {local_time(started_at)}: it cannot end before", ["input", "endedAt"],
                "ENDS_BEFORE_START",
            )  # fmt: skip
        amount = parking_fee(ds.tariff_rule(fac), started_at, ended_at)
        if not await ds.end_session(tx.conn, row.id, ended_at, amount):
            raise UserInputError(
                "The session is ENDED; only an OPEN session can end", ["input", "sessionId"], "INVALID_TRANSITION"
            )
        occupied = int(row.occupied) - 1
        tx.emit(
            "parking.session.ended",
            session_id=row.id,
            facility_code=fac.code,
            unit_code=fac.unit_code,
            spot_number=row.spot_number,
            started_at=started_at.isoformat(),
            ended_at=ds.utc(ended_at).isoformat(),
            amount_vnd=amount,
        )
        _availability_event(tx, fac, occupied)
        return str(row.id)

    outcome = await _write(info, "parkingSessionEnd", data, work)
    return types.ParkingSessionEndPayload(session=await _payload_session(info, outcome.key), user_errors=outcome.errors)


# Subscriptions ----------------------------------------------------------------------------------------------


async def follow_availability(
    info: Info, facility_code: str | None, unit_code: str | None
) -> AsyncIterator[types.ParkingFacility]:
    """Each committed start or end at a matching facility: the facility, reloaded (its availability fresh).

    The facility, its availability and its spaces are public and the same for every subscriber, so they are
    loaded once per event for all of this process's subscribers (``govgraph.resolvers.live.load_shared``);
    the sessions under them load per subscriber, within each one's row scope."""
    require(info.context.principal, *Role)  # any signed-in role: availability is public information

    def match(event: Event) -> bool:
        p = event.payload
        return (facility_code is None or p.get("facility_code") == facility_code) and (
            unit_code is None or p.get("unit_code") == unit_code
        )

    wants_availability, wants_spots = asks(info, "availability"), asks(info, "spots")
    async for event in follow(info, ["parking.availability.changed"], match):
        loaders, code = info.context.loaders.parking, event.payload["facility_code"]
        row = await load_shared(event, "parking.facility", loaders.facility_by_code, code)
        if row is None:
            continue
        # primed into this subscriber's loaders, where ParkingFacility.availability and .spots look
        if wants_availability:
            await load_shared(event, "parking.availability", loaders.availability_by_facility, code)
        if wants_spots:
            await load_shared(event, "parking.spots", loaders.spots_by_facility, code)
        yield types.ParkingFacility.from_row(row)
