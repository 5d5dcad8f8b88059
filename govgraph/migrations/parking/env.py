"""Alembic environment of the parking store (what it runs: govgraph.migrations.runtime)."""

from govgraph.migrations.runtime import run_env

run_env("parking")
