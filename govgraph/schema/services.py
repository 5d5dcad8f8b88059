"""Public services (dịch vụ công): agencies, procedures and fees, dossiers (hồ sơ), appointments, paid look-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.domain import services as rules
from govgraph.resolvers import services as resolve
from govgraph.schema.common import Connection, UserError, batch, by_value, local

if TYPE_CHECKING:
    from govgraph.schema.places import AdministrativeUnit
    from govgraph.schema.population import Citizen

CitizenRef = Annotated["Citizen", strawberry.lazy("govgraph.schema.population")]
UnitRef = Annotated["AdministrativeUnit", strawberry.lazy("govgraph.schema.places")]


def at_local(value: dt.datetime) -> dt.datetime:
    """A required stored time in Hanoi time."""
    return local(value) or value


# ---------------------------------------------------------------------------------------------------------
# Enums (member names equal their values)
# ---------------------------------------------------------------------------------------------------------


@strawberry.enum(description="What kind of body an agency is.")
class AgencyKind(Enum):
    CITY_DEPARTMENT = strawberry.enum_value("CITY_DEPARTMENT", description="A department (Sở) of the city.")
    WARD_PEOPLES_COMMITTEE = strawberry.enum_value(
        "WARD_PEOPLES_COMMITTEE", description="A ward or commune People's Committee (UBND phường/xã)."
    )
    POLICE = strawberry.enum_value("POLICE", description="The police (Công an): residence, ID cards, passports.")
    OTHER = strawberry.enum_value("OTHER", description="Any other receiving body.")


@strawberry.enum(description="Online service level since Decree 42/2022/NĐ-CP, Art. 11.")
class OnlineLevel(Enum):
    FULL_PROCESS = strawberry.enum_value(
        "FULL_PROCESS",
        description="Toàn trình: submitted, paid and resolved online; result returned online or by public post.",
    )
    PARTIAL = strawberry.enum_value(
        "PARTIAL", description="Một phần: some step needs the applicant in person or an on-site inspection."
    )


@strawberry.enum(description="Level of government competent to resolve a procedure (two-tier, from 1 Jul 2025).")
class CompetentLevel(Enum):
    CITY = strawberry.enum_value("CITY", description="Cấp tỉnh: the city's departments and the city police.")
    COMMUNE = strawberry.enum_value("COMMUNE", description="Cấp xã: ward and commune People's Committees and police.")


@strawberry.enum(description="Field (lĩnh vực) of a procedure.")
class ProcedureField(Enum):
    CIVIL_STATUS = strawberry.enum_value("CIVIL_STATUS", description="Hộ tịch.")
    CERTIFICATION = strawberry.enum_value("CERTIFICATION", description="Chứng thực.")
    RESIDENCE = strawberry.enum_value("RESIDENCE", description="Cư trú.")
    IDENTITY_AND_IMMIGRATION = strawberry.enum_value(
        "IDENTITY_AND_IMMIGRATION", description="Căn cước, xuất nhập cảnh."
    )
    JUDICIAL_RECORDS = strawberry.enum_value("JUDICIAL_RECORDS", description="Lý lịch tư pháp.")
    ENTERPRISE = strawberry.enum_value("ENTERPRISE", description="Thành lập và hoạt động doanh nghiệp.")
    HOUSEHOLD_BUSINESS = strawberry.enum_value("HOUSEHOLD_BUSINESS", description="Hộ kinh doanh, hợp tác xã.")
    CONSTRUCTION = strawberry.enum_value("CONSTRUCTION", description="Xây dựng.")
    LAND = strawberry.enum_value("LAND", description="Đất đai.")
    LABOUR = strawberry.enum_value("LABOUR", description="Lao động, việc làm.")
    SOCIAL_PROTECTION = strawberry.enum_value("SOCIAL_PROTECTION", description="Bảo trợ xã hội.")
    EDUCATION = strawberry.enum_value("EDUCATION", description="Giáo dục và đào tạo.")
    HEALTH = strawberry.enum_value("HEALTH", description="Y tế.")
    INDUSTRY_AND_TRADE = strawberry.enum_value("INDUSTRY_AND_TRADE", description="Công thương.")
    CULTURE_AND_TOURISM = strawberry.enum_value("CULTURE_AND_TOURISM", description="Văn hóa, thể thao, du lịch.")
    ENVIRONMENT = strawberry.enum_value("ENVIRONMENT", description="Môi trường.")
    TRANSPORT = strawberry.enum_value("TRANSPORT", description="Giao thông, giấy phép lái xe.")
    INFORMATION = strawberry.enum_value("INFORMATION", description="Khai thác thông tin, dữ liệu.")


@strawberry.enum(description="How the legal processing time is counted.")
class TimeUnit(Enum):
    WORKING_DAY = strawberry.enum_value("WORKING_DAY", description="Ngày làm việc: no weekends or holidays.")
    CALENDAR_DAY = strawberry.enum_value("CALENDAR_DAY", description="Ngày: every day counts.")


@strawberry.enum(description="How a dossier was submitted or a fee applies (hình thức nộp).")
class Channel(Enum):
    IN_PERSON = strawberry.enum_value("IN_PERSON", description="Trực tiếp, at the one-stop desk.")
    ONLINE = strawberry.enum_value("ONLINE", description="Trực tuyến, on the public service portal.")
    POST = strawberry.enum_value("POST", description="Qua bưu chính công ích (public postal service).")


@strawberry.enum(description="Dossier status as synchronised with the National Public Service Portal (DVCQG).")
class DossierStatus(Enum):
    SUBMITTED = strawberry.enum_value(
        "SUBMITTED", description="Code 1, Mới đăng ký: submitted online, not yet accepted."
    )
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Code 2, Được tiếp nhận: accepted by the one-stop desk.")
    REFUSED = strawberry.enum_value(
        "REFUSED", description="Code 3, Không được tiếp nhận: refused at intake, with reasons."
    )
    PROCESSING = strawberry.enum_value("PROCESSING", description="Code 4, Đang xử lý: at the specialist unit.")
    ADDITIONAL_DOCUMENTS_REQUESTED = strawberry.enum_value(
        "ADDITIONAL_DOCUMENTS_REQUESTED",
        description="Code 5, Yêu cầu bổ sung giấy tờ: additional documents requested; the clock is paused.",
    )
    PAYMENT_REQUESTED = strawberry.enum_value(
        "PAYMENT_REQUESTED",
        description="Code 6, Yêu cầu thực hiện nghĩa vụ tài chính: waiting for taxes or fees; the clock is paused.",
    )
    WITHDRAWN = strawberry.enum_value(
        "WITHDRAWN", description="Code 7, Công dân yêu cầu rút hồ sơ: withdrawn by the applicant."
    )
    STOPPED = strawberry.enum_value("STOPPED", description="Code 8, Dừng xử lý: processing stopped (ineligible).")
    RESOLVED = strawberry.enum_value(
        "RESOLVED", description="Code 9, Đã xử lý xong: resolved, result sent to the desk."
    )
    RESULT_RETURNED = strawberry.enum_value(
        "RESULT_RETURNED", description="Code 10, Đã trả kết quả: result delivered to the applicant."
    )


@strawberry.enum(description="Who submitted a dossier (đối tượng nộp).")
class ApplicantType(Enum):
    CITIZEN = strawberry.enum_value("CITIZEN", description="Công dân.")
    ENTERPRISE = strawberry.enum_value("ENTERPRISE", description="Doanh nghiệp (its legal representative).")
    ORGANISATION = strawberry.enum_value("ORGANISATION", description="Tổ chức.")
    STATE_AGENCY = strawberry.enum_value("STATE_AGENCY", description="Cơ quan nhà nước.")
    OTHER = strawberry.enum_value("OTHER", description="Khác.")


@strawberry.enum(description="Why the processing clock was stopped.")
class PauseReason(Enum):
    ADDITIONAL_DOCUMENTS = strawberry.enum_value(
        "ADDITIONAL_DOCUMENTS", description="Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: documents requested."
    )
    FINANCIAL_OBLIGATION = strawberry.enum_value(
        "FINANCIAL_OBLIGATION", description="Waiting for the applicant to pay taxes or fees."
    )


@strawberry.enum(description="Phí (a fee for a service) or lệ phí (a charge for a state act).")
class FeeType(Enum):
    LE_PHI = strawberry.enum_value("LE_PHI", description="Lệ phí: charge for the administrative act.")
    PHI = strawberry.enum_value("PHI", description="Phí: fee for a service (e.g. publication, data look-up).")


@strawberry.enum(description="What a fee amount is charged per.")
class FeeBasis(Enum):
    CASE = strawberry.enum_value("CASE", description="Per case (trường hợp).")
    PAGE = strawberry.enum_value("PAGE", description="Per page (trang).")
    COPY = strawberry.enum_value("COPY", description="Per copy (bản).")
    CONTRACT = strawberry.enum_value("CONTRACT", description="Per contract or transaction (hợp đồng, giao dịch).")
    PERSON = strawberry.enum_value("PERSON", description="Per person (người).")
    LOOKUP = strawberry.enum_value("LOOKUP", description="Per look-up (lượt khai thác).")


@strawberry.enum(description="State of an appointment booking.")
class AppointmentStatus(Enum):
    BOOKED = strawberry.enum_value("BOOKED", description="Booked, not yet attended.")
    CHECKED_IN = strawberry.enum_value("CHECKED_IN", description="The citizen came and was served.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled; the place was freed.")
    NO_SHOW = strawberry.enum_value("NO_SHOW", description="The citizen did not come.")


@strawberry.enum(description="Kind of paid look-up (khai thác thông tin có thu phí).")
class LookupKind(Enum):
    NOTARISATION_RECORD = strawberry.enum_value(
        "NOTARISATION_RECORD", description="Khai thác thông tin cơ sở dữ liệu công chứng (notarised transactions)."
    )
    ID_CARD = strawberry.enum_value(
        "ID_CARD", description="Khai thác thông tin CSDL quốc gia về dân cư (population and ID-card data)."
    )
    SIM_REGISTRATION = strawberry.enum_value(
        "SIM_REGISTRATION", description="Kiểm tra thông tin thuê bao (SIM registration matches the personal ID)."
    )


@strawberry.enum(description="Payment status on the payment platform (trạng thái thanh toán).")
class PaymentStatus(Enum):
    UNPAID = strawberry.enum_value("UNPAID", description="Chưa thanh toán.")
    PENDING = strawberry.enum_value("PENDING", description="Chờ thanh toán: payment started, not confirmed.")
    PAID = strawberry.enum_value("PAID", description="Đã thanh toán.")
    REFUNDED = strawberry.enum_value("REFUNDED", description="Hoàn phí.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Hủy thanh toán.")


@strawberry.enum(description="Orderings of the dossiers list.")
class DossierOrderField(Enum):
    RECEIVED_AT = strawberry.enum_value("RECEIVED_AT", description="By time of receipt.")
    DUE_AT = strawberry.enum_value("DUE_AT", description="By promised return time (dossiers without one left out).")


@strawberry.enum(description="How dossier statistics are grouped.")
class DossierGrouping(Enum):
    PROCEDURE = strawberry.enum_value("PROCEDURE", description="One row per procedure.")
    UNIT = strawberry.enum_value("UNIT", description="One row per ward or commune (city-level agencies: null).")
    AGENCY = strawberry.enum_value("AGENCY", description="One row per receiving agency.")
    MONTH = strawberry.enum_value("MONTH", description="One row per month of receipt (Hanoi time).")


# ---------------------------------------------------------------------------------------------------------
# Objects
# ---------------------------------------------------------------------------------------------------------


@strawberry.type(description="A government body that receives and resolves dossiers (cơ quan giải quyết).")
class Agency(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(
        description="Electronic agency code (mã định danh điện tử, Decision 20/2020/QĐ-TTg), e.g. 000.00.20.H26; "
        "it prefixes the codes of the dossiers the agency receives."
    )
    name: str = strawberry.field(description="Official name, e.g. 'Sở Tư pháp thành phố Hà Nội'.")
    kind: AgencyKind = strawberry.field(description="Department, ward People's Committee, police or other.")
    address: str | None = strawberry.field(description="Address of its one-stop desk (Bộ phận Một cửa).")
    unit_code: strawberry.Private[str | None]
    unit_structure: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, r: Any) -> Agency:
        return cls(key=r.code, code=r.code, name=r.name, kind=AgencyKind(r.kind), address=r.address,
                   unit_code=r.unit_code, unit_structure=r.unit_structure)  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Agency | None]:
        return await resolve.agencies_by_code(info, node_ids, required)

    @strawberry.field(description="The ward or commune a People's Committee serves (null for city-level bodies).")
    def unit(self) -> UnitRef | None:
        return resolve.unit(self.unit_code, self.unit_structure)


@strawberry.type(description="A fee or charge of a procedure, by channel, with its period of validity.")
class Fee:
    channel: Channel = strawberry.field(description="The channel this amount applies to.")
    fee_type: FeeType = strawberry.field(description="Phí or lệ phí.")
    amount: int = strawberry.field(description="Amount in VND per `per`.")
    per: FeeBasis = strawberry.field(description="What the amount is charged per.")
    cap: int | None = strawberry.field(description="Maximum VND per case, if any.")
    note: str | None = strawberry.field(description="Tiers, exemptions and other conditions.")
    legal_basis: str = strawberry.field(description="The document that sets the amount.")
    valid_from: dt.date = strawberry.field(description="First day the amount applies.")
    valid_to: dt.date | None = strawberry.field(description="Last day it applies; null while in force.")
    verified: bool = strawberry.field(
        description="True when the amount was checked against the official text; false marks a figure still to "
        "be confirmed."
    )

    @classmethod
    def from_row(cls, r: Any) -> Fee:
        return cls(channel=Channel(r.channel), fee_type=FeeType(r.fee_type), amount=r.amount, per=FeeBasis(r.per),
                   cap=r.cap, note=r.note, legal_basis=r.legal_basis, valid_from=r.valid_from,
                   valid_to=r.valid_to, verified=r.verified)  # fmt: skip


_applicant_type = by_value(ApplicantType)
_channel = by_value(Channel)
_status = by_value(DossierStatus)


@strawberry.type(description="An administrative procedure (thủ tục hành chính) citizens can file a dossier for.")
class Procedure(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="Catalogue code of the procedure.")
    name: str = strawberry.field(description="Name, e.g. 'Đăng ký khai sinh'.")
    field: ProcedureField = strawberry.field(description="Field (lĩnh vực).")
    competent_level: CompetentLevel = strawberry.field(description="Level that resolves it.")
    competent_authority: str = strawberry.field(description="The body competent to resolve it, as data.")
    online_level: OnlineLevel = strawberry.field(description="Full-process or partial online service.")
    legacy_level: int = strawberry.field(
        description="The old online level 2, 3 or 4 (Decree 43/2011/NĐ-CP), for reports that still use it."
    )
    legal_days: int = strawberry.field(description="Legal processing time in `timeUnit`s; 0 for same-day.")
    time_unit: TimeUnit = strawberry.field(description="Whether `legalDays` are working or calendar days.")
    same_day: bool = strawberry.field(
        description="Resolved the day it is accepted; dossiers accepted after 15:00 are due the next working day."
    )
    online_only: bool = strawberry.field(description="Accepted only online (e.g. company registration in Hanoi).")
    legal_basis: str = strawberry.field(description="Documents that set the procedure and its time limit.")
    fee_note: str | None = strawberry.field(description="How the fee is set when the fee table has no amount.")
    agency_code: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, r: Any) -> Procedure:
        return cls(key=r.code, code=r.code, name=r.name, field=ProcedureField(r.field),
                   competent_level=CompetentLevel(r.competent_level), competent_authority=r.competent_authority,
                   online_level=OnlineLevel(r.online_level), legacy_level=r.legacy_level, legal_days=r.legal_days,
                   time_unit=TimeUnit(r.time_unit), same_day=r.same_day, online_only=r.online_only,
                   legal_basis=r.legal_basis, fee_note=r.fee_note, agency_code=r.agency_code)  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Procedure | None]:
        return await resolve.procedures_by_code(info, node_ids, required)

    @strawberry.field(description="Fees and charges by channel, current and past.")
    async def fees(self, info: Info) -> list[Fee]:
        return await resolve.fees(info, self.code)

    @strawberry.field(description="The city-level agency that receives it (null for ward and commune procedures).")
    async def agency(self, info: Info) -> Agency | None:
        return await resolve.agency(info, self.agency_code)


@strawberry.type(description="A span during which a dossier's processing clock was stopped.")
class DossierPause:
    reason: PauseReason = strawberry.field(description="Why the clock stopped.")
    requested_at: dt.datetime = strawberry.field(description="When the request was issued (clock stops).")
    resumed_at: dt.datetime | None = strawberry.field(description="When the applicant answered; null while open.")
    note: str | None = strawberry.field(description="What was asked for.")
    dossier_code: strawberry.Private[str]
    applicant_pid: strawberry.Private[str]
    jurisdiction: strawberry.Private[str | None]


@strawberry.type(description="Phiếu xin lỗi và hẹn lại ngày trả kết quả: the written apology for a late dossier.")
class Apology:
    issued_at: dt.datetime = strawberry.field(description="When the apology was issued.")
    new_due_at: dt.datetime | None = strawberry.field(description="The new return date promised.")


@strawberry.type(description="A dossier (hồ sơ) filed for a procedure, followed through the one-stop flow.")
class Dossier(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(
        description="National dossier code <agency code>-<yymmdd>-<4-digit sequence>, e.g. 000.00.20.H26-250702-0001."
    )
    applicant_type: ApplicantType = strawberry.field(description="Who submitted it.")
    channel: Channel = strawberry.field(description="How it was submitted.")
    status: DossierStatus = strawberry.field(description="Current DVCQG status.")
    received_at: dt.datetime = strawberry.field(description="When it was received (nộp).")
    accepted_at: dt.datetime | None = strawberry.field(description="When the one-stop desk accepted it.")
    due_at: dt.datetime | None = strawberry.field(
        description="Promised return time (ngày hẹn trả): legal time in working days from acceptance, closed "
        "pauses added."
    )
    completed_at: dt.datetime | None = strawberry.field(description="When it was resolved (status 9).")
    returned_at: dt.datetime | None = strawberry.field(description="When the result was delivered (status 10).")
    status_changed_at: dt.datetime = strawberry.field(description="When the status last changed.")
    apology: Apology | None = strawberry.field(description="The written apology and new date, if one was issued.")
    fee_amount: int | None = strawberry.field(
        description="VND owed by the fee table for the channel and the day of submission (lệ phí and phí added); "
        "null when the city council sets the fee case by case, or for dossiers from before the fee was recorded."
    )
    amount_due: int | None = strawberry.field(
        description="Financial obligation the agency asked for (status 6, nghĩa vụ tài chính), VND."
    )
    paid_at: dt.datetime | None = strawberry.field(description="When the financial obligation was paid.")
    status_reason: str | None = strawberry.field(
        description="Why the dossier was refused, stopped or withdrawn, or why it is late (the apology)."
    )
    applicant_pid: strawberry.Private[str]
    fee_id: strawberry.Private[int | None]
    procedure_code: strawberry.Private[str]
    agency_code: strawberry.Private[str]
    raw_due: strawberry.Private[dt.datetime | None]
    raw_completed: strawberry.Private[dt.datetime | None]
    jurisdiction: strawberry.Private[str | None]
    """The receiving agency's jurisdiction (its ward, or its own code): services officers whose `unit` it is."""

    @classmethod
    def from_row(cls, r: Any) -> Dossier:
        apology = Apology(issued_at=at_local(r.apology_at), new_due_at=local(r.new_due_at)) if r.apology_at else None
        return cls(
            key=r.code,
            code=r.code,
            applicant_type=_applicant_type(r.applicant_type),
            channel=_channel(r.channel),
            status=_status(r.status),
            received_at=at_local(r.received_at),
            accepted_at=local(r.accepted_at),
            due_at=local(r.due_at),
            completed_at=local(r.completed_at),
            returned_at=local(r.returned_at),
            status_changed_at=at_local(r.status_at),
            apology=apology,
            fee_amount=r.fee_amount,
            amount_due=r.amount_due,
            paid_at=local(r.paid_at),
            status_reason=r.status_note,
            applicant_pid=r.applicant_pid,
            fee_id=r.fee_id,
            procedure_code=r.procedure_code,
            agency_code=r.agency_code,
            raw_due=r.due_at,
            raw_completed=r.completed_at,
            jurisdiction=r.jurisdiction,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Dossier | None]:
        return await resolve.dossiers_by_code(info, node_ids, required)

    @strawberry.field(description="DVCQG status code 1-10 (TRANGTHAIHOSO).")
    def national_status_code(self) -> int:
        return rules.NATIONAL_CODE[rules.Status(self.status.name)]

    @strawberry.field(description="Vietnamese name of the status, as on the national portal.")
    def status_name(self) -> str:
        return rules.VIETNAMESE[rules.Status(self.status.name)]

    @strawberry.field(
        description="Trễ hạn (derived, not stored): past the due time while the clock runs (accepted or "
        "processing), or resolved after it."
    )
    def overdue(self) -> bool:
        return rules.is_overdue(rules.Status(self.status.name), self.raw_due, self.raw_completed,
                                dt.datetime.now(dt.UTC))  # fmt: skip

    @strawberry.field(description="Đã xử lý trễ hạn (derived): resolved after the due time.")
    def late(self) -> bool:
        return rules.is_late(self.raw_due, self.raw_completed)

    @strawberry.field(
        description="The applicant (population store); null if that store is unavailable.",
        metadata=batch(lambda: resolve.applicants_of),
    )
    async def applicant(self, info: Info) -> CitizenRef | None:
        return await resolve.citizen(info, self.applicant_pid)

    @strawberry.field(
        description="The procedure the dossier is filed for.", metadata=batch(lambda: resolve.procedures_of)
    )
    async def procedure(self, info: Info) -> Procedure | None:
        return await resolve.procedure(info, self.procedure_code)

    @strawberry.field(description="The agency that received it.", metadata=batch(lambda: resolve.agencies_of))
    async def agency(self, info: Info) -> Agency | None:
        return await resolve.agency(info, self.agency_code)

    @strawberry.field(description="Spans during which the processing clock was stopped, oldest first.")
    async def pauses(self, info: Info) -> list[DossierPause]:
        return await resolve.pauses(info, self)

    @strawberry.field(description="The main fee-table row the fee comes from (lệ phí where there is one).")
    async def fee(self, info: Info) -> Fee | None:
        return await resolve.fee(info, self.fee_id)


