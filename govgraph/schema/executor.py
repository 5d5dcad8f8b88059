"""Running compiled plans: the per-process plan cache of one schema, the run of a plan for a request, and the
glue to strawberry's views (a learned GET query) and to the compiled front (``front.py``: a learned POST).

A document is learned after the normal path has answered it without an error (``CompiledExecutor.learn``); its
plan (``compiled.py``) is built on its first compiled run and kept, least recently used first out. A run that
cannot give the normal path's answer raises :class:`~govgraph.schema.compiled.Fallback`, and the caller answers
the request on the normal path from the start, with a fresh context.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import DirectiveNode, DocumentNode, GraphQLSchema, OperationDefinitionNode, OperationType, parse
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionResult

from govgraph.auth.audit import flush
from govgraph.datasources.base import current_stats
from govgraph.schema.cache import ResponseCache
from govgraph.schema.compiled import (
    UNSUPPORTED_DIRECTIVES,
    Compiler,
    Fallback,
    ObjectPlan,
    Run,
    _contains,
    _is_awaitable,
    execute_many,
)


def _unsupported(document: DocumentNode, operation_name: str | None) -> str | None:
    """Why a document is not compiled, or None."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return "operation not chosen"
    if chosen[0].operation is not OperationType.QUERY:
        return "not a query"

    if _contains(document, lambda n: isinstance(n, DirectiveNode) and n.name.value in UNSUPPORTED_DIRECTIVES):
        return "directives"
    return None


@dataclass(slots=True)
class Answer:
    result: ExecutionResult
    audited: bool
    """Staff reads of personal data were audited: the answer must not be served again without that."""
    stores: frozenset[str] | None
    """The stores the answer read (None: not known)."""


@dataclass(slots=True)
class Entry:
    document: DocumentNode
    operation_name: str | None
    compilable: bool
    plan: ObjectPlan | None = None
    """Built on the first compiled run (the variables are at hand then)."""


class CompiledExecutor:
    """The per-process plan cache and runner of one strawberry schema (the full or the public one)."""

    def __init__(self, schema: Any, maxsize: int = 512) -> None:
        from govgraph.schema.extensions import AuditTrail, QueryStatsExtension

        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self.maxsize = maxsize
        self.entries: OrderedDict[tuple[str, str | None], Entry] = OrderedDict()
        self.audits = AuditTrail in schema.extensions
        self.reports_stats = QueryStatsExtension in schema.extensions

    def lookup(self, query: str, operation_name: str | None) -> Entry | None:
        """The learned entry of a query that can run compiled, if any."""
        entry = self.entries.get((query, operation_name))
        if entry is None or not entry.compilable:
            return None
        self.entries.move_to_end((query, operation_name))
        return entry

    def learn(self, query: str, operation_name: str | None) -> None:
        """After the normal path answered ``query`` without an error: remember it, and whether it can compile."""
        key = (query, operation_name)
        if key in self.entries:
            return
        document = parse(query)
        self.entries[key] = Entry(document, operation_name, _unsupported(document, operation_name) is None)
        if len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)

    async def run(self, entry: Entry, context: Any, variables: dict[str, Any] | None) -> Answer:
        """Execute a learned query; raises :class:`Fallback` when the normal path must answer instead."""
        exe = StrawberryGraphQLCoreExecutionContext.build(
            self.schema,
            entry.document,
            None,
            context,
            variables,
            entry.operation_name,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # as strawberry passes it
            operation_extensions=None,
        )
        if isinstance(exe, list):
            raise Fallback("variables")
        stats = getattr(context, "stats", None)
        # Counted for every run (not only when reported): the response cache tags answers with the stores read.
        # A caller already counting (a test around the public schema, which reports none) keeps its count, and
        # then the stores read are not known.
        if not self.reports_stats and current_stats.get() is not None:
            stats = None
        token = current_stats.set(stats) if stats is not None else None
        audited = False
        try:
            if entry.plan is None:
                try:
                    entry.plan = Compiler(self.strawberry_schema, exe).operation()
                except Fallback:
                    entry.compilable = False
                    raise
            done = execute_many(entry.plan, [None], [None], Run(exe, self.strawberry_schema))
            data = (await done if _is_awaitable(done) else done)[0]
            # As AuditTrail does on the normal path: the staff reads go to the audit store (counted in the stats);
            # reads that cannot be audited are not answered from here (the normal path reports the failure).
            if self.audits and getattr(context, "audit", None) is not None:
                audited = bool(context.audit.reads)
                name = entry.operation_name
                if name is None:
                    name = exe.operation.name.value if exe.operation.name else None
                await flush(context, name)
        except Fallback:
            raise
        except Exception as exc:
            raise Fallback("error") from exc
        finally:
            if token is not None:
                current_stats.reset(token)
        extensions = None
        if self.reports_stats and getattr(context, "report_stats", False) and stats is not None:
            extensions = {"queryStats": stats.as_dict()}
        stores = frozenset(name for name, st in stats.stores.items() if st.statements) if stats is not None else None
        return Answer(ExecutionResult(data=data, errors=None, extensions=extensions), audited, stores)


