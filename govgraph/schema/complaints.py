"""Complaints (khiếu nại) and denunciations (tố cáo): cases, their deadlines, history and complainants.

Design choice: ONE ``Case`` Node type with a ``kind`` (COMPLAINT or DENUNCIATION) rather than two types behind
an interface. Both laws share the case life cycle, the unified status list (DOMAIN.md §6.3), the handling unit,
the inspector and the deadline shape, so lists, filters and statistics mix both kinds naturally; the few
kind-specific fields (``instance``, ``complainants``, ``extensions``) are documented as such and are null or
empty for the other kind.

Confidentiality (Law on Denunciations Art. 9, 47, 56; DOMAIN.md §6.3): ``subject`` of a denunciation is the
redacted petition. The identity exists in exactly one field, ``Case.denouncer`` (a ``DenouncerIdentity`` read
from the sealed table through the case's opaque token), which the policy table lets only the resolver (the
assigned inspector), the staff they designated with ``caseDesignateReader`` and the denouncer themselves read;
staff reads need a purpose and are audited. Everyone else, admins and operators included, gets null. No link
from ``Citizen`` leads to denunciations, and history, events and statistics never name the denouncer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.domain import complaints as rules
from govgraph.resolvers import complaints as resolve
from govgraph.schema.common import Connection, UserError, local

if TYPE_CHECKING:
    from govgraph.schema.places import AdministrativeUnit
    from govgraph.schema.population import Citizen

_S = rules.CaseStatus


def _status(name: str) -> Any:
    return strawberry.enum_value(name, description=rules.STATUS_VI[_S(name)])


@strawberry.enum(description="Complaint (khiếu nại) or denunciation (tố cáo).")
class CaseKind(Enum):
    COMPLAINT = strawberry.enum_value(
        "COMPLAINT",
        description="Khiếu nại: asks the authority to review an administrative decision or act that affects the "
        "complainant's own rights (Law on Complaints 02/2011/QH13).",
    )
    DENUNCIATION = strawberry.enum_value(
        "DENUNCIATION",
        description="Tố cáo: reports a legal violation by an agency or person (Law on Denunciations 25/2018/QH14). "
        "The denouncer's identity is secret.",
    )


@strawberry.enum(description="Complaints: which instance resolves the case.")
class CaseInstance(Enum):
    FIRST = strawberry.enum_value("FIRST", description="Giải quyết lần đầu: by the decision maker or their agency.")
    SECOND = strawberry.enum_value("SECOND", description="Giải quyết lần hai: by the direct superior.")


@strawberry.enum(description="How complex the case is; complex cases get longer deadlines (or extensions).")
class CaseComplexity(Enum):
    NORMAL = strawberry.enum_value("NORMAL", description="Ordinary case.")
    COMPLEX = strawberry.enum_value(
        "COMPLEX", description="Vụ việc phức tạp: longer complaint deadlines; one denunciation extension."
    )
    ESPECIALLY_COMPLEX = strawberry.enum_value(
        "ESPECIALLY_COMPLEX",
        description="Vụ việc đặc biệt phức tạp: as complex for complaints; two denunciation extensions.",
    )


@strawberry.enum(description="Case status, one list for both laws (DOMAIN.md §6.3).")
class CaseStatus(Enum):
    RECEIVED = _status("RECEIVED")
    CLASSIFYING = _status("CLASSIFYING")
    TRANSFERRED = _status("TRANSFERRED")
    GUIDED = _status("GUIDED")
    NOT_ACCEPTED = _status("NOT_ACCEPTED")
    ACCEPTED = _status("ACCEPTED")
    VERIFYING = _status("VERIFYING")
    EXTENDED = _status("EXTENDED")
    DIALOGUE = _status("DIALOGUE")
    DECIDED = _status("DECIDED")
    CONCLUDED = _status("CONCLUDED")
    HANDLING_CONCLUSION = _status("HANDLING_CONCLUSION")
    PUBLISHED = _status("PUBLISHED")
    CLOSED = _status("CLOSED")
    WITHDRAWN = _status("WITHDRAWN")
    SUSPENDED = _status("SUSPENDED")
    TERMINATED = _status("TERMINATED")
    SECOND_INSTANCE = _status("SECOND_INSTANCE")
    LITIGATION = _status("LITIGATION")


@strawberry.enum(description="Which deadline of a case is running.")
class CaseDeadlineStep(Enum):
    ACCEPTANCE = strawberry.enum_value(
        "ACCEPTANCE",
        description="Thụ lý: complaints within 10 days of receipt; denunciations' intake within 7 working days.",
    )
    RESOLUTION = strawberry.enum_value(
        "RESOLUTION", description="Giải quyết: the decision or conclusion is due, counted from acceptance."
    )


@strawberry.type(description="Deadlines of a case, computed from its dates and the law (never stored).")
class CaseDeadlines:
    accept_by: dt.date = strawberry.field(
        description="Last day to accept (complaints: 10 days from receipt, Art. 27) or to finish intake "
        "(denunciations: 7 working days, Art. 24). A period ending on a day off ends on the next working day."
    )
    resolve_by: dt.date | None = strawberry.field(
        description="Last day to decide the complaint or conclude the denunciation, counting extensions "
        "granted so far; null until the case is accepted."
    )
    running: CaseDeadlineStep | None = strawberry.field(
        description="The deadline now running; null when none runs (ended, decided, or suspended)."
    )
    overdue: bool = strawberry.field(description="True when the running deadline has passed (quá hạn).")
    days_left: int | None = strawberry.field(
        description="Calendar days until the running deadline (negative when overdue); null when none runs."
    )
    complain_by: dt.date | None = strawberry.field(
        description="Complaints: last day the complainant could complain about the contested act "
        "(90 days, Art. 9); null when unknown or for denunciations."
    )
    extensions_allowed: int | None = strawberry.field(
        description="Denunciations: extensions the case's complexity allows (0, 1 or 2); null for complaints."
    )
    acceptance_days_late: int | None = strawberry.field(
        description="Days the acceptance (thụ lý) came after `acceptBy` (0 when on time); null until accepted. "
        "A late acceptance is valid; the case's history also notes it (thụ lý quá hạn)."
    )


@dataclass(frozen=True)
class CaseRef:
    """Whose data a case (and its history, signatories, denouncer) is, for the field policy (auth/policy.py):
    never exposed."""

    code: str
    owner_pid: str | None
    """The citizen viewing their own case; for staff the lead complainant (None for denunciations)."""
    units: tuple[str, ...]
    """Current units responsible for the case (successors of a legacy ward)."""
    resolver_id: str | None
    """The assigned inspector, who resolves the case (DOMAIN.md §6.3)."""
    designated: tuple[str, ...]
    """The viewer's staff id when the resolver designated them to read the denouncer identity."""


