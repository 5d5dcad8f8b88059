"""What every store shares: the engine wrapper, statement counting, failure isolation, paging, bulk load.

A store is one database (one URL). Resolvers never see SQL: they call a domain datasource module, which
builds SQLAlchemy Core statements and runs them through :class:`Store`. Every statement a store runs is
counted per request (``before_cursor_execute``), so tests can assert that batching works.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import importlib
import importlib.util
import json
import operator
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import asyncpg  # type: ignore[import-untyped]  # no stubs or py.typed
import orjson
from aiodataloader import DataLoader
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    MetaData,
    Row,
    Select,
    String,
    Table,
    and_,
    event,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import ColumnElement

from govgraph import observability
from govgraph.config import STORES, Settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

MAX_BATCH = 2000
"""Keys per batched statement: below SQLite's and asyncpg's bind-parameter limits."""


class StoreUnavailable(Exception):
    """A store did not answer (stopped, unreachable, or too slow). The rest of the API keeps working."""

    def __init__(self, store: str, reason: str = "") -> None:
        self.store = store
        self.reason = reason
        super().__init__(f"The {store} store is unavailable" + (f": {reason}" if reason else ""))


# ---------------------------------------------------------------------------------------------------------
# Statement statistics, per request
# ---------------------------------------------------------------------------------------------------------


@dataclass
class StoreStats:
    statements: int = 0
    seconds: float = 0.0


@dataclass
class QueryStats:
    """Statements and time per store for one GraphQL operation."""

    stores: dict[str, StoreStats] = field(default_factory=lambda: defaultdict(StoreStats))

    def as_dict(self) -> dict[str, Any]:
        per = {
            name: {"statements": s.statements, "ms": round(s.seconds * 1000, 3)}
            for name, s in sorted(self.stores.items())
        }
        return {"statements": sum(s.statements for s in self.stores.values()), "stores": per}


current_stats: contextvars.ContextVar[QueryStats | None] = contextvars.ContextVar("govgraph_stats", default=None)


def _instrument(engine: AsyncEngine, store: str) -> None:
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect.name

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(conn: SyncConnection, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        observability.statement_started(conn.info, store, statement, dialect)

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _after(conn: SyncConnection, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seconds = observability.statement_finished(conn.info, store)
        stats = current_stats.get()
        if stats is not None and seconds is not None:
            s = stats.stores[store]
            s.statements += 1
            s.seconds += seconds

    @event.listens_for(sync_engine, "handle_error")
    def _failed(ctx: ExceptionContext) -> None:
        if ctx.connection is not None and ctx.execution_context is not None:
            observability.statement_finished(ctx.connection.info, store, ctx.original_exception)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def _sqlite_immediate(engine: AsyncEngine) -> None:
    """Let SQLAlchemy, not the driver, begin transactions, and begin them IMMEDIATE (SQLAlchemy's recipe)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _no_driver_transactions(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn: SyncConnection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


IDEMPOTENCY_TABLE = "idempotency_keys"


def idempotency_table(metadata: MetaData) -> Table:
    """Every store records the mutations it has applied under a client's Idempotency-Key, in the same
    transaction as the change itself, so a retry finds the first result and changes nothing."""
    return Table(
        IDEMPOTENCY_TABLE,
        metadata,
        Column("subject", String(64), primary_key=True, comment="sha256 of who sent it (never the raw token sub)"),
        Column("key", String(200), primary_key=True, comment="the client's Idempotency-Key"),
        Column("operation", String(80), nullable=False),
        Column("fingerprint", String(64), nullable=False, comment="sha256 of the input"),
        Column("result", JSON, nullable=False, comment="what the first call returned"),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


_UNAVAILABLE = (OSError, TimeoutError, OperationalError, InterfaceError, ConnectionError)


_LOST = (
    asyncpg.ConnectionDoesNotExistError,  # closed under us
    asyncpg.AdminShutdownError,  # the server ended it (restart, pg_terminate_backend)
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # the protocol met a closed connection mid-exchange
    ConnectionError,
)


class _ConnectionLost(Exception):
    """A pooled connection was found dead during ``Store.fetch`` (it has been dropped from the pool)."""


class Record(asyncpg.Record):  # type: ignore[misc]  # asyncpg is untyped
    """An asyncpg row that also reads like a SQLAlchemy Row: ``r.column``, ``r._fields``, ``r._mapping``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _fields(self) -> tuple[str, ...]:
        return tuple(self.keys())

    @property
    def _mapping(self) -> Mapping[str, Any]:
        return dict(self.items())


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _UNAVAILABLE)


# ---------------------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------------------


class Store:
    """One database: an async engine plus the metadata of its tables."""

    def __init__(
        self, name: str, url: str, metadata: MetaData, timeout: float, pool_size: int = 5, max_overflow: int = 10
    ) -> None:
        self.name = name
        self.url = url
        self.metadata = metadata
        self.timeout = timeout
        self.is_sqlite = url.startswith("sqlite")
        if IDEMPOTENCY_TABLE not in metadata.tables:
            idempotency_table(metadata)
        self.idempotency: Table = metadata.tables[IDEMPOTENCY_TABLE]
        if self.is_sqlite:
            self.engine = create_async_engine(url, connect_args={"timeout": timeout})
            _sqlite_pragmas(self.engine)
            # Writes take SQLite's write lock when they begin (BEGIN IMMEDIATE), so concurrent
            # read-then-write transactions queue on busy_timeout instead of failing on lock upgrade.
            self.writer = create_async_engine(url, connect_args={"timeout": timeout})
            _sqlite_pragmas(self.writer)
            _sqlite_immediate(self.writer)
            _instrument(self.writer, name)
        else:
            self.engine = create_async_engine(
                url,
                pool_size=pool_size,
                max_overflow=max_overflow,
                # No pre-ping: on asyncpg it costs three round trips (BEGIN; ;ROLLBACK) per checkout, more than a
                # typical read. A connection found dead is invalidated with its pool, and a read is retried once
                # (``all``); a write on a dead connection fails once with STORE_UNAVAILABLE.
                pool_pre_ping=False,
                pool_timeout=timeout,
                connect_args={
                    "timeout": timeout,
                    "server_settings": {"application_name": f"govgraph-{name}"},
                },
            )
            self.writer = self.engine
        # Reads run in autocommit: one statement is atomic on its own, and no BEGIN/ROLLBACK round trips.
        self.reader: AsyncEngine = (
            self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        _instrument(self.engine, name)

    def _fail(self, exc: BaseException) -> StoreUnavailable:
        reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        return StoreUnavailable(self.name, reason)

    async def all(self, stmt: Any) -> Sequence[Row[Any]]:
        """Run one read statement; return its rows. Raises StoreUnavailable when the store does not answer."""
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    return await self._read(stmt)
                except DBAPIError as exc:
                    if not exc.connection_invalidated:
                        raise
                    # A pooled connection died (the server restarted): the pool is invalidated; read again once.
                    return await self._read(stmt)
        except Exception as exc:
            if _is_unavailable(exc):
                raise self._fail(exc) from exc
            raise

    async def _read(self, stmt: Any) -> Sequence[Row[Any]]:
        async with self.reader.connect() as conn:
            result = await conn.execute(stmt)
            return result.all()

    async def fetch(self, sql: str, *args: Any) -> list[Record]:
        """PostgreSQL only: one read statement written in SQL (``$1``… parameters), run on asyncpg directly.

        For the hottest reads (a list's rows by the thousand): SQLAlchemy's statement building, execution context
        and Row objects cost more than the read itself there. Rows are :class:`Record` (read by position, key or
        attribute, like a Row). The engine's statement events fire for it as for every other (counted, timed,
        traced); a dead pooled
        connection is dropped and the read tried once more; a store that does not answer raises
        StoreUnavailable.
        """
        if self.is_sqlite:
            raise TypeError("Store.fetch is for PostgreSQL stores")
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    return await self._fetch(sql, args)
                except _ConnectionLost:
                    return await self._fetch(sql, args)
        except Exception as exc:
            if _is_unavailable(exc) or isinstance(exc, _ConnectionLost | asyncpg.PostgresConnectionError):
                raise self._fail(exc) from exc
            raise

    async def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Record]:
        async with self.reader.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            if driver is None:
                raise StoreUnavailable(self.name, "no driver connection")
            try:
                rows: list[Record] = await self._on_driver(
                    conn, sql, args, driver.fetch(sql, *args, record_class=Record)
                )
            except _LOST as exc:
                await conn.invalidate()
                raise _ConnectionLost(str(exc)) from exc
            return rows

    async def _on_driver(self, conn: AsyncConnection, sql: str, args: Any, call: Awaitable[T]) -> T:
        """Await a statement run on the driver directly, with the engine's statement events around it as for any
        other statement (``_instrument``: counted in the query stats, timed, traced)."""
        sync = conn.sync_connection
        if sync is None:
            getattr(call, "close", lambda: None)()  # never awaited: closed, not left to warn
            raise StoreUnavailable(self.name, "no connection")
        sync.dispatch.before_cursor_execute(sync, None, sql, args, None, False)
        try:
            out = await call
        except BaseException as exc:
            observability.statement_finished(sync.info, self.name, exc)
            raise
        sync.dispatch.after_cursor_execute(sync, None, sql, args, None, False)
        return out

    async def scalar(self, stmt: Any) -> Any:
        rows = await self.all(stmt)
        return rows[0][0] if rows else None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction: committed when the block ends, rolled back on any exception."""
        try:
            async with self.writer.begin() as conn:
                yield conn
        except Exception as exc:
            if _is_unavailable(exc):
                raise self._fail(exc) from exc
            raise

    async def analyze(self) -> None:
        """Refresh the query planner's statistics (after a bulk load)."""
        async with self.reader.connect() as conn:
            await conn.execute(text("ANALYZE"))

    async def ping(self) -> None:
        """Answer or raise StoreUnavailable (used by /readyz)."""
        await self.all(text("SELECT 1"))

    async def create_all(self) -> None:
        async with self.begin() as conn:
            await conn.run_sync(self.metadata.create_all)

    async def drop_all(self) -> None:
        async with self.begin() as conn:
            await conn.run_sync(self.metadata.drop_all)

    async def bulk_insert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]] | Sequence[tuple[Any, ...]],
        columns: Sequence[str] | None = None,
    ) -> None:
        """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite.

        ``rows`` are dicts keyed by column name, or tuples in the order of ``columns`` (default: every column
        of the table; leave out an autoincrement key by naming the others).
        """
        if not rows:
            return
        columns = list(columns) if columns else [c.name for c in table.columns]
        if isinstance(rows[0], Mapping):
            tuples = [tuple(r.get(c) for c in columns) for r in rows]  # type: ignore[union-attr]
        else:
            tuples = list(rows)  # type: ignore[arg-type]
        async with self.begin() as conn:
            if self.is_sqlite:
                await conn.execute(table.insert(), [dict(zip(columns, t, strict=True)) for t in tuples])
            else:
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                if driver is None:
                    raise StoreUnavailable(self.name, "no driver connection")
                copy = driver.copy_records_to_table(table.name, records=tuples, columns=columns)
                await self._on_driver(conn, f"COPY {table.name} ({', '.join(columns)}) FROM STDIN", tuples, copy)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.writer is not self.engine:
            await self.writer.dispose()


