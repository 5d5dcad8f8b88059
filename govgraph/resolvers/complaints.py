"""Resolvers for the complaints store: reads, the case mutations (filing and every step of the status machine),
and the ``caseUpdated`` subscription.

Mutation rules (DOMAIN.md §6; the status machine and deadlines live in ``govgraph.domain.complaints``):
- Every step loads the case locked (``FOR UPDATE`` on PostgreSQL), checks the role and jurisdiction, checks the
  transition with ``rules.transition_refusal`` (``INVALID_TRANSITION`` names the current status), changes the
  row only if it is still in that status, appends to ``case_events`` and queues a ``complaints.case.<verb>``
  event, all in one transaction.
- Confidentiality (Law on Denunciations Art. 56): a denouncer's identity goes only into the sealed table under a
  fresh random token; the petition text and every later note on a denunciation are redacted against it; the
  history names a citizen acting on their own denunciation only as "the denouncer"; events carry ids and
  statuses, never a name or personal ID.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Row

from govgraph.auth.identity import Principal, Role
from govgraph.auth.roles import Forbidden, require, require_self, require_unit
from govgraph.context import Info
from govgraph.datasources import complaints as ds
from govgraph.datasources.places import CURRENT, gazetteer
from govgraph.domain import complaints as rules
from govgraph.domain.calendar import FIRST_YEAR
from govgraph.domain.identity import InvalidPersonalId, normalize_phone, parse_personal_id
from govgraph.events import Event
from govgraph.resolvers.live import follow
from govgraph.resolvers.mutation import Tx, UserInputError, run_mutation
from govgraph.schema import common
from govgraph.schema import complaints as types
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types
from govgraph.schema.common import UserError

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def unit(code: str, structure: str) -> places_types.AdministrativeUnit | None:
    found = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(found) if found else None


async def case_by_code(info: Info, code: str | None) -> types.Case | None:
    """One case, if the caller's row scope includes it (else None, as if it did not exist)."""
    if not code:
        return None
    row = await info.context.loaders.complaints.case_by_code(_principal(info)).load(code)
    return types.Case.from_row(row) if row else None


async def cases_by_code(info: Info, codes: list[str], required: bool) -> list[types.Case | None]:
    """``node``/``nodes``: only cases in the caller's row scope, in the order asked."""
    rows = await info.context.loaders.complaints.case_by_code(_principal(info)).load_many(codes)
    return common.ordered([types.Case.from_row(r) if r else None for r in rows], required)


async def cases(
    info: Info,
    f: types.CaseFilterInput | None,
    order: types.CaseOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.Case]:
    flt = ds.CaseFilter()
    if f is not None:
        flt = ds.CaseFilter(
            kind=f.kind.name if f.kind else None,
            statuses=tuple(s.name for s in f.status or ()),
            unit_code=f.unit_code,
            unit_structure=f.unit_structure,
            inspector_id=f.inspector_id,
            overdue=f.overdue,
            received_from=f.received_from,
            received_to=f.received_to,
        )
    field = order.field.name if order else "RECEIVED_AT"
    descending = order.descending if order else True
    page = await ds.cases_page(
        info.context.stores["complaints"], flt, field, descending, first, after, _principal(info)
    )
    return common.connection(page, types.Case.from_row)


def deadlines(case: types.Case) -> types.CaseDeadlines:
    kind = rules.CaseKind(case.kind.name)
    complexity = rules.Complexity(case.complexity.name)
    facts = rules.CaseFacts(
        kind=kind,
        instance=rules.Instance(case.instance.name) if case.instance else None,
        status=rules.CaseStatus(case.status.name),
        complexity=complexity,
        remote_area=case.remote_area,
        extensions=case.extensions,
        received_on=case.received_on,
        accepted_on=case.accepted_on,
    )
    d = rules.deadlines(facts, ds.hanoi_today())
    steps = {
        rules.Phase.INTAKE: types.CaseDeadlineStep.ACCEPTANCE,
        rules.Phase.RESOLUTION: types.CaseDeadlineStep.RESOLUTION,
    }
    return types.CaseDeadlines(
        accept_by=d.accept_by,
        resolve_by=d.resolve_by,
        running=steps[d.pending] if d.pending else None,
        overdue=d.overdue,
        days_left=d.days_left,
        complain_by=rules.complaint_time_limit(case.contested_on)
        if kind is rules.CaseKind.COMPLAINT and case.contested_on
        else None,
        extensions_allowed=rules.max_extensions(complexity) if kind is rules.CaseKind.DENUNCIATION else None,
        acceptance_days_late=rules.acceptance_days_late(kind, case.received_on, case.accepted_on)
        if case.accepted_on is not None
        else None,
    )


async def history(info: Info, case: types.Case) -> list[types.CaseEvent]:
    rows = await info.context.loaders.complaints.events_by_case.load(case.code)
    out = []
    for r in rows:
        out.append(
            types.CaseEvent(
                at=common.local(r.at) or r.at,
                status=types.CaseStatus(r.status),
                actor=types.CaseOfficer(staff_id=r.actor_id, name=r.actor_name),
                note=r.note,
                ref=case.ref,
            )
        )
    return out


