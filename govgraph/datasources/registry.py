"""Registry store: digitised civil-status register books and their entries (hộ tịch, DOMAIN.md §3).

A register book (sổ hộ tịch) belongs to one registry office, identified by its unit as (code, structure):
books written before 1 Jul 2025 name a legacy ward (Y2025_01), later ones a current unit (Y2025_07). Each
entry has a number ("Số") unique within its book. Type-specific content sits in one detail table per type;
every person named in an entry has a row in ``registration_people`` (indexed by personal ID) so "the
registrations of a citizen" is one statement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
    UniqueConstraint,
    and_,
    column,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
    values,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

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
from govgraph.datasources.places import CURRENT, LEGACY, gazetteer
from govgraph.datasources.population import citizens, identity_documents, parent_links
from govgraph.domain.registry import BOOK_CAPACITY, book_is_full, printed_book_number
from govgraph.domain.text import fold, like_pattern

metadata = MetaData()

register_books = Table(
    "register_books",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("office_unit_code", String(5), nullable=False, comment="registry office: unit code (UBND cấp xã)"),
    Column("office_unit_structure", String(10), nullable=False, comment="structure of the code (Y2025_01/07)"),
    Column("register_type", String(10), nullable=False, comment="BIRTH, MARRIAGE or DEATH"),
    Column("year", Integer, nullable=False, comment="year of the book; numbering restarts at 01 each year"),
    Column("book_no", Integer, nullable=False, comment="quyển số: 1, 2, ... per office, type and year"),
    Column("printed_number", String(30), nullable=False, comment="as printed, e.g. 01-TP/HT-2015-KS"),
    Column("opened_on", Date, nullable=False, comment="date of the first entry"),
    Column("closed_on", Date, nullable=True, comment="last entry if the book filled up, else 31 Dec; null: open"),
    Column("entry_count", Integer, nullable=False, comment="entries written (the year-end tally)"),
    UniqueConstraint("office_unit_code", "office_unit_structure", "register_type", "year", "book_no"),
    Index("ix_register_books_year", "year", "register_type", "book_no", "id"),
    Index("ix_register_books_opened", "opened_on", "id"),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("book_id", Integer, ForeignKey("register_books.id"), nullable=False),
    Column("entry_no", Integer, nullable=False, comment="Số: sequence number within the book, from 1"),
    Column("register_type", String(10), nullable=False, comment="BIRTH, MARRIAGE or DEATH"),
    Column("registration_date", Date, nullable=False),
    Column("place_unit_code", String(5), nullable=False, comment="registration place: unit code"),
    Column("place_unit_structure", String(10), nullable=False, comment="structure of the place code"),
    Column("page_no", Integer, nullable=True, comment="physical page of the book, when legible"),
    Column("late_registration", Boolean, nullable=False, comment="registered after the legal deadline"),
    Column("signer_name", String(140), nullable=False, comment="người ký"),
    Column("signer_title", String(120), nullable=False, comment="e.g. Phó Chủ tịch UBND phường"),
    Column("civil_status_officer", String(140), nullable=False, comment="công chức tư pháp - hộ tịch"),
    Column("scan_uri", String(200), nullable=True, comment="image of the page, for digitised paper entries"),
    Column("digitised_by", String(140), nullable=True, comment="who keyed in a paper entry; null: born digital"),
    Column("digitised_at", DateTime(timezone=True), nullable=True),
    Column("verified_status", String(12), nullable=False, comment="UNVERIFIED, VERIFIED or DISCREPANCY"),
    UniqueConstraint("book_id", "entry_no", name="uq_registrations_book_entry"),
    Index("ix_registrations_place", "place_unit_code", "place_unit_structure", "registration_date", "id"),
    Index("ix_registrations_type_date", "register_type", "registration_date", "id"),
    Index("ix_registrations_date", "registration_date", "id"),
)

birth_details = Table(
    "birth_details",
    metadata,
    Column("registration_id", Integer, ForeignKey("registrations.id"), primary_key=True),
    Column("child_family_name", String(40), nullable=False),
    Column("child_middle_name", String(60), nullable=False),
    Column("child_given_name", String(40), nullable=False),
    Column("child_full_name", String(140), nullable=False, comment="as written, NFC"),
    Column("child_sex", String(6), nullable=False),
    Column("child_date_of_birth", Date, nullable=False),
    Column("birth_place", Text, nullable=False, comment="nơi sinh"),
    Column("native_place", String(120), nullable=False, comment="quê quán"),
    Column("child_ethnicity", String(30), nullable=False),
    Column("child_nationality", String(30), nullable=False),
    Column("child_pid", String(12), nullable=True, comment="personal ID as written (issued at birth from 2016)"),
    Column("father_full_name", String(140), nullable=True, comment="blank when paternity is undetermined"),
    Column("father_birth_year", Integer, nullable=True),
    Column("father_ethnicity", String(30), nullable=True),
    Column("father_nationality", String(30), nullable=True),
    Column("father_residence", Text, nullable=True),
    Column("mother_full_name", String(140), nullable=False),
    Column("mother_birth_year", Integer, nullable=False),
    Column("mother_ethnicity", String(30), nullable=False),
    Column("mother_nationality", String(30), nullable=False),
    Column("mother_residence", Text, nullable=False),
    Column("declarant_name", String(140), nullable=False, comment="người đi khai sinh"),
    Column("declarant_relationship", String(40), nullable=False, comment="relationship to the child"),
    Column("evidence", String(120), nullable=False, comment="giấy chứng sinh or witness statement"),
)

marriage_details = Table(
    "marriage_details",
    metadata,
    Column("registration_id", Integer, ForeignKey("registrations.id"), primary_key=True),
    *[
        col
        for side in ("husband", "wife")
        for col in (
            Column(f"{side}_family_name", String(40), nullable=False),
            Column(f"{side}_middle_name", String(60), nullable=False),
            Column(f"{side}_given_name", String(40), nullable=False),
            Column(f"{side}_full_name", String(140), nullable=False),
            Column(f"{side}_date_of_birth", Date, nullable=False),
            Column(f"{side}_ethnicity", String(30), nullable=False),
            Column(f"{side}_nationality", String(30), nullable=False),
            Column(f"{side}_residence", Text, nullable=False),
            Column(f"{side}_id_number", String(12), nullable=True, comment="identity document number as written"),
        )
    ],
)

death_details = Table(
    "death_details",
    metadata,
    Column("registration_id", Integer, ForeignKey("registrations.id"), primary_key=True),
    Column("deceased_family_name", String(40), nullable=False),
    Column("deceased_middle_name", String(60), nullable=False),
    Column("deceased_given_name", String(40), nullable=False),
    Column("deceased_full_name", String(140), nullable=False),
    Column("deceased_sex", String(6), nullable=False),
    Column("deceased_birth_year", Integer, nullable=False),
    Column("deceased_pid", String(12), nullable=True, comment="personal ID, if the person had one"),
    Column("deceased_nationality", String(30), nullable=False),
    Column("died_at", DateTime(timezone=True), nullable=False, comment="hour, day, month and year of death"),
    Column("death_place", Text, nullable=False),
    Column("death_cause", String(120), nullable=False),
    Column("declarant_name", String(140), nullable=False, comment="người đi khai tử"),
    Column("declarant_relationship", String(40), nullable=False),
    Column("evidence", String(120), nullable=False, comment="giấy báo tử"),
)

registration_people = Table(
    "registration_people",
    metadata,
    Column("registration_id", Integer, ForeignKey("registrations.id"), primary_key=True),
    Column("role", String(10), primary_key=True, comment="CHILD, FATHER, MOTHER, HUSBAND, WIFE, DECEASED, DECLARANT"),
    Column("pid", String(12), nullable=True, comment="personal ID, written or matched at digitisation"),
    Column("full_name", String(140), nullable=False),
    Column("name_folded", String(140), nullable=False, comment="search key"),
    Index("ix_registration_people_pid", "pid", "registration_id"),
    Index("ix_registration_people_name", "name_folded"),
)

marginal_notes = Table(
    "marginal_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False),
    Column("noted_on", Date, nullable=False),
    Column(
        "kind", String(12), nullable=False, comment="CHANGE, CORRECTION or SUPPLEMENT (thay đổi, cải chính, bổ sung)"
    ),
    Column("content", Text, nullable=False),
    Index("ix_marginal_notes_registration", "registration_id", "noted_on"),
)

PRINCIPAL_ROLES = ("CHILD", "HUSBAND", "WIFE", "DECEASED")
"""Whose name a registration is filed under (what a name search matches)."""


def _detail_columns() -> list[ColumnElement[Any]]:
    cols: list[ColumnElement[Any]] = []
    for prefix, table in (("birth_", birth_details), ("marriage_", marriage_details), ("death_", death_details)):
        cols += [c.label(prefix + c.name) for c in table.c]
    return cols


REGISTRATION_COLUMNS: list[ColumnElement[Any]] = [*registrations.c, *_detail_columns()]
"""A registration with its type's details: detail columns carry a ``birth_``/``marriage_``/``death_`` prefix."""

