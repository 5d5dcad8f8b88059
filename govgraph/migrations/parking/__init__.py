"""Migrations of the parking store: Alembic's script directory (env.py, versions/), shipped with the package."""