def store_metadata(name: str) -> MetaData:
    """Every table of a store: its datasource module's (``govgraph.datasources.<name>``) plus the idempotency
    table every store has. No engine is made (migrations and their checks read it too)."""
    module = importlib.import_module(f"govgraph.datasources.{name}")
    md = module.metadata
    if not isinstance(md, MetaData):
        raise TypeError(f"govgraph.datasources.{name}.metadata is not a MetaData")
    if IDEMPOTENCY_TABLE not in md.tables:
        idempotency_table(md)
    return md


def store_names() -> list[str]:
    """The stores this installation has (the seven with a datasource module, then the audit store)."""
    return [
        *(name for name in STORES if importlib.util.find_spec(f"govgraph.datasources.{name}") is not None),
        "audit",
    ]


class Stores:
    """The seven stores of one server process, opened at start-up and closed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        pool = (settings.db_pool_size, settings.db_max_overflow)
        self.by_name: dict[str, Store] = {
            name: Store(name, settings.url_for(name), store_metadata(name), settings.store_timeout, *pool)
            for name in STORES
            if importlib.util.find_spec(f"govgraph.datasources.{name}") is not None
        }
        self.audit = Store("audit", settings.url_for("audit"), store_metadata("audit"), settings.store_timeout, *pool)
        """The append-only audit trail of personal-data reads (its own database: GOVGRAPH_AUDIT_URL)."""

    def all_stores(self) -> list[Store]:
        return [*self.by_name.values(), self.audit]

    def __getitem__(self, name: str) -> Store:
        return self.by_name[name]

    def __iter__(self) -> Iterator[Store]:
        return iter(self.by_name.values())

    async def create_all(self) -> None:
        if any(s.is_sqlite for s in self.all_stores()):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        for store in self.all_stores():
            await store.create_all()

    async def drop_all(self) -> None:
        for store in self.all_stores():
            await store.drop_all()

    async def health(self) -> dict[str, str | None]:
        """Each store's failure, or None when it answers."""

        async def one(store: Store) -> str | None:
            try:
                await store.ping()
            except StoreUnavailable as exc:
                return str(exc)
            return None

        stores = self.all_stores()
        results = await asyncio.gather(*(one(s) for s in stores))
        return {s.name: r for s, r in zip(stores, results, strict=True)}

    async def dispose(self) -> None:
        for store in self.all_stores():
            await store.dispose()


