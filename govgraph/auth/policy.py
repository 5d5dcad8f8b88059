"""THE policy table: who may read each personal field, and what everyone else gets.

One entry per sensitive ``Type.field`` (GraphQL names). Default deny: every field of a type listed in
``SUBJECTS`` (a type that holds personal data) must be either in ``POLICY`` or in ``NOT_PERSONAL``; a test fails
otherwise, and also when an entry names a field that no longer exists. The allowed readers are written into each
guarded field's description, so the committed SDL shows every access change in review.

Readers (govgraph/auth/rules.py): SELF (the person), GUARDIAN (their parent), Officer(store) (an officer of that
store in the record's unit), TEACHER (of the student's school), ASSIGNED_INSPECTOR, DESIGNATED (staff a
denunciation's resolver designated), OPERATOR (operations centre), ADMIN. Reads by staff are audited and need a
stated purpose (X-Purpose header or `purpose` claim); the person's own and their parent's are not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govgraph.auth import masking
from govgraph.auth.rules import ADMIN, GUARDIAN, SELF, Officer, Reader, Subject
from govgraph.config import STORES


@dataclass(frozen=True)
class FieldPolicy:
    readers: tuple[Reader, ...]
    otherwise: masking.Mask = masking.null
    """What every other caller gets."""
    audit: bool = True
    """Record staff reads in the audit store (and require a purpose)."""

    def describe(self) -> str:
        who = ", ".join(r.label for r in self.readers)
        return f"Access: {who}. Others get {masking.DESCRIBE[self.otherwise]}."


# How to find whose data an object is. Keys are GraphQL type names.
SUBJECTS: dict[str, Callable[[Any], Subject]] = {
    "Citizen": lambda c: Subject(record=f"Citizen:{c.key}", owner=c.pid, unit=c.unit_code),
    "Address": lambda a: Subject(record=f"Citizen:{a.owner_key}", owner=a.owner_pid, unit=a.owner_unit),
    "IdentityDocument": lambda d: Subject(record=f"Citizen:{d.owner_key}", owner=d.owner_pid, unit=d.owner_unit),
}

_POPULATION = (SELF, GUARDIAN, Officer("population"), ADMIN)
# Who the person is (name, ID, phone): also officers of any store in the person's unit, who handle their
# dossiers, registrations, school records, cases and parking there (rows they reach through their own store).
_IDENTIFY = (SELF, GUARDIAN, *(Officer(store) for store in STORES), ADMIN)

POLICY: dict[str, FieldPolicy] = {
    # Citizen: the register's personal data.
    "Citizen.personalId": FieldPolicy(_IDENTIFY, masking.personal_id),
    "Citizen.familyName": FieldPolicy(_IDENTIFY, masking.null),
    "Citizen.middleName": FieldPolicy(_IDENTIFY, masking.initial),
    "Citizen.givenName": FieldPolicy(_IDENTIFY, masking.initial),
    "Citizen.fullName": FieldPolicy(_IDENTIFY, masking.name),
    "Citizen.dateOfBirth": FieldPolicy(_POPULATION),
    "Citizen.phone": FieldPolicy(_IDENTIFY, masking.phone),
    "Citizen.permanentAddress": FieldPolicy(_POPULATION),
    "Citizen.temporaryAddress": FieldPolicy(_POPULATION),
    "Citizen.identityDocuments": FieldPolicy(_POPULATION),
    "Citizen.parents": FieldPolicy(_POPULATION),
    "Citizen.children": FieldPolicy(_POPULATION),
    "Citizen.dateOfDeath": FieldPolicy(_POPULATION),
    "Address.text": FieldPolicy(_POPULATION),
    "IdentityDocument.number": FieldPolicy(_POPULATION, masking.document_number),
    "IdentityDocument.issuedOn": FieldPolicy(_POPULATION),
    "IdentityDocument.expiresOn": FieldPolicy(_POPULATION),
    # The person's own data tracker: the person and admins; reading it is not itself audited.
    "Citizen.accessLog": FieldPolicy((SELF, ADMIN), audit=False),
    # Links into other stores: the person, their parent, that store's officers of the person's unit, admins.
    "Citizen.dossiers": FieldPolicy((SELF, Officer("services"), ADMIN)),
    "Citizen.schoolRecords": FieldPolicy((SELF, GUARDIAN, Officer("education"), ADMIN)),
    "Citizen.complaints": FieldPolicy((SELF, Officer("complaints"), ADMIN)),
    "Citizen.civilRegistrations": FieldPolicy((SELF, GUARDIAN, Officer("registry"), ADMIN)),
    "Citizen.parkingSessions": FieldPolicy((SELF, Officer("parking"), ADMIN)),
}

# Fields of personal types that are not personal data by themselves (statistics-grade attributes, links whose
# targets are guarded by their own entries and by row scoping).
NOT_PERSONAL: set[str] = {
    "Citizen.id",
    "Citizen.sex",
    "Citizen.ethnicity",
    "Citizen.nationality",
    "Address.unit",
    "IdentityDocument.type",
    "IdentityDocument.issuer",
}

# --- services ---
# Dossiers, appointments and paid look-ups are about a person (who used which service, what they owe, what they
# looked up). Rows are scoped in SQL (govgraph/auth/scope.py: dossiers, appointments, paid_lookups); within a row
# the person's identity, what was written about their case and their payments are guarded here. The unit of
# these records is the jurisdiction of the receiving agency: the ward a People's Committee serves, else the
# agency's own code (a city department's officers carry it as their `unit`), as the services mutations decide.
SERVICES_SUBJECTS: dict[str, Callable[[Any], Subject]] = {
    "Dossier": lambda d: Subject(record=f"Dossier:{d.code}", owner=d.applicant_pid, unit=d.jurisdiction),
    "DossierPause": lambda p: Subject(record=f"Dossier:{p.dossier_code}", owner=p.applicant_pid, unit=p.jurisdiction),
    "Appointment": lambda a: Subject(record=f"Appointment:{a.booking_code}", owner=a.citizen_pid, unit=a.jurisdiction),
    "PaidLookup": lambda k: Subject(record=f"PaidLookup:{k.code}", owner=k.requester_pid, unit=k.jurisdiction),
}
SUBJECTS.update(SERVICES_SUBJECTS)

_SERVICES = (SELF, Officer("services"), ADMIN)

POLICY.update(
    {
        # Who filed it, why it was refused or stopped, what they owe and paid.
        "Dossier.applicant": FieldPolicy(_SERVICES),
        "Dossier.statusReason": FieldPolicy(_SERVICES),
        "Dossier.feeAmount": FieldPolicy(_SERVICES),
        "Dossier.amountDue": FieldPolicy(_SERVICES),
        "Dossier.paidAt": FieldPolicy(_SERVICES),
        "Dossier.fee": FieldPolicy(_SERVICES),
        # What the applicant was asked to hand in.
        "DossierPause.note": FieldPolicy(_SERVICES),
        # Who booked.
        "Appointment.citizen": FieldPolicy(_SERVICES),
        # Who asked, about whom or what (a personal ID, a phone number, a parcel), why, and what was found.
        "PaidLookup.requester": FieldPolicy(_SERVICES),
        "PaidLookup.subject": FieldPolicy(_SERVICES),
        "PaidLookup.purpose": FieldPolicy(_SERVICES),
        "PaidLookup.result": FieldPolicy(_SERVICES),
        "PaidLookup.paidAt": FieldPolicy(_SERVICES),
    }
)

# The workflow of a dossier (procedure, agency, channel, statuses and their times, overdue) is what the operations
# centre monitors city-wide: without the applicant it says nothing about a person.
NOT_PERSONAL |= {
    "Dossier.id",
    "Dossier.code",
    "Dossier.applicantType",
    "Dossier.channel",
    "Dossier.status",
    "Dossier.nationalStatusCode",
    "Dossier.statusName",
    "Dossier.receivedAt",
    "Dossier.acceptedAt",
    "Dossier.dueAt",
    "Dossier.completedAt",
    "Dossier.returnedAt",
    "Dossier.statusChangedAt",
    "Dossier.apology",
    "Dossier.overdue",
    "Dossier.late",
    "Dossier.procedure",
    "Dossier.agency",
    "Dossier.pauses",
    "DossierPause.reason",
    "DossierPause.requestedAt",
    "DossierPause.resumedAt",
    "Appointment.id",
    "Appointment.bookingCode",
    "Appointment.status",
    "Appointment.bookedAt",
    "Appointment.slot",
    "Appointment.procedure",
    "PaidLookup.id",
    "PaidLookup.code",
    "PaidLookup.kind",
    "PaidLookup.consent",
    "PaidLookup.requestedAt",
    "PaidLookup.amount",
    "PaidLookup.paymentStatus",
    "PaidLookup.resultReleased",
    "PaidLookup.fee",
    "PaidLookup.procedure",
}

# --- parking ---
# A session is movement data: a plate (a vehicle, hence a person), a place and a time. Rows are scoped
# (govgraph.auth.scope.parking_sessions: the payer, parking officers of the facility's unit, operators, admins); within
# them, the identifying fields are the plate and the payer. Operators see the plate masked and no payer; once those
# are masked, the rest of a session (times, place, fee, channel) is statistics-grade.
from govgraph.domain.parking import mask_plate  # noqa: E402

masking.DESCRIBE.setdefault(mask_plate, "the plate with its serial masked but for the last two digits, e.g. 29A-***.45")

PARKING_SUBJECTS: dict[str, Callable[[Any], Subject]] = {
    "ParkingSession": lambda s: Subject(record=f"ParkingSession:{s.key}", owner=s.payer_pid, unit=s.unit_code),
}
SUBJECTS.update(PARKING_SUBJECTS)

_PARKING = (SELF, Officer("parking"), ADMIN)

POLICY.update(
    {
        "ParkingSession.plate": FieldPolicy(_PARKING, mask_plate),
        "ParkingSession.payer": FieldPolicy(_PARKING),
    }
)

NOT_PERSONAL |= {
    "ParkingSession.id",
    "ParkingSession.vehicleClass",
    "ParkingSession.spotNumber",
    "ParkingSession.startedAt",
    "ParkingSession.endedAt",
    "ParkingSession.channel",
    "ParkingSession.amountVnd",
    "ParkingSession.open",
    "ParkingSession.durationMinutes",
    "ParkingSession.facility",
}

# --- registry ---
# A civil registration (birth, marriage, death entry) names several people: the child and the parents, the
# spouses, the deceased and the declarant. Rows are scoped in SQL (govgraph/auth/scope.py: registry_scope): a
# citizen sees the entries naming them or one of their children, a registry officer those kept in their unit
# (a current unit keeps the books of the legacy wards it was formed from), operators all (masked), admins all.
# Within a row, what identifies or describes a person is guarded here; an entry's own bookkeeping (type, number,
# dates, place, book, verification) is statistics-grade. Register books are not personal and have no subject.


@dataclass(frozen=True)
class RegistrySubject(Subject):
    """A Subject that also knows where the entry is kept (structure of ``unit``) and everyone it names."""

    structure: str | None = None
    parties: tuple[str, ...] = ()
    """Personal IDs of every person the entry names, in any role."""


class _RegistryParty(Reader):
    """A person the entry names (any role), or their parent: the same rows a citizen's row scope returns."""

    label = "the people the registration names and their parents"
    staff = False

    async def allows(self, ctx: Any, subject: Subject) -> bool:
        from govgraph.auth.identity import Role
        from govgraph.datasources.base import StoreUnavailable

        p = ctx.principal
        if not p.authenticated or p.role != Role.CITIZEN or not isinstance(subject, RegistrySubject):
            return False
        if p.subject in subject.parties:
            return True
        try:
            children = await ctx.loaders.population.children_by_pid.load(p.subject)
        except StoreUnavailable:
            return False
        return any(c.pid in subject.parties for c in children)


