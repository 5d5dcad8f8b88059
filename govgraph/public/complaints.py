"""Public complaint (khiếu nại) and denunciation (tố cáo) statistics: counts by kind, status and unit.

Every case was filed by a person, so every count is suppressed by the rules of :mod:`govgraph.public.counts`.
Nothing here reaches a case, its subject, a complainant or a (sealed) denouncer. The one statement below reads
the ``cases`` table of the complaints store, grouped, and never selects a column that names anyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any

import strawberry
from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.sql import ColumnElement

from govgraph.context import Info
from govgraph.datasources import complaints as ds
from govgraph.datasources.base import Store
from govgraph.datasources.services import month_end, month_start
from govgraph.public import enums
from govgraph.public.common import AdministrativeUnit, Connection, list_connection, page_size, unit
from govgraph.public.counts import Count, part_hidden, secondary, too_small


@strawberry.enum(description="Dimensions case statistics can be grouped by.")
class CaseStatisticsGroup(Enum):
    KIND = strawberry.enum_value("KIND", description="Complaints and denunciations apart.")
    STATUS = strawberry.enum_value("STATUS", description="One group per status.")
    UNIT = strawberry.enum_value("UNIT", description="One group per ward or commune handling the cases.")


GROUP_COLUMNS = {"KIND": ("kind",), "STATUS": ("status",), "UNIT": ("unit_code", "unit_structure")}


@strawberry.input(description="Which cases a statistic counts.")
class CaseStatisticsFilter:
    kind: enums.CaseKind | None = strawberry.field(default=None, description="Only complaints or denunciations.")
    unit_codes: list[str] | None = strawberry.field(
        default=None, description="Only cases handled in these units (codes of `unitStructure`)."
    )
    unit_structure: enums.UnitStructure = strawberry.field(
        default=enums.UnitStructure.Y2025_07,
        description="Structure of `unitCodes`: cases filed before 1 Jul 2025 keep their 2025-01 unit.",
    )
    month_from: str | None = strawberry.field(
        default=None, description="Only cases received in this month or later, 'YYYY-MM' (Hanoi time)."
    )
    month_to: str | None = strawberry.field(
        default=None, description="Only cases received in this month or earlier, 'YYYY-MM' (Hanoi time)."
    )


async def case_counts(store: Store, group_by: Sequence[str], f: CaseStatisticsFilter, today: dt.date) -> list[Any]:
    """Cases and overdue cases per group (kind, status, unit_code; null when not grouped by it): one statement."""
    c = ds.cases.c
    chosen = {name for g in group_by for name in GROUP_COLUMNS[g]}
    keys: dict[str, ColumnElement[Any]] = {
        "kind": c.kind,
        "status": c.status,
        "unit_code": c.unit_code,
        "unit_structure": c.unit_structure,
    }
    cols = [(col if name in chosen else cast(literal(None), String)).label(name) for name, col in keys.items()]
    overdue = func.coalesce(func.sum(case((ds.overdue_clause(today), 1), else_=0)), 0)
    stmt = select(*cols, func.count().label("cases"), overdue.label("overdue"))
    if f.kind:
        stmt = stmt.where(c.kind == f.kind.name)
    if f.unit_codes:
        stmt = stmt.where(c.unit_code.in_(f.unit_codes), c.unit_structure == f.unit_structure.name)
    if f.month_from:
        stmt = stmt.where(c.received_at >= month_start(f.month_from))
    if f.month_to:
        stmt = stmt.where(c.received_at < month_end(f.month_to))
    grouped = [keys[name] for name in keys if name in chosen]
    if grouped:
        stmt = stmt.group_by(*grouped).order_by(*grouped)
    return list(await store.all(stmt))


@strawberry.type(
    description="Case figures of one group, or of all cases matching the filter. Each case was filed by a "
    "person: 1-4 (or what would reveal 1-4) is suppressed."
)
class CaseFigures:
    kind: enums.CaseKind | None = strawberry.field(description="Complaint or denunciation, when grouped by kind.")
    status: enums.CaseStatus | None = strawberry.field(description="The status, when grouped by status.")
    cases: Count = strawberry.field(description="Cases (đơn khiếu nại, tố cáo) received.")
    overdue: Count = strawberry.field(description="Of those, past their running legal deadline today (quá hạn).")
    unit_code: strawberry.Private[str | None]
    unit_structure: strawberry.Private[str | None]

    @strawberry.field(
        description="The ward or commune handling the cases, when grouped by unit (older cases keep the unit of "
        "the 2025-01 structure they were filed in)."
    )
    def unit(self) -> AdministrativeUnit | None:
        return unit(self.unit_code, self.unit_structure)


def _figures(rows: list[Any]) -> list[CaseFigures]:
    counts = [int(r.cases) for r in rows]
    whole = secondary(counts, [too_small(n) for n in counts])
    late = [int(r.overdue) for r in rows]
    late_hidden = secondary(late, [part_hidden(v, n, h) for v, n, h in zip(late, counts, whole, strict=True)])
    return [
        CaseFigures(
            kind=enums.CaseKind(r.kind) if r.kind else None,
            status=enums.CaseStatus(r.status) if r.status else None,
            cases=Count.of(n, h),
            overdue=Count.of(v, lh),
            unit_code=r.unit_code,
            unit_structure=r.unit_structure,
        )
        for r, n, h, v, lh in zip(rows, counts, whole, late, late_hidden, strict=True)
    ]


@strawberry.type(description="Complaint and denunciation statistics: the totals of the filter, and the groups.")
class CaseStatistics:
    total: CaseFigures = strawberry.field(description="All cases matching the filter together.")
    _groups: strawberry.Private[list[CaseFigures]]

    @strawberry.field(description="One entry per group, ordered by the grouping keys (empty without `groupBy`).")
    def groups(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 50).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[CaseFigures]:
        keyed = list(enumerate(self._groups))
        return list_connection(keyed, lambda item: [item[0]], page_size(info, first), after, lambda item: item[1])


async def case_statistics(
    info: Info, group_by: list[CaseStatisticsGroup], f: CaseStatisticsFilter | None
) -> CaseStatistics:
    f = f or CaseStatisticsFilter()
    for month in (f.month_from, f.month_to):
        if month is not None:
            month_start(month)  # a malformed month is the caller's error
    store = info.context.stores["complaints"]
    today = ds.hanoi_today()
    groups = list(dict.fromkeys(g.name for g in group_by))
    total = _figures(await case_counts(store, [], f, today))[0]
    rows = await case_counts(store, groups, f, today) if groups else []
    return CaseStatistics(total=total, _groups=_figures(rows))
