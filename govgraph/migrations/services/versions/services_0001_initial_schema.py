"""The services store's initial schema: its tables as the models stood when migrations began.

Revision ID: services_0001
Revises: (none)
Create Date: 2026-11-27 05:54:54.364024
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "services_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column(
            "code",
            sa.String(length=13),
            nullable=False,
            comment="electronic agency code AAA.BB.CC.H26 (Decision 20/2020)",
        ),
        sa.Column("name", sa.String(length=160), nullable=False, comment="official name, NFC"),
        sa.Column(
            "name_folded", sa.String(length=160), nullable=False, comment="search key: lower case, no diacritics"
        ),
        sa.Column(
            "kind",
            sa.String(length=30),
            nullable=False,
            comment="CITY_DEPARTMENT, WARD_PEOPLES_COMMITTEE, POLICE, OTHER",
        ),
        sa.Column(
            "unit_code", sa.String(length=5), nullable=True, comment="ward or commune served (ward People's Committees)"
        ),
        sa.Column("unit_structure", sa.String(length=10), nullable=True, comment="structure of unit_code (Y2025_07)"),
        sa.Column("address", sa.Text(), nullable=True, comment="address of the one-stop desk (Bộ phận Một cửa)"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_agencies_kind", "agencies", ["kind", "code"], unique=False)
    op.create_index("ix_agencies_name_folded", "agencies", ["name_folded"], unique=False)
    op.create_index("ix_agencies_unit", "agencies", ["unit_code", "unit_structure"], unique=False)

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
        "appointment_slots",
        sa.Column("key", sa.String(length=32), nullable=False, comment="<agency code>:<date>:<hour>"),
        sa.Column("agency_code", sa.String(length=13), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_hour", sa.Integer(), nullable=False, comment="local hour the one-hour slot starts"),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
        ),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_slots_agency_day", "appointment_slots", ["agency_code", "day", "start_hour"], unique=True)

    op.create_table(
        "procedures",
        sa.Column(
            "code", sa.String(length=12), nullable=False, comment="catalogue code of the procedure (thủ tục hành chính)"
        ),
        sa.Column("name", sa.String(length=240), nullable=False),
        sa.Column("name_folded", sa.String(length=240), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False, comment="lĩnh vực, e.g. CIVIL_STATUS"),
        sa.Column(
            "competent_level", sa.String(length=10), nullable=False, comment="CITY or COMMUNE (cấp tỉnh / cấp xã)"
        ),
        sa.Column(
            "competent_authority", sa.String(length=200), nullable=False, comment="body competent to resolve, as data"
        ),
        sa.Column("agency_code", sa.String(length=13), nullable=True, comment="city-level receiver"),
        sa.Column(
            "online_level",
            sa.String(length=15),
            nullable=False,
            comment="FULL_PROCESS or PARTIAL (Decree 42/2022 Art. 11)",
        ),
        sa.Column("legacy_level", sa.Integer(), nullable=False, comment="2, 3 or 4 (Decree 43/2011 Art. 3)"),
        sa.Column("legal_days", sa.Integer(), nullable=False, comment="legal processing time; 0 = same day"),
        sa.Column("time_unit", sa.String(length=13), nullable=False, comment="WORKING_DAY or CALENDAR_DAY"),
        sa.Column(
            "same_day", sa.Boolean(), nullable=False, comment="resolved the same day; after 15:00 the next working day"
        ),
        sa.Column(
            "online_only", sa.Boolean(), nullable=False, comment="only accepted online (e.g. company registration)"
        ),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column(
            "fee_note", sa.Text(), nullable=True, comment="how the fee is set when no amount is in the fee table"
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_procedures_field", "procedures", ["field"], unique=False)
    op.create_index("ix_procedures_filters", "procedures", ["online_level", "competent_level", "code"], unique=False)
    op.create_index("ix_procedures_name_folded", "procedures", ["name_folded"], unique=False)
    op.create_index("ix_procedures_online_only", "procedures", ["online_only"], unique=False)

    op.create_table(
        "appointments",
        sa.Column("booking_code", sa.String(length=16), nullable=False),
        sa.Column("slot_key", sa.String(length=32), nullable=False),
        sa.Column("citizen_pid", sa.String(length=12), nullable=False),
        sa.Column("procedure_code", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False, comment="BOOKED, CHECKED_IN, CANCELLED, NO_SHOW"),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_code"],
            ["procedures.code"],
        ),
        sa.ForeignKeyConstraint(
            ["slot_key"],
            ["appointment_slots.key"],
        ),
        sa.PrimaryKeyConstraint("booking_code"),
    )
    op.create_index(op.f("ix_appointments_citizen_pid"), "appointments", ["citizen_pid"], unique=False)
    op.create_index(op.f("ix_appointments_slot_key"), "appointments", ["slot_key"], unique=False)

    op.create_table(
        "fees",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("procedure_code", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False, comment="IN_PERSON, ONLINE or POST"),
        sa.Column("fee_type", sa.String(length=8), nullable=False, comment="LE_PHI (lệ phí) or PHI (phí)"),
        sa.Column("amount", sa.Integer(), nullable=False, comment="VND per `per`"),
        sa.Column("per", sa.String(length=10), nullable=False, comment="CASE, PAGE, COPY, CONTRACT, PERSON, LOOKUP"),
        sa.Column("cap", sa.Integer(), nullable=True, comment="maximum VND per case, if any"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False, comment="amount checked against the official text"),
        sa.ForeignKeyConstraint(
            ["procedure_code"],
            ["procedures.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fees_procedure", "fees", ["procedure_code", "channel", "valid_from"], unique=False)

    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False, comment="<agency code>-<yymmdd>-<4-digit seq>"),
        sa.Column("procedure_code", sa.String(length=12), nullable=False),
        sa.Column("agency_code", sa.String(length=13), nullable=False),
        sa.Column(
            "applicant_pid",
            sa.String(length=12),
            nullable=False,
            comment="personal ID of the applicant (population store)",
        ),
        sa.Column(
            "applicant_type", sa.String(length=15), nullable=False, comment="CITIZEN, ENTERPRISE, ORGANISATION, ..."
        ),
        sa.Column("channel", sa.String(length=10), nullable=False, comment="ONLINE, IN_PERSON or POST"),
        sa.Column("status", sa.String(length=32), nullable=False, comment="one of the 10 DVCQG statuses"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), nullable=True, comment="promised return time, closed pauses counted"
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True, comment="resolved (status 9)"),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True, comment="result delivered (status 10)"),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False, comment="last status change"),
        sa.Column("apology_at", sa.DateTime(timezone=True), nullable=True, comment="Phiếu xin lỗi và hẹn lại ngày trả"),
        sa.Column(
            "new_due_at", sa.DateTime(timezone=True), nullable=True, comment="the new date promised in the apology"
        ),
        sa.Column("fee_id", sa.Integer(), nullable=True, comment="main fee-table row at submission"),
        sa.Column("fee_amount", sa.Integer(), nullable=True, comment="VND owed by the fee table for channel and date"),
        sa.Column("amount_due", sa.Integer(), nullable=True, comment="financial obligation requested (status 6), VND"),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True, comment="financial obligation paid"),
        sa.Column("status_note", sa.Text(), nullable=True, comment="reason of a refusal, stop or withdrawal"),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
        ),
        sa.ForeignKeyConstraint(
            ["fee_id"],
            ["fees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["procedure_code"],
            ["procedures.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_dossiers_agency", "dossiers", ["agency_code", "received_at"], unique=False)
    op.create_index("ix_dossiers_applicant", "dossiers", ["applicant_pid", "received_at"], unique=False)
    op.create_index("ix_dossiers_channel", "dossiers", ["channel"], unique=False)
    op.create_index("ix_dossiers_due", "dossiers", ["due_at", "code"], unique=False)
    op.create_index("ix_dossiers_procedure", "dossiers", ["procedure_code", "received_at"], unique=False)
    op.create_index("ix_dossiers_received", "dossiers", ["received_at", "code"], unique=False)
    op.create_index("ix_dossiers_status_due", "dossiers", ["status", "due_at"], unique=False)

    op.create_table(
        "paid_lookups",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column(
            "kind", sa.String(length=20), nullable=False, comment="NOTARISATION_RECORD, ID_CARD or SIM_REGISTRATION"
        ),
        sa.Column("procedure_code", sa.String(length=12), nullable=False),
        sa.Column("requester_pid", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False, comment="what is looked up"),
        sa.Column("purpose", sa.Text(), nullable=False, comment="declared purpose (Decree 13/2023 on personal data)"),
        sa.Column("consent", sa.Boolean(), nullable=False, comment="the data subject consented"),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fee_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False, comment="VND owed, from the fee table"),
        sa.Column("payment_status", sa.String(length=10), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True, comment="held back until paid"),
        sa.ForeignKeyConstraint(
            ["fee_id"],
            ["fees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["procedure_code"],
            ["procedures.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_lookups_kind", "paid_lookups", ["kind", "requested_at"], unique=False)
    op.create_index("ix_lookups_payment", "paid_lookups", ["payment_status"], unique=False)
    op.create_index("ix_lookups_requested", "paid_lookups", ["requested_at", "code"], unique=False)
    op.create_index(op.f("ix_paid_lookups_requester_pid"), "paid_lookups", ["requester_pid"], unique=False)

    op.create_table(
        "dossier_pauses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dossier_code", sa.String(length=32), nullable=False),
        sa.Column(
            "reason", sa.String(length=24), nullable=False, comment="ADDITIONAL_DOCUMENTS or FINANCIAL_OBLIGATION"
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False, comment="the clock stops"),
        sa.Column(
            "resumed_at", sa.DateTime(timezone=True), nullable=True, comment="the clock restarts; null while open"
        ),
        sa.Column(
            "note", sa.Text(), nullable=True, comment="what was asked for (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ)"
        ),
        sa.ForeignKeyConstraint(
            ["dossier_code"],
            ["dossiers.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dossier_pauses_dossier_code"), "dossier_pauses", ["dossier_code"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("dossier_pauses")
    op.drop_table("paid_lookups")
    op.drop_table("dossiers")
    op.drop_table("fees")
    op.drop_table("appointments")
    op.drop_table("procedures")
    op.drop_table("appointment_slots")
    op.drop_table("idempotency_keys")
    op.drop_table("agencies")