class _RegistryOfficer(Reader):
    """``Officer("registry")`` for entries kept by a current unit, including its legacy predecessors' books."""

    label = "registry officers of the unit that keeps the registration (for a legacy ward: its successors)"

    async def allows(self, ctx: Any, subject: Subject) -> bool:
        from govgraph.auth.identity import Role
        from govgraph.datasources.places import CURRENT
        from govgraph.datasources.registry import places_of

        p = ctx.principal
        if p.role != Role.OFFICER or "registry" not in p.domains or not p.unit or subject.unit is None:
            return False
        structure = subject.structure if isinstance(subject, RegistrySubject) else None
        return (subject.unit, structure or CURRENT.value) in places_of(p.unit, CURRENT.value)


REGISTRY_PARTY = _RegistryParty()
REGISTRY_OFFICER = _RegistryOfficer()


def _registry_subject(owner: Callable[[Any], str | None]) -> Callable[[Any], Subject]:
    """Subject of an object built from one entry (it carries ``entry``: schema/registry.py ``Entry``)."""

    def describe(obj: Any) -> Subject:
        e = obj.entry
        return RegistrySubject(record=e.record, owner=owner(obj), unit=e.place[0], structure=e.place[1], parties=e.pids)

    return describe


REGISTRY_SUBJECTS: dict[str, Callable[[Any], Subject]] = {
    # Whose data each object is (the audit trail's subject): the entry's principal person, or the named one.
    "CivilRegistration": _registry_subject(lambda r: r.entry.principal),
    "BirthRegistration": _registry_subject(lambda b: b.entry.pid("CHILD")),
    "RecordedParent": _registry_subject(lambda p: p.entry.pid(p.role)),
    "MarriageRegistration": _registry_subject(lambda m: m.entry.pid("HUSBAND", "WIFE")),
    "RecordedSpouse": _registry_subject(lambda s: s.entry.pid(s.role)),
    "DeathRegistration": _registry_subject(lambda d: d.entry.pid("DECEASED")),
    "RegistrationPerson": _registry_subject(lambda p: p.personal_id),
    "MarginalNote": _registry_subject(lambda n: n.entry.principal),
}
SUBJECTS.update(REGISTRY_SUBJECTS)

