"""Who may read a personal field: small reader predicates the policy table is written in.

A reader looks at the caller (``ctx.principal``) and at the data subject of the object being read (its owner's
personal ID, its administrative unit, school, assigned inspector). ``Guardian`` asks the population store who
the caller's children are (one batched, cached load per request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from govgraph.auth.identity import Role

if TYPE_CHECKING:
    from govgraph.context import Context


@dataclass(frozen=True)
class Subject:
    """Whose data an object is, and where it belongs."""

    record: str
    """Type and key of the record, for the audit trail (e.g. 'Citizen:<node key>')."""
    owner: str | None = None
    """Personal ID of the person the data is about."""
    unit: str | None = None
    """Administrative-unit code the record belongs to (for officers' jurisdiction)."""
    school: str | None = None
    assignee: str | None = None
    """Staff id of the inspector a case is assigned to."""
    designated: tuple[str, ...] = ()
    """Staff ids the resolver designated (denouncer identity)."""


class Reader:
    label = ""
    staff = True
    """Reads through a staff reader are audited and need a purpose; the owner's own reads are not."""

    async def allows(self, ctx: Context, subject: Subject) -> bool:
        decided = self.decide(ctx, subject)
        if decided is None:
            raise NotImplementedError(f"{type(self).__name__} must implement allows() or decide()")
        return decided

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        """The answer without I/O, or None when it needs a look-up (then ``allows`` is awaited)."""
        return None


class _Self(Reader):
    label = "the person themselves"
    staff = False

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        p = ctx.principal
        return p.role == Role.CITIZEN and subject.owner is not None and p.subject == subject.owner


class _Guardian(Reader):
    label = "their parent"
    staff = False

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        p = ctx.principal
        if p.role != Role.CITIZEN or subject.owner is None:
            return False
        return None  # a citizen: ask the register who their children are

    async def allows(self, ctx: Context, subject: Subject) -> bool:
        p = ctx.principal
        if p.role != Role.CITIZEN or subject.owner is None:
            return False
        children = await ctx.loaders.population.children_by_pid.load(p.subject)
        return any(c.pid == subject.owner for c in children)


@dataclass(frozen=True)
class Officer(Reader):
    """An officer working in ``domain`` whose unit is the record's unit."""

    domain: str

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"officers of the {self.domain} store in the record's unit"

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        p = ctx.principal
        return (
            p.role == Role.OFFICER and self.domain in p.domains and subject.unit is not None and p.unit == subject.unit
        )


class _Teacher(Reader):
    label = "teachers of the student's school"

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        p = ctx.principal
        return p.role == Role.TEACHER and subject.school is not None and p.school == subject.school


class _AssignedInspector(Reader):
    label = "the inspector the case is assigned to"

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        p = ctx.principal
        return p.role == Role.INSPECTOR and subject.assignee is not None and p.subject == subject.assignee


class _Designated(Reader):
    label = "staff the resolver designated"

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        return ctx.principal.role in (Role.OFFICER, Role.INSPECTOR) and ctx.principal.subject in subject.designated


class _Operator(Reader):
    label = "operations-centre operators"

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        return ctx.principal.role == Role.OPERATOR


class _Admin(Reader):
    label = "admins"

    def decide(self, ctx: Context, subject: Subject) -> bool | None:
        return ctx.principal.role == Role.ADMIN


SELF = _Self()
GUARDIAN = _Guardian()
TEACHER = _Teacher()
ASSIGNED_INSPECTOR = _AssignedInspector()
DESIGNATED = _Designated()
OPERATOR = _Operator()
ADMIN = _Admin()
