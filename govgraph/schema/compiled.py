"""Compiled execution of read-only queries: a plan per document, run without graphql-core's per-field machinery.

graphql-core executes every field of every object the same generic way: look the field up, build a resolve info,
compute its arguments, call the resolver through strawberry's wrapper, test the result for awaitability, then
dispatch on the return type to complete it. For a dashboard answer of thousands of plain fields that is most of
the request's CPU (issue #6: three quarters of it, measured). Here the operation's selection set is walked once
per document into a tree of small closures (a :class:`FieldPlan` per response key, a completer per return type),
cached per process, and each request runs that tree:

* a *basic* field (no resolver, no field extension: strawberry reads the attribute) is read with ``getattr``;
* every other field (a resolver, and every field guarded by the policy table) is called through the very function
  graphql-core would call (``GraphQLField.resolve``: strawberry's wrapper with its argument conversion and
  :class:`~govgraph.auth.permissions.PolicyExtension`) with the resolve info graphql-core would build, so
  authorization, masking, auditing and row scoping are not re-implemented here but run as they do on the normal
  path;
* leaves are serialised by their GraphQL type's own ``serialize`` (memoised for enums, which are pure).

Same answers by construction: a plan is only built for a document that the normal path has already validated and
executed without an error in this process, and the compiled run never produces an error itself. Anything outside
what a plan covers (mutations, subscriptions, ``@skip``/``@include``/``@defer``, introspection) is not compiled;
and when anything goes wrong while running a plan (a resolver raises, a null in a non-null position, a value that
does not serialise, a type that does not resolve), the run is abandoned (:class:`Fallback`) and the normal path
runs the operation from the start with a fresh context, so errors, their paths and their codes come from one
place. ``tests/test_compiled.py`` runs the benchmark queries and generated queries for every role through both
paths and compares the answers.
"""

from __future__ import annotations

import asyncio
import copy
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from types import CoroutineType
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    is_leaf_type,
    parse,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionResult

from govgraph.auth.audit import flush
from govgraph.datasources.base import current_stats

UNSUPPORTED_DIRECTIVES = frozenset({"skip", "include", "defer", "stream", "experimental_disableErrorPropagation"})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class Fallback(Exception):
    """The compiled run cannot give the normal path's answer: run the operation on the normal path."""


Completer = Callable[[Any, "Path | None", "Run"], Any]
"""Completes a resolved value of one return type: (value, its response path, run) -> JSON value or an awaitable
of it. Leaf completers ignore the path (None is passed: building paths for leaves would cost as much as the rest)."""


class Run:
    """One request's execution of a plan: the graphql-core execution context (coerced variables, resolve infos)."""

    __slots__ = ("exe",)

    def __init__(self, exe: Any) -> None:
        self.exe = exe


@dataclass(slots=True)
class FieldPlan:
    key: str
    """The response key (alias or field name)."""
    field_def: Any
    """The GraphQLField; None for ``__typename``."""
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    attr: str | None
    """The Python attribute of a basic field (read directly); None when the field's resolver is called."""
    complete: Completer
    leaf: bool
    """The completer needs no path."""
    static_args: dict[str, Any] | None
    """The field's arguments when they use no variable and hold only immutable values (the same for every call
    of every request); otherwise they are computed for each call, as graphql-core does."""


ObjectPlan = list[FieldPlan]


_PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})


