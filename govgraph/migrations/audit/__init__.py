"""Migrations of the audit store: Alembic's script directory (env.py, versions/), shipped with the package."""
