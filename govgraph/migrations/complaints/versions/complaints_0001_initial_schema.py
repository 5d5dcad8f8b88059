"""The complaints store's initial schema: its tables as the models stood when migrations began.

Revision ID: complaints_0001
Revises: (none)
Create Date: 2026-11-27 05:55:06.129419
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "complaints_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_serials",
        sa.Column("prefix", sa.String(length=2), nullable=False, comment="KN (khiếu nại) or TC (tố cáo)"),
        sa.Column("year", sa.Integer(), nullable=False, comment="Year of receipt (Hanoi time)"),
        sa.Column("last", sa.Integer(), nullable=False, comment="Last serial given in this prefix and year"),
        sa.PrimaryKeyConstraint("prefix", "year"),
        comment="Case code counters: incremented in the filing transaction (no gaps, no duplicates).",
    )
    op.create_table(
        "cases",
        sa.Column(
            "code", sa.String(length=16), nullable=False, comment="Case code: KN-<year>-<serial> or TC-<year>-<serial>"
        ),
        sa.Column(
            "kind", sa.String(length=12), nullable=False, comment="COMPLAINT (khiếu nại) or DENUNCIATION (tố cáo)"
        ),
        sa.Column(
            "instance", sa.String(length=6), nullable=True, comment="Complaints: FIRST or SECOND (lần đầu / lần hai)"
        ),
        sa.Column(
            "status", sa.String(length=20), nullable=False, comment="Unified status (domain.complaints.CaseStatus)"
        ),
        sa.Column(
            "complexity",
            sa.String(length=20),
            server_default="NORMAL",
            nullable=False,
            comment="NORMAL, COMPLEX (phức tạp) or ESPECIALLY_COMPLEX (đặc biệt phức tạp)",
        ),
        sa.Column(
            "remote_area",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="Vùng sâu, vùng xa, đi lại khó khăn: longer complaint deadlines",
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, comment="When the petition was received"),
        sa.Column(
            "accepted_at", sa.DateTime(timezone=True), nullable=True, comment="Thụ lý: starts the resolution clock"
        ),
        sa.Column(
            "extensions",
            sa.SmallInteger(),
            server_default="0",
            nullable=False,
            comment="Denunciations: resolution extensions granted (gia hạn), 0-2",
        ),
        sa.Column(
            "concluded_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the decision (khiếu nại) or conclusion (tố cáo) was issued, or the case otherwise ended",
        ),
        sa.Column(
            "unit_code", sa.String(length=5), nullable=False, comment="Administrative unit the case is handled in"
        ),
        sa.Column(
            "unit_structure",
            sa.String(length=10),
            nullable=False,
            comment="Structure of unit_code (Y2025_07 or Y2025_01)",
        ),
        sa.Column(
            "agency_name",
            sa.String(length=200),
            nullable=False,
            comment="Who resolves: e.g. 'Chủ tịch UBND phường Cửa Nam'",
        ),
        sa.Column(
            "inspector_id", sa.String(length=12), nullable=True, comment="Staff account of the assigned inspector"
        ),
        sa.Column("inspector_name", sa.String(length=80), nullable=True),
        sa.Column(
            "subject",
            sa.Text(),
            nullable=False,
            comment="What the case is about; for denunciations the REDACTED petition (Art. 56)",
        ),
        sa.Column(
            "contested_act",
            sa.Text(),
            nullable=True,
            comment="Complaints: the administrative decision or act contested",
        ),
        sa.Column(
            "contested_on",
            sa.Date(),
            nullable=True,
            comment="Complaints: when the complainant received or learned of the contested act (Art. 9 clock)",
        ),
        sa.Column(
            "outcome", sa.Text(), nullable=True, comment="Decision or conclusion summary, or the reason it ended"
        ),
        sa.Column(
            "first_instance_code",
            sa.String(length=16),
            nullable=True,
            comment="Second-instance complaints: the first-instance case",
        ),
        sa.Column(
            "denouncer_token",
            sa.String(length=32),
            nullable=True,
            comment="Denunciations: opaque key of the sealed identity in denouncer_identities",
        ),
        sa.CheckConstraint(
            "(kind = 'COMPLAINT' AND instance IS NOT NULL AND denouncer_token IS NULL) OR (kind = 'DENUNCIATION' AND instance IS NULL)",
            name="ck_cases_kind_instance",
        ),
        sa.CheckConstraint("extensions BETWEEN 0 AND 2", name="ck_cases_extensions"),
        sa.ForeignKeyConstraint(
            ["first_instance_code"],
            ["cases.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("denouncer_token"),
    )
    op.create_index("ix_cases_first_instance", "cases", ["first_instance_code"], unique=False)
    op.create_index("ix_cases_inspector", "cases", ["inspector_id", "received_at"], unique=False)
    op.create_index("ix_cases_kind_status", "cases", ["kind", "status"], unique=False)
    op.create_index("ix_cases_received", "cases", ["received_at", "code"], unique=False)
    op.create_index("ix_cases_status_accepted", "cases", ["status", "accepted_at"], unique=False)
    op.create_index(
        "ix_cases_unit_received", "cases", ["unit_code", "unit_structure", "received_at", "code"], unique=False
    )

    op.create_table(
        "denouncer_identities",
        sa.Column("token", sa.String(length=32), nullable=False, comment="Opaque random token held by the case"),
        sa.Column(
            "pid", sa.String(length=12), nullable=True, comment="Personal ID number (secret: Mật, Decision 774/QĐ-TTg)"
        ),
        sa.Column("full_name", sa.String(length=140), nullable=False, comment="Secret"),
        sa.Column("address", sa.Text(), nullable=True, comment="Secret"),
        sa.Column("phone", sa.String(length=11), nullable=True, comment="Secret"),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False, comment="When the identity was sealed"),
        sa.PrimaryKeyConstraint("token"),
        comment="SEALED: the identities of denouncers (Law on Denunciations Art. 9, 47, 56). Not read by the API.",
    )
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
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_code", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="When the status changed"),
        sa.Column("status", sa.String(length=20), nullable=False, comment="The status the case entered"),
        sa.Column("actor_id", sa.String(length=20), nullable=False, comment="Staff account that made the change"),
        sa.Column("actor_name", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=True, comment="Document number or reason"),
        sa.ForeignKeyConstraint(
            ["case_code"],
            ["cases.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_events_case_at", "case_events", ["case_code", "at", "id"], unique=False)

    op.create_table(
        "complainants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_code", sa.String(length=16), nullable=False),
        sa.Column(
            "position", sa.SmallInteger(), nullable=False, comment="1 = the lead complainant, then co-complainants"
        ),
        sa.Column("pid", sa.String(length=12), nullable=True, comment="Personal ID number, when known"),
        sa.Column("full_name", sa.String(length=140), nullable=False, comment="As written on the petition"),
        sa.Column("address", sa.Text(), nullable=True, comment="As written on the petition"),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_code"],
            ["cases.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_complainants_case", "complainants", ["case_code", "position"], unique=False)
    op.create_index("ix_complainants_pid", "complainants", ["pid"], unique=False)

    op.create_table(
        "denouncer_readers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_code", sa.String(length=16), nullable=False),
        sa.Column(
            "staff_id",
            sa.String(length=20),
            nullable=False,
            comment="Staff account allowed to read the denouncer identity",
        ),
        sa.Column(
            "designated_by",
            sa.String(length=20),
            nullable=False,
            comment="The resolver who designated them; the designation lapses when the case gets another resolver",
        ),
        sa.Column("designated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, comment="Why the designated officer needs the identity"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True, comment="When the resolver withdrew it"),
        sa.ForeignKeyConstraint(
            ["case_code"],
            ["cases.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        comment="Who the resolver of a denunciation designated to read the sealed identity (Art. 56). Never exposed.",
    )
    op.create_index("ix_denouncer_readers_case", "denouncer_readers", ["case_code", "staff_id"], unique=False)
    op.create_index("ix_denouncer_readers_staff", "denouncer_readers", ["staff_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("denouncer_readers")
    op.drop_table("complainants")
    op.drop_table("case_events")
    op.drop_table("idempotency_keys")
    op.drop_table("denouncer_identities")
    op.drop_table("cases")
    op.drop_table("case_serials")
