"""Resolvers for the education store: loaders and pages in, schema types out; results via domain.education."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row
from strawberry import relay

from govgraph.context import Info
from govgraph.datasources import education as ds
from govgraph.datasources.places import gazetteer
from govgraph.domain import education as rules
from govgraph.domain.identity import InvalidPersonalId, parse_personal_id
from govgraph.schema import common
from govgraph.schema import education as types
from govgraph.schema import places as places_types
from govgraph.schema import population as population_types

if TYPE_CHECKING:
    from govgraph.schema.common import Connection


def _store(info: Info) -> Any:
    return info.context.stores["education"]


def unit(code: str, structure: str) -> places_types.AdministrativeUnit | None:
    found = gazetteer().get(code, structure)
    return places_types.AdministrativeUnit.from_unit(found) if found else None


def _school_year(value: str | None) -> str | None:
    if value is not None:
        rules.school_year_start(value)  # raises ValueError (BAD_USER_INPUT) on a malformed year
    return value


# ---------------------------------------------------------------------------------------------------------
# Schools and classes
# ---------------------------------------------------------------------------------------------------------


async def school(info: Info, code: str) -> types.School | None:
    row = await info.context.loaders.education.school_by_code.load(code)
    return types.School.from_row(row) if row else None


async def schools_by_code(info: Info, codes: list[str], required: bool) -> list[types.School | None]:
    rows = await info.context.loaders.education.school_by_code.load_many(codes)
    return common.ordered([types.School.from_row(r) if r else None for r in rows], required)


async def schools(
    info: Info,
    f: types.SchoolFilterInput | None,
    order: types.SchoolOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.School]:
    flt = ds.SchoolFilter()
    if f is not None:
        flt = ds.SchoolFilter(
            unit_code=f.unit_code,
            unit_structure=f.unit_structure,
            level=f.level.name if f.level else None,
            search=f.search,
        )
    field = order.field.name if order else "CODE"
    page = await ds.schools_page(_store(info), flt, field, order.descending if order else False, first, after)
    return common.connection(page, types.School.from_row)


async def unit_schools(info: Info, code: str, structure: str) -> list[types.School]:
    rows = await info.context.loaders.education.schools_by_unit.load((code, structure))
    return [types.School.from_row(r) for r in rows]


async def school_classes(info: Info, code: str, school_year: str) -> list[types.SchoolClass]:
    _school_year(school_year)
    rows = await info.context.loaders.education.classes_by_school(school_year).load(code)
    return [types.SchoolClass.from_row(r) for r in rows]


async def school_class(info: Info, class_id: int) -> types.SchoolClass | None:
    row = await info.context.loaders.education.class_by_id.load(class_id)
    return types.SchoolClass.from_row(row) if row else None


async def classes_by_id(info: Info, ids: list[str], required: bool) -> list[types.SchoolClass | None]:
    keys = [int(i) if i.isdigit() else -1 for i in ids]
    rows = await info.context.loaders.education.class_by_id.load_many(keys)
    return common.ordered([types.SchoolClass.from_row(r) if r else None for r in rows], required)


async def subjects(info: Info, codes: list[str]) -> list[types.Subject]:
    rows = await info.context.loaders.education.subject_by_code.load_many(codes)
    return [types.Subject.from_row(r) for r in rows if r is not None]


# ---------------------------------------------------------------------------------------------------------
# Students
# ---------------------------------------------------------------------------------------------------------


def _class_id(value: relay.GlobalID | None) -> int | None:
    if value is None:
        return None
    if value.type_name != "SchoolClass" or not value.node_id.isdigit():
        raise ValueError(f"classId {value} is not the id of a SchoolClass")
    return int(value.node_id)


async def students(
    info: Info,
    f: types.StudentFilterInput | None,
    order: types.StudentOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.Student]:
    flt = ds.StudentFilter()
    if f is not None:
        flt = ds.StudentFilter(
            school_code=f.school_code,
            class_id=_class_id(f.class_id),
            grade=f.grade,
            school_year=_school_year(f.school_year),
            search=f.search,
        )
    field = order.field.name if order else "PERSONAL_ID"
    page = await ds.students_page(_store(info), flt, field, order.descending if order else False, first, after)
    return common.connection(page, types.Student.from_row)


async def class_students(info: Info, class_id: int, first: int | None, after: str | None) -> Connection[types.Student]:
    page = await ds.students_page(_store(info), ds.StudentFilter(class_id=class_id), "NAME", False, first, after)
    return common.connection(page, types.Student.from_row)


async def student(info: Info, personal_id: str, school_year: str | None) -> types.Student | None:
    try:
        parse_personal_id(personal_id)
    except InvalidPersonalId as exc:
        raise ValueError(f"personalId {personal_id!r} is not valid: {exc}") from exc
    _school_year(school_year)
    records = await info.context.loaders.education.records_by_pid.load(personal_id)
    for r in records:  # newest first
        if school_year is None or r.school_year == school_year:
            return types.Student.from_row(r)
    return None


async def students_by_key(info: Info, keys: list[str], required: bool) -> list[types.Student | None]:
    pids = [k.partition(":")[0] for k in keys]
    found = await info.context.loaders.education.records_by_pid.load_many(pids)
    out: list[types.Student | None] = []
    for key, records in zip(keys, found, strict=True):
        year = key.partition(":")[2]
        row = next((r for r in records if r.school_year == year), None)
        out.append(types.Student.from_row(row) if row else None)
    return common.ordered(out, required)


async def school_records(info: Info, pid: str) -> list[types.Student]:
    """A citizen's own student records, newest school year first."""
    rows = await info.context.loaders.education.records_by_pid.load(pid)
    return [types.Student.from_row(r) for r in rows]