REGISTRATION_FROM = (
    registrations.outerjoin(birth_details, birth_details.c.registration_id == registrations.c.id)
    .outerjoin(marriage_details, marriage_details.c.registration_id == registrations.c.id)
    .outerjoin(death_details, death_details.c.registration_id == registrations.c.id)
)


def _registrations() -> Any:
    return select(*REGISTRATION_COLUMNS).select_from(REGISTRATION_FROM)


# ---------------------------------------------------------------------------------------------------------
# Units: a current unit keeps the records of the legacy wards it was formed from
# ---------------------------------------------------------------------------------------------------------

Place = tuple[str, str]
"""(unit code, structure)."""


def places_of(code: str, structure: str | None) -> list[Place]:
    """The (code, structure) pairs whose records a unit keeps.

    A current (Y2025_07) unit keeps its own and those of every legacy ward it was formed from, wholly or in part
    (so a ward split among several new units is found from each of them). A legacy unit is just itself.
    """
    structure = structure or CURRENT.value
    if structure == CURRENT.value:
        own: list[Place] = [(code, CURRENT.value)]
        return own + [(old, LEGACY.value) for old in gazetteer().legacy_codes_of(code)]
    return [(code, structure)]


def at_places(code_col: Any, structure_col: Any, places: Sequence[Place]) -> ColumnElement[bool]:
    by_structure: dict[str, list[str]] = {}
    for code, structure in places:
        by_structure.setdefault(structure, []).append(code)
    return or_(*[and_(structure_col == s, code_col.in_(codes)) for s, codes in sorted(by_structure.items())])


