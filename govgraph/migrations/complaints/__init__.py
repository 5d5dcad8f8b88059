"""Migrations of the complaints store: Alembic's script directory (env.py, versions/), shipped with the package."""
