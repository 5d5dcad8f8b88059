"""Public school data: the schools of Hanoi and their statistics per school year, with small counts suppressed.

Every statistic here counts pupils or averages over them, so all of them follow :mod:`govgraph.public.counts`:

- ``students`` of a cell (one school, or the schools of a unit, optionally of one level) is hidden at 1-4;
- the students per level of a cell are parts of it (rule 2) and a list that adds up to it (rule 4);
- the rating distribution (Tốt / Khá / Đạt / Chưa đạt, and those not rated yet) is a list of parts of the
  cell's secondary students (rules 2 and 4); that total is hidden when it is small, when the rest of the cell is
  small, or when a secondary level's own count is hidden (it would give that count back by subtraction);
- an average (a subject's year average, the mean of the students' year averages) is hidden with the count of
  students it is computed over (rule 3): fewer than 5, or all but 1-4 of the cell's secondary students.

Averages and ratings are never stored. :func:`tallies` loads the grade-book entries of every student of the
schools asked for in ONE statement (the students appear in it only as an anonymous per-statement number, never
by personal ID, name or any other personal column) and computes them in Python with
:mod:`govgraph.domain.education`. A request asks for the schools of a page, or of a unit, together: the number
of statements does not grow with the number of schools or students.

Not prevented (as for the other public statistics): differencing between answers to different questions, for
example a unit's figures against those of each of its schools but one. Only whole schools and whole units
over a whole school year are published; do not add finer cells (a class, a grade) to this schema.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Annotated, Any

import strawberry
from sqlalchemy import and_, func, select

from govgraph.context import Context, Info
from govgraph.datasources import education as ds
from govgraph.datasources.base import OneLoader, Store, paginate
from govgraph.domain import education as rules
from govgraph.domain.text import like_pattern
from govgraph.public.common import AdministrativeUnit, Connection, connection, page_size, unit
from govgraph.public.counts import Average, Count, part_hidden, secondary, too_small

LEVELS = ("KINDERGARTEN", "PRIMARY", "LOWER_SECONDARY", "UPPER_SECONDARY")
SECONDARY = frozenset({"LOWER_SECONDARY", "UPPER_SECONDARY"})
"""Levels assessed under Circular 22/2021 (grades 6-12): the only ones with averages and ratings."""
RATINGS = (rules.Rating.GOOD, rules.Rating.FAIR, rules.Rating.SATISFACTORY, rules.Rating.UNSATISFACTORY)

SCHOOL_COLUMNS = [ds.schools.c.code, ds.schools.c.name, ds.schools.c.level, ds.schools.c.unit_code,
                  ds.schools.c.unit_structure]  # fmt: skip
"""What the public schema reads of a school: no address, phone or anything about a person."""


# ---------------------------------------------------------------------------------------------------------
# Enumerations (the public schema's own classes)
# ---------------------------------------------------------------------------------------------------------


@strawberry.enum(description="Level of education of a school.")
class SchoolLevel(Enum):
    KINDERGARTEN = strawberry.enum_value("KINDERGARTEN", description="Mầm non: kindergarten, ages 3-5.")
    PRIMARY = strawberry.enum_value("PRIMARY", description="Tiểu học: grades 1-5 (Circular 27/2020).")
    LOWER_SECONDARY = strawberry.enum_value(
        "LOWER_SECONDARY", description="Trung học cơ sở (THCS): grades 6-9 (Circular 22/2021)."
    )
    UPPER_SECONDARY = strawberry.enum_value(
        "UPPER_SECONDARY", description="Trung học phổ thông (THPT): grades 10-12 (Circular 22/2021)."
    )


@strawberry.enum(description="Learning result of a school year (kết quả học tập, Circular 22/2021).")
class LearningRating(Enum):
    GOOD = strawberry.enum_value(
        "GOOD", description="Tốt: every comment-only subject Đạt, every scored subject ≥ 6.5, at least 6 ≥ 8.0."
    )
    FAIR = strawberry.enum_value(
        "FAIR", description="Khá: every comment-only subject Đạt, every scored subject ≥ 5.0, at least 6 ≥ 6.5."
    )
    SATISFACTORY = strawberry.enum_value(
        "SATISFACTORY",
        description="Đạt: at most one comment-only subject Chưa đạt, at least 6 scored subjects ≥ 5.0, none < 3.5.",
    )
    UNSATISFACTORY = strawberry.enum_value("UNSATISFACTORY", description="Chưa đạt: anything else.")


# ---------------------------------------------------------------------------------------------------------
# Raw figures: additive, computed in bulk, never published as they are
# ---------------------------------------------------------------------------------------------------------


@dataclass
class LevelTally:
    schools: int = 0
    classes: int = 0
    students: int = 0


@dataclass
class SubjectTally:
    name: str
    position: int
    total: Decimal = Decimal(0)
    """Sum of the year averages (ĐTBmcn) of the students counted."""
    students: int = 0


@dataclass
class Tally:
    """Raw figures of a school (or a sum of schools) in one school year. Published only through :func:`publish`."""

    levels: dict[str, LevelTally] = field(default_factory=dict)
    ratings: Counter[rules.Rating] = field(default_factory=Counter)
    """Year learning results of the secondary students whose grade book is complete."""
    subjects: dict[str, SubjectTally] = field(default_factory=dict)
    """Per scored subject: the year averages of the students who have one."""
    mean_total: Decimal = Decimal(0)
    """Sum over students of the mean of their year averages."""
    mean_students: int = 0
    """Students with at least one year average."""

    @property
    def schools(self) -> int:
        return sum(t.schools for t in self.levels.values())

    @property
    def classes(self) -> int:
        return sum(t.classes for t in self.levels.values())

    @property
    def students(self) -> int:
        return sum(t.students for t in self.levels.values())

    @property
    def assessed(self) -> int:
        """Students of secondary schools: those the rating distribution divides."""
        return sum(t.students for lv, t in self.levels.items() if lv in SECONDARY)

    def add(self, other: Tally) -> None:
        for lv, t in other.levels.items():
            mine = self.levels.setdefault(lv, LevelTally())
            mine.schools += t.schools
            mine.classes += t.classes
            mine.students += t.students
        self.ratings.update(other.ratings)
        for code, s in other.subjects.items():
            acc = self.subjects.setdefault(code, SubjectTally(s.name, s.position))
            acc.total += s.total
            acc.students += s.students
        self.mean_total += other.mean_total
        self.mean_students += other.mean_students


def _rules_by_grade(curriculum: dict[int, list[Any]]) -> dict[int, dict[str, rules.SubjectRule]]:
    return {
        grade: {r.code: rules.SubjectRule(rules.Mode(r.mode), r.periods_per_year) for r in rows}
        for grade, rows in curriculum.items()
    }


KINDS = {k.value: k for k in rules.Kind}
SCORES = {tenths: Decimal(tenths) / 10 for tenths in range(101)}
"""Scores are stored as tenths 0-100: the Decimal of each, made once."""


def _book(rows: Sequence[Any]) -> list[rules.Entry]:
    return [
        rules.Entry(
            subject=r.subject_code,
            semester=r.semester,
            kind=KINDS[r.kind],
            seq=r.seq,
            score=None if r.score_tenths is None else SCORES[r.score_tenths],
            passed=None if r.rating is None else r.rating == "PASS",
        )
        for r in rows
    ]


def _count_student(tally: Tally, results: list[rules.SubjectResult], names: dict[str, Any]) -> None:
    """Add one student's computed results to their school's tally."""
    rating = rules.rating_of(results, None)
    if rating is not None:
        tally.ratings[rating] += 1
    averages = [
        (r.subject, r.year_average) for r in results if r.mode == rules.Mode.SCORE and r.year_average is not None
    ]
    for code, avg in averages:
        subject = names[code]
        acc = tally.subjects.setdefault(code, SubjectTally(subject.name, subject.position))
        acc.total += avg
        acc.students += 1
    if averages:
        tally.mean_total += sum((avg for _code, avg in averages), Decimal(0)) / len(averages)
        tally.mean_students += 1


async def tallies(ctx: Context, school_year: str, codes: Sequence[str]) -> dict[str, Tally]:
    """The tally of each school in ``codes`` for ``school_year``: a fixed number of statements for any number
    of schools (counts; the curriculum, read once per request; every grade-book entry of their students)."""
    store: Store = ctx.stores["education"]
    s, st, c = ds.schools.c, ds.students.c, ds.classes.c
    n_students = select(func.count()).where(st.school_code == s.code, st.school_year == school_year)
    n_classes = select(func.count()).where(c.school_code == s.code, c.school_year == school_year)
    counts = await store.all(
        select(
            s.code,
            s.level,
            n_students.scalar_subquery().label("students"),
            n_classes.scalar_subquery().label("classes"),
        ).where(s.code.in_(list(codes)))
    )
    out = {
        r.code: Tally(levels={r.level: LevelTally(schools=1, classes=int(r.classes), students=int(r.students))})
        for r in counts
    }
    secondary_codes = sorted(r.code for r in counts if r.level in SECONDARY and r.students)
    if not secondary_codes:
        return out
    curriculum = await ctx.loaders.education.curriculum_by_programme.load(ds.PROGRAMME) or {}
    by_grade = _rules_by_grade(curriculum)
    names = {r.code: r for rows in curriculum.values() for r in rows}
    e = ds.grade_entries.c
    pupil = func.dense_rank().over(order_by=st.pid).label("pupil")  # an anonymous number within this statement
    entries = await store.all(
        select(st.school_code, st.grade, pupil, e.semester, e.subject_code, e.kind, e.seq, e.score_tenths, e.rating)
        .select_from(ds.grade_entries.join(ds.students, and_(st.pid == e.student_pid, st.school_year == e.school_year)))
        .where(st.school_year == school_year, e.school_year == school_year, st.school_code.in_(secondary_codes))
    )
    by_pupil: dict[int, list[Any]] = defaultdict(list)
    for r in entries:
        by_pupil[r.pupil].append(r)
    for rows in by_pupil.values():
        first = rows[0]
        grade_rules = by_grade.get(first.grade) if first.grade is not None else None
        results = rules.subject_results(_book(rows), grade_rules) if grade_rules else []
        _count_student(out[first.school_code], results, names)
    return out


def tally_loader(info: Info, school_year: str) -> OneLoader[str, Tally]:
    """Per request and school year: every school whose statistics are asked for is tallied in one batch."""
    rules.school_year_start(school_year)  # a malformed school year is the caller's error (ValueError)
    ctx = info.context
    return ctx.scoped_loader(
        f"public.school_tallies.{school_year}", lambda: OneLoader(partial(tallies, ctx, school_year))
    )


# ---------------------------------------------------------------------------------------------------------
# Published figures
# ---------------------------------------------------------------------------------------------------------


@strawberry.type(description="Schools, classes and students of one level within a statistics cell.")
class LevelFigures:
    level: SchoolLevel = strawberry.field(description="The level of education.")
    schools: int = strawberry.field(description="Schools of this level in the cell.")
    classes: int = strawberry.field(description="Their classes in the school year.")
    students: Count = strawberry.field(description="Their students in the school year.")


@strawberry.type(description="The year average (điểm trung bình môn cả năm) of one scored subject over students.")
class SubjectYearAverage:
    code: str = strawberry.field(description="Subject code, e.g. 'TOAN', 'NV', 'KHTN'.")
    name: str = strawberry.field(description="Subject name under the 2018 programme, e.g. 'Toán'.")
    students: Count = strawberry.field(description="Students with a year average in the subject.")
    average: Average = strawberry.field(
        description="Mean of their year averages (0-10); suppressed with `students` (fewer than 5, or all but 1-4)."
    )


@strawberry.type(description="An average over students with the number of students it is computed over.")
class StudentsAverage:
    students: Count = strawberry.field(description="Students the average is computed over.")
    average: Average = strawberry.field(description="The average (0-10); suppressed with `students`.")


@strawberry.type(description="Students with one learning result of the school year.")
class RatingCount:
    rating: LearningRating = strawberry.field(description="The learning result.")
    students: Count = strawberry.field(description="Students with that result.")


@strawberry.type(
    description="Year learning results (Tốt / Khá / Đạt / Chưa đạt) of the students of secondary schools, computed "
    "from the grade book (Circular 22/2021). The results and `notRated` add up to `students`; 1-4 (or what would "
    "reveal 1-4) is suppressed, and never exactly one of them."
)
class RatingDistribution:
    students: Count = strawberry.field(
        description="Students of the cell's lower and upper secondary schools (grades 6-12)."
    )
    by_rating: list[RatingCount] = strawberry.field(description="Tốt, Khá, Đạt and Chưa đạt, in that order.")
    not_rated: Count = strawberry.field(
        description="Students without a year result: their grade book of the year is not complete (yet)."
    )


@strawberry.type(
    description="Statistics of one school, or of the schools of a ward or commune (optionally of one level), in "
    "one school year. Counts of students of 1-4, and what would reveal them, are suppressed."
)
class SchoolStatistics:
    school_year: str = strawberry.field(description="The school year, e.g. '2025-2026'.")
    level: SchoolLevel | None = strawberry.field(
        description="The school's level, or the level the unit's schools were restricted to (null: all levels)."
    )
    schools: int = strawberry.field(description="Schools counted.")
    classes: int = strawberry.field(description="Their classes in the school year.")
    students: Count = strawberry.field(description="Their students in the school year.")
    by_level: list[LevelFigures] = strawberry.field(
        description="Students per level (levels with a school in the cell, kindergarten first); they add up to "
        "`students`."
    )
    year_averages: list[SubjectYearAverage] = strawberry.field(
        description="Per scored subject, the mean year average of the students who have one, in the order of the "
        "school record (secondary schools only; empty while no year is complete)."
    )
    overall_year_average: StudentsAverage = strawberry.field(
        description="Average of year averages: each student's scored subjects' year averages averaged, then "
        "averaged over the students who have at least one."
    )
    ratings: RatingDistribution = strawberry.field(description="Year learning results of secondary students.")
    school_code: strawberry.Private[str | None]
    unit_code: strawberry.Private[str | None]

    @strawberry.field(description="The school, for the statistics of one school.")
    async def school(self, info: Info) -> School | None:
        return await school(info, self.school_code) if self.school_code else None

    @strawberry.field(description="The ward or commune (2025-07 structure), for the statistics of a unit.")
    def unit(self) -> AdministrativeUnit | None:
        return unit(self.unit_code)


def _hide(value: int, hidden: bool) -> Count:
    return Count.of(value, hidden)


def _average(total: Decimal, n: int, hidden: bool) -> Average:
    if hidden:
        return Average(value=None, suppressed=True)
    return Average.of(float(total), n)


def publish(
    t: Tally, school_year: str, level: str | None, school_code: str | None, unit_code: str | None
) -> SchoolStatistics:
    """The tally with every suppression rule applied (see the module's documentation)."""
    students = t.students
    whole = too_small(students)
    levels = [lv for lv in LEVELS if lv in t.levels]
    per_level = [t.levels[lv].students for lv in levels]
    level_hidden = secondary(per_level, [part_hidden(n, students, whole) for n in per_level])
    assessed = t.assessed
    assessed_hidden = part_hidden(assessed, students, whole) or any(
        h and lv in SECONDARY and n for lv, n, h in zip(levels, per_level, level_hidden, strict=True)
    )
    rated = [t.ratings[r] for r in RATINGS]
    buckets = [*rated, assessed - sum(rated)]
    bucket_hidden = secondary(buckets, [part_hidden(n, assessed, assessed_hidden) for n in buckets])
    subjects = sorted(t.subjects.items(), key=lambda item: (item[1].position, item[0]))
    year_averages = []
    for code, s in subjects:
        hidden = part_hidden(s.students, assessed, assessed_hidden)
        year_averages.append(
            SubjectYearAverage(
                code=code,
                name=s.name,
                students=_hide(s.students, hidden),
                average=_average(s.total, s.students, hidden),
            )
        )
    mean_hidden = part_hidden(t.mean_students, assessed, assessed_hidden)
    return SchoolStatistics(
        school_year=school_year,
        level=SchoolLevel(level) if level else None,
        schools=t.schools,
        classes=t.classes,
        students=_hide(students, whole),
        by_level=[
            LevelFigures(
                level=SchoolLevel(lv),
                schools=t.levels[lv].schools,
                classes=t.levels[lv].classes,
                students=_hide(n, h),
            )
            for lv, n, h in zip(levels, per_level, level_hidden, strict=True)
        ],
        year_averages=year_averages,
        overall_year_average=StudentsAverage(
            students=_hide(t.mean_students, mean_hidden),
            average=_average(t.mean_total, t.mean_students, mean_hidden),
        ),
        ratings=RatingDistribution(
            students=_hide(assessed, assessed_hidden),
            by_rating=[
                RatingCount(rating=LearningRating(r.value), students=_hide(n, h))
                for r, n, h in zip(RATINGS, rated, bucket_hidden[:-1], strict=True)
            ],
            not_rated=_hide(buckets[-1], bucket_hidden[-1]),
        ),
        school_code=school_code,
        unit_code=unit_code,
    )


# ---------------------------------------------------------------------------------------------------------
# Schools
# ---------------------------------------------------------------------------------------------------------

SchoolYear = Annotated[str, strawberry.argument(description="School year, e.g. '2025-2026'.")]


@strawberry.type(description="A school of Hanoi: what is public about it (code, name, level, ward or commune).")
class School:
    code: str = strawberry.field(description="School code (mã trường).")
    name: str = strawberry.field(description="Official name, e.g. 'Trường THCS Trưng Vương'.")
    level: SchoolLevel = strawberry.field(description="Level of education.")
    unit_code: strawberry.Private[str]
    unit_structure: strawberry.Private[str]

    @classmethod
    def from_row(cls, r: Any) -> School:
        return cls(
            code=r.code,
            name=r.name,
            level=SchoolLevel(r.level),
            unit_code=r.unit_code,
            unit_structure=r.unit_structure,
        )

    @strawberry.field(description="The ward or commune of the school's address.")
    def unit(self) -> AdministrativeUnit | None:
        return unit(self.unit_code, self.unit_structure)

    @strawberry.field(
        description="The school's statistics in a school year (students, classes, averages, learning results)."
    )
    async def statistics(self, info: Info, school_year: SchoolYear) -> SchoolStatistics:
        t = await tally_loader(info, school_year).load(self.code)
        return publish(t or Tally(), school_year, self.level.name, self.code, None)


@strawberry.input(description="Which schools to list.")
class SchoolFilter:
    unit_code: str | None = strawberry.field(
        default=None, description="Only schools in this ward or commune (2025-07 code)."
    )
    level: SchoolLevel | None = strawberry.field(default=None, description="Only schools of this level.")
    search: str | None = strawberry.field(default=None, description="Words of the name, any accents.")


async def _school_rows(store: Store, codes: Sequence[str]) -> dict[str, Any]:
    rows = await store.all(select(*SCHOOL_COLUMNS).where(ds.schools.c.code.in_(list(codes))))
    return {r.code: r for r in rows}


async def school(info: Info, code: str) -> School | None:
    ctx = info.context
    loader = ctx.scoped_loader(
        "public.school_by_code", lambda: OneLoader(partial(_school_rows, ctx.stores["education"]))
    )
    row = await loader.load(code)
    return School.from_row(row) if row else None


async def schools(info: Info, f: SchoolFilter | None, first: int | None, after: str | None) -> Connection[School]:
    f = f or SchoolFilter()
    s = ds.schools.c
    stmt = select(*SCHOOL_COLUMNS)
    if f.unit_code:
        stmt = stmt.where(s.unit_code == f.unit_code)
    if f.level:
        stmt = stmt.where(s.level == f.level.name)
    if f.search:
        stmt = stmt.where(s.name_folded.like(like_pattern(f.search), escape="\\"))
    page = await paginate(info.context.stores["education"], stmt, [(s.code, False)], page_size(info, first), after)
    return connection(page, School.from_row)


async def school_statistics(
    info: Info, school_code: str | None, unit_code: str | None, school_year: str, level: SchoolLevel | None
) -> SchoolStatistics | None:
    """One school's statistics, or those of a unit's schools (of one level): null for an unknown code."""
    if (school_code is None) == (unit_code is None):
        raise ValueError("Give either `schoolCode` or `unitCode`")
    loader = tally_loader(info, school_year)
    if unit_code is None:
        if level is not None:
            raise ValueError("`level` restricts the schools of a unit: it does not go with `schoolCode`")
        found = await school(info, school_code or "")
        return await found.statistics(info, school_year) if found else None
    if unit(unit_code) is None:
        return None
    s = ds.schools.c
    stmt = select(s.code).where(s.unit_code == unit_code, s.unit_structure == "Y2025_07")
    if level is not None:
        stmt = stmt.where(s.level == level.name)
    codes = [r.code for r in await info.context.stores["education"].all(stmt.order_by(s.code))]
    total = Tally()
    for t in await loader.load_many(codes):
        if t is not None:
            total.add(t)
    return publish(total, school_year, level.name if level else None, None, unit_code)