_REGISTRY = (REGISTRY_PARTY, REGISTRY_OFFICER, ADMIN)

POLICY.update(
    {
        # The page image shows every name on it; marginal notes record name changes and corrections.
        "CivilRegistration.scanUri": FieldPolicy(_REGISTRY),
        "MarginalNote.content": FieldPolicy(_REGISTRY),
        # Who keyed a paper entry in: a staff member's identity, for registry staff and admins (not the person's).
        "CivilRegistration.digitisedBy": FieldPolicy((REGISTRY_OFFICER, ADMIN), audit=False),
        # The child of a birth entry.
        "BirthRegistration.familyName": FieldPolicy(_REGISTRY),
        "BirthRegistration.middleName": FieldPolicy(_REGISTRY, masking.initial),
        "BirthRegistration.givenName": FieldPolicy(_REGISTRY, masking.initial),
        "BirthRegistration.fullName": FieldPolicy(_REGISTRY, masking.name),
        "BirthRegistration.dateOfBirth": FieldPolicy(_REGISTRY),
        "BirthRegistration.placeOfBirth": FieldPolicy(_REGISTRY),
        "BirthRegistration.nativePlace": FieldPolicy(_REGISTRY),
        "BirthRegistration.personalId": FieldPolicy(_REGISTRY, masking.personal_id),
        "BirthRegistration.declarantName": FieldPolicy(_REGISTRY, masking.name),
        "BirthRegistration.declarantRelationship": FieldPolicy(_REGISTRY),
        "BirthRegistration.evidence": FieldPolicy(_REGISTRY),
        # The parents as written.
        "RecordedParent.fullName": FieldPolicy(_REGISTRY, masking.name),
        "RecordedParent.birthYear": FieldPolicy(_REGISTRY),
        "RecordedParent.residence": FieldPolicy(_REGISTRY),
        # The spouses.
        "RecordedSpouse.familyName": FieldPolicy(_REGISTRY),
        "RecordedSpouse.middleName": FieldPolicy(_REGISTRY, masking.initial),
        "RecordedSpouse.givenName": FieldPolicy(_REGISTRY, masking.initial),
        "RecordedSpouse.fullName": FieldPolicy(_REGISTRY, masking.name),
        "RecordedSpouse.dateOfBirth": FieldPolicy(_REGISTRY),
        "RecordedSpouse.residence": FieldPolicy(_REGISTRY),
        "RecordedSpouse.idNumber": FieldPolicy(_REGISTRY, masking.document_number),
        # The deceased, and how and where they died.
        "DeathRegistration.familyName": FieldPolicy(_REGISTRY),
        "DeathRegistration.middleName": FieldPolicy(_REGISTRY, masking.initial),
        "DeathRegistration.givenName": FieldPolicy(_REGISTRY, masking.initial),
        "DeathRegistration.fullName": FieldPolicy(_REGISTRY, masking.name),
        "DeathRegistration.birthYear": FieldPolicy(_REGISTRY),
        "DeathRegistration.personalId": FieldPolicy(_REGISTRY, masking.personal_id),
        "DeathRegistration.diedAt": FieldPolicy(_REGISTRY),
        "DeathRegistration.placeOfDeath": FieldPolicy(_REGISTRY),
        "DeathRegistration.causeOfDeath": FieldPolicy(_REGISTRY),
        "DeathRegistration.declarantName": FieldPolicy(_REGISTRY, masking.name),
        "DeathRegistration.declarantRelationship": FieldPolicy(_REGISTRY),
        "DeathRegistration.evidence": FieldPolicy(_REGISTRY),
        # Everyone named, and the link to them in the population register (whose own fields it guards).
        "RegistrationPerson.fullName": FieldPolicy(_REGISTRY, masking.name),
        "RegistrationPerson.personalId": FieldPolicy(_REGISTRY, masking.personal_id),
        "RegistrationPerson.citizen": FieldPolicy(_REGISTRY),
    }
)

