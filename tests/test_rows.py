"""Long lists written straight from rows: the compiled path's row form (``common.batch(..., rows=...)``), and the
hand-written PostgreSQL read behind it (``Store.fetch``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, text

from govgraph.auth.identity import Role
from govgraph.datasources import environment as env_ds
from govgraph.datasources.base import QueryStats, Record, Stores, StoreUnavailable, current_stats, index_many
from govgraph.resolvers import environment as env_resolvers
from govgraph.server import create_app
from tests.conftest import (
    Seeded,
    broken_url,
    drop_settings,
    kill_connections,
    make_settings,
    require_postgres,
    token_for,
)

READINGS = """query R { stations(first: 6) { nodes { code
  readings(last: 7) { measuredAt parameter value unit averaging quality }
  again: readings(last: 3) { __typename when: measuredAt value parameter } } } }"""


@pytest_asyncio.fixture
async def clients(seeded: Seeded) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    settings = dataclasses.replace(seeded.settings, response_cache_ttl=0.0)
    normal = create_app(dataclasses.replace(settings, compiled=False), stores=seeded.stores)
    compiled = create_app(settings, stores=seeded.stores)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=normal), base_url="http://n") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=compiled), base_url="http://c") as b,
    ):
        yield a, b


async def test_readings_are_written_from_their_rows_with_the_normal_paths_answer(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    normal, compiled = clients
    headers = {"Authorization": f"Bearer {token_for(seeded.settings, Role.OPERATOR)}"}
    built: list[Any] = []
    real = env_resolvers.READING_ROW.build

    def counting(row: Any) -> Any:
        built.append(row)
        return real(row)

    monkeypatch.setattr(env_resolvers.READING_ROW, "build", counting)
    expected = (await normal.post("/graphql", json={"query": READINGS}, headers=headers)).json()
    assert "errors" not in expected
    stations = expected["data"]["stations"]["nodes"]
    assert sum(len(s["readings"]) for s in stations) > 6
    assert built, "the normal path builds Reading objects"
    await compiled.post("/graphql", json={"query": READINGS}, headers=headers)  # learned
    built.clear()
    resp = await compiled.post("/graphql", json={"query": READINGS}, headers=headers)
    assert resp.headers["x-govgraph-execution"] == "compiled"
    assert resp.json()["data"] == expected["data"]
    assert built == [], "the compiled path writes readings from their rows, no Reading object per row"
    first = stations[0]["again"][0]
    assert first["__typename"] == "Reading" and first["when"].endswith("+07:00")
    for s in stations:
        times = [(r["measuredAt"], r["parameter"]) for r in s["readings"]]
        assert times == sorted(times, reverse=True), "newest first, then by parameter"


# ---------------------------------------------------------------------------------------------------------
# Store.fetch (PostgreSQL)
# ---------------------------------------------------------------------------------------------------------


async def test_the_written_out_readings_statement_returns_what_the_built_one_does(seeded: Seeded) -> None:
    if seeded.settings.embedded:
        pytest.skip("PostgreSQL only: SQLite runs the built statement")
    store = seeded.stores["environment"]
    codes = [r.code for r in await store.all(select(env_ds.stations.c.code).order_by(env_ds.stations.c.code))][:12]
    codes.append("NO-SUCH-STATION")
    newest = await store.scalar(text("SELECT max(measured_at) FROM readings"))
    cases: list[tuple[str | None, dt.datetime | None, dt.datetime | None, int]] = [
        (None, None, None, 10),
        ("PM2_5", None, None, 5),
        (None, newest - dt.timedelta(hours=30), None, 40),
        (None, newest - dt.timedelta(hours=48), newest - dt.timedelta(hours=24), 100),
        ("RAINFALL_MM", newest - dt.timedelta(days=3), newest, 1),
    ]
    found = []
    for parameter, start, end, last in cases:
        where = env_ds.readings_where(parameter, start, end)
        built = env_ds._latest_per_station_stmt(False, env_ds.readings, "measured_at", codes, where, last, "parameter")
        expected = [tuple(r) for r in await store.all(built)]
        got = await env_ds._latest_readings_pg(store, parameter, start, end, last, codes)
        assert [tuple(r) for r in got] == expected, (parameter, start, end, last)
        assert len(got) <= last * len(codes)
        found.append(len(got))
    assert sum(1 for n in found if n) >= 3, found


async def test_fetch_gives_rows_that_read_like_rows_and_counts_its_statement(seeded: Seeded) -> None:
    if seeded.settings.embedded:
        with pytest.raises(TypeError):
            await seeded.stores["environment"].fetch("SELECT 1")
        return
    store = seeded.stores["environment"]
    stats = QueryStats()
    token = current_stats.set(stats)
    try:
        rows = await store.fetch("SELECT code, name FROM stations WHERE code = ANY($1::text[]) ORDER BY code", ["x"])
        assert rows == []
        rows = await store.fetch("SELECT code, name, 7 AS seven FROM stations ORDER BY code LIMIT 2")
    finally:
        current_stats.reset(token)
    assert stats.stores["environment"].statements == 2
    assert isinstance(rows[0], Record)
    r = rows[0]
    assert r.code == r["code"] == r[0] and r.seven == 7
    assert r._fields == ("code", "name", "seven") and r._mapping["name"] == r.name
    with pytest.raises(AttributeError):
        r.nothing  # noqa: B018
    assert list(index_many(rows, "code")) == [rows[0].code, rows[1].code]


async def test_fetch_survives_its_pooled_connection_being_killed_and_reports_a_store_down(tmp_path: Path) -> None:
    require_postgres()
    settings = await make_settings("postgres", tmp_path, label="fetch")
    stores = Stores(settings)
    store = stores["environment"]
    try:
        assert (await store.fetch("SELECT 41 + 1 AS n"))[0].n == 42
        killed = await kill_connections(settings, "environment")
        assert killed >= 1
        assert (await store.fetch("SELECT 43 + 1 AS n"))[0].n == 44
    finally:
        await stores.dispose()
        await drop_settings(settings)
    down = Stores(dataclasses.replace(settings, store_urls={"environment": broken_url("postgres", tmp_path)}))
    try:
        with pytest.raises(StoreUnavailable):
            await down["environment"].fetch("SELECT 1")
    finally:
        await down.dispose()
