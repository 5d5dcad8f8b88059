"""Parking store: tariffs, facilities (iParking street points, car parks, building basements), spots, sessions.

DOMAIN.md §8. Tariffs are rows (Decision 44/2017/QĐ-UBND), not code; a session's fee is computed from its
facility's tariff when it ends (``govgraph.domain.parking.parking_fee``). Availability is capacity minus open
sessions, computed in SQL for many facilities in one statement.

Source of truth for availability: the open sessions themselves (``ended_at IS NULL``), on the read side and the
write side alike; there is no counter column to drift. Writes keep it within capacity under concurrency by
serialising every start and end at one facility: on PostgreSQL the facility row is locked (``SELECT ... FOR
UPDATE``) before the open sessions are counted (READ COMMITTED: the count, a new statement, then sees every
change committed by the previous holder of the lock); on SQLite the write transaction itself is the lock
(``BEGIN IMMEDIATE``). A plate is open at one facility at most: checked under the lock, and guaranteed across
facilities by a partial unique index (``ux_sessions_open_plate``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    Time,
    bindparam,
    case,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from govgraph.auth.identity import Principal
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
from govgraph.datasources.places import CURRENT
from govgraph.domain.parking import TariffRule
from govgraph.domain.text import like_pattern

metadata = MetaData()

tariffs = Table(
    "tariffs",
    metadata,
    Column("code", String(20), primary_key=True, comment="tariff code, e.g. IPK-CAR-2018"),
    Column("zone", String(160), nullable=False, comment="where it applies: streets, zone or kind of facility"),
    Column("vehicle_class", String(10), nullable=False, comment="CAR, MOTORBIKE or BICYCLE"),
    Column("first_block_minutes", Integer, nullable=False, comment="length of the first turn (lượt)"),
    Column("first_block_price", Integer, nullable=False, comment="VND for the first turn"),
    Column("step_minutes", Integer, nullable=False, comment="each further started step after the first turn"),
    Column("step_price", Integer, nullable=False, comment="VND for the first step after the first turn"),
    Column("step_increment", Integer, nullable=False, server_default="0", comment="VND added per further step"),
    Column("overnight_from", Time, nullable=True, comment="local start of the overnight window (18:00)"),
    Column("overnight_to", Time, nullable=True, comment="local end of the overnight window (06:00)"),
    Column("overnight_turns", Integer, nullable=True, comment="a night counts as this many turns (cars: 6)"),
    Column("overnight_price", Integer, nullable=True, comment="explicit VND per night (motorbikes, bicycles)"),
    Column("daily_cap", Integer, nullable=True, comment="VND cap per started 24 hours (day and night price)"),
    Column("monthly_price", Integer, nullable=True, comment="VND for a monthly ticket (vé tháng), if sold"),
    Column("legal_basis", String(200), nullable=False, comment="decision and article setting the price"),
    Column("valid_from", Date, nullable=False),
    Column("notes", Text, nullable=True, comment="assumptions where the legal text is not known"),
    Index("ix_tariffs_vehicle_class", "vehicle_class"),
)

facilities = Table(
    "facilities",
    metadata,
    Column("code", String(20), primary_key=True, comment="facility code, e.g. IPK-THD-01, BDX-00256-01"),
    Column("name", String(200), nullable=False, comment="as written, NFC"),
    Column("name_folded", String(200), nullable=False, comment="search key: lower case, no diacritics"),
    Column("kind", String(16), nullable=False, comment="STREET_IPARKING, CAR_PARK or BASEMENT"),
    Column("street", String(80), nullable=False, comment="street (phố) the facility is on or entered from"),
    Column("side", String(4), nullable=True, comment="street points: EVEN or ODD house-number side"),
    Column("segment", String(160), nullable=True, comment="street points: the stretch between two cross streets"),
    Column("address", String(240), nullable=False),
    Column("unit_code", String(5), nullable=False, comment="ward or commune code"),
    Column("unit_structure", String(10), nullable=False, comment="structure of unit_code (Y2025_07)"),
    Column("capacity", Integer, nullable=False, comment="car spaces"),
    Column("operator", String(160), nullable=False),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("tariff_code", String(20), ForeignKey("tariffs.code"), nullable=False),
    Column("opened_on", Date, nullable=True, comment="date the facility started charging"),
    Index("ix_facilities_unit", "unit_code", "unit_structure", "code"),
    Index("ix_facilities_kind", "kind", "code"),
    Index("ix_facilities_street", "street"),
    Index("ix_facilities_name_folded", "name_folded", "code"),
    Index("ix_facilities_capacity", "capacity", "code"),
    Index("ix_facilities_tariff", "tariff_code"),
)

spots = Table(
    "spots",
    metadata,
    Column("facility_code", String(20), ForeignKey("facilities.code"), primary_key=True),
    Column("number", Integer, primary_key=True, comment="space number painted on the street, from 1"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plate", String(16), nullable=False, comment="canonical plate text, e.g. 29A-123.45"),
    Column("vehicle_class", String(10), nullable=False),
    Column("facility_code", String(20), ForeignKey("facilities.code"), nullable=False),
    Column("spot_number", Integer, nullable=True, comment="street points only"),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True, comment="null while the vehicle is parked"),
    Column("channel", String(6), nullable=False, comment="SMS, APP, CARD or STAFF"),
    Column("amount_vnd", Integer, nullable=True, comment="fee from the tariff, set when the session ends"),
    Column("payer_pid", String(12), nullable=True, comment="personal ID of the payer when known"),
    ForeignKeyConstraint(["facility_code", "spot_number"], ["spots.facility_code", "spots.number"]),
    Index("ix_sessions_facility_started", "facility_code", "started_at", "id"),
    Index("ix_sessions_plate_started", "plate", "started_at", "id"),
    Index("ix_sessions_payer_started", "payer_pid", "started_at", "id"),
    Index("ix_sessions_started", "started_at", "id"),
)

Index(
    "ix_sessions_open",
    sessions.c.facility_code,
    sessions.c.spot_number,
    postgresql_where=sessions.c.ended_at.is_(None),
    sqlite_where=sessions.c.ended_at.is_(None),
)
"""Open sessions only (a partial index): availability counts them on every request."""

Index(
    "ux_sessions_open_plate",
    sessions.c.plate,
    unique=True,
    postgresql_where=sessions.c.ended_at.is_(None),
    sqlite_where=sessions.c.ended_at.is_(None),
)
"""A vehicle is parked in one place at a time: at most one open session per plate, city-wide."""

FACILITY_COLUMNS = list(facilities.c)
SESSION_COLUMNS = list(sessions.c)
SESSION_UNIT = (
    select(facilities.c.unit_code)
    .where(facilities.c.code == sessions.c.facility_code, facilities.c.unit_structure == CURRENT.value)
    .scalar_subquery()
    .label("unit_code")
)
"""The current ward or commune of a session's facility: whose parking officers may read it (row scope and field
policy alike, ``govgraph.auth.scope.parking_sessions``)."""
SESSION_READ_COLUMNS: list[Any] = [*SESSION_COLUMNS, SESSION_UNIT]
"""What the read side loads of a session: its columns and its facility's unit."""
MAX_LAST = 100
"""Cap on `Citizen.parkingSessions(last:)`."""


