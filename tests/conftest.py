"""Fixtures: the stores on both backends (SQLite always, PostgreSQL when a server answers), seeded once per
session with the demo data; an HTTP client on the ASGI app; tokens named after roles."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from govgraph.auth.identity import Role, mint_token
from govgraph.config import STORES, Settings
from govgraph.datasources.base import Stores, store_names
from govgraph.migrations import drop_store, migrate_all
from govgraph.seed import SeedContext, seed_stores
from govgraph.server import create_app

PG_HOST = os.environ.get("GOVGRAPH_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("GOVGRAPH_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("GOVGRAPH_TEST_PG_USER", "postgres")
REQUIRE_SERVICES = os.environ.get("GOVGRAPH_REQUIRE_SERVICES") == "1"
RANDOM_SEED = 2017


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pg_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def ensure_pg_databases(names: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def require_postgres() -> None:
    if not _answers(PG_HOST, PG_PORT):
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL is not answering on {PG_HOST}:{PG_PORT} and GOVGRAPH_REQUIRE_SERVICES=1")
        pytest.skip(f"no PostgreSQL server on {PG_HOST}:{PG_PORT} (set GOVGRAPH_TEST_PG_HOST/PORT)")


async def drop_pg_databases(names: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def pg_prefix(label: str = "main") -> str:
    """Database names unique to this test process, so parallel runs on one server do not collide."""
    return f"govgraph_t{os.getpid()}_{label}"


async def make_settings(backend: str, tmp: Path, label: str = "main") -> Settings:
    """Settings whose seven stores are fresh SQLite files or PostgreSQL databases of this test process."""
    if backend == "sqlite":
        return Settings(data_dir=tmp, query_stats=True, store_timeout=10)
    require_postgres()
    names = {s: f"{pg_prefix(label)}_{s}" for s in (*STORES, "audit")}
    await ensure_pg_databases(list(names.values()))
    return Settings(data_dir=tmp, store_urls={s: pg_url(n) for s, n in names.items()}, query_stats=True)


async def drop_settings(settings: Settings) -> None:
    """Remove the PostgreSQL databases a test process made (SQLite files go with the temporary folder)."""
    names = [u.rsplit("/", 1)[1] for u in settings.store_urls.values() if u.startswith("postgresql")]
    if names:
        await drop_pg_databases(names)


@dataclass
class Seeded:
    backend: str
    settings: Settings
    stores: Stores
    ctx: SeedContext


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgres"])
async def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    """The demo data on one backend, seeded once per session. Tests must not change it (use `fresh_stores`)."""
    backend = request.param
    settings = await make_settings(backend, tmp_path_factory.mktemp(f"stores-{backend}"))
    # The schema comes from the migrations, as in production (a second or so per backend more than create_all).
    for name in store_names():
        await drop_store(name, settings.url_for(name))
    await migrate_all(settings)
    stores = Stores(settings)
    ctx = await seed_stores(stores, "demo", RANDOM_SEED, quiet=True)
    yield Seeded(backend, settings, stores, ctx)
    await stores.dispose()
    await drop_settings(settings)


async def kill_connections(settings: Settings, store: str) -> int:
    """End every PostgreSQL connection of ``store`` (as a server restart or an administrator would); how many."""
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        killed: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = $2",
            f"govgraph-{store}",
            settings.url_for(store).rsplit("/", 1)[1],
        )
    finally:
        await admin.close()
    return killed


def broken_url(backend: str, tmp: Path) -> str:
    """A store URL that does not answer: a SQLite file in a folder that does not exist, or a closed port."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'no-such-folder' / 'down.db'}"
    return "postgresql+asyncpg://postgres@127.0.0.1:9/down"