# ---------------------------------------------------------------------------------------------------------
# Batching helpers: one statement per batch, results in key order
# ---------------------------------------------------------------------------------------------------------


def chunks(keys: Sequence[K], size: int = MAX_BATCH) -> Iterable[Sequence[K]]:
    for i in range(0, len(keys), size):
        yield keys[i : i + size]


loader_batching: contextvars.ContextVar[bool] = contextvars.ContextVar("govgraph_loader_batching", default=True)
"""Whether loaders made now batch their keys (Settings.loaders, GOVGRAPH_LOADERS); read when a loader is made."""


@contextmanager
def batching(enabled: bool) -> Iterator[None]:
    """Loaders (and loader families) made inside this block batch their keys, or, when ``enabled`` is False,
    run one statement per key (aiodataloader's ``batch=False``): only to measure what batching buys."""
    token = loader_batching.set(enabled)
    try:
        yield
    finally:
        loader_batching.reset(token)


class OneLoader(DataLoader[K, V | None]):
    """A DataLoader whose batch function returns ``{key: value}``; missing keys load as None."""

    def __init__(self, fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]]) -> None:
        super().__init__(max_batch_size=MAX_BATCH, batch=loader_batching.get())
        self._fetch = fetch
        self.label = observability.loader_label(self, fetch)

    async def batch_load_fn(self, keys: Sequence[K]) -> list[V | None]:
        async with observability.observe_batch(self.label, len(keys)):
            found = await self._fetch(keys)
        return [found.get(k) for k in keys]


