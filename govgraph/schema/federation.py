"""Apollo Federation 2 subgraph (GOVGRAPH_FEDERATION=1): `_service`, `_entities` and `@key` on the entities
another agency would extend.

The keys are attached here, when the federation schema is built, rather than written on the domain types: a plain
``strawberry.Schema`` warns about (and would print) federation directives, and only one schema can be built from
the types in a process. Each entity type has a ``resolve_reference`` classmethod next to its ``resolve_nodes``;
both go through the same loaders and authorization (row scope, then the field policy on what is returned).

An entity's key is what another subgraph joins on. ``personalId`` stays a guarded field: a caller who may not read
it gets the masked value as the key, so another subgraph receives only what the caller could see.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types.base import get_object_definition

FEDERATION_VERSION: Final[Literal["2.7"]] = "2.7"
"""The Federation spec version in the subgraph's @link (supported by @apollo/composition and gateway 2.7+)."""


def entity_keys() -> dict[type[Any], str]:
    """Entity types and their @key field sets (GraphQL names)."""
    from govgraph.schema.education import School
    from govgraph.schema.environment import Station
    from govgraph.schema.places import AdministrativeUnit
    from govgraph.schema.population import Citizen

    return {
        Citizen: "personalId",
        # A unit code is only unique within its structure (a legacy ward and a current one may share it).
        AdministrativeUnit: "code structure",
        School: "code",
        Station: "code",
    }


def mark_entities() -> None:
    """Put @key on the entity types (once; a second call changes nothing)."""
    for cls, fields in entity_keys().items():
        if not callable(getattr(cls, "resolve_reference", None)):
            raise TypeError(f"{cls.__name__} is a federation entity but has no resolve_reference")
        definition = get_object_definition(cls, strict=True)
        directives = list(definition.directives or ())
        if not any(isinstance(d, Key) for d in directives):
            definition.directives = [*directives, Key(fields=fields)]  # type: ignore[arg-type]


def federation_schema(**kwargs: Any) -> strawberry.Schema:
    """The full schema as a Federation 2 subgraph (same types, policy and extensions as the plain one)."""
    from strawberry.federation import Schema

    mark_entities()
    return Schema(**kwargs, federation_version=FEDERATION_VERSION)
