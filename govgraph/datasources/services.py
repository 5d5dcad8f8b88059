"""Services store: agencies, procedures and their fees, dossiers (hồ sơ) with pauses, appointment slots,
paid look-ups (DOMAIN.md §4).

Overdue (trễ hạn) is never stored: ``overdue_clause`` derives it in SQL for filters and statistics, and
``govgraph.domain.services.is_overdue`` derives the same thing in Python for the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from govgraph.auth import scope
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
from govgraph.domain.services import CLOCK_RUNNING, COMPLETED, HANOI, Channel, FeeRule
from govgraph.domain.text import like_pattern

metadata = MetaData()

agencies = Table(
    "agencies",
    metadata,
    Column("code", String(13), primary_key=True, comment="electronic agency code AAA.BB.CC.H26 (Decision 20/2020)"),
    Column("name", String(160), nullable=False, comment="official name, NFC"),
    Column("name_folded", String(160), nullable=False, comment="search key: lower case, no diacritics"),
    Column("kind", String(30), nullable=False, comment="CITY_DEPARTMENT, WARD_PEOPLES_COMMITTEE, POLICE, OTHER"),
    Column("unit_code", String(5), nullable=True, comment="ward or commune served (ward People's Committees)"),
    Column("unit_structure", String(10), nullable=True, comment="structure of unit_code (Y2025_07)"),
    Column("address", Text, nullable=True, comment="address of the one-stop desk (Bộ phận Một cửa)"),
    Index("ix_agencies_unit", "unit_code", "unit_structure"),
    Index("ix_agencies_kind", "kind", "code"),
    Index("ix_agencies_name_folded", "name_folded"),
)

procedures = Table(
    "procedures",
    metadata,
    Column("code", String(12), primary_key=True, comment="catalogue code of the procedure (thủ tục hành chính)"),
    Column("name", String(240), nullable=False),
    Column("name_folded", String(240), nullable=False),
    Column("field", String(40), nullable=False, comment="lĩnh vực, e.g. CIVIL_STATUS"),
    Column("competent_level", String(10), nullable=False, comment="CITY or COMMUNE (cấp tỉnh / cấp xã)"),
    Column("competent_authority", String(200), nullable=False, comment="body competent to resolve, as data"),
    Column("agency_code", String(13), ForeignKey("agencies.code"), nullable=True, comment="city-level receiver"),
    Column("online_level", String(15), nullable=False, comment="FULL_PROCESS or PARTIAL (Decree 42/2022 Art. 11)"),
    Column("legacy_level", Integer, nullable=False, comment="2, 3 or 4 (Decree 43/2011 Art. 3)"),
    Column("legal_days", Integer, nullable=False, comment="legal processing time; 0 = same day"),
    Column("time_unit", String(13), nullable=False, comment="WORKING_DAY or CALENDAR_DAY"),
    Column("same_day", Boolean, nullable=False, comment="resolved the same day; after 15:00 the next working day"),
    Column("online_only", Boolean, nullable=False, comment="only accepted online (e.g. company registration)"),
    Column("legal_basis", Text, nullable=False),
    Column("fee_note", Text, nullable=True, comment="how the fee is set when no amount is in the fee table"),
    Index("ix_procedures_filters", "online_level", "competent_level", "code"),
    Index("ix_procedures_online_only", "online_only"),
    Index("ix_procedures_field", "field"),
    Index("ix_procedures_name_folded", "name_folded"),
)

fees = Table(
    "fees",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("procedure_code", String(12), ForeignKey("procedures.code"), nullable=False),
    Column("channel", String(10), nullable=False, comment="IN_PERSON, ONLINE or POST"),
    Column("fee_type", String(8), nullable=False, comment="LE_PHI (lệ phí) or PHI (phí)"),
    Column("amount", Integer, nullable=False, comment="VND per `per`"),
    Column("per", String(10), nullable=False, comment="CASE, PAGE, COPY, CONTRACT, PERSON, LOOKUP"),
    Column("cap", Integer, nullable=True, comment="maximum VND per case, if any"),
    Column("note", Text, nullable=True),
    Column("legal_basis", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("verified", Boolean, nullable=False, comment="amount checked against the official text"),
    Index("ix_fees_procedure", "procedure_code", "channel", "valid_from"),
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True, comment="<agency code>-<yymmdd>-<4-digit seq>"),
    Column("procedure_code", String(12), ForeignKey("procedures.code"), nullable=False),
    Column("agency_code", String(13), ForeignKey("agencies.code"), nullable=False),
    Column("applicant_pid", String(12), nullable=False, comment="personal ID of the applicant (population store)"),
    Column("applicant_type", String(15), nullable=False, comment="CITIZEN, ENTERPRISE, ORGANISATION, ..."),
    Column("channel", String(10), nullable=False, comment="ONLINE, IN_PERSON or POST"),
    Column("status", String(32), nullable=False, comment="one of the 10 DVCQG statuses"),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("due_at", DateTime(timezone=True), nullable=True, comment="promised return time, closed pauses counted"),
    Column("completed_at", DateTime(timezone=True), nullable=True, comment="resolved (status 9)"),
    Column("returned_at", DateTime(timezone=True), nullable=True, comment="result delivered (status 10)"),
    Column("status_at", DateTime(timezone=True), nullable=False, comment="last status change"),
    Column("apology_at", DateTime(timezone=True), nullable=True, comment="Phiếu xin lỗi và hẹn lại ngày trả"),
    Column("new_due_at", DateTime(timezone=True), nullable=True, comment="the new date promised in the apology"),
    Column("fee_id", Integer, ForeignKey("fees.id"), nullable=True, comment="main fee-table row at submission"),
    Column("fee_amount", Integer, nullable=True, comment="VND owed by the fee table for channel and date"),
    Column("amount_due", Integer, nullable=True, comment="financial obligation requested (status 6), VND"),
    Column("paid_at", DateTime(timezone=True), nullable=True, comment="financial obligation paid"),
    Column("status_note", Text, nullable=True, comment="reason of a refusal, stop or withdrawal"),
    Index("ix_dossiers_received", "received_at", "code"),
    Index("ix_dossiers_agency", "agency_code", "received_at"),
    Index("ix_dossiers_procedure", "procedure_code", "received_at"),
    Index("ix_dossiers_applicant", "applicant_pid", "received_at"),
    Index("ix_dossiers_status_due", "status", "due_at"),
    Index("ix_dossiers_channel", "channel"),
    Index("ix_dossiers_due", "due_at", "code"),
)

dossier_pauses = Table(
    "dossier_pauses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_code", String(32), ForeignKey("dossiers.code"), nullable=False, index=True),
    Column("reason", String(24), nullable=False, comment="ADDITIONAL_DOCUMENTS or FINANCIAL_OBLIGATION"),
    Column("requested_at", DateTime(timezone=True), nullable=False, comment="the clock stops"),
    Column("resumed_at", DateTime(timezone=True), nullable=True, comment="the clock restarts; null while open"),
    Column("note", Text, nullable=True, comment="what was asked for (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ)"),
)

appointment_slots = Table(
    "appointment_slots",
    metadata,
    Column("key", String(32), primary_key=True, comment="<agency code>:<date>:<hour>"),
    Column("agency_code", String(13), ForeignKey("agencies.code"), nullable=False),
    Column("day", Date, nullable=False),
    Column("start_hour", Integer, nullable=False, comment="local hour the one-hour slot starts"),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False),
    Index("ix_slots_agency_day", "agency_code", "day", "start_hour", unique=True),
)

appointments = Table(
    "appointments",
    metadata,
    Column("booking_code", String(16), primary_key=True),
    Column("slot_key", String(32), ForeignKey("appointment_slots.key"), nullable=False, index=True),
    Column("citizen_pid", String(12), nullable=False, index=True),
    Column("procedure_code", String(12), ForeignKey("procedures.code"), nullable=True),
    Column("status", String(12), nullable=False, comment="BOOKED, CHECKED_IN, CANCELLED, NO_SHOW"),
    Column("booked_at", DateTime(timezone=True), nullable=False),
)

paid_lookups = Table(
    "paid_lookups",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("kind", String(20), nullable=False, comment="NOTARISATION_RECORD, ID_CARD or SIM_REGISTRATION"),
    Column("procedure_code", String(12), ForeignKey("procedures.code"), nullable=False),
    Column("requester_pid", String(12), nullable=False, index=True),
    Column("subject", Text, nullable=False, comment="what is looked up"),
    Column("purpose", Text, nullable=False, comment="declared purpose (Decree 13/2023 on personal data)"),
    Column("consent", Boolean, nullable=False, comment="the data subject consented"),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("fee_id", Integer, ForeignKey("fees.id"), nullable=True),
    Column("amount", Integer, nullable=False, comment="VND owed, from the fee table"),
    Column("payment_status", String(10), nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("result", Text, nullable=True, comment="held back until paid"),
    Index("ix_lookups_kind", "kind", "requested_at"),
    Index("ix_lookups_requested", "requested_at", "code"),
    Index("ix_lookups_payment", "payment_status"),
)

RUNNING = sorted(s.value for s in CLOCK_RUNNING)
DONE = sorted(s.value for s in COMPLETED)

agency_jurisdiction: ColumnElement[str] = func.coalesce(agencies.c.unit_code, agencies.c.code)
"""The `unit` claim of the services officers an agency answers to: the ward or commune of a People's Committee,
else the agency's own code (city departments, the city police)."""

