"""The mutation machinery, through citizenUpdateContact: roles, validation, atomicity, idempotency, events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette

from govgraph.auth.identity import Role
from govgraph.events import Event
from govgraph.resolvers import mutation
from tests.conftest import GQL, Seeded

UPDATE = """
mutation($in: CitizenUpdateContactInput!) {
  citizenUpdateContact(input: $in) { citizen { personalId phone } userErrors { field message code } }
}"""


def person(seeded: Seeded, index: int) -> str:
    return seeded.ctx.people[index].pid


async def phone_of(as_admin: GQL, pid: str) -> str | None:
    body = await as_admin("query($p: String!) { citizen(personalId: $p) { phone } }", {"p": pid})
    phone: str | None = body["data"]["citizen"]["phone"]
    return phone


async def test_citizen_changes_own_phone_and_event_follows_commit(
    as_role: Callable[..., GQL], as_admin: GQL, seeded: Seeded, app: Starlette
) -> None:
    pid = person(seeded, -1)
    sub = app.state.bus.subscribe(["population."])
    me = as_role(Role.CITIZEN, subject=pid)
    body = await me(UPDATE, {"in": {"personalId": pid, "phone": "+84 912 345 678"}})
    payload = body["data"]["citizenUpdateContact"]
    assert payload == {"citizen": {"personalId": pid, "phone": "0912345678"}, "userErrors": []}
    assert await phone_of(as_admin, pid) == "0912345678"
    event: Event = sub.queue.get_nowait()  # type: ignore[assignment]
    assert event.topic == "population.citizen.updated" and event.payload["personal_id"] == pid
    sub.close()


async def test_bad_phone_is_a_user_error_and_changes_nothing(as_admin: GQL, seeded: Seeded) -> None:
    pid = person(seeded, -2)
    before = await phone_of(as_admin, pid)
    body = await as_admin(UPDATE, {"in": {"personalId": pid, "phone": "0112345678"}})
    payload = body["data"]["citizenUpdateContact"]
    assert payload["citizen"] is None
    assert payload["userErrors"][0]["field"] == ["input", "phone"]
    assert payload["userErrors"][0]["code"] == "INVALID"
    assert await phone_of(as_admin, pid) == before


async def test_unknown_citizen_is_not_found(as_admin: GQL) -> None:
    body = await as_admin(UPDATE, {"in": {"personalId": "001099999999", "phone": "0912345678"}})
    assert body["data"]["citizenUpdateContact"]["userErrors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.CITIZEN, {"subject": "001087123456"}),  # someone else
        (Role.OFFICER, {"domains": ("services",)}),  # not a population officer
        (Role.DEVICE, {}),
        (Role.OPERATOR, {}),
    ],
)
async def test_who_may_not_change_it(
    as_role: Callable[..., GQL], seeded: Seeded, role: Role, claims: dict[str, Any]
) -> None:
    body = await as_role(role, **claims)(
        UPDATE, {"in": {"personalId": person(seeded, -3), "phone": "0912345678"}}, expect_errors=True
    )
    assert body["data"] is None or body["data"]["citizenUpdateContact"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_failure_in_the_middle_leaves_nothing_behind(
    as_admin: GQL, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = person(seeded, -4)
    before = await phone_of(as_admin, pid)

    def explode(self: mutation.Tx, topic: str, **payload: Any) -> None:
        raise RuntimeError("crash after the UPDATE, before commit")

    monkeypatch.setattr(mutation.Tx, "emit", explode)
    body = await as_admin(UPDATE, {"in": {"personalId": pid, "phone": "0987654321"}}, expect_errors=True)
    assert body["errors"]
    monkeypatch.undo()
    assert await phone_of(as_admin, pid) == before


async def test_retry_with_the_same_key_returns_the_first_result_and_changes_nothing(
    as_admin: GQL, seeded: Seeded, app: Starlette
) -> None:
    pid = person(seeded, -5)
    sub = app.state.bus.subscribe(["population."])
    first = await as_admin(
        UPDATE, {"in": {"personalId": pid, "phone": "0981111111"}}, headers={"Idempotency-Key": "k1"}
    )
    again = await as_admin(
        UPDATE, {"in": {"personalId": pid, "phone": "0981111111"}}, headers={"Idempotency-Key": "k1"}
    )
    assert first["data"] == again["data"]
    assert sub.queue.qsize() == 1  # one change, one event
    other = await as_admin(
        UPDATE, {"in": {"personalId": pid, "phone": "0982222222"}}, headers={"Idempotency-Key": "k1"}
    )
    assert other["data"]["citizenUpdateContact"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await phone_of(as_admin, pid) == "0981111111"
    sub.close()


async def test_concurrent_retries_apply_once(as_admin: GQL, seeded: Seeded, app: Starlette) -> None:
    pid = person(seeded, -6)
    sub = app.state.bus.subscribe(["population."])
    variables = {"in": {"personalId": pid, "phone": "0983333333", "idempotencyKey": "same-key"}}
    results = await asyncio.gather(*(as_admin(UPDATE, variables) for _ in range(10)))
    assert all(r["data"] == results[0]["data"] for r in results)
    assert results[0]["data"]["citizenUpdateContact"]["userErrors"] == []
    assert sub.queue.qsize() == 1
    sub.close()


async def test_oversized_idempotency_key_is_refused(as_admin: GQL, seeded: Seeded) -> None:
    body = await as_admin(
        UPDATE, {"in": {"personalId": person(seeded, -7), "phone": "0912345678", "idempotencyKey": "x" * 201}}
    )
    assert body["data"]["citizenUpdateContact"]["userErrors"][0]["field"] == ["idempotencyKey"]


async def test_parallel_requests_against_a_running_server(live_server: Any, seeded: Seeded) -> None:
    """Real HTTP requests in parallel to a separate server process: one key, one change."""
    pid = person(seeded, -8)
    async with live_server.client() as http:
        variables = {"in": {"personalId": pid, "phone": "0984444444", "idempotencyKey": "live-key"}}
        responses = await asyncio.gather(
            *(http.post("/graphql", json={"query": UPDATE, "variables": variables}) for _ in range(20))
        )
        bodies = [r.json() for r in responses]
        assert {r.status_code for r in responses} == {200}
        assert all(b["data"] == bodies[0]["data"] for b in bodies)
        assert bodies[0]["data"]["citizenUpdateContact"]["citizen"]["phone"] == "0984444444"
