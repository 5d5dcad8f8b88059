"""Staff reads of personal data delivered by a subscription are audited per event, while the stream is open."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.conftest import Seeded
from tests.test_registry_mutations import BIRTH, TODAY, UNKNOWN_MOTHER, birth_input, fresh_name, fresh_unit, open_ws


async def test_each_delivered_event_is_audited_before_the_subscription_ends(live_server: Any, seeded: Seeded) -> None:
    unit = await fresh_unit(seeded)
    ws = await open_ws(live_server, subject="ws-audited-officer", unit=unit, domains=("registry",))
    try:
        await asyncio.sleep(0.3)
        async with live_server.client() as http:
            resp = await http.post(
                "/graphql",
                json={"query": BIRTH, "variables": {"in": birth_input(unit, fresh_name(), TODAY, UNKNOWN_MOTHER)}},
            )
            assert resp.json()["data"]["birthRegister"]["userErrors"] == []
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=3))
            assert message["type"] == "next" and message["payload"]["data"]["civilRegistrationAdded"]["birth"]
            query = '{ auditLog(filter: {reader: "ws-audited-officer"}, first: 5) { nodes { fields purpose } } }'
            for _ in range(20):  # written right after the event's fields were read
                entries = (await http.post("/graphql", json={"query": query})).json()["data"]["auditLog"]["nodes"]
                if entries:
                    break
                await asyncio.sleep(0.1)
            assert entries, "the subscription's read was not audited while the stream was open"
            assert any("BirthRegistration.givenName" in e["fields"] for e in entries)
    finally:
        await ws.close()
