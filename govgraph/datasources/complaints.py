"""Complaints store: complaints (khiếu nại) and denunciations (tố cáo), their history, complainants, and the
sealed denouncer identities (DOMAIN.md §6).

Deadlines are not stored: they are computed from the dates below (``govgraph.domain.complaints``). The
"overdue" filter turns the deadline rules into date thresholds for ``today`` so the database can apply it.

Confidentiality (Law on Denunciations Art. 56): nothing in ``cases``, ``case_events`` or ``complainants`` names a
denouncer. A denunciation carries only an opaque random ``denouncer_token``; the identity lives in
``denouncer_identities``, which only ``ComplaintsLoaders._denouncers`` reads: the loader behind the guarded
``Case.denouncer`` field (readers: the resolver, the staff they designated in ``denouncer_readers``, the
denouncer themselves; every staff read is purpose-bound and audited) and the citizens' row scope (their own
personal ID only). The write path touches it only to seal a new identity, to answer yes/no to "is this citizen
the denouncer of this case" (a withdrawal), and to redact the identity out of free text recorded on the case;
the identity itself never leaves these functions. The table has no foreign key to ``cases`` so that it can move to
its own encrypted store.

Case codes come from ``case_serials`` (one row per prefix and year, incremented inside the filing
transaction), so concurrent filings get consecutive serials with no gaps or duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from govgraph.auth import scope
from govgraph.auth.identity import Principal, Role
from govgraph.datasources.base import (
    DEFAULT_PAGE,
    MAX_PAGE,
    LoaderFamily,
    ManyLoader,
    OneLoader,
    Page,
    PageError,
    Store,
    chunks,
    decode_cursor,
    encode_cursor,
    index_many,
    index_one,
    keyset_after,
    paginate,
)
from govgraph.domain.complaints import (
    MAX_EXTENSIONS,
    CaseKind,
    Complexity,
    Phase,
    overdue_rules,
    statuses_in,
)

HANOI = dt.timezone(dt.timedelta(hours=7))

metadata = MetaData()

cases = Table(
    "cases",
    metadata,
    Column("code", String(16), primary_key=True, comment="Case code: KN-<year>-<serial> or TC-<year>-<serial>"),
    Column("kind", String(12), nullable=False, comment="COMPLAINT (khiếu nại) or DENUNCIATION (tố cáo)"),
    Column("instance", String(6), nullable=True, comment="Complaints: FIRST or SECOND (lần đầu / lần hai)"),
    Column("status", String(20), nullable=False, comment="Unified status (domain.complaints.CaseStatus)"),
    Column(
        "complexity",
        String(20),
        nullable=False,
        server_default="NORMAL",
        comment="NORMAL, COMPLEX (phức tạp) or ESPECIALLY_COMPLEX (đặc biệt phức tạp)",
    ),
    Column(
        "remote_area",
        Boolean,
        nullable=False,
        server_default=false(),
        comment="Vùng sâu, vùng xa, đi lại khó khăn: longer complaint deadlines",
    ),
    Column("received_at", DateTime(timezone=True), nullable=False, comment="When the petition was received"),
    Column("accepted_at", DateTime(timezone=True), nullable=True, comment="Thụ lý: starts the resolution clock"),
    Column(
        "extensions",
        SmallInteger,
        nullable=False,
        server_default="0",
        comment="Denunciations: resolution extensions granted (gia hạn), 0-2",
    ),
    Column(
        "concluded_at",
        DateTime(timezone=True),
        nullable=True,
        comment="When the decision (khiếu nại) or conclusion (tố cáo) was issued, or the case otherwise ended",
    ),
    Column("unit_code", String(5), nullable=False, comment="Administrative unit the case is handled in"),
    Column("unit_structure", String(10), nullable=False, comment="Structure of unit_code (Y2025_07 or Y2025_01)"),
    Column("agency_name", String(200), nullable=False, comment="Who resolves: e.g. 'Chủ tịch UBND phường Cửa Nam'"),
    Column("inspector_id", String(12), nullable=True, comment="Staff account of the assigned inspector"),
    Column("inspector_name", String(80), nullable=True),
    Column(
        "subject",
        Text,
        nullable=False,
        comment="What the case is about; for denunciations the REDACTED petition (Art. 56)",
    ),
    Column("contested_act", Text, nullable=True, comment="Complaints: the administrative decision or act contested"),
    Column(
        "contested_on",
        Date,
        nullable=True,
        comment="Complaints: when the complainant received or learned of the contested act (Art. 9 clock)",
    ),
    Column("outcome", Text, nullable=True, comment="Decision or conclusion summary, or the reason it ended"),
    Column(
        "first_instance_code",
        String(16),
        ForeignKey("cases.code"),
        nullable=True,
        comment="Second-instance complaints: the first-instance case",
    ),
    Column(
        "denouncer_token",
        String(32),
        nullable=True,
        unique=True,
        comment="Denunciations: opaque key of the sealed identity in denouncer_identities",
    ),
    CheckConstraint(f"extensions BETWEEN 0 AND {MAX_EXTENSIONS}", name="ck_cases_extensions"),
    CheckConstraint(
        "(kind = 'COMPLAINT' AND instance IS NOT NULL AND denouncer_token IS NULL)"
        " OR (kind = 'DENUNCIATION' AND instance IS NULL)",
        name="ck_cases_kind_instance",
    ),
    Index("ix_cases_unit_received", "unit_code", "unit_structure", "received_at", "code"),
    Index("ix_cases_received", "received_at", "code"),
    Index("ix_cases_inspector", "inspector_id", "received_at"),
    Index("ix_cases_kind_status", "kind", "status"),
    Index("ix_cases_status_accepted", "status", "accepted_at"),
    Index("ix_cases_first_instance", "first_instance_code"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_code", String(16), ForeignKey("cases.code"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, comment="When the status changed"),
    Column("status", String(20), nullable=False, comment="The status the case entered"),
    Column("actor_id", String(20), nullable=False, comment="Staff account that made the change"),
    Column("actor_name", String(80), nullable=False),
    Column("note", Text, nullable=True, comment="Document number or reason"),
    Index("ix_case_events_case_at", "case_code", "at", "id"),
)

complainants = Table(
    "complainants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_code", String(16), ForeignKey("cases.code"), nullable=False),
    Column("position", SmallInteger, nullable=False, comment="1 = the lead complainant, then co-complainants"),
    Column("pid", String(12), nullable=True, comment="Personal ID number, when known"),
    Column("full_name", String(140), nullable=False, comment="As written on the petition"),
    Column("address", Text, nullable=True, comment="As written on the petition"),
    Column("phone", String(11), nullable=True),
    Index("ix_complainants_case", "case_code", "position"),
    Index("ix_complainants_pid", "pid"),
)

denouncer_identities = Table(
    "denouncer_identities",
    metadata,
    Column("token", String(32), primary_key=True, comment="Opaque random token held by the case"),
    Column("pid", String(12), nullable=True, comment="Personal ID number (secret: Mật, Decision 774/QĐ-TTg)"),
    Column("full_name", String(140), nullable=False, comment="Secret"),
    Column("address", Text, nullable=True, comment="Secret"),
    Column("phone", String(11), nullable=True, comment="Secret"),
    Column("sealed_at", DateTime(timezone=True), nullable=False, comment="When the identity was sealed"),
    comment="SEALED: the identities of denouncers (Law on Denunciations Art. 9, 47, 56). Not read by the API.",
)

case_serials = Table(
    "case_serials",
    metadata,
    Column("prefix", String(2), primary_key=True, comment="KN (khiếu nại) or TC (tố cáo)"),
    Column("year", Integer, primary_key=True, comment="Year of receipt (Hanoi time)"),
    Column("last", Integer, nullable=False, comment="Last serial given in this prefix and year"),
    comment="Case code counters: incremented in the filing transaction (no gaps, no duplicates).",
)

denouncer_readers = Table(
    "denouncer_readers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_code", String(16), ForeignKey("cases.code"), nullable=False),
    Column("staff_id", String(20), nullable=False, comment="Staff account allowed to read the denouncer identity"),
    Column(
        "designated_by",
        String(20),
        nullable=False,
        comment="The resolver who designated them; the designation lapses when the case gets another resolver",
    ),
    Column("designated_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False, comment="Why the designated officer needs the identity"),
    Column("revoked_at", DateTime(timezone=True), nullable=True, comment="When the resolver withdrew it"),
    Index("ix_denouncer_readers_case", "case_code", "staff_id"),
    Index("ix_denouncer_readers_staff", "staff_id"),
    comment="Who the resolver of a denunciation designated to read the sealed identity (Art. 56). Never exposed.",
)

# What queries read of a case: every column except the denouncer token.
CASE_COLUMNS = [c for c in cases.c if c.name != "denouncer_token"]


def designated_for(staff_id: str) -> Any:
    """Cases whose current resolver (the assigned inspector) designated ``staff_id`` as a reader of the sealed
    identity, and has not revoked it: a correlated condition on ``cases``."""
    r = denouncer_readers.c
    return (
        exists()
        .where(
            r.case_code == cases.c.code,
            r.staff_id == staff_id,
            r.designated_by == cases.c.inspector_id,
            r.revoked_at.is_(None),
        )
        .correlate(cases)
    )


def viewer_columns(p: Principal) -> list[Any]:
    """Two columns that describe the data subject of each case row for the field policy, as seen by ``p``:

    - ``owner_pid``: the person the case is about. For a citizen it is the citizen themselves: their row scope
      only returns cases they petitioned (this is how SELF reads their own denunciation without any query
      touching the sealed identity of anyone else). For staff it is the lead complainant of a complaint (their
      reads are audited against that person) and NULL for a denunciation: audit entries of staff reads of a
      denunciation never carry the denouncer's personal ID (admins could otherwise look denouncers up in
      ``auditLog(filter: {subjectPersonalId})``).
    - ``designated_viewer``: ``p``'s staff id when the case's resolver designated them (``denouncer_readers``),
      else NULL: only the viewer's own designation is read, never the list.
    """
    if p.role is Role.CITIZEN:
        owner: Any = literal(p.subject, String(12))
    else:
        lead = complainants.alias("lead").c
        owner = (
            select(lead.pid)
            .where(lead.case_code == cases.c.code, lead.position == 1)
            .limit(1)
            .correlate(cases)
            .scalar_subquery()
        )
    designated: Any = literal(None, String(20))
    if p.role in (Role.OFFICER, Role.INSPECTOR) and p.subject:
        designated = case((designated_for(p.subject), literal(p.subject, String(20))), else_=None)
    return [owner.label("owner_pid"), designated.label("designated_viewer")]


def case_columns(p: Principal) -> list[Any]:
    return [*CASE_COLUMNS, *viewer_columns(p)]


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of a Hanoi day, in UTC (how a stored time is compared with a local date)."""
    return dt.datetime.combine(day, dt.time(0), HANOI).astimezone(dt.UTC)


