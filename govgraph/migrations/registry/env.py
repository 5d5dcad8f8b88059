"""Alembic environment of the registry store (what it runs: govgraph.migrations.runtime)."""

from govgraph.migrations.runtime import run_env

run_env("registry")
