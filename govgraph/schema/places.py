"""Administrative units (đơn vị hành chính): reference data, current and legacy structures."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.datasources.places import Unit, gazetteer
from govgraph.resolvers import places as resolve
from govgraph.schema.common import Connection, ordered

if TYPE_CHECKING:
    from govgraph.schema.complaints import Case, CaseKind
    from govgraph.schema.education import School
    from govgraph.schema.environment import Station
    from govgraph.schema.parking import ParkingFacility
    from govgraph.schema.population import Citizen, CitizenFilterInput, CitizenOrder
    from govgraph.schema.registry import CivilRegistration, RegisterType
    from govgraph.schema.services import Agency, DossierStatistics


@strawberry.enum(description="Which administrative structure a unit code belongs to. A code alone is ambiguous.")
class UnitStructure(Enum):
    Y2025_07 = strawberry.enum_value(
        "Y2025_07", description="Two-tier structure from 1 Jul 2025: 126 wards and communes, no districts."
    )
    Y2025_01 = strawberry.enum_value(
        "Y2025_01", description="Three-tier structure of 1 Jan - 30 Jun 2025: 30 districts, 526 wards."
    )


@strawberry.enum(description="Kind of administrative unit.")
class UnitKind(Enum):
    PHUONG = strawberry.enum_value("PHUONG", description="Phường (urban ward).")
    XA = strawberry.enum_value("XA", description="Xã (rural commune).")
    THI_TRAN = strawberry.enum_value("THI_TRAN", description="Thị trấn (township; legacy structure only).")
    QUAN = strawberry.enum_value("QUAN", description="Quận (urban district; legacy structure only).")
    HUYEN = strawberry.enum_value("HUYEN", description="Huyện (rural district; legacy structure only).")
    THI_XA = strawberry.enum_value("THI_XA", description="Thị xã (town; legacy structure only).")


@strawberry.type(description="A legacy ward that became (part of) a current unit on 1 Jul 2025.")
class UnitConversion:
    legacy: AdministrativeUnit = strawberry.field(description="The ward in the 2025-01 structure.")
    current: AdministrativeUnit = strawberry.field(description="The unit in the 2025-07 structure.")
    split: bool = strawberry.field(
        description="True when the legacy ward was divided among several current units (partial merge), "
        "so its code alone does not say which current unit an old address is in."
    )


@strawberry.type(description="An administrative unit of Hanoi: a ward or commune, or (legacy only) a district.")
class AdministrativeUnit(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="National code: 5 digits for wards and communes, 3 for districts.")
    structure: UnitStructure = strawberry.field(description="The structure the code belongs to.")
    name: str = strawberry.field(description="Official name with its kind, e.g. 'Phường Ba Đình'.")
    kind: UnitKind = strawberry.field(description="Phường, xã, thị trấn, quận, huyện or thị xã.")

    @classmethod
    def from_unit(cls, u: Unit) -> AdministrativeUnit:
        return cls(
            key=f"{u.structure.value}:{u.code}",
            code=u.code,
            structure=UnitStructure(u.structure.value),
            name=u.name,
            kind=UnitKind(u.kind),
        )

    @classmethod
    def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[AdministrativeUnit | None]:
        g = gazetteer()
        found = []
        for nid in node_ids:
            structure, _, code = nid.partition(":")
            unit = g.units.get((structure, code))
            found.append(cls.from_unit(unit) if unit else None)
        return ordered(found, required)

    # Federation (GOVGRAPH_FEDERATION=1, @key "code structure"): reference data, like `administrativeUnit`.
    @classmethod
    def resolve_reference(cls, **key: str) -> AdministrativeUnit | None:
        return resolve.unit(str(key["code"]), str(key["structure"]))

    @strawberry.field(description="The district a legacy ward belonged to (null for current units and districts).")
    def district(self) -> AdministrativeUnit | None:
        return resolve.district(self.code, self.structure.name)

    @strawberry.field(description="Wards and communes of a legacy district (empty for wards).")
    def wards(self) -> list[AdministrativeUnit]:
        return resolve.wards(self.code, self.structure.name)

    @strawberry.field(
        description="For a current unit: the legacy wards it was formed from. For a legacy ward: the current "
        "units it became part of. This is how records kept in old units are found from new ones."
    )
    def conversions(self) -> list[UnitConversion]:
        return resolve.conversions(self.code, self.structure.name)

    @strawberry.field(description="Permanent residents of this ward or commune (population store).")
    async def residents(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
        order_by: Annotated[
            Annotated[CitizenOrder, strawberry.lazy("govgraph.schema.population")] | None,
            strawberry.argument(description="Ordering (default: by personal ID)."),
        ] = None,
        filter: Annotated[
            Annotated[CitizenFilterInput, strawberry.lazy("govgraph.schema.population")] | None,
            strawberry.argument(description="More filters (name, sex, birth dates); the unit is this one."),
        ] = None,
    ) -> Connection[Annotated[Citizen, strawberry.lazy("govgraph.schema.population")]] | None:
        return await resolve.residents(info, self.code, self.structure.name, first, after, order_by, filter)

    @strawberry.field(
        description="Civil registrations kept in this unit, newest first (registry store). For a current unit this "
        "includes those registered in the legacy wards it was formed from."
    )
    async def civil_registrations(
        self,
        info: Info,
        type: Annotated[
            Annotated[RegisterType, strawberry.lazy("govgraph.schema.registry")] | None,
            strawberry.argument(description="Only this kind of event."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Annotated[CivilRegistration, strawberry.lazy("govgraph.schema.registry")]] | None:
        from govgraph.resolvers import registry as r

        return await r.unit_registrations(info, self.code, self.structure.name, type, first, after)

    @strawberry.field(description="Monitoring stations in this ward or commune, by code (environment store).")
    async def stations(
        self, info: Info
    ) -> list[Annotated[Station, strawberry.lazy("govgraph.schema.environment")]] | None:
        from govgraph.resolvers import environment as r

        return await r.unit_stations(info, self.code, self.structure.name)

    @strawberry.field(description="Complaints and denunciations handled in this unit, newest first (complaints store).")
    async def cases(
        self,
        info: Info,
        kind: Annotated[
            Annotated[CaseKind, strawberry.lazy("govgraph.schema.complaints")] | None,
            strawberry.argument(description="Only complaints or only denunciations."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Annotated[Case, strawberry.lazy("govgraph.schema.complaints")]] | None:
        from govgraph.resolvers import complaints as r

        return await r.unit_cases(info, self.code, self.structure.name, kind, first, after)

    @strawberry.field(description="Schools in this ward or commune, by level and name (education store).")
    async def schools(self, info: Info) -> list[Annotated[School, strawberry.lazy("govgraph.schema.education")]] | None:
        from govgraph.resolvers import education as r

        return await r.unit_schools(info, self.code, self.structure.name)

    @strawberry.field(description="Agencies of this ward or commune: its People's Committee (services store).")
    async def agencies(self, info: Info) -> list[Annotated[Agency, strawberry.lazy("govgraph.schema.services")]] | None:
        from govgraph.resolvers import services as r

        return await r.unit_agencies(info, self.code, self.structure.name)

    @strawberry.field(description="Dossiers handled by this ward's agencies: received, online, on time, overdue.")
    async def dossier_statistics(
        self,
        info: Info,
        month_from: Annotated[str | None, strawberry.argument(description="First month, 'YYYY-MM'.")] = None,
        month_to: Annotated[str | None, strawberry.argument(description="Last month, 'YYYY-MM'.")] = None,
    ) -> Annotated[DossierStatistics, strawberry.lazy("govgraph.schema.services")] | None:
        from govgraph.resolvers import services as r

        return await r.unit_statistics(info, self.code, self.structure.name, month_from, month_to)

    @strawberry.field(description="Parking facilities in this ward or commune, by kind and code (parking store).")
    async def parking_facilities(
        self, info: Info
    ) -> list[Annotated[ParkingFacility, strawberry.lazy("govgraph.schema.parking")]] | None:
        from govgraph.resolvers import parking as r

        return await r.unit_facilities(info, self.code, self.structure.name)


@strawberry.type(description="Administrative units.")
class PlacesQuery:
    @strawberry.field(description="One unit by code; the current (2025-07) structure unless another is given.")
    def administrative_unit(
        self,
        code: Annotated[str, strawberry.argument(description="The unit's national code.")],
        structure: Annotated[
            UnitStructure, strawberry.argument(description="Structure the code belongs to.")
        ] = UnitStructure.Y2025_07,
    ) -> AdministrativeUnit | None:
        return resolve.unit(code, structure.name)

    @strawberry.field(
        description="Units by name (diacritic-insensitive: 'ba dinh' finds 'Phường Ba Đình'), ordered by code."
    )
    def administrative_units(
        self,
        search: Annotated[str | None, strawberry.argument(description="Words of the name, any accents.")] = None,
        structure: Annotated[
            UnitStructure | None, strawberry.argument(description="Only this structure (default: both).")
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[AdministrativeUnit]:
        return resolve.units(search, structure.name if structure else None, first, after)
