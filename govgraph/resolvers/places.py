"""Resolvers for administrative units (in-memory reference data)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govgraph.context import Info
from govgraph.datasources.base import list_page
from govgraph.datasources.places import LEGACY, Structure, gazetteer
from govgraph.schema import common
from govgraph.schema import places as types
from govgraph.schema import population as population_types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def unit(code: str, structure: str) -> types.AdministrativeUnit | None:
    found = gazetteer().get(code, structure)
    return types.AdministrativeUnit.from_unit(found) if found else None


def units(
    search: str | None, structure: str | None, first: int | None, after: str | None
) -> Connection[types.AdministrativeUnit]:
    items = gazetteer().search(search, Structure(structure) if structure else None)
    page = list_page(items, lambda u: [u.structure.value, u.code], first, after)
    return common.connection(page, types.AdministrativeUnit.from_unit)


def district(code: str, structure: str) -> types.AdministrativeUnit | None:
    g = gazetteer()
    found = g.get(code, structure)
    if found is None or found.district_code is None:
        return None
    parent = g.get(found.district_code, LEGACY)
    return types.AdministrativeUnit.from_unit(parent) if parent else None


def wards(code: str, structure: str) -> list[types.AdministrativeUnit]:
    if structure != LEGACY.value:
        return []
    return [types.AdministrativeUnit.from_unit(u) for u in gazetteer().wards_of.get(code, [])]


def conversions(code: str, structure: str) -> list[types.UnitConversion]:
    g = gazetteer()
    links = g.predecessors.get(code, []) if structure == Structure.Y2025_07.value else g.successors.get(code, [])
    return [
        types.UnitConversion(
            legacy=types.AdministrativeUnit.from_unit(link.legacy),
            current=types.AdministrativeUnit.from_unit(link.current),
            split=link.split,
        )
        for link in links
    ]


async def residents(
    info: Info,
    code: str,
    structure: str,
    first: int | None,
    after: str | None,
    order: population_types.CitizenOrder | None = None,
    extra: population_types.CitizenFilterInput | None = None,
) -> Connection[population_types.Citizen]:
    """A unit's permanent residents: the citizens list with the unit fixed (same filters, order and scope)."""
    from govgraph.resolvers import population as population_resolvers

    f = population_types.CitizenFilterInput(**{**(vars(extra) if extra else {}), "unit_code": code,
                                               "unit_structure": structure})  # fmt: skip
    return await population_resolvers.citizens(info, f, order, first, after)
