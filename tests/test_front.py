"""The compiled front (govgraph/schema/front.py): a learned query POSTed as JSON is answered without strawberry's
view, with the view's answer; everything else goes to the view unchanged. And the verified-token cache."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio

from govgraph.auth import identity
from govgraph.auth.identity import AuthError, Role, VerifiedTokens
from govgraph.schema.compiled import Fallback
from govgraph.schema.executor import CompiledExecutor
from govgraph.server import create_app
from tests.conftest import Seeded, statements, token_for

STATIONS = "query S { stations(first: 3) { nodes { code name readings(last: 2) { measuredAt parameter value } } } }"
PUBLIC = "query P { airQualityNow { latestHour stations { station { code } aqi { value } } } }"


@pytest_asyncio.fixture
async def client(seeded: Seeded) -> AsyncIterator[httpx.AsyncClient]:
    # No response cache: every compiled answer is a run of the plan.
    app = create_app(dataclasses.replace(seeded.settings, response_cache_ttl=0.0), stores=seeded.stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://f") as c:
        yield c


def how(resp: httpx.Response) -> str:
    return str(resp.headers.get("x-govgraph-execution", "normal"))


async def post(client: httpx.AsyncClient, token: str | None, body: Any, path: str = "/graphql",
               content_type: str = "application/json") -> httpx.Response:  # fmt: skip
    headers = {"content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    return await client.post(path, content=raw, headers=headers)


async def test_a_learned_query_is_answered_by_the_front_as_the_view_answers_it(
    client: httpx.AsyncClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govgraph.server import GovGraphView

    views: list[str] = []
    real = GovGraphView.execute_single

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        views.append("view")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(GovGraphView, "execute_single", counted)
    token = token_for(seeded.settings, Role.OPERATOR)
    first = await post(client, token, {"query": STATIONS, "operationName": "S"})
    second = await post(client, token, {"query": STATIONS, "variables": None, "operationName": "S"})
    assert views == ["view"], "the learned query is answered by the front, not strawberry's view"
    assert first.status_code == second.status_code == 200
    assert (how(first), how(second)) == ("normal", "compiled")
    assert second.json()["data"] == first.json()["data"]
    assert statements(second.json()) == statements(first.json())
    assert len(second.json()["data"]["stations"]["nodes"]) == 3
    assert second.headers["content-type"] == "application/json"
    assert int(second.headers["content-length"]) == len(second.content)
    public = [await post(client, None, {"query": PUBLIC}, path="/public/graphql") for _ in range(2)]
    assert [how(r) for r in public] == ["normal", "compiled"]
    assert public[1].json()["data"] == public[0].json()["data"]


async def test_the_front_still_needs_a_valid_token(client: httpx.AsyncClient, seeded: Seeded) -> None:
    token = token_for(seeded.settings, Role.OPERATOR)
    await post(client, token, {"query": STATIONS})
    assert how(await post(client, token, {"query": STATIONS})) == "compiled"
    missing = await post(client, None, {"query": STATIONS})
    assert missing.status_code == 401
    forged = jwt.encode({"sub": "x", "role": "admin", "exp": 2_000_000_000}, "not-the-secret" * 4, algorithm="HS256")
    refused = await post(client, forged, {"query": STATIONS})
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"query": STATIONS, "extensions": {"persistedQuery": {"version": 1}}}, "application/json"),
        ({"query": STATIONS, "variables": [1]}, "application/json"),
        ({"query": STATIONS, "operationName": 3}, "application/json"),
        ({"query": STATIONS, "unknown": True}, "application/json"),
        (b'{"query": "query S { stations(first: 3) { nodes { code } }', "application/json"),
        (b"query=x", "application/x-www-form-urlencoded"),
    ],
)
async def test_what_the_front_does_not_take_is_answered_by_the_view(
    client: httpx.AsyncClient, seeded: Seeded, body: Any, content_type: str
) -> None:
    """The same answer (status and body) as a server without compiled plans gives: the view decides."""
    token = token_for(seeded.settings, Role.OPERATOR)
    await post(client, token, {"query": STATIONS})  # learned
    normal_app = create_app(dataclasses.replace(seeded.settings, compiled=False), stores=seeded.stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=normal_app), base_url="http://n") as normal:
        expected = await post(normal, token, body, content_type=content_type)
    got = await post(client, token, body, content_type=content_type)
    assert got.status_code == expected.status_code
    assert _timeless(got) == _timeless(expected)


def _timeless(resp: httpx.Response) -> Any:
    """The body, without the statement timings of its query stats (they differ from run to run)."""
    try:
        body = resp.json()
    except ValueError:
        return resp.content
    if isinstance(body, dict) and "extensions" in body:
        body["extensions"] = {"statements": statements(body)}
    return body


async def test_a_plan_that_cannot_answer_hands_the_request_to_the_view(
    client: httpx.AsyncClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_for(seeded.settings, Role.OPERATOR)
    expected = await post(client, token, {"query": STATIONS})

    async def fails(self: CompiledExecutor, entry: Any, context: Any, variables: Any) -> Any:
        context.audit.reads[("poisoned", None)] = {"x"}  # a used context must not reach the view
        raise Fallback("test")

    monkeypatch.setattr(CompiledExecutor, "run", fails)
    got = await post(client, token, {"query": STATIONS})
    assert how(got) == "normal"
    assert got.status_code == 200
    assert got.json()["data"] == expected.json()["data"]


async def test_the_front_stops_a_run_at_the_execution_timeout(
    client: httpx.AsyncClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    token = token_for(seeded.settings, Role.OPERATOR)
    await post(client, token, {"query": STATIONS})
    front = _front(client)
    monkeypatch.setattr(front, "timeout", 0.05)

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(5)

    monkeypatch.setattr(CompiledExecutor, "run", slow)
    got = await post(client, token, {"query": STATIONS})
    assert got.status_code == 200
    body = got.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "EXECUTION_TIMEOUT"


def _front(client: httpx.AsyncClient) -> Any:
    from govgraph.schema.front import CompiledFront

    app = client._transport.app  # type: ignore[attr-defined]
    for route in app.routes:
        if getattr(route, "path", None) == "/graphql" and hasattr(route, "endpoint"):
            front = getattr(route.endpoint, "app", None)
            if isinstance(front, CompiledFront):
                return front
    raise AssertionError("no compiled front on /graphql")


# ---------------------------------------------------------------------------------------------------------
# Verified tokens
# ---------------------------------------------------------------------------------------------------------


def test_a_cached_token_is_checked_again_once_it_expires(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its expiry (plus the clock skew) a token is never served from the cache: it goes to the full check,
    which refuses it."""
    settings = seeded.settings
    tokens = VerifiedTokens(settings, recheck=3600)
    now = time.time()
    token = jwt.encode(
        {
            "sub": "canbo",
            "role": "officer",
            "exp": int(now) + 60,
            "aud": settings.jwt_audience,
            "iss": settings.jwt_issuer,
        },
        settings.jwt_secret,
        algorithm="HS256",
    )
    checks: list[str] = []
    real = identity._verify

    def checked(t: str, s: Any) -> Any:
        checks.append(t)
        if identity.time.time() > now + 60 + identity.CLOCK_SKEW.total_seconds():
            raise AuthError("The token has expired")  # what PyJWT says with its clock moved as far
        return real(t, s)

    monkeypatch.setattr(identity, "_verify", checked)
    principal = tokens.verify(token)
    assert tokens.verify(token) is principal and len(checks) == 1  # the second from the cache
    monkeypatch.setattr(identity.time, "time", lambda: now + 60 + identity.CLOCK_SKEW.total_seconds() + 1)
    with pytest.raises(AuthError, match="expired"):
        tokens.verify(token)
    assert len(checks) == 2
    assert token not in tokens.entries