async def complainants(info: Info, case: types.Case) -> list[types.Complainant]:
    if case.kind.name != rules.CaseKind.COMPLAINT.name:
        return []
    rows = await info.context.loaders.complaints.complainants_by_case.load(case.code)
    return [
        types.Complainant(
            lead=r.position == 1,
            full_name=r.full_name,
            address=r.address,
            phone=r.phone,
            personal_id=r.pid,
            ref=case.ref,
        )
        for r in rows
    ]


async def denouncer(info: Info, case: types.Case) -> types.DenouncerIdentity | None:
    """``Case.denouncer``: runs only after the field policy allowed the caller (and audited a staff read)."""
    if case.kind.name != rules.CaseKind.DENUNCIATION.name:
        return None
    row = await info.context.loaders.complaints.denouncer_by_case.load(case.code)
    if row is None:
        return None
    return types.DenouncerIdentity(
        full_name=row.full_name, personal_id=row.pid, address=row.address, phone=row.phone, ref=case.ref
    )


async def citizen(info: Info, pid: str | None) -> population_types.Citizen | None:
    if not pid:
        return None
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def complainant(info: Info, case: types.Case) -> population_types.Citizen | None:
    people = await complainants(info, case)
    lead = next((p for p in people if p.lead), None)
    return await citizen(info, lead.personal_id) if lead else None


async def complaints_of(info: Info, pid: str) -> list[types.Case]:
    """Complaints a citizen filed or co-signed (``Citizen.complaints``) that the caller may see. Never
    denunciations."""
    rows = await info.context.loaders.complaints.complaints_by_pid(_principal(info)).load(pid)
    return [types.Case.from_row(r) for r in rows]


async def unit_cases(
    info: Info, code: str, structure: str, kind: types.CaseKind | None, first: int | None, after: str | None
) -> Connection[types.Case]:
    """``AdministrativeUnit.cases``: newest first, batched across units (one statement per structure)."""
    size = ds.check_page_size(first)
    loaders = info.context.loaders.complaints
    kind_name = kind.name if kind else None
    p = _principal(info)
    rows = await loaders.cases_by_unit(kind_name, size, after, p).load((code, structure))
    counter = loaders.case_count_by_unit(kind_name, p)

    async def count() -> int:
        return int(await counter.load((code, structure)) or 0)

    return common.connection(ds.unit_page(rows, size, after, count), types.Case.from_row)