@strawberry.type(description="A staff member of an inspectorate or People's Committee working on cases.")
class CaseOfficer:
    staff_id: str = strawberry.field(description="Staff account id, e.g. 'TTr-HN-017'.")
    name: str = strawberry.field(description="Full name.")


@strawberry.type(description="One status change in a case's history.")
class CaseEvent:
    at: dt.datetime = strawberry.field(description="When the status changed (+07:00).")
    status: CaseStatus = strawberry.field(description="The status the case entered.")
    actor: CaseOfficer | None = strawberry.field(description="Who made the change.")
    note: str | None = strawberry.field(description="Document number or reason, if recorded.")
    ref: strawberry.Private[CaseRef]


@strawberry.type(description="A person who filed (or co-signed) a complaint, as written on the petition.")
class Complainant:
    lead: bool = strawberry.field(description="True for the first-named complainant.")
    full_name: str | None = strawberry.field(description="Name as written on the petition.")
    address: str | None = strawberry.field(description="Address as written on the petition.")
    phone: str | None = strawberry.field(description="Phone as written on the petition.")
    personal_id: strawberry.Private[str | None]
    ref: strawberry.Private[CaseRef]

    @strawberry.field(description="The person in the population register (population store); null if unknown.")
    async def citizen(self, info: Info) -> Annotated[Citizen, strawberry.lazy("govgraph.schema.population")] | None:
        return await resolve.citizen(info, self.personal_id)


@strawberry.type(
    description="Who made a denunciation, from the sealed table (secret: Mật, Decision 774/QĐ-TTg). Only the "
    "resolver, the staff they designated and the denouncer themselves ever get one."
)
class DenouncerIdentity:
    full_name: str | None = strawberry.field(description="Name as given when the denunciation was filed.")
    personal_id: str | None = strawberry.field(description="12-digit personal ID, when given.")
    address: str | None = strawberry.field(description="Address as given.")
    phone: str | None = strawberry.field(description="Phone as given.")
    ref: strawberry.Private[CaseRef]


