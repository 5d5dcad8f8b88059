"""Row scoping: which rows a caller may list or fetch by id, as SQL conditions (never a filter after loading).

Counts and aggregates use the same conditions, so a total never reveals rows the list would not show.
Objects reached through a link from a record the caller may see (a dossier's applicant) are not row-scoped:
their personal fields are guarded field by field by the policy table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select, true

from govgraph.auth.identity import Principal, Role
from govgraph.datasources.places import CURRENT


def citizens(principal: Principal) -> Any:
    """Population register rows: admins and operators all (operators see masks), a population officer their
    unit's residents, a citizen themselves and their children, everyone else none."""
    from govgraph.datasources.population import citizens as t
    from govgraph.datasources.population import parent_links as links

    if not principal.authenticated:
        return false()
    if principal.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if principal.role == Role.OFFICER and "population" in principal.domains and principal.unit:
        return (t.c.permanent_unit_code == principal.unit) & (t.c.permanent_unit_structure == CURRENT.value)
    if principal.role == Role.CITIZEN:
        children = select(links.c.child_pid).where(links.c.parent_pid == principal.subject)
        return or_(t.c.pid == principal.subject, t.c.pid.in_(children))
    return false()


# --- services ---


def _services_officer(principal: Principal) -> bool:
    return principal.role == Role.OFFICER and "services" in principal.domains and bool(principal.unit)


def _agencies_of(principal: Principal) -> Any:
    """Codes of the agencies a services officer answers for: those whose jurisdiction (the ward a People's
    Committee serves, else the agency's own code; ``agency_jurisdiction``) is the officer's `unit` claim. The
    field policy's officer check reads the same jurisdiction (``Subject.unit``)."""
    from govgraph.datasources.services import agencies as a
    from govgraph.datasources.services import agency_jurisdiction

    return select(a.c.code).where(agency_jurisdiction == principal.unit)


def dossiers(principal: Principal) -> Any:
    """Dossiers: admins and operators all (operators see masks), a services officer those received by their
    jurisdiction's agencies, a citizen the dossiers they filed, everyone else none. Counts and statistics use it
    too."""
    from govgraph.datasources.services import dossiers as t

    if not principal.authenticated:
        return false()
    if principal.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if _services_officer(principal):
        return t.c.agency_code.in_(_agencies_of(principal))
    if principal.role == Role.CITIZEN:
        return t.c.applicant_pid == principal.subject
    return false()


def appointments(principal: Principal) -> Any:
    """Appointments: admins and operators all, a services officer those at their jurisdiction's offices, a
    citizen their own bookings, everyone else none."""
    from govgraph.datasources.services import appointment_slots as s
    from govgraph.datasources.services import appointments as t

    if not principal.authenticated:
        return false()
    if principal.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if _services_officer(principal):
        return t.c.slot_key.in_(select(s.c.key).where(s.c.agency_code.in_(_agencies_of(principal))))
    if principal.role == Role.CITIZEN:
        return t.c.citizen_pid == principal.subject
    return false()


def paid_lookups(principal: Principal) -> Any:
    """Paid look-ups: admins and operators all, a services officer those of the procedures their agency
    provides (their `unit` is its agency code, as for recording payments), a citizen the look-ups they
    requested, everyone else none."""
    from govgraph.datasources.services import paid_lookups as t
    from govgraph.datasources.services import procedures as p

    if not principal.authenticated:
        return false()
    if principal.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if _services_officer(principal):
        return t.c.procedure_code.in_(select(p.c.code).where(p.c.agency_code == principal.unit))
    if principal.role == Role.CITIZEN:
        return t.c.requester_pid == principal.subject
    return false()


# --- parking ---


def parking_sessions(principal: Principal) -> Any:
    """Parking sessions (movement data: a plate, a place, a time): admins and operators all (operators see the plate
    masked and no payer), a parking officer those at facilities of their unit (current structure), a citizen the
    sessions they paid, everyone else (devices write sessions, they do not read them) none. Lists, ``node``, a
    spot's current session, ``Citizen.parkingSessions`` and counts all use it."""
    from govgraph.datasources.parking import facilities as f
    from govgraph.datasources.parking import sessions as t

    if not principal.authenticated:
        return false()
    if principal.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if principal.role == Role.OFFICER and "parking" in principal.domains and principal.unit:
        here = select(f.c.code).where(f.c.unit_code == principal.unit, f.c.unit_structure == CURRENT.value)
        return t.c.facility_code.in_(here)
    if principal.role == Role.CITIZEN and principal.subject:
        return t.c.payer_pid == principal.subject
    return false()


# --- registry ---


def registry_scope(principal: Principal, children: tuple[str, ...] = ()) -> Any:
    """Civil registrations (a hashable ``RegistryScope``, so batched loaders can be keyed by it): admins and
    operators all (operators see masks), a registry officer those kept in their unit (a current unit keeps the
    books of the legacy wards it was formed from too), a citizen those naming them or one of their ``children``
    in any role (personal IDs from the population store, another database), everyone else none."""
    from govgraph.datasources.registry import RegistryScope, places_of

    if not principal.authenticated:
        return RegistryScope()
    if principal.role in (Role.ADMIN, Role.OPERATOR):
        return RegistryScope(everything=True)
    if principal.role == Role.OFFICER and "registry" in principal.domains and principal.unit:
        return RegistryScope(places=tuple(places_of(principal.unit, CURRENT.value)))
    if principal.role == Role.CITIZEN and principal.subject:
        return RegistryScope(people=tuple(sorted({principal.subject, *children})))
    return RegistryScope()


