"""Education store: schools, classes, students, guardians, the e-grade book and online enrolment (DOMAIN.md §7).

Averages and learning-result ratings are not stored: :mod:`govgraph.domain.education` computes them from the
grade-book entries, which a loader fetches for many students in one statement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Row,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.datasources.base import (
    LoaderFamily,
    ManyLoader,
    OneLoader,
    Page,
    Store,
    chunks,
    index_many,
    index_one,
    paginate,
)
from govgraph.domain.text import like_pattern

metadata = MetaData()

schools = Table(
    "schools",
    metadata,
    Column("code", String(10), primary_key=True, comment="school code (mã trường): 01 + unit code + level + serial"),
    Column("name", String(120), nullable=False, comment="official name, e.g. 'Trường THCS Trưng Vương' (NFC)"),
    Column("name_folded", String(120), nullable=False, comment="search key: lower case, no diacritics"),
    Column("level", String(16), nullable=False, comment="KINDERGARTEN, PRIMARY, LOWER_SECONDARY, UPPER_SECONDARY"),
    Column("unit_code", String(5), nullable=False, comment="administrative unit of the school's address"),
    Column("unit_structure", String(10), nullable=False, comment="structure of unit_code (Y2025_07)"),
    Column("address", Text, nullable=False, comment="street address as written"),
    Column("phone", String(11), nullable=True, comment="landline, 024 + 8 digits"),
    Column("founded_year", SmallInteger, nullable=True, comment="year the school was founded"),
    Index("ix_schools_unit", "unit_code", "unit_structure", "code"),
    Index("ix_schools_level", "level", "code"),
    Index("ix_schools_name_folded", "name_folded", "code"),
)

classes = Table(
    "classes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="class number in this store"),
    Column("school_code", String(10), ForeignKey("schools.code"), nullable=False),
    Column("school_year", String(9), nullable=False, comment="e.g. '2025-2026'"),
    Column("grade", SmallInteger, nullable=True, comment="1-12; null for kindergarten classes"),
    Column("age_group", SmallInteger, nullable=True, comment="kindergarten age group 3, 4 or 5; else null"),
    Column("name", String(20), nullable=False, comment="e.g. '6A1', 'Lá 2' (5-year-olds)"),
    Column("homeroom_teacher", String(140), nullable=True, comment="giáo viên chủ nhiệm"),
    Column("electives", String(80), nullable=True, comment="upper secondary: comma-separated elective codes"),
    Index("ix_classes_school_year", "school_code", "school_year", "grade", "name"),
)

students = Table(
    "students",
    metadata,
    Column("pid", String(12), primary_key=True, comment="the pupil's personal ID number (mã định danh)"),
    Column("school_year", String(9), primary_key=True, comment="one record per school year"),
    Column("school_code", String(10), ForeignKey("schools.code"), nullable=False),
    Column("class_id", Integer, ForeignKey("classes.id"), nullable=False),
    Column("grade", SmallInteger, nullable=True, comment="denormalised from the class; null in kindergarten"),
    Column("age_group", SmallInteger, nullable=True, comment="denormalised from the class (kindergarten)"),
    Column("full_name", String(140), nullable=False, comment="as in the school record (học bạ)"),
    Column("name_folded", String(140), nullable=False, comment="search and ordering key"),
    Column("date_of_birth", Date, nullable=False),
    Column("sex", String(6), nullable=False),
    Column(
        "node_key",
        String(16),
        nullable=False,
        unique=True,
        default=lambda: secrets.token_hex(8),
        comment="opaque key of the GraphQL node id: global ids must not carry the personal ID",
    ),
    Index("ix_students_school", "school_code", "school_year", "pid"),
    Index("ix_students_class", "class_id", "pid"),
    Index("ix_students_year_grade", "school_year", "grade", "pid"),
    Index("ix_students_name", "name_folded", "pid"),
)

guardians = Table(
    "guardians",
    metadata,
    Column("student_pid", String(12), primary_key=True),
    Column("guardian_pid", String(12), primary_key=True, comment="personal ID of the parent or guardian"),
    Column("relation", String(8), nullable=False, comment="FATHER, MOTHER or GUARDIAN"),
    Column("full_name", String(140), nullable=False, comment="as declared to the school"),
    Column("phone", String(11), nullable=True, comment="contact phone declared to the school"),
    Index("ix_guardians_guardian", "guardian_pid"),
)

subjects = Table(
    "subjects",
    metadata,
    Column("code", String(8), primary_key=True, comment="short code, e.g. TOAN, NV, KHTN"),
    Column("name", String(80), nullable=False, comment="name under GDPT 2018, e.g. 'Khoa học tự nhiên'"),
    Column("mode", String(7), nullable=False, comment="SCORE (0-10) or COMMENT (Đạt/Chưa đạt), Circular 22"),
    Column("position", SmallInteger, nullable=False, comment="order of the subject in the school record (học bạ)"),
)

curriculum = Table(
    "curriculum",
    metadata,
    Column("grade", SmallInteger, primary_key=True, comment="6-12 (secondary, Circular 22)"),
    Column("subject_code", String(8), ForeignKey("subjects.code"), primary_key=True),
    Column("periods_per_year", SmallInteger, nullable=False, comment="sets the number of regular assessments"),
    Column("elective", Boolean, nullable=False, comment="upper secondary elective (môn lựa chọn)"),
)

grade_entries = Table(
    "grade_entries",
    metadata,
    Column("student_pid", String(12), nullable=False),
    Column("school_year", String(9), nullable=False),
    Column("semester", SmallInteger, nullable=False, comment="1 or 2"),
    Column("subject_code", String(8), nullable=False),
    Column("kind", String(7), nullable=False, comment="REGULAR (ĐĐGtx), MIDTERM (ĐĐGgk), FINAL (ĐĐGck)"),
    Column("seq", SmallInteger, nullable=False, comment="1.. within (subject, semester, kind)"),
    Column("score_tenths", SmallInteger, nullable=True, comment="score x 10 (0-100): exact one-decimal scores"),
    Column("rating", String(4), nullable=True, comment="PASS or FAIL for comment-only subjects"),
    Column("entered_by", String(64), nullable=False, comment="teacher's staff account"),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint(
        "student_pid", "school_year", "semester", "subject_code", "kind", "seq", name="grade_entries_pkey"
    ),
    sqlite_with_rowid=False,  # the primary key is the table (half the size and insert time on SQLite)
)

enrolment_applications = Table(
    "enrolment_applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("application_no", String(20), nullable=False, unique=True, comment="e.g. TS2026-L1-000123"),
    Column("school_year", String(9), nullable=False, comment="the school year the child enters"),
    Column("child_pid", String(12), nullable=False, index=True),
    Column("child_name", String(140), nullable=False),
    Column("child_dob", Date, nullable=False),
    Column("level", String(12), nullable=False, comment="KINDERGARTEN (5-year-olds), GRADE_1, GRADE_6"),
    Column("school_code", String(10), ForeignKey("schools.code"), nullable=False, comment="school applied to"),
    Column(
        "assigned_school_code",
        String(10),
        ForeignKey("schools.code"),
        nullable=True,
        comment="school the child was transferred to (TRANSFERRED)",
    ),
    Column("route_unit_code", String(5), nullable=False, comment="residence unit that sets the route (tuyến)"),
    Column("route_unit_structure", String(10), nullable=False),
    Column("status", String(11), nullable=False, comment="SUBMITTED, VERIFIED, ACCEPTED, REJECTED, TRANSFERRED"),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Index("ix_enrolment_submitted", "submitted_at", "id"),
    Index("ix_enrolment_level_status", "level", "status"),
    Index("ix_enrolment_school", "school_code"),
    Index("ix_enrolment_route", "route_unit_code", "route_unit_structure"),
)

grade_corrections = Table(
    "grade_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("student_pid", String(12), nullable=False),
    Column("school_year", String(9), nullable=False),
    Column("semester", SmallInteger, nullable=False),
    Column("subject_code", String(8), nullable=False),
    Column("kind", String(7), nullable=False),
    Column("seq", SmallInteger, nullable=False),
    Column("old_score_tenths", SmallInteger, nullable=True, comment="the value replaced (score x 10)"),
    Column("old_rating", String(4), nullable=True, comment="the value replaced (PASS/FAIL)"),
    Column("new_score_tenths", SmallInteger, nullable=True),
    Column("new_rating", String(4), nullable=True),
    Column("corrected_by", String(64), nullable=False, comment="staff account that made the correction"),
    Column("corrected_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False, comment="why the entry was corrected"),
    Index("ix_grade_corrections_entry", "student_pid", "school_year", "semester", "subject_code", "kind", "seq"),
    comment="APPEND-ONLY history of the grade book: every correction with the value it replaced, who, when, why. "
    "grade_entries holds the current value; nothing here is ever updated or deleted.",
)

enrolment_decisions = Table(
    "enrolment_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", Integer, ForeignKey("enrolment_applications.id"), nullable=False, index=True),
    Column("from_status", String(11), nullable=False),
    Column("to_status", String(11), nullable=False),
    Column("assigned_school_code", String(10), nullable=True, comment="TRANSFERRED: the school assigned"),
    Column("decided_by", String(64), nullable=False, comment="education officer's staff account"),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=True),
    CheckConstraint("from_status <> to_status", name="ck_enrolment_decisions_change"),
    comment="APPEND-ONLY history of enrolment decisions (verify, accept, reject, transfer).",
)

SCHOOL_COLUMNS = list(schools.c)
PROGRAMME = "GDPT2018"
"""The 2018 General Education Programme: the only curriculum in the store."""
LEVEL_ORDER = {"KINDERGARTEN": 0, "PRIMARY": 1, "LOWER_SECONDARY": 2, "UPPER_SECONDARY": 3}
STUDENT_COLUMNS = list(students.c)
STUDENT_SELECT = [*STUDENT_COLUMNS, schools.c.unit_code.label("school_unit")]
"""A student record with its school's unit (the jurisdiction of education officers: Subject.unit)."""
STUDENTS_FROM = students.join(schools, schools.c.code == students.c.school_code)
APPLICATION_SELECT = [*enrolment_applications.c, schools.c.unit_code.label("school_unit")]
"""An application with the unit of the school applied to (the officers who decide it)."""
APPLICATIONS_FROM = enrolment_applications.join(schools, schools.c.code == enrolment_applications.c.school_code)


