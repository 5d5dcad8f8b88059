"""Live subscriptions across real server processes: two processes sharing Redis, Redis going away and coming
back, a subscriber that stops reading, a token that expires mid-stream, the subscription limit per connection.

Redis tests are marked ``redis``: they skip without a Redis on 127.0.0.1:6379 (GOVGRAPH_TEST_REDIS_PORT) unless
GOVGRAPH_REQUIRE_SERVICES=1, when they fail instead. Each run publishes on a channel of its own, so parallel
runs on one Redis do not see each other's events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from govgraph.auth.identity import Role, mint_token
from govgraph.config import STORES, Settings
from govgraph.datasources import environment as ds
from govgraph.datasources import parking
from govgraph.datasources.base import Stores
from govgraph.simulate import simulate
from tests.conftest import (
    REQUIRE_SERVICES,
    LiveServer,
    Seeded,
    _answers,
    free_port,
    server_env,
    start_server,
    stop_server,
    token_for,
)

REDIS_HOST = "127.0.0.1"
REDIS_PORT = int(os.environ.get("GOVGRAPH_TEST_REDIS_PORT", "6379"))
PROTOCOL = Subprotocol("graphql-transport-ws")
ICT = dt.timezone(dt.timedelta(hours=7))

INGEST = """mutation($in: ReadingsIngestInput!) {
  readingsIngest(input: $in) { batch { inserted } userErrors { field message code } } }"""
READING_SUB = (
    """subscription($c: String) { readingAdded(stationCode: $c) { station { code } inserted lastMeasuredAt } }"""
)
READINGS_SUB = """subscription($c: String) { readingAdded(stationCode: $c) {
  station { code } inserted readings { parameter value quality measuredAt } } }"""
AQI_SUB = """subscription($c: String) { aqiUpdated(stationCode: $c) { station { code } aqi { hour value } } }"""


def require_redis(port: int = REDIS_PORT) -> None:
    if not _answers(REDIS_HOST, port):
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis is not answering on {REDIS_HOST}:{port} and GOVGRAPH_REQUIRE_SERVICES=1")
        pytest.skip(f"no Redis server on {REDIS_HOST}:{port} (set GOVGRAPH_TEST_REDIS_PORT)")


def redis_env(seeded: Seeded, url: str, channel: str, **extra: str) -> dict[str, str]:
    return server_env(seeded.settings, GOVGRAPH_REDIS_URL=url, GOVGRAPH_REDIS_CHANNEL=channel, **extra)


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


async def open_ws(base: str, token: str, **kwargs: Any) -> Any:
    ws = await websockets.connect(ws_url(base), subprotocols=[PROTOCOL], **kwargs)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def subscribe(ws: Any, sid: str, query: str, variables: dict[str, Any] | None = None) -> None:
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": sid, "type": "subscribe", "payload": payload}))


async def recv(ws: Any, within: float) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=within))
    return message


def level(code: str, at: dt.datetime, value: float) -> dict[str, Any]:
    """One water-level reading (instantaneous: any time of day is a valid measurement time)."""
    return {"stationCode": code, "measuredAt": at.astimezone(ICT).isoformat(), "parameter": "LEVEL_M", "value": value}


async def ingest(http: httpx.AsyncClient, items: list[dict[str, Any]]) -> int:
    resp = await http.post("/graphql", json={"query": INGEST, "variables": {"in": {"readings": items}}})
    payload = resp.json()["data"]["readingsIngest"]
    assert payload["userErrors"] == [], payload
    inserted: int = payload["batch"]["inserted"]
    return inserted


def device(base: str, seeded: Seeded, subject: str = "gateway-live") -> httpx.AsyncClient:
    token = token_for(seeded.settings, Role.DEVICE, subject=subject)
    return httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def operator(seeded: Seeded, subject: str, ttl: int = 3600) -> str:
    return token_for(seeded.settings, Role.OPERATOR, subject=subject, ttl=ttl)


@pytest_asyncio.fixture
async def station(seeded: Seeded) -> AsyncIterator[str]:
    """A water-level station of this test only; it and its readings are deleted afterwards."""
    store = seeded.stores["environment"]
    code = f"TWL{uuid.uuid4().hex[:10].upper()}"
    async with store.begin() as conn:
        await conn.execute(
            ds.stations.insert().values(
                code=code, name=f"Test {code}", name_folded=f"test {code.lower()}", kind="WATER_LEVEL",
                latitude=21.0, longitude=105.8, unit_code="00070", unit_structure="Y2025_07", operator="test",
            )
        )  # fmt: skip
    yield code
    async with store.begin() as conn:
        await conn.execute(ds.readings.delete().where(ds.readings.c.station_code == code))
        await conn.execute(ds.alerts.delete().where(ds.alerts.c.station_code == code))
        await conn.execute(ds.stations.delete().where(ds.stations.c.code == code))


def minutes_ago(n: int) -> dt.datetime:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=n)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


async def wait_ready(base: str, status: int, deadline: float) -> dict[str, Any]:
    """Poll /readyz until it answers ``status``; returns its body."""
    body: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        while time.monotonic() < deadline:
            resp = await http.get("/readyz")
            body = resp.json()
            if resp.status_code == status:
                return body
            await asyncio.sleep(0.2)
    raise AssertionError(f"/readyz did not answer {status} in time; last: {body}")


# --- two processes sharing Redis -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_pair(seeded: Seeded) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two server processes on the same stores and the same Redis channel (as two workers would be)."""
    require_redis()
    env = redis_env(seeded, f"redis://{REDIS_HOST}:{REDIS_PORT}/0", f"govgraph:test:{uuid.uuid4().hex}")
    port_a, port_b = free_port(), free_port()
    a = start_server(env, port_a)
    try:
        b = start_server(env, port_b)
    except Exception:
        stop_server(a)
        raise
    try:
        yield (
            LiveServer(f"http://127.0.0.1:{port_a}", seeded.settings),
            LiveServer(f"http://127.0.0.1:{port_b}", seeded.settings),
        )
    finally:
        stop_server(a)
        stop_server(b)


