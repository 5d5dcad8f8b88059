"""The registry store's initial schema: its tables as the models stood when migrations began.

Revision ID: registry_0001
Revises: (none)
Create Date: 2026-11-27 05:54:47.423457
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
        "register_books",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "office_unit_code", sa.String(length=5), nullable=False, comment="registry office: unit code (UBND cấp xã)"
        ),
        sa.Column(
            "office_unit_structure", sa.String(length=10), nullable=False, comment="structure of the code (Y2025_01/07)"
        ),
        sa.Column("register_type", sa.String(length=10), nullable=False, comment="BIRTH, MARRIAGE or DEATH"),
        sa.Column("year", sa.Integer(), nullable=False, comment="year of the book; numbering restarts at 01 each year"),
        sa.Column("book_no", sa.Integer(), nullable=False, comment="quyển số: 1, 2, ... per office, type and year"),
        sa.Column("printed_number", sa.String(length=30), nullable=False, comment="as printed, e.g. 01-TP/HT-2015-KS"),
        sa.Column("opened_on", sa.Date(), nullable=False, comment="date of the first entry"),
        sa.Column(
            "closed_on", sa.Date(), nullable=True, comment="last entry if the book filled up, else 31 Dec; null: open"
        ),
        sa.Column("entry_count", sa.Integer(), nullable=False, comment="entries written (the year-end tally)"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("office_unit_code", "office_unit_structure", "register_type", "year", "book_no"),
    )
    op.create_index("ix_register_books_opened", "register_books", ["opened_on", "id"], unique=False)
    op.create_index(
        "ix_register_books_year", "register_books", ["year", "register_type", "book_no", "id"], unique=False
    )

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("entry_no", sa.Integer(), nullable=False, comment="Số: sequence number within the book, from 1"),
        sa.Column("register_type", sa.String(length=10), nullable=False, comment="BIRTH, MARRIAGE or DEATH"),
        sa.Column("registration_date", sa.Date(), nullable=False),
        sa.Column("place_unit_code", sa.String(length=5), nullable=False, comment="registration place: unit code"),
        sa.Column("place_unit_structure", sa.String(length=10), nullable=False, comment="structure of the place code"),
        sa.Column("page_no", sa.Integer(), nullable=True, comment="physical page of the book, when legible"),
        sa.Column("late_registration", sa.Boolean(), nullable=False, comment="registered after the legal deadline"),
        sa.Column("signer_name", sa.String(length=140), nullable=False, comment="người ký"),
        sa.Column("signer_title", sa.String(length=120), nullable=False, comment="e.g. Phó Chủ tịch UBND phường"),
        sa.Column("civil_status_officer", sa.String(length=140), nullable=False, comment="công chức tư pháp - hộ tịch"),
        sa.Column(
            "scan_uri", sa.String(length=200), nullable=True, comment="image of the page, for digitised paper entries"
        ),
        sa.Column(
            "digitised_by",
            sa.String(length=140),
            nullable=True,
            comment="who keyed in a paper entry; null: born digital",
        ),
        sa.Column("digitised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "verified_status", sa.String(length=12), nullable=False, comment="UNVERIFIED, VERIFIED or DISCREPANCY"
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["register_books.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("book_id", "entry_no", name="uq_registrations_book_entry"),
    )
    op.create_index("ix_registrations_date", "registrations", ["registration_date", "id"], unique=False)
    op.create_index(
        "ix_registrations_place",
        "registrations",
        ["place_unit_code", "place_unit_structure", "registration_date", "id"],
        unique=False,
    )
    op.create_index(
        "ix_registrations_type_date", "registrations", ["register_type", "registration_date", "id"], unique=False
    )

    op.create_table(
        "birth_details",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("child_family_name", sa.String(length=40), nullable=False),
        sa.Column("child_middle_name", sa.String(length=60), nullable=False),
        sa.Column("child_given_name", sa.String(length=40), nullable=False),
        sa.Column("child_full_name", sa.String(length=140), nullable=False, comment="as written, NFC"),
        sa.Column("child_sex", sa.String(length=6), nullable=False),
        sa.Column("child_date_of_birth", sa.Date(), nullable=False),
        sa.Column("birth_place", sa.Text(), nullable=False, comment="nơi sinh"),
        sa.Column("native_place", sa.String(length=120), nullable=False, comment="quê quán"),
        sa.Column("child_ethnicity", sa.String(length=30), nullable=False),
        sa.Column("child_nationality", sa.String(length=30), nullable=False),
        sa.Column(
            "child_pid",
            sa.String(length=12),
            nullable=True,
            comment="personal ID as written (issued at birth from 2016)",
        ),
        sa.Column(
            "father_full_name", sa.String(length=140), nullable=True, comment="blank when paternity is undetermined"
        ),
        sa.Column("father_birth_year", sa.Integer(), nullable=True),
        sa.Column("father_ethnicity", sa.String(length=30), nullable=True),
        sa.Column("father_nationality", sa.String(length=30), nullable=True),
        sa.Column("father_residence", sa.Text(), nullable=True),
        sa.Column("mother_full_name", sa.String(length=140), nullable=False),
        sa.Column("mother_birth_year", sa.Integer(), nullable=False),
        sa.Column("mother_ethnicity", sa.String(length=30), nullable=False),
        sa.Column("mother_nationality", sa.String(length=30), nullable=False),
        sa.Column("mother_residence", sa.Text(), nullable=False),
        sa.Column("declarant_name", sa.String(length=140), nullable=False, comment="người đi khai sinh"),
        sa.Column("declarant_relationship", sa.String(length=40), nullable=False, comment="relationship to the child"),
        sa.Column("evidence", sa.String(length=120), nullable=False, comment="giấy chứng sinh or witness statement"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
        ),
        sa.PrimaryKeyConstraint("registration_id"),
    )
    op.create_table(
        "death_details",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("deceased_family_name", sa.String(length=40), nullable=False),
        sa.Column("deceased_middle_name", sa.String(length=60), nullable=False),
        sa.Column("deceased_given_name", sa.String(length=40), nullable=False),
        sa.Column("deceased_full_name", sa.String(length=140), nullable=False),
        sa.Column("deceased_sex", sa.String(length=6), nullable=False),
        sa.Column("deceased_birth_year", sa.Integer(), nullable=False),
        sa.Column("deceased_pid", sa.String(length=12), nullable=True, comment="personal ID, if the person had one"),
        sa.Column("deceased_nationality", sa.String(length=30), nullable=False),
        sa.Column("died_at", sa.DateTime(timezone=True), nullable=False, comment="hour, day, month and year of death"),
        sa.Column("death_place", sa.Text(), nullable=False),
        sa.Column("death_cause", sa.String(length=120), nullable=False),
        sa.Column("declarant_name", sa.String(length=140), nullable=False, comment="người đi khai tử"),
        sa.Column("declarant_relationship", sa.String(length=40), nullable=False),
        sa.Column("evidence", sa.String(length=120), nullable=False, comment="giấy báo tử"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
        ),
        sa.PrimaryKeyConstraint("registration_id"),
    )
    op.create_table(
        "marginal_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("noted_on", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=12),
            nullable=False,
            comment="CHANGE, CORRECTION or SUPPLEMENT (thay đổi, cải chính, bổ sung)",
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_marginal_notes_registration", "marginal_notes", ["registration_id", "noted_on"], unique=False)

    op.create_table(
        "marriage_details",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("husband_family_name", sa.String(length=40), nullable=False),
        sa.Column("husband_middle_name", sa.String(length=60), nullable=False),
        sa.Column("husband_given_name", sa.String(length=40), nullable=False),
        sa.Column("husband_full_name", sa.String(length=140), nullable=False),
        sa.Column("husband_date_of_birth", sa.Date(), nullable=False),
        sa.Column("husband_ethnicity", sa.String(length=30), nullable=False),
        sa.Column("husband_nationality", sa.String(length=30), nullable=False),
        sa.Column("husband_residence", sa.Text(), nullable=False),
        sa.Column(
            "husband_id_number", sa.String(length=12), nullable=True, comment="identity document number as written"
        ),
        sa.Column("wife_family_name", sa.String(length=40), nullable=False),
        sa.Column("wife_middle_name", sa.String(length=60), nullable=False),
        sa.Column("wife_given_name", sa.String(length=40), nullable=False),
        sa.Column("wife_full_name", sa.String(length=140), nullable=False),
        sa.Column("wife_date_of_birth", sa.Date(), nullable=False),
        sa.Column("wife_ethnicity", sa.String(length=30), nullable=False),
        sa.Column("wife_nationality", sa.String(length=30), nullable=False),
        sa.Column("wife_residence", sa.Text(), nullable=False),
        sa.Column("wife_id_number", sa.String(length=12), nullable=True, comment="identity document number as written"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
        ),
        sa.PrimaryKeyConstraint("registration_id"),
    )
    op.create_table(
        "registration_people",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.String(length=10),
            nullable=False,
            comment="CHILD, FATHER, MOTHER, HUSBAND, WIFE, DECEASED, DECLARANT",
        ),
        sa.Column(
            "pid", sa.String(length=12), nullable=True, comment="personal ID, written or matched at digitisation"
        ),
        sa.Column("full_name", sa.String(length=140), nullable=False),
        sa.Column("name_folded", sa.String(length=140), nullable=False, comment="search key"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
        ),
        sa.PrimaryKeyConstraint("registration_id", "role"),
    )
    op.create_index("ix_registration_people_name", "registration_people", ["name_folded"], unique=False)
    op.create_index("ix_registration_people_pid", "registration_people", ["pid", "registration_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("registration_people")
    op.drop_table("marriage_details")
    op.drop_table("marginal_notes")
    op.drop_table("death_details")
    op.drop_table("birth_details")
    op.drop_table("registrations")
    op.drop_table("register_books")
    op.drop_table("idempotency_keys")
