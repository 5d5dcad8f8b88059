"""Migrations of the environment store: Alembic's script directory (env.py, versions/), shipped with the package."""