def hanoi_today() -> dt.date:
    return dt.datetime.now(HANOI).date()


def overdue_clause(today: dt.date) -> ColumnElement[bool]:
    """True for cases whose running deadline has passed on ``today`` (same rules as ``domain.deadlines``)."""
    c = cases.c
    intake = [s.name for s in statuses_in(Phase.INTAKE)]
    running = [s.name for s in statuses_in(Phase.RESOLUTION)]
    clauses = []
    for rule in overdue_rules(today):
        before = day_start(rule.started_by + dt.timedelta(days=1))
        if rule.phase is Phase.INTAKE:
            clauses.append(and_(c.kind == rule.kind.name, c.status.in_(intake), c.received_at < before))
            continue
        parts = [c.kind == rule.kind.name, c.status.in_(running), c.accepted_at.is_not(None), c.accepted_at < before]
        if rule.instance is not None:
            parts.append(c.instance == rule.instance.name)
        if rule.complex_ is not None:
            parts.append(
                c.complexity != Complexity.NORMAL.name if rule.complex_ else c.complexity == Complexity.NORMAL.name
            )
        if rule.remote_area is not None:
            parts.append(c.remote_area == rule.remote_area)
        if rule.extensions is not None:
            parts.append(c.extensions == rule.extensions)
        clauses.append(and_(*parts))
    return or_(*clauses)


