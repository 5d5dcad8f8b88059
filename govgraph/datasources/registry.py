"""Registry store: digitised civil-status register books and their entries (hộ tịch, DOMAIN.md §3).

A register book (sổ hộ tịch) belongs to one registry office, identified by its unit as (code, structure):
books written before 1 Jul 2025 name a legacy ward (Y2025_01), later ones a current unit (Y2025_07). Each
entry has a number ("Số") unique within its book. Type-specific content sits in one detail table per type;
every person named in an entry has a row in ``registration_people`` (indexed by personal ID) so "the
registrations of a citizen" is one statement.
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
    UniqueConstraint,
    and_,
    column,
    exists,
    func,
    or_,
    select,
    true,
    tuple_,
    values,
)
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
from govgraph.domain.text import like_pattern

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


def _at_places(code_col: Any, structure_col: Any, places: Sequence[Place]) -> ColumnElement[bool]:
    by_structure: dict[str, list[str]] = {}
    for code, structure in places:
        by_structure.setdefault(structure, []).append(code)
    return or_(*[and_(structure_col == s, code_col.in_(codes)) for s, codes in sorted(by_structure.items())])


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
            _at_places(b.office_unit_code, b.office_unit_structure, places_of(f.unit_code, f.unit_structure))
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
        where.append(_at_places(r.place_unit_code, r.place_unit_structure, places_of(f.unit_code, f.unit_structure)))
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
    store: Store, f: RegistrationFilter, order: str, descending: bool, first: int | None, after: str | None
) -> Page:
    keys = [(col, desc != descending) for col, desc in REGISTRATION_ORDERS[order]]
    return await paginate(store, _registrations().where(*_registration_where(f)), keys, first, after)


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

    def __init__(self, loaders: RegistryLoaders, register_type: str | None, first: int | None, after: str | None):
        self.size = _page_size(first)
        self.after = after
        self.register_type = register_type
        self.loaders = loaders
        self._rows: LoaderFamily[Place, list[Row[Any]]] = loaders.unit_tops
        self._counts = loaders.registration_counts_by_place

    async def load(self, places: Sequence[Place]) -> Page:
        loader = self._rows(self.register_type, self.size + 1, self.after)
        parts = await loader.load_many(list(places))
        merged: list[Row[Any]] = [r for part in parts for r in part]
        merged.sort(key=lambda r: (r.registration_date, r.id), reverse=True)
        counter = self._counts(self.register_type)

        async def count() -> int:
            return sum(n or 0 for n in await counter.load_many(list(places)))

        return _page_from(merged[: self.size + 1], UNIT_ORDER, self.size, self.after, count)


class RegistryLoaders:
    """Batched reads of the registry store, one loader per batch query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.book_by_id: OneLoader[int, Row[Any]] = OneLoader(self._books)
        self.registration_by_id: OneLoader[int, Row[Any]] = OneLoader(self._registrations)
        self.people_by_registration: ManyLoader[int, Row[Any]] = ManyLoader(self._people)
        self.notes_by_registration: ManyLoader[int, Row[Any]] = ManyLoader(self._notes)
        self.registrations_by_pid: ManyLoader[str, Row[Any]] = ManyLoader(self._by_pid)
        self.unit_tops: LoaderFamily[Place, list[Row[Any]]] = LoaderFamily(
            lambda t, limit, after: ManyLoader(lambda keys: self._unit_tops(keys, t, limit, after))
        )
        self.registration_counts_by_place: LoaderFamily[Place, int | None] = LoaderFamily(
            lambda t: OneLoader(lambda keys: self._counts(keys, t))
        )
        self.book_tops: LoaderFamily[int, list[Row[Any]]] = LoaderFamily(
            lambda limit, after: ManyLoader(lambda keys: self._book_tops(keys, limit, after))
        )

    def unit_page(self, register_type: str | None, first: int | None, after: str | None) -> _UnitPages:
        return _UnitPages(self, register_type, first, after)

    async def book_page(self, book_id: int, entry_count: int, first: int | None, after: str | None) -> Page:
        size = _page_size(first)
        rows = await self.book_tops(size + 1, after).load(book_id)

        async def count() -> int:
            return entry_count

        return _page_from(rows, BOOK_ORDER, size, after, count)

    async def _books(self, ids: Sequence[int]) -> dict[int, Row[Any]]:
        out: dict[int, Row[Any]] = {}
        for part in chunks(ids):
            rows = await self.store.all(select(register_books).where(register_books.c.id.in_(part)))
            out.update(index_one(rows, lambda r: r.id))
        return out

    async def _registrations(self, ids: Sequence[int]) -> dict[int, Row[Any]]:
        rows = await self.store.all(_registrations().where(registrations.c.id.in_(ids)))
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

    async def _by_pid(self, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        p = registration_people.c
        linked = select(p.pid, p.registration_id).where(p.pid.in_(pids)).distinct().subquery("linked")
        stmt = (
            select(linked.c.pid.label("link_pid"), *REGISTRATION_COLUMNS)
            .select_from(REGISTRATION_FROM.join(linked, linked.c.registration_id == registrations.c.id))
            .order_by(linked.c.pid, registrations.c.registration_date, registrations.c.id)
        )
        return index_many(await self.store.all(stmt), lambda r: r.link_pid)

    async def _unit_tops(
        self, places: Sequence[Place], register_type: str | None, limit: int, after: str | None
    ) -> dict[Place, list[Row[Any]]]:
        r = registrations.c
        where: list[ColumnElement[bool]] = []
        if register_type:
            where.append(r.register_type == register_type)
        if after:
            where.append(keyset_after(UNIT_ORDER, decode_cursor(after, len(UNIT_ORDER))))
        found = await _top_per_key(
            self.store, [r.place_unit_code, r.place_unit_structure], list(places), where, UNIT_ORDER, limit
        )
        return {(k[0], k[1]): v for k, v in found.items()}

    async def _counts(self, places: Sequence[Place], register_type: str | None) -> dict[Place, int]:
        r = registrations.c
        stmt = (
            select(r.place_unit_code, r.place_unit_structure, func.count().label("n"))
            .where(tuple_(r.place_unit_code, r.place_unit_structure).in_(list(places)))
            .group_by(r.place_unit_code, r.place_unit_structure)
        )
        if register_type:
            stmt = stmt.where(r.register_type == register_type)
        rows = await self.store.all(stmt)
        counts = {(row.place_unit_code, row.place_unit_structure): int(row.n) for row in rows}
        return {place: counts.get(place, 0) for place in places}

    async def _book_tops(self, ids: Sequence[int], limit: int, after: str | None) -> dict[int, list[Row[Any]]]:
        where: list[ColumnElement[bool]] = []
        if after:
            where.append(keyset_after(BOOK_ORDER, decode_cursor(after, len(BOOK_ORDER))))
        found = await _top_per_key(self.store, [registrations.c.book_id], [(i,) for i in ids], where, BOOK_ORDER, limit)
        return {k[0]: v for k, v in found.items()}