# An entry's bookkeeping, sex/ethnicity/nationality (as on Citizen), the signer (printed on every certificate) and
# links whose targets are guarded by their own entries.
NOT_PERSONAL |= {
    "CivilRegistration.id",
    "CivilRegistration.type",
    "CivilRegistration.entryNumber",
    "CivilRegistration.registrationDate",
    "CivilRegistration.pageNumber",
    "CivilRegistration.lateRegistration",
    "CivilRegistration.signerName",
    "CivilRegistration.signerTitle",
    "CivilRegistration.civilStatusOfficer",
    "CivilRegistration.digitisedAt",
    "CivilRegistration.verificationStatus",
    "CivilRegistration.birth",
    "CivilRegistration.marriage",
    "CivilRegistration.death",
    "CivilRegistration.book",
    "CivilRegistration.registrationPlace",
    "CivilRegistration.people",
    "CivilRegistration.marginalNotes",
    "BirthRegistration.sex",
    "BirthRegistration.ethnicity",
    "BirthRegistration.nationality",
    "BirthRegistration.father",
    "BirthRegistration.mother",
    "RecordedParent.ethnicity",
    "RecordedParent.nationality",
    "MarriageRegistration.husband",
    "MarriageRegistration.wife",
    "RecordedSpouse.ethnicity",
    "RecordedSpouse.nationality",
    "DeathRegistration.sex",
    "DeathRegistration.nationality",
    "RegistrationPerson.role",
    "MarginalNote.notedOn",
    "MarginalNote.kind",
}