@dataclass(frozen=True)
class CaseFilter:
    kind: str | None = None
    statuses: tuple[str, ...] = ()
    unit_code: str | None = None
    unit_structure: str | None = None
    inspector_id: str | None = None
    overdue: bool | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    today: dt.date | None = None
    """The day "overdue" is judged on (default: today in Hanoi)."""


def _filtered(f: CaseFilter, p: Principal) -> Any:
    c = cases.c
    stmt = select(*case_columns(p)).where(scope.cases(p))
    if f.kind:
        stmt = stmt.where(c.kind == f.kind)
    if f.statuses:
        stmt = stmt.where(c.status.in_(f.statuses))
    if f.unit_code:
        stmt = stmt.where(c.unit_code == f.unit_code)
    if f.unit_structure:
        stmt = stmt.where(c.unit_structure == f.unit_structure)
    if f.inspector_id:
        stmt = stmt.where(c.inspector_id == f.inspector_id)
    if f.received_from:
        stmt = stmt.where(c.received_at >= day_start(f.received_from))
    if f.received_to:
        stmt = stmt.where(c.received_at < day_start(f.received_to + dt.timedelta(days=1)))
    if f.overdue is not None:
        clause = overdue_clause(f.today or hanoi_today())
        stmt = stmt.where(clause if f.overdue else not_(clause))
    return stmt


