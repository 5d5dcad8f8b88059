"""Who may call what: coarse role checks for mutations (DESIGN.md §3). Field-level policy comes later.

Admins may do everything. Officers act only in the stores listed in their ``domains`` claim and, for
unit-bound actions, only in their ``unit``. Operators read; they never write.
"""

from __future__ import annotations

from govgraph.auth.identity import Principal, Role


class Forbidden(Exception):
    """The caller's role, domain or jurisdiction does not allow this action."""


def require(principal: Principal, *roles: Role, domain: str | None = None) -> None:
    """Allow admins and the given roles; an officer must also work in ``domain``."""
    if not principal.authenticated:
        raise Forbidden("Not authenticated")
    if principal.role == Role.ADMIN:
        return
    if principal.role not in roles:
        allowed = ", ".join(sorted(r.value for r in (*roles, Role.ADMIN)))
        raise Forbidden(f"A {principal.role.value} may not do this (allowed: {allowed})")
    if principal.role == Role.OFFICER and domain and domain not in principal.domains:
        raise Forbidden(f"This officer does not work in the {domain} store (token domains: {principal.domains})")


def require_unit(principal: Principal, unit_code: str | None) -> None:
    """An officer acts only within their administrative unit; other roles are not unit-bound here."""
    if principal.role == Role.OFFICER and unit_code is not None and principal.unit != unit_code:
        raise Forbidden(f"This officer's jurisdiction is unit {principal.unit}, not {unit_code}")


def require_self(principal: Principal, personal_id: str) -> None:
    """A citizen acts only for themselves."""
    if principal.role == Role.CITIZEN and principal.subject != personal_id:
        raise Forbidden("A citizen may act only for themselves")
