"""Resolvers for the population store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row

from govgraph.auth import scope
from govgraph.auth.identity import Role
from govgraph.auth.roles import require, require_self
from govgraph.context import Info
from govgraph.datasources import audit as audit_ds
from govgraph.datasources import population as ds
from govgraph.datasources.base import OneLoader
from govgraph.datasources.places import gazetteer
from govgraph.domain.identity import InvalidPersonalId, normalize_phone, parse_personal_id
from govgraph.resolvers.mutation import Tx, UserInputError, run_mutation
from govgraph.schema import common
from govgraph.schema import places as places_types
from govgraph.schema import population as types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def address_unit(code: str | None, structure: str | None) -> places_types.AdministrativeUnit | None:
    if not code or not structure:
        return None
    unit = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(unit) if unit else None


async def citizen(info: Info, personal_id: str) -> types.Citizen | None:
    try:
        parse_personal_id(personal_id)
    except InvalidPersonalId as exc:
        raise ValueError(f"personalId {personal_id!r} is not valid: {exc}") from exc
    row = await _visible(info, "pid").load(personal_id)
    return types.Citizen.from_row(row) if row else None


def _visible(info: Info, key: str) -> OneLoader[str, Row[Any]]:
    """Citizens the caller may see (row scope), batched by ``pid`` or ``node_key``: one statement per batch."""
    ctx = info.context
    column = ds.citizens.c[key]

    async def fetch(keys: Sequence[str]) -> dict[str, Row[Any]]:
        rows = await ds.citizens_where(ctx.stores["population"], column.in_(keys), scope.citizens(ctx.principal))
        return {getattr(r, key): r for r in rows}

    return ctx.scoped_loader(f"population.visible_by_{key}", lambda: OneLoader(fetch))


async def citizens_by_node_key(info: Info, keys: list[str], required: bool) -> list[types.Citizen | None]:
    """``node``/``nodes``: only citizens the caller may see (row scope), in the order asked."""
    rows = await _visible(info, "node_key").load_many(keys)
    return common.ordered([types.Citizen.from_row(r) if r else None for r in rows], required)


async def citizens(
    info: Info,
    f: types.CitizenFilterInput | None,
    order: types.CitizenOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.Citizen]:
    flt = ds.CitizenFilter()
    if f is not None:
        flt = ds.CitizenFilter(
            search=f.search,
            unit_code=f.unit_code,
            unit_structure=f.unit_structure,
            sex=f.sex.name if f.sex else None,
            born_from=f.born_from,
            born_to=f.born_to,
            alive=f.alive,
        )
    field = order.field.name if order else "PERSONAL_ID"
    descending = order.descending if order else False
    store = info.context.stores["population"]
    page = await ds.citizens_page(store, flt, field, descending, first, after, scope.citizens(info.context.principal))
    return common.connection(page, types.Citizen.from_row)


async def identity_documents(info: Info, owner: types.Citizen) -> list[types.IdentityDocument]:
    rows = await info.context.loaders.population.documents_by_pid.load(owner.pid)
    return [
        types.IdentityDocument(
            type=types.IdentityDocumentType(r.type),
            number=r.number,
            issued_on=r.issued_on,
            issuer=r.issuer,
            expires_on=r.expires_on,
            owner_pid=owner.pid,
            owner_key=owner.key,
            owner_unit=owner.unit_code,
        )
        for r in rows
    ]


async def parents(info: Info, pid: str) -> list[types.Parent]:
    rows = await info.context.loaders.population.parents_by_pid.load(pid)
    return [types.Parent(relation=types.ParentRelation(r.relation), citizen=types.Citizen.from_row(r)) for r in rows]


async def children(info: Info, pid: str) -> list[types.Citizen]:
    rows = await info.context.loaders.population.children_by_pid.load(pid)
    return [types.Citizen.from_row(r) for r in rows]


async def update_contact(info: Info, data: types.CitizenUpdateContactInput) -> types.CitizenUpdateContactPayload:
    require(info.context.principal, Role.CITIZEN, Role.OFFICER, domain="population")
    require_self(info.context.principal, data.personal_id)

    async def work(tx: Tx) -> str:
        phone = None
        if data.phone:
            phone = normalize_phone(data.phone)
            if phone is None:
                raise UserInputError(
                    "Not a Vietnamese mobile (10 digits, known prefix) or Hanoi landline (024...)",
                    ["input", "phone"],
                )
        if not await ds.update_contact(tx.conn, data.personal_id, phone):
            raise UserInputError("No citizen has this personal ID", ["input", "personalId"], "NOT_FOUND")
        tx.emit("population.citizen.updated", personal_id=data.personal_id, fields=["phone"])
        return data.personal_id

    outcome = await run_mutation(info, store="population", operation="citizenUpdateContact", input=data, work=work)
    found = await citizen(info, outcome.key) if outcome.key else None
    return types.CitizenUpdateContactPayload(citizen=found, user_errors=outcome.errors)


async def access_log(info: Info, pid: str, first: int | None, after: str | None) -> Connection[types.AccessLogEntry]:
    page = await audit_ds.entries_page(info.context.stores.audit, audit_ds.AuditFilter(subject_pid=pid), first, after)
    return common.connection(page, types.AccessLogEntry.from_row)


async def me(info: Info) -> types.Citizen | None:
    p = info.context.principal
    if p.role != Role.CITIZEN or not p.authenticated:
        return None
    return await citizen(info, p.subject)


async def audit_log(
    info: Info, f: types.AuditFilterInput | None, first: int | None, after: str | None
) -> Connection[types.AccessLogEntry]:
    require(info.context.principal)  # admins only
    flt = audit_ds.AuditFilter()
    if f is not None:
        flt = audit_ds.AuditFilter(actor=f.reader, subject_pid=f.subject_personal_id, since=f.since, until=f.until)
    page = await audit_ds.entries_page(info.context.stores.audit, flt, first, after)
    return common.connection(page, types.AccessLogEntry.from_row)
