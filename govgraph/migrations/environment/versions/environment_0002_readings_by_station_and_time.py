"""Readings by station and time: an index for "a station's newest readings, any parameter".

The primary key (station, parameter, time) serves one parameter's series; Station.readings and the flood depth
ask for the newest rows of a station across parameters, which without this index read and sort every reading of
the station (950 ms for 50 stations at city scale).

Revision ID: environment_0002
Revises: environment_0001
Create Date: 2026-11-27 07:37:07.437697
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "environment_0002"
down_revision: str | Sequence[str] | None = "environment_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index("ix_readings_station_time", ["station_code", "measured_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_station_time")