ORDERS = {
    "RECEIVED_AT": [(cases.c.received_at, False), (cases.c.code, False)],
    "CODE": [(cases.c.code, False)],
}


async def cases_page(
    store: Store, f: CaseFilter, order: str, descending: bool, first: int | None, after: str | None, p: Principal
) -> Page:
    """A page of the cases ``p`` may see (row scope in the statement, so ``totalCount`` agrees)."""
    keys = [(col, desc != descending) for col, desc in ORDERS[order]]
    return await paginate(store, _filtered(f, p), keys, first, after)


@dataclass(frozen=True)
class StatusCount:
    kind: str
    status: str
    count: int
    overdue: int


async def case_statistics(
    store: Store, unit_code: str | None, unit_structure: str | None, today: dt.date, p: Principal
) -> list[StatusCount]:
    """Counts by kind and status (and how many of each are overdue) of the cases ``p`` may see, in one
    statement."""
    c = cases.c
    overdue = func.sum(case((overdue_clause(today), 1), else_=0))
    stmt = (
        select(c.kind, c.status, func.count().label("n"), overdue.label("overdue"))
        .where(scope.cases(p))
        .group_by(c.kind, c.status)
    )
    if unit_code:
        stmt = stmt.where(c.unit_code == unit_code)
    if unit_structure:
        stmt = stmt.where(c.unit_structure == unit_structure)
    rows = await store.all(stmt.order_by(c.kind, c.status))
    return [StatusCount(r.kind, r.status, int(r.n), int(r.overdue or 0)) for r in rows]


# ---------------------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------------------

UnitKey = tuple[str, str]
"""(unit code, structure)."""

UNIT_ORDER = [(cases.c.received_at, True), (cases.c.code, True)]
"""Cases of a unit: newest first."""


def unit_order_cursor(row: Row[Any]) -> str:
    return encode_cursor([row.received_at, row.code])


