"""WebSocket protocol: graphql-transport-ws only, token at connection_init, close codes, ping/pong."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus, NegotiationError

from govgraph.auth.identity import Role
from tests.conftest import token_for

PROTOCOL = "graphql-transport-ws"


def ws_url(live_server: Any) -> str:
    return live_server.url.replace("http://", "ws://") + "/graphql"


async def recv(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await ws.recv())
    return message


async def test_connection_init_with_a_valid_token_is_acknowledged_and_ping_pongs(live_server: Any) -> None:
    token = token_for(live_server.settings, Role.OPERATOR)
    async with websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL]) as ws:
        assert ws.subprotocol == PROTOCOL
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert (await recv(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await recv(ws))["type"] == "pong"
        query = '{ administrativeUnit(code: "00004") { name } }'
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        nxt = await recv(ws)
        assert (nxt["id"], nxt["type"]) == ("1", "next")
        assert nxt["payload"]["data"] == {"administrativeUnit": {"name": "Phường Ba Đình"}}
        assert (await recv(ws))["type"] == "complete"


@pytest.mark.parametrize("auth", [None, "Bearer not-a-token", "Basic abc"])
async def test_refused_token_closes_4403(live_server: Any, auth: str | None) -> None:
    payload = {"authorization": auth} if auth else {}
    async with websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_expired_token_closes_4403(live_server: Any) -> None:
    import datetime as dt

    from govgraph.auth.identity import mint_token

    old = mint_token(live_server.settings, Role.ADMIN, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3), ttl=60)
    async with websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {old}"}}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_subscribe_before_acknowledgement_closes_4401(live_server: Any) -> None:
    async with websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_no_connection_init_in_time_closes_4408(live_server: Any) -> None:
    async with websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL]) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()  # the live server waits 2 s for connection_init
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


async def test_legacy_graphql_ws_protocol_is_refused(live_server: Any) -> None:
    with pytest.raises((InvalidStatus, NegotiationError, ConnectionClosed)):
        async with websockets.connect(ws_url(live_server), subprotocols=["graphql-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()


async def test_connections_per_token_are_limited(live_server: Any) -> None:
    token = token_for(live_server.settings, Role.OPERATOR, subject="op-limit")
    init = json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    opened = []
    try:
        for _ in range(live_server.settings.ws_max_connections_per_token):
            ws = await websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL])
            opened.append(ws)
            await ws.send(init)
            assert (await recv(ws))["type"] == "connection_ack"
        async with websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL]) as extra:
            await extra.send(init)
            with pytest.raises(ConnectionClosed) as closed:
                await extra.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        await opened.pop().close()
        async with websockets.connect(ws_url(live_server), subprotocols=[PROTOCOL]) as again:
            await again.send(init)
            assert (await recv(again))["type"] == "connection_ack"
    finally:
        for ws in opened:
            await ws.close()
