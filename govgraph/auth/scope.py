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
