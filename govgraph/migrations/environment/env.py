"""Alembic environment of the environment store (what it runs: govgraph.migrations.runtime)."""

from govgraph.migrations.runtime import run_env

run_env("environment")