# --- complaints ---
# Cases (khiếu nại / tố cáo), their history, complainants and THE DENOUNCER'S IDENTITY (DOMAIN.md §6.3).
# A case's Subject: record 'Case:<code>' (the code is not a personal ID); owner = the lead complainant of a
# complaint for staff readers (their reads show in that person's accessLog), the citizen themselves for a
# citizen (row scoping returns a citizen only the cases they petitioned), and None for staff reading a
# denunciation, so no audit entry links a denouncer's personal ID to a case; unit = the current units
# responsible for the case, comma-separated (a legacy ward split in 2025 has several successors);
# assignee = the assigned inspector, who is also the case's resolver (the person competent to resolve acts
# through them: the read side has no other resolver id); designated = the viewer, when the resolver
# designated them with caseDesignateReader (denouncer_readers table).

from govgraph.auth.rules import ASSIGNED_INSPECTOR, DESIGNATED  # noqa: E402


@dataclass(frozen=True)
class _ComplaintsOfficer(Reader):
    """A complaints officer of one of the case's responsible units (Subject.unit lists them, comma-separated)."""

    @property
    def label(self) -> str:  # type: ignore[override]
        return "complaints officers of the case's unit (or of the successor unit of its legacy ward)"

    async def allows(self, ctx: Any, subject: Subject) -> bool:
        from govgraph.auth.identity import Role

        p = ctx.principal
        return (
            p.role == Role.OFFICER
            and "complaints" in p.domains
            and bool(p.unit)
            and subject.unit is not None
            and p.unit in subject.unit.split(",")
        )