@pytest.mark.redis
async def test_a_mutation_through_one_process_reaches_a_subscriber_of_the_other(
    redis_pair: tuple[LiveServer, LiveServer], seeded: Seeded, station: str
) -> None:
    a, b = redis_pair
    for server in (a, b):
        assert (await wait_ready(server.url, 200, time.monotonic() + 10))["eventBus"] == "ok"
    on_b = await open_ws(b.url, operator(seeded, "live-pair-b"))
    on_a = await open_ws(a.url, operator(seeded, "live-pair-a"))
    try:
        await subscribe(on_b, "r", READING_SUB, {"c": station})
        await subscribe(on_a, "r", READING_SUB, {"c": station})
        await asyncio.sleep(0.3)  # let both servers register the subscriptions
        at = minutes_ago(3)
        async with device(a.url, seeded) as http:
            sent = time.monotonic()
            assert await ingest(http, [level(station, at, 1.25)]) == 1
        for ws in (on_b, on_a):  # the other process, and (once, not twice) the publishing one
            message = await recv(ws, within=max(0.01, sent + 1.0 - time.monotonic()))
            assert message["type"] == "next", message
            added = message["payload"]["data"]["readingAdded"]
            assert added["station"]["code"] == station and added["inserted"] == 1
            assert dt.datetime.fromisoformat(added["lastMeasuredAt"]) == at
        assert time.monotonic() - sent < 1.0
        with pytest.raises(TimeoutError):
            await recv(on_b, within=0.5)  # delivered exactly once
    finally:
        await on_b.close()
        await on_a.close()


# --- Redis goes away and comes back ----------------------------------------------------------------------------


class OwnRedis:
    """A throw-away redis-server on a free port, which a test may shut down and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir

    def start(self) -> None:
        subprocess.run(  # noqa: S603 - a fixed command line
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", REDIS_HOST,
             "--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.workdir)],
            check=True, capture_output=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers(REDIS_HOST, self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(  # noqa: S603 - a fixed command line
            [shutil.which("redis-cli") or "redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True, check=False,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while _answers(REDIS_HOST, self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not stop")
            time.sleep(0.05)


@pytest.mark.redis
async def test_when_redis_drops_readyz_fails_subscribers_get_an_error_and_it_recovers(
    seeded: Seeded, station: str, tmp_path: Path
) -> None:
    require_redis()
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server and redis-cli are needed (GOVGRAPH_REQUIRE_SERVICES=1)")
        pytest.skip("redis-server / redis-cli are not installed")
    redis = OwnRedis(tmp_path)
    redis.start()
    port = free_port()
    proc = None
    try:
        proc = start_server(redis_env(seeded, f"redis://{REDIS_HOST}:{redis.port}/0", "govgraph:test:drop"), port)
        base = f"http://127.0.0.1:{port}"
        assert (await wait_ready(base, 200, time.monotonic() + 10))["eventBus"] == "ok"
        ws = await open_ws(base, operator(seeded, "live-drop"))
        try:
            await subscribe(ws, "r", READING_SUB, {"c": station})
            await asyncio.sleep(0.3)
            redis.stop()
            body = await wait_ready(base, 503, time.monotonic() + 10)
            assert body["status"] == "degraded" and "redis" in body["eventBus"].lower(), body
            assert all(v == "ok" for v in body["stores"].values()), body  # only the bus is failing
            message = await recv(ws, within=5)  # the open stream is told, not left hanging
            assert message["id"] == "r" and message["type"] in ("next", "error"), message
            errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
            assert any("redis" in e["message"].lower() for e in errors), message

            redis.start()
            assert (await wait_ready(base, 200, time.monotonic() + 15))["eventBus"] == "ok"
            # after the reconnection a new subscription gets events again
            await subscribe(ws, "again", READING_SUB, {"c": station})
            await asyncio.sleep(0.3)
            async with device(base, seeded) as http:
                assert await ingest(http, [level(station, minutes_ago(4), 2.5)]) == 1
            while True:
                message = await recv(ws, within=3)
                if message.get("id") == "again":
                    break
                assert message == {"id": "r", "type": "complete"}, message  # the end of the interrupted stream
            assert message["type"] == "next" and message["payload"]["data"]["readingAdded"]["inserted"] == 1
        finally:
            await ws.close()
    finally:
        if proc is not None:
            stop_server(proc)
        redis.stop()


# --- a subscriber that stops reading ---------------------------------------------------------------------------


def small_socket(server: LiveServer) -> socket.socket:
    """A connected TCP socket with a small receive buffer (so a client that stops reading is felt quickly)."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.setblocking(False)
    return sock