def tariff_rule(row: Any) -> TariffRule:
    """The fee-relevant numbers of a tariff row."""
    return TariffRule(
        first_block_minutes=row.first_block_minutes,
        first_block_price=row.first_block_price,
        step_minutes=row.step_minutes,
        step_price=row.step_price,
        step_increment=row.step_increment,
        overnight_from=row.overnight_from,
        overnight_to=row.overnight_to,
        overnight_turns=row.overnight_turns,
        overnight_price=row.overnight_price,
        daily_cap=row.daily_cap,
    )


def utc(value: dt.datetime) -> dt.datetime:
    """Times are stored in UTC (naive on SQLite): convert a client's time before comparing."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------------------
# Availability: capacity minus open sessions, in SQL
# ---------------------------------------------------------------------------------------------------------


def _open_counts(codes: Sequence[str] | None = None) -> Any:
    """Open sessions per facility (one GROUP BY), optionally only for some facilities."""
    s = sessions.c
    stmt = select(s.facility_code, func.count().label("occupied")).where(s.ended_at.is_(None))
    if codes is not None:
        stmt = stmt.where(s.facility_code.in_(codes))
    return stmt.group_by(s.facility_code).subquery("open_counts")


def _free(capacity: ColumnElement[Any], occupied: ColumnElement[Any]) -> ColumnElement[int]:
    """capacity - occupied, never below zero."""
    return case((capacity - occupied > 0, capacity - occupied), else_=0)


def _open_count_of_facility() -> Any:
    s = sessions.c
    return (
        select(func.count())
        .where(s.facility_code == facilities.c.code, s.ended_at.is_(None))
        .correlate(facilities)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Availability:
    capacity: int
    occupied: int
    free: int
    updated_at: dt.datetime


@dataclass(frozen=True)
class KindAvailability:
    kind: str
    facilities: int
    capacity: int
    occupied: int
    free: int


async def availability_summary(
    store: Store, unit_code: str | None, unit_structure: str
) -> tuple[list[KindAvailability], dt.datetime]:
    """Capacity, occupied and free spaces per facility kind, for one unit or the whole city (one statement)."""
    oc = _open_counts()
    f = facilities.c
    occupied = func.coalesce(oc.c.occupied, 0)
    stmt = (
        select(
            f.kind,
            func.count().label("facilities"),
            func.sum(f.capacity).label("capacity"),
            func.sum(occupied).label("occupied"),
            func.sum(_free(f.capacity, occupied)).label("free"),
        )
        .select_from(facilities.outerjoin(oc, oc.c.facility_code == f.code))
        .group_by(f.kind)
        .order_by(f.kind)
    )
    if unit_code:
        stmt = stmt.where(f.unit_code == unit_code, f.unit_structure == unit_structure)
    now = dt.datetime.now(dt.UTC)
    rows = await store.all(stmt)
    return [
        KindAvailability(r.kind, int(r.facilities), int(r.capacity or 0), int(r.occupied or 0), int(r.free or 0))
        for r in rows
    ], now


# ---------------------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacilityFilter:
    unit_code: str | None = None
    unit_structure: str | None = None
    kind: str | None = None
    street: str | None = None
    search: str | None = None
    has_free_space: bool | None = None


def _free_label() -> Any:
    return _free(facilities.c.capacity, _open_count_of_facility()).label("free")


def _facility_order(order: str) -> list[tuple[Any, bool]]:
    c = facilities.c
    if order == "NAME":
        return [(c.name_folded, False), (c.code, False)]
    if order == "CAPACITY":
        return [(c.capacity, False), (c.code, False)]
    if order == "FREE_SPACES":
        return [(_free_label(), False), (c.code, False)]
    return [(c.code, False)]


async def facilities_page(
    store: Store, f: FacilityFilter, order: str, descending: bool, first: int | None, after: str | None
) -> Page:
    c = facilities.c
    keys = [(col, desc != descending) for col, desc in _facility_order(order)]
    extra = [col for col, _ in keys if col.key == "free"]
    stmt = select(*FACILITY_COLUMNS, *extra)
    if f.unit_code:
        stmt = stmt.where(c.unit_code == f.unit_code)
        if f.unit_structure:
            stmt = stmt.where(c.unit_structure == f.unit_structure)
    if f.kind:
        stmt = stmt.where(c.kind == f.kind)
    if f.street:
        stmt = stmt.where(c.street == f.street)
    if f.search:
        stmt = stmt.where(c.name_folded.like(like_pattern(f.search), escape="\\"))
    if f.has_free_space is not None:
        has_room = c.capacity > _open_count_of_facility()
        stmt = stmt.where(has_room if f.has_free_space else ~has_room)
    return await paginate(store, stmt, keys, first, after)


@dataclass(frozen=True)
class SessionFilter:
    plate: str | None = None
    facility_code: str | None = None
    open: bool | None = None
    started_from: dt.datetime | None = None
    started_to: dt.datetime | None = None


async def sessions_page(store: Store, f: SessionFilter, first: int | None, after: str | None, row_scope: Any) -> Page:
    """Sessions matching ``f`` within ``row_scope`` (``govgraph.auth.scope.parking_sessions``), newest first; the
    total count respects the scope too."""
    s = sessions.c
    stmt = select(*SESSION_READ_COLUMNS).where(row_scope)
    if f.plate:
        stmt = stmt.where(s.plate == f.plate)
    if f.facility_code:
        stmt = stmt.where(s.facility_code == f.facility_code)
    if f.open is True:
        stmt = stmt.where(s.ended_at.is_(None))
    elif f.open is False:
        stmt = stmt.where(s.ended_at.is_not(None))
    if f.started_from:
        stmt = stmt.where(s.started_at >= utc(f.started_from))
    if f.started_to:
        stmt = stmt.where(s.started_at < utc(f.started_to))
    return await paginate(store, stmt, [(s.started_at, True), (s.id, True)], first, after)


async def all_tariffs(store: Store) -> Sequence[Row[Any]]:
    return await store.all(select(tariffs).order_by(tariffs.c.vehicle_class, tariffs.c.code))


# ---------------------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------------------


def _scope(principal: Principal) -> Any:
    """The caller's row scope on sessions, as a SQL condition (loaders are per request, keyed by the caller)."""
    from govgraph.auth.scope import parking_sessions

    return parking_sessions(principal)