COMPLAINTS_OFFICER = _ComplaintsOfficer()


def _case_subject(c: Any) -> Subject:
    """Case, CaseEvent, DenouncerIdentity: the case's own Subject (``c.ref``, a schema.complaints.CaseRef)."""
    r = c.ref
    return Subject(
        record=f"Case:{r.code}", owner=r.owner_pid, unit=",".join(r.units), assignee=r.resolver_id,
        designated=r.designated,
    )  # fmt: skip


def _complainant_subject(k: Any) -> Subject:
    """A signatory of a complaint: the case's Subject, owned by that signatory."""
    r = k.ref
    return Subject(
        record=f"Case:{r.code}", owner=k.personal_id, unit=",".join(r.units), assignee=r.resolver_id,
        designated=r.designated,
    )  # fmt: skip


COMPLAINTS_SUBJECTS: dict[str, Callable[[Any], Subject]] = {
    "Case": _case_subject,
    "CaseEvent": _case_subject,
    "DenouncerIdentity": _case_subject,
    "Complainant": _complainant_subject,
}
SUBJECTS.update(COMPLAINTS_SUBJECTS)

_CASE = (SELF, COMPLAINTS_OFFICER, ASSIGNED_INSPECTOR, DESIGNATED, ADMIN)
"""The case file: its petitioner, the officers of its unit, the inspector verifying it, staff the resolver
designated, admins. Operators (city-wide) get null or masks."""
_DENOUNCER = (SELF, ASSIGNED_INSPECTOR, DESIGNATED)
"""Law on Denunciations Art. 56: only the person competent to resolve (the assigned inspector as resolver)
and the staff they designate unseal it, and the denouncer themselves. NEVER admins or operators."""

POLICY.update(
    {
        "Case.subject": FieldPolicy(_CASE),
        "Case.contestedAct": FieldPolicy(_CASE),
        "Case.contestedOn": FieldPolicy(_CASE),
        "Case.outcome": FieldPolicy(_CASE),
        "Case.complainant": FieldPolicy(_CASE),
        "Case.denouncer": FieldPolicy(_DENOUNCER),
        "CaseEvent.actor": FieldPolicy(_CASE),
        "CaseEvent.note": FieldPolicy(_CASE),
        "Complainant.fullName": FieldPolicy(_CASE, masking.name),
        "Complainant.address": FieldPolicy(_CASE),
        "Complainant.phone": FieldPolicy(_CASE, masking.phone),
        "Complainant.citizen": FieldPolicy(_CASE),
        "DenouncerIdentity.fullName": FieldPolicy(_DENOUNCER),
        "DenouncerIdentity.personalId": FieldPolicy(_DENOUNCER),
        "DenouncerIdentity.address": FieldPolicy(_DENOUNCER),
        "DenouncerIdentity.phone": FieldPolicy(_DENOUNCER),
    }
)

NOT_PERSONAL |= {
    "Case.id",
    "Case.code",
    "Case.kind",
    "Case.instance",
    "Case.status",
    "Case.complexity",
    "Case.remoteArea",
    "Case.receivedAt",
    "Case.acceptedAt",
    "Case.concludedAt",
    "Case.extensions",
    "Case.handlingAgency",
    "Case.handlingUnit",
    "Case.inspector",  # staff acting in an official capacity
    "Case.deadlines",
    "Case.history",  # a list of status changes; who acted and the notes are guarded on CaseEvent
    "Case.complainants",  # the petition's signatories; their details are guarded on Complainant
    "Case.firstInstance",  # row-scoped link
    "CaseEvent.at",
    "CaseEvent.status",
    "Complainant.lead",
}

