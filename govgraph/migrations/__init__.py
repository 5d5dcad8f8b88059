"""Schema migrations: one Alembic history per store, shipped inside the package.

Each store (the seven and the audit one) has its own script directory, ``govgraph/migrations/<store>/`` (env.py,
versions/), and records its revision in its own database's ``alembic_version`` table. Nobody needs an
alembic.ini: the :class:`alembic.config.Config` is built here, pointing into the installed package.

Operators run ``govgraph migrate`` (every store to head) before ``govgraph serve``; ``serve`` refuses to start on
a store that is behind, except on the embedded SQLite demo, which it migrates itself. Developers change a model,
then ``python -m govgraph.migrations.revision --store NAME -m "what changed"`` and read what it wrote;
``python -m govgraph.migrations.check`` fails while a model differs from its store's head.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import event, inspect, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from govgraph.config import Settings
from govgraph.datasources.base import StoreUnavailable, store_metadata, store_names
from govgraph.migrations.runtime import VERSION_TABLE, configure_options

log = logging.getLogger("govgraph.migrations")

T = TypeVar("T")

SCRIPTS = Path(__file__).resolve().parent
"""The script directories, one per store, inside the installed package."""

State = Literal["current", "behind", "empty", "unversioned", "unknown"]

_UNREACHABLE = (OSError, TimeoutError, OperationalError, InterfaceError, ConnectionError)


class MigrationError(Exception):
    """A store's schema cannot be brought to (or checked against) this version's head."""


class MigrationsPending(MigrationError):
    """A store is behind its head: the server does not start on it."""


# ---------------------------------------------------------------------------------------------------------
# Configuration and scripts
# ---------------------------------------------------------------------------------------------------------


def script_location(store: str) -> Path:
    path = SCRIPTS / store
    if not (path / "env.py").is_file():
        raise MigrationError(f"No migrations for a store named {store!r} (stores: {', '.join(store_names())})")
    return path


def alembic_config(store: str, url: str | None = None, connection: Connection | None = None) -> Config:
    """Alembic's configuration of one store, built in code (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location(store)).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_table", VERSION_TABLE)
    cfg.attributes["store"] = store
    if url is not None:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory(store: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(store))


def head(store: str) -> str:
    """The store's one head revision (a store's history never branches)."""
    heads = script_directory(store).get_heads()
    if len(heads) != 1:
        raise MigrationError(f"The {store} store's migrations have {len(heads)} heads ({heads}): merge them")
    return heads[0]


def migration_engine(url: str, write: bool = True) -> AsyncEngine:
    """An engine for migrating one database (no pool). On SQLite, DDL runs in a real transaction that takes the
    write lock when it begins (SQLAlchemy's recipe), and the data folder is created if missing."""
    if not url.startswith("sqlite"):
        return create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 10})
    database = sqlite_file(url)
    if write and database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
    if write:

        @event.listens_for(engine.sync_engine, "connect")
        def _no_driver_transactions(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" and not database.startswith("file:") else None


async def run_on(store: str, url: str, fn: Callable[[Connection], T], write: bool) -> T:
    """``fn`` on a connection to the store's database, in one transaction (committed when ``fn`` returns)."""
    engine = migration_engine(url, write)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    except _UNREACHABLE as exc:
        raise StoreUnavailable(store, f"{type(exc).__name__}: {exc}".splitlines()[0]) from exc
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------------------------------
# Where a database stands
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """Where one store's database stands against this version's head."""

    store: str
    current: tuple[str, ...]
    head: str
    state: State

    def describe(self) -> str:
        at = ", ".join(self.current)
        match self.state:
            case "current":
                return f"{self.store}: at head ({self.head})"
            case "behind":
                return f"{self.store}: behind, at {at}; head is {self.head}"
            case "empty":
                return f"{self.store}: no tables yet; head is {self.head}"
            case "unversioned":
                return f"{self.store}: has tables but no {VERSION_TABLE} (made without migrations); head is {self.head}"
            case "unknown":
                return (
                    f"{self.store}: at {at}, a revision this version of govgraph does not know (a newer release's, "
                    f"or another store's database?); head is {self.head}"
                )


def _state(store: str, current: tuple[str, ...], tables: set[str], top: str) -> State:
    if not current:
        return "unversioned" if tables & set(store_metadata(store).tables) else "empty"
    revisions = script_directory(store).revision_map
    for rev in current:
        try:
            if revisions.get_revision(rev) is None:
                return "unknown"
        except RevisionError:
            return "unknown"
    return "current" if current == (top,) else "behind"


async def version(store: str, url: str) -> Version:
    """Read a store's revision (raises StoreUnavailable when its database does not answer)."""

    def read(conn: Connection) -> tuple[tuple[str, ...], set[str]]:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return tuple(context.get_current_heads()), set(inspect(conn).get_table_names())

    current: tuple[str, ...]
    tables: set[str]
    file = sqlite_file(url)
    if file is not None and not file.exists():
        current, tables = (), set[str]()  # nothing yet: reading must not create the file (or its folder)
    else:
        current, tables = await run_on(store, url, read, write=False)
    top = head(store)
    return Version(store, current, top, _state(store, current, tables, top))


async def versions(settings: Settings, stores: Iterable[str] | None = None) -> list[Version | StoreUnavailable]:
    """Each store's :class:`Version`, or the StoreUnavailable of a store that did not answer."""
    out: list[Version | StoreUnavailable] = []
    for name in stores or store_names():
        try:
            out.append(await version(name, settings.url_for(name)))
        except StoreUnavailable as exc:
            out.append(exc)
    return out


def pending_message(behind: Sequence[Version]) -> str:
    lines = "\n".join(f"  {v.describe()}" for v in behind)
    only = f" --store {behind[0].store}" if len(behind) == 1 else ""
    return (
        f"govgraph will not start: {len(behind)} store(s) are not at the schema this version needs:\n{lines}\n"
        f"Run `govgraph migrate{only}` (with the same GOVGRAPH_*_URL settings), then start again."
    )


async def ensure_current(settings: Settings) -> None:
    """Raise MigrationsPending, naming each store and the command to run, unless every store is at head.

    A store that does not answer is only logged: the server starts without it, as it would without a check
    (its fields report it unavailable), and /readyz says so.
    """
    behind: list[Version] = []
    for v in await versions(settings):
        if isinstance(v, StoreUnavailable):
            log.warning("could not check the schema version of the %s store: %s", v.store, v.reason)
        elif v.state != "current":
            behind.append(v)
    if behind:
        raise MigrationsPending(pending_message(behind))


# ---------------------------------------------------------------------------------------------------------
# Changing a database
# ---------------------------------------------------------------------------------------------------------


async def compare(store: str, url: str) -> list[Any]:
    """Alembic's differences between a database and the store's models ([] when they agree)."""

    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts=configure_options(store))
        return list(compare_metadata(context, store_metadata(store)))

    return await run_on(store, url, diff, write=False)


