"""Throw-away databases for the developer tools (check, revision): a SQLite file in a temporary folder, or a
database created on a PostgreSQL server and dropped afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"


@asynccontextmanager
async def scratch_database(store: str, postgres: str | None = None) -> AsyncIterator[str]:
    """The URL of an empty database for ``store``: on ``postgres`` (a server URL) if given, else SQLite."""
    if postgres is None:
        with tempfile.TemporaryDirectory(prefix=f"govgraph-{store}-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / f'{store}.db'}"
        return
    server = make_url(postgres)
    name = f"govgraph_scratch_{os.getpid()}_{store}"
    admin = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
