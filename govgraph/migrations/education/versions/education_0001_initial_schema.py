"""The education store's initial schema: its tables as the models stood when migrations began.

Revision ID: education_0001
Revises: (none)
Create Date: 2026-11-27 05:54:57.955259
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "education_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grade_corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_pid", sa.String(length=12), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("semester", sa.SmallInteger(), nullable=False),
        sa.Column("subject_code", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=7), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("old_score_tenths", sa.SmallInteger(), nullable=True, comment="the value replaced (score x 10)"),
        sa.Column("old_rating", sa.String(length=4), nullable=True, comment="the value replaced (PASS/FAIL)"),
        sa.Column("new_score_tenths", sa.SmallInteger(), nullable=True),
        sa.Column("new_rating", sa.String(length=4), nullable=True),
        sa.Column(
            "corrected_by", sa.String(length=64), nullable=False, comment="staff account that made the correction"
        ),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, comment="why the entry was corrected"),
        sa.PrimaryKeyConstraint("id"),
        comment="APPEND-ONLY history of the grade book: every correction with the value it replaced, who, when, why. grade_entries holds the current value; nothing here is ever updated or deleted.",
    )
    op.create_index(
        "ix_grade_corrections_entry",
        "grade_corrections",
        ["student_pid", "school_year", "semester", "subject_code", "kind", "seq"],
        unique=False,
    )

    op.create_table(
        "grade_entries",
        sa.Column("student_pid", sa.String(length=12), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("semester", sa.SmallInteger(), nullable=False, comment="1 or 2"),
        sa.Column("subject_code", sa.String(length=8), nullable=False),
        sa.Column(
            "kind", sa.String(length=7), nullable=False, comment="REGULAR (ĐĐGtx), MIDTERM (ĐĐGgk), FINAL (ĐĐGck)"
        ),
        sa.Column("seq", sa.SmallInteger(), nullable=False, comment="1.. within (subject, semester, kind)"),
        sa.Column(
            "score_tenths", sa.SmallInteger(), nullable=True, comment="score x 10 (0-100): exact one-decimal scores"
        ),
        sa.Column("rating", sa.String(length=4), nullable=True, comment="PASS or FAIL for comment-only subjects"),
        sa.Column("entered_by", sa.String(length=64), nullable=False, comment="teacher's staff account"),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "student_pid", "school_year", "semester", "subject_code", "kind", "seq", name="grade_entries_pkey"
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "guardians",
        sa.Column("student_pid", sa.String(length=12), nullable=False),
        sa.Column(
            "guardian_pid", sa.String(length=12), nullable=False, comment="personal ID of the parent or guardian"
        ),
        sa.Column("relation", sa.String(length=8), nullable=False, comment="FATHER, MOTHER or GUARDIAN"),
        sa.Column("full_name", sa.String(length=140), nullable=False, comment="as declared to the school"),
        sa.Column("phone", sa.String(length=11), nullable=True, comment="contact phone declared to the school"),
        sa.PrimaryKeyConstraint("student_pid", "guardian_pid"),
    )
    op.create_index("ix_guardians_guardian", "guardians", ["guardian_pid"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column(
            "subject", sa.String(length=64), nullable=False, comment="sha256 of who sent it (never the raw token sub)"
        ),
        sa.Column("key", sa.String(length=200), nullable=False, comment="the client's Idempotency-Key"),
        sa.Column("operation", sa.String(length=80), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False, comment="sha256 of the input"),
        sa.Column("result", sa.JSON(), nullable=False, comment="what the first call returned"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", "key"),
    )
    op.create_table(
        "schools",
        sa.Column(
            "code",
            sa.String(length=10),
            nullable=False,
            comment="school code (mã trường): 01 + unit code + level + serial",
        ),
        sa.Column(
            "name", sa.String(length=120), nullable=False, comment="official name, e.g. 'Trường THCS Trưng Vương' (NFC)"
        ),
        sa.Column(
            "name_folded", sa.String(length=120), nullable=False, comment="search key: lower case, no diacritics"
        ),
        sa.Column(
            "level",
            sa.String(length=16),
            nullable=False,
            comment="KINDERGARTEN, PRIMARY, LOWER_SECONDARY, UPPER_SECONDARY",
        ),
        sa.Column(
            "unit_code", sa.String(length=5), nullable=False, comment="administrative unit of the school's address"
        ),
        sa.Column("unit_structure", sa.String(length=10), nullable=False, comment="structure of unit_code (Y2025_07)"),
        sa.Column("address", sa.Text(), nullable=False, comment="street address as written"),
        sa.Column("phone", sa.String(length=11), nullable=True, comment="landline, 024 + 8 digits"),
        sa.Column("founded_year", sa.SmallInteger(), nullable=True, comment="year the school was founded"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_schools_level", "schools", ["level", "code"], unique=False)
    op.create_index("ix_schools_name_folded", "schools", ["name_folded", "code"], unique=False)
    op.create_index("ix_schools_unit", "schools", ["unit_code", "unit_structure", "code"], unique=False)

    op.create_table(
        "subjects",
        sa.Column("code", sa.String(length=8), nullable=False, comment="short code, e.g. TOAN, NV, KHTN"),
        sa.Column(
            "name", sa.String(length=80), nullable=False, comment="name under GDPT 2018, e.g. 'Khoa học tự nhiên'"
        ),
        sa.Column(
            "mode", sa.String(length=7), nullable=False, comment="SCORE (0-10) or COMMENT (Đạt/Chưa đạt), Circular 22"
        ),
        sa.Column(
            "position", sa.SmallInteger(), nullable=False, comment="order of the subject in the school record (học bạ)"
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="class number in this store"),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False, comment="e.g. '2025-2026'"),
        sa.Column("grade", sa.SmallInteger(), nullable=True, comment="1-12; null for kindergarten classes"),
        sa.Column("age_group", sa.SmallInteger(), nullable=True, comment="kindergarten age group 3, 4 or 5; else null"),
        sa.Column("name", sa.String(length=20), nullable=False, comment="e.g. '6A1', 'Lá 2' (5-year-olds)"),
        sa.Column("homeroom_teacher", sa.String(length=140), nullable=True, comment="giáo viên chủ nhiệm"),
        sa.Column(
            "electives", sa.String(length=80), nullable=True, comment="upper secondary: comma-separated elective codes"
        ),
        sa.ForeignKeyConstraint(
            ["school_code"],
            ["schools.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_classes_school_year", "classes", ["school_code", "school_year", "grade", "name"], unique=False)

    op.create_table(
        "curriculum",
        sa.Column("grade", sa.SmallInteger(), nullable=False, comment="6-12 (secondary, Circular 22)"),
        sa.Column("subject_code", sa.String(length=8), nullable=False),
        sa.Column(
            "periods_per_year", sa.SmallInteger(), nullable=False, comment="sets the number of regular assessments"
        ),
        sa.Column("elective", sa.Boolean(), nullable=False, comment="upper secondary elective (môn lựa chọn)"),
        sa.ForeignKeyConstraint(
            ["subject_code"],
            ["subjects.code"],
        ),
        sa.PrimaryKeyConstraint("grade", "subject_code"),
    )
    op.create_table(
        "enrolment_applications",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("application_no", sa.String(length=20), nullable=False, comment="e.g. TS2026-L1-000123"),
        sa.Column("school_year", sa.String(length=9), nullable=False, comment="the school year the child enters"),
        sa.Column("child_pid", sa.String(length=12), nullable=False),
        sa.Column("child_name", sa.String(length=140), nullable=False),
        sa.Column("child_dob", sa.Date(), nullable=False),
        sa.Column(
            "level", sa.String(length=12), nullable=False, comment="KINDERGARTEN (5-year-olds), GRADE_1, GRADE_6"
        ),
        sa.Column("school_code", sa.String(length=10), nullable=False, comment="school applied to"),
        sa.Column(
            "assigned_school_code",
            sa.String(length=10),
            nullable=True,
            comment="school the child was transferred to (TRANSFERRED)",
        ),
        sa.Column(
            "route_unit_code", sa.String(length=5), nullable=False, comment="residence unit that sets the route (tuyến)"
        ),
        sa.Column("route_unit_structure", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.String(length=11),
            nullable=False,
            comment="SUBMITTED, VERIFIED, ACCEPTED, REJECTED, TRANSFERRED",
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_school_code"],
            ["schools.code"],
        ),
        sa.ForeignKeyConstraint(
            ["school_code"],
            ["schools.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_no"),
    )
    op.create_index(op.f("ix_enrolment_applications_child_pid"), "enrolment_applications", ["child_pid"], unique=False)
    op.create_index("ix_enrolment_level_status", "enrolment_applications", ["level", "status"], unique=False)
    op.create_index(
        "ix_enrolment_route", "enrolment_applications", ["route_unit_code", "route_unit_structure"], unique=False
    )
    op.create_index("ix_enrolment_school", "enrolment_applications", ["school_code"], unique=False)
    op.create_index("ix_enrolment_submitted", "enrolment_applications", ["submitted_at", "id"], unique=False)

    op.create_table(
        "enrolment_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=11), nullable=False),
        sa.Column("to_status", sa.String(length=11), nullable=False),
        sa.Column(
            "assigned_school_code", sa.String(length=10), nullable=True, comment="TRANSFERRED: the school assigned"
        ),
        sa.Column("decided_by", sa.String(length=64), nullable=False, comment="education officer's staff account"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("from_status <> to_status", name="ck_enrolment_decisions_change"),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["enrolment_applications.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        comment="APPEND-ONLY history of enrolment decisions (verify, accept, reject, transfer).",
    )
    op.create_index(
        op.f("ix_enrolment_decisions_application_id"), "enrolment_decisions", ["application_id"], unique=False
    )

    op.create_table(
        "students",
        sa.Column("pid", sa.String(length=12), nullable=False, comment="the pupil's personal ID number (mã định danh)"),
        sa.Column("school_year", sa.String(length=9), nullable=False, comment="one record per school year"),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column(
            "grade", sa.SmallInteger(), nullable=True, comment="denormalised from the class; null in kindergarten"
        ),
        sa.Column("age_group", sa.SmallInteger(), nullable=True, comment="denormalised from the class (kindergarten)"),
        sa.Column("full_name", sa.String(length=140), nullable=False, comment="as in the school record (học bạ)"),
        sa.Column("name_folded", sa.String(length=140), nullable=False, comment="search and ordering key"),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=6), nullable=False),
        sa.Column(
            "node_key",
            sa.String(length=16),
            nullable=False,
            comment="opaque key of the GraphQL node id: global ids must not carry the personal ID",
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["classes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_code"],
            ["schools.code"],
        ),
        sa.PrimaryKeyConstraint("pid", "school_year"),
        sa.UniqueConstraint("node_key"),
    )
    op.create_index("ix_students_class", "students", ["class_id", "pid"], unique=False)
    op.create_index("ix_students_name", "students", ["name_folded", "pid"], unique=False)
    op.create_index("ix_students_school", "students", ["school_code", "school_year", "pid"], unique=False)
    op.create_index("ix_students_year_grade", "students", ["school_year", "grade", "pid"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("students")
    op.drop_table("enrolment_decisions")
    op.drop_table("enrolment_applications")
    op.drop_table("curriculum")
    op.drop_table("classes")
    op.drop_table("subjects")
    op.drop_table("schools")
    op.drop_table("idempotency_keys")
    op.drop_table("guardians")
    op.drop_table("grade_entries")
    op.drop_table("grade_corrections")