@strawberry.type(
    description="A complaint (khiếu nại) or denunciation (tố cáo) case. A denunciation reveals who made it only "
    "through `denouncer`, to the few who may unseal it."
)
class Case(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="Case code: 'KN-2026-000123' (complaint) or 'TC-2026-000045'.")
    kind: CaseKind = strawberry.field(description="Complaint or denunciation.")
    instance: CaseInstance | None = strawberry.field(description="Complaints: first or second instance.")
    status: CaseStatus = strawberry.field(description="Current status.")
    complexity: CaseComplexity = strawberry.field(description="Complexity, as classified at acceptance.")
    remote_area: bool = strawberry.field(
        description="Vùng sâu, vùng xa, đi lại khó khăn: complaints get longer deadlines."
    )
    received_at: dt.datetime = strawberry.field(description="When the petition was received (+07:00).")
    accepted_at: dt.datetime | None = strawberry.field(description="Thụ lý: when the case was accepted.")
    concluded_at: dt.datetime | None = strawberry.field(
        description="When the decision or conclusion was issued, or the case otherwise ended."
    )
    extensions: int = strawberry.field(description="Denunciations: resolution extensions granted (0-2).")
    handling_agency: str = strawberry.field(description="Who resolves, e.g. 'Chủ tịch UBND phường Cửa Nam'.")
    inspector: CaseOfficer | None = strawberry.field(description="The inspector assigned to verify the case.")
    subject: str | None = strawberry.field(
        description="What the case is about. For denunciations: the petition with the denouncer's identifying "
        "details removed (lược bỏ, Law on Denunciations Art. 56)."
    )
    contested_act: str | None = strawberry.field(
        description="Complaints: the administrative decision or act complained about."
    )
    contested_on: dt.date | None = strawberry.field(
        description="Complaints: when the complainant received or learned of the contested act."
    )
    outcome: str | None = strawberry.field(
        description="Summary of the decision (complaints) or conclusion (denunciations), or why the case ended."
    )
    unit_code: strawberry.Private[str]
    unit_structure: strawberry.Private[str]
    first_instance_code: strawberry.Private[str | None]
    received_on: strawberry.Private[dt.date]
    accepted_on: strawberry.Private[dt.date | None]
    ref: strawberry.Private[CaseRef]

    @classmethod
    def from_row(cls, r: Any) -> Case:
        """From a row of a scoped case query (``datasources.complaints.case_columns``: with the viewer columns)."""
        received = local(r.received_at) or r.received_at
        accepted = local(r.accepted_at)
        designated = r.designated_viewer
        ref = CaseRef(
            code=r.code,
            owner_pid=r.owner_pid,
            units=tuple(resolve.units_of(r.unit_code, r.unit_structure)),
            resolver_id=r.inspector_id,
            designated=(designated,) if designated else (),
        )
        return cls(
            ref=ref,
            key=r.code,
            code=r.code,
            kind=CaseKind(r.kind),
            instance=CaseInstance(r.instance) if r.instance else None,
            status=CaseStatus(r.status),
            complexity=CaseComplexity(r.complexity),
            remote_area=bool(r.remote_area),
            received_at=received,
            accepted_at=accepted,
            concluded_at=local(r.concluded_at),
            extensions=int(r.extensions),
            handling_agency=r.agency_name,
            inspector=CaseOfficer(staff_id=r.inspector_id, name=r.inspector_name) if r.inspector_id else None,
            subject=r.subject,
            contested_act=r.contested_act,
            contested_on=r.contested_on,
            outcome=r.outcome,
            unit_code=r.unit_code,
            unit_structure=r.unit_structure,
            first_instance_code=r.first_instance_code,
            received_on=received.date(),
            accepted_on=accepted.date() if accepted else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Case | None]:
        return await resolve.cases_by_code(info, node_ids, required)

    @strawberry.field(description="The administrative unit the case is handled in (in its own structure).")
    def handling_unit(self) -> Annotated[AdministrativeUnit, strawberry.lazy("govgraph.schema.places")] | None:
        return resolve.unit(self.unit_code, self.unit_structure)

    @strawberry.field(description="Deadlines, computed from the case's dates (never stored), as of today.")
    def deadlines(self) -> CaseDeadlines:
        return resolve.deadlines(self)

    @strawberry.field(description="Status changes, oldest first.")
    async def history(self, info: Info) -> list[CaseEvent]:
        return await resolve.history(info, self)

    @strawberry.field(
        description="Complaints: the lead complainant in the population register (population store). Always null "
        "for denunciations: the denouncer is not exposed."
    )
    async def complainant(self, info: Info) -> Annotated[Citizen, strawberry.lazy("govgraph.schema.population")] | None:
        return await resolve.complainant(info, self)

    @strawberry.field(description="Complaints: everyone who signed the petition, lead first. Empty for denunciations.")
    async def complainants(self, info: Info) -> list[Complainant]:
        return await resolve.complainants(info, self)

    @strawberry.field(description="Second-instance complaints: the first-instance case it follows.")
    async def first_instance(self, info: Info) -> Case | None:
        return await resolve.case_by_code(info, self.first_instance_code)

    @strawberry.field(
        description="Denunciations: who made it, unsealed (Law on Denunciations Art. 56). Null for complaints, and "
        "for everyone but the resolver, the staff they designated and the denouncer; staff state a purpose and "
        "every read is audited."
    )
    async def denouncer(self, info: Info) -> DenouncerIdentity | None:
        return await resolve.denouncer(info, self)


