"""The environment store's initial schema: its tables as the models stood when migrations began.

Revision ID: environment_0001
Revises: (none)
Create Date: 2026-11-27 05:55:03.849692
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "environment_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=32), nullable=False, comment="alert id (uuid4 hex)"),
        sa.Column("station_code", sa.String(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=False,
            comment="AQI_WORSENED, AQI_IMPROVED, FLOOD_RISING, FLOOD_RECEDING",
        ),
        sa.Column(
            "at", sa.DateTime(timezone=True), nullable=False, comment="hour of the AQI / time of the depth reading"
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_aqi", sa.SmallInteger(), nullable=True),
        sa.Column("new_aqi", sa.SmallInteger(), nullable=True),
        sa.Column("previous_depth_cm", sa.Float(), nullable=True),
        sa.Column("new_depth_cm", sa.Float(), nullable=True),
        sa.Column("threshold_cm", sa.SmallInteger(), nullable=True, comment="the flood threshold passed"),
        sa.Column("batch_id", sa.String(length=32), nullable=False, comment="the ingest that raised it"),
        sa.PrimaryKeyConstraint("id"),
        comment="Category changes of a station's latest hourly AQI and flood depths passing 10/30/50 cm",
    )
    op.create_index("ix_alerts_station", "alerts", ["station_code", "raised_at"], unique=False)

    op.create_table(
        "aqi_daily",
        sa.Column("station_code", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="local (+07:00) calendar day"),
        sa.Column("aqi", sa.SmallInteger(), nullable=False),
        sa.Column("dominant", sa.String(length=8), nullable=False, comment="pollutant with the highest sub-index"),
        sa.Column("si_pm2_5", sa.SmallInteger(), nullable=True, comment="PM2_5 sub-index"),
        sa.Column("si_pm10", sa.SmallInteger(), nullable=True, comment="PM10 sub-index"),
        sa.Column("si_o3", sa.SmallInteger(), nullable=True, comment="O3 sub-index"),
        sa.Column("si_co", sa.SmallInteger(), nullable=True, comment="CO sub-index"),
        sa.Column("si_so2", sa.SmallInteger(), nullable=True, comment="SO2 sub-index"),
        sa.Column("si_no2", sa.SmallInteger(), nullable=True, comment="NO2 sub-index"),
        sa.Column("c_pm2_5", sa.Float(), nullable=True, comment="PM2_5 concentration used (24h average), µg/m³"),
        sa.Column("c_pm10", sa.Float(), nullable=True, comment="PM10 concentration used (24h average), µg/m³"),
        sa.Column("c_o3", sa.Float(), nullable=True, comment="O3 concentration used (max 1h average), µg/m³"),
        sa.Column("c_co", sa.Float(), nullable=True, comment="CO concentration used (max 1h average), µg/m³"),
        sa.Column("c_so2", sa.Float(), nullable=True, comment="SO2 concentration used (max 1h average), µg/m³"),
        sa.Column("c_no2", sa.Float(), nullable=True, comment="NO2 concentration used (max 1h average), µg/m³"),
        sa.Column("c_o3_8h", sa.Float(), nullable=True, comment="max 8h O3 average, µg/m³"),
        sa.Column("o3_basis", sa.String(length=3), nullable=True, comment="H1 or H8: which O3 sub-index counted"),
        sa.Column("hours", sa.SmallInteger(), nullable=False, comment="hourly PM values in the day"),
        sa.Column("method", sa.String(length=24), server_default="VN_AQI_1459_2019", nullable=False),
        sa.PrimaryKeyConstraint("station_code", "day", name="pk_aqi_daily"),
        comment="AQI ngày per station, complete local days, derived from readings",
    )
    op.create_table(
        "aqi_hourly",
        sa.Column("station_code", sa.String(length=16), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False, comment="start of the hour (UTC)"),
        sa.Column("aqi", sa.SmallInteger(), nullable=False),
        sa.Column("dominant", sa.String(length=8), nullable=False, comment="pollutant with the highest sub-index"),
        sa.Column("si_pm2_5", sa.SmallInteger(), nullable=True, comment="PM2_5 sub-index"),
        sa.Column("si_pm10", sa.SmallInteger(), nullable=True, comment="PM10 sub-index"),
        sa.Column("si_o3", sa.SmallInteger(), nullable=True, comment="O3 sub-index"),
        sa.Column("si_co", sa.SmallInteger(), nullable=True, comment="CO sub-index"),
        sa.Column("si_so2", sa.SmallInteger(), nullable=True, comment="SO2 sub-index"),
        sa.Column("si_no2", sa.SmallInteger(), nullable=True, comment="NO2 sub-index"),
        sa.Column("c_pm2_5", sa.Float(), nullable=True, comment="PM2_5 concentration used (NowCast), µg/m³"),
        sa.Column("c_pm10", sa.Float(), nullable=True, comment="PM10 concentration used (NowCast), µg/m³"),
        sa.Column("c_o3", sa.Float(), nullable=True, comment="O3 concentration used (1h average), µg/m³"),
        sa.Column("c_co", sa.Float(), nullable=True, comment="CO concentration used (1h average), µg/m³"),
        sa.Column("c_so2", sa.Float(), nullable=True, comment="SO2 concentration used (1h average), µg/m³"),
        sa.Column("c_no2", sa.Float(), nullable=True, comment="NO2 concentration used (1h average), µg/m³"),
        sa.Column("method", sa.String(length=24), server_default="VN_AQI_1459_2019", nullable=False),
        sa.PrimaryKeyConstraint("station_code", "hour", name="pk_aqi_hourly"),
        comment="AQI giờ per station (VN_AQI, Decision 1459/QĐ-TCMT), derived from readings",
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
        "ingest_batches",
        sa.Column("id", sa.String(length=32), nullable=False, comment="batch id (uuid4 hex)"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "submitted_by", sa.String(length=64), nullable=False, comment="token subject of the gateway (or admin)"
        ),
        sa.Column("received", sa.Integer(), nullable=False, comment="readings sent"),
        sa.Column("inserted", sa.Integer(), nullable=False, comment="new readings stored (flagged ones included)"),
        sa.Column("duplicates", sa.Integer(), nullable=False, comment="already stored with the same value: skipped"),
        sa.Column("conflicts", sa.Integer(), nullable=False, comment="already stored with another value: first kept"),
        sa.Column("flagged", sa.Integer(), nullable=False, comment="stored with quality OUT_OF_RANGE or SUSPECT"),
        sa.Column("rejected", sa.Integer(), nullable=False, comment="malformed entries, not stored (see errors)"),
        sa.Column(
            "stations", sa.JSON(), nullable=False, comment="per station: code, counts, first and last time stored"
        ),
        sa.Column("errors", sa.JSON(), nullable=False, comment="per-entry errors (field, message, code), at most 100"),
        sa.PrimaryKeyConstraint("id"),
        comment="One row per readingsIngest call: the receipt a gateway gets, and the agency's audit trail",
    )
    op.create_index("ix_ingest_batches_received", "ingest_batches", ["received_at"], unique=False)

    op.create_table(
        "readings",
        sa.Column("station_code", sa.String(length=16), nullable=False),
        sa.Column(
            "measured_at", sa.DateTime(timezone=True), nullable=False, comment="start of the averaging period (UTC)"
        ),
        sa.Column(
            "parameter", sa.String(length=12), nullable=False, comment="PM2_5, PM10, O3, CO, SO2, NO2, PH, DO, ..."
        ),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False, comment="µg/m³, mg/L, MPN/100mL, °C, mm, cm, m, pH"),
        sa.Column("averaging", sa.String(length=8), nullable=False, comment="H1, H8, H24, NOWCAST, INSTANT, SAMPLE"),
        sa.Column(
            "quality", sa.String(length=12), server_default="OK", nullable=False, comment="OK, OUT_OF_RANGE, SUSPECT"
        ),
        sa.PrimaryKeyConstraint("station_code", "parameter", "measured_at", name="pk_readings"),
    )
    op.create_table(
        "stations",
        sa.Column(
            "code", sa.String(length=16), nullable=False, comment="station code, e.g. KK001 (air), MUA005 (rain gauge)"
        ),
        sa.Column("name", sa.String(length=160), nullable=False, comment="name as published, NFC"),
        sa.Column(
            "name_folded", sa.String(length=160), nullable=False, comment="search key: lower case, no diacritics"
        ),
        sa.Column(
            "kind",
            sa.String(length=12),
            nullable=False,
            comment="AIR, LAKE_WATER, RAIN_GAUGE, FLOOD_POINT, WATER_LEVEL",
        ),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True, comment="street location as written"),
        sa.Column("unit_code", sa.String(length=5), nullable=True, comment="administrative unit (ward/commune) code"),
        sa.Column("unit_structure", sa.String(length=10), nullable=True, comment="structure of unit_code (Y2025_07)"),
        sa.Column(
            "water_body", sa.String(length=80), nullable=True, comment="lake or river, e.g. Hồ Tây, sông Tô Lịch"
        ),
        sa.Column("drainage_basin", sa.String(length=10), nullable=True, comment="lưu vực: TO_LICH, NHUE, TA_HONG"),
        sa.Column("control_level_m", sa.Float(), nullable=True, comment="mực nước khống chế (m) of a level gauge"),
        sa.Column("operator", sa.String(length=120), nullable=False, comment="who runs the station"),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_stations_kind_code", "stations", ["kind", "code"], unique=False)
    op.create_index("ix_stations_name_folded", "stations", ["name_folded", "code"], unique=False)
    op.create_index("ix_stations_unit", "stations", ["unit_code", "unit_structure", "code"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("stations")
    op.drop_table("readings")
    op.drop_table("ingest_batches")
    op.drop_table("idempotency_keys")
    op.drop_table("aqi_hourly")
    op.drop_table("aqi_daily")
    op.drop_table("alerts")
