"""Migrations of the registry store: Alembic's script directory (env.py, versions/), shipped with the package."""
