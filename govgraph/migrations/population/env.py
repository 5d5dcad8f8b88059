"""Alembic environment of the population store (what it runs: govgraph.migrations.runtime)."""

from govgraph.migrations.runtime import run_env

run_env("population")