@pytest.fixture(scope="module")
def small_queue_server(seeded: Seeded) -> Iterator[tuple[LiveServer, int]]:
    """A server whose subscribers may fall 16 events behind before they are dropped."""
    port = free_port()
    proc = start_server(server_env(seeded.settings, GOVGRAPH_WS_QUEUE="16"), port)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", seeded.settings), proc.pid
    finally:
        stop_server(proc)


async def test_a_subscriber_that_stops_reading_is_dropped_with_4429_and_memory_stays_bounded(
    small_queue_server: tuple[LiveServer, int], seeded: Seeded, station: str
) -> None:
    server, pid = small_queue_server
    # A small receive buffer, a client that buffers at most 4 messages and no compression (which would shrink
    # these repetitive messages twentyfold): once it stops reading, the server's sends block and the
    # subscriptions' queues fill, as with a phone that went into a tunnel.
    slow = await open_ws(
        server.url,
        operator(seeded, "live-slow"),
        max_queue=4,
        max_size=None,
        compression=None,
        sock=small_socket(server),
    )
    good = await open_ws(server.url, operator(seeded, "live-good"), max_size=None)
    received: list[dict[str, Any]] = []
    batches, size, streams = 40, 400, 8
    everything = asyncio.Event()

    async def read_good() -> None:
        while True:
            received.append(json.loads(await good.recv()))
            if len(received) >= batches:
                everything.set()

    reader = asyncio.create_task(read_good())
    try:
        for k in range(streams):  # each event's message carries its 400 readings (~40 kB), once per stream
            await subscribe(slow, f"r{k}", READINGS_SUB, {"c": station})
        await subscribe(good, "r", READING_SUB, {"c": station})
        await asyncio.sleep(0.3)
        before = rss_kib(pid)
        start = minutes_ago(1)
        async with device(server.url, seeded) as http:
            for k in range(batches):
                items = [level(station, start - dt.timedelta(minutes=k * size + i), 1 + i / 1000) for i in range(size)]
                assert await ingest(http, items) == size
        await asyncio.wait_for(everything.wait(), timeout=10)
        # the subscriber that keeps reading got every event
        assert len(received) == batches and all(m["type"] == "next" for m in received), received[-1:]
        assert sum(m["payload"]["data"]["readingAdded"]["inserted"] for m in received) == batches * size
        after = rss_kib(pid)
        # Unbounded, the slow connection would hold 8 streams × 40 events × ~40 kB ≈ 13 MB rendered; the process
        # may grow by its caches and the ingests' work, but not by what the slow client failed to read.
        assert after - before < 64 * 1024, (before, after)

        # resume reading: what was already in flight, then the close frame
        got = 0
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                message = await recv(slow, within=10)
                assert message["type"] == "next", message
                got += 1
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429, (got, closed.value)
        assert "slow consumer" in closed.value.rcvd.reason
        assert got < batches * streams  # it did not get everything: it was dropped
        # the server still serves everyone else
        everything.clear()
        batches += 1
        async with device(server.url, seeded) as http:
            assert await ingest(http, [level(station, start - dt.timedelta(minutes=batches * size), 3.0)]) == 1
        await asyncio.wait_for(everything.wait(), timeout=2)
        assert received[-1]["payload"]["data"]["readingAdded"]["inserted"] == 1
    finally:
        reader.cancel()
        await slow.close()
        await good.close()


