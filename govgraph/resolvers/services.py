"""Resolvers for the services store (dịch vụ công)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from govgraph.context import Info
from govgraph.datasources import services as ds
from govgraph.datasources.base import Store
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain.services import InvalidDossierCode, parse_dossier_code
from govgraph.schema import common
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types
from govgraph.schema import services as types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def _loaders(info: Info) -> ds.ServicesLoaders:
    return info.context.loaders.services


def _store(info: Info) -> Store:
    return info.context.stores["services"]


def unit(code: str | None, structure: str | None) -> places_types.AdministrativeUnit | None:
    if not code or not structure:
        return None
    found = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(found) if found else None


# --- objects by key --------------------------------------------------------------------------------------


async def agency(info: Info, code: str | None) -> types.Agency | None:
    if not code:
        return None
    row = await _loaders(info).agency_by_code.load(code)
    return types.Agency.from_row(row) if row else None


async def agencies_by_code(info: Info, codes: list[str], required: bool) -> list[types.Agency | None]:
    rows = await _loaders(info).agency_by_code.load_many(codes)
    return common.ordered([types.Agency.from_row(r) if r else None for r in rows], required)


async def procedure(info: Info, code: str | None) -> types.Procedure | None:
    if not code:
        return None
    row = await _loaders(info).procedure_by_code.load(code)
    return types.Procedure.from_row(row) if row else None


async def procedures_by_code(info: Info, codes: list[str], required: bool) -> list[types.Procedure | None]:
    rows = await _loaders(info).procedure_by_code.load_many(codes)
    return common.ordered([types.Procedure.from_row(r) if r else None for r in rows], required)


async def fees(info: Info, procedure_code: str) -> list[types.Fee]:
    return [types.Fee.from_row(r) for r in await _loaders(info).fees_by_procedure.load(procedure_code)]


async def fee(info: Info, fee_id: int | None) -> types.Fee | None:
    if fee_id is None:
        return None
    row = await _loaders(info).fee_by_id.load(fee_id)
    return types.Fee.from_row(row) if row else None


async def dossier(info: Info, code: str) -> types.Dossier | None:
    try:
        parse_dossier_code(code)
    except InvalidDossierCode as exc:
        raise ValueError(str(exc)) from exc
    row = await _loaders(info).dossier_by_code.load(code.strip())
    return types.Dossier.from_row(row) if row else None


async def dossiers_by_code(info: Info, codes: list[str], required: bool) -> list[types.Dossier | None]:
    rows = await _loaders(info).dossier_by_code.load_many(codes)
    return common.ordered([types.Dossier.from_row(r) if r else None for r in rows], required)


async def pauses(info: Info, dossier_code: str) -> list[types.DossierPause]:
    rows = await _loaders(info).pauses_by_dossier.load(dossier_code)
    return [
        types.DossierPause(
            reason=types.PauseReason(r.reason),
            requested_at=types.at_local(r.requested_at),
            resumed_at=common.local(r.resumed_at),
            note=r.note,
        )
        for r in rows
    ]


async def citizen(info: Info, pid: str) -> population_types.Citizen | None:
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def slot(info: Info, key: str) -> types.AppointmentSlot | None:
    row = await _loaders(info).slot_by_key.load(key)
    return types.AppointmentSlot.from_row(row) if row else None


async def slots_by_key(info: Info, keys: list[str], required: bool) -> list[types.AppointmentSlot | None]:
    rows = await _loaders(info).slot_by_key.load_many(keys)
    return common.ordered([types.AppointmentSlot.from_row(r) if r else None for r in rows], required)


async def appointments(info: Info, slot_key: str) -> list[types.Appointment]:
    return [types.Appointment.from_row(r) for r in await _loaders(info).appointments_by_slot.load(slot_key)]


async def appointment(info: Info, booking_code: str) -> types.Appointment | None:
    row = await _loaders(info).appointment_by_code.load(booking_code)
    return types.Appointment.from_row(row) if row else None


async def appointments_by_code(info: Info, codes: list[str], required: bool) -> list[types.Appointment | None]:
    rows = await _loaders(info).appointment_by_code.load_many(codes)
    return common.ordered([types.Appointment.from_row(r) if r else None for r in rows], required)


async def lookups_by_code(info: Info, codes: list[str], required: bool) -> list[types.PaidLookup | None]:
    rows = await _loaders(info).lookup_by_code.load_many(codes)
    return common.ordered([types.PaidLookup.from_row(r) if r else None for r in rows], required)


# --- lists -----------------------------------------------------------------------------------------------


async def agencies(
    info: Info, f: types.AgencyFilterInput | None, first: int | None, after: str | None
) -> Connection[types.Agency]:
    flt = ds.AgencyFilter()
    if f is not None:
        flt = ds.AgencyFilter(search=f.search, kind=f.kind.name if f.kind else None, unit_code=f.unit_code)
    page = await ds.agencies_page(_store(info), flt, first, after)
    return common.connection(page, types.Agency.from_row)


async def procedures(
    info: Info, f: types.ProcedureFilterInput | None, first: int | None, after: str | None
) -> Connection[types.Procedure]:
    flt = ds.ProcedureFilter()
    if f is not None:
        flt = ds.ProcedureFilter(
            search=f.search,
            online_level=f.online_level.name if f.online_level else None,
            online_only=f.online_only,
            competent_level=f.competent_level.name if f.competent_level else None,
            field=f.field.name if f.field else None,
        )
    page = await ds.procedures_page(_store(info), flt, first, after)
    return common.connection(page, types.Procedure.from_row)


async def dossiers(
    info: Info,
    f: types.DossierFilterInput | None,
    order: types.DossierOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.Dossier]:
    flt = ds.DossierFilter()
    if f is not None:
        if f.received_from and f.received_to and f.received_from > f.received_to:
            raise ValueError("receivedFrom is after receivedTo")
        flt = ds.DossierFilter(
            status=tuple(s.name for s in f.status or ()),
            agency_code=f.agency_code,
            procedure_code=f.procedure_code,
            unit_code=f.unit_code,
            channel=f.channel.name if f.channel else None,
            overdue=f.overdue,
            received_from=f.received_from,
            received_to=f.received_to,
        )
    field = order.field.name if order else "RECEIVED_AT"
    descending = order.descending if order else True
    now = dt.datetime.now(dt.UTC)
    page = await ds.dossiers_page(_store(info), flt, field, descending, first, after, now)
    return common.connection(page, types.Dossier.from_row)


async def paid_lookups(
    info: Info, f: types.PaidLookupFilterInput | None, first: int | None, after: str | None
) -> Connection[types.PaidLookup]:
    flt = ds.LookupFilter()
    if f is not None:
        flt = ds.LookupFilter(
            kind=f.kind.name if f.kind else None,
            payment_status=f.payment_status.name if f.payment_status else None,
        )
    page = await ds.lookups_page(_store(info), flt, first, after)
    return common.connection(page, types.PaidLookup.from_row)


async def appointment_slots(info: Info, agency_code: str, day: dt.date) -> list[types.AppointmentSlot]:
    return [types.AppointmentSlot.from_row(r) for r in await ds.slots(_store(info), agency_code, day)]


async def dossier_statistics(
    info: Info,
    unit_code: str | None,
    procedure_code: str | None,
    month_from: str | None,
    month_to: str | None,
    group_by: list[types.DossierGrouping] | None,
) -> list[types.DossierStatistics]:
    for m in (month_from, month_to):
        if m is not None:
            ds.month_start(m)  # raises a ValueError the client sees as BAD_USER_INPUT
    groups = list(dict.fromkeys(g.name for g in group_by or ()))
    f = ds.StatsFilter(
        unit_codes=(unit_code,) if unit_code else (),
        procedure_code=procedure_code,
        month_from=month_from,
        month_to=month_to,
    )
    rows = await ds.statistics(_store(info), f, groups, dt.datetime.now(dt.UTC))
    if not rows and not groups:
        return [types.DossierStatistics.empty()]
    return [types.DossierStatistics.from_row(r) for r in rows]


# --- cross-links from other domains' types ---------------------------------------------------------------


async def citizen_dossiers(info: Info, pid: str) -> list[types.Dossier]:
    """A citizen's own dossiers, newest first."""
    return [types.Dossier.from_row(r) for r in await _loaders(info).dossiers_by_applicant.load(pid)]


async def unit_agencies(info: Info, code: str, structure: str) -> list[types.Agency]:
    rows = await _loaders(info).agencies_by_unit.load((code, structure))
    return [types.Agency.from_row(r) for r in rows]


async def unit_statistics(
    info: Info, code: str, structure: str, month_from: str | None, month_to: str | None
) -> types.DossierStatistics | None:
    """Dossiers handled by the ward's agencies; one GROUP BY statement for every unit asked in the request."""
    if structure != CURRENT.value:
        return None
    for m in (month_from, month_to):
        if m is not None:
            ds.month_start(m)
    row = await _loaders(info).statistics_by_unit(month_from, month_to).load(code)
    if row is None:
        empty = types.DossierStatistics.empty()
        empty.unit_code = code
        return empty
    return types.DossierStatistics.from_row(row)
