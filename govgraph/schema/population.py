"""Population: citizens (công dân) with personal ID, addresses, identity documents and family links."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.resolvers import population as resolve
from govgraph.schema.common import Connection, Sex, UserError, local

if TYPE_CHECKING:
    from govgraph.schema.complaints import Case
    from govgraph.schema.education import Student
    from govgraph.schema.parking import ParkingSession
    from govgraph.schema.places import AdministrativeUnit
    from govgraph.schema.registry import CivilRegistration
    from govgraph.schema.services import Dossier


@strawberry.enum(description="Kinds of identity document a citizen has held.")
class IdentityDocumentType(Enum):
    CMND9 = strawberry.enum_value("CMND9", description="9-digit chứng minh nhân dân (no longer valid from 2025).")
    CMND12 = strawberry.enum_value("CMND12", description="12-digit chứng minh nhân dân (no longer valid from 2025).")
    CCCD = strawberry.enum_value("CCCD", description="Căn cước công dân card (2016-2024).")
    CAN_CUOC = strawberry.enum_value("CAN_CUOC", description="Thẻ căn cước (from 1 Jul 2024).")
    PASSPORT = strawberry.enum_value("PASSPORT", description="Hộ chiếu.")


@strawberry.type(description="An identity document a citizen holds or held (history is kept).")
class IdentityDocument:
    type: IdentityDocumentType = strawberry.field(description="The kind of document.")
    number: str | None = strawberry.field(description="The document number.")
    issued_on: dt.date | None = strawberry.field(description="Date of issue.")
    issuer: str = strawberry.field(description="The issuing authority.")
    expires_on: dt.date | None = strawberry.field(description="Expiry date, if any.")
    owner_pid: strawberry.Private[str]
    owner_key: strawberry.Private[str]
    owner_unit: strawberry.Private[str | None]


@strawberry.type(description="An address: the administrative unit (code and structure) plus the text as written.")
class Address:
    text: str | None = strawberry.field(description="House number, lane, street and unit, as written.")
    unit_code: strawberry.Private[str | None]
    unit_structure: strawberry.Private[str | None]
    owner_pid: strawberry.Private[str]
    owner_key: strawberry.Private[str]
    owner_unit: strawberry.Private[str | None]

    @strawberry.field(description="The administrative unit the address was recorded in (in its own structure).")
    def unit(self) -> Annotated[AdministrativeUnit, strawberry.lazy("govgraph.schema.places")] | None:
        return resolve.address_unit(self.unit_code, self.unit_structure)


@strawberry.enum(description="How a parent is related to a child.")
class ParentRelation(Enum):
    FATHER = strawberry.enum_value("FATHER", description="Cha.")
    MOTHER = strawberry.enum_value("MOTHER", description="Mẹ.")


@strawberry.type(description="A parent of a citizen, with the relation.")
class Parent:
    relation: ParentRelation = strawberry.field(description="Father or mother.")
    citizen: Citizen = strawberry.field(description="The parent.")


@strawberry.type(description="A person in the population register (công dân), keyed by the 12-digit personal ID.")
class Citizen(relay.Node):
    key: relay.NodeID[str]
    personal_id: str | None = strawberry.field(
        description="12-digit personal ID number (số định danh cá nhân): province of birth registration, "
        "century and sex digit, birth year, serial."
    )
    family_name: str | None = strawberry.field(description="Family name (họ), e.g. 'Nguyễn'.")
    middle_name: str | None = strawberry.field(description="Middle name(s) (chữ đệm); may be empty.")
    given_name: str | None = strawberry.field(description="Given name (tên).")
    full_name: str | None = strawberry.field(description="Full name in Vietnamese order, as written (NFC).")
    date_of_birth: dt.date | None = strawberry.field(description="Date of birth.")
    sex: Sex = strawberry.field(description="Sex.")
    ethnicity: str = strawberry.field(description="Ethnicity (dân tộc), e.g. 'Kinh'.")
    nationality: str = strawberry.field(description="Nationality (quốc tịch).")
    phone: str | None = strawberry.field(description="Phone number in national form (10-digit mobile or 024 landline).")
    date_of_death: dt.date | None = strawberry.field(description="Date of death, once registered (khai tử).")
    permanent_address: Address | None = strawberry.field(description="Permanent residence (thường trú).")
    temporary_address: Address | None = strawberry.field(description="Temporary residence (tạm trú), if any.")

    unit_code: strawberry.Private[str | None]
    """Current unit of permanent residence (for officers' jurisdiction)."""
    pid: strawberry.Private[str]
    """The personal ID, for internal joins (the `personalId` field is guarded)."""

    @classmethod
    def from_row(cls, r: Any) -> Citizen:
        unit = r.permanent_unit_code if r.permanent_unit_structure == "Y2025_07" else None
        return cls(
            key=r.node_key,
            unit_code=unit,
            pid=r.pid,
            personal_id=r.pid,
            family_name=r.family_name,
            middle_name=r.middle_name,
            given_name=r.given_name,
            full_name=r.full_name,
            date_of_birth=r.date_of_birth,
            sex=Sex(r.sex),
            ethnicity=r.ethnicity,
            nationality=r.nationality,
            phone=r.phone,
            date_of_death=r.date_of_death,
            permanent_address=Address(
                text=r.permanent_address,
                unit_code=r.permanent_unit_code,
                unit_structure=r.permanent_unit_structure,
                owner_pid=r.pid,
                owner_key=r.node_key,
                owner_unit=unit,
            )
            if r.permanent_address
            else None,
            temporary_address=Address(
                text=r.temporary_address,
                unit_code=r.temporary_unit_code,
                unit_structure=r.temporary_unit_structure,
                owner_pid=r.pid,
                owner_key=r.node_key,
                owner_unit=unit,
            )
            if r.temporary_address
            else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Citizen | None]:
        return await resolve.citizens_by_node_key(info, node_ids, required)

    # Federation (GOVGRAPH_FEDERATION=1, @key "personalId"): an entity fetch is a read like `citizen`: row scope.
    @classmethod
    async def resolve_reference(cls, info: Info, **key: str) -> Citizen | None:
        return await resolve.citizen(info, str(key["personalId"]))

    @strawberry.field(description="Identity documents held, oldest first.")
    async def identity_documents(self, info: Info) -> list[IdentityDocument] | None:
        return await resolve.identity_documents(info, self)

    @strawberry.field(description="Parents recorded in the household register.")
    async def parents(self, info: Info) -> list[Parent] | None:
        return await resolve.parents(info, self.pid)

    @strawberry.field(description="Children recorded in the household register, oldest first.")
    async def children(self, info: Info) -> list[Citizen] | None:
        return await resolve.children(info, self.pid)

    @strawberry.field(
        description="Who read this person's data, when and why (staff reads of personal data, newest first), "
        "from the audit store: the citizen's own data tracker."
    )
    async def access_log(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[AccessLogEntry] | None:
        return await resolve.access_log(info, self.pid, first, after)

    # Cross-links to other stores: each is nullable, so one store being down nulls only its own fields.
    @strawberry.field(
        description="Parking sessions this citizen paid (iParking app, card, or SMS from their own number), "
        "newest first (parking store)."
    )
    async def parking_sessions(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest sessions (at most 100).")] = 20,
    ) -> list[Annotated[ParkingSession, strawberry.lazy("govgraph.schema.parking")]] | None:
        from govgraph.resolvers import parking as r

        return await r.citizen_sessions(info, self.pid, last)

    @strawberry.field(description="The citizen's own public-service dossiers (hồ sơ), newest first (services store).")
    async def dossiers(
        self, info: Info
    ) -> list[Annotated[Dossier, strawberry.lazy("govgraph.schema.services")]] | None:
        from govgraph.resolvers import services as r

        return await r.citizen_dossiers(info, self.pid)

    @strawberry.field(
        description="The citizen's own student records (học sinh), newest school year first (education store). "
        "A parent reaches their children's through `children { schoolRecords }`."
    )
    async def school_records(
        self, info: Info
    ) -> list[Annotated[Student, strawberry.lazy("govgraph.schema.education")]] | None:
        from govgraph.resolvers import education as r

        return await r.school_records(info, self.pid)

    @strawberry.field(
        description="Complaints (khiếu nại) this person filed or co-signed, oldest first (complaints store). "
        "Never denunciations (tố cáo): a denouncer's identity is secret."
    )
    async def complaints(
        self, info: Info
    ) -> list[Annotated[Case, strawberry.lazy("govgraph.schema.complaints")]] | None:
        from govgraph.resolvers import complaints as r

        return await r.complaints_of(info, self.pid)

    @strawberry.field(
        description="Every civil registration (birth, marriage, death) the citizen appears in, in any role, "
        "oldest first (registry store)."
    )
    async def civil_registrations(
        self, info: Info
    ) -> list[Annotated[CivilRegistration, strawberry.lazy("govgraph.schema.registry")]] | None:
        from govgraph.resolvers import registry as r

        return await r.citizen_registrations(info, self.pid)


@strawberry.enum(description="Orderings of the citizens list.")
class CitizenOrderField(Enum):
    PERSONAL_ID = strawberry.enum_value("PERSONAL_ID", description="By personal ID number.")
    NAME = strawberry.enum_value("NAME", description="By name, diacritic-insensitive.")
    DATE_OF_BIRTH = strawberry.enum_value("DATE_OF_BIRTH", description="By date of birth.")


@strawberry.input(description="How to order citizens.")
class CitizenOrder:
    field: CitizenOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest first.")


@strawberry.input(description="Filters on citizens; all given filters must match.")
class CitizenFilterInput:
    search: str | None = strawberry.field(
        default=None, description="Words of the name, any accents: 'nguyen duc' finds 'Nguyễn Đức Anh'."
    )
    unit_code: str | None = strawberry.field(default=None, description="Permanent residence in this unit code.")
    unit_structure: str | None = strawberry.field(
        default=None, description="Structure of `unitCode` (Y2025_07 or Y2025_01); default: any."
    )
    sex: Sex | None = strawberry.field(default=None, description="Only this sex.")
    born_from: dt.date | None = strawberry.field(default=None, description="Born on or after this date.")
    born_to: dt.date | None = strawberry.field(default=None, description="Born on or before this date.")
    alive: bool | None = strawberry.field(default=None, description="true: living only; false: deceased only.")


@strawberry.type(description="Population register.")
class PopulationQuery:
    @strawberry.field(description="One citizen by personal ID number.")
    async def citizen(
        self,
        info: Info,
        personal_id: Annotated[str, strawberry.argument(description="12-digit personal ID number.")],
    ) -> Citizen | None:
        return await resolve.citizen(info, personal_id)

    @strawberry.field(description="Citizens, filtered and ordered (keyset pagination).")
    async def citizens(
        self,
        info: Info,
        filter: Annotated[CitizenFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[CitizenOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Citizen] | None:
        return await resolve.citizens(info, filter, order_by, first, after)


@strawberry.input(description="Change a citizen's contact details (the citizen themselves, or a population officer).")
class CitizenUpdateContactInput:
    personal_id: str = strawberry.field(description="Whose details to change.")
    phone: str | None = strawberry.field(
        default=None, description="New phone: a 10-digit mobile or a 024 Hanoi landline; null or empty clears it."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Client-chosen key: a retry with the same key returns the first result."
    )


@strawberry.type(description="Result of citizenUpdateContact.")
class CitizenUpdateContactPayload:
    citizen: Citizen | None = strawberry.field(description="The citizen as now recorded (null on failure).")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused, if it was.")


@strawberry.type(description="Population register changes.")
class PopulationMutation:
    @strawberry.mutation(description="Change a citizen's phone number. Allowed: the citizen, population officers.")
    async def citizen_update_contact(
        self, info: Info, input: Annotated[CitizenUpdateContactInput, strawberry.argument(description="The change.")]
    ) -> CitizenUpdateContactPayload:
        return await resolve.update_contact(info, input)


@strawberry.type(description="One staff read of a person's personal data, from the append-only audit trail.")
class AccessLogEntry:
    at: dt.datetime = strawberry.field(description="When (Hanoi time).")
    reader: str = strawberry.field(description="The staff account that read the data (token subject).")
    reader_role: str = strawberry.field(description="The reader's role.")
    reader_unit: str | None = strawberry.field(description="The reader's administrative unit, for officers.")
    purpose: str = strawberry.field(description="The purpose the reader stated.")
    record: str = strawberry.field(description="Which record was read (type and opaque key).")
    fields: list[str] = strawberry.field(description="Which fields were read (`Type.field`).")
    request_id: str | None = strawberry.field(description="The request id, to match the server's logs.")

    @classmethod
    def from_row(cls, r: Any) -> AccessLogEntry:
        return cls(
            at=local(r.at),  # type: ignore[arg-type]
            reader=r.actor,
            reader_role=r.actor_role,
            reader_unit=r.actor_unit,
            purpose=r.purpose,
            record=r.record,
            fields=r.fields.split(","),
            request_id=r.request_id,
        )


@strawberry.input(description="Search the audit trail (admins).")
class AuditFilterInput:
    reader: str | None = strawberry.field(default=None, description="Reads by this staff account.")
    subject_personal_id: str | None = strawberry.field(default=None, description="Reads of this person's data.")
    since: dt.datetime | None = strawberry.field(default=None, description="At or after this time.")
    until: dt.datetime | None = strawberry.field(default=None, description="At or before this time.")


@strawberry.type(description="The caller's own records and the audit trail.")
class AuditQuery:
    @strawberry.field(description="The signed-in citizen's own record (null for staff tokens).")
    async def me(self, info: Info) -> Citizen | None:
        return await resolve.me(info)

    @strawberry.field(description="Search the audit trail of personal-data reads. Admins only.")
    async def audit_log(
        self,
        info: Info,
        filter: Annotated[AuditFilterInput | None, strawberry.argument(description="Filters.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[AccessLogEntry]:
        return await resolve.audit_log(info, filter, first, after)