def _is_awaitable(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN:
        return False
    return kind is CoroutineType or isinstance(value, Awaitable)


async def _gather(awaitables: list[Awaitable[Any]]) -> list[Any]:
    """Like asyncio.gather, but the first failure cancels the others (a failed run leaves nothing behind)."""
    if len(awaitables) == 1:  # nothing to run side by side: no task
        return [await awaitables[0]]
    tasks = [asyncio.ensure_future(aw) for aw in awaitables]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _gather_dict(out: dict[str, Any], pending: list[tuple[str, Awaitable[Any]]]) -> dict[str, Any]:
    values = await _gather([aw for _, aw in pending])
    for (key, _), value in zip(pending, values, strict=True):
        out[key] = value
    return out


async def _gather_list(items: list[Any], pending: list[int]) -> list[Any]:
    values = await _gather([items[i] for i in pending])
    for i, value in zip(pending, values, strict=True):
        items[i] = value
    return items


async def _then(awaitable: Awaitable[Any], complete: Completer, path: Path | None, run: Run) -> Any:
    completed = complete(await awaitable, path, run)
    if _is_awaitable(completed):
        return await completed
    return completed


class Compiler:
    """Builds the plan of one operation (sub-plans once per type and field group, as graphql-core collects them)."""

    def __init__(self, schema: GraphQLSchema, exe: Any) -> None:
        self.schema = schema
        self.exe = exe

    def operation(self) -> ObjectPlan:
        exe = self.exe
        root = self.schema.query_type
        if root is None:
            raise Fallback("no query type")
        collected = collect_fields(self.schema, exe.fragments, exe.variable_values, root, exe.operation)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Fallback("incremental delivery")
        return self.fields(root, collected.grouped_field_set)

    def fields(self, parent: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> ObjectPlan:
        plans = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            nodes = [d.node for d in details]
            if name.startswith("__"):
                if name != "__typename":
                    raise Fallback("introspection")
                plans.append(FieldPlan(key, None, nodes, parent, None, _typename(parent), True, None))
                continue
            field_def = self.schema.get_field(parent, name)
            if field_def is None:
                raise Fallback(f"unknown field {parent.name}.{name}")
            definition = (field_def.extensions or {}).get("strawberry-definition")
            # Basic: strawberry resolves it by reading the attribute, with no resolver and no extension (a policy-
            # guarded attribute is not basic: its resolver runs the PolicyExtension).
            resolve_name = getattr(field_def.resolve, "__name__", "")
            basic = definition is not None and definition.is_basic_field and resolve_name == "_get_basic_result"
            attr = definition.python_name if basic and definition is not None else None
            static_args = None
            if not _uses_variables(node):
                literal = (
                    get_argument_values(field_def, node, self.exe.variable_values)
                    if field_def.args or node.arguments
                    else {}
                )
                # Shared by every call of every request: only values no resolver can change in place.
                static_args = literal if _immutable(literal) else None
            complete, leaf = self.completer(field_def.type, details, field_def, parent)
            plans.append(FieldPlan(key, field_def, nodes, parent, attr, complete, leaf, static_args))
        return plans

    def completer(
        self, type_: GraphQLOutputType, details: list[FieldDetails], field_def: Any, parent: GraphQLObjectType
    ) -> tuple[Completer, bool]:
        """The completer of a return type, and whether it is a leaf (needs no path)."""
        if isinstance(type_, GraphQLNonNull):
            if is_leaf_type(type_.of_type):  # leaves complete synchronously
                return _leaf(type_.of_type, non_null=True), True
            inner, leaf = self.completer(type_.of_type, details, field_def, parent)

            def non_null(value: Any, path: Path | None, run: Run) -> Any:
                if value is None:
                    raise Fallback("null in a non-null position")
                done = inner(value, path, run)
                if _is_awaitable(done):
                    return _non_null_async(done)
                if done is None:
                    raise Fallback("null in a non-null position")
                return done

            return non_null, leaf
        if isinstance(type_, GraphQLList):
            item, item_leaf = self.completer(type_.of_type, details, field_def, parent)

            def list_(value: Any, path: Path | None, run: Run) -> Any:
                if value is None:
                    return None
                if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                    raise Fallback("not a list")
                items: list[Any] = []
                pending = []
                try:
                    for i, element in enumerate(value):
                        here = None if item_leaf else Path(path, i, None)
                        if _is_awaitable(element):  # graphql-core awaits list items that are awaitable
                            done = _then(element, item, here, run)
                        else:
                            done = item(element, here, run)
                        if _is_awaitable(done):
                            pending.append(i)
                        items.append(done)
                except BaseException:
                    _discard(items[i] for i in pending)
                    _discard(e for e in value if _is_awaitable(e))
                    raise
                return _gather_list(items, pending) if pending else items

            return list_, item_leaf
        if is_leaf_type(type_):
            return _leaf(type_), True
        if isinstance(type_, GraphQLObjectType):
            sub = self.fields(type_, self._subfields(type_, details))
            run_fields = _generated(sub) or partial(execute_fields, sub)
            is_type_of = type_.is_type_of

            def object_(value: Any, path: Path | None, run: Run) -> Any:
                if value is None:
                    return None
                # strawberry's is_type_of is an isinstance check that does not read the info.
                if is_type_of is not None and is_type_of(value, None) is not True:  # type: ignore[arg-type]
                    raise Fallback("is_type_of")
                return run_fields(value, path, run)

            return object_, False
        if isinstance(type_, GraphQLAbstractType):
            return self._abstract(type_, details, field_def, parent), False
        raise Fallback(f"unsupported type {type_}")

    def _subfields(self, type_: GraphQLObjectType, details: list[FieldDetails]) -> dict[str, list[FieldDetails]]:
        exe = self.exe
        collected = collect_subfields(self.schema, exe.fragments, exe.variable_values, exe.operation, type_, details)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Fallback("incremental delivery")
        return collected.grouped_field_set

    def _abstract(
        self, type_: GraphQLAbstractType, details: list[FieldDetails], field_def: Any, parent: GraphQLObjectType
    ) -> Completer:
        schema = self.schema
        plans = {t.name: self.fields(t, self._subfields(t, details)) for t in schema.get_possible_types(type_)}
        resolve_type = type_.resolve_type
        nodes = [d.node for d in details]

        def abstract(value: Any, path: Path | None, run: Run) -> Any:
            if value is None:
                return None
            if resolve_type is None or path is None:
                raise Fallback("no resolve_type")
            # graphql-core gives a type resolver the field's resolve info.
            info = run.exe.build_resolve_info(field_def, nodes, parent, path)
            runtime = resolve_type(value, info, type_)
            if not isinstance(runtime, str) or runtime not in plans:
                raise Fallback("abstract type not resolved synchronously")
            return execute_fields(plans[runtime], value, path, run)

        return abstract


async def _non_null_async(done: Awaitable[Any]) -> Any:
    value = await done
    if value is None:
        raise Fallback("null in a non-null position")
    return value


def _typename(parent: GraphQLObjectType) -> Completer:
    name = parent.name

    def typename(value: Any, path: Path | None, run: Run) -> Any:
        return name

    return typename


def _leaf(type_: Any, non_null: bool = False) -> Completer:
    """The completer of a scalar or enum: plain Python values of the right type pass as they are (what the type's
    ``serialize`` returns for them), anything else goes through ``serialize``; None is null, or a fallback when the
    position is non-null."""
    serialize = type_.serialize
    if type_ is GraphQLString or type_ is GraphQLID:
        plain: tuple[type, ...] = (str,)
    elif type_ is GraphQLBoolean:
        plain = (bool,)
    else:
        plain = ()
    if type_ is GraphQLInt:

        def int_(value: Any, path: Path | None, run: Run) -> Any:
            if type(value) is int and _INT_MIN <= value <= _INT_MAX:
                return value
            return _slow(serialize, value, non_null)

        return int_
    if type_ is GraphQLFloat:

        def float_(value: Any, path: Path | None, run: Run) -> Any:
            if type(value) is float and math.isfinite(value):
                return value
            return _slow(serialize, value, non_null)

        return float_
    if plain:
        kind = plain[0]

        def simple(value: Any, path: Path | None, run: Run) -> Any:
            if type(value) is kind:
                return value
            return _slow(serialize, value, non_null)

        return simple
    if isinstance(type_, GraphQLEnumType):
        memo: dict[Any, Any] = {}

        def enum(value: Any, path: Path | None, run: Run) -> Any:
            try:
                return memo[value]
            except KeyError:
                out = _slow(serialize, value, non_null)
                if out is not None:
                    memo[value] = out
                return out
            except TypeError:  # unhashable: serialise every time
                return _slow(serialize, value, non_null)

        return enum

    def scalar(value: Any, path: Path | None, run: Run) -> Any:
        return _slow(serialize, value, non_null)

    return scalar


def _slow(serialize: Callable[[Any], Any], value: Any, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise Fallback("null in a non-null position")
        return None
    return _serialized(serialize, value)


def _generated(plan: ObjectPlan) -> Callable[[Any, Path | None, Run], Any] | None:
    """For an object whose selected fields are all attributes read as leaves (or ``__typename``): one generated
    function returning a dict display, instead of a loop over the plan per object. None for other objects."""
    if not plan or not all((fp.attr is not None and fp.leaf) or fp.field_def is None for fp in plan):
        return None
    names: dict[str, Any] = {}
    items = []
    for i, fp in enumerate(plan):
        names[f"c{i}"] = fp.complete
        if fp.field_def is None:
            items.append(f"{fp.key!r}: c{i}(source, None, run)")
        elif fp.attr is not None and fp.attr.isidentifier():
            items.append(f"{fp.key!r}: c{i}(source.{fp.attr}, None, run)")
        else:
            return None
    source = "def fields(source, path, run):\n    return {" + ", ".join(items) + "}\n"
    namespace: dict[str, Any] = dict(names)
    exec(compile(source, "<govgraph compiled plan>", "exec"), namespace)  # noqa: S102 - keys are validated GraphQL names written with repr(), attributes identifiers of the schema
    fields: Callable[[Any, Path | None, Run], Any] = namespace["fields"]
    return fields


def _serialized(serialize: Callable[[Any], Any], value: Any) -> Any:
    try:
        out = serialize(value)
    except Exception as exc:
        raise Fallback("a value did not serialise") from exc
    if out is None or out is Undefined:
        raise Fallback("a value serialised to nothing")
    return out


def execute_fields(plan: ObjectPlan, source: Any, path: Path | None, run: Run) -> Any:
    """The fields of one object: a dict, or an awaitable of it when a field resolves asynchronously."""
    out: dict[str, Any] = {}
    pending: list[tuple[str, Awaitable[Any]]] = []
    try:
        _fields_into(plan, source, path, run, out, pending)
    except BaseException:
        _discard(aw for _, aw in pending)
        raise
    return _gather_dict(out, pending) if pending else out


def _discard(awaitables: Any) -> None:
    """Close coroutines a failed run created but will not await (no "never awaited" warnings, no work)."""
    for aw in awaitables:
        close = getattr(aw, "close", None)
        if close is not None:
            close()


def _fields_into(
    plan: ObjectPlan, source: Any, path: Path | None, run: Run, out: dict[str, Any], pending: list[Any]
) -> None:
    for fp in plan:
        key = fp.key
        attr = fp.attr
        if attr is not None:
            if fp.leaf:  # the bulk of a response: an attribute, serialised, never awaitable
                out[key] = fp.complete(getattr(source, attr), None, run)
                continue
            done = fp.complete(getattr(source, attr), Path(path, key, fp.parent_type.name), run)
        elif fp.field_def is None:  # __typename
            out[key] = fp.complete(source, None, run)
            continue
        else:
            args = fp.static_args
            if args is None:
                args = get_argument_values(fp.field_def, fp.nodes[0], run.exe.variable_values)
            here = Path(path, key, fp.parent_type.name)
            info = run.exe.build_resolve_info(fp.field_def, fp.nodes, fp.parent_type, here)
            result = fp.field_def.resolve(source, info, **args)
            if _is_awaitable(result):
                done = _then(result, fp.complete, here, run)
            else:
                done = fp.complete(result, here, run)
        if _is_awaitable(done):
            pending.append((key, done))
            out[key] = None  # keeps the response's key order
        else:
            out[key] = done


def _immutable(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool | Enum):
        return True
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    if isinstance(value, dict):  # the arguments themselves: a fresh dict per call is not needed if values hold
        return all(_immutable(v) for v in value.values())
    return False


class _VariableFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_variable(self, *_: Any) -> None:
        self.found = True


def _uses_variables(node: FieldNode) -> bool:
    if not node.arguments:
        return False
    finder = _VariableFinder()
    for argument in node.arguments:
        visit(argument, finder)
    return finder.found


def _unsupported(document: DocumentNode, operation_name: str | None) -> str | None:
    """Why a document is not compiled, or None."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return "operation not chosen"
    if chosen[0].operation is not OperationType.QUERY:
        return "not a query"

    class Directives(Visitor):
        bad = False

        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in UNSUPPORTED_DIRECTIVES:
                Directives.bad = True

    finder = Directives()
    visit(document, finder)
    return "directives" if Directives.bad else None


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

        self.schema: GraphQLSchema = schema._schema
        self.maxsize = maxsize
        self.entries: OrderedDict[tuple[str, str | None], Entry] = OrderedDict()
        self.audits = AuditTrail in schema.extensions
        self.reports_stats = QueryStatsExtension in schema.extensions
        self.hits = 0
        self.fallbacks = 0

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

    async def run(self, entry: Entry, context: Any, variables: dict[str, Any] | None) -> ExecutionResult:
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
        token = current_stats.set(stats) if self.reports_stats and stats is not None else None
        try:
            if entry.plan is None:
                try:
                    entry.plan = Compiler(self.schema, exe).operation()
                except Fallback:
                    entry.compilable = False
                    raise
            data = execute_fields(entry.plan, None, None, Run(exe))
            if _is_awaitable(data):
                data = await data
            # As AuditTrail does on the normal path: the staff reads go to the audit store (counted in the stats);
            # reads that cannot be audited are not answered from here (the normal path reports the failure).
            if self.audits and getattr(context, "audit", None) is not None:
                name = entry.operation_name
                if name is None:
                    name = exe.operation.name.value if exe.operation.name else None
                await flush(context, name)
        except Fallback:
            self.fallbacks += 1
            raise
        except Exception as exc:
            self.fallbacks += 1
            raise Fallback("error") from exc
        finally:
            if token is not None:
                current_stats.reset(token)
        extensions = None
        if self.reports_stats and getattr(context, "report_stats", False) and stats is not None:
            extensions = {"queryStats": stats.as_dict()}
        self.hits += 1
        return ExecutionResult(data=data, errors=None, extensions=extensions)


class CompiledViewMixin:
    """For strawberry's ASGI views: answer a query already seen from its compiled plan, else the normal way.

    ``X-GovGraph-Execution: compiled`` marks an answer that came from a plan. The mixin goes before
    ``strawberry.asgi.GraphQL`` in the bases; the view sets ``self.compiled`` (None: switched off).
    """

    compiled: CompiledExecutor | None = None

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
            try:
                # A copy: a resolver may change its input in place (federation's `_entities` pops `__typename`),
                # and a fallback must see the variables as they came.
                variables = request_data.variables
                result = await compiled.run(entry, context, copy.deepcopy(variables) if variables else variables)
            except Fallback:
                # The normal path answers from the start, with a context the failed run has not touched.
                context = await self.get_context(request, sub_response)  # type: ignore[attr-defined]
            else:
                sub_response.headers["x-govgraph-execution"] = "compiled"
                return result
        result = await super().execute_single(  # type: ignore[misc]
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if entry is None and not result.errors and result.data is not None:
            compiled.learn(query, request_data.operation_name)
        return result  # type: ignore[no-any-return]