class ComplaintsLoaders:
    """Batched reads of the complaints store, one loader per batch query.

    Loaders that return cases are families keyed by the caller (``Principal``): their statements carry the
    caller's row scope (``govgraph.auth.scope.cases``) and the viewer columns (``viewer_columns``). Loaders keyed
    by case code (history, complainants) serve cases already loaded through a scoped loader.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.case_by_code: LoaderFamily[str, Row[Any] | None] = LoaderFamily(self._cases_loader)
        self.events_by_case: ManyLoader[str, Row[Any]] = ManyLoader(self._events)
        self.complainants_by_case: ManyLoader[str, Row[Any]] = ManyLoader(self._complainants)
        self.complaints_by_pid: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(self._complaints_of_loader)
        self.cases_by_unit: LoaderFamily[UnitKey, list[Row[Any]]] = LoaderFamily(self._unit_cases_loader)
        self.case_count_by_unit: LoaderFamily[UnitKey, int | None] = LoaderFamily(self._unit_count_loader)
        self.denouncer_by_case: OneLoader[str, Row[Any]] = OneLoader(self._denouncers)

    def _cases_loader(self, p: Principal) -> OneLoader[str, Row[Any]]:
        async def fetch(codes: Sequence[str]) -> dict[str, Row[Any]]:
            out: dict[str, Row[Any]] = {}
            for part in chunks(codes):
                stmt = select(*case_columns(p)).where(cases.c.code.in_(part), scope.cases(p))
                out.update(index_one(await self.store.all(stmt), lambda r: r.code))
            return out

        return OneLoader(fetch)

    async def _denouncers(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        """THE read of the sealed table: only the guarded ``Case.denouncer`` field calls it, after the field
        policy allowed the caller (and recorded the read in the audit trail)."""
        d = denouncer_identities.c
        stmt = (
            select(cases.c.code, d.full_name, d.pid, d.address, d.phone)
            .join(denouncer_identities, d.token == cases.c.denouncer_token)
            .where(cases.c.code.in_(codes), cases.c.kind == CaseKind.DENUNCIATION.name)
        )
        return index_one(await self.store.all(stmt), lambda r: r.code)

    async def _events(self, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        e = case_events.c
        stmt = select(case_events).where(e.case_code.in_(codes)).order_by(e.case_code, e.at, e.id)
        return index_many(await self.store.all(stmt), lambda r: r.case_code)

    async def _complainants(self, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        p = complainants.c
        stmt = select(complainants).where(p.case_code.in_(codes)).order_by(p.case_code, p.position)
        return index_many(await self.store.all(stmt), lambda r: r.case_code)

    def _complaints_of_loader(self, viewer: Principal) -> ManyLoader[str, Row[Any]]:
        async def fetch(pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
            """Complaints (never denunciations) each person filed or co-signed that ``viewer`` may see, oldest
            first."""
            p = complainants.c
            stmt = (
                select(p.pid.label("link_key"), *case_columns(viewer))
                .join(cases, cases.c.code == p.case_code)
                .where(p.pid.in_(pids), cases.c.kind == CaseKind.COMPLAINT.name, scope.cases(viewer))
                .order_by(p.pid, cases.c.received_at, cases.c.code)
            )
            return index_many(await self.store.all(stmt), lambda r: r.link_key)

        return ManyLoader(fetch)

    def _unit_cases_loader(
        self, kind: str | None, size: int, after: str | None, p: Principal
    ) -> ManyLoader[UnitKey, Row[Any]]:
        async def fetch(keys: Sequence[UnitKey]) -> dict[UnitKey, list[Row[Any]]]:
            return await self._unit_cases(keys, kind, size, after, p)

        return ManyLoader(fetch)

    async def _unit_cases(
        self, keys: Sequence[UnitKey], kind: str | None, size: int, after: str | None, p: Principal
    ) -> dict[UnitKey, list[Row[Any]]]:
        """The newest ``size + 1`` cases of each unit that ``p`` may see (after a cursor): one statement per
        structure."""
        c = cases.c
        columns = case_columns(p)
        out: dict[UnitKey, list[Row[Any]]] = {}
        by_structure: dict[str, list[str]] = defaultdict(list)
        for code, structure in keys:
            by_structure[structure].append(code)
        for structure, codes in by_structure.items():
            conds: list[ColumnElement[bool]] = [c.unit_structure == structure, scope.cases(p)]
            if kind:
                conds.append(c.kind == kind)
            if after:
                conds.append(keyset_after(UNIT_ORDER, decode_cursor(after, len(UNIT_ORDER))))
            order = [c.received_at.desc(), c.code.desc()]
            if self.store.is_sqlite:
                rn = func.row_number().over(partition_by=c.unit_code, order_by=order).label("rn")
                inner = select(*columns, rn).where(c.unit_code.in_(codes), *conds).subquery()
                stmt = (
                    select(*[inner.c[col.name] for col in columns])
                    .where(inner.c.rn <= size + 1)
                    .order_by(inner.c.unit_code, inner.c.rn)
                )
            else:
                k = select(func.unnest(literal(list(codes), ARRAY(String))).label("code")).subquery("k")
                lat = (
                    select(*columns)
                    .where(c.unit_code == k.c.code, *conds)
                    .order_by(*order)
                    .limit(size + 1)
                    .lateral("c")
                )
                stmt = select(lat).select_from(k.join(lat, true()))
            rows = await self.store.all(stmt)
            for code, found in index_many(rows, lambda r: r.unit_code).items():
                out[(code, structure)] = found
        return out

    def _unit_count_loader(self, kind: str | None, p: Principal) -> OneLoader[UnitKey, int]:
        async def fetch(keys: Sequence[UnitKey]) -> dict[UnitKey, int]:
            c = cases.c
            out: dict[UnitKey, int] = {}
            by_structure: dict[str, list[str]] = defaultdict(list)
            for code, structure in keys:
                by_structure[structure].append(code)
            for structure, codes in by_structure.items():
                stmt = (
                    select(c.unit_code, func.count().label("n"))
                    .where(c.unit_structure == structure, c.unit_code.in_(codes), scope.cases(p))
                    .group_by(c.unit_code)
                )
                if kind:
                    stmt = stmt.where(c.kind == kind)
                for r in await self.store.all(stmt):
                    out[(r.unit_code, structure)] = int(r.n)
            return {k: out.get(k, 0) for k in keys}

        return OneLoader(fetch)


def unit_page(rows: list[Row[Any]], size: int, after: str | None, count: Any) -> Page:
    """A Page from the ``size + 1`` rows the unit loader fetched."""
    return Page(
        rows=rows[:size],
        cursors=[unit_order_cursor(r) for r in rows[:size]],
        has_next=len(rows) > size,
        has_previous=bool(after),
        count=count,
    )


def check_page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise PageError(f"`first` must be between 0 and {MAX_PAGE}, got {size}")
    return size


# ---------------------------------------------------------------------------------------------------------
# Writes (inside the caller's transaction: ``conn`` is ``Tx.conn``)
# ---------------------------------------------------------------------------------------------------------

CODE_PREFIX = {CaseKind.COMPLAINT: "KN", CaseKind.DENUNCIATION: "TC"}


def case_code(kind: CaseKind, year: int, serial: int) -> str:
    return f"{CODE_PREFIX[kind]}-{year}-{serial:06d}"


async def next_serial(conn: AsyncConnection, kind: CaseKind, year: int) -> int:
    """The next serial for ``kind`` in ``year``: the counter row is locked by the UPDATE until commit, so
    concurrent filings queue on it (PostgreSQL) or on the write lock (SQLite); a rollback returns the number."""
    prefix = CODE_PREFIX[kind]
    s = case_serials.c
    bump = update(case_serials).where(s.prefix == prefix, s.year == year).values(last=s.last + 1).returning(s.last)
    found = (await conn.execute(bump)).scalar_one_or_none()
    if found is not None:
        return int(found)
    # First filing of the year (or a store seeded without counters): start after the highest code there is.
    low, high = f"{prefix}-{year}-", f"{prefix}-{year}."
    top = (await conn.execute(select(func.max(cases.c.code)).where(cases.c.code > low, cases.c.code < high))).scalar()
    start = int(top.rsplit("-", 1)[1]) if top else 0
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(insert(case_serials).values(prefix=prefix, year=year, last=start).on_conflict_do_nothing())
    return int((await conn.execute(bump)).scalar_one())


async def insert_case(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(cases.insert().values(**row))


async def insert_complainant(
    conn: AsyncConnection, code: str, pid: str | None, full_name: str, address: str | None, phone: str | None
) -> None:
    await conn.execute(
        complainants.insert().values(
            case_code=code, position=1, pid=pid, full_name=full_name, address=address, phone=phone
        )
    )


async def seal_identity(
    conn: AsyncConnection,
    token: str,
    pid: str | None,
    full_name: str,
    address: str | None,
    phone: str | None,
    at: dt.datetime,
) -> None:
    """Store a denouncer's identity under ``token`` in the sealed table (nothing else names them)."""
    await conn.execute(
        denouncer_identities.insert().values(
            token=token, pid=pid, full_name=full_name, address=address, phone=phone, sealed_at=at
        )
    )


