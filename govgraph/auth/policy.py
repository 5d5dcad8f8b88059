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

POLICY: dict[str, FieldPolicy] = {
    # Citizen: the register's personal data.
    "Citizen.personalId": FieldPolicy(_POPULATION, masking.personal_id),
    "Citizen.familyName": FieldPolicy(_POPULATION, masking.null),
    "Citizen.middleName": FieldPolicy(_POPULATION, masking.initial),
    "Citizen.givenName": FieldPolicy(_POPULATION, masking.initial),
    "Citizen.fullName": FieldPolicy(_POPULATION, masking.name),
    "Citizen.dateOfBirth": FieldPolicy(_POPULATION),
    "Citizen.phone": FieldPolicy(_POPULATION, masking.phone),
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
    "Citizen.dossiers": FieldPolicy((SELF, GUARDIAN, Officer("services"), ADMIN)),
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