@strawberry.type(description="A booked place in an appointment slot at a ward office.")
class Appointment(relay.Node):
    key: relay.NodeID[str]
    booking_code: str = strawberry.field(description="Booking code shown to the citizen (mã đặt lịch).")
    status: AppointmentStatus = strawberry.field(description="State of the booking.")
    booked_at: dt.datetime = strawberry.field(description="When it was booked.")
    slot_key: strawberry.Private[str]
    citizen_pid: strawberry.Private[str]
    procedure_code: strawberry.Private[str | None]
    jurisdiction: strawberry.Private[str | None]
    """The office's jurisdiction (its ward, or its own code)."""

    @classmethod
    def from_row(cls, r: Any) -> Appointment:
        return cls(key=r.booking_code, booking_code=r.booking_code, status=AppointmentStatus(r.status),
                   booked_at=at_local(r.booked_at), slot_key=r.slot_key, citizen_pid=r.citizen_pid,
                   procedure_code=r.procedure_code, jurisdiction=r.jurisdiction)  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Appointment | None]:
        return await resolve.appointments_by_code(info, node_ids, required)

    @strawberry.field(description="The slot booked.")
    async def slot(self, info: Info) -> AppointmentSlot | None:
        return await resolve.slot(info, self.slot_key)

    @strawberry.field(description="The citizen who booked (population store); null if unavailable.")
    async def citizen(self, info: Info) -> CitizenRef | None:
        return await resolve.citizen(info, self.citizen_pid)

    @strawberry.field(description="The procedure the visit is for, if given.")
    async def procedure(self, info: Info) -> Procedure | None:
        return await resolve.procedure(info, self.procedure_code)