# --- education ---
# Student records, guardians, the grade book (entries, corrections, computed results and ratings) and enrolment
# applications are about a pupil. Rows are scoped in SQL (govgraph/auth/scope.py: students,
# enrolment_applications): the pupil, their parents (population links) and declared guardians (the education
# store's guardians table, as the enrolment mutations decide), teachers of the record's school (not
# applications), education officers of the school's unit, operators (masked), admins. Within a row, what
# identifies the pupil or their family and every grade is guarded here; Subject.unit is the school's unit (for an
# application: the school applied to). Schools, classes, subjects and the curriculum are not personal. Links to
# Citizen (Student.citizen, Guardian.citizen, EnrolmentApplication.child) lead to objects the population policy
# guards field by field.

from govgraph.auth.rules import TEACHER  # noqa: E402


@dataclass(frozen=True)
class EducationSubject(Subject):
    """A Subject that also names the pupil the record is about (for a guardian's entry, ``owner`` is the
    guardian and ``student`` the pupil)."""

    student: str | None = None


class _StudentFamily(Reader):
    """The pupil, a parent of theirs in the population register, or a parent or guardian declared to the school:
    the same people a citizen's row scope lets through."""

    label = "the pupil, their parents and declared guardians"
    staff = False

    async def allows(self, ctx: Any, subject: Subject) -> bool:
        from govgraph.auth.identity import Role
        from govgraph.datasources.base import StoreUnavailable

        p = ctx.principal
        student = subject.student if isinstance(subject, EducationSubject) else None
        if not p.authenticated or p.role != Role.CITIZEN or not p.subject or student is None:
            return False
        if p.subject == student:
            return True
        wards = await ctx.loaders.education.wards_by_guardian.load(p.subject)
        if any(w.student_pid == student for w in wards):
            return True
        try:
            children = await ctx.loaders.population.children_by_pid.load(p.subject)
        except StoreUnavailable:
            return False
        return any(c.pid == student for c in children)


STUDENT_FAMILY = _StudentFamily()


def _pupil(ref: Any, owner: str | None = None) -> EducationSubject:
    """Subject of anything reached from a student record (``ref``: schema.education.StudentRef)."""
    if ref is None:
        return EducationSubject(record="Student:?")
    return EducationSubject(
        record=f"Student:{ref.key}", owner=owner or ref.pid, unit=ref.unit, school=ref.school, student=ref.pid
    )


EDUCATION_SUBJECTS: dict[str, Callable[[Any], Subject]] = {
    "Student": lambda s: _pupil(s.ref),
    "Guardian": lambda g: _pupil(g.ref, owner=g.personal_id),
    "GradeEntry": lambda e: _pupil(e.ref),
    "GradeCorrection": lambda c: _pupil(c.ref),
    "SubjectResult": lambda r: _pupil(r.ref),
    "GradeEntryPayload": lambda p: _pupil(p.ref),
    "GradeBookChange": lambda c: _pupil(c.student.ref),
    "EnrolmentApplication": lambda a: EducationSubject(
        record=f"EnrolmentApplication:{a.key}",
        owner=a.child_personal_id,
        unit=a.school_unit,
        student=a.child_personal_id,
    ),
}
SUBJECTS.update(EDUCATION_SUBJECTS)

_EDUCATION = (STUDENT_FAMILY, TEACHER, Officer("education"), ADMIN)
"""A school record and its grade book."""
_ENROLMENT = (STUDENT_FAMILY, Officer("education"), ADMIN)
"""An enrolment application: the family, the officers deciding it, admins (not teachers)."""

