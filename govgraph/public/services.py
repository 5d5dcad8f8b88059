"""Public services: the procedure catalogue with fees and legal times, and dossier statistics.

Dossier statistics count dossiers, and every dossier was filed by a person: each count is suppressed by the
rules of :mod:`govgraph.public.counts`. Nothing here reaches a dossier, its applicant or a payment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import strawberry

from govgraph.context import Info
from govgraph.datasources import services as ds
from govgraph.public import enums
from govgraph.public.common import AdministrativeUnit, Connection, connection, list_connection, page_size, unit
from govgraph.public.counts import Count, Share, part_hidden, secondary, too_small

MEASURES = ("online", "on_time", "overdue", "resolved")
"""Parts of a cell's received dossiers."""


@strawberry.type(description="One row of the fee table (biểu phí, lệ phí) of a procedure.")
class Fee:
    channel: enums.Channel = strawberry.field(description="How the dossier is submitted for this amount.")
    fee_type: enums.FeeType = strawberry.field(description="Lệ phí or phí.")
    amount: int = strawberry.field(description="Amount in VND per `per` (0 for an exemption).")
    per: enums.FeeBasis = strawberry.field(description="What the amount is charged per.")
    cap: int | None = strawberry.field(description="Maximum VND per case, if any.")
    note: str | None = strawberry.field(description="Conditions of the amount (exemptions, who pays).")
    legal_basis: str = strawberry.field(description="The circular or resolution setting the amount.")
    valid_from: dt.date = strawberry.field(description="First day the amount applies.")
    valid_to: dt.date | None = strawberry.field(description="Last day the amount applies; null while in force.")

    @classmethod
    def from_row(cls, r: Any) -> Fee:
        return cls(
            channel=enums.Channel(r.channel),
            fee_type=enums.FeeType(r.fee_type),
            amount=r.amount,
            per=enums.FeeBasis(r.per),
            cap=r.cap,
            note=r.note,
            legal_basis=r.legal_basis,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )


@strawberry.type(description="An administrative procedure (thủ tục hành chính) of the city's catalogue.")
class Procedure:
    code: str = strawberry.field(description="Catalogue code of the procedure.")
    name: str = strawberry.field(description="Official name (NFC).")
    field: enums.ProcedureField = strawberry.field(description="Field (lĩnh vực).")
    competent_level: enums.CompetentLevel = strawberry.field(description="Level of government that resolves it.")
    competent_authority: str = strawberry.field(description="The body competent to resolve it.")
    online_level: enums.OnlineLevel = strawberry.field(description="Online service level (Decree 42/2022).")
    online_only: bool = strawberry.field(description="True when it is only accepted online.")
    legal_days: int = strawberry.field(description="Legal processing time in `timeUnit`s; 0 means the same day.")
    time_unit: enums.TimeUnit = strawberry.field(description="How the legal processing time is counted.")
    same_day: bool = strawberry.field(
        description="Resolved the same day; a dossier received after 15:00 is resolved the next working day."
    )
    legal_basis: str = strawberry.field(description="The legal documents that set the procedure.")
    fee_note: str | None = strawberry.field(description="How the fee is set when the fee table has no amount.")

    @classmethod
    def from_row(cls, r: Any) -> Procedure:
        return cls(
            code=r.code,
            name=r.name,
            field=enums.ProcedureField(r.field),
            competent_level=enums.CompetentLevel(r.competent_level),
            competent_authority=r.competent_authority,
            online_level=enums.OnlineLevel(r.online_level),
            online_only=r.online_only,
            legal_days=r.legal_days,
            time_unit=enums.TimeUnit(r.time_unit),
            same_day=r.same_day,
            legal_basis=r.legal_basis,
            fee_note=r.fee_note,
        )

    @strawberry.field(description="The fee table of the procedure, by channel and date.")
    async def fees(self, info: Info) -> list[Fee]:
        return [Fee.from_row(r) for r in await info.context.loaders.services.fees_by_procedure.load(self.code)]


@strawberry.enum(description="Dimensions dossier statistics can be grouped by.")
class DossierStatisticsGroup(Enum):
    PROCEDURE = strawberry.enum_value("PROCEDURE", description="One group per procedure.")
    UNIT = strawberry.enum_value(
        "UNIT", description="One group per ward or commune of the receiving agency (null: city-level departments)."
    )
    MONTH = strawberry.enum_value("MONTH", description="One group per month of receipt (Hanoi time).")


@strawberry.input(description="Which dossiers a statistic counts.")
class DossierStatisticsFilter:
    unit_codes: list[str] | None = strawberry.field(
        default=None, description="Only dossiers received by agencies of these wards or communes (2025-07 codes)."
    )
    procedure_code: str | None = strawberry.field(default=None, description="Only dossiers of this procedure.")
    month_from: str | None = strawberry.field(
        default=None, description="Only dossiers received in this month or later, 'YYYY-MM' (Hanoi time)."
    )
    month_to: str | None = strawberry.field(
        default=None, description="Only dossiers received in this month or earlier, 'YYYY-MM' (Hanoi time)."
    )