@strawberry.type(description="A one-hour appointment slot at a ward office's one-stop desk.")
class AppointmentSlot(relay.Node):
    key: relay.NodeID[str]
    date: dt.date = strawberry.field(description="The day (a working day).")
    start_hour: int = strawberry.field(description="Local hour the slot starts (8-10 and 13-16).")
    capacity: int = strawberry.field(description="Citizens the desk can serve in the hour.")
    booked: int = strawberry.field(description="Places booked.")
    agency_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, r: Any) -> AppointmentSlot:
        return cls(key=r.key, date=r.day, start_hour=r.start_hour, capacity=r.capacity, booked=r.booked,
                   agency_code=r.agency_code)  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[AppointmentSlot | None]:
        return await resolve.slots_by_key(info, node_ids, required)

    @strawberry.field(description="When the slot starts (Hanoi time).")
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, dt.time(self.start_hour), tzinfo=rules.HANOI)

    @strawberry.field(description="When the slot ends (Hanoi time).")
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, dt.time(self.start_hour + 1), tzinfo=rules.HANOI)

    @strawberry.field(description="Places still free.")
    def available(self) -> int:
        return max(self.capacity - self.booked, 0)

    @strawberry.field(description="The office.")
    async def agency(self, info: Info) -> Agency | None:
        return await resolve.agency(info, self.agency_code)

    @strawberry.field(description="Bookings of this slot, in booking order (cancelled ones included).")
    async def appointments(self, info: Info) -> list[Appointment]:
        return await resolve.appointments(info, self.key)


