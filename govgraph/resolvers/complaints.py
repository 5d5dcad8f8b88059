"""Resolvers for the complaints store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govgraph.context import Info
from govgraph.datasources import complaints as ds
from govgraph.datasources.places import gazetteer
from govgraph.domain import complaints as rules
from govgraph.schema import common
from govgraph.schema import complaints as types
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def unit(code: str, structure: str) -> places_types.AdministrativeUnit | None:
    found = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(found) if found else None


async def case_by_code(info: Info, code: str | None) -> types.Case | None:
    if not code:
        return None
    row = await info.context.loaders.complaints.case_by_code.load(code)
    return types.Case.from_row(row) if row else None


async def cases_by_code(info: Info, codes: list[str], required: bool) -> list[types.Case | None]:
    rows = await info.context.loaders.complaints.case_by_code.load_many(codes)
    return common.ordered([types.Case.from_row(r) if r else None for r in rows], required)


async def cases(
    info: Info,
    f: types.CaseFilterInput | None,
    order: types.CaseOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.Case]:
    flt = ds.CaseFilter()
    if f is not None:
        flt = ds.CaseFilter(
            kind=f.kind.name if f.kind else None,
            statuses=tuple(s.name for s in f.status or ()),
            unit_code=f.unit_code,
            unit_structure=f.unit_structure,
            inspector_id=f.inspector_id,
            overdue=f.overdue,
            received_from=f.received_from,
            received_to=f.received_to,
        )
    field = order.field.name if order else "RECEIVED_AT"
    descending = order.descending if order else True
    page = await ds.cases_page(info.context.stores["complaints"], flt, field, descending, first, after)
    return common.connection(page, types.Case.from_row)


def deadlines(case: types.Case) -> types.CaseDeadlines:
    kind = rules.CaseKind(case.kind.name)
    complexity = rules.Complexity(case.complexity.name)
    facts = rules.CaseFacts(
        kind=kind,
        instance=rules.Instance(case.instance.name) if case.instance else None,
        status=rules.CaseStatus(case.status.name),
        complexity=complexity,
        remote_area=case.remote_area,
        extensions=case.extensions,
        received_on=case.received_on,
        accepted_on=case.accepted_on,
    )
    d = rules.deadlines(facts, ds.hanoi_today())
    steps = {
        rules.Phase.INTAKE: types.CaseDeadlineStep.ACCEPTANCE,
        rules.Phase.RESOLUTION: types.CaseDeadlineStep.RESOLUTION,
    }
    return types.CaseDeadlines(
        accept_by=d.accept_by,
        resolve_by=d.resolve_by,
        running=steps[d.pending] if d.pending else None,
        overdue=d.overdue,
        days_left=d.days_left,
        complain_by=rules.complaint_time_limit(case.contested_on)
        if kind is rules.CaseKind.COMPLAINT and case.contested_on
        else None,
        extensions_allowed=rules.max_extensions(complexity) if kind is rules.CaseKind.DENUNCIATION else None,
    )


async def history(info: Info, code: str) -> list[types.CaseEvent]:
    rows = await info.context.loaders.complaints.events_by_case.load(code)
    out = []
    for r in rows:
        out.append(
            types.CaseEvent(
                at=common.local(r.at) or r.at,
                status=types.CaseStatus(r.status),
                actor=types.CaseOfficer(staff_id=r.actor_id, name=r.actor_name),
                note=r.note,
            )
        )
    return out


async def complainants(info: Info, code: str, kind: str) -> list[types.Complainant]:
    if kind != rules.CaseKind.COMPLAINT.name:
        return []
    rows = await info.context.loaders.complaints.complainants_by_case.load(code)
    return [
        types.Complainant(
            lead=r.position == 1, full_name=r.full_name, address=r.address, phone=r.phone, personal_id=r.pid
        )
        for r in rows
    ]


async def citizen(info: Info, pid: str | None) -> population_types.Citizen | None:
    if not pid:
        return None
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def complainant(info: Info, code: str, kind: str) -> population_types.Citizen | None:
    people = await complainants(info, code, kind)
    lead = next((p for p in people if p.lead), None)
    return await citizen(info, lead.personal_id) if lead else None


async def complaints_of(info: Info, pid: str) -> list[types.Case]:
    """Complaints a citizen filed or co-signed (``Citizen.complaints``). Never denunciations."""
    rows = await info.context.loaders.complaints.complaints_by_pid.load(pid)
    return [types.Case.from_row(r) for r in rows]


async def unit_cases(
    info: Info, code: str, structure: str, kind: types.CaseKind | None, first: int | None, after: str | None
) -> Connection[types.Case]:
    """``AdministrativeUnit.cases``: newest first, batched across units (one statement per structure)."""
    size = ds.check_page_size(first)
    loaders = info.context.loaders.complaints
    kind_name = kind.name if kind else None
    rows = await loaders.cases_by_unit(kind_name, size, after).load((code, structure))
    counter = loaders.case_count_by_unit(kind_name)

    async def count() -> int:
        return int(await counter.load((code, structure)) or 0)

    return common.connection(ds.unit_page(rows, size, after, count), types.Case.from_row)


async def case_statistics(info: Info, unit_code: str | None, unit_structure: str | None) -> types.CaseStatistics:
    counts = await ds.case_statistics(info.context.stores["complaints"], unit_code, unit_structure, ds.hanoi_today())
    by_kind: dict[str, types.CaseKindCount] = {}
    for c in counts:
        k = by_kind.setdefault(c.kind, types.CaseKindCount(kind=types.CaseKind(c.kind), count=0, open=0, overdue=0))
        k.count += c.count
        k.overdue += c.overdue
        if rules.CaseStatus(c.status).phase is not rules.Phase.DONE:
            k.open += c.count
    return types.CaseStatistics(
        unit_code=unit_code,
        total=sum(c.count for c in counts),
        overdue=sum(c.overdue for c in counts),
        by_kind=[by_kind[k] for k in sorted(by_kind)],
        by_status=[
            types.CaseStatusCount(
                kind=types.CaseKind(c.kind), status=types.CaseStatus(c.status), count=c.count, overdue=c.overdue
            )
            for c in counts
        ],
    )
