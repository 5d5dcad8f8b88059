"""Resolvers for the registry store (civil registration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govgraph.context import Info
from govgraph.datasources import registry as ds
from govgraph.datasources.places import gazetteer
from govgraph.schema import common
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types
from govgraph.schema import registry as types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def unit(code: str, structure: str) -> places_types.AdministrativeUnit | None:
    found = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(found) if found else None


def _int_ids(node_ids: list[str]) -> list[int | None]:
    return [int(n) if n.isdigit() else None for n in node_ids]


async def books_by_id(info: Info, node_ids: list[str], required: bool) -> list[types.RegisterBook | None]:
    ids = _int_ids(node_ids)
    rows = await info.context.loaders.registry.book_by_id.load_many([i for i in ids if i is not None])
    found = {r.id: r for r in rows if r is not None}
    return common.ordered([types.RegisterBook.from_row(found[i]) if i in found else None for i in ids], required)


async def registrations_by_id(info: Info, node_ids: list[str], required: bool) -> list[types.CivilRegistration | None]:
    ids = _int_ids(node_ids)
    rows = await info.context.loaders.registry.registration_by_id.load_many([i for i in ids if i is not None])
    found = {r.id: r for r in rows if r is not None}
    made = [types.CivilRegistration.from_row(found[i]) if i in found else None for i in ids]
    return common.ordered(made, required)


async def book(info: Info, book_id: int) -> types.RegisterBook:
    row = await info.context.loaders.registry.book_by_id.load(book_id)
    if row is None:
        raise LookupError(f"register book {book_id} is missing")
    return types.RegisterBook.from_row(row)


async def people(info: Info, registration_id: int) -> list[types.RegistrationPerson]:
    rows = await info.context.loaders.registry.people_by_registration.load(registration_id)
    order = list(types.RegistrationRole.__members__)
    return [
        types.RegistrationPerson(role=types.RegistrationRole(r.role), full_name=r.full_name, personal_id=r.pid)
        for r in sorted(rows, key=lambda r: order.index(r.role))
    ]


async def marginal_notes(info: Info, registration_id: int) -> list[types.MarginalNote]:
    rows = await info.context.loaders.registry.notes_by_registration.load(registration_id)
    return [
        types.MarginalNote(noted_on=r.noted_on, kind=types.MarginalNoteKind(r.kind), content=r.content) for r in rows
    ]


async def citizen(info: Info, pid: str | None) -> population_types.Citizen | None:
    if not pid:
        return None
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def register_books(
    info: Info,
    f: types.RegisterBookFilter | None,
    order: types.RegisterBookOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.RegisterBook]:
    flt = ds.BookFilter()
    if f is not None:
        flt = ds.BookFilter(
            unit_code=f.unit_code,
            unit_structure=f.structure.name if f.structure else None,
            register_type=f.type.name if f.type else None,
            year=f.year,
        )
    field = order.field.name if order else "YEAR"
    descending = order.descending if order else False
    page = await ds.books_page(info.context.stores["registry"], flt, field, descending, first, after)
    return common.connection(page, types.RegisterBook.from_row)


async def civil_registrations(
    info: Info,
    f: types.CivilRegistrationFilter | None,
    order: types.CivilRegistrationOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.CivilRegistration]:
    flt = ds.RegistrationFilter()
    if f is not None:
        if f.registered_from and f.registered_to and f.registered_from > f.registered_to:
            raise ValueError("registeredFrom is after registeredTo")
        flt = ds.RegistrationFilter(
            register_type=f.type.name if f.type else None,
            unit_code=f.unit_code,
            unit_structure=f.structure.name if f.structure else None,
            registered_from=f.registered_from,
            registered_to=f.registered_to,
            search=f.search,
            late=f.late_registration,
        )
    field = order.field.name if order else "REGISTRATION_DATE"
    descending = order.descending if order else False
    page = await ds.registrations_page(info.context.stores["registry"], flt, field, descending, first, after)
    return common.connection(page, types.CivilRegistration.from_row)


async def book_registrations(
    info: Info, book_id: int, entry_count: int, first: int | None, after: str | None
) -> Connection[types.CivilRegistration]:
    page = await info.context.loaders.registry.book_page(book_id, entry_count, first, after)
    return common.connection(page, types.CivilRegistration.from_row)


async def citizen_registrations(info: Info, pid: str) -> list[types.CivilRegistration]:
    """Every registration a citizen appears in (any role), oldest first: for ``Citizen.civilRegistrations``."""
    rows = await info.context.loaders.registry.registrations_by_pid.load(pid)
    return [types.CivilRegistration.from_row(r) for r in rows]


async def unit_registrations(
    info: Info,
    code: str,
    structure: str,
    register_type: types.RegisterType | None,
    first: int | None,
    after: str | None,
) -> Connection[types.CivilRegistration]:
    """Registrations kept in a unit, newest first (legacy predecessors included for a current unit)."""
    pages = info.context.loaders.registry.unit_page(register_type.name if register_type else None, first, after)
    page = await pages.load(ds.places_of(code, structure))
    return common.connection(page, types.CivilRegistration.from_row)
