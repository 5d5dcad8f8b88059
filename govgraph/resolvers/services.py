"""Resolvers for the services store (dịch vụ công)."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from govgraph.auth import scope
from govgraph.auth.identity import Principal, Role
from govgraph.auth.roles import Forbidden, require, require_self, require_unit
from govgraph.context import Info
from govgraph.datasources import services as ds
from govgraph.datasources.base import Store
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain import services as rules
from govgraph.domain.identity import InvalidPersonalId, normalize_phone, parse_personal_id
from govgraph.domain.services import InvalidDossierCode, parse_dossier_code
from govgraph.domain.text import nfc
from govgraph.events import Event, EventBus
from govgraph.resolvers.live import follow
from govgraph.resolvers.mutation import Outcome, Tx, UserInputError, run_mutation
from govgraph.schema import common
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types
from govgraph.schema import services as types
from govgraph.schema.common import UserError

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def _loaders(info: Info) -> ds.ServicesLoaders:
    return info.context.loaders.services


def _store(info: Info) -> Store:
    return info.context.stores["services"]


def _who(info: Info) -> Principal:
    """The caller: loaders of personal rows apply their row scope (govgraph.auth.scope) in SQL."""
    return info.context.principal


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
    row = await _loaders(info).dossier_by_code(_who(info)).load(code.strip())
    return types.Dossier.from_row(row) if row else None


async def dossiers_by_code(info: Info, codes: list[str], required: bool) -> list[types.Dossier | None]:
    rows = await _loaders(info).dossier_by_code(_who(info)).load_many(codes)
    return common.ordered([types.Dossier.from_row(r) if r else None for r in rows], required)


async def pauses(info: Info, dossier: types.Dossier) -> list[types.DossierPause]:
    """Pauses of a dossier the caller may see (reached only through it); they carry its subject."""
    rows = await _loaders(info).pauses_by_dossier.load(dossier.code)
    return [
        types.DossierPause(
            reason=types.PauseReason(r.reason),
            requested_at=types.at_local(r.requested_at),
            resumed_at=common.local(r.resumed_at),
            note=r.note,
            dossier_code=dossier.code,
            applicant_pid=dossier.applicant_pid,
            jurisdiction=dossier.jurisdiction,
        )
        for r in rows
    ]


async def citizen(info: Info, pid: str) -> population_types.Citizen | None:
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


# Batch forms for the compiled path (one call for a list of parents; the same loaders, so the same statements).
async def applicants_of(info: Info, parents: list[Any]) -> list[population_types.Citizen | None]:
    loader = info.context.loaders.population.citizen_by_pid
    return await common.load_each(
        [p.applicant_pid for p in parents], loader.load_many, population_types.Citizen.from_row
    )


async def procedures_of(info: Info, parents: list[Any]) -> list[types.Procedure | None]:
    loader = _loaders(info).procedure_by_code
    return await common.load_each([p.procedure_code for p in parents], loader.load_many, types.Procedure.from_row)


async def agencies_of(info: Info, parents: list[Any]) -> list[types.Agency | None]:
    loader = _loaders(info).agency_by_code
    return await common.load_each([p.agency_code for p in parents], loader.load_many, types.Agency.from_row)


async def slot(info: Info, key: str) -> types.AppointmentSlot | None:
    row = await _loaders(info).slot_by_key.load(key)
    return types.AppointmentSlot.from_row(row) if row else None


async def slots_by_key(info: Info, keys: list[str], required: bool) -> list[types.AppointmentSlot | None]:
    rows = await _loaders(info).slot_by_key.load_many(keys)
    return common.ordered([types.AppointmentSlot.from_row(r) if r else None for r in rows], required)


async def appointments(info: Info, slot_key: str) -> list[types.Appointment]:
    return [types.Appointment.from_row(r) for r in await _loaders(info).appointments_by_slot(_who(info)).load(slot_key)]


async def appointment(info: Info, booking_code: str) -> types.Appointment | None:
    row = await _loaders(info).appointment_by_code(_who(info)).load(booking_code)
    return types.Appointment.from_row(row) if row else None


async def appointments_by_code(info: Info, codes: list[str], required: bool) -> list[types.Appointment | None]:
    rows = await _loaders(info).appointment_by_code(_who(info)).load_many(codes)
    return common.ordered([types.Appointment.from_row(r) if r else None for r in rows], required)


async def lookups_by_code(info: Info, codes: list[str], required: bool) -> list[types.PaidLookup | None]:
    rows = await _loaders(info).lookup_by_code(_who(info)).load_many(codes)
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
    page = await ds.dossiers_page(_store(info), flt, field, descending, first, after, now, scope.dossiers(_who(info)))
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
    page = await ds.lookups_page(_store(info), flt, first, after, scope.paid_lookups(_who(info)))
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
    rows = await ds.statistics(_store(info), f, groups, dt.datetime.now(dt.UTC), scope.dossiers(_who(info)))
    if not rows and not groups:
        return [types.DossierStatistics.empty()]
    return [types.DossierStatistics.from_row(r) for r in rows]


# --- cross-links from other domains' types ---------------------------------------------------------------


async def citizen_dossiers(info: Info, pid: str) -> list[types.Dossier]:
    """A citizen's own dossiers, newest first."""
    return [types.Dossier.from_row(r) for r in await _loaders(info).dossiers_by_applicant(_who(info)).load(pid)]


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
    row = await _loaders(info).statistics_by_unit(_who(info), month_from, month_to).load(code)
    if row is None:
        empty = types.DossierStatistics.empty()
        empty.unit_code = code
        return empty
    return types.DossierStatistics.from_row(row)