@dataclass(frozen=True)
class RegistryScope:
    """Which registrations a caller may see (built by ``govgraph.auth.scope.registry_scope``). Hashable, so
    batched loaders are keyed by it; :meth:`condition` is the SQL condition every read of entries carries."""

    everything: bool = False
    places: tuple[Place, ...] = ()
    """(unit code, structure) pairs whose entries are visible: an officer's unit and its legacy predecessors."""
    people: tuple[str, ...] = ()
    """Personal IDs: the entries naming any of them, in any role, are visible."""

    def condition(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        r, p = registrations.c, registration_people.c
        parts: list[ColumnElement[bool]] = []
        if self.places:
            parts.append(at_places(r.place_unit_code, r.place_unit_structure, self.places))
        if self.people:
            parts.append(r.id.in_(select(p.registration_id).where(p.pid.in_(list(self.people)))))
        return or_(*parts) if parts else false()


# ---------------------------------------------------------------------------------------------------------
# Root lists
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookFilter:
    unit_code: str | None = None
    unit_structure: str | None = None
    register_type: str | None = None
    year: int | None = None


BOOK_ORDERS = {
    "YEAR": [
        (register_books.c.year, False),
        (register_books.c.register_type, False),
        (register_books.c.book_no, False),
        (register_books.c.id, False),
    ],
    "OPENED_ON": [(register_books.c.opened_on, False), (register_books.c.id, False)],
}


async def books_page(
    store: Store, f: BookFilter, order: str, descending: bool, first: int | None, after: str | None
) -> Page:
    b = register_books.c
    stmt = select(register_books)
    if f.unit_code:
        stmt = stmt.where(
            at_places(b.office_unit_code, b.office_unit_structure, places_of(f.unit_code, f.unit_structure))
        )
    if f.register_type:
        stmt = stmt.where(b.register_type == f.register_type)
    if f.year is not None:
        stmt = stmt.where(b.year == f.year)
    keys = [(col, desc != descending) for col, desc in BOOK_ORDERS[order]]
    return await paginate(store, stmt, keys, first, after)


@dataclass(frozen=True)
class RegistrationFilter:
    register_type: str | None = None
    unit_code: str | None = None
    unit_structure: str | None = None
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    search: str | None = None
    late: bool | None = None


REGISTRATION_ORDERS = {
    "REGISTRATION_DATE": [(registrations.c.registration_date, False), (registrations.c.id, False)],
    "BOOK_ENTRY": [(registrations.c.book_id, False), (registrations.c.entry_no, False)],
}


def _registration_where(f: RegistrationFilter) -> list[ColumnElement[bool]]:
    r = registrations.c
    where: list[ColumnElement[bool]] = []
    if f.register_type:
        where.append(r.register_type == f.register_type)
    if f.unit_code:
        where.append(at_places(r.place_unit_code, r.place_unit_structure, places_of(f.unit_code, f.unit_structure)))
    if f.registered_from:
        where.append(r.registration_date >= f.registered_from)
    if f.registered_to:
        where.append(r.registration_date <= f.registered_to)
    if f.late is not None:
        where.append(r.late_registration.is_(f.late))
    if f.search:
        p = registration_people.c
        where.append(
            exists().where(
                p.registration_id == r.id,
                p.role.in_(PRINCIPAL_ROLES),
                p.name_folded.like(like_pattern(f.search), escape="\\"),
            )
        )
    return where


async def registrations_page(
    store: Store,
    f: RegistrationFilter,
    order: str,
    descending: bool,
    first: int | None,
    after: str | None,
    scope: RegistryScope,
) -> Page:
    """A page of registrations matching ``f`` within the caller's ``scope`` (its count too)."""
    keys = [(col, desc != descending) for col, desc in REGISTRATION_ORDERS[order]]
    stmt = _registrations().where(*_registration_where(f)).where(scope.condition())
    return await paginate(store, stmt, keys, first, after)


# ---------------------------------------------------------------------------------------------------------
# Pages per parent (a unit's or a book's registrations), batched: one statement for all parents
# ---------------------------------------------------------------------------------------------------------

UNIT_ORDER = [(registrations.c.registration_date, True), (registrations.c.id, True)]
"""A unit's registrations: newest first."""
BOOK_ORDER = [(registrations.c.entry_no, False)]
"""A book's registrations: in entry-number order (Số 1, 2, ...)."""


def _page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise PageError(f"`first` must be between 0 and {MAX_PAGE}, got {size}")
    return size


async def _top_per_key(
    store: Store,
    key_cols: Sequence[Any],
    keys: Sequence[tuple[Any, ...]],
    where: Sequence[ColumnElement[bool]],
    order: Sequence[tuple[Any, bool]],
    limit: int,
) -> dict[tuple[Any, ...], list[Row[Any]]]:
    """The first ``limit`` registrations in ``order`` for each key (a tuple of ``key_cols`` values).

    PostgreSQL: ``VALUES`` of the keys ``JOIN LATERAL`` an ordered, limited subquery (index range scans).
    SQLite (no LATERAL): ``row_number() over (partition by key)``.
    """
    if not keys:
        return {}
    order_by = [c.desc() if d else c.asc() for c, d in order]
    names = [c.name for c in key_cols]
    if store.is_sqlite:
        rn = func.row_number().over(partition_by=list(key_cols), order_by=order_by).label("rn")
        if len(key_cols) == 1:
            among = key_cols[0].in_([k[0] for k in keys])
        else:
            among = tuple_(*key_cols).in_(list(keys))
        inner = _registrations().add_columns(rn).where(among, *where).subquery()
        stmt = select(*[c for c in inner.c if c.name != "rn"]).where(inner.c.rn <= limit)
        rows = await store.all(stmt)
    else:
        vals = values(*[column(f"k_{n}", c.type) for n, c in zip(names, key_cols, strict=True)], name="keys").data(
            list(keys)
        )
        match = [c == vals.c[f"k_{n}"] for n, c in zip(names, key_cols, strict=True)]
        top = _registrations().where(*match, *where).order_by(*order_by).limit(limit).lateral("top")
        rows = await store.all(select(top).select_from(vals.join(top, true())))
    return index_many(rows, lambda r: tuple(r._mapping[n] for n in names))


def _page_from(
    rows: list[Row[Any]], order: Sequence[tuple[Any, bool]], size: int, after: str | None, count: Any
) -> Page:
    names = [c.name for c, _ in order]
    cursors = [encode_cursor([r._mapping[n] for n in names]) for r in rows[:size]]
    return Page(rows=rows[:size], cursors=cursors, has_next=len(rows) > size, has_previous=bool(after), count=count)


class _UnitPages:
    """``load(place_list)`` → the page of registrations kept at those places (a unit and its predecessors)."""

    def __init__(
        self,
        loaders: RegistryLoaders,
        scope: RegistryScope,
        register_type: str | None,
        first: int | None,
        after: str | None,
    ):
        self.scope = scope
        self.size = _page_size(first)
        self.after = after
        self.register_type = register_type
        self.loaders = loaders
        self._rows: LoaderFamily[Place, list[Row[Any]]] = loaders.unit_tops
        self._counts = loaders.registration_counts_by_place

    async def load(self, places: Sequence[Place]) -> Page:
        loader = self._rows(self.scope, self.register_type, self.size + 1, self.after)
        parts = await loader.load_many(list(places))
        merged: list[Row[Any]] = [r for part in parts for r in part]
        merged.sort(key=lambda r: (r.registration_date, r.id), reverse=True)
        counter = self._counts(self.scope, self.register_type)

        async def count() -> int:
            return sum(n or 0 for n in await counter.load_many(list(places)))

        return _page_from(merged[: self.size + 1], UNIT_ORDER, self.size, self.after, count)


class RegistryLoaders:
    """Batched reads of the registry store, one loader per batch query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.book_by_id: OneLoader[int, Row[Any]] = OneLoader(self._books)
        self.registration_by_id: LoaderFamily[int, Row[Any] | None] = LoaderFamily(
            lambda scope: OneLoader(lambda ids: self._registrations(ids, scope))
        )
        self.people_by_registration: ManyLoader[int, Row[Any]] = ManyLoader(self._people)
        self.notes_by_registration: ManyLoader[int, Row[Any]] = ManyLoader(self._notes)
        self.registrations_by_pid: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda scope: ManyLoader(lambda pids: self._by_pid(pids, scope))
        )
        self.unit_tops: LoaderFamily[Place, list[Row[Any]]] = LoaderFamily(
            lambda scope, t, limit, after: ManyLoader(lambda keys: self._unit_tops(keys, scope, t, limit, after))
        )
        self.registration_counts_by_place: LoaderFamily[Place, int | None] = LoaderFamily(
            lambda scope, t: OneLoader(lambda keys: self._counts(keys, scope, t))
        )
        self.book_tops: LoaderFamily[int, list[Row[Any]]] = LoaderFamily(
            lambda scope, limit, after: ManyLoader(lambda keys: self._book_tops(keys, scope, limit, after))
        )
        self.book_counts: LoaderFamily[int, int | None] = LoaderFamily(
            lambda scope: OneLoader(lambda ids: self._book_counts(ids, scope))
        )

    def unit_page(
        self, scope: RegistryScope, register_type: str | None, first: int | None, after: str | None
    ) -> _UnitPages:
        return _UnitPages(self, scope, register_type, first, after)

    async def book_page(
        self, scope: RegistryScope, book_id: int, entry_count: int, first: int | None, after: str | None
    ) -> Page:
        """A book's entries within ``scope``; the count is the book's tally when everything is visible, else
        the visible entries counted (batched over the books asked for)."""
        size = _page_size(first)
        rows = await self.book_tops(scope, size + 1, after).load(book_id)
        counter = self.book_counts(scope)

        async def count() -> int:
            if scope.everything:
                return entry_count
            return await counter.load(book_id) or 0

        return _page_from(rows, BOOK_ORDER, size, after, count)

    async def _books(self, ids: Sequence[int]) -> dict[int, Row[Any]]:
        out: dict[int, Row[Any]] = {}
        for part in chunks(ids):
            rows = await self.store.all(select(register_books).where(register_books.c.id.in_(part)))
            out.update(index_one(rows, lambda r: r.id))
        return out

    async def _registrations(self, ids: Sequence[int], scope: RegistryScope) -> dict[int, Row[Any]]:
        rows = await self.store.all(_registrations().where(registrations.c.id.in_(ids), scope.condition()))
        return index_one(rows, lambda r: r.id)

    async def _people(self, ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        p = registration_people.c
        rows = await self.store.all(select(registration_people).where(p.registration_id.in_(ids)))
        return index_many(rows, lambda r: r.registration_id)

    async def _notes(self, ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        n = marginal_notes.c
        rows = await self.store.all(
            select(marginal_notes).where(n.registration_id.in_(ids)).order_by(n.registration_id, n.noted_on, n.id)
        )
        return index_many(rows, lambda r: r.registration_id)

    async def _by_pid(self, pids: Sequence[str], scope: RegistryScope) -> dict[str, list[Row[Any]]]:
        p = registration_people.c
        linked = select(p.pid, p.registration_id).where(p.pid.in_(pids)).distinct().subquery("linked")
        stmt = (
            select(linked.c.pid.label("link_pid"), *REGISTRATION_COLUMNS)
            .select_from(REGISTRATION_FROM.join(linked, linked.c.registration_id == registrations.c.id))
            .where(scope.condition())
            .order_by(linked.c.pid, registrations.c.registration_date, registrations.c.id)
        )
        return index_many(await self.store.all(stmt), lambda r: r.link_pid)

    async def _unit_tops(
        self, places: Sequence[Place], scope: RegistryScope, register_type: str | None, limit: int, after: str | None
    ) -> dict[Place, list[Row[Any]]]:
        r = registrations.c
        where: list[ColumnElement[bool]] = [scope.condition()]
        if register_type:
            where.append(r.register_type == register_type)
        if after:
            where.append(keyset_after(UNIT_ORDER, decode_cursor(after, len(UNIT_ORDER))))
        found = await _top_per_key(
            self.store, [r.place_unit_code, r.place_unit_structure], list(places), where, UNIT_ORDER, limit
        )
        return {(k[0], k[1]): v for k, v in found.items()}

    async def _counts(
        self, places: Sequence[Place], scope: RegistryScope, register_type: str | None
    ) -> dict[Place, int]:
        r = registrations.c
        stmt = (
            select(r.place_unit_code, r.place_unit_structure, func.count().label("n"))
            .where(tuple_(r.place_unit_code, r.place_unit_structure).in_(list(places)), scope.condition())
            .group_by(r.place_unit_code, r.place_unit_structure)
        )
        if register_type:
            stmt = stmt.where(r.register_type == register_type)
        rows = await self.store.all(stmt)
        counts = {(row.place_unit_code, row.place_unit_structure): int(row.n) for row in rows}
        return {place: counts.get(place, 0) for place in places}

    async def _book_tops(
        self, ids: Sequence[int], scope: RegistryScope, limit: int, after: str | None
    ) -> dict[int, list[Row[Any]]]:
        where: list[ColumnElement[bool]] = [scope.condition()]
        if after:
            where.append(keyset_after(BOOK_ORDER, decode_cursor(after, len(BOOK_ORDER))))
        found = await _top_per_key(self.store, [registrations.c.book_id], [(i,) for i in ids], where, BOOK_ORDER, limit)
        return {k[0]: v for k, v in found.items()}

    async def _book_counts(self, ids: Sequence[int], scope: RegistryScope) -> dict[int, int]:
        r = registrations.c
        stmt = (
            select(r.book_id, func.count().label("n"))
            .where(r.book_id.in_(list(ids)), scope.condition())
            .group_by(r.book_id)
        )
        return {int(row.book_id): int(row.n) for row in await self.store.all(stmt)}


# ---------------------------------------------------------------------------------------------------------
# Writes: allocating entry numbers, writing entries, and the population side of a birth or a death
# ---------------------------------------------------------------------------------------------------------

ATTEMPTS = 50
"""Retries of an insert that lost a race for a fresh id or book number (each retry sees the winner's row)."""

DETAIL_TABLES: dict[str, Table] = {"BIRTH": birth_details, "MARRIAGE": marriage_details, "DEATH": death_details}


def _lock_key(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(("govgraph.registry", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock(conn: AsyncConnection, is_sqlite: bool, keys: Sequence[Sequence[str]]) -> None:
    """Serialise the transactions that decide about the same people (PostgreSQL advisory transaction locks,
    taken in sorted order so two transactions never wait for each other). SQLite needs none: BEGIN IMMEDIATE
    already lets one writer in at a time. Examples: ("person", pid) before checking that someone is not
    married yet or not registered dead yet."""
    if is_sqlite:
        return
    for key in sorted({_lock_key(*k) for k in keys}):
        await conn.execute(select(func.pg_advisory_xact_lock(key)))


async def _next_id(conn: AsyncConnection, table: Table) -> int:
    return int((await conn.execute(select(func.coalesce(func.max(table.c.id), 0) + 1))).scalar_one())


@dataclass(frozen=True)
class EntrySlot:
    """Where a new entry goes: its book and its number ("Số") there."""

    book_id: int
    book_no: int
    printed_number: str
    entry_no: int
    opened_book: bool


async def allocate_entry(
    conn: AsyncConnection,
    is_sqlite: bool,
    office: Place,
    register_type: str,
    on: dt.date,
    capacity: int = BOOK_CAPACITY,
) -> EntrySlot:
    """The next entry number of the office's current book of this type and year, inside the caller's
    transaction: no gap, no duplicate, whatever runs concurrently.

    The current book is the one with the highest book number of (office, type, year). It is read with
    ``SELECT ... FOR UPDATE`` on PostgreSQL (on SQLite BEGIN IMMEDIATE already holds the write lock), so
    concurrent registrations in one book queue on its row and each sees the ``entry_count`` the previous one
    committed; the entry number is ``entry_count + 1`` and the count is written back in the same transaction.
    A full book (``capacity`` entries) is closed on the date of its last entry and book N+1 opened. Two
    transactions opening the same new book: the loser's INSERT fails on the unique (office, type, year,
    book number) inside a savepoint, and it looks again, finding the winner's book. The unique constraint
    (book, entry number) on registrations stays as the last guard.
    """
    b = register_books.c
    series = [
        b.office_unit_code == office[0],
        b.office_unit_structure == office[1],
        b.register_type == register_type,
        b.year == on.year,
    ]
    for _ in range(ATTEMPTS):
        stmt = select(register_books).where(*series).order_by(b.book_no.desc()).limit(1)
        if not is_sqlite:
            stmt = stmt.with_for_update()
        book = (await conn.execute(stmt)).first()
        if book is not None and book.closed_on is None and not book_is_full(book.entry_count, capacity):
            entry_no = book.entry_count + 1
            closed = on if book_is_full(entry_no, capacity) else None
            await conn.execute(
                update(register_books).where(b.id == book.id).values(entry_count=entry_no, closed_on=closed)
            )
            return EntrySlot(book.id, book.book_no, book.printed_number, entry_no, False)
        if book is not None and book.closed_on is None:
            # Full but left open (e.g. the seed's last book of the year): close it at its last entry.
            last = (
                select(func.max(registrations.c.registration_date))
                .where(registrations.c.book_id == book.id)
                .scalar_subquery()
            )
            await conn.execute(update(register_books).where(b.id == book.id).values(closed_on=func.coalesce(last, on)))
        book_no = book.book_no + 1 if book is not None else 1
        printed = printed_book_number(book_no, on.year, register_type)
        try:
            async with conn.begin_nested():
                book_id = await _next_id(conn, register_books)
                await conn.execute(
                    insert(register_books).values(
                        id=book_id,
                        office_unit_code=office[0],
                        office_unit_structure=office[1],
                        register_type=register_type,
                        year=on.year,
                        book_no=book_no,
                        printed_number=printed,
                        opened_on=on,
                        closed_on=on if book_is_full(1, capacity) else None,
                        entry_count=1,
                    )
                )
        except IntegrityError:
            continue  # another transaction opened this book, or took the id, first: look again
        return EntrySlot(book_id, book_no, printed, 1, True)
    raise RuntimeError(f"no entry could be allocated in the {register_type} books of {office} after {ATTEMPTS} tries")


@dataclass
class NewRegistration:
    """A registration to write: the entry's own columns, its type's detail row and the people it names."""

    register_type: str
    registration_date: dt.date
    place: Place
    late: bool
    signer_name: str
    signer_title: str
    civil_status_officer: str
    details: dict[str, Any]
    """Columns of the type's detail table (without ``registration_id``)."""
    people: list[tuple[str, str | None, str]]
    """(role, personal ID or None, full name as written)."""


def _entry_conflict(exc: IntegrityError) -> bool:
    text_ = str(exc.orig)
    return "uq_registrations_book_entry" in text_ or "registrations.entry_no" in text_


async def insert_registration(conn: AsyncConnection, new: NewRegistration, slot: EntrySlot) -> int:
    """Write the entry in ``slot`` with a fresh id (max + 1, retried inside a savepoint when a concurrent
    registration in another book took it); returns the id. A clash on (book, entry number) is a bug in the
    allocation and is raised, never retried."""
    for _ in range(ATTEMPTS):
        try:
            async with conn.begin_nested():
                rid = await _next_id(conn, registrations)
                await conn.execute(
                    insert(registrations).values(
                        id=rid,
                        book_id=slot.book_id,
                        entry_no=slot.entry_no,
                        register_type=new.register_type,
                        registration_date=new.registration_date,
                        place_unit_code=new.place[0],
                        place_unit_structure=new.place[1],
                        page_no=None,
                        late_registration=new.late,
                        signer_name=new.signer_name,
                        signer_title=new.signer_title,
                        civil_status_officer=new.civil_status_officer,
                        scan_uri=None,
                        digitised_by=None,
                        digitised_at=None,
                        verified_status="VERIFIED",  # born digital
                    )
                )
        except IntegrityError as exc:
            if _entry_conflict(exc):
                raise
            continue
        break
    else:
        raise RuntimeError(f"no registration id could be allocated after {ATTEMPTS} tries")
    await conn.execute(insert(DETAIL_TABLES[new.register_type]).values(registration_id=rid, **new.details))
    await conn.execute(
        insert(registration_people),
        [
            {"registration_id": rid, "role": role, "pid": pid, "full_name": name, "name_folded": fold(name)}
            for role, pid, name in new.people
        ],
    )
    return rid


async def pid_in_registry(store: Store, pid: str) -> bool:
    """Whether any entry names this personal ID (so it cannot be issued to a new-born)."""
    p = registration_people.c
    return await store.scalar(select(p.registration_id).where(p.pid == pid).limit(1)) is not None


async def death_registration_of(conn: AsyncConnection, pid: str) -> int | None:
    """The death entry of this person, if one is written."""
    p = registration_people.c
    stmt = select(p.registration_id).where(p.pid == pid, p.role == "DECEASED").limit(1)
    found = (await conn.execute(stmt)).scalar()
    return int(found) if found is not None else None


async def death_registered(store: Store, pid: str) -> bool:
    """Whether a committed death entry names this person."""
    p = registration_people.c
    stmt = select(p.registration_id).where(p.pid == pid, p.role == "DECEASED").limit(1)
    return await store.scalar(stmt) is not None


@dataclass(frozen=True)
class Marriage:
    registration_id: int
    pid: str
    spouse_pid: str | None


async def current_marriages(conn: AsyncConnection, pids: Sequence[str]) -> list[Marriage]:
    """Marriages of these people that the registry does not show as ended: neither spouse has a death entry.

    This store has no divorce entries: a divorce is decided by a court and only noted in the margin of the
    marriage entry (ghi chú việc ly hôn), so a marriage with a marginal note mentioning "ly hôn" counts as
    ended too. The caller also drops those whose spouse is dead in the population register."""
    me = registration_people.alias("me")
    other = registration_people.alias("other")
    dead = registration_people.alias("dead")
    r = registrations.c
    n = marginal_notes.c
    stmt = (
        select(me.c.registration_id, me.c.pid, other.c.pid.label("spouse_pid"))
        .select_from(
            me.join(registrations, r.id == me.c.registration_id).outerjoin(
                other,
                and_(
                    other.c.registration_id == me.c.registration_id,
                    other.c.role.in_(("HUSBAND", "WIFE")),
                    other.c.role != me.c.role,
                ),
            )
        )
        .where(
            me.c.pid.in_(list(pids)),
            me.c.role.in_(("HUSBAND", "WIFE")),
            r.register_type == "MARRIAGE",
            ~exists().where(dead.c.role == "DECEASED", dead.c.pid.in_([me.c.pid, other.c.pid])),
            ~exists().where(n.registration_id == r.id, n.content.like("%ly hôn%")),
        )
        .order_by(me.c.registration_id)
    )
    rows = (await conn.execute(stmt)).all()
    return [Marriage(int(row.registration_id), row.pid, row.spouse_pid) for row in rows]


async def birth_registered(
    conn: AsyncConnection, child_name_folded: str, date_of_birth: dt.date, mother_name_folded: str
) -> int | None:
    """An existing birth entry of a child of this name and date of birth with a mother of this name
    (a birth is registered once; re-registration is another procedure)."""
    child = registration_people.alias("child")
    mother = registration_people.alias("mother")
    stmt = (
        select(child.c.registration_id)
        .select_from(
            child.join(birth_details, birth_details.c.registration_id == child.c.registration_id).join(
                mother, and_(mother.c.registration_id == child.c.registration_id, mother.c.role == "MOTHER")
            )
        )
        .where(
            child.c.role == "CHILD",
            child.c.name_folded == child_name_folded,
            birth_details.c.child_date_of_birth == date_of_birth,
            mother.c.name_folded == mother_name_folded,
        )
        .limit(1)
    )
    found = (await conn.execute(stmt)).scalar()
    return int(found) if found is not None else None


async def child_pid_of(store: Store, registration_id: int) -> str | None:
    found = await store.scalar(
        select(birth_details.c.child_pid).where(birth_details.c.registration_id == registration_id)
    )
    return str(found) if found is not None else None


# -- the population store (another database: no shared transaction) ---------------------------------------


async def citizen_row(population: Store, pid: str) -> Row[Any] | None:
    """A citizen read straight from the population store (not through a request's cached loader)."""
    rows = await population.all(select(citizens).where(citizens.c.pid == pid))
    return rows[0] if rows else None


async def insert_citizen(population: Store, row: dict[str, Any], parents: Sequence[tuple[str, str]]) -> bool:
    """Create a citizen and their parent links ((parent pid, FATHER/MOTHER)) in one population transaction.

    False when the personal ID is already taken (the primary key refused it): pick another serial."""
    try:
        async with population.begin() as conn:
            await conn.execute(insert(citizens).values(**row))
            if parents:
                await conn.execute(
                    insert(parent_links),
                    [{"parent_pid": p, "child_pid": row["pid"], "relation": rel} for p, rel in parents],
                )
    except IntegrityError:
        if await citizen_row(population, row["pid"]) is not None:
            return False
        raise
    return True


async def delete_citizen(population: Store, pid: str) -> None:
    """Compensation: remove a citizen created for a birth whose registration was not written."""
    async with population.begin() as conn:
        await conn.execute(parent_links.delete().where(parent_links.c.child_pid == pid))
        await conn.execute(identity_documents.delete().where(identity_documents.c.pid == pid))
        await conn.execute(citizens.delete().where(citizens.c.pid == pid))


async def close_personal_id(population: Store, pid: str, day: dt.date) -> tuple[bool, dt.date | None]:
    """Set the date of death (closing the personal ID) unless one is recorded.

    Returns (changed, the date now recorded): (True, day) when this call set it, (False, recorded date) when
    one was already there (the same day: a retry; another day: a conflict for the caller to report), and
    (False, None) when no such citizen exists."""
    c = citizens.c
    async with population.begin() as conn:
        done = await conn.execute(
            update(citizens).where(c.pid == pid, c.date_of_death.is_(None)).values(date_of_death=day)
        )
        if done.rowcount:
            return True, day
        found = (await conn.execute(select(c.date_of_death).where(c.pid == pid))).first()
    return False, (found.date_of_death if found is not None else None)


async def reopen_personal_id(population: Store, pid: str, day: dt.date) -> None:
    """Compensation: clear a date of death this request set, if it is still the one it set."""
    c = citizens.c
    async with population.begin() as conn:
        await conn.execute(update(citizens).where(c.pid == pid, c.date_of_death == day).values(date_of_death=None))
