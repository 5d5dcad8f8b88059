"""Alembic environment of the audit store (what it runs: govgraph.migrations.runtime)."""

from govgraph.migrations.runtime import run_env

run_env("audit")
