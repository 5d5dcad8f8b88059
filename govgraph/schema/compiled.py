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

This module builds plans and runs them; ``executor.py`` keeps them per process and answers requests with them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from types import CoroutineType
from typing import Any

from graphql import (
    BREAK,
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
    VariableNode,
    Visitor,
    is_leaf_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.types.arguments import convert_arguments

from govgraph.auth import masking
from govgraph.auth.permissions import UNDECIDED, PolicyExtension, first_reader

UNSUPPORTED_DIRECTIVES = frozenset({"skip", "include", "defer", "stream", "experimental_disableErrorPropagation"})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_MEMO_LIMIT = 4096
"""Serialised times kept per scalar completer (emptied when full: bounded memory)."""


class Fallback(Exception):
    """The compiled run cannot give the normal path's answer: run the operation on the normal path."""


Completer = Callable[[Any, "Path | None", "Run"], Any]
"""Completes one leaf value: (value, path, run) -> JSON value (leaves need no path: None is passed)."""

Many = Callable[[list[Any], "list[Path | None]", "Run"], Any]
"""Completes the values of one field for several objects at once: (values, their paths, run) -> a list of JSON
values, or an awaitable of it. Objects of a list are completed together, field by field (breadth first), so a
level of the answer costs a loop per field, not a resolver call and a task per object."""

TYPENAME, LEAF, ATTR, GUARDED, BATCH, RESOLVER = range(6)
"""How a field is resolved: ``__typename``; a plain attribute read as a leaf; a plain attribute holding objects; an
attribute guarded by the policy table; a resolver with a batch form; any other resolver."""


class Run:
    """One request's execution of a plan: the graphql-core execution context (coerced variables, resolve infos)."""

    __slots__ = ("config", "context", "exe", "lite", "scalars")

    def __init__(self, exe: Any, strawberry_schema: Any) -> None:
        self.exe = exe
        self.context = exe.context_value
        self.lite = BatchInfo(self.context)
        self.scalars = strawberry_schema.schema_converter.scalar_registry
        self.config = strawberry_schema.config


class BatchInfo:
    """What a batch resolver and the policy check read of the resolve info: the request's context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


@dataclass(slots=True)
class FieldPlan:
    key: str
    """The response key (alias or field name)."""
    kind: int
    field_def: Any
    """The GraphQLField; None for ``__typename``."""
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    attr: str | None
    """The Python attribute of an attribute field."""
    one: Completer | None
    """The single-value completer of a leaf field."""
    many: Many
    static_args: dict[str, Any] | None
    """The field's arguments when they use no variable and hold only immutable values (the same for every call
    of every request); otherwise they are computed for each call, as graphql-core does."""
    policy: PolicyExtension | None = None
    batch: Callable[..., Awaitable[list[Any]]] | None = None
    definition: Any = None
    needs_paths: bool = True

    def args(self, run: Run) -> dict[str, Any]:
        if self.static_args is not None:
            return self.static_args
        return get_argument_values(self.field_def, self.nodes[0], run.exe.variable_values)


@dataclass(slots=True)
class ObjectPlan:
    fields: list[FieldPlan]
    generated: Callable[[Any, Path | None, Run], Any] | None
    """One generated function for an object whose fields are all plain leaves."""
    needs_paths: bool
    """Some field below reads its response path."""


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


def _discard(awaitables: Any) -> None:
    """Close coroutines a failed run created but will not await (no "never awaited" warnings, no work)."""
    for aw in awaitables:
        close = getattr(aw, "close", None)
        if close is not None:
            close()


class Compiler:
    """Builds the plan of one operation (sub-plans once per type and field group, as graphql-core collects them)."""

    def __init__(self, strawberry_schema: Any, exe: Any) -> None:
        self.strawberry_schema = strawberry_schema
        self.schema: GraphQLSchema = strawberry_schema._schema
        self.exe = exe
        self.origin: tuple[Any, GraphQLObjectType | None] = (None, None)
        """The field whose completer is being built (a type resolver gets that field's info)."""

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
                plans.append(FieldPlan(key, TYPENAME, None, nodes, parent, None, None, _no_many, None))
                continue
            field_def = self.schema.get_field(parent, name)
            if field_def is None:
                raise Fallback(f"unknown field {parent.name}.{name}")
            definition = (field_def.extensions or {}).get("strawberry-definition")
            static_args = None
            if not _uses_variables(node):
                literal = (
                    get_argument_values(field_def, node, self.exe.variable_values)
                    if field_def.args or node.arguments
                    else {}
                )
                # Shared by every call of every request: only values no resolver can change in place.
                static_args = literal if _immutable(literal) else None
            self.origin = (field_def, parent)
            many, leaf, pathless = self.completer(field_def.type, details)
            one = (
                _leaf(_named(field_def.type), isinstance(field_def.type, GraphQLNonNull))
                if leaf and _is_leaf(field_def.type)
                else None
            )
            kind, policy, batch = self._kind(field_def, definition, one is not None)
            if kind == BATCH and policy is None:
                rows = self._rows(field_def, definition, details)
                if rows is not None:
                    many, batch = rows
            attr = getattr(definition, "python_name", None)
            plan = FieldPlan(
                key, kind, field_def, nodes, parent, attr, one, many, static_args, policy, batch, definition
            )
            # Response paths are only built where something reads them: a resolver's info, a type resolver's.
            plan.needs_paths = kind == RESOLVER or not pathless
            plans.append(plan)
        return ObjectPlan(plans, _generated(plans), any(fp.needs_paths for fp in plans))

    @staticmethod
    def _kind(field_def: Any, definition: Any, is_leaf: bool) -> tuple[int, PolicyExtension | None, Any]:
        resolve_name = getattr(field_def.resolve, "__name__", "")
        if definition is None:
            return RESOLVER, None, None
        # Basic: strawberry reads the attribute, with no resolver and no extension.
        if definition.is_basic_field and resolve_name == "_get_basic_result":
            return (LEAF if is_leaf else ATTR), None, None
        extensions = list(definition.extensions)
        only_policy = len(extensions) == 1 and isinstance(extensions[0], PolicyExtension)
        policy = extensions[0] if only_policy else None
        if definition.base_resolver is None and only_policy:
            return GUARDED, policy, None
        batch = (definition.metadata or {}).get("batch")
        if batch is not None and (not extensions or only_policy):
            return BATCH, policy, batch
        return RESOLVER, None, None

    def _rows(self, field_def: Any, definition: Any, details: list[FieldDetails]) -> tuple[Many, Any] | None:
        """A field with a row form (``common.batch(..., rows=...)``) whose selection on its objects is only plain
        fields of the row spec (and ``__typename``): the row form, and a completer writing each answer object
        straight from its row. None otherwise (the objects are built and completed as usual)."""
        metadata = definition.metadata or {}
        if "rows" not in metadata:
            return None
        item = _named(field_def.type)
        if not isinstance(item, GraphQLObjectType):
            return None
        spec = metadata["row_spec"]().fields
        sub = self.fields(item, self._subfields(item, details))
        if not all(fp.kind == TYPENAME or (fp.kind == LEAF and fp.attr in spec) for fp in sub.fields):
            return None
        many, _, _ = self.completer(field_def.type, details, rows=_row_generated(sub.fields, spec))
        return many, metadata["rows"]

    def completer(
        self, type_: GraphQLOutputType, details: list[FieldDetails], rows: Callable[[Any], Any] | None = None
    ) -> tuple[Many, bool, bool]:
        """The completer of a return type for several values at once; whether the type is a leaf; whether what
        it completes reads no response path. ``rows``: the objects are rows, each written by that function."""
        if isinstance(type_, GraphQLNonNull):
            if is_leaf_type(type_.of_type):  # leaves complete synchronously
                return _leaf_many(_leaf(type_.of_type, non_null=True)), True, True
            inner, leaf, pathless = self.completer(type_.of_type, details, rows)
            return _non_null_many(inner), leaf, pathless
        if isinstance(type_, GraphQLList):
            item, item_leaf, item_pathless = self.completer(type_.of_type, details, rows)
            # Rows are never awaitable: no test per item.
            return _list_many(item, item_pathless, rows is not None), item_leaf, item_pathless
        if is_leaf_type(type_):
            return _leaf_many(_leaf(type_)), True, True
        if rows is not None:
            return _rows_many(rows), False, True
        if isinstance(type_, GraphQLObjectType):
            plan = self.fields(type_, self._subfields(type_, details))
            return _object_many(plan, type_.is_type_of), False, not plan.needs_paths
        if isinstance(type_, GraphQLAbstractType):
            return self._abstract(type_, details), False, False
        raise Fallback(f"unsupported type {type_}")

    def _subfields(self, type_: GraphQLObjectType, details: list[FieldDetails]) -> dict[str, list[FieldDetails]]:
        exe = self.exe
        collected = collect_subfields(self.schema, exe.fragments, exe.variable_values, exe.operation, type_, details)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Fallback("incremental delivery")
        return collected.grouped_field_set

    def _abstract(self, type_: GraphQLAbstractType, details: list[FieldDetails]) -> Many:
        schema = self.schema
        field_def, parent = self.origin
        plans = {t.name: self.fields(t, self._subfields(t, details)) for t in schema.get_possible_types(type_)}
        resolve_type = type_.resolve_type
        nodes = [d.node for d in details]

        def abstract(values: list[Any], paths: list[Path | None], run: Run) -> Any:
            if resolve_type is None:
                raise Fallback("no resolve_type")
            groups: dict[str, list[int]] = {}
            for i, value in enumerate(values):
                if value is None:
                    continue
                path = paths[i]
                # graphql-core gives a type resolver the field's resolve info.
                info = run.exe.build_resolve_info(field_def, nodes, parent, path)
                runtime = resolve_type(value, info, type_)
                if not isinstance(runtime, str) or runtime not in plans:
                    raise Fallback("abstract type not resolved synchronously")
                groups.setdefault(runtime, []).append(i)
            out: list[Any] = [None] * len(values)
            pending = []
            for runtime, idx in groups.items():
                done = execute_many(plans[runtime], [values[i] for i in idx], [paths[i] for i in idx], run)
                if _is_awaitable(done):
                    pending.append((idx, done))
                else:
                    for i, d in zip(idx, done, strict=True):
                        out[i] = d
            if not pending:
                return out
            return _place(out, pending)

        return abstract


async def _place(out: list[Any], pending: list[tuple[list[int], Awaitable[list[Any]]]]) -> list[Any]:
    results = await _gather([aw for _, aw in pending])
    for (idx, _), done in zip(pending, results, strict=True):
        for i, d in zip(idx, done, strict=True):
            out[i] = d
    return out


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _is_leaf(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return is_leaf_type(type_)


def _no_many(values: list[Any], paths: list[Path | None], run: Run) -> Any:
    raise Fallback("no completer")


def _leaf_many(one: Completer) -> Many:
    def leaves(values: list[Any], paths: list[Path | None], run: Run) -> Any:
        return [one(v, None, run) for v in values]

    return leaves


def _non_null_many(inner: Many) -> Many:
    def non_null(values: list[Any], paths: list[Path | None], run: Run) -> Any:
        if any(v is None for v in values):
            raise Fallback("null in a non-null position")
        done = inner(values, paths, run)
        if _is_awaitable(done):
            return _non_null_async(done)
        if any(d is None for d in done):
            raise Fallback("null in a non-null position")
        return done

    return non_null


async def _non_null_async(done: Awaitable[list[Any]]) -> list[Any]:
    values = await done
    if any(v is None for v in values):
        raise Fallback("null in a non-null position")
    return values


def _list_many(item: Many, item_pathless: bool, rows: bool = False) -> Many:
    if rows:

        def row_lists(values: list[Any], paths: list[Path | None], run: Run) -> Any:
            flat: list[Any] = []
            spans: list[tuple[int, int] | None] = []
            for value in values:
                if value is None:
                    spans.append(None)
                    continue
                if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                    raise Fallback("not a list")
                start = len(flat)
                flat.extend(value)
                spans.append((start, len(flat)))
            return _split(item(flat, [], run), spans)

        return row_lists

    def lists(values: list[Any], paths: list[Path | None], run: Run) -> Any:
        flat: list[Any] = []
        flat_paths: list[Path | None] = []
        spans: list[tuple[int, int] | None] = []
        waiting: list[int] = []
        for i, value in enumerate(values):
            if value is None:
                spans.append(None)
                continue
            if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                _discard(flat[j] for j in waiting)
                raise Fallback("not a list")
            start = len(flat)
            path = paths[i]
            for j, element in enumerate(value):
                if _is_awaitable(element):  # graphql-core awaits list items that are awaitable
                    waiting.append(len(flat))
                flat.append(element)
                flat_paths.append(None if item_pathless else Path(path, j, None))
            spans.append((start, len(flat)))
        if waiting:
            return _list_after_items(flat, waiting, flat_paths, spans, item, run)
        return _split(item(flat, flat_paths, run), spans)

    return lists


async def _list_after_items(
    flat: list[Any], waiting: list[int], flat_paths: list[Path | None], spans: list[Any], item: Many, run: Run
) -> list[Any]:
    for j, value in zip(waiting, await _gather([flat[j] for j in waiting]), strict=True):
        flat[j] = value
    done = _split(item(flat, flat_paths, run), spans)
    return await done if _is_awaitable(done) else done  # type: ignore[no-any-return]


def _split(done: Any, spans: list[tuple[int, int] | None]) -> Any:
    if _is_awaitable(done):
        return _split_async(done, spans)
    return [None if span is None else done[span[0] : span[1]] for span in spans]


async def _split_async(done: Awaitable[list[Any]], spans: list[tuple[int, int] | None]) -> list[Any]:
    flat = await done
    return [None if span is None else flat[span[0] : span[1]] for span in spans]


def _object_many(plan: ObjectPlan, is_type_of: Any) -> Many:
    def objects(values: list[Any], paths: list[Path | None], run: Run) -> Any:
        present = [i for i, v in enumerate(values) if v is not None]
        if is_type_of is not None:
            # strawberry's is_type_of is an isinstance check that does not read the info.
            for i in present:
                if is_type_of(values[i], None) is not True:
                    raise Fallback("is_type_of")
        if len(present) == len(values):
            return execute_many(plan, values, paths, run)
        out: list[Any] = [None] * len(values)
        done = execute_many(plan, [values[i] for i in present], [paths[i] for i in present], run)
        if _is_awaitable(done):
            return _place(out, [(present, done)])
        for i, d in zip(present, done, strict=True):
            out[i] = d
        return out

    return objects


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

    times: dict[tuple[Any, Any], Any] = {}

    def scalar(value: Any, path: Path | None, run: Run) -> Any:
        kind = type(value)
        if kind is dt.datetime or kind is dt.date or kind is dt.time:
            # Answers repeat the same instants (50 stations' readings share their hours). Keyed with the tzinfo:
            # equal aware times in different zones are equal but written differently.
            key = (value, getattr(value, "tzinfo", None))
            out = times.get(key)
            if out is None:
                if len(times) >= _MEMO_LIMIT:
                    times.clear()
                out = times[key] = _slow(serialize, value, non_null)
            return out
        return _slow(serialize, value, non_null)

    return scalar


def _slow(serialize: Callable[[Any], Any], value: Any, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise Fallback("null in a non-null position")
        return None
    return _serialized(serialize, value)


def _generated(plan: list[FieldPlan]) -> Callable[[Any, Path | None, Run], Any] | None:
    """For an object whose selected fields are all attributes read as leaves (or ``__typename``): one generated
    function returning a dict display, instead of a loop over the plan per object. None for other objects."""
    if not plan or not all(fp.kind in (LEAF, TYPENAME) for fp in plan):
        return None
    names: dict[str, Any] = {}
    items = []
    for i, fp in enumerate(plan):
        names[f"c{i}"] = fp.one or _typename(fp.parent_type)
        if fp.kind == TYPENAME:
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


def _rows_many(writer: Callable[[tuple[str, ...]], Callable[[Any], Any]]) -> Many:
    """Completes rows: each written by the function generated for the rows' columns (read by position)."""
    writers: dict[tuple[str, ...], Callable[[Any], Any]] = {}

    def rows(values: list[Any], paths: list[Path | None], run: Run) -> Any:
        if not values:
            return []
        first = next((v for v in values if v is not None), None)
        if first is None:
            return [None] * len(values)
        fields = getattr(first, "_fields", None)  # a SQLAlchemy Row; else an asyncpg Record
        layout = tuple(fields if fields is not None else first.keys())
        write = writers.get(layout)
        if write is None:
            if len(writers) >= 16:
                writers.clear()
            write = writers[layout] = writer(layout)
        return [None if row is None else write(row) for row in values]

    return rows


def _row_generated(
    plan: list[FieldPlan], spec: dict[str, tuple[str, Callable[[Any], Any] | None]]
) -> Callable[[tuple[str, ...]], Callable[[Any], Any]]:
    """For rows with the given columns: one generated function writing an answer object from a row (columns read
    by position: a Row's attribute access costs as much as the rest of the work). Each field's column is
    converted as the spec builds the attribute, then serialised by the field's completer. A converted column's
    answers are memoised per distinct value (times and enums repeat down a list; the spec's conversions are
    pure and give equal answers for equal values of one column)."""
    names: dict[str, Any] = {}
    lines = []
    items = []
    wanted: list[tuple[int, str]] = []
    for i, fp in enumerate(plan):
        if fp.kind == TYPENAME:
            items.append(f"{fp.key!r}: {fp.parent_type.name!r}")
            continue
        column, convert = spec[fp.attr]  # type: ignore[index]
        one = fp.one
        if one is None:
            raise Fallback("no leaf completer")
        wanted.append((i, column))
        names[f"c{i}"] = one
        if convert is None:
            items.append(f"{fp.key!r}: c{i}(row[p{i}], None, None)")
            continue
        names[f"m{i}"], names[f"s{i}"] = _memo(convert, one)
        lines.append(
            f"    v{i} = row[p{i}]\n"
            f"    try:\n        o{i} = m{i}[v{i}]\n"
            f"    except (KeyError, TypeError):\n        o{i} = s{i}(v{i})\n"
        )
        items.append(f"{fp.key!r}: o{i}")
    source = "def write(row):\n" + "".join(lines) + "    return {" + ", ".join(items) + "}\n"
    code = compile(source, "<govgraph compiled rows>", "exec")

    def writer(layout: tuple[str, ...]) -> Callable[[Any], Any]:
        namespace = dict(names)
        for i, column in wanted:
            if column not in layout:
                raise Fallback(f"no column {column!r} in the rows")
            namespace[f"p{i}"] = layout.index(column)
        exec(code, namespace)  # noqa: S102 - keys are validated GraphQL names written with repr()
        write: Callable[[Any], Any] = namespace["write"]
        return write

    return writer


def _memo(convert: Callable[[Any], Any], one: Completer) -> tuple[dict[Any, Any], Callable[[Any], Any]]:
    """A memo of ``one(convert(value))`` per value (bounded), and the function that fills it."""
    memo: dict[Any, Any] = {}

    def slow(value: Any) -> Any:
        out = one(convert(value), None, None)  # type: ignore[arg-type]  # leaf completers read no run
        try:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[value] = out
        except TypeError:  # unhashable: converted every time
            pass
        return out

    return memo, slow


def _serialized(serialize: Callable[[Any], Any], value: Any) -> Any:
    try:
        out = serialize(value)
    except Exception as exc:
        raise Fallback("a value did not serialise") from exc
    if out is None or out is Undefined:
        raise Fallback("a value serialised to nothing")
    return out


def execute_many(plan: ObjectPlan, sources: list[Any], paths: list[Path | None], run: Run) -> Any:
    """The fields of several objects of one type: a list of dicts, or an awaitable of it."""
    generated = plan.generated
    if generated is not None:
        return [generated(source, None, run) for source in sources]
    outs: list[dict[str, Any]] = [{} for _ in sources]
    pending: list[tuple[str, Awaitable[list[Any]]]] = []
    try:
        for fp in plan.fields:
            key = fp.key
            kind = fp.kind
            if kind == LEAF:
                one = fp.one
                attr = fp.attr
                for out, source in zip(outs, sources, strict=True):
                    out[key] = one(getattr(source, attr), None, run)  # type: ignore[misc, arg-type]
                continue
            if kind == TYPENAME:
                for out in outs:
                    out[key] = fp.parent_type.name
                continue
            typename = fp.parent_type.name
            field_paths: list[Path | None] = (
                [Path(path, key, typename) for path in paths] if fp.needs_paths else [None] * len(sources)
            )
            if kind == ATTR:
                done = fp.many([getattr(source, fp.attr) for source in sources], field_paths, run)  # type: ignore[arg-type]
            elif kind == BATCH:
                done = _batch(fp, sources, field_paths, run)
            else:
                done = _each(fp, sources, field_paths, run)
            if _is_awaitable(done):
                pending.append((key, done))
                for out in outs:
                    out[key] = None  # keeps the answer's key order
            else:
                for out, value in zip(outs, done, strict=True):
                    out[key] = value
    except BaseException:
        _discard(aw for _, aw in pending)
        raise
    if not pending:
        return outs
    return _fill(outs, pending)


async def _fill(outs: list[dict[str, Any]], pending: list[tuple[str, Awaitable[list[Any]]]]) -> list[dict[str, Any]]:
    results = await _gather([aw for _, aw in pending])
    for (key, _), values in zip(pending, results, strict=True):
        for out, value in zip(outs, values, strict=True):
            out[key] = value
    return outs


def _each(fp: FieldPlan, sources: list[Any], paths: list[Path | None], run: Run) -> Any:
    """A field resolved object by object: through strawberry's resolver (a guarded attribute: through its policy
    extension directly, which is what strawberry's wrapper would call)."""
    values: list[Any] = []
    waiting: list[int] = []
    try:
        if fp.kind == GUARDED:
            policy = fp.policy
            attr = fp.attr
            lite = run.lite

            def read(source: Any, info: Any, **_: Any) -> Any:
                return getattr(source, attr)  # type: ignore[arg-type]

            for i, source in enumerate(sources):
                value = policy.resolve(read, source, lite)  # type: ignore[union-attr]
                if _is_awaitable(value):
                    waiting.append(i)
                values.append(value)
        else:
            resolve = fp.field_def.resolve
            build = run.exe.build_resolve_info
            for i, source in enumerate(sources):
                info = build(fp.field_def, fp.nodes, fp.parent_type, paths[i])
                value = resolve(source, info, **fp.args(run))
                if _is_awaitable(value):
                    waiting.append(i)
                values.append(value)
    except BaseException:
        _discard(values[i] for i in waiting)
        raise
    if waiting:
        return _each_after(values, waiting, fp, paths, run)
    return fp.many(values, paths, run)


async def _each_after(values: list[Any], waiting: list[int], fp: FieldPlan, paths: list[Path | None], run: Run) -> Any:
    for i, value in zip(waiting, await _gather([values[i] for i in waiting]), strict=True):
        values[i] = value
    done = fp.many(values, paths, run)
    return await done if _is_awaitable(done) else done


async def _batch(fp: FieldPlan, sources: list[Any], paths: list[Path | None], run: Run) -> list[Any]:
    """A field with a batch form: the policy decided per object (as PolicyExtension does), then one call for all
    the objects whose value is needed, then the values completed together."""
    context = run.context
    values: list[Any] = [None] * len(sources)
    needed = list(range(len(sources)))
    masks: dict[int, Callable[[Any], Any]] = {}
    policy = fp.policy
    if policy is not None:
        readers = await _readers(policy, context, sources)
        needed = []
        for i, (source, reader) in enumerate(zip(sources, readers, strict=True)):
            if reader is None:
                if policy.policy.otherwise is masking.null:
                    continue
                masks[i] = policy.policy.otherwise
            else:
                policy.audit_read(context, reader, policy.describe(source))
            needed.append(i)
    if needed:
        kwargs = convert_arguments(
            fp.args(run),
            fp.definition.arguments,
            scalar_registry=run.scalars,
            config=run.config,
        )
        loaded = await fp.batch(run.lite, [sources[i] for i in needed], **kwargs)  # type: ignore[misc]
        for i, value in zip(needed, loaded, strict=True):
            mask = masks.get(i)
            values[i] = value if mask is None else mask(value)
    done = fp.many(values, paths, run)
    return await done if _is_awaitable(done) else done  # type: ignore[no-any-return]


async def _readers(policy: PolicyExtension, context: Any, sources: list[Any]) -> list[Any]:
    """Each object's first allowed reader (None: nobody of the caller's kind), without I/O where possible."""
    readers: list[Any] = []
    asks: list[int] = []
    for i, source in enumerate(sources):
        decided = policy.decide_reader(context, policy.describe(source))
        if decided is UNDECIDED:
            asks.append(i)
            readers.append(None)
        else:
            readers.append(decided)
    if asks:
        found = await _gather([first_reader(policy.policy, context, policy.describe(sources[i])) for i in asks])
        for i, reader in zip(asks, found, strict=True):
            readers[i] = reader
    return readers


def _immutable(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool | Enum):
        return True
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    if isinstance(value, dict):  # the arguments themselves: a fresh dict per call is not needed if values hold
        return all(_immutable(v) for v in value.values())
    return False


class _Finder(Visitor):
    """Stops at the first node ``found`` accepts."""

    def __init__(self, found: Callable[[Any], bool]) -> None:
        super().__init__()
        self.found = found
        self.hit = False

    def enter(self, node: Any, *_: Any) -> Any:
        if self.found(node):
            self.hit = True
            return BREAK
        return None


def _contains(root: Any, found: Callable[[Any], bool]) -> bool:
    finder = _Finder(found)
    visit(root, finder)
    return finder.hit


def _uses_variables(node: FieldNode) -> bool:
    return any(_contains(argument, lambda n: isinstance(n, VariableNode)) for argument in node.arguments or ())
