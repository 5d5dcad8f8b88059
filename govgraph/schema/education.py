"""Education: schools, classes, students (học sinh), the e-grade book (sổ điểm điện tử) and online enrolment."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from govgraph.context import Info
from govgraph.resolvers import education as resolve
from govgraph.schema.common import Connection, Sex, UserError, local

if TYPE_CHECKING:
    from govgraph.schema.places import AdministrativeUnit
    from govgraph.schema.population import Citizen

SCHOOL_YEAR_HELP = "School year, e.g. '2025-2026'."


@dataclass(frozen=True)
class StudentRef:
    """Whose record a piece of the grade book is, for the field policy (govgraph/auth/policy.py, education): the
    record's opaque node key, the pupil's personal ID, the school and the school's unit."""

    key: str
    pid: str
    school: str | None
    unit: str | None


@strawberry.enum(description="Level of education a school provides (cấp học).")
class SchoolLevel(Enum):
    KINDERGARTEN = strawberry.enum_value("KINDERGARTEN", description="Mầm non: kindergarten, ages 3-5.")
    PRIMARY = strawberry.enum_value("PRIMARY", description="Tiểu học: grades 1-5 (Circular 27/2020).")
    LOWER_SECONDARY = strawberry.enum_value(
        "LOWER_SECONDARY", description="Trung học cơ sở (THCS): grades 6-9 (Circular 22/2021)."
    )
    UPPER_SECONDARY = strawberry.enum_value(
        "UPPER_SECONDARY", description="Trung học phổ thông (THPT): grades 10-12 (Circular 22/2021)."
    )


@strawberry.enum(description="How a subject is assessed under Circular 22/2021/TT-BGDĐT.")
class AssessmentMode(Enum):
    SCORE = strawberry.enum_value("SCORE", description="Comment plus score: assessments scored 0-10.")
    COMMENT = strawberry.enum_value("COMMENT", description="Comment only: assessments rated Đạt / Chưa đạt.")


@strawberry.enum(description="Kind of assessment in the grade book.")
class GradeKind(Enum):
    REGULAR = strawberry.enum_value("REGULAR", description="Regular assessment (đánh giá thường xuyên, ĐĐGtx).")
    MIDTERM = strawberry.enum_value("MIDTERM", description="Mid-term assessment (đánh giá giữa kì, ĐĐGgk).")
    FINAL = strawberry.enum_value("FINAL", description="End-of-term assessment (đánh giá cuối kì, ĐĐGck).")


@strawberry.enum(description="Result of a comment-only assessment or subject.")
class CommentRating(Enum):
    PASS = strawberry.enum_value("PASS", description="Đạt.")
    FAIL = strawberry.enum_value("FAIL", description="Chưa đạt.")


@strawberry.enum(description="Learning result of a semester or school year (kết quả học tập, Circular 22 Art. 9).")
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


@strawberry.enum(description="How a guardian is related to a student.")
class GuardianRelation(Enum):
    FATHER = strawberry.enum_value("FATHER", description="Cha.")
    MOTHER = strawberry.enum_value("MOTHER", description="Mẹ.")
    GUARDIAN = strawberry.enum_value("GUARDIAN", description="Another legal guardian (người giám hộ).")


@strawberry.enum(description="Entry level of an online enrolment application (tuyển sinh trực tuyến).")
class EnrolmentLevel(Enum):
    KINDERGARTEN = strawberry.enum_value("KINDERGARTEN", description="The 5-year-old kindergarten class.")
    GRADE_1 = strawberry.enum_value("GRADE_1", description="Grade 1 (lớp 1) of primary school.")
    GRADE_6 = strawberry.enum_value("GRADE_6", description="Grade 6 (lớp 6) of lower secondary school.")


@strawberry.enum(description="Status of an enrolment application.")
class EnrolmentStatus(Enum):
    SUBMITTED = strawberry.enum_value("SUBMITTED", description="Submitted online, not yet checked.")
    VERIFIED = strawberry.enum_value(
        "VERIFIED", description="Residence and identity checked against the population database (đúng tuyến)."
    )
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Admitted to the school applied to (trúng tuyển).")
    REJECTED = strawberry.enum_value("REJECTED", description="Not admitted, e.g. outside the school's route.")
    TRANSFERRED = strawberry.enum_value(
        "TRANSFERRED", description="Admitted to another school of the route (điều chuyển), see `assignedSchool`."
    )