POLICY.update(
    {
        # Who the pupil is.
        "Student.personalId": FieldPolicy(_EDUCATION, masking.personal_id),
        "Student.fullName": FieldPolicy(_EDUCATION, masking.name),
        "Student.dateOfBirth": FieldPolicy(_EDUCATION),
        # How the pupil is doing: the learning result, the grade book and the results computed from it. The grade
        # book is guarded where it is reached (a record's `grades` and `subjectResults`, the mutation payload, the
        # gradeEntered change), once per list: a page of 100 records holds ~12,000 entries, and a check on every
        # entry's score made the query four times slower (each guarded scalar is an awaitable, so an asyncio task).
        "Student.rating": FieldPolicy(_EDUCATION),
        "Student.grades": FieldPolicy(_EDUCATION),
        "Student.subjectResults": FieldPolicy(_EDUCATION),
        "GradeEntryPayload.entry": FieldPolicy(_EDUCATION),
        "GradeEntryPayload.subjectResult": FieldPolicy(_EDUCATION),
        "GradeBookChange.entry": FieldPolicy(_EDUCATION),
        "GradeBookChange.subjectResult": FieldPolicy(_EDUCATION),
        # Corrections are few: each is guarded again, field by field (the reason may say why about the pupil).
        "GradeCorrection.previousScore": FieldPolicy(_EDUCATION),
        "GradeCorrection.previousRating": FieldPolicy(_EDUCATION),
        "GradeCorrection.score": FieldPolicy(_EDUCATION),
        "GradeCorrection.rating": FieldPolicy(_EDUCATION),
        "GradeCorrection.reason": FieldPolicy(_EDUCATION),
        "GradeEntryPayload.semesterRating": FieldPolicy(_EDUCATION),
        "GradeEntryPayload.yearRating": FieldPolicy(_EDUCATION),
        # The pupil's parents and guardians as declared to the school (their reads show in the guardian's log).
        "Guardian.personalId": FieldPolicy(_EDUCATION, masking.personal_id),
        "Guardian.fullName": FieldPolicy(_EDUCATION, masking.name),
        "Guardian.phone": FieldPolicy(_EDUCATION, masking.phone),
        # The child an application is for.
        "EnrolmentApplication.childPersonalId": FieldPolicy(_ENROLMENT, masking.personal_id),
        "EnrolmentApplication.childName": FieldPolicy(_ENROLMENT, masking.name),
        "EnrolmentApplication.childDateOfBirth": FieldPolicy(_ENROLMENT),
    }
)

# Once the pupil's identity is masked, where and in which class they study, which assessments exist and when and
# by whom (teachers acting in an official capacity) they were entered are statistics-grade; links lead to types
# guarded by their own entries (Citizen by the population policy) and to row-scoped lists.
NOT_PERSONAL |= {
    "Student.id",
    "Student.sex",
    "Student.schoolYear",
    "Student.grade",
    "Student.ageGroup",
    "Student.school",
    "Student.class",
    "Student.citizen",
    "Student.guardians",
    "Guardian.relation",
    "Guardian.citizen",
    # Entries and computed results are reachable only through the guarded links above (every path: Student.grades,
    # Student.subjectResults, GradeEntryPayload.entry/subjectResult, GradeBookChange.entry/subjectResult), which
    # give null to whoever may not read the pupil's grades; tests/test_authorization_education.py walks each path.
    "GradeEntry.score",
    "GradeEntry.rating",
    "SubjectResult.semester1Average",
    "SubjectResult.semester2Average",
    "SubjectResult.yearAverage",
    "SubjectResult.semester1Result",
    "SubjectResult.semester2Result",
    "SubjectResult.yearResult",
    "GradeEntry.subject",
    "GradeEntry.semester",
    "GradeEntry.kind",
    "GradeEntry.seq",
    "GradeEntry.enteredBy",
    "GradeEntry.enteredAt",
    "GradeEntry.corrections",
    "GradeCorrection.correctedBy",
    "GradeCorrection.correctedAt",
    "SubjectResult.subject",
    "SubjectResult.regularAssessmentsRequired",
    "GradeEntryPayload.student",
    "GradeEntryPayload.userErrors",
    "GradeBookChange.change",
    "GradeBookChange.student",
    "EnrolmentApplication.id",
    "EnrolmentApplication.applicationNo",
    "EnrolmentApplication.schoolYear",
    "EnrolmentApplication.level",
    "EnrolmentApplication.status",
    "EnrolmentApplication.submittedAt",
    "EnrolmentApplication.decidedAt",
    "EnrolmentApplication.school",
    "EnrolmentApplication.assignedSchool",
    "EnrolmentApplication.routeUnit",
    "EnrolmentApplication.child",
}
