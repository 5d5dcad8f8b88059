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
