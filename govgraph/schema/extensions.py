"""Schema extensions: per-request statement statistics and stable error codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from govgraph.auth.roles import Forbidden
from govgraph.datasources.base import PageError, QueryStats, StoreUnavailable, current_stats
from govgraph.domain.identity import InvalidPersonalId


class QueryStatsExtension(SchemaExtension):
    """Counts SQL statements and time per store for the operation; reports them when the context asks."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context.context
        stats = getattr(ctx, "stats", None) or QueryStats()
        token = current_stats.set(stats)
        try:
            yield
        finally:
            current_stats.reset(token)

    def get_results(self) -> dict[str, Any]:
        ctx = self.execution_context.context
        stats = getattr(ctx, "stats", None)
        if stats is None or not getattr(ctx, "report_stats", False):
            return {}
        return {"queryStats": stats.as_dict()}


def error_code(error: GraphQLError) -> dict[str, Any] | None:
    """Extensions for errors a client should be able to match on."""
    original = error.original_error
    if isinstance(original, Forbidden):
        return {"code": "FORBIDDEN"}
    if isinstance(original, StoreUnavailable):
        return {"code": "STORE_UNAVAILABLE", "store": original.store}
    if isinstance(original, PageError | InvalidPersonalId | ValueError):
        return {"code": "BAD_USER_INPUT"}
    return None


class ErrorCodes(SchemaExtension):
    """Adds ``extensions.code`` (and the store's name when a store is down) to resolver errors."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for err in result.errors:
            ext = error_code(err)
            if ext:
                err.extensions = {**(err.extensions or {}), **ext}
