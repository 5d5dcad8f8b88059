"""Schema extensions: per-request statement statistics and stable error codes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from govgraph.auth.audit import PurposeRequired, flush
from govgraph.auth.roles import Forbidden
from govgraph.datasources.base import PageError, QueryStats, StoreUnavailable, current_stats
from govgraph.domain.identity import InvalidPersonalId
from govgraph.schema.limits import limit_code, without_suggestions


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
    if isinstance(original, PurposeRequired):
        return {"code": "PURPOSE_REQUIRED"}
    if isinstance(original, StoreUnavailable):
        return {"code": "STORE_UNAVAILABLE", "store": original.store}
    if isinstance(original, PageError | InvalidPersonalId | ValueError):
        return {"code": "BAD_USER_INPUT"}
    return None


KNOWN = (StoreUnavailable, Forbidden, PurposeRequired, PageError, InvalidPersonalId, ValueError, TimeoutError)


class ErrorCodes(SchemaExtension):
    """Adds ``extensions.code`` to every error a client should be able to match (limits, a store down, input,
    authorization). In production, removes "Did you mean" suggestions and masks unexpected errors."""

    def on_operation(self) -> Iterator[None]:
        yield
        ec = self.execution_context
        settings = getattr(ec.context, "settings", None)
        production = settings is not None and settings.env == "production"
        for err in ec.pre_execution_errors or []:
            # Parse and validation errors (limits, unknown fields): codes, and no suggestions in production.
            err.extensions = {**(err.extensions or {}), "code": limit_code(err.message) or "GRAPHQL_VALIDATION_FAILED"}
            if production:
                err.message = without_suggestions(err.message)
        result = ec.result
        if result is None or not result.errors:
            return
        cleaned = []
        for err in result.errors:
            ext = error_code(err)
            if ext is None and err.original_error is None:
                ext = {"code": limit_code(err.message) or "GRAPHQL_VALIDATION_FAILED"}
            if production and err.original_error is not None and not isinstance(err.original_error, KNOWN):
                err = GraphQLError("Unexpected error.", nodes=err.nodes, path=err.path)
                ext = {"code": "INTERNAL_SERVER_ERROR"}
            elif production:
                err.message = without_suggestions(err.message)
            if ext:
                err.extensions = {**(err.extensions or {}), **ext}
            cleaned.append(err)
        result.errors = cleaned


class AuditTrail(SchemaExtension):
    """Appends the request's staff reads of personal data to the audit store once the operation ends."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        if getattr(ctx, "audit", None) is not None:
            await flush(ctx, self.execution_context.operation_name)