def test_tokens_are_checked_again_after_recheck_and_the_cache_is_bounded(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = seeded.settings
    tokens = VerifiedTokens(settings, maxsize=2, recheck=60)
    checks: list[str] = []
    real = identity._verify

    def counting(token: str, s: Any) -> Any:
        checks.append(token)
        return real(token, s)

    monkeypatch.setattr(identity, "_verify", counting)
    a, b, c = (token_for(settings, Role.OPERATOR, subject=f"op-{i}") for i in range(3))
    for t in (a, a, b, b):
        tokens.verify(t)
    assert checks == [a, b]
    tokens.verify(c)  # a is dropped (least recently used)
    assert len(tokens.entries) == 2
    tokens.verify(a)
    assert checks == [a, b, c, a]
    later = identity.time.time() + 61
    monkeypatch.setattr(identity.time, "time", lambda: later)
    tokens.verify(a)
    assert checks[-1] == a and len(checks) == 5


def test_a_token_not_yet_valid_is_never_cached(seeded: Seeded) -> None:
    settings = seeded.settings
    tokens = VerifiedTokens(settings)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    token = jwt.encode(
        {
            "sub": "s",
            "role": "operator",
            "exp": now + 600,
            "nbf": now + 20,
            "aud": settings.jwt_audience,
            "iss": settings.jwt_issuer,
        },
        settings.jwt_secret,
        algorithm="HS256",
    )
    tokens.verify(token)  # within the clock skew: accepted
    assert token not in tokens.entries
