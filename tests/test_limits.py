"""Limits on the authenticated schema, each just under and just over, and production hardening."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from govgraph.auth.identity import Role
from govgraph.config import Settings
from govgraph.schema import limits
from govgraph.schema.limits import MAX_ALIASES, MAX_DEPTH, MAX_ROOT_FIELDS, MAX_TOKENS
from govgraph.server import create_app
from tests.conftest import GQL, Seeded, make_gql, token_for


def nested(depth: int) -> str:
    """A query whose deepest field is at ``depth`` (administrativeUnit → district → district ...)."""
    inner = "name"
    for _ in range(depth - 1):
        inner = f"district {{ {inner} }}"
    return f'{{ administrativeUnit(code: "00082", structure: Y2025_01) {{ {inner} }} }}'


async def code_of(run: GQL, query: str) -> str | None:
    body = await run(query, expect_errors=True)
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def test_depth(as_admin: GQL) -> None:
    assert await code_of(as_admin, nested(MAX_DEPTH)) is None
    assert await code_of(as_admin, nested(MAX_DEPTH + 1)) == "MAX_DEPTH_LIMIT"


async def test_aliases(as_admin: GQL) -> None:
    def aliased(n: int) -> str:
        return '{ u: administrativeUnit(code: "00004") { ' + " ".join(f"a{i}: name" for i in range(n)) + " } }"

    assert await code_of(as_admin, aliased(MAX_ALIASES - 1)) is None  # plus the root alias: exactly the limit
    assert await code_of(as_admin, aliased(MAX_ALIASES)) == "MAX_ALIASES_LIMIT"


async def test_root_fields(as_admin: GQL) -> None:
    def roots(n: int) -> str:
        return "{ " + " ".join(f'r{i}: administrativeUnit(code: "00004") {{ code }}' for i in range(n)) + " }"

    body = await as_admin(roots(MAX_ROOT_FIELDS), expect_errors=True)
    assert "errors" not in body, body["errors"]
    assert await code_of(as_admin, roots(MAX_ROOT_FIELDS + 1)) == "MAX_ROOT_FIELDS_LIMIT"
    via_fragment = (
        "query { ...F } fragment F on Query { "
        + " ".join(f'r{i}: administrativeUnit(code: "00004") {{ code }}' for i in range(MAX_ROOT_FIELDS + 1))
        + " }"
    )
    assert await code_of(as_admin, via_fragment) == "MAX_ROOT_FIELDS_LIMIT"


async def test_tokens(as_admin: GQL, monkeypatch: pytest.MonkeyPatch) -> None:
    # A small limit for the test (graphql-core itself aborts validating thousands of overlapping fields).
    monkeypatch.setattr(limits, "MAX_TOKENS", 60)

    def tokens(n: int) -> str:
        # { administrativeUnit ( code : "00004" ) { name... } } is 10 tokens plus one per "name"
        return '{ administrativeUnit(code: "00004") { ' + " ".join(["name"] * (n - 10)) + " } }"

    assert await code_of(as_admin, tokens(60)) is None
    assert await code_of(as_admin, tokens(61)) == "MAX_TOKENS_LIMIT"
    assert MAX_TOKENS >= 1000  # the real default leaves room for GraphiQL's introspection query


async def test_page_size(as_admin: GQL) -> None:
    assert await code_of(as_admin, "{ citizens(first: 100) { totalCount } }") is None
    assert await code_of(as_admin, "{ citizens(first: 101) { totalCount } }") == "BAD_USER_INPUT"


@pytest_asyncio.fixture
async def production(seeded: Seeded) -> AsyncIterator[GQL]:
    settings = Settings(
        data_dir=seeded.settings.data_dir,
        store_urls={**seeded.settings.store_urls},
        env="production",
        jwt_secret=seeded.settings.jwt_secret,
    )
    app = create_app(settings, stores=seeded.stores)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://prod.test") as c:
        yield make_gql(c, token_for(settings, Role.ADMIN))


async def test_production_refuses_introspection_and_suggestions(production: GQL, as_admin: GQL) -> None:
    assert await code_of(as_admin, "{ __schema { queryType { name } } }") is None
    body = await production("{ __schema { queryType { name } } }", expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in body["errors"][0]["message"].lower()
    dev = await as_admin("{ citizenz { totalCount } }", expect_errors=True)
    assert "Did you mean" in dev["errors"][0]["message"]
    prod = await production("{ citizenz { totalCount } }", expect_errors=True)
    assert "Did you mean" not in prod["errors"][0]["message"]


async def test_production_masks_unexpected_errors(production: GQL, monkeypatch: pytest.MonkeyPatch) -> None:
    from govgraph.resolvers import places

    monkeypatch.setattr(places, "unit", lambda code, structure: 1 / 0)
    body = await production('{ administrativeUnit(code: "00004") { name } }', expect_errors=True)
    err = body["errors"][0]
    assert err["message"] == "Unexpected error." and err["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "ZeroDivision" not in str(body)


async def test_execution_timeout_stops_the_operation(as_admin: GQL, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from govgraph.resolvers import population

    async def slow(info: object, personal_id: str) -> None:
        await asyncio.sleep(5)

    monkeypatch.setattr(limits, "EXECUTION_TIMEOUT", 0.3)
    assert await code_of(as_admin, '{ administrativeUnit(code: "00004") { name } }') is None
    monkeypatch.setattr(population, "citizen", slow)
    body = await as_admin('{ citizen(personalId: "001087123456") { fullName } }', expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "EXECUTION_TIMEOUT"
    assert "0.3 s" in body["errors"][0]["message"]
