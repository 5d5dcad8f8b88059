"""Education store: schools, classes, students, guardians, the e-grade book and online enrolment (DOMAIN.md §7).

Averages and learning-result ratings are not stored: :mod:`govgraph.domain.education` computes them from the
grade-book entries, which a loader fetches for many students in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import (
    Boolean,
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
    select,
)

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
    Column("entered_by", String(24), nullable=False, comment="teacher's staff account"),
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

SCHOOL_COLUMNS = list(schools.c)
PROGRAMME = "GDPT2018"
"""The 2018 General Education Programme: the only curriculum in the store."""
LEVEL_ORDER = {"KINDERGARTEN": 0, "PRIMARY": 1, "LOWER_SECONDARY": 2, "UPPER_SECONDARY": 3}
STUDENT_COLUMNS = list(students.c)


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
    store: Store, f: StudentFilter, order: str, descending: bool, first: int | None, after: str | None
) -> Page:
    stmt = select(*STUDENT_COLUMNS)
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
    store: Store, f: ApplicationFilter, descending: bool, first: int | None, after: str | None
) -> Page:
    a = enrolment_applications.c
    stmt = select(enrolment_applications)
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


# ---------------------------------------------------------------------------------------------------------
# Loaders: one batched statement each
# ---------------------------------------------------------------------------------------------------------


class EducationLoaders:
    """Batched reads of the education store, one loader per batch query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.school_by_code: OneLoader[str, Row[Any]] = OneLoader(self._schools)
        self.schools_by_unit: ManyLoader[tuple[str, str], Row[Any]] = ManyLoader(self._schools_of_units)
        self.class_by_id: OneLoader[int, Row[Any]] = OneLoader(self._classes)
        self.classes_by_school: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda year: ManyLoader(partial(self._classes_of_schools, year))
        )
        self.records_by_pid: ManyLoader[str, Row[Any]] = ManyLoader(self._records)
        self.guardians_by_pid: ManyLoader[str, Row[Any]] = ManyLoader(self._guardians)
        self.entries_by_pid: LoaderFamily[str, list[Row[Any]]] = LoaderFamily(
            lambda year: ManyLoader(partial(self._entries, year))
        )
        self.curriculum_by_programme: OneLoader[str, dict[int, list[Row[Any]]]] = OneLoader(self._curriculum)
        self.subject_by_code: OneLoader[str, Row[Any]] = OneLoader(self._subjects)
        self.application_by_id: OneLoader[int, Row[Any]] = OneLoader(self._applications)

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

    async def _records(self, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        s = students.c
        stmt = select(*STUDENT_COLUMNS).where(s.pid.in_(pids)).order_by(s.pid, s.school_year.desc())
        return index_many(await self.store.all(stmt), lambda r: r.pid)

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
