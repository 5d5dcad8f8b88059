"""The full schema: each domain module exports ``<Domain>Query`` (and ``<Domain>Mutation`` where it writes).

This module only merges them. A domain is the module of the same name in ``schema/``, ``resolvers/``,
``datasources/`` and ``seed/``.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from types import ModuleType
from typing import Any

import strawberry
from strawberry import relay
from strawberry.extensions import ValidationCache
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from govgraph.auth.permissions import apply_policy
from govgraph.config import STORES, federation_from_env
from govgraph.schema.extensions import AuditTrail, ErrorCodes, QueryStatsExtension
from govgraph.schema.limits import limit_extensions

DOMAINS: tuple[str, ...] = ("places", *STORES)


def domain_modules() -> list[ModuleType]:
    """The schema modules present, in a stable order (every domain has one once it is built)."""
    found = []
    for name in DOMAINS:
        if importlib.util.find_spec(f"govgraph.schema.{name}") is not None:
            found.append(importlib.import_module(f"govgraph.schema.{name}"))
    return found


@strawberry.type(description="Fetch any object by its global ID.")
class NodeQuery:
    node: relay.Node | None = relay.node(description="One object by its global `id`; null if not found.")
    nodes: list[relay.Node | None] = relay.node(
        description="Several objects by their global `id`s, in order; null for those not found."
    )


def _parts(suffix: str) -> tuple[type[Any], ...]:
    parts = []
    for module in domain_modules():
        cls = getattr(module, f"{module.__name__.rsplit('.', 1)[1].capitalize()}{suffix}", None)
        if cls is not None:
            parts.append(cls)
    return tuple(parts)


@cache
def build_schema() -> strawberry.Schema:
    """The full (authenticated) schema, built once per process; an Apollo Federation 2 subgraph when
    GOVGRAPH_FEDERATION=1 (govgraph/schema/federation.py)."""
    apply_policy(domain_modules())
    from govgraph.schema.population import AuditQuery

    query = merge_types("Query", (NodeQuery, *_parts("Query"), AuditQuery))
    get_object_definition(query, strict=True).description = "Read the city's data: every store, joined for you."
    mutations = _parts("Mutation")
    mutation = merge_types("Mutation", mutations) if mutations else None
    if mutation is not None:
        get_object_definition(mutation, strict=True).description = "Change the city's data: one store per mutation."
    subscriptions = _parts("Subscription")
    subscription = merge_types("Subscription", subscriptions) if subscriptions else None
    if subscription is not None:
        get_object_definition(
            subscription, strict=True
        ).description = "Live updates over WebSocket (graphql-transport-ws): each event is authorised like a query."
    parts: dict[str, Any] = {
        "query": query,
        "mutation": mutation,
        "subscription": subscription,
        "extensions": [
            *limit_extensions(),
            lambda: ValidationCache(maxsize=512),
            QueryStatsExtension,
            ErrorCodes,
            AuditTrail,
        ],
    }
    if federation_from_env():
        from govgraph.schema.federation import federation_schema

        return federation_schema(**parts)
    return strawberry.Schema(**parts)


def sdl() -> str:
    """The full schema's SDL, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