# ---------------------------------------------------------------------------------------------------------
# Lists (keyset pages)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolFilter:
    unit_code: str | None = None
    unit_structure: str | None = None
    level: str | None = None
    search: str | None = None


SCHOOL_ORDERS = {
    "CODE": [(schools.c.code, False)],
    "NAME": [(schools.c.name_folded, False), (schools.c.code, False)],
}


async def schools_page(
    store: Store, f: SchoolFilter, order: str, descending: bool, first: int | None, after: str | None
) -> Page:
    stmt = select(*SCHOOL_COLUMNS)
    if f.unit_code:
        stmt = stmt.where(schools.c.unit_code == f.unit_code)
        if f.unit_structure:
            stmt = stmt.where(schools.c.unit_structure == f.unit_structure)
    if f.level:
        stmt = stmt.where(schools.c.level == f.level)
    if f.search:
        stmt = stmt.where(schools.c.name_folded.like(like_pattern(f.search), escape="\\"))
    keys = [(col, desc != descending) for col, desc in SCHOOL_ORDERS[order]]
    return await paginate(store, stmt, keys, first, after)


@dataclass(frozen=True)
class StudentFilter:
    school_code: str | None = None
    class_id: int | None = None
    grade: int | None = None
    school_year: str | None = None
    search: str | None = None