async def upgrade(store: str, url: str, revision: str = "head") -> None:
    def run(conn: Connection) -> None:
        command.upgrade(alembic_config(store, url, conn), revision)

    await run_on(store, url, run, write=True)


async def downgrade(store: str, url: str, revision: str) -> None:
    def run(conn: Connection) -> None:
        command.downgrade(alembic_config(store, url, conn), revision)

    await run_on(store, url, run, write=True)


async def stamp(store: str, url: str, revision: str) -> None:
    """Record ``revision`` without running anything (for a database whose schema is already that revision's),
    replacing whatever the database recorded (even a revision this version does not know)."""

    def run(conn: Connection) -> None:
        command.stamp(alembic_config(store, url, conn), revision, purge=True)

    await run_on(store, url, run, write=True)


async def adopt(store: str, url: str) -> None:
    """Stamp head on a database made without migrations (``create_all``) when its schema equals the models."""
    differences = await compare(store, url)
    if differences:
        shown = "\n".join(f"    {d}" for d in differences[:10])
        raise MigrationError(
            f"The {store} store's database has tables but no {VERSION_TABLE}, and they differ from the models:\n"
            f"{shown}\nRecreate it (`govgraph seed --reset` for demo data) or record the revision it is at "
            f"(`govgraph migrate --store {store} --stamp REV`), then migrate."
        )
    await stamp(store, url, "head")


async def migrate_store(store: str, url: str, revision: str = "head") -> tuple[Version, Version]:
    """Bring one store to ``revision`` (adopting a database made without migrations); (before, after)."""
    before = await version(store, url)
    if before.state == "unknown":
        raise MigrationError(before.describe())
    if before.state == "unversioned":
        await adopt(store, url)
    elif not (before.state == "current" and revision == "head"):
        await upgrade(store, url, revision)
    return before, await version(store, url)


async def migrate_all(settings: Settings, stores: Iterable[str] | None = None) -> list[tuple[Version, Version]]:
    """Every store (or those named) to head."""
    return [await migrate_store(name, settings.url_for(name)) for name in stores or store_names()]


async def drop_store(store: str, url: str) -> None:
    """Drop the store's tables and its revision record (``govgraph seed --reset``)."""

    def drop(conn: Connection) -> None:
        store_metadata(store).drop_all(conn)
        conn.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))

    await run_on(store, url, drop, write=True)


__all__ = [
    "SCRIPTS",
    "VERSION_TABLE",
    "MigrationError",
    "MigrationsPending",
    "Version",
    "adopt",
    "alembic_config",
    "compare",
    "downgrade",
    "drop_store",
    "ensure_current",
    "head",
    "migrate_all",
    "migrate_store",
    "migration_engine",
    "pending_message",
    "script_directory",
    "stamp",
    "upgrade",
    "version",
    "versions",
]