# Personal rows carry the jurisdiction they belong to (``jurisdiction``), for the field policy's officer check.
DOSSIER_COLUMNS = [*dossiers.c, agency_jurisdiction.label("jurisdiction")]
DOSSIER_FROM = dossiers.join(agencies, agencies.c.code == dossiers.c.agency_code)
APPOINTMENT_COLUMNS = [*appointments.c, agency_jurisdiction.label("jurisdiction")]
APPOINTMENT_FROM = appointments.join(appointment_slots, appointment_slots.c.key == appointments.c.slot_key).join(
    agencies, agencies.c.code == appointment_slots.c.agency_code
)
LOOKUP_COLUMNS = [*paid_lookups.c, procedures.c.agency_code.label("jurisdiction")]
LOOKUP_FROM = paid_lookups.join(procedures, procedures.c.code == paid_lookups.c.procedure_code)


def dossier_rows() -> Select[Any]:
    return select(*DOSSIER_COLUMNS).select_from(DOSSIER_FROM)


def appointment_rows() -> Select[Any]:
    return select(*APPOINTMENT_COLUMNS).select_from(APPOINTMENT_FROM)


def lookup_rows() -> Select[Any]:
    return select(*LOOKUP_COLUMNS).select_from(LOOKUP_FROM)


def overdue_clause(now: dt.datetime) -> ColumnElement[bool]:
    """Trễ hạn in SQL (never NULL): past due while the clock runs, or resolved after the due time."""
    d = dossiers.c
    return or_(
        and_(d.status.in_(RUNNING), d.due_at.is_not(None), d.due_at < now),
        and_(d.completed_at.is_not(None), d.due_at.is_not(None), d.completed_at > d.due_at),
    )