async def citizen(info: Info, pid: str) -> population_types.Citizen | None:
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def guardians(info: Info, pid: str) -> list[types.Guardian]:
    rows = await info.context.loaders.education.guardians_by_pid.load(pid)
    return [
        types.Guardian(
            relation=types.GuardianRelation(r.relation),
            personal_id=r.guardian_pid,
            full_name=r.full_name,
            phone=r.phone,
        )
        for r in rows
    ]


# ---------------------------------------------------------------------------------------------------------
# Grade book: entries loaded in one statement per school year, results computed in Python
# ---------------------------------------------------------------------------------------------------------


async def _grade_in(info: Info, s: types.Student, school_year: str) -> int | None:
    if school_year == s.school_year:
        return s.grade
    records = await info.context.loaders.education.records_by_pid.load(s.personal_id)
    return next((r.grade for r in records if r.school_year == school_year), None)


async def _year_book(info: Info, s: types.Student, school_year: str) -> tuple[list[Row[Any]], dict[str, Row[Any]]]:
    """The student's entries of a school year and the subjects of their grade (by code, in record order)."""
    _school_year(school_year)
    loaders = info.context.loaders.education
    entries = await loaders.entries_by_pid(school_year).load(s.personal_id)
    grade = await _grade_in(info, s, school_year)
    if not entries or grade is None:
        return entries, {}
    curriculum = await loaders.curriculum_by_programme.load(ds.PROGRAMME) or {}
    return entries, {r.code: r for r in curriculum.get(grade, [])}


def _score(tenths: int | None) -> Decimal | None:
    return None if tenths is None else Decimal(tenths) / 10


