"""The public schema served at ``/public/graphql``: anonymous, read-only, built from public types only.

Its types are its own (never the full schema's classes), and none of them has a field that reaches a person:
personal data does not exist here, it is not merely nulled. Statistics that count people suppress small counts
(:mod:`govgraph.public.counts`). The schema has a Query root and nothing else: no Mutation, no Subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from govgraph.config import Settings
from govgraph.context import Info
from govgraph.datasources.base import list_page
from govgraph.datasources.places import Structure, gazetteer
from govgraph.public import complaints, education, enums, environment, parking, services
from govgraph.public.common import AdministrativeUnit, Connection, connection, page_size, unit
from govgraph.schema.extensions import ErrorCodes

First = Annotated[int | None, strawberry.argument(description="Page size (at most 50 unless configured lower).")]
After = Annotated[str | None, strawberry.argument(description="Cursor to continue after.")]
Code = Annotated[str, strawberry.argument(description="The code.")]


@strawberry.type(
    description="Hanoi's open data: administrative units, the procedure catalogue, statistics of public services, "
    "complaints and schools with small counts suppressed, parking availability and environmental monitoring. "
    "Anonymous and read-only."
)
class Query:
    @strawberry.field(description="One administrative unit by code; the current (2025-07) structure by default.")
    def administrative_unit(
        self,
        code: Annotated[str, strawberry.argument(description="The unit's national code.")],
        structure: Annotated[
            enums.UnitStructure, strawberry.argument(description="Structure the code belongs to.")
        ] = enums.UnitStructure.Y2025_07,
    ) -> AdministrativeUnit | None:
        return unit(code, structure.name)

    @strawberry.field(
        description="Administrative units by name (diacritic-insensitive), ordered by structure and code."
    )
    def administrative_units(
        self,
        info: Info,
        search: Annotated[str | None, strawberry.argument(description="Words of the name, any accents.")] = None,
        structure: Annotated[
            enums.UnitStructure | None, strawberry.argument(description="Only this structure (default: both).")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[AdministrativeUnit]:
        items = gazetteer().search(search, Structure(structure.name) if structure else None)
        page = list_page(items, lambda u: [u.structure.value, u.code], page_size(info, first), after)
        return connection(page, AdministrativeUnit.from_unit)

    @strawberry.field(description="One procedure of the catalogue by its code.")
    async def procedure(self, info: Info, code: Code) -> services.Procedure | None:
        return await services.procedure(info, code)

    @strawberry.field(description="The procedure catalogue (thủ tục hành chính), by code.")
    async def procedures(
        self,
        info: Info,
        filter: Annotated[services.ProcedureFilter | None, strawberry.argument(description="Which procedures.")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[services.Procedure]:
        return await services.procedures(info, filter, first, after)

    @strawberry.field(
        description="Dossier statistics (received, online and its share, on time, overdue, resolved), by procedure, "
        "unit and month. Counts of 1-4 are suppressed."
    )
    async def dossier_statistics(
        self,
        info: Info,
        group_by: Annotated[
            list[services.DossierStatisticsGroup] | None,
            strawberry.argument(description="Dimensions to group by (none: totals only)."),
        ] = None,
        filter: Annotated[
            services.DossierStatisticsFilter | None, strawberry.argument(description="Which dossiers to count.")
        ] = None,
    ) -> services.DossierStatistics:
        return await services.dossier_statistics(info, list(group_by or []), filter)

    @strawberry.field(
        description="Complaint (khiếu nại) and denunciation (tố cáo) counts by kind, status and unit, with how many "
        "are overdue. Counts of 1-4 are suppressed."
    )
    async def case_statistics(
        self,
        info: Info,
        group_by: Annotated[
            list[complaints.CaseStatisticsGroup] | None,
            strawberry.argument(description="Dimensions to group by (none: totals only)."),
        ] = None,
        filter: Annotated[
            complaints.CaseStatisticsFilter | None, strawberry.argument(description="Which cases to count.")
        ] = None,
    ) -> complaints.CaseStatistics:
        return await complaints.case_statistics(info, list(group_by or []), filter)

    @strawberry.field(description="One school by its code (mã trường).")
    async def school(self, info: Info, code: Code) -> education.School | None:
        return await education.school(info, code)

    @strawberry.field(description="Schools of Hanoi, by code.")
    async def schools(
        self,
        info: Info,
        filter: Annotated[education.SchoolFilter | None, strawberry.argument(description="Which schools.")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[education.School]:
        return await education.schools(info, filter, first, after)

    @strawberry.field(
        description="Statistics of one school, or of the schools of a ward or commune (optionally of one level), "
        "in a school year: students, classes, year averages and learning results. Counts of 1-4 are suppressed. "
        "Give either `schoolCode` or `unitCode`; null for an unknown code."
    )
    async def school_statistics(
        self,
        info: Info,
        school_year: Annotated[str, strawberry.argument(description="School year, e.g. '2025-2026'.")],
        school_code: Annotated[
            str | None, strawberry.argument(description="The school (mã trường); not with `unitCode`.")
        ] = None,
        unit_code: Annotated[
            str | None,
            strawberry.argument(
                description="All schools in this ward or commune (2025-07 code); not with `schoolCode`."
            ),
        ] = None,
        level: Annotated[
            education.SchoolLevel | None,
            strawberry.argument(description="With `unitCode`: only the unit's schools of this level."),
        ] = None,
    ) -> education.SchoolStatistics | None:
        return await education.school_statistics(info, school_code, unit_code, school_year, level)

    @strawberry.field(description="One monitoring station by code.")
    async def station(self, info: Info, code: Code) -> environment.Station | None:
        return await environment.station(info, code)

    @strawberry.field(description="Monitoring stations and sensor points, by code.")
    async def stations(
        self,
        info: Info,
        filter: Annotated[environment.StationFilter | None, strawberry.argument(description="Which stations.")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[environment.Station]:
        return await environment.stations(info, filter, first, after)

    @strawberry.field(description="The city's air quality now: every air station's latest hourly AQI.")
    async def air_quality_now(self, info: Info) -> environment.CityAirQuality:
        return await environment.air_quality_now(info)

    @strawberry.field(description="Flood points (điểm úng ngập) with a depth sensor, by code.")
    async def flood_points(
        self,
        info: Info,
        active: Annotated[
            bool | None, strawberry.argument(description="Only those under water now (true) or dry (false).")
        ] = None,
    ) -> list[environment.Station]:
        return await environment.flood_points(info, active)

    @strawberry.field(description="One parking facility by code.")
    async def parking_facility(self, info: Info, code: Code) -> parking.ParkingFacility | None:
        return await parking.facility(info, code)

    @strawberry.field(description="Parking facilities with live availability, by code.")
    async def parking_facilities(
        self,
        info: Info,
        filter: Annotated[
            parking.ParkingFacilityFilter | None, strawberry.argument(description="Which facilities.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[parking.ParkingFacility]:
        return await parking.facilities(info, filter, first, after)

    @strawberry.field(description="Parking spaces right now per kind of facility, city-wide or in one unit.")
    async def parking_availability(
        self,
        info: Info,
        unit_code: Annotated[
            str | None, strawberry.argument(description="Only this ward or commune (2025-07 code).")
        ] = None,
    ) -> list[parking.KindAvailability]:
        return await parking.availability(info, unit_code)


@dataclass(frozen=True)
class Limits:
    """Validation limits of the public schema (GOVGRAPH_PUBLIC_MAX_DEPTH, _MAX_ALIASES, _MAX_TOKENS)."""

    max_depth: int = 8
    max_aliases: int = 10
    max_tokens: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.public_max_depth, settings.public_max_aliases, settings.public_max_tokens)


@cache
def build_public_schema(limits: Limits = Limits()) -> strawberry.Schema:
    """The public schema: a Query root only, with stricter validation limits; built once per set of limits."""
    return strawberry.Schema(
        query=Query,
        extensions=[
            # factories: a fresh extension per request
            lambda: QueryDepthLimiter(max_depth=limits.max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
            lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
            ErrorCodes,
        ],
    )


def public_sdl() -> str:
    """The public schema's SDL, as committed in ``public.graphql``."""
    return build_public_schema().as_str() + "\n"


__all__ = ["Limits", "build_public_schema", "public_sdl"]
