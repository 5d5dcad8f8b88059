"""What every store's Alembic ``env.py`` runs: the store's full metadata as the target, batch operations (so
ALTERs work on SQLite), online migrations over the async engine (Alembic's asyncio recipe, ``run_sync``).

govgraph's own commands pass an open connection in ``config.attributes["connection"]`` (see
:mod:`govgraph.migrations`); without one (Alembic's own command line with a Config built in code) env.py opens
the store's URL itself.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, FetchedValue, text
from sqlalchemy.engine import Connection

from govgraph.datasources.base import store_metadata

VERSION_TABLE = "alembic_version"
"""Each store's database records its revision here (one store per database)."""


def configure_options(store: str) -> dict[str, Any]:
    """The options of every migration context of a store (upgrades, autogenerate and model checks alike)."""
    return {
        "target_metadata": store_metadata(store),
        "version_table": VERSION_TABLE,
        "render_as_batch": True,  # SQLite cannot ALTER most things: batch mode copies the table instead
        "compare_type": True,
        "compare_server_default": same_server_default,
    }


def _bare(default: str | None) -> str | None:
    """A server default as text without the parentheses and quotes databases wrap it in."""
    if default is None:
        return None
    text = default.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    return text


def same_server_default(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_default: str | None,
    metadata_default: FetchedValue | None,
    rendered_metadata_default: str | None,
) -> bool | None:
    """False (no difference) when the defaults are equal once unwrapped (SQLite reflects ``''`` as ``('')``, which
    Alembic alone reports as a change); None lets Alembic compare everything else."""
    if inspected_default is not None and _bare(inspected_default) == _bare(rendered_metadata_default):
        return False
    return None


def lock_key(store: str) -> int:
    """A PostgreSQL advisory-lock key per store: two processes migrating one database take turns."""
    return zlib.crc32(f"govgraph-migrate:{store}".encode())


def run_env(store: str) -> None:
    """The body of ``govgraph/migrations/<store>/env.py``."""
    from alembic import context

    config = context.config
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")

    if context.is_offline_mode():
        # `--sql`: print the statements instead of running them.
        context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **configure_options(store))
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **configure_options(store))
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(store)})
            context.run_migrations()

    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    if not url:
        from govgraph.config import Settings

        url = Settings.from_env().url_for(store)

    async def run_async() -> None:
        from govgraph.migrations import migration_engine

        engine = migration_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(run_async())