class ManyLoader(DataLoader[K, list[V]]):
    """A DataLoader whose batch function returns ``{key: [values]}``; missing keys load as []."""

    def __init__(self, fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, list[V]]]]) -> None:
        super().__init__(max_batch_size=MAX_BATCH, batch=loader_batching.get())
        self._fetch = fetch
        self.label = observability.loader_label(self, fetch)

    async def batch_load_fn(self, keys: Sequence[K]) -> list[list[V]]:
        async with observability.observe_batch(self.label, len(keys)):
            found = await self._fetch(keys)
        return [found.get(k, []) for k in keys]


def column(rows: Sequence[Row[Any]], name: str) -> Callable[[Row[Any]], Any]:
    """A key function reading column ``name`` of these rows by position (a Row's attribute access costs about a
    microsecond; hot lists index thousands of rows)."""
    if not rows:
        return operator.itemgetter(0)
    return operator.itemgetter(rows[0]._fields.index(name))


def index_one(rows: Sequence[Row[Any]], key: Callable[[Row[Any]], K] | str) -> dict[K, Row[Any]]:
    get = column(rows, key) if isinstance(key, str) else key
    return {get(r): r for r in rows}


def index_many(rows: Sequence[Row[Any]], key: Callable[[Row[Any]], K] | str) -> dict[K, list[Row[Any]]]:
    get = column(rows, key) if isinstance(key, str) else key
    out: dict[K, list[Row[Any]]] = defaultdict(list)
    for r in rows:
        out[get(r)].append(r)
    return out