# --- token expiry, subscriptions per connection (the session's live server) ------------------------------------


async def test_an_expired_token_ends_its_subscriptions_with_an_error(live_server: LiveServer, seeded: Seeded) -> None:
    ttl = 3
    token = mint_token(seeded.settings, Role.OPERATOR, subject="live-expiry", ttl=ttl)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl)
    ws = await open_ws(live_server.url, token)
    try:
        await subscribe(ws, "aqi", AQI_SUB)
        await subscribe(ws, "readings", READING_SUB)
        ended: dict[str, dict[str, Any]] = {}
        while len(ended) < 2:
            message = await recv(ws, within=ttl + 5)
            if message["type"] == "complete":
                continue
            assert message["type"] in ("next", "error"), message
            errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
            assert any("expired" in e["message"] for e in errors), message
            ended[message["id"]] = message
        assert set(ended) == {"aqi", "readings"}
        assert dt.datetime.now(dt.UTC) >= expires - dt.timedelta(seconds=1)  # not before the token's exp
    finally:
        await ws.close()


async def test_the_subscriptions_one_connection_may_hold_are_limited(live_server: LiveServer, seeded: Seeded) -> None:
    ws = await open_ws(live_server.url, operator(seeded, "live-limit"))
    try:
        for sid in ("1", "2", "3"):  # the live server allows 3 (GOVGRAPH_WS_MAX_SUBSCRIPTIONS)
            await subscribe(ws, sid, AQI_SUB)
        await subscribe(ws, "4", AQI_SUB)
        message = await recv(ws, within=3)
        assert message["type"] == "error" and message["id"] == "4", message
        assert "limit" in message["payload"][0]["message"].lower()
        # the connection stays open; completing one makes room for another
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        await asyncio.sleep(0.2)
        await subscribe(ws, "5", AQI_SUB)
        with pytest.raises(TimeoutError):
            await recv(ws, within=0.5)  # accepted: no error, waiting for events
        await ws.send(json.dumps({"type": "ping"}))
        assert (await recv(ws, within=3))["type"] == "pong"
    finally:
        await ws.close()


# --- govgraph simulate -----------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def copy_server(seeded: Seeded, tmp_path: Path) -> AsyncIterator[tuple[str, Stores]]:
    """A server on a snapshot of the seeded SQLite stores, which a test may change at will."""
    if seeded.backend != "sqlite":
        pytest.skip("the simulator is an HTTP client of the server; its test runs on one backend (a SQLite copy)")
    for store in (*STORES, "audit"):
        source = sqlite3.connect(seeded.settings.url_for(store).split("///", 1)[1])
        target = sqlite3.connect(tmp_path / f"{store}.db")
        with source, target:
            source.backup(target)
        source.close()
        target.close()
    settings = Settings(data_dir=tmp_path)
    port = free_port()
    proc = start_server(server_env(settings), port)
    stores = Stores(settings)
    try:
        yield f"http://127.0.0.1:{port}", stores
    finally:
        stop_server(proc)
        await stores.dispose()


async def test_simulate_drives_the_server_through_its_mutations(
    copy_server: tuple[str, Stores], seeded: Seeded
) -> None:
    url, stores = copy_server
    counts = {
        "readings": select(func.count()).select_from(ds.readings),
        "sessions": select(func.count()).select_from(parking.sessions),
        "ended": select(func.count()).select_from(parking.sessions).where(parking.sessions.c.ended_at.is_not(None)),
    }
    stores_of = {"readings": "environment", "sessions": "parking", "ended": "parking"}

    async def count() -> dict[str, int]:
        return {k: int(await stores[stores_of[k]].scalar(q)) for k, q in counts.items()}

    before = await count()
    on_air = await open_ws(url, operator(seeded, "live-simulate"))
    try:
        await subscribe(on_air, "r", READING_SUB)
        await asyncio.sleep(0.3)
        report = await simulate(seeded.settings, url, speed=4, duration=3, seed=7)
        message = await recv(on_air, within=2)  # what it sends is published like any device's readings
        assert message["type"] == "next" and message["payload"]["data"]["readingAdded"]["inserted"] >= 1
    finally:
        await on_air.close()
    after = await count()
    assert report.readings > 0 and after["readings"] - before["readings"] == report.readings
    assert report.sessions_started > 0 and after["sessions"] - before["sessions"] == report.sessions_started
    assert after["ended"] - before["ended"] == report.sessions_ended
    assert report.dossier_steps > 0
    assert "readings stored" in report.summary()
