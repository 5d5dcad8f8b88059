"""The audit store's initial schema: its tables as the models stood when migrations began.

Revision ID: audit_0001
Revises: (none)
Create Date: 2026-11-27 05:55:08.671774
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False, comment="token sub of the reader"),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column(
            "actor_unit", sa.String(length=32), nullable=True, comment="unit claim: a unit code, or an agency code"
        ),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("subject_pid", sa.String(length=12), nullable=True, comment="whose personal data was read"),
        sa.Column("record", sa.String(length=80), nullable=False, comment="type and node key of the record"),
        sa.Column("fields", sa.Text(), nullable=False, comment="comma-separated Type.field names"),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("operation", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_actor", "access_log", ["actor", "at"], unique=False)
    op.create_index("ix_access_log_subject", "access_log", ["subject_pid", "at"], unique=False)

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


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("idempotency_keys")
    op.drop_table("access_log")