STUDENT_ORDERS = {
    "PERSONAL_ID": [(students.c.pid, False), (students.c.school_year, False)],
    "NAME": [(students.c.name_folded, False), (students.c.pid, False), (students.c.school_year, False)],
}


async def students_page(
    store: Store,
    f: StudentFilter,
    order: str,
    descending: bool,
    first: int | None,
    after: str | None,
    row_scope: Any,
) -> Page:
    """A page of student records matching ``f`` within ``row_scope`` (govgraph.auth.scope.students)."""
    stmt = select(*STUDENT_SELECT).select_from(STUDENTS_FROM).where(row_scope)
    if f.school_code:
        stmt = stmt.where(students.c.school_code == f.school_code)
    if f.class_id is not None:
        stmt = stmt.where(students.c.class_id == f.class_id)
    if f.grade is not None:
        stmt = stmt.where(students.c.grade == f.grade)
    if f.school_year:
        stmt = stmt.where(students.c.school_year == f.school_year)
    if f.search:
        stmt = stmt.where(students.c.name_folded.like(like_pattern(f.search), escape="\\"))
    keys = [(col, desc != descending) for col, desc in STUDENT_ORDERS[order]]
    return await paginate(store, stmt, keys, first, after)


@dataclass(frozen=True)
class ApplicationFilter:
    level: str | None = None
    status: str | None = None
    school_code: str | None = None
    unit_code: str | None = None
    unit_structure: str | None = None
    school_year: str | None = None