class ParkingLoaders:
    """Batched reads of the parking store, one loader per batch query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.facility_by_code: OneLoader[str, Row[Any]] = OneLoader(self._facilities)
        self.tariff_by_code: OneLoader[str, Row[Any]] = OneLoader(self._tariffs)
        self.session_by_id: OneLoader[int, Row[Any]] = OneLoader(lambda ids: self._sessions(ids, true()))
        """Unscoped: only for a mutation's payload (the session its caller just wrote, fields still guarded)."""
        self.session_seen_by: LoaderFamily[int, Row[Any] | None] = LoaderFamily(
            lambda principal: OneLoader(lambda ids: self._sessions(ids, _scope(principal)))
        )
        """``session_seen_by(principal)``: sessions by id within the caller's row scope (``node``, spots)."""
        self.availability_by_facility: OneLoader[str, Availability] = OneLoader(self._availability)
        self.spots_by_facility: ManyLoader[str, Row[Any]] = ManyLoader(self._spots)
        self.facilities_by_unit: ManyLoader[tuple[str, str], Row[Any]] = ManyLoader(self._facilities_of_units)
        self.sessions_by_payer: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda last, principal: ManyLoader(lambda pids: self._sessions_of_payers(pids, last, _scope(principal)))
        )
        """``sessions_by_payer(last, principal)``: each payer's newest sessions within the caller's row scope."""

    async def _facilities(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        rows = await self.store.all(select(*FACILITY_COLUMNS).where(facilities.c.code.in_(codes)))
        return index_one(rows, lambda r: r.code)

    async def _tariffs(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        rows = await self.store.all(select(tariffs).where(tariffs.c.code.in_(codes)))
        return index_one(rows, lambda r: r.code)

    async def _sessions(self, ids: Sequence[int], row_scope: Any) -> dict[int, Row[Any]]:
        rows = await self.store.all(select(*SESSION_READ_COLUMNS).where(sessions.c.id.in_(ids)).where(row_scope))
        return index_one(rows, lambda r: r.id)

    async def _availability(self, codes: Sequence[str]) -> dict[str, Availability]:
        f = facilities.c
        oc = _open_counts(codes)
        occupied = func.coalesce(oc.c.occupied, 0)
        stmt = (
            select(f.code, f.capacity, occupied.label("occupied"), _free(f.capacity, occupied).label("free"))
            .select_from(facilities.outerjoin(oc, oc.c.facility_code == f.code))
            .where(f.code.in_(codes))
        )
        now = dt.datetime.now(dt.UTC)
        rows = await self.store.all(stmt)
        return {r.code: Availability(r.capacity, int(r.occupied), int(r.free), now) for r in rows}

    async def _spots(self, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        """Spaces of street points, each with the open session on it (if any), in one statement."""
        sp, s = spots.c, sessions.c
        stmt = (
            select(sp.facility_code, sp.number, s.id.label("session_id"))
            .select_from(
                spots.outerjoin(
                    sessions,
                    (s.facility_code == sp.facility_code) & (s.spot_number == sp.number) & s.ended_at.is_(None),
                )
            )
            .where(sp.facility_code.in_(codes))
            .order_by(sp.facility_code, sp.number)
        )
        return index_many(await self.store.all(stmt), lambda r: r.facility_code)

    async def _facilities_of_units(self, units: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Row[Any]]]:
        f = facilities.c
        codes = sorted({code for code, _ in units})
        stmt = select(*FACILITY_COLUMNS).where(f.unit_code.in_(codes)).order_by(f.unit_code, f.kind, f.code)
        wanted = set(units)
        rows = [r for r in await self.store.all(stmt) if (r.unit_code, r.unit_structure) in wanted]
        return index_many(rows, lambda r: (r.unit_code, r.unit_structure))

    async def _sessions_of_payers(self, pids: Sequence[str], last: int, row_scope: Any) -> dict[str, list[Row[Any]]]:
        """The newest ``last`` sessions of each payer within ``row_scope``: LATERAL on PostgreSQL, a window on
        SQLite."""
        s = sessions.c
        out: dict[str, list[Row[Any]]] = {}
        for part in chunks(list(pids)):
            if self.store.is_sqlite:
                rank = (
                    func.row_number()
                    .over(partition_by=s.payer_pid, order_by=(s.started_at.desc(), s.id.desc()))
                    .label("rank")
                )
                inner = select(*SESSION_READ_COLUMNS, rank).where(s.payer_pid.in_(part)).where(row_scope).subquery()
                stmt = (
                    select(*[inner.c[c.name] for c in SESSION_READ_COLUMNS])
                    .where(inner.c.rank <= last)
                    .order_by(inner.c.payer_pid, inner.c.started_at.desc(), inner.c.id.desc())
                )
            else:
                keys = (
                    func.unnest(bindparam("pids", list(part), type_=ARRAY(String)))
                    .table_valued("pid")
                    .render_derived(name="k")
                )
                newest = (
                    select(*SESSION_READ_COLUMNS)
                    .where(s.payer_pid == keys.c.pid)
                    .where(row_scope)
                    .order_by(s.started_at.desc(), s.id.desc())
                    .limit(last)
                    .lateral("newest")
                )
                stmt = select(newest).select_from(keys.join(newest, true()))
            rows = await self.store.all(stmt)
            for pid, found in index_many(rows, lambda r: r.payer_pid).items():
                out[pid] = sorted(found, key=lambda r: (r.started_at, r.id), reverse=True)
        return out


# ---------------------------------------------------------------------------------------------------------
# Writes: starting and ending sessions, inside the caller's transaction (``Tx.conn``)
# ---------------------------------------------------------------------------------------------------------


class PlateAlreadyParked(Exception):
    """The partial unique index refused a second open session for a plate (a race across facilities)."""


def _stored_time(conn: AsyncConnection, value: dt.datetime) -> dt.datetime:
    """UTC; naive on SQLite, which keeps no offset (the read side reads naive values as UTC)."""
    value = utc(value)
    return value.replace(tzinfo=None) if conn.dialect.name == "sqlite" else value


TARIFF_RULE_COLUMNS = [
    tariffs.c[name]
    for name in ("first_block_minutes", "first_block_price", "step_minutes", "step_price", "step_increment",
                 "overnight_from", "overnight_to", "overnight_turns", "overnight_price", "daily_cap")
]  # fmt: skip


async def lock_facility(conn: AsyncConnection, code: str) -> Row[Any] | None:
    """The facility with its tariff (``tariff_class`` and the numbers ``tariff_rule`` reads), locked until the
    transaction ends: PostgreSQL locks the facility row (FOR UPDATE); on SQLite the write transaction already
    holds the database's write lock. Count open sessions only after this, in a new statement: on PostgreSQL a
    statement's snapshot is taken when it starts, before it waits for the lock."""
    f, t = facilities.c, tariffs.c
    columns: list[Any] = [f.code, f.kind, f.capacity, f.unit_code, f.tariff_code, t.vehicle_class.label("tariff_class")]
    stmt = (
        select(*columns, *TARIFF_RULE_COLUMNS)
        .select_from(facilities.join(tariffs, t.code == f.tariff_code))
        .where(f.code == code)
    )
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update(of=facilities)
    return (await conn.execute(stmt)).first()


def _occupied(code: str) -> Any:
    s = sessions.c
    return select(func.count()).where(s.facility_code == code, s.ended_at.is_(None)).scalar_subquery()


@dataclass(frozen=True)
class StartState:
    """What a start at a locked facility depends on, read in one statement."""

    occupied: int
    parked_at: str | None
    """The facility where the plate is parked now, if anywhere."""
    parked_since: dt.datetime | None
    left_at: dt.datetime | None
    """The latest end of the plate's sessions that ended after the reported start (an overlap)."""
    spot: str | None
    """With a spot number: 'MISSING', 'TAKEN' or 'FREE'."""


async def start_state(
    conn: AsyncConnection, code: str, plate: str, started_at: dt.datetime, spot_number: int | None
) -> StartState:
    """Open sessions at the facility, the plate's open session anywhere, its stays overlapping the reported
    start, and the state of the space: one statement (call it after ``lock_facility``)."""
    s, sp = sessions.c, spots.c
    of_plate = select(s.facility_code, s.started_at).where(s.plate == plate, s.ended_at.is_(None)).limit(1)
    columns: list[Any] = [
        _occupied(code).label("occupied"),
        of_plate.with_only_columns(s.facility_code).scalar_subquery().label("parked_at"),
        of_plate.with_only_columns(s.started_at).scalar_subquery().label("parked_since"),
        select(func.max(s.ended_at))
        .where(s.plate == plate, s.ended_at > _stored_time(conn, started_at))
        .scalar_subquery()
        .label("left_at"),
    ]
    if spot_number is not None:
        exists = select(sp.number).where(sp.facility_code == code, sp.number == spot_number).exists()
        taken = select(s.id).where(s.facility_code == code, s.spot_number == spot_number, s.ended_at.is_(None)).exists()
        columns.append(case((~exists, "MISSING"), (taken, "TAKEN"), else_="FREE").label("spot"))
    row = (await conn.execute(select(*columns))).one()
    return StartState(
        occupied=int(row.occupied),
        parked_at=row.parked_at,
        parked_since=utc(row.parked_since) if row.parked_since is not None else None,
        left_at=utc(row.left_at) if row.left_at is not None else None,
        spot=row.spot if spot_number is not None else None,
    )


async def insert_session(
    conn: AsyncConnection,
    *,
    plate: str,
    vehicle_class: str,
    facility_code: str,
    spot_number: int | None,
    started_at: dt.datetime,
    channel: str,
    payer_pid: str | None,
) -> int:
    """A new open session; its id. Raises PlateAlreadyParked if the plate is open elsewhere (unique index)."""
    stmt = (
        sessions.insert()
        .values(
            plate=plate,
            vehicle_class=vehicle_class,
            facility_code=facility_code,
            spot_number=spot_number,
            started_at=_stored_time(conn, started_at),
            ended_at=None,
            channel=channel,
            amount_vnd=None,
            payer_pid=payer_pid,
        )
        .returning(sessions.c.id)
    )
    try:
        return int((await conn.execute(stmt)).scalar_one())
    except IntegrityError as exc:
        if "ux_sessions_open_plate" in str(exc.orig) or "sessions.plate" in str(exc.orig):
            raise PlateAlreadyParked(plate) from exc
        raise


async def session_row(conn: AsyncConnection, session_id: int) -> Row[Any] | None:
    return (await conn.execute(select(*SESSION_COLUMNS).where(sessions.c.id == session_id))).first()


async def session_and_occupied(conn: AsyncConnection, session_id: int, code: str) -> Row[Any] | None:
    """The session as it is now, with the facility's open sessions (``occupied``): call after ``lock_facility``."""
    columns: list[Any] = [*SESSION_COLUMNS, _occupied(code).label("occupied")]
    stmt = select(*columns).where(sessions.c.id == session_id)
    return (await conn.execute(stmt)).first()


async def latest_session_at(
    conn: AsyncConnection, plate: str, facility_code: str, payer_pid: str | None = None
) -> Row[Any] | None:
    """The plate's open session at the facility, or else its latest ended one there (only ``payer_pid``'s, if
    given: a citizen ending a session by plate)."""
    s = sessions.c
    stmt = (
        select(*SESSION_COLUMNS)
        .where(s.plate == plate, s.facility_code == facility_code)
        .where(s.payer_pid == payer_pid if payer_pid is not None else true())
        .order_by(s.ended_at.is_not(None), s.started_at.desc(), s.id.desc())
        .limit(1)
    )
    return (await conn.execute(stmt)).first()


async def end_session(conn: AsyncConnection, session_id: int, ended_at: dt.datetime, amount_vnd: int) -> bool:
    """Close an open session with its fee; False if it was no longer open (ended by someone else meanwhile)."""
    s = sessions.c
    result = await conn.execute(
        sessions.update()
        .where(s.id == session_id, s.ended_at.is_(None))
        .values(ended_at=_stored_time(conn, ended_at), amount_vnd=amount_vnd)
    )
    return bool(result.rowcount)
