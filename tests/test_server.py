"""HTTP surface: authentication on /graphql, health and readiness, the IDE, the schema snapshot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import jwt

from govgraph.auth.identity import Role, mint_token
from govgraph.config import STORES, Settings
from govgraph.schema import DOMAINS, build_schema, sdl
from tests.conftest import Seeded

ROOT = Path(__file__).resolve().parents[1]
QUERY = {"query": '{ administrativeUnit(code: "00004") { name } }'}


async def test_no_token_is_refused_with_a_pointer_to_the_public_schema(client: httpx.AsyncClient) -> None:
    resp = await client.post("/graphql", json=QUERY)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")
    err = resp.json()["errors"][0]
    assert err["extensions"]["code"] == "UNAUTHENTICATED"
    assert "/public/graphql" in err["message"]


async def test_expired_forged_and_wrong_audience_tokens_are_refused(client: httpx.AsyncClient, seeded: Seeded) -> None:
    s = seeded.settings
    expired = mint_token(s, Role.ADMIN, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2), ttl=60)
    forged = mint_token(Settings(jwt_secret="not-the-server-secret-but-long-enough-32b"), Role.ADMIN)
    wrong_aud = mint_token(Settings(jwt_audience="another-api", jwt_secret=s.jwt_secret), Role.ADMIN)
    no_role = jwt.encode({"sub": "x", "aud": s.jwt_audience, "iss": s.jwt_issuer, "exp": 2**33}, s.jwt_secret)
    cases = {
        expired: "expired",
        forged: "signature",
        wrong_aud: "audience",
        no_role: "role",
        "abc": "malformed",
    }
    for token, why in cases.items():
        resp = await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, why
        assert why in resp.json()["errors"][0]["message"]
    basic = await client.post("/graphql", json=QUERY, headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


async def test_valid_token_is_served_and_get_queries_work(client: httpx.AsyncClient, seeded: Seeded) -> None:
    headers = {"Authorization": f"Bearer {mint_token(seeded.settings, Role.OPERATOR)}"}
    post = await client.post("/graphql", json=QUERY, headers=headers)
    assert post.json()["data"] == {"administrativeUnit": {"name": "Phường Ba Đình"}}
    get = await client.get("/graphql", params=QUERY, headers=headers)
    assert get.json()["data"] == {"administrativeUnit": {"name": "Phường Ba Đình"}}


async def test_graphiql_page_in_development(client: httpx.AsyncClient) -> None:
    resp = await client.get("/graphql", headers={"Accept": "text/html"})
    assert resp.status_code == 200
    assert "graphiql" in resp.text.lower()


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["stores"] == dict.fromkeys((*STORES, "audit"), "ok")
    assert ready.json()["eventBus"] == "ok"


def test_every_domain_is_in_the_schema() -> None:
    from govgraph.schema import domain_modules

    assert [m.__name__.rsplit(".", 1)[1] for m in domain_modules()] == list(DOMAINS)


def test_schema_snapshot_is_committed_and_current() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "schema.graphql is stale: run `govgraph schema > schema.graphql` and commit it"


def test_every_type_field_and_argument_has_a_description() -> None:
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

    missing = []
    for name, t in build_schema()._schema.type_map.items():
        if name.startswith("__") or name in {
            "String",
            "Int",
            "Float",
            "Boolean",
            "ID",
            "Date",
            "DateTime",
            "JSON",
        }:
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, f in t.fields.items():
                if not f.description:
                    missing.append(f"{name}.{fname}")
                for aname, a in getattr(f, "args", {}).items():
                    if not a.description:
                        missing.append(f"{name}.{fname}({aname})")
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, ev in t.values.items() if not ev.description]
    assert not missing, missing
