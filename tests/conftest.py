"""Fixtures: the stores on both backends (SQLite always, PostgreSQL when a server answers), seeded once per
session with the demo data; an HTTP client on the ASGI app; tokens named after roles."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph.auth.identity import Role, mint_token
from govgraph.config import STORES, Settings
from govgraph.datasources.base import Stores
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


async def make_settings(backend: str, tmp: Path, prefix: str = "govgraph_test") -> Settings:
    """Settings whose seven stores are fresh SQLite files or PostgreSQL databases named ``<prefix>_<store>``."""
    if backend == "sqlite":
        return Settings(data_dir=tmp, query_stats=True, store_timeout=10)
    require_postgres()
    names = {s: f"{prefix}_{s}" for s in STORES}
    await ensure_pg_databases(list(names.values()))
    return Settings(data_dir=tmp, store_urls={s: pg_url(n) for s, n in names.items()}, query_stats=True)


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
    stores = Stores(settings)
    await stores.drop_all()
    await stores.create_all()
    ctx = await seed_stores(stores, "demo", RANDOM_SEED, quiet=True)
    yield Seeded(backend, settings, stores, ctx)
    await stores.dispose()


@pytest.fixture
def backend(seeded: Seeded) -> str:
    return seeded.backend


GQL = Callable[..., Awaitable[dict[str, Any]]]


def token_for(settings: Settings, role: Role = Role.ADMIN, **claims: Any) -> str:
    return mint_token(settings, role, **claims)


@pytest_asyncio.fixture
async def client(seeded: Seeded) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(seeded.settings, stores=seeded.stores)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://govgraph.test") as c:
        yield c


def make_gql(client: httpx.AsyncClient, token: str | None) -> GQL:
    async def run(query: str, variables: dict[str, Any] | None = None, expect_errors: bool = False) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
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


def statements(body: dict[str, Any], store: str | None = None) -> int:
    """SQL statements the operation ran (in one store, or in all)."""
    stats = body["extensions"]["queryStats"]
    if store is None:
        return int(stats["statements"])
    return int(stats["stores"].get(store, {}).get("statements", 0))


@pytest.fixture
def today() -> dt.date:
    return dt.date.today()