@strawberry.type(description="A paid look-up of registered data; its result is released only once paid.")
class PaidLookup(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="Request code.")
    kind: LookupKind = strawberry.field(description="What is looked up.")
    subject: str | None = strawberry.field(description="What the request is about (parcel, phone number, person).")
    purpose: str | None = strawberry.field(description="Declared purpose (personal-data law requires one).")
    consent: bool = strawberry.field(description="The data subject consented to the look-up.")
    requested_at: dt.datetime = strawberry.field(description="When it was requested.")
    amount: int = strawberry.field(description="VND owed, from the fee table.")
    payment_status: PaymentStatus = strawberry.field(description="Payment status.")
    paid_at: dt.datetime | None = strawberry.field(description="When payment was confirmed.")
    requester_pid: strawberry.Private[str]
    procedure_code: strawberry.Private[str]
    fee_id: strawberry.Private[int | None]
    stored_result: strawberry.Private[str | None]
    jurisdiction: strawberry.Private[str | None]
    """The agency providing the look-up (its code): services officers whose `unit` it is."""

    @classmethod
    def from_row(cls, r: Any) -> PaidLookup:
        return cls(key=r.code, code=r.code, kind=LookupKind(r.kind), subject=r.subject, purpose=r.purpose,
                   consent=r.consent, requested_at=at_local(r.requested_at), amount=r.amount,
                   payment_status=PaymentStatus(r.payment_status), paid_at=local(r.paid_at),
                   requester_pid=r.requester_pid, procedure_code=r.procedure_code, fee_id=r.fee_id,
                   stored_result=r.result, jurisdiction=r.jurisdiction)  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[PaidLookup | None]:
        return await resolve.lookups_by_code(info, node_ids, required)

    @strawberry.field(description="True once the result may be shown: paid, or nothing owed.")
    def result_released(self) -> bool:
        return rules.lookup_result_released(self.amount, rules.PaymentStatus(self.payment_status.name))

    @strawberry.field(description="The result; null until released.")
    def result(self) -> str | None:
        return self.stored_result if self.result_released() else None

    @strawberry.field(description="The person who asked (population store); null if unavailable.")
    async def requester(self, info: Info) -> CitizenRef | None:
        return await resolve.citizen(info, self.requester_pid)

    @strawberry.field(description="The fee-table row the amount comes from.")
    async def fee(self, info: Info) -> Fee | None:
        return await resolve.fee(info, self.fee_id)

    @strawberry.field(description="The look-up procedure.")
    async def procedure(self, info: Info) -> Procedure | None:
        return await resolve.procedure(info, self.procedure_code)


