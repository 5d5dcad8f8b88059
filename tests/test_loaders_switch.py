"""GOVGRAPH_LOADERS=0 switches DataLoader batching off (one statement per key), for bench/perf.py's
"govgraph (no loaders)" configuration: the same answer, more statements."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from govgraph.config import Settings
from govgraph.datasources.base import Stores
from govgraph.seed import PILOT_WARD
from govgraph.server import create_app
from tests.conftest import GQL, Seeded, make_gql, statements, token_for

QUERY = """
query Ward($u: String!) {
  administrativeUnit(code: $u) {
    residents(first: 10) {
      nodes { personalId children { fullName } dossiers { code procedure { name } agency { name } } }
    }
    stations { code latestAqi { value } }
  }
}"""


def test_setting_read_from_environment() -> None:
    assert Settings.from_env({}).loaders is True
    assert Settings.from_env({"GOVGRAPH_LOADERS": "1"}).loaders is True
    assert Settings.from_env({"GOVGRAPH_LOADERS": "0"}).loaders is False


@pytest_asyncio.fixture
async def unbatched(seeded: Seeded) -> AsyncIterator[GQL]:
    """An admin client on the seeded data with GOVGRAPH_LOADERS=0 (its own stores and app)."""
    settings = dataclasses.replace(seeded.settings, loaders=False)
    stores = Stores(settings)
    transport = httpx.ASGITransport(app=create_app(settings, stores=stores))
    async with httpx.AsyncClient(transport=transport, base_url="http://govgraph.test") as client:
        yield make_gql(client, token_for(settings))
    await stores.dispose()


async def test_without_loaders_same_answer_more_statements(as_admin: GQL, unbatched: GQL) -> None:
    batched = await as_admin(QUERY, {"u": PILOT_WARD})
    one_by_one = await unbatched(QUERY, {"u": PILOT_WARD})
    assert one_by_one["data"] == batched["data"]
    residents = batched["data"]["administrativeUnit"]["residents"]["nodes"]
    assert len(residents) == 10
    # with batching, one statement per loader whatever the number of residents; without, one per resident
    assert statements(one_by_one, "population") >= statements(batched, "population") + 9
    assert statements(one_by_one, "services") >= statements(batched, "services") + 9
    assert statements(one_by_one) > statements(batched)
