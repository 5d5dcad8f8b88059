"""The public schema at /public/graphql: anonymous, read-only, public types only, small counts suppressed, stricter
limits and a per-client rate limit."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    Lexer,
    Source,
    TokenKind,
)
from sqlalchemy import func, select
from typer.testing import CliRunner

from govgraph.cli import app as cli_app
from govgraph.config import Settings
from govgraph.datasources import complaints as complaints_ds
from govgraph.datasources import services as services_ds
from govgraph.observability import metrics
from govgraph.public import Limits, build_public_schema, public_sdl
from govgraph.public.counts import Average, Share, part_hidden, secondary, too_small
from govgraph.public.http import TokenBuckets, client_key
from govgraph.server import create_app
from tests.conftest import Seeded

ROOT = Path(__file__).resolve().parents[1]
HANOI = dt.timezone(dt.timedelta(hours=7))
URL = "/public/graphql"

PublicGQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest_asyncio.fixture
async def public_client(seeded: Seeded) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """``public_client(**settings_overrides)``: a client on the seeded stores with those public settings."""
    opened: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> httpx.AsyncClient:
        settings = dataclasses.replace(seeded.settings, **overrides)
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, stores=seeded.stores)),
                              base_url="http://govgraph.test")  # fmt: skip
        opened.append(c)
        return c

    yield make
    for c in opened:
        await c.aclose()


@pytest.fixture
def public(client: httpx.AsyncClient) -> PublicGQL:
    """Run an anonymous query on /public/graphql; fails on GraphQL errors unless ``expect_errors=True``."""

    async def run(query: str, variables: dict[str, Any] | None = None, expect_errors: bool = False) -> dict[str, Any]:
        resp = await client.post(URL, json={"query": query, "variables": variables or {}})
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        if not expect_errors:
            assert "errors" not in body, body.get("errors")
        return body

    return run


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


# ---------------------------------------------------------------------------------------------------------
# The schema: snapshot, no writes, no personal data
# ---------------------------------------------------------------------------------------------------------


def test_public_snapshot_is_committed_and_current() -> None:
    committed = (ROOT / "public.graphql").read_text(encoding="utf-8")
    assert committed == public_sdl(), "public.graphql is stale: run `govgraph schema --public > public.graphql`"


def test_cli_prints_the_public_sdl() -> None:
    result = CliRunner().invoke(cli_app, ["schema", "--public"])
    assert result.exit_code == 0, result.output
    assert result.output == public_sdl()


def test_public_schema_has_no_mutation_and_no_subscription() -> None:
    schema = build_public_schema()._schema
    assert schema.mutation_type is None
    assert schema.subscription_type is None
    sdl = public_sdl()
    assert "type Mutation" not in sdl
    assert "type Subscription" not in sdl


PERSONAL_FIELD_WORDS = (
    "personalid",
    "pid",
    "fullname",
    "firstname",
    "lastname",
    "phone",
    "address",
    "email",
    "applicant",
    "complainant",
    "denouncer",
    "payer",
    "guardian",
    "parent",
    "citizen",
    "resident",
    "birth",
    "plate",
    "inspector",
    "teacher",
    "actor",
    "sex",
    "gender",
    "identity",
    "subject",
)
"""No field, argument or input field of the public schema contains any of these (case-insensitive)."""

PERSONAL_TYPES = (
    "Citizen",
    "Parent",
    "IdentityDocument",
    "Dossier",
    "DossierPause",
    "Appointment",
    "PaidLookup",
    "Case",
    "CaseEvent",
    "Complainant",
    "Student",
    "StudentRecord",
    "Guardian",
    "GradeEntry",
    "EnrolmentApplication",
    "ParkingSession",
    "ParkingSpot",
    "BirthRegistration",
    "MarriageRegistration",
    "DeathRegistration",
    "Sex",
)

SHARED_TYPE_NAMES = {
    # Names the public schema shares with the full one: public data described the same way (separate classes).
    "AdministrativeUnit",
    "AdministrativeUnitConnection",
    "AdministrativeUnitEdge",
    "UnitStructure",
    "UnitKind",
    "Procedure",
    "ProcedureConnection",
    "ProcedureEdge",
    "ProcedureField",
    "ProcedureFilter",
    "Fee",
    "FeeType",
    "FeeBasis",
    "Channel",
    "OnlineLevel",
    "CompetentLevel",
    "TimeUnit",
    "Station",
    "StationConnection",
    "StationEdge",
    "StationFilter",
    "StationKind",
    "StationAqi",
    "CityAirQuality",
    "Reading",
    "Parameter",
    "QualityFlag",
    "AveragingPeriod",
    "AqiValue",
    "AqiSubIndex",
    "AqiCategory",
    "Colour",
    "WqiValue",
    "WqiGroupIndex",
    "WqiGroup",
    "WqiCategory",
    "RainfallTotal",
    "FloodDepth",
    "DrainageBasin",
    "Tariff",
    "ParkingFacility",
    "ParkingFacilityConnection",
    "ParkingFacilityEdge",
    "ParkingFacilityFilter",
    "ParkingFacilityKind",
    "ParkingVehicleClass",
    "ParkingStreetSide",
    "KindAvailability",
    "CaseKind",
    "CaseStatus",
    "DossierStatistics",
    "CaseStatistics",
    "School",
    "SchoolConnection",
    "SchoolEdge",
    "SchoolLevel",
    "LearningRating",
    "PageInfo",
    "String",
    "Int",
    "Float",
    "Boolean",
    "ID",
    "Date",
    "DateTime",
    "Query",
}


SCALARS = {"String", "Int", "Float", "Boolean", "ID", "Date", "DateTime"}


def _names(schema: Any) -> list[str]:
    out = []
    for name, t in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, f in t.fields.items():
                out.append(f"{name}.{fname}")
                out += [f"{name}.{fname}({a})" for a in getattr(f, "args", {})]
    return out


def test_public_sdl_has_no_personal_data_field() -> None:
    names = _names(build_public_schema()._schema)
    assert len(names) > 150  # the scan sees the whole schema
    leaks = [n for n in names if any(w in n.rsplit(".", 1)[1].lower() for w in PERSONAL_FIELD_WORDS)]
    assert not leaks, leaks
    type_names = set(build_public_schema()._schema.type_map)
    assert not type_names & set(PERSONAL_TYPES)


def test_public_types_are_its_own_and_share_no_personal_type_with_the_full_schema() -> None:
    from govgraph.schema import build_schema

    public_types = {n for n in build_public_schema()._schema.type_map if not n.startswith("__")}
    full_types = {n for n in build_schema()._schema.type_map if not n.startswith("__")}
    assert {"Citizen", "Dossier", "Complainant", "ParkingSession"} <= full_types  # the full schema has them
    shared = public_types & full_types
    assert shared <= SHARED_TYPE_NAMES, sorted(shared - SHARED_TYPE_NAMES)
    for name in public_types:
        definition = build_public_schema().get_type_by_name(name)
        origin = getattr(definition, "origin", None)
        if name in SCALARS or name == "PageInfo" or name.endswith(("Connection", "Edge")):
            continue  # strawberry's own, or a specialisation of govgraph.public.common's generic pages
        assert origin.__module__.startswith("govgraph.public"), (name, origin.__module__)


def test_every_public_type_field_argument_and_enum_value_has_a_description() -> None:
    missing = []
    for name, t in build_public_schema()._schema.type_map.items():
        if name.startswith("__") or name in SCALARS:
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, f in t.fields.items():
                if not f.description:
                    missing.append(f"{name}.{fname}")
                missing += [f"{name}.{fname}({a})" for a, arg in getattr(f, "args", {}).items() if not arg.description]
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, ev in t.values.items() if not ev.description]
    assert not missing, missing


# ---------------------------------------------------------------------------------------------------------
# Anonymous and read-only over HTTP
# ---------------------------------------------------------------------------------------------------------


async def test_anonymous_post_and_get_work_without_a_token(client: httpx.AsyncClient) -> None:
    query = '{ administrativeUnit(code: "00004") { name } }'
    post = await client.post(URL, json={"query": query})
    assert post.status_code == 200
    assert post.json() == {"data": {"administrativeUnit": {"name": "Phường Ba Đình"}}}
    get = await client.get(URL, params={"query": query})
    assert get.json() == post.json()
    full = await client.post("/graphql", json={"query": query})
    assert full.status_code == 401  # the same query needs a token on the full schema


async def test_mutations_and_subscriptions_are_refused(client: httpx.AsyncClient) -> None:
    for doc in ("mutation { citizenUpdateContact(input: {}) { userErrors { message } } }", "subscription { x }"):
        resp = await client.post(URL, json={"query": doc})
        body = resp.json()
        assert body.get("data") is None
        assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "not supported" in body["errors"][0]["message"]
    get = await client.get(URL, params={"query": "mutation { x }"})
    assert get.status_code in (400, 405)


async def test_graphiql_and_introspection_are_open_in_production(
    public_client: Callable[..., httpx.AsyncClient],
) -> None:
    c = public_client(env="production")
    page = await c.get(URL, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    introspection = await c.post(URL, json={"query": "{ __schema { queryType { name } mutationType { name } } }"})
    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}, "mutationType": None}}}
    full_page = await c.get("/graphql", headers={"Accept": "text/html"})
    assert full_page.status_code == 401  # the full schema's IDE stays closed in production


# ---------------------------------------------------------------------------------------------------------
# Statistics and small-count suppression on the seeded data
# ---------------------------------------------------------------------------------------------------------


def _month(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(HANOI).strftime("%Y-%m")


async def _dossier_cells(seeded: Seeded) -> Counter[tuple[str, str, str]]:
    """Dossiers per (ward, procedure, month) by a direct SQL read of the services store."""
    d, a = services_ds.dossiers.c, services_ds.agencies.c
    stmt = (
        select(a.unit_code, d.procedure_code, d.received_at)
        .select_from(services_ds.dossiers.join(services_ds.agencies, services_ds.agencies.c.code == d.agency_code))
        .where(a.unit_code.is_not(None))
    )
    rows = await seeded.stores["services"].all(stmt)
    return Counter((r.unit_code, r.procedure_code, _month(r.received_at)) for r in rows)


CELL = """query Cell($f: DossierStatisticsFilter) {
  dossierStatistics(filter: $f) { total { received { value suppressed } online { value suppressed }
    onlineShare { value suppressed } } }
}"""


async def test_a_cell_of_one_to_four_dossiers_is_suppressed_and_one_of_five_or_more_is_exact(
    public: PublicGQL, seeded: Seeded
) -> None:
    cells = await _dossier_cells(seeded)
    small = sorted(k for k, n in cells.items() if too_small(n))
    large = sorted((k for k, n in cells.items() if n >= 10), key=lambda k: (cells[k], k))
    assert small and large, "the demo seed has cells of both sizes"
    for (unit, procedure, month), hidden in ((small[0], True), (large[0], False)):
        f = {"unitCodes": [unit], "procedureCode": procedure, "monthFrom": month, "monthTo": month}
        total = (await public(CELL, {"f": f}))["data"]["dossierStatistics"]["total"]
        n = cells[(unit, procedure, month)]
        if hidden:
            assert 1 <= n <= 4
            assert total["received"] == {"value": None, "suppressed": True}
            assert total["online"] == {"value": None, "suppressed": True}
            assert total["onlineShare"] == {"value": None, "suppressed": True}
        else:
            assert total["received"] == {"value": n, "suppressed": False}


async def test_grouped_dossier_statistics_hide_every_small_cell_and_never_just_one(
    public: PublicGQL, seeded: Seeded
) -> None:
    cells = await _dossier_cells(seeded)
    month = Counter(k[2] for k in cells).most_common(1)[0][0]
    per_unit: Counter[str] = Counter()
    for (unit, _procedure, m), n in cells.items():
        if m == month:
            per_unit[unit] += n
    query = """query G($f: DossierStatisticsFilter, $after: String) { dossierStatistics(groupBy: [UNIT], filter: $f) {
      groups(first: 50, after: $after) { pageInfo { hasNextPage endCursor }
        nodes { unit { code } received { value suppressed } overdue { suppressed } } } } }"""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = await public(query, {"f": {"monthFrom": month, "monthTo": month}, "after": after})
        groups = body["data"]["dossierStatistics"]["groups"]
        nodes += groups["nodes"]
        if not groups["pageInfo"]["hasNextPage"]:
            break
        after = groups["pageInfo"]["endCursor"]
    seen = 0
    for node in nodes:
        if node["unit"] is None:
            continue
        n = per_unit[node["unit"]["code"]]
        seen += 1
        if too_small(n):
            assert node["received"] == {"value": None, "suppressed": True}
        elif not node["received"]["suppressed"]:
            assert node["received"]["value"] == n
    assert seen == sum(1 for n in per_unit.values() if n)
    assert any(too_small(n) for n in per_unit.values()), "the month has a ward with 1-4 dossiers"
    assert sum(node["received"]["suppressed"] for node in nodes) != 1
    assert sum(node["overdue"]["suppressed"] for node in nodes) != 1


async def test_the_online_share_equals_a_direct_count(public: PublicGQL, seeded: Seeded) -> None:
    d = services_ds.dossiers.c
    store = seeded.stores["services"]
    received = await store.scalar(select(func.count()).select_from(services_ds.dossiers))
    online = await store.scalar(select(func.count()).where(d.channel == "ONLINE"))
    body = await public("{ dossierStatistics { total { received { value } online { value } onlineShare { value } } } }")
    total = body["data"]["dossierStatistics"]["total"]
    assert total["received"]["value"] == received > 1000
    assert total["online"]["value"] == online
    assert total["onlineShare"]["value"] == round(online / received, 4)


async def test_a_unit_with_one_to_four_complaints_is_suppressed(public: PublicGQL, seeded: Seeded) -> None:
    c = complaints_ds.cases.c
    stmt = select(c.unit_structure, c.unit_code, c.kind, func.count().label("n"))
    rows = await seeded.stores["complaints"].all(stmt.group_by(c.unit_structure, c.unit_code, c.kind))
    small = sorted((r.unit_structure, r.unit_code, r.kind, r.n) for r in rows if too_small(r.n))
    large = sorted(((r.unit_structure, r.unit_code, r.kind, r.n) for r in rows if r.n >= 5), key=lambda r: r[3])
    assert small and large, "the demo seed has units with few and with many cases"
    query = """query C($f: CaseStatisticsFilter) { caseStatistics(filter: $f) { total { cases { value suppressed }
      overdue { value suppressed } } } }"""
    for structure, unit, kind, n in (small[0], large[0]):
        f = {"unitCodes": [unit], "unitStructure": structure, "kind": kind}
        total = (await public(query, {"f": f}))["data"]["caseStatistics"]["total"]
        if too_small(n):
            assert total["cases"] == {"value": None, "suppressed": True}
            assert total["overdue"] == {"value": None, "suppressed": True}
        else:
            assert total["cases"] == {"value": n, "suppressed": False}


async def test_case_statistics_by_kind_and_status_add_up(public: PublicGQL, seeded: Seeded) -> None:
    c = complaints_ds.cases.c
    rows = await seeded.stores["complaints"].all(
        select(c.kind, c.status, func.count().label("n")).group_by(c.kind, c.status)
    )
    direct = {(r.kind, r.status): int(r.n) for r in rows}
    body = await public("""{ caseStatistics(groupBy: [KIND, STATUS]) { total { cases { value } }
      groups(first: 50) { totalCount nodes { kind status cases { value suppressed } } } } }""")
    stats = body["data"]["caseStatistics"]
    assert stats["total"]["cases"]["value"] == sum(direct.values())
    assert stats["groups"]["totalCount"] == len(direct)
    for node in stats["groups"]["nodes"]:
        n = direct[(node["kind"], node["status"])]
        assert node["cases"]["suppressed"] or node["cases"]["value"] == n
        if too_small(n):
            assert node["cases"]["suppressed"]
    assert sum(node["cases"]["suppressed"] for node in stats["groups"]["nodes"]) != 1


def test_suppression_rules() -> None:
    assert [too_small(n) for n in (0, 1, 4, 5)] == [False, True, True, False]
    assert part_hidden(3, 100, False)  # small itself
    assert part_hidden(97, 100, False)  # the rest of the cell is 3
    assert part_hidden(50, 100, True)  # its cell is hidden
    assert not part_hidden(100, 100, False) and not part_hidden(0, 100, False) and not part_hidden(50, 100, False)
    assert secondary([3, 10, 7, 0], [True, False, False, False]) == [True, False, True, False]
    assert secondary([3, 2, 10], [True, True, False]) == [True, True, False]
    assert secondary([3], [True]) == [True]
    assert Share.of(1, 2, True).value is None and Share.of(1, 2, False).value == 0.5
    assert Share.of(0, 0, False).value is None
    assert Average.of(30.0, 4).suppressed and Average.of(30.0, 5).value == 6.0


# ---------------------------------------------------------------------------------------------------------
# The other public data
# ---------------------------------------------------------------------------------------------------------


async def test_catalogue_parking_and_environment(public: PublicGQL) -> None:
    body = await public("""{
      procedures(first: 3) { totalCount nodes { code legalDays timeUnit fees { channel amount per } } }
      procedure(code: "CA-01") { name onlineLevel }
      parkingAvailability { kind facilities capacity occupied free }
      parkingFacilities(first: 2, filter: { hasFreeSpace: true }) {
        nodes { code capacity availability { free } tariff { code } }
      }
      airQualityNow { stations { station { code } aqi { value category } } worst { aqi { value } } }
      floodPoints { code floodDepth { depthCm flooded } }
      stations(first: 50) { nodes { code kind wqi { valid } rainfall { totalMm } latestAqi { value } } }
    }""")
    data = body["data"]
    assert data["procedures"]["totalCount"] >= 90
    assert data["procedure"]["name"] == "Đăng ký thường trú"
    assert all(k["free"] == k["capacity"] - k["occupied"] or k["free"] >= 0 for k in data["parkingAvailability"])
    assert all(f["availability"]["free"] > 0 for f in data["parkingFacilities"]["nodes"])
    assert data["airQualityNow"]["worst"]["aqi"]["value"] == max(
        s["aqi"]["value"] for s in data["airQualityNow"]["stations"] if s["aqi"]
    )
    assert data["floodPoints"]
    kinds = {s["kind"] for s in data["stations"]["nodes"]}
    assert "AIR" in kinds


# ---------------------------------------------------------------------------------------------------------
# Limits: each just under and just over
# ---------------------------------------------------------------------------------------------------------


def _nested(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"district {{ {inner} }}"
    return f'{{ administrativeUnit(code: "001", structure: Y2025_01) {{ {inner} }} }}'


def _tokens(query: str) -> int:
    lexer, n = Lexer(Source(query)), 0
    while lexer.advance().kind != TokenKind.EOF:
        n += 1
    return n


async def test_depth_limit(public_client: Callable[..., httpx.AsyncClient]) -> None:
    c = public_client(public_max_depth=5)
    ok = (await c.post(URL, json={"query": _nested(4)})).json()
    assert "errors" not in ok and ok["data"]["administrativeUnit"]["district"] is None
    over = (await c.post(URL, json={"query": _nested(5)})).json()
    assert codes(over) == ["MAX_DEPTH_LIMIT"]


async def test_alias_limit(public_client: Callable[..., httpx.AsyncClient]) -> None:
    c = public_client(public_max_aliases=3)

    def doc(n: int) -> str:
        return "{ " + " ".join(f'u{i}: administrativeUnit(code: "00004") {{ name }}' for i in range(n)) + " }"

    assert "errors" not in (await c.post(URL, json={"query": doc(3)})).json()
    assert codes((await c.post(URL, json={"query": doc(4)})).json()) == ["MAX_ALIASES_LIMIT"]
    via_fragment = "{ ...F } fragment F on Query { " + doc(4)[2:-2] + " }"
    assert codes((await c.post(URL, json={"query": via_fragment})).json()) == ["MAX_ALIASES_LIMIT"]


async def test_token_limit(public_client: Callable[..., httpx.AsyncClient]) -> None:
    query = '{ administrativeUnit(code: "00004") { name code kind structure } }'
    n = _tokens(query)
    assert "errors" not in (await public_client(public_max_tokens=n).post(URL, json={"query": query})).json()
    over = (await public_client(public_max_tokens=n - 1).post(URL, json={"query": query})).json()
    assert codes(over) == ["MAX_TOKENS_LIMIT"]


async def test_page_size_limit(public: PublicGQL, public_client: Callable[..., httpx.AsyncClient]) -> None:
    ok = await public("{ administrativeUnits(first: 50) { nodes { code } } }")
    assert len(ok["data"]["administrativeUnits"]["nodes"]) == 50
    for field in ("administrativeUnits", "procedures", "stations", "parkingFacilities"):
        over = await public(f"{{ {field}(first: 51) {{ totalCount }} }}", expect_errors=True)
        assert codes(over) == ["BAD_USER_INPUT"], field
    stats = await public(
        "{ dossierStatistics(groupBy: [UNIT]) { groups(first: 51) { totalCount } } }", expect_errors=True
    )
    assert codes(stats) == ["BAD_USER_INPUT"]
    small = public_client(public_max_page=10)
    refused = (await small.post(URL, json={"query": "{ procedures(first: 11) { totalCount } }"})).json()
    assert codes(refused) == ["BAD_USER_INPUT"]


async def test_bad_input_is_reported_as_such(public: PublicGQL) -> None:
    body = await public('{ dossierStatistics(filter: { monthFrom: "2024-13x" }) { total { received { value } } } }',
                        expect_errors=True)  # fmt: skip
    assert codes(body) == ["BAD_USER_INPUT"]


# ---------------------------------------------------------------------------------------------------------
# Rate limit
# ---------------------------------------------------------------------------------------------------------

PING = {"query": '{ administrativeUnit(code: "00004") { code } }'}


async def test_rate_limit_answers_429_with_retry_after_and_recovers(
    public_client: Callable[..., httpx.AsyncClient],
) -> None:
    c = public_client(public_rate_limit=3, public_rate_window=1.0)
    assert [(await c.post(URL, json=PING)).status_code for _ in range(3)] == [200, 200, 200]
    refused = await c.post(URL, json=PING)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert codes(refused.json()) == ["RATE_LIMITED"]
    assert (await c.get(URL, params=PING)).status_code == 429  # GET counts too
    assert (await c.post("/healthz")).status_code != 429  # only the public schema is limited
    await asyncio.sleep(1.05)
    assert (await c.post(URL, json=PING)).status_code == 200


async def test_clients_are_told_apart_by_peer_or_trusted_proxy(
    public_client: Callable[..., httpx.AsyncClient],
) -> None:
    direct = public_client(public_rate_limit=1, public_rate_window=60.0)
    assert (await direct.post(URL, json=PING, headers={"X-Forwarded-For": "203.0.113.1"})).status_code == 200
    spoofed = await direct.post(URL, json=PING, headers={"X-Forwarded-For": "203.0.113.2"})
    assert spoofed.status_code == 429  # without GOVGRAPH_TRUST_PROXY the header is ignored
    proxied = public_client(public_rate_limit=1, public_rate_window=60.0, trust_proxy=True)
    for ip in ("203.0.113.1", "203.0.113.2"):
        headers = {"X-Forwarded-For": f"{ip}, 10.0.0.1"}
        assert (await proxied.post(URL, json=PING, headers=headers)).status_code == 200
        assert (await proxied.post(URL, json=PING, headers=headers)).status_code == 429


def test_token_buckets_refill_and_stay_bounded() -> None:
    now = [0.0]
    buckets = TokenBuckets(2, 10.0, max_clients=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(5.0)
    now[0] = 5.0
    assert buckets.take("a") == 0.0
    for key in "bcde":
        buckets.take(key)
    assert len(buckets.buckets) == 3 and "a" not in buckets.buckets
    assert client_key({"type": "http", "headers": [], "client": ("192.0.2.9", 1)}, trust_proxy=True) == "192.0.2.9"


def test_settings_read_the_public_limits_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "GOVGRAPH_PUBLIC_MAX_DEPTH": "6",
            "GOVGRAPH_PUBLIC_MAX_ALIASES": "4",
            "GOVGRAPH_PUBLIC_MAX_TOKENS": "500",
            "GOVGRAPH_PUBLIC_MAX_PAGE": "25",
            "GOVGRAPH_PUBLIC_RATE_LIMIT": "30",
            "GOVGRAPH_PUBLIC_RATE_WINDOW": "10",
            "GOVGRAPH_TRUST_PROXY": "1",
        }
    )
    assert (s.public_max_depth, s.public_max_aliases, s.public_max_tokens, s.public_max_page) == (6, 4, 500, 25)
    assert (s.public_rate_limit, s.public_rate_window, s.trust_proxy) == (30, 10.0, True)
    assert Limits.from_settings(s) == Limits(6, 4, 500)
    with pytest.raises(ValueError, match="GOVGRAPH_PUBLIC_MAX_PAGE"):
        Settings.from_env({"GOVGRAPH_PUBLIC_MAX_PAGE": "0"})


# ---------------------------------------------------------------------------------------------------------
# Observability
# ---------------------------------------------------------------------------------------------------------


async def test_public_requests_are_counted_under_their_route(
    client: httpx.AsyncClient, public_client: Callable[..., httpx.AsyncClient]
) -> None:
    ok = metrics.GRAPHQL_REQUESTS.labels(URL, "PublicUnit", "ok")
    failed = metrics.GRAPHQL_REQUESTS.labels(URL, "PublicUnit", "graphql_error")
    limited = metrics.GRAPHQL_REQUESTS.labels(URL, metrics.ANONYMOUS, "http_error")
    before = ok._value.get(), failed._value.get(), limited._value.get()
    await client.post(URL, json={"query": 'query PublicUnit { administrativeUnit(code: "00004") { name } }'})
    await client.post(URL, json={"query": "query PublicUnit { administrativeUnits(first: 99) { totalCount } }"})
    c = public_client(public_rate_limit=1)
    await c.post(URL, json=PING)
    await c.post(URL, json=PING)
    after = ok._value.get(), failed._value.get(), limited._value.get()
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)
