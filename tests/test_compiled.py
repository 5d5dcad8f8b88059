"""The compiled execution path gives the normal path's answers: data, errors, statements and audit entries.

Two apps on the same seeded stores: one with GOVGRAPH_COMPILED=0 (strawberry's normal path for every request),
one with compiled plans (the default). Every query below, and a set generated from the schema, is asked by every
role of both; the compiled app's second answer (from the plan: header ``x-govgraph-execution: compiled``) must be
the normal app's answer, byte for byte after JSON decoding, with the same statement count per store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)

from bench import workloads
from govgraph.auth.identity import Role
from govgraph.schema import build_schema
from govgraph.seed import PILOT_WARD
from govgraph.server import create_app
from tests.conftest import Seeded, token_for

# The benchmark's workloads (bench/workloads.py: W1-W5), asked here on the demo data.
W2 = workloads.W2_HEAD % (workloads.W2_PAGE % (0, ""))
W3 = workloads.W3
W5 = workloads.W5
WARD = """query Ward($u: String!) {
  administrativeUnit(code: $u) { code name
    residents(first: 20) { nodes { personalId fullName dateOfBirth
      dossiers { code status procedure { name } } complaints { code status }
      civilRegistrations { type registrationDate } parkingSessions(last: 3) { plate } } }
    stations { code latestAqi { value } } schools { name } }
}"""
ME = """query Me { me { fullName personalId phone
  dossiers { code status } complaints { code status } children { fullName } } }"""
FRAGMENTS = """query Frag { stations(first: 5) { nodes { ...S __typename } } }
fragment S on Station { code name kind latestAqi { ...A } }
fragment A on AqiValue { value category __typename }"""
NODE = """query Node($id: ID!) { node(id: $id) { __typename id ... on Station { code name } } }"""
ERRORS = """query Bad { dossiers(first: 1000) { nodes { code } } }"""


def roles(seeded: Seeded) -> dict[str, str]:
    settings = seeded.settings
    citizen = next(p for p in seeded.ctx.by_unit[PILOT_WARD] if seeded.ctx.children_of.get(p.pid))
    return {
        "admin": token_for(settings, Role.ADMIN),
        "operator": token_for(settings, Role.OPERATOR),
        "officer": token_for(settings, Role.OFFICER, unit=PILOT_WARD, domains=("population", "services", "complaints")),
        "officer-no-purpose": token_for(settings, Role.OFFICER, unit=PILOT_WARD, domains=("services",), purpose=None),
        "citizen": token_for(settings, Role.CITIZEN, subject=citizen.pid),
        "inspector": token_for(settings, Role.INSPECTOR),
        "teacher": token_for(settings, Role.TEACHER),
    }


def _connection_args(field: Any) -> str:
    args = []
    for name, arg in field.args.items():
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is None:
            return "!"  # required argument: not generated
        if name in ("first", "last"):
            args.append(f"{name}: 3")
    return f"({', '.join(args)})" if args else ""


def _selection(type_: GraphQLOutputType, depth: int) -> str | None:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    if is_leaf_type(type_):
        return ""
    if not isinstance(type_, GraphQLObjectType) or depth == 0:
        return None
    parts = []
    for name, field in type_.fields.items():
        if name == "accessLog":  # grows with every audited read, between the two apps' answers
            continue
        args = _connection_args(field)
        if args == "!":
            continue
        sub = _selection(field.type, depth - 1)
        if sub is None:
            continue
        parts.append(f"{name}{args}{(' { ' + sub + ' }') if sub else ''}")
    return " ".join(parts) if parts else None


def generated_queries() -> Iterator[tuple[str, str]]:
    """Every root query field without required arguments, with every leaf two levels deep."""
    schema = build_schema()._schema
    assert schema.query_type is not None
    for name, field in schema.query_type.fields.items():
        args = _connection_args(field)
        if args == "!" or name in ("auditLog",):
            continue
        sub = _selection(field.type, 3)
        if sub is None:
            continue
        yield name, f"query Gen_{name} {{ {name}{args}{(' { ' + sub + ' }') if sub else ''} }}"


@pytest_asyncio.fixture
async def apps(seeded: Seeded) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    settings = dataclasses.replace(seeded.settings, query_stats=True)
    normal = create_app(dataclasses.replace(settings, compiled=False), stores=seeded.stores)
    compiled = create_app(dataclasses.replace(settings, compiled=True), stores=seeded.stores)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=normal), base_url="http://n") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=compiled), base_url="http://c") as b,
    ):
        yield a, b


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    """The answer without the timings (statement counts stay)."""
    out = dict(body)
    stats = (out.get("extensions") or {}).get("queryStats")
    if stats is not None:
        out["extensions"] = {
            "queryStats": {
                "statements": stats["statements"],
                "stores": {k: v["statements"] for k, v in stats["stores"].items()},
            }
        }
    return out


NOW_FIELDS = {"updatedAt"}
"""Fields that are the moment of the request (e.g. parking availability's `updatedAt`): equal within 5 s."""


def _close_in_time(a: Any, b: Any) -> bool:
    try:
        return abs(dt.datetime.fromisoformat(a) - dt.datetime.fromisoformat(b)) < dt.timedelta(seconds=5)
    except (TypeError, ValueError):
        return False


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two answers first differ, for a readable failure."""
    if path.rsplit(".", 1)[-1] in NOW_FIELDS and _close_in_time(a, b):
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b and type(a) is type(b) else f"{path}: {a!r} != {b!r}"


async def ask(client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> httpx.Response:
    resp = await client.post("/graphql", json={"query": query, "variables": variables},
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp


async def compare(apps: tuple[httpx.AsyncClient, httpx.AsyncClient], token: str, query: str,
                  variables: dict[str, Any] | None = None) -> str:  # fmt: skip
    """Ask both apps; returns how the compiled app's second answer was produced."""
    normal, compiled = apps
    variables = variables or {}
    expected = (await ask(normal, token, query, variables)).json()
    assert "x-govgraph-execution" not in (await ask(normal, token, query, variables)).headers
    first = await ask(compiled, token, query, variables)  # the normal path, which learns the query
    second = await ask(compiled, token, query, variables)
    assert first_difference(_comparable(first.json()), _comparable(expected)) is None, query
    assert first_difference(_comparable(second.json()), _comparable(expected)) is None, query
    path = str(second.headers.get("x-govgraph-execution", "normal"))
    if "errors" not in expected:
        assert path == "compiled", f"an error-free query did not run compiled: {query}"
    else:
        assert path == "normal"
    return path


async def test_benchmark_queries_answer_the_same_for_every_role(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], seeded: Seeded
) -> None:
    station_id = (await ask(apps[0], roles(seeded)["admin"], "{ stations(first: 1) { nodes { id } } }", {})).json()
    variables = {
        W2: {"month": workloads.this_month()},
        WARD: {"u": PILOT_WARD},
        NODE: {"id": station_id["data"]["stations"]["nodes"][0]["id"]},
    }
    paths = []
    for role, token in roles(seeded).items():
        for query in (workloads.W1, W2, W3, W5, WARD, ME, FRAGMENTS, NODE, ERRORS):
            path = await compare(apps, token, query, variables.get(query))
            paths.append((role, path))
            if role == "admin":  # the queries themselves are right: the admin gets every answer but the bad page
                assert (path == "normal") == (query is ERRORS), query
    # Not vacuous: most answers came from plans, and the authorization errors (no purpose) did not.
    assert sum(p == "compiled" for _, p in paths) >= len(paths) // 2
    assert ("officer-no-purpose", "normal") in paths