@pytest_asyncio.fixture
async def client_with_store_down(
    seeded: Seeded, tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[httpx.AsyncClient]]]:
    """``await open_client("complaints")``: a client on the seeded data with that one store not answering."""
    opened: list[tuple[Stores, httpx.AsyncClient]] = []

    async def open_client(store: str) -> httpx.AsyncClient:
        urls = {s: seeded.settings.url_for(s) for s in (*STORES, "audit")}
        urls[store] = broken_url(seeded.backend, tmp_path)
        settings = Settings(data_dir=seeded.settings.data_dir, store_urls=urls, query_stats=True, store_timeout=3)
        stores = Stores(settings)
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, stores=stores)),
                              base_url="http://govgraph.test")  # fmt: skip
        opened.append((stores, c))
        return c

    yield open_client
    for stores, c in opened:
        await c.aclose()
        await stores.dispose()


@pytest.fixture
def backend(seeded: Seeded) -> str:
    return seeded.backend


GQL = Callable[..., Awaitable[dict[str, Any]]]


STAFF_PURPOSE = "automated test of the API"


def token_for(settings: Settings, role: Role = Role.ADMIN, **claims: Any) -> str:
    """A token for ``role``; staff tokens carry a standing purpose unless ``purpose=None`` is given."""
    if role != Role.CITIZEN:
        claims.setdefault("purpose", STAFF_PURPOSE)
    return mint_token(settings, role, **claims)


@pytest.fixture
def app(seeded: Seeded) -> Starlette:
    """The ASGI app on the seeded stores; ``app.state.bus`` is its event bus."""
    return create_app(seeded.settings, stores=seeded.stores)


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://govgraph.test") as c:
        yield c


def make_gql(client: httpx.AsyncClient, token: str | None) -> GQL:
    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        expect_errors: bool = False,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        resp = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        if not expect_errors:
            assert "errors" not in body, body.get("errors")
        return body

    return run


@pytest.fixture
def as_admin(client: httpx.AsyncClient, seeded: Seeded) -> GQL:
    """Run a query with an admin token; fails on GraphQL errors unless ``expect_errors=True``."""
    return make_gql(client, token_for(seeded.settings, Role.ADMIN))


@pytest.fixture
def as_role(client: httpx.AsyncClient, seeded: Seeded) -> Callable[..., GQL]:
    """``as_role(Role.CITIZEN, subject=pid)`` / ``as_role(Role.OFFICER, unit=..., domains=(...))``."""

    def make(role: Role, **claims: Any) -> GQL:
        return make_gql(client, token_for(seeded.settings, role, **claims))

    return make


def statements(body: dict[str, Any], store: str | None = None) -> int:
    """SQL statements the operation ran (in one store, or in all)."""
    stats = body["extensions"]["queryStats"]
    if store is None:
        return int(stats["statements"])
    return int(stats["stores"].get(store, {}).get("statements", 0))


@pytest.fixture
def today() -> dt.date:
    return dt.date.today()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a `govgraph serve`/uvicorn process on the same stores as ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    env.update({f"GOVGRAPH_{s.upper()}_URL": settings.url_for(s) for s in (*STORES, "audit")})
    env.update(
        GOVGRAPH_DATA_DIR=str(settings.data_dir),
        GOVGRAPH_JWT_SECRET=settings.jwt_secret,
        GOVGRAPH_QUERY_STATS="1",
        GOVGRAPH_LOG_LEVEL="warning",
        **extra,
    )
    return env


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """A real uvicorn process serving govgraph; returns once /healthz answers."""
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "govgraph.server:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)  # noqa: S603 - our own interpreter and module
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not answer /healthz within 30 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class LiveServer:
    url: str
    settings: Settings

    def client(self, role: Role = Role.ADMIN, **claims: Any) -> httpx.AsyncClient:
        """An HTTP client to the running server carrying a token for ``role``."""
        token = token_for(self.settings, role, **claims)
        return httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


@pytest.fixture(scope="session")
def live_server(seeded: Seeded) -> Any:
    """A separate govgraph server process on the seeded stores, for tests with real parallel requests."""
    port = free_port()
    proc = start_server(
        server_env(seeded.settings, GOVGRAPH_WS_INIT_TIMEOUT="2", GOVGRAPH_WS_MAX_SUBSCRIPTIONS="3"), port
    )
    yield LiveServer(f"http://127.0.0.1:{port}", seeded.settings)
    stop_server(proc)
