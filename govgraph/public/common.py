"""Building blocks of the public schema: pages (Relay connections with a smaller cap), administrative units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.datasources.base import DEFAULT_PAGE, MAX_PAGE, Page, PageError, list_page
from govgraph.datasources.places import Unit, gazetteer
from govgraph.public import enums

T = TypeVar("T")

HANOI_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")


def local(value: dt.datetime) -> dt.datetime:
    """A stored time as Hanoi local time with offset. Naive values (SQLite) are UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(HANOI_TZ)


def page_size(info: Info, first: int | None) -> int:
    """``first`` checked against the public cap (GOVGRAPH_PUBLIC_MAX_PAGE, never above the stores' own cap)."""
    cap = min(info.context.settings.public_max_page, MAX_PAGE)
    size = min(DEFAULT_PAGE, cap) if first is None else first
    if size < 0 or size > cap:
        raise PageError(f"`first` must be between 0 and {cap}, got {size}")
    return size


@strawberry.type(description="One item of a list page, with the cursor to continue after it.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque cursor: pass it as `after` to get the items that follow.")


@strawberry.type(description="A page of a list (Relay connection). Public pages hold at most 50 items by default.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page sits in the whole list.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The number of items in the whole list (all pages).")
    async def total_count(self) -> int:
        return await self._count()

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def connection(page: Page, make: Callable[[Any], T]) -> Connection[T]:
    edges = [Edge(node=make(row), cursor=cur) for row, cur in zip(page.rows, page.cursors, strict=True)]
    info = relay.PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )
    return Connection(edges=edges, page_info=info, _count=page.count)


def list_connection(
    items: Sequence[Any], key: Callable[[Any], Sequence[Any]], first: int, after: str | None, make: Callable[[Any], T]
) -> Connection[T]:
    """A connection over an in-memory list already sorted by ``key``."""
    return connection(list_page(items, key, first, after), make)


@strawberry.type(description="An administrative unit of Hanoi: a ward or commune, or (legacy only) a district.")
class AdministrativeUnit:
    code: str = strawberry.field(description="National code: 5 digits for wards and communes, 3 for districts.")
    structure: enums.UnitStructure = strawberry.field(description="The structure the code belongs to.")
    name: str = strawberry.field(description="Official name with its kind, e.g. 'Phường Ba Đình'.")
    kind: enums.UnitKind = strawberry.field(description="Phường, xã, thị trấn, quận, huyện or thị xã.")
    district_code: strawberry.Private[str | None]

    @classmethod
    def from_unit(cls, u: Unit) -> AdministrativeUnit:
        return cls(
            code=u.code,
            structure=enums.UnitStructure(u.structure.value),
            name=u.name,
            kind=enums.UnitKind(u.kind),
            district_code=u.district_code,
        )

    @strawberry.field(description="The district a legacy ward belonged to (null for current units and districts).")
    def district(self) -> AdministrativeUnit | None:
        if self.district_code is None:
            return None
        return unit(self.district_code, enums.UnitStructure.Y2025_01.name)

    @strawberry.field(
        description="For a current unit: the legacy wards it was formed from. For a legacy ward: the current "
        "units it became part of (how figures kept under old units compare with new ones)."
    )
    def conversions(self) -> list[AdministrativeUnit]:
        g = gazetteer()
        if self.structure is enums.UnitStructure.Y2025_07:
            return [AdministrativeUnit.from_unit(link.legacy) for link in g.predecessors.get(self.code, [])]
        return [AdministrativeUnit.from_unit(link.current) for link in g.successors.get(self.code, [])]


def unit(code: str | None, structure: str | None = enums.UnitStructure.Y2025_07.name) -> AdministrativeUnit | None:
    if not code or not structure:
        return None
    found = gazetteer().get(code, structure)
    return AdministrativeUnit.from_unit(found) if found else None
