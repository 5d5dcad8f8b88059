"""Shared schema building blocks: Node (strawberry.relay), connections, page info, user errors, time."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay

from govgraph.datasources.base import Page

NodeT = TypeVar("NodeT")
E = TypeVar("E", bound=Enum)

HANOI_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
"""Asia/Ho_Chi_Minh: UTC+07:00 with no daylight saving since 1975."""


def by_value(cls: type[E]) -> Callable[[Any], E]:
    """``cls(value)`` as a dict look-up: an Enum call costs about a microsecond, and hot lists (readings) make
    several per row. Unknown values still raise Enum's ValueError."""
    members = {m.value: m for m in cls}

    def of(value: Any) -> E:
        found = members.get(value)
        return cls(value) if found is None else found

    return of


def batch(
    get: Callable[[], Callable[..., Awaitable[list[Any]]]],
    rows: Callable[[], tuple[Callable[..., Awaitable[list[Any]]], RowSpec]] | None = None,
) -> dict[str, Any]:
    """``strawberry.field(metadata=batch(lambda: resolve.x_of))``: the field's batch form for the compiled path
    (``govgraph/schema/compiled.py``): ``x_of(info, parents, **arguments)`` returns what the field's resolver
    returns for each parent, in order. Looked up when first called: schema and resolver modules import each other.

    ``rows``: for a field returning lists of objects built from rows, ``lambda: (resolve.x_rows_of, SPEC)``: the
    same batch form returning the rows themselves, and the :class:`RowSpec` that builds the objects from them.
    When a query selects only spec'd plain fields of those objects, the compiled path writes each answer object
    straight from its row (no object per row; each distinct value converted once).
    """

    async def call(info: Any, parents: list[Any], **kwargs: Any) -> list[Any]:
        return await get()(info, parents, **kwargs)

    out: dict[str, Any] = {"batch": call}
    if rows is not None:

        async def call_rows(info: Any, parents: list[Any], **kwargs: Any) -> list[Any]:
            return await rows()[0](info, parents, **kwargs)

        out["rows"] = call_rows
        out["row_spec"] = lambda: rows()[1]
    return out


class RowSpec:
    """How an object type is built from a database row: for each attribute, its column and a conversion
    (None: the value as it is). ``build(row)`` makes the object; the compiled path reads the same spec to write
    answers straight from rows. ``fields`` is a function (called once, on first use), so that it can name types
    and enums of modules still being imported."""

    def __init__(
        self, cls: Callable[[], type], fields: Callable[[], dict[str, tuple[str, Callable[[Any], Any] | None]]]
    ):
        self._cls = cls
        self._fields = fields
        self._build: Callable[[Any], Any] | None = None

    @functools.cached_property
    def fields(self) -> dict[str, tuple[str, Callable[[Any], Any] | None]]:
        return self._fields()

    def build(self, row: Any) -> Any:
        build = self._build
        if build is None:
            build = self._build = self._builder()
        return build(row)

    def _builder(self) -> Callable[[Any], Any]:
        cls = self._cls()
        names: dict[str, Any] = {"cls": cls}
        args = []
        for i, (attr, (column, convert)) in enumerate(self.fields.items()):
            if not (attr.isidentifier() and column.isidentifier()):
                raise ValueError(f"{attr!r}/{column!r} is not an identifier")
            if convert is None:
                args.append(f"{attr}=row.{column}")
            else:
                names[f"f{i}"] = convert
                args.append(f"{attr}=f{i}(row.{column})")
        source = "def build(row):\n    return cls(" + ", ".join(args) + ")\n"
        exec(compile(source, f"<govgraph row spec {cls.__name__}>", "exec"), names)  # noqa: S102 - identifiers checked above
        build: Callable[[Any], Any] = names["build"]
        return build


K = TypeVar("K")
R = TypeVar("R")


async def load_each(
    keys: Sequence[K | None],
    load_many: Callable[[list[K]], Awaitable[list[Any]]],
    build: Callable[[Any], R],
) -> list[R | None]:
    """For a batch resolver (``metadata={"batch": ...}``, used by the compiled path): one ``load_many`` of the
    distinct present keys, then a value per key in order (one object per distinct key, shared where a key
    repeats: the objects are read only); None for an empty key or a row not found, as the per-object resolver
    returns."""
    present = list(dict.fromkeys(k for k in keys if k))  # each key once: a list repeats its procedures, agencies
    built: dict[Any, R | None] = {}
    for key, row in zip(present, await load_many(present) if present else [], strict=True):
        built[key] = build(row) if row else None
    return [built[key] if key else None for key in keys]


def local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as Hanoi local time with offset. Naive values (SQLite) are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(HANOI_TZ)


@strawberry.type(description="One item of a paginated list, with the cursor to continue after it.")
class Edge(Generic[NodeT]):
    node: NodeT = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque cursor: pass it as `after` to get the items that follow.")


@strawberry.type(description="A page of a list (Relay connection). Page size is capped at 100.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page sits in the whole list.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The number of items in the whole list (all pages), after filters.")
    async def total_count(self) -> int:
        return await self._count()

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [e.node for e in self.edges]


def connection(page: Page, make: Callable[[Any], NodeT]) -> Connection[NodeT]:
    """A Connection from a datasource page and a row → type function."""
    edges = [Edge(node=make(row), cursor=cur) for row, cur in zip(page.rows, page.cursors, strict=True)]
    info = relay.PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )
    return Connection(edges=edges, page_info=info, _count=page.count)


def ordered(nodes: Sequence[NodeT | None], required: bool) -> list[NodeT | None]:
    """For ``resolve_nodes``: with ``required`` a missing node is an error, otherwise None."""
    if required and any(n is None for n in nodes):
        raise ValueError("One or more nodes were not found")
    return list(nodes)


@strawberry.type(description="An expected failure of a mutation (bad input, a broken rule), for the user to fix.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path to the input field at fault, if any.")
    message: str = strawberry.field(description="What went wrong, in words for the user.")
    code: str = strawberry.field(description="A stable code clients can match, e.g. `INVALID`, `NOT_FOUND`.")


@strawberry.enum(description="Sex as recorded in the population register (giới tính).")
class Sex(Enum):
    MALE = strawberry.enum_value("MALE", description="Nam.")
    FEMALE = strawberry.enum_value("FEMALE", description="Nữ.")