async def append_event(
    conn: AsyncConnection, code: str, at: dt.datetime, status: str, actor_id: str, actor_name: str, note: str | None
) -> None:
    await conn.execute(
        case_events.insert().values(
            case_code=code, at=at, status=status, actor_id=actor_id, actor_name=actor_name, note=note
        )
    )


async def case_for_update(conn: AsyncConnection, code: str) -> Row[Any] | None:
    """The case row (with its denouncer token, for the write path only), locked until commit on PostgreSQL;
    SQLite's write transaction already holds the database lock."""
    stmt = select(cases).where(cases.c.code == code)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def update_case(conn: AsyncConnection, code: str, expected_status: str, values: dict[str, Any]) -> bool:
    """Change a case only if it is still in ``expected_status``; False if it moved meanwhile."""
    stmt = update(cases).where(cases.c.code == code, cases.c.status == expected_status).values(**values)
    return bool((await conn.execute(stmt)).rowcount)


async def complainant_pids(conn: AsyncConnection, code: str) -> list[str]:
    """Personal IDs of a complaint's signatories, lead first."""
    p = complainants.c
    rows = await conn.execute(select(p.pid).where(p.case_code == code, p.pid.is_not(None)).order_by(p.position))
    return [r.pid for r in rows]


async def is_denouncer(conn: AsyncConnection, token: str | None, pid: str) -> bool:
    """Yes or no: is ``pid`` the sealed denouncer behind ``token``? (The identity is not returned.)"""
    if not token:
        return False
    d = denouncer_identities.c
    found = await conn.execute(select(literal(1)).where(d.token == token, d.pid == pid))
    return found.first() is not None


