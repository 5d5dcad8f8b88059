"""Civil registry (hộ tịch): register books and the birth, marriage and death entries written in them.

Type-specific content is in one sub-object per type (``birth``, ``marriage``, ``death``): exactly the one
matching ``type`` is set, the others are null. Every person named in an entry is listed in ``people`` with their
role, linked to the population register when their personal ID is known there.
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
from govgraph.resolvers import registry as resolve
from govgraph.schema.common import Connection, Sex, UserError, local

if TYPE_CHECKING:
    from govgraph.schema.places import AdministrativeUnit, UnitStructure
    from govgraph.schema.population import Citizen

UnitRef = Annotated["AdministrativeUnit", strawberry.lazy("govgraph.schema.places")]
StructureRef = Annotated["UnitStructure", strawberry.lazy("govgraph.schema.places")]
CitizenRef = Annotated["Citizen", strawberry.lazy("govgraph.schema.population")]


PRINCIPAL_ROLES = ("CHILD", "DECEASED", "HUSBAND", "WIFE")
"""Whose entry it is, in this order of preference: the person its own fields are about (for the audit trail)."""


@dataclass(frozen=True)
class Entry:
    """What the policy checks an entry's personal fields against (auth/policy.py, registry block): the record,
    where it is kept, and the personal IDs of everyone it names, by role. Every object built from one entry
    (its details, parents, spouses, people, notes) carries it."""

    record: str
    """'CivilRegistration:<id>', for the audit trail."""
    place: tuple[str, str]
    """(unit code, structure) of the registration place (the unit that keeps the book)."""
    named: tuple[tuple[str, str], ...] = ()
    """(role, personal ID) of each person the entry names whose personal ID is known."""

    @classmethod
    def of(cls, registration_id: int, place: tuple[str, str], people: Any) -> Entry:
        named = tuple(sorted((str(p.role), str(p.pid)) for p in people if p.pid))
        return cls(record=f"CivilRegistration:{registration_id}", place=place, named=named)

    def pid(self, *roles: str) -> str | None:
        """The personal ID of the first of ``roles`` the entry names with a known personal ID."""
        by_role = dict(self.named)
        return next((by_role[r] for r in roles if r in by_role), None)

    @property
    def pids(self) -> tuple[str, ...]:
        return tuple(sorted({pid for _, pid in self.named}))

    @property
    def principal(self) -> str | None:
        return self.pid(*PRINCIPAL_ROLES)


@strawberry.enum(description="Kind of civil-status event, each kept in its own register book.")
class RegisterType(Enum):
    BIRTH = strawberry.enum_value("BIRTH", description="Khai sinh (birth); book numbers end in -KS.")
    MARRIAGE = strawberry.enum_value("MARRIAGE", description="Kết hôn (marriage); book numbers end in -KH.")
    DEATH = strawberry.enum_value("DEATH", description="Khai tử (death); book numbers end in -KT.")


@strawberry.enum(description="The part a person plays in a registration.")
class RegistrationRole(Enum):
    CHILD = strawberry.enum_value("CHILD", description="The child whose birth is registered.")
    FATHER = strawberry.enum_value("FATHER", description="The child's father (cha).")
    MOTHER = strawberry.enum_value("MOTHER", description="The child's mother (mẹ).")
    HUSBAND = strawberry.enum_value("HUSBAND", description="The husband (bên chồng) in a marriage.")
    WIFE = strawberry.enum_value("WIFE", description="The wife (bên vợ) in a marriage.")
    DECEASED = strawberry.enum_value("DECEASED", description="The person whose death is registered.")
    DECLARANT = strawberry.enum_value("DECLARANT", description="The person who declared the event (người đi khai).")


@strawberry.enum(description="Whether a digitised entry has been checked against the paper book.")
class VerificationStatus(Enum):
    UNVERIFIED = strawberry.enum_value("UNVERIFIED", description="Keyed in, not yet checked.")
    VERIFIED = strawberry.enum_value("VERIFIED", description="Checked against the book (or born digital).")
    DISCREPANCY = strawberry.enum_value(
        "DISCREPANCY", description="Checked and found to differ from the book; awaiting correction."
    )


@strawberry.enum(description="Kind of marginal note written beside an entry (ghi chú).")
class MarginalNoteKind(Enum):
    CHANGE = strawberry.enum_value("CHANGE", description="Thay đổi hộ tịch (e.g. a change of name).")
    CORRECTION = strawberry.enum_value("CORRECTION", description="Cải chính hộ tịch (a wrongly written detail).")
    SUPPLEMENT = strawberry.enum_value("SUPPLEMENT", description="Bổ sung hộ tịch (a detail left blank).")


@strawberry.type(description="A note written in the margin of an entry after registration.")
class MarginalNote:
    noted_on: dt.date = strawberry.field(description="Date the note was made.")
    kind: MarginalNoteKind = strawberry.field(description="Change, correction or supplement.")
    content: str | None = strawberry.field(description="The note as written, with the decision it is based on.")
    entry: strawberry.Private[Entry]


@strawberry.type(description="A person named in a registration, as written, linked to the population register.")
class RegistrationPerson:
    role: RegistrationRole = strawberry.field(description="Their part in the registration.")
    full_name: str | None = strawberry.field(description="Full name as written in the book (NFC).")
    personal_id: str | None = strawberry.field(
        description="12-digit personal ID, as written or matched at digitisation; null when unknown."
    )
    entry: strawberry.Private[Entry]

    @strawberry.field(
        description="The person in the population register (another store): null when the personal ID is "
        "unknown there (moved away, died before the register existed) or that store is down."
    )
    async def citizen(self, info: Info) -> CitizenRef | None:
        return await resolve.citizen(info, self.personal_id)


@strawberry.type(description="A parent as written in a birth entry (year of birth only on older forms).")
class RecordedParent:
    full_name: str | None = strawberry.field(description="Full name as written.")
    birth_year: int | None = strawberry.field(description="Year of birth.")
    ethnicity: str | None = strawberry.field(description="Ethnicity (dân tộc).")
    nationality: str | None = strawberry.field(description="Nationality (quốc tịch).")
    residence: str | None = strawberry.field(description="Place of residence (nơi cư trú) as written.")
    entry: strawberry.Private[Entry]
    role: strawberry.Private[str]
    """FATHER or MOTHER."""


@strawberry.type(description="Content of a birth entry (Law on Civil Status 2014, Art. 14).")
class BirthRegistration:
    family_name: str | None = strawberry.field(description="The child's family name (họ).")
    middle_name: str | None = strawberry.field(description="The child's middle name(s) (chữ đệm); may be empty.")
    given_name: str | None = strawberry.field(description="The child's given name (tên).")
    full_name: str | None = strawberry.field(description="The child's full name as written.")
    sex: Sex = strawberry.field(description="The child's sex.")
    date_of_birth: dt.date | None = strawberry.field(description="Date of birth.")
    place_of_birth: str | None = strawberry.field(description="Place of birth (nơi sinh), usually a hospital.")
    native_place: str | None = strawberry.field(description="Native place (quê quán).")
    ethnicity: str = strawberry.field(description="The child's ethnicity.")
    nationality: str = strawberry.field(description="The child's nationality.")
    personal_id: str | None = strawberry.field(
        description="Personal ID number written on the entry; issued at birth registration from 2016 on."
    )
    father: RecordedParent | None = strawberry.field(description="The father; null when paternity is undetermined.")
    mother: RecordedParent = strawberry.field(description="The mother.")
    declarant_name: str | None = strawberry.field(description="Who declared the birth (người đi khai sinh).")
    declarant_relationship: str | None = strawberry.field(description="The declarant's relationship to the child.")
    evidence: str | None = strawberry.field(
        description="Supporting document: giấy chứng sinh number or witness statement."
    )
    entry: strawberry.Private[Entry]


@strawberry.type(description="One party to a marriage, as written on the certificate.")
class RecordedSpouse:
    family_name: str | None = strawberry.field(description="Family name (họ).")
    middle_name: str | None = strawberry.field(description="Middle name(s) (chữ đệm); may be empty.")
    given_name: str | None = strawberry.field(description="Given name (tên).")
    full_name: str | None = strawberry.field(description="Full name as written.")
    date_of_birth: dt.date | None = strawberry.field(description="Date of birth.")
    ethnicity: str = strawberry.field(description="Ethnicity (dân tộc).")
    nationality: str = strawberry.field(description="Nationality (quốc tịch).")
    residence: str | None = strawberry.field(description="Place of residence as written.")
    id_number: str | None = strawberry.field(
        description="Identity document number as written (9-digit CMND on older entries, 12-digit later)."
    )
    entry: strawberry.Private[Entry]
    role: strawberry.Private[str]
    """HUSBAND or WIFE."""


@strawberry.type(description="Content of a marriage entry (Law on Civil Status 2014, Art. 17).")
class MarriageRegistration:
    husband: RecordedSpouse = strawberry.field(description="The husband (bên chồng).")
    wife: RecordedSpouse = strawberry.field(description="The wife (bên vợ).")
    entry: strawberry.Private[Entry]


@strawberry.type(description="Content of a death entry (khai tử).")
class DeathRegistration:
    family_name: str | None = strawberry.field(description="The deceased's family name.")
    middle_name: str | None = strawberry.field(description="The deceased's middle name(s); may be empty.")
    given_name: str | None = strawberry.field(description="The deceased's given name.")
    full_name: str | None = strawberry.field(description="The deceased's full name as written.")
    sex: Sex = strawberry.field(description="The deceased's sex.")
    birth_year: int | None = strawberry.field(description="Year of birth.")
    personal_id: str | None = strawberry.field(description="Personal ID number, if the person had one.")
    nationality: str = strawberry.field(description="Nationality.")
    died_at: dt.datetime | None = strawberry.field(description="Hour, day, month and year of death (+07:00).")
    place_of_death: str | None = strawberry.field(description="Place of death (nơi chết).")
    cause_of_death: str | None = strawberry.field(description="Cause of death as written.")
    declarant_name: str | None = strawberry.field(description="Who declared the death (người đi khai tử).")
    declarant_relationship: str | None = strawberry.field(description="The declarant's relationship to the deceased.")
    evidence: str | None = strawberry.field(description="Supporting document (giấy báo tử).")
    entry: strawberry.Private[Entry]


@strawberry.type(
    description="A register book (sổ hộ tịch) of one registry office, type and year. Books are numbered 01, 02, "
    "... per type and year; the printed number reads like `01-TP/HT-2015-KS`."
)
class RegisterBook(relay.Node):
    key: relay.NodeID[str]
    printed_number: str = strawberry.field(description="Book number as printed on the cover (quyển số).")
    type: RegisterType = strawberry.field(description="Which events the book records.")
    year: int = strawberry.field(description="The year the book covers.")
    book_number: int = strawberry.field(description="Sequence of the book within its office, type and year.")
    opened_on: dt.date = strawberry.field(description="Date of the first entry.")
    closed_on: dt.date | None = strawberry.field(
        description="Date of the last entry if the book filled up, else 31 Dec; null while still in use."
    )
    entry_count: int = strawberry.field(description="Entries written in the book (the year-end tally).")
    book_id: strawberry.Private[int]
    office_code: strawberry.Private[str]
    office_structure: strawberry.Private[str]

    @classmethod
    def from_row(cls, r: Any) -> RegisterBook:
        return cls(
            key=str(r.id),
            printed_number=r.printed_number,
            type=RegisterType(r.register_type),
            year=r.year,
            book_number=r.book_no,
            opened_on=r.opened_on,
            closed_on=r.closed_on,
            entry_count=r.entry_count,
            book_id=r.id,
            office_code=r.office_unit_code,
            office_structure=r.office_unit_structure,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[RegisterBook | None]:
        return await resolve.books_by_id(info, node_ids, required)

    @strawberry.field(
        description="The registry office that keeps the book (a ward or commune People's Committee), in the "
        "structure in force when the book was written."
    )
    def registry_office(self) -> UnitRef | None:
        return resolve.unit(self.office_code, self.office_structure)

    @strawberry.field(description="The entries of the book in entry-number order (Số 1, 2, ...).")
    async def registrations(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[CivilRegistration]:
        return await resolve.book_registrations(info, self.book_id, self.entry_count, first, after)


@strawberry.type(
    description="One entry of a register book: a registered birth, marriage or death (sự kiện hộ tịch). The "
    "certificate quotes it as 'Số: <entryNumber>, Quyển số: <book.printedNumber>'."
)
class CivilRegistration(relay.Node):
    key: relay.NodeID[str]
    type: RegisterType = strawberry.field(description="Birth, marriage or death.")
    entry_number: int = strawberry.field(description="Số: the entry's sequence number within its book, from 1.")
    registration_date: dt.date = strawberry.field(description="Date of registration.")
    page_number: int | None = strawberry.field(description="Physical page in the book, when recorded.")
    late_registration: bool = strawberry.field(
        description="Registered after the legal deadline (60 days for a birth, 15 for a death): quá hạn."
    )
    signer_name: str = strawberry.field(description="Who signed for the People's Committee.")
    signer_title: str = strawberry.field(description="The signer's title, e.g. 'Phó Chủ tịch UBND phường'.")
    civil_status_officer: str = strawberry.field(description="The civil-status officer (công chức tư pháp - hộ tịch).")
    scan_uri: str | None = strawberry.field(description="Image of the book page, for digitised paper entries.")
    digitised_by: str | None = strawberry.field(
        description="Who keyed the paper entry into the electronic database; null when born digital."
    )
    digitised_at: dt.datetime | None = strawberry.field(description="When the entry was digitised (+07:00).")
    verification_status: VerificationStatus = strawberry.field(description="Whether the entry has been checked.")
    birth: BirthRegistration | None = strawberry.field(description="Birth details; set only for BIRTH entries.")
    marriage: MarriageRegistration | None = strawberry.field(
        description="Marriage details; set only for MARRIAGE entries."
    )
    death: DeathRegistration | None = strawberry.field(description="Death details; set only for DEATH entries.")
    registration_id: strawberry.Private[int]
    book_id: strawberry.Private[int]
    place_code: strawberry.Private[str]
    place_structure: strawberry.Private[str]
    entry: strawberry.Private[Entry]

    @classmethod
    def from_row(cls, r: Any, people: Any) -> CivilRegistration:
        """An entry from its row and its ``registration_people`` rows (who it names: what its guarded fields
        are checked against)."""
        e = Entry.of(r.id, (r.place_unit_code, r.place_unit_structure), people)
        return cls(
            key=str(r.id),
            type=RegisterType(r.register_type),
            entry_number=r.entry_no,
            registration_date=r.registration_date,
            page_number=r.page_no,
            late_registration=bool(r.late_registration),
            signer_name=r.signer_name,
            signer_title=r.signer_title,
            civil_status_officer=r.civil_status_officer,
            scan_uri=r.scan_uri,
            digitised_by=r.digitised_by,
            digitised_at=local(r.digitised_at),
            verification_status=VerificationStatus(r.verified_status),
            birth=_birth(r, e) if r.register_type == "BIRTH" else None,
            marriage=_marriage(r, e) if r.register_type == "MARRIAGE" else None,
            death=_death(r, e) if r.register_type == "DEATH" else None,
            registration_id=r.id,
            book_id=r.book_id,
            place_code=r.place_unit_code,
            place_structure=r.place_unit_structure,
            entry=e,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[CivilRegistration | None]:
        return await resolve.registrations_by_id(info, node_ids, required)

    @strawberry.field(description="The register book the entry is written in.")
    async def book(self, info: Info) -> RegisterBook:
        return await resolve.book(info, self.book_id)

    @strawberry.field(
        description="Where it was registered, in the structure in force at the time: a 2015 entry names a legacy "
        "ward (Y2025_01), one from July 2025 on a current unit (Y2025_07)."
    )
    def registration_place(self) -> UnitRef | None:
        return resolve.unit(self.place_code, self.place_structure)

    @strawberry.field(description="Everyone named in the entry, with their role.")
    async def people(self, info: Info) -> list[RegistrationPerson]:
        return await resolve.people(info, self.entry, self.registration_id)

    @strawberry.field(description="Notes written in the margin since registration, oldest first.")
    async def marginal_notes(self, info: Info) -> list[MarginalNote]:
        return await resolve.marginal_notes(info, self.entry, self.registration_id)


def _birth(r: Any, e: Entry) -> BirthRegistration:
    father = None
    if r.birth_father_full_name:
        father = RecordedParent(
            full_name=r.birth_father_full_name,
            birth_year=r.birth_father_birth_year,
            ethnicity=r.birth_father_ethnicity,
            nationality=r.birth_father_nationality,
            residence=r.birth_father_residence,
            entry=e,
            role="FATHER",
        )
    return BirthRegistration(
        family_name=r.birth_child_family_name,
        middle_name=r.birth_child_middle_name,
        given_name=r.birth_child_given_name,
        full_name=r.birth_child_full_name,
        sex=Sex(r.birth_child_sex),
        date_of_birth=r.birth_child_date_of_birth,
        place_of_birth=r.birth_birth_place,
        native_place=r.birth_native_place,
        ethnicity=r.birth_child_ethnicity,
        nationality=r.birth_child_nationality,
        personal_id=r.birth_child_pid,
        father=father,
        mother=RecordedParent(
            full_name=r.birth_mother_full_name,
            birth_year=r.birth_mother_birth_year,
            ethnicity=r.birth_mother_ethnicity,
            nationality=r.birth_mother_nationality,
            residence=r.birth_mother_residence,
            entry=e,
            role="MOTHER",
        ),
        declarant_name=r.birth_declarant_name,
        declarant_relationship=r.birth_declarant_relationship,
        evidence=r.birth_evidence,
        entry=e,
    )


def _spouse(r: Any, side: str, e: Entry) -> RecordedSpouse:
    m = r._mapping
    p = f"marriage_{side}_"
    return RecordedSpouse(
        family_name=m[p + "family_name"],
        middle_name=m[p + "middle_name"],
        given_name=m[p + "given_name"],
        full_name=m[p + "full_name"],
        date_of_birth=m[p + "date_of_birth"],
        ethnicity=m[p + "ethnicity"],
        nationality=m[p + "nationality"],
        residence=m[p + "residence"],
        id_number=m[p + "id_number"],
        entry=e,
        role=side.upper(),
    )


def _marriage(r: Any, e: Entry) -> MarriageRegistration:
    return MarriageRegistration(husband=_spouse(r, "husband", e), wife=_spouse(r, "wife", e), entry=e)


def _death(r: Any, e: Entry) -> DeathRegistration:
    died_at = local(r.death_died_at)
    assert died_at is not None  # noqa: S101 - the column is NOT NULL for death entries
    return DeathRegistration(
        family_name=r.death_deceased_family_name,
        middle_name=r.death_deceased_middle_name,
        given_name=r.death_deceased_given_name,
        full_name=r.death_deceased_full_name,
        sex=Sex(r.death_deceased_sex),
        birth_year=r.death_deceased_birth_year,
        personal_id=r.death_deceased_pid,
        nationality=r.death_deceased_nationality,
        died_at=died_at,
        place_of_death=r.death_death_place,
        cause_of_death=r.death_death_cause,
        declarant_name=r.death_declarant_name,
        declarant_relationship=r.death_declarant_relationship,
        evidence=r.death_evidence,
        entry=e,
    )


@strawberry.enum(description="Orderings of the register-book list.")
class RegisterBookOrderField(Enum):
    YEAR = strawberry.enum_value("YEAR", description="By year, then type, then book number.")
    OPENED_ON = strawberry.enum_value("OPENED_ON", description="By opening date.")


@strawberry.input(description="How to order register books.")
class RegisterBookOrder:
    field: RegisterBookOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest first.")


@strawberry.input(description="Filters on register books; all given filters must match.")
class RegisterBookFilter:
    unit_code: str | None = strawberry.field(
        default=None,
        description="Books kept by this unit. For a current unit this includes the books of the legacy wards it "
        "was formed from.",
    )
    structure: StructureRef | None = strawberry.field(
        default=None, description="Structure of `unitCode`; default Y2025_07 (the current units)."
    )
    type: RegisterType | None = strawberry.field(default=None, description="Only books of this type.")
    year: int | None = strawberry.field(default=None, description="Only books of this year.")


@strawberry.enum(description="Orderings of the registration list.")
class CivilRegistrationOrderField(Enum):
    REGISTRATION_DATE = strawberry.enum_value("REGISTRATION_DATE", description="By registration date.")
    BOOK_ENTRY = strawberry.enum_value(
        "BOOK_ENTRY", description="Book by book, and by entry number (Số) within a book."
    )


@strawberry.input(description="How to order registrations.")
class CivilRegistrationOrder:
    field: CivilRegistrationOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest first.")


@strawberry.input(description="Filters on registrations; all given filters must match.")
class CivilRegistrationFilter:
    type: RegisterType | None = strawberry.field(default=None, description="Only this kind of event.")
    unit_code: str | None = strawberry.field(
        default=None,
        description="Registered in this unit. A current (Y2025_07) unit also finds entries registered in the "
        "legacy wards it was formed from: a 2015 birth in old Phường Trần Hưng Đạo is found from Phường Cửa Nam.",
    )
    structure: StructureRef | None = strawberry.field(
        default=None, description="Structure of `unitCode`; default Y2025_07 (the current units)."
    )
    registered_from: dt.date | None = strawberry.field(default=None, description="Registered on or after this date.")
    registered_to: dt.date | None = strawberry.field(default=None, description="Registered on or before this date.")
    search: str | None = strawberry.field(
        default=None,
        description="Words of the name of the child, a spouse or the deceased, any accents: 'tran hung' finds "
        "'Trần Văn Hùng'.",
    )
    late_registration: bool | None = strawberry.field(
        default=None, description="true: only late registrations; false: only those on time."
    )


@strawberry.type(description="Civil registry (hộ tịch).")
class RegistryQuery:
    @strawberry.field(description="Register books, filtered and ordered (keyset pagination).")
    async def register_books(
        self,
        info: Info,
        filter: Annotated[RegisterBookFilter | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[RegisterBookOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[RegisterBook] | None:
        return await resolve.register_books(info, filter, order_by, first, after)

    @strawberry.field(description="Registered births, marriages and deaths, filtered and ordered (keyset pagination).")
    async def civil_registrations(
        self,
        info: Info,
        filter: Annotated[CivilRegistrationFilter | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[CivilRegistrationOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[CivilRegistration] | None:
        return await resolve.civil_registrations(info, filter, order_by, first, after)


# ---------------------------------------------------------------------------------------------------------
# Mutations: registering births, marriages and deaths
# ---------------------------------------------------------------------------------------------------------

_IDEMPOTENCY = "Client-chosen key (1-200 characters): a retry with the same key returns the first result."
_OFFICE = (
    "The registry office: a current (Y2025_07) commune-level unit code. An officer registers only in their own "
    "unit and may leave it out; an admin must give it."
)


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.input(description="A parent named in a birth registration.")
class BirthParentInput:
    personal_id: str | None = strawberry.field(
        default=None,
        description="The parent's personal ID: they must be in the population register, and the child is linked "
        "to them there. Their name and year of birth are then taken from that register.",
    )
    full_name: str | None = strawberry.field(
        default=None, description="Full name; required without `personalId`, else it must match the register."
    )
    birth_year: int | None = strawberry.field(
        default=None, description="Year of birth; required without `personalId`, else it must match the register."
    )
    ethnicity: str = strawberry.field(default="Kinh", description="Ethnicity (dân tộc).")
    nationality: str = strawberry.field(default="Việt Nam", description="Nationality (quốc tịch).")
    residence: str | None = strawberry.field(
        default=None,
        description="Place of residence; default the permanent address in the population register (required "
        "when there is none).",
    )


@strawberry.input(
    description="Register a birth (đăng ký khai sinh, Law on Civil Status Art. 14-16). The child gets a new "
    "personal ID (province 001: registered in Hà Nội) and is created in the population register."
)
class BirthRegisterInput:
    registry_office_code: str | None = strawberry.field(default=None, description=_OFFICE)
    family_name: str = strawberry.field(description="The child's family name (họ).")
    middle_name: str = strawberry.field(default="", description="The child's middle name(s) (chữ đệm); may be empty.")
    given_name: str = strawberry.field(description="The child's given name (tên).")
    sex: Sex = strawberry.field(description="The child's sex (encoded in the personal ID).")
    date_of_birth: dt.date = strawberry.field(
        description="Date of birth: not after today. Registered more than 60 days later, the registration is late "
        "(quá hạn): allowed and flagged."
    )
    place_of_birth: str = strawberry.field(description="Place of birth (nơi sinh), e.g. the hospital.")
    native_place: str = strawberry.field(description="Native place (quê quán).")
    ethnicity: str = strawberry.field(default="Kinh", description="The child's ethnicity.")
    nationality: str = strawberry.field(default="Việt Nam", description="The child's nationality.")
    mother: BirthParentInput = strawberry.field(description="The mother.")
    father: BirthParentInput | None = strawberry.field(
        default=None, description="The father; leave out when paternity is undetermined."
    )
    declarant_name: str = strawberry.field(description="Who declares the birth (người đi khai sinh).")
    declarant_relationship: str = strawberry.field(description="The declarant's relationship to the child, e.g. Cha.")
    evidence: str = strawberry.field(description="Giấy chứng sinh number, or the witness statement.")
    signer_name: str = strawberry.field(description="Who signs for the People's Committee.")
    signer_title: str = strawberry.field(description="The signer's title, e.g. 'Phó Chủ tịch UBND phường'.")
    civil_status_officer: str | None = strawberry.field(
        default=None, description="The civil-status officer (công chức tư pháp - hộ tịch); default the caller."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.type(description="Result of birthRegister.")
class BirthRegisterPayload:
    registration: CivilRegistration | None = strawberry.field(description="The entry written (null on failure).")
    citizen: CitizenRef | None = strawberry.field(
        description="The child as created in the population register, with the new personal ID."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the registration was refused, if it was.")


@strawberry.input(description="One party to a marriage.")
class SpouseInput:
    personal_id: str | None = strawberry.field(
        default=None,
        description="Personal ID: the person must be in the population register, alive and not married per the "
        "registry; name and date of birth are then taken from the register.",
    )
    family_name: str | None = strawberry.field(default=None, description="Family name; required without personalId.")
    middle_name: str | None = strawberry.field(default=None, description="Middle name(s); may be empty.")
    given_name: str | None = strawberry.field(default=None, description="Given name; required without personalId.")
    date_of_birth: dt.date | None = strawberry.field(
        default=None, description="Date of birth; required without personalId, else it must match the register."
    )
    ethnicity: str = strawberry.field(default="Kinh", description="Ethnicity (dân tộc).")
    nationality: str = strawberry.field(default="Việt Nam", description="Nationality (quốc tịch).")
    residence: str | None = strawberry.field(
        default=None, description="Place of residence; default the permanent address in the population register."
    )
    id_number: str | None = strawberry.field(
        default=None, description="Identity document number as written; default the personal ID."
    )


@strawberry.input(
    description="Register a marriage (đăng ký kết hôn, Art. 17-18): the husband from full 20 years, the wife "
    "from full 18 (Law on Marriage and Family 2014 Art. 8), neither married already."
)
class MarriageRegisterInput:
    registry_office_code: str | None = strawberry.field(default=None, description=_OFFICE)
    husband: SpouseInput = strawberry.field(description="The husband (bên chồng).")
    wife: SpouseInput = strawberry.field(description="The wife (bên vợ).")
    signer_name: str = strawberry.field(description="Who signs for the People's Committee.")
    signer_title: str = strawberry.field(description="The signer's title.")
    civil_status_officer: str | None = strawberry.field(
        default=None, description="The civil-status officer; default the caller."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.type(description="Result of marriageRegister.")
class MarriageRegisterPayload:
    registration: CivilRegistration | None = strawberry.field(description="The entry written (null on failure).")
    user_errors: list[UserError] = strawberry.field(description="Why the registration was refused, if it was.")


@strawberry.input(
    description="Register a death (đăng ký khai tử). With a personal ID, the person's date of death is recorded in "
    "the population register (the ID is closed)."
)
class DeathRegisterInput:
    registry_office_code: str | None = strawberry.field(default=None, description=_OFFICE)
    personal_id: str | None = strawberry.field(
        default=None,
        description="The deceased's personal ID, if they had one: they must be in the population register; name, "
        "sex and year of birth are then taken from it.",
    )
    family_name: str | None = strawberry.field(default=None, description="Family name; required without personalId.")
    middle_name: str | None = strawberry.field(default=None, description="Middle name(s); may be empty.")
    given_name: str | None = strawberry.field(default=None, description="Given name; required without personalId.")
    sex: Sex | None = strawberry.field(default=None, description="Sex; required without personalId.")
    birth_year: int | None = strawberry.field(default=None, description="Year of birth; required without personalId.")
    nationality: str = strawberry.field(default="Việt Nam", description="Nationality.")
    died_at: dt.datetime = strawberry.field(
        description="Hour and date of death (without an offset: Hanoi time). Not in the future, not before the "
        "birth; registered more than 15 days later, the registration is late (quá hạn): allowed and flagged."
    )
    place_of_death: str = strawberry.field(description="Place of death (nơi chết).")
    cause_of_death: str = strawberry.field(description="Cause of death.")
    declarant_name: str = strawberry.field(description="Who declares the death (người đi khai tử).")
    declarant_relationship: str = strawberry.field(description="The declarant's relationship to the deceased.")
    evidence: str = strawberry.field(description="Supporting document (giấy báo tử).")
    signer_name: str = strawberry.field(description="Who signs for the People's Committee.")
    signer_title: str = strawberry.field(description="The signer's title.")
    civil_status_officer: str | None = strawberry.field(
        default=None, description="The civil-status officer; default the caller."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.type(description="Result of deathRegister.")
class DeathRegisterPayload:
    registration: CivilRegistration | None = strawberry.field(description="The entry written (null on failure).")
    user_errors: list[UserError] = strawberry.field(description="Why the registration was refused, if it was.")


_ROLES = " Allowed: registry officers (token domains include `registry`) in their own unit; admins."


@strawberry.type(description="Civil registry (hộ tịch) registrations.")
class RegistryMutation:
    @strawberry.mutation(
        description="Register a birth: the next entry of the office's birth book of the year, and the child "
        "created in the population register with a new personal ID and links to the parents given by "
        "personal ID. Late (more than 60 days after the birth) is allowed and flagged." + _ROLES
    )
    async def birth_register(
        self, info: Info, input: Annotated[BirthRegisterInput, _arg("The birth.")]
    ) -> BirthRegisterPayload:
        return await resolve.register_birth(info, input)

    @strawberry.mutation(
        description="Register a marriage: the next entry of the office's marriage book of the year; both parties "
        "of age and not already married." + _ROLES
    )
    async def marriage_register(
        self, info: Info, input: Annotated[MarriageRegisterInput, _arg("The marriage.")]
    ) -> MarriageRegisterPayload:
        return await resolve.register_marriage(info, input)

    @strawberry.mutation(
        description="Register a death: the next entry of the office's death book of the year; the date of death "
        "is recorded in the population register. Late (more than 15 days after the death) is allowed and "
        "flagged." + _ROLES
    )
    async def death_register(
        self, info: Info, input: Annotated[DeathRegisterInput, _arg("The death.")]
    ) -> DeathRegisterPayload:
        return await resolve.register_death(info, input)


@strawberry.type(description="Live civil-registry updates.")
class RegistrySubscription:
    @strawberry.subscription(
        description="Each new registration, as the entry reloaded after commit. A registry officer receives "
        "those of their own unit, an admin all; others may not subscribe."
    )
    async def civil_registration_added(
        self,
        info: Info,
        type: Annotated[RegisterType | None, _arg("Only registrations of this type; all when null.")] = None,
    ) -> AsyncGenerator[CivilRegistration, None]:
        async for registration in resolve.registrations_added(info, type):
            yield registration
