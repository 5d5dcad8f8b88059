"""The one permission class: enforces the policy table on every guarded field, audits staff reads.

``apply_policy`` runs once when the schema is built: it finds every field named in ``POLICY``, attaches
:class:`PolicyExtension` and writes the allowed readers into the field's description. It fails when an entry
names a field that does not exist.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from types import ModuleType
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from govgraph.auth import masking
from govgraph.auth.audit import PurposeRequired
from govgraph.auth.policy import POLICY, SUBJECTS, FieldPolicy
from govgraph.auth.rules import Reader, Subject


async def first_reader(policy: FieldPolicy, ctx: Any, subject: Subject) -> Reader | None:
    for reader in policy.readers:
        if await reader.allows(ctx, subject):
            return reader
    return None


UNDECIDED = object()
"""``PolicyExtension.decide_reader``: the answer needs a look-up (await ``first_reader``)."""


class PolicyExtension(FieldExtension):
    def __init__(self, key: str, policy: FieldPolicy, describe: Callable[[Any], Subject]) -> None:
        self.key = key
        self.policy = policy
        self.describe = describe

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        # Plain attribute fields are resolved synchronously. Most checks need no I/O and are answered here
        # (no task per field); a check that needs a look-up (a parent's children) returns an awaitable.
        ctx = info.context
        subject = self.describe(source)
        reader: Reader | None = None
        for candidate in self.policy.readers:
            decided = candidate.decide(ctx, subject)
            if decided is None:
                return self._guarded(next_, source, info, kwargs)
            if decided:
                reader = candidate
                break
        if reader is None:
            return (
                None if self.policy.otherwise is masking.null else self.policy.otherwise(next_(source, info, **kwargs))
            )
        self._audit(ctx, reader, subject)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any) -> Any:
        return await self._guarded(next_, source, info, kwargs)

    async def _guarded(self, next_: Callable[..., Any], source: Any, info: Any, kwargs: dict[str, Any]) -> Any:
        ctx = info.context
        subject = self.describe(source)
        reader = await first_reader(self.policy, ctx, subject)
        if reader is None:
            if self.policy.otherwise is masking.null:
                return None
            return self.policy.otherwise(await _value(next_(source, info, **kwargs)))
        self._audit(ctx, reader, subject)
        return await _value(next_(source, info, **kwargs))

    def decide_reader(self, ctx: Any, subject: Subject) -> Reader | object | None:
        """The first reader allowed without I/O, None when none is, or UNDECIDED (what ``resolve`` decides
        before it reads the value; the compiled path asks it for a whole list of objects at once)."""
        for candidate in self.policy.readers:
            decided = candidate.decide(ctx, subject)
            if decided is None:
                return UNDECIDED
            if decided:
                return candidate
        return None

    def audit_read(self, ctx: Any, reader: Reader, subject: Subject) -> None:
        """What ``resolve`` does before an allowed read: the purpose check and the audit entry."""
        self._audit(ctx, reader, subject)

    def _audit(self, ctx: Any, reader: Reader, subject: Subject) -> None:
        if reader.staff and self.policy.audit and subject.owner != ctx.principal.subject:
            if not ctx.purpose:
                raise PurposeRequired(
                    f"Reading {self.key} of another person needs a stated purpose: send an X-Purpose header "
                    "(or a `purpose` claim in the token)"
                )
            ctx.audit.record(subject, self.key)


async def _value(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def object_definitions(modules: Iterable[ModuleType]) -> dict[str, StrawberryObjectDefinition]:
    found: dict[str, StrawberryObjectDefinition] = {}
    for module in modules:
        for obj in vars(module).values():
            definition = getattr(obj, "__strawberry_definition__", None)
            if isinstance(definition, StrawberryObjectDefinition) and not definition.is_input:
                found.setdefault(definition.name, definition)
    return found


def field_name(f: StrawberryField) -> str:
    return f.graphql_name or to_camel_case(f.python_name)


def apply_policy(modules: Iterable[ModuleType]) -> None:
    """Attach the policy to the schema's types (once, before the schema is built)."""
    definitions = object_definitions(modules)
    missing = []
    for key, policy in POLICY.items():
        type_name, _, fname = key.partition(".")
        definition = definitions.get(type_name)
        target = next((f for f in definition.fields if field_name(f) == fname), None) if definition else None
        if target is None or type_name not in SUBJECTS:
            missing.append(key)
            continue
        if any(isinstance(e, PolicyExtension) for e in target.extensions):
            continue
        if not isinstance(target.type, StrawberryOptional) and policy.otherwise is not masking.personal_id:
            # Whoever may not read it gets null (or a mask that can be null): the field must be nullable.
            missing.append(f"{key} (must be nullable)")
            continue
        target.extensions.append(PolicyExtension(key, policy, SUBJECTS[type_name]))
        target.description = f"{(target.description or '').rstrip()} {policy.describe()}".strip()
    if missing:
        raise LookupError(f"policy entries name fields that do not exist (or types without a subject): {missing}")
