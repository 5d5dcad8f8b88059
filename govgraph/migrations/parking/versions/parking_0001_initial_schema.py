"""The parking store's initial schema: its tables as the models stood when migrations began.

Revision ID: parking_0001
Revises: (none)
Create Date: 2026-11-27 05:55:00.590893
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "parking_0001"
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
        "tariffs",
        sa.Column("code", sa.String(length=20), nullable=False, comment="tariff code, e.g. IPK-CAR-2018"),
        sa.Column(
            "zone", sa.String(length=160), nullable=False, comment="where it applies: streets, zone or kind of facility"
        ),
        sa.Column("vehicle_class", sa.String(length=10), nullable=False, comment="CAR, MOTORBIKE or BICYCLE"),
        sa.Column("first_block_minutes", sa.Integer(), nullable=False, comment="length of the first turn (lượt)"),
        sa.Column("first_block_price", sa.Integer(), nullable=False, comment="VND for the first turn"),
        sa.Column(
            "step_minutes", sa.Integer(), nullable=False, comment="each further started step after the first turn"
        ),
        sa.Column("step_price", sa.Integer(), nullable=False, comment="VND for the first step after the first turn"),
        sa.Column(
            "step_increment", sa.Integer(), server_default="0", nullable=False, comment="VND added per further step"
        ),
        sa.Column("overnight_from", sa.Time(), nullable=True, comment="local start of the overnight window (18:00)"),
        sa.Column("overnight_to", sa.Time(), nullable=True, comment="local end of the overnight window (06:00)"),
        sa.Column(
            "overnight_turns", sa.Integer(), nullable=True, comment="a night counts as this many turns (cars: 6)"
        ),
        sa.Column(
            "overnight_price", sa.Integer(), nullable=True, comment="explicit VND per night (motorbikes, bicycles)"
        ),
        sa.Column(
            "daily_cap", sa.Integer(), nullable=True, comment="VND cap per started 24 hours (day and night price)"
        ),
        sa.Column("monthly_price", sa.Integer(), nullable=True, comment="VND for a monthly ticket (vé tháng), if sold"),
        sa.Column(
            "legal_basis", sa.String(length=200), nullable=False, comment="decision and article setting the price"
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True, comment="assumptions where the legal text is not known"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_tariffs_vehicle_class", "tariffs", ["vehicle_class"], unique=False)

    op.create_table(
        "facilities",
        sa.Column("code", sa.String(length=20), nullable=False, comment="facility code, e.g. IPK-THD-01, BDX-00256-01"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="as written, NFC"),
        sa.Column(
            "name_folded", sa.String(length=200), nullable=False, comment="search key: lower case, no diacritics"
        ),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="STREET_IPARKING, CAR_PARK or BASEMENT"),
        sa.Column(
            "street", sa.String(length=80), nullable=False, comment="street (phố) the facility is on or entered from"
        ),
        sa.Column("side", sa.String(length=4), nullable=True, comment="street points: EVEN or ODD house-number side"),
        sa.Column(
            "segment",
            sa.String(length=160),
            nullable=True,
            comment="street points: the stretch between two cross streets",
        ),
        sa.Column("address", sa.String(length=240), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False, comment="ward or commune code"),
        sa.Column("unit_structure", sa.String(length=10), nullable=False, comment="structure of unit_code (Y2025_07)"),
        sa.Column("capacity", sa.Integer(), nullable=False, comment="car spaces"),
        sa.Column("operator", sa.String(length=160), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("tariff_code", sa.String(length=20), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True, comment="date the facility started charging"),
        sa.ForeignKeyConstraint(
            ["tariff_code"],
            ["tariffs.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_facilities_capacity", "facilities", ["capacity", "code"], unique=False)
    op.create_index("ix_facilities_kind", "facilities", ["kind", "code"], unique=False)
    op.create_index("ix_facilities_name_folded", "facilities", ["name_folded", "code"], unique=False)
    op.create_index("ix_facilities_street", "facilities", ["street"], unique=False)
    op.create_index("ix_facilities_tariff", "facilities", ["tariff_code"], unique=False)
    op.create_index("ix_facilities_unit", "facilities", ["unit_code", "unit_structure", "code"], unique=False)

    op.create_table(
        "spots",
        sa.Column("facility_code", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="space number painted on the street, from 1"),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facilities.code"],
        ),
        sa.PrimaryKeyConstraint("facility_code", "number"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False, comment="canonical plate text, e.g. 29A-123.45"),
        sa.Column("vehicle_class", sa.String(length=10), nullable=False),
        sa.Column("facility_code", sa.String(length=20), nullable=False),
        sa.Column("spot_number", sa.Integer(), nullable=True, comment="street points only"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True, comment="null while the vehicle is parked"),
        sa.Column("channel", sa.String(length=6), nullable=False, comment="SMS, APP, CARD or STAFF"),
        sa.Column("amount_vnd", sa.Integer(), nullable=True, comment="fee from the tariff, set when the session ends"),
        sa.Column("payer_pid", sa.String(length=12), nullable=True, comment="personal ID of the payer when known"),
        sa.ForeignKeyConstraint(
            ["facility_code", "spot_number"],
            ["spots.facility_code", "spots.number"],
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facilities.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sessions_facility_started", "sessions", ["facility_code", "started_at", "id"], unique=False)
    op.create_index(
        "ix_sessions_open",
        "sessions",
        ["facility_code", "spot_number"],
        unique=False,
        postgresql_where=sa.text("ended_at IS NULL"),
        sqlite_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_sessions_payer_started", "sessions", ["payer_pid", "started_at", "id"], unique=False)
    op.create_index("ix_sessions_plate_started", "sessions", ["plate", "started_at", "id"], unique=False)
    op.create_index("ix_sessions_started", "sessions", ["started_at", "id"], unique=False)
    op.create_index(
        "ux_sessions_open_plate",
        "sessions",
        ["plate"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
        sqlite_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("sessions")
    op.drop_table("spots")
    op.drop_table("facilities")
    op.drop_table("tariffs")
    op.drop_table("idempotency_keys")