async def applications_page(
    store: Store, f: ApplicationFilter, descending: bool, first: int | None, after: str | None, row_scope: Any
) -> Page:
    """A page of applications matching ``f`` within ``row_scope`` (govgraph.auth.scope.enrolment_applications)."""
    a = enrolment_applications.c
    stmt = select(*APPLICATION_SELECT).select_from(APPLICATIONS_FROM).where(row_scope)
    if f.level:
        stmt = stmt.where(a.level == f.level)
    if f.status:
        stmt = stmt.where(a.status == f.status)
    if f.school_code:
        stmt = stmt.where(a.school_code == f.school_code)
    if f.unit_code:
        stmt = stmt.where(a.route_unit_code == f.unit_code)
        if f.unit_structure:
            stmt = stmt.where(a.route_unit_structure == f.unit_structure)
    if f.school_year:
        stmt = stmt.where(a.school_year == f.school_year)
    return await paginate(store, stmt, [(a.submitted_at, descending), (a.id, descending)], first, after)


async def records_where(store: Store, condition: Any, row_scope: Any) -> list[Row[Any]]:
    """Student records matching ``condition`` within ``row_scope``, newest school year first per pupil."""
    s = students.c
    stmt = (
        select(*STUDENT_SELECT)
        .select_from(STUDENTS_FROM)
        .where(condition)
        .where(row_scope)
        .order_by(s.pid, s.school_year.desc())
    )
    return list(await store.all(stmt))


async def applications_where(store: Store, condition: Any, row_scope: Any) -> list[Row[Any]]:
    """Enrolment applications matching ``condition`` within ``row_scope``."""
    return list(await store.all(select(*APPLICATION_SELECT).select_from(APPLICATIONS_FROM).where(condition)
                                .where(row_scope)))  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Loaders: one batched statement each
# ---------------------------------------------------------------------------------------------------------