def month_expr(store: Store) -> ColumnElement[str]:
    """'YYYY-MM' of the local (UTC+7) time of receipt."""
    if store.is_sqlite:
        # literal constants, not bind parameters: the GROUP BY must repeat the selected expression exactly
        return func.strftime(literal_column("'%Y-%m'"), dossiers.c.received_at, literal_column("'+7 hours'"))
    zone: ColumnElement[str] = literal_column("'Asia/Ho_Chi_Minh'")
    return func.to_char(func.timezone(zone, dossiers.c.received_at), literal_column("'YYYY-MM'"))


def month_start(month: str) -> dt.datetime:
    """First instant of a local month 'YYYY-MM', in UTC."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        start = dt.datetime(year, mon, 1, tzinfo=HANOI)
    except ValueError as exc:
        raise ValueError(f"month {month!r} is not of the form YYYY-MM") from exc
    return start.astimezone(dt.UTC)


def month_end(month: str) -> dt.datetime:
    """First instant after a local month 'YYYY-MM', in UTC."""
    start = month_start(month).astimezone(HANOI)
    nxt = dt.datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=HANOI)
    return nxt.astimezone(dt.UTC)


def local_day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=HANOI).astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyFilter:
    search: str | None = None
    kind: str | None = None
    unit_code: str | None = None


async def agencies_page(store: Store, f: AgencyFilter, first: int | None, after: str | None) -> Page:
    a = agencies.c
    stmt = select(agencies)
    if f.search:
        stmt = stmt.where(a.name_folded.like(like_pattern(f.search), escape="\\"))
    if f.kind:
        stmt = stmt.where(a.kind == f.kind)
    if f.unit_code:
        stmt = stmt.where(a.unit_code == f.unit_code)
    return await paginate(store, stmt, [(a.code, False)], first, after)


@dataclass(frozen=True)
class ProcedureFilter:
    search: str | None = None
    online_level: str | None = None
    online_only: bool | None = None
    competent_level: str | None = None
    field: str | None = None


async def procedures_page(store: Store, f: ProcedureFilter, first: int | None, after: str | None) -> Page:
    p = procedures.c
    stmt = select(procedures)
    if f.search:
        stmt = stmt.where(p.name_folded.like(like_pattern(f.search), escape="\\"))
    if f.online_level:
        stmt = stmt.where(p.online_level == f.online_level)
    if f.online_only is not None:
        stmt = stmt.where(p.online_only == f.online_only)
    if f.competent_level:
        stmt = stmt.where(p.competent_level == f.competent_level)
    if f.field:
        stmt = stmt.where(p.field == f.field)
    return await paginate(store, stmt, [(p.code, False)], first, after)


@dataclass(frozen=True)
class DossierFilter:
    status: tuple[str, ...] = ()
    agency_code: str | None = None
    procedure_code: str | None = None
    unit_code: str | None = None
    channel: str | None = None
    overdue: bool | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None


def _dossier_where(f: DossierFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    d = dossiers.c
    where: list[ColumnElement[bool]] = []
    if f.status:
        where.append(d.status.in_(f.status))
    if f.agency_code:
        where.append(d.agency_code == f.agency_code)
    if f.procedure_code:
        where.append(d.procedure_code == f.procedure_code)
    if f.unit_code:
        where.append(d.agency_code.in_(select(agencies.c.code).where(agencies.c.unit_code == f.unit_code)))
    if f.channel:
        where.append(d.channel == f.channel)
    if f.overdue is True:
        where.append(overdue_clause(now))
    elif f.overdue is False:
        where.append(~overdue_clause(now))
    if f.received_from:
        where.append(d.received_at >= local_day_start(f.received_from))
    if f.received_to:
        where.append(d.received_at < local_day_start(f.received_to + dt.timedelta(days=1)))
    return where


DOSSIER_ORDERS = {
    "RECEIVED_AT": dossiers.c.received_at,
    "DUE_AT": dossiers.c.due_at,
}


async def dossiers_page(
    store: Store,
    f: DossierFilter,
    order: str,
    descending: bool,
    first: int | None,
    after: str | None,
    now: dt.datetime,
    row_scope: Any,
) -> Page:
    """A page of dossiers matching ``f`` within ``row_scope`` (``govgraph.auth.scope.dossiers``)."""
    d = dossiers.c
    stmt = dossier_rows().where(*_dossier_where(f, now)).where(row_scope)
    if order == "DUE_AT":
        stmt = stmt.where(d.due_at.is_not(None))  # keyset paging needs a non-null key
    keys = [(DOSSIER_ORDERS[order], descending), (d.code, descending)]
    return await paginate(store, stmt, keys, first, after)


@dataclass(frozen=True)
class LookupFilter:
    kind: str | None = None
    payment_status: str | None = None


async def lookups_page(store: Store, f: LookupFilter, first: int | None, after: str | None, row_scope: Any) -> Page:
    """A page of look-ups matching ``f`` within ``row_scope`` (``govgraph.auth.scope.paid_lookups``)."""
    c = paid_lookups.c
    stmt = lookup_rows().where(row_scope)
    if f.kind:
        stmt = stmt.where(c.kind == f.kind)
    if f.payment_status:
        stmt = stmt.where(c.payment_status == f.payment_status)
    return await paginate(store, stmt, [(c.requested_at, True), (c.code, True)], first, after)


async def slots(store: Store, agency_code: str, day: dt.date) -> Sequence[Row[Any]]:
    s = appointment_slots.c
    stmt = select(appointment_slots).where(s.agency_code == agency_code, s.day == day).order_by(s.start_hour)
    return await store.all(stmt)


# ---------------------------------------------------------------------------------------------------------
# Statistics: one GROUP BY statement per request (and per batch of units)
# ---------------------------------------------------------------------------------------------------------

GROUPS = ("PROCEDURE", "UNIT", "AGENCY", "MONTH")


@dataclass(frozen=True)
class StatsFilter:
    unit_codes: tuple[str, ...] = ()
    procedure_code: str | None = None
    month_from: str | None = None
    month_to: str | None = None


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


async def statistics(
    store: Store, f: StatsFilter, group_by: Sequence[str], now: dt.datetime, row_scope: Any = None
) -> Sequence[Row[Any]]:
    """Counts per group: received, online, on time, overdue, resolved. Rows carry the group keys
    (procedure_code, unit_code, agency_code, month; null when not grouped by it). ``row_scope`` (from
    ``govgraph.auth.scope.dossiers``) limits what is counted for a signed-in caller; the public schema's
    statistics pass none (and suppress small counts)."""
    d = dossiers.c
    a = agencies.c
    month = month_expr(store)
    keys: dict[str, ColumnElement[Any]] = {
        "procedure_code": d.procedure_code,
        "unit_code": a.unit_code,
        "agency_code": d.agency_code,
        "month": month,
    }
    chosen = {"PROCEDURE": "procedure_code", "UNIT": "unit_code", "AGENCY": "agency_code", "MONTH": "month"}
    grouped = [keys[chosen[g]] for g in group_by]
    cols = [
        (keys[name] if name in {chosen[g] for g in group_by} else cast(literal(None), String)).label(name)
        for name in keys
    ]
    stmt = select(
        *cols,
        func.count().label("received"),
        _count_if(d.channel == Channel.ONLINE.value).label("online"),
        _count_if(and_(d.completed_at.is_not(None), d.due_at.is_not(None), d.completed_at <= d.due_at)).label(
            "on_time"
        ),
        _count_if(overdue_clause(now)).label("overdue"),
        _count_if(d.status.in_(DONE)).label("resolved"),
    ).select_from(dossiers.join(agencies, agencies.c.code == d.agency_code))
    if row_scope is not None:
        stmt = stmt.where(row_scope)
    if f.unit_codes:
        stmt = stmt.where(a.unit_code.in_(f.unit_codes))
    if f.procedure_code:
        stmt = stmt.where(d.procedure_code == f.procedure_code)
    if f.month_from:
        stmt = stmt.where(d.received_at >= month_start(f.month_from))
    if f.month_to:
        stmt = stmt.where(d.received_at < month_end(f.month_to))
    if grouped:
        stmt = stmt.group_by(*grouped).order_by(*grouped)
    return await store.all(stmt)


# ---------------------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------------------


class ServicesLoaders:
    """Batched reads of the services store, one loader per batch query. Loaders of personal rows (dossiers,
    appointments, look-ups) and of dossier statistics are families keyed by the caller: each applies the
    caller's row scope (``govgraph.auth.scope``) in its SQL."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.agency_by_code: OneLoader[str, Row[Any]] = OneLoader(self._agencies)
        self.agencies_by_unit: ManyLoader[tuple[str, str], Row[Any]] = ManyLoader(self._agencies_of_units)
        self.procedure_by_code: OneLoader[str, Row[Any]] = OneLoader(self._procedures)
        self.fees_by_procedure: ManyLoader[str, Row[Any]] = ManyLoader(self._fees)
        self.dossier_by_code: LoaderFamily[str, Row[Any] | None] = LoaderFamily(self._dossiers_loader)
        self.dossiers_by_applicant: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(self._applicants_loader)
        self.pauses_by_dossier: ManyLoader[str, Row[Any]] = ManyLoader(self._pauses)
        self.slot_by_key: OneLoader[str, Row[Any]] = OneLoader(self._slots)
        self.appointments_by_slot: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(self._slot_bookings_loader)
        self.appointment_by_code: LoaderFamily[str, Row[Any] | None] = LoaderFamily(self._appointments_loader)
        self.lookup_by_code: LoaderFamily[str, Row[Any] | None] = LoaderFamily(self._lookups_loader)
        self.fee_by_id: OneLoader[int, Row[Any]] = OneLoader(self._fees_by_id)
        self.statistics_by_unit: LoaderFamily[str, Row[Any] | None] = LoaderFamily(self._unit_stats_loader)

    async def _by_keys(self, table: Table, column: str, keys: Sequence[Any]) -> dict[Any, Row[Any]]:
        out: dict[Any, Row[Any]] = {}
        for part in chunks(keys):
            rows = await self.store.all(select(table).where(table.c[column].in_(part)))
            out.update(index_one(rows, lambda r: r._mapping[column]))
        return out

    async def _agencies(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        return await self._by_keys(agencies, "code", codes)

    async def _agencies_of_units(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Row[Any]]]:
        a = agencies.c
        codes = sorted({code for code, _ in keys})
        rows = await self.store.all(select(agencies).where(a.unit_code.in_(codes)).order_by(a.unit_code, a.code))
        return index_many(rows, lambda r: (r.unit_code, r.unit_structure))

    async def _procedures(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        return await self._by_keys(procedures, "code", codes)

    async def _fees(self, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        c = fees.c
        stmt = select(fees).where(c.procedure_code.in_(codes)).order_by(c.procedure_code, c.channel, c.valid_from)
        return index_many(await self.store.all(stmt), lambda r: r.procedure_code)

    async def _fees_by_id(self, ids: Sequence[int]) -> dict[int, Row[Any]]:
        return await self._by_keys(fees, "id", ids)

    async def _scoped_one(self, base: Select[Any], column: Any, keys: Sequence[Any]) -> dict[Any, Row[Any]]:
        out: dict[Any, Row[Any]] = {}
        for part in chunks(keys):
            rows = await self.store.all(base.where(column.in_(part)))
            out.update(index_one(rows, lambda r: r._mapping[column.key]))
        return out

    def _dossiers_loader(self, principal: Principal) -> OneLoader[str, Row[Any]]:
        async def dossiers_by_code(codes: Sequence[str]) -> dict[str, Row[Any]]:
            return await self._scoped_one(dossier_rows().where(scope.dossiers(principal)), dossiers.c.code, codes)

        return OneLoader(dossiers_by_code)

    def _applicants_loader(self, principal: Principal) -> ManyLoader[str, Row[Any]]:
        async def dossiers_of_applicants(pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
            d = dossiers.c
            out: dict[str, list[Row[Any]]] = {}
            for part in chunks(pids):
                stmt = (
                    dossier_rows()
                    .where(d.applicant_pid.in_(part), scope.dossiers(principal))
                    .order_by(d.applicant_pid, d.received_at.desc())
                )
                out.update(index_many(await self.store.all(stmt), lambda r: r.applicant_pid))
            return out

        return ManyLoader(dossiers_of_applicants)

    async def _pauses(self, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        p = dossier_pauses.c
        stmt = select(dossier_pauses).where(p.dossier_code.in_(codes)).order_by(p.dossier_code, p.requested_at)
        return index_many(await self.store.all(stmt), lambda r: r.dossier_code)

    async def _slots(self, keys: Sequence[str]) -> dict[str, Row[Any]]:
        return await self._by_keys(appointment_slots, "key", keys)

    def _slot_bookings_loader(self, principal: Principal) -> ManyLoader[str, Row[Any]]:
        async def appointments_of_slots(keys: Sequence[str]) -> dict[str, list[Row[Any]]]:
            c = appointments.c
            out: dict[str, list[Row[Any]]] = {}
            for part in chunks(keys):
                stmt = (
                    appointment_rows()
                    .where(c.slot_key.in_(part), scope.appointments(principal))
                    .order_by(c.slot_key, c.booked_at)
                )
                out.update(index_many(await self.store.all(stmt), lambda r: r.slot_key))
            return out

        return ManyLoader(appointments_of_slots)

    def _appointments_loader(self, principal: Principal) -> OneLoader[str, Row[Any]]:
        async def appointments_by_code(codes: Sequence[str]) -> dict[str, Row[Any]]:
            base = appointment_rows().where(scope.appointments(principal))
            return await self._scoped_one(base, appointments.c.booking_code, codes)

        return OneLoader(appointments_by_code)

    def _lookups_loader(self, principal: Principal) -> OneLoader[str, Row[Any]]:
        async def lookups_by_code(codes: Sequence[str]) -> dict[str, Row[Any]]:
            return await self._scoped_one(
                lookup_rows().where(scope.paid_lookups(principal)), paid_lookups.c.code, codes
            )

        return OneLoader(lookups_by_code)

    def _unit_stats_loader(
        self, principal: Principal, month_from: str | None, month_to: str | None
    ) -> OneLoader[str, Row[Any]]:
        async def unit_statistics(units: Sequence[str]) -> dict[str, Row[Any]]:
            f = StatsFilter(unit_codes=tuple(units), month_from=month_from, month_to=month_to)
            rows = await statistics(self.store, f, ["UNIT"], dt.datetime.now(dt.UTC), scope.dossiers(principal))
            return index_one(rows, lambda r: r.unit_code)

        return OneLoader(unit_statistics)


# ---------------------------------------------------------------------------------------------------------
# Writes: each runs on the caller's transaction (``tx.conn`` of run_mutation)
# ---------------------------------------------------------------------------------------------------------


def _locked(stmt: Any, sqlite: bool, *of: Table) -> Any:
    """SELECT ... FOR UPDATE on PostgreSQL; SQLite holds the database write lock from BEGIN IMMEDIATE."""
    return stmt if sqlite else stmt.with_for_update(of=list(of) or None)


async def _one(conn: AsyncConnection, stmt: Any) -> Row[Any] | None:
    return (await conn.execute(stmt)).first()


async def lock_agency(conn: AsyncConnection, sqlite: bool, code: str) -> Row[Any] | None:
    """The agency row, locked: dossier numbers of one agency are handed out one transaction at a time."""
    return await _one(conn, _locked(select(agencies).where(agencies.c.code == code), sqlite))


async def procedure_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return await _one(conn, select(procedures).where(procedures.c.code == code))


async def agency_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return await _one(conn, select(agencies).where(agencies.c.code == code))


async def last_dossier_seq(conn: AsyncConnection, agency_code: str, day: dt.date) -> int:
    """The highest sequence number of the agency's dossiers of ``day`` (0 if none). Call with the agency
    locked (``lock_agency``) so that the next number is handed out once."""
    prefix = f"{agency_code}-{day:%y%m%d}-"
    d = dossiers.c
    stmt = select(func.max(d.code)).where(d.agency_code == agency_code, d.code.like(prefix + "%"))
    last = (await conn.execute(stmt)).scalar()
    return int(last.rsplit("-", 1)[1]) if last else 0


async def fee_rules(conn: AsyncConnection, procedure_code: str) -> list[FeeRule]:
    c = fees.c
    rows = (await conn.execute(select(fees).where(c.procedure_code == procedure_code).order_by(c.id))).all()
    return [FeeRule(Channel(r.channel), r.amount, r.valid_from, r.valid_to, r.fee_type, r.id) for r in rows]


def _utc(values: dict[str, Any]) -> dict[str, Any]:
    """Aware times in UTC: SQLite keeps the wall time and drops the offset, and reads it back as UTC."""
    return {k: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) and v.tzinfo else v for k, v in values.items()}


async def insert_dossier(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(dossiers.insert().values(**_utc(values)))


DOSSIER_FOR_WORK = [
    *dossiers.c,
    agencies.c.unit_code.label("unit_code"),
    procedures.c.legal_days,
    procedures.c.same_day,
    procedures.c.time_unit,
]


async def dossier_for_update(conn: AsyncConnection, sqlite: bool, code: str) -> Row[Any] | None:
    """The dossier with its agency's unit and its procedure's time limit; the dossier row locked."""
    stmt = (
        select(*DOSSIER_FOR_WORK)
        .select_from(
            dossiers.join(agencies, agencies.c.code == dossiers.c.agency_code).join(
                procedures, procedures.c.code == dossiers.c.procedure_code
            )
        )
        .where(dossiers.c.code == code)
    )
    return await _one(conn, _locked(stmt, sqlite, dossiers))


async def update_dossier(conn: AsyncConnection, code: str, expected: str, **values: Any) -> bool:
    """Change a dossier still in status ``expected`` (False if another transaction moved it first)."""
    d = dossiers.c
    result = await conn.execute(dossiers.update().where(d.code == code, d.status == expected).values(**_utc(values)))
    return bool(result.rowcount)


async def open_pause(conn: AsyncConnection, code: str, reason: str, at: dt.datetime, note: str | None) -> None:
    await conn.execute(
        dossier_pauses.insert().values(
            dossier_code=code, reason=reason, requested_at=at.astimezone(dt.UTC), resumed_at=None, note=note
        )
    )


async def close_pauses(conn: AsyncConnection, code: str, at: dt.datetime) -> int:
    """Close the dossier's open pause(s): the clock runs again from ``at``."""
    p = dossier_pauses.c
    stmt = (
        dossier_pauses.update()
        .where(p.dossier_code == code, p.resumed_at.is_(None))
        .values(resumed_at=at.astimezone(dt.UTC))
    )
    return int((await conn.execute(stmt)).rowcount)


async def pauses_of(conn: AsyncConnection, code: str) -> Sequence[Row[Any]]:
    p = dossier_pauses.c
    stmt = select(dossier_pauses).where(p.dossier_code == code).order_by(p.requested_at, p.id)
    return (await conn.execute(stmt)).all()


async def newly_overdue(store: Store, since: dt.datetime, now: dt.datetime) -> Sequence[Row[Any]]:
    """Dossiers whose due time passed in (since, now] while their clock runs: they just became trễ hạn."""
    d = dossiers.c
    since, now = since.astimezone(dt.UTC), now.astimezone(dt.UTC)
    stmt = (
        select(d.code, d.applicant_pid, d.agency_code, d.status, agencies.c.unit_code)
        .select_from(dossiers.join(agencies, agencies.c.code == d.agency_code))
        .where(d.status.in_(RUNNING), d.due_at > since, d.due_at <= now)
        .order_by(d.due_at, d.code)
    )
    return await store.all(stmt)


# --- appointments -----------------------------------------------------------------------------------------

SLOT_WITH_UNIT = [*appointment_slots.c, agencies.c.unit_code.label("unit_code")]


async def slot_with_unit(conn: AsyncConnection, key: str) -> Row[Any] | None:
    stmt = (
        select(*SLOT_WITH_UNIT)
        .select_from(appointment_slots.join(agencies, agencies.c.code == appointment_slots.c.agency_code))
        .where(appointment_slots.c.key == key)
    )
    return await _one(conn, stmt)


async def take_place(conn: AsyncConnection, key: str) -> bool:
    """``UPDATE ... SET booked = booked + 1 WHERE booked < capacity``: False when the slot is full. The row
    lock it takes on PostgreSQL (and SQLite's write lock) makes concurrent bookings queue, and the condition
    is re-checked on the latest row, so bookings never exceed capacity."""
    s = appointment_slots.c
    stmt = appointment_slots.update().where(s.key == key, s.booked < s.capacity).values(booked=s.booked + 1)
    return bool((await conn.execute(stmt)).rowcount)


async def free_place(conn: AsyncConnection, key: str) -> bool:
    s = appointment_slots.c
    stmt = appointment_slots.update().where(s.key == key, s.booked > 0).values(booked=s.booked - 1)
    return bool((await conn.execute(stmt)).rowcount)


ACTIVE_BOOKINGS = ("BOOKED", "CHECKED_IN")


async def active_booking(conn: AsyncConnection, slot_key: str, pid: str) -> str | None:
    c = appointments.c
    stmt = select(c.booking_code).where(c.slot_key == slot_key, c.citizen_pid == pid, c.status.in_(ACTIVE_BOOKINGS))
    return (await conn.execute(stmt.limit(1))).scalar()


async def booking_code_taken(conn: AsyncConnection, code: str) -> bool:
    c = appointments.c
    return (await conn.execute(select(c.booking_code).where(c.booking_code == code))).first() is not None


async def insert_appointment(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(appointments.insert().values(**_utc(values)))


async def appointment_with_slot(conn: AsyncConnection, code: str) -> Row[Any] | None:
    a, s = appointments.c, appointment_slots.c
    stmt = (
        select(*appointments.c, s.agency_code, s.day, s.start_hour, agencies.c.unit_code)
        .select_from(
            appointments.join(appointment_slots, s.key == a.slot_key).join(agencies, agencies.c.code == s.agency_code)
        )
        .where(a.booking_code == code)
    )
    return await _one(conn, stmt)


async def set_appointment_status(conn: AsyncConnection, code: str, old: str, new: str) -> bool:
    """Move a booking from ``old`` to ``new``; False if it is no longer in ``old`` (e.g. a concurrent cancel)."""
    c = appointments.c
    stmt = appointments.update().where(c.booking_code == code, c.status == old).values(status=new)
    return bool((await conn.execute(stmt)).rowcount)


# --- paid look-ups ----------------------------------------------------------------------------------------


async def lookup_code_taken(conn: AsyncConnection, code: str) -> bool:
    c = paid_lookups.c
    return (await conn.execute(select(c.code).where(c.code == code))).first() is not None


async def insert_lookup(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(paid_lookups.insert().values(**_utc(values)))


async def lookup_for_update(conn: AsyncConnection, sqlite: bool, code: str) -> Row[Any] | None:
    stmt = select(paid_lookups, procedures.c.agency_code).select_from(
        paid_lookups.join(procedures, procedures.c.code == paid_lookups.c.procedure_code)
    )
    return await _one(conn, _locked(stmt.where(paid_lookups.c.code == code), sqlite, paid_lookups))


async def mark_lookup_paid(conn: AsyncConnection, code: str, old: str, at: dt.datetime) -> bool:
    c = paid_lookups.c
    stmt = (
        paid_lookups.update()
        .where(c.code == code, c.payment_status == old)
        .values(payment_status="PAID", paid_at=at.astimezone(dt.UTC))
    )
    return bool((await conn.execute(stmt)).rowcount)
