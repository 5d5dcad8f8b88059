"""The population store's initial schema: its tables as the models stood when migrations began.

Revision ID: population_0001
Revises: (none)
Create Date: 2026-11-27 05:54:45.192341
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "population_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizens",
        sa.Column(
            "pid", sa.String(length=12), nullable=False, comment="12-digit personal ID number (số định danh cá nhân)"
        ),
        sa.Column(
            "node_key",
            sa.String(length=16),
            nullable=False,
            comment="opaque key of the GraphQL node id: global ids must not carry the personal ID",
        ),
        sa.Column("family_name", sa.String(length=40), nullable=False),
        sa.Column("middle_name", sa.String(length=60), server_default="", nullable=False),
        sa.Column("given_name", sa.String(length=40), nullable=False),
        sa.Column("full_name", sa.String(length=140), nullable=False, comment="as written, NFC, Vietnamese order"),
        sa.Column(
            "name_folded", sa.String(length=140), nullable=False, comment="search key: lower case, no diacritics"
        ),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=6), nullable=False),
        sa.Column("ethnicity", sa.String(length=30), server_default="Kinh", nullable=False),
        sa.Column("nationality", sa.String(length=30), server_default="Việt Nam", nullable=False),
        sa.Column("permanent_unit_code", sa.String(length=5), nullable=True),
        sa.Column("permanent_unit_structure", sa.String(length=10), nullable=True),
        sa.Column("permanent_address", sa.Text(), nullable=True),
        sa.Column("temporary_unit_code", sa.String(length=5), nullable=True),
        sa.Column("temporary_unit_structure", sa.String(length=10), nullable=True),
        sa.Column("temporary_address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("date_of_death", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("pid"),
        sa.UniqueConstraint("node_key"),
    )
    op.create_index("ix_citizens_name_folded", "citizens", ["name_folded"], unique=False)
    op.create_index(
        "ix_citizens_permanent_unit",
        "citizens",
        ["permanent_unit_code", "permanent_unit_structure", "pid"],
        unique=False,
    )
    op.create_index(
        "ix_citizens_temporary_unit", "citizens", ["temporary_unit_code", "temporary_unit_structure"], unique=False
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
        "identity_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pid", sa.String(length=12), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False, comment="CMND9, CMND12, CCCD, CAN_CUOC, PASSPORT"),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issuer", sa.String(length=120), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pid"],
            ["citizens.pid"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_identity_documents_pid"), "identity_documents", ["pid"], unique=False)

    op.create_table(
        "parent_links",
        sa.Column("parent_pid", sa.String(length=12), nullable=False),
        sa.Column("child_pid", sa.String(length=12), nullable=False),
        sa.Column("relation", sa.String(length=6), nullable=False, comment="FATHER or MOTHER"),
        sa.ForeignKeyConstraint(
            ["child_pid"],
            ["citizens.pid"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_pid"],
            ["citizens.pid"],
        ),
        sa.PrimaryKeyConstraint("parent_pid", "child_pid"),
    )
    op.create_index(op.f("ix_parent_links_child_pid"), "parent_links", ["child_pid"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("parent_links")
    op.drop_table("identity_documents")
    op.drop_table("idempotency_keys")
    op.drop_table("citizens")