async def answer(
    compiled: CompiledExecutor,
    cache: ResponseCache | None,
    entry: Entry,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    context: Any,
) -> tuple[ExecutionResult, str] | None:
    """A learned query's answer from the response cache (``"cached"``) or its plan (``"compiled"``); None when
    the normal path must answer it (the context has been used: the caller makes a fresh one)."""
    cache_key = cache.key(query, operation_name, variables, context) if cache else None
    if cache is not None and cache_key is not None:
        data = cache.get(cache_key)
        if data is not None:
            stats = context.stats.as_dict() if getattr(context, "report_stats", False) else None
            return ExecutionResult(
                data=data, errors=None, extensions={"queryStats": stats} if stats else None
            ), "cached"
    try:
        # A copy: a resolver may change its input in place (federation's `_entities` pops `__typename`), and a
        # fallback must see the variables as they came.
        found = await compiled.run(entry, context, copy.deepcopy(variables) if variables else variables)
    except Fallback:
        return None
    if cache is not None and cache_key is not None and not found.audited and found.stores is not None:
        cache.put(cache_key, found.result.data, found.stores)
    return found.result, "compiled"


class CompiledViewMixin:
    """For strawberry's ASGI views: answer a query already seen from its compiled plan, else the normal way.

    ``X-GovGraph-Execution: compiled`` marks an answer that came from a plan. The mixin goes before
    ``strawberry.asgi.GraphQL`` in the bases; the view sets ``self.compiled`` (None: switched off).
    """

    compiled: CompiledExecutor | None = None
    response_cache: ResponseCache | None = None

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        compiled = self.compiled
        query = request_data.query
        if compiled is None or not isinstance(query, str):
            return await super().execute_single(  # type: ignore[misc, no-any-return]
                request, request_adapter, sub_response, context, root_value, request_data
            )
        via_get = request_adapter.method == "GET"
        entry = compiled.lookup(query, request_data.operation_name)
        if entry is not None and (not via_get or getattr(self, "allow_queries_via_get", False)):
            found = await answer(
                compiled,
                self.response_cache,
                entry,
                query,
                request_data.operation_name,
                request_data.variables,
                context,
            )
            if found is not None:
                sub_response.headers["x-govgraph-execution"] = found[1]
                return found[0]
            # The normal path answers from the start, with a context the failed run has not touched.
            context = await self.get_context(request, sub_response)  # type: ignore[attr-defined]
        result = await super().execute_single(  # type: ignore[misc]
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if entry is None and not result.errors and result.data is not None:
            compiled.learn(query, request_data.operation_name)
        return result  # type: ignore[no-any-return]
