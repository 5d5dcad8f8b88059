"""Migrations of the services store: Alembic's script directory (env.py, versions/), shipped with the package."""