@strawberry.type(
    description="Dossier (hồ sơ) figures of one group, or of all dossiers matching the filter. Counts of dossiers "
    "are counts of people's filings: 1-4 (or what would reveal 1-4) is suppressed."
)
class DossierFigures:
    month: str | None = strawberry.field(description="Month of receipt 'YYYY-MM', when grouped by month.")
    received: Count = strawberry.field(description="Dossiers received (tiếp nhận).")
    online: Count = strawberry.field(description="Of those, submitted online (trực tuyến).")
    online_share: Share = strawberry.field(description="`online` / `received`.")
    on_time: Count = strawberry.field(description="Of those, resolved on or before their due time (đúng hạn).")
    overdue: Count = strawberry.field(
        description="Of those, overdue (trễ hạn): past due while being processed, or resolved late."
    )
    resolved: Count = strawberry.field(description="Of those, resolved (đã giải quyết, statuses 9 and 10).")
    procedure_code: strawberry.Private[str | None]
    unit_code: strawberry.Private[str | None]

    @strawberry.field(description="The procedure, when grouped by procedure.")
    async def procedure(self, info: Info) -> Procedure | None:
        if self.procedure_code is None:
            return None
        row = await info.context.loaders.services.procedure_by_code.load(self.procedure_code)
        return Procedure.from_row(row) if row else None

    @strawberry.field(description="The ward or commune of the receiving agencies, when grouped by unit.")
    def unit(self) -> AdministrativeUnit | None:
        return unit(self.unit_code)


@dataclass
class _Cell:
    row: Any
    hidden: dict[str, bool]


def _cells(rows: list[Any]) -> list[_Cell]:
    """Rules 1, 2 and 4 over the rows of one answer (the cell totals first, then each part)."""
    received = [int(r.received) for r in rows]
    whole = secondary(received, [too_small(n) for n in received])
    cells = [_Cell(r, {"received": h}) for r, h in zip(rows, whole, strict=True)]
    for m in MEASURES:
        values = [int(getattr(r, m)) for r in rows]
        primary = [part_hidden(v, n, h) for v, n, h in zip(values, received, whole, strict=True)]
        for cell, h in zip(cells, secondary(values, primary), strict=True):
            cell.hidden[m] = h
    return cells


def _figures(cell: _Cell) -> DossierFigures:
    r, h = cell.row, cell.hidden
    received, online = int(r.received), int(r.online)
    return DossierFigures(
        month=r.month,
        received=Count.of(received, h["received"]),
        online=Count.of(online, h["online"]),
        online_share=Share.of(online, received, h["online"] or h["received"]),
        on_time=Count.of(int(r.on_time), h["on_time"]),
        overdue=Count.of(int(r.overdue), h["overdue"]),
        resolved=Count.of(int(r.resolved), h["resolved"]),
        procedure_code=r.procedure_code,
        unit_code=r.unit_code,
    )


@strawberry.type(description="Dossier statistics: the totals of the filter, and the groups asked for.")
class DossierStatistics:
    total: DossierFigures = strawberry.field(description="All dossiers matching the filter together.")
    _groups: strawberry.Private[list[DossierFigures]]

    @strawberry.field(description="One entry per group, ordered by the grouping keys (empty without `groupBy`).")
    def groups(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 50).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[DossierFigures]:
        keyed = [(i, g) for i, g in enumerate(self._groups)]
        return list_connection(keyed, lambda item: [item[0]], page_size(info, first), after, lambda item: item[1])


async def dossier_statistics(
    info: Info, group_by: list[DossierStatisticsGroup], f: DossierStatisticsFilter | None
) -> DossierStatistics:
    f = f or DossierStatisticsFilter()
    flt = ds.StatsFilter(
        unit_codes=tuple(f.unit_codes or ()),
        procedure_code=f.procedure_code,
        month_from=f.month_from,
        month_to=f.month_to,
    )
    for month in (f.month_from, f.month_to):
        if month is not None:
            ds.month_start(month)  # a malformed month is the caller's error, before any statement runs
    store = info.context.stores["services"]
    now = dt.datetime.now(dt.UTC)
    groups = list(dict.fromkeys(g.name for g in group_by))
    total_rows = list(await ds.statistics(store, flt, [], now))
    rows = list(await ds.statistics(store, flt, groups, now)) if groups else []
    total = _figures(_cells(total_rows)[0])
    return DossierStatistics(total=total, _groups=[_figures(c) for c in _cells(rows)])


@strawberry.input(description="Which procedures to list.")
class ProcedureFilter:
    search: str | None = strawberry.field(default=None, description="Words of the name, any accents.")
    field: enums.ProcedureField | None = strawberry.field(default=None, description="Only this field.")
    online_level: enums.OnlineLevel | None = strawberry.field(default=None, description="Only this online level.")
    competent_level: enums.CompetentLevel | None = strawberry.field(
        default=None, description="Only procedures resolved at this level."
    )
    online_only: bool | None = strawberry.field(
        default=None, description="Only procedures accepted online only (true) or also in person (false)."
    )


async def procedure(info: Info, code: str) -> Procedure | None:
    row = await info.context.loaders.services.procedure_by_code.load(code)
    return Procedure.from_row(row) if row else None


async def procedures(
    info: Info, f: ProcedureFilter | None, first: int | None, after: str | None
) -> Connection[Procedure]:
    f = f or ProcedureFilter()
    flt = ds.ProcedureFilter(
        search=f.search,
        online_level=f.online_level.name if f.online_level else None,
        online_only=f.online_only,
        competent_level=f.competent_level.name if f.competent_level else None,
        field=f.field.name if f.field else None,
    )
    page = await ds.procedures_page(info.context.stores["services"], flt, page_size(info, first), after)
    return connection(page, Procedure.from_row)