@strawberry.type(description="How many cases are in one kind and status.")
class CaseStatusCount:
    kind: CaseKind = strawberry.field(description="Complaint or denunciation.")
    status: CaseStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Cases in this kind and status.")
    overdue: int = strawberry.field(description="Of these, how many are overdue today.")


@strawberry.type(description="How many cases of one kind.")
class CaseKindCount:
    kind: CaseKind = strawberry.field(description="Complaint or denunciation.")
    count: int = strawberry.field(description="Cases of this kind.")
    open: int = strawberry.field(description="Of these, how many are still running (not ended).")
    overdue: int = strawberry.field(description="Of these, how many are overdue today.")


@strawberry.type(description="Case counts of a unit (or of the whole city).")
class CaseStatistics:
    unit_code: str | None = strawberry.field(description="The unit counted; null for the whole city.")
    total: int = strawberry.field(description="All cases.")
    overdue: int = strawberry.field(description="Cases whose running deadline has passed.")
    by_kind: list[CaseKindCount] = strawberry.field(description="Counts per kind.")
    by_status: list[CaseStatusCount] = strawberry.field(description="Counts per kind and status (non-zero only).")


@strawberry.enum(description="Orderings of the cases list.")
class CaseOrderField(Enum):
    RECEIVED_AT = strawberry.enum_value("RECEIVED_AT", description="By time of receipt.")
    CODE = strawberry.enum_value("CODE", description="By case code.")


@strawberry.input(description="How to order cases.")
class CaseOrder:
    field: CaseOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest (newest) first.")


@strawberry.input(description="Filters on cases; all given filters must match.")
class CaseFilterInput:
    kind: CaseKind | None = strawberry.field(default=None, description="Only complaints or only denunciations.")
    status: list[CaseStatus] | None = strawberry.field(default=None, description="Only cases in these statuses.")
    unit_code: str | None = strawberry.field(default=None, description="Handled in this administrative unit code.")
    unit_structure: str | None = strawberry.field(
        default=None, description="Structure of `unitCode` (Y2025_07 or Y2025_01); default: any."
    )
    inspector_id: str | None = strawberry.field(default=None, description="Assigned to this inspector (staff id).")
    overdue: bool | None = strawberry.field(
        default=None, description="true: only cases whose running deadline has passed today; false: the others."
    )
    received_from: dt.date | None = strawberry.field(default=None, description="Received on or after this day.")
    received_to: dt.date | None = strawberry.field(default=None, description="Received on or before this day.")