class LoaderFamily(Generic[K, V]):
    """Loaders that also depend on field arguments (a time range, a limit): one loader per argument set.

    ``family(args).load(key)`` batches every key asked for with the same arguments into one statement.
    """

    def __init__(self, make: Callable[..., DataLoader[K, V]]) -> None:
        self._make = make
        self._loaders: dict[Hashable, DataLoader[K, V]] = {}
        self._batch = loader_batching.get()
        """Its loaders are made later, on first use of an argument set: they batch as the family was made."""

    def __call__(self, *args: Hashable) -> DataLoader[K, V]:
        loader = self._loaders.get(args)
        if loader is None:
            with batching(self._batch):
                loader = self._loaders[args] = self._make(*args)
        return loader


# ---------------------------------------------------------------------------------------------------------
# Keyset pagination (Relay cursors)
# ---------------------------------------------------------------------------------------------------------

MAX_PAGE = 100
DEFAULT_PAGE = 20


class PageError(ValueError):
    """A bad page request (page size out of range, malformed cursor): reported to the client as is."""


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise PageError(f"Malformed cursor {cursor!r}") from exc
    if not isinstance(values, list) or len(values) != width:
        raise PageError(f"Cursor {cursor!r} does not belong to this list or ordering")
    return values


@dataclass
class Page:
    rows: list[Row[Any]]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    count: Callable[[], Awaitable[int]]


def _coerce(col: ColumnElement[Any], value: Any) -> Any:
    """Cursor values come back from JSON as strings: turn dates back into dates for the comparison."""
    import datetime as dt

    if value is None:
        return None
    try:
        ptype = col.type.python_type
    except NotImplementedError:
        return value
    if ptype is dt.datetime and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if ptype is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def keyset_after(order: Sequence[tuple[ColumnElement[Any], bool]], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in ``order`` ((column, descending) pairs; the last one unique)."""
    clauses = []
    for i, (col, desc) in enumerate(order):
        v = _coerce(col, values[i])
        equal = [c == _coerce(c, values[j]) for j, (c, _d) in enumerate(order[:i])]
        beyond = col < v if desc else col > v
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


async def paginate(
    store: Store,
    stmt: Select[Any],
    order: Sequence[tuple[ColumnElement[Any], bool]],
    first: int | None,
    after: str | None,
) -> Page:
    """One page of ``stmt`` in ``order``, with a lazily counted total (counted only when asked for)."""
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise PageError(f"`first` must be between 0 and {MAX_PAGE}, got {size}")
    base = stmt
    if after:
        stmt = stmt.where(keyset_after(order, decode_cursor(after, len(order))))
    stmt = stmt.order_by(*[(c.desc() if d else c.asc()) for c, d in order]).limit(size + 1)
    rows = list(await store.all(stmt))
    has_next = len(rows) > size
    rows = rows[:size]
    keys = [c.key or c.name for c, _ in order]
    positions = [rows[0]._fields.index(k) for k in keys] if rows else []
    cursors = [encode_cursor([r[i] for i in positions]) for r in rows]

    async def count() -> int:
        total = await store.scalar(select(func.count()).select_from(base.order_by(None).subquery()))
        return int(total or 0)

    return Page(rows=rows, cursors=cursors, has_next=has_next, has_previous=bool(after), count=count)


def list_page(items: Sequence[Any], key: Callable[[Any], Sequence[Any]], first: int | None, after: str | None) -> Page:
    """Keyset paging over an in-memory list already sorted by ``key`` (reference data such as units)."""
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise PageError(f"`first` must be between 0 and {MAX_PAGE}, got {size}")
    start = 0
    if after:
        probe = items[0] if items else None
        width = len(key(probe)) if probe is not None else 1
        marker = decode_cursor(after, width)
        start = next((i for i, it in enumerate(items) if list(key(it)) > marker), len(items))
    chunk = list(items[start : start + size])
    total = len(items)

    async def count() -> int:
        return total

    return Page(
        rows=chunk,
        cursors=[encode_cursor(list(key(it))) for it in chunk],
        has_next=start + size < len(items),
        has_previous=start > 0,
        count=count,
    )