def civil_registrations(principal: Principal, children: tuple[str, ...] = ()) -> Any:
    """Civil registrations a caller may see, as a SQL condition on the registry's ``registrations`` table."""
    return registry_scope(principal, children).condition()


# --- complaints ---

COMPLAINTS_REFORM_DAY = "2025-07-01T00:00:00+07:00"
"""Two-tier local government from this instant: cases received before it were handled in the legacy wards."""


def cases(principal: Principal) -> Any:
    """Complaints and denunciations a caller may see, as a SQL condition on the complaints store's ``cases``:
    admins and operators all (operators get personal fields masked, the denouncer never); a complaints officer
    the cases of their unit, including cases received before 1 Jul 2025 in a legacy ward that became (part of)
    their unit (the same jurisdiction the case mutations use); an inspector the cases assigned to them; a citizen
    the complaints they filed or co-signed and the denunciations they filed (matched against the sealed table by
    their own personal ID only); staff a denunciation's resolver designated, that case. Everyone else none.
    Lists, ``case``, ``node``, ``Citizen.complaints``, ``AdministrativeUnit.cases``, ``totalCount``,
    ``caseStatistics`` and the ``caseUpdated`` reloads all use it."""
    import datetime as dt

    from govgraph.datasources.complaints import cases as t
    from govgraph.datasources.complaints import complainants, denouncer_identities, designated_for
    from govgraph.datasources.places import LEGACY, gazetteer

    p = principal
    if not p.authenticated:
        return false()
    if p.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if p.role == Role.CITIZEN and p.subject:
        signed = complainants.alias("signed")
        filed = select(signed.c.case_code).where(signed.c.pid == p.subject).correlate(None)
        sealed = denouncer_identities.c
        denounced = select(sealed.token).where(sealed.pid == p.subject).correlate(None)
        return or_(t.c.code.in_(filed), t.c.denouncer_token.in_(denounced))
    if p.role == Role.OFFICER and p.subject:
        designated = designated_for(p.subject)
        if "complaints" not in p.domains or not p.unit:
            return designated
        own: Any = (t.c.unit_structure == CURRENT.value) & (t.c.unit_code == p.unit)
        legacy = gazetteer().legacy_codes_of(p.unit)
        if legacy:
            reform = dt.datetime.fromisoformat(COMPLAINTS_REFORM_DAY)
            own = or_(
                own,
                (t.c.unit_structure == LEGACY.value) & t.c.unit_code.in_(legacy) & (t.c.received_at < reform),
            )
        return or_(own, designated)
    if p.role == Role.INSPECTOR and p.subject:
        return or_(t.c.inspector_id == p.subject, designated_for(p.subject))
    return false()


# --- education ---


def _education_schools(principal: Principal) -> Any:
    """Codes of the schools in an education officer's unit (the schools' units are all current)."""
    from govgraph.datasources.education import schools as s

    return select(s.c.code).where(s.c.unit_code == principal.unit, s.c.unit_structure == CURRENT.value)


def _education_family(principal: Principal, pid: Any, children: tuple[str, ...]) -> Any:
    """``pid`` is the citizen, one of their ``children`` (population parent links, another database) or a pupil
    they are a declared parent or guardian of (the education store's guardians table)."""
    from govgraph.datasources.education import guardians as g

    wards = select(g.c.student_pid).where(g.c.guardian_pid == principal.subject)
    mine = [pid == principal.subject, pid.in_(wards)]
    if children:
        mine.append(pid.in_(children))
    return or_(*mine)


def students(principal: Principal, children: tuple[str, ...] = ()) -> Any:
    """Student records, as a SQL condition on the education store's ``students``: admins and operators all
    (operators see personal fields masked), an education officer the records of schools in their unit, a teacher
    those of their school (`school` claim), a citizen their own and their children's (``children`` from the
    population register, or pupils they are declared guardian of), everyone else none. Lists, ``student``,
    ``node``, ``School.students``, ``SchoolClass.students``, ``Citizen.schoolRecords``, other school years of a
    record, the mutation payloads, ``gradeEntered`` reloads and ``totalCount`` all use it."""
    from govgraph.datasources.education import students as t

    p = principal
    if not p.authenticated:
        return false()
    if p.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if p.role == Role.OFFICER and "education" in p.domains and p.unit:
        return t.c.school_code.in_(_education_schools(p))
    if p.role == Role.TEACHER and p.school:
        return t.c.school_code == p.school
    if p.role == Role.CITIZEN and p.subject:
        return _education_family(p, t.c.pid, children)
    return false()


def enrolment_applications(principal: Principal, children: tuple[str, ...] = ()) -> Any:
    """Enrolment applications: admins and operators all (masked), an education officer those to schools in their
    unit (the officers who decide them), a citizen those for themselves, their children or their declared wards;
    everyone else (teachers included) none. Lists, ``node``, ``totalCount`` and the mutation payloads use it."""
    from govgraph.datasources.education import enrolment_applications as t

    p = principal
    if not p.authenticated:
        return false()
    if p.role in (Role.ADMIN, Role.OPERATOR):
        return true()
    if p.role == Role.OFFICER and "education" in p.domains and p.unit:
        return t.c.school_code.in_(_education_schools(p))
    if p.role == Role.CITIZEN and p.subject:
        return _education_family(p, t.c.child_pid, children)
    return false()