class EducationLoaders:
    """Batched reads of the education store, one loader per batch query. Student records and applications are
    personal and row-scoped: the resolvers read them through per-caller loaders (``records_where``,
    ``applications_where``); what is loaded here is reached only through a record the caller may see."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.school_by_code: OneLoader[str, Row[Any]] = OneLoader(self._schools)
        self.schools_by_unit: ManyLoader[tuple[str, str], Row[Any]] = ManyLoader(self._schools_of_units)
        self.class_by_id: OneLoader[int, Row[Any]] = OneLoader(self._classes)
        self.classes_by_school: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda year: ManyLoader(partial(self._classes_of_schools, year))
        )
        self.guardians_by_pid: ManyLoader[str, Row[Any]] = ManyLoader(self._guardians)
        self.entries_by_pid: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda year: ManyLoader(partial(self._entries, year))
        )
        self.curriculum_by_programme: OneLoader[str, dict[int, list[Row[Any]]]] = OneLoader(self._curriculum)
        self.subject_by_code: OneLoader[str, Row[Any]] = OneLoader(self._subjects)
        self.application_by_id: OneLoader[int, Row[Any]] = OneLoader(self._applications)
        """NOT row-scoped: for the mutations' own checks. Reads go through the scoped loaders of the resolvers."""
        self.corrections_by_pid: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda year: ManyLoader(partial(self._corrections, year))
        )
        self.wards_by_guardian: ManyLoader[str, Row[Any]] = ManyLoader(self._wards)

    async def _schools(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        rows = await self.store.all(select(*SCHOOL_COLUMNS).where(schools.c.code.in_(codes)))
        return index_one(rows, lambda r: r.code)

    async def _schools_of_units(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Row[Any]]]:
        s = schools.c
        stmt = select(*SCHOOL_COLUMNS).where(s.unit_code.in_(sorted({code for code, _ in keys})))
        rows = await self.store.all(stmt)
        wanted = set(keys)
        found = [r for r in rows if (r.unit_code, r.unit_structure) in wanted]
        found.sort(key=lambda r: (LEVEL_ORDER.get(r.level, 9), r.name_folded, r.code))
        return index_many(found, lambda r: (r.unit_code, r.unit_structure))

    async def _classes(self, ids: Sequence[int]) -> dict[int, Row[Any]]:
        rows = await self.store.all(select(classes).where(classes.c.id.in_(ids)))
        return index_one(rows, lambda r: r.id)

    async def _classes_of_schools(self, school_year: str, codes: Sequence[str]) -> dict[str, list[Row[Any]]]:
        c = classes.c
        stmt = (
            select(classes)
            .where(c.school_code.in_(codes), c.school_year == school_year)
            .order_by(c.school_code, c.grade, c.age_group, c.name)
        )
        return index_many(await self.store.all(stmt), lambda r: r.school_code)

    async def _guardians(self, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        g = guardians.c
        stmt = select(guardians).where(g.student_pid.in_(pids)).order_by(g.student_pid, g.relation)
        return index_many(await self.store.all(stmt), lambda r: r.student_pid)

    async def _entries(self, school_year: str, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        """Every entry of these students in one school year: one statement per batch (key chunks of 2,000)."""
        e = grade_entries.c
        out: dict[str, list[Row[Any]]] = {}
        for part in chunks(pids):
            stmt = (
                select(grade_entries)
                .where(e.student_pid.in_(part), e.school_year == school_year)
                .order_by(e.student_pid, e.semester, e.subject_code, e.kind, e.seq)
            )
            out.update(index_many(await self.store.all(stmt), lambda r: r.student_pid))
        return out

    async def _curriculum(self, programmes: Sequence[str]) -> dict[str, dict[int, list[Row[Any]]]]:
        """The whole curriculum (about a hundred rows), grade -> subjects, in one statement. Keyed by programme
        rather than by grade so that a request reads it once, whenever its students' grades turn up."""
        c = curriculum.c
        stmt = (
            select(
                c.grade,
                c.periods_per_year,
                c.elective,
                subjects.c.code,
                subjects.c.name,
                subjects.c.mode,
                subjects.c.position,
            )
            .join(subjects, subjects.c.code == c.subject_code)
            .order_by(c.grade, subjects.c.position)
        )
        by_grade = index_many(await self.store.all(stmt), lambda r: r.grade)
        return {p: by_grade for p in programmes if p == PROGRAMME}

    async def _subjects(self, codes: Sequence[str]) -> dict[str, Row[Any]]:
        rows = await self.store.all(select(subjects).where(subjects.c.code.in_(codes)))
        return index_one(rows, lambda r: r.code)

    async def _applications(self, ids: Sequence[int]) -> dict[int, Row[Any]]:
        a = enrolment_applications.c
        rows = await self.store.all(select(enrolment_applications).where(a.id.in_(ids)))
        return index_one(rows, lambda r: r.id)

    async def _corrections(self, school_year: str, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        """The correction history of these students' entries in one school year, oldest first."""
        c = grade_corrections.c
        out: dict[str, list[Row[Any]]] = {}
        for part in chunks(pids):
            stmt = (
                select(grade_corrections)
                .where(c.student_pid.in_(part), c.school_year == school_year)
                .order_by(c.student_pid, c.id)
            )
            out.update(index_many(await self.store.all(stmt), lambda r: r.student_pid))
        return out

    async def _wards(self, guardian_pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        """The students each person is a declared parent or guardian of."""
        g = guardians.c
        stmt = select(guardians).where(g.guardian_pid.in_(guardian_pids)).order_by(g.guardian_pid, g.student_pid)
        return index_many(await self.store.all(stmt), lambda r: r.guardian_pid)


# ---------------------------------------------------------------------------------------------------------
# Writes (inside the caller's transaction)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryKey:
    """One grade-book entry: the primary key of grade_entries."""

    student_pid: str
    school_year: str
    semester: int
    subject_code: str
    kind: str
    seq: int

    def encode(self) -> str:
        return ":".join((self.student_pid, self.school_year, str(self.semester), self.subject_code, self.kind,
                         str(self.seq)))  # fmt: skip

    @classmethod
    def decode(cls, key: str) -> EntryKey:
        pid, year, semester, subject, kind, seq = key.split(":")
        return cls(pid, year, int(semester), subject, kind, int(seq))

    def where(self, table: Table) -> Any:
        c = table.c
        return (
            (c.student_pid == self.student_pid)
            & (c.school_year == self.school_year)
            & (c.semester == self.semester)
            & (c.subject_code == self.subject_code)
            & (c.kind == self.kind)
            & (c.seq == self.seq)
        )


async def lock_student(conn: AsyncConnection, is_sqlite: bool, pid: str, school_year: str) -> Row[Any] | None:
    """A student's record of one school year, locked until commit: every write to the student's grade book takes
    this lock first (PostgreSQL: SELECT ... FOR UPDATE; SQLite: BEGIN IMMEDIATE already lets one writer in), so
    the check "is this assessment free / is the count full" and the INSERT cannot interleave."""
    s = students.c
    stmt = select(*STUDENT_COLUMNS).where(s.pid == pid, s.school_year == school_year)
    if not is_sqlite:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def subject_rule(conn: AsyncConnection, grade: int, subject_code: str) -> Row[Any] | None:
    """The subject (code, name, mode) and its periods per year and elective flag in a grade's curriculum."""
    c = curriculum.c
    stmt = (
        select(subjects.c.code, subjects.c.name, subjects.c.mode, c.periods_per_year, c.elective)
        .join(subjects, subjects.c.code == c.subject_code)
        .where(c.grade == grade, c.subject_code == subject_code)
    )
    return cast("Row[Any] | None", (await conn.execute(stmt)).first())


async def class_electives(conn: AsyncConnection, class_id: int) -> list[str]:
    found = (await conn.execute(select(classes.c.electives).where(classes.c.id == class_id))).scalar()
    return str(found).split(",") if found else []


async def taken_seqs(conn: AsyncConnection, key: EntryKey) -> list[int]:
    """Numbers already entered for (student, year, semester, subject, kind)."""
    e = grade_entries.c
    stmt = select(e.seq).where(
        e.student_pid == key.student_pid,
        e.school_year == key.school_year,
        e.semester == key.semester,
        e.subject_code == key.subject_code,
        e.kind == key.kind,
    )
    return [int(r) for r in (await conn.execute(stmt)).scalars()]


async def insert_entry(
    conn: AsyncConnection, key: EntryKey, score_tenths: int | None, rating: str | None, by: str, at: dt.datetime
) -> None:
    await conn.execute(
        grade_entries.insert().values(
            student_pid=key.student_pid,
            school_year=key.school_year,
            semester=key.semester,
            subject_code=key.subject_code,
            kind=key.kind,
            seq=key.seq,
            score_tenths=score_tenths,
            rating=rating,
            entered_by=by,
            entered_at=at,
        )
    )


async def entry(conn: AsyncConnection, key: EntryKey) -> Row[Any] | None:
    return (await conn.execute(select(grade_entries).where(key.where(grade_entries)))).first()


async def correct_entry(
    conn: AsyncConnection,
    key: EntryKey,
    old: Row[Any],
    score_tenths: int | None,
    rating: str | None,
    by: str,
    at: dt.datetime,
    reason: str,
) -> None:
    """Append the correction (with the value it replaces) to the history, then set the entry's current value."""
    await conn.execute(
        grade_corrections.insert().values(
            student_pid=key.student_pid,
            school_year=key.school_year,
            semester=key.semester,
            subject_code=key.subject_code,
            kind=key.kind,
            seq=key.seq,
            old_score_tenths=old.score_tenths,
            old_rating=old.rating,
            new_score_tenths=score_tenths,
            new_rating=rating,
            corrected_by=by,
            corrected_at=at,
            reason=reason,
        )
    )
    await conn.execute(
        update(grade_entries).where(key.where(grade_entries)).values(score_tenths=score_tenths, rating=rating)
    )


def _lock_key(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(("govgraph.education", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_enrolment(conn: AsyncConnection, is_sqlite: bool) -> None:
    """Serialise enrolment submissions (PostgreSQL advisory transaction lock; SQLite's BEGIN IMMEDIATE already
    does): the one-active-application check, the next id and the next application number cannot interleave.
    Submissions are short transactions, so one queue is plenty even at the peak of the summer windows."""
    if not is_sqlite:
        await conn.execute(select(func.pg_advisory_xact_lock(_lock_key("enrolment"))))


async def active_application(
    conn: AsyncConnection, child_pid: str, level: str, school_year: str, statuses: Sequence[str]
) -> Row[Any] | None:
    a = enrolment_applications.c
    stmt = (
        select(enrolment_applications)
        .where(a.child_pid == child_pid, a.level == level, a.school_year == school_year, a.status.in_(statuses))
        .limit(1)
    )
    return (await conn.execute(stmt)).first()


async def next_application(conn: AsyncConnection, tag: str, start_year: int) -> tuple[int, str]:
    """The next id and application number (TS<year>-<tag>-<serial>); call after :func:`lock_enrolment`."""
    a = enrolment_applications.c
    next_id = int((await conn.execute(select(func.coalesce(func.max(a.id), 0) + 1))).scalar_one())
    prefix = f"TS{start_year}-{tag}-"
    top = (await conn.execute(select(func.max(a.application_no)).where(a.application_no.like(prefix + "%")))).scalar()
    serial = int(str(top).rsplit("-", 1)[1]) + 1 if top else 1
    return next_id, f"{prefix}{serial:06d}"


async def insert_application(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(enrolment_applications.insert().values(**row))


async def lock_application(conn: AsyncConnection, is_sqlite: bool, application_id: int) -> Row[Any] | None:
    stmt = select(enrolment_applications).where(enrolment_applications.c.id == application_id)
    if not is_sqlite:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def decide_application(
    conn: AsyncConnection,
    current: Row[Any],
    status: str,
    assigned_school: str | None,
    by: str,
    at: dt.datetime,
    note: str | None,
) -> None:
    """Set the new status (a final decision also sets decided_at) and append the decision to the history."""
    values: dict[str, Any] = {"status": status}
    if status != "VERIFIED":
        values.update(decided_at=at, assigned_school_code=assigned_school)
    a = enrolment_applications.c
    await conn.execute(
        update(enrolment_applications).where(a.id == current.id, a.status == current.status).values(**values)
    )
    await conn.execute(
        enrolment_decisions.insert().values(
            application_id=current.id,
            from_status=current.status,
            to_status=status,
            assigned_school_code=assigned_school,
            decided_by=by,
            decided_at=at,
            note=note,
        )
    )


async def school_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return (await conn.execute(select(*SCHOOL_COLUMNS).where(schools.c.code == code))).first()


async def subject_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return (await conn.execute(select(subjects).where(subjects.c.code == code))).first()


async def grade_in(conn: AsyncConnection, pid: str, school_year: str) -> int | None:
    """The grade of a child's student record in one school year (None: no record, or kindergarten)."""
    s = students.c
    found = (await conn.execute(select(s.grade).where(s.pid == pid, s.school_year == school_year))).scalar()
    return int(found) if found is not None else None