@strawberry.type(description="Dossier counts for one group (procedure, unit, agency, month) or for everything.")
class DossierStatistics:
    month: str | None = strawberry.field(description="Month of receipt 'YYYY-MM' when grouped by month.")
    received: int = strawberry.field(description="Dossiers received.")
    online_count: int = strawberry.field(description="Of those, submitted online.")
    on_time: int = strawberry.field(description="Resolved on or before the due time.")
    overdue: int = strawberry.field(description="Trễ hạn now: past due while processing, or resolved late.")
    resolved: int = strawberry.field(description="Resolved or result returned (statuses 9 and 10).")
    procedure_code: strawberry.Private[str | None]
    unit_code: strawberry.Private[str | None]
    agency_code: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, r: Any) -> DossierStatistics:
        return cls(month=r.month, received=int(r.received), online_count=int(r.online), on_time=int(r.on_time),
                   overdue=int(r.overdue), resolved=int(r.resolved), procedure_code=r.procedure_code,
                   unit_code=r.unit_code, agency_code=r.agency_code)  # fmt: skip

    @classmethod
    def empty(cls) -> DossierStatistics:
        return cls(month=None, received=0, online_count=0, on_time=0, overdue=0, resolved=0,
                   procedure_code=None, unit_code=None, agency_code=None)  # fmt: skip

    @strawberry.field(description="Share submitted online, 0-1 (0 when nothing was received).")
    def online_share(self) -> float:
        return self.online_count / self.received if self.received else 0.0

    @strawberry.field(description="The procedure, when grouped by procedure.")
    async def procedure(self, info: Info) -> Procedure | None:
        return await resolve.procedure(info, self.procedure_code)

    @strawberry.field(description="The ward or commune, when grouped by unit (null for city-level agencies).")
    def unit(self) -> UnitRef | None:
        return resolve.unit(self.unit_code, "Y2025_07")

    @strawberry.field(description="The agency, when grouped by agency.")
    async def agency(self, info: Info) -> Agency | None:
        return await resolve.agency(info, self.agency_code)


# ---------------------------------------------------------------------------------------------------------
# Inputs and root fields
# ---------------------------------------------------------------------------------------------------------


@strawberry.input(description="Filters on agencies; all given filters must match.")
class AgencyFilterInput:
    search: str | None = strawberry.field(default=None, description="Words of the name, any accents.")
    kind: AgencyKind | None = strawberry.field(default=None, description="Only this kind.")
    unit_code: str | None = strawberry.field(default=None, description="Only agencies of this ward or commune.")


@strawberry.input(description="Filters on procedures; all given filters must match.")
class ProcedureFilterInput:
    search: str | None = strawberry.field(
        default=None, description="Words of the name, any accents: 'khai sinh' finds 'Đăng ký khai sinh'."
    )
    online_level: OnlineLevel | None = strawberry.field(default=None, description="Only this online level.")
    online_only: bool | None = strawberry.field(default=None, description="true: only online-only procedures.")
    competent_level: CompetentLevel | None = strawberry.field(default=None, description="Only this level.")
    field: ProcedureField | None = strawberry.field(default=None, description="Only this field.")


@strawberry.input(description="Filters on dossiers; all given filters must match.")
class DossierFilterInput:
    status: list[DossierStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    agency_code: str | None = strawberry.field(default=None, description="Received by this agency.")
    procedure_code: str | None = strawberry.field(default=None, description="For this procedure.")
    unit_code: str | None = strawberry.field(
        default=None, description="Received by the agencies of this ward or commune (current structure)."
    )
    channel: Channel | None = strawberry.field(default=None, description="Submitted through this channel.")
    overdue: bool | None = strawberry.field(default=None, description="true: only trễ hạn; false: only in time.")
    received_from: dt.date | None = strawberry.field(default=None, description="Received on or after (Hanoi date).")
    received_to: dt.date | None = strawberry.field(default=None, description="Received on or before (Hanoi date).")


@strawberry.input(description="How to order dossiers.")
class DossierOrder:
    field: DossierOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=True, description="Newest / latest first.")


@strawberry.input(description="Filters on paid look-ups.")
class PaidLookupFilterInput:
    kind: LookupKind | None = strawberry.field(default=None, description="Only this kind.")
    payment_status: PaymentStatus | None = strawberry.field(default=None, description="Only this payment status.")


