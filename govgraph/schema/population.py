"""Population: citizens (công dân) with personal ID, addresses, identity documents and family links."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.resolvers import population as resolve
from govgraph.schema.common import Connection, Sex, UserError

if TYPE_CHECKING:
    from govgraph.schema.places import AdministrativeUnit


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
    number: str = strawberry.field(description="The document number.")
    issued_on: dt.date = strawberry.field(description="Date of issue.")
    issuer: str = strawberry.field(description="The issuing authority.")
    expires_on: dt.date | None = strawberry.field(description="Expiry date, if any.")


@strawberry.type(description="An address: the administrative unit (code and structure) plus the text as written.")
class Address:
    text: str = strawberry.field(description="House number, lane, street and unit, as written.")
    unit_code: strawberry.Private[str | None]
    unit_structure: strawberry.Private[str | None]

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
    personal_id: str = strawberry.field(
        description="12-digit personal ID number (số định danh cá nhân): province of birth registration, "
        "century and sex digit, birth year, serial."
    )
    family_name: str = strawberry.field(description="Family name (họ), e.g. 'Nguyễn'.")
    middle_name: str = strawberry.field(description="Middle name(s) (chữ đệm); may be empty.")
    given_name: str = strawberry.field(description="Given name (tên).")
    full_name: str = strawberry.field(description="Full name in Vietnamese order, as written (NFC).")
    date_of_birth: dt.date = strawberry.field(description="Date of birth.")
    sex: Sex = strawberry.field(description="Sex.")
    ethnicity: str = strawberry.field(description="Ethnicity (dân tộc), e.g. 'Kinh'.")
    nationality: str = strawberry.field(description="Nationality (quốc tịch).")
    phone: str | None = strawberry.field(description="Phone number in national form (10-digit mobile or 024 landline).")
    date_of_death: dt.date | None = strawberry.field(description="Date of death, once registered (khai tử).")
    permanent_address: Address | None = strawberry.field(description="Permanent residence (thường trú).")
    temporary_address: Address | None = strawberry.field(description="Temporary residence (tạm trú), if any.")

    @classmethod
    def from_row(cls, r: Any) -> Citizen:
        return cls(
            key=r.pid,
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
            )
            if r.permanent_address
            else None,
            temporary_address=Address(
                text=r.temporary_address,
                unit_code=r.temporary_unit_code,
                unit_structure=r.temporary_unit_structure,
            )
            if r.temporary_address
            else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Citizen | None]:
        return await resolve.citizens_by_pid(info, node_ids, required)

    @strawberry.field(description="Identity documents held, oldest first.")
    async def identity_documents(self, info: Info) -> list[IdentityDocument]:
        return await resolve.identity_documents(info, self.personal_id)

    @strawberry.field(description="Parents recorded in the household register.")
    async def parents(self, info: Info) -> list[Parent]:
        return await resolve.parents(info, self.personal_id)

    @strawberry.field(description="Children recorded in the household register, oldest first.")
    async def children(self, info: Info) -> list[Citizen]:
        return await resolve.children(info, self.personal_id)

    # Cross-links to other stores: each is nullable, so one store being down nulls only its own fields.


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
