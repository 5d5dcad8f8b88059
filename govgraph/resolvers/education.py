"""Resolvers for the education store: loaders and pages in, schema types out; results via domain.education."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row
from strawberry import relay

from govgraph.auth import scope
from govgraph.auth.identity import Role
from govgraph.auth.roles import Forbidden, require, require_unit
from govgraph.context import Info
from govgraph.datasources import education as ds
from govgraph.datasources.base import ManyLoader, OneLoader, StoreUnavailable, index_many, index_one
from govgraph.datasources.places import gazetteer
from govgraph.domain import education as rules
from govgraph.domain.identity import InvalidPersonalId, parse_personal_id
from govgraph.events import Event
from govgraph.resolvers.live import follow
from govgraph.resolvers.mutation import Tx, UserInputError, run_mutation
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


# ---------------------------------------------------------------------------------------------------------
# Row scope: whose student records and applications the caller may see, as SQL (govgraph.auth.scope)
# ---------------------------------------------------------------------------------------------------------


async def _children(info: Info) -> tuple[str, ...]:
    """A citizen's children in the population register (another database), for the row scope; none for staff,
    and none if the population store does not answer (the caller then sees their own and declared wards')."""
    p = info.context.principal
    if p.role != Role.CITIZEN or not p.authenticated:
        return ()
    try:
        rows = await info.context.loaders.population.children_by_pid.load(p.subject)
    except StoreUnavailable:
        return ()
    return tuple(sorted(r.pid for r in rows))


def _visible_records(info: Info, key: str) -> ManyLoader[str, Row[Any]]:
    """Student records the caller may see, by ``pid`` (every school year, newest first) or ``node_key``: one
    statement per batch, the scope inside it."""
    ctx = info.context
    column = ds.students.c[key]

    async def fetch(keys: Sequence[str]) -> dict[str, list[Row[Any]]]:
        row_scope = scope.students(ctx.principal, await _children(info))
        rows = await ds.records_where(_store(info), column.in_(keys), row_scope)
        return index_many(rows, lambda r: getattr(r, key))

    return ctx.scoped_loader(f"education.visible_records_by_{key}", lambda: ManyLoader(fetch))


def _visible_applications(info: Info) -> OneLoader[int, Row[Any]]:
    """Enrolment applications the caller may see, by id."""
    ctx = info.context

    async def fetch(ids: Sequence[int]) -> dict[int, Row[Any]]:
        row_scope = scope.enrolment_applications(ctx.principal, await _children(info))
        rows = await ds.applications_where(_store(info), ds.enrolment_applications.c.id.in_(ids), row_scope)
        return index_one(rows, lambda r: r.id)

    return ctx.scoped_loader("education.visible_applications", lambda: OneLoader(fetch))


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
    row_scope = scope.students(info.context.principal, await _children(info))
    descending = order.descending if order else False
    page = await ds.students_page(_store(info), flt, field, descending, first, after, row_scope)
    return common.connection(page, types.Student.from_row)


async def class_students(info: Info, class_id: int, first: int | None, after: str | None) -> Connection[types.Student]:
    row_scope = scope.students(info.context.principal, await _children(info))
    f = ds.StudentFilter(class_id=class_id)
    page = await ds.students_page(_store(info), f, "NAME", False, first, after, row_scope)
    return common.connection(page, types.Student.from_row)


async def student(info: Info, personal_id: str, school_year: str | None) -> types.Student | None:
    try:
        parse_personal_id(personal_id)
    except InvalidPersonalId as exc:
        raise ValueError(f"personalId {personal_id!r} is not valid: {exc}") from exc
    _school_year(school_year)
    records = await _visible_records(info, "pid").load(personal_id)
    for r in records:  # newest first
        if school_year is None or r.school_year == school_year:
            return types.Student.from_row(r)
    return None


async def students_by_key(info: Info, keys: list[str], required: bool) -> list[types.Student | None]:
    """``node``/``nodes``: opaque node keys (never a personal ID), only records the caller may see."""
    found = await _visible_records(info, "node_key").load_many(keys)
    out = [types.Student.from_row(rows[0]) if rows else None for rows in found]
    return common.ordered(out, required)


async def school_records(info: Info, pid: str) -> list[types.Student]:
    """A citizen's student records the caller may see, newest school year first."""
    rows = await _visible_records(info, "pid").load(pid)
    return [types.Student.from_row(r) for r in rows]


async def citizen(info: Info, pid: str) -> population_types.Citizen | None:
    row = await info.context.loaders.population.citizen_by_pid.load(pid)
    return population_types.Citizen.from_row(row) if row else None


async def guardians(info: Info, s: types.Student) -> list[types.Guardian]:
    rows = await info.context.loaders.education.guardians_by_pid.load(s.personal_id)
    return [
        types.Guardian(
            relation=types.GuardianRelation(r.relation),
            personal_id=r.guardian_pid,
            full_name=r.full_name,
            phone=r.phone,
            ref=s.ref,
        )
        for r in rows
    ]


# ---------------------------------------------------------------------------------------------------------
# Grade book: entries loaded in one statement per school year, results computed in Python
# ---------------------------------------------------------------------------------------------------------


async def _record_of(info: Info, s: types.Student, school_year: str) -> types.Student | None:
    """The pupil's record of ``school_year``: this one, or another year's if the caller may see it (row scope;
    it may be at another school). The grade book of a year is read only through its record."""
    if school_year == s.school_year:
        return s
    records = await _visible_records(info, "pid").load(s.personal_id)
    row = next((r for r in records if r.school_year == school_year), None)
    return types.Student.from_row(row) if row is not None else None


async def _year_book(
    info: Info, s: types.Student, school_year: str
) -> tuple[list[Row[Any]], dict[str, Row[Any]], types.StudentRef | None]:
    """The student's entries of a school year, the subjects of their grade (by code, in record order) and the
    record of that year (None, and no entries, if the caller may not see it)."""
    _school_year(school_year)
    record = await _record_of(info, s, school_year)
    if record is None:
        return [], {}, None
    loaders = info.context.loaders.education
    entries = await loaders.entries_by_pid(school_year).load(s.personal_id)
    if not entries or record.grade is None:
        return entries, {}, record.ref
    curriculum = await loaders.curriculum_by_programme.load(ds.PROGRAMME) or {}
    return entries, {r.code: r for r in curriculum.get(record.grade, [])}, record.ref


def _score(tenths: int | None) -> Decimal | None:
    return None if tenths is None else Decimal(tenths) / 10


async def grades(info: Info, s: types.Student, school_year: str, semester: int | None) -> list[types.GradeEntry]:
    entries, subjects_of, ref = await _year_book(info, s, school_year)
    if ref is None:
        return []
    missing = sorted({e.subject_code for e in entries} - set(subjects_of))
    if missing:  # a subject outside the grade's curriculum (e.g. a transfer): look it up by code
        extra = await info.context.loaders.education.subject_by_code.load_many(missing)
        subjects_of = {**subjects_of, **{r.code: r for r in extra if r is not None}}
    order = {code: i for i, code in enumerate(subjects_of)}
    picked = [e for e in entries if (semester is None or e.semester == semester) and e.subject_code in subjects_of]
    picked.sort(key=lambda e: (e.semester, order.get(e.subject_code, len(order)), e.subject_code,
                               ("REGULAR", "MIDTERM", "FINAL").index(e.kind), e.seq))  # fmt: skip
    return [_entry_type(e, subjects_of[e.subject_code], ref) for e in picked]


def _entry_type(e: Row[Any], subject: Row[Any], ref: types.StudentRef) -> types.GradeEntry:
    score = _score(e.score_tenths)
    return types.GradeEntry(
        subject=types.Subject.from_row(subject),
        semester=e.semester,
        kind=types.GradeKind(e.kind),
        seq=e.seq,
        score=float(score) if score is not None else None,
        rating=types.CommentRating(e.rating) if e.rating else None,
        entered_by=e.entered_by,
        entered_at_raw=e.entered_at,
        student_pid=e.student_pid,
        school_year=e.school_year,
        ref=ref,
    )


async def corrections(info: Info, e: types.GradeEntry) -> list[types.GradeCorrection]:
    rows = await info.context.loaders.education.corrections_by_pid(e.school_year).load(e.student_pid)
    out = []
    for r in rows:
        if (r.semester, r.subject_code, r.kind, r.seq) != (e.semester, e.subject.code, e.kind.name, e.seq):
            continue
        old, new = _score(r.old_score_tenths), _score(r.new_score_tenths)
        out.append(
            types.GradeCorrection(
                previous_score=float(old) if old is not None else None,
                previous_rating=types.CommentRating(r.old_rating) if r.old_rating else None,
                score=float(new) if new is not None else None,
                rating=types.CommentRating(r.new_rating) if r.new_rating else None,
                corrected_by=r.corrected_by,
                reason=r.reason,
                corrected_at_raw=r.corrected_at,
                ref=e.ref,
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
    entries, subjects_of, ref = await _year_book(info, s, school_year)
    if ref is None:
        return []
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
            ref=ref,
        )
        for r in _results(entries, subjects_of)
    ]


async def rating(info: Info, s: types.Student, school_year: str, semester: int | None) -> types.LearningRating | None:
    if semester not in (None, 1, 2):
        raise ValueError(f"semester must be 1 or 2, got {semester}")
    entries, subjects_of, _ = await _year_book(info, s, school_year)
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
    row_scope = scope.enrolment_applications(info.context.principal, await _children(info))
    descending = order.descending if order else False
    page = await ds.applications_page(_store(info), flt, descending, first, after, row_scope)
    return common.connection(page, types.EnrolmentApplication.from_row)


async def applications_by_id(info: Info, ids: list[str], required: bool) -> list[types.EnrolmentApplication | None]:
    keys = [int(i) if i.isdigit() else -1 for i in ids]
    rows = await _visible_applications(info).load_many(keys)
    return common.ordered([types.EnrolmentApplication.from_row(r) if r else None for r in rows], required)


# ---------------------------------------------------------------------------------------------------------
# Mutations: the e-grade book
# ---------------------------------------------------------------------------------------------------------

STORE = "education"
GRADE_ENTERED = "education.grade.entered"
GRADE_CORRECTED = "education.grade.corrected"
MAX_STAFF_ID = 64
MAX_REASON = 500


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


clock: Callable[[], dt.datetime] = _system_clock
"""What time it is for enrolment windows and submission times (tests replace it)."""


def _fail(problems: list[rules.Problem]) -> UserInputError:
    return UserInputError.many(
        [common.UserError(field=["input", p.field], message=p.message, code=p.code) for p in problems]
    )


def _staff_id(info: Info) -> str:
    subject = info.context.principal.subject
    if len(subject) > MAX_STAFF_ID:
        raise UserInputError(f"The token's subject (staff account) is longer than {MAX_STAFF_ID} characters")
    return subject


def _entry_problems(pid: str, school_year: str, semester: int, subject_code: str) -> list[rules.Problem]:
    problems = []
    try:
        parse_personal_id(pid)
    except InvalidPersonalId as exc:
        problems.append(rules.Problem("studentPersonalId", f"Not a valid personal ID number: {exc}"))
    try:
        rules.school_year_start(school_year)
    except ValueError as exc:
        problems.append(rules.Problem("schoolYear", str(exc)))
    if semester not in (1, 2):
        problems.append(rules.Problem("semester", "A school year has semesters 1 and 2", "OUT_OF_RANGE"))
    if not subject_code or len(subject_code) > 8:
        problems.append(rules.Problem("subjectCode", "Not a subject code (e.g. 'TOAN')", "NOT_FOUND"))
    return problems


async def _student_for_write(info: Info, tx: Tx, pid: str, school_year: str) -> Row[Any]:
    """The student's record, locked for this transaction; only a teacher of the student's school goes on."""
    p = info.context.principal
    record = await ds.lock_student(tx.conn, _store(info).is_sqlite, pid, school_year)
    if record is None:
        raise UserInputError(
            f"No student record of {pid} in school year {school_year}", ["input", "studentPersonalId"], "NOT_FOUND"
        )
    if p.role == Role.TEACHER and p.school != record.school_code:
        raise Forbidden("A teacher enters and corrects the grades of their own school's students only")
    if record.grade is None or record.grade < 6:
        where = "kindergarten" if record.grade is None else f"grade {record.grade}"
        raise UserInputError(
            f"The e-grade book follows Circular 22/2021 (grades 6-12); this student is in {where}",
            ["input", "studentPersonalId"],
            "NOT_SECONDARY",
        )
    return record


def _tenths(score: float | None) -> int | None:
    return None if score is None else int(rules.parse_score(score) * 10)


def _passed_in(rating: types.CommentRating | None) -> bool | None:
    return None if rating is None else rating == types.CommentRating.PASS


async def _grade_event(tx: Tx, topic: str, key: ds.EntryKey, record: Row[Any]) -> None:
    school = await ds.school_row(tx.conn, record.school_code)
    tx.emit(
        topic,
        student_pid=key.student_pid,
        school_code=record.school_code,
        unit_code=school.unit_code if school is not None else None,
        school_year=key.school_year,
        subject=key.subject_code,
        semester=key.semester,
        kind=key.kind,
        seq=key.seq,
    )


async def grade_enter(info: Info, data: types.GradeEnterInput) -> types.GradeEntryPayload:
    require(info.context.principal, Role.TEACHER)
    kind = rules.Kind(data.kind.name)

    async def work(tx: Tx) -> str:
        problems = _entry_problems(data.student_personal_id, data.school_year, data.semester, data.subject_code)
        if problems:
            raise _fail(problems)
        by = _staff_id(info)
        record = await _student_for_write(info, tx, data.student_personal_id, data.school_year)
        rule = await ds.subject_rule(tx.conn, record.grade, data.subject_code)
        if rule is None or (
            rule.elective and data.subject_code not in await ds.class_electives(tx.conn, record.class_id)
        ):
            raise UserInputError(
                f"{data.subject_code} is not a subject of this student's curriculum (grade {record.grade})",
                ["input", "subjectCode"],
                "NOT_IN_CURRICULUM",
            )
        mode = rules.Mode(rule.mode)
        problems = rules.check_value(mode, data.score, _passed_in(data.rating))
        blank = ds.EntryKey(data.student_personal_id, data.school_year, data.semester, data.subject_code, kind.value, 0)
        picked = rules.pick_seq(
            kind, data.seq, await ds.taken_seqs(tx.conn, blank), rules.regular_count(rule.periods_per_year)
        )
        if isinstance(picked, rules.Problem):
            problems.append(picked)
        if problems or isinstance(picked, rules.Problem):
            raise _fail(problems)
        seq = picked
        key = ds.EntryKey(blank.student_pid, blank.school_year, blank.semester, blank.subject_code, blank.kind, seq)
        tenths = _tenths(data.score) if mode == rules.Mode.SCORE else None
        rating = data.rating.name if mode == rules.Mode.COMMENT and data.rating else None
        await ds.insert_entry(tx.conn, key, tenths, rating, by, tx.now)
        await _grade_event(tx, GRADE_ENTERED, key, record)
        return key.encode()

    outcome = await run_mutation(info, store=STORE, operation="gradeEnter", input=data, work=work)
    return await _grade_payload(info, outcome.key, outcome.errors)


async def grade_correct(info: Info, data: types.GradeCorrectInput) -> types.GradeEntryPayload:
    require(info.context.principal, Role.TEACHER)
    kind = rules.Kind(data.kind.name)

    async def work(tx: Tx) -> str:
        problems = _entry_problems(data.student_personal_id, data.school_year, data.semester, data.subject_code)
        reason = data.reason.strip()
        if not 1 <= len(reason) <= MAX_REASON:
            problems.append(rules.Problem("reason", f"Give the reason for the correction (1-{MAX_REASON} characters)"))
        if problems:
            raise _fail(problems)
        by = _staff_id(info)
        record = await _student_for_write(info, tx, data.student_personal_id, data.school_year)
        key = ds.EntryKey(data.student_personal_id, data.school_year, data.semester, data.subject_code, kind.value,
                          data.seq)  # fmt: skip
        old = await ds.entry(tx.conn, key)
        if old is None:
            raise UserInputError(
                f"No {kind.value} assessment {data.seq} of {data.subject_code} in semester {data.semester} to "
                "correct: enter it with gradeEnter",
                ["input", "seq"],
                "NOT_FOUND",
            )
        subject = await ds.subject_row(tx.conn, data.subject_code)
        mode = rules.Mode(
            subject.mode if subject is not None else "SCORE" if old.score_tenths is not None else "COMMENT"
        )
        problems = rules.check_value(mode, data.score, _passed_in(data.rating))
        if problems:
            raise _fail(problems)
        tenths = _tenths(data.score) if mode == rules.Mode.SCORE else None
        rating = data.rating.name if mode == rules.Mode.COMMENT and data.rating else None
        if (old.score_tenths, old.rating) == (tenths, rating):
            field = "score" if mode == rules.Mode.SCORE else "rating"
            raise UserInputError("The entry already has this value: nothing to correct", ["input", field], "UNCHANGED")
        await ds.correct_entry(tx.conn, key, old, tenths, rating, by, tx.now, reason)
        await _grade_event(tx, GRADE_CORRECTED, key, record)
        return key.encode()

    outcome = await run_mutation(info, store=STORE, operation="gradeCorrect", input=data, work=work)
    return await _grade_payload(info, outcome.key, outcome.errors)


async def _grade_view(
    info: Info, key: ds.EntryKey
) -> tuple[types.Student, types.GradeEntry, types.SubjectResult | None] | None:
    """The entry, its student record and the subject's results, through the request's loaders (only what the
    caller may see: the row scope of student records applies)."""
    records = await _visible_records(info, "pid").load(key.student_pid)
    row = next((r for r in records if r.school_year == key.school_year), None)
    if row is None:
        return None
    student = types.Student.from_row(row)
    entries = await grades(info, student, key.school_year, key.semester)
    found = next(
        (e for e in entries if (e.subject.code, e.kind.name, e.seq) == (key.subject_code, key.kind, key.seq)), None
    )
    if found is None:
        return None
    results = await subject_results(info, student, key.school_year)
    return student, found, next((r for r in results if r.subject.code == key.subject_code), None)


async def _grade_payload(info: Info, key: str | None, errors: list[common.UserError]) -> types.GradeEntryPayload:
    view = None
    semester_rating = year_rating = None
    if key is not None:
        info.context.reset_loaders()  # read what was just committed, not what this request cached before
        entry_key = ds.EntryKey.decode(key)
        view = await _grade_view(info, entry_key)
        if view is not None:
            semester_rating = await rating(info, view[0], entry_key.school_year, entry_key.semester)
            year_rating = await rating(info, view[0], entry_key.school_year, None)
    return types.GradeEntryPayload(
        entry=view[1] if view else None,
        student=view[0] if view else None,
        subject_result=view[2] if view else None,
        semester_rating=semester_rating,
        year_rating=year_rating,
        user_errors=errors,
        ref=view[0].ref if view else None,
    )


# ---------------------------------------------------------------------------------------------------------
# Mutations: online enrolment
# ---------------------------------------------------------------------------------------------------------


async def _is_guardian(info: Info, parent_pid: str, child_pid: str) -> bool:
    """A parent in the population register, or a parent/guardian declared to the child's school."""
    parents = await info.context.loaders.population.parents_by_pid.load(child_pid)
    if any(r.pid == parent_pid for r in parents):
        return True
    declared = await info.context.loaders.education.guardians_by_pid.load(child_pid)
    return any(g.guardian_pid == parent_pid for g in declared)


def _application_payload(info: Info, errors: list[common.UserError]) -> types.EnrolmentApplicationPayload:
    return types.EnrolmentApplicationPayload(application=None, user_errors=errors)


async def _application(
    info: Info, key: str | None, errors: list[common.UserError]
) -> types.EnrolmentApplicationPayload:
    if key is None:
        return _application_payload(info, errors)
    info.context.reset_loaders()
    row = await _visible_applications(info).load(int(key))
    found = types.EnrolmentApplication.from_row(row) if row is not None else None
    return types.EnrolmentApplicationPayload(application=found, user_errors=errors)


def _input_error(field: str, message: str, code: str = "INVALID") -> list[common.UserError]:
    return [common.UserError(field=["input", field], message=message, code=code)]


async def enrolment_apply(info: Info, data: types.EnrolmentApplyInput) -> types.EnrolmentApplicationPayload:
    p = info.context.principal
    require(p, Role.CITIZEN, Role.OFFICER, domain=STORE)
    pid = data.child_personal_id
    level = rules.EnrolmentLevel(data.level.name)
    try:
        parse_personal_id(pid)
    except InvalidPersonalId as exc:
        return _application_payload(info, _input_error("childPersonalId", f"Not a valid personal ID number: {exc}"))
    if p.role == Role.CITIZEN and not await _is_guardian(info, p.subject, pid):
        raise Forbidden("A citizen may apply only for their own child (as parent or declared guardian)")
    child = await info.context.loaders.population.citizen_by_pid.load(pid)
    if child is None:
        return _application_payload(
            info,
            _input_error(
                "childPersonalId",
                "The child is not in the population register: the route is set by the registered residence",
                "NOT_FOUND",
            ),
        )
    if child.date_of_death is not None:
        return _application_payload(info, _input_error("childPersonalId", "This personal ID is closed", "CLOSED"))
    if child.permanent_unit_code is None or child.permanent_unit_structure is None:
        return _application_payload(
            info,
            _input_error("childPersonalId", "The child has no registered residence to set the route", "NO_RESIDENCE"),
        )
    require_unit(p, child.permanent_unit_code)
    route = (child.permanent_unit_code, child.permanent_unit_structure)
    store = _store(info)

    async def work(tx: Tx) -> str:
        now = clock().astimezone(dt.UTC)
        problems: list[rules.Problem] = []
        window: rules.Window | None = None
        try:
            window = rules.enrolment_window(level, now)
        except rules.EnrolmentClosed as exc:
            problems.append(rules.Problem("level", str(exc), "WINDOW_CLOSED"))
        school = await ds.school_row(tx.conn, data.school_code)
        wanted = rules.SCHOOL_LEVEL[level]
        if school is None:
            problems.append(rules.Problem("schoolCode", "No school has this code", "NOT_FOUND"))
        elif school.level != wanted:
            problems.append(
                rules.Problem("schoolCode", f"{school.name} is a {school.level} school, not {wanted}", "WRONG_LEVEL")
            )
        elif (school.unit_code, school.unit_structure) != route:
            problems.append(
                rules.Problem(
                    "schoolCode",
                    f"{school.name} is not in the child's route (residence unit {route[0]}): apply online to a "
                    "school of the route",
                    "OUT_OF_ROUTE",
                )
            )
        year = (window.opens if window else now.astimezone(rules.HANOI_TZ)).year
        last_grade = None
        if level == rules.EnrolmentLevel.GRADE_6:
            last_grade = await ds.grade_in(tx.conn, pid, f"{year - 1}-{year}")
        problem = rules.eligibility(level, child.date_of_birth, year, last_grade)
        if problem is not None:
            problems.append(problem)
        if problems or window is None or school is None:
            raise _fail(problems)
        school_year = rules.entry_school_year(window)
        await ds.lock_enrolment(tx.conn, store.is_sqlite)
        active = [s.value for s in rules.ACTIVE_STATUSES]
        existing = await ds.active_application(tx.conn, pid, level.value, school_year, active)
        if existing is not None:
            raise UserInputError(
                f"This child already has application {existing.application_no} ({existing.status}) for "
                f"{level.value} in {school_year}: one per child, level and year",
                ["input", "childPersonalId"],
                "DUPLICATE",
            )
        app_id, number = await ds.next_application(tx.conn, rules.TAG[level], window.opens.year)
        await ds.insert_application(
            tx.conn,
            {
                "id": app_id,
                "application_no": number,
                "school_year": school_year,
                "child_pid": pid,
                "child_name": child.full_name,
                "child_dob": child.date_of_birth,
                "level": level.value,
                "school_code": school.code,
                "assigned_school_code": None,
                "route_unit_code": route[0],
                "route_unit_structure": route[1],
                "status": rules.EnrolmentStatus.SUBMITTED.value,
                "submitted_at": now,
                "decided_at": None,
            },
        )
        tx.emit(
            "education.enrolment.submitted",
            application_id=app_id,
            application_no=number,
            child_pid=pid,
            level=level.value,
            school_code=school.code,
            unit_code=school.unit_code,
            school_year=school_year,
            status=rules.EnrolmentStatus.SUBMITTED.value,
        )
        return str(app_id)

    outcome = await run_mutation(info, store=STORE, operation="enrolmentApply", input=data, work=work)
    return await _application(info, outcome.key, outcome.errors)


VERBS = {
    rules.EnrolmentStatus.VERIFIED: "verified",
    rules.EnrolmentStatus.ACCEPTED: "accepted",
    rules.EnrolmentStatus.REJECTED: "rejected",
    rules.EnrolmentStatus.TRANSFERRED: "transferred",
}


async def enrolment_decide(info: Info, data: types.EnrolmentDecideInput) -> types.EnrolmentApplicationPayload:
    p = info.context.principal
    require(p, Role.OFFICER, domain=STORE)
    gid = data.application_id
    if gid.type_name != "EnrolmentApplication" or not gid.node_id.isdigit():
        return _application_payload(info, _input_error("applicationId", "Not the id of an enrolment application"))
    app_id = int(gid.node_id)
    row = await info.context.loaders.education.application_by_id.load(app_id)
    if row is None:
        return _application_payload(info, _input_error("applicationId", "No such application", "NOT_FOUND"))
    school = await info.context.loaders.education.school_by_code.load(row.school_code)
    require_unit(p, school.unit_code if school is not None else None)
    decision = rules.Decision(data.decision.name)
    note = (data.note or "").strip() or None
    store = _store(info)

    async def work(tx: Tx) -> str:
        by = _staff_id(info)
        if note is not None and len(note) > MAX_REASON:
            raise UserInputError(f"A note has at most {MAX_REASON} characters", ["input", "note"])
        current = await ds.lock_application(tx.conn, store.is_sqlite, app_id)
        if current is None:  # applications are never deleted: only a concurrent reset of the store
            raise UserInputError("No such application", ["input", "applicationId"], "NOT_FOUND")
        target = rules.transition(rules.EnrolmentStatus(current.status), decision)
        if isinstance(target, rules.Problem):
            raise _fail([target])
        assigned: str | None = None
        if decision == rules.Decision.TRANSFER:
            assigned = await _transfer_school(tx, current, data.assigned_school_code)
        elif data.assigned_school_code:
            raise UserInputError("Only a TRANSFER assigns another school", ["input", "assignedSchoolCode"])
        await ds.decide_application(tx.conn, current, target.value, assigned, by, clock().astimezone(dt.UTC), note)
        tx.emit(
            f"education.enrolment.{VERBS[target]}",
            application_id=current.id,
            application_no=current.application_no,
            child_pid=current.child_pid,
            level=current.level,
            school_code=current.school_code,
            assigned_school_code=assigned,
            unit_code=school.unit_code if school is not None else None,
            school_year=current.school_year,
            status=target.value,
        )
        return str(current.id)

    outcome = await run_mutation(info, store=STORE, operation="enrolmentDecide", input=data, work=work)
    return await _application(info, outcome.key, outcome.errors)


async def _transfer_school(tx: Tx, current: Row[Any], code: str | None) -> str:
    """The school a TRANSFER assigns: another school of the same level in the application's route."""
    field = ["input", "assignedSchoolCode"]
    if not code:
        raise UserInputError("A TRANSFER needs the school the child is assigned to", field, "REQUIRED")
    target = await ds.school_row(tx.conn, code)
    if target is None:
        raise UserInputError("No school has this code", field, "NOT_FOUND")
    wanted = rules.SCHOOL_LEVEL[rules.EnrolmentLevel(current.level)]
    if target.level != wanted:
        raise UserInputError(f"{target.name} is a {target.level} school, not {wanted}", field, "WRONG_LEVEL")
    if target.code == current.school_code:
        raise UserInputError("A transfer assigns another school than the one applied to", field, "SAME_SCHOOL")
    if (target.unit_code, target.unit_structure) != (current.route_unit_code, current.route_unit_structure):
        raise UserInputError(f"{target.name} is not in the child's route", field, "OUT_OF_ROUTE")
    return str(target.code)


# ---------------------------------------------------------------------------------------------------------
# Subscription: new and corrected grades
# ---------------------------------------------------------------------------------------------------------


async def _followed_pids(info: Info, pid: str) -> set[str]:
    """A citizen, their children in the population register and the students they are declared guardian of."""
    children = await info.context.loaders.population.children_by_pid.load(pid)
    wards = await info.context.loaders.education.wards_by_guardian.load(pid)
    return {pid, *(c.pid for c in children), *(w.student_pid for w in wards)}


async def grades_followed(info: Info, student_pid: str | None) -> AsyncIterator[types.GradeBookChange]:
    """gradeEntered: each new or corrected entry the caller may see, reloaded through fresh loaders."""
    p = info.context.principal
    require(p, Role.CITIZEN, Role.TEACHER, Role.OFFICER, domain=STORE)
    if student_pid is not None:
        try:
            parse_personal_id(student_pid)
        except InvalidPersonalId as exc:
            raise ValueError(f"studentPersonalId {student_pid!r} is not valid: {exc}") from exc
    watched: set[str] | None = None
    if p.role == Role.CITIZEN:
        mine = await _followed_pids(info, p.subject)
        if student_pid is not None and student_pid not in mine:
            raise Forbidden("A citizen may follow only their own and their children's grades")
        watched = {student_pid} if student_pid is not None else mine
    elif student_pid is not None:
        watched = {student_pid}

    def match(event: Event) -> bool:
        data = event.payload
        if event.topic not in (GRADE_ENTERED, GRADE_CORRECTED):
            return False
        if watched is not None and data.get("student_pid") not in watched:
            return False
        if p.role == Role.TEACHER:
            return p.school is not None and data.get("school_code") == p.school
        if p.role == Role.OFFICER:
            return p.unit is not None and data.get("unit_code") == p.unit
        return True

    async for event in follow(info, ["education.grade."], match):
        data = event.payload
        key = ds.EntryKey(
            data["student_pid"], data["school_year"], data["semester"], data["subject"], data["kind"], data["seq"]
        )
        view = await _grade_view(info, key)
        if view is None:
            continue
        change = types.GradeChange.CORRECTED if event.topic == GRADE_CORRECTED else types.GradeChange.ENTERED
        yield types.GradeBookChange(change=change, entry=view[1], student=view[0], subject_result=view[2])