async def grades(info: Info, s: types.Student, school_year: str, semester: int | None) -> list[types.GradeEntry]:
    entries, subjects_of = await _year_book(info, s, school_year)
    missing = sorted({e.subject_code for e in entries} - set(subjects_of))
    if missing:  # a subject outside the grade's curriculum (e.g. a transfer): look it up by code
        extra = await info.context.loaders.education.subject_by_code.load_many(missing)
        subjects_of = {**subjects_of, **{r.code: r for r in extra if r is not None}}
    order = {code: i for i, code in enumerate(subjects_of)}
    picked = [e for e in entries if (semester is None or e.semester == semester) and e.subject_code in subjects_of]
    picked.sort(key=lambda e: (e.semester, order.get(e.subject_code, len(order)), e.subject_code,
                               ("REGULAR", "MIDTERM", "FINAL").index(e.kind), e.seq))  # fmt: skip
    out = []
    for e in picked:
        score = _score(e.score_tenths)
        out.append(
            types.GradeEntry(
                subject=types.Subject.from_row(subjects_of[e.subject_code]),
                semester=e.semester,
                kind=types.GradeKind(e.kind),
                seq=e.seq,
                score=float(score) if score is not None else None,
                rating=types.CommentRating(e.rating) if e.rating else None,
                entered_by=e.entered_by,
                entered_at_raw=e.entered_at,
            )
        )
    return out


def _results(entries: list[Row[Any]], subjects_of: dict[str, Row[Any]]) -> list[rules.SubjectResult]:
    subject_rules = {code: rules.SubjectRule(rules.Mode(r.mode), r.periods_per_year) for code, r in subjects_of.items()}
    book = [
        rules.Entry(
            subject=e.subject_code,
            semester=e.semester,
            kind=rules.Kind(e.kind),
            seq=e.seq,
            score=_score(e.score_tenths),
            passed=None if e.rating is None else e.rating == "PASS",
        )
        for e in entries
    ]
    return rules.subject_results(book, subject_rules)


def _avg(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _passed(value: bool | None) -> types.CommentRating | None:
    if value is None:
        return None
    return types.CommentRating.PASS if value else types.CommentRating.FAIL


async def subject_results(info: Info, s: types.Student, school_year: str) -> list[types.SubjectResult]:
    entries, subjects_of = await _year_book(info, s, school_year)
    return [
        types.SubjectResult(
            subject=types.Subject.from_row(subjects_of[r.subject]),
            regular_assessments_required=r.regular_required,
            semester1_average=_avg(r.semester_averages.get(1)),
            semester2_average=_avg(r.semester_averages.get(2)),
            year_average=_avg(r.year_average),
            semester1_result=_passed(r.semester_passed.get(1)),
            semester2_result=_passed(r.semester_passed.get(2)),
            year_result=_passed(r.year_passed),
        )
        for r in _results(entries, subjects_of)
    ]


async def rating(info: Info, s: types.Student, school_year: str, semester: int | None) -> types.LearningRating | None:
    if semester not in (None, 1, 2):
        raise ValueError(f"semester must be 1 or 2, got {semester}")
    entries, subjects_of = await _year_book(info, s, school_year)
    found = rules.rating_of(_results(entries, subjects_of), semester)
    return types.LearningRating(found.value) if found else None


# ---------------------------------------------------------------------------------------------------------
# Enrolment
# ---------------------------------------------------------------------------------------------------------


async def enrolment_applications(
    info: Info,
    f: types.EnrolmentApplicationFilterInput | None,
    order: types.EnrolmentApplicationOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[types.EnrolmentApplication]:
    flt = ds.ApplicationFilter()
    if f is not None:
        flt = ds.ApplicationFilter(
            level=f.level.name if f.level else None,
            status=f.status.name if f.status else None,
            school_code=f.school_code,
            unit_code=f.unit_code,
            school_year=_school_year(f.school_year),
        )
    page = await ds.applications_page(_store(info), flt, order.descending if order else False, first, after)
    return common.connection(page, types.EnrolmentApplication.from_row)


async def applications_by_id(info: Info, ids: list[str], required: bool) -> list[types.EnrolmentApplication | None]:
    keys = [int(i) if i.isdigit() else -1 for i in ids]
    rows = await info.context.loaders.education.application_by_id.load_many(keys)
    return common.ordered([types.EnrolmentApplication.from_row(r) if r else None for r in rows], required)
