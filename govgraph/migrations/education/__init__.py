"""Migrations of the education store: Alembic's script directory (env.py, versions/), shipped with the package."""
