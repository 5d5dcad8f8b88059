"""Migrations of the population store: Alembic's script directory (env.py, versions/), shipped with the package."""