@strawberry.type(description="Public services: procedures, dossiers, appointments, look-ups.")
class ServicesQuery:
    @strawberry.field(description="Agencies that receive dossiers, ordered by code.")
    async def agencies(
        self,
        info: Info,
        filter: Annotated[AgencyFilterInput | None, strawberry.argument(description="Filters.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Agency] | None:
        return await resolve.agencies(info, filter, first, after)

    @strawberry.field(description="The procedure catalogue, ordered by code.")
    async def procedures(
        self,
        info: Info,
        filter: Annotated[ProcedureFilterInput | None, strawberry.argument(description="Filters.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Procedure] | None:
        return await resolve.procedures(info, filter, first, after)

    @strawberry.field(description="One procedure by code.")
    async def procedure(
        self, info: Info, code: Annotated[str, strawberry.argument(description="Procedure code.")]
    ) -> Procedure | None:
        return await resolve.procedure(info, code)

    @strawberry.field(description="Dossiers, filtered and ordered (keyset pagination).")
    async def dossiers(
        self,
        info: Info,
        filter: Annotated[DossierFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[
            DossierOrder | None, strawberry.argument(description="Ordering (default: newest first).")
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Dossier] | None:
        return await resolve.dossiers(info, filter, order_by, first, after)

    @strawberry.field(description="One dossier by its national code, e.g. 000.00.20.H26-250702-0001.")
    async def dossier(
        self, info: Info, code: Annotated[str, strawberry.argument(description="National dossier code.")]
    ) -> Dossier | None:
        return await resolve.dossier(info, code)

    @strawberry.field(
        description="Dossier counts (received, online, on time, overdue, resolved), grouped as asked; one row "
        "without grouping."
    )
    async def dossier_statistics(
        self,
        info: Info,
        unit_code: Annotated[str | None, strawberry.argument(description="Only agencies of this ward.")] = None,
        procedure_code: Annotated[str | None, strawberry.argument(description="Only this procedure.")] = None,
        month_from: Annotated[str | None, strawberry.argument(description="First month, 'YYYY-MM'.")] = None,
        month_to: Annotated[str | None, strawberry.argument(description="Last month, 'YYYY-MM'.")] = None,
        group_by: Annotated[
            list[DossierGrouping] | None, strawberry.argument(description="Grouping keys (default: none).")
        ] = None,
    ) -> list[DossierStatistics] | None:
        return await resolve.dossier_statistics(info, unit_code, procedure_code, month_from, month_to, group_by)

    @strawberry.field(description="Hourly appointment slots of an office on a day, by start hour.")
    async def appointment_slots(
        self,
        info: Info,
        agency_code: Annotated[str, strawberry.argument(description="The office's agency code.")],
        date: Annotated[dt.date, strawberry.argument(description="The day.")],
    ) -> list[AppointmentSlot] | None:
        return await resolve.appointment_slots(info, agency_code, date)

    @strawberry.field(description="One appointment by booking code.")
    async def appointment(
        self, info: Info, booking_code: Annotated[str, strawberry.argument(description="Booking code.")]
    ) -> Appointment | None:
        return await resolve.appointment(info, booking_code)

    @strawberry.field(description="Paid look-ups, newest first.")
    async def paid_lookups(
        self,
        info: Info,
        filter: Annotated[PaidLookupFilterInput | None, strawberry.argument(description="Filters.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[PaidLookup] | None:
        return await resolve.paid_lookups(info, filter, first, after)


# ---------------------------------------------------------------------------------------------------------
# Mutations: the one-stop flow (DOMAIN.md §4.2, §4.3), appointments, paid look-ups
# ---------------------------------------------------------------------------------------------------------

_KEY = "Client-chosen key: a retry with the same key returns the first result and changes nothing."
_OFFICER = (
    "Allowed: services officers of the receiving agency (a ward People's Committee: officers whose `unit` is its "
    "ward; a city department: officers whose `unit` is its agency code), admins."
)
_APPLICANT = (
    "Allowed: the applicant themselves, services officers of the receiving agency (recording it at the desk), admins."
)


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.input(description="Submit a dossier (nộp hồ sơ).")
class DossierSubmitInput:
    procedure_code: str = strawberry.field(description="The procedure (e.g. CA-01, Đăng ký thường trú).")
    applicant_personal_id: str = strawberry.field(description="12-digit personal ID of the applicant.")
    channel: Channel = strawberry.field(
        description="How it is submitted; online-only procedures (company registration) refuse any other."
    )
    agency_code: str | None = strawberry.field(
        default=None,
        description="Receiving agency: required for commune-level procedures (a ward People's Committee); "
        "city-level procedures default to (and must be) their receiving department.",
    )
    applicant_type: ApplicantType = strawberry.field(
        default=ApplicantType.CITIZEN, description="Who submits (đối tượng nộp)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Act on one dossier.")
class DossierCodeInput:
    code: str = strawberry.field(description="National dossier code, e.g. 000.00.20.H26-250702-0001.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Accept a submitted dossier (Giấy tiếp nhận hồ sơ và hẹn trả kết quả).")
class DossierAcceptInput(DossierCodeInput):
    pass


@strawberry.input(description="Refuse a submitted dossier (Phiếu từ chối tiếp nhận giải quyết hồ sơ).")
class DossierRefuseInput(DossierCodeInput):
    reason: str = strawberry.field(description="Why it is refused, as told to the applicant.")


@strawberry.input(description="Transfer an accepted dossier to the specialist unit.")
class DossierProcessInput(DossierCodeInput):
    pass


@strawberry.input(description="Ask for additional documents (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ).")
class DossierRequestDocumentsInput(DossierCodeInput):
    documents: list[str] = strawberry.field(
        description="Every document needed, listed at once (1 to 30, each at most 300 characters)."
    )


@strawberry.input(description="The applicant handed in the documents asked for.")
class DossierProvideDocumentsInput(DossierCodeInput):
    pass


@strawberry.input(description="Ask the applicant to pay taxes or fees (nghĩa vụ tài chính).")
class DossierRequestPaymentInput(DossierCodeInput):
    amount: int | None = strawberry.field(
        default=None, description="VND owed; default: the fee recorded at submission (`Dossier.feeAmount`)."
    )


@strawberry.input(description="The financial obligation was paid.")
class DossierRecordPaymentInput(DossierCodeInput):
    pass


@strawberry.input(description="The dossier is resolved; the result goes to the desk.")
class DossierCompleteInput(DossierCodeInput):
    pass


@strawberry.input(description="The result was delivered to the applicant.")
class DossierReturnResultInput(DossierCodeInput):
    pass


@strawberry.input(description="The applicant withdraws the dossier (rút hồ sơ).")
class DossierWithdrawInput(DossierCodeInput):
    reason: str | None = strawberry.field(default=None, description="Why, if the applicant says.")


@strawberry.input(description="Stop processing an ineligible dossier (dừng xử lý).")
class DossierStopInput(DossierCodeInput):
    reason: str = strawberry.field(description="Why processing stops, as told to the applicant.")


@strawberry.input(description="Phiếu xin lỗi và hẹn lại ngày trả kết quả: apologise for a late dossier.")
class DossierApologizeInput(DossierCodeInput):
    new_due_at: dt.datetime = strawberry.field(
        description="The new return date: a working day after the due date and after now (due at 17:00 that day)."
    )
    reason: str = strawberry.field(description="Why the dossier is late.")


@strawberry.type(description="A dossier mutation's result.")
class DossierPayloadBase:
    dossier: Dossier | None = strawberry.field(description="The dossier as now recorded (null on failure).")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused, if it was.")


@strawberry.type(description="Result of dossierSubmit.")
class DossierSubmitPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierAccept.")
class DossierAcceptPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierRefuse.")
class DossierRefusePayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierProcess.")
class DossierProcessPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierRequestDocuments.")
class DossierRequestDocumentsPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierProvideDocuments.")
class DossierProvideDocumentsPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierRequestPayment.")
class DossierRequestPaymentPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierRecordPayment.")
class DossierRecordPaymentPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierComplete.")
class DossierCompletePayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierReturnResult.")
class DossierReturnResultPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierWithdraw.")
class DossierWithdrawPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierStop.")
class DossierStopPayload(DossierPayloadBase):
    pass


@strawberry.type(description="Result of dossierApologize.")
class DossierApologizePayload(DossierPayloadBase):
    pass


@strawberry.input(description="Book a place in an appointment slot (đặt lịch hẹn).")
class AppointmentBookInput:
    slot_key: str = strawberry.field(description="The slot: its key <agency code>:<date>:<hour>.")
    citizen_personal_id: str = strawberry.field(description="Who comes: 12-digit personal ID.")
    procedure_code: str | None = strawberry.field(default=None, description="The procedure the visit is for.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Act on one booking.")
class AppointmentCodeInput:
    booking_code: str = strawberry.field(description="The booking code (mã đặt lịch).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Cancel a booking; the place is freed.")
class AppointmentCancelInput(AppointmentCodeInput):
    pass


@strawberry.input(description="Check a citizen in at the desk.")
class AppointmentCheckInInput(AppointmentCodeInput):
    pass


@strawberry.type(description="An appointment mutation's result.")
class AppointmentPayloadBase:
    appointment: Appointment | None = strawberry.field(description="The booking as now recorded (null on failure).")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused, if it was.")


@strawberry.type(description="Result of appointmentBook.")
class AppointmentBookPayload(AppointmentPayloadBase):
    pass


@strawberry.type(description="Result of appointmentCancel.")
class AppointmentCancelPayload(AppointmentPayloadBase):
    pass


@strawberry.type(description="Result of appointmentCheckIn.")
class AppointmentCheckInPayload(AppointmentPayloadBase):
    pass


@strawberry.input(description="Request a paid look-up (khai thác thông tin có thu phí).")
class PaidLookupRequestInput:
    kind: LookupKind = strawberry.field(description="What to look up.")
    requester_personal_id: str = strawberry.field(description="Who asks: 12-digit personal ID.")
    subject: str = strawberry.field(
        description="What is looked up: the 12-digit personal ID (ID_CARD), the mobile number (SIM_REGISTRATION), "
        "or the asset or parcel (NOTARISATION_RECORD)."
    )
    purpose: str = strawberry.field(description="Declared purpose (Decree 13/2023/NĐ-CP on personal data).")
    consent: bool = strawberry.field(description="The data subject consented; required for ID_CARD.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record that a paid look-up was paid; its result is released.")
class PaidLookupRecordPaymentInput:
    code: str = strawberry.field(description="The look-up's request code.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="A paid look-up mutation's result.")
class PaidLookupPayloadBase:
    paid_lookup: PaidLookup | None = strawberry.field(description="The look-up as now recorded (null on failure).")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused, if it was.")


@strawberry.type(description="Result of paidLookupRequest.")
class PaidLookupRequestPayload(PaidLookupPayloadBase):
    pass


@strawberry.type(description="Result of paidLookupRecordPayment.")
class PaidLookupRecordPaymentPayload(PaidLookupPayloadBase):
    pass


@strawberry.type(description="Public services changes: the one-stop flow, appointments, paid look-ups.")
class ServicesMutation:
    @strawberry.mutation(
        description="Submit a dossier: code <agency>-<yymmdd>-<seq> (no gaps per agency and day), status "
        "SUBMITTED, fee from the fee table by channel and date. Allowed: citizens for themselves, services "
        "officers recording an in-person or postal submission at their unit's agency, admins."
    )
    async def dossier_submit(
        self, info: Info, input: Annotated[DossierSubmitInput, _arg("The dossier.")]
    ) -> DossierSubmitPayload:
        d, e = await resolve.dossier_submit(info, input)
        return DossierSubmitPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description=f"Accept (SUBMITTED -> ACCEPTED); the due date is counted from now in working days. {_OFFICER}"
    )
    async def dossier_accept(
        self, info: Info, input: Annotated[DossierAcceptInput, _arg("The dossier.")]
    ) -> DossierAcceptPayload:
        d, e = await resolve.dossier_accept(info, input)
        return DossierAcceptPayload(dossier=d, user_errors=e)

    @strawberry.mutation(description=f"Refuse at intake, with the reason (SUBMITTED -> REFUSED). {_OFFICER}")
    async def dossier_refuse(
        self, info: Info, input: Annotated[DossierRefuseInput, _arg("The dossier.")]
    ) -> DossierRefusePayload:
        d, e = await resolve.dossier_refuse(info, input)
        return DossierRefusePayload(dossier=d, user_errors=e)

    @strawberry.mutation(description=f"Transfer to the specialist unit (ACCEPTED -> PROCESSING). {_OFFICER}")
    async def dossier_process(
        self, info: Info, input: Annotated[DossierProcessInput, _arg("The dossier.")]
    ) -> DossierProcessPayload:
        d, e = await resolve.dossier_process(info, input)
        return DossierProcessPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="Ask for additional documents, listed at once; the clock stops (ACCEPTED/PROCESSING -> "
        f"ADDITIONAL_DOCUMENTS_REQUESTED). {_OFFICER}"
    )
    async def dossier_request_documents(
        self, info: Info, input: Annotated[DossierRequestDocumentsInput, _arg("The request.")]
    ) -> DossierRequestDocumentsPayload:
        d, e = await resolve.dossier_request_documents(info, input)
        return DossierRequestDocumentsPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="The documents were handed in; the clock runs again and the due date moves by the paused "
        f"working days (ADDITIONAL_DOCUMENTS_REQUESTED -> PROCESSING). {_APPLICANT}"
    )
    async def dossier_provide_documents(
        self, info: Info, input: Annotated[DossierProvideDocumentsInput, _arg("The dossier.")]
    ) -> DossierProvideDocumentsPayload:
        d, e = await resolve.dossier_provide_documents(info, input)
        return DossierProvideDocumentsPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description=f"Ask for taxes or fees; the clock stops (ACCEPTED/PROCESSING -> PAYMENT_REQUESTED). {_OFFICER}"
    )
    async def dossier_request_payment(
        self, info: Info, input: Annotated[DossierRequestPaymentInput, _arg("The request.")]
    ) -> DossierRequestPaymentPayload:
        d, e = await resolve.dossier_request_payment(info, input)
        return DossierRequestPaymentPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="The obligation was paid; the clock runs again (PAYMENT_REQUESTED -> PROCESSING). Allowed: "
        "services officers of the receiving agency (on the payment platform's confirmation), admins."
    )
    async def dossier_record_payment(
        self, info: Info, input: Annotated[DossierRecordPaymentInput, _arg("The dossier.")]
    ) -> DossierRecordPaymentPayload:
        d, e = await resolve.dossier_record_payment(info, input)
        return DossierRecordPaymentPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="Resolved (ACCEPTED/PROCESSING -> RESOLVED). After the due time it needs the written apology "
        f"(dossierApologize) with a new date not yet passed, else a userError APOLOGY_REQUIRED. {_OFFICER}"
    )
    async def dossier_complete(
        self, info: Info, input: Annotated[DossierCompleteInput, _arg("The dossier.")]
    ) -> DossierCompletePayload:
        d, e = await resolve.dossier_complete(info, input)
        return DossierCompletePayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="The result was delivered (RESOLVED -> RESULT_RETURNED); a dossier resolved late needs its "
        f"apology first. {_OFFICER}"
    )
    async def dossier_return_result(
        self, info: Info, input: Annotated[DossierReturnResultInput, _arg("The dossier.")]
    ) -> DossierReturnResultPayload:
        d, e = await resolve.dossier_return_result(info, input)
        return DossierReturnResultPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="Withdrawn by the applicant, before it is resolved (-> WITHDRAWN; an open pause closes). "
        f"{_APPLICANT}"
    )
    async def dossier_withdraw(
        self, info: Info, input: Annotated[DossierWithdrawInput, _arg("The dossier.")]
    ) -> DossierWithdrawPayload:
        d, e = await resolve.dossier_withdraw(info, input)
        return DossierWithdrawPayload(dossier=d, user_errors=e)

    @strawberry.mutation(description=f"Stop processing an accepted dossier, with the reason (-> STOPPED). {_OFFICER}")
    async def dossier_stop(
        self, info: Info, input: Annotated[DossierStopInput, _arg("The dossier.")]
    ) -> DossierStopPayload:
        d, e = await resolve.dossier_stop(info, input)
        return DossierStopPayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="Issue the written apology and new return date for a late (or about to be late) dossier; "
        f"the status does not change. {_OFFICER}"
    )
    async def dossier_apologize(
        self, info: Info, input: Annotated[DossierApologizeInput, _arg("The apology.")]
    ) -> DossierApologizePayload:
        d, e = await resolve.dossier_apologize(info, input)
        return DossierApologizePayload(dossier=d, user_errors=e)

    @strawberry.mutation(
        description="Book a place in an hourly slot; never more bookings than places, one active booking per "
        "citizen and slot. Allowed: citizens for themselves, services officers of the office's ward, admins."
    )
    async def appointment_book(
        self, info: Info, input: Annotated[AppointmentBookInput, _arg("The booking.")]
    ) -> AppointmentBookPayload:
        a, e = await resolve.appointment_book(info, input)
        return AppointmentBookPayload(appointment=a, user_errors=e)

    @strawberry.mutation(
        description="Cancel a booking before its slot starts; the place is freed. Allowed: the citizen who "
        "booked, services officers of the office's ward, admins."
    )
    async def appointment_cancel(
        self, info: Info, input: Annotated[AppointmentCancelInput, _arg("The booking.")]
    ) -> AppointmentCancelPayload:
        a, e = await resolve.appointment_cancel(info, input)
        return AppointmentCancelPayload(appointment=a, user_errors=e)

    @strawberry.mutation(
        description="Check in, from 10 minutes before to 10 minutes after the slot starts. Allowed: services "
        "officers of the office's ward (the desk, or its kiosk running with an officer account), admins."
    )
    async def appointment_check_in(
        self, info: Info, input: Annotated[AppointmentCheckInInput, _arg("The booking.")]
    ) -> AppointmentCheckInPayload:
        a, e = await resolve.appointment_check_in(info, input)
        return AppointmentCheckInPayload(appointment=a, user_errors=e)

    @strawberry.mutation(
        description="Request a paid look-up; the fee comes from the fee schedule and the result stays hidden "
        "until paid. Allowed: citizens for themselves, admins."
    )
    async def paid_lookup_request(
        self, info: Info, input: Annotated[PaidLookupRequestInput, _arg("The request.")]
    ) -> PaidLookupRequestPayload:
        p, e = await resolve.paid_lookup_request(info, input)
        return PaidLookupRequestPayload(paid_lookup=p, user_errors=e)

    @strawberry.mutation(
        description="Record the payment of a look-up (UNPAID/PENDING -> PAID); its result is released. Allowed: "
        "services officers of the agency providing the look-up (their `unit` is its agency code), admins (the "
        "payment platform's account)."
    )
    async def paid_lookup_record_payment(
        self, info: Info, input: Annotated[PaidLookupRecordPaymentInput, _arg("The look-up.")]
    ) -> PaidLookupRecordPaymentPayload:
        p, e = await resolve.paid_lookup_record_payment(info, input)
        return PaidLookupRecordPaymentPayload(paid_lookup=p, user_errors=e)


@strawberry.type(description="Live updates of public services.")
class ServicesSubscription:
    @strawberry.subscription(
        description="Each status change of a dossier (and the moment it becomes overdue), as the reloaded "
        "dossier. A citizen receives only their own dossiers, a services officer those of their unit's agencies, "
        "operators and admins all."
    )
    async def dossier_status_changed(
        self,
        info: Info,
        code: Annotated[
            str | None, _arg("Follow only this dossier (national code); default: every visible one.")
        ] = None,
    ) -> AsyncGenerator[Dossier, None]:
        async for dossier in resolve.dossier_updates(info, code):
            yield dossier