async def test_generated_queries_answer_the_same_for_every_role(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], seeded: Seeded
) -> None:
    queries = list(generated_queries())
    assert len(queries) >= 30  # every domain's root fields
    compiled = 0
    for token in roles(seeded).values():
        for _, query in queries:
            compiled += await compare(apps, token, query) == "compiled"
    assert compiled >= len(queries)


async def test_public_workload_answers_the_same(apps: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    body = {"query": workloads.W4, "variables": {"month": workloads.this_month()}}
    normal, compiled = apps
    expected = (await normal.post("/public/graphql", json=body)).json()
    assert "errors" not in expected
    await compiled.post("/public/graphql", json=body)
    again = await compiled.post("/public/graphql", json=body)
    assert again.headers.get("x-govgraph-execution") == "compiled"
    assert first_difference(_comparable(again.json()), _comparable(expected)) is None


async def test_compiled_reads_are_audited_like_normal_ones(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], seeded: Seeded
) -> None:
    settings = seeded.settings
    officer = token_for(settings, Role.OFFICER, subject="canbo-compiled-01", unit=PILOT_WARD, domains=("population",))
    query = "query Residents($u: String!) { administrativeUnit(code: $u) { residents(first: 3) { nodes { phone } } } }"
    _, app = apps
    log = '{ auditLog(first: 100, filter: {reader: "canbo-compiled-01"}) { totalCount } }'
    admin = token_for(settings, Role.ADMIN)

    async def entries() -> int:
        return int((await ask(app, admin, log, {})).json()["data"]["auditLog"]["totalCount"])

    before = await entries()
    await ask(app, officer, query, {"u": PILOT_WARD})
    after_normal = await entries()
    resp = await ask(app, officer, query, {"u": PILOT_WARD})
    assert resp.headers.get("x-govgraph-execution") == "compiled"
    after_compiled = await entries()
    assert after_normal - before == after_compiled - after_normal == 3


NOT_COMPILED = ["mutation { __typename }", "query($s: Boolean!) { me @include(if: $s) { fullName } }"]


@pytest.mark.parametrize("query", NOT_COMPILED)
async def test_what_is_not_compiled_runs_normally(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], seeded: Seeded, query: str
) -> None:
    _, app = apps
    token = token_for(seeded.settings, Role.ADMIN)
    for _ in range(3):
        resp = await ask(app, token, query, {"s": True})
        assert "errors" not in resp.json()
        assert "x-govgraph-execution" not in resp.headers
