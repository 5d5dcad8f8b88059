"""A pooled PostgreSQL connection that died (the server restarted, or an administrator ended it) costs no answer.

Reads run without a pre-ping (it cost three round trips per statement): a read that finds its connection dead
invalidates the pool and is run once more on a fresh connection.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from govgraph.datasources.base import Stores
from tests.conftest import drop_settings, kill_connections, make_settings, require_postgres


async def test_a_read_survives_its_pooled_connections_being_killed(tmp_path: Path) -> None:
    require_postgres()
    settings = await make_settings("postgres", tmp_path, label="reconnect")
    stores = Stores(settings)
    store = stores["environment"]
    try:
        assert await store.scalar(text("SELECT 41 + 1")) == 42  # a connection is now pooled
        killed = await kill_connections(settings, "environment")
        assert killed >= 1
        assert await store.scalar(text("SELECT 43 + 1")) == 44
    finally:
        await stores.dispose()
        await drop_settings(settings)