async def sealed_secrets(conn: AsyncConnection, token: str | None) -> list[str | None]:
    """The sealed details, ONLY to redact them out of text about to be recorded on the case (Art. 56)."""
    if not token:
        return []
    d = denouncer_identities.c
    row = (await conn.execute(select(d.full_name, d.pid, d.address, d.phone).where(d.token == token))).first()
    return list(row) if row else []


async def designate_reader(
    conn: AsyncConnection, code: str, staff_id: str, designated_by: str, reason: str, at: dt.datetime
) -> bool:
    """Record that the resolver ``designated_by`` allows ``staff_id`` to read the case's sealed identity; False
    when that designation is already in force."""
    r = denouncer_readers.c
    found = await conn.execute(
        select(r.id).where(
            r.case_code == code, r.staff_id == staff_id, r.designated_by == designated_by, r.revoked_at.is_(None)
        )
    )
    if found.first() is not None:
        return False
    await conn.execute(
        denouncer_readers.insert().values(
            case_code=code, staff_id=staff_id, designated_by=designated_by, designated_at=at, reason=reason
        )
    )
    return True


async def revoke_reader(conn: AsyncConnection, code: str, staff_id: str, at: dt.datetime) -> bool:
    """Withdraw every designation of ``staff_id`` on the case (kept, with the time it was revoked)."""
    r = denouncer_readers.c
    stmt = (
        update(denouncer_readers)
        .where(r.case_code == code, r.staff_id == staff_id, r.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return bool((await conn.execute(stmt)).rowcount)