# ---------------------------------------------------------------------------------------------------------
# Mutations (DOMAIN.md §4.2-4.4). Roles are checked here; SQL is in the datasource, rules in the domain.
# ---------------------------------------------------------------------------------------------------------

STORE = "services"
MAX_TEXT = 1000
MAX_DOCUMENTS = 30


def clock() -> dt.datetime:
    """Now, in UTC: the time every write of this module records. Tests replace it to act at a chosen moment
    (e.g. just before a holiday)."""
    return dt.datetime.now(dt.UTC)


def require_agency(principal: Principal, agency_code: str, unit_code: str | None) -> None:
    """An officer acts only for the agency of their unit: a ward People's Committee serves the unit of the
    officer's ``unit`` claim; a city department's officers carry the department's agency code as ``unit``."""
    if principal.role != Role.OFFICER or principal.unit == agency_code:
        return
    if unit_code is None:
        raise Forbidden(f"This officer's unit is {principal.unit}, not the agency {agency_code}")
    require_unit(principal, unit_code)


def _text(value: str | None, field: str, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    cleaned = nfc(value.strip()) if value else ""
    if not cleaned:
        if required:
            raise UserInputError(f"{field} is required", ["input", field], "REQUIRED")
        return None
    if len(cleaned) > limit:
        raise UserInputError(f"{field} has at most {limit} characters", ["input", field], "TOO_LONG")
    return cleaned


def _pid(value: str, field: str) -> str:
    try:
        return parse_personal_id(value.strip()).number
    except InvalidPersonalId as exc:
        raise UserInputError(f"Not a personal ID number: {exc}", ["input", field], "INVALID") from exc


async def _citizen_row(info: Info, pid: str, field: str) -> Any:
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    if row is None:
        raise UserInputError("No citizen has this personal ID", ["input", field], "NOT_FOUND")
    return row


def _dossier_code(code: str) -> str:
    try:
        return str(parse_dossier_code(code))
    except InvalidDossierCode as exc:
        raise UserInputError(str(exc), ["input", "code"], "INVALID") from exc


def dossier_event(tx: Tx, verb: str, row: Any, unit_code: str | None, old: str | None, new: str) -> None:
    """``services.dossier.<verb>`` with what subscribers filter on."""
    tx.emit(
        f"services.dossier.{verb}",
        code=row.code,
        applicant_pid=row.applicant_pid,
        agency_code=row.agency_code,
        unit_code=unit_code,
        old_status=old,
        new_status=new,
    )


DossierResult = tuple["types.Dossier | None", list[UserError]]
AppointmentResult = tuple["types.Appointment | None", list[UserError]]
LookupResult = tuple["types.PaidLookup | None", list[UserError]]


async def _dossier_payload(info: Info, outcome: Outcome) -> DossierResult:
    """The dossier as now stored (fresh loaders: nothing cached from before the change) and the errors."""
    found = None
    if outcome.key:
        info.context.reset_loaders()
        row = await _loaders(info).dossier_by_code(_who(info)).load(outcome.key)
        found = types.Dossier.from_row(row) if row else None
    return found, outcome.errors


# --- dossierSubmit ------------------------------------------------------------------------------------------


async def dossier_submit(info: Info, data: types.DossierSubmitInput) -> DossierResult:
    """Citizens submit for themselves (any channel the procedure allows); services officers record in-person
    and postal submissions at their unit's agency; admins anything."""
    principal = info.context.principal
    require(principal, Role.CITIZEN, Role.OFFICER, domain=STORE)
    require_self(principal, data.applicant_personal_id.strip())
    store = _store(info)

    async def work(tx: Tx) -> str:
        now = clock()
        channel = rules.Channel(data.channel.name)
        pid = _pid(data.applicant_personal_id, "applicantPersonalId")
        proc = await ds.procedure_row(tx.conn, data.procedure_code.strip())
        if proc is None:
            raise UserInputError("No procedure has this code", ["input", "procedureCode"], "NOT_FOUND")
        if proc.online_only and channel != rules.Channel.ONLINE:
            raise UserInputError(
                f"{proc.name} is accepted online only (trực tuyến toàn trình), not {channel.value}",
                ["input", "channel"],
                "ONLINE_ONLY",
            )
        if principal.role == Role.OFFICER and channel == rules.Channel.ONLINE:
            raise UserInputError(
                "An officer records in-person or postal submissions; online dossiers come from the portal",
                ["input", "channel"],
                "INVALID",
            )
        agency_code = (data.agency_code or "").strip() or proc.agency_code
        if not agency_code:
            raise UserInputError(
                "A commune-level procedure is filed at a ward or commune People's Committee: give its agency code",
                ["input", "agencyCode"],
                "REQUIRED",
            )
        agency = await ds.lock_agency(tx.conn, store.is_sqlite, agency_code)
        if agency is None:
            raise UserInputError("No agency has this code", ["input", "agencyCode"], "NOT_FOUND")
        if (proc.agency_code and agency.code != proc.agency_code) or (
            proc.agency_code is None and agency.kind != "WARD_PEOPLES_COMMITTEE"
        ):
            where = proc.agency_code or "a ward or commune People's Committee"
            raise UserInputError(f"{proc.name} is received by {where}", ["input", "agencyCode"], "WRONG_AGENCY")
        require_agency(principal, agency.code, agency.unit_code)
        await _citizen_row(info, pid, "applicantPersonalId")
        day = rules.to_local(now).date()
        seq = await ds.last_dossier_seq(tx.conn, agency.code, day) + 1
        if seq > 9999:
            raise UserInputError("The agency has received 9999 dossiers today", ["input", "agencyCode"], "DAILY_LIMIT")
        code = rules.dossier_code(agency.code, day, seq)
        owed = rules.fees_owed(await ds.fee_rules(tx.conn, proc.code), channel, day)
        await ds.insert_dossier(
            tx.conn,
            code=code,
            procedure_code=proc.code,
            agency_code=agency.code,
            applicant_pid=pid,
            applicant_type=data.applicant_type.name,
            channel=channel.value,
            status=rules.Status.SUBMITTED.value,
            received_at=now,
            status_at=now,
            fee_id=owed[0].id if owed else None,
            fee_amount=sum(r.amount for r in owed) if owed else None,
        )
        tx.emit(
            "services.dossier.submitted",
            code=code,
            applicant_pid=pid,
            agency_code=agency.code,
            unit_code=agency.unit_code,
            old_status=None,
            new_status=rules.Status.SUBMITTED.value,
        )
        return code

    outcome = await run_mutation(info, store=STORE, operation="dossierSubmit", input=data, work=work)
    return await _dossier_payload(info, outcome)


# --- the one-stop transitions -------------------------------------------------------------------------------

VERB: dict[rules.Action, str] = {
    rules.Action.ACCEPT: "accepted",
    rules.Action.REFUSE: "refused",
    rules.Action.PROCESS: "processing",
    rules.Action.REQUEST_DOCUMENTS: "documents_requested",
    rules.Action.PROVIDE_DOCUMENTS: "documents_provided",
    rules.Action.REQUEST_PAYMENT: "payment_requested",
    rules.Action.RECORD_PAYMENT: "payment_recorded",
    rules.Action.COMPLETE: "resolved",
    rules.Action.RETURN_RESULT: "result_returned",
    rules.Action.WITHDRAW: "withdrawn",
    rules.Action.STOP: "stopped",
}
APPLICANT_ACTIONS = frozenset({rules.Action.PROVIDE_DOCUMENTS, rules.Action.WITHDRAW})
"""Actions the applicant takes themselves (an officer may record them at the desk)."""

Changes = Callable[[Tx, Any, dt.datetime], Awaitable[dict[str, Any]]]


async def _no_changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
    return {}


async def _load_for_work(info: Info, tx: Tx, code: str) -> Any:
    row = await ds.dossier_for_update(tx.conn, _store(info).is_sqlite, _dossier_code(code))
    if row is None:
        raise UserInputError("No dossier has this code", ["input", "code"], "NOT_FOUND")
    principal = info.context.principal
    if principal.role == Role.CITIZEN:
        require_self(principal, row.applicant_pid)
    require_agency(principal, row.agency_code, row.unit_code)
    return row


async def _transition(
    info: Info, data: Any, action: rules.Action, operation: str, changes: Changes = _no_changes
) -> DossierResult:
    principal = info.context.principal
    if action in APPLICANT_ACTIONS:
        require(principal, Role.CITIZEN, Role.OFFICER, domain=STORE)
    else:
        require(principal, Role.OFFICER, domain=STORE)

    async def work(tx: Tx) -> str:
        row = await _load_for_work(info, tx, data.code)
        current = rules.Status(row.status)
        try:
            target = rules.transition(action, current)
        except rules.InvalidTransition as exc:
            raise UserInputError(str(exc), ["input", "code"], "INVALID_TRANSITION") from exc
        now = clock()
        values = await changes(tx, row, now)
        if action in rules.PAUSE_OF:
            pass_note = values.pop("_pause_note", None)
            await ds.open_pause(tx.conn, row.code, rules.PAUSE_OF[action].value, now, pass_note)
        if not await ds.update_dossier(tx.conn, row.code, current.value, status=target.value, status_at=now, **values):
            raise UserInputError("The dossier changed meanwhile; try again", ["input", "code"], "CONFLICT")
        dossier_event(tx, VERB[action], row, row.unit_code, current.value, target.value)
        return str(row.code)

    outcome = await run_mutation(info, store=STORE, operation=operation, input=data, work=work)
    return await _dossier_payload(info, outcome)


async def _resume_clock(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
    """Close the open pause and recompute the due time with every closed pause (DOMAIN.md §4.3, status 5/6)."""
    await ds.close_pauses(tx.conn, row.code, now)
    closed = [(p.requested_at, p.resumed_at) for p in await ds.pauses_of(tx.conn, row.code) if p.resumed_at]
    if row.accepted_at is None:
        return {}
    due = rules.recompute_due(row.accepted_at, row.legal_days, row.same_day, rules.TimeUnit(row.time_unit), closed)
    return {"due_at": due}


async def dossier_accept(info: Info, data: types.DossierAcceptInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        due = rules.due_at(now, row.legal_days, row.same_day, rules.TimeUnit(row.time_unit))
        return {"accepted_at": now, "due_at": due}

    return await _transition(info, data, rules.Action.ACCEPT, "dossierAccept", changes)


async def dossier_refuse(info: Info, data: types.DossierRefuseInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        return {"status_note": _text(data.reason, "reason", required=True)}

    return await _transition(info, data, rules.Action.REFUSE, "dossierRefuse", changes)


async def dossier_process(info: Info, data: types.DossierProcessInput) -> DossierResult:
    return await _transition(info, data, rules.Action.PROCESS, "dossierProcess")


async def dossier_request_documents(info: Info, data: types.DossierRequestDocumentsInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        if not data.documents or len(data.documents) > MAX_DOCUMENTS:
            raise UserInputError(
                f"List the documents requested, all at once (1 to {MAX_DOCUMENTS})", ["input", "documents"], "INVALID"
            )
        items = []
        for i, doc in enumerate(data.documents):
            item = _text(doc, "documents", required=False, limit=300)
            if item is None:
                raise UserInputError(f"Document {i + 1} is empty", ["input", "documents", str(i)], "REQUIRED")
            items.append(item)
        return {"_pause_note": "; ".join(items)}

    return await _transition(info, data, rules.Action.REQUEST_DOCUMENTS, "dossierRequestDocuments", changes)


async def dossier_provide_documents(info: Info, data: types.DossierProvideDocumentsInput) -> DossierResult:
    return await _transition(info, data, rules.Action.PROVIDE_DOCUMENTS, "dossierProvideDocuments", _resume_clock)


async def dossier_request_payment(info: Info, data: types.DossierRequestPaymentInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        amount = data.amount if data.amount is not None else row.fee_amount
        if amount is None or amount <= 0 or amount > 10_000_000_000:
            raise UserInputError(
                "Give the amount owed in VND (1 to 10 billion); the fee table has no amount for this dossier"
                if amount is None
                else "The amount owed is 1 to 10 billion VND",
                ["input", "amount"],
                "INVALID",
            )
        return {"amount_due": amount, "_pause_note": f"Nộp {amount:,} đồng".replace(",", ".")}

    return await _transition(info, data, rules.Action.REQUEST_PAYMENT, "dossierRequestPayment", changes)


async def dossier_record_payment(info: Info, data: types.DossierRecordPaymentInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        return {**(await _resume_clock(tx, row, now)), "paid_at": now}

    return await _transition(info, data, rules.Action.RECORD_PAYMENT, "dossierRecordPayment", changes)


def _apology_check(row: Any, now: dt.datetime) -> None:
    try:
        rules.check_late_completion(row.due_at, row.apology_at, row.new_due_at, now)
    except rules.ApologyNeeded as exc:
        raise UserInputError(str(exc), ["input", "code"], "APOLOGY_REQUIRED") from exc


async def dossier_complete(info: Info, data: types.DossierCompleteInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        _apology_check(row, now)
        return {"completed_at": now}

    return await _transition(info, data, rules.Action.COMPLETE, "dossierComplete", changes)


async def dossier_return_result(info: Info, data: types.DossierReturnResultInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        if rules.is_late(row.due_at, row.completed_at) and row.apology_at is None:
            _apology_check(row, row.completed_at)
        return {"returned_at": now}

    return await _transition(info, data, rules.Action.RETURN_RESULT, "dossierReturnResult", changes)


async def dossier_withdraw(info: Info, data: types.DossierWithdrawInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        reason = _text(data.reason, "reason", required=False)
        await ds.close_pauses(tx.conn, row.code, now)
        return {"status_note": reason}

    return await _transition(info, data, rules.Action.WITHDRAW, "dossierWithdraw", changes)


async def dossier_stop(info: Info, data: types.DossierStopInput) -> DossierResult:
    async def changes(tx: Tx, row: Any, now: dt.datetime) -> dict[str, Any]:
        reason = _text(data.reason, "reason", required=True)
        await ds.close_pauses(tx.conn, row.code, now)
        return {"status_note": reason}

    return await _transition(info, data, rules.Action.STOP, "dossierStop", changes)


async def dossier_apologize(info: Info, data: types.DossierApologizeInput) -> DossierResult:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả: records the apology and the new date; status unchanged."""
    require(info.context.principal, Role.OFFICER, domain=STORE)

    async def work(tx: Tx) -> str:
        row = await _load_for_work(info, tx, data.code)
        current = rules.Status(row.status)
        if current not in rules.APOLOGY_ALLOWED or row.due_at is None:
            raise UserInputError(
                f"No apology can be issued for a dossier in status {current.value} ({rules.VIETNAMESE[current]}); "
                "only for accepted dossiers not yet returned",
                ["input", "code"],
                "INVALID_TRANSITION",
            )
        now = clock()
        try:
            promised = rules.check_new_due(data.new_due_at, now)
        except ValueError as exc:
            raise UserInputError(str(exc), ["input", "newDueAt"], "INVALID") from exc
        if promised <= rules.to_local(row.due_at):
            raise UserInputError("The new date must be later than the due date", ["input", "newDueAt"], "INVALID")
        reason = _text(data.reason, "reason", required=True)
        ok = await ds.update_dossier(
            tx.conn, row.code, current.value, apology_at=now, new_due_at=promised, status_note=reason
        )
        if not ok:
            raise UserInputError("The dossier changed meanwhile; try again", ["input", "code"], "CONFLICT")
        dossier_event(tx, "apologized", row, row.unit_code, current.value, current.value)
        return str(row.code)

    outcome = await run_mutation(info, store=STORE, operation="dossierApologize", input=data, work=work)
    return await _dossier_payload(info, outcome)


# --- overdue: a periodic check, not a status ----------------------------------------------------------------

OVERDUE_INTERVAL = dt.timedelta(minutes=1)
_overdue_checked: dict[str, dt.datetime] = {}
"""Per store URL, the end of the last window checked by this process."""


async def emit_newly_overdue(store: Store, bus: EventBus, since: dt.datetime, now: dt.datetime | None = None) -> int:
    """Publish ``services.dossier.overdue`` for every dossier whose due time passed in (since, now] while its
    clock runs. Overdue stays derived: nothing is written. A scheduler calls this with the end of the window it
    checked last; returns the number of events published."""
    now = now or clock()
    rows = await ds.newly_overdue(store, since, now)
    events = [
        Event(
            "services.dossier.overdue",
            {
                "code": r.code,
                "applicant_pid": r.applicant_pid,
                "agency_code": r.agency_code,
                "unit_code": r.unit_code,
                "old_status": r.status,
                "new_status": r.status,
            },
            now,
        )
        for r in rows
    ]
    if events:
        await bus.publish(events)
    return len(events)


async def check_overdue_now_and_then(store: Store, bus: EventBus) -> None:
    """At most once per OVERDUE_INTERVAL per process and store: emit the dossiers that became overdue since
    the last check (the first check looks back one interval)."""
    now = clock()
    last = _overdue_checked.get(store.url)
    if last is not None and now - last < OVERDUE_INTERVAL:
        return
    _overdue_checked[store.url] = now  # claimed before the first await: concurrent subscribers skip
    await emit_newly_overdue(store, bus, last or now - OVERDUE_INTERVAL, now)


# --- subscription -------------------------------------------------------------------------------------------


def dossier_visible(principal: Principal, code: str | None) -> Callable[[Event], bool]:
    """Which dossier events a subscriber receives, by the row scope's rule (govgraph.auth.scope.dossiers): a
    citizen their own dossiers, a services officer those of the agencies of their jurisdiction (the ward of a
    People's Committee, else the agency's own code), operators and admins all. The event only wakes the
    subscriber: the dossier it then yields is reloaded through the scoped loader, so the SQL scope and the
    field policy decide what it carries."""

    def match(event: Event) -> bool:
        p = event.payload
        if code is not None and p.get("code") != code:
            return False
        if principal.role == Role.CITIZEN:
            return bool(p.get("applicant_pid") == principal.subject)
        if principal.role == Role.OFFICER:
            jurisdiction = p.get("unit_code") or p.get("agency_code")
            return "services" in principal.domains and principal.unit is not None and principal.unit == jurisdiction
        return principal.role in (Role.ADMIN, Role.OPERATOR)

    return match


async def dossier_updates(info: Info, code: str | None) -> AsyncIterator[types.Dossier]:
    """Reloaded dossiers after each visible change (and when one becomes overdue). While waiting, the
    subscription runs the overdue check at most once a minute per process."""
    principal = info.context.principal
    require(principal, Role.CITIZEN, Role.OFFICER, Role.OPERATOR, domain=STORE)
    wanted = _dossier_code(code) if code is not None else None
    store, bus = _store(info), info.context.bus
    events = aiter(follow(info, ["services.dossier."], match=dossier_visible(principal, wanted)))
    waiting: asyncio.Future[Event] | None = None
    try:
        while True:
            if waiting is None:
                waiting = asyncio.ensure_future(anext(events))
            await check_overdue_now_and_then(store, bus)
            done, _ = await asyncio.wait({waiting}, timeout=OVERDUE_INTERVAL.total_seconds())
            if not done:
                continue
            try:
                event = waiting.result()
            except StopAsyncIteration:
                return
            waiting = None
            row = await _loaders(info).dossier_by_code(_who(info)).load(event.payload["code"])
            if row is not None:
                yield types.Dossier.from_row(row)
    finally:
        if waiting is not None:  # cancelled while waiting (the client left): let the wait end before closing
            waiting.cancel()
            await asyncio.wait({waiting})
        await events.aclose()  # type: ignore[attr-defined]


# --- appointments -------------------------------------------------------------------------------------------


def _booking_code() -> str:
    return "LH" + "".join(secrets.choice(rules.BOOKING_CHARS) for _ in range(8))


def appointment_event(
    tx: Tx, verb: str, slot_key: str, row: Any, code: str, pid: str, old: str | None, new: str
) -> None:
    tx.emit(
        f"services.appointment.{verb}",
        booking_code=code,
        slot_key=slot_key,
        agency_code=row.agency_code,
        unit_code=row.unit_code,
        citizen_pid=pid,
        old_status=old,
        new_status=new,
    )


async def _appointment_payload(info: Info, outcome: Outcome) -> AppointmentResult:
    if outcome.key:
        info.context.reset_loaders()
    found = await appointment(info, outcome.key) if outcome.key else None
    return found, outcome.errors


async def appointment_book(info: Info, data: types.AppointmentBookInput) -> AppointmentResult:
    """Citizens book for themselves; officers of the office's unit on a citizen's behalf; admins."""
    principal = info.context.principal
    require(principal, Role.CITIZEN, Role.OFFICER, domain=STORE)
    require_self(principal, data.citizen_personal_id.strip())

    async def work(tx: Tx) -> str:
        now = clock()
        pid = _pid(data.citizen_personal_id, "citizenPersonalId")
        slot = await ds.slot_with_unit(tx.conn, data.slot_key.strip())
        if slot is None:
            raise UserInputError("No appointment slot has this key", ["input", "slotKey"], "NOT_FOUND")
        require_agency(principal, slot.agency_code, slot.unit_code)
        starts = rules.slot_start(slot.day, slot.start_hour)
        if starts <= now:
            raise UserInputError("The slot has already started", ["input", "slotKey"], "SLOT_PASSED")
        await _citizen_row(info, pid, "citizenPersonalId")
        procedure_code = (data.procedure_code or "").strip() or None
        if procedure_code and await ds.procedure_row(tx.conn, procedure_code) is None:
            raise UserInputError("No procedure has this code", ["input", "procedureCode"], "NOT_FOUND")
        if not await ds.take_place(tx.conn, slot.key):
            raise UserInputError(
                f"The slot is full ({slot.capacity} places): choose another hour", ["input", "slotKey"], "SLOT_FULL"
            )
        existing = await ds.active_booking(tx.conn, slot.key, pid)
        if existing:
            raise UserInputError(
                f"This citizen already holds booking {existing} in this slot", ["input", "slotKey"], "ALREADY_BOOKED"
            )
        code = _booking_code()
        while await ds.booking_code_taken(tx.conn, code):
            code = _booking_code()
        await ds.insert_appointment(
            tx.conn,
            booking_code=code,
            slot_key=slot.key,
            citizen_pid=pid,
            procedure_code=procedure_code,
            status="BOOKED",
            booked_at=now,
        )
        appointment_event(tx, "booked", slot.key, slot, code, pid, None, "BOOKED")
        return code

    outcome = await run_mutation(info, store=STORE, operation="appointmentBook", input=data, work=work)
    return await _appointment_payload(info, outcome)


async def _appointment_for_work(info: Info, tx: Tx, code: str) -> Any:
    row = await ds.appointment_with_slot(tx.conn, code.strip())
    if row is None:
        raise UserInputError("No appointment has this booking code", ["input", "bookingCode"], "NOT_FOUND")
    principal = info.context.principal
    if principal.role == Role.CITIZEN:
        require_self(principal, row.citizen_pid)
    require_agency(principal, row.agency_code, row.unit_code)
    return row


def _not_booked(row: Any, action: str) -> UserInputError:
    return UserInputError(
        f"Cannot {action} a booking in status {row.status}; only BOOKED ones",
        ["input", "bookingCode"],
        "INVALID_TRANSITION",
    )


async def appointment_cancel(info: Info, data: types.AppointmentCancelInput) -> AppointmentResult:
    """The citizen who booked, officers of the office's unit, admins; until the slot starts."""
    require(info.context.principal, Role.CITIZEN, Role.OFFICER, domain=STORE)

    async def work(tx: Tx) -> str:
        row = await _appointment_for_work(info, tx, data.booking_code)
        if row.status != "BOOKED":
            raise _not_booked(row, "cancel")
        if rules.slot_start(row.day, row.start_hour) <= clock():
            raise UserInputError("The slot has started: it can no longer be cancelled", ["input", "bookingCode"],
                                 "SLOT_PASSED")  # fmt: skip
        if not await ds.set_appointment_status(tx.conn, row.booking_code, "BOOKED", "CANCELLED"):
            raise _not_booked(row, "cancel")
        await ds.free_place(tx.conn, row.slot_key)
        appointment_event(tx, "cancelled", row.slot_key, row, row.booking_code, row.citizen_pid, "BOOKED", "CANCELLED")
        return str(row.booking_code)

    outcome = await run_mutation(info, store=STORE, operation="appointmentCancel", input=data, work=work)
    return await _appointment_payload(info, outcome)


async def appointment_check_in(info: Info, data: types.AppointmentCheckInInput) -> AppointmentResult:
    """Officers of the office (the desk or its kiosk, which runs with an officer account) and admins."""
    require(info.context.principal, Role.OFFICER, domain=STORE)

    async def work(tx: Tx) -> str:
        row = await _appointment_for_work(info, tx, data.booking_code)
        if row.status != "BOOKED":
            raise _not_booked(row, "check in")
        starts = rules.slot_start(row.day, row.start_hour)
        if not rules.can_check_in(starts, clock()):
            first, last = rules.check_in_window(starts)
            raise UserInputError(
                f"Check-in is open from {first:%H:%M} to {last:%H:%M} on {starts:%Y-%m-%d} (10 minutes before to "
                "10 minutes after the slot starts)",
                ["input", "bookingCode"],
                "OUTSIDE_CHECK_IN_WINDOW",
            )
        if not await ds.set_appointment_status(tx.conn, row.booking_code, "BOOKED", "CHECKED_IN"):
            raise _not_booked(row, "check in")
        appointment_event(
            tx, "checked_in", row.slot_key, row, row.booking_code, row.citizen_pid, "BOOKED", "CHECKED_IN"
        )
        return str(row.booking_code)

    outcome = await run_mutation(info, store=STORE, operation="appointmentCheckIn", input=data, work=work)
    return await _appointment_payload(info, outcome)


# --- paid look-ups ------------------------------------------------------------------------------------------


def _lookup_code(day: dt.date) -> str:
    return f"KT-{day:%y%m%d}-" + "".join(secrets.choice("0123456789") for _ in range(6))


async def _lookup_result(info: Info, kind: rules.LookupKind, subject: str, requester: Any) -> str | None:
    """What the look-up finds, from the stores this federation holds; held back until paid. The notarisation
    database is not one of them: that result stays empty until it is connected."""
    if kind == rules.LookupKind.ID_CARD:
        person = await info.context.loaders.population.citizen_by_pid.load(subject)
        if person is None:
            return f"Số định danh cá nhân {subject} không có trong Cơ sở dữ liệu quốc gia về dân cư."
        return (
            f"Số định danh cá nhân {subject} có trong Cơ sở dữ liệu quốc gia về dân cư: {person.full_name}, "
            f"sinh ngày {person.date_of_birth:%d/%m/%Y}."
        )
    if kind == rules.LookupKind.SIM_REGISTRATION:
        if requester.phone == subject:
            return f"Thuê bao {subject} đã đăng ký thông tin trùng khớp với số định danh cá nhân của người yêu cầu."
        return f"Thuê bao {subject} không trùng khớp với số định danh cá nhân của người yêu cầu."
    return None


async def paid_lookup_request(info: Info, data: types.PaidLookupRequestInput) -> LookupResult:
    """Citizens for themselves, admins."""
    principal = info.context.principal
    require(principal, Role.CITIZEN)
    require_self(principal, data.requester_personal_id.strip())

    async def work(tx: Tx) -> str:
        now = clock()
        kind = rules.LookupKind(data.kind.name)
        pid = _pid(data.requester_personal_id, "requesterPersonalId")
        purpose = _text(data.purpose, "purpose", required=True, limit=500)
        subject = _text(data.subject, "subject", required=True, limit=300) or ""
        if kind == rules.LookupKind.ID_CARD:
            subject = _pid(subject, "subject")
            if not data.consent:
                raise UserInputError(
                    "Looking up a person's data needs their consent (Decree 13/2023/NĐ-CP)",
                    ["input", "consent"],
                    "CONSENT_REQUIRED",
                )
        elif kind == rules.LookupKind.SIM_REGISTRATION:
            phone = normalize_phone(subject)
            if phone is None or not phone.startswith("0") or phone.startswith("024"):
                raise UserInputError("Not a Vietnamese mobile number", ["input", "subject"], "INVALID")
            subject = phone
        requester = await _citizen_row(info, pid, "requesterPersonalId")
        procedure = rules.LOOKUP_PROCEDURE[kind]
        day = rules.to_local(now).date()
        owed = rules.fees_owed(await ds.fee_rules(tx.conn, procedure), rules.LOOKUP_CHANNEL, day)
        if not owed:
            raise UserInputError(f"The fee table has no fee for {kind.value} look-ups on {day}", ["input", "kind"],
                                 "NO_FEE")  # fmt: skip
        code = _lookup_code(day)
        while await ds.lookup_code_taken(tx.conn, code):
            code = _lookup_code(day)
        await ds.insert_lookup(
            tx.conn,
            code=code,
            kind=kind.value,
            procedure_code=procedure,
            requester_pid=pid,
            subject=subject,
            purpose=purpose,
            consent=data.consent,
            requested_at=now,
            fee_id=owed[0].id,
            amount=sum(r.amount for r in owed),
            payment_status=rules.PaymentStatus.UNPAID.value,
            paid_at=None,
            result=await _lookup_result(info, kind, subject, requester),
        )
        tx.emit("services.lookup.requested", code=code, kind=kind.value, requester_pid=pid,
                payment_status=rules.PaymentStatus.UNPAID.value)  # fmt: skip
        return code

    outcome = await run_mutation(info, store=STORE, operation="paidLookupRequest", input=data, work=work)
    return await _lookup_payload(info, outcome)


async def _lookup_payload(info: Info, outcome: Outcome) -> LookupResult:
    found = None
    if outcome.key:
        info.context.reset_loaders()
        row = await _loaders(info).lookup_by_code(_who(info)).load(outcome.key)
        found = types.PaidLookup.from_row(row) if row else None
    return found, outcome.errors


async def paid_lookup_record_payment(info: Info, data: types.PaidLookupRecordPaymentInput) -> LookupResult:
    """Officers of the agency that provides the look-up (their ``unit`` is its agency code) and admins, for
    the payment platform's confirmation."""
    principal = info.context.principal
    require(principal, Role.OFFICER, domain=STORE)

    async def work(tx: Tx) -> str:
        row = await ds.lookup_for_update(tx.conn, _store(info).is_sqlite, data.code.strip())
        if row is None:
            raise UserInputError("No paid look-up has this code", ["input", "code"], "NOT_FOUND")
        if principal.role == Role.OFFICER and (row.agency_code is None or principal.unit != row.agency_code):
            raise Forbidden(f"This officer's unit is {principal.unit}, not the agency {row.agency_code}")
        if row.amount == 0:
            raise UserInputError("Nothing is owed for this look-up", ["input", "code"], "NOTHING_OWED")
        status = rules.PaymentStatus(row.payment_status)
        if status not in (rules.PaymentStatus.UNPAID, rules.PaymentStatus.PENDING):
            raise UserInputError(
                f"Cannot record a payment for a look-up in payment status {status.value}",
                ["input", "code"],
                "INVALID_TRANSITION",
            )
        if not await ds.mark_lookup_paid(tx.conn, row.code, status.value, clock()):
            raise UserInputError("The look-up changed meanwhile; try again", ["input", "code"], "CONFLICT")
        tx.emit("services.lookup.paid", code=row.code, kind=row.kind, requester_pid=row.requester_pid,
                payment_status=rules.PaymentStatus.PAID.value)  # fmt: skip
        return str(row.code)

    outcome = await run_mutation(info, store=STORE, operation="paidLookupRecordPayment", input=data, work=work)
    return await _lookup_payload(info, outcome)