@strawberry.type(description="Complaints and denunciations.")
class ComplaintsQuery:
    @strawberry.field(description="Cases, filtered and ordered (default: newest first; keyset pagination).")
    async def cases(
        self,
        info: Info,
        filter: Annotated[CaseFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[CaseOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Case] | None:
        return await resolve.cases(info, filter, order_by, first, after)

    @strawberry.field(description="One case by its code, e.g. 'KN-2026-000123'.")
    async def case(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The case code.")],
    ) -> Case | None:
        return await resolve.case_by_code(info, code)

    @strawberry.field(description="Case counts by kind and status, for one unit or the whole city.")
    async def case_statistics(
        self,
        info: Info,
        unit_code: Annotated[
            str | None, strawberry.argument(description="Administrative unit code; omit for the whole city.")
        ] = None,
        unit_structure: Annotated[
            str | None, strawberry.argument(description="Structure of `unitCode` (Y2025_07 or Y2025_01); default: any.")
        ] = None,
    ) -> CaseStatistics | None:
        return await resolve.case_statistics(info, unit_code, unit_structure)


# ---------------------------------------------------------------------------------------------------------
# Mutations
#
# Roles (DESIGN.md §3): a citizen files and withdraws only their own petitions; a complaints officer (token
# `domains` includes `complaints`) acts on the cases of their unit (legacy-ward cases belong to the ward's
# successor units); an inspector acts only on the verification and conclusion steps of cases assigned to them;
# an admin does everything; operators, teachers and devices never write.
# ---------------------------------------------------------------------------------------------------------

_IDEMPOTENCY = "Client-chosen key: a retry with the same key returns the first result and changes nothing."
_CODE = "The case code, e.g. 'KN-2026-000123'."


@strawberry.input(description="Who petitions: the complainant (khiếu nại) or the denouncer (tố cáo).")
class CasePetitionerInput:
    personal_id: str | None = strawberry.field(
        default=None,
        description="12-digit personal ID. Required when a citizen files for themselves (it must be theirs).",
    )
    full_name: str | None = strawberry.field(
        default=None, description="Name as written on the petition; default: the name in the population register."
    )
    address: str | None = strawberry.field(default=None, description="Address as written on the petition.")
    phone: str | None = strawberry.field(default=None, description="Phone: 10-digit mobile or 024 landline.")


@strawberry.input(
    description="File a complaint or a denunciation. A denouncer's identity is sealed (Law on Denunciations "
    "Art. 56): it is stored apart under an opaque token, removed from the petition text, and never returned."
)
class CaseFileInput:
    kind: CaseKind = strawberry.field(description="Complaint (khiếu nại) or denunciation (tố cáo).")
    unit_code: str = strawberry.field(
        description="The administrative unit (2025 structure) whose authority resolves the case."
    )
    subject: str = strawberry.field(description="The petition: what is complained about or denounced (10-5000 chars).")
    petitioner: CasePetitionerInput = strawberry.field(
        description="The complainant or denouncer. Anonymous denunciations are not processed as denunciations."
    )
    contested_act: str | None = strawberry.field(
        default=None, description="Complaints: the administrative decision or act contested (required)."
    )
    contested_on: dt.date | None = strawberry.field(
        default=None,
        description="Complaints: when the complainant received or learned of it (required). The complaint must be "
        "received within 90 days (Art. 9), moved to the next working day when the 90th is a day off.",
    )
    first_instance_code: str | None = strawberry.field(
        default=None,
        description="Second-instance complaints (khiếu nại lần hai): the decided first-instance case; it must have "
        "been decided within the last 30 days (remote areas 45, Art. 33), and the case moves to SECOND_INSTANCE.",
    )
    agency_name: str | None = strawberry.field(
        default=None, description="Who resolves; default: 'Chủ tịch UBND <the unit>'."
    )
    received_on: dt.date | None = strawberry.field(
        default=None,
        description="Reception desk only: the day the petition was received (by post or in person), at most a "
        "year ago; default and for citizens: today.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.input(description="Fields shared by the inputs of case steps.")
class CaseStepInput:
    code: str = strawberry.field(description=_CODE)
    note: str | None = strawberry.field(default=None, description="Document number or remark for the history.")
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.input(description="Start processing the petition (xử lý đơn): RECEIVED -> CLASSIFYING.")
class CaseClassifyInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(description="Accept the case (thụ lý): CLASSIFYING -> ACCEPTED; starts the resolution clock.")
class CaseAcceptInput(CaseStepInput):
    complexity: CaseComplexity = strawberry.field(
        default=CaseComplexity.NORMAL,
        description="Complexity as classified at acceptance: sets complaint periods and denunciation extensions.",
    )
    remote_area: bool = strawberry.field(
        default=False, description="Vùng sâu, vùng xa: complaints get the longer periods."
    )
    accepted_on: dt.date | None = strawberry.field(
        default=None,
        description="Date of the acceptance decision (not before receipt, not in the future); default today.",
    )


@strawberry.input(description="Refuse to accept (không thụ lý): CLASSIFYING -> NOT_ACCEPTED, with the reason.")
class CaseRefuseInput(CaseStepInput):
    reason: str = strawberry.field(description="Why it is not accepted (required, e.g. 'quá thời hiệu').")


@strawberry.input(description="Transfer the petition to the competent body (chuyển đơn): CLASSIFYING -> TRANSFERRED.")
class CaseTransferInput(CaseStepInput):
    to_agency: str = strawberry.field(description="The competent body the petition is transferred to.")


@strawberry.input(description="Guide the petitioner to the competent body (hướng dẫn): CLASSIFYING -> GUIDED.")
class CaseGuideInput(CaseStepInput):
    to_agency: str = strawberry.field(description="The competent body the petitioner is guided to.")


@strawberry.input(description="Assign the inspector who verifies the case (giao xác minh).")
class CaseAssignInput(CaseStepInput):
    inspector_id: str = strawberry.field(description="Staff account id of the inspector, e.g. 'TTr-HN-017'.")
    inspector_name: str = strawberry.field(description="The inspector's full name.")


@strawberry.input(description="Start verification (xác minh): ACCEPTED -> VERIFYING; needs an assigned inspector.")
class CaseStartVerificationInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(description="Extend a denunciation's resolution by 30 days (gia hạn, Art. 30).")
class CaseExtendInput(CaseStepInput):
    reason: str = strawberry.field(description="The extension decision and why (required).")


@strawberry.input(description="Hold the dialogue with the complainant (đối thoại): VERIFYING -> DIALOGUE.")
class CaseStartDialogueInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(
    description="Decide a complaint (quyết định giải quyết: -> DECIDED) or conclude a denunciation "
    "(kết luận nội dung tố cáo: -> CONCLUDED)."
)
class CaseConcludeInput(CaseStepInput):
    summary: str = strawberry.field(description="Summary of the decision or conclusion (required).")


@strawberry.input(description="Act on a denunciation's conclusion (xử lý kết luận): CONCLUDED -> HANDLING_CONCLUSION.")
class CaseHandleConclusionInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(description="Make the decision or conclusion public (công khai): -> PUBLISHED.")
class CasePublishInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(description="Close and archive the case (lưu hồ sơ): -> CLOSED.")
class CaseCloseInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(description="Suspend the resolution (tạm đình chỉ): the clock stops.")
class CaseSuspendInput(CaseStepInput):
    reason: str = strawberry.field(description="Why (required).")


@strawberry.input(description="Resume a suspended case: SUSPENDED -> VERIFYING.")
class CaseResumeInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(description="Terminate the resolution (đình chỉ): -> TERMINATED.")
class CaseTerminateInput(CaseStepInput):
    reason: str = strawberry.field(description="Why (required).")


@strawberry.input(
    description="Withdraw a complaint or denunciation (rút đơn): by the complainant or denouncer, or an officer "
    "recording a signed or fingerprinted withdrawal."
)
class CaseWithdrawInput(CaseStepInput):
    continue_handling: bool = strawberry.field(
        default=False,
        description="Officers, denunciations only: record the withdrawal but keep resolving the case because "
        "violations are evident or the withdrawal was coerced (Law on Denunciations Art. 33); a note is required.",
    )


@strawberry.input(description="Record that the complainant sued at the administrative court (khởi kiện).")
class CaseRecordLawsuitInput(CaseStepInput):
    """Only the shared fields."""


@strawberry.input(
    description="The resolver of a denunciation designates (or revokes) a staff member who may read the sealed "
    "denouncer identity (Law on Denunciations Art. 56: the receiving or processing officer they designate)."
)
class CaseDesignateReaderInput:
    code: str = strawberry.field(description="The denunciation's code, e.g. 'TC-2026-000045'.")
    staff_id: str = strawberry.field(description="Staff account id of the officer or inspector, e.g. 'TCD-01'.")
    reason: str = strawberry.field(description="Why they need the identity (required; kept with the designation).")
    revoke: bool = strawberry.field(default=False, description="Withdraw that staff member's designation instead.")
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.type(description="Result of a case mutation.")
class CasePayload:
    case: Case | None = strawberry.field(description="The case as now recorded (null on failure).")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused, if it was.")


@strawberry.type(description="Result of caseFile.")
class CaseFilePayload(CasePayload):
    """The filed case."""


@strawberry.type(description="Result of caseClassify.")
class CaseClassifyPayload(CasePayload):
    """The case being classified."""


@strawberry.type(description="Result of caseAccept.")
class CaseAcceptPayload(CasePayload):
    accepted_late_days: int | None = strawberry.field(
        default=None,
        description="Days after the acceptance deadline (0 when on time); null on failure. A late acceptance is "
        "recorded, not refused.",
    )


@strawberry.type(description="Result of caseRefuse.")
class CaseRefusePayload(CasePayload):
    """The refused case."""


@strawberry.type(description="Result of caseTransfer.")
class CaseTransferPayload(CasePayload):
    """The transferred case."""


@strawberry.type(description="Result of caseGuide.")
class CaseGuidePayload(CasePayload):
    """The guided case."""


@strawberry.type(description="Result of caseAssign.")
class CaseAssignPayload(CasePayload):
    """The assigned case."""


@strawberry.type(description="Result of caseStartVerification.")
class CaseStartVerificationPayload(CasePayload):
    """The case under verification."""


@strawberry.type(description="Result of caseExtend.")
class CaseExtendPayload(CasePayload):
    """The extended case."""


@strawberry.type(description="Result of caseStartDialogue.")
class CaseStartDialoguePayload(CasePayload):
    """The case in dialogue."""


@strawberry.type(description="Result of caseConclude.")
class CaseConcludePayload(CasePayload):
    """The decided or concluded case."""


@strawberry.type(description="Result of caseHandleConclusion.")
class CaseHandleConclusionPayload(CasePayload):
    """The case whose conclusion is acted on."""


@strawberry.type(description="Result of casePublish.")
class CasePublishPayload(CasePayload):
    """The published case."""


@strawberry.type(description="Result of caseClose.")
class CaseClosePayload(CasePayload):
    """The closed case."""


@strawberry.type(description="Result of caseSuspend.")
class CaseSuspendPayload(CasePayload):
    """The suspended case."""


@strawberry.type(description="Result of caseResume.")
class CaseResumePayload(CasePayload):
    """The resumed case."""


@strawberry.type(description="Result of caseTerminate.")
class CaseTerminatePayload(CasePayload):
    """The terminated case."""


@strawberry.type(description="Result of caseWithdraw.")
class CaseWithdrawPayload(CasePayload):
    """The withdrawn (or continued) case."""


@strawberry.type(description="Result of caseRecordLawsuit.")
class CaseRecordLawsuitPayload(CasePayload):
    """The case taken to court."""


@strawberry.type(description="Result of caseDesignateReader.")
class CaseDesignateReaderPayload(CasePayload):
    """The denunciation."""


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


_OFFICER = "Allowed: complaints officers of the case's unit, admins."
_INSPECTOR = "Allowed: complaints officers of the case's unit, the inspector assigned to the case, admins."


@strawberry.type(description="Complaints and denunciations: filing and every step of the status machine.")
class ComplaintsMutation:
    @strawberry.mutation(
        description="File a complaint or denunciation (-> RECEIVED). Allowed: a citizen for themselves (their "
        "personal ID as petitioner), complaints officers of the unit (reception desk, on someone's behalf), admins."
    )
    async def case_file(self, info: Info, input: Annotated[CaseFileInput, _arg("The petition.")]) -> CaseFilePayload:
        return await resolve.file_case(info, input)

    @strawberry.mutation(description=f"Start processing the petition: RECEIVED -> CLASSIFYING. {_OFFICER}")
    async def case_classify(
        self, info: Info, input: Annotated[CaseClassifyInput, _arg("The case.")]
    ) -> CaseClassifyPayload:
        return await resolve.classify(info, input)

    @strawberry.mutation(
        description="Accept (thụ lý): CLASSIFYING -> ACCEPTED; records the acceptance date, which starts the "
        f"resolution clock. Acceptance after the deadline is recorded as late. {_OFFICER}"
    )
    async def case_accept(self, info: Info, input: Annotated[CaseAcceptInput, _arg("The case.")]) -> CaseAcceptPayload:
        return await resolve.accept(info, input)

    @strawberry.mutation(description=f"Refuse to accept, with the reason: CLASSIFYING -> NOT_ACCEPTED. {_OFFICER}")
    async def case_refuse(self, info: Info, input: Annotated[CaseRefuseInput, _arg("The case.")]) -> CaseRefusePayload:
        return await resolve.refuse(info, input)

    @strawberry.mutation(
        description=f"Transfer to the competent body (chuyển đơn): CLASSIFYING -> TRANSFERRED. {_OFFICER}"
    )
    async def case_transfer(
        self, info: Info, input: Annotated[CaseTransferInput, _arg("The case.")]
    ) -> CaseTransferPayload:
        return await resolve.transfer(info, input)

    @strawberry.mutation(
        description=f"Guide the petitioner to the competent body (hướng dẫn): CLASSIFYING -> GUIDED. {_OFFICER}"
    )
    async def case_guide(self, info: Info, input: Annotated[CaseGuideInput, _arg("The case.")]) -> CaseGuidePayload:
        return await resolve.guide(info, input)

    @strawberry.mutation(
        description="Assign (or reassign) the verifying inspector; the status does not change, the history "
        f"records it. Only while the case is open. {_OFFICER}"
    )
    async def case_assign(self, info: Info, input: Annotated[CaseAssignInput, _arg("The case.")]) -> CaseAssignPayload:
        return await resolve.assign(info, input)

    @strawberry.mutation(description=f"Start verification: ACCEPTED -> VERIFYING. {_INSPECTOR}")
    async def case_start_verification(
        self, info: Info, input: Annotated[CaseStartVerificationInput, _arg("The case.")]
    ) -> CaseStartVerificationPayload:
        return await resolve.start_verification(info, input)

    @strawberry.mutation(
        description="Extend a denunciation's resolution by 30 days: VERIFYING/EXTENDED -> EXTENDED. Complex cases "
        "once, especially complex twice, never a third time; complaints are never extended. " + _OFFICER
    )
    async def case_extend(self, info: Info, input: Annotated[CaseExtendInput, _arg("The case.")]) -> CaseExtendPayload:
        return await resolve.extend(info, input)

    @strawberry.mutation(description=f"Complaints: hold the dialogue: VERIFYING -> DIALOGUE. {_INSPECTOR}")
    async def case_start_dialogue(
        self, info: Info, input: Annotated[CaseStartDialogueInput, _arg("The case.")]
    ) -> CaseStartDialoguePayload:
        return await resolve.start_dialogue(info, input)

    @strawberry.mutation(
        description="Decide a complaint (-> DECIDED) or conclude a denunciation (-> CONCLUDED), with a summary. "
        + _INSPECTOR
    )
    async def case_conclude(
        self, info: Info, input: Annotated[CaseConcludeInput, _arg("The case.")]
    ) -> CaseConcludePayload:
        return await resolve.conclude(info, input)

    @strawberry.mutation(
        description=f"Denunciations: act on the conclusion: CONCLUDED -> HANDLING_CONCLUSION. {_OFFICER}"
    )
    async def case_handle_conclusion(
        self, info: Info, input: Annotated[CaseHandleConclusionInput, _arg("The case.")]
    ) -> CaseHandleConclusionPayload:
        return await resolve.handle_conclusion(info, input)

    @strawberry.mutation(description=f"Publish the decision or conclusion: -> PUBLISHED. {_OFFICER}")
    async def case_publish(
        self, info: Info, input: Annotated[CasePublishInput, _arg("The case.")]
    ) -> CasePublishPayload:
        return await resolve.publish(info, input)

    @strawberry.mutation(description=f"Close and archive: -> CLOSED. {_OFFICER}")
    async def case_close(self, info: Info, input: Annotated[CaseCloseInput, _arg("The case.")]) -> CaseClosePayload:
        return await resolve.close(info, input)

    @strawberry.mutation(description=f"Suspend (the clock stops): ACCEPTED/VERIFYING/EXTENDED -> SUSPENDED. {_OFFICER}")
    async def case_suspend(
        self, info: Info, input: Annotated[CaseSuspendInput, _arg("The case.")]
    ) -> CaseSuspendPayload:
        return await resolve.suspend(info, input)

    @strawberry.mutation(description=f"Resume a suspended case: SUSPENDED -> VERIFYING. {_OFFICER}")
    async def case_resume(self, info: Info, input: Annotated[CaseResumeInput, _arg("The case.")]) -> CaseResumePayload:
        return await resolve.resume(info, input)

    @strawberry.mutation(description=f"Terminate the resolution (đình chỉ): -> TERMINATED. {_OFFICER}")
    async def case_terminate(
        self, info: Info, input: Annotated[CaseTerminateInput, _arg("The case.")]
    ) -> CaseTerminatePayload:
        return await resolve.terminate(info, input)

    @strawberry.mutation(
        description="Withdraw (-> WITHDRAWN) before a decision or conclusion. Allowed: the complainant or "
        "denouncer themselves, complaints officers of the unit (recording a signed withdrawal; for a denunciation "
        "they may instead continue the case), admins."
    )
    async def case_withdraw(
        self, info: Info, input: Annotated[CaseWithdrawInput, _arg("The case.")]
    ) -> CaseWithdrawPayload:
        return await resolve.withdraw(info, input)

    @strawberry.mutation(
        description=f"Complaints: the complainant sued at court: DECIDED/PUBLISHED -> LITIGATION. {_OFFICER}"
    )
    async def case_record_lawsuit(
        self, info: Info, input: Annotated[CaseRecordLawsuitInput, _arg("The case.")]
    ) -> CaseRecordLawsuitPayload:
        return await resolve.record_lawsuit(info, input)

    @strawberry.mutation(
        description="Denunciations: designate (or revoke) a staff member who may read `Case.denouncer`. Allowed: "
        "the case's resolver (the assigned inspector) only; not officers, operators or admins. A designation "
        "lapses when another inspector is assigned. Nothing about it appears in the history or events."
    )
    async def case_designate_reader(
        self, info: Info, input: Annotated[CaseDesignateReaderInput, _arg("The designation.")]
    ) -> CaseDesignateReaderPayload:
        return await resolve.designate_reader(info, input)


@strawberry.type(description="Live updates of complaints and denunciations.")
class ComplaintsSubscription:
    @strawberry.subscription(
        description="Every change of a case, as the reloaded case, with the subscriber's own row scope and field "
        "policy (a denouncer's identity only to its resolver or designated staff). An inspector receives only cases "
        "assigned to them, a complaints officer those of their unit, an admin all; others may not subscribe."
    )
    async def case_updated(
        self,
        info: Info,
        code: Annotated[str | None, _arg("Follow only this case.")] = None,
    ) -> AsyncGenerator[Case, None]:
        async for case in resolve.case_updates(info, code):
            yield case