async def case_statistics(info: Info, unit_code: str | None, unit_structure: str | None) -> types.CaseStatistics:
    store = info.context.stores["complaints"]
    counts = await ds.case_statistics(store, unit_code, unit_structure, ds.hanoi_today(), _principal(info))
    by_kind: dict[str, types.CaseKindCount] = {}
    for c in counts:
        k = by_kind.setdefault(c.kind, types.CaseKindCount(kind=types.CaseKind(c.kind), count=0, open=0, overdue=0))
        k.count += c.count
        k.overdue += c.overdue
        if rules.CaseStatus(c.status).phase is not rules.Phase.DONE:
            k.open += c.count
    return types.CaseStatistics(
        unit_code=unit_code,
        total=sum(c.count for c in counts),
        overdue=sum(c.overdue for c in counts),
        by_kind=[by_kind[k] for k in sorted(by_kind)],
        by_status=[
            types.CaseStatusCount(
                kind=types.CaseKind(c.kind), status=types.CaseStatus(c.status), count=c.count, overdue=c.overdue
            )
            for c in counts
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------------------------------------

STORE = "complaints"
S = rules.CaseStatus
CODE_RE = re.compile(r"^(KN|TC)-\d{4}-\d{6}$")
STAFF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,11}$")
MIN_SUBJECT, MAX_SUBJECT, MAX_TEXT, MAX_NAME, MAX_AGENCY = 10, 5000, 2000, 140, 200
RECEIPT_BACKDATE_DAYS = 365
"""How far back the reception desk may date a petition it logs late (post, backlog)."""

DENOUNCER_ACTOR = ("NGUOI-TO-CAO", "Người tố cáo (danh tính được giữ bí mật)")
"""How the history names a citizen acting on their own denunciation: never by name or personal ID."""

P = TypeVar("P", bound="types.CasePayload")


class _StepInput(Protocol):
    code: str
    note: str | None
    idempotency_key: str | None


def _err(field: list[str], code: str, message: str) -> UserError:
    return UserError(field=field, message=message, code=code)


def _principal(info: Info) -> Principal:
    return info.context.principal


def _local(t: dt.datetime) -> dt.datetime:
    return common.local(t) or t


def _day(t: dt.datetime) -> dt.date:
    return _local(t).date()


def _at(day: dt.date, now: dt.datetime) -> dt.datetime:
    """``now`` when ``day`` is today, else that day at the current Hanoi time of day (a back-dated record)."""
    local_now = _local(now)
    if day == local_now.date():
        return now
    return dt.datetime.combine(day, local_now.timetz()).astimezone(dt.UTC)


def _text(value: str | None, name: str, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    """A free-text input, trimmed; ``name`` is the Python or GraphQL field name (errors use the GraphQL one)."""
    head, *rest = name.split("_")
    field = head + "".join(w.capitalize() for w in rest)
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise UserInputError(f"`{field}` is required", ["input", field], "REQUIRED")
        return None
    if len(cleaned) > limit:
        raise UserInputError(f"`{field}` has at most {limit} characters", ["input", field], "TOO_LONG")
    return cleaned


def units_of(unit_code: str, unit_structure: str) -> list[str]:
    """Current (2025) units responsible for a case: its own unit, or the successors of a legacy ward."""
    if unit_structure == CURRENT.value:
        return [unit_code]
    return gazetteer().current_codes_of(unit_code) or [unit_code]


def _authorize(p: Principal, row: Row[Any], inspector_ok: bool) -> None:
    """Officers in the case's unit; the assigned inspector where ``inspector_ok``; admins. Raises Forbidden."""
    if p.role is Role.ADMIN:
        return
    if p.role is Role.OFFICER:
        units = units_of(row.unit_code, row.unit_structure)
        require_unit(p, p.unit if p.unit in units else units[0])
        return
    if p.role is Role.INSPECTOR and inspector_ok:
        if row.inspector_id is not None and row.inspector_id == p.subject:
            return
        raise Forbidden("An inspector acts only on cases assigned to them")
    raise Forbidden(f"A {p.role.value} may not do this to a case")


def _actor(p: Principal, row: Row[Any] | None, kind: rules.CaseKind) -> tuple[str, str]:
    if p.role is Role.CITIZEN:
        return DENOUNCER_ACTOR if kind is rules.CaseKind.DENUNCIATION else (p.subject, "Người khiếu nại")
    staff = p.subject[:20]
    if p.role is Role.INSPECTOR:
        if row is not None and row.inspector_id == p.subject and row.inspector_name:
            return staff, row.inspector_name
        return staff, f"Thanh tra viên {p.subject}"
    if p.role is Role.OFFICER:
        return staff, f"Cán bộ {p.subject} (đơn vị {p.unit})"
    return staff, f"Quản trị hệ thống ({p.subject})"


async def _load(tx: Tx, code: str) -> Row[Any]:
    if not CODE_RE.match(code or ""):
        raise UserInputError("A case code looks like 'KN-2026-000123' or 'TC-2026-000045'", ["input", "code"])
    row = await ds.case_for_update(tx.conn, code)
    if row is None:
        raise UserInputError(f"No case {code}", ["input", "code"], "NOT_FOUND")
    return row


def _check_transition(kind: rules.CaseKind, current: rules.CaseStatus, new: rules.CaseStatus, field: str) -> None:
    refusal = rules.transition_refusal(kind, current, new)
    if refusal:
        raise UserInputError(refusal, ["input", field], "INVALID_TRANSITION")


async def _redact(tx: Tx, row: Row[Any], value: str | None) -> str | None:
    """Text about to be recorded on a denunciation, with the sealed identity removed (Art. 56)."""
    if value is None or row.kind != rules.CaseKind.DENUNCIATION.name:
        return value
    return rules.redact_petition(value, await ds.sealed_secrets(tx.conn, row.denouncer_token))


def _emit(
    tx: Tx,
    verb: str,
    *,
    code: str,
    kind: str,
    status: str,
    previous: str | None,
    unit_code: str,
    unit_structure: str,
    inspector_id: str | None,
    **extra: Any,
) -> None:
    """``complaints.case.<verb>``: ids and statuses a subscriber filters on, never a person's identity."""
    tx.emit(
        f"complaints.case.{verb}",
        code=code,
        kind=kind,
        status=status,
        previous_status=previous,
        unit_code=unit_code,
        unit_structure=unit_structure,
        units=units_of(unit_code, unit_structure),
        inspector_id=inspector_id,
        **extra,
    )


async def _record(
    tx: Tx,
    p: Principal,
    row: Row[Any],
    new: rules.CaseStatus,
    values: dict[str, Any],
    note: str | None,
    verb: str,
    **extra: Any,
) -> None:
    """Apply ``values`` (if the case is still in its status), append the history entry, queue the event."""
    kind = rules.CaseKind(row.kind)
    if not await ds.update_case(tx.conn, row.code, row.status, {**values, "status": new.name}):
        raise UserInputError(
            f"The case changed meanwhile (it was {row.status}); try again", ["input", "code"], "INVALID_TRANSITION"
        )
    actor_id, actor_name = _actor(p, row, kind)
    await ds.append_event(tx.conn, row.code, tx.now, new.name, actor_id, actor_name, note)
    _emit(
        tx,
        verb,
        code=row.code,
        kind=row.kind,
        status=new.name,
        previous=row.status,
        unit_code=row.unit_code,
        unit_structure=row.unit_structure,
        inspector_id=values.get("inspector_id", row.inspector_id),
        **extra,
    )


Compute = Callable[[Tx, Row[Any], rules.CaseKind, str | None], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Step:
    """One step of the status machine as a mutation."""

    operation: str
    verb: str
    target: Callable[[rules.CaseKind], rules.CaseStatus]
    inspector: bool = False
    """The assigned inspector may take this step (verification and conclusion steps)."""
    text: str = "note"
    """Which input field is the text recorded in the history."""
    text_required: bool = False
    sources: frozenset[rules.CaseStatus] | None = None
    """Statuses this step starts from, when narrower than the status machine allows (resume vs. start)."""
    outcome: bool = False
    """The text also becomes the case's ``outcome`` (decision summary, or why the case ended)."""
    before: Callable[[Row[Any], rules.CaseKind], None] | None = None
    """Checks that come before the transition check (e.g. complaints are never extended)."""
    compute: Compute | None = None
    """More values to set, computed from the locked row (may raise user errors)."""


def _to(status: rules.CaseStatus) -> Callable[[rules.CaseKind], rules.CaseStatus]:
    return lambda kind: status


async def _payload(info: Info, cls: type[P], key: str | None, errors: list[UserError]) -> P:
    return cls(case=await case_by_code(info, key), user_errors=errors)


async def _step(info: Info, data: _StepInput, step: Step, cls: type[P]) -> P:
    p = _principal(info)
    require(p, Role.OFFICER, *((Role.INSPECTOR,) if step.inspector else ()), domain=STORE)

    async def work(tx: Tx) -> str:
        row = await _load(tx, data.code)
        _authorize(p, row, step.inspector)
        kind, current = rules.CaseKind(row.kind), S(row.status)
        target = step.target(kind)
        if step.before is not None:
            step.before(row, kind)
        if step.sources is not None and current not in step.sources:
            allowed = ", ".join(sorted(s.name for s in step.sources))
            raise UserInputError(
                f"The case is {current.name}: this step starts from {allowed}", ["input", "code"], "INVALID_TRANSITION"
            )
        _check_transition(kind, current, target, "code")
        text = await _redact(tx, row, _text(getattr(data, step.text), step.text, step.text_required))
        note = text
        if step.text != "note":
            extra_note = await _redact(tx, row, _text(data.note, "note"))
            note = f"{text}. {extra_note}" if text and extra_note else text or extra_note
        values: dict[str, Any] = {}
        if target in rules.ENDING_STATUSES:
            values["concluded_at"] = tx.now
        if step.outcome:
            values["outcome"] = text
        if step.compute is not None:
            values.update(await step.compute(tx, row, kind, text))
        if target is S.ACCEPTED:
            note = _acceptance_note(row, values["accepted_at"], tx.now, note)
        await _record(tx, p, row, target, values, note, step.verb)
        return str(row.code)

    outcome = await run_mutation(info, store=STORE, operation=step.operation, input=data, work=work)
    return await _payload(info, cls, outcome.key, outcome.errors)


# -- the steps --------------------------------------------------------------------------------------------


async def classify(info: Info, data: types.CaseClassifyInput) -> types.CaseClassifyPayload:
    return await _step(info, data, Step("caseClassify", "classified", _to(S.CLASSIFYING)), types.CaseClassifyPayload)


async def accept(info: Info, data: types.CaseAcceptInput) -> types.CaseAcceptPayload:
    async def compute(tx: Tx, row: Row[Any], kind: rules.CaseKind, text: str | None) -> dict[str, Any]:
        received = _local(row.received_at)
        today = _day(tx.now)
        day = data.accepted_on or today
        if day > today or day < received.date():
            raise UserInputError(
                f"The acceptance date must be between the receipt ({received.date()}) and today ({today})",
                ["input", "acceptedOn"],
            )
        accepted_at = max(_at(day, tx.now), received.astimezone(dt.UTC))
        return {
            "accepted_at": accepted_at,
            "complexity": data.complexity.name,
            "remote_area": data.remote_area,
        }

    payload = await _step(
        info, data, Step("caseAccept", "accepted", _to(S.ACCEPTED), compute=compute), types.CaseAcceptPayload
    )
    if payload.case is not None and payload.case.accepted_on is not None:
        payload.accepted_late_days = deadlines(payload.case).acceptance_days_late
    return payload


def _acceptance_note(row: Row[Any], accepted_at: dt.datetime, now: dt.datetime, note: str | None) -> str | None:
    """The history note of an acceptance: late by how much (thụ lý quá hạn), and the decision date when it is
    not the day of recording. The entry itself is timed when it was recorded, so the history stays in order."""
    kind = rules.CaseKind(row.kind)
    received, accepted = _day(row.received_at), _day(accepted_at)
    parts = []
    late = rules.acceptance_days_late(kind, received, accepted)
    if late:
        parts.append(f"Thụ lý quá hạn {late} ngày (hạn thụ lý {rules.accept_by(kind, received):%d/%m/%Y})")
    if accepted != _day(now):
        parts.append(f"Quyết định thụ lý ngày {accepted:%d/%m/%Y}")
    if note:
        parts.append(note)
    return ". ".join(parts) or None


async def refuse(info: Info, data: types.CaseRefuseInput) -> types.CaseRefusePayload:
    step = Step("caseRefuse", "refused", _to(S.NOT_ACCEPTED), text="reason", text_required=True, outcome=True)
    return await _step(info, data, step, types.CaseRefusePayload)


async def transfer(info: Info, data: types.CaseTransferInput) -> types.CaseTransferPayload:
    step = Step("caseTransfer", "transferred", _to(S.TRANSFERRED), text="to_agency", text_required=True, outcome=True)
    return await _step(info, data, step, types.CaseTransferPayload)


async def guide(info: Info, data: types.CaseGuideInput) -> types.CaseGuidePayload:
    step = Step("caseGuide", "guided", _to(S.GUIDED), text="to_agency", text_required=True, outcome=True)
    return await _step(info, data, step, types.CaseGuidePayload)


def _needs_inspector(row: Row[Any], kind: rules.CaseKind) -> None:
    if row.inspector_id is None and row.status == S.ACCEPTED.name:
        raise UserInputError("Assign an inspector before verification starts", ["input", "code"], "NO_INSPECTOR")


async def start_verification(info: Info, data: types.CaseStartVerificationInput) -> types.CaseStartVerificationPayload:
    step = Step(
        "caseStartVerification",
        "verification_started",
        _to(S.VERIFYING),
        inspector=True,
        sources=frozenset({S.ACCEPTED}),
        before=_needs_inspector,
    )
    return await _step(info, data, step, types.CaseStartVerificationPayload)


def _extendable(row: Row[Any], kind: rules.CaseKind) -> None:
    if kind is rules.CaseKind.COMPLAINT:
        refusal = rules.extension_refusal(kind, rules.Complexity(row.complexity), int(row.extensions))
        if refusal:
            raise UserInputError(refusal.message, ["input", "code"], refusal.code)


async def extend(info: Info, data: types.CaseExtendInput) -> types.CaseExtendPayload:
    async def compute(tx: Tx, row: Row[Any], kind: rules.CaseKind, text: str | None) -> dict[str, Any]:
        refusal = rules.extension_refusal(kind, rules.Complexity(row.complexity), int(row.extensions))
        if refusal:
            raise UserInputError(refusal.message, ["input", "code"], refusal.code)
        return {"extensions": int(row.extensions) + 1}

    step = Step(
        "caseExtend",
        "extended",
        _to(S.EXTENDED),
        text="reason",
        text_required=True,
        before=_extendable,
        compute=compute,
    )
    return await _step(info, data, step, types.CaseExtendPayload)


async def start_dialogue(info: Info, data: types.CaseStartDialogueInput) -> types.CaseStartDialoguePayload:
    step = Step("caseStartDialogue", "dialogue_started", _to(S.DIALOGUE), inspector=True)
    return await _step(info, data, step, types.CaseStartDialoguePayload)


def _decision(kind: rules.CaseKind) -> rules.CaseStatus:
    return S.DECIDED if kind is rules.CaseKind.COMPLAINT else S.CONCLUDED


async def conclude(info: Info, data: types.CaseConcludeInput) -> types.CaseConcludePayload:
    step = Step(
        "caseConclude", "concluded", _decision, inspector=True, text="summary", text_required=True, outcome=True
    )
    return await _step(info, data, step, types.CaseConcludePayload)


async def handle_conclusion(info: Info, data: types.CaseHandleConclusionInput) -> types.CaseHandleConclusionPayload:
    step = Step("caseHandleConclusion", "conclusion_handling", _to(S.HANDLING_CONCLUSION))
    return await _step(info, data, step, types.CaseHandleConclusionPayload)


async def publish(info: Info, data: types.CasePublishInput) -> types.CasePublishPayload:
    return await _step(info, data, Step("casePublish", "published", _to(S.PUBLISHED)), types.CasePublishPayload)


async def close(info: Info, data: types.CaseCloseInput) -> types.CaseClosePayload:
    return await _step(info, data, Step("caseClose", "closed", _to(S.CLOSED)), types.CaseClosePayload)


async def suspend(info: Info, data: types.CaseSuspendInput) -> types.CaseSuspendPayload:
    step = Step("caseSuspend", "suspended", _to(S.SUSPENDED), text="reason", text_required=True)
    return await _step(info, data, step, types.CaseSuspendPayload)


async def resume(info: Info, data: types.CaseResumeInput) -> types.CaseResumePayload:
    step = Step("caseResume", "resumed", _to(S.VERIFYING), sources=frozenset({S.SUSPENDED}))
    return await _step(info, data, step, types.CaseResumePayload)


async def terminate(info: Info, data: types.CaseTerminateInput) -> types.CaseTerminatePayload:
    step = Step("caseTerminate", "terminated", _to(S.TERMINATED), text="reason", text_required=True, outcome=True)
    return await _step(info, data, step, types.CaseTerminatePayload)


async def record_lawsuit(info: Info, data: types.CaseRecordLawsuitInput) -> types.CaseRecordLawsuitPayload:
    step = Step("caseRecordLawsuit", "lawsuit_recorded", _to(S.LITIGATION))
    return await _step(info, data, step, types.CaseRecordLawsuitPayload)


async def assign(info: Info, data: types.CaseAssignInput) -> types.CaseAssignPayload:
    """Assign or reassign the inspector: no status change; the history records it under the current status."""
    p = _principal(info)
    require(p, Role.OFFICER, domain=STORE)

    async def work(tx: Tx) -> str:
        row = await _load(tx, data.code)
        _authorize(p, row, inspector_ok=False)
        current = S(row.status)
        if current.phase is rules.Phase.DONE:
            raise UserInputError(
                f"The case is {current.name}: inspectors are assigned only to open cases",
                ["input", "code"],
                "INVALID_TRANSITION",
            )
        staff_id = (data.inspector_id or "").strip()
        if not STAFF_RE.match(staff_id):
            raise UserInputError(
                "A staff id has 1-12 letters, digits, dots or hyphens, e.g. 'TTr-HN-017'", ["input", "inspectorId"]
            )
        name = _text(data.inspector_name, "inspectorName", required=True, limit=80)
        note = await _redact(tx, row, _text(data.note, "note"))
        text = f"Giao xác minh: {staff_id} {name}" + (f". {note}" if note else "")
        await _record(tx, p, row, current, {"inspector_id": staff_id, "inspector_name": name}, text, "assigned")
        return str(row.code)

    outcome = await run_mutation(info, store=STORE, operation="caseAssign", input=data, work=work)
    return await _payload(info, types.CaseAssignPayload, outcome.key, outcome.errors)


async def withdraw(info: Info, data: types.CaseWithdrawInput) -> types.CaseWithdrawPayload:
    """The complainant (lead signatory) or denouncer themselves, or an officer recording a signed withdrawal.
    ``continueHandling`` (officers, denunciations): the withdrawal is recorded, the case goes on."""
    p = _principal(info)
    require(p, Role.CITIZEN, Role.OFFICER, domain=STORE)
    if p.role is Role.CITIZEN and data.continue_handling:
        raise Forbidden("Only the resolving authority decides to continue a withdrawn denunciation")

    async def work(tx: Tx) -> str:
        row = await _load(tx, data.code)
        kind, current = rules.CaseKind(row.kind), S(row.status)
        if p.role is Role.CITIZEN:
            if kind is rules.CaseKind.COMPLAINT:
                pids = await ds.complainant_pids(tx.conn, row.code)
                own = bool(pids) and pids[0] == p.subject
            else:
                own = await ds.is_denouncer(tx.conn, row.denouncer_token, p.subject)
            if not own:
                raise Forbidden("A citizen may withdraw only their own complaint or denunciation")
        else:
            _authorize(p, row, inspector_ok=False)
        _check_transition(kind, current, S.WITHDRAWN, "code")
        note = await _redact(tx, row, _text(data.note, "note", required=p.role is not Role.CITIZEN))
        if data.continue_handling:
            if not rules.withdrawal_may_continue(kind):
                raise UserInputError(
                    "A withdrawn complaint ends; only a denunciation may be continued",
                    ["input", "continueHandling"],
                    "NOT_CONTINUABLE",
                )
            text = f"Người tố cáo rút tố cáo; tiếp tục giải quyết (Điều 33 Luật Tố cáo): {note}"
            await _record(tx, p, row, current, {}, text, "withdrawal_overridden", withdrawal=True)
            return str(row.code)
        text = "Rút đơn" + (f": {note}" if note else "")
        await _record(tx, p, row, S.WITHDRAWN, {"concluded_at": tx.now, "outcome": text}, text, "withdrawn")
        return str(row.code)

    outcome = await run_mutation(info, store=STORE, operation="caseWithdraw", input=data, work=work)
    return await _payload(info, types.CaseWithdrawPayload, outcome.key, outcome.errors)


# -- denouncer readers ------------------------------------------------------------------------------------


async def designate_reader(info: Info, data: types.CaseDesignateReaderInput) -> types.CaseDesignateReaderPayload:
    """The resolver of a denunciation (its assigned inspector) designates or revokes a staff member who may read
    the sealed identity. Admins may not (they never read it either); nothing goes to the history or the bus."""
    p = _principal(info)
    if not p.authenticated or p.role is not Role.INSPECTOR:
        raise Forbidden("Only the resolver of a denunciation (the inspector assigned to it) designates its readers")

    async def work(tx: Tx) -> str:
        row = await _load(tx, data.code)
        if row.kind != rules.CaseKind.DENUNCIATION.name:
            raise UserInputError("Only a denunciation has a sealed identity", ["input", "code"], "NOT_DENUNCIATION")
        if row.inspector_id is None or row.inspector_id != p.subject:
            raise Forbidden("Only the resolver of this denunciation (the inspector assigned to it) designates readers")
        staff_id = (data.staff_id or "").strip()
        if not STAFF_RE.match(staff_id):
            raise UserInputError(
                "A staff id has 1-12 letters, digits, dots or hyphens, e.g. 'TCD-01'", ["input", "staffId"]
            )
        if staff_id == p.subject:
            raise UserInputError("The resolver reads the identity without a designation", ["input", "staffId"])
        reason = await _redact(tx, row, _text(data.reason, "reason", required=True))
        if data.revoke:
            await ds.revoke_reader(tx.conn, row.code, staff_id, tx.now)
        else:
            await ds.designate_reader(tx.conn, row.code, staff_id, p.subject, reason or "", tx.now)
        return str(row.code)

    outcome = await run_mutation(info, store=STORE, operation="caseDesignateReader", input=data, work=work)
    return await _payload(info, types.CaseDesignateReaderPayload, outcome.key, outcome.errors)


# -- filing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Petitioner:
    pid: str | None
    full_name: str | None
    address: str | None
    phone: str | None


async def _petitioner(info: Info, given: types.CasePetitionerInput) -> tuple[Petitioner, list[UserError]]:
    """The petitioner as given, completed from the population register (read before the transaction)."""
    errors: list[UserError] = []
    pid = (given.personal_id or "").strip() or None
    name, address, phone = given.full_name, given.address, given.phone
    if pid is not None:
        try:
            parse_personal_id(pid)
        except InvalidPersonalId as exc:
            errors.append(_err(["input", "petitioner", "personalId"], message=str(exc), code="INVALID"))
            pid = None
        else:
            person = await info.context.loaders.population.citizen_by_pid.load(pid)
            if person is None:
                errors.append(
                    _err(["input", "petitioner", "personalId"], "NOT_FOUND", "No citizen has this personal ID")
                )
            else:
                name = name or person.full_name
                address = address or person.permanent_address
    return Petitioner(pid, name, address, phone), errors


def _check_petitioner(person: Petitioner, errors: list[UserError]) -> Petitioner:
    field = ["input", "petitioner"]
    name = (person.full_name or "").strip()
    if not name and not any(e.field == [*field, "personalId"] for e in errors):
        errors.append(
            _err(
                [*field, "fullName"],
                "REQUIRED",
                "The petitioner's name is required (anonymous petitions are not processed "
                "as complaints or denunciations)",
            )
        )
    elif len(name) > MAX_NAME:
        errors.append(_err([*field, "fullName"], "TOO_LONG", f"At most {MAX_NAME} characters"))
    phone = None
    if person.phone and person.phone.strip():
        phone = normalize_phone(person.phone)
        if phone is None:
            errors.append(
                _err([*field, "phone"], "INVALID", "Not a Vietnamese mobile (10 digits) or Hanoi landline (024...)")
            )
    address = (person.address or "").strip() or None
    if address and len(address) > 500:
        errors.append(_err([*field, "address"], "TOO_LONG", "At most 500 characters"))
    return Petitioner(person.pid, name, address, phone)


def _agency(unit_name: str) -> str:
    for level in ("Phường", "Xã", "Thị trấn"):
        if unit_name.startswith(level + " "):
            unit_name = level.lower() + unit_name[len(level) :]
            break
    return f"Chủ tịch UBND {unit_name}"


async def file_case(info: Info, data: types.CaseFileInput) -> types.CaseFilePayload:
    p = _principal(info)
    require(p, Role.CITIZEN, Role.OFFICER, domain=STORE)
    if p.role is Role.CITIZEN:
        require_self(p, (data.petitioner.personal_id or "").strip())
    require_unit(p, data.unit_code)
    given, lookup_errors = await _petitioner(info, data.petitioner)
    kind = rules.CaseKind(data.kind.name)

    async def work(tx: Tx) -> str:
        errors = list(lookup_errors)
        person = _check_petitioner(given, errors)
        today = _day(tx.now)
        unit = gazetteer().get(data.unit_code, CURRENT)
        if unit is None:
            errors.append(
                _err(
                    ["input", "unitCode"], "NOT_FOUND", f"No administrative unit {data.unit_code} in the 2025 structure"
                )
            )
        subject = (data.subject or "").strip()
        if not MIN_SUBJECT <= len(subject) <= MAX_SUBJECT:
            errors.append(
                _err(["input", "subject"], "INVALID", f"The petition has {MIN_SUBJECT} to {MAX_SUBJECT} characters")
            )
        received_on = today
        if data.received_on is not None:
            if p.role is Role.CITIZEN:
                errors.append(
                    _err(["input", "receivedOn"], "NOT_ALLOWED", "Only the reception desk records a receipt date")
                )
            elif not today - dt.timedelta(days=RECEIPT_BACKDATE_DAYS) <= data.received_on <= today:
                errors.append(
                    _err(
                        ["input", "receivedOn"],
                        "INVALID",
                        f"The receipt date must be within the last {RECEIPT_BACKDATE_DAYS} days, not in the future",
                    )
                )
            else:
                received_on = data.received_on
        agency = _text(data.agency_name, "agencyName", limit=MAX_AGENCY) or (_agency(unit.name) if unit else "")
        contested_act = _text(data.contested_act, "contestedAct")
        contested_on = data.contested_on
        instance: rules.Instance | None = None
        first: Row[Any] | None = None
        if kind is rules.CaseKind.DENUNCIATION:
            for value, name in (
                (data.contested_act, "contestedAct"),
                (data.contested_on, "contestedOn"),
                (data.first_instance_code, "firstInstanceCode"),
            ):
                if value is not None:
                    errors.append(_err(["input", name], "INVALID", f"`{name}` is for complaints only"))
        elif data.first_instance_code is not None:
            instance = rules.Instance.SECOND
            first = await _first_instance(tx, data.first_instance_code, person, received_on, errors)
            if first is not None:
                contested_act = contested_act or first.contested_act
                contested_on = contested_on or first.contested_on
        else:
            instance = rules.Instance.FIRST
            if contested_act is None:
                errors.append(
                    _err(["input", "contestedAct"], "REQUIRED", "A complaint names the decision or act it contests")
                )
            if contested_on is None:
                errors.append(
                    _err(["input", "contestedOn"], "REQUIRED", "When did the complainant receive or learn of it?")
                )
            elif contested_on > received_on or contested_on.year < FIRST_YEAR:
                errors.append(
                    _err(
                        ["input", "contestedOn"], "INVALID", f"Must be between {FIRST_YEAR}-01-01 and the receipt date"
                    )
                )
            elif not rules.complaint_filed_in_time(contested_on, received_on):
                expired = rules.complaint_time_limit(contested_on)
                errors.append(
                    _err(
                        ["input", "contestedOn"],
                        "TIME_LIMIT_EXPIRED",
                        f"The time limit to complain (90 days, Law on Complaints Art. 9) "
                        f"expired on {expired.isoformat()}",
                    )
                )
        if errors:
            raise UserInputError.many(errors)
        if unit is None or person.full_name is None:
            raise RuntimeError("validated above")
        received_at = _at(received_on, tx.now)
        code = ds.case_code(kind, received_on.year, await ds.next_serial(tx.conn, kind, received_on.year))
        token = secrets.token_hex(16) if kind is rules.CaseKind.DENUNCIATION else None
        if token is not None:
            subject = rules.redact_petition(subject, [person.full_name, person.pid, person.address, person.phone])
        row = {
            "code": code,
            "kind": kind.name,
            "instance": instance.name if instance else None,
            "status": S.RECEIVED.name,
            "complexity": rules.Complexity.NORMAL.name,
            "remote_area": False,
            "received_at": received_at,
            "accepted_at": None,
            "extensions": 0,
            "concluded_at": None,
            "unit_code": unit.code,
            "unit_structure": CURRENT.value,
            "agency_name": agency,
            "inspector_id": None,
            "inspector_name": None,
            "subject": subject,
            "contested_act": contested_act,
            "contested_on": contested_on,
            "outcome": None,
            "first_instance_code": first.code if first is not None else None,
            "denouncer_token": token,
        }
        await ds.insert_case(tx.conn, row)
        if token is not None:
            await ds.seal_identity(tx.conn, token, person.pid, person.full_name, person.address, person.phone, tx.now)
        else:
            await ds.insert_complainant(tx.conn, code, person.pid, person.full_name, person.address, person.phone)
        actor_id, actor_name = _actor(p, None, kind)
        note = "Tiếp nhận đơn" + (f" khiếu nại lần hai đối với {first.code}" if first is not None else "")
        await ds.append_event(tx.conn, code, received_at, S.RECEIVED.name, actor_id, actor_name, note)
        _emit(
            tx,
            "filed",
            code=code,
            kind=kind.name,
            status=S.RECEIVED.name,
            previous=None,
            unit_code=unit.code,
            unit_structure=CURRENT.value,
            inspector_id=None,
        )
        if first is not None:
            await _record(
                tx,
                p,
                first,
                S.SECOND_INSTANCE,
                {},
                f"Khiếu nại lần hai: {code}",
                "second_instance",
                second_instance_code=code,
            )
        return code

    outcome = await run_mutation(info, store=STORE, operation="caseFile", input=data, work=work)
    return await _payload(info, types.CaseFilePayload, outcome.key, outcome.errors)


async def _first_instance(
    tx: Tx, code: str, person: Petitioner, received_on: dt.date, errors: list[UserError]
) -> Row[Any] | None:
    """The decided first-instance case a second complaint follows (locked), or None with the errors noted."""
    field = ["input", "firstInstanceCode"]
    row = await ds.case_for_update(tx.conn, code) if CODE_RE.match(code) else None
    if row is None or row.kind != rules.CaseKind.COMPLAINT.name or row.instance != rules.Instance.FIRST.name:
        errors.append(_err(field, "NOT_FOUND", f"No first-instance complaint {code}"))
        return None
    refusal = rules.transition_refusal(rules.CaseKind.COMPLAINT, S(row.status), S.SECOND_INSTANCE)
    if refusal:
        errors.append(_err(field, "INVALID_TRANSITION", refusal))
        return None
    if person.pid is None or person.pid not in await ds.complainant_pids(tx.conn, row.code):
        errors.append(
            _err(
                ["input", "petitioner", "personalId"],
                "NOT_COMPLAINANT",
                f"Only a complainant of {code} may complain again about it",
            )
        )
    decided = _day(row.concluded_at) if row.concluded_at is not None else None
    if decided is None or not rules.second_complaint_in_time(decided, bool(row.remote_area), received_on):
        limit = rules.second_complaint_by(decided, bool(row.remote_area)) if decided else None
        errors.append(
            _err(
                field,
                "TIME_LIMIT_EXPIRED",
                "The time limit for a second complaint (30 days, remote areas 45; Law on "
                f"Complaints Art. 33) expired on {limit}",
            )
        )
    return row


# ---------------------------------------------------------------------------------------------------------
# Subscription
# ---------------------------------------------------------------------------------------------------------


async def case_updates(info: Info, code: str | None) -> AsyncIterator[types.Case]:
    """Each change of a case the subscriber may follow, reloaded through fresh loaders."""
    p = _principal(info)
    require(p, Role.OFFICER, Role.INSPECTOR, domain=STORE)

    def match(event: Event) -> bool:
        data = event.payload
        if code is not None and data.get("code") != code:
            return False
        if p.role is Role.ADMIN:
            return True
        if p.role is Role.INSPECTOR:
            return data.get("inspector_id") == p.subject
        return p.role is Role.OFFICER and p.unit in (data.get("units") or [])

    async for event in follow(info, ["complaints.case."], match):
        case = await case_by_code(info, str(event.payload["code"]))
        if case is None:
            continue
        if p.role is Role.INSPECTOR and (case.inspector is None or case.inspector.staff_id != p.subject):
            continue  # reassigned since the event: the old inspector no longer follows it
        yield case