@strawberry.type(description="A subject of the 2018 General Education Programme (GDPT 2018).")
class Subject:
    code: str = strawberry.field(description="Short code, e.g. 'TOAN', 'NV', 'KHTN'.")
    name: str = strawberry.field(description="Name in Vietnamese, e.g. 'Khoa học tự nhiên'.")
    mode: AssessmentMode = strawberry.field(description="Scored 0-10, or comment-only (Đạt / Chưa đạt).")

    @classmethod
    def from_row(cls, r: Any) -> Subject:
        return cls(code=r.code, name=r.name, mode=AssessmentMode(r.mode))


@strawberry.type(description="A school (trường) of the Hanoi Department of Education and Training.")
class School(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="School code (mã trường).")
    name: str = strawberry.field(description="Official name, e.g. 'Trường THCS Trưng Vương'.")
    level: SchoolLevel = strawberry.field(description="Level of education.")
    address: str = strawberry.field(description="Street address as written.")
    phone: str | None = strawberry.field(description="Landline (024 + 8 digits).")
    founded_year: int | None = strawberry.field(description="Year the school was founded.")
    unit_code: strawberry.Private[str]
    unit_structure: strawberry.Private[str]

    @classmethod
    def from_row(cls, r: Any) -> School:
        return cls(
            key=r.code,
            code=r.code,
            name=r.name,
            level=SchoolLevel(r.level),
            address=r.address,
            phone=r.phone,
            founded_year=r.founded_year,
            unit_code=r.unit_code,
            unit_structure=r.unit_structure,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[School | None]:
        return await resolve.schools_by_code(info, node_ids, required)

    # Federation (GOVGRAPH_FEDERATION=1, @key "code"): the same loader as `node`.
    @classmethod
    async def resolve_reference(cls, info: Info, **key: str) -> School | None:
        return (await resolve.schools_by_code(info, [str(key["code"])], False))[0]

    @strawberry.field(description="The ward or commune the school is in.")
    def unit(self) -> Annotated[AdministrativeUnit, strawberry.lazy("govgraph.schema.places")] | None:
        return resolve.unit(self.unit_code, self.unit_structure)

    @strawberry.field(description="Classes of a school year, by grade and name.")
    async def classes(
        self, info: Info, school_year: Annotated[str, strawberry.argument(description=SCHOOL_YEAR_HELP)]
    ) -> list[SchoolClass]:
        return await resolve.school_classes(info, self.code, school_year)

    @strawberry.field(description="Student records of this school (keyset pagination, by name).")
    async def students(
        self,
        info: Info,
        school_year: Annotated[str | None, strawberry.argument(description=SCHOOL_YEAR_HELP)] = None,
        grade: Annotated[int | None, strawberry.argument(description="Only this grade (1-12).")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Student]:
        f = StudentFilterInput(school_code=self.code, school_year=school_year, grade=grade)
        return await resolve.students(info, f, StudentOrder(field=StudentOrderField.NAME), first, after)


@strawberry.type(description="A class (lớp) of a school in one school year.")
class SchoolClass(relay.Node):
    key: relay.NodeID[str]
    name: str = strawberry.field(description="Class name, e.g. '6A1'; kindergarten: 'Lá 2', 'Chồi 1', 'Mầm 3'.")
    school_year: str = strawberry.field(description=SCHOOL_YEAR_HELP)
    grade: int | None = strawberry.field(description="Grade 1-12; null for kindergarten classes.")
    age_group: int | None = strawberry.field(description="Kindergarten age group (3, 4 or 5); null otherwise.")
    homeroom_teacher: str | None = strawberry.field(description="Homeroom teacher (giáo viên chủ nhiệm).")
    school_code: strawberry.Private[str]
    elective_codes: strawberry.Private[list[str]]

    @classmethod
    def from_row(cls, r: Any) -> SchoolClass:
        return cls(
            key=str(r.id),
            name=r.name,
            school_year=r.school_year,
            grade=r.grade,
            age_group=r.age_group,
            homeroom_teacher=r.homeroom_teacher,
            school_code=r.school_code,
            elective_codes=r.electives.split(",") if r.electives else [],
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[SchoolClass | None]:
        return await resolve.classes_by_id(info, node_ids, required)

    @strawberry.field(description="The school.")
    async def school(self, info: Info) -> School | None:
        return await resolve.school(info, self.school_code)

    @strawberry.field(description="Upper secondary: the elective subjects (môn lựa chọn) the class studies.")
    async def electives(self, info: Info) -> list[Subject]:
        return await resolve.subjects(info, self.elective_codes)

    @strawberry.field(description="Students of the class, by name.")
    async def students(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Student]:
        return await resolve.class_students(info, int(self.key), first, after)


@strawberry.type(description="A parent or guardian as declared to the school.")
class Guardian:
    relation: GuardianRelation = strawberry.field(description="Father, mother or other guardian.")
    personal_id: str = strawberry.field(description="The guardian's personal ID number.")
    full_name: str | None = strawberry.field(description="Name as declared to the school.")
    phone: str | None = strawberry.field(description="Contact phone declared to the school.")
    ref: strawberry.Private[StudentRef]

    @strawberry.field(description="The guardian in the population register (null if not registered in Hanoi).")
    async def citizen(self, info: Info) -> Annotated[Citizen, strawberry.lazy("govgraph.schema.population")] | None:
        return await resolve.citizen(info, self.personal_id)


@strawberry.type(description="One entry of the e-grade book (sổ điểm điện tử).")
class GradeEntry:
    subject: Subject = strawberry.field(description="The subject.")
    semester: int = strawberry.field(description="Semester (học kì) 1 or 2.")
    kind: GradeKind = strawberry.field(description="Regular, mid-term or end-of-term assessment.")
    seq: int = strawberry.field(description="Number of the assessment within its kind, from 1.")
    score: float | None = strawberry.field(description="Score 0-10, one decimal (scored subjects).")
    rating: CommentRating | None = strawberry.field(description="Đạt / Chưa đạt (comment-only subjects).")
    entered_by: str = strawberry.field(description="Staff account of the teacher who entered it.")
    entered_at_raw: strawberry.Private[dt.datetime]
    student_pid: strawberry.Private[str]
    school_year: strawberry.Private[str]
    ref: strawberry.Private[StudentRef]
    """The record of that school year (its school may differ from the record the entry was reached from)."""

    @strawberry.field(description="When it was entered (ISO 8601, +07:00).")
    def entered_at(self) -> dt.datetime:
        return local(self.entered_at_raw) or self.entered_at_raw

    @strawberry.field(
        description="Corrections of this entry, oldest first (append-only history: each keeps the value it "
        "replaced, who corrected it, when and why). `score`/`rating` above is the current value."
    )
    async def corrections(self, info: Info) -> list[GradeCorrection]:
        return await resolve.corrections(info, self)


@strawberry.type(description="One correction of a grade-book entry (sửa điểm), from the append-only history.")
class GradeCorrection:
    previous_score: float | None = strawberry.field(description="The score it replaced (scored subjects).")
    previous_rating: CommentRating | None = strawberry.field(description="The rating it replaced (comment-only).")
    score: float | None = strawberry.field(description="The score it set (scored subjects).")
    rating: CommentRating | None = strawberry.field(description="The rating it set (comment-only subjects).")
    corrected_by: str = strawberry.field(description="Staff account that made the correction.")
    reason: str | None = strawberry.field(description="Why the entry was corrected.")
    corrected_at_raw: strawberry.Private[dt.datetime]
    ref: strawberry.Private[StudentRef]

    @strawberry.field(description="When it was corrected (ISO 8601, +07:00).")
    def corrected_at(self) -> dt.datetime:
        return local(self.corrected_at_raw) or self.corrected_at_raw


@strawberry.type(
    description="A subject's results in one school year, computed from the grade book (Circular 22): "
    "ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5); ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3. "
    "Null where a semester is not complete (no mid-term or end-of-term assessment yet)."
)
class SubjectResult:
    subject: Subject = strawberry.field(description="The subject.")
    regular_assessments_required: int = strawberry.field(
        description="Regular assessments required per semester (2, 3 or 4 by periods per year)."
    )
    semester1_average: float | None = strawberry.field(description="Semester I average (ĐTBmhkI), scored subjects.")
    semester2_average: float | None = strawberry.field(description="Semester II average (ĐTBmhkII), scored subjects.")
    year_average: float | None = strawberry.field(description="Year average (ĐTBmcn), scored subjects.")
    semester1_result: CommentRating | None = strawberry.field(description="Semester I result, comment-only subjects.")
    semester2_result: CommentRating | None = strawberry.field(description="Semester II result, comment-only subjects.")
    year_result: CommentRating | None = strawberry.field(
        description="Year result of a comment-only subject (semester II's result)."
    )
    ref: strawberry.Private[StudentRef]


@strawberry.type(description="A student record (học sinh): one pupil at one school in one school year.")
class Student(relay.Node):
    key: relay.NodeID[str]
    personal_id: str = strawberry.field(description="The pupil's personal ID number (mã định danh).")
    full_name: str | None = strawberry.field(description="Name as in the school record (học bạ).")
    date_of_birth: dt.date | None = strawberry.field(description="Date of birth.")
    sex: Sex = strawberry.field(description="Sex.")
    school_year: str = strawberry.field(description=SCHOOL_YEAR_HELP)
    grade: int | None = strawberry.field(description="Grade 1-12; null in kindergarten.")
    age_group: int | None = strawberry.field(description="Kindergarten age group (3, 4 or 5); null otherwise.")
    school_code: strawberry.Private[str]
    class_id: strawberry.Private[int]
    unit_code: strawberry.Private[str | None]
    """The school's unit: education officers of that unit read the record."""

    @property
    def ref(self) -> StudentRef:
        return StudentRef(key=str(self.key), pid=self.personal_id, school=self.school_code, unit=self.unit_code)

    @classmethod
    def from_row(cls, r: Any) -> Student:
        """A row of ``datasources.education.STUDENT_SELECT`` (with ``school_unit``)."""
        return cls(
            key=r.node_key,
            personal_id=r.pid,
            full_name=r.full_name,
            date_of_birth=r.date_of_birth,
            sex=Sex(r.sex),
            school_year=r.school_year,
            grade=r.grade,
            age_group=r.age_group,
            school_code=r.school_code,
            class_id=r.class_id,
            unit_code=r.school_unit,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Student | None]:
        return await resolve.students_by_key(info, node_ids, required)

    @strawberry.field(description="The school.")
    async def school(self, info: Info) -> School | None:
        return await resolve.school(info, self.school_code)

    @strawberry.field(name="class", description="The class (lớp).")
    async def school_class(self, info: Info) -> SchoolClass | None:
        return await resolve.school_class(info, self.class_id)

    @strawberry.field(description="The pupil in the population register (null if not registered in Hanoi).")
    async def citizen(self, info: Info) -> Annotated[Citizen, strawberry.lazy("govgraph.schema.population")] | None:
        return await resolve.citizen(info, self.personal_id)

    @strawberry.field(description="Parents and guardians declared to the school.")
    async def guardians(self, info: Info) -> list[Guardian]:
        return await resolve.guardians(info, self)

    @strawberry.field(description="Grade-book entries of a school year, by semester, subject, kind and number.")
    async def grades(
        self,
        info: Info,
        school_year: Annotated[
            str | None, strawberry.argument(description="School year, e.g. '2025-2026'; default: this record's.")
        ] = None,
        semester: Annotated[int | None, strawberry.argument(description="Only semester 1 or 2.")] = None,
    ) -> list[GradeEntry] | None:
        return await resolve.grades(info, self, school_year or self.school_year, semester)

    @strawberry.field(description="Per-subject semester and year results, computed from the grade book.")
    async def subject_results(
        self,
        info: Info,
        school_year: Annotated[
            str | None, strawberry.argument(description="School year, e.g. '2025-2026'; default: this record's.")
        ] = None,
    ) -> list[SubjectResult] | None:
        return await resolve.subject_results(info, self, school_year or self.school_year)

    @strawberry.field(
        description="Learning result (Tốt / Khá / Đạt / Chưa đạt) of a semester, or of the year when `semester` "
        "is null; null until every subject of that period has its results."
    )
    async def rating(
        self,
        info: Info,
        school_year: Annotated[
            str | None, strawberry.argument(description="School year, e.g. '2025-2026'; default: this record's.")
        ] = None,
        semester: Annotated[int | None, strawberry.argument(description="1 or 2; null for the year.")] = None,
    ) -> LearningRating | None:
        return await resolve.rating(info, self, school_year or self.school_year, semester)


@strawberry.type(description="An online enrolment application (hồ sơ tuyển sinh trực tuyến).")
class EnrolmentApplication(relay.Node):
    key: relay.NodeID[str]
    application_no: str = strawberry.field(description="Application number, e.g. 'TS2026-L1-000123'.")
    school_year: str = strawberry.field(description="The school year the child enters.")
    level: EnrolmentLevel = strawberry.field(description="Kindergarten (5-year-olds), grade 1 or grade 6.")
    status: EnrolmentStatus = strawberry.field(description="Where the application stands.")
    child_personal_id: str = strawberry.field(description="The child's personal ID number, used to apply.")
    child_name: str | None = strawberry.field(description="The child's name as entered.")
    child_date_of_birth: dt.date | None = strawberry.field(description="The child's date of birth as entered.")
    school_code: strawberry.Private[str]
    school_unit: strawberry.Private[str | None]
    """Unit of the school applied to: its education officers decide the application."""
    assigned_school_code: strawberry.Private[str | None]
    route_unit_code: strawberry.Private[str]
    route_unit_structure: strawberry.Private[str]
    submitted_at_raw: strawberry.Private[dt.datetime]
    decided_at_raw: strawberry.Private[dt.datetime | None]

    @classmethod
    def from_row(cls, r: Any) -> EnrolmentApplication:
        """A row of ``datasources.education.APPLICATION_SELECT`` (with ``school_unit``)."""
        return cls(
            key=str(r.id),
            application_no=r.application_no,
            school_year=r.school_year,
            level=EnrolmentLevel(r.level),
            status=EnrolmentStatus(r.status),
            child_personal_id=r.child_pid,
            child_name=r.child_name,
            child_date_of_birth=r.child_dob,
            school_code=r.school_code,
            school_unit=r.school_unit,
            assigned_school_code=r.assigned_school_code,
            route_unit_code=r.route_unit_code,
            route_unit_structure=r.route_unit_structure,
            submitted_at_raw=r.submitted_at,
            decided_at_raw=r.decided_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[EnrolmentApplication | None]:
        return await resolve.applications_by_id(info, node_ids, required)

    @strawberry.field(description="When it was submitted (ISO 8601, +07:00).")
    def submitted_at(self) -> dt.datetime:
        return local(self.submitted_at_raw) or self.submitted_at_raw

    @strawberry.field(description="When it was decided (accepted, rejected or transferred), if it was.")
    def decided_at(self) -> dt.datetime | None:
        return local(self.decided_at_raw)

    @strawberry.field(description="The school applied to.")
    async def school(self, info: Info) -> School | None:
        return await resolve.school(info, self.school_code)

    @strawberry.field(description="The school the child was transferred to (TRANSFERRED only).")
    async def assigned_school(self, info: Info) -> School | None:
        if self.assigned_school_code is None:
            return None
        return await resolve.school(info, self.assigned_school_code)

    @strawberry.field(description="The residence unit that sets the child's route (tuyến tuyển sinh).")
    def route_unit(self) -> Annotated[AdministrativeUnit, strawberry.lazy("govgraph.schema.places")] | None:
        return resolve.unit(self.route_unit_code, self.route_unit_structure)

    @strawberry.field(description="The child in the population register (null if not registered in Hanoi).")
    async def child(self, info: Info) -> Annotated[Citizen, strawberry.lazy("govgraph.schema.population")] | None:
        return await resolve.citizen(info, self.child_personal_id)


# ---------------------------------------------------------------------------------------------------------
# Inputs and root fields
# ---------------------------------------------------------------------------------------------------------


@strawberry.enum(description="Orderings of the schools list.")
class SchoolOrderField(Enum):
    CODE = strawberry.enum_value("CODE", description="By school code.")
    NAME = strawberry.enum_value("NAME", description="By name, diacritic-insensitive.")


@strawberry.input(description="How to order schools.")
class SchoolOrder:
    field: SchoolOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest first.")


@strawberry.input(description="Filters on schools; all given filters must match.")
class SchoolFilterInput:
    unit_code: str | None = strawberry.field(default=None, description="Only schools in this unit code.")
    unit_structure: str | None = strawberry.field(
        default=None, description="Structure of `unitCode` (Y2025_07); default: any."
    )
    level: SchoolLevel | None = strawberry.field(default=None, description="Only this level.")
    search: str | None = strawberry.field(
        default=None, description="Words of the name, any accents: 'trung vuong' finds 'Trường THCS Trưng Vương'."
    )


@strawberry.enum(description="Orderings of the students list.")
class StudentOrderField(Enum):
    PERSONAL_ID = strawberry.enum_value("PERSONAL_ID", description="By personal ID number, then school year.")
    NAME = strawberry.enum_value("NAME", description="By name, diacritic-insensitive.")


@strawberry.input(description="How to order students.")
class StudentOrder:
    field: StudentOrderField = strawberry.field(description="The ordering key.")
    descending: bool = strawberry.field(default=False, description="Largest first.")


@strawberry.input(description="Filters on student records; all given filters must match.")
class StudentFilterInput:
    school_code: str | None = strawberry.field(default=None, description="Only this school.")
    class_id: relay.GlobalID | None = strawberry.field(default=None, description="Only this class (its `id`).")
    grade: int | None = strawberry.field(default=None, description="Only this grade (1-12).")
    school_year: str | None = strawberry.field(default=None, description=SCHOOL_YEAR_HELP)
    search: str | None = strawberry.field(default=None, description="Words of the pupil's name, any accents.")


@strawberry.input(description="Filters on enrolment applications; all given filters must match.")
class EnrolmentApplicationFilterInput:
    level: EnrolmentLevel | None = strawberry.field(default=None, description="Only this entry level.")
    status: EnrolmentStatus | None = strawberry.field(default=None, description="Only this status.")
    school_code: str | None = strawberry.field(default=None, description="Only applications to this school.")
    unit_code: str | None = strawberry.field(default=None, description="Only this route (residence) unit code.")
    school_year: str | None = strawberry.field(default=None, description="Only this entry school year.")


@strawberry.input(description="How to order enrolment applications (always by submission time).")
class EnrolmentApplicationOrder:
    descending: bool = strawberry.field(default=False, description="Newest first.")


@strawberry.type(description="Schools, students, grade books and enrolment.")
class EducationQuery:
    @strawberry.field(description="Schools, filtered and ordered (keyset pagination).")
    async def schools(
        self,
        info: Info,
        filter: Annotated[SchoolFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[SchoolOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[School] | None:
        return await resolve.schools(info, filter, order_by, first, after)

    @strawberry.field(description="One school by code.")
    async def school(
        self, info: Info, code: Annotated[str, strawberry.argument(description="School code (mã trường).")]
    ) -> School | None:
        return await resolve.school(info, code)

    @strawberry.field(description="Student records, filtered and ordered (keyset pagination).")
    async def students(
        self,
        info: Info,
        filter: Annotated[StudentFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[StudentOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Student] | None:
        return await resolve.students(info, filter, order_by, first, after)

    @strawberry.field(description="A pupil's record of one school year (default: the latest) by personal ID.")
    async def student(
        self,
        info: Info,
        personal_id: Annotated[str, strawberry.argument(description="12-digit personal ID number.")],
        school_year: Annotated[str | None, strawberry.argument(description=SCHOOL_YEAR_HELP)] = None,
    ) -> Student | None:
        return await resolve.student(info, personal_id, school_year)

    @strawberry.field(description="Online enrolment applications, by submission time (keyset pagination).")
    async def enrolment_applications(
        self,
        info: Info,
        filter: Annotated[EnrolmentApplicationFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[EnrolmentApplicationOrder | None, strawberry.argument(description="Ordering.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[EnrolmentApplication] | None:
        return await resolve.enrolment_applications(info, filter, order_by, first, after)


# ---------------------------------------------------------------------------------------------------------
# Mutations: the e-grade book (Circular 22) and online enrolment
# ---------------------------------------------------------------------------------------------------------

IDEMPOTENCY_HELP = "Client-chosen key: a retry with the same key returns the first result and changes nothing."


@strawberry.input(description="A new entry in the e-grade book (nhập điểm).")
class GradeEnterInput:
    student_personal_id: str = strawberry.field(description="The student's 12-digit personal ID number.")
    school_year: str = strawberry.field(description=SCHOOL_YEAR_HELP)
    subject_code: str = strawberry.field(description="Subject code of the student's curriculum, e.g. 'TOAN'.")
    semester: int = strawberry.field(description="Semester (học kì) 1 or 2.")
    kind: GradeKind = strawberry.field(description="Regular, mid-term or end-of-term assessment.")
    seq: int | None = strawberry.field(
        default=None,
        description="Which regular assessment (1 to the Circular 22 count: 2, 3 or 4 by periods per year); "
        "null takes the lowest free number. Mid-term and end-of-term: 1 or null.",
    )
    score: float | None = strawberry.field(
        default=None, description="Scored subjects: 0 to 10 in steps of 0.1 (e.g. 7.5; 7.25 is refused)."
    )
    rating: CommentRating | None = strawberry.field(
        default=None, description="Comment-only subjects: PASS (Đạt) or FAIL (Chưa đạt)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="A correction of an entry already in the e-grade book (sửa điểm), with its reason.")
class GradeCorrectInput:
    student_personal_id: str = strawberry.field(description="The student's 12-digit personal ID number.")
    school_year: str = strawberry.field(description=SCHOOL_YEAR_HELP)
    subject_code: str = strawberry.field(description="Subject code, e.g. 'TOAN'.")
    semester: int = strawberry.field(description="Semester (học kì) 1 or 2.")
    kind: GradeKind = strawberry.field(description="Regular, mid-term or end-of-term assessment.")
    seq: int = strawberry.field(default=1, description="Which assessment of its kind (1 for mid-term and final).")
    score: float | None = strawberry.field(
        default=None, description="Scored subjects: the right score, 0 to 10 in steps of 0.1."
    )
    rating: CommentRating | None = strawberry.field(
        default=None, description="Comment-only subjects: the right rating."
    )
    reason: str = strawberry.field(description="Why the entry is corrected (kept in the history; 1-500 characters).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type(description="Result of gradeEnter or gradeCorrect: the entry and the recomputed results.")
class GradeEntryPayload:
    entry: GradeEntry | None = strawberry.field(description="The entry as now recorded (null on failure).")
    student: Student | None = strawberry.field(description="The student record of that school year.")
    subject_result: SubjectResult | None = strawberry.field(
        description="The subject's results recomputed from the grade book (Circular 22): the semester average once "
        "its mid-term and final exist, the year average once both semesters are complete."
    )
    semester_rating: LearningRating | None = strawberry.field(
        description="The student's learning result of that semester; null until every subject with entries is "
        "complete for the semester."
    )
    year_rating: LearningRating | None = strawberry.field(
        description="The student's learning result of the year; null until both semesters are complete."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused, if it was.")
    ref: strawberry.Private[StudentRef | None] = None


@strawberry.input(description="An online enrolment application (đăng ký tuyển sinh trực tuyến) for a child.")
class EnrolmentApplyInput:
    child_personal_id: str = strawberry.field(
        description="The child's personal ID number (mã định danh): their residence sets the route (tuyến)."
    )
    level: EnrolmentLevel = strawberry.field(
        description="KINDERGARTEN (turns 5 this year), GRADE_1 (turns 6) or GRADE_6 (finished grade 5)."
    )
    school_code: str = strawberry.field(
        description="The school applied to: of that level, in the child's route (residence unit)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type(description="Result of enrolmentApply or enrolmentDecide.")
class EnrolmentApplicationPayload:
    application: EnrolmentApplication | None = strawberry.field(
        description="The application as now recorded (null on failure)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused, if it was.")


@strawberry.enum(description="What an education officer decides about an enrolment application.")
class EnrolmentDecision(Enum):
    VERIFY = strawberry.enum_value(
        "VERIFY", description="Residence and identity checked (SUBMITTED → VERIFIED); not final."
    )
    ACCEPT = strawberry.enum_value("ACCEPT", description="Admit the child to the school applied to (→ ACCEPTED).")
    REJECT = strawberry.enum_value("REJECT", description="Do not admit (→ REJECTED); the family may apply again.")
    TRANSFER = strawberry.enum_value(
        "TRANSFER", description="Admit to another school of the same level in the route (→ TRANSFERRED)."
    )


@strawberry.input(description="A decision on an enrolment application.")
class EnrolmentDecideInput:
    application_id: relay.GlobalID = strawberry.field(description="The application (its `id`).")
    decision: EnrolmentDecision = strawberry.field(
        description="Verify, accept, reject or transfer. Accept, reject and transfer are final."
    )
    assigned_school_code: str | None = strawberry.field(
        default=None, description="TRANSFER only: the school the child is assigned to (same level, same route)."
    )
    note: str | None = strawberry.field(default=None, description="A note kept in the decision history.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type(description="The e-grade book and online enrolment.")
class EducationMutation:
    @strawberry.mutation(
        description="Enter a new assessment in the e-grade book (Circular 22: 0-10 in steps of 0.1 or Đạt/Chưa "
        "đạt; at most the regular count, one mid-term and one final per subject and semester). Allowed: teachers "
        "of the student's school (`school` claim), admins."
    )
    async def grade_enter(
        self, info: Info, input: Annotated[GradeEnterInput, strawberry.argument(description="The entry.")]
    ) -> GradeEntryPayload:
        return await resolve.grade_enter(info, input)

    @strawberry.mutation(
        description="Correct an entry already made: the old value stays in the entry's `corrections` history "
        "with who, when and why. Allowed: teachers of the student's school, admins."
    )
    async def grade_correct(
        self, info: Info, input: Annotated[GradeCorrectInput, strawberry.argument(description="The correction.")]
    ) -> GradeEntryPayload:
        return await resolve.grade_correct(info, input)

    @strawberry.mutation(
        description="Apply online for a child's place (5-year-old kindergarten, grade 1, grade 6), within the "
        "level's window in early July, at a school of the child's route. One active application per child, "
        "level and year. Allowed: the child's parent (citizen), education officers of the child's unit, admins."
    )
    async def enrolment_apply(
        self, info: Info, input: Annotated[EnrolmentApplyInput, strawberry.argument(description="The application.")]
    ) -> EnrolmentApplicationPayload:
        return await resolve.enrolment_apply(info, input)

    @strawberry.mutation(
        description="Verify, accept, reject or transfer an application. Allowed: education officers of the "
        "school's unit, admins."
    )
    async def enrolment_decide(
        self, info: Info, input: Annotated[EnrolmentDecideInput, strawberry.argument(description="The decision.")]
    ) -> EnrolmentApplicationPayload:
        return await resolve.enrolment_decide(info, input)


@strawberry.enum(description="What happened to a grade-book entry.")
class GradeChange(Enum):
    ENTERED = strawberry.enum_value("ENTERED", description="A new entry (gradeEnter).")
    CORRECTED = strawberry.enum_value("CORRECTED", description="An entry was corrected (gradeCorrect).")


@strawberry.type(description="A change in a student's grade book, reloaded after it was committed.")
class GradeBookChange:
    change: GradeChange = strawberry.field(description="A new entry or a correction.")
    entry: GradeEntry | None = strawberry.field(description="The entry as now recorded.")
    student: Student = strawberry.field(description="The student record of that school year.")
    subject_result: SubjectResult | None = strawberry.field(description="The subject's recomputed results.")


@strawberry.type(description="Live changes of the e-grade book.")
class EducationSubscription:
    @strawberry.subscription(
        description="Each new or corrected grade, reloaded after commit. A citizen receives their own and their "
        "children's (as parent in the population register or guardian declared to the school); a teacher their "
        "school's; an education officer those of schools in their unit; an admin all."
    )
    async def grade_entered(
        self,
        info: Info,
        student_personal_id: Annotated[
            str | None,
            strawberry.argument(description="Only this student; null: every student the caller may follow."),
        ] = None,
    ) -> AsyncGenerator[GradeBookChange, None]:
        async for change in resolve.grades_followed(info, student_personal_id):
            yield change
