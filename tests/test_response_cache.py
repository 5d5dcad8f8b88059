"""The response cache: repeated answers served again, dropped by the writes that change them, never across callers,
never for audited reads, never when the event bus cannot be trusted."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest_asyncio

from govgraph.auth.identity import Role
from govgraph.config import Settings
from govgraph.events import InProcessBus
from govgraph.seed import PILOT_WARD
from govgraph.server import create_app
from tests.conftest import Seeded, token_for
from tests.test_environment_mutations import INGEST, air_hours, top_of_hour

Ask = Callable[..., Awaitable[httpx.Response]]

STATION = "query($c: String!) { station(code: $c) { code latestAqi { hour value } } }"
PUBLIC = "{ airQualityNow { latestHour stations { station { code } aqi { value } } } }"


class FlakyBus(InProcessBus):
    """An in-process bus whose health can be switched off, as a Redis bus reports a lost connection."""

    down: str | None = None

    def health(self) -> str | None:
        return self.down


@pytest_asyncio.fixture
async def cached_app(seeded: Seeded) -> AsyncIterator[tuple[httpx.AsyncClient, FlakyBus, Settings]]:
    settings = dataclasses.replace(seeded.settings, response_cache_ttl=60.0)
    bus = FlakyBus()
    app = create_app(settings, stores=seeded.stores, bus=bus)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client:
        yield client, bus, settings


async def ask(client: httpx.AsyncClient, token: str | None, query: str, variables: dict[str, Any] | None = None,
              path: str = "/graphql") -> httpx.Response:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = await client.post(path, json={"query": query, "variables": variables or {}}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert "errors" not in resp.json(), resp.json()
    return resp


def how(resp: httpx.Response) -> str:
    return str(resp.headers.get("x-govgraph-execution", "normal"))


async def test_a_repeated_answer_is_served_again_until_a_write_to_its_store(
    cached_app: tuple[httpx.AsyncClient, FlakyBus, Settings], seeded: Seeded
) -> None:
    client, _, settings = cached_app
    operator = token_for(settings, Role.OPERATOR)
    code = "KK001"
    paths = [how(await ask(client, operator, STATION, {"c": code})) for _ in range(3)]
    assert paths == ["normal", "compiled", "cached"]
    before = (await ask(client, operator, STATION, {"c": code})).json()
    # A write to the environment store (the ingest publishes its events after commit): the answer is dropped.
    device = token_for(settings, Role.DEVICE)
    start = top_of_hour(0)
    body = {"query": INGEST, "variables": {"in": {"readings": air_hours(code, start, 1, pm25=300.0)}}}
    resp = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {device}"})
    assert resp.json()["data"]["readingsIngest"]["userErrors"] == []
    after = await ask(client, operator, STATION, {"c": code})
    assert how(after) == "compiled"
    assert after.json() != before
    assert how(await ask(client, operator, STATION, {"c": code})) == "cached"


async def test_answers_are_not_shared_between_callers_nor_variables(
    cached_app: tuple[httpx.AsyncClient, FlakyBus, Settings], seeded: Seeded
) -> None:
    client, _, settings = cached_app
    a, b = [p for p in seeded.ctx.by_unit[PILOT_WARD] if p.phone][:2]
    me = "{ me { personalId phone } }"
    token_a = token_for(settings, Role.CITIZEN, subject=a.pid)
    token_b = token_for(settings, Role.CITIZEN, subject=b.pid)
    for _ in range(3):
        mine = await ask(client, token_a, me)
    assert how(mine) == "cached" and mine.json()["data"]["me"]["personalId"] == a.pid
    theirs = await ask(client, token_b, me)
    assert how(theirs) == "compiled" and theirs.json()["data"]["me"]["personalId"] == b.pid
    operator = token_for(settings, Role.OPERATOR)
    for _ in range(3):
        await ask(client, operator, STATION, {"c": "KK001"})
    other = await ask(client, operator, STATION, {"c": "KK002"})
    assert how(other) == "compiled" and other.json()["data"]["station"]["code"] == "KK002"


async def test_audited_reads_are_never_served_from_the_cache(
    cached_app: tuple[httpx.AsyncClient, FlakyBus, Settings], seeded: Seeded
) -> None:
    client, _, settings = cached_app
    officer = token_for(settings, Role.OFFICER, subject="canbo-cache-01", unit=PILOT_WARD, domains=("population",))
    query = "query($u: String!) { administrativeUnit(code: $u) { residents(first: 3) { nodes { phone } } } }"
    paths = [how(await ask(client, officer, query, {"u": PILOT_WARD})) for _ in range(4)]
    assert paths == ["normal", "compiled", "compiled", "compiled"]
    admin = token_for(settings, Role.ADMIN)
    log = '{ auditLog(first: 100, filter: {reader: "canbo-cache-01"}) { totalCount } }'
    assert (await ask(client, admin, log)).json()["data"]["auditLog"]["totalCount"] == 4 * 3


async def test_public_answers_are_shared_and_an_unhealthy_bus_turns_the_cache_off(
    cached_app: tuple[httpx.AsyncClient, FlakyBus, Settings],
) -> None:
    client, bus, _ = cached_app
    paths = [how(await ask(client, None, PUBLIC, path="/public/graphql")) for _ in range(3)]
    assert paths == ["normal", "compiled", "cached"]
    bus.down = "redis unavailable: ConnectionError; reconnecting"
    assert how(await ask(client, None, PUBLIC, path="/public/graphql")) == "compiled"
    assert how(await ask(client, None, PUBLIC, path="/public/graphql")) == "compiled"
    bus.down = None
    assert how(await ask(client, None, PUBLIC, path="/public/graphql")) == "compiled"  # emptied: nothing kept
    assert how(await ask(client, None, PUBLIC, path="/public/graphql")) == "cached"


async def test_answers_expire(seeded: Seeded) -> None:
    settings = dataclasses.replace(seeded.settings, response_cache_ttl=0.3)
    app = create_app(settings, stores=seeded.stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client:
        paths = [how(await ask(client, None, PUBLIC, path="/public/graphql")) for _ in range(3)]
        assert paths == ["normal", "compiled", "cached"]
        await asyncio.sleep(0.4)
        assert how(await ask(client, None, PUBLIC, path="/public/graphql")) == "compiled"
